import { execFileSync } from "node:child_process";
import * as path from "node:path";

let cached: string | undefined;

/** The project's pinned ShellCheck (tools/shellcheck.sh installs it on first use, no root needed). */
export function shellcheckPath(): string {
    cached ??= execFileSync("bash", [path.join(__dirname, "..", "..", "tools", "shellcheck.sh"), "--path"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    }).trim();
    return cached;
}

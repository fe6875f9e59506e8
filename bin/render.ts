/**
 * Offline render: writes everything the program generates for a stack, from its
 * Pulumi.<stack>.yaml, without cloud credentials or network. Usage:
 *   npm run render -- <outDir> [--stack dev]
 */
import * as fs from "fs";
import * as path from "path";
import { renderAll } from "../render/all";
import { readStackConfig } from "../render/stackFile";

export class UsageError extends Error {}

/** Renders the stack named by `--stack` (default dev) into the one positional folder; returns what it wrote. */
export function render(argv: string[]): { outDir: string; files: string[] } {
    const stackFlag = argv.indexOf("--stack");
    const stack = stackFlag >= 0 ? argv[stackFlag + 1] : "dev";
    const positional = argv.filter((a, i) => !a.startsWith("--") && (stackFlag < 0 || i !== stackFlag + 1));
    if (positional.length !== 1 || !stack) {
        throw new UsageError("usage: npm run render -- <outDir> [--stack <name>]");
    }
    const outDir = path.resolve(positional[0]);
    const stackFile = path.join(__dirname, "..", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new UsageError(`no stack file ${stackFile}: create it with \`pulumi stack init ${stack}\` and set its config`);
    }
    const files = renderAll(readStackConfig(stackFile), stack);
    fs.rmSync(outDir, { recursive: true, force: true });
    for (const [rel, text] of Object.entries(files)) {
        const file = path.join(outDir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
    }
    return { outDir, files: Object.keys(files) };
}

if (require.main === module) {
    try {
        const { outDir, files } = render(process.argv.slice(2));
        console.log(`rendered ${files.length} files into ${outDir}`);
    } catch (e) {
        console.error(e instanceof Error ? e.message : e);
        process.exit(e instanceof UsageError ? 2 : 1);
    }
}

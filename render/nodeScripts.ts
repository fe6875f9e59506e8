import { createHash } from "crypto";
import { readFileSync } from "fs";
import * as path from "path";

/** The scripts in scripts/ that run on nodes, by file name without `.sh`. */
export type NodeScriptName =
    | "wait-for-boot"
    | "prepare-node"
    | "init-control-plane"
    | "join-worker"
    | "wait-nodes-ready"
    | "drain-node";

const scriptsDir = path.join(__dirname, "..", "scripts");

function readScript(fileName: string): string {
    const text = readFileSync(path.join(scriptsDir, fileName), "utf8");
    return text.endsWith("\n") ? text : `${text}\n`;
}

/** lib.sh then the script: the part of the payload that is the same on every node. */
function scriptPart(name: NodeScriptName): string {
    return readScript("lib.sh") + readScript(`${name}.sh`);
}

/** Shell single-quote escaping helper used by the preamble. */
export function shellQuote(v: string): string {
    return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * The script text as sent: `export K='v'` lines for env (single-quote-escaped), then
 * scripts/lib.sh, then scripts/<name>.sh. Keys are sorted, so equal env gives an equal
 * payload and Pulumi shows no spurious diff.
 */
export function nodeScript(name: NodeScriptName, env: Record<string, string>): string {
    const preamble = Object.keys(env)
        .sort()
        .map((key) => {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
                throw new Error(`nodeScript(${name}): "${key}" is not a valid shell variable name`);
            }
            // Bash strings end at a NUL byte, so such a value would arrive truncated.
            if (env[key].includes("\0")) {
                throw new Error(`nodeScript(${name}): the value of ${key} contains a NUL byte`);
            }
            return `export ${key}=${shellQuote(env[key])}\n`;
        })
        .join("");
    return preamble + scriptPart(name);
}

/** sha256 of the payload's script part (lib + script, without env) — used as a trigger. */
export function scriptHash(name: NodeScriptName): string {
    return createHash("sha256").update(scriptPart(name)).digest("hex");
}

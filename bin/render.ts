/**
 * Offline render: writes everything the program generates for a stack, from its
 * Pulumi.<stack>.yaml, without cloud credentials or network. Usage:
 *   npm run render -- <outDir> [--stack dev]
 */
import * as fs from "fs";
import * as path from "path";
import { renderAll } from "../render/all";
import { readStackConfig } from "../render/stackFile";

function main(argv: string[]): void {
    const stackFlag = argv.indexOf("--stack");
    const stack = stackFlag >= 0 ? argv[stackFlag + 1] : "dev";
    const positional = argv.filter((a, i) => !a.startsWith("--") && (stackFlag < 0 || i !== stackFlag + 1));
    if (positional.length !== 1 || !stack) {
        console.error("usage: npm run render -- <outDir> [--stack <name>]");
        process.exit(2);
    }
    const outDir = path.resolve(positional[0]);
    const stackFile = path.join(__dirname, "..", `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        console.error(`no stack file ${stackFile}: create it with \`pulumi stack init ${stack}\` and set its config`);
        process.exit(2);
    }
    const files = renderAll(readStackConfig(stackFile), stack);
    fs.rmSync(outDir, { recursive: true, force: true });
    for (const [rel, text] of Object.entries(files)) {
        const file = path.join(outDir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
    }
    console.log(`rendered ${Object.keys(files).length} files for stack ${stack} into ${outDir}`);
}

try {
    main(process.argv.slice(2));
} catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
}

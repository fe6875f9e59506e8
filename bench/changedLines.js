// Prints Stryker --mutate ranges (`file:from-to,...`) of the lines added or changed since a git
// revision in the files that mutation testing covers (components/, render/, config.ts).
//   node bench/changedLines.js REV
const { execFileSync } = require("node:child_process");

const rev = process.argv[2];
if (!rev) {
    console.error("usage: node bench/changedLines.js REV");
    process.exit(2);
}
const diff = execFileSync("git", ["diff", "-U0", rev, "--", "components", "render", "config.ts"], { encoding: "utf8" });
const ranges = [];
let file;
for (const line of diff.split("\n")) {
    const f = /^\+\+\+ b\/(.*)$/.exec(line);
    if (f) {
        file = f[1];
        continue;
    }
    const h = /^@@ -\S+ \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h && file && file.endsWith(".ts")) {
        const start = Number(h[1]);
        const count = h[2] === undefined ? 1 : Number(h[2]);
        if (count > 0) ranges.push(`${file}:${start}-${start + count - 1}`);
    }
}
process.stdout.write(ranges.join(","));

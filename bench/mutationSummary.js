// Summarises a Stryker JSON report (mutation-testing-report-schema) as the markdown section of
// bench/results.md: the score, the counts by status, per file, and every surviving mutant.
//   node bench/mutationSummary.js REPORT.json DATE SECONDS [SCOPE]
// SCOPE says what was mutated when it was not the whole configured set (a --mutate list).
const fs = require("node:fs");

const [report, date, seconds, scope] = process.argv.slice(2);
const files = JSON.parse(fs.readFileSync(report, "utf8")).files;
const statuses = ["Killed", "Timeout", "Survived", "NoCoverage", "CompileError", "RuntimeError", "Ignored"];
const count = (mutants) => Object.fromEntries(statuses.map((s) => [s, mutants.filter((m) => m.status === s).length]));
const score = (c) => {
    const detected = c.Killed + c.Timeout;
    const valid = detected + c.Survived + c.NoCoverage;
    return valid === 0 ? "n/a" : `${((100 * detected) / valid).toFixed(1)} %`;
};

const all = Object.values(files).flatMap((f) => f.mutants);
const total = count(all);
const out = [
    "## Mutation testing (unit tier)",
    "",
    `Written by \`npm run test:mutation\` (StrykerJS, the mocha suite of \`npm test\` without the script-stub files) on ${date}, in ${seconds} s.`,
    `Mutated: ${scope || "all of \`components/\`, \`render/\` and \`config.ts\`"}.`,
    "Score = (killed + timed out) / (killed + timed out + survived + not covered).",
    "",
    `| | score | killed | timeout | survived | no coverage | compile/runtime error |`,
    `|---|---|---|---|---|---|---|`,
    `| **all** | **${score(total)}** | ${total.Killed} | ${total.Timeout} | ${total.Survived} | ${total.NoCoverage} | ${total.CompileError + total.RuntimeError} |`,
];
for (const [name, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const c = count(f.mutants);
    out.push(`| \`${name}\` | ${score(c)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.CompileError + c.RuntimeError} |`);
}
const survivors = Object.entries(files).flatMap(([name, f]) => f.mutants
    .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
    .map((m) => `| \`${name}:${m.location.start.line}\` | ${m.mutatorName} | ${m.status} | \`${String(m.replacement ?? "").replace(/\s+/g, " ").replace(/\|/g, "\\|").slice(0, 80)}\` |`));
out.push("", `Surviving and uncovered mutants (${survivors.length}):`, "", "| where | mutator | status | replacement |", "|---|---|---|---|", ...survivors, "");
process.stdout.write(out.join("\n"));

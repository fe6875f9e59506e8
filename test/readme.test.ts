import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { configKeys } from "../config";

const root = path.join(__dirname, "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");

describe("README", () => {
    it("quotes, word for word, the errors the real-component tier sees", () => {
        const errors = JSON.parse(fs.readFileSync(path.join(root, "test", "integration", "expected-errors.json"), "utf8"));
        // The file is what the tier asserts: every entry it names must be there, and only those.
        const tier = fs.readdirSync(path.join(root, "test", "integration")).filter((f) => f.endsWith(".py"))
            .map((f) => fs.readFileSync(path.join(root, "test", "integration", f), "utf8")).join("\n");
        const used = new Set([...tier.matchAll(/expected_error\("([A-Za-z]+)"/g)].map((m) => m[1]));
        assert.ok(used.size >= 4, `the tier names ${used.size} expected errors`);
        assert.deepEqual(Object.keys(errors).sort(), [...used].sort());
        for (const [name, e] of Object.entries<{ text: string }>(errors)) {
            const text = e.text.replace(/\{dir\}/g, "s3a://<bucket>/spark-events");
            assert.ok(readme.includes(text), `${name}: README lacks "${text}"`);
        }
    });

    it("shows the cost table that render/cost.ts computes", () => {
        const { referenceCostTable } = require("../render/cost");
        const rows = referenceCostTable().split("\n").filter((l: string) => l.startsWith("|"));
        assert.ok(rows.length >= 8);
        for (const row of rows) assert.ok(readme.includes(row), `README's cost table lacks: ${row}`);
    });

    it("states the performance figures that bench/results.md measured or modeled", () => {
        const results = fs.readFileSync(path.join(root, "bench", "results.md"), "utf8");
        const minutes = (label: string) => {
            const m = new RegExp(`\\| ${label} \\| (\\d+) min (\\d+) s \\|`).exec(results);
            assert.ok(m, `bench/results.md has no "${label}"`);
            return Number(m[1]) + Number(m[2]) / 60;
        };
        const perf = readme.slice(readme.indexOf("## Performance"), readme.indexOf("## Reviewing a change"));
        const said = (re: RegExp) => {
            const m = re.exec(perf);
            assert.ok(m, `README's Performance section lacks ${re}`);
            return Number(m[1]);
        };
        assert.equal(said(/about (\d+) minutes, against/), Math.round(minutes("modeled `pulumi up` \\(longest dependency chain\\)")));
        assert.equal(said(/against (\d+) minutes if the same/), Math.floor(minutes("serial sum of all steps")));
        // The 1000-application row of the tuned (rendered) configuration.
        const row = /^\| 1000 \| tuned \| ([\d.]+) s \| ([\d.]+) s \| ([\d.]+) s \| [\d.]+ s \| \d+ MB \| \d+ % \| [\d.]+ \| [\d.]+ s \| ([\d.]+) s \/ [\d.]+ s \|$/m.exec(results);
        assert.ok(row, "bench/results.md has no 1000-application row for the tuned configuration");
        const close = (readmeValue: number, measured: number, what: string) =>
            assert.ok(Math.abs(readmeValue - measured) <= Math.max(1, measured * 0.1), `README says ${readmeValue} s for ${what}; bench/results.md measured ${measured} s`);
        close(said(/all 1000 listed\s+in about (\d+) s from a cold start/), Number(row[2]), "listing 1000 applications");
        close(said(/(\d+) s after a restart/), Number(row[4]), "listing after a restart");
        close(said(/opens in about (\d+) s the first time/), Number(row[3]), "the first open of a job page");
    });

    it("documents every config key in Pulumi.yaml and the README, and declares none the engine would require", () => {
        const text = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        // A typed key without a default is required by the engine ("Stack is missing configuration
        // values"), and a default reaches the program as if set: the settings are comments.
        assert.equal(parse(text).config, undefined, "Pulumi.yaml has a config: block");
        const documented = [...text.matchAll(/^# {3}(\w+) \(/gm)].map((m) => m[1]);
        assert.deepEqual([...documented].sort(), [...configKeys].sort());
        for (const k of configKeys) assert.ok(readme.includes(`\`${k}\``), k);
    });

    it("documents every stack output of index.ts", () => {
        const outputs = [...fs.readFileSync(path.join(root, "index.ts"), "utf8").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
        for (const o of outputs) assert.ok(readme.includes(`\`${o}\``), o);
    });

    it("names the test command that .ci/run runs", () => {
        const ci = fs.readFileSync(path.join(root, ".ci", "run"), "utf8");
        assert.match(ci, /^npm ci --no-audit --no-fund\nnpm run test:all$/m);
        assert.ok(readme.includes("npm ci && npm run test:all"));
    });
});

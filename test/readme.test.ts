import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const root = path.join(__dirname, "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");

describe("README", () => {
    it("quotes, word for word, the errors the real-component tier sees", () => {
        const errors = JSON.parse(fs.readFileSync(path.join(root, "test", "integration", "expected-errors.json"), "utf8"));
        for (const [name, e] of Object.entries<{ text: string }>(errors)) {
            const text = e.text.replace(/\{dir\}/g, "s3a://<bucket>/spark-events");
            assert.ok(readme.includes(text), `${name}: README lacks "${text}"`);
        }
    });

    it("documents every config key of Pulumi.yaml", () => {
        const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
        const keys = Object.keys(project.config);
        assert.ok(keys.length > 20);
        for (const k of keys) assert.ok(readme.includes(`\`${k}\``), k);
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

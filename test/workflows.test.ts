import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { baseConfig, runProgram } from "./support/program";

const deploy = parse(fs.readFileSync(path.join(__dirname, "..", ".github", "workflows", "deploy.yml"), "utf8"));
const steps: any[] = deploy.jobs.up.steps;
const index = (pred: (s: any) => boolean, what: string) => {
    const i = steps.findIndex(pred);
    assert.ok(i >= 0, `deploy.yml has no step that ${what}`);
    return i;
};

describe("the deploy workflow", () => {
    it("asks for a role session no longer than an IAM role's default maximum (3600 s)", () => {
        const aws = steps.find((s) => String(s.uses ?? "").startsWith("aws-actions/configure-aws-credentials"));
        assert.ok(aws.with["role-duration-seconds"] <= 3600, String(aws.with["role-duration-seconds"]));
    });

    it("lets the runner reach the nodes during pulumi up, and always removes its address after", () => {
        const allow = index((s) => /pulumi config set --path "allowedCidrs\[\$n\]" "\$ip\/32"/.test(s.run ?? ""), "adds the runner's address");
        const up = index((s) => s.name === "pulumi up", "runs pulumi up");
        const remove = index((s) => /pulumi config rm --path "allowedCidrs\[\$INDEX\]"/.test(s.run ?? ""), "removes the runner's address");
        assert.ok(allow < up && up < remove, `order: allow ${allow}, up ${up}, remove ${remove}`);
        assert.match(steps[remove].if, /^always\(\)/);
        assert.equal(steps[remove].env.INDEX, `\${{ steps.${steps[allow].id}.outputs.index }}`);
    });

    it("removes exactly the security-group rules the program makes for that allowedCidrs entry", async () => {
        const remove = steps.find((s) => /pulumi config rm/.test(s.run ?? ""));
        const pattern = /nodes-\(([^)]+)\)-\$\{INDEX\}/.exec(remove.run);
        assert.ok(pattern, remove.run);
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:allowedCidrs": JSON.stringify(["203.0.113.10/32", "198.51.100.20/32"]) });
        const forSecond = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            .filter((r) => r.inputs.cidrIpv4 === "198.51.100.20/32").map((r) => r.name).sort();
        assert.deepEqual(forSecond, pattern[1].split("|").map((k) => `nodes-${k}-1`).sort());
    });
});

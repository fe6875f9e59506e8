import * as assert from "node:assert/strict";
import { checkResources, PlainResource } from "../policy/rules";
import { baseConfig, isSecretInput, ProgramRun, runProgram } from "./support/program";

/** Resource inputs as a policy sees them: secret values unwrapped. */
function plain(v: any): any {
    if (isSecretInput(v)) return plain(v.value);
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
}

function asPolicyInput(run: ProgramRun): PlainResource[] {
    return run.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, id: `${r.name}-id`, props: plain(r.inputs) }));
}

describe("the policy pack over the whole program", function () {
    this.timeout(60000);

    it("finds no violation in the dev stack", async () => {
        const run = await runProgram(baseConfig);
        assert.deepEqual(checkResources(asPolicyInput(run), { allowOpenIngress: false }), []);
    });

    it("flags SSH, the API and the NodePorts when a stack opens them to the internet, unless the pack is told it may", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:allowedCidrs": JSON.stringify(["0.0.0.0/0"]), "spark-on-k8s:allowOpenIngress": "true" });
        const flagged = checkResources(asPolicyInput(run), { allowOpenIngress: false }).map((v) => v.resource).sort();
        assert.deepEqual(flagged, ["nodes-kube-api-0", "nodes-nodeports-0", "nodes-ssh-0"]);
        assert.deepEqual(checkResources(asPolicyInput(run), { allowOpenIngress: true }), []);
    });
});

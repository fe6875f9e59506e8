import * as assert from "node:assert/strict";
import { checkResources, PlainResource } from "../policy/rules";
import { storeSettings } from "./objectStore.test";
import { baseConfig, fakeKubeconfig, isSecretInput, ProgramRun, runProgram } from "./support/program";

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

    describe("a cluster of the user's", () => {
        const byo = { "spark-on-k8s:kubeconfig": fakeKubeconfig, ...storeSettings };

        it("finds no violation with NodePorts, nor with load balancers limited to allowedCidrs", async () => {
            for (const extra of <Record<string, string>[]>[
                { "spark-on-k8s:publicAddress": "203.0.113.20" },
                { "spark-on-k8s:serviceType": "LoadBalancer", "spark-on-k8s:allowedCidrs": JSON.stringify(["203.0.113.0/24"]) },
            ]) {
                const run = await runProgram({ ...byo, ...extra });
                assert.ok(run.ofType("kubernetes:apps/v1:DaemonSet").length === 1, "the node-setup DaemonSet is there, root init container included");
                assert.deepEqual(checkResources(asPolicyInput(run), { allowOpenIngress: false }), []);
            }
        });

        it("flags load balancers open to the internet, and a root container that could do more than own files", async () => {
            const run = await runProgram({ ...byo, "spark-on-k8s:serviceType": "LoadBalancer", "spark-on-k8s:allowedCidrs": JSON.stringify(["0.0.0.0/0"]), "spark-on-k8s:allowOpenIngress": "true" });
            const input = asPolicyInput(run);
            const flagged = checkResources(input, { allowOpenIngress: false }).map((v) => `${v.policy} ${v.resource}`).sort();
            assert.deepEqual(flagged, ["k8s-no-loadbalancer-services history-service-spark-history-server", "k8s-no-loadbalancer-services jupyter-service-jupyter"]);
            const ds = input.find((r) => r.type === "kubernetes:apps/v1:DaemonSet")!;
            ds.props.spec.template.spec.initContainers[0].securityContext.capabilities.add.push("SYS_ADMIN");
            assert.deepEqual(checkResources([ds], { allowOpenIngress: true }).map((v) => v.policy), ["k8s-run-as-non-root", "k8s-run-as-non-root"]);
        });
    });
});

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { baseConfig, ProgramRun, runProgram } from "./support/program";
import { defaultKubernetesMinor } from "../versions";

/** What `pulumi up` would touch going from one config to another: resources added, removed, or with new inputs. */
function changes(before: ProgramRun, after: ProgramRun) {
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    const a = new Map(before.resources.map((r) => [key(r), r]));
    const b = new Map(after.resources.map((r) => [key(r), r]));
    const names = (keys: string[]) => keys.map((k) => k.split("::").pop()!).sort();
    return {
        added: names([...b.keys()].filter((k) => !a.has(k))),
        removed: names([...a.keys()].filter((k) => !b.has(k))),
        changed: names([...b.keys()].filter((k) => a.has(k) && JSON.stringify(a.get(k)!.inputs) !== JSON.stringify(b.get(k)!.inputs))),
    };
}

const workerResources = (n: number) => [`k8s-worker-${n}-boot`, `k8s-worker-${n}-drain`, `k8s-worker-${n}-join`, `k8s-worker-${n}-join-token`, `k8s-worker-${n}-prepare`, `nodes-worker-${n}`];

describe("what each config change re-runs (change matrix)", function () {
    this.timeout(120000);
    let base: ProgramRun;
    const matrix: string[] = [];
    before(async () => {
        base = await runProgram(baseConfig);
    });
    after(() => console.log(`      change matrix:\n${matrix.map((l) => `        ${l}`).join("\n")}`));

    async function change(label: string, config: Record<string, string>, fresh = false) {
        const c = changes(base, await runProgram({ ...baseConfig, ...config }, { fresh }));
        matrix.push(`${label}: +[${c.added.join(", ")}] -[${c.removed.join(", ")}] ~[${c.changed.join(", ")}]`);
        return c;
    }

    it("the same config changes nothing", async () => {
        assert.deepEqual(await change("no change", {}, true), { added: [], removed: [], changed: [] });
    });

    it("a third worker adds its machine and steps and touches no existing node", async () => {
        const c = await change("workerCount 2 -> 3", { "spark-on-k8s:workerCount": "3" });
        assert.deepEqual(c.added, workerResources(3).sort());
        assert.deepEqual(c.removed, []);
        // Executors are sized for the workers: JupyterLab and the Spark Connect server (at most one
        // executor per worker) start again to read their new spark-defaults.conf.
        assert.deepEqual(c.changed, [
            "jupyter-configmap-jupyter-spark-conf", "jupyter-deployment-jupyter", "k8s-nodes-ready",
            "spark-connect-configmap-spark-connect-conf", "spark-connect-deployment-spark-connect",
        ]);
        for (const n of [...workerResources(1), ...workerResources(2), "k8s-init", "nodes-control-plane"]) assert.ok(!c.changed.includes(n), n);
    });

    it("one worker fewer removes the last worker, its drain step included, and nothing else", async () => {
        const c = await change("workerCount 2 -> 1", { "spark-on-k8s:workerCount": "1" });
        assert.deepEqual(c.removed, workerResources(2).sort());
        assert.deepEqual(c.added, []);
        assert.ok(!c.changed.some((n) => n.includes("worker-1") || n === "k8s-init"), c.changed.join(","));
    });

    it("a new Kubernetes minor re-runs node preparation only", async () => {
        const c = await change(`kubernetesVersion ${defaultKubernetesMinor} -> 1.36`, { "spark-on-k8s:kubernetesVersion": "1.36" });
        assert.deepEqual(c.changed, ["k8s-control-plane-prepare", "k8s-worker-1-prepare", "k8s-worker-2-prepare"]);
        assert.deepEqual([c.added, c.removed], [[], []]);
    });

    it("another allowed CIDR changes the security group rules only", async () => {
        const c = await change("allowedCidrs", { "spark-on-k8s:allowedCidrs": JSON.stringify(["198.51.100.0/24"]) });
        assert.deepEqual(c.changed, ["nodes-kube-api-0", "nodes-nodeports-0", "nodes-ssh-0"]);
    });

    it("another retention changes the bucket's lifecycle and the History Server's cleaner only", async () => {
        const c = await change("eventLogRetentionDays 30 -> 7", { "spark-on-k8s:eventLogRetentionDays": "7" });
        // The History Server reads its cleaner's age at start: its pod starts again (the config checksum).
        assert.deepEqual(c.changed, ["event-logs-expiry", "history-configmap-spark-history-server-conf", "history-deployment-spark-history-server"]);
    });

    it("an edited node script re-runs that script on every node and nothing else", async () => {
        // The program reads the edited script; the file on disk stays as it is.
        const file = path.join(__dirname, "..", "scripts", "wait-nodes-ready.sh");
        // Patch the module object itself: the program's modules are loaded afresh and see it.
        const realFs: typeof fs = require("fs");
        const readFileSync = realFs.readFileSync;
        let c;
        try {
            (realFs as any).readFileSync = (p: fs.PathOrFileDescriptor, ...rest: any[]) => {
                const text = (readFileSync as any)(p, ...rest);
                return p === file ? `${text}\n# edited\n` : text;
            };
            c = await change("scripts/wait-nodes-ready.sh edited", {}, true);
        } finally {
            realFs.readFileSync = readFileSync;
        }
        assert.deepEqual(c, { added: [], removed: [], changed: ["k8s-nodes-ready"] });
    });
});

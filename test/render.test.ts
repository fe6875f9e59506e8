import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { render } from "../bin/render";

/** Parses spark-defaults.conf text into key/value pairs. */
export function parseSparkDefaults(text: string): Record<string, string> {
    const conf: Record<string, string> = {};
    for (const line of text.split("\n")) {
        if (line.trim() === "" || line.startsWith("#")) continue;
        const m = /^(\S+)\s+(.*)$/.exec(line);
        assert.ok(m, `not a spark-defaults line: ${line}`);
        conf[m[1]] = m[2];
    }
    return conf;
}

describe("npm run render", function () {
    this.timeout(30000);
    let out: string;
    before(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
        render([out, "--stack", "dev"]);
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));
    const read = (rel: string) => fs.readFileSync(path.join(out, rel), "utf8");

    it("writes the documented layout", () => {
        for (const rel of [
            "versions.json",
            "helm/spark-operator.values.yaml",
            "helm/flannel.values.yaml",
            "spark/jobs.conf",
            "spark/history-server.conf",
            "spark/jupyter.conf",
            "nodes/kubeadm-config.yaml",
            "nodes/control-plane/init-control-plane.sh",
            "nodes/worker-1/prepare-node.sh",
            "nodes/worker-2/join-worker.sh",
            "k8s/sparkapplication-spark-smoke-test.yaml",
            "k8s/deployment-spark-history-server.yaml",
            "k8s/deployment-jupyter.yaml",
            "aws/node-s3-policy.json",
            "aws/lifecycle-rules.json",
        ]) {
            assert.ok(fs.existsSync(path.join(out, rel)), rel);
        }
    });

    it("names the chart, its version and repository in the values file", () => {
        const text = read("helm/spark-operator.values.yaml");
        assert.match(text, /^# chart: spark-operator$/m);
        assert.match(text, /^# version: \d+\.\d+\.\d+$/m);
        assert.match(text, /^# repository: https:\/\/kubeflow\.github\.io\/spark-operator$/m);
        assert.deepEqual(parse(text).spark.jobNamespaces, ["spark-jobs"]);
    });

    it("uses clear placeholders for values known only after deployment", () => {
        assert.equal(parseSparkDefaults(read("spark/jobs.conf"))["spark.eventLog.dir"], "s3a://<event-log-bucket>/spark-events/");
        assert.match(read("nodes/kubeadm-config.yaml"), /advertiseAddress: <control-plane-private-ip>/);
        assert.match(read("k8s/secret-jupyter-token.yaml"), /token: <generated-jupyter-token>/);
        assert.match(read("nodes/worker-1/join-worker.sh"), /export JOIN_COMMAND='<kubeadm-join-command-made-for-this-worker>'/);
    });

    it("writes the node policy and lifecycle rules the program deploys, for the placeholder bucket", async () => {
        const { runProgram } = await import("./support/program");
        const run = await runProgram();
        const deployed = run.byName("event-logs-access").inputs.policy.replaceAll("spark-dev-spark-events-abc123", "<event-log-bucket>");
        assert.deepEqual(JSON.parse(read("aws/node-s3-policy.json")), JSON.parse(deployed));
        assert.deepEqual(JSON.parse(read("aws/lifecycle-rules.json")), run.byName("event-logs-expiry").inputs.rules);
    });

    it("ends every file with a newline", () => {
        const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
        const files = walk(out);
        assert.ok(files.length > 30);
        for (const f of files) assert.ok(fs.readFileSync(f, "utf8").endsWith("\n"), path.relative(out, f));
    });

    it("writes one Kubernetes object per file, every one with kind and name", () => {
        const files = fs.readdirSync(path.join(out, "k8s"));
        assert.ok(files.length >= 15);
        for (const f of files) {
            const docs = parseAllDocuments(read(`k8s/${f}`));
            assert.equal(docs.length, 1, f);
            const o = docs[0].toJS();
            assert.equal(f, `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`);
        }
    });

    it("pins the versions in versions.json", () => {
        const v = JSON.parse(read("versions.json"));
        assert.equal(v.spark.version, "4.1.2");
        assert.equal(v.selected.kubernetes, "1.37");
        // Every pinned line with its end of life and where that date is published.
        assert.deepEqual(v.endOfLife.map((l: any) => l.line).slice(0, 4), ["Kubernetes 1.35", "Kubernetes 1.36", "Kubernetes 1.37", "Spark 4.1 (pinned 4.1.2)"]);
        assert.equal(v.kubernetesMinors["1.37"].date, "2027-10-28");
        for (const l of v.endOfLife) assert.match(l.source, /^https:\/\//, l.line);
        assert.equal(v.s3aJars.length, 2);
    });

    it("refuses a missing output folder with its usage, and an unknown stack", () => {
        assert.throws(() => render([]), /usage: npm run render -- <outDir>/);
        assert.throws(() => render([out, "--stack", "nope"]), /no stack file .*Pulumi\.nope\.yaml: create it with `pulumi stack init nope`/);
    });
});

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { jupyterDriverRules } from "../render/manifests";
import { baseConfig, fakeSmokeResult, isSecret, ProgramRun, runProgram, valueOf } from "./support/program";

describe("Spark platform under mocks", function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(baseConfig);
    });
    const k8sResources = () => run.resources.filter((r) => r.type.startsWith("kubernetes:"));

    it("creates every Kubernetes object of the platform through the cluster's provider", () => {
        const platform = k8sResources().filter((r) => !r.name.startsWith("k8s-"));
        assert.ok(platform.length >= 15);
        for (const r of platform) assert.equal(r.provider, "k8s-k8s", `${r.name} uses ${r.provider}`);
    });

    it("installs the pinned spark-operator chart with webhook, metrics and the job namespace", () => {
        const rel = run.byName("spark-operator-release");
        assert.equal(rel.inputs.chart, "spark-operator");
        assert.equal(rel.inputs.repositoryOpts.repo, "https://kubeflow.github.io/spark-operator");
        assert.match(rel.inputs.version, /^\d+\.\d+\.\d+$/);
        assert.equal(rel.inputs.namespace, "spark-operator");
        assert.equal(rel.inputs.values.webhook.enable, true);
        assert.equal(rel.inputs.values.prometheus.metrics.enable, true);
        assert.deepEqual(rel.inputs.values.spark.jobNamespaces, ["spark-jobs"]);
        assert.ok(run.waitsFor("spark-operator-release", "spark-operator-namespace-spark-jobs"));
    });

    it("keeps the bucket, its protections and the IAM policy off the cluster's critical path", () => {
        for (const r of ["event-logs-bucket", "event-logs-prefix", "event-logs-access", "event-logs-access-attachment"]) {
            assert.ok(!run.waitsFor(r, "k8s-init"), `${r} waits for the cluster`);
            assert.ok(!run.waitsFor(r, "nodes-control-plane"), `${r} waits for an instance`);
        }
    });

    it("makes the bucket private, encrypted and TLS-only, with event logs expiring", () => {
        const pab = run.byName("event-logs-public-access").inputs;
        assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
        const sse = run.byName("event-logs-encryption").inputs;
        assert.equal(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        const policy = JSON.parse(run.byName("event-logs-tls-only").inputs.policy);
        assert.deepEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
        // The bucket itself and every object in it.
        assert.deepEqual(policy.Statement[0].Resource, ["arn:aws:s3:::spark-dev-spark-events-abc123", "arn:aws:s3:::spark-dev-spark-events-abc123/*"]);
        assert.equal(policy.Statement[0].Sid, "DenyInsecureTransport");
        assert.equal(policy.Statement[0].Effect, "Deny");
        const rules = run.byName("event-logs-expiry").inputs.rules;
        assert.deepEqual([rules[0].filter.and.prefix, rules[0].expiration.days], ["spark-events/", 30]);
    });

    it("keeps the bucket and its logs on destroy unless forceDestroyEventLogs is set", async () => {
        for (const name of ["event-logs-bucket", "event-logs-prefix"]) assert.equal(run.byName(name).retainOnDelete, true, name);
        assert.equal(run.byName("event-logs-bucket").inputs.forceDestroy, false);
        const forced = await runProgram({ ...baseConfig, "spark-on-k8s:forceDestroyEventLogs": "true" });
        assert.equal(forced.byName("event-logs-bucket").inputs.forceDestroy, true);
        for (const name of ["event-logs-bucket", "event-logs-prefix"]) assert.equal(forced.byName(name).retainOnDelete, false, name);
    });

    it("lets destroy skip Kubernetes objects once the cluster is unreachable", () => {
        for (const p of run.ofType("pulumi:providers:kubernetes")) assert.equal(p.inputs.deleteUnreachable, "true", p.name);
        for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
            assert.ok(["k8s-k8s", "k8s-bootstrap"].includes(r.provider), r.name);
        }
    });

    it("creates the event-log prefix as a zero-byte directory object", () => {
        const marker = run.byName("event-logs-prefix").inputs;
        assert.equal(marker.key, "spark-events/");
        assert.equal(marker.content, "");
    });

    it("attaches a policy to the node role that names only the bucket and its two prefixes", () => {
        const attach = run.byName("event-logs-access-attachment");
        assert.equal(attach.inputs.role, "nodes-node-role-1234");
        const doc = JSON.parse(run.byName("event-logs-access").inputs.policy);
        const bucketArn = "arn:aws:s3:::spark-dev-spark-events-abc123";
        const resources = doc.Statement.flatMap((s: any) => s.Resource);
        for (const r of resources) assert.ok(r === bucketArn || r.startsWith(`${bucketArn}/spark-events`) || r.startsWith(`${bucketArn}/spark-data`), r);
        const actions = doc.Statement.flatMap((s: any) => s.Action);
        assert.ok(!actions.some((a: string) => a.includes("*")), actions.join(","));
        const objects = doc.Statement.find((s: any) => s.Action.includes("s3:GetObject"));
        assert.deepEqual(objects.Resource, [`${bucketArn}/spark-events`, `${bucketArn}/spark-events/*`, `${bucketArn}/spark-data`, `${bucketArn}/spark-data/*`]);
    });

    it("points the History Server at the bucket's event-log URI and starts it after the prefix exists", () => {
        const conf = run.byName("history-configmap-spark-history-server-conf").inputs.data["spark-defaults.conf"];
        assert.match(conf, /^spark\.history\.fs\.logDirectory\s+s3a:\/\/spark-dev-spark-events-abc123\/spark-events\/$/m);
        assert.ok(run.waitsFor("history-deployment-spark-history-server", "event-logs-prefix"));
        assert.ok(run.waitsFor("history-deployment-spark-history-server", "event-logs-access-attachment"));
    });

    it("exposes the History Server and JupyterLab as NodePorts only, on the configured ports", () => {
        const services = run.ofType("kubernetes:core/v1:Service");
        assert.ok(!services.some((s) => s.inputs.spec.type === "LoadBalancer"));
        const nodePorts = services.filter((s) => s.inputs.spec.type === "NodePort").map((s) => s.inputs.spec.ports[0].nodePort).sort();
        assert.deepEqual(nodePorts, [30080, 30088]);
    });

    it("appends the S3A jars after Spark's own jars in the History Server and the notebook's driver", () => {
        for (const d of ["history-deployment-spark-history-server", "jupyter-deployment-jupyter"]) {
            const env = run.byName(d).inputs.spec.template.spec.containers[0].env;
            assert.equal(env.find((e: any) => e.name === "SPARK_DIST_CLASSPATH")?.value, "/opt/spark-s3a/jars/*", d);
            assert.ok(!env.some((e: any) => e.name === "SPARK_DAEMON_CLASSPATH" || e.name === "SPARK_CLASSPATH"), d);
        }
    });

    it("outputs the History Server URL on the Elastic IP", async () => {
        assert.equal(await valueOf(run.outputs.historyServerUrl), "http://198.51.100.7:30080");
    });

    it("runs the platform's own containers as non-root", () => {
        for (const d of run.ofType("kubernetes:apps/v1:Deployment")) {
            const pod = d.inputs.spec.template.spec;
            assert.equal(pod.securityContext.runAsNonRoot, true, d.name);
            for (const c of pod.containers) assert.equal(c.securityContext.runAsNonRoot, true, `${d.name}/${c.name}`);
        }
    });

    it("submits the smoke SparkApplication after the History Server and checks it with a Job in the cluster", async () => {
        const app = run.byName("smoke-sparkapplication-spark-smoke-test");
        assert.equal(app.inputs.spec.sparkConf["spark.eventLog.dir"], "s3a://spark-dev-spark-events-abc123/spark-events/");
        assert.ok(run.waitsFor(app.name, "history-deployment-spark-history-server"));
        // The chart's SparkApplication webhooks (failurePolicy: Fail) refuse the create until the release is up.
        assert.ok(app.dependsOn.has("spark-operator-release"), [...app.dependsOn].join(", "));
        assert.ok(run.waitsFor(app.name, "spark-operator-namespace-spark-jobs"));
        const job = run.byName("smoke-job-spark-self-check");
        assert.ok(job.dependsOn.has(app.name));
        const env = Object.fromEntries(job.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env.HISTORY_URL, "http://spark-history-server.spark-history.svc.cluster.local:18080");
        // No SSH: nothing of the self-check runs on a node.
        assert.equal(run.resources.filter((r) => r.type === "command:remote:Command" && /smoke|check/.test(r.name)).length, 0);
        assert.deepEqual(await valueOf(run.outputs.smokeTest), {
            ...fakeSmokeResult,
            historyUrl: `http://198.51.100.7:30080/history/${fakeSmokeResult.applicationId}/jobs/`,
        });
    });

    it("skips the smoke test when smokeTest is false", async () => {
        const off = await runProgram({ ...baseConfig, "spark-on-k8s:smokeTest": "false" });
        assert.equal(off.resources.filter((r) => r.name.startsWith("smoke")).length, 0);
        assert.equal(off.outputs.smokeTest, null);
    });

    describe("JupyterLab", () => {
        it("runs in the job namespace with the spark conf built from the event-log URI", () => {
            const conf = run.byName("jupyter-configmap-jupyter-spark-conf");
            assert.equal(conf.inputs.metadata.namespace, "spark-jobs");
            const text: string = conf.inputs.data["spark-defaults.conf"];
            assert.match(text, /^spark\.eventLog\.dir\s+s3a:\/\/spark-dev-spark-events-abc123\/spark-events\/$/m);
            assert.match(text, /^spark\.kubernetes\.namespace\s+spark-jobs$/m);
            assert.ok(run.waitsFor(conf.name, "spark-operator-release"), "the notebook conf waits for the operator's namespace");
        });

        it("gives its driver exactly pods, services, configmaps and PVCs in its namespace, nothing cluster-wide", () => {
            const roles = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) => r.name.startsWith("jupyter-"));
            assert.equal(roles.length, 1);
            assert.deepEqual(roles[0].inputs.rules, jupyterDriverRules);
            assert.deepEqual(roles[0].inputs.rules[0].resources, ["pods", "services", "configmaps", "persistentvolumeclaims"]);
            assert.equal(run.resources.filter((r) => /ClusterRole/.test(r.type)).length, 0);
            const binding = run.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")[0];
            assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "jupyter", namespace: "spark-jobs" }]);
        });

        it("has a headless Service for the driver with the fixed driver and block-manager ports", () => {
            const svc = run.byName("jupyter-service-jupyter-driver").inputs.spec;
            assert.equal(svc.clusterIP, "None");
            assert.deepEqual(svc.ports.map((p: any) => p.port).slice(0, 2), [29413, 29414]);
            assert.deepEqual(svc.selector, { "app.kubernetes.io/name": "jupyter" });
        });

        it("takes its token from a generated secret, never plain text", async () => {
            const secret = run.byName("jupyter-secret-jupyter-token");
            assert.ok(secret.dependsOn.has("jupyter-token"));
            // Pulumi's wire form of a secret value: the token never travels in plain text.
            const stringData = secret.inputs.stringData;
            assert.equal(stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
            assert.equal(stringData.value.token.length, 48);
            assert.ok(await isSecret(run.outputs.jupyterToken));
            const env = run.byName("jupyter-deployment-jupyter").inputs.spec.template.spec.containers[0].env;
            const token = env.find((e: any) => e.name === "JUPYTER_TOKEN");
            assert.deepEqual(token.valueFrom, { secretKeyRef: { name: "jupyter-token", key: "token" } });
        });

        it("keeps notebooks on a persistent volume on the first worker", () => {
            const pv = run.byName("jupyter-persistentvolume-spark-jobs-jupyter-notebooks").inputs.spec;
            assert.equal(pv.persistentVolumeReclaimPolicy, "Retain");
            assert.deepEqual(pv.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, ["worker-1"]);
            const prepare = run.byName("k8s-worker-1-prepare").inputs.stdin;
            assert.match(prepare, new RegExp(`export JUPYTER_DATA_DIR='${pv.local.path}'`));
            assert.doesNotMatch(run.byName("k8s-worker-2-prepare").inputs.stdin, /export JUPYTER_DATA_DIR=/);
        });

        it("does not re-chown every notebook at each start: the volume's group is fixed only when its root is wrong", () => {
            const pod = run.byName("jupyter-deployment-jupyter").inputs.spec.template.spec;
            assert.equal(pod.securityContext.fsGroup, 185);
            assert.equal(pod.securityContext.fsGroupChangePolicy, "OnRootMismatch");
        });

        it("ships the getting-started notebook and tells the kernel where data and the History Server are", () => {
            const files = run.byName("jupyter-configmap-jupyter-files").inputs.data;
            assert.ok(JSON.parse(files["getting-started.ipynb"]).cells.length > 3);
            assert.match(files["jupyter-start.sh"], /exec python3 -m jupyterlab/);
            const env = run.byName("jupyter-deployment-jupyter").inputs.spec.template.spec.containers[0].env;
            const val = (n: string) => env.find((e: any) => e.name === n)?.value;
            assert.equal(val("SPARK_DATA_URI"), "s3a://spark-dev-spark-events-abc123/spark-data/");
            assert.equal(val("HISTORY_SERVER_URL"), "http://198.51.100.7:30080");
        });

        it("ships the kernels' startup file under the name the start script installs it from", () => {
            const files = run.byName("jupyter-configmap-jupyter-files").inputs.data;
            const m = /cp "\$SEED_DIR\/([^"]+)" "\$dir\/00-spark-session\.py"/.exec(files["jupyter-start.sh"]);
            assert.ok(m, "jupyter-start.sh installs no kernel startup file");
            assert.equal(files[m[1]], fs.readFileSync(path.join(__dirname, "..", "scripts", "pod", "spark-session.py"), "utf8"));
        });

        it("probes JupyterLab on /api, which answers without the token (the kubelet sends none)", () => {
            const c = run.byName("jupyter-deployment-jupyter").inputs.spec.template.spec.containers[0];
            assert.deepEqual(c.startupProbe.httpGet, { path: "/api", port: "http" });
            for (const p of [c.readinessProbe, c.livenessProbe]) assert.ok(!p.httpGet || p.httpGet.path === "/api", JSON.stringify(p));
        });

        it("outputs the JupyterLab URL on the Elastic IP", async () => {
            assert.equal(await valueOf(run.outputs.jupyterUrl), "http://198.51.100.7:30088/lab");
        });
    });
});

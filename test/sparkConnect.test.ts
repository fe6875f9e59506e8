import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { RawConfig, validateConfig } from "../config";
import { placeholders, renderAll } from "../render/all";
import { parseSparkDefaults } from "./render.test";
import { store, storeSettings } from "./objectStore.test";
import { shellcheckPath } from "./support/shellcheck";
import { baseConfig, runProgram, valueOf } from "./support/program";

const valid: RawConfig = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.10/32"], workerInstanceType: "t3.xlarge", workerCount: 3 };
const rendered = (raw: RawConfig = valid) => renderAll(validateConfig(raw), "dev");
const object = (files: Record<string, string>, file: string) => {
    assert.ok(files[file], `no ${file} in the render: ${Object.keys(files).filter((f) => f.startsWith("k8s/")).join(", ")}`);
    return parse(files[file]);
};

describe("Spark Connect (sparkConnect)", function () {
    this.timeout(120000);

    describe("config", () => {
        it("is on by default and turned off with false", () => {
            assert.equal(validateConfig(valid).sparkConnect, true);
            assert.equal(validateConfig({ ...valid, sparkConnect: "false" }).sparkConnect, false);
        });

        it("refuses a value that is not a boolean, naming the key", () => {
            assert.throws(() => validateConfig({ ...valid, sparkConnect: "maybe" }), /spark-on-k8s:sparkConnect/);
        });
    });

    describe("render", () => {
        const files = rendered();
        const conf = parseSparkDefaults(files["spark/connect.conf"]);
        const jupyter = parseSparkDefaults(files["spark/jupyter.conf"]);
        const deployment = object(files, "k8s/deployment-spark-connect.yaml");
        const pod = deployment.spec.template.spec;
        const container = pod.containers[0];

        it("runs executors only while queries run, at most one per worker, sized as the notebook's", () => {
            assert.equal(conf["spark.dynamicAllocation.enabled"], "true");
            assert.equal(conf["spark.dynamicAllocation.minExecutors"], "0");
            assert.equal(conf["spark.dynamicAllocation.initialExecutors"], "0");
            assert.equal(conf["spark.dynamicAllocation.maxExecutors"], "3");
            // No shuffle service on Kubernetes: executors holding shuffle files are tracked, with a bound.
            assert.equal(conf["spark.dynamicAllocation.shuffleTracking.enabled"], "true");
            assert.equal(conf["spark.dynamicAllocation.shuffleTracking.timeout"], "120s");
            for (const k of ["spark.executor.cores", "spark.executor.memory", "spark.kubernetes.executor.request.cores", "spark.kubernetes.container.image"]) {
                assert.equal(conf[k], jupyter[k], k);
            }
        });

        it("logs events to the jobs' prefix, rolled, with the S3A jars on its executors", () => {
            assert.equal(conf["spark.eventLog.dir"], jupyter["spark.eventLog.dir"]);
            assert.equal(conf["spark.eventLog.enabled"], "true");
            assert.equal(conf["spark.eventLog.rolling.enabled"], "true");
            assert.equal(conf["spark.executorEnv.SPARK_DIST_CLASSPATH"], "/opt/spark-s3a/jars/*");
            assert.equal(conf["spark.kubernetes.executor.volumes.hostPath.s3a-jars.mount.path"], "/opt/spark-s3a/jars");
            assert.equal(conf["spark.hadoop.fs.s3a.aws.credentials.provider"], "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
        });

        it("is a client-mode driver that its executors reach through a headless Service", () => {
            assert.equal(conf["spark.submit.deployMode"], "client");
            assert.equal(conf["spark.kubernetes.namespace"], "spark-jobs");
            assert.equal(conf["spark.driver.host"], "spark-connect-driver.spark-jobs.svc.cluster.local");
            const driver = object(files, "k8s/service-spark-connect-driver.yaml");
            assert.equal(driver.spec.clusterIP, "None");
            assert.equal(driver.spec.publishNotReadyAddresses, true);
            assert.deepEqual(driver.spec.ports.map((p: { port: number }) => p.port), [Number(conf["spark.driver.port"]), Number(conf["spark.driver.blockManager.port"])]);
            assert.deepEqual(driver.spec.selector, deployment.spec.selector.matchLabels);
        });

        it("runs as the chart's driver account, its settings from the mounted spark-defaults.conf", () => {
            assert.equal(pod.serviceAccountName, "spark");
            assert.deepEqual(container.command, ["bash", "/opt/platform/spark-conf/connect-start.sh"]);
            const env = Object.fromEntries(container.env.filter((e: { value?: string }) => e.value).map((e: { name: string; value: string }) => [e.name, e.value]));
            assert.equal(env.SPARK_CONF_DIR, "/opt/platform/spark-conf");
            assert.equal(env.SPARK_DIST_CLASSPATH, "/opt/spark-s3a/jars/*");
            const cm = object(files, "k8s/configmap-spark-connect-conf.yaml");
            assert.equal(cm.data["spark-defaults.conf"], files["spark/connect.conf"]);
            assert.equal(cm.data["connect-start.sh"], fs.readFileSync(path.join(__dirname, "..", "scripts", "pod", "connect-start.sh"), "utf8"));
            assert.ok(pod.volumes.some((v: { configMap?: { name: string } }) => v.configMap?.name === "spark-connect-conf"));
            // A changed setting restarts the server (the checksum of its ConfigMap is in the pod template).
            assert.match(deployment.spec.template.metadata.annotations["spark-platform/config-sha256"], /^[0-9a-f]{64}$/);
        });

        it("is Ready only when its gRPC port answers, and has time to close its event log when stopped", () => {
            for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) assert.deepEqual(container[probe].tcpSocket, { port: "grpc" }, probe);
            assert.equal(container.ports.find((p: { name: string }) => p.name === "grpc").containerPort, 15002);
            assert.ok(pod.terminationGracePeriodSeconds >= 60);
            assert.equal(pod.securityContext.runAsNonRoot, true);
            assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        });

        it("leaves room for a job's executor on a 2-vCPU worker that also holds JupyterLab (the cluster tier's nodes)", () => {
            const cpu = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));
            const jl = object(files, "k8s/deployment-jupyter.yaml").spec.template.spec.containers[0];
            const smoke = object(files, "k8s/sparkapplication-spark-smoke-test.yaml");
            // Flannel's DaemonSet asks 100m on every node; a SparkApplication's executor asks its cores.
            const used = cpu(container.resources.requests.cpu) + cpu(jl.resources.requests.cpu) + 0.1 + smoke.spec.executor.cores;
            assert.ok(used <= 2, `server + JupyterLab + Flannel + one executor ask ${used} CPUs of 2`);
        });

        it("is reachable inside the cluster only, whatever serviceType the UIs use", () => {
            const yours: RawConfig = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.10/32"], kubeconfig: "<kubeconfig>", serviceType: "LoadBalancer" };
            for (const raw of [valid, yours]) {
                const svc = object(rendered(raw), "k8s/service-spark-connect.yaml");
                assert.equal(svc.spec.type, "ClusterIP");
                assert.equal(svc.spec.ports[0].port, 15002);
                assert.equal(svc.spec.loadBalancerSourceRanges, undefined);
            }
            const policy = object(files, "k8s/networkpolicy-spark-connect.yaml");
            assert.deepEqual(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels);
            assert.deepEqual(policy.spec.ingress, [{ from: [{ podSelector: {} }] }]);
        });

        it("tells JupyterLab where the server is and which client packages to install", () => {
            const jl = object(files, "k8s/deployment-jupyter.yaml").spec.template.spec.containers[0];
            const env = Object.fromEntries(jl.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
            assert.equal(env.SPARK_CONNECT_URL, "sc://spark-connect.spark-jobs.svc.cluster.local:15002");
            assert.match(env.CONNECT_CLIENT_PACKAGES, /(^| )pyarrow==\S+/);
            assert.match(env.CONNECT_CLIENT_PACKAGES, /(^| )grpcio==\S+/);
        });

        it("gives the server the store's keys, and its executors too, with a store of the user's", () => {
            const withStore = rendered({ ...valid, ...store });
            const c = object(withStore, "k8s/deployment-spark-connect.yaml").spec.template.spec.containers[0];
            assert.deepEqual(
                c.env.filter((e: { valueFrom?: { secretKeyRef?: unknown } }) => e.valueFrom?.secretKeyRef).map((e: { name: string }) => e.name),
                ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
            );
            const sc = parseSparkDefaults(withStore["spark/connect.conf"]);
            assert.equal(sc["spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID"], "spark-object-store:AWS_ACCESS_KEY_ID");
            assert.equal(sc["spark.hadoop.fs.s3a.endpoint"], "https://minio.example.com:9000");
            assert.equal(sc["spark.eventLog.dir"], `s3a://team-spark/spark-events/`);
        });

        it("renders nothing of it when off, and JupyterLab installs no client", () => {
            const off = rendered({ ...valid, sparkConnect: false });
            assert.deepEqual(Object.keys(off).filter((f) => f.includes("spark-connect") || f === "spark/connect.conf"), []);
            const env = object(off, "k8s/deployment-jupyter.yaml").spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
            assert.ok(!env.includes("SPARK_CONNECT_URL") && !env.includes("CONNECT_CLIENT_PACKAGES"), env.join(" "));
            assert.equal(placeholders.bucket, "<event-log-bucket>");
        });
    });

    describe("the program", () => {
        it("creates the server after the operator's release, waits for it, and outputs how to reach it", async () => {
            const run = await runProgram(baseConfig);
            const d = run.byName("spark-connect-deployment-spark-connect");
            assert.ok(run.waitsFor("spark-connect-deployment-spark-connect", "spark-operator-release"), "the chart's service account comes with the release");
            // A changed pod template replaces the pod and Pulumi waits until the new one is Ready.
            assert.deepEqual(d.replaceOnChanges, ["spec.template"]);
            assert.equal(d.deleteBeforeReplace, true);
            assert.deepEqual(await valueOf(run.outputs.sparkConnect), {
                url: "sc://spark-connect.spark-jobs.svc.cluster.local:15002",
                portForward: "kubectl -n spark-jobs port-forward service/spark-connect 15002:15002",
                laptopUrl: "sc://localhost:15002",
            });
        });

        it("creates nothing of it with sparkConnect false", async () => {
            const off = await runProgram({ ...baseConfig, "spark-on-k8s:sparkConnect": "false" });
            assert.deepEqual(off.resources.filter((r) => r.name.startsWith("spark-connect")).map((r) => r.name), []);
            assert.equal(off.outputs.sparkConnect, null);
        });

        it("takes the store's keys from the Secret on a store of the user's", async () => {
            const run = await runProgram({ ...baseConfig, ...storeSettings });
            const env = run.byName("spark-connect-deployment-spark-connect").inputs.spec.template.spec.containers[0].env;
            assert.ok(env.some((e: { valueFrom?: { secretKeyRef?: { name: string } } }) => e.valueFrom?.secretKeyRef?.name === "spark-object-store"));
        });
    });

    describe("connect-start.sh", () => {
        const script = path.join(__dirname, "..", "scripts", "pod", "connect-start.sh");
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "connect-start-"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.mkdirSync(path.join(dir, "conf"));
            fs.writeFileSync(path.join(dir, "conf", "spark-defaults.conf"), "spark.master local\n");
            fs.writeFileSync(path.join(dir, "bin", "spark-submit"), `#!/usr/bin/env bash\necho "$$" > "${dir}/pid"\nprintf '%s\\n' "$@" > "${dir}/args"\n`, { mode: 0o755 });
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        const run = (env: Record<string, string>) =>
            spawnSync("bash", [script], { env: { PATH: "/usr/bin:/bin", SPARK_HOME: dir, SPARK_CONF_DIR: path.join(dir, "conf"), POD_NAME: "spark-connect-5f7-x2", ...env }, encoding: "utf8" });

        it("passes shellcheck", function () {
            const r = spawnSync(shellcheckPath(), [script], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stdout);
        });

        it("execs the server in its own process, so that SIGTERM reaches the JVM, owning its executors", () => {
            const r = run({});
            assert.equal(r.status, 0, r.stderr);
            // The same process: the container's first process becomes spark-submit (and then java).
            assert.equal(Number(fs.readFileSync(path.join(dir, "pid"), "utf8")), r.pid);
            assert.deepEqual(fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n"), [
                "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                "--conf", "spark.kubernetes.driver.pod.name=spark-connect-5f7-x2",
            ]);
        });

        it("refuses to start without its pod name or its spark-defaults.conf", () => {
            assert.match(run({ POD_NAME: "" }).stderr, /POD_NAME is not set/);
            fs.rmSync(path.join(dir, "conf", "spark-defaults.conf"));
            const r = run({});
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /no spark-defaults.conf in /);
            assert.ok(!fs.existsSync(path.join(dir, "pid")));
        });
    });
});

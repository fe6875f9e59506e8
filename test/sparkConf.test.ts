import * as assert from "node:assert/strict";
import { validateConfig } from "../config";
import { jupyterDefaults } from "../render/platform";
import { executorSizing, historyServerConf, jobsConf, jupyterConf, s3aJarsDir, toSparkDefaults } from "../render/sparkConf";
import { historyServerObjects } from "../render/manifests";
import { spark } from "../versions";

/** Bytes of a Kubernetes quantity or a JVM/Spark size ("1g", "1536Mi", "10Gi", "256m"). */
function bytes(q: string): number {
    const m = /^(\d+)([kmgt]i?)?b?$/i.exec(q.trim());
    if (!m) throw new Error(`not a size: ${q}`);
    return Number(m[1]) * 1024 ** (["", "k", "m", "g", "t"].indexOf((m[2] ?? "").toLowerCase().replace("i", "")));
}
import { parseSparkDefaults } from "./render.test";

const uri = "s3a://bucket/spark-events/";

describe("Spark settings for jobs", () => {
    const conf = jobsConf({ eventLogUri: uri, region: "ap-northeast-2" });
    it("logs events to the S3 prefix, one compressed file per application", () => {
        assert.equal(conf["spark.eventLog.enabled"], "true");
        assert.equal(conf["spark.eventLog.dir"], uri);
        // bench/results.md: rolled logs cost the History Server two S3 LISTs per application per scan.
        assert.equal(conf["spark.eventLog.rolling.enabled"], "false");
        assert.match(conf["spark.eventLog.rolling.maxFileSize"], /^\d+m$/);
        assert.equal(conf["spark.eventLog.compress"], "true");
        assert.equal(conf["spark.eventLog.compression.codec"], "zstd");
    });
    it("reads S3 with the instance profile in the stack's region", () => {
        assert.equal(conf["spark.hadoop.fs.s3a.aws.credentials.provider"], "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
        assert.equal(conf["spark.hadoop.fs.s3a.endpoint.region"], "ap-northeast-2");
    });
    it("mounts the node's S3A jars into driver and executors and appends them to both classpaths", () => {
        for (const role of ["driver", "executor"]) {
            assert.equal(conf[`spark.kubernetes.${role}.volumes.hostPath.s3a-jars.options.path`], s3aJarsDir);
            assert.equal(conf[`spark.kubernetes.${role}.volumes.hostPath.s3a-jars.mount.path`], s3aJarsDir);
            assert.equal(conf[`spark.kubernetes.${role}.volumes.hostPath.s3a-jars.mount.readOnly`], "true");
            assert.equal(conf[`spark.${role}.extraClassPath`], undefined, "extraClassPath would put the SDK's SLF4J ahead of Spark's");
        }
        assert.equal(conf["spark.kubernetes.driverEnv.SPARK_DIST_CLASSPATH"], `${s3aJarsDir}/*`);
        assert.equal(conf["spark.executorEnv.SPARK_DIST_CLASSPATH"], `${s3aJarsDir}/*`);
    });
    it("resolves packages into a writable ivy folder in the operator's pod", () => {
        assert.equal(conf["spark.jars.ivy"], "/tmp/.ivy2");
    });
});

describe("Spark settings for the History Server", () => {
    const conf = historyServerConf({ eventLogUri: uri, region: "ap-northeast-2", retentionDays: 14, uiPort: 18080, storePath: "/var/lib/spark-history" });
    it("reads the event-log prefix with the instance profile", () => {
        assert.equal(conf["spark.history.fs.logDirectory"], uri);
        assert.equal(conf["spark.hadoop.fs.s3a.aws.credentials.provider"], "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider");
    });
    it("keeps a local store for fast restarts and serves on the UI port", () => {
        assert.equal(conf["spark.history.store.path"], "/var/lib/spark-history");
        assert.equal(conf["spark.history.ui.port"], "18080");
    });
    it("keeps the benchmarked tuning within the Deployment's 1g heap and 10Gi store volume", () => {
        assert.equal(conf["spark.history.fs.update.interval"], "5s");
        assert.equal(conf["spark.history.fs.numReplayThreads"], "4");
        assert.equal(conf["spark.history.store.hybridStore.enabled"], "true");
        assert.equal(conf["spark.history.store.hybridStore.maxMemoryUsage"], "256m");
        assert.equal(conf["spark.history.store.maxDiskUsage"], "8g");
    });
    it("fits the History Server's stores into the heap and the volume its Deployment gives it", () => {
        const dep: any = historyServerObjects({ namespace: "h", sparkDefaults: "", uiPort: 18080, nodePort: 30080, storePath: "/s", image: "i", serviceType: "NodePort", sourceRanges: [] })
            .find((o) => o.kind === "Deployment");
        const pod = dep.spec.template.spec;
        const c = pod.containers[0];
        const heap = bytes(c.env.find((e: any) => e.name === "SPARK_DAEMON_MEMORY").value);
        const limit = bytes(c.resources.limits.memory);
        const store = bytes(pod.volumes.find((v: any) => v.name === "store").emptyDir.sizeLimit);
        // bench/results.md measured 1000 applications with a 1g heap: no less than that.
        assert.ok(heap >= bytes("1g"), `heap ${c.env.find((e: any) => e.name === "SPARK_DAEMON_MEMORY").value}`);
        assert.ok(bytes(conf["spark.history.store.hybridStore.maxMemoryUsage"]) <= heap / 4, "the in-memory store takes more than a quarter of the heap");
        assert.ok(bytes(conf["spark.history.store.maxDiskUsage"]) <= store * 0.85, "the disk store may outgrow its emptyDir (the pod is evicted)");
        assert.ok(limit >= heap + bytes("512Mi"), "no room for the JVM beyond its heap: the container is OOM-killed");
    });
    it("cleans logs at the bucket's retention", () => {
        assert.equal(conf["spark.history.fs.cleaner.enabled"], "true");
        assert.equal(conf["spark.history.fs.cleaner.maxAge"], "14d");
    });
});

describe("Spark settings for JupyterLab (client mode)", () => {
    const sizing = executorSizing({ vcpu: 4, memoryGiB: 16 }, 2);
    const conf = jupyterConf({
        eventLogUri: uri,
        region: "ap-northeast-2",
        namespace: "spark-jobs",
        driverHost: "jupyter-driver.spark-jobs.svc.cluster.local",
        driverPort: 29413,
        blockManagerPort: 29414,
        executors: sizing,
        driverMemory: "2g",
        image: spark.image,
    });
    it("talks to the cluster's API server from inside the cluster", () => assert.equal(conf["spark.master"], "k8s://https://kubernetes.default.svc"));
    it("runs the driver in the notebook (client mode)", () => assert.equal(conf["spark.submit.deployMode"], "client"));
    it("runs executors in the job namespace", () => assert.equal(conf["spark.kubernetes.namespace"], "spark-jobs"));
    it("pins the executor image to the platform's Spark image", () => assert.equal(conf["spark.kubernetes.container.image"], spark.image));
    it("tells executors to reach the driver through the headless Service", () => assert.equal(conf["spark.driver.host"], "jupyter-driver.spark-jobs.svc.cluster.local"));
    it("binds the driver on all interfaces of the pod", () => assert.equal(conf["spark.driver.bindAddress"], "0.0.0.0"));
    it("fixes the driver and block-manager ports that the Service exposes", () => {
        assert.equal(conf["spark.driver.port"], "29413");
        assert.equal(conf["spark.driver.blockManager.port"], "29414");
    });
    it("logs events to the S3 prefix", () => assert.equal(conf["spark.eventLog.dir"], uri));
    it("appends the S3A jars to the executors' classpath, mounting them into executors", () => {
        assert.equal(conf["spark.executorEnv.SPARK_DIST_CLASSPATH"], `${s3aJarsDir}/*`);
        assert.equal(conf["spark.driver.extraClassPath"], undefined);
        assert.equal(conf["spark.kubernetes.executor.volumes.hostPath.s3a-jars.options.path"], s3aJarsDir);
    });
    it("sizes executors for the worker type", () => {
        assert.equal(conf["spark.executor.instances"], "2");
        assert.equal(conf["spark.executor.cores"], "2");
        assert.equal(conf["spark.executor.memory"], "7g");
    });
    it("uses the image's python3 on both sides", () => {
        assert.equal(conf["spark.pyspark.python"], "python3");
        assert.equal(conf["spark.pyspark.driver.python"], "python3");
    });
    it("cleans up executor pods when the session ends", () => assert.equal(conf["spark.kubernetes.executor.deleteOnTermination"], "true"));
    it("renders the stack's worker type into the sizing", () => {
        const cfg = validateConfig({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.1/32"], workerInstanceType: "m6i.2xlarge", workerCount: 3 });
        const parsed = parseSparkDefaults(jupyterDefaults(cfg, uri, "spark-jobs"));
        assert.deepEqual([parsed["spark.executor.instances"], parsed["spark.executor.cores"], parsed["spark.executor.memory"]], ["3", "4", "14g"]);
    });
});

describe("executor sizing", () => {
    it("leaves at least half of each worker for the system and other pods", () => {
        for (const node of [{ vcpu: 2, memoryGiB: 8 }, { vcpu: 4, memoryGiB: 16 }, { vcpu: 8, memoryGiB: 32 }, { vcpu: 4, memoryGiB: 8 }]) {
            const s = executorSizing(node, 1);
            assert.ok(s.cores <= node.vcpu / 2);
            assert.ok(parseInt(s.memory) * 1.1 <= node.memoryGiB * 0.5 + 0.01, JSON.stringify([node, s]));
            assert.ok(parseInt(s.requestCores) < s.cores * 1000);
        }
    });
});

describe("spark-defaults text", () => {
    it("writes sorted key/value lines under a comment header", () => {
        const text = toSparkDefaults({ "b.key": "2", "a.key": "1" }, "header\nsecond");
        assert.equal(text, "# header\n# second\na.key 1\nb.key 2\n");
    });
});

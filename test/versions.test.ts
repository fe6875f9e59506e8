import * as assert from "node:assert/strict";
import { jobsConf, jupyterConf, executorSizing } from "../render/sparkConf";
import { smokeApplication, historyServerObjects, jupyterObjects } from "../render/manifests";
import { jarUrl, s3aJars, spark, sparkOperator, jupyter, supportedKubernetesMinors, defaultKubernetesMinor, flannel } from "../versions";

describe("version agreements", () => {
    it("uses hadoop-aws at the Hadoop version inside the Spark image", () => {
        const hadoopAws = s3aJars.find((j) => j.artifact === "hadoop-aws")!;
        assert.equal(hadoopAws.version, spark.hadoop);
    });

    it("uses the AWS SDK v2 bundle for Hadoop 3.4 (v1 bundle for Hadoop 3.3)", () => {
        const bundle = s3aJars.find((j) => j.artifact.includes("bundle"))!;
        if (spark.hadoop.startsWith("3.4")) {
            assert.deepEqual([bundle.group, bundle.artifact], ["software.amazon.awssdk", "bundle"]);
        } else {
            assert.deepEqual([bundle.group, bundle.artifact], ["com.amazonaws", "aws-java-sdk-bundle"]);
        }
    });

    it("pins every jar with a sha256 and a Maven Central URL", () => {
        for (const j of s3aJars) {
            assert.match(j.sha256, /^[0-9a-f]{64}$/);
            assert.ok(jarUrl(j).startsWith("https://repo1.maven.org/maven2/"));
        }
    });

    it("runs jobs on the Spark the operator submits with", () => {
        assert.equal(sparkOperator.bundledSpark, spark.version);
    });

    it("tags the image with the pinned Spark version and Scala", () => {
        assert.ok(spark.image.startsWith(`apache/spark:${spark.version}-scala${spark.scalaBinary}-`));
        assert.match(spark.image, /python3/);
    });

    it("gives the smoke job an image and sparkVersion that agree", () => {
        const app: any = smokeApplication({ name: "s", namespace: "n", serviceAccount: "spark", sparkConf: {}, partitions: 2 });
        assert.equal(app.spec.sparkVersion, spark.version);
        assert.ok(app.spec.image.includes(`:${app.spec.sparkVersion}-`));
    });

    it("uses one image for jobs, the History Server, the notebook (driver) and its executors", () => {
        const hs: any = historyServerObjects({ namespace: "h", sparkDefaults: "", uiPort: 18080, nodePort: 30080, storePath: "/s" }).find((o) => o.kind === "Deployment");
        const nb: any = jupyterObjects({
            namespace: "n", sparkDefaults: "", startScript: "", kernelStartup: "", notebooks: {}, token: "t", nodePort: 30088, driverPort: 1, blockManagerPort: 2,
            nodeName: "w", dataDir: "/d", jupyterlabVersion: jupyter.jupyterlab, driverMemory: "1g", dataUri: "s3a://b/d/", historyServerUrl: "http://x",
        }).find((o) => o.kind === "Deployment");
        const executors = jupyterConf({ eventLogUri: "s3a://b/p/", region: "r", namespace: "n", driverHost: "h", driverPort: 1, blockManagerPort: 2, executors: executorSizing({ vcpu: 4, memoryGiB: 16 }, 1), driverMemory: "1g" });
        assert.equal(hs.spec.template.spec.containers[0].image, spark.image);
        assert.equal(nb.spec.template.spec.containers[0].image, spark.image);
        assert.equal(executors["spark.kubernetes.container.image"], spark.image);
        // Same image => the kernel's Python and Spark minors equal the executors'.
        assert.equal(spark.python, "3.10");
    });

    it("runs the notebook kernel with the image's python3 on both sides", () => {
        const conf = jobsConf({ eventLogUri: "s3a://b/p/", region: "r" });
        assert.equal(conf["spark.pyspark.python"], undefined, "jobs use the image default");
        const nb = jupyterConf({ eventLogUri: "s3a://b/p/", region: "r", namespace: "n", driverHost: "h", driverPort: 1, blockManagerPort: 2, executors: executorSizing({ vcpu: 4, memoryGiB: 16 }, 1), driverMemory: "1g" });
        // Both set, both the image's python3: the kernel runs that Python (jupyter-start.sh), and an
        // unset key would let Spark pick another interpreter on one side.
        assert.deepEqual([nb["spark.pyspark.python"], nb["spark.pyspark.driver.python"]], ["python3", "python3"]);
    });

    it("defaults to a supported Kubernetes minor and pins Flannel", () => {
        assert.ok((supportedKubernetesMinors as readonly string[]).includes(defaultKubernetesMinor));
        assert.match(flannel.version, /^v\d+\.\d+\.\d+$/);
    });
});

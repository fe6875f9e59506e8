import * as assert from "node:assert/strict";
import { jobsConf, jupyterConf, executorSizing } from "../render/sparkConf";
import { smokeApplication } from "../render/manifests";
import { historyManifests, jupyterDefaults, jupyterManifests, nodeSetupManifests, selfCheckManifests, smokeManifest } from "../render/platform";
import { RawConfig, validateConfig } from "../config";
import { parseSparkDefaults } from "./render.test";
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

    it("submits jobs with the operator's spark-submit of the same major line, not newer than the jobs' Spark", () => {
        // The controller image's Spark (4.0.4) submits 4.1 applications: the cluster tier runs them.
        const [opMajor, opMinor] = sparkOperator.bundledSpark.split(".").map(Number);
        const [major, minor] = spark.version.split(".").map(Number);
        assert.equal(opMajor, major);
        assert.ok(opMinor <= minor, `spark-submit ${sparkOperator.bundledSpark} is newer than the jobs' ${spark.version}`);
    });

    it("tags the image with the pinned Spark version and Scala", () => {
        assert.ok(spark.image.startsWith(`apache/spark:${spark.version}-scala${spark.scalaBinary}-`));
        assert.match(spark.image, /python3/);
    });

    it("gives the smoke job an image and sparkVersion that agree", () => {
        const app: any = smokeApplication({ name: "s", namespace: "n", serviceAccount: "spark", sparkConf: {}, partitions: 2, image: spark.image });
        assert.equal(app.spec.sparkVersion, spark.version);
        assert.ok(app.spec.image.includes(`:${app.spec.sparkVersion}-`));
    });

    // Every image of every pod the program makes, for a stack's config.
    function imagesOf(raw: RawConfig): Set<string> {
        const cfg = validateConfig(raw);
        const objects = [
            ...historyManifests(cfg, ""),
            ...jupyterManifests(cfg, "w", { sparkDefaults: "", token: "t", dataUri: "s3a://b/d/", historyServerUrl: "http://x" }),
            smokeManifest(cfg, {}, "spark"),
            ...selfCheckManifests(cfg, "uid"),
            ...nodeSetupManifests(cfg),
        ];
        const images = new Set<string>();
        for (const o of objects as any[]) {
            if (o.spec?.image) images.add(o.spec.image);
            const pod = o.spec?.template?.spec;
            for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) images.add(c.image);
        }
        images.add(parseSparkDefaults(jupyterDefaults(cfg, "s3a://b/p/", "n"))["spark.kubernetes.container.image"]);
        return images;
    }

    it("uses one image for jobs, the History Server, the notebook (driver), its executors, the self-check and node set-up", () => {
        assert.deepEqual([...imagesOf({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"] })], [spark.image]);
        // Same image => the kernel's Python and Spark minors equal the executors'.
        assert.equal(spark.python, "3.10");
    });

    it("takes every image from the imageRegistry mirror when one is set", () => {
        const images = imagesOf({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"], imageRegistry: "registry.example.com:5000/mirror" });
        assert.deepEqual([...images], [`registry.example.com:5000/mirror/${spark.image}`]);
    });

    it("runs the notebook kernel with the image's python3 on both sides", () => {
        const conf = jobsConf({ eventLogUri: "s3a://b/p/", region: "r" });
        assert.equal(conf["spark.pyspark.python"], undefined, "jobs use the image default");
        const nb = jupyterConf({ eventLogUri: "s3a://b/p/", region: "r", namespace: "n", driverHost: "h", driverPort: 1, blockManagerPort: 2, executors: executorSizing({ vcpu: 4, memoryGiB: 16 }, 1), driverMemory: "1g", image: spark.image });
        // Both set, both the image's python3: the kernel runs that Python (jupyter-start.sh), and an
        // unset key would let Spark pick another interpreter on one side.
        assert.deepEqual([nb["spark.pyspark.python"], nb["spark.pyspark.driver.python"]], ["python3", "python3"]);
    });

    it("defaults to a supported Kubernetes minor and pins Flannel", () => {
        assert.ok((supportedKubernetesMinors as readonly string[]).includes(defaultKubernetesMinor));
        assert.match(flannel.version, /^v\d+\.\d+\.\d+$/);
    });
});

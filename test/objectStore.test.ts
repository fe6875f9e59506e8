import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { RawConfig, validateConfig } from "../config";
import { problemsOf } from "./config.test";
import { placeholders, renderAll } from "../render/all";
import { parseSparkDefaults } from "./render.test";
import { baseConfig, isSecretInput, runProgram, valueOf } from "./support/program";

const valid: RawConfig = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.10/32"] };
/** A store of the user's as stack settings, for the program under mocks. */
export const storeSettings: Record<string, string> = {
    "spark-on-k8s:objectStoreEndpoint": "https://minio.example.com:9000",
    "spark-on-k8s:objectStoreBucket": "team-spark",
    "spark-on-k8s:objectStoreAccessKey": "AKIDEXAMPLE",
    "spark-on-k8s:objectStoreSecretKey": "wJalrXUtnFEMI",
};

export const store: RawConfig = {
    objectStoreEndpoint: "https://minio.example.com:9000",
    objectStoreBucket: "team-spark",
    objectStoreAccessKey: "<secret>",
    objectStoreSecretKey: "<secret>",
};

describe("a store of the user's (objectStore* settings)", function () {
    this.timeout(120000);

    describe("config", () => {
        it("is off by default: S3 through the instance profile", () => {
            assert.equal(validateConfig(valid).objectStore, undefined);
        });

        it("takes endpoint and bucket, with the stack's region and path-style access by default", () => {
            assert.deepEqual(validateConfig({ ...valid, ...store }).objectStore, {
                endpoint: "https://minio.example.com:9000",
                bucket: "team-spark",
                region: "ap-northeast-2",
                pathStyle: true,
            });
            const own = validateConfig({ ...valid, ...store, objectStoreRegion: "auto", objectStorePathStyle: "false", objectStoreEndpoint: "http://10.0.0.5:9000/" });
            assert.deepEqual(own.objectStore, { endpoint: "http://10.0.0.5:9000", bucket: "team-spark", region: "auto", pathStyle: false });
        });

        it("names every missing setting an endpoint needs", () => {
            const problems = problemsOf({ ...valid, objectStoreEndpoint: "https://minio.example.com" });
            assert.equal(problems.length, 3, problems.join("\n"));
            assert.match(problems[0], /spark-on-k8s:objectStoreBucket is not set; it is required with spark-on-k8s:objectStoreEndpoint/);
            assert.match(problems[1], /spark-on-k8s:objectStoreAccessKey is not set.*pulumi config set --secret objectStoreAccessKey/);
            assert.match(problems[2], /spark-on-k8s:objectStoreSecretKey is not set.*pulumi config set --secret objectStoreSecretKey/);
        });

        it("refuses store settings without an endpoint, naming them", () => {
            const problems = problemsOf({ ...valid, objectStoreBucket: "team-spark", objectStorePathStyle: false });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^spark-on-k8s:objectStoreBucket, spark-on-k8s:objectStorePathStyle are set without spark-on-k8s:objectStoreEndpoint/);
        });

        it("refuses an endpoint with a path or another scheme, and a bad bucket name", () => {
            for (const endpoint of ["https://minio.example.com/bucket", "s3://minio.example.com", "minio.example.com"]) {
                const problems = problemsOf({ ...valid, ...store, objectStoreEndpoint: endpoint });
                assert.equal(problems.length, 1, endpoint);
                assert.match(problems[0], /objectStoreEndpoint is .*expected http\(s\):\/\/host\[:port\] with no path/);
            }
            for (const bucket of ["Team_Spark", "ab", "a..b"]) {
                const problems = problemsOf({ ...valid, ...store, objectStoreBucket: bucket });
                assert.equal(problems.length, 1, bucket);
                assert.match(problems[0], /objectStoreBucket is .*expected an S3 bucket name/);
            }
        });
    });

    describe("render", () => {
        const files = renderAll(validateConfig({ ...valid, ...store }), "byo");
        const k8s = (f: string) => parse(files[`k8s/${f}`]);

        it("points every Spark at the store, with its keys from the Secret (never in the conf)", () => {
            const jobs = parseSparkDefaults(files["spark/jobs.conf"]);
            const hs = parseSparkDefaults(files["spark/history-server.conf"]);
            const nb = parseSparkDefaults(files["spark/jupyter.conf"]);
            for (const conf of [jobs, hs, nb]) {
                assert.equal(conf["spark.hadoop.fs.s3a.endpoint"], "https://minio.example.com:9000");
                assert.equal(conf["spark.hadoop.fs.s3a.path.style.access"], "true");
                assert.equal(conf["spark.hadoop.fs.s3a.aws.credentials.provider"], "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider");
            }
            assert.equal(jobs["spark.eventLog.dir"], "s3a://team-spark/spark-events/");
            for (const role of ["driver", "executor"]) {
                for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
                    assert.equal(jobs[`spark.kubernetes.${role}.secretKeyRef.${key}`], `spark-object-store:${key}`);
                }
            }
            // The notebook's driver is the JupyterLab pod: only its executors take the Secret.
            assert.equal(nb["spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY"], "spark-object-store:AWS_SECRET_ACCESS_KEY");
            assert.equal(nb["spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY"], undefined);
            assert.ok(!Object.keys(hs).some((k) => k.includes("secretKeyRef")));
        });

        it("gives the History Server and JupyterLab the keys from a Secret in their own namespace", () => {
            for (const [file, ns] of [["deployment-spark-history-server.yaml", "spark-history"], ["deployment-jupyter.yaml", "spark-jobs"]]) {
                const env = k8s(file).spec.template.spec.containers[0].env;
                for (const key of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
                    assert.deepEqual(env.find((e: { name: string }) => e.name === key)?.valueFrom, { secretKeyRef: { name: "spark-object-store", key } }, file);
                }
                const secret = k8s(`secret-spark-object-store.${ns}.yaml`);
                assert.equal(secret.metadata.namespace, ns);
                assert.deepEqual(secret.stringData, { AWS_ACCESS_KEY_ID: placeholders.objectStoreAccessKey, AWS_SECRET_ACCESS_KEY: placeholders.objectStoreSecretKey });
            }
        });

        it("writes no S3 bucket policy or lifecycle rules: the store is the user's", () => {
            assert.deepEqual(Object.keys(files).filter((f) => f.startsWith("aws/")), []);
            const s3 = renderAll(validateConfig(valid), "s3");
            assert.ok(s3["aws/node-s3-policy.json"] && s3["aws/lifecycle-rules.json"]);
            assert.ok(!Object.keys(s3).some((f) => f.includes("spark-object-store")));
            assert.ok(!s3["spark/jobs.conf"].includes("secretKeyRef"));
        });
    });

    describe("program under mocks", () => {
        const config = { ...baseConfig, ...storeSettings };

        it("makes no bucket and no S3 rights, and hands the keys to Kubernetes as secrets", async () => {
            const run = await runProgram(config);
            assert.deepEqual(run.resources.filter((r) => r.type.startsWith("aws:s3")).map((r) => r.name), []);
            assert.deepEqual(run.resources.filter((r) => r.name.startsWith("event-logs")).map((r) => r.name), []);
            const secrets = run.ofType("kubernetes:core/v1:Secret").filter((r) => r.inputs.metadata.name === "spark-object-store");
            assert.deepEqual(secrets.map((s) => s.inputs.metadata.namespace).sort(), ["spark-history", "spark-jobs"]);
            for (const s of secrets) {
                assert.ok(isSecretInput(s.inputs.stringData) || isSecretInput(s.inputs.stringData.AWS_SECRET_ACCESS_KEY), `${s.name} holds the keys in plain text`);
            }
            assert.equal(await valueOf(run.outputs.eventLogUri), "s3a://team-spark/spark-events/");
            assert.equal(await valueOf(run.outputs.eventLogBucket), "team-spark");
            const app = run.ofType("kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication")[0];
            assert.equal(app.inputs.spec.sparkConf["spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID"], "spark-object-store:AWS_ACCESS_KEY_ID");
            // The keys are in the cluster before anything reads them.
            assert.ok(run.waitsFor("history-deployment-spark-history-server", secrets.find((s) => s.inputs.metadata.namespace === "spark-history")!.name));
        });
    });
});

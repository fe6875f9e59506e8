import * as fs from "fs";
import * as path from "path";
import { instanceTypes, StackConfig } from "../config";
import { jarFileName, jarUrl, jupyter, s3aJars, spark } from "../versions";
import { historyServerName, historyServerObjects, jupyterDriverHost, jupyterObjects, K8sObject, smokeApplication, Value } from "./manifests";
import { executorSizing, historyServerConf, jobsConf, jupyterConf, ObjectStoreAccess, s3aJarsDir, SparkConf, toSparkDefaults } from "./sparkConf";

/** Folder on the first worker that holds JupyterLab's notebooks (made by scripts/prepare-node.sh). */
export const jupyterDataDir = "/var/lib/spark-platform/jupyter";
export const historyNamespace = "spark-history";

/** Spark settings that depend on the stack's config: shared by the program and `npm run render`. */

export const historyUiPort = 18080;
export const historyStorePath = "/var/lib/spark-history";
export const jupyterDriverPort = 29413;
export const jupyterBlockManagerPort = 29414;
export const jupyterDriverMemory = "2g";
export const smokeApplicationName = "spark-smoke-test";

/** Region and, for a store of the user's, its endpoint: where Spark's S3A client goes. */
export function s3Location(cfg: StackConfig): { region: string; objectStore?: ObjectStoreAccess } {
    if (!cfg.objectStore) return { region: cfg.region };
    return { region: cfg.objectStore.region, objectStore: { endpoint: cfg.objectStore.endpoint, pathStyle: cfg.objectStore.pathStyle } };
}

/** Settings of every SparkApplication (the smoke test's sparkConf, jobs.conf). */
export function jobSparkConf(cfg: StackConfig, eventLogUri: string): SparkConf {
    return jobsConf({ eventLogUri, ...s3Location(cfg) });
}

export function historyServerDefaults(cfg: StackConfig, eventLogUri: string): string {
    return toSparkDefaults(
        historyServerConf({
            eventLogUri,
            ...s3Location(cfg),
            retentionDays: cfg.eventLogRetentionDays,
            uiPort: historyUiPort,
            storePath: historyStorePath,
        }),
        "Spark History Server: reads event logs from S3 with the node's instance profile.",
    );
}

/** The notebook kernels' spark-defaults.conf: client mode, executors sized for the workers. */
export function jupyterDefaults(cfg: StackConfig, eventLogUri: string, jobNamespace: string): string {
    return toSparkDefaults(
        jupyterConf({
            eventLogUri,
            ...s3Location(cfg),
            namespace: jobNamespace,
            driverHost: jupyterDriverHost(jobNamespace),
            driverPort: jupyterDriverPort,
            blockManagerPort: jupyterBlockManagerPort,
            driverMemory: jupyterDriverMemory,
            executors: executorSizing(instanceTypes[cfg.workerInstanceType], cfg.workerCount),
        }),
        "JupyterLab kernels: PySpark in client mode, executors as pods in the job namespace.",
    );
}

export function jobsDefaults(cfg: StackConfig, eventLogUri: string): string {
    return toSparkDefaults(jobSparkConf(cfg, eventLogUri), "SparkApplications: the smoke test runs with exactly these settings.");
}

const root = path.join(__dirname, "..");

/** The container entry point of JupyterLab (scripts/pod/jupyter-start.sh). */
export function jupyterStartScript(): string {
    return fs.readFileSync(path.join(root, "scripts", "pod", "jupyter-start.sh"), "utf8");
}

/** The IPython startup file of the notebook kernels (scripts/pod/spark-session.py). */
export function kernelStartupFile(): string {
    return fs.readFileSync(path.join(root, "scripts", "pod", "spark-session.py"), "utf8");
}

/** The notebooks shipped in notebooks/, file name to JSON text. */
export function shippedNotebooks(): Record<string, string> {
    const dir = path.join(root, "notebooks");
    const out: Record<string, string> = {};
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
        out[f] = fs.readFileSync(path.join(dir, f), "utf8");
    }
    return out;
}

/** Where users open the History Server: a NodePort on the control plane's public address. */
export function historyServerUrl(cfg: StackConfig, publicIp: string): string {
    return `http://${publicIp}:${cfg.historyServerNodePort}`;
}

/** The History Server's objects for this stack. */
export function historyManifests(cfg: StackConfig, sparkDefaults: Value<string>): K8sObject[] {
    return historyServerObjects({
        namespace: historyNamespace,
        sparkDefaults,
        uiPort: historyUiPort,
        nodePort: cfg.historyServerNodePort,
        storePath: historyStorePath,
        objectStoreKeys: cfg.objectStore !== undefined,
    });
}

/** JupyterLab's objects for this stack; the notebooks live on `notebookNode`. */
export function jupyterManifests(
    cfg: StackConfig,
    notebookNode: string,
    values: { sparkDefaults: Value<string>; token: Value<string>; dataUri: Value<string>; historyServerUrl: Value<string> },
): K8sObject[] {
    return jupyterObjects({
        namespace: cfg.jobNamespace,
        objectStoreKeys: cfg.objectStore !== undefined,
        sparkDefaults: values.sparkDefaults,
        startScript: jupyterStartScript(),
        kernelStartup: kernelStartupFile(),
        notebooks: shippedNotebooks(),
        token: values.token,
        dataUri: values.dataUri,
        historyServerUrl: values.historyServerUrl,
        nodePort: cfg.jupyterNodePort,
        driverPort: jupyterDriverPort,
        blockManagerPort: jupyterBlockManagerPort,
        nodeName: notebookNode,
        dataDir: jupyterDataDir,
        jupyterlabVersion: jupyter.jupyterlab,
        driverMemory: jupyterDriverMemory,
    });
}

/** Namespaces whose pods read a store of the user's: each gets the Secret with its keys. */
export function objectStoreSecretNamespaces(cfg: StackConfig): string[] {
    return cfg.objectStore ? [cfg.jobNamespace, historyNamespace] : [];
}

/** How long the smoke job and its listing in the History Server may take. */
export const smokeTimeoutSeconds = 900;

/** Environment of scripts/smoke-check.sh, run on the control plane (the History Server on its NodePort there). */
export function smokeCheckEnv(cfg: StackConfig): Record<string, string> {
    return {
        NAMESPACE: cfg.jobNamespace,
        APP_NAME: smokeApplicationName,
        HISTORY_URL: `http://127.0.0.1:${cfg.historyServerNodePort}`,
        HISTORY_NAMESPACE: historyNamespace,
        HISTORY_SELECTOR: `app.kubernetes.io/name=${historyServerName}`,
        TIMEOUT_SECONDS: String(smokeTimeoutSeconds),
    };
}

/** The smoke SparkApplication: Pi in Python with exactly the job settings. */
export function smokeManifest(cfg: StackConfig, sparkConf: Value<SparkConf>, serviceAccount: string): K8sObject {
    return smokeApplication({ name: smokeApplicationName, namespace: cfg.jobNamespace, serviceAccount, sparkConf, partitions: 10 });
}

/** Newline-separated `file url sha256` lines: the S3A jars every node downloads and checks. */
export function s3aJarList(): string {
    return s3aJars.map((j) => `${jarFileName(j)} ${jarUrl(j)} ${j.sha256}`).join("\n");
}

/** Environment of scripts/prepare-node.sh for one node. */
export function prepareNodeEnv(cfg: StackConfig, withJupyterData: boolean): Record<string, string> {
    return {
        KUBERNETES_MINOR: cfg.kubernetesVersion,
        S3A_JARS_DIR: s3aJarsDir,
        S3A_JARS: s3aJarList(),
        SPARK_UID: String(spark.uid),
        ...(withJupyterData ? { JUPYTER_DATA_DIR: jupyterDataDir } : {}),
    };
}

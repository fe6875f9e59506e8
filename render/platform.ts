import * as fs from "fs";
import * as path from "path";
import { StackConfig } from "../config";
import { jarFileName, jarUrl, jupyter, s3aJars, spark, sparkConnect } from "../versions";
import {
    historyServerName, historyServerObjects, jupyterDriverHost, jupyterObjects, jupyterPort, K8sObject, NotebookStorage, nodeSetupObjects,
    selfCheckObjects, smokeApplication, sparkConnectDriverHost, sparkConnectObjects, sparkConnectUrl, Value,
} from "./manifests";
import {
    connectConf, executorSizing, historyServerConf, jobsConf, jupyterConf, ObjectStoreAccess, s3aJarsDir, SparkConf, toSparkDefaults,
} from "./sparkConf";

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

/**
 * Whether pods take store keys from the Secret spark-object-store: with a store of the user's,
 * and on a cluster of the user's (its nodes have no instance profile: the keys are an IAM user's).
 */
export function keysFromSecret(cfg: StackConfig): boolean {
    return cfg.objectStore !== undefined || cfg.existingCluster !== undefined;
}

/** Region and, for a store of the user's, its endpoint: where Spark's S3A client goes, and with which keys. */
export function s3Location(cfg: StackConfig): { region: string; objectStore?: ObjectStoreAccess } {
    if (!cfg.objectStore) return keysFromSecret(cfg) ? { region: cfg.region, objectStore: {} } : { region: cfg.region };
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
            executors: executorSizing(cfg.workerNode, cfg.workerCount),
            image: sparkImage(cfg),
        }),
        "JupyterLab kernels: PySpark in client mode, executors as pods in the job namespace.",
    );
}

export const connectDriverPort = 7078;
export const connectBlockManagerPort = 7079;
export const connectDriverMemory = "2g";

/** spark-defaults.conf of the Spark Connect server: executors come with queries, up to one per worker. */
export function connectDefaults(cfg: StackConfig, eventLogUri: string, jobNamespace: string): string {
    return toSparkDefaults(
        connectConf({
            eventLogUri,
            ...s3Location(cfg),
            namespace: jobNamespace,
            driverHost: sparkConnectDriverHost(jobNamespace),
            driverPort: connectDriverPort,
            blockManagerPort: connectBlockManagerPort,
            port: sparkConnect.port,
            driverMemory: connectDriverMemory,
            executors: executorSizing(cfg.workerNode, cfg.workerCount),
            image: sparkImage(cfg),
        }),
        "Spark Connect server: the driver of every client session, executors as pods in the job namespace.",
    );
}

/** Where clients inside the cluster reach the Spark Connect server; undefined when sparkConnect is off. */
export function connectUrl(cfg: StackConfig): string | undefined {
    return cfg.sparkConnect ? sparkConnectUrl(cfg.jobNamespace, sparkConnect.port) : undefined;
}

/** The Spark Connect server's objects (none when sparkConnect is off); drivers run as `serviceAccount`. */
export function connectManifests(cfg: StackConfig, sparkDefaults: Value<string>, serviceAccount: string): K8sObject[] {
    if (!cfg.sparkConnect) return [];
    return sparkConnectObjects({
        namespace: cfg.jobNamespace,
        sparkDefaults,
        startScript: podFile("connect-start.sh"),
        serviceAccount,
        objectStoreKeys: keysFromSecret(cfg),
        image: sparkImage(cfg),
        port: sparkConnect.port,
        driverPort: connectDriverPort,
        blockManagerPort: connectBlockManagerPort,
    });
}

/** How a user reaches the server from a machine with the stack's kubeconfig. */
export function connectFromLaptop(cfg: StackConfig): { portForward: string; url: string } | undefined {
    if (!cfg.sparkConnect) return undefined;
    return {
        portForward: `kubectl -n ${cfg.jobNamespace} port-forward service/spark-connect ${sparkConnect.port}:${sparkConnect.port}`,
        url: `sc://localhost:${sparkConnect.port}`,
    };
}

export function jobsDefaults(cfg: StackConfig, eventLogUri: string): string {
    return toSparkDefaults(jobSparkConf(cfg, eventLogUri), "SparkApplications: the smoke test runs with exactly these settings.");
}

const root = path.join(__dirname, "..");

/** The container entry point of JupyterLab (scripts/pod/jupyter-start.sh). */
export function jupyterStartScript(): string {
    return podFile("jupyter-start.sh");
}

/** The IPython startup file of the notebook kernels (scripts/pod/spark-session.py). */
export function kernelStartupFile(): string {
    return podFile("spark-session.py");
}

/** A file of scripts/pod/, which the program ships into pods through ConfigMaps. */
function podFile(name: string): string {
    return fs.readFileSync(path.join(root, "scripts", "pod", name), "utf8");
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

/** The Spark image of every pod, from the imageRegistry mirror when one is set. */
export function sparkImage(cfg: StackConfig): string {
    return cfg.imageRegistry ? `${cfg.imageRegistry}/${spark.image}` : spark.image;
}

/**
 * Where users open the History Server: a NodePort on the public address (the control plane's
 * Elastic IP, or publicAddress), or port 18080 of the load balancer's address.
 */
export function historyServerUrl(cfg: StackConfig, address: string): string {
    return `http://${urlHost(address)}:${cfg.serviceType === "LoadBalancer" ? historyUiPort : cfg.historyServerNodePort}`;
}

/** JupyterLab's address, on the same terms as historyServerUrl. */
export function jupyterUrl(cfg: StackConfig, address: string): string {
    return `http://${urlHost(address)}:${cfg.serviceType === "LoadBalancer" ? jupyterPort : cfg.jupyterNodePort}/lab`;
}

function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/** The History Server's objects for this stack. */
export function historyManifests(cfg: StackConfig, sparkDefaults: Value<string>): K8sObject[] {
    return historyServerObjects({
        namespace: historyNamespace,
        sparkDefaults,
        uiPort: historyUiPort,
        nodePort: cfg.historyServerNodePort,
        storePath: historyStorePath,
        objectStoreKeys: keysFromSecret(cfg),
        image: sparkImage(cfg),
        serviceType: cfg.serviceType,
        sourceRanges: cfg.allowedCidrs,
    });
}

/**
 * Where the notebooks live: a folder on `notebookNode` (the first worker of the program's own
 * cluster, or notebookNode of a cluster of the user's), else a volume of notebookStorageClass or
 * of the cluster's default StorageClass.
 */
export function notebookStorage(cfg: StackConfig, notebookNode: string | undefined): NotebookStorage {
    if (notebookNode !== undefined) return { node: notebookNode, dir: jupyterDataDir };
    const storageClass = cfg.existingCluster?.notebookStorageClass;
    return storageClass ? { storageClass } : {};
}

/** JupyterLab's objects for this stack; the notebooks live where notebookStorage says. */
export function jupyterManifests(
    cfg: StackConfig,
    notebookNode: string | undefined,
    values: { sparkDefaults: Value<string>; token: Value<string>; dataUri: Value<string>; historyServerUrl: Value<string> },
): K8sObject[] {
    return jupyterObjects({
        namespace: cfg.jobNamespace,
        objectStoreKeys: keysFromSecret(cfg),
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
        storage: notebookStorage(cfg, notebookNode),
        image: sparkImage(cfg),
        serviceType: cfg.serviceType,
        sourceRanges: cfg.allowedCidrs,
        jupyterlabVersion: jupyter.jupyterlab,
        driverMemory: jupyterDriverMemory,
        ...(cfg.sparkConnect ? { sparkConnect: { url: connectUrl(cfg)!, clientPackages: sparkConnect.clientPackages } } : {}),
    });
}

/** Namespaces whose pods read a store of the user's: each gets the Secret with its keys. */
export function objectStoreSecretNamespaces(cfg: StackConfig): string[] {
    return keysFromSecret(cfg) ? [cfg.jobNamespace, historyNamespace] : [];
}

/** How long the smoke job and its listing in the History Server may take. */
export const smokeTimeoutSeconds = 900;

/** Environment of scripts/pod/self-check.py: the History Server through its Service's cluster name. */
export function selfCheckEnv(cfg: StackConfig): Record<string, string> {
    return {
        NAMESPACE: cfg.jobNamespace,
        APP_NAME: smokeApplicationName,
        HISTORY_URL: `http://${historyServerName}.${historyNamespace}.svc.cluster.local:${historyUiPort}`,
        HISTORY_NAMESPACE: historyNamespace,
        HISTORY_SELECTOR: `app.kubernetes.io/name=${historyServerName}`,
        TIMEOUT_SECONDS: String(smokeTimeoutSeconds),
    };
}

/** The smoke SparkApplication: Pi in Python with exactly the job settings. */
export function smokeManifest(cfg: StackConfig, sparkConf: Value<SparkConf>, serviceAccount: string): K8sObject {
    return smokeApplication({ name: smokeApplicationName, namespace: cfg.jobNamespace, serviceAccount, sparkConf, partitions: 10, image: sparkImage(cfg) });
}

/** The self-check Job and what it may read (scripts/pod/self-check.py); `runFor` reruns it. */
export function selfCheckManifests(cfg: StackConfig, runFor: Value<string>): K8sObject[] {
    return selfCheckObjects({
        namespace: cfg.jobNamespace,
        historyNamespace,
        image: sparkImage(cfg),
        script: podFile("self-check.py"),
        env: selfCheckEnv(cfg),
        runFor,
        timeoutSeconds: smokeTimeoutSeconds,
    });
}

/** Namespace of the node-setup DaemonSet (a cluster of the user's only). */
export const nodeSetupNamespace = "spark-node-setup";

/** On a cluster of the user's: the DaemonSet that puts the S3A jars (and the notebooks' folder) on every node. */
export function nodeSetupManifests(cfg: StackConfig): K8sObject[] {
    return nodeSetupObjects({
        namespace: nodeSetupNamespace,
        image: sparkImage(cfg),
        script: podFile("node-setup.py"),
        jars: s3aJarList(cfg),
        ...(cfg.existingCluster?.notebookNode ? { notebookDir: jupyterDataDir } : {}),
    });
}

/** Newline-separated `file url sha256` lines: the S3A jars every node downloads (from s3aJarsRepository) and checks. */
export function s3aJarList(cfg: StackConfig): string {
    return s3aJars.map((j) => `${jarFileName(j)} ${jarUrl(j, cfg.s3aJarsRepository)} ${j.sha256}`).join("\n");
}

/** Environment of scripts/prepare-node.sh for one node. */
export function prepareNodeEnv(cfg: StackConfig, withJupyterData: boolean): Record<string, string> {
    return {
        KUBERNETES_MINOR: cfg.kubernetesVersion,
        S3A_JARS_DIR: s3aJarsDir,
        S3A_JARS: s3aJarList(cfg),
        SPARK_UID: String(spark.uid),
        ...(withJupyterData ? { JUPYTER_DATA_DIR: jupyterDataDir } : {}),
    };
}

import * as fs from "fs";
import * as path from "path";
import { instanceTypes, StackConfig } from "../config";
import { jupyterDriverHost } from "./manifests";
import { executorSizing, historyServerConf, jobsConf, jupyterConf, SparkConf, toSparkDefaults } from "./sparkConf";

/** Spark settings that depend on the stack's config: shared by the program and `npm run render`. */

export const historyUiPort = 18080;
export const historyStorePath = "/var/lib/spark-history";
export const jupyterDriverPort = 29413;
export const jupyterBlockManagerPort = 29414;
export const jupyterDriverMemory = "2g";
export const smokeApplicationName = "spark-smoke-test";

/** Settings of every SparkApplication (the smoke test's sparkConf, jobs.conf). */
export function jobSparkConf(cfg: StackConfig, eventLogUri: string): SparkConf {
    return jobsConf({ eventLogUri, region: cfg.region });
}

export function historyServerDefaults(cfg: StackConfig, eventLogUri: string): string {
    return toSparkDefaults(
        historyServerConf({
            eventLogUri,
            region: cfg.region,
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
            region: cfg.region,
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

/** The notebooks shipped in notebooks/, file name to JSON text. */
export function shippedNotebooks(): Record<string, string> {
    const dir = path.join(root, "notebooks");
    const out: Record<string, string> = {};
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()) {
        out[f] = fs.readFileSync(path.join(dir, f), "utf8");
    }
    return out;
}

import { spark } from "../versions";

/** A Spark configuration: key to value, rendered as spark-defaults.conf or a SparkApplication's sparkConf. */
export type SparkConf = Record<string, string>;

/** Where every node keeps the S3A jars (downloaded and checksummed by scripts/prepare-node.sh). */
export const s3aJarsDir = "/opt/spark-s3a/jars";
/** Name of the hostPath volume that mounts the S3A jars into Spark pods. */
export const s3aJarsVolume = "s3a-jars";

export interface EventLogArgs {
    /** `s3a://<bucket>/<prefix>/` */
    eventLogUri: string;
    region: string;
    /** An S3-compatible store of the user's; absent: S3 through the node's instance profile. */
    objectStore?: ObjectStoreAccess;
}

/** How Spark reaches a store with keys from a Secret: an S3-compatible one (MinIO, Ceph, R2, ...), or S3 itself. */
export interface ObjectStoreAccess {
    /** `https://host[:port]` (or http://); absent: S3's own endpoint for the region. */
    endpoint?: string;
    pathStyle?: boolean;
}

/**
 * The Secret that holds the store's keys, in every namespace whose pods read the store. Its
 * keys are the environment variables the AWS SDK reads, so a pod takes them as they are.
 */
export const objectStoreSecret = {
    name: "spark-object-store",
    accessKeyKey: "AWS_ACCESS_KEY_ID",
    secretKeyKey: "AWS_SECRET_ACCESS_KEY",
} as const;

/** AWS SDK v2's provider of keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (Hadoop 3.4 takes v2 classes). */
export const environmentCredentialsProvider = "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider";

/** Event-log settings shared by jobs and notebooks; chosen by the History Server benchmark (bench/results.md). */
export const eventLogSettings = {
    /**
     * One file per application. A rolled log is a directory, and the History Server lists every
     * such directory on S3 (two LIST requests) on every scan, for every application it keeps:
     * at 1000 applications that was ~80 LIST/s and 45% of its CPU while idle, against 0.15 LIST/s
     * and 12% with single files, for the same listing and replay times. A long-running
     * application (streaming) that wants rolling and compaction sets
     * spark.eventLog.rolling.enabled=true in its own sparkConf; the size below then applies.
     */
    rolling: false,
    rollingMaxFileSize: "16m",
    compress: true,
    /** Spark's default codec: 5-30x smaller logs on S3 than uncompressed, and no slower to list or replay. */
    codec: "zstd",
} as const;

/**
 * S3 access: through the node's instance profile (IMDSv2, hop limit 2), or, for a store of the
 * user's, its endpoint and the keys the pod has in its environment (objectStoreSecret).
 */
export function s3aConf(region: string, store?: ObjectStoreAccess): SparkConf {
    const conf: SparkConf = {
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider",
        "spark.hadoop.fs.s3a.endpoint.region": region,
        "spark.hadoop.fs.s3a.fast.upload": "true",
    };
    if (store) {
        conf["spark.hadoop.fs.s3a.aws.credentials.provider"] = environmentCredentialsProvider;
    }
    if (store?.endpoint) {
        conf["spark.hadoop.fs.s3a.endpoint"] = store.endpoint;
        conf["spark.hadoop.fs.s3a.path.style.access"] = String(store.pathStyle ?? true);
    }
    return conf;
}

/** Driver and/or executor pods of Spark's Kubernetes backend take the store's keys from its Secret. */
function objectStoreKeysConf(store: ObjectStoreAccess | undefined, roles: ("driver" | "executor")[]): SparkConf {
    const conf: SparkConf = {};
    if (!store) return conf;
    for (const role of roles) {
        for (const key of [objectStoreSecret.accessKeyKey, objectStoreSecret.secretKeyKey]) {
            conf[`spark.kubernetes.${role}.secretKeyRef.${key}`] = `${objectStoreSecret.name}:${key}`;
        }
    }
    return conf;
}

function eventLogConf(args: EventLogArgs): SparkConf {
    return {
        "spark.eventLog.enabled": "true",
        "spark.eventLog.dir": args.eventLogUri,
        "spark.eventLog.rolling.enabled": String(eventLogSettings.rolling),
        "spark.eventLog.rolling.maxFileSize": eventLogSettings.rollingMaxFileSize,
        "spark.eventLog.compress": String(eventLogSettings.compress),
        "spark.eventLog.compression.codec": eventLogSettings.codec,
    };
}

/**
 * Classpath entry for the S3A jars. It goes through SPARK_DIST_CLASSPATH, which Spark's
 * launcher and the image's entrypoint put *after* Spark's own jars: the AWS SDK bundle carries
 * an unshaded SLF4J 1.7, which ahead of Spark's (extraClassPath, SPARK_DAEMON_CLASSPATH) turns
 * off every Spark log line.
 */
export const s3aClasspath = `${s3aJarsDir}/*`;

/** Mount the node's S3A jar folder into driver and/or executor pods and append it to their classpath. */
function s3aJarsConf(roles: ("driver" | "executor")[]): SparkConf {
    const conf: SparkConf = {};
    for (const role of roles) {
        const prefix = `spark.kubernetes.${role}.volumes.hostPath.${s3aJarsVolume}`;
        conf[`${prefix}.mount.path`] = s3aJarsDir;
        conf[`${prefix}.mount.readOnly`] = "true";
        conf[`${prefix}.options.path`] = s3aJarsDir;
        conf[`${prefix}.options.type`] = "Directory";
        conf[role === "driver" ? "spark.kubernetes.driverEnv.SPARK_DIST_CLASSPATH" : "spark.executorEnv.SPARK_DIST_CLASSPATH"] = s3aClasspath;
    }
    return conf;
}

/**
 * Spark settings for every SparkApplication in the job namespace (the smoke test uses exactly
 * these; users copy them from `npm run render` or the `sparkJobConf` output).
 */
export function jobsConf(args: EventLogArgs): SparkConf {
    return {
        ...eventLogConf(args),
        ...s3aConf(args.region, args.objectStore),
        ...objectStoreKeysConf(args.objectStore, ["driver", "executor"]),
        ...s3aJarsConf(["driver", "executor"]),
        // The operator resolves spark.jars.packages in its own pod, where ~/.ivy2 is read-only.
        "spark.jars.ivy": "/tmp/.ivy2",
        "spark.kubernetes.executor.deleteOnTermination": "true",
    };
}

export interface HistoryServerConfArgs extends EventLogArgs {
    retentionDays: number;
    uiPort: number;
    /** Local store for parsed applications: restarts and reopened pages skip replaying event logs. */
    storePath: string;
}

/** spark-defaults.conf of the History Server; tuned values come from bench/results.md. */
export function historyServerConf(args: HistoryServerConfArgs): SparkConf {
    return {
        "spark.history.fs.logDirectory": args.eventLogUri,
        "spark.history.ui.port": String(args.uiPort),
        // A finished application is listed within seconds; with single-file logs a scan is one
        // paged LIST of the prefix, so a short interval stays cheap.
        "spark.history.fs.update.interval": "5s",
        // On its one CPU, 4 threads overlap S3 latency with parsing (1 thread, Spark's default
        // there, listed 1000 applications 20% slower; 8 were no faster).
        "spark.history.fs.numReplayThreads": "4",
        // Parsed applications survive a container restart (emptyDir): no full re-listing.
        "spark.history.store.path": args.storePath,
        // A UI's first open replays into memory, then moves to disk: 1.5x faster than disk only.
        "spark.history.store.hybridStore.enabled": "true",
        // Spark's default (2g) is twice the Deployment's heap (SPARK_DAEMON_MEMORY=1g): an
        // application whose zstd log exceeds ~25 MB replays straight to disk instead of risking OOM.
        "spark.history.store.hybridStore.maxMemoryUsage": "256m",
        // Below the store's emptyDir sizeLimit (10Gi), which evicts the pod when exceeded; Spark's default is 10g.
        "spark.history.store.maxDiskUsage": "8g",
        "spark.history.retainedApplications": "50",
        // Compaction for applications that roll their logs (opt-in, see eventLogSettings).
        "spark.history.fs.eventLog.rolling.maxFilesToRetain": "10",
        "spark.history.fs.cleaner.enabled": "true",
        "spark.history.fs.cleaner.maxAge": `${args.retentionDays}d`,
        "spark.history.fs.cleaner.interval": "1d",
        ...s3aConf(args.region, args.objectStore),
    };
}

export interface ExecutorSizing {
    instances: number;
    cores: number;
    /** JVM heap, e.g. "5g"; the pod asks for this plus Spark's memory overhead. */
    memory: string;
    /** CPU the pod requests, a little under `cores` so system daemons still fit. */
    requestCores: string;
}

/**
 * One executor per worker, using about half of the machine: the rest leaves room for the
 * kubelet, CNI and kube-proxy, the History Server, the notebook's driver and a SparkApplication's
 * driver on the same nodes. Memory = 50% of the node, less Spark's 10% overhead.
 */
export function executorSizing(node: { vcpu: number; memoryGiB: number }, workerCount: number): ExecutorSizing {
    const cores = Math.max(1, Math.floor(node.vcpu / 2));
    const memoryGiB = Math.max(1, Math.floor((node.memoryGiB * 0.5) / 1.1));
    return {
        instances: workerCount,
        cores,
        memory: `${memoryGiB}g`,
        requestCores: `${cores * 1000 - 200}m`,
    };
}

export interface JupyterConfArgs extends EventLogArgs {
    namespace: string;
    /** DNS name of the headless Service in front of the notebook pod: executors connect back to it. */
    driverHost: string;
    driverPort: number;
    blockManagerPort: number;
    executors: ExecutorSizing;
    /** Driver memory of the notebook kernel's JVM. */
    driverMemory: string;
    /** The Spark image of the executors (the kernel's own). */
    image: string;
}

/** spark-defaults.conf of the notebook kernels: client mode, executors as pods in the job namespace. */
export function jupyterConf(args: JupyterConfArgs): SparkConf {
    return {
        "spark.master": "k8s://https://kubernetes.default.svc",
        "spark.submit.deployMode": "client",
        "spark.kubernetes.namespace": args.namespace,
        "spark.kubernetes.container.image": args.image,
        "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
        "spark.driver.host": args.driverHost,
        "spark.driver.bindAddress": "0.0.0.0",
        "spark.driver.port": String(args.driverPort),
        "spark.driver.blockManager.port": String(args.blockManagerPort),
        "spark.driver.memory": args.driverMemory,
        "spark.executor.instances": String(args.executors.instances),
        "spark.executor.cores": String(args.executors.cores),
        "spark.executor.memory": args.executors.memory,
        "spark.kubernetes.executor.request.cores": args.executors.requestCores,
        "spark.dynamicAllocation.enabled": "false",
        "spark.pyspark.python": "python3",
        "spark.pyspark.driver.python": "python3",
        ...eventLogConf(args),
        ...s3aConf(args.region, args.objectStore),
        // The driver is the notebook pod, which has the keys in its environment already.
        ...objectStoreKeysConf(args.objectStore, ["executor"]),
        ...s3aJarsConf(["executor"]),
        "spark.kubernetes.executor.deleteOnTermination": "true",
    };
}

export interface ConnectConfArgs extends EventLogArgs {
    namespace: string;
    /** DNS name of the headless Service in front of the server pod: executors connect back to it. */
    driverHost: string;
    driverPort: number;
    blockManagerPort: number;
    /** The gRPC port clients dial (sc://host:port). */
    port: number;
    /** Heap of the server's JVM, which is the driver of every session. */
    driverMemory: string;
    /** Size of one executor; `instances` is the most the server scales to. */
    executors: ExecutorSizing;
    image: string;
}

/**
 * How long an executor with no task stays, and one that holds shuffle files of finished queries
 * only. Spark keeps the latter forever by default (its files are cleaned only when the driver's
 * garbage collector gets to them), which held every executor of the server after its first
 * aggregation (cluster tier). Shuffle files of a running query never time out.
 */
export const connectIdleTimeouts = { executor: "60s", shuffle: "120s" } as const;

/**
 * spark-defaults.conf of the Spark Connect server: a driver in client mode that lives as long as
 * its pod. Executors come and go with the queries (dynamic allocation, none while idle), so an
 * idle server holds only its own pod. Its event log rolls: a server runs for weeks, and a rolled
 * file is in the store (and listed by the History Server) once it is closed, not only when the
 * server stops.
 */
export function connectConf(args: ConnectConfArgs): SparkConf {
    return {
        "spark.master": "k8s://https://kubernetes.default.svc",
        "spark.submit.deployMode": "client",
        "spark.app.name": "spark-connect",
        "spark.connect.grpc.binding.port": String(args.port),
        "spark.kubernetes.namespace": args.namespace,
        "spark.kubernetes.container.image": args.image,
        "spark.kubernetes.container.image.pullPolicy": "IfNotPresent",
        "spark.kubernetes.executor.podNamePrefix": "spark-connect",
        "spark.driver.host": args.driverHost,
        "spark.driver.bindAddress": "0.0.0.0",
        "spark.driver.port": String(args.driverPort),
        "spark.driver.blockManager.port": String(args.blockManagerPort),
        "spark.driver.memory": args.driverMemory,
        "spark.executor.cores": String(args.executors.cores),
        "spark.executor.memory": args.executors.memory,
        "spark.kubernetes.executor.request.cores": args.executors.requestCores,
        // Kubernetes has no external shuffle service: executors that hold shuffle files are
        // tracked and released after the shuffle timeout, idle ones after the idle timeout.
        "spark.dynamicAllocation.enabled": "true",
        "spark.dynamicAllocation.shuffleTracking.enabled": "true",
        "spark.dynamicAllocation.shuffleTracking.timeout": connectIdleTimeouts.shuffle,
        "spark.dynamicAllocation.executorIdleTimeout": connectIdleTimeouts.executor,
        "spark.dynamicAllocation.minExecutors": "0",
        "spark.dynamicAllocation.initialExecutors": "0",
        "spark.dynamicAllocation.maxExecutors": String(args.executors.instances),
        "spark.pyspark.python": "python3",
        ...eventLogConf(args),
        "spark.eventLog.rolling.enabled": "true",
        ...s3aConf(args.region, args.objectStore),
        // The server is the driver: its pod has the keys in its environment already.
        ...objectStoreKeysConf(args.objectStore, ["executor"]),
        ...s3aJarsConf(["executor"]),
        "spark.kubernetes.executor.deleteOnTermination": "true",
    };
}

/** spark-defaults.conf text: sorted `key value` lines under a header comment. */
export function toSparkDefaults(conf: SparkConf, header: string): string {
    const keys = Object.keys(conf).sort();
    const width = Math.max(...keys.map((k) => k.length));
    return [
        ...header.split("\n").map((l) => `# ${l}`.trimEnd()),
        ...keys.map((k) => `${k.padEnd(width)} ${conf[k]}`),
        "",
    ].join("\n");
}

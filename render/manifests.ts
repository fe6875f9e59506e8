import type { Input } from "@pulumi/pulumi";
import { createHash } from "crypto";
import { spark, sparkOperator } from "../versions";
import type { ServiceType } from "../config";
import { objectStoreSecret, s3aClasspath, s3aJarsDir, s3aJarsVolume, SparkConf } from "./sparkConf";

/** A Kubernetes object as plain data: what the program creates, and what the render writes. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
    [field: string]: unknown;
}

export const partOf = "spark-platform";

/** A value known when rendering offline, or only at deploy time (an Output) inside the program. */
export type Value<T> = T | Input<T>;

function labels(name: string, component: string): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": partOf };
}

/** Non-root, no privilege escalation, no capabilities: the `spark` user of the official image. */
export const sparkSecurityContext = {
    pod: { runAsNonRoot: true, runAsUser: spark.uid, runAsGroup: spark.uid, fsGroup: spark.uid, seccompProfile: { type: "RuntimeDefault" } },
    container: { runAsNonRoot: true, runAsUser: spark.uid, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
};

const s3aJarsMount = { name: s3aJarsVolume, mountPath: s3aJarsDir, readOnly: true };
const s3aJarsHostPath = { name: s3aJarsVolume, hostPath: { path: s3aJarsDir, type: "Directory" } };

/** One pod, replaced (never doubled) on change, selected by its `app.kubernetes.io/name` label. */
function singletonDeployment(name: string, namespace: string, podLabels: Record<string, string>, podSpec: Record<string, unknown>): K8sObject {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace, labels: podLabels },
        spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: { metadata: { labels: podLabels }, spec: podSpec },
        },
    };
}

/** Pod-template annotation: the SHA-256 of the ConfigMaps a workload's pods read at start. */
export const configChecksumAnnotation = "spark-platform/config-sha256";

/** The checksum of the data of a workload's ConfigMaps, as the annotation holds it. */
export function configChecksum(configMapData: unknown[]): string {
    return createHash("sha256").update(JSON.stringify(configMapData)).digest("hex");
}

/**
 * `objs` with every workload (Deployment, DaemonSet, Job) that mounts ConfigMaps of `objs` carrying
 * the checksum of their data in its pod template (configChecksumAnnotation). Its pods read them
 * only when they start (spark-defaults.conf, scripts), and the provider replaces a changed
 * ConfigMap without touching the workload: the checksum rolls the pods when a setting changes.
 * `digest` turns the ConfigMaps' data into the checksum: configChecksum for plain data, or that
 * inside an Output in the program, where the data holds Outputs.
 */
export function withConfigChecksums(objs: K8sObject[], digest: (configMapData: unknown[]) => Value<string>): K8sObject[] {
    return objs.map((o) => {
        const configMaps = mountedConfigMaps(o, objs);
        return configMaps.length ? withConfigChecksum(o, digest(configMaps.map((c) => c.data))) : o;
    });
}

/** The ConfigMaps among `objs` that `workload` mounts (same namespace). */
function mountedConfigMaps(workload: K8sObject, objs: K8sObject[]): K8sObject[] {
    const template = (workload.spec as { template?: { spec?: { volumes?: { configMap?: { name: string } }[] } } } | undefined)?.template;
    const names = new Set((template?.spec?.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])));
    return objs.filter((o) => o.kind === "ConfigMap" && o.metadata.namespace === workload.metadata.namespace && names.has(o.metadata.name));
}

/** A copy of `workload` whose pod template carries `checksum` (configChecksumAnnotation). */
function withConfigChecksum(workload: K8sObject, checksum: Value<string>): K8sObject {
    const spec = workload.spec as { template: { metadata?: { annotations?: Record<string, unknown> } } };
    const metadata = spec.template.metadata ?? {};
    return {
        ...workload,
        spec: { ...spec, template: { ...spec.template, metadata: { ...metadata, annotations: { ...metadata.annotations, [configChecksumAnnotation]: checksum } } } },
    };
}

export function namespace(name: string, extraLabels: Record<string, string> = {}): K8sObject {
    return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "app.kubernetes.io/part-of": partOf, ...extraLabels } } };
}

/** Flannel runs privileged host networking: its namespace must allow that under Pod Security. */
export function flannelNamespace(): K8sObject {
    return namespace("kube-flannel", { "pod-security.kubernetes.io/enforce": "privileged" });
}

/** The store's keys in a container's environment, from objectStoreSecret in the pod's namespace. */
function objectStoreEnv(withKeys: boolean | undefined): Record<string, unknown>[] {
    if (!withKeys) return [];
    return [objectStoreSecret.accessKeyKey, objectStoreSecret.secretKeyKey].map((key) => ({
        name: key,
        valueFrom: { secretKeyRef: { name: objectStoreSecret.name, key } },
    }));
}

/** The Secret with an S3-compatible store's keys (see objectStoreSecret). */
export function objectStoreSecretObject(namespace: string, accessKey: Value<string>, secretKey: Value<string>): K8sObject {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: objectStoreSecret.name, namespace, labels: { "app.kubernetes.io/part-of": partOf } },
        type: "Opaque",
        stringData: { [objectStoreSecret.accessKeyKey]: accessKey, [objectStoreSecret.secretKeyKey]: secretKey },
    };
}

export interface HistoryServerArgs {
    namespace: string;
    /** Reads a store of the user's: its keys come from objectStoreSecret in `namespace`. */
    objectStoreKeys?: boolean;
    /** spark-defaults.conf text (render/sparkConf.ts historyServerConf). */
    sparkDefaults: Value<string>;
    uiPort: number;
    nodePort: number;
    storePath: string;
    /** The Spark image (render/platform.ts sparkImage). */
    image: string;
    serviceType: ServiceType;
    /** Who a LoadBalancer admits (allowedCidrs). */
    sourceRanges: string[];
}

/** The spec fields of a UI's Service: a NodePort, or a load balancer that admits `sourceRanges` only. */
function uiServiceType(type: ServiceType, sourceRanges: string[]): Record<string, unknown> {
    return type === "LoadBalancer" ? { type, loadBalancerSourceRanges: sourceRanges } : { type };
}

export const historyServerName = "spark-history-server";

/** ConfigMap, Deployment and NodePort Service of the Spark History Server. */
export function historyServerObjects(args: HistoryServerArgs): K8sObject[] {
    const l = labels(historyServerName, "history-server");
    const selector = { "app.kubernetes.io/name": historyServerName };
    const probe = (initialDelaySeconds: number, failureThreshold: number) => ({
        httpGet: { path: "/api/v1/version", port: "http" },
        initialDelaySeconds,
        periodSeconds: 10,
        timeoutSeconds: 5,
        failureThreshold,
    });
    return [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${historyServerName}-conf`, namespace: args.namespace, labels: l },
            data: { "spark-defaults.conf": args.sparkDefaults },
        },
        // One writer of the local store at a time.
        singletonDeployment(historyServerName, args.namespace, l, {
            securityContext: sparkSecurityContext.pod,
        containers: [
            {
                name: "history-server",
                image: args.image,
                command: ["/opt/spark/bin/spark-class", "org.apache.spark.deploy.history.HistoryServer"],
                env: [
                    { name: "SPARK_CONF_DIR", value: "/opt/spark/conf" },
                    { name: "SPARK_DIST_CLASSPATH", value: s3aClasspath },
                    { name: "SPARK_DAEMON_MEMORY", value: "1g" },
                    ...objectStoreEnv(args.objectStoreKeys),
                ],
                ports: [{ name: "http", containerPort: args.uiPort }],
                readinessProbe: probe(20, 3),
                // S3 listing of a large bucket can take minutes on first start.
                livenessProbe: probe(120, 6),
                resources: {
                    requests: { cpu: "250m", memory: "1536Mi" },
                    limits: { cpu: "1", memory: "2Gi" },
                },
                securityContext: sparkSecurityContext.container,
                volumeMounts: [
                    { name: "conf", mountPath: "/opt/spark/conf", readOnly: true },
                    { name: "store", mountPath: args.storePath },
                    { name: "tmp", mountPath: "/tmp" },
                    s3aJarsMount,
                ],
            },
        ],
        volumes: [
            { name: "conf", configMap: { name: `${historyServerName}-conf` } },
            { name: "store", emptyDir: { sizeLimit: "10Gi" } },
            { name: "tmp", emptyDir: {} },
            s3aJarsHostPath,
        ],
        }),
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: historyServerName, namespace: args.namespace, labels: l },
            spec: {
                ...uiServiceType(args.serviceType, args.sourceRanges),
                selector,
                ports: [{ name: "http", port: args.uiPort, targetPort: "http", nodePort: args.nodePort }],
            },
        },
    ];
}

export interface SmokeApplicationArgs {
    name: string;
    namespace: string;
    serviceAccount: string;
    /** Spark settings every job gets (render/sparkConf.ts jobsConf). */
    sparkConf: Value<SparkConf>;
    /** Number of partitions of pi.py: small, so the check is quick. */
    partitions: number;
    image: string;
}

/** Python Pi from the image's examples, run through the operator with event logs to S3. */
export const smokeApplicationFile = "local:///opt/spark/examples/src/main/python/pi.py";

export function smokeApplication(args: SmokeApplicationArgs): K8sObject {
    const l = labels(args.name, "smoke-test");
    return {
        apiVersion: sparkOperator.apiVersion,
        kind: "SparkApplication",
        metadata: { name: args.name, namespace: args.namespace, labels: l },
        spec: {
            type: "Python",
            pythonVersion: "3",
            mode: "cluster",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            mainApplicationFile: smokeApplicationFile,
            arguments: [String(args.partitions)],
            sparkVersion: spark.version,
            sparkConf: args.sparkConf,
            restartPolicy: { type: "Never" },
            driver: {
                cores: 1,
                memory: "1g",
                serviceAccount: args.serviceAccount,
                labels: l,
                securityContext: sparkSecurityContext.container,
            },
            executor: {
                instances: 2,
                cores: 1,
                memory: "1g",
                labels: l,
                securityContext: sparkSecurityContext.container,
            },
        },
    };
}

export interface JupyterArgs {
    namespace: string;
    /** The kernels (Spark drivers) read a store of the user's: keys from objectStoreSecret in `namespace`. */
    objectStoreKeys?: boolean;
    /** spark-defaults.conf text (render/sparkConf.ts jupyterConf). */
    sparkDefaults: Value<string>;
    /** Startup script of the notebook container (scripts/pod/jupyter-start.sh). */
    startScript: string;
    /** IPython startup file of every kernel (scripts/pod/spark-session.py). */
    kernelStartup: string;
    /** Notebooks copied into the workspace on first start: file name to JSON text. */
    notebooks: Record<string, string>;
    /** Login token; a placeholder in offline renders. */
    token: Value<string>;
    nodePort: number;
    driverPort: number;
    blockManagerPort: number;
    /** Where the notebooks live: a folder on a node (a local PersistentVolume), or a volume of a StorageClass. */
    storage: NotebookStorage;
    image: string;
    serviceType: ServiceType;
    sourceRanges: string[];
    jupyterlabVersion: string;
    driverMemory: string;
    /** `s3a://` URI where notebooks keep their data (SPARK_DATA_URI in the kernel). */
    dataUri: Value<string>;
    /** History Server address shown by the notebook (HISTORY_SERVER_URL in the kernel). */
    historyServerUrl: Value<string>;
    /** With a Spark Connect server: its address (SPARK_CONNECT_URL) and its client's pins, installed beside JupyterLab. */
    sparkConnect?: { url: string; clientPackages: string };
}

export const jupyterName = "jupyter";
/** Headless Service of the notebook pod: `spark.driver.host` for the executors. */
export const jupyterDriverService = "jupyter-driver";
export const jupyterPort = 8888;
/** Answers 200 without a token (`/api/status` and every other API path answer 403). */
export const jupyterHealthPath = "/api";
const sparkUiPort = 4040;

export function jupyterDriverHost(namespace: string): string {
    return `${jupyterDriverService}.${namespace}.svc.cluster.local`;
}

/** Rights the notebook's Spark driver needs to run executors in its own namespace, and no more. */
export const jupyterDriverRules = [
    {
        apiGroups: [""],
        resources: ["pods", "services", "configmaps", "persistentvolumeclaims"],
        verbs: ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"],
    },
];

/** Everything of JupyterLab: RBAC for its driver, token, notebook volume, Deployment and two Services. */
export function jupyterObjects(args: JupyterArgs): K8sObject[] {
    const ns = args.namespace;
    const l = labels(jupyterName, "notebook");
    const selector = { "app.kubernetes.io/name": jupyterName };
    return [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: jupyterName, namespace: ns, labels: l } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: `${jupyterName}-spark-driver`, namespace: ns, labels: l },
            rules: jupyterDriverRules,
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: `${jupyterName}-spark-driver`, namespace: ns, labels: l },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${jupyterName}-spark-driver` },
            subjects: [{ kind: "ServiceAccount", name: jupyterName, namespace: ns }],
        },
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: `${jupyterName}-token`, namespace: ns, labels: l },
            type: "Opaque",
            stringData: { token: args.token },
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${jupyterName}-spark-conf`, namespace: ns, labels: l },
            data: { "spark-defaults.conf": args.sparkDefaults },
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${jupyterName}-files`, namespace: ns, labels: l },
            data: { "jupyter-start.sh": args.startScript, "spark-session.py": args.kernelStartup, ...args.notebooks },
        },
        ...notebookVolume(ns, l, args.storage),
        // The notebook volume is ReadWriteOnce on one node: never two pods at once.
        singletonDeployment(jupyterName, ns, l, {
            serviceAccountName: jupyterName,
            // The notebook volume keeps its owner: no recursive chown of every notebook at each start.
            securityContext: { ...sparkSecurityContext.pod, fsGroupChangePolicy: "OnRootMismatch" },
        containers: [
            {
                name: "jupyterlab",
                image: args.image,
                command: ["bash", "/opt/platform/files/jupyter-start.sh"],
                env: [
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "JUPYTER_TOKEN", valueFrom: { secretKeyRef: { name: `${jupyterName}-token`, key: "token" } } },
                    { name: "JUPYTERLAB_VERSION", value: args.jupyterlabVersion },
                    { name: "WORKSPACE", value: "/home/spark" },
                    { name: "SEED_DIR", value: "/opt/platform/files" },
                    { name: "SPARK_HOME", value: "/opt/spark" },
                    { name: "SPARK_CONF_DIR", value: "/opt/platform/spark-conf" },
                    // The notebook's driver runs here: S3A after Spark's own jars (see s3aClasspath).
                    { name: "SPARK_DIST_CLASSPATH", value: s3aClasspath },
                    { name: "SPARK_DATA_URI", value: args.dataUri },
                    { name: "HISTORY_SERVER_URL", value: args.historyServerUrl },
                    ...(args.sparkConnect
                        ? [
                            { name: "SPARK_CONNECT_URL", value: args.sparkConnect.url },
                            { name: "CONNECT_CLIENT_PACKAGES", value: args.sparkConnect.clientPackages },
                        ]
                        : []),
                    ...objectStoreEnv(args.objectStoreKeys),
                ],
                ports: [
                    { name: "http", containerPort: jupyterPort },
                    { name: "spark-driver", containerPort: args.driverPort },
                    { name: "spark-blockmgr", containerPort: args.blockManagerPort },
                    { name: "spark-ui", containerPort: sparkUiPort },
                ],
                // The first start installs JupyterLab into the notebook volume. Probes carry no
                // token: `/api` (the server's version) is the endpoint jupyter_server answers without one.
                startupProbe: { httpGet: { path: jupyterHealthPath, port: "http" }, periodSeconds: 10, failureThreshold: 60 },
                readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 10 },
                livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                resources: {
                    requests: { cpu: "500m", memory: "2Gi" },
                    limits: { cpu: "2", memory: "4Gi" },
                },
                securityContext: sparkSecurityContext.container,
                volumeMounts: [
                    { name: "workspace", mountPath: "/home/spark" },
                    { name: "spark-conf", mountPath: "/opt/platform/spark-conf", readOnly: true },
                    { name: "files", mountPath: "/opt/platform/files", readOnly: true },
                    s3aJarsMount,
                ],
            },
        ],
        volumes: [
            { name: "workspace", persistentVolumeClaim: { claimName: `${jupyterName}-notebooks` } },
            { name: "spark-conf", configMap: { name: `${jupyterName}-spark-conf` } },
            { name: "files", configMap: { name: `${jupyterName}-files` } },
            s3aJarsHostPath,
        ],
        }),
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: jupyterName, namespace: ns, labels: l },
            spec: {
                ...uiServiceType(args.serviceType, args.sourceRanges),
                selector,
                ports: [{ name: "http", port: jupyterPort, targetPort: "http", nodePort: args.nodePort }],
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: jupyterDriverService, namespace: ns, labels: l },
            spec: {
                clusterIP: "None",
                selector,
                ports: [
                    { name: "spark-driver", port: args.driverPort, targetPort: "spark-driver" },
                    { name: "spark-blockmgr", port: args.blockManagerPort, targetPort: "spark-blockmgr" },
                    { name: "spark-ui", port: sparkUiPort, targetPort: "spark-ui" },
                ],
            },
        },
    ];
}

export interface SparkConnectArgs {
    namespace: string;
    /** spark-defaults.conf text (render/sparkConf.ts connectConf). */
    sparkDefaults: Value<string>;
    /** Start script of the server container (scripts/pod/connect-start.sh). */
    startScript: string;
    /** The driver's service account: the chart's, which may run executor pods in the namespace. */
    serviceAccount: string;
    /** Reads a store of the user's: keys from objectStoreSecret in `namespace`. */
    objectStoreKeys?: boolean;
    image: string;
    port: number;
    driverPort: number;
    blockManagerPort: number;
}

export const sparkConnectName = "spark-connect";
/** Headless Service of the server pod: `spark.driver.host` for its executors. */
export const sparkConnectDriverService = "spark-connect-driver";
/** Room for the server to stop: its executors are deleted and the open event-log file is written to the store. */
export const sparkConnectGraceSeconds = 90;

export function sparkConnectDriverHost(namespace: string): string {
    return `${sparkConnectDriverService}.${namespace}.svc.cluster.local`;
}

/** The address clients inside the cluster dial. */
export function sparkConnectUrl(namespace: string, port: number): string {
    return `sc://${sparkConnectName}.${namespace}.svc.cluster.local:${port}`;
}

/**
 * A Spark Connect server: one pod that is the driver of every client session, executors as pods
 * in the same namespace. A Deployment of the program's own rather than the operator's SparkConnect
 * resource (chart 2.5.2), whose server pod is made once and never updated, whose settings pass
 * through an unquoted `bash -c`, and whose JVM never sees SIGTERM (so its event log is never
 * closed): see the README's "Spark Connect". Reachable inside the cluster only (ClusterIP), and
 * under a NetworkPolicy from pods of its namespace only where the cluster's network enforces one.
 */
export function sparkConnectObjects(args: SparkConnectArgs): K8sObject[] {
    const ns = args.namespace;
    const l = labels(sparkConnectName, "spark-connect");
    const selector = { "app.kubernetes.io/name": sparkConnectName };
    const grpcProbe = (periodSeconds: number, failureThreshold: number) => ({ tcpSocket: { port: "grpc" }, periodSeconds, failureThreshold });
    return [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${sparkConnectName}-conf`, namespace: ns, labels: l },
            data: { "spark-defaults.conf": args.sparkDefaults, "connect-start.sh": args.startScript },
        },
        // One driver for all sessions: never two at once.
        singletonDeployment(sparkConnectName, ns, l, {
            serviceAccountName: args.serviceAccount,
            securityContext: sparkSecurityContext.pod,
            terminationGracePeriodSeconds: sparkConnectGraceSeconds,
            containers: [{
                name: "spark-connect",
                image: args.image,
                command: ["bash", "/opt/platform/spark-conf/connect-start.sh"],
                env: [
                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                    { name: "SPARK_HOME", value: "/opt/spark" },
                    { name: "SPARK_CONF_DIR", value: "/opt/platform/spark-conf" },
                    // The server is the driver: S3A after Spark's own jars (see s3aClasspath).
                    { name: "SPARK_DIST_CLASSPATH", value: s3aClasspath },
                    ...objectStoreEnv(args.objectStoreKeys),
                ],
                ports: [
                    { name: "grpc", containerPort: args.port },
                    { name: "spark-driver", containerPort: args.driverPort },
                    { name: "spark-blockmgr", containerPort: args.blockManagerPort },
                    { name: "spark-ui", containerPort: sparkUiPort },
                ],
                // The port opens once the SparkContext is up (about 20 s).
                startupProbe: grpcProbe(5, 36),
                readinessProbe: grpcProbe(10, 3),
                livenessProbe: grpcProbe(20, 6),
                // An idle server plans nothing: a small CPU request leaves room for a job's
                // executors on 2-vCPU workers (the cluster tier's); it may use up to 2 CPUs.
                resources: {
                    requests: { cpu: "250m", memory: "2560Mi" },
                    limits: { cpu: "2", memory: "3Gi" },
                },
                securityContext: sparkSecurityContext.container,
                volumeMounts: [
                    { name: "spark-conf", mountPath: "/opt/platform/spark-conf", readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                    s3aJarsMount,
                ],
            }],
            volumes: [
                { name: "spark-conf", configMap: { name: `${sparkConnectName}-conf` } },
                { name: "tmp", emptyDir: { sizeLimit: "10Gi" } },
                s3aJarsHostPath,
            ],
        }),
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: sparkConnectName, namespace: ns, labels: l },
            spec: {
                type: "ClusterIP",
                selector,
                ports: [
                    { name: "grpc", port: args.port, targetPort: "grpc", appProtocol: "grpc" },
                    { name: "spark-ui", port: sparkUiPort, targetPort: "spark-ui" },
                ],
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: sparkConnectDriverService, namespace: ns, labels: l },
            spec: {
                clusterIP: "None",
                // Executors may register while the server is still starting (before it is Ready).
                publishNotReadyAddresses: true,
                selector,
                ports: [
                    { name: "spark-driver", port: args.driverPort, targetPort: "spark-driver" },
                    { name: "spark-blockmgr", port: args.blockManagerPort, targetPort: "spark-blockmgr" },
                ],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: sparkConnectName, namespace: ns, labels: l },
            spec: {
                podSelector: { matchLabels: selector },
                policyTypes: ["Ingress"],
                // Clients (JupyterLab) and the server's executors: pods of this namespace. The node
                // (probes, kubectl port-forward) is never blocked by a NetworkPolicy.
                ingress: [{ from: [{ podSelector: {} }] }],
            },
        },
    ];
}

/** Where JupyterLab keeps its notebooks. */
export type NotebookStorage =
    /** A folder on one node (made by scripts/prepare-node.sh or the node-setup DaemonSet, owned by the spark user). */
    | { node: string; dir: string }
    /** A volume claimed from a StorageClass; without a name, the cluster's default class. */
    | { storageClass?: string };

const notebookVolumeSize = "10Gi";

/** The notebooks' claim and, for a folder on a node, the local PersistentVolume it binds. */
function notebookVolume(ns: string, l: Record<string, string>, storage: NotebookStorage): K8sObject[] {
    const volumeName = `${ns}-${jupyterName}-notebooks`;
    const claim = (bind: Record<string, string>): K8sObject => ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: `${jupyterName}-notebooks`, namespace: ns, labels: l },
        spec: { accessModes: ["ReadWriteOnce"], ...bind, resources: { requests: { storage: notebookVolumeSize } } },
    });
    if (!("node" in storage)) return [claim(storage.storageClass ? { storageClassName: storage.storageClass } : {})];
    const storageClass = "spark-platform-local";
    return [
        {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: volumeName, labels: l },
            spec: {
                capacity: { storage: notebookVolumeSize },
                accessModes: ["ReadWriteOnce"],
                // Notebooks outlive the pod and the PVC; deleting the stack leaves the folder on the node.
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: storageClass,
                local: { path: storage.dir },
                nodeAffinity: {
                    required: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [storage.node] }] },
                        ],
                    },
                },
            },
        },
        claim({ storageClassName: storageClass, volumeName }),
    ];
}

export interface NodeSetupArgs {
    namespace: string;
    image: string;
    /** scripts/pod/node-setup.py */
    script: string;
    /** Lines `file url sha256` (render/platform.ts s3aJarList). */
    jars: string;
    /** The notebooks' folder, made on every node (only one node's is used). */
    notebookDir?: string;
}

export const nodeSetupName = "spark-node-setup";

/**
 * On a cluster the program did not make, what prepare-node.sh does on its own nodes: the S3A jars
 * in the hostPath every Spark pod mounts, and the notebooks' folder. An init container on every
 * node (root: it writes host folders); the pod then idles, so that a new node gets its jars too.
 */
export function nodeSetupObjects(args: NodeSetupArgs): K8sObject[] {
    const l = labels(nodeSetupName, "node-setup");
    const dataMounts = args.notebookDir
        ? { mount: [{ name: "notebooks", mountPath: args.notebookDir }], volume: [{ name: "notebooks", hostPath: { path: args.notebookDir, type: "DirectoryOrCreate" } }] }
        : { mount: [], volume: [] };
    return [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: nodeSetupName, namespace: args.namespace, labels: l },
            data: { "node-setup.py": args.script },
        },
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: nodeSetupName, namespace: args.namespace, labels: l },
            spec: {
                selector: { matchLabels: { "app.kubernetes.io/name": nodeSetupName } },
                template: {
                    metadata: { labels: l },
                    spec: {
                        // Every node that may run a Spark pod or the notebook, whatever its taints.
                        tolerations: [{ operator: "Exists" }],
                        automountServiceAccountToken: false,
                        initContainers: [{
                            name: "node-setup",
                            image: args.image,
                            command: ["python3", "/opt/platform/node-setup.py"],
                            env: [
                                { name: "S3A_JARS_DIR", value: s3aJarsDir },
                                { name: "S3A_JARS", value: args.jars },
                                { name: "SPARK_UID", value: String(spark.uid) },
                                ...(args.notebookDir ? [{ name: "JUPYTER_DATA_DIR", value: args.notebookDir }] : []),
                            ],
                            // Root only to write the two host folders; nothing else.
                            securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER"] } },
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                            volumeMounts: [
                                { name: "script", mountPath: "/opt/platform", readOnly: true },
                                { name: s3aJarsVolume, mountPath: s3aJarsDir },
                                ...dataMounts.mount,
                            ],
                        }],
                        containers: [{
                            name: "idle",
                            image: args.image,
                            command: ["sleep", "infinity"],
                            securityContext: sparkSecurityContext.container,
                            resources: { requests: { cpu: "1m", memory: "8Mi" }, limits: { memory: "32Mi" } },
                        }],
                        volumes: [
                            { name: "script", configMap: { name: nodeSetupName } },
                            { name: s3aJarsVolume, hostPath: { path: s3aJarsDir, type: "DirectoryOrCreate" } },
                            ...dataMounts.volume,
                        ],
                    },
                },
            },
        },
    ];
}

export interface SelfCheckArgs {
    /** The job namespace: the smoke application and this Job. */
    namespace: string;
    historyNamespace: string;
    image: string;
    /** scripts/pod/self-check.py */
    script: string;
    env: Record<string, string>;
    /** Changes whenever the smoke application is created again, so that the Job runs again. */
    runFor: Value<string>;
    timeoutSeconds: number;
}

export const selfCheckName = "spark-self-check";

/**
 * The self-check as a Job in the cluster, the same on every kind of cluster (no SSH): it reads the
 * smoke application through the API with a service account that may read only that, and asks the
 * History Server through its Service.
 */
export function selfCheckObjects(args: SelfCheckArgs): K8sObject[] {
    const l = labels(selfCheckName, "self-check");
    const ns = args.namespace;
    // Names differ by namespace too: an object's Pulumi name is its kind and name (k8sObjects.ts).
    const readRole = (name: string, namespace: string, rules: Record<string, unknown>[]): K8sObject[] => [
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name, namespace, labels: l },
            rules,
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name, namespace, labels: l },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
            subjects: [{ kind: "ServiceAccount", name: selfCheckName, namespace: ns }],
        },
    ];
    const podLogs = { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list"] };
    return [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: selfCheckName, namespace: ns, labels: l } },
        ...readRole(selfCheckName, ns, [{ apiGroups: ["sparkoperator.k8s.io"], resources: ["sparkapplications"], verbs: ["get"] }, podLogs]),
        ...readRole(`${selfCheckName}-history-logs`, args.historyNamespace, [podLogs]),
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: selfCheckName, namespace: ns, labels: l },
            data: { "self-check.py": args.script },
        },
        {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: {
                name: selfCheckName,
                namespace: ns,
                labels: l,
                annotations: {
                    // Pulumi waits for the Job; a Job that failed runs again on the next `pulumi up`.
                    "pulumi.com/timeoutSeconds": String(args.timeoutSeconds + 120),
                    "pulumi.com/replaceUnready": "true",
                },
            },
            spec: {
                backoffLimit: 0,
                activeDeadlineSeconds: args.timeoutSeconds + 60,
                template: {
                    metadata: { labels: l, annotations: { "spark-platform/run-for": args.runFor } },
                    spec: {
                        serviceAccountName: selfCheckName,
                        restartPolicy: "Never",
                        securityContext: sparkSecurityContext.pod,
                        containers: [{
                            name: "self-check",
                            image: args.image,
                            command: ["python3", "/opt/platform/self-check.py"],
                            env: Object.entries(args.env).map(([name, value]) => ({ name, value })),
                            // The end of the log, on failure, is what `pulumi up` prints.
                            terminationMessagePolicy: "FallbackToLogsOnError",
                            securityContext: sparkSecurityContext.container,
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                            volumeMounts: [{ name: "script", mountPath: "/opt/platform", readOnly: true }],
                        }],
                        volumes: [{ name: "script", configMap: { name: selfCheckName } }],
                    },
                },
            },
        },
    ];
}

/** The file name of an object in `<outDir>/k8s/`: `<kind>-<name>.yaml`, lower case. */
export function objectFileName(o: K8sObject): string {
    return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}

import type { Input } from "@pulumi/pulumi";
import { spark, sparkOperator } from "../versions";
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
                image: spark.image,
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
                type: "NodePort",
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
            image: spark.image,
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
    /** Kubernetes node that holds the notebook volume. */
    nodeName: string;
    /** Folder on that node for notebooks (created by scripts/prepare-node.sh, owned by the spark user). */
    dataDir: string;
    jupyterlabVersion: string;
    driverMemory: string;
    /** `s3a://` URI where notebooks keep their data (SPARK_DATA_URI in the kernel). */
    dataUri: Value<string>;
    /** History Server address shown by the notebook (HISTORY_SERVER_URL in the kernel). */
    historyServerUrl: Value<string>;
}

export const jupyterName = "jupyter";
/** Headless Service of the notebook pod: `spark.driver.host` for the executors. */
export const jupyterDriverService = "jupyter-driver";
const jupyterPort = 8888;
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
    const storageClass = "spark-platform-local";
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
        {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: `${ns}-${jupyterName}-notebooks`, labels: l },
            spec: {
                capacity: { storage: "10Gi" },
                accessModes: ["ReadWriteOnce"],
                // Notebooks outlive the pod and the PVC; deleting the stack leaves the folder on the node.
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: storageClass,
                local: { path: args.dataDir },
                nodeAffinity: {
                    required: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [args.nodeName] }] },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: `${jupyterName}-notebooks`, namespace: ns, labels: l },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: storageClass,
                volumeName: `${ns}-${jupyterName}-notebooks`,
                resources: { requests: { storage: "10Gi" } },
            },
        },
        // The notebook volume is ReadWriteOnce on one node: never two pods at once.
        singletonDeployment(jupyterName, ns, l, {
            serviceAccountName: jupyterName,
            // The notebook volume keeps its owner: no recursive chown of every notebook at each start.
            securityContext: { ...sparkSecurityContext.pod, fsGroupChangePolicy: "OnRootMismatch" },
        containers: [
            {
                name: "jupyterlab",
                image: spark.image,
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
                type: "NodePort",
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

/** The file name of an object in `<outDir>/k8s/`: `<kind>-<name>.yaml`, lower case. */
export function objectFileName(o: K8sObject): string {
    return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;
}

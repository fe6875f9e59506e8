import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkApiServer } from "./components/apiServerCheck";
import { ClusterNodes, sshUser } from "./components/clusterNodes";
import { CostEstimate } from "./components/costEstimate";
import { EventLogStore } from "./components/eventLogStore";
import { HistoryServer } from "./components/historyServer";
import { JupyterLab } from "./components/jupyterLab";
import { createObjects } from "./components/k8sObjects";
import { KubeadmCluster } from "./components/kubeadmCluster";
import { SmokeTest } from "./components/smokeTest";
import { SparkConnect } from "./components/sparkConnect";
import { SparkOperator } from "./components/sparkOperator";
import { configNamespace, loadConfig, objectStoreCredentials } from "./config";
import { CostReport } from "./render/cost";
import { namespace } from "./render/manifests";
import { jobSparkConf, nodeSetupManifests, nodeSetupNamespace } from "./render/platform";

const config = loadConfig();
const clusterName = `spark-${pulumi.getStack()}`;

// Where the platform runs: machines the program makes on EC2 and bootstraps with kubeadm, or a
// cluster of the user's (the kubeconfig setting), on which it only deploys.
const own = config.existingCluster ? undefined : ownCluster();

function ownCluster() {
    const nodes = new ClusterNodes("nodes", { config, clusterName });
    const cluster = new KubeadmCluster("k8s", {
        config,
        controlPlane: nodes.controlPlane,
        workers: nodes.workers,
        controlPlaneIp: nodes.controlPlaneIp,
        sshPrivateKey: nodes.sshPrivateKey,
        contextName: clusterName,
    });
    return { nodes, cluster };
}

const provider = own?.cluster.provider ?? new k8s.Provider("cluster", {
    // Only once its API server answers: a preview fails here, naming the setting, before anything changes.
    kubeconfig: new pulumi.Config(configNamespace).requireSecret("kubeconfig").apply(async (k) => {
        await checkApiServer(k, `${configNamespace}:kubeconfig`);
        return k;
    }),
});

// On a cluster of the user's, reads that everything waits for: they fail before anything changes
// (in `pulumi preview` once the stack has been deployed; at the start of `pulumi up` on a first
// deploy, whose preview reads nothing) when the kubeconfig's credentials are refused or
// notebookNode is not a node of the cluster. An unreachable API server fails earlier, above.
const clusterChecks: pulumi.Resource[] = config.existingCluster
    ? [
        k8s.core.v1.Namespace.get("cluster-kube-system", "kube-system", { provider }),
        ...(config.existingCluster.notebookNode
            ? [k8s.core.v1.Node.get("cluster-notebook-node", config.existingCluster.notebookNode, { provider })]
            : []),
    ]
    : [];

// On a cluster of the user's, the nodes get the S3A jars (and the notebooks' folder) from a
// DaemonSet, as prepare-node.sh gives them to the program's own nodes.
const nodeSetup = config.existingCluster
    ? [...createObjects("node-setup", [namespace(nodeSetupNamespace), ...nodeSetupManifests(config)], { provider, dependsOn: clusterChecks }).values()]
    : [];

const eventLogs = config.objectStore
    ? userObjectStore(config.objectStore.bucket)
    : new EventLogStore("event-logs", {
        prefix: config.eventLogPrefix,
        dataPrefix: config.dataPrefix,
        retentionDays: config.eventLogRetentionDays,
        forceDestroy: config.forceDestroyEventLogs,
        nodeRoleName: own?.nodes.nodeRole.name,
        clusterName,
    });

function userObjectStore(bucket: string) {
    return {
        bucketName: pulumi.output(bucket),
        eventLogUri: pulumi.output(`s3a://${bucket}/${config.eventLogPrefix}/`),
        dataUri: pulumi.output(`s3a://${bucket}/${config.dataPrefix}/`),
        credentials: undefined,
    };
}

// Keys in the Secret spark-object-store: a store of the user's, or the IAM user's on a cluster of the user's.
const storeKeys = objectStoreCredentials(config) ?? eventLogs.credentials;
const publicAddress = config.publicAddress ?? own?.nodes.controlPlaneIp ?? "";

const operator = new SparkOperator("spark-operator", {
    provider,
    jobNamespace: config.jobNamespace,
    objectStoreCredentials: storeKeys,
    chart: config.operatorChart,
    imageRegistry: config.imageRegistry,
    dependsOn: clusterChecks,
});

const history = new HistoryServer("history", {
    provider,
    eventLogUri: eventLogs.eventLogUri,
    config,
    publicAddress,
    objectStoreCredentials: storeKeys,
    dependsOn: nodeSetup,
});

const jupyter = new JupyterLab("jupyter", {
    provider,
    jobNamespace: operator.jobNamespace,
    eventLogUri: eventLogs.eventLogUri,
    dataUri: eventLogs.dataUri,
    config,
    publicAddress,
    historyServerUrl: history.link,
    notebookNode: own ? own.nodes.workers[0].name : config.existingCluster?.notebookNode,
    dependsOn: nodeSetup,
});

const connect = config.sparkConnect
    ? new SparkConnect("spark-connect", {
        provider,
        jobNamespace: operator.jobNamespace,
        serviceAccount: operator.serviceAccount,
        eventLogUri: eventLogs.eventLogUri,
        config,
        dependsOn: nodeSetup,
    })
    : undefined;

const smoke = config.smokeTest
    ? new SmokeTest("smoke", {
        config,
        provider,
        operator,
        eventLogUri: eventLogs.eventLogUri,
        historyServer: history,
        dependsOn: nodeSetup,
    })
    : undefined;

const cost: pulumi.Output<CostReport> = own
    ? new CostEstimate("cost", { config, workerAvailabilityZone: own.nodes.workers[0].instance.availabilityZone }).estimate
    : pulumi.output({
        available: false as const,
        reason: "the cluster is yours (kubeconfig): the program runs no machine, so there is no machine cost to estimate" +
            (config.objectStore ? ", and the store is yours too" : "; S3 storage and requests of the event-log bucket are billed by use"),
    });

// Outputs of the program's own machines are null on a cluster of the user's (undefined would make
// the engine warn about each one on every update).
export const controlPlaneIp = own?.nodes.controlPlaneIp ?? null;
export const kubeconfig = own?.cluster.kubeconfig ?? null;
export const kubernetesVersion = own?.cluster.kubernetesVersion ?? null;
export const nodeRoleName = own?.nodes.nodeRole.name ?? null;
export const sshPrivateKey = own?.nodes.sshPrivateKey ?? null;
export const ssh = own
    ? pulumi.output(
        [own.nodes.controlPlane, ...own.nodes.workers].map((n) =>
            n.publicIp.apply((ip) => ({ node: n.name, command: `ssh -i spark-key ${sshUser}@${ip}` }))),
    )
    : null;
export const eventLogBucket = eventLogs.bucketName;
export const eventLogUri = eventLogs.eventLogUri;
export const dataUri = eventLogs.dataUri;
export const sparkJobConf = eventLogs.eventLogUri.apply((uri) => jobSparkConf(config, uri));
export const jobNamespace = operator.jobNamespace;
export const historyServerUrl = history.url;
export const jupyterUrl = jupyter.url;
export const jupyterToken = jupyter.token;
export const smokeTest = smoke?.result ?? null;
export const sparkConnect = connect
    ? pulumi.output({ url: connect.url, portForward: connect.fromLaptop.portForward, laptopUrl: connect.fromLaptop.url })
    : null;
export const estimatedCost = cost;

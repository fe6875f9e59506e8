import * as pulumi from "@pulumi/pulumi";
import { ClusterNodes, sshUser } from "./components/clusterNodes";
import { CostEstimate } from "./components/costEstimate";
import { EventLogStore } from "./components/eventLogStore";
import { HistoryServer } from "./components/historyServer";
import { JupyterLab } from "./components/jupyterLab";
import { KubeadmCluster } from "./components/kubeadmCluster";
import { SmokeTest } from "./components/smokeTest";
import { SparkOperator } from "./components/sparkOperator";
import { loadConfig, objectStoreCredentials } from "./config";
import { jobSparkConf } from "./render/platform";

const config = loadConfig();
const clusterName = `spark-${pulumi.getStack()}`;

const nodes = new ClusterNodes("nodes", { config, clusterName });

const cluster = new KubeadmCluster("k8s", {
    config,
    controlPlane: nodes.controlPlane,
    workers: nodes.workers,
    controlPlaneIp: nodes.controlPlaneIp,
    sshPrivateKey: nodes.sshPrivateKey,
    contextName: clusterName,
});

// A store of the user's (objectStore* settings) replaces the S3 bucket and the nodes' S3 rights.
const storeKeys = objectStoreCredentials(config);
const operator = new SparkOperator("spark-operator", {
    provider: cluster.provider,
    jobNamespace: config.jobNamespace,
    objectStoreCredentials: storeKeys,
});

const eventLogs = config.objectStore
    ? userObjectStore(config.objectStore.bucket)
    : new EventLogStore("event-logs", {
        prefix: config.eventLogPrefix,
        dataPrefix: config.dataPrefix,
        retentionDays: config.eventLogRetentionDays,
        forceDestroy: config.forceDestroyEventLogs,
        nodeRoleName: nodes.nodeRole.name,
        clusterName,
    });

function userObjectStore(bucket: string) {
    return {
        bucketName: pulumi.output(bucket),
        eventLogUri: pulumi.output(`s3a://${bucket}/${config.eventLogPrefix}/`),
        dataUri: pulumi.output(`s3a://${bucket}/${config.dataPrefix}/`),
    };
}

const history = new HistoryServer("history", {
    provider: cluster.provider,
    eventLogUri: eventLogs.eventLogUri,
    config,
    publicIp: nodes.controlPlaneIp,
    objectStoreCredentials: storeKeys,
});

const jupyter = new JupyterLab("jupyter", {
    provider: cluster.provider,
    jobNamespace: operator.jobNamespace,
    eventLogUri: eventLogs.eventLogUri,
    dataUri: eventLogs.dataUri,
    config,
    publicIp: nodes.controlPlaneIp,
    notebookNode: nodes.workers[0].name,
});

const smoke = config.smokeTest
    ? new SmokeTest("smoke", {
        config,
        cluster,
        controlPlane: nodes.controlPlane,
        provider: cluster.provider,
        operator,
        eventLogUri: eventLogs.eventLogUri,
        historyServer: history,
    })
    : undefined;

const cost = new CostEstimate("cost", { config, workerAvailabilityZone: nodes.workers[0].instance.availabilityZone });

export const controlPlaneIp = nodes.controlPlaneIp;
export const kubeconfig = cluster.kubeconfig;
export const kubernetesVersion = cluster.kubernetesVersion;
export const nodeRoleName = nodes.nodeRole.name;
export const sshPrivateKey = nodes.sshPrivateKey;
export const ssh = pulumi.output(
    [nodes.controlPlane, ...nodes.workers].map((n) =>
        n.publicIp.apply((ip) => ({ node: n.name, command: `ssh -i spark-key ${sshUser}@${ip}` }))),
);
export const eventLogBucket = eventLogs.bucketName;
export const eventLogUri = eventLogs.eventLogUri;
export const dataUri = eventLogs.dataUri;
export const sparkJobConf = eventLogs.eventLogUri.apply((uri) => jobSparkConf(config, uri));
export const jobNamespace = operator.jobNamespace;
export const historyServerUrl = history.url;
export const jupyterUrl = jupyter.url;
export const jupyterToken = jupyter.token;
export const smokeTest = smoke?.result;
export const estimatedCost = cost.estimate;

import { stringify } from "yaml";
import { StackConfig } from "../config";
import * as versions from "../versions";
import { pinnedLines } from "./endOfLife";
import { chartHeader, flannelValues, sparkOperatorValues, sparkServiceAccount } from "./helmValues";
import { kubeadmConfig } from "./kubeadm";
import { configChecksum, flannelNamespace, K8sObject, namespace, objectFileName, objectStoreSecretObject, withConfigChecksums } from "./manifests";
import { NodeScriptName, nodeScript } from "./nodeScripts";
import {
    historyManifests,
    historyNamespace,
    historyServerDefaults,
    historyServerUrl,
    connectDefaults,
    connectManifests,
    jobSparkConf,
    jobsDefaults,
    jupyterDefaults,
    jupyterManifests,
    nodeSetupManifests,
    nodeSetupNamespace,
    objectStoreSecretNamespaces,
    prepareNodeEnv,
    selfCheckManifests,
    smokeManifest,
} from "./platform";
import { eventLogAccessPolicy, eventLogLifecycleRules } from "./s3";
import { executorSizing } from "./sparkConf";

/** Values known only after deployment appear in renders as these placeholders. */
export const placeholders = {
    bucket: "<event-log-bucket>",
    controlPlanePublicIp: "<control-plane-public-ip>",
    controlPlanePrivateIp: "<control-plane-private-ip>",
    jupyterToken: "<generated-jupyter-token>",
    objectStoreAccessKey: "<object-store-access-key>",
    objectStoreSecretKey: "<object-store-secret-key>",
    joinCommand: "<kubeadm-join-command-made-for-this-worker>",
    smokeApplicationUid: "<smoke-application-uid>",
    publicAddress: "<public-address>",
} as const;

/** Every generated artifact of a stack, by path relative to the render folder. */
export function renderAll(cfg: StackConfig, stack: string): Record<string, string> {
    const files: Record<string, string> = {};
    // A store of the user's names its bucket; an S3 bucket the program makes is named at deploy time.
    const bucket = cfg.objectStore?.bucket ?? placeholders.bucket;
    const eventLogUri = `s3a://${bucket}/${cfg.eventLogPrefix}/`;
    const workers = Array.from({ length: cfg.workerCount }, (_, i) => `worker-${i + 1}`);

    files["versions.json"] = JSON.stringify({ stack, ...versions, selected: { kubernetes: cfg.kubernetesVersion }, endOfLife: pinnedLines() }, null, 2) + "\n";

    files["helm/spark-operator.values.yaml"] = chartHeader(versions.sparkOperator) + stringify(sparkOperatorValues(cfg.jobNamespace, cfg.imageRegistry));
    // A cluster of the user's has its own network and nodes: no Flannel, no kubeadm, no node scripts.
    const own = cfg.existingCluster === undefined;
    if (own) files["helm/flannel.values.yaml"] = chartHeader(versions.flannel) + stringify(flannelValues(cfg.podCidr));

    files["spark/jobs.conf"] = jobsDefaults(cfg, eventLogUri);
    const historyConf = historyServerDefaults(cfg, eventLogUri);
    files["spark/history-server.conf"] = historyConf;
    const jupyterConf = jupyterDefaults(cfg, eventLogUri, cfg.jobNamespace);
    const connectConf = connectDefaults(cfg, eventLogUri, cfg.jobNamespace);
    files["spark/jupyter.conf"] = jupyterConf;
    if (cfg.sparkConnect) files["spark/connect.conf"] = connectConf;
    files["spark/executor-sizing.json"] = JSON.stringify(executorSizing(cfg.workerNode, cfg.workerCount), null, 2) + "\n";

    // What the nodes may do in the bucket (the integration tier runs Spark under exactly this);
    // a store of the user's has neither: its keys' rights and its retention are the user's.
    if (!cfg.objectStore) files[own ? "aws/node-s3-policy.json" : "aws/s3-user-policy.json"] = JSON.stringify(eventLogAccessPolicy(`arn:aws:s3:::${placeholders.bucket}`, [cfg.eventLogPrefix, cfg.dataPrefix]), null, 2) + "\n";
    if (!cfg.objectStore) files["aws/lifecycle-rules.json"] = JSON.stringify(eventLogLifecycleRules(cfg.eventLogPrefix, cfg.eventLogRetentionDays), null, 2) + "\n";

    if (own) renderNodes(cfg, files, workers);

    const address = own ? placeholders.controlPlanePublicIp : cfg.publicAddress ?? placeholders.publicAddress;
    const rendered: K8sObject[] = [
        ...(own ? [flannelNamespace()] : [namespace(nodeSetupNamespace), ...nodeSetupManifests(cfg)]),
        namespace(cfg.jobNamespace),
        namespace("spark-operator"),
        namespace(historyNamespace),
        ...historyManifests(cfg, historyConf),
        ...jupyterManifests(cfg, own ? workers[0] : cfg.existingCluster?.notebookNode, {
            sparkDefaults: jupyterConf,
            token: placeholders.jupyterToken,
            dataUri: `s3a://${bucket}/${cfg.dataPrefix}/`,
            historyServerUrl: historyServerUrl(cfg, address),
        }),
        ...connectManifests(cfg, connectConf, sparkServiceAccount),
        smokeManifest(cfg, jobSparkConf(cfg, eventLogUri), sparkServiceAccount),
        ...selfCheckManifests(cfg, placeholders.smokeApplicationUid),
    ];
    for (const ns of objectStoreSecretNamespaces(cfg)) {
        rendered.push(objectStoreSecretObject(ns, placeholders.objectStoreAccessKey, placeholders.objectStoreSecretKey));
    }
    // As the program creates them (components/k8sObjects.ts createObjects).
    const objects = withConfigChecksums(rendered, configChecksum);
    const counts = new Map<string, number>();
    for (const o of objects) counts.set(objectFileName(o), (counts.get(objectFileName(o)) ?? 0) + 1);
    for (const o of objects) {
        // Objects of one kind and name in several namespaces (the store's Secret) say which one.
        const base = objectFileName(o);
        const file = `k8s/${counts.get(base)! > 1 && o.metadata.namespace ? base.replace(/\.yaml$/, `.${o.metadata.namespace}.yaml`) : base}`;
        if (files[file]) throw new Error(`two rendered objects share ${file}`);
        files[file] = stringify(o, { aliasDuplicateObjects: false });
    }
    return files;
}

/** The kubeadm configuration and every node script of the program's own cluster. */
function renderNodes(cfg: StackConfig, files: Record<string, string>, workers: string[]): void {
    const kubeadm = kubeadmConfig({
        nodeName: "control-plane",
        advertiseAddress: placeholders.controlPlanePrivateIp,
        certSans: [placeholders.controlPlanePublicIp],
        podCidr: cfg.podCidr,
        serviceCidr: cfg.serviceCidr,
    });
    files["nodes/kubeadm-config.yaml"] = kubeadm;
    const script = (node: string, name: NodeScriptName, env: Record<string, string>) => {
        files[`nodes/${node}/${name}.sh`] = nodeScript(name, env);
    };
    for (const node of ["control-plane", ...workers]) {
        script(node, "wait-for-boot", {});
        script(node, "prepare-node", prepareNodeEnv(cfg, node === workers[0]));
    }
    script("control-plane", "init-control-plane", { KUBEADM_CONFIG: kubeadm });
    for (const w of workers) {
        script(w, "join-worker", { JOIN_COMMAND: placeholders.joinCommand, NODE_NAME: w });
        script("control-plane", "drain-node", { NODE_NAME: w });
    }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { StackConfig } from "../config";
import { jupyterName } from "../render/manifests";
import { jupyterDefaults, jupyterManifests, jupyterUrl } from "../render/platform";
import { createObjects, serviceAddress } from "./k8sObjects";

export interface JupyterLabArgs {
    provider: k8s.Provider;
    /** Job namespace from SparkOperator: the notebook's executors run there. */
    jobNamespace: pulumi.Input<string>;
    /** `s3a://<bucket>/<prefix>/` from EventLogStore. */
    eventLogUri: pulumi.Input<string>;
    /** `s3a://<bucket>/<dataPrefix>/` from EventLogStore, for the notebooks' own data. */
    dataUri: pulumi.Input<string>;
    config: StackConfig;
    /** Address users open the NodePort on (the control plane's Elastic IP, or publicAddress); unused with a LoadBalancer. */
    publicAddress: pulumi.Input<string>;
    /** The History Server's URL, shown by the notebook. */
    historyServerUrl: pulumi.Input<string>;
    /** Kubernetes node whose disk holds the notebooks; none: a volume of a StorageClass. */
    notebookNode?: string;
    /** What the pod needs first (the node-setup DaemonSet on a cluster of the user's). */
    dependsOn?: pulumi.Resource[];
}

/**
 * JupyterLab in the job namespace, with PySpark preconfigured for client mode: the kernel is
 * the Spark driver, executors run as pods on the cluster and connect back through a headless
 * Service. Token login; notebooks on a persistent volume.
 */
export class JupyterLab extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    /** Login token (secret). */
    public readonly token: pulumi.Output<string>;

    constructor(name: string, args: JupyterLabArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:JupyterLab", name, {}, opts);
        const cfg = args.config;

        const token = new random.RandomPassword(`${name}-token`, { length: 48, special: false }, { parent: this });
        this.token = pulumi.secret(token.result);

        // The namespace is known from config; reading it from SparkOperator orders this after the operator.
        const sparkDefaults = pulumi.all([args.eventLogUri, args.jobNamespace]).apply(([uri, ns]) => jupyterDefaults(cfg, uri, ns));
        const objects = jupyterManifests(cfg, args.notebookNode, {
            sparkDefaults,
            token: this.token,
            dataUri: args.dataUri,
            historyServerUrl: args.historyServerUrl,
        });
        const created = createObjects(name, objects, { parent: this, provider: args.provider, dependsOn: args.dependsOn });
        const deployment = created.get(`Deployment/${jupyterName}`)!;
        const service = created.get(`Service/${jupyterName}`) as k8s.core.v1.Service;

        const address = serviceAddress(cfg.serviceType, service, args.publicAddress);
        this.url = pulumi.all([address, deployment.id]).apply(([a]) => jupyterUrl(cfg, a));
        this.registerOutputs({ url: this.url, token: this.token });
    }
}

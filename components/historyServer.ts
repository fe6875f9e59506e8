import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { historyServerName, namespace, objectStoreSecretObject } from "../render/manifests";
import { historyManifests, historyNamespace, historyServerDefaults, historyServerUrl } from "../render/platform";
import { ObjectStoreCredentials, StackConfig } from "../config";
import { createObject, createObjects, serviceAddress } from "./k8sObjects";

export interface HistoryServerArgs {
    provider: k8s.Provider;
    /** `s3a://<bucket>/<prefix>/` from EventLogStore. */
    eventLogUri: pulumi.Input<string>;
    /** Region, retention and NodePort come from here. */
    config: StackConfig;
    /** Address users open the NodePort on (the control plane's Elastic IP, or publicAddress); unused with a LoadBalancer. */
    publicAddress: pulumi.Input<string>;
    /** Keys of a store of the user's (config objectStore*), as secrets; absent: the instance profile. */
    objectStoreCredentials?: ObjectStoreCredentials;
    /** What the pod needs first (the node-setup DaemonSet on a cluster of the user's). */
    dependsOn?: pulumi.Resource[];
}

/** The Spark History Server, reading event logs from S3 with the nodes' instance profile. */
export class HistoryServer extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    /**
     * The same URL, known as soon as the Service is: for links in other objects (JupyterLab's
     * environment), which must not change when the Deployment is replaced.
     */
    public readonly link: pulumi.Output<string>;
    public readonly namespace: string;
    /** Label selector of its pod, for log tails in the smoke check. */
    public readonly selector = `app.kubernetes.io/name=${historyServerName}`;
    public readonly nodePort: number;
    public readonly deployment: pulumi.CustomResource;

    constructor(name: string, args: HistoryServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:HistoryServer", name, {}, opts);
        this.namespace = historyNamespace;
        this.nodePort = args.config.historyServerNodePort;
        const after = args.dependsOn ?? [];
        const ns = createObject(name, namespace(this.namespace), { parent: this, provider: args.provider, dependsOn: after });

        const sparkDefaults = pulumi.output(args.eventLogUri).apply((uri) => historyServerDefaults(args.config, uri));
        const objects = historyManifests(args.config, sparkDefaults);
        const keys = args.objectStoreCredentials;
        const secret = keys
            ? [createObject(name, objectStoreSecretObject(this.namespace, keys.accessKey, keys.secretKey), { parent: this, provider: args.provider, dependsOn: [ns, ...after] })]
            : [];
        const created = createObjects(name, objects, { parent: this, provider: args.provider, dependsOn: [ns, ...secret, ...after] });
        this.deployment = created.get(`Deployment/${historyServerName}`)!;
        const service = created.get(`Service/${historyServerName}`) as k8s.core.v1.Service;

        const address = serviceAddress(args.config.serviceType, service, args.publicAddress);
        this.link = address.apply((a) => historyServerUrl(args.config, a));
        this.url = pulumi.all([this.link, this.deployment.id]).apply(([url]) => url);
        this.registerOutputs({ url: this.url });
    }
}

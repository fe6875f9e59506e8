import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { sparkConnectName } from "../render/manifests";
import { connectDefaults, connectFromLaptop, connectManifests, connectUrl } from "../render/platform";
import { createObjects } from "./k8sObjects";

export interface SparkConnectArgs {
    provider: k8s.Provider;
    /** Job namespace from SparkOperator: read through the operator's release, so the chart's service account exists. */
    jobNamespace: pulumi.Input<string>;
    /** The chart's service account for drivers (SparkOperator.serviceAccount). */
    serviceAccount: string;
    /** `s3a://<bucket>/<prefix>/` from EventLogStore. */
    eventLogUri: pulumi.Input<string>;
    config: StackConfig;
    /** What the pod needs first (the node-setup DaemonSet on a cluster of the user's). */
    dependsOn?: pulumi.Resource[];
}

/**
 * A Spark Connect server in the job namespace (render/manifests.ts sparkConnectObjects): clients
 * dial `url` inside the cluster; from elsewhere, through `kubectl port-forward`.
 */
export class SparkConnect extends pulumi.ComponentResource {
    /** `sc://spark-connect.<namespace>.svc.cluster.local:15002`, once the server answers on it. */
    public readonly url: pulumi.Output<string>;
    /** How to reach it from a machine with the kubeconfig. */
    public readonly fromLaptop: { portForward: string; url: string };

    constructor(name: string, args: SparkConnectArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:SparkConnect", name, {}, opts);
        const cfg = args.config;
        const url = connectUrl(cfg);
        const laptop = connectFromLaptop(cfg);
        if (!url || !laptop) throw new Error("SparkConnect needs sparkConnect: true");
        const sparkDefaults = pulumi.all([args.eventLogUri, args.jobNamespace]).apply(([uri, ns]) => connectDefaults(cfg, uri, ns));
        const created = createObjects(name, connectManifests(cfg, sparkDefaults, args.serviceAccount), {
            parent: this,
            provider: args.provider,
            dependsOn: args.dependsOn,
        });
        // Pulumi waits for the Deployment: its pod is Ready once the server's port answers.
        const deployment = created.get(`Deployment/${sparkConnectName}`)!;
        this.url = deployment.id.apply(() => url);
        this.fromLaptop = laptop;
        this.registerOutputs({ url: this.url });
    }
}

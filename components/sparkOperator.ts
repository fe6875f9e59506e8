import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sparkOperatorValues, sparkServiceAccount } from "../render/helmValues";
import { ChartSource, ObjectStoreCredentials } from "../config";
import { namespace, objectStoreSecretObject } from "../render/manifests";
import { sparkOperator } from "../versions";
import { createObject } from "./k8sObjects";

export interface SparkOperatorArgs {
    /** Provider of the cluster (from KubeadmCluster). */
    provider: k8s.Provider;
    /** Namespace where SparkApplications and notebook executors run (default `spark-jobs`). */
    jobNamespace: string;
    /** Namespace of the operator itself (default `spark-operator`). */
    operatorNamespace?: string;
    /** Keys of a store of the user's: a Secret in the job namespace for drivers, executors and notebooks. */
    objectStoreCredentials?: ObjectStoreCredentials;
    /** The chart's repository, or a folder holding it (config operatorChart). */
    chart: ChartSource;
    /** A mirror of the controller image (config imageRegistry). */
    imageRegistry?: string;
    /** What must succeed before anything of the operator is made (the reads of a cluster of the user's). */
    dependsOn?: pulumi.Resource[];
}

/**
 * The Kubeflow Spark Operator from its pinned Helm chart, with the webhook and metrics on, and
 * the job namespace in which the chart creates the `spark` service account and its RBAC.
 */
export class SparkOperator extends pulumi.ComponentResource {
    public readonly jobNamespace: pulumi.Output<string>;
    public readonly serviceAccount: string;
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: SparkOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:SparkOperator", name, {}, opts);
        const childOpts = { parent: this, provider: args.provider };

        const nsOpts = { ...childOpts, dependsOn: args.dependsOn ?? [] };
        const jobNs = createObject(name, namespace(args.jobNamespace), nsOpts) as k8s.core.v1.Namespace;
        const operatorNs = createObject(name, namespace(args.operatorNamespace ?? "spark-operator"), nsOpts) as k8s.core.v1.Namespace;

        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "spark-operator",
            ...chartSourceArgs(args.chart),
            namespace: operatorNs.metadata.name,
            values: sparkOperatorValues(args.jobNamespace, args.imageRegistry),
            // Wait for the controller and the webhook: SparkApplications are refused until both run.
            skipAwait: false,
            timeout: 600,
        }, { ...childOpts, dependsOn: [jobNs] });

        const keys = args.objectStoreCredentials;
        const secret = keys
            ? [createObject(name, objectStoreSecretObject(args.jobNamespace, keys.accessKey, keys.secretKey), { ...childOpts, dependsOn: [jobNs] })]
            : [];

        this.serviceAccount = sparkServiceAccount;
        // Read through the release (and the store's Secret): users of the namespace wait until it serves them.
        const secretIds: pulumi.Output<string>[] = secret.map((s) => s.id);
        this.jobNamespace = pulumi.all([jobNs.metadata.name, this.release.status, pulumi.all(secretIds)]).apply(([ns]) => ns);
        this.registerOutputs({ jobNamespace: this.jobNamespace, release: this.release.status });
    }
}

/** The Release's chart arguments: the pinned chart from a repository (https:// or oci://), or a chart folder. */
export function chartSourceArgs(source: ChartSource): Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> {
    if ("path" in source) return { chart: source.path };
    if (source.repo.startsWith("oci://")) return { chart: `${source.repo}/${sparkOperator.chart}`, version: sparkOperator.version };
    return { chart: sparkOperator.chart, version: sparkOperator.version, repositoryOpts: { repo: source.repo } };
}

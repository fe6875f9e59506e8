import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { jobSparkConf, smokeCheckEnv, smokeManifest } from "../render/platform";
import { createObject } from "./k8sObjects";
import { HistoryServer } from "./historyServer";
import { KubeadmCluster } from "./kubeadmCluster";
import { NodeInfo } from "./clusterNodes";
import { SparkOperator } from "./sparkOperator";

export interface SmokeTestArgs {
    config: StackConfig;
    cluster: KubeadmCluster;
    controlPlane: NodeInfo;
    provider: k8s.Provider;
    /** The operator: its webhooks (failurePolicy Fail) must serve before any SparkApplication is created. */
    operator: SparkOperator;
    eventLogUri: pulumi.Input<string>;
    historyServer: HistoryServer;
}

/** What the self-check found: the smoke application and where to see it. */
export interface SmokeTestResult {
    applicationId: string;
    name: string;
    durationMs: number;
    historyUrl: string;
}

/**
 * The platform checks itself: a SparkApplication (Pi in Python, from the image's examples)
 * runs through the operator with event logs to S3; `pulumi up` then waits until it completed
 * and the History Server lists it, and fails with the driver's or the History Server's log tail.
 */
export class SmokeTest extends pulumi.ComponentResource {
    public readonly result: pulumi.Output<SmokeTestResult>;

    constructor(name: string, args: SmokeTestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:SmokeTest", name, {}, opts);
        const cfg = args.config;

        const sparkConf = pulumi.output(args.eventLogUri).apply((uri) => jobSparkConf(cfg, uri));
        // The chart's SparkApplication webhooks refuse every create until the operator's release is
        // up ("failed calling webhook"); the History Server must be there to list the result.
        const app = createObject(name, smokeManifest(cfg, sparkConf, args.operator.serviceAccount), {
            parent: this,
            provider: args.provider,
            dependsOn: [args.historyServer.deployment, args.operator.release],
        });

        const check = args.cluster.run(`${name}-check`, args.controlPlane, "smoke-check", {
            ...smokeCheckEnv(cfg),
            // Read through the operator: the check starts once the job namespace is served.
            NAMESPACE: args.operator.jobNamespace,
        // The uid changes whenever the application is created again (`pulumi up --replace`).
        }, { triggers: [(app as k8s.apiextensions.CustomResource).metadata.apply((m) => m?.uid ?? "")], dependsOn: [app], parent: this });

        // The check reaches the History Server on the control plane itself; users open it on the public URL.
        this.result = pulumi.all([check.stdout, args.historyServer.url]).apply(([out, url]) => {
            const r = parseSmokeResult(out);
            return { ...r, historyUrl: `${url}/history/${r.applicationId}/jobs/` };
        });
        this.registerOutputs({ result: this.result });
    }
}

/** The last line of scripts/smoke-check.sh's stdout is one JSON object. */
export function parseSmokeResult(stdout: string | undefined): SmokeTestResult {
    const line = (stdout ?? "").trim().split("\n").pop() ?? "";
    try {
        const r = JSON.parse(line);
        if (typeof r.applicationId === "string") return r as SmokeTestResult;
    } catch {
        // fall through to the error below
    }
    throw new Error(`the smoke check printed no result line; its output was:\n${stdout ?? "(none)"}`);
}

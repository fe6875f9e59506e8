import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { selfCheckName } from "../render/manifests";
import { jobSparkConf, selfCheckManifests, smokeApplicationName, smokeManifest } from "../render/platform";
import { sparkOperator } from "../versions";
import { createObject, createObjects } from "./k8sObjects";
import { HistoryServer } from "./historyServer";
import { SparkOperator } from "./sparkOperator";

export interface SmokeTestArgs {
    config: StackConfig;
    provider: k8s.Provider;
    /** The operator: its webhooks (failurePolicy Fail) must serve before any SparkApplication is created. */
    operator: SparkOperator;
    eventLogUri: pulumi.Input<string>;
    historyServer: HistoryServer;
    /** What else Spark pods need first (the node-setup DaemonSet on a cluster of the user's). */
    dependsOn?: pulumi.Resource[];
}

/** What the self-check found: the smoke application and where to see it. */
export interface SmokeTestResult {
    applicationId: string;
    name: string;
    durationMs: number;
    historyUrl: string;
}

/**
 * The platform checks itself: a SparkApplication (Pi in Python, from the image's examples) runs
 * through the operator with event logs to the store, then the self-check Job
 * (scripts/pod/self-check.py) waits until it completed and the History Server lists it. Pulumi
 * waits for the Job, so `pulumi up` fails with the end of the Job's log (the driver's or the
 * History Server's log tail) when the platform does not work. The same on every kind of cluster.
 */
export class SmokeTest extends pulumi.ComponentResource {
    public readonly result: pulumi.Output<SmokeTestResult>;

    constructor(name: string, args: SmokeTestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:spark:SmokeTest", name, {}, opts);
        const cfg = args.config;
        const childOpts = { parent: this, provider: args.provider };

        const sparkConf = pulumi.output(args.eventLogUri).apply((uri) => jobSparkConf(cfg, uri));
        // The chart's SparkApplication webhooks refuse every create until the operator's release is
        // up ("failed calling webhook"); the History Server must be there to list the result.
        const app = createObject(name, smokeManifest(cfg, sparkConf, args.operator.serviceAccount), {
            ...childOpts,
            dependsOn: [args.historyServer.deployment, args.operator.release, ...(args.dependsOn ?? [])],
        }) as k8s.apiextensions.CustomResource;

        // The application's uid changes whenever it is created again (`pulumi up --replace`): the
        // Job's template changes with it, and Pulumi runs the Job again.
        const runFor = app.metadata.apply((m) => m?.uid ?? "");
        const check = createObjects(name, selfCheckManifests(cfg, runFor), { ...childOpts, dependsOn: [app] });
        const job = check.get(`Job/${selfCheckName}`)!;

        // Read once the Job has completed: the application's id and times, as the operator recorded
        // them. (CustomResource.get would register no `status` output: name it among the args.)
        const done = new k8s.apiextensions.CustomResource(`${name}-result`, {
            apiVersion: sparkOperator.apiVersion,
            kind: "SparkApplication",
            status: undefined,
        }, { ...childOpts, id: pulumi.all([job.id, app.id]).apply(() => `${cfg.jobNamespace}/${smokeApplicationName}`) });

        const status = (done as unknown as { status: pulumi.Output<unknown> }).status;
        this.result = pulumi.all([status, args.historyServer.url]).apply(([status, url]) => {
            const r = smokeResult(status);
            return { ...r, historyUrl: `${url}/history/${r.applicationId}/jobs/` };
        });
        this.registerOutputs({ result: this.result });
    }
}

/** The smoke application's result from its status, once the self-check passed. */
export function smokeResult(status: unknown): Omit<SmokeTestResult, "historyUrl"> {
    const s = (status ?? {}) as { sparkApplicationId?: unknown; lastSubmissionAttemptTime?: unknown; terminationTime?: unknown };
    if (typeof s.sparkApplicationId !== "string" || s.sparkApplicationId === "") {
        throw new Error(`the smoke application has no .status.sparkApplicationId after the self-check passed; its status was: ${JSON.stringify(status)}`);
    }
    const started = Date.parse(String(s.lastSubmissionAttemptTime ?? ""));
    const ended = Date.parse(String(s.terminationTime ?? ""));
    return {
        applicationId: s.sparkApplicationId,
        name: smokeApplicationName,
        durationMs: Number.isFinite(started) && Number.isFinite(ended) ? ended - started : 0,
    };
}

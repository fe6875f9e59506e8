import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ObjectStoreCredentials } from "../config";
import { denyInsecureTransport, eventLogAccessPolicy, eventLogLifecycleRules } from "../render/s3";

export interface EventLogStoreArgs {
    /** Key prefix of the event logs, without slashes at either end (default `spark-events`). */
    prefix: string;
    /** Key prefix for jobs' own data (default `spark-data`); never expired. */
    dataPrefix: string;
    /** Days after which event logs expire. */
    retentionDays: number;
    /** Delete the bucket and every event log on `pulumi destroy` (default false: the bucket is kept). */
    forceDestroy: boolean;
    /**
     * Role of the EC2 nodes; the least-privilege event-log policy is attached to it. Absent (a
     * cluster of the user's, whose nodes have no instance profile): an IAM user gets the policy,
     * and its access key is the `credentials` output, for the Secret spark-object-store.
     */
    nodeRoleName?: pulumi.Input<string>;
    /** Prefix of `Name` tags. */
    clusterName: string;
}

/**
 * The S3 side: a private, encrypted, TLS-only bucket for Spark event logs, the event-log
 * "directory" object Spark needs before any job starts, lifecycle expiry, and an IAM policy on
 * the node role. Nothing here waits for the cluster.
 */
export class EventLogStore extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    /** `s3a://<bucket>/<prefix>/`: spark.eventLog.dir and the History Server's log directory. */
    public readonly eventLogUri: pulumi.Output<string>;
    /** `s3a://<bucket>/<dataPrefix>/`: where notebooks and jobs keep their own data. */
    public readonly dataUri: pulumi.Output<string>;
    public readonly policyArn: pulumi.Output<string>;
    /** The zero-byte directory object; jobs and the History Server start after it exists. */
    public readonly prefixMarker: aws.s3.BucketObjectv2;
    /** The IAM user's access key, without nodeRoleName. */
    public readonly credentials?: ObjectStoreCredentials;

    constructor(name: string, args: EventLogStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:storage:EventLogStore", name, {}, opts);
        const tags = { Name: `${args.clusterName}-event-logs`, "spark-platform/cluster": args.clusterName };

        const bucket = new aws.s3.Bucket(`${name}-bucket`, {
            bucketPrefix: `${args.clusterName.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30)}-spark-events-`,
            forceDestroy: args.forceDestroy,
            tags,
        }, {
            parent: this,
            // Without forceDestroy, destroy keeps the bucket and its logs (it leaves state, not AWS).
            retainOnDelete: !args.forceDestroy,
        });
        this.bucketName = bucket.bucket;

        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, { parent: bucket });
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, { parent: bucket });
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        }, { parent: bucket });
        new aws.s3.BucketPolicy(`${name}-tls-only`, {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) => JSON.stringify({ Version: "2012-10-17", Statement: [denyInsecureTransport(arn)] })),
        }, { parent: bucket, dependsOn: [publicAccess] });
        new aws.s3.BucketLifecycleConfiguration(`${name}-expiry`, {
            bucket: bucket.id,
            rules: eventLogLifecycleRules(args.prefix, args.retentionDays),
        }, { parent: bucket });

        // Spark refuses to start when spark.eventLog.dir does not exist; on S3 that is this object.
        this.prefixMarker = new aws.s3.BucketObjectv2(`${name}-prefix`, {
            bucket: bucket.id,
            key: `${args.prefix}/`,
            content: "",
            contentType: "application/x-directory",
        }, { parent: bucket, retainOnDelete: !args.forceDestroy });

        const policy = new aws.iam.Policy(`${name}-access`, {
            description: `Read and write Spark event logs and data under ${args.prefix}/ and ${args.dataPrefix}/ only`,
            policy: bucket.arn.apply((arn) => JSON.stringify(eventLogAccessPolicy(arn, [args.prefix, args.dataPrefix]))),
            tags,
        }, { parent: this });
        let attachment: pulumi.CustomResource;
        if (args.nodeRoleName !== undefined) {
            attachment = new aws.iam.RolePolicyAttachment(`${name}-access-attachment`, { role: args.nodeRoleName, policyArn: policy.arn }, { parent: policy });
        } else {
            const user = new aws.iam.User(`${name}-user`, { tags }, { parent: this });
            attachment = new aws.iam.UserPolicyAttachment(`${name}-access-attachment`, { user: user.name, policyArn: policy.arn }, { parent: policy });
            const key = new aws.iam.AccessKey(`${name}-key`, { user: user.name }, { parent: user });
            this.credentials = { accessKey: pulumi.secret(key.id), secretKey: key.secret };
        }
        this.policyArn = policy.arn;

        // Read through the directory object and the policy attachment: whoever uses the URI
        // (History Server, jobs) starts only once the prefix exists and the nodes may use it.
        this.eventLogUri = pulumi.all([bucket.bucket, this.prefixMarker.id, attachment.id]).apply(
            ([b]) => `s3a://${b}/${args.prefix}/`);
        this.dataUri = pulumi.interpolate`s3a://${bucket.bucket}/${args.dataPrefix}/`;
        this.registerOutputs({ bucketName: this.bucketName, eventLogUri: this.eventLogUri, dataUri: this.dataUri, policyArn: this.policyArn });
    }
}

/** The S3 side of the platform as plain data: bucket policy, node policy, lifecycle rules. */

/** The bucket policy statement that refuses every request not made over TLS. */
export function denyInsecureTransport(bucketArn: string): object {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/**
 * Least privilege for Spark and the History Server: objects only under the given prefixes.
 * Listing is allowed on the whole (dedicated) bucket: S3 answers 404 for a missing key only to
 * a caller that may list the bucket, and a HEAD carries no `s3:prefix` to match a condition on.
 * With a prefix condition every S3A `getFileStatus` of a key that does not exist yet (the event-log
 * directory's own name, a new Parquet folder) gets 403 and fails as AccessDeniedException.
 */
export function eventLogAccessPolicy(bucketArn: string, prefixes: string[]): object {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListBucket",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                Resource: [bucketArn],
            },
            {
                Sid: "ReadWriteUnderPrefixes",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: prefixes.flatMap((p) => [`${bucketArn}/${p}`, `${bucketArn}/${p}/*`]),
            },
        ],
    };
}

/** A lifecycle rule as the AWS provider's BucketLifecycleConfiguration takes it. */
export interface LifecycleRule {
    id: string;
    status: "Enabled";
    filter: { prefix?: string; and?: { prefix: string; objectSizeGreaterThan: number } };
    expiration?: { days: number };
    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * Event logs expire after `retentionDays`; the zero-byte `<prefix>/` directory object never does
 * (`objectSizeGreaterThan: 0`): without it every new SparkContext and a restarted History
 * Server fail on a missing log directory. Unfinished multipart uploads (a driver killed while
 * writing) are aborted after a day by their own rule.
 */
export function eventLogLifecycleRules(prefix: string, retentionDays: number): LifecycleRule[] {
    return [
        {
            id: "expire-event-logs",
            status: "Enabled",
            filter: { and: { prefix: `${prefix}/`, objectSizeGreaterThan: 0 } },
            expiration: { days: retentionDays },
        },
        {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: { prefix: `${prefix}/` },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
    ];
}

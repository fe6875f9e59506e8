// Plain resources shaped like the platform's own: each compliant unless a test changes it.
import { PlainResource, types } from "../rules";

export const bucketName = "spark-event-logs-1a2b3c";

export function bucketPolicyDocument(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [`arn:aws:s3:::${bucketName}`, `arn:aws:s3:::${bucketName}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

export function nodeRolePolicyDocument(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListEventLogPrefix",
                Effect: "Allow",
                Action: ["s3:ListBucket", "s3:GetBucketLocation"],
                Resource: `arn:aws:s3:::${bucketName}`,
                Condition: { StringLike: { "s3:prefix": ["spark-events/*"] } },
            },
            {
                Sid: "ReadWriteEventLogs",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: `arn:aws:s3:::${bucketName}/spark-events/*`,
            },
            { Sid: "DescribeForPricing", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
        ],
    });
}

export function bucketResources(): PlainResource[] {
    return [
        { type: types.bucket, name: "eventLogs-bucket", id: bucketName, props: { bucket: bucketName, forceDestroy: true } },
        {
            type: types.publicAccessBlock,
            name: "eventLogs-publicAccessBlock",
            props: {
                bucket: bucketName,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            },
        },
        {
            type: types.encryption,
            name: "eventLogs-encryption",
            props: { bucket: bucketName, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] },
        },
        { type: types.bucketPolicy, name: "eventLogs-tlsOnly", props: { bucket: bucketName, policy: bucketPolicyDocument() } },
    ];
}

export function instanceProps(): any {
    return {
        ami: "ami-0123456789abcdef0",
        instanceType: "t3.large",
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
        rootBlockDevice: { encrypted: true, volumeSize: 50, volumeType: "gp3" },
    };
}

export function deploymentProps(): any {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "history-server", namespace: "spark" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "history-server" } },
            template: {
                metadata: { labels: { app: "history-server" } },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 185, fsGroup: 185 },
                    initContainers: [{ name: "wait-for-bucket", image: "apache/spark:4.0.1" }],
                    containers: [{ name: "history-server", image: "apache/spark:4.0.1" }],
                },
            },
        },
    };
}

/** A compliant stack: cluster security group, nodes, bucket, IAM, Kubernetes workloads. */
export function compliantStack(): PlainResource[] {
    return [
        {
            type: types.securityGroup,
            name: "nodes-sg",
            props: {
                ingress: [
                    { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"] },
                    { protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["203.0.113.7/32"] },
                    { protocol: "-1", fromPort: 0, toPort: 0, self: true },
                    { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
                ],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            },
        },
        { type: types.instance, name: "nodes-controlPlane", props: instanceProps() },
        { type: types.instance, name: "nodes-worker-0", props: instanceProps() },
        ...bucketResources(),
        { type: types.iamRolePolicy, name: "eventLogs-nodeAccess", props: { role: "nodes-role", policy: nodeRolePolicyDocument() } },
        {
            type: types.iamRolePolicyAttachment,
            name: "nodes-ssm",
            props: { role: "nodes-role", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
        },
        { type: types.deployment, name: "history-deployment", props: deploymentProps() },
        {
            type: types.service,
            name: "history-service",
            props: { spec: { type: "NodePort", ports: [{ port: 18080, nodePort: 30180 }] } },
        },
    ];
}

/**
 * Modeled durations of `pulumi up` steps on AWS, in seconds, for the deploy benchmark.
 * Each number is an estimate with its reasoning; the benchmark measures the program's
 * dependency structure, not AWS. Change a number here and rerun `npm run bench`.
 */

export interface Step {
    seconds: number;
    why: string;
}

/** Node scripts, by the comment the program puts on each command line (`sudo bash -s # <script>`). */
export const nodeSteps: Record<string, Step> = {
    "wait-for-boot": { seconds: 60, why: "sshd answers 20-40 s after the instance is running; cloud-init's first boot (package lists, ssh keys) ends 30-60 s later" },
    "prepare-node": { seconds: 150, why: "apt update + containerd + kubelet/kubeadm/kubectl from pkgs.k8s.io (~60-90 s on a fresh Ubuntu), S3A jars from Maven Central (560 MB at ~50 MB/s in-region egress: ~15 s), module/sysctl/config steps" },
    "init-control-plane": { seconds: 90, why: "kubeadm init pulls ~5 control-plane images (~200 MB) and waits for a healthy API server; 60-120 s on 4 vCPUs" },
    "join-worker": { seconds: 40, why: "kubeadm join: TLS bootstrap and kubelet start, pulls kube-proxy; 30-60 s" },
    "wait-nodes-ready": { seconds: 20, why: "after the last join, the node turns Ready once Flannel runs on it (image pulled during join): 10-30 s" },
};

/** Other resources, by Pulumi type token (and name where it matters). */
export const resourceSteps: Record<string, Step> = {
    "aws:ec2/vpc:Vpc": { seconds: 3, why: "VPC create + DNS attributes" },
    "aws:ec2/subnet:Subnet": { seconds: 2, why: "API call, available at once" },
    "aws:ec2/internetGateway:InternetGateway": { seconds: 2, why: "create + attach" },
    "aws:ec2/routeTable:RouteTable": { seconds: 2, why: "create with route" },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": { seconds: 1, why: "API call" },
    "aws:ec2/securityGroup:SecurityGroup": { seconds: 3, why: "create + revoke default egress" },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": { seconds: 1, why: "API call" },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": { seconds: 1, why: "API call" },
    "aws:ec2/keyPair:KeyPair": { seconds: 1, why: "import public key" },
    "tls:index/privateKey:PrivateKey": { seconds: 0, why: "generated locally" },
    "random:index/randomPassword:RandomPassword": { seconds: 0, why: "generated locally" },
    "aws:iam/role:Role": { seconds: 2, why: "IAM create" },
    "aws:iam/instanceProfile:InstanceProfile": { seconds: 8, why: "the AWS provider waits for IAM propagation before instances may use it" },
    "aws:iam/policy:Policy": { seconds: 2, why: "IAM create" },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { seconds: 2, why: "IAM attach" },
    "aws:ec2/instance:Instance": { seconds: 35, why: "RunInstances to 'running', which the provider waits for: 15-40 s" },
    "aws:ec2/eip:Eip": { seconds: 2, why: "allocate address" },
    "aws:ec2/eipAssociation:EipAssociation": { seconds: 2, why: "associate with the running instance" },
    "aws:s3/bucket:Bucket": { seconds: 3, why: "create bucket" },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { seconds: 1, why: "API call" },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": { seconds: 1, why: "API call" },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": { seconds: 1, why: "API call" },
    "aws:s3/bucketPolicy:BucketPolicy": { seconds: 1, why: "API call" },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": { seconds: 2, why: "the provider waits until the rule reads back" },
    "aws:s3/bucketObjectv2:BucketObjectv2": { seconds: 1, why: "zero-byte PUT" },
    "pulumi:providers:kubernetes": { seconds: 0, why: "local" },
    "kubernetes:helm.sh/v3:Release/k8s-flannel": { seconds: 30, why: "Flannel images (~80 MB) pulled on the control plane, DaemonSet ready" },
    "kubernetes:helm.sh/v3:Release": { seconds: 60, why: "spark-operator controller and webhook images (~700 MB, built on apache/spark) pulled on a worker, both Deployments ready, webhook certificates" },
    "kubernetes:apps/v1:Deployment/history-deployment-spark-history-server": { seconds: 75, why: "apache/spark image pull (~700 MB) on a worker, JVM start, first S3 listing, readiness probe after 20 s" },
    "kubernetes:apps/v1:Deployment/jupyter-deployment-jupyter": { seconds: 150, why: "apache/spark image pull, then pip install jupyterlab (~60-90 s) into the notebook volume, startup probe" },
    "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication": { seconds: 1, why: "object create; the run itself is the self-check Job's" },
    "kubernetes:batch/v1:Job/smoke-job-spark-self-check": { seconds: 150, why: "apache/spark image pull on the driver's and executors' nodes (~700 MB, 40-60 s), Pi with 10 partitions (~30 s), pod scheduling, History Server listing within its 5 s update interval; Pulumi waits for the Job to complete" },
    kubernetes: { seconds: 1, why: "any other Kubernetes object: one API call" },
    "command:remote:Command": { seconds: 2, why: "a short command over an open SSH connection (kubeconfig, join token, drain registration)" },
};

/** Modeled seconds for one registered resource. */
export function modeledSeconds(type: string, name: string, inputs: Record<string, any>): Step {
    if (type === "command:remote:Command") {
        const script = /# ([a-z-]+)/.exec(String(inputs.create ?? ""))?.[1];
        if (script && nodeSteps[script]) return nodeSteps[script];
    }
    return resourceSteps[`${type}/${name}`]
        ?? resourceSteps[type]
        ?? (type.startsWith("kubernetes:") ? resourceSteps.kubernetes : { seconds: 0, why: "component or unmodeled: no time of its own" });
}

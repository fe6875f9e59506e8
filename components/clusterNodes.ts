import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { StackConfig } from "../config";
import { canonicalOwnerId, flannel, ubuntuReleases } from "../versions";

/** One EC2 machine of the cluster, as later components need it. */
export interface NodeInfo {
    /** Kubernetes node name (`control-plane`, `worker-1`, ...). */
    name: string;
    role: "control-plane" | "worker";
    instance: aws.ec2.Instance;
    publicIp: pulumi.Output<string>;
    privateIp: pulumi.Output<string>;
}

export interface ClusterNodesArgs {
    /** The validated stack config. */
    config: StackConfig;
    /** Prefix of `Name` tags, e.g. the stack name. */
    clusterName: string;
}

/** SSH user of Canonical's Ubuntu AMIs. */
export const sshUser = "ubuntu";

export const kubernetesApiPort = 6443;
export const nodePortRange = { from: 30000, to: 32767 };

/**
 * The EC2 side: network, security group, SSH key, node IAM role and the instances. The control
 * plane gets an Elastic IP so the API endpoint and the platform's URLs survive stop/start.
 */
export class ClusterNodes extends pulumi.ComponentResource {
    public readonly controlPlane: NodeInfo;
    public readonly workers: NodeInfo[];
    /** Public address of the control plane (its Elastic IP). */
    public readonly controlPlaneIp: pulumi.Output<string>;
    public readonly nodeRole: aws.iam.Role;
    public readonly securityGroupId: pulumi.Output<string>;
    /** Private key for SSH as `ubuntu`; empty when the user brought their own public key. */
    public readonly sshPrivateKey: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;

    constructor(name: string, args: ClusterNodesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:cluster:ClusterNodes", name, {}, opts);
        const cfg = args.config;
        const tags = (suffix: string) => ({ Name: `${args.clusterName}-${suffix}`, "spark-platform/cluster": args.clusterName });

        const network = cfg.vpcId && cfg.subnetId
            ? { vpcId: pulumi.output(cfg.vpcId), subnetId: pulumi.output(cfg.subnetId) }
            : this.createNetwork(name, cfg, tags);
        this.vpcId = network.vpcId;

        const sg = new aws.ec2.SecurityGroup(`${name}-nodes`, {
            vpcId: network.vpcId,
            description: "Spark platform cluster nodes",
            tags: tags("nodes"),
        }, { parent: this });
        this.securityGroupId = sg.id;
        this.createIngressRules(name, sg, cfg);

        const key = this.createKeyPair(name, cfg, tags);
        this.sshPrivateKey = key.privateKey;

        this.nodeRole = new aws.iam.Role(`${name}-node-role`, {
            description: "Role of the Spark platform's EC2 nodes; event-log access is attached by EventLogStore",
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: tags("node-role"),
        }, { parent: this });
        const profile = new aws.iam.InstanceProfile(`${name}-node-profile`, { role: this.nodeRole.name, tags: tags("node-profile") }, { parent: this.nodeRole });

        const ami = cfg.amiId
            ? pulumi.output(cfg.amiId)
            : aws.ec2.getAmiOutput({
                owners: [canonicalOwnerId],
                mostRecent: true,
                filters: [
                    { name: "name", values: [`ubuntu/images/hvm-ssd*/ubuntu-${ubuntuReleases[cfg.ubuntuRelease]}-${cfg.ubuntuRelease}-amd64-server-*`] },
                    { name: "architecture", values: ["x86_64"] },
                    { name: "virtualization-type", values: ["hvm"] },
                ],
            }, { parent: this }).id;

        const instance = (nodeName: string, role: NodeInfo["role"], instanceType: string, spot: boolean) =>
            new aws.ec2.Instance(`${name}-${nodeName}`, {
                ami,
                instanceType,
                subnetId: network.subnetId,
                vpcSecurityGroupIds: [sg.id],
                keyName: key.keyName,
                iamInstanceProfile: profile.name,
                associatePublicIpAddress: true,
                // IMDSv2 only; hop limit 2 lets pods reach instance-profile credentials.
                metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" },
                rootBlockDevice: {
                    volumeSize: cfg.rootVolumeSizeGb,
                    volumeType: cfg.rootVolumeType,
                    encrypted: true,
                    deleteOnTermination: true,
                    tags: tags(`${nodeName}-root`),
                },
                instanceMarketOptions: spot
                    ? { marketType: "spot", spotOptions: { instanceInterruptionBehavior: "stop", spotInstanceType: "persistent" } }
                    : undefined,
                tags: { ...tags(nodeName), "spark-platform/role": role },
            }, {
                parent: this,
                // A newer Ubuntu AMI must not replace a running node; `pulumi up --replace` does it on purpose.
                ignoreChanges: ["ami"],
            });

        const cpInstance = instance("control-plane", "control-plane", cfg.controlPlaneInstanceType, false);
        const eip = new aws.ec2.Eip(`${name}-control-plane-eip`, { domain: "vpc", tags: tags("control-plane-eip") }, { parent: cpInstance });
        const assoc = new aws.ec2.EipAssociation(`${name}-control-plane-eip-assoc`, { instanceId: cpInstance.id, allocationId: eip.id }, { parent: eip });
        // Read the address through the association, so users of it wait until it points at the node.
        this.controlPlaneIp = pulumi.all([eip.publicIp, assoc.id]).apply(([ip]) => ip);
        this.controlPlane = { name: "control-plane", role: "control-plane", instance: cpInstance, publicIp: this.controlPlaneIp, privateIp: cpInstance.privateIp };

        this.workers = [];
        for (let i = 1; i <= cfg.workerCount; i++) {
            const nodeName = `worker-${i}`;
            const w = instance(nodeName, "worker", cfg.workerInstanceType, cfg.spotWorkers);
            this.workers.push({ name: nodeName, role: "worker", instance: w, publicIp: w.publicIp, privateIp: w.privateIp });
        }

        this.registerOutputs({
            controlPlaneIp: this.controlPlaneIp,
            nodeRoleName: this.nodeRole.name,
            securityGroupId: this.securityGroupId,
            vpcId: this.vpcId,
        });
    }

    private createNetwork(name: string, cfg: StackConfig, tags: (s: string) => Record<string, string>) {
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: cfg.vpcCidr,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: tags("vpc"),
        }, { parent: this });
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, { parent: vpc });
        const subnet = new aws.ec2.Subnet(`${name}-public-subnet`, {
            vpcId: vpc.id,
            cidrBlock: cfg.subnetCidr,
            availabilityZone: cfg.availabilityZone,
            mapPublicIpOnLaunch: true,
            tags: tags("public"),
        }, { parent: vpc });
        const routes = new aws.ec2.RouteTable(`${name}-public-routes`, {
            vpcId: vpc.id,
            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
            tags: tags("public"),
        }, { parent: vpc });
        const assoc = new aws.ec2.RouteTableAssociation(`${name}-public-routes-assoc`, { subnetId: subnet.id, routeTableId: routes.id }, { parent: routes });
        // Instances need the route to the internet (apt, images) before their first boot step.
        return { vpcId: vpc.id, subnetId: pulumi.all([subnet.id, assoc.id]).apply(([id]) => id) };
    }

    private createIngressRules(name: string, sg: aws.ec2.SecurityGroup, cfg: StackConfig) {
        const rule = (ruleName: string, args: Omit<aws.vpc.SecurityGroupIngressRuleArgs, "securityGroupId">) =>
            new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName}`, { securityGroupId: sg.id, ...args }, { parent: sg });

        // Between nodes: everything (kubelet, etcd, NodePorts, Spark driver/executor traffic),
        // Flannel's VXLAN on UDP 8472 included.
        rule("from-nodes", { description: "All traffic between cluster nodes", ipProtocol: "-1", referencedSecurityGroupId: sg.id });
        rule("flannel-vxlan", {
            description: "Flannel VXLAN between nodes",
            ipProtocol: "udp",
            fromPort: flannel.vxlanPort,
            toPort: flannel.vxlanPort,
            referencedSecurityGroupId: sg.id,
        });

        const exposed = [
            { key: "ssh", description: "SSH", from: 22, to: 22 },
            { key: "kube-api", description: "Kubernetes API", from: kubernetesApiPort, to: kubernetesApiPort },
            { key: "nodeports", description: "NodePorts (History Server, JupyterLab)", from: nodePortRange.from, to: nodePortRange.to },
        ];
        cfg.allowedCidrs.forEach((cidr, i) => {
            const v6 = cidr.includes(":");
            for (const p of exposed) {
                rule(`${p.key}-${i}`, {
                    description: `${p.description} from allowedCidrs[${i}]`,
                    ipProtocol: "tcp",
                    fromPort: p.from,
                    toPort: p.to,
                    ...(v6 ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
                });
            }
        });

        new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, {
            securityGroupId: sg.id,
            description: "Nodes reach apt, container registries, Maven Central and S3",
            ipProtocol: "-1",
            cidrIpv4: "0.0.0.0/0",
        }, { parent: sg });
    }

    private createKeyPair(name: string, cfg: StackConfig, tags: (s: string) => Record<string, string>) {
        if (cfg.sshPublicKey) {
            const kp = new aws.ec2.KeyPair(`${name}-ssh`, { publicKey: cfg.sshPublicKey, tags: tags("ssh") }, { parent: this });
            return { keyName: kp.keyName, privateKey: pulumi.secret("") };
        }
        const generated = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem"] });
        const kp = new aws.ec2.KeyPair(`${name}-ssh`, { publicKey: generated.publicKeyOpenssh, tags: tags("ssh") }, { parent: this });
        return { keyName: kp.keyName, privateKey: pulumi.secret(generated.privateKeyOpenssh) };
    }
}

import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import { flannelValues } from "../render/helmValues";
import { kubeadmConfig } from "../render/kubeadm";
import { pointKubeconfigAt } from "../render/kubeconfig";
import { flannelNamespace } from "../render/manifests";
import { NodeScriptName, nodeScript, scriptHash, shellQuote } from "../render/nodeScripts";
import { prepareNodeEnv } from "../render/platform";
import { flannel } from "../versions";
import { NodeInfo, sshUser } from "./clusterNodes";
import { createObject } from "./k8sObjects";

export interface KubeadmClusterArgs {
    config: StackConfig;
    controlPlane: NodeInfo;
    workers: NodeInfo[];
    /** Elastic IP of the control plane: the API endpoint users and the provider use. */
    controlPlaneIp: pulumi.Input<string>;
    /** Private key for SSH as `ubuntu`; empty to use the local SSH agent. */
    sshPrivateKey: pulumi.Input<string>;
    /** Kubernetes context name in the kubeconfig output. */
    contextName: string;
}

/** How long nodes may take to become Ready after the last join. */
const nodesReadyTimeoutSeconds = 600;

/**
 * A kubeadm cluster on the machines of ClusterNodes, bootstrapped over SSH: every node prepared
 * in parallel, `kubeadm init` on the control plane, Flannel, every worker joined in parallel with
 * a join token made for it, then a wait until all nodes are Ready.
 */
export class KubeadmCluster extends pulumi.ComponentResource {
    /** Admin kubeconfig pointed at the Elastic IP (secret). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** Provider for everything that runs on the cluster; usable once all nodes are Ready. */
    public readonly provider: k8s.Provider;
    /** Kubernetes minor the nodes run. */
    public readonly kubernetesVersion: string;
    /** The last bootstrap step: all nodes Ready. */
    public readonly ready: command.remote.Command;
    /** Kubernetes node names, control plane first. */
    public readonly nodeNames: string[];
    private readonly sshKey: pulumi.Input<string>;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:cluster:KubeadmCluster", name, {}, opts);
        const cfg = args.config;
        const cp = args.controlPlane;
        this.sshKey = args.sshPrivateKey;
        this.kubernetesVersion = cfg.kubernetesVersion;
        this.nodeNames = [cp.name, ...args.workers.map((w) => w.name)];

        const prepared = new Map<string, command.remote.Command>();
        for (const node of [cp, ...args.workers]) {
            const boot = this.run(`${name}-${node.name}-boot`, node, "wait-for-boot", {}, { triggers: [node.instance.id] });
            const withJupyter = node.name === args.workers[0]?.name;
            prepared.set(node.name, this.run(`${name}-${node.name}-prepare`, node, "prepare-node", prepareNodeEnv(cfg, withJupyter), {
                triggers: [node.instance.id],
                dependsOn: [boot],
            }));
        }

        const kubeadmConfigText = pulumi.all([cp.privateIp, args.controlPlaneIp]).apply(([privateIp, publicIp]) =>
            kubeadmConfig({
                nodeName: cp.name,
                advertiseAddress: privateIp,
                certSans: [publicIp],
                podCidr: cfg.podCidr,
                serviceCidr: cfg.serviceCidr,
            }));
        const init = this.run(`${name}-init`, cp, "init-control-plane", { KUBEADM_CONFIG: kubeadmConfigText }, {
            triggers: [cp.instance.id],
            dependsOn: [prepared.get(cp.name)!],
        });

        const adminConf = new command.remote.Command(`${name}-kubeconfig`, {
            connection: this.connection(cp),
            create: "sudo cat /etc/kubernetes/admin.conf",
            triggers: [init.id],
            logging: "none",
            addPreviousOutputInEnv: false,
        }, { parent: this, dependsOn: [init], additionalSecretOutputs: ["stdout"] });
        this.kubeconfig = pulumi.secret(pulumi.all([adminConf.stdout, args.controlPlaneIp]).apply(([conf, ip]) =>
            pointKubeconfigAt(conf, ip, args.contextName)));

        // The CNI goes in before any worker joins; nodes turn Ready once it runs on them.
        const bootstrapProvider = new k8s.Provider(`${name}-bootstrap`, { kubeconfig: this.kubeconfig, deleteUnreachable: true }, { parent: this });
        const flannelNs = createObject(name, flannelNamespace(), { parent: this, provider: bootstrapProvider }) as k8s.core.v1.Namespace;
        const cni = new k8s.helm.v3.Release(`${name}-flannel`, {
            chart: flannel.chart,
            version: flannel.version,
            repositoryOpts: { repo: flannel.repository },
            namespace: flannelNs.metadata.name,
            values: flannelValues(cfg.podCidr),
            timeout: 600,
        }, { parent: this, provider: bootstrapProvider });

        const joined = args.workers.map((w) => {
            // A join token made for this worker only, valid 30 minutes: nothing long-lived sits in state.
            const token = new command.remote.Command(`${name}-${w.name}-join-token`, {
                connection: this.connection(cp),
                create: "sudo kubeadm token create --ttl 30m --print-join-command",
                triggers: [w.instance.id],
                logging: "none",
                addPreviousOutputInEnv: false,
            }, { parent: this, dependsOn: [init], additionalSecretOutputs: ["stdout"] });
            const join = this.run(`${name}-${w.name}-join`, w, "join-worker", { JOIN_COMMAND: pulumi.secret(token.stdout), NODE_NAME: w.name }, {
                triggers: [w.instance.id],
                dependsOn: [prepared.get(w.name)!, cni],
            });
            // Deleted before the worker's instance: drains the node so executors move elsewhere.
            new command.remote.Command(`${name}-${w.name}-drain`, {
                connection: this.connection(cp),
                create: `echo ${shellQuote(`${w.name} joined`)}`,
                delete: `sudo bash -c ${shellQuote(nodeScript("drain-node", { NODE_NAME: w.name }))}`,
                triggers: [scriptHash("drain-node")],
                addPreviousOutputInEnv: false,
            }, { parent: this, dependsOn: [join] });
            return join;
        });

        this.ready = this.run(`${name}-nodes-ready`, cp, "wait-nodes-ready", {
            EXPECTED_NODES: this.nodeNames.join(" "),
            TIMEOUT_SECONDS: String(nodesReadyTimeoutSeconds),
        }, { triggers: [this.nodeNames.join(" ")], dependsOn: [cni, ...joined] });

        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // Once the cluster is gone, destroy skips its objects instead of failing on the API.
            deleteUnreachable: true,
        }, { parent: this, dependsOn: [this.ready] });

        this.registerOutputs({ kubeconfig: this.kubeconfig, kubernetesVersion: this.kubernetesVersion });
    }

    /** SSH connection to a node as `ubuntu`, retried while the machine boots. */
    public connection(node: NodeInfo): command.types.input.remote.ConnectionArgs {
        return {
            host: node.publicIp,
            user: sshUser,
            privateKey: pulumi.output(this.sshKey).apply((k) => (k === "" ? undefined : k)) as pulumi.Output<string>,
            // A new instance answers SSH after 30-90 s: 40 attempts of up to 15 s each.
            dialErrorLimit: 40,
            perDialTimeout: 15,
        };
    }

    /** Runs scripts/<script>.sh on a node as root; the script and its environment travel on stdin. */
    public run(
        resourceName: string,
        node: NodeInfo,
        script: NodeScriptName,
        env: Record<string, pulumi.Input<string>>,
        opts: { triggers?: pulumi.Input<unknown>[]; dependsOn?: pulumi.Resource[]; parent?: pulumi.Resource },
    ): command.remote.Command {
        const stdin = pulumi.all(env).apply((e) => nodeScript(script, e));
        return new command.remote.Command(resourceName, {
            connection: this.connection(node),
            create: `sudo bash -s # ${script}`,
            stdin,
            triggers: [scriptHash(script), ...(opts.triggers ?? [])],
            addPreviousOutputInEnv: false,
        }, { parent: opts.parent ?? this, dependsOn: opts.dependsOn });
    }
}

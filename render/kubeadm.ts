import { stringify } from "yaml";

export interface KubeadmConfigArgs {
    /** Kubernetes node name of the control plane. */
    nodeName: string;
    /** Private IP the API server advertises to the other nodes. */
    advertiseAddress: string;
    /** Extra names and addresses in the API server certificate (the Elastic IP among them). */
    certSans: string[];
    podCidr: string;
    serviceCidr: string;
}

/** Lifetime of the bootstrap token `kubeadm init` makes (joins use tokens of their own). */
export const initTokenTtl = "15m0s";
export const initTokenDescription = "made by kubeadm init; unused, expires 15 minutes after init";

/** Replaced on the node by the exact version of the installed kubeadm (see scripts/init-control-plane.sh). */
export const kubernetesVersionMarker = "__KUBERNETES_VERSION__";

/** The kubeadm config (v1beta4, Kubernetes 1.31+) used by `kubeadm init` on the control plane. */
export function kubeadmConfig(args: KubeadmConfigArgs): string {
    const docs = [
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "InitConfiguration",
            localAPIEndpoint: { advertiseAddress: args.advertiseAddress, bindPort: 6443 },
            nodeRegistration: {
                name: args.nodeName,
                criSocket: "unix:///run/containerd/containerd.sock",
                kubeletExtraArgs: [{ name: "node-ip", value: args.advertiseAddress }],
            },
            // kubeadm turns an empty list into one token valid 24 h. This one (random, never
            // printed: --skip-token-print) expires 15 minutes after init; each worker gets a
            // short-lived token made for its own join.
            bootstrapTokens: [{ description: initTokenDescription, ttl: initTokenTtl }],
        },
        {
            apiVersion: "kubeadm.k8s.io/v1beta4",
            kind: "ClusterConfiguration",
            kubernetesVersion: kubernetesVersionMarker,
            // The private IP: nodes reach it inside the VPC, and it survives stop/start. Users
            // reach the API through the Elastic IP, which is among the certificate's SANs.
            controlPlaneEndpoint: `${args.advertiseAddress}:6443`,
            apiServer: { certSANs: unique([...args.certSans, args.advertiseAddress]) },
            networking: { podSubnet: args.podCidr, serviceSubnet: args.serviceCidr, dnsDomain: "cluster.local" },
        },
        {
            apiVersion: "kubelet.config.k8s.io/v1beta1",
            kind: "KubeletConfiguration",
            cgroupDriver: "systemd",
        },
    ];
    return docs.map((d) => stringify(d)).join("---\n");
}

function unique(values: string[]): string[] {
    return [...new Set(values.filter((v) => v !== ""))];
}

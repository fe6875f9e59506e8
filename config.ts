import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { defaultKubernetesMinor, KubernetesMinor, mavenCentral, retiredKubernetesMinors, sparkOperator, supportedKubernetesMinors, ubuntuReleases } from "./versions";

/** The project's config namespace: `pulumi config set spark-on-k8s:<key> <value>`. */
export const configNamespace = "spark-on-k8s";

/** vCPUs and memory of the x86_64 instance types this program sizes Spark executors for. */
export const instanceTypes: Record<string, { vcpu: number; memoryGiB: number }> = {
    "t2.large": { vcpu: 2, memoryGiB: 8 },
    "t2.xlarge": { vcpu: 4, memoryGiB: 16 },
    "t2.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "t3.large": { vcpu: 2, memoryGiB: 8 },
    "t3.xlarge": { vcpu: 4, memoryGiB: 16 },
    "t3.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "t3a.large": { vcpu: 2, memoryGiB: 8 },
    "t3a.xlarge": { vcpu: 4, memoryGiB: 16 },
    "t3a.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "m5.large": { vcpu: 2, memoryGiB: 8 },
    "m5.xlarge": { vcpu: 4, memoryGiB: 16 },
    "m5.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "m6i.large": { vcpu: 2, memoryGiB: 8 },
    "m6i.xlarge": { vcpu: 4, memoryGiB: 16 },
    "m6i.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "m6i.4xlarge": { vcpu: 16, memoryGiB: 64 },
    "m7i.large": { vcpu: 2, memoryGiB: 8 },
    "m7i.xlarge": { vcpu: 4, memoryGiB: 16 },
    "m7i.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "m7i-flex.large": { vcpu: 2, memoryGiB: 8 },
    "m7i-flex.xlarge": { vcpu: 4, memoryGiB: 16 },
    "m7i-flex.2xlarge": { vcpu: 8, memoryGiB: 32 },
    "r6i.large": { vcpu: 2, memoryGiB: 16 },
    "r6i.xlarge": { vcpu: 4, memoryGiB: 32 },
    "r6i.2xlarge": { vcpu: 8, memoryGiB: 64 },
    "c6i.xlarge": { vcpu: 4, memoryGiB: 8 },
    "c6i.2xlarge": { vcpu: 8, memoryGiB: 16 },
};

export const volumeTypes = ["gp2", "gp3", "io1", "io2", "st1", "sc1"] as const;
export type VolumeType = (typeof volumeTypes)[number];

/** The validated, typed configuration of one stack; produced once by `validateConfig`. */
export interface StackConfig {
    region: string;
    /** CIDRs allowed to reach SSH, the Kubernetes API and the NodePorts. */
    allowedCidrs: string[];
    allowOpenIngress: boolean;
    controlPlaneInstanceType: string;
    workerInstanceType: string;
    workerCount: number;
    spotWorkers: boolean;
    rootVolumeSizeGb: number;
    rootVolumeType: VolumeType;
    ubuntuRelease: string;
    amiId?: string;
    vpcId?: string;
    subnetId?: string;
    vpcCidr: string;
    subnetCidr: string;
    availabilityZone?: string;
    sshPublicKey?: string;
    kubernetesVersion: KubernetesMinor;
    podCidr: string;
    serviceCidr: string;
    jobNamespace: string;
    eventLogPrefix: string;
    /** Prefix for notebooks' and jobs' own data in the same bucket (read/write, never expired). */
    dataPrefix: string;
    eventLogRetentionDays: number;
    forceDestroyEventLogs: boolean;
    historyServerNodePort: number;
    jupyterNodePort: number;
    smokeTest: boolean;
    /** A Spark Connect server in the job namespace (render/manifests.ts sparkConnectObjects). */
    sparkConnect: boolean;
    /** An S3-compatible store of the user's instead of an S3 bucket the program makes. */
    objectStore?: ObjectStore;
    /** A Kubernetes cluster of the user's (the `kubeconfig` setting): no EC2, no kubeadm. */
    existingCluster?: ExistingCluster;
    /** Size of one worker node, for executor sizing: from workerInstanceType, or given with a cluster of the user's. */
    workerNode: { vcpu: number; memoryGiB: number };
    /** How the History Server and JupyterLab are exposed: a NodePort on publicAddress, or a cloud load balancer. */
    serviceType: ServiceType;
    /** Host users open the NodePorts on; default the control plane's Elastic IP (EC2 only). */
    publicAddress?: string;
    /** Registry prefix of the Spark and operator images (a mirror); default their public registries. */
    imageRegistry?: string;
    /** Where the spark-operator chart comes from: a chart repository URL, or a local chart folder. */
    operatorChart: ChartSource;
    /** Maven repository the S3A jars are downloaded from (checked against pinned SHA-256 sums). */
    s3aJarsRepository: string;
}

export const serviceTypes = ["NodePort", "LoadBalancer"] as const;
export type ServiceType = (typeof serviceTypes)[number];

/** A chart repository (`repo`) or a chart folder on the machine running Pulumi (`path`). */
export type ChartSource = { repo: string } | { path: string };

/** What the program needs to know about a cluster it did not make. */
export interface ExistingCluster {
    /** Node whose disk holds the notebooks (a hostPath volume), as on the program's own clusters. */
    notebookNode?: string;
    /** StorageClass of the notebooks' volume claim; with neither, the cluster's default class. */
    notebookStorageClass?: string;
}

/** A store of the user's (MinIO, Ceph, R2, ...): the bucket must exist; its keys are secret config. */
export interface ObjectStore {
    endpoint: string;
    bucket: string;
    region: string;
    pathStyle: boolean;
}

/** Keys of the object-store settings; the two credentials are read as secrets. */
export const objectStoreKeys = [
    "objectStoreEndpoint", "objectStoreBucket", "objectStoreRegion", "objectStorePathStyle",
    "objectStoreAccessKey", "objectStoreSecretKey",
] as const;
export const objectStoreSecretKeys = ["objectStoreAccessKey", "objectStoreSecretKey"] as const;

/** Settings of a cluster of the user's; `kubeconfig` is read as a secret. */
export const existingClusterKeys = ["kubeconfig", "notebookNode", "notebookStorageClass", "workerCpus", "workerMemoryGiB"] as const;

/** Settings that describe the EC2 machines or their network: refused with a cluster of the user's. */
export const ec2OnlyKeys = [
    "controlPlaneInstanceType", "workerInstanceType", "spotWorkers",
    "rootVolumeSizeGb", "rootVolumeType", "ubuntuRelease", "amiId", "vpcId", "subnetId", "vpcCidr", "subnetCidr",
    "availabilityZone", "sshPublicKey", "kubernetesVersion", "podCidr", "serviceCidr",
] as const satisfies readonly (keyof StackConfig)[];

/** Config as read from the stack, before validation: every value may be missing or wrong. */
export type RawConfig = {
    [K in keyof StackConfig | (typeof objectStoreKeys)[number] | (typeof existingClusterKeys)[number]]?: unknown;
};

export const defaults = {
    allowOpenIngress: false,
    controlPlaneInstanceType: "t3.xlarge",
    workerInstanceType: "t3.xlarge",
    workerCount: 2,
    spotWorkers: false,
    rootVolumeSizeGb: 50,
    rootVolumeType: "gp3",
    ubuntuRelease: "22.04",
    vpcCidr: "10.20.0.0/16",
    subnetCidr: "10.20.1.0/24",
    kubernetesVersion: defaultKubernetesMinor,
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    jobNamespace: "spark-jobs",
    eventLogPrefix: "spark-events",
    dataPrefix: "spark-data",
    eventLogRetentionDays: 30,
    forceDestroyEventLogs: false,
    historyServerNodePort: 30080,
    jupyterNodePort: 30088,
    smokeTest: true,
    sparkConnect: true,
    serviceType: "NodePort",
    operatorChart: sparkOperator.repository,
    s3aJarsRepository: mavenCentral,
    /** Worker size assumed with a cluster of the user's when workerCpus/workerMemoryGiB are not set (a t3.xlarge). */
    workerCpus: 4,
    workerMemoryGiB: 16,
} as const;

/** Thrown by `validateConfig` with every problem found, one per line. */
export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

interface Cidr {
    family: 4 | 6;
    prefix: number;
    /** Network address as a bigint, host bits cleared. */
    network: bigint;
    /** True when the address has bits set past the prefix (203.0.113.7/24): AWS refuses those. */
    hostBits: boolean;
}

export function parseCidr(text: string): Cidr | undefined {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
    if (!m) return undefined;
    const prefix = Number(m[2]);
    const v4 = parseIpv4(m[1]);
    if (v4 !== undefined) {
        if (prefix > 32) return undefined;
        const network = v4 & maskOf(32, prefix);
        return { family: 4, prefix, network, hostBits: network !== v4 };
    }
    const v6 = parseIpv6(m[1]);
    if (v6 !== undefined) {
        if (prefix > 128) return undefined;
        const network = v6 & maskOf(128, prefix);
        return { family: 6, prefix, network, hostBits: network !== v6 };
    }
    return undefined;
}

/** The CIDR's network address and prefix, as AWS and Kubernetes want it written. */
export function networkOf(c: Cidr): string {
    if (c.family === 4) {
        return `${[24n, 16n, 8n, 0n].map((sh) => String((c.network >> sh) & 255n)).join(".")}/${c.prefix}`;
    }
    const groups = Array.from({ length: 8 }, (_, i) => ((c.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
    // Longest run of zero groups (two or more) becomes "::".
    let best = [-1, 0];
    for (let i = 0; i < 8; ) {
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best[1] && j - i > 1) best = [i, j - i];
        i = j === i ? i + 1 : j;
    }
    const text = best[0] < 0
        ? groups.join(":")
        : `${groups.slice(0, best[0]).join(":")}::${groups.slice(best[0] + best[1]).join(":")}`;
    return `${text}/${c.prefix}`;
}

function maskOf(bits: number, prefix: number): bigint {
    return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

function parseIpv4(text: string): bigint | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) return undefined;
    let value = 0n;
    for (const p of parts) {
        if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
        value = (value << 8n) | BigInt(Number(p));
    }
    return value;
}

function parseIpv6(text: string): bigint | undefined {
    if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) return undefined;
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const headParts = head ? head.split(":") : [];
    const tailParts = tail ? tail.split(":") : [];
    const missing = 8 - headParts.length - tailParts.length;
    if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
    const groups = [...headParts, ...Array(tail === undefined ? 0 : missing).fill("0"), ...tailParts];
    let value = 0n;
    for (const g of groups) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        value = (value << 16n) | BigInt(parseInt(g, 16));
    }
    return value;
}

/** True when two IPv4 CIDRs share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    if (a.family !== b.family) return false;
    const bits = a.family === 4 ? 32 : 128;
    const prefix = Math.min(a.prefix, b.prefix);
    const mask = maskOf(bits, prefix);
    return (a.network & mask) === (b.network & mask);
}

function hostBitsProblem(k: string, verb: string, value: string, c: Cidr): string {
    return `${k} ${verb} ${JSON.stringify(value)}, whose address has host bits set past /${c.prefix}; ` +
        `AWS and Kubernetes take the network address: use ${JSON.stringify(networkOf(c))}` +
        (c.family === 4 && c.prefix < 32 ? ` (or ${JSON.stringify(value.split("/")[0] + "/32")} for that one address).` : ".");
}

/** A DNS name or an IPv4/IPv6 address, as a URL's host. */
function isHostName(text: string): boolean {
    if (parseIpv4(text) !== undefined || parseIpv6(text) !== undefined) return true;
    return text.length <= 253 && /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(text);
}

function isOpenCidr(c: Cidr): boolean {
    return c.prefix === 0;
}

/**
 * Validates raw stack config into a `StackConfig`. Every problem is collected and reported
 * together, each naming the key, the value given and what is expected.
 */
export function validateConfig(raw: RawConfig): StackConfig {
    const problems: string[] = [];
    const key = (k: string) => `${configNamespace}:${k}`;
    const show = (v: unknown) => JSON.stringify(v);

    function str<K extends keyof RawConfig>(k: K, fallback?: string): string | undefined {
        const v = raw[k];
        if (v === undefined || v === null || v === "") return fallback;
        if (typeof v !== "string") {
            problems.push(`${key(k)} is ${show(v)}; expected a string.`);
            return fallback;
        }
        return v;
    }
    function bool<K extends keyof RawConfig>(k: K, fallback: boolean): boolean {
        const v = raw[k];
        if (v === undefined || v === null || v === "") return fallback;
        if (typeof v === "boolean") return v;
        if (v === "true" || v === "false") return v === "true";
        problems.push(`${key(k)} is ${show(v)}; expected true or false.`);
        return fallback;
    }
    function int<K extends keyof RawConfig>(k: K, fallback: number, min: number, max: number): number {
        const v = raw[k];
        if (v === undefined || v === null || v === "") return fallback;
        const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            problems.push(`${key(k)} is ${show(v)}; expected a whole number from ${min} to ${max}.`);
            return fallback;
        }
        return n;
    }
    function cidr<K extends keyof StackConfig>(k: K, value: string): Cidr | undefined {
        const c = parseCidr(value);
        if (!c) problems.push(`${key(k)} is ${show(value)}; expected a CIDR such as 10.0.0.0/16.`);
        else if (c.hostBits) problems.push(hostBitsProblem(key(k), "is", value, c));
        return c;
    }
    function instanceType<K extends keyof StackConfig>(k: K, fallback: string): string {
        const t = str(k, fallback) ?? fallback;
        const spec = instanceTypes[t];
        if (!spec) {
            problems.push(
                `${key(k)} is ${show(t)}; expected an x86_64 instance type this program sizes Spark for: ` +
                    `${Object.keys(instanceTypes).join(", ")}.`,
            );
        } else if (spec.vcpu < 2) {
            problems.push(`${key(k)} is ${show(t)}; kubeadm needs at least 2 vCPUs per node.`);
        }
        return t;
    }

    const given = (k: keyof RawConfig) => raw[k] !== undefined && raw[k] !== null && raw[k] !== "";
    const existing = given("kubeconfig");
    if (existing) {
        const stray = ec2OnlyKeys.filter(given);
        if (stray.length) {
            problems.push(
                `${stray.map(key).join(", ")} ${stray.length === 1 ? "describes" : "describe"} the EC2 machines the program makes, ` +
                    `but ${key("kubeconfig")} is set (a cluster of yours, no EC2): remove ${stray.length === 1 ? "it" : "them"}, or remove ${key("kubeconfig")}.`,
            );
        }
    } else {
        const stray = existingClusterKeys.filter(given);
        if (stray.length) {
            problems.push(
                `${stray.map(key).join(", ")} ${stray.length === 1 ? "applies" : "apply"} only to a cluster of yours; ` +
                    `set ${key("kubeconfig")} too (\`pulumi config set --secret kubeconfig "$(cat ~/.kube/config)"\`), or remove ${stray.length === 1 ? "it" : "them"}.`,
            );
        }
    }

    const region = str("region");
    if (!region) {
        // A cluster and a store of the user's: nothing on AWS, no region needed.
        if (!(existing && given("objectStoreEndpoint"))) {
            problems.push(`aws:region is not set; run \`pulumi config set aws:region ap-northeast-2\` (or your region).`);
        }
    } else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
        problems.push(`aws:region is ${show(region)}; expected an AWS region such as ap-northeast-2.`);
    }

    const allowOpenIngress = bool("allowOpenIngress", defaults.allowOpenIngress);
    const allowedCidrs: string[] = [];
    const rawAllowed = raw.allowedCidrs;
    const serviceType = str("serviceType", defaults.serviceType) as ServiceType;
    if (!serviceTypes.includes(serviceType)) {
        problems.push(`${key("serviceType")} is ${show(serviceType)}; expected one of ${serviceTypes.join(", ")}.`);
    } else if (serviceType === "LoadBalancer" && !existing) {
        problems.push(
            `${key("serviceType")} is "LoadBalancer", but the kubeadm cluster the program makes on EC2 has no load-balancer ` +
                `controller: the Services would wait for an address forever. Use NodePort (the default) there; LoadBalancer is for a cluster of yours (${key("kubeconfig")}).`,
        );
    }

    // A cluster of the user's has no security group of the program's: its own rules decide who
    // reaches the NodePorts. A load balancer the program asks for admits allowedCidrs only.
    if (existing && serviceType !== "LoadBalancer") {
        if (given("allowedCidrs") || given("allowOpenIngress")) {
            problems.push(
                `${key("allowedCidrs")} and ${key("allowOpenIngress")} apply, with ${key("kubeconfig")}, only to ${key("serviceType")} LoadBalancer ` +
                    `(the load balancers' source ranges); the NodePorts of your cluster are behind its own firewall rules. Remove them, or set ${key("serviceType")} LoadBalancer.`,
            );
        }
    } else if (!given("allowedCidrs")) {
        problems.push(
            `${key("allowedCidrs")} is not set; it is required: the CIDRs allowed to reach SSH, the Kubernetes API ` +
                `and the NodePorts, e.g. \`pulumi config set --path 'allowedCidrs[0]' 203.0.113.7/32\` (your IP: curl -s https://checkip.amazonaws.com).`,
        );
    } else if (!Array.isArray(rawAllowed) || rawAllowed.length === 0) {
        problems.push(`${key("allowedCidrs")} is ${show(rawAllowed)}; expected a non-empty list of CIDRs.`);
    } else {
        for (const entry of rawAllowed) {
            const c = typeof entry === "string" ? parseCidr(entry) : undefined;
            if (!c) {
                problems.push(`${key("allowedCidrs")} has ${show(entry)}; expected a CIDR such as 203.0.113.7/32.`);
            } else if (c.hostBits) {
                problems.push(hostBitsProblem(key("allowedCidrs"), "has", entry as string, c));
            } else if (isOpenCidr(c) && !allowOpenIngress) {
                problems.push(
                    `${key("allowedCidrs")} has ${show(entry)}, which opens SSH, the Kubernetes API and the NodePorts ` +
                        `to the whole internet; use your own address range, or set ${key("allowOpenIngress")} true to accept that risk.`,
                );
            } else {
                allowedCidrs.push(entry as string);
            }
        }
    }

    const controlPlaneInstanceType = instanceType("controlPlaneInstanceType", defaults.controlPlaneInstanceType);
    const workerInstanceType = instanceType("workerInstanceType", defaults.workerInstanceType);
    const workerCount = int("workerCount", defaults.workerCount, 1, 50);
    const spotWorkers = bool("spotWorkers", defaults.spotWorkers);
    const rootVolumeSizeGb = int("rootVolumeSizeGb", defaults.rootVolumeSizeGb, 20, 16384);

    const rootVolumeType = str("rootVolumeType", defaults.rootVolumeType) as VolumeType;
    if (!volumeTypes.includes(rootVolumeType)) {
        problems.push(`${key("rootVolumeType")} is ${show(rootVolumeType)}; expected one of ${volumeTypes.join(", ")}.`);
    }

    const ubuntuRelease = str("ubuntuRelease", defaults.ubuntuRelease) ?? defaults.ubuntuRelease;
    if (!ubuntuReleases[ubuntuRelease]) {
        problems.push(`${key("ubuntuRelease")} is ${show(ubuntuRelease)}; expected one of ${Object.keys(ubuntuReleases).join(", ")}.`);
    }

    const amiId = str("amiId");
    if (amiId !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(amiId)) {
        problems.push(`${key("amiId")} is ${show(amiId)}; expected an AMI ID such as ami-0123456789abcdef0.`);
    }

    const vpcId = str("vpcId");
    const subnetId = str("subnetId");
    if ((vpcId === undefined) !== (subnetId === undefined)) {
        problems.push(
            `${key("vpcId")} and ${key("subnetId")} go together: set both to use an existing public subnet, or neither to create a VPC.`,
        );
    }
    if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
        problems.push(`${key("vpcId")} is ${show(vpcId)}; expected a VPC ID such as vpc-0123456789abcdef0.`);
    }
    if (subnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) {
        problems.push(`${key("subnetId")} is ${show(subnetId)}; expected a subnet ID such as subnet-0123456789abcdef0.`);
    }

    const vpcCidr = str("vpcCidr", defaults.vpcCidr) ?? defaults.vpcCidr;
    const subnetCidr = str("subnetCidr", defaults.subnetCidr) ?? defaults.subnetCidr;
    const podCidr = str("podCidr", defaults.podCidr) ?? defaults.podCidr;
    const serviceCidr = str("serviceCidr", defaults.serviceCidr) ?? defaults.serviceCidr;
    const vpc = cidr("vpcCidr", vpcCidr);
    const subnet = cidr("subnetCidr", subnetCidr);
    const pods = cidr("podCidr", podCidr);
    const services = cidr("serviceCidr", serviceCidr);
    if (vpc && subnet && !(cidrsOverlap(vpc, subnet) && subnet.prefix >= vpc.prefix)) {
        problems.push(`${key("subnetCidr")} is ${show(subnetCidr)}; expected a range inside ${key("vpcCidr")} ${show(vpcCidr)}.`);
    }
    for (const [k, c, v] of [["vpcCidr", vpc, vpcCidr], ["serviceCidr", services, serviceCidr]] as const) {
        if (pods && c && cidrsOverlap(pods, c)) {
            problems.push(`${key("podCidr")} ${show(podCidr)} overlaps ${key(k)} ${show(v)}; pick ranges that do not overlap.`);
        }
    }

    const availabilityZone = str("availabilityZone");
    if (availabilityZone !== undefined && region && !availabilityZone.startsWith(region)) {
        problems.push(`${key("availabilityZone")} is ${show(availabilityZone)}; expected a zone of ${region}, such as ${region}a.`);
    }

    const sshPublicKey = str("sshPublicKey");
    if (sshPublicKey !== undefined && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(sshPublicKey.trim())) {
        problems.push(`${key("sshPublicKey")} does not look like an OpenSSH public key; expected a line such as "ssh-ed25519 AAAA... you@host".`);
    }

    const kubernetesVersion = (str("kubernetesVersion", defaults.kubernetesVersion) ?? defaults.kubernetesVersion) as KubernetesMinor;
    if (retiredKubernetesMinors[kubernetesVersion] !== undefined) {
        const oldest = supportedKubernetesMinors[0];
        const [major, minor] = kubernetesVersion.split(".").map(Number);
        const steps = Array.from({ length: Number(oldest.split(".")[1]) - minor + 1 }, (_, i) => `${major}.${minor + i}`).join(" -> ");
        problems.push(
            `${key("kubernetesVersion")} is ${show(kubernetesVersion)}, past its end of life (${retiredKubernetesMinors[kubernetesVersion]}) and no longer accepted; ` +
            `accepted: ${supportedKubernetesMinors.join(", ")}. A cluster of this stack moves with kubeadm upgrade, one minor at a time (${steps}): ` +
            `see "Upgrading Kubernetes" in the README; then set kubernetesVersion to ${oldest} or newer (pulumi config set kubernetesVersion ${oldest}). ` +
            `A stack without a cluster yet can simply take a supported minor.`,
        );
    } else if (!(supportedKubernetesMinors as string[]).includes(kubernetesVersion)) {
        problems.push(
            `${key("kubernetesVersion")} is ${show(kubernetesVersion)}; expected a supported Kubernetes minor: ${supportedKubernetesMinors.join(", ")}.`,
        );
    }

    const jobNamespace = str("jobNamespace", defaults.jobNamespace) ?? defaults.jobNamespace;
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(jobNamespace) || jobNamespace.startsWith("kube-")) {
        problems.push(
            `${key("jobNamespace")} is ${show(jobNamespace)}; expected a Kubernetes namespace name (lowercase letters, digits, '-', not kube-*).`,
        );
    }

    const prefix = (k: "eventLogPrefix" | "dataPrefix") => {
        const v = str(k, defaults[k]) ?? defaults[k];
        if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(v)) {
            problems.push(`${key(k)} is ${show(v)}; expected an S3 key prefix without leading or trailing '/', such as ${defaults[k]}.`);
        }
        return v;
    };
    const eventLogPrefix = prefix("eventLogPrefix");
    const dataPrefix = prefix("dataPrefix");
    if (`${eventLogPrefix}/`.startsWith(`${dataPrefix}/`) || `${dataPrefix}/`.startsWith(`${eventLogPrefix}/`)) {
        problems.push(
            `${key("dataPrefix")} ${show(dataPrefix)} and ${key("eventLogPrefix")} ${show(eventLogPrefix)} overlap; ` +
                `expected two separate prefixes (event logs expire, data does not).`,
        );
    }
    const eventLogRetentionDays = int("eventLogRetentionDays", defaults.eventLogRetentionDays, 1, 3650);
    const forceDestroyEventLogs = bool("forceDestroyEventLogs", defaults.forceDestroyEventLogs);

    const historyServerNodePort = int("historyServerNodePort", defaults.historyServerNodePort, 30000, 32767);
    const jupyterNodePort = int("jupyterNodePort", defaults.jupyterNodePort, 30000, 32767);
    if (historyServerNodePort === jupyterNodePort) {
        problems.push(`${key("historyServerNodePort")} and ${key("jupyterNodePort")} are both ${historyServerNodePort}; expected two different ports.`);
    }
    const smokeTest = bool("smokeTest", defaults.smokeTest);
    const sparkConnect = bool("sparkConnect", defaults.sparkConnect);
    const objectStore = validateObjectStore();
    const existingCluster = existing ? validateExistingCluster() : undefined;
    const workerNode = existing
        ? {
            vcpu: int("workerCpus", defaults.workerCpus, 1, 1024),
            memoryGiB: int("workerMemoryGiB", defaults.workerMemoryGiB, 2, 16384),
        }
        : instanceTypes[workerInstanceType] ?? instanceTypes[defaults.workerInstanceType];

    const publicAddress = str("publicAddress");
    if (publicAddress !== undefined && !isHostName(publicAddress)) {
        problems.push(`${key("publicAddress")} is ${show(publicAddress)}; expected a host name or an IP address, with no scheme or port, such as spark.example.com.`);
    }
    if (existing && serviceType === "NodePort" && publicAddress === undefined) {
        problems.push(
            `${key("publicAddress")} is not set; with ${key("kubeconfig")} and ${key("serviceType")} NodePort it is required: ` +
                `the address of a node that you can reach on ports ${historyServerNodePort} and ${jupyterNodePort} (it makes the URL outputs). ` +
                `Or set ${key("serviceType")} LoadBalancer if your cluster gives Services external addresses.`,
        );
    }
    const imageRegistry = str("imageRegistry");
    if (imageRegistry !== undefined && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(imageRegistry)) {
        problems.push(`${key("imageRegistry")} is ${show(imageRegistry)}; expected a registry host with an optional path and no scheme or trailing '/', such as registry.example.com:5000/mirror.`);
    }
    const operatorChart = chartSource(str("operatorChart", defaults.operatorChart) ?? defaults.operatorChart);
    const s3aJarsRepository = (str("s3aJarsRepository", defaults.s3aJarsRepository) ?? defaults.s3aJarsRepository).replace(/\/+$/, "");
    if (!/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(s3aJarsRepository)) {
        problems.push(`${key("s3aJarsRepository")} is ${show(s3aJarsRepository)}; expected the http(s) URL of a Maven repository (a mirror of ${mavenCentral}).`);
    }

    if (problems.length > 0) throw new ConfigError(problems);

    return {
        // Unset only with a cluster and a store of the user's: nothing on AWS, the store's region stands in.
        region: region ?? objectStore?.region ?? "",
        allowedCidrs,
        allowOpenIngress,
        controlPlaneInstanceType,
        workerInstanceType,
        workerCount,
        spotWorkers,
        rootVolumeSizeGb,
        rootVolumeType,
        ubuntuRelease,
        amiId,
        vpcId,
        subnetId,
        vpcCidr,
        subnetCidr,
        availabilityZone,
        sshPublicKey: sshPublicKey?.trim(),
        kubernetesVersion,
        podCidr,
        serviceCidr,
        jobNamespace,
        eventLogPrefix,
        dataPrefix,
        eventLogRetentionDays,
        forceDestroyEventLogs,
        historyServerNodePort,
        jupyterNodePort,
        smokeTest,
        sparkConnect,
        ...(objectStore ? { objectStore } : {}),
        ...(existingCluster ? { existingCluster } : {}),
        workerNode,
        serviceType,
        ...(publicAddress !== undefined ? { publicAddress } : {}),
        ...(imageRegistry !== undefined ? { imageRegistry } : {}),
        operatorChart,
        s3aJarsRepository,
    };

    function validateExistingCluster(): ExistingCluster {
        const notebookNode = str("notebookNode");
        if (notebookNode !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(notebookNode)) {
            problems.push(`${key("notebookNode")} is ${show(notebookNode)}; expected the name of a node of your cluster (kubectl get nodes).`);
        }
        const notebookStorageClass = str("notebookStorageClass");
        if (notebookStorageClass !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(notebookStorageClass)) {
            problems.push(`${key("notebookStorageClass")} is ${show(notebookStorageClass)}; expected a StorageClass name (kubectl get storageclass).`);
        }
        if (notebookNode !== undefined && notebookStorageClass !== undefined) {
            problems.push(
                `${key("notebookNode")} and ${key("notebookStorageClass")} are both set; expected one: a node's disk (hostPath), ` +
                    `or a volume of that StorageClass (neither: a volume of the cluster's default StorageClass).`,
            );
        }
        return {
            ...(notebookNode !== undefined ? { notebookNode } : {}),
            ...(notebookStorageClass !== undefined ? { notebookStorageClass } : {}),
        };
    }

    /** A chart repository URL, or a folder holding the pinned chart (checked here, not at deploy time). */
    function chartSource(value: string): ChartSource {
        if (/^(https?|oci):\/\//.test(value)) {
            if (!/^(https?|oci):\/\/[^\s/]+(\/[^\s]*)?$/.test(value)) {
                problems.push(`${key("operatorChart")} is ${show(value)}; expected a chart repository URL (https://, oci://) or a chart folder.`);
            }
            return { repo: value.replace(/\/+$/, "") };
        }
        const chartYaml = path.join(value, "Chart.yaml");
        let text: string | undefined;
        try {
            text = fs.readFileSync(chartYaml, "utf8");
        } catch {
            problems.push(
                `${key("operatorChart")} is ${show(value)}, which is neither a chart repository URL (https://, oci://) nor a folder ` +
                    `holding Chart.yaml; expected the spark-operator chart ${sparkOperator.version}, e.g. from \`helm pull spark-operator --repo ${sparkOperator.repository} --version ${sparkOperator.version} --untar\`.`,
            );
            return { path: value };
        }
        const name = /^name:\s*"?([^"\s]+)"?\s*$/m.exec(text)?.[1];
        const version = /^version:\s*"?([^"\s]+)"?\s*$/m.exec(text)?.[1];
        if (name !== sparkOperator.chart || version !== sparkOperator.version) {
            problems.push(
                `${key("operatorChart")} ${show(value)} holds chart ${show(name)} version ${show(version)}; ` +
                    `expected ${sparkOperator.chart} ${sparkOperator.version}, the version this program pins and tests.`,
            );
        }
        return { path: path.resolve(value) };
    }

    function validateObjectStore(): ObjectStore | undefined {
        const endpoint = str("objectStoreEndpoint");
        if (endpoint === undefined) {
            const stray = objectStoreKeys.filter(given);
            if (stray.length) {
                problems.push(
                    `${stray.map(key).join(", ")} ${stray.length === 1 ? "is" : "are"} set without ${key("objectStoreEndpoint")}; ` +
                        `set the endpoint of your S3-compatible store too, or remove ${stray.length === 1 ? "it" : "them"} to use an S3 bucket the program makes.`,
                );
            }
            return undefined;
        }
        if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(endpoint)) {
            problems.push(`${key("objectStoreEndpoint")} is ${show(endpoint)}; expected http(s)://host[:port] with no path, such as https://minio.example.com:9000.`);
        }
        const bucket = str("objectStoreBucket");
        if (bucket === undefined) {
            problems.push(`${key("objectStoreBucket")} is not set; it is required with ${key("objectStoreEndpoint")}: the bucket (it must exist) for event logs and data.`);
        } else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) {
            problems.push(`${key("objectStoreBucket")} is ${show(bucket)}; expected an S3 bucket name (3-63 characters: lowercase letters, digits, '.', '-').`);
        }
        for (const k of objectStoreSecretKeys) {
            if (raw[k] === undefined || raw[k] === null || raw[k] === "") {
                problems.push(`${key(k)} is not set; it is required with ${key("objectStoreEndpoint")}: \`pulumi config set --secret ${k} ...\`.`);
            }
        }
        const storeRegion = str("objectStoreRegion", region ?? "us-east-1") ?? "us-east-1";
        if (!/^[a-z0-9-]+$/.test(storeRegion)) {
            problems.push(`${key("objectStoreRegion")} is ${show(storeRegion)}; expected a region name such as us-east-1 (most S3-compatible stores accept any).`);
        }
        const pathStyle = bool("objectStorePathStyle", true);
        return { endpoint: endpoint.replace(/\/$/, ""), bucket: bucket ?? "", region: storeRegion, pathStyle };
    }
}

const rawKeys: (keyof StackConfig)[] = [
    "allowedCidrs", "allowOpenIngress", "controlPlaneInstanceType", "workerInstanceType", "workerCount",
    "spotWorkers", "rootVolumeSizeGb", "rootVolumeType", "ubuntuRelease", "amiId", "vpcId", "subnetId",
    "vpcCidr", "subnetCidr", "availabilityZone", "sshPublicKey", "kubernetesVersion", "podCidr",
    "serviceCidr", "jobNamespace", "eventLogPrefix", "dataPrefix", "eventLogRetentionDays", "forceDestroyEventLogs",
    "historyServerNodePort", "jupyterNodePort", "smokeTest", "sparkConnect", "serviceType", "publicAddress", "imageRegistry",
    "operatorChart", "s3aJarsRepository",
];
const rawPlainClusterKeys = existingClusterKeys.filter((k) => k !== "kubeconfig");
const rawPlainStoreKeys = objectStoreKeys.filter((k) => !(objectStoreSecretKeys as readonly string[]).includes(k));
/** Every key of the project's namespace that loadConfig reads. */
export const configKeys: readonly string[] = [...rawKeys, ...objectStoreKeys, ...existingClusterKeys];

/** Reads this stack's config (`Pulumi.<stack>.yaml`) and validates it. */
export function loadConfig(): StackConfig {
    const cfg = new pulumi.Config(configNamespace);
    const raw: RawConfig = { region: new pulumi.Config("aws").get("region") };
    for (const k of rawKeys) {
        const text = cfg.get(k);
        if (text === undefined) continue;
        raw[k] = k === "allowedCidrs" ? parseJsonList(text) : text;
    }
    for (const k of rawPlainStoreKeys) raw[k] = cfg.get(k);
    // Only whether the keys are there: their values stay secret Outputs (objectStoreCredentials).
    for (const k of objectStoreSecretKeys) raw[k] = cfg.getSecret(k) === undefined ? undefined : "<secret>";
    for (const k of rawPlainClusterKeys) raw[k] = cfg.get(k);
    raw.kubeconfig = cfg.getSecret("kubeconfig") === undefined ? undefined : "<secret>";
    return validateConfig(raw);
}

export interface ObjectStoreCredentials {
    accessKey: pulumi.Output<string>;
    secretKey: pulumi.Output<string>;
}

/** The store's keys, as secrets (for the Kubernetes Secrets); undefined without a store of the user's. */
export function objectStoreCredentials(config: StackConfig): ObjectStoreCredentials | undefined {
    if (!config.objectStore) return undefined;
    const cfg = new pulumi.Config(configNamespace);
    return { accessKey: cfg.requireSecret("objectStoreAccessKey"), secretKey: cfg.requireSecret("objectStoreSecretKey") };
}

function parseJsonList(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

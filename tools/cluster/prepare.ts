/**
 * Prepares a run of the local test cluster: renders the test stack (test/cluster/Pulumi.cluster.yaml)
 * exactly as `npm run render` does, fills the placeholders with the test's values, applies the
 * VM-only overrides of test/cluster/overrides.yaml, and writes what tools/cluster/cluster.sh needs:
 *
 *   STATE/render/...            the render, placeholders filled (the join command stays: it is made at join time)
 *   STATE/init-control-plane.sh the program's init script with the overridden kubeadm configuration
 *   STATE/nodes/<node>/env      settings of tools/cluster/node.sh; STATE/containerd.toml, STATE/hosts
 *   STATE/cluster.env           shell variables for cluster.sh
 *
 * Usage: ts-node tools/cluster/prepare.ts STATE_DIR   (env: SPARKPLAT_PATH_DIRS)
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments, parse, stringify } from "yaml";
import { placeholders, renderAll } from "../../render/all";
import { nodeScript, shellQuote } from "../../render/nodeScripts";
import { jupyterDataDir } from "../../render/platform";
import { s3aJarsDir } from "../../render/sparkConf";
import { readStackConfig } from "../../render/stackFile";
import { spark } from "../../versions";

const root = path.join(__dirname, "..", "..");
export const overridesFile = path.join(root, "test", "cluster", "overrides.yaml");
export const stackFile = path.join(root, "test", "cluster", "Pulumi.cluster.yaml");

interface ClusterNode {
    name: string;
    address: string;
}

export interface Overrides {
    network: { bridge: string; hostAddress: string; prefixLength: number; wheelsPort: number; mavenPort: number; nodes: ClusterNode[] };
    kubeadm: Record<string, Record<string, unknown>>;
    kubeletExtraArgs: string;
    ignorePreflightErrors: string[];
    containerd: string;
}

export function readOverrides(file = overridesFile): Overrides {
    return parse(fs.readFileSync(file, "utf8")) as Overrides;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `over` merged into `base`: objects key by key; lists of {name, value} by name; anything else replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
    if (isObj(base) && isObj(over)) {
        const out: Obj = { ...base };
        for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
        return out;
    }
    const named = (l: unknown): l is { name: string }[] => Array.isArray(l) && l.every((e) => isObj(e) && typeof e.name === "string");
    if (named(base) && named(over)) {
        const out = base.map((e) => over.find((o) => o.name === e.name) ?? e);
        return [...out, ...over.filter((o) => !base.some((e) => e.name === o.name))];
    }
    return over;
}

/** The rendered kubeadm configuration with the overrides merged into the documents of the same kind. */
export function overrideKubeadmConfig(rendered: string, o: Overrides): string {
    const docs = parseAllDocuments(rendered).map((d) => d.toJS() as Obj);
    const kinds = new Set(docs.map((d) => d.kind as string));
    // A kind the render lacks is added as a document of its own, so it must name its apiVersion.
    const added = Object.entries(o.kubeadm).filter(([k]) => !kinds.has(k));
    for (const [k, v] of added) {
        if (typeof v.apiVersion !== "string") throw new Error(`overrides.yaml: kubeadm.${k} is not in the rendered configuration, so it needs an apiVersion`);
    }
    const merged = [
        ...docs.map((d) => deepMerge(d, o.kubeadm[d.kind as string] ?? {}) as Obj),
        ...added.map(([kind, v]) => ({ apiVersion: v.apiVersion, kind, ...v })),
    ];
    if (o.ignorePreflightErrors.length) {
        const init = merged.find((d) => d.kind === "InitConfiguration") as Obj;
        (init.nodeRegistration as Obj).ignorePreflightErrors = o.ignorePreflightErrors;
    }
    return merged.map((d) => stringify(d)).join("---\n");
}

/** Every placeholder of the render but the join command, with the test's values. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
    let out = text;
    for (const [key, value] of Object.entries(values)) out = out.split(placeholders[key as keyof typeof placeholders]).join(value);
    return out;
}

function shellVar(name: string, value: string): string {
    return `${name}=${shellQuote(value)}\n`;
}

export function prepare(state: string, env: NodeJS.ProcessEnv = process.env): void {
    const o = readOverrides();
    const cfg = readStackConfig(stackFile);
    const [controlPlane, ...workers] = o.network.nodes;
    if (!controlPlane || workers.length !== cfg.workerCount) {
        throw new Error(`overrides.yaml lists ${workers.length} workers; ${path.basename(stackFile)} has workerCount ${cfg.workerCount}`);
    }
    const store = cfg.objectStore;
    const s3 = store ? new URL(store.endpoint) : undefined;
    if (!store || !s3 || s3.hostname !== o.network.hostAddress) {
        throw new Error(`${path.basename(stackFile)} must set objectStoreEndpoint to the test's S3 server on ${o.network.hostAddress} (overrides.yaml network.hostAddress)`);
    }
    const bucket = store.bucket;
    const token = randomBytes(24).toString("hex");
    const values = {
        bucket,
        controlPlanePrivateIp: controlPlane.address,
        controlPlanePublicIp: controlPlane.address,
        jupyterToken: token,
    };
    const files = renderAll(cfg, "cluster");
    const renderDir = path.join(state, "render");
    fs.rmSync(renderDir, { recursive: true, force: true });
    for (const [rel, text] of Object.entries(files)) {
        const file = path.join(renderDir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, fillPlaceholders(text, values), { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
    }
    const kubeadm = overrideKubeadmConfig(fillPlaceholders(files["nodes/kubeadm-config.yaml"], values), o);
    fs.writeFileSync(path.join(state, "kubeadm-config.yaml"), kubeadm);
    // The program's init script, run as root on a node whose login user is root.
    fs.writeFileSync(path.join(state, "init-control-plane.sh"), nodeScript("init-control-plane", { KUBEADM_CONFIG: kubeadm, KUBECONFIG_OWNER: "root" }), {
        mode: 0o700,
    });
    // The self-check as the program runs it on the control plane.
    fs.writeFileSync(path.join(state, "containerd.toml"), o.containerd);
    const hosts = ["127.0.0.1 localhost", ...o.network.nodes.map((n) => `${n.address} ${n.name}`)].join("\n") + "\n";
    fs.writeFileSync(path.join(state, "hosts"), hosts);
    for (const n of o.network.nodes) {
        const dir = path.join(state, "nodes", n.name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(
            path.join(dir, "env"),
            shellVar("CGROUP_ROOT", `/sparkplat-${n.name}`) +
                shellVar("CONTAINERD_CONFIG", path.join(state, "containerd.toml")) +
                shellVar("KUBELET_EXTRA_ARGS", o.kubeletExtraArgs.split("{node}").join(n.name)) +
                shellVar("RESOLVER", o.network.hostAddress) +
                shellVar("PATH_DIRS", env.SPARKPLAT_PATH_DIRS ?? ""),
        );
    }
    fs.writeFileSync(path.join(state, "jupyter-token"), token + "\n", { mode: 0o600 });
    fs.writeFileSync(
        path.join(state, "cluster.env"),
        shellVar("BRIDGE", o.network.bridge) +
            shellVar("HOST_ADDRESS", o.network.hostAddress) +
            shellVar("PREFIX_LENGTH", String(o.network.prefixLength)) +
            shellVar("NODE_NAMES", o.network.nodes.map((n) => n.name).join(" ")) +
            shellVar("NODE_ADDRESSES", o.network.nodes.map((n) => n.address).join(" ")) +
            shellVar("IGNORE_PREFLIGHT_ERRORS", o.ignorePreflightErrors.join(",")) +
            shellVar("POD_CIDR", cfg.podCidr) +
            shellVar("JOB_NAMESPACE", cfg.jobNamespace) +
            shellVar("BUCKET", bucket) +
            shellVar("S3_PORT", s3.port || "80") +
            shellVar("EVENT_LOG_PREFIX", cfg.eventLogPrefix) +
            shellVar("WHEELS_PORT", String(o.network.wheelsPort)) +
            shellVar("MAVEN_PORT", String(o.network.mavenPort)) +
            shellVar("S3A_JARS_DIR", s3aJarsDir) +
            shellVar("JUPYTER_DATA_DIR", jupyterDataDir) +
            shellVar("NOTEBOOK_NODE", workers[0].name) +
            shellVar("SPARK_UID", String(spark.uid)) +
            shellVar("HISTORY_NODE_PORT", String(cfg.historyServerNodePort)) +
            shellVar("JUPYTER_NODE_PORT", String(cfg.jupyterNodePort)),
    );
}

if (require.main === module) {
    const state = process.argv[2];
    if (!state) {
        console.error("usage: prepare.ts STATE_DIR");
        process.exit(2);
    }
    try {
        prepare(path.resolve(state));
    } catch (e) {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    }
}

import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NodeScriptName } from "../render/nodeScripts";
import { RunResult, Sandbox } from "./stubs/sandbox";

// Issue "Reliability: faults and re-runs": a node step that fails half-way must leave the node
// in a state from which the next `pulumi up` finishes the job. For each of the seven node
// scripts (a test below checks that none is left out), a clean run
// lists the external commands it calls; then every call, one at a time, fails in each way
// that call can fail (see test/stubs/stub-lib.sh for how a stub does it), and a second run
// without faults must succeed and leave exactly the node a clean run leaves.

/** A way one call goes wrong: the fault line for $STUB_STATE/fault after the call number. */
interface FaultKind {
    name: string;
    spec: string;
    /** What the failing command prints on stderr. */
    message?: string;
}

const fault = (name: string, spec: string, message?: string): FaultKind => ({ name, spec, message });

const hangup = fault("session hangup (SIGHUP) as the call starts", "drop HUP");
const killedMid = fault("session killed (SIGKILL) half-way through the call", "drop-mid KILL");
const killedAfter = fault("session killed (SIGKILL) after the call did its work", "drop-after KILL");
const exit1 = fault("exit 1", "exit 1");
const aptLock = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)";
const aptFetch = "E: Failed to fetch https://pkgs.k8s.io/core:/stable:/v1.33/deb/Packages  Connection failed [IP: 18.155.68.128 443]";
const curlReset = "curl: (56) Recv failure: Connection reset by peer";

/**
 * The faults each command can meet, first match wins; every call can also meet `hangup`.
 * Both apt-get calls meet a held lock and a download error, one of them once (a retry
 * absorbs it) and the other throughout (the retries run out), crosswise, which covers the
 * same paths as all four at half the runs.
 */
const faultsByCommand: [RegExp, FaultKind[]][] = [
    [/^apt-get update /, [
        fault("apt lock held once", "exit 100", aptLock),
        fault("download error throughout", "exit 100 again", aptFetch),
    ]],
    [/^apt-get install /, [
        fault("download error once", "exit 100", aptFetch),
        fault("apt lock held throughout", "exit 100 again", aptLock),
        killedMid,
        killedAfter,
    ]],
    [/^curl .*\.jar\.part /, [
        fault("connection reset throughout", "exit 56 again", curlReset),
        fault("partial download, then a reset", "partial 56", curlReset),
        fault("wrong bytes (checksum mismatch)", "corrupt 0"),
        killedMid,
    ]],
    [/^curl /, [
        fault("connection reset throughout", "exit 56 again", curlReset),
        fault("partial download, then a reset", "partial 56", curlReset),
        killedMid,
    ]],
    [/^gpg /, [fault("gpg error", "exit 2", "gpg: no valid OpenPGP data found."), killedMid]],
    [/^systemctl is-enabled /, [exit1]],
    [/^systemctl /, [
        fault("unit failed", "exit 1", "Job for the unit failed because the control process exited with error code."),
        killedAfter,
    ]],
    [/^kubeadm init /, [
        fault("preflight error", "exit 1", "[ERROR Port-6443]: Port 6443 is in use"),
        fault("control plane timed out (files left behind)", "partial 1", "[wait-control-plane] context deadline exceeded"),
        killedMid,
        killedAfter,
    ]],
    [/^kubeadm join /, [
        fault("discovery error", "exit 1", "error execution phase preflight: couldn't validate the identity of the API Server"),
        fault("TLS bootstrap timed out (files left behind)", "partial 1", "[kubelet-start] timed out waiting for the condition"),
        killedMid,
        killedAfter,
    ]],
    [/^kubectl get --raw \/readyz /, [
        fault("API server refuses once", "exit 1", "The connection to the server was refused"),
        fault("API server refuses throughout", "exit 1 again", "The connection to the server was refused"),
    ]],
    [/^kubectl (get|describe|logs) /, [
        fault("API server refuses once", "exit 1", "The connection to the server was refused"),
        fault("request timed out", "exit 1", "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)"),
    ]],
    [/^kubectl (drain|delete) /, [
        fault("eviction refused (PodDisruptionBudget)", "exit 1", "error when evicting pods: Cannot evict pod as it would violate the pod's disruption budget."),
        killedAfter,
    ]],
    [/^(swapoff|modprobe|sysctl|apt-mark hold) /, [exit1, killedAfter]],
    [/^(kubeadm version|apt-mark showhold|containerd config|cloud-init) /, [exit1]],
    // Their exit status is their answer: a failed dpkg-query reads as "not installed", which
    // a fresh node answers anyway, and a failed fuser as "locks free".
    [/^(dpkg-query|fuser) /, []],
];

function faultsFor(call: string): FaultKind[] {
    const match = faultsByCommand.find(([pattern]) => pattern.test(`${call} `));
    assert.ok(match, `no fault kinds listed for the call "${call}": add its command to faultsByCommand`);
    return [hangup, ...match[1]];
}

/** What a script needs: its env, extra settings, and the node it starts on. */
interface Scenario {
    script: NodeScriptName;
    env: Record<string, string>;
    settings?: Record<string, string>;
    setUp?: (node: Sandbox) => void;
    /** What must hold however a run ended, checked right after the faulted run. */
    invariant?: (node: Sandbox) => string | undefined;
}

function sha256(content: string): string {
    return createHash("sha256").update(content).digest("hex");
}

const jars = [
    { file: "hadoop-aws-3.4.1.jar", content: "hadoop-aws bytes\n".repeat(8) },
    { file: "bundle-2.24.6.jar", content: "aws sdk bundle bytes\n".repeat(8) },
];
const jarsDir = "/opt/spark-s3a/jars";
const joinCommand = `kubeadm join 10.0.1.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:${"1".repeat(64)}`;

const scenarios: Scenario[] = [
    { script: "wait-for-boot", env: {} },
    {
        script: "prepare-node",
        env: {
            KUBERNETES_MINOR: "1.33",
            S3A_JARS_DIR: jarsDir,
            S3A_JARS: jars.map((j) => `${j.file} https://repo1.maven.org/maven2/x/${j.file} ${sha256(j.content)}`).join("\n"),
            SPARK_UID: String(process.getuid!()),
            JUPYTER_DATA_DIR: "/var/lib/jupyter",
        },
        setUp: (node) => {
            // An Ubuntu image as booted: a swap file in use, dpkg's journal directory, the
            // key and jars downloadable.
            node.writeNodeFile("/etc/fstab", "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
            node.writeNodeFile("/proc/swaps", "Filename Type Size Used Priority\n/swap.img file 1048572 0 -2\n");
            fs.mkdirSync(node.nodePath("/var/lib/dpkg/updates"), { recursive: true });
            node.setState("http/Release.key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\nkey bytes\n-----END PGP PUBLIC KEY BLOCK-----\n");
            for (const jar of jars) {
                node.setState(`http/${jar.file}`, jar.content);
            }
        },
        // Spark puts every *.jar of the directory on its classpath, whatever the script did.
        invariant: (node) => {
            const dir = node.nodePath(jarsDir);
            const present = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".jar")) : [];
            const bad = present.filter((f) => fs.readFileSync(path.join(dir, f), "utf8") !== jars.find((j) => j.file === f)?.content);
            return bad.length > 0 ? `incomplete or wrong jar left as final: ${bad.join(", ")}` : undefined;
        },
    },
    {
        script: "init-control-plane",
        env: { KUBEADM_CONFIG: "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: __KUBERNETES_VERSION__\n" },
        // Bash counts SECONDS in whole seconds, so 2 gives at least 1 s for a refused poll to be
        // retried, and is short enough for a refusal that stays.
        settings: { READY_TIMEOUT_SECONDS: "2" },
    },
    { script: "join-worker", env: { JOIN_COMMAND: joinCommand, NODE_NAME: "worker-1" } },
    {
        script: "wait-nodes-ready",
        env: { EXPECTED_NODES: "cp-0 worker-1", TIMEOUT_SECONDS: "2" },
        setUp: (node) => {
            node.writeNodeFile("/etc/kubernetes/admin.conf", "stub admin kubeconfig\n");
            node.setState("nodes", "cp-0 True\nworker-1 True\n");
        },
    },
    {
        script: "drain-node",
        env: { NODE_NAME: "worker-1" },
        setUp: (node) => {
            node.writeNodeFile("/etc/kubernetes/admin.conf", "stub admin kubeconfig\n");
            node.setState("nodes", "cp-0 True\nworker-1 True\n");
        },
        // Whatever was cut off, the other nodes stay; the drained one goes only by its own delete.
        invariant: (node) => (node.readState("nodes").includes("cp-0 True") ? undefined : "drain-node removed another node"),
    },
];

/** Logs whose wording may differ after a fault; only their presence and mode are compared. */
const diagnosticLogs = /^\/var\/log\//;

/**
 * The node as the scripts and stubs left it: every path under NODE_ROOT with its type, mode
 * and content (services and packages are files there too), and the control plane as the
 * workers see it.
 */
function snapshot(node: Sandbox): string[] {
    const entries: string[] = [];
    const walk = (base: string, label: string, rel: string) => {
        const full = path.join(base, rel);
        if (!fs.existsSync(full)) {
            return;
        }
        for (const name of fs.readdirSync(full).sort()) {
            const relative = `${rel}/${name}`;
            const stat = fs.lstatSync(path.join(base, relative));
            const mode = (stat.mode & 0o7777).toString(8);
            if (stat.isDirectory()) {
                entries.push(`${label}${relative}/ ${mode} uid=${stat.uid}`);
                walk(base, label, relative);
            } else {
                const content = diagnosticLogs.test(relative)
                    ? "(log)"
                    : JSON.stringify(fs.readFileSync(path.join(base, relative), "utf8").split(node.root).join("<root>"));
                entries.push(`${label}${relative} ${mode} uid=${stat.uid} ${content}`);
            }
        }
    };
    walk(node.root, "", "");
    walk(node.state, "[cluster]", "/cluster");
    return entries;
}

function history(node: Sandbox): string[] {
    const file = path.join(node.state, "history");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
}

function diff(expected: string[], actual: string[]): string {
    const missing = expected.filter((e) => !actual.includes(e)).map((e) => `  - ${e}`);
    const extra = actual.filter((a) => !expected.includes(a)).map((a) => `  + ${a}`);
    return [...missing, ...extra].join("\n");
}

interface Reference {
    calls: string[];
    state: string[];
    history: string[];
}

type Outcome = "absorbed" | "recovered" | "not converged";

interface CaseResult {
    script: NodeScriptName;
    index: number;
    call: string;
    kind: FaultKind;
    outcome: Outcome;
    /** The steps the faulted run announced; the last one is where it stopped. */
    steps: string[];
    problem?: string;
}

/** Runs fn over items with at most `limit` running at once. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const at = next++;
            results[at] = await fn(items[at]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

async function withSandbox<R>(scenario: Scenario, fn: (node: Sandbox) => Promise<R>): Promise<R> {
    const node = new Sandbox();
    try {
        scenario.setUp?.(node);
        return await fn(node);
    } finally {
        node.remove();
    }
}

function describeRun(label: string, run: RunResult): string {
    const ended = run.signal ? `killed by ${run.signal}` : `exit ${run.status}`;
    return `${label} ${ended}; stderr tail:\n${run.stderr.split("\n").slice(-8).join("\n")}`;
}

/**
 * kubeadm may run init or join again only after a reset has cleaned up the last attempt.
 * `skipped` is a call the session dropped before it ran, so it is no attempt.
 */
function unsafeRetries(calls: string[], skipped?: number): string | undefined {
    let pending: string | undefined;
    for (const [i, call] of calls.entries()) {
        if (/^kubeadm (init|join) /.test(call) && i !== skipped) {
            if (pending) {
                return `"${call.split(" ").slice(0, 2).join(" ")}" ran again without a kubeadm reset after the previous attempt`;
            }
            pending = call;
        } else if (call === "kubeadm reset --force") {
            pending = undefined;
        }
    }
    return undefined;
}

/** The fault bookkeeping of stub-lib.sh, which the re-run does not read. */
const faultFiles = new Set(["/fault", "/fault-calls", "/fault-argv", "/fault-hit"]);

/** Everything a run reads: the node and all stub state, sandbox paths made neutral. */
function startingPoint(node: Sandbox): string {
    const sandbox = path.dirname(node.root);
    const entries: string[] = [];
    const walk = (rel: string) => {
        for (const name of fs.readdirSync(path.join(sandbox, rel)).sort()) {
            const relative = `${rel}/${name}`;
            if (relative === "/calls.log" || faultFiles.has(relative.replace(/^\/state/, ""))) {
                continue;
            }
            const stat = fs.lstatSync(path.join(sandbox, relative));
            if (stat.isDirectory()) {
                entries.push(`${relative}/ ${stat.mode}`);
                walk(relative);
            } else if (stat.isSymbolicLink()) {
                entries.push(`${relative} -> ${fs.readlinkSync(path.join(sandbox, relative))}`);
            } else {
                const content = fs.readFileSync(path.join(sandbox, relative), "utf8").split(sandbox).join("<sandbox>");
                entries.push(`${relative} ${stat.mode} ${JSON.stringify(content)}`);
            }
        }
    };
    walk("");
    return sha256(entries.join("\n"));
}

interface Rerun {
    run: RunResult;
    state: string[];
    history: string[];
}

/**
 * A re-run depends only on the node and stub state it starts from, so faults that leave the
 * same state share one re-run (most "exit" and "hangup" faults at one call do).
 */
const reruns = new Map<string, Promise<Rerun>>();

function neutral(node: Sandbox, text: string): string {
    return text.split(path.dirname(node.root)).join("<sandbox>");
}

async function rerunFrom(scenario: Scenario, node: Sandbox): Promise<Rerun> {
    const key = `${scenario.script}:${startingPoint(node)}`;
    let rerun = reruns.get(key);
    if (!rerun) {
        rerun = node.runAsync(scenario.script, scenario.env, scenario.settings).then((run) => ({
            run: { ...run, calls: run.calls.map((c) => neutral(node, c)), stderr: neutral(node, run.stderr) },
            state: snapshot(node),
            history: history(node),
        }));
        reruns.set(key, rerun);
    }
    return rerun;
}

async function runCase(scenario: Scenario, reference: Reference, index: number, kind: FaultKind): Promise<CaseResult> {
    const call = reference.calls[index - 1];
    const result = (outcome: Outcome, steps: string[], problem?: string): CaseResult =>
        ({ script: scenario.script, index, call, kind, outcome, steps, problem });
    return withSandbox(scenario, async (node) => {
        node.setState("fault", `${index} ${kind.spec}\n${kind.message ? `${kind.message}\n` : ""}`);
        const faulted = await node.runAsync(scenario.script, scenario.env, scenario.settings);
        if (!fs.existsSync(path.join(node.state, "fault-hit"))) {
            return result("not converged", faulted.steps, `the fault never acted (does the stub model "${kind.spec}"?)`);
        }
        const broken = scenario.invariant?.(node);
        if (broken) {
            return result("not converged", faulted.steps, `after the faulted run: ${broken}`);
        }
        fs.rmSync(path.join(node.state, "fault"));
        const rerun = await rerunFrom(scenario, node);
        const problems: string[] = [];
        if (rerun.run.status !== 0) {
            problems.push(describeRun("the re-run", rerun.run), describeRun("after the faulted run", faulted));
        }
        const stateDiff = diff(reference.state, rerun.state);
        if (stateDiff !== "") {
            problems.push(`the node differs from a clean run's (- clean, + after fault and re-run):\n${stateDiff}`);
        }
        if (rerun.history.join("\n") !== reference.history.join("\n")) {
            problems.push(`kubeadm finished [${rerun.history.join(", ")}], a clean run finishes [${reference.history.join(", ")}]`);
        }
        const skipped = kind.spec.startsWith("drop ") ? index - 1 : undefined;
        const retry = unsafeRetries([...faulted.calls.map((c) => neutral(node, c)), ...rerun.run.calls], skipped);
        if (retry) {
            problems.push(retry);
        }
        if (problems.length > 0) {
            return result("not converged", faulted.steps, problems.join("\n"));
        }
        const absorbed = faulted.status === 0 && faulted.signal === null;
        return result(absorbed ? "absorbed" : "recovered", faulted.steps);
    });
}

/** Writes the whole matrix as a Markdown table when NODE_FAULTS_MATRIX names a file. */
function writeMatrix(file: string, results: CaseResult[]): void {
    const stepAt = new Map<string, string>();
    for (const r of results) {
        if (r.kind === hangup) {
            stepAt.set(`${r.script}#${r.index}`, r.steps[r.steps.length - 1] ?? "?");
        }
    }
    const rows = results.map((r) =>
        `| ${r.script} | ${r.index} | ${stepAt.get(`${r.script}#${r.index}`)} | \`${r.call.replace(/\/tmp\/\S+?\/root/g, "")}\` | ${r.kind.name} | ${r.outcome} |`);
    fs.writeFileSync(file, ["| script | call | step | command | fault | outcome |", "|---|---|---|---|---|---|", ...rows, ""].join("\n"));
}

describe("node scripts: a fault at any call, then a clean re-run", function () {
    // Hundreds of script runs, side by side; on this 2-core machine the whole matrix takes
    // a few seconds. The bound leaves room for a loaded CI runner.
    this.timeout(120_000);
    const results = new Map<NodeScriptName, CaseResult[]>();
    const references = new Map<NodeScriptName, Reference>();

    before(async () => {
        // Runs are mostly process start-up and file system work; two per core keeps both busy.
        const parallel = 2 * os.cpus().length;
        await pool(scenarios, parallel, async (scenario) => {
            const reference = await withSandbox(scenario, async (node) => {
                const run = await node.runAsync(scenario.script, scenario.env, scenario.settings);
                assert.equal(run.status, 0, describeRun(`clean ${scenario.script}`, run));
                return { calls: run.calls, state: snapshot(node), history: history(node) };
            });
            references.set(scenario.script, reference);
        });
        const cases = scenarios.flatMap((scenario) =>
            references.get(scenario.script)!.calls.flatMap((call, i) =>
                faultsFor(call).map((kind) => ({ scenario, index: i + 1, kind }))));
        const all = await pool(cases, parallel, (c) => runCase(c.scenario, references.get(c.scenario.script)!, c.index, c.kind));
        for (const scenario of scenarios) {
            results.set(scenario.script, all.filter((r) => r.script === scenario.script));
        }
        if (process.env.NODE_FAULTS_MATRIX) {
            writeMatrix(process.env.NODE_FAULTS_MATRIX, all);
        }
    });

    after(() => {
        for (const [script, cases] of results) {
            const count = (o: Outcome) => cases.filter((c) => c.outcome === o).length;
            console.log(`      ${script}: ${cases.length} cases over ${references.get(script)!.calls.length} calls: ` +
                `${count("recovered")} failed then recovered, ${count("absorbed")} absorbed by retry, ` +
                `${count("not converged")} did not converge`);
        }
    });

    for (const scenario of scenarios) {
        it(`${scenario.script}: every fault leaves a node the next run finishes`, () => {
            const cases = results.get(scenario.script)!;
            assert.ok(cases.length > 0, `no calls recorded for ${scenario.script}`);
            const failed = cases.filter((c) => c.outcome === "not converged");
            assert.deepEqual(failed.map((c) => `call ${c.index} \`${c.call}\` × ${c.kind.name}:\n${c.problem}`), []);
        });
    }

    it("leaves an unrecorded control plane alone when its API server does not answer", async () => {
        const init = scenarios.find((s) => s.script === "init-control-plane")!;
        await withSandbox(init, async (node) => {
            // As an init cut off after it wrote the control plane, on a node whose API server
            // stays down: it may hold a cluster, so only an operator may reset it.
            node.writeNodeFile("/etc/kubernetes/admin.conf", "stub admin kubeconfig\n");
            node.writeNodeFile("/etc/kubernetes/manifests/kube-apiserver.yaml", "stub static pod kube-apiserver\n");
            node.setState("api-down", "");
            const run = await node.runAsync("init-control-plane", init.env, { READY_TIMEOUT_SECONDS: "0" });
            assert.notEqual(run.status, 0, run.stderr);
            assert.match(run.stderr, /ERROR: step 'settle_earlier_init' failed/);
            assert.match(run.stderr, /API server does not answer within 0s; not resetting it unasked/);
            assert.deepEqual(run.calls.filter((c) => c.startsWith("kubeadm")), []);
        });
    });

    it("covers every node script", () => {
        const all = fs.readdirSync(path.join(__dirname, "..", "scripts")).filter((f) => f.endsWith(".sh") && f !== "lib.sh").map((f) => f.replace(/\.sh$/, ""));
        assert.deepEqual(scenarios.map((s) => s.script).sort(), all.sort());
    });

    it("makes kubeadm init and join finish exactly once per clean run", () => {
        assert.deepEqual(references.get("init-control-plane")!.history, ["init"]);
        assert.deepEqual(references.get("join-worker")!.history, ["join worker-1"]);
    });
});

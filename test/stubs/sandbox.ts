import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeScript, NodeScriptName } from "../../render/nodeScripts";

/**
 * Real programs the scripts may run. PATH holds these and the stubs in ./bin and nothing
 * else, so a command nobody stubbed fails with "command not found" instead of acting on
 * this machine (swapoff, sysctl, apt-get...).
 */
const realTools = [
    "awk", "basename", "bash", "cat", "chmod", "chown", "cmp", "cut", "dirname", "env", "grep",
    "head", "id", "install", "ls", "mkdir", "mktemp", "mv", "python3", "rm", "sed", "sha256sum",
    "sleep", "stat", "tail", "timeout", "touch", "tr", "wc",
];
const toolDirs = ["/usr/local/bin", "/usr/bin", "/bin"];
const stubsDir = __dirname;

/**
 * Each script runs in a session of its own, as over SSH: a stub that simulates a dropped
 * session kills that session's process group and nothing of the test runner's (whose
 * session id the stubs are told, to refuse it).
 */
const setsid = ["/usr/bin/setsid", "/bin/setsid"].find((p) => fs.existsSync(p));
const runnerSession = fs.readFileSync("/proc/self/stat", "utf8").replace(/^.*\) /s, "").split(" ")[3];

let toolbox: string | undefined;
/**
 * The directory every sandbox's PATH names: the stubs and links to the real tools. Stubs keep
 * their state where STUB_STATE and NODE_ROOT say, so one copy per test process serves all
 * sandboxes (the fault matrix makes hundreds of them).
 */
function sharedBin(): string {
    if (toolbox) {
        return path.join(toolbox, "bin");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-scripts-bin-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const found = (tool: string) => {
        const at = toolDirs.map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
        if (!at) {
            throw new Error(`the node-script tests need ${tool} on this machine`);
        }
        return at;
    };
    for (const tool of realTools) {
        fs.symlinkSync(found(tool), path.join(bin, tool));
    }
    // Stubs find stub-lib.sh at ../stub-lib.sh, as in the repository. Each runs under the
    // machine's bash directly rather than through `env`: one process less per stub call.
    fs.copyFileSync(path.join(stubsDir, "stub-lib.sh"), path.join(dir, "stub-lib.sh"));
    for (const stub of fs.readdirSync(path.join(stubsDir, "bin"))) {
        const text = fs.readFileSync(path.join(stubsDir, "bin", stub), "utf8");
        fs.writeFileSync(path.join(bin, stub), text.replace(/^#!\/usr\/bin\/env bash\n/, `#!${found("bash")}\n`), { mode: 0o755 });
    }
    toolbox = dir;
    return bin;
}

export interface RunResult {
    status: number | null;
    /** The signal that ended the script, e.g. when a stub dropped its session. */
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** The stubs called during this run, each as "command arg...", in order. */
    calls: string[];
    /** The `step` names the script announced, in order. */
    steps: string[];
}

/** A throwaway node: a root directory standing in for `/`, stub commands and their state. */
export class Sandbox {
    /** NODE_ROOT of the scripts: where /etc, /opt, /proc... of the fake node live. */
    readonly root: string;
    /** Where tests put what the stubs answer (see the comment at the top of each stub). */
    readonly state: string;
    private readonly dir: string;
    private readonly bin: string;
    private readonly log: string;

    constructor() {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "node-scripts-"));
        this.root = path.join(this.dir, "root");
        this.state = path.join(this.dir, "state");
        this.bin = sharedBin();
        this.log = path.join(this.dir, "calls.log");
        for (const dir of [this.root, this.state]) {
            fs.mkdirSync(dir);
        }
        fs.writeFileSync(this.log, "");
    }

    /** Runs the script as a node does: its nodeScript payload on the stdin of `bash -s`. */
    run(name: NodeScriptName, env: Record<string, string>, settings: Record<string, string> = {}): RunResult {
        const logBefore = this.logLength();
        const [command, args] = this.command();
        const result = spawnSync(command, args, {
            input: nodeScript(name, env),
            encoding: "utf8",
            timeout: 20_000,
            env: this.env(settings),
        });
        if (result.error) {
            throw result.error;
        }
        return this.result(logBefore, result.status, result.signal, result.stdout, result.stderr);
    }

    /**
     * As run, without blocking, so many sandboxes can run side by side. A run still going
     * after timeoutMs is killed with its whole session, and the promise rejects.
     */
    runAsync(
        name: NodeScriptName,
        env: Record<string, string>,
        settings: Record<string, string> = {},
        timeoutMs = 20_000,
    ): Promise<RunResult> {
        const logBefore = this.logLength();
        const [command, args] = this.command();
        return new Promise((resolve, reject) => {
            const child = spawn(command, args, { env: this.env(settings), stdio: ["pipe", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
            child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
            // A script killed before it read all of its payload closes the pipe early.
            child.stdin.on("error", () => undefined);
            const timer = setTimeout(() => {
                if (child.pid !== undefined) {
                    process.kill(-child.pid, "SIGKILL");
                }
                reject(new Error(`${name} still running after ${timeoutMs} ms; stderr:\n${stderr}`));
            }, timeoutMs);
            child.on("error", (error) => {
                clearTimeout(timer);
                reject(error);
            });
            child.on("close", (status, signal) => {
                clearTimeout(timer);
                resolve(this.result(logBefore, status, signal, stdout, stderr));
            });
            child.stdin.end(nodeScript(name, env));
        });
    }

    private command(): [string, string[]] {
        const bash = path.join(this.bin, "bash");
        return setsid ? [setsid, ["--wait", bash, "-s"]] : [bash, ["-s"]];
    }

    private env(settings: Record<string, string>): Record<string, string> {
        // Not process.env: nothing from the developer's shell (KUBECONFIG...) leaks in.
        return {
            PATH: this.bin,
            NODE_ROOT: this.root,
            STUB_STATE: this.state,
            STUB_LOG: this.log,
            STUB_RUNNER_SID: runnerSession,
            POLL_SECONDS: "0.05",
            RETRY_DELAY_SECONDS: "0",
            KUBECONFIG_OWNER: os.userInfo().username,
            LC_ALL: "C",
            ...settings,
        };
    }

    private logLength(): number {
        return fs.readFileSync(this.log, "utf8").length;
    }

    private result(
        logBefore: number,
        status: number | null,
        signal: NodeJS.Signals | null,
        stdout: string,
        stderr: string,
    ): RunResult {
        const calls = fs.readFileSync(this.log, "utf8").slice(logBefore).split("\n").filter((l) => l !== "");
        const steps = [...stderr.matchAll(/^==> \[[a-z-]+\] step (\S+)$/gm)].map((m) => m[1]);
        return { status, signal, stdout, stderr, calls, steps };
    }

    /** Path of a file on the fake node, e.g. nodePath("/etc/fstab"). */
    nodePath(absolute: string): string {
        return path.join(this.root, absolute);
    }

    writeNodeFile(absolute: string, content: string | Buffer): void {
        fs.mkdirSync(path.dirname(this.nodePath(absolute)), { recursive: true });
        fs.writeFileSync(this.nodePath(absolute), content);
    }

    readNodeFile(absolute: string): string {
        return fs.readFileSync(this.nodePath(absolute), "utf8");
    }

    /** Sets what the stubs answer: a file under the state directory. */
    setState(relative: string, content: string | Buffer): void {
        fs.mkdirSync(path.dirname(path.join(this.state, relative)), { recursive: true });
        fs.writeFileSync(path.join(this.state, relative), content);
    }

    /** What a stub keeps under the state directory ("" when absent). */
    readState(relative: string): string {
        const file = path.join(this.state, relative);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodeScript, NodeScriptName, scriptHash, shellQuote } from "../render/nodeScripts";
import { RunResult, Sandbox } from "./stubs/sandbox";
import { shellcheckPath } from "./support/shellcheck";

const repoRoot = path.join(__dirname, "..");
const scriptsDir = path.join(repoRoot, "scripts");
const allScripts: NodeScriptName[] = [
    "wait-for-boot",
    "prepare-node",
    "init-control-plane",
    "join-worker",
    "wait-nodes-ready",
    "drain-node",
];

/** Secret half of the bootstrap token the kubeadm stub and JOIN_COMMAND use. */
const tokenSecret = "0123456789abcdef";

/** Calls that change a node; a second run of an idempotent script makes none. */
const mutating =
    /^(apt-get (install|update)|apt-mark hold|systemctl (enable|restart)|swapoff|modprobe|sysctl|curl|gpg|kubeadm (init|join|reset)|kubectl (drain|delete))\b/;

function sha256(content: string | Buffer): string {
    return createHash("sha256").update(content).digest("hex");
}

function assertFailedAt(result: RunResult, step: string): void {
    assert.notEqual(result.status, 0, `expected a failure, stderr:\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`ERROR: step '${step}' failed \\(exit \\d+\\)`));
}

function assertSucceeded(result: RunResult): void {
    assert.equal(result.status, 0, `exit ${result.status}, stderr:\n${result.stderr}`);
}

function modeOf(file: string): string {
    return (fs.statSync(file).mode & 0o777).toString(8);
}

describe("nodeScript", () => {
    it("starts with one export line per variable whose value bash reads back unchanged", () => {
        const tricky = "it's \"quoted\" $HOME `date` \\ \n second line '' end";
        const payload = nodeScript("drain-node", { NODE_NAME: "worker-1", TRICKY: tricky });
        const lib = fs.readFileSync(path.join(scriptsDir, "lib.sh"), "utf8");
        const preamble = payload.slice(0, payload.indexOf(lib));
        assert.equal(preamble, `export NODE_NAME='worker-1'\nexport TRICKY=${shellQuote(tricky)}\n`);
        const echoed = spawnSync("bash", ["-c", `${preamble}printf %s "$TRICKY"`], { encoding: "utf8" });
        assert.equal(echoed.stdout, tricky);
    });

    it("rejects a variable name the shell cannot export", () => {
        assert.throws(() => nodeScript("drain-node", { "NODE-NAME": "x" }), /not a valid shell variable name/);
    });

    it("sends lib.sh then the script, as a payload bash can parse", () => {
        const lib = fs.readFileSync(path.join(scriptsDir, "lib.sh"), "utf8");
        for (const name of allScripts) {
            const payload = nodeScript(name, { A: "1" });
            const script = fs.readFileSync(path.join(scriptsDir, `${name}.sh`), "utf8");
            assert.equal(payload, `export A='1'\n${lib}${script}`);
            const parsed = spawnSync("bash", ["-n"], { input: payload, encoding: "utf8" });
            assert.equal(parsed.status, 0, `${name}: ${parsed.stderr}`);
        }
    });

    it("ends every script with main, so bash has read it all before it acts", () => {
        for (const name of allScripts) {
            const lines = fs.readFileSync(path.join(scriptsDir, `${name}.sh`), "utf8").trimEnd().split("\n");
            assert.equal(lines[lines.length - 1], 'main "$@"', name);
        }
    });

    it("hashes the script part only: lib plus script, whatever the env", () => {
        const lib = fs.readFileSync(path.join(scriptsDir, "lib.sh"), "utf8");
        for (const name of allScripts) {
            const script = fs.readFileSync(path.join(scriptsDir, `${name}.sh`), "utf8");
            assert.equal(scriptHash(name), sha256(lib + script));
        }
        assert.equal(new Set(allScripts.map(scriptHash)).size, allScripts.length);
    });

    it("gives a new scriptHash when a script or lib.sh changes", () => {
        // A copy of the module next to a copy of scripts/ reads the edited files.
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), "node-scripts-hash-"));
        try {
            fs.mkdirSync(path.join(copy, "render"));
            fs.copyFileSync(path.join(repoRoot, "render", "nodeScripts.ts"), path.join(copy, "render", "nodeScripts.ts"));
            fs.cpSync(scriptsDir, path.join(copy, "scripts"), { recursive: true });
            const copied = path.join(copy, "render", "nodeScripts.ts");
            const hashes = () => {
                delete require.cache[require.resolve(copied)];
                const copiedModule: typeof import("../render/nodeScripts") = require(copied);
                return { drain: copiedModule.scriptHash("drain-node"), join: copiedModule.scriptHash("join-worker") };
            };
            const before = hashes();
            assert.deepEqual(before, { drain: scriptHash("drain-node"), join: scriptHash("join-worker") });

            fs.appendFileSync(path.join(copy, "scripts", "drain-node.sh"), "# edited\n");
            const afterScript = hashes();
            assert.notEqual(afterScript.drain, before.drain);
            assert.equal(afterScript.join, before.join);

            fs.appendFileSync(path.join(copy, "scripts", "lib.sh"), "# edited\n");
            const afterLib = hashes();
            assert.notEqual(afterLib.drain, afterScript.drain);
            assert.notEqual(afterLib.join, afterScript.join);
        } finally {
            fs.rmSync(copy, { recursive: true, force: true });
        }
    });
});

describe("node scripts: shellcheck", () => {
    function shellcheck(files: string[]): Promise<{ status: number | null; output: string }> {
        return new Promise((resolve, reject) => {
            const child = spawn(shellcheckPath(), ["-x", ...files]);
            let output = "";
            child.stdout.on("data", (chunk) => (output += chunk));
            child.stderr.on("data", (chunk) => (output += chunk));
            child.on("error", reject);
            child.on("close", (status) => resolve({ status, output }));
        });
    }

    it("finds nothing in scripts/*.sh, the test stubs or the project's other shell scripts", async function () {
        // The first run of a fresh machine installs the pinned ShellCheck from PyPI.
        this.timeout(120_000);
        const stubs = path.join(__dirname, "stubs");
        // Two runs side by side: shellcheck is the slowest part of this file.
        const results = await Promise.all([
            shellcheck(fs.readdirSync(scriptsDir).filter((f) => f.endsWith(".sh")).map((f) => path.join(scriptsDir, f))),
            shellcheck([
                path.join(stubs, "stub-lib.sh"),
                ...fs.readdirSync(path.join(stubs, "bin")).map((f) => path.join(stubs, "bin", f)),
            ]),
            // The project's other shell: CI, tools, tiers and the benchmark.
            shellcheck([".ci/run", "bench/run.sh", "bench/mutation.sh", "tools/actionlint.sh", "tools/shellcheck.sh", "tools/k8s/build.sh", "tools/k8s/overlay-run.sh",
                "tools/k8s/build-extras.sh", "tools/versions.sh", "tools/module-dir.sh", "tools/images/lib.sh", "tools/images/spark.sh", "tools/images/spark-entrypoint.sh",
                "tools/images/pip-wheels.sh", "tools/images/check-images.sh", "tools/images/system.sh", "tools/images/check-system.sh",
                "tools/cluster/cluster.sh", "tools/cluster/node.sh", "tools/cluster/local.sh", "test/cluster/run.sh", "test/cluster/lib.sh",
                "tools/engine/pulumi.sh", "tools/local/stack.sh", "test/engine/run.sh",
                "tools/sparkapp-validate/check.sh", "test/integration/run.sh", "test/integration/setup.sh", "test/integration/leftovers.sh", "test/real/kubeadm.sh"]
                .map((f) => path.join(__dirname, "..", f))),
        ]);
        for (const result of results) {
            assert.equal(result.status, 0, result.output);
        }
    });
});

describe("node scripts against stub commands", function () {
    // The suite stays fast; this bounds a script that would hang, with room for slow CI.
    this.timeout(15_000);
    let node: Sandbox;
    beforeEach(() => {
        node = new Sandbox();
    });
    afterEach(() => {
        node.remove();
    });

    describe("wait-for-boot", () => {
        it("waits for cloud-init and then for the package locks to be released", () => {
            node.setState("locks-busy", "2");
            const result = node.run("wait-for-boot", {});
            assertSucceeded(result);
            assert.deepEqual(result.steps, ["check_environment", "wait_for_cloud_init", "wait_for_package_locks"]);
            assert.equal(result.calls.filter((c) => c.startsWith("fuser ")).length, 3);
            assert.equal(result.calls[0], "cloud-init status --wait");
        });

        it("accepts a degraded cloud-init", () => {
            node.setState("cloud-init-status", "status: degraded done\n");
            node.setState("cloud-init-exit", "2");
            assertSucceeded(node.run("wait-for-boot", {}));
        });

        it("fails with cloud-init's output when cloud-init reports an error", () => {
            node.setState("cloud-init-status", "status: error\nerrors:\n\t('scripts_user', RuntimeError('boom'))\n");
            node.setState("cloud-init-exit", "1");
            const result = node.run("wait-for-boot", {});
            assertFailedAt(result, "wait_for_cloud_init");
            assert.match(result.stderr, /RuntimeError\('boom'\)/);
        });
    });

    describe("prepare-node", () => {
        const jars = [
            { file: "hadoop-aws-3.4.1.jar", content: "hadoop-aws bytes\n" },
            { file: "bundle-2.24.6.jar", content: "aws sdk bundle bytes\n" },
        ];
        const jarsDir = "/opt/spark-s3a/jars";
        const env = (sums = jars.map((j) => sha256(j.content))): Record<string, string> => ({
            KUBERNETES_MINOR: "1.33",
            S3A_JARS_DIR: jarsDir,
            S3A_JARS: jars.map((j, i) => `${j.file} https://repo1.maven.org/maven2/x/${j.file} ${sums[i]}`).join("\n"),
            SPARK_UID: String(process.getuid!()),
            JUPYTER_DATA_DIR: "/var/lib/jupyter",
        });

        /** An Ubuntu image as booted: a swap file in use, the key and jars downloadable. */
        const prepareFreshNode = (sandbox: Sandbox) => {
            sandbox.writeNodeFile("/etc/fstab", "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
            sandbox.writeNodeFile("/proc/swaps", "Filename Type Size Used Priority\n/swap.img file 1048572 0 -2\n");
            sandbox.setState("http/Release.key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
            for (const jar of jars) {
                sandbox.setState(`http/${jar.file}`, jar.content);
            }
        };
        beforeEach(() => {
            prepareFreshNode(node);
        });

        describe("on a fresh node, run twice", () => {
            // One sandbox for these three: the runs are the slowest part of the suite.
            let fresh: Sandbox;
            let first: RunResult;
            let second: RunResult;
            before(() => {
                fresh = new Sandbox();
                prepareFreshNode(fresh);
                first = fresh.run("prepare-node", env());
                second = fresh.run("prepare-node", env());
            });
            after(() => {
                fresh.remove();
            });

            it("runs its steps in order, configuring containerd before installing the kubelet", () => {
                assertSucceeded(first);
                assert.deepEqual(first.steps, [
                    "check_environment",
                    "disable_swap",
                    "load_kernel_modules",
                    "configure_sysctl",
                    "install_containerd",
                    "configure_containerd",
                    "add_kubernetes_repo",
                    "install_kubernetes_packages",
                    "install_node_tools",
                    "enable_kubelet",
                    "install_s3a_jars",
                    "create_jupyter_data_dir",
                ]);
                const at = (call: string) => first.calls.findIndex((c) => c.startsWith(call));
                const install = "apt-get install -y -q -o DPkg::Lock::Timeout=120";
                assert.ok(at(`${install} containerd`) >= 0, first.calls.join("\n"));
                assert.ok(at(`${install} containerd`) < at("containerd config default"));
                assert.ok(at("containerd config default") < at("systemctl restart containerd"));
                assert.ok(at("systemctl restart containerd") < at(`${install} kubelet kubeadm kubectl`));
                assert.ok(at(`${install} kubelet kubeadm kubectl`) < at("apt-mark hold kubelet kubeadm kubectl"));
                assert.ok(at("apt-mark hold kubelet kubeadm kubectl") < at("systemctl enable --now kubelet"));
                // crictl (the node hints name it) and conntrack (kubeadm preflight) come with the node.
                assert.ok(at(`${install} cri-tools conntrack`) > at(`${install} kubelet kubeadm kubectl`), first.calls.join("\n"));
                const keyring = fresh.nodePath("/etc/apt/keyrings/kubernetes-apt-keyring.gpg");
                assert.ok(first.calls.includes(
                    `curl -fsSL --max-time 60 -o ${keyring}.asc https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key`,
                ));
            });

            it("leaves the node configured as kubeadm and Spark expect", () => {
                assert.equal(fresh.readNodeFile("/etc/fstab"), "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n#/swap.img none swap sw 0 0\n");
                assert.equal(fresh.readNodeFile("/proc/swaps"), "Filename Type Size Used Priority\n");
                assert.equal(fresh.readNodeFile("/etc/modules-load.d/kubernetes.conf"), "overlay\nbr_netfilter\n");
                assert.ok(fs.existsSync(fresh.nodePath("/sys/module/br_netfilter")));
                assert.equal(fresh.readNodeFile("/proc/sys/net/ipv4/ip_forward"), "1\n");
                assert.match(fresh.readNodeFile("/etc/crictl.yaml"), /^runtime-endpoint: unix:\/\/\/run\/containerd\/containerd\.sock$/m);
                assert.equal(fresh.readNodeFile("/proc/sys/net/bridge/bridge-nf-call-ip6tables"), "1\n");
                assert.match(fresh.readNodeFile("/etc/containerd/config.toml"), /^\s*SystemdCgroup = true$/m);
                assert.equal(
                    fresh.readNodeFile("/etc/apt/sources.list.d/kubernetes.list"),
                    "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.33/deb/ /\n",
                );
                assert.equal(modeOf(fresh.nodePath(jarsDir)), "755");
                assert.deepEqual(fs.readdirSync(fresh.nodePath(jarsDir)).sort(), jars.map((j) => j.file).sort());
                for (const jar of jars) {
                    assert.equal(fresh.readNodeFile(`${jarsDir}/${jar.file}`), jar.content);
                    assert.equal(modeOf(fresh.nodePath(`${jarsDir}/${jar.file}`)), "644");
                }
                assert.equal(modeOf(fresh.nodePath("/var/lib/jupyter")), "750");
                assert.equal(fs.statSync(fresh.nodePath("/var/lib/jupyter")).uid, process.getuid!());
            });

            it("changes nothing on the second run", () => {
                assertSucceeded(second);
                assert.deepEqual(second.calls.filter((c) => mutating.test(c)), []);
                assert.doesNotMatch(second.stderr, /wrote |downloading /);
            });
        });

        it("retries apt-get while another process holds the dpkg lock", () => {
            node.setState("fail/apt-get", "1 100\nE: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)\n");
            const result = node.run("prepare-node", env());
            assertSucceeded(result);
            assert.match(result.stderr, /apt-get failed \(exit 100\), attempt 1 of 5; retrying/);
            // One update per install (containerd, the Kubernetes packages, the node tools), and the retry.
            assert.equal(result.calls.filter((c) => c.startsWith("apt-get update")).length, 4);
        });

        it("fails naming the jar whose checksum does not match, leaving no partial file", () => {
            const wrong = [sha256("something else"), sha256(jars[1].content)];
            const result = node.run("prepare-node", env(wrong));
            assertFailedAt(result, "install_s3a_jars");
            assert.match(result.stderr, /checksum mismatch for hadoop-aws-3\.4\.1\.jar: expected sha256 [0-9a-f]{64}, got /);
            assert.deepEqual(fs.readdirSync(node.nodePath(jarsDir)), []);
        });

        it("names the step whose command failed", () => {
            node.setState("fail/containerd", "always 1\ncontainerd: failed to load plugin\n");
            const result = node.run("prepare-node", env());
            assertFailedAt(result, "configure_containerd");
            assert.ok(!result.calls.some((c) => c.startsWith("apt-get install -y -q -o DPkg::Lock::Timeout=120 kubelet")));
        });

        it("names a missing environment variable", () => {
            const { SPARK_UID: _, ...rest } = env();
            const result = node.run("prepare-node", rest);
            assertFailedAt(result, "check_environment");
            assert.match(result.stderr, /environment variable SPARK_UID is required/);
        });

        it("refuses to move installed Kubernetes packages to another minor", () => {
            // As the apt-get stub records an installed package.
            for (const pkg of ["kubelet", "kubeadm", "kubectl"]) {
                node.writeNodeFile(`/var/lib/stub-dpkg/${pkg}`, "1.32.9-1.1\n");
            }
            const result = node.run("prepare-node", env());
            assertFailedAt(result, "install_kubernetes_packages");
            assert.match(result.stderr, /kubelet 1\.32\.9-1\.1 is installed but KUBERNETES_MINOR is 1\.33/);
        });
    });

    describe("init-control-plane", () => {
        const env = { KUBEADM_CONFIG: "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: __KUBERNETES_VERSION__\n" };
        const configFile = "/etc/kubernetes/kubeadm-config.yaml";

        it("writes the config with the installed version, then runs kubeadm init with it", () => {
            const result = node.run("init-control-plane", env);
            assertSucceeded(result);
            assert.deepEqual(result.steps, [
                "check_environment",
                "write_kubeadm_config",
                "run_kubeadm_init",
                "install_user_kubeconfig",
                "wait_for_api_server",
            ]);
            assert.ok(result.calls.includes(
                `kubeadm init --config ${node.nodePath(configFile)} --upload-certs=false --skip-token-print`,
            ), result.calls.join("\n"));
            assert.equal(node.readNodeFile(configFile), env.KUBEADM_CONFIG.replace("__KUBERNETES_VERSION__", "v1.33.5") + "\n");
            assert.equal(modeOf(node.nodePath(configFile)), "600");
            const userConfig = node.nodePath(`/home/${os.userInfo().username}/.kube/config`);
            assert.equal(fs.readFileSync(userConfig, "utf8"), node.readNodeFile("/etc/kubernetes/admin.conf"));
            assert.equal(modeOf(userConfig), "600");
        });

        it("keeps the bootstrap token out of its output and of the init log", () => {
            const result = node.run("init-control-plane", env);
            assertSucceeded(result);
            assert.ok(!(result.stdout + result.stderr).includes(tokenSecret));
            const initLog = node.readNodeFile("/var/log/kubeadm-init.log");
            assert.match(initLog, /initialized successfully/);
            assert.ok(!initLog.includes(tokenSecret), initLog);
            assert.equal(modeOf(node.nodePath("/var/log/kubeadm-init.log")), "600");
        });

        it("does not run kubeadm init again once the control plane exists", () => {
            assertSucceeded(node.run("init-control-plane", env));
            const second = node.run("init-control-plane", env);
            assertSucceeded(second);
            assert.deepEqual(second.calls.filter((c) => c.startsWith("kubeadm")), []);
            assert.deepEqual(second.calls.filter((c) => mutating.test(c)), []);
        });

        it("shows the end of kubeadm's output without the token and resets when init fails", () => {
            node.setState("fail/kubeadm-init", `always 1\n[ERROR Port-6443]: Port 6443 is in use\nUsing token: abcdef.${tokenSecret}\n`);
            const result = node.run("init-control-plane", env);
            assertFailedAt(result, "run_kubeadm_init");
            assert.match(result.stderr, /Port 6443 is in use/);
            assert.ok(!(result.stdout + result.stderr).includes(tokenSecret));
            assert.ok(result.calls.includes("kubeadm reset --force"));
        });

        it("refuses another pod or service range once the cluster exists, before anything changes", () => {
            const made = "kind: ClusterConfiguration\nkubernetesVersion: __KUBERNETES_VERSION__\nnetworking:\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n";
            assertSucceeded(node.run("init-control-plane", { KUBEADM_CONFIG: made }));
            const same = node.run("init-control-plane", { KUBEADM_CONFIG: made });
            assertSucceeded(same);
            assert.ok(same.steps.includes("check_cluster_network"), same.steps.join(","));
            for (const [field, setting, from, to] of [["podSubnet", "podCidr", "10.244.0.0/16", "10.32.0.0/16"], ["serviceSubnet", "serviceCidr", "10.96.0.0/12", "10.112.0.0/12"]]) {
                const result = node.run("init-control-plane", { KUBEADM_CONFIG: made.replace(from, to) });
                assertFailedAt(result, "check_cluster_network");
                assert.match(result.stderr, new RegExp(`made with ${field} ${from.replace(/[./]/g, "\\$&")} and the stack now asks for ${to.replace(/[./]/g, "\\$&")}; kubeadm cannot change .* Set ${setting} back to`));
                assert.deepEqual(result.calls.filter((c) => mutating.test(c)), []);
            }
            assert.match(node.readNodeFile(configFile), /podSubnet: 10\.244\.0\.0\/16/);
        });

        it("refuses a config without the version marker", () => {
            const result = node.run("init-control-plane", { KUBEADM_CONFIG: "kind: ClusterConfiguration\n" });
            assertFailedAt(result, "check_environment");
            assert.match(result.stderr, /__KUBERNETES_VERSION__/);
        });
    });

    describe("join-worker", () => {
        const joinCommand = `kubeadm join 10.0.1.10:6443 --token abcdef.${tokenSecret} --discovery-token-ca-cert-hash sha256:${"1".repeat(64)} `;
        const env = { JOIN_COMMAND: joinCommand, NODE_NAME: "worker-1" };

        it("joins under NODE_NAME without ever printing the token, and only once", () => {
            const result = node.run("join-worker", env);
            assertSucceeded(result);
            assert.ok(result.calls.includes(`${joinCommand.trim()} --node-name worker-1`), result.calls.join("\n"));
            assert.ok(!(result.stdout + result.stderr).includes(tokenSecret), result.stderr);
            assert.match(result.stderr, /joined the cluster as worker-1/);

            const second = node.run("join-worker", env);
            assertSucceeded(second);
            assert.deepEqual(second.calls, []);
        });

        it("fails without printing the token when kubeadm join fails", () => {
            node.setState("fail/kubeadm-join", `always 1\nerror execution phase preflight: token abcdef.${tokenSecret} has expired\n`);
            const result = node.run("join-worker", env);
            assertFailedAt(result, "join_cluster");
            assert.match(result.stderr, /has expired/);
            assert.ok(!(result.stdout + result.stderr).includes(tokenSecret));
            assert.ok(result.calls.includes("kubeadm reset --force"));
        });

        it("refuses a JOIN_COMMAND that is not kubeadm join, without echoing it", () => {
            const result = node.run("join-worker", { JOIN_COMMAND: `curl https://example.com/${tokenSecret}`, NODE_NAME: "worker-1" });
            assertFailedAt(result, "join_cluster");
            assert.ok(!(result.stdout + result.stderr).includes(tokenSecret));
            assert.deepEqual(result.calls, []);
        });
    });

    describe("wait-nodes-ready", () => {
        beforeEach(() => {
            node.writeNodeFile("/etc/kubernetes/admin.conf", "stub admin kubeconfig\n");
        });

        it("succeeds once every expected node is Ready", () => {
            node.setState("nodes", "cp-0 True\nworker-1 True\n");
            const result = node.run("wait-nodes-ready", { EXPECTED_NODES: "cp-0 worker-1", TIMEOUT_SECONDS: "5" });
            assertSucceeded(result);
        });

        it("on timeout prints the node list and describes each node that is not Ready", () => {
            node.setState("nodes", "cp-0 True\nworker-1 False\n");
            // A timeout of 0 polls once and then reports, which keeps the test fast.
            const result = node.run("wait-nodes-ready", { EXPECTED_NODES: "cp-0 worker-1 worker-2", TIMEOUT_SECONDS: "0" });
            assertFailedAt(result, "wait_for_nodes_ready");
            assert.match(result.stderr, /NAME STATUS ROLES AGE VERSION/);
            assert.match(result.stderr, /Name: worker-1\nConditions: Ready False KubeletNotReady/);
            assert.match(result.stderr, /node worker-2 has not registered/);
            assert.doesNotMatch(result.stderr, /Name: cp-0/);
            assert.match(result.stderr, /not Ready after 0s: worker-1 worker-2/);
        });
    });

    describe("drain-node", () => {
        beforeEach(() => {
            node.writeNodeFile("/etc/kubernetes/admin.conf", "stub admin kubeconfig\n");
            node.setState("nodes", "cp-0 True\nworker-1 True\n");
        });

        it("drains the node, then deletes it", () => {
            const result = node.run("drain-node", { NODE_NAME: "worker-1" });
            assertSucceeded(result);
            const changes = result.calls.filter((c) => mutating.test(c));
            assert.equal(changes.length, 2, result.calls.join("\n"));
            assert.match(changes[0], /^kubectl drain worker-1 --ignore-daemonsets --delete-emptydir-data --timeout=300s /);
            assert.match(changes[1], /^kubectl delete node worker-1 /);
        });

        it("exits 0 with a note when the API server is unreachable", () => {
            node.setState("api-down", "");
            const result = node.run("drain-node", { NODE_NAME: "worker-1" });
            assertSucceeded(result);
            assert.match(result.stderr, /note: the API server is unreachable/);
            assert.deepEqual(result.calls.filter((c) => mutating.test(c)), []);
        });

        it("exits 0 with a note when the node is not registered", () => {
            const result = node.run("drain-node", { NODE_NAME: "worker-9" });
            assertSucceeded(result);
            assert.match(result.stderr, /note: node worker-9 is not registered/);
            assert.deepEqual(result.calls.filter((c) => mutating.test(c)), []);
        });
    });
});

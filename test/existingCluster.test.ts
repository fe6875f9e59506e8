import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { RawConfig, validateConfig } from "../config";
import { renderAll } from "../render/all";
import { apiServerOf, checkApiServer } from "../components/apiServerCheck";
import { chartSourceArgs } from "../components/sparkOperator";
import { sparkOperator } from "../versions";
import { configChecksumAnnotation } from "../render/manifests";
import { problemsOf } from "./config.test";
import { store, storeSettings } from "./objectStore.test";
import { parseSparkDefaults } from "./render.test";
import { fakeKubeconfig, isSecretInput, runProgram, valueOf } from "./support/program";

const byo: RawConfig = { kubeconfig: "<secret>", publicAddress: "203.0.113.20" };

describe("a cluster of the user's (kubeconfig setting)", function () {
    this.timeout(120000);

    describe("config", () => {
        it("needs neither allowedCidrs nor, with a store of the user's, aws:region", () => {
            const cfg = validateConfig({ ...byo, ...store });
            assert.deepEqual(cfg.existingCluster, {});
            assert.equal(cfg.allowedCidrs.length, 0);
            assert.equal(cfg.region, "us-east-1", "the store's region stands in");
            assert.deepEqual(problemsOf({ ...byo }), ["aws:region is not set; run `pulumi config set aws:region ap-northeast-2` (or your region)."]);
        });

        it("refuses every EC2 setting beside kubeconfig, naming them", () => {
            const problems = problemsOf({ ...byo, ...store, amiId: "ami-0123456789abcdef0", workerInstanceType: "t3.large", spotWorkers: true });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^spark-on-k8s:workerInstanceType, spark-on-k8s:spotWorkers, spark-on-k8s:amiId describe the EC2 machines the program makes, but spark-on-k8s:kubeconfig is set/);
        });

        it("takes allowedCidrs, with kubeconfig, as the load balancers' source ranges only", () => {
            const lb = { ...store, kubeconfig: "<secret>", serviceType: "LoadBalancer" };
            assert.match(problemsOf(lb)[0], /allowedCidrs is not set; it is required/);
            assert.match(problemsOf({ ...lb, allowedCidrs: ["0.0.0.0/0"] })[0], /opens SSH, the Kubernetes API and the NodePorts to the whole internet|whole internet/);
            assert.deepEqual(validateConfig({ ...lb, allowedCidrs: ["203.0.113.0/24"] }).allowedCidrs, ["203.0.113.0/24"]);
            assert.match(problemsOf({ ...byo, ...store, allowedCidrs: ["203.0.113.0/24"] })[0], /apply, with spark-on-k8s:kubeconfig, only to spark-on-k8s:serviceType LoadBalancer/);
        });

        it("refuses the settings of a cluster of the user's without kubeconfig", () => {
            const problems = problemsOf({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"], notebookNode: "node-a", workerCpus: 8 });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /^spark-on-k8s:notebookNode, spark-on-k8s:workerCpus apply only to a cluster of yours; set spark-on-k8s:kubeconfig too/);
        });

        it("needs a public address for NodePorts, not for a load balancer", () => {
            const problems = problemsOf({ ...store, kubeconfig: "<secret>" });
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], /publicAddress is not set; with spark-on-k8s:kubeconfig and spark-on-k8s:serviceType NodePort it is required.*30080 and 30088/);
            assert.equal(validateConfig({ ...store, kubeconfig: "<secret>", serviceType: "LoadBalancer", allowedCidrs: ["203.0.113.0/24"] }).serviceType, "LoadBalancer");
        });

        it("refuses a load balancer on the program's own kubeadm cluster, and unknown service types", () => {
            const ec2 = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"] };
            assert.match(problemsOf({ ...ec2, serviceType: "LoadBalancer" })[0], /has no load-balancer controller/);
            assert.match(problemsOf({ ...ec2, serviceType: "ClusterIP" })[0], /serviceType is "ClusterIP"; expected one of NodePort, LoadBalancer/);
        });

        it("checks addresses, node and class names, worker sizes and the registry prefix", () => {
            const problems = problemsOf({
                ...byo, ...store, publicAddress: "http://x:80", notebookNode: "Node_A", notebookStorageClass: "fast", workerCpus: 0, imageRegistry: "https://r.example.com/",
            });
            assert.equal(problems.length, 5, problems.join("\n"));
            assert.match(problems.join("\n"), /publicAddress is "http:\/\/x:80"; expected a host name or an IP address/);
            assert.match(problems.join("\n"), /notebookNode is "Node_A"; expected the name of a node/);
            assert.match(problems.join("\n"), /notebookNode and spark-on-k8s:notebookStorageClass are both set; expected one/);
            assert.match(problems.join("\n"), /workerCpus is 0; expected a whole number from 1 to 1024/);
            assert.match(problems.join("\n"), /imageRegistry is "https:\/\/r.example.com\/"; expected a registry host/);
            assert.deepEqual(validateConfig({ ...byo, ...store, publicAddress: "2001:db8::20" }).publicAddress, "2001:db8::20");
        });

        it("sizes executors from workerCpus and workerMemoryGiB", () => {
            const files = renderAll(validateConfig({ ...byo, ...store, workerCpus: 8, workerMemoryGiB: 32, workerCount: 3 }), "byo");
            assert.deepEqual(JSON.parse(files["spark/executor-sizing.json"]), { instances: 3, cores: 4, memory: "14g", requestCores: "3800m" });
        });
    });

    describe("the operator chart's source (operatorChart)", () => {
        it("defaults to the public repository at the pinned version", () => {
            const cfg = validateConfig({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"] });
            assert.deepEqual(chartSourceArgs(cfg.operatorChart), {
                chart: "spark-operator", version: sparkOperator.version, repositoryOpts: { repo: sparkOperator.repository },
            });
        });

        it("takes a mirror repository, an OCI registry, or a folder holding the pinned chart", () => {
            const ec2 = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"] };
            assert.deepEqual(chartSourceArgs(validateConfig({ ...ec2, operatorChart: "https://charts.example.com/spark/" }).operatorChart).repositoryOpts, { repo: "https://charts.example.com/spark" });
            assert.deepEqual(chartSourceArgs(validateConfig({ ...ec2, operatorChart: "oci://registry.example.com/charts" }).operatorChart), {
                chart: "oci://registry.example.com/charts/spark-operator", version: sparkOperator.version,
            });
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chart-"));
            try {
                fs.writeFileSync(path.join(dir, "Chart.yaml"), `apiVersion: v2\nname: spark-operator\nversion: ${sparkOperator.version}\n`);
                assert.deepEqual(chartSourceArgs(validateConfig({ ...ec2, operatorChart: dir }).operatorChart), { chart: path.resolve(dir) });
                fs.writeFileSync(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: spark-operator\nversion: 2.0.0\n");
                assert.match(problemsOf({ ...ec2, operatorChart: dir })[0], /holds chart "spark-operator" version "2.0.0"; expected spark-operator 2\.5\.2/);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            assert.match(problemsOf({ ...ec2, operatorChart: "/no/such/chart" })[0], /neither a chart repository URL .* nor a folder holding Chart.yaml.*helm pull spark-operator/);
        });
    });

    describe("render", () => {
        const cfg = validateConfig({ ...byo, ...store, notebookNode: "node-a", s3aJarsRepository: "http://maven.internal:8081/maven2/" });
        const files = renderAll(cfg, "byo");

        it("renders no node scripts, kubeadm configuration or Flannel", () => {
            assert.deepEqual(Object.keys(files).filter((f) => f.startsWith("nodes/") || f.includes("flannel")), []);
        });

        it("puts the S3A jars (from s3aJarsRepository) and the notebooks' folder on every node with a DaemonSet", () => {
            const ds = parse(files["k8s/daemonset-spark-node-setup.yaml"]);
            const init = ds.spec.template.spec.initContainers[0];
            const env = Object.fromEntries(init.env.map((e: any) => [e.name, e.value]));
            assert.equal(env.S3A_JARS_DIR, "/opt/spark-s3a/jars");
            assert.match(env.S3A_JARS, /^hadoop-aws-3\.4\.2\.jar http:\/\/maven\.internal:8081\/maven2\/org\/apache\/hadoop\/hadoop-aws\/3\.4\.2\/hadoop-aws-3\.4\.2\.jar [0-9a-f]{64}$/m);
            assert.equal(env.JUPYTER_DATA_DIR, "/var/lib/spark-platform/jupyter");
            assert.deepEqual(ds.spec.template.spec.tolerations, [{ operator: "Exists" }]);
            // Root only in the init container, and without privilege escalation.
            assert.equal(init.securityContext.runAsUser, 0);
            assert.equal(init.securityContext.allowPrivilegeEscalation, false);
            assert.equal(ds.spec.template.spec.containers[0].securityContext.runAsNonRoot, true);
        });

        it("keeps the notebooks on notebookNode, or on a claim of a StorageClass", () => {
            const pv = parse(files["k8s/persistentvolume-spark-jobs-jupyter-notebooks.yaml"]);
            assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, ["node-a"]);
            const classed = renderAll(validateConfig({ ...byo, ...store, notebookStorageClass: "fast-ssd" }), "byo");
            assert.equal(classed["k8s/persistentvolume-spark-jobs-jupyter-notebooks.yaml"], undefined);
            assert.equal(parse(classed["k8s/persistentvolumeclaim-jupyter-notebooks.yaml"]).spec.storageClassName, "fast-ssd");
            const byDefault = renderAll(validateConfig({ ...byo, ...store }), "byo");
            assert.equal(parse(byDefault["k8s/persistentvolumeclaim-jupyter-notebooks.yaml"]).spec.storageClassName, undefined);
        });

        it("exposes the UIs as LoadBalancer Services on their own ports when asked", () => {
            const lb = renderAll(validateConfig({ ...store, kubeconfig: "<secret>", serviceType: "LoadBalancer", allowedCidrs: ["203.0.113.0/24"] }), "byo");
            for (const f of ["k8s/service-spark-history-server.yaml", "k8s/service-jupyter.yaml"]) {
                assert.equal(parse(lb[f]).spec.type, "LoadBalancer");
                assert.deepEqual(parse(lb[f]).spec.loadBalancerSourceRanges, ["203.0.113.0/24"], f);
            }
            assert.equal(parse(files["k8s/service-jupyter.yaml"]).spec.type, "NodePort");
        });
    });

    describe("the API server check (before the provider is made)", () => {
        const kubeconfigAt = (server: string, extra = "") => fakeKubeconfig.replace("https://10.20.1.10:6443", server).replace("      server:", `${extra}      server:`);
        it("passes when the current context's server accepts a connection", async () => {
            const server = net.createServer((c) => c.destroy());
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            try {
                await checkApiServer(kubeconfigAt(`https://127.0.0.1:${(server.address() as net.AddressInfo).port}`), "spark-on-k8s:kubeconfig");
            } finally {
                server.close();
            }
        });

        it("fails naming the setting, the server and the reason, and says nothing changed", async () => {
            const server = net.createServer();
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            const port = (server.address() as net.AddressInfo).port;
            await new Promise((r) => server.close(r));
            await assert.rejects(checkApiServer(kubeconfigAt(`https://127.0.0.1:${port}`), "spark-on-k8s:kubeconfig"), (e: Error) => {
                assert.match(e.message, new RegExp(`^spark-on-k8s:kubeconfig: the Kubernetes API server https://127.0.0.1:${port} \\(context "kubernetes-admin@kubernetes"\\) is unreachable from this machine: ECONNREFUSED`));
                assert.match(e.message, /Nothing was changed\./);
                return true;
            });
        });

        it("finds the current context's server (default port 443), and leaves proxies and odd files to the provider", () => {
            assert.deepEqual(apiServerOf(kubeconfigAt("https://api.example.com")), { server: "https://api.example.com", context: "kubernetes-admin@kubernetes", host: "api.example.com", port: 443 });
            assert.equal(apiServerOf(kubeconfigAt("https://10.0.0.1:6443", "      proxy-url: http://proxy:3128\n")), undefined);
            assert.equal(apiServerOf("not: [yaml"), undefined);
            assert.equal(apiServerOf("apiVersion: v1\nkind: Config\n"), undefined);
        });
    });

    describe("program under mocks", () => {
        const base = {
            "spark-on-k8s:kubeconfig": fakeKubeconfig,
            "spark-on-k8s:publicAddress": "203.0.113.20",
            "spark-on-k8s:notebookNode": "node-a",
        };
        const withStore = { ...base, ...storeSettings };

        it("with a store of the user's too, declares no AWS resource and no SSH command at all", async () => {
            const run = await runProgram(withStore);
            assert.deepEqual(run.resources.filter((r) => /^(aws|command|tls):|pulumi:providers:aws/.test(r.type)).map((r) => r.name), []);
            assert.deepEqual(run.invokes.filter((i) => i.token.startsWith("aws:")), []);
            const estimate = await valueOf(run.outputs.estimatedCost);
            assert.equal(estimate.available, false);
            assert.match(estimate.reason, /the cluster is yours \(kubeconfig\).*the store is yours too/);
        });

        it("deploys through one provider made from the kubeconfig (kept secret)", async () => {
            const run = await runProgram(withStore);
            const providers = run.ofType("pulumi:providers:kubernetes");
            assert.equal(providers.length, 1);
            for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:"))) assert.equal(r.provider, providers[0].name, r.name);
            assert.ok(isSecretInput(providers[0].inputs.kubeconfig), "the kubeconfig reached the provider in plain text");
        });

        it("reads kube-system and the notebookNode first, so that preview fails on an unreachable cluster or a wrong node, and waits for both", async () => {
            const run = await runProgram(withStore);
            const reads = run.resources.filter((r) => r.name.startsWith("cluster-"));
            assert.deepEqual(reads.map((r) => `${r.type} ${r.name}`).sort(), ["kubernetes:core/v1:Namespace cluster-kube-system", "kubernetes:core/v1:Node cluster-notebook-node"]);
            for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.name.startsWith("cluster-") && x.name !== "smoke-result")) {
                for (const read of reads) assert.ok(run.waitsFor(r.name, read.name), `${r.name} does not wait for ${read.name}`);
            }
            const noNode = await runProgram({ ...withStore, "spark-on-k8s:notebookNode": "" });
            assert.deepEqual(noNode.resources.filter((r) => r.name.startsWith("cluster-")).map((r) => r.name), ["cluster-kube-system"]);
        });

        it("makes the URLs from publicAddress and the NodePorts", async () => {
            const run = await runProgram(withStore);
            assert.equal(await valueOf(run.outputs.historyServerUrl), "http://203.0.113.20:30080");
            assert.equal(await valueOf(run.outputs.jupyterUrl), "http://203.0.113.20:30088/lab");
            for (const k of ["controlPlaneIp", "kubeconfig", "kubernetesVersion", "sshPrivateKey", "ssh", "nodeRoleName"]) assert.equal(run.outputs[k], null, k);
        });

        it("makes the URLs from the load balancers' addresses with serviceType LoadBalancer", async () => {
            const run = await runProgram({ ...withStore, "spark-on-k8s:publicAddress": "", "spark-on-k8s:serviceType": "LoadBalancer", "spark-on-k8s:allowedCidrs": JSON.stringify(["203.0.113.0/24"]) });
            assert.equal(await valueOf(run.outputs.historyServerUrl), "http://lb-history-service-spark-history-server.example.com:18080");
            assert.equal(await valueOf(run.outputs.jupyterUrl), "http://lb-jupyter-service-jupyter.example.com:8888/lab");
        });

        it("runs no Spark pod before the node-setup DaemonSet put the S3A jars on the nodes", async () => {
            const run = await runProgram(withStore);
            const ds = "node-setup-daemonset-spark-node-setup";
            for (const r of ["history-deployment-spark-history-server", "jupyter-deployment-jupyter", "smoke-sparkapplication-spark-smoke-test"]) {
                assert.ok(run.waitsFor(r, ds), `${r} does not wait for ${ds}`);
            }
        });

        it("restarts a workload when a ConfigMap it mounts changes (checksum in its pod template), and only that one", async () => {
            const checksums = (run: Awaited<ReturnType<typeof runProgram>>) => Object.fromEntries(
                ["history-deployment-spark-history-server", "jupyter-deployment-jupyter", "node-setup-daemonset-spark-node-setup"].map((n) =>
                    [n, run.byName(n).inputs.spec.template.metadata.annotations[configChecksumAnnotation]]));
            const before = checksums(await runProgram(withStore));
            const after = checksums(await runProgram({ ...withStore, "spark-on-k8s:eventLogRetentionDays": "7" }));
            for (const v of Object.values(before)) assert.match(v, /^[0-9a-f]{64}$/);
            // The retention is the History Server's cleaner age: its pod must start again to read it.
            assert.notEqual(after["history-deployment-spark-history-server"], before["history-deployment-spark-history-server"]);
            assert.equal(after["jupyter-deployment-jupyter"], before["jupyter-deployment-jupyter"]);
            assert.equal(after["node-setup-daemonset-spark-node-setup"], before["node-setup-daemonset-spark-node-setup"]);
            // Replaced, not updated: the provider waits for a created Deployment's pod to be Ready.
            const run = await runProgram(withStore);
            for (const d of run.ofType("kubernetes:apps/v1:Deployment")) {
                assert.deepEqual([d.replaceOnChanges, d.deleteBeforeReplace], [["spec.template"], true], d.name);
            }
        });

        it("with the program's S3 bucket, gives the pods an IAM user's key through the Secret, not an instance profile", async () => {
            const run = await runProgram({ ...base, "aws:region": "ap-northeast-2" });
            assert.deepEqual(run.resources.filter((r) => r.type.startsWith("aws:ec2")).map((r) => r.name), []);
            const user = run.ofType("aws:iam/user:User");
            assert.equal(user.length, 1);
            assert.equal(run.ofType("aws:iam/userPolicyAttachment:UserPolicyAttachment").length, 1);
            assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
            const secrets = run.ofType("kubernetes:core/v1:Secret").filter((r) => r.inputs.metadata.name === "spark-object-store");
            assert.deepEqual(secrets.map((s) => s.inputs.metadata.namespace).sort(), ["spark-history", "spark-jobs"]);
            const conf = parseSparkDefaults(run.byName("history-configmap-spark-history-server-conf").inputs.data["spark-defaults.conf"]);
            assert.equal(conf["spark.hadoop.fs.s3a.aws.credentials.provider"], "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider");
            assert.equal(conf["spark.hadoop.fs.s3a.endpoint"], undefined, "S3's own endpoint for the region");
        });
    });
});

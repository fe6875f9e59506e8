import * as assert from "node:assert/strict";
import { NodeScriptName, scriptHash } from "../render/nodeScripts";
import { baseConfig, fakeJoinCommand, isSecret, isSecretInput, ProgramRun, runProgram, valueOf } from "./support/program";

describe("EC2 cluster and kubeadm bootstrap under mocks", function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(baseConfig);
    });

    const instances = () => run.ofType("aws:ec2/instance:Instance");
    const commands = () => run.ofType("command:remote:Command");
    const ingress = () => run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");

    it("creates one control plane and the configured number of workers, tagged by stack", () => {
        assert.deepEqual(instances().map((i) => i.name).sort(), ["nodes-control-plane", "nodes-worker-1", "nodes-worker-2"]);
        for (const i of instances()) {
            assert.equal(i.inputs.instanceType, "t2.xlarge");
            assert.match(i.inputs.tags.Name, /^spark-dev-(control-plane|worker-\d)$/);
        }
    });

    it("requires IMDSv2 with hop limit 2 on every instance", () => {
        for (const i of instances()) {
            assert.deepEqual(i.inputs.metadataOptions, { httpTokens: "required", httpPutResponseHopLimit: 2, httpEndpoint: "enabled" });
        }
    });

    it("gives every instance an encrypted root volume of the configured size and type", () => {
        for (const i of instances()) {
            assert.equal(i.inputs.rootBlockDevice.encrypted, true);
            assert.equal(i.inputs.rootBlockDevice.volumeSize, 100);
            assert.equal(i.inputs.rootBlockDevice.volumeType, "gp2");
        }
    });

    it("looks up Canonical's Ubuntu 22.04 AMI", () => {
        assert.equal(instances()[0].inputs.ami, "ami-0123456789abcdef0");
        const lookup = run.invokes.filter((i) => i.token === "aws:ec2/getAmi:getAmi");
        assert.equal(lookup.length, 1);
        // Canonical's account: an AMI of any other owner could be anyone's image.
        assert.deepEqual(lookup[0].args.owners, ["099720109477"]);
        assert.equal(lookup[0].args.mostRecent, true);
        const name = lookup[0].args.filters.find((f: any) => f.name === "name");
        assert.deepEqual(name.values, ["ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"]);
    });

    it("builds a VPC with a public subnet, internet gateway and default route", () => {
        assert.equal(run.ofType("aws:ec2/vpc:Vpc").length, 1);
        assert.equal(run.byName("nodes-public-subnet").type, "aws:ec2/subnet:Subnet");
        const routes = run.ofType("aws:ec2/routeTable:RouteTable")[0];
        assert.equal(routes.inputs.routes[0].cidrBlock, "0.0.0.0/0");
        assert.equal(run.ofType("aws:ec2/internetGateway:InternetGateway").length, 1);
        assert.ok(run.waitsFor("nodes-control-plane", "nodes-public-subnet"));
    });

    it("opens SSH, the API and the NodePorts only to allowedCidrs", () => {
        const external = ingress().filter((r) => r.inputs.cidrIpv4 || r.inputs.cidrIpv6);
        assert.deepEqual(
            external.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]).sort(),
            [[22, 22, "203.0.113.10/32"], [30000, 32767, "203.0.113.10/32"], [6443, 6443, "203.0.113.10/32"]],
        );
        for (const r of ingress()) {
            assert.notEqual(r.inputs.cidrIpv4, "0.0.0.0/0");
        }
    });

    it("allows all traffic and Flannel's VXLAN between nodes, by security group reference", () => {
        const internal = ingress().filter((r) => r.inputs.referencedSecurityGroupId);
        assert.deepEqual(internal.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort ?? null]).sort(), [["-1", null], ["udp", 8472]]);
    });

    it("puts an Elastic IP on the control plane and uses it as the API endpoint", async () => {
        const assoc = run.ofType("aws:ec2/eipAssociation:EipAssociation");
        assert.equal(assoc.length, 1);
        assert.ok(assoc[0].dependsOn.has("nodes-control-plane"));
        assert.equal(await valueOf(run.outputs.controlPlaneIp), "198.51.100.7");
        const kubeconfig = await valueOf(run.outputs.kubeconfig);
        assert.match(kubeconfig, /server: https:\/\/198\.51\.100\.7:6443/);
        assert.doesNotMatch(kubeconfig, /10\.20\.1\.10/);
    });

    it("generates an ed25519 key pair and keeps the private key secret", async () => {
        const key = run.ofType("tls:index/privateKey:PrivateKey");
        assert.equal(key.length, 1);
        assert.equal(key[0].inputs.algorithm, "ED25519");
        assert.equal(run.ofType("aws:ec2/keyPair:KeyPair")[0].inputs.publicKey, "ssh-ed25519 AAAAfake pulumi");
        assert.ok(await isSecret(run.outputs.sshPrivateKey));
    });

    it("gives the nodes an IAM role and instance profile and outputs the role name", async () => {
        assert.equal(run.ofType("aws:iam/instanceProfile:InstanceProfile").length, 1);
        assert.equal(await valueOf(run.outputs.nodeRoleName), "nodes-node-role-1234");
    });

    it("prepares every node after it boots, each independently of the others", () => {
        for (const n of ["control-plane", "worker-1", "worker-2"]) {
            assert.ok(run.waitsFor(`k8s-${n}-prepare`, `k8s-${n}-boot`));
            for (const other of ["control-plane", "worker-1", "worker-2"].filter((o) => o !== n)) {
                assert.ok(!run.waitsFor(`k8s-${n}-prepare`, `k8s-${other}-prepare`), `${n} waits for ${other}`);
            }
        }
    });

    it("runs kubeadm init after the control plane is prepared, not after the workers", () => {
        assert.ok(run.waitsFor("k8s-init", "k8s-control-plane-prepare"));
        assert.ok(!run.waitsFor("k8s-init", "k8s-worker-1-prepare"));
    });

    it("joins every worker after init and the CNI, and the workers in parallel", () => {
        for (const w of ["worker-1", "worker-2"]) {
            assert.ok(run.waitsFor(`k8s-${w}-join`, "k8s-init"));
            assert.ok(run.waitsFor(`k8s-${w}-join`, "k8s-flannel"));
            assert.ok(run.waitsFor(`k8s-${w}-join`, `k8s-${w}-join-token`));
            // The token is made with the control plane's kubeadm: only once init has run there.
            assert.ok(run.byName(`k8s-${w}-join-token`).dependsOn.has("k8s-init"), [...run.byName(`k8s-${w}-join-token`).dependsOn].join(", "));
        }
        assert.ok(!run.waitsFor("k8s-worker-2-join", "k8s-worker-1-join"));
        assert.ok(!run.waitsFor("k8s-worker-1-join", "k8s-worker-2-join"));
    });

    it("installs Flannel with the pinned chart and the configured pod CIDR", () => {
        const cni = run.byName("k8s-flannel");
        assert.equal(cni.inputs.chart, "flannel");
        assert.match(cni.inputs.version, /^v\d+\.\d+\.\d+$/);
        assert.equal(cni.inputs.values.podCidr, "10.244.0.0/16");
        assert.equal(cni.provider, "k8s-bootstrap");
    });

    it("builds the kubeadm config with the Elastic IP and private IP as SANs and the pod CIDR", () => {
        const stdin: string = run.byName("k8s-init").inputs.stdin;
        assert.match(stdin, /certSANs:\n\s+- 198\.51\.100\.7\n\s+- 10\.20\.1\.\d+\n/);
        assert.match(stdin, /podSubnet: 10\.244\.0\.0\/16/);
        assert.match(stdin, /advertiseAddress: 10\.20\.1\.\d+/);
    });

    it("gives each worker its own join command and keeps it out of logs and plain state", async () => {
        const token = run.byName("k8s-worker-1-join-token");
        assert.match(token.inputs.create, /kubeadm token create --ttl 30m --print-join-command/);
        assert.equal(token.inputs.logging, "none");
        assert.ok(token.additionalSecretOutputs.includes("stdout"));
        const join = run.byName("k8s-worker-1-join");
        assert.ok(isSecretInput(join.inputs.stdin), "the join payload travels as a secret");
        assert.ok(join.inputs.stdin.value.includes(fakeJoinCommand));
        assert.match(join.inputs.stdin.value, /export NODE_NAME='worker-1'/);
        assert.match(join.inputs.create, /^sudo bash -s/);
        assert.doesNotMatch(join.inputs.create, /token/);
    });

    it("waits for all nodes Ready before the provider the platform uses", () => {
        const ready = run.byName("k8s-nodes-ready");
        assert.match(ready.inputs.stdin, /export EXPECTED_NODES='control-plane worker-1 worker-2'/);
        for (const w of ["worker-1", "worker-2"]) assert.ok(run.waitsFor("k8s-nodes-ready", `k8s-${w}-join`));
        assert.ok(run.byName("k8s-k8s").dependsOn.has("k8s-nodes-ready"));
    });

    it("drains a worker before its instance goes (delete step depends on the join)", () => {
        const drain = run.byName("k8s-worker-2-drain");
        assert.match(drain.inputs.delete, /drain/);
        // Deleted before the join it depends on, so before the machine: the drain runs while the node exists.
        assert.ok(drain.dependsOn.has("k8s-worker-2-join"), [...drain.dependsOn].join(", "));
        // kubectl on the control plane reads /etc/kubernetes/admin.conf, which only root may read.
        assert.match(drain.inputs.delete, /^sudo bash -c /);
        assert.ok(drain.inputs.delete.includes(`export NODE_NAME='\\''worker-2'\\''`), drain.inputs.delete.slice(0, 200));
        assert.ok(run.waitsFor("k8s-worker-2-drain", "nodes-worker-2"));
    });

    it("re-runs a node script when it changes, through its own hash in the triggers", () => {
        const scripted = commands().filter((c) => c.inputs.stdin);
        assert.ok(scripted.length >= 8, scripted.map((c) => c.name).join(", "));
        for (const c of scripted) {
            const script = /^sudo bash -s # ([a-z-]+)$/.exec(c.inputs.create)?.[1];
            assert.ok(script, `${c.name}: ${c.inputs.create}`);
            assert.equal(c.inputs.triggers[0], scriptHash(script as NodeScriptName), `${c.name} carries another script's hash`);
        }
    });

    it("outputs the kubeconfig as a secret, an ssh line per node and the Kubernetes version", async () => {
        assert.ok(await isSecret(run.outputs.kubeconfig));
        const ssh = await valueOf(run.outputs.ssh);
        assert.deepEqual(ssh.map((s: any) => s.node), ["control-plane", "worker-1", "worker-2"]);
        assert.match(ssh[0].command, /^ssh -i \S+ ubuntu@198\.51\.100\.7$/);
        assert.equal(run.outputs.kubernetesVersion, "1.37");
    });
});

describe("EC2 cluster variants under mocks", function () {
    this.timeout(60000);

    it("uses an existing VPC and subnet without creating a network", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:vpcId": "vpc-0123456789abcdef0", "spark-on-k8s:subnetId": "subnet-0123456789abcdef0" });
        assert.equal(run.ofType("aws:ec2/vpc:Vpc").length, 0);
        assert.equal(run.ofType("aws:ec2/subnet:Subnet").length, 0);
        assert.equal(run.byName("nodes-worker-1").inputs.subnetId, "subnet-0123456789abcdef0");
        assert.equal(run.byName("nodes-nodes").inputs.vpcId, "vpc-0123456789abcdef0");
    });

    it("uses the user's public key instead of generating one", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIuser me@laptop" });
        assert.equal(run.ofType("tls:index/privateKey:PrivateKey").length, 0);
        assert.equal(run.ofType("aws:ec2/keyPair:KeyPair")[0].inputs.publicKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIuser me@laptop");
    });

    it("runs workers as persistent Spot instances when spotWorkers is set, never the control plane", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:spotWorkers": "true" });
        assert.equal(run.byName("nodes-worker-1").inputs.instanceMarketOptions.marketType, "spot");
        assert.equal(run.byName("nodes-control-plane").inputs.instanceMarketOptions, undefined);
    });

    it("opens each allowed CIDR, IPv6 included, and nothing else", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:allowedCidrs": JSON.stringify(["203.0.113.0/24", "2001:db8::/48"]) });
        const rules = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.cidrIpv4 || r.inputs.cidrIpv6);
        assert.equal(rules.length, 6);
        assert.equal(rules.filter((r) => r.inputs.cidrIpv6 === "2001:db8::/48").length, 3);
    });

    it("fails before declaring anything when the config is invalid", async () => {
        await assert.rejects(runProgram({ ...baseConfig, "spark-on-k8s:workerCount": "0" }), /workerCount is "0"; expected a whole number/);
    });
});

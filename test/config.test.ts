import * as assert from "node:assert/strict";
import { ConfigError, networkOf, parseCidr, RawConfig, validateConfig } from "../config";

const valid: RawConfig = { region: "ap-northeast-2", allowedCidrs: ["203.0.113.10/32"] };

export function problemsOf(raw: RawConfig): string[] {
    try {
        validateConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
    return [];
}

function assertRejected(overrides: RawConfig, ...patterns: RegExp[]) {
    const problems = problemsOf({ ...valid, ...overrides });
    assert.equal(problems.length, patterns.length, `expected ${patterns.length} problem(s), got:\n${problems.join("\n")}`);
    patterns.forEach((p, i) => assert.match(problems[i], p));
}

describe("config validation", () => {
    it("applies the documented defaults to a minimal config", () => {
        const cfg = validateConfig(valid);
        assert.equal(cfg.workerCount, 2);
        assert.equal(cfg.controlPlaneInstanceType, "t3.xlarge");
        assert.equal(cfg.rootVolumeType, "gp3");
        assert.equal(cfg.rootVolumeSizeGb, 50);
        assert.equal(cfg.kubernetesVersion, "1.37");
        assert.equal(cfg.podCidr, "10.244.0.0/16");
        assert.equal(cfg.jobNamespace, "spark-jobs");
        assert.equal(cfg.eventLogPrefix, "spark-events");
        assert.equal(cfg.forceDestroyEventLogs, false);
        assert.equal(cfg.allowOpenIngress, false);
        assert.equal(cfg.smokeTest, true);
    });

    it("reads numbers and booleans given as strings, as `pulumi config set` stores them", () => {
        const cfg = validateConfig({ ...valid, workerCount: "3", spotWorkers: "true", rootVolumeSizeGb: "80" });
        assert.equal(cfg.workerCount, 3);
        assert.equal(cfg.spotWorkers, true);
        assert.equal(cfg.rootVolumeSizeGb, 80);
    });

    it("requires aws:region", () => assertRejected({ region: undefined }, /aws:region is not set; run `pulumi config set aws:region/));
    it("rejects a malformed region", () => assertRejected({ region: "seoul" }, /aws:region is "seoul"; expected an AWS region/));
    it("requires allowedCidrs, saying how to set it", () =>
        assertRejected({ allowedCidrs: undefined }, /spark-on-k8s:allowedCidrs is not set; it is required.*pulumi config set --path/));
    it("rejects an empty allowedCidrs list", () => assertRejected({ allowedCidrs: [] }, /allowedCidrs is \[\]; expected a non-empty list/));
    it("rejects a malformed CIDR in allowedCidrs", () =>
        assertRejected({ allowedCidrs: ["203.0.113.300/32"] }, /allowedCidrs has "203.0.113.300\/32"; expected a CIDR/));
    it("refuses 0.0.0.0/0 without the opt-in", () =>
        assertRejected({ allowedCidrs: ["0.0.0.0/0"] }, /allowedCidrs has "0.0.0.0\/0", which opens SSH.*set spark-on-k8s:allowOpenIngress true/));
    it("refuses ::/0 without the opt-in", () => assertRejected({ allowedCidrs: ["::/0"] }, /allowedCidrs has "::\/0", which opens/));
    it("accepts 0.0.0.0/0 with allowOpenIngress", () => {
        assert.deepEqual(validateConfig({ ...valid, allowedCidrs: ["0.0.0.0/0"], allowOpenIngress: true }).allowedCidrs, ["0.0.0.0/0"]);
    });
    it("refuses a CIDR with host bits set, naming the network address to use (AWS refuses it at preview)", () => {
        assertRejected({ allowedCidrs: ["203.0.113.7/24"] },
            /allowedCidrs has "203\.0\.113\.7\/24", whose address has host bits set past \/24; .*use "203\.0\.113\.0\/24" \(or "203\.0\.113\.7\/32" for that one address\)/);
        assertRejected({ allowedCidrs: ["2001:db8::1/64"] }, /allowedCidrs has "2001:db8::1\/64", .*use "2001:db8::\/64"/);
        assertRejected({ vpcCidr: "10.20.0.1/16", subnetCidr: "10.20.1.0/24" }, /spark-on-k8s:vpcCidr is "10\.20\.0\.1\/16", .*use "10\.20\.0\.0\/16"/);
        for (const k of ["subnetCidr", "podCidr", "serviceCidr"]) {
            const bad = { subnetCidr: "10.20.1.5/24", podCidr: "10.244.3.0/16", serviceCidr: "10.96.0.1/12" }[k]!;
            assertRejected({ [k]: bad }, new RegExp(`spark-on-k8s:${k} is "${bad.replace(/[./]/g, "\\$&")}", whose address has host bits`));
        }
    });
    it("writes the network address to suggest as AWS does, IPv6 zeros compressed once at the longest run", () => {
        for (const [given, network] of [
            ["203.0.113.7/24", "203.0.113.0/24"],
            ["10.20.1.5/16", "10.20.0.0/16"],
            ["2001:db8::1/64", "2001:db8::/64"],
            ["2001:db8:0:1:0:0:0:1/64", "2001:db8:0:1::/64"],
            ["1:0:0:2:0:0:0:3/112", "1:0:0:2::/112"],
            ["1:0:0:2:0:0:3:4/128", "1::2:0:0:3:4/128"],
            ["0:0:1::1/48", "0:0:1::/48"],
            ["2001:db8:aa:bb:cc:dd:ee:ff/127", "2001:db8:aa:bb:cc:dd:ee:fe/127"],
            ["1:2:3:4:5:6:0:1/128", "1:2:3:4:5:6:0:1/128"],
            ["::/0", "::/0"],
        ]) {
            assert.equal(networkOf(parseCidr(given)!), network, given);
        }
    });
    it("suggests the /32 of the address only for IPv4", () => {
        const [v6] = problemsOf({ ...valid, allowedCidrs: ["2001:db8::1/64"] });
        assert.match(v6, /use "2001:db8::\/64"\.$/);
        const [wide] = problemsOf({ ...valid, allowedCidrs: ["2001:db8::1/16"] });
        assert.match(wide, /use "2001::\/16"\.$/);
        const [v4] = problemsOf({ ...valid, allowedCidrs: ["203.0.113.7/24"] });
        assert.match(v4, /\(or "203\.0\.113\.7\/32" for that one address\)\.$/);
    });
    it("accepts host addresses as /32 and /128", () => {
        assert.deepEqual(validateConfig({ ...valid, allowedCidrs: ["203.0.113.7/32", "2001:db8::1/128"] }).allowedCidrs, ["203.0.113.7/32", "2001:db8::1/128"]);
    });
    it("accepts IPv6 CIDRs", () => {
        assert.deepEqual(validateConfig({ ...valid, allowedCidrs: ["2001:db8::/32"] }).allowedCidrs, ["2001:db8::/32"]);
    });
    it("rejects an unknown instance type, listing the known ones", () =>
        assertRejected({ workerInstanceType: "m9z.huge" }, /workerInstanceType is "m9z.huge"; expected an x86_64 instance type.*t3.xlarge/));
    it("accepts 50 workers and rejects 51", () => {
        assert.equal(validateConfig({ ...valid, workerCount: 50 }).workerCount, 50);
        assertRejected({ workerCount: 51 }, /workerCount is 51; expected a whole number from 1 to 50/);
    });
    it("rejects a worker count of 0", () => assertRejected({ workerCount: 0 }, /workerCount is 0; expected a whole number from 1 to 50/));
    it("rejects a fractional worker count", () => assertRejected({ workerCount: "1.5" }, /workerCount is "1.5"; expected a whole number/));
    it("rejects a volume size out of range", () =>
        assertRejected({ rootVolumeSizeGb: 8 }, /rootVolumeSizeGb is 8; expected a whole number from 20 to 16384/));
    it("rejects an unknown volume type", () => assertRejected({ rootVolumeType: "gp9" }, /rootVolumeType is "gp9"; expected one of gp2, gp3/));
    it("rejects an unsupported Ubuntu release", () => assertRejected({ ubuntuRelease: "20.04" }, /ubuntuRelease is "20.04"; expected one of 22.04, 24.04/));
    it("rejects a malformed AMI ID", () => assertRejected({ amiId: "ubuntu" }, /amiId is "ubuntu"; expected an AMI ID/));
    it("wants vpcId and subnetId together", () => assertRejected({ vpcId: "vpc-0123456789abcdef0" }, /vpcId and spark-on-k8s:subnetId go together/));
    it("rejects malformed VPC and subnet IDs", () =>
        assertRejected({ vpcId: "vpc-x", subnetId: "sub-1" }, /vpcId is "vpc-x"/, /subnetId is "sub-1"/));
    it("rejects a subnet outside the VPC", () =>
        assertRejected({ subnetCidr: "10.30.1.0/24" }, /subnetCidr is "10.30.1.0\/24"; expected a range inside spark-on-k8s:vpcCidr "10.20.0.0\/16"/));
    it("rejects a pod CIDR that overlaps the VPC", () =>
        assertRejected({ podCidr: "10.20.128.0/17" }, /podCidr "10.20.128.0\/17" overlaps spark-on-k8s:vpcCidr/));
    it("rejects a pod CIDR that overlaps the service CIDR", () =>
        assertRejected({ podCidr: "10.96.0.0/16" }, /podCidr "10.96.0.0\/16" overlaps spark-on-k8s:serviceCidr/));
    it("rejects a malformed pod CIDR", () => assertRejected({ podCidr: "10.244.0.0" }, /podCidr is "10.244.0.0"; expected a CIDR/));
    it("rejects an availability zone of another region", () =>
        assertRejected({ availabilityZone: "us-east-1a" }, /availabilityZone is "us-east-1a"; expected a zone of ap-northeast-2/));
    it("rejects a public key that is not OpenSSH", () => assertRejected({ sshPublicKey: "hello" }, /sshPublicKey does not look like an OpenSSH public key/));
    it("rejects an unsupported Kubernetes minor, and a retired one with the way to move", () => {
        assertRejected({ kubernetesVersion: "1.33" },
            /kubernetesVersion is "1\.33", past its end of life \(2026-06-28\) and no longer accepted; accepted: 1\.35, 1\.36, 1\.37\. A cluster of this stack moves with kubeadm upgrade, one minor at a time \(1\.33 -> 1\.34 -> 1\.35\): see "Upgrading Kubernetes" in the README; then set kubernetesVersion to 1\.35 or newer/);
        assertRejected({ kubernetesVersion: "1.34" }, /one minor at a time \(1\.34 -> 1\.35\)/);
        assertRejected({ kubernetesVersion: "1.25" }, /kubernetesVersion is "1.25"; expected a supported Kubernetes minor: 1\.35, 1\.36, 1\.37\./);
    });
    it("rejects a namespace that is not a DNS label", () => assertRejected({ jobNamespace: "Spark_Jobs" }, /jobNamespace is "Spark_Jobs"/));
    it("rejects a kube-* job namespace", () => assertRejected({ jobNamespace: "kube-system" }, /jobNamespace is "kube-system"/));
    it("rejects an event-log prefix with a slash at either end", () =>
        assertRejected({ eventLogPrefix: "/logs/" }, /eventLogPrefix is "\/logs\/"; expected an S3 key prefix without leading or trailing/));
    it("rejects a data prefix inside the event-log prefix", () =>
        assertRejected({ dataPrefix: "spark-events/data" }, /dataPrefix "spark-events\/data" and spark-on-k8s:eventLogPrefix "spark-events" overlap/));
    it("rejects a retention of 0 days", () => assertRejected({ eventLogRetentionDays: 0 }, /eventLogRetentionDays is 0; expected a whole number from 1 to 3650/));
    it("rejects a NodePort outside 30000-32767", () => assertRejected({ historyServerNodePort: 8080 }, /historyServerNodePort is 8080; expected a whole number from 30000 to 32767/));
    it("rejects two services on one NodePort", () =>
        assertRejected({ historyServerNodePort: 30100, jupyterNodePort: 30100 }, /are both 30100; expected two different ports/));
    it("rejects a boolean that is not true or false", () => assertRejected({ spotWorkers: "yes" }, /spotWorkers is "yes"; expected true or false/));

    it("reports every problem at once", () => {
        const problems = problemsOf({ region: "ap-northeast-2", workerCount: 0, rootVolumeType: "gp9", kubernetesVersion: "1.2" });
        assert.equal(problems.length, 4);
        assert.ok(problems.some((p) => p.includes("allowedCidrs")));
        assert.throws(() => validateConfig({ workerCount: 0 }), /^ConfigError: Invalid stack configuration \(3 problems\):\n  - /);
    });
});

import * as assert from "assert/strict";
import { exposedSensitivePorts, openAdminIngress, types } from "../rules";

const closed = { allowOpenIngress: false };
const open = { allowOpenIngress: true };

describe("no-open-admin-ingress", () => {
    describe("exposedSensitivePorts", () => {
        it("finds single ports and ranges that overlap SSH, the API server or NodePorts", () => {
            assert.deepEqual(exposedSensitivePorts("tcp", 22, 22), ["SSH (22)"]);
            assert.deepEqual(exposedSensitivePorts("tcp", 6000, 7000), ["the Kubernetes API (6443)"]);
            assert.deepEqual(exposedSensitivePorts("tcp", 32767, 40000), ["NodePorts (30000-32767)"]);
            assert.deepEqual(exposedSensitivePorts("udp", 20, 30000).length, 3);
        });

        it("treats protocol -1 as every port and ignores ICMP and unrelated ports", () => {
            assert.equal(exposedSensitivePorts("-1", 0, 0).length, 3);
            assert.equal(exposedSensitivePorts("all", 0, 0).length, 3);
            assert.deepEqual(exposedSensitivePorts("icmp", -1, -1), []);
            assert.deepEqual(exposedSensitivePorts("tcp", 443, 443), []);
            assert.deepEqual(exposedSensitivePorts("tcp", 23, 6442), []);
        });
    });

    describe("inline ingress of aws.ec2.SecurityGroup", () => {
        it("passes admin ports open to a /32 only", () => {
            const props = { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"] }] };
            assert.deepEqual(openAdminIngress(types.securityGroup, props, closed), []);
        });

        it("fails SSH open to 0.0.0.0/0 and says how to fix or opt in", () => {
            const props = { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] };
            const [message, ...rest] = openAdminIngress(types.securityGroup, props, closed);
            assert.equal(rest.length, 0);
            assert.match(message, /ingress\[0\] opens SSH \(22\) to 0\.0\.0\.0\/0/);
            assert.match(message, /pulumi config set spark-on-k8s:allowOpenIngress true/);
            assert.match(message, /--policy-pack-config/);
        });

        it("fails an all-protocol rule from ::/0, naming every sensitive group", () => {
            const props = { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }] };
            const [message] = openAdminIngress(types.securityGroup, props, closed);
            assert.match(message, /SSH \(22\), the Kubernetes API \(6443\), NodePorts \(30000-32767\) to ::\/0/);
        });

        it("passes world-open HTTPS and egress", () => {
            const props = {
                ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
            };
            assert.deepEqual(openAdminIngress(types.securityGroup, props, closed), []);
        });

        it("passes anything when the stack opted in with allowOpenIngress", () => {
            const props = { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] };
            assert.deepEqual(openAdminIngress(types.securityGroup, props, open), []);
        });
    });

    describe("aws.vpc.SecurityGroupIngressRule", () => {
        it("passes the NodePort range from a private CIDR", () => {
            const props = { ipProtocol: "tcp", fromPort: 30000, toPort: 32767, cidrIpv4: "10.0.0.0/16" };
            assert.deepEqual(openAdminIngress(types.securityGroupIngressRule, props, closed), []);
        });

        it("fails ipProtocol -1 from 0.0.0.0/0 (all ports)", () => {
            const props = { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" };
            assert.equal(openAdminIngress(types.securityGroupIngressRule, props, closed).length, 1);
        });

        it("fails a range overlapping the API server from ::/0", () => {
            const props = { ipProtocol: "tcp", fromPort: 6443, toPort: 6444, cidrIpv6: "::/0" };
            assert.match(openAdminIngress(types.securityGroupIngressRule, props, closed)[0], /6443\) to ::\/0/);
        });
    });

    describe("aws.ec2.SecurityGroupRule", () => {
        it("fails an ingress rule opening NodePorts to the world", () => {
            const props = { type: "ingress", protocol: "tcp", fromPort: 30080, toPort: 30080, cidrBlocks: ["0.0.0.0/0"] };
            assert.match(openAdminIngress(types.securityGroupRule, props, closed)[0], /NodePorts/);
        });

        it("passes an egress rule to the world", () => {
            const props = { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] };
            assert.deepEqual(openAdminIngress(types.securityGroupRule, props, closed), []);
        });
    });
});

import * as assert from "assert/strict";
import { checkResources, resourceRules, stackRules, types } from "../rules";
import { compliantStack } from "./fixtures";

describe("checkResources", () => {
    it("finds nothing in a compliant stack", () => {
        assert.deepEqual(checkResources(compliantStack(), { allowOpenIngress: false }), []);
    });

    it("reports resource- and stack-level violations with policy and resource names", () => {
        const resources = compliantStack()
            .filter((r) => r.type !== types.bucketPolicy)
            .map((r) => (r.type === types.service ? { ...r, props: { spec: { type: "LoadBalancer" } } } : r));
        resources.push({
            type: types.securityGroupIngressRule,
            name: "nodes-sshFromAnywhere",
            props: { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" },
        });
        const found = checkResources(resources, { allowOpenIngress: false }).map((v) => [v.policy, v.resource]);
        assert.deepEqual(found, [
            ["k8s-no-loadbalancer-services", "history-service"],
            ["no-open-admin-ingress", "nodes-sshFromAnywhere"],
            ["s3-tls-only", "eventLogs-bucket"],
        ]);
    });

    it("honours allowOpenIngress and defaults it to false", () => {
        const resources = [
            {
                type: types.securityGroup,
                name: "sg",
                props: { ingress: [{ protocol: "tcp", fromPort: 6443, toPort: 6443, cidrBlocks: ["0.0.0.0/0"] }] },
            },
        ];
        assert.equal(checkResources(resources).length, 1);
        assert.deepEqual(checkResources(resources, { allowOpenIngress: true }), []);
    });

    it("declares every policy once, each with a description", () => {
        const names = [...resourceRules, ...stackRules].map((r) => r.name);
        assert.equal(new Set(names).size, names.length);
        assert.equal(names.length, 9);
        for (const r of [...resourceRules, ...stackRules]) {
            assert.ok(r.description.length > 20, r.name);
        }
    });
});

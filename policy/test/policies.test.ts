// Drives the pack's policies with arguments shaped as @pulumi/policy passes them, including its
// unknown-checking props proxy, without starting the analyzer server.
import * as assert from "assert/strict";
import {
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { policies, toPlain } from "../policies";
import { UNKNOWN, types } from "../rules";
import { bucketResources } from "./fixtures";

// The engine's sentinel for a string preview cannot know (the wire format's unknown value).
const unknownString: string = require("@pulumi/policy/proxy").unknownStringValue;

function policy<T>(name: string): T {
    const found = policies.find((p) => p.name === name);
    assert.ok(found, `no policy ${name}`);
    return found as T;
}

function resourceArgs(type: string, props: object, config: object = {}): ResourceValidationArgs {
    return {
        type,
        props: unknownCheckingProxy(props),
        urn: `urn:pulumi:dev::spark-on-k8s::${type}::r`,
        name: "r",
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(reason);
        },
    };
}

async function validate(name: string, args: ResourceValidationArgs): Promise<string[]> {
    const reported: string[] = [];
    const p = policy<ResourceValidationPolicy>(name);
    for (const v of [p.validateResource!].flat()) {
        await v(args, (message) => reported.push(message));
    }
    return reported;
}

describe("the policy pack's policies (engine argument shape)", () => {
    it("are all mandatory, and only the ingress rules take config", () => {
        assert.equal(policies.length, 9);
        for (const p of policies) {
            assert.equal(p.enforcementLevel, "mandatory", p.name);
        }
        assert.deepEqual(
            policies.filter((p) => p.configSchema).map((p) => p.name),
            ["no-open-admin-ingress", "k8s-no-loadbalancer-services"],
        );
    });

    it("toPlain turns values the proxy cannot read into UNKNOWN and keeps the rest", () => {
        const plain: any = toPlain(unknownCheckingProxy({ a: unknownString, b: [1, { c: unknownString }], d: "x" }));
        assert.deepEqual(plain, { a: UNKNOWN, b: [1, { c: UNKNOWN }], d: "x" });
    });

    it("reports open SSH unless the pack config opts in", async () => {
        const props = { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] };
        assert.equal((await validate("no-open-admin-ingress", resourceArgs(types.securityGroup, props))).length, 1);
        const optedIn = resourceArgs(types.securityGroup, props, { allowOpenIngress: true });
        assert.deepEqual(await validate("no-open-admin-ingress", optedIn), []);
    });

    it("checks the rest of a resource when one field is unknown in preview", async () => {
        const props = { metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: false }, ami: unknownString };
        assert.deepEqual(await validate("ec2-imdsv2-required", resourceArgs(types.instance, props)), []);
        assert.equal((await validate("ec2-volumes-encrypted", resourceArgs(types.instance, props))).length, 1);
    });

    it("ignores resources of other types", async () => {
        assert.deepEqual(await validate("k8s-no-loadbalancer-services", resourceArgs(types.bucket, { spec: { type: "LoadBalancer" } })), []);
    });

    it("pairs a new bucket's companions through property dependencies in preview", async () => {
        const resources: PolicyResource[] = bucketResources().map((r, i) => ({
            type: r.type,
            name: r.name,
            urn: `urn:${i}`,
            // A bucket being created: its name and id are unknown, so are the companions' references.
            props: unknownCheckingProxy({ ...r.props, bucket: unknownString }),
            opts: resourceArgs(r.type, {}).opts,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        }));
        for (const r of resources.slice(1)) {
            r.propertyDependencies = { bucket: [resources[0]] };
        }
        const run = async (list: PolicyResource[]) => {
            const reported: [string, string | undefined][] = [];
            const args: StackValidationArgs = {
                resources: list,
                stackTags: new Map(),
                getConfig: <T extends object>() => ({}) as T,
                notApplicable: (reason?: string): never => {
                    throw new Error(reason);
                },
            };
            for (const name of ["s3-public-access-blocked", "s3-encryption-enabled", "s3-tls-only"]) {
                await policy<StackValidationPolicy>(name).validateStack(args, (m, urn) => reported.push([name, urn]));
            }
            return reported;
        };
        assert.deepEqual(await run(resources), []);
        assert.deepEqual(await run(resources.slice(0, 1)), [
            ["s3-public-access-blocked", "urn:0"],
            ["s3-encryption-enabled", "urn:0"],
            ["s3-tls-only", "urn:0"],
        ]);
    });
});

import * as assert from "assert/strict";
import {
    PlainResource,
    UNKNOWN,
    bucketsAllowingPlainHttp,
    bucketsNotEncrypted,
    bucketsNotPrivate,
    configuresBucket,
    deniesInsecureTransport,
    types,
} from "../rules";
import { bucketResources, bucketName } from "./fixtures";

const without = (type: string) => bucketResources().filter((r) => r.type !== type);
const messages = (found: { message: string }[]) => found.map((f) => f.message);

describe("S3 bucket companions", () => {
    describe("pairing", () => {
        it("pairs by the companion's bucket property against the bucket's id or name", () => {
            const [bucket, pab] = bucketResources();
            assert.ok(configuresBucket(pab, bucket));
            assert.ok(configuresBucket(pab, { ...bucket, id: undefined }));
            assert.ok(!configuresBucket({ ...pab, props: { bucket: "another-bucket" } }, bucket));
        });

        it("pairs through the engine's property dependency when the name is unknown (preview)", () => {
            const bucket: PlainResource = { type: types.bucket, name: "b", urn: "urn:b", props: { bucket: UNKNOWN } };
            const pab: PlainResource = {
                type: types.publicAccessBlock,
                name: "p",
                props: { bucket: UNKNOWN },
                propertyDependencies: { bucket: ["urn:b"] },
            };
            assert.ok(configuresBucket(pab, bucket));
            assert.ok(!configuresBucket({ ...pab, propertyDependencies: { bucket: ["urn:other"] } }, bucket));
        });

        it("also checks the deprecated BucketV2 type", () => {
            const [bucket] = bucketResources();
            const found = bucketsNotPrivate([{ ...bucket, type: types.bucketV2 }]);
            assert.equal(found.length, 1);
        });
    });

    describe("s3-public-access-blocked", () => {
        it("passes a bucket with all four flags true", () => {
            assert.deepEqual(bucketsNotPrivate(bucketResources()), []);
        });

        it("fails a bucket without a public access block, saying what to add", () => {
            const [found] = bucketsNotPrivate(without(types.publicAccessBlock));
            assert.equal(found.resource.name, "eventLogs-bucket");
            assert.match(found.message, /no aws\.s3\.BucketPublicAccessBlock/);
        });

        it("fails a block that leaves a flag false, naming it", () => {
            const resources = bucketResources().map((r) =>
                r.type === types.publicAccessBlock ? { ...r, props: { ...r.props, restrictPublicBuckets: false } } : r,
            );
            assert.deepEqual(messages(bucketsNotPrivate(resources)), [
                "Bucket's public access block leaves restrictPublicBuckets unset or false. Set all four to true.",
            ]);
        });
    });

    describe("s3-encryption-enabled", () => {
        it("passes a bucket with an SSE configuration (V2 type too)", () => {
            assert.deepEqual(bucketsNotEncrypted(bucketResources()), []);
            const v2 = bucketResources().map((r) => (r.type === types.encryption ? { ...r, type: types.encryptionV2 } : r));
            assert.deepEqual(bucketsNotEncrypted(v2), []);
        });

        it("fails a bucket without one", () => {
            assert.match(messages(bucketsNotEncrypted(without(types.encryption)))[0], /has no default encryption/);
        });

        it("fails a configuration with no rules", () => {
            const resources = bucketResources().map((r) =>
                r.type === types.encryption ? { ...r, props: { bucket: bucketName, rules: [] } } : r,
            );
            assert.equal(bucketsNotEncrypted(resources).length, 1);
        });
    });

    describe("s3-tls-only", () => {
        it("passes a policy denying s3:* when aws:SecureTransport is false", () => {
            assert.deepEqual(bucketsAllowingPlainHttp(bucketResources()), []);
        });

        it("fails a bucket without a bucket policy, giving the statement to add", () => {
            const [message] = messages(bucketsAllowingPlainHttp(without(types.bucketPolicy)));
            assert.match(message, /does not refuse plain HTTP/);
            assert.match(message, /"aws:SecureTransport": "false"/);
        });

        it("fails a policy whose Deny is missing the SecureTransport condition", () => {
            const doc = { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] };
            assert.equal(deniesInsecureTransport(JSON.stringify(doc)), false);
        });

        it("accepts the condition as a boolean, an array, and an AWS principal", () => {
            const doc = {
                Statement: {
                    Effect: "Deny",
                    Principal: { AWS: ["*"] },
                    Action: ["s3:*"],
                    Condition: { Bool: { "aws:SecureTransport": [false] } },
                },
            };
            assert.equal(deniesInsecureTransport(doc), true);
        });

        it("does not fail a policy document preview cannot know yet", () => {
            assert.equal(deniesInsecureTransport(UNKNOWN), true);
        });
    });
});

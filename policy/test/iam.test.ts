import * as assert from "assert/strict";
import { UNKNOWN, broadIamAccess, broadIamStatements, types } from "../rules";
import { nodeRolePolicyDocument } from "./fixtures";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("iam-scoped-access", () => {
    it("passes the node role's bucket- and prefix-scoped policy (JSON text)", () => {
        assert.deepEqual(broadIamAccess(types.iamRolePolicy, { policy: nodeRolePolicyDocument() }), []);
        assert.deepEqual(broadIamAccess(types.iamPolicy, { policy: JSON.parse(nodeRolePolicyDocument()) }), []);
    });

    it("fails s3:* on Resource * and says to name the bucket and prefix", () => {
        const [message] = broadIamAccess(types.iamPolicy, {
            policy: doc({ Sid: "Logs", Effect: "Allow", Action: "s3:*", Resource: "*" }),
        });
        assert.match(message, /^Statement "Logs" allows s3:\* on Resource "\*"\. Name the event-log bucket and prefix/);
    });

    it("fails any S3 object action on every bucket (arn:aws:s3:::*), string or array form", () => {
        const found = broadIamStatements(
            doc({ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::*/*"] }),
        );
        assert.equal(found.length, 1);
        assert.match(found[0], /Statement\[0\] allows s3:GetObject, s3:PutObject/);
    });

    it("passes account-level S3 actions, which only exist on *", () => {
        assert.deepEqual(broadIamStatements(doc({ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" })), []);
    });

    it("fails * and *:* on *", () => {
        assert.match(broadIamStatements(doc({ Effect: "Allow", Action: "*", Resource: "*" }))[0], /every action \("\*"\)/);
        assert.match(broadIamStatements(doc({ Effect: "Allow", Action: ["*:*"], Resource: ["*"] }))[0], /"\*:\*"/);
    });

    it("fails Allow with NotAction on *", () => {
        assert.match(broadIamStatements(doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }))[0], /NotAction/);
    });

    it("passes a Deny on *", () => {
        assert.deepEqual(broadIamStatements(doc({ Effect: "Deny", Action: "*", Resource: "*" })), []);
    });

    it("fails a policy that is not JSON and skips one preview cannot know", () => {
        assert.match(broadIamStatements("{not json")[0], /is not valid JSON/);
        assert.deepEqual(broadIamAccess(types.iamRolePolicy, { policy: UNKNOWN }), []);
    });

    it("fails a role with a broad inline policy or AmazonS3FullAccess", () => {
        const role = {
            inlinePolicies: [{ name: "logs", policy: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }) }],
            managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
        };
        const found = broadIamAccess(types.iamRole, role);
        assert.equal(found.length, 2);
        assert.match(found[0], /^Inline policy "logs": /);
        assert.match(found[1], /AmazonS3FullAccess/);
    });

    it("fails attaching AdministratorAccess, passes a narrow managed policy", () => {
        const attach = (policyArn: string) => broadIamAccess(types.iamRolePolicyAttachment, { role: "r", policyArn });
        assert.equal(attach("arn:aws:iam::aws:policy/AdministratorAccess").length, 1);
        assert.deepEqual(attach("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"), []);
    });
});

import * as assert from "assert/strict";
import { UNKNOWN, imdsV1Allowed, types, unencryptedVolumes } from "../rules";
import { instanceProps } from "./fixtures";

describe("ec2-imdsv2-required", () => {
    it("passes an instance with httpTokens required", () => {
        assert.deepEqual(imdsV1Allowed(types.instance, instanceProps()), []);
    });

    it("fails an instance without metadataOptions and says what to set", () => {
        const props = { ...instanceProps(), metadataOptions: undefined };
        const [message] = imdsV1Allowed(types.instance, props);
        assert.match(message, /Instance allows IMDSv1 \(metadataOptions\.httpTokens is null\)/);
        assert.match(message, /httpTokens: "required", httpPutResponseHopLimit: 2/);
    });

    it("fails a launch template with httpTokens optional", () => {
        const [message] = imdsV1Allowed(types.launchTemplate, { metadataOptions: { httpTokens: "optional" } });
        assert.match(message, /^Launch template allows IMDSv1 \(metadataOptions\.httpTokens is "optional"\)/);
    });

    it("skips a value preview cannot know yet", () => {
        assert.deepEqual(imdsV1Allowed(types.instance, { metadataOptions: { httpTokens: UNKNOWN } }), []);
    });
});

describe("ec2-volumes-encrypted", () => {
    it("passes an instance with an encrypted root and extra volume", () => {
        const props = { ...instanceProps(), ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }] };
        assert.deepEqual(unencryptedVolumes(types.instance, props), []);
    });

    it("fails an instance whose root volume is not declared encrypted", () => {
        const props = { ...instanceProps(), rootBlockDevice: { volumeSize: 50 } };
        assert.deepEqual(unencryptedVolumes(types.instance, props), [
            "Instance root volume is not encrypted. Set rootBlockDevice: { encrypted: true }.",
        ]);
    });

    it("fails an unencrypted EBS block device, naming it", () => {
        const props = { ...instanceProps(), ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] };
        assert.match(unencryptedVolumes(types.instance, props)[0], /ebsBlockDevices\[0\] \(\/dev\/sdf\)/);
    });

    it("passes a launch template mapping with encrypted \"true\" and fails one without", () => {
        const good = { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }] };
        const bad = { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 50 } }] };
        assert.deepEqual(unencryptedVolumes(types.launchTemplate, good), []);
        assert.match(unencryptedVolumes(types.launchTemplate, bad)[0], /blockDeviceMappings\[0\] \(\/dev\/xvda\)/);
    });

    it("fails a launch template that leaves the root volume to the AMI", () => {
        assert.match(unencryptedVolumes(types.launchTemplate, {})[0], /no block device mappings/);
    });

    it("fails an unencrypted standalone EBS volume", () => {
        assert.deepEqual(unencryptedVolumes(types.ebsVolume, { encrypted: true, size: 10 }), []);
        assert.equal(unencryptedVolumes(types.ebsVolume, { size: 10 }).length, 1);
    });
});

import * as assert from "assert/strict";
import { packConfigFromStackYaml } from "../packConfig";

describe("packConfigFromStackYaml", () => {
    it("carries spark-on-k8s:allowOpenIngress to the no-open-admin-ingress policy", () => {
        const yaml = 'config:\n  aws:region: eu-west-1\n  spark-on-k8s:allowOpenIngress: "true"\n';
        assert.deepEqual(packConfigFromStackYaml(yaml), { "no-open-admin-ingress": { allowOpenIngress: true } });
    });

    it("defaults to false when the key or the whole config is absent", () => {
        assert.deepEqual(packConfigFromStackYaml("config:\n  aws:region: eu-west-1\n"), {
            "no-open-admin-ingress": { allowOpenIngress: false },
        });
        assert.deepEqual(packConfigFromStackYaml(""), { "no-open-admin-ingress": { allowOpenIngress: false } });
    });

    it("rejects a value that is not a boolean", () => {
        assert.throws(
            () => packConfigFromStackYaml("config:\n  spark-on-k8s:allowOpenIngress: yes-please\n"),
            /spark-on-k8s:allowOpenIngress must be true or false, got "yes-please"/,
        );
    });
});

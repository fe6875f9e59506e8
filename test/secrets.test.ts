import * as assert from "node:assert/strict";
import { baseConfig, isSecret, isSecretInput, ProgramRun, runProgram } from "./support/program";

describe("secrets stay secret", function () {
    this.timeout(60000);
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(baseConfig);
    });

    it("marks every credential output secret", async () => {
        for (const o of ["kubeconfig", "sshPrivateKey", "jupyterToken"]) assert.ok(await isSecret(run.outputs[o]), o);
    });

    it("marks the generated private key's outputs secret in state", () => {
        const secretOutputs = run.byName("nodes-ssh-key").additionalSecretOutputs;
        for (const o of ["privateKeyOpenssh", "privateKeyPem"]) assert.ok(secretOutputs.includes(o), o);
    });

    it("keeps commands that print credentials out of the logs and their stdout secret", () => {
        for (const name of ["k8s-kubeconfig", "k8s-worker-1-join-token", "k8s-worker-2-join-token"]) {
            const c = run.byName(name);
            assert.equal(c.inputs.logging, "none", name);
            assert.ok(c.additionalSecretOutputs.includes("stdout"), name);
            assert.equal(c.inputs.addPreviousOutputInEnv, false, name);
        }
    });

    it("sends join commands only as secret stdin, never on the command line", () => {
        for (const name of ["k8s-worker-1-join", "k8s-worker-2-join"]) {
            const c = run.byName(name);
            assert.ok(isSecretInput(c.inputs.stdin), name);
            assert.doesNotMatch(c.inputs.create, /kubeadm|token/);
        }
    });

    it("passes the SSH private key to every command's connection as a secret", () => {
        for (const c of run.ofType("command:remote:Command")) {
            assert.ok(isSecretInput(c.inputs.connection) || isSecretInput(c.inputs.connection.privateKey), c.name);
        }
    });

    it("gives the kubeconfig and the token to Kubernetes resources only as secrets", () => {
        assert.ok(isSecretInput(run.byName("k8s-bootstrap").inputs.kubeconfig));
        assert.ok(isSecretInput(run.byName("k8s-k8s").inputs.kubeconfig));
        assert.ok(isSecretInput(run.byName("jupyter-secret-jupyter-token").inputs.stringData));
    });

    it("creates no secret that the platform does not need: no long-lived join token, no password", () => {
        assert.equal(run.ofType("random:index/randomPassword:RandomPassword").length, 1);
        assert.ok(!run.ofType("command:remote:Command").some((c) => /--ttl 0|--ttl [1-9]\d*h/.test(c.inputs.create ?? "")));
    });
});

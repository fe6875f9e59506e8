import * as assert from "node:assert/strict";
import { parseAllDocuments, parse } from "yaml";
import { initTokenDescription, kubeadmConfig, kubernetesVersionMarker } from "../render/kubeadm";
import { pointKubeconfigAt } from "../render/kubeconfig";
import { fakeKubeconfig } from "./support/program";

describe("kubeadm config", () => {
    const text = kubeadmConfig({ nodeName: "control-plane", advertiseAddress: "10.20.1.10", certSans: ["198.51.100.7"], podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12" });
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    const byKind = (k: string) => docs.find((d) => d.kind === k);

    it("has init, cluster and kubelet configuration (kubeadm v1beta4)", () => {
        assert.deepEqual(docs.map((d) => d.kind), ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
        assert.equal(byKind("InitConfiguration").apiVersion, "kubeadm.k8s.io/v1beta4");
    });
    it("advertises the private IP and names the node", () => {
        assert.equal(byKind("InitConfiguration").localAPIEndpoint.advertiseAddress, "10.20.1.10");
        assert.equal(byKind("InitConfiguration").nodeRegistration.name, "control-plane");
    });
    it("puts the Elastic IP and the private IP in the API server certificate", () => {
        assert.deepEqual(byKind("ClusterConfiguration").apiServer.certSANs, ["198.51.100.7", "10.20.1.10"]);
    });
    it("uses the CNI's pod CIDR and the service CIDR", () => {
        assert.equal(byKind("ClusterConfiguration").networking.podSubnet, "10.244.0.0/16");
        assert.equal(byKind("ClusterConfiguration").networking.serviceSubnet, "10.96.0.0/12");
    });
    it("leaves the exact version to the node's installed kubeadm", () => {
        assert.equal(byKind("ClusterConfiguration").kubernetesVersion, kubernetesVersionMarker);
    });
    it("uses the systemd cgroup driver, like containerd", () => assert.equal(byKind("KubeletConfiguration").cgroupDriver, "systemd"));
    it("asks kubeadm init for one bootstrap token of 15 minutes, not its 24 h default", () => {
        assert.deepEqual(byKind("InitConfiguration").bootstrapTokens, [{ description: initTokenDescription, ttl: "15m0s" }]);
        // `kubeadm token list` shows it: it must say what it is and that it goes away.
        assert.match(initTokenDescription, /^made by kubeadm init; unused, expires 15 minutes after init$/);
    });
});

describe("kubeconfig for users", () => {
    it("points every cluster at the public address and names the context after the stack", () => {
        const out = parse(pointKubeconfigAt(fakeKubeconfig, "198.51.100.7", "spark-dev"));
        assert.equal(out.clusters[0].cluster.server, "https://198.51.100.7:6443");
        assert.equal(out["current-context"], "spark-dev");
        assert.equal(out.contexts[0].name, "spark-dev");
        assert.equal(out.users[0].user["client-key-data"], "S0VZCg==");
    });
    it("says what is wrong when the control plane returned nothing", () => {
        assert.throws(() => pointKubeconfigAt("", "1.2.3.4", "x"), /no kubeconfig: \/etc\/kubernetes\/admin.conf is missing or empty/);
    });
});

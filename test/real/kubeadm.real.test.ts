import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { initTokenDescription, kubeadmConfig, kubernetesVersionMarker } from "../../render/kubeadm";
import { defaultKubernetesMinor, testedKubernetesRelease } from "../../versions";

/**
 * The rendered kubeadm configuration against a real kubeadm, built from the Go module proxy at
 * the tested release (tools/k8s/build.sh; npm run test:kubeadm builds it first). `kubeadm init
 * --dry-run` runs in a private mount namespace whose /etc and /var/lib are overlays in a temporary
 * folder (tools/k8s/overlay-run.sh), its dry-run files under KUBEADM_INIT_DRYRUN_DIR there too:
 * the machine's own /etc/kubernetes and /var/lib/kubelet are never written.
 */
const root = path.join(__dirname, "..", "..");
const kubeadm = path.join(process.env.SPARKPLAT_KUBEADM_DIR ?? path.join(os.homedir(), ".cache", "sparkplat", "k8s", testedKubernetesRelease, "bin"), "kubeadm");

describe(`the rendered kubeadm config against a real kubeadm ${testedKubernetesRelease}`, function () {
    this.timeout(180_000);
    let dir: string;
    let configFile: string;

    before(function () {
        assert.ok(fs.existsSync(kubeadm), `no kubeadm at ${kubeadm}: run 'npm run test:kubeadm' (it builds one with tools/k8s/build.sh)`);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "sparkplat-kubeadm-"));
        configFile = path.join(dir, "kubeadm-config.yaml");
        // As scripts/init-control-plane.sh writes it: the marker replaced by the installed kubeadm's version.
        const text = kubeadmConfig({
            nodeName: "control-plane",
            advertiseAddress: "10.200.0.1",
            certSans: ["198.51.100.7"],
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
        }).replace(kubernetesVersionMarker, execFileSync(kubeadm, ["version", "-o", "short"], { encoding: "utf8" }).trim());
        fs.writeFileSync(configFile, text, { mode: 0o600 });
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("is the tested release of the default minor", () => {
        assert.equal(execFileSync(kubeadm, ["version", "-o", "short"], { encoding: "utf8" }).trim(), testedKubernetesRelease);
        assert.ok(testedKubernetesRelease.startsWith(`v${defaultKubernetesMinor}.`));
    });

    it("passes kubeadm config validate", () => {
        const r = spawnSync(kubeadm, ["config", "validate", "--config", configFile], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("leaves no long-lived bootstrap token after kubeadm init (dry run)", () => {
        assert.equal(process.getuid?.(), 0, "this tier runs kubeadm init --dry-run in a mount namespace: run it as root");
        const before = Date.now();
        const machineDirs = ["/etc/kubernetes", "/var/lib/kubelet"].filter((d) => fs.existsSync(d));
        const r = spawnSync("bash", [path.join(root, "tools", "k8s", "overlay-run.sh"), path.join(dir, "state"),
            kubeadm, "init", "--dry-run", "--config", configFile, "--ignore-preflight-errors=all", "--skip-token-print"], {
            encoding: "utf8",
            env: { ...process.env, KUBEADM_INIT_DRYRUN_DIR: path.join(dir, "dry-run") },
            maxBuffer: 64 << 20,
        });
        assert.equal(r.status, 0, (r.stdout + r.stderr).slice(-3000));
        assert.deepEqual(["/etc/kubernetes", "/var/lib/kubelet"].filter((d) => fs.existsSync(d)), machineDirs, "the dry run wrote the machine's own directories");

        // Every bootstrap-token Secret the dry run would create, as kubeadm prints it.
        const secrets = parseAllDocuments(r.stdout.split(/^\[dryrun\] Attached object:\n/m).slice(1).map((s) => s.split(/^\[/m)[0]).join("---\n"))
            .map((d) => d.toJS())
            .filter((o) => o?.type === "bootstrap.kubernetes.io/token");
        assert.equal(secrets.length, 1, `bootstrap tokens: ${secrets.map((s) => s.metadata?.name).join(", ")}`);
        const data = Object.fromEntries(Object.entries(secrets[0].data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
        const lifetimeMinutes = (Date.parse(data.expiration) - before) / 60_000;
        assert.ok(lifetimeMinutes > 0 && lifetimeMinutes <= 16, `the init token lives ${lifetimeMinutes.toFixed(1)} minutes (expires ${data.expiration})`);
        assert.equal(data.description, initTokenDescription);
    });
});

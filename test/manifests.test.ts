import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { readStackConfig } from "../render/stackFile";
import { renderAll } from "../render/all";
import { historyServerObjects, K8sObject } from "../render/manifests";
import * as path from "node:path";

/** The kubernetes-models class of an object, by apiVersion and kind. */
function modelOf(o: K8sObject): (new (data: unknown) => { validate(): void }) | undefined {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    const mod = group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
    try {
        return require(mod)[o.kind];
    } catch {
        return undefined;
    }
}

function renderedObjects(): K8sObject[] {
    const files = renderAll(readStackConfig(path.join(__dirname, "..", "Pulumi.dev.yaml")), "dev");
    return Object.entries(files).filter(([f]) => f.startsWith("k8s/")).map(([, text]) => parse(text));
}

describe("Kubernetes objects against the Kubernetes schemas", () => {
    const objects = renderedObjects();

    it("renders the platform's objects", () => {
        const kinds = new Set(objects.map((o) => o.kind));
        for (const k of ["Namespace", "Deployment", "Service", "ConfigMap", "Secret", "Role", "RoleBinding", "ServiceAccount", "PersistentVolume", "PersistentVolumeClaim", "SparkApplication"]) {
            assert.ok(kinds.has(k), k);
        }
    });

    for (const o of renderedObjects()) {
        if (o.kind === "SparkApplication") continue;
        it(`${o.kind} ${o.metadata.name} is valid ${o.apiVersion}`, () => {
            const Model = modelOf(o);
            assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
            new Model(o).validate();
        });
    }

    it("catches a wrong type, so the check above can fail", () => {
        const [, deployment] = historyServerObjects({ namespace: "x", sparkDefaults: "", uiPort: 18080, nodePort: 30080, storePath: "/s", image: "i", serviceType: "NodePort", sourceRanges: [] });
        const broken = structuredClone(deployment) as any;
        broken.spec.replicas = "one";
        assert.throws(() => new (modelOf(broken)!)(broken).validate(), /replicas/);
    });

    it("gives every container resource requests, limits and probes", () => {
        for (const d of objects.filter((o) => o.kind === "Deployment") as any[]) {
            for (const c of d.spec.template.spec.containers) {
                assert.ok(c.resources.requests.memory && c.resources.limits.memory, `${d.metadata.name}/${c.name}`);
                assert.ok(c.readinessProbe && c.livenessProbe, `${d.metadata.name}/${c.name}`);
            }
        }
    });

    it("labels every object as part of the platform", () => {
        for (const o of objects) assert.equal(o.metadata.labels?.["app.kubernetes.io/part-of"], "spark-platform", `${o.kind}/${o.metadata.name}`);
    });
});

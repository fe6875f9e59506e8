import * as assert from "assert/strict";
import { loadBalancerService, rootContainers, types } from "../rules";
import { deploymentProps } from "./fixtures";

function withPod(edit: (pod: any) => void): any {
    const props = deploymentProps();
    edit(props.spec.template.spec);
    return props;
}

describe("k8s-no-loadbalancer-services", () => {
    it("passes NodePort and ClusterIP services", () => {
        assert.deepEqual(loadBalancerService(types.service, { spec: { type: "NodePort" } }), []);
        assert.deepEqual(loadBalancerService(types.service, { spec: {} }), []);
    });

    it("fails a LoadBalancer service without source ranges and names the alternatives", () => {
        const [message] = loadBalancerService(types.service, { spec: { type: "LoadBalancer" } });
        assert.match(message, /type LoadBalancer with no loadBalancerSourceRanges/);
        assert.match(message, /NodePort or ClusterIP with kubectl port-forward/);
    });

    it("passes a load balancer limited to named ranges; fails one open to the internet unless allowOpenIngress", () => {
        const lb = (ranges: string[]) => ({ spec: { type: "LoadBalancer", loadBalancerSourceRanges: ranges } });
        assert.deepEqual(loadBalancerService(types.service, lb(["203.0.113.0/24"])), []);
        assert.match(loadBalancerService(types.service, lb(["203.0.113.0/24", "::/0"]))[0], /admits ::\/0 in loadBalancerSourceRanges/);
        assert.deepEqual(loadBalancerService(types.service, lb(["0.0.0.0/0"]), { allowOpenIngress: true }), []);
    });
});

describe("k8s-run-as-non-root", () => {
    it("accepts root only in a DaemonSet's init container limited to file ownership, without privilege escalation", () => {
        const root = (caps: string[], escalation = false) => withPod((pod) => {
            pod.initContainers = [{ name: "node-setup", securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: escalation, capabilities: { drop: ["ALL"], add: caps } } }];
        });
        assert.deepEqual(rootContainers(types.daemonSet, root(["CHOWN", "DAC_OVERRIDE", "FOWNER"])), []);
        assert.equal(rootContainers(types.deployment, root(["CHOWN"])).length, 2, "a Deployment's init container may not be root");
        assert.equal(rootContainers(types.daemonSet, root(["CHOWN", "NET_ADMIN"])).length, 2);
        assert.equal(rootContainers(types.daemonSet, root(["CHOWN"], true)).length, 2);
    });

    it("passes a pod-level runAsNonRoot with a non-zero uid", () => {
        assert.deepEqual(rootContainers(types.deployment, deploymentProps()), []);
    });

    it("passes container-level settings without a pod-level context", () => {
        const props = withPod((pod) => {
            delete pod.securityContext;
            for (const c of [...pod.containers, ...pod.initContainers]) {
                c.securityContext = { runAsNonRoot: true, runAsUser: 1000 };
            }
        });
        assert.deepEqual(rootContainers(types.statefulSet, props), []);
    });

    it("fails every container when nothing sets runAsNonRoot", () => {
        const found = rootContainers(types.daemonSet, withPod((pod) => delete pod.securityContext));
        assert.equal(found.length, 2);
        assert.match(found[0], /^Init container "wait-for-bucket" may run as root/);
        assert.match(found[1], /^Container "history-server" may run as root: runAsNonRoot is not true/);
    });

    it("fails a container overriding the pod with runAsUser 0 or runAsNonRoot false", () => {
        const found = rootContainers(
            types.deployment,
            withPod((pod) => {
                pod.containers[0].securityContext = { runAsUser: 0 };
                pod.initContainers[0].securityContext = { runAsNonRoot: false };
            }),
        );
        assert.deepEqual(found, [
            'Init container "wait-for-bucket" may run as root: runAsNonRoot is not true. Set securityContext.runAsNonRoot: true (pod or container) with a non-zero runAsUser, e.g. 185 for apache/spark, 1000 for Jupyter.',
            'Container "history-server" sets runAsUser: 0 (root). Use the image\'s non-root uid.',
        ]);
    });

    it("reads the pod template of a CronJob", () => {
        const cron = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c" }] } } } } } };
        assert.equal(rootContainers(types.cronJob, cron).length, 1);
    });
});

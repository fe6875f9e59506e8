import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ServiceType } from "../config";
import { configChecksum, K8sObject, withConfigChecksums } from "../render/manifests";

type Constructor = new (name: string, args: any, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const kinds: Record<string, Constructor> = {
    "v1/Namespace": k8s.core.v1.Namespace,
    "v1/ConfigMap": k8s.core.v1.ConfigMap,
    "v1/Secret": k8s.core.v1.Secret,
    "v1/Service": k8s.core.v1.Service,
    "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
    "v1/PersistentVolume": k8s.core.v1.PersistentVolume,
    "v1/PersistentVolumeClaim": k8s.core.v1.PersistentVolumeClaim,
    "apps/v1/Deployment": k8s.apps.v1.Deployment,
    "apps/v1/DaemonSet": k8s.apps.v1.DaemonSet,
    "batch/v1/Job": k8s.batch.v1.Job,
    "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
    "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
    "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
};

/**
 * Creates one Kubernetes object from its rendered form, as the typed resource of its kind
 * (custom resources such as SparkApplication as CustomResource). The Pulumi name is
 * `<prefix>-<kind>-<name>`, so two components never collide.
 */
export function createObject(prefix: string, obj: K8sObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
    const name = `${prefix}-${obj.kind.toLowerCase()}-${obj.metadata.name}`;
    const ctor = kinds[`${obj.apiVersion}/${obj.kind}`];
    return ctor ? new ctor(name, obj, opts) : new k8s.apiextensions.CustomResource(name, obj as k8s.apiextensions.CustomResourceArgs, opts);
}

/**
 * Creates objects in order, each after the previous ones of the kinds it needs (ConfigMaps, Secrets,
 * RBAC, PVCs). A Deployment or DaemonSet carries the checksum of the ConfigMaps it mounts, so that
 * a changed setting restarts its pods.
 */
export function createObjects(
    prefix: string,
    objs: K8sObject[],
    opts: { provider: pulumi.ProviderResource; parent?: pulumi.Resource; dependsOn?: pulumi.Resource[] },
): Map<string, pulumi.CustomResource> {
    const created = new Map<string, pulumi.CustomResource>();
    const supporting: pulumi.CustomResource[] = [];
    const before = opts.dependsOn ?? [];
    for (const obj of withConfigChecksums(objs, (data) => pulumi.output(data).apply(configChecksum))) {
        const workload = obj.kind === "Deployment";
        const r = createObject(prefix, obj, {
            ...opts,
            dependsOn: workload ? [...before, ...supporting] : before,
            // A changed pod template replaces the one-pod Deployment (which its Recreate strategy
            // does anyway), so that `pulumi up` waits for the new pod to be Ready: on an update the
            // provider returned while the new pod was still starting (seen on the engine tier).
            ...(workload ? { replaceOnChanges: ["spec.template"], deleteBeforeReplace: true } : {}),
        });
        if (!workload && obj.kind !== "Service") supporting.push(r);
        created.set(`${obj.kind}/${obj.metadata.name}`, r);
    }
    return created;
}

/**
 * Where users reach a Service: the public address for a NodePort, the load balancer's address
 * (Pulumi waits until the Service has one) for a LoadBalancer.
 */
export function serviceAddress(type: ServiceType, service: k8s.core.v1.Service, publicAddress: pulumi.Input<string>): pulumi.Output<string> {
    if (type !== "LoadBalancer") return pulumi.output(publicAddress);
    return pulumi.all([service.metadata, service.status]).apply(([m, s]) => {
        const ingress = s?.loadBalancer?.ingress?.[0];
        const address = ingress?.hostname || ingress?.ip;
        if (!address) throw new Error(`the Service ${m?.namespace}/${m?.name} of type LoadBalancer has no address; does the cluster have a load-balancer controller?`);
        return address;
    });
}

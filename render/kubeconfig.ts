import { parse, stringify } from "yaml";

/**
 * The admin kubeconfig as written by kubeadm points at the private API endpoint; users and the
 * Pulumi provider reach the API through the control plane's Elastic IP (one of the certificate's SANs).
 */
export function pointKubeconfigAt(kubeconfig: string, host: string, contextName: string): string {
    const doc = parse(kubeconfig);
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
        throw new Error("the control plane returned no kubeconfig: /etc/kubernetes/admin.conf is missing or empty");
    }
    for (const c of doc.clusters) {
        const server = new URL(c.cluster.server);
        server.hostname = host;
        c.cluster.server = server.toString().replace(/\/$/, "");
    }
    for (const ctx of doc.contexts ?? []) {
        ctx.name = contextName;
    }
    doc["current-context"] = contextName;
    return stringify(doc);
}

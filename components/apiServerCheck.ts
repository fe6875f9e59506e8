import * as pulumi from "@pulumi/pulumi";
import * as net from "net";
import { parse } from "yaml";

/** The API server of a kubeconfig's current context, or undefined when it does not name one plainly. */
export function apiServerOf(kubeconfig: string): { server: string; context: string; host: string; port: number } | undefined {
    let doc: any;
    try {
        doc = parse(kubeconfig);
    } catch {
        return undefined;
    }
    const contextName: string | undefined = doc?.["current-context"];
    const context = (doc?.contexts ?? []).find((c: any) => c?.name === contextName)?.context;
    const cluster = (doc?.clusters ?? []).find((c: any) => c?.name === context?.cluster)?.cluster;
    // Through a proxy the machine may not reach the server directly: the provider's own checks apply.
    if (typeof cluster?.server !== "string" || cluster["proxy-url"]) return undefined;
    let url: URL;
    try {
        url = new URL(cluster.server);
    } catch {
        return undefined;
    }
    const port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
    return { server: cluster.server, context: contextName ?? "", host: url.hostname.replace(/^\[|\]$/g, ""), port };
}

/**
 * Resolves once a TCP connection to the kubeconfig's API server opens; fails with a message that
 * names the setting, the server and what to do. The provider reads nothing in the preview of a
 * first deploy (its own configuration is not known yet), so without this check that preview
 * succeeds against a cluster nobody can reach, and the `pulumi up` after it fails half-way.
 */
export function checkApiServer(kubeconfig: string, settingName: string, timeoutMs = 10_000): Promise<void> {
    const target = apiServerOf(kubeconfig);
    if (!target) return Promise.resolve();
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host: target.host, port: target.port });
        const fail = (reason: string) => {
            socket.destroy();
            reject(new pulumi.RunError(
                `${settingName}: the Kubernetes API server ${target.server} (context ${JSON.stringify(target.context)}) is unreachable from this machine: ${reason}. ` +
                    "Nothing was changed. Check that the cluster runs and that this machine reaches it (VPN, firewall, the API server's allowed networks); " +
                    `if its address changed, set the setting again: pulumi config set --secret ${settingName.split(":").pop()} "$(cat ~/.kube/config)".`,
            ));
        };
        socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000} s`));
        socket.once("error", (e: NodeJS.ErrnoException) => fail(e.code ? `${e.code} (${e.message})` : e.message));
        socket.once("connect", () => {
            socket.destroy();
            resolve();
        });
    });
}

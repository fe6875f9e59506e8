/** Name of the service account the chart creates in the job namespace for drivers. */
export const sparkServiceAccount = "spark";

/**
 * Values for the kubeflow spark-operator chart. With a mirror (imageRegistry) the controller image
 * is `<imageRegistry>/kubeflow/spark-operator/controller:<chart appVersion>`: the mirror keeps the
 * public path under its own prefix, as for the Spark image.
 */
export function sparkOperatorValues(jobNamespace: string, imageRegistry?: string): Record<string, unknown> {
    return {
        ...(imageRegistry ? { image: { registry: imageRegistry } } : {}),
        controller: {
            // One replica is enough for a single cluster; the webhook and controller restart on failure.
            replicas: 1,
            uiService: { enable: true },
        },
        webhook: { enable: true, failurePolicy: "Fail" },
        spark: {
            jobNamespaces: [jobNamespace],
            serviceAccount: { create: true, name: sparkServiceAccount },
            rbac: { create: true },
        },
        prometheus: { metrics: { enable: true } },
    };
}

/** Values for the flannel chart: pod CIDR shared with kubeadm's podSubnet, VXLAN backend. */
export function flannelValues(podCidr: string): Record<string, unknown> {
    return { podCidr, flannel: { backend: "vxlan" } };
}

/** Header of a rendered values file: which chart, which version, from where. */
export function chartHeader(chart: { chart: string; version: string; repository: string }): string {
    return `# chart: ${chart.chart}\n# version: ${chart.version}\n# repository: ${chart.repository}\n`;
}

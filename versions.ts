/**
 * Every pinned version of the platform, in one place. The driver (Jupyter kernel, the
 * operator's spark-submit) and the executors must agree on Spark and Python minors, and the
 * S3A jars must match the Hadoop inside the Spark image: test/versions.test.ts checks both.
 */

/** Kubernetes minors whose pkgs.k8s.io apt repositories this program knows how to use. */
export const supportedKubernetesMinors = ["1.31", "1.32", "1.33", "1.34"] as const;
export type KubernetesMinor = (typeof supportedKubernetesMinors)[number];
export const defaultKubernetesMinor: KubernetesMinor = "1.33";
/**
 * The release of the default minor that the real tiers build from the Go module proxy (kubeadm,
 * and the whole cluster): a patch the proxy serves. Nodes install the newest patch of their minor.
 */
export const testedKubernetesRelease = "v1.33.5";

/** Flannel (VXLAN): works on EC2 without turning off source/destination checks. */
export const flannel = {
    chart: "flannel",
    version: "v0.28.9",
    repository: "https://flannel-io.github.io/flannel/",
    /** Flannel's VXLAN backend port, opened between nodes by the security group. */
    vxlanPort: 8472,
} as const;

/** The Spark release shared by jobs, the History Server, Jupyter and the operator's spark-submit. */
export const spark = {
    version: "4.0.4",
    scalaBinary: "2.13",
    /** Hadoop client bundled with this Spark release (jars/hadoop-client-api-<v>.jar). */
    hadoop: "3.4.1",
    /** Python of the apache/spark python3 images (Ubuntu jammy). */
    python: "3.10",
    /** Official image: Spark, Java 17, Python 3 on Ubuntu jammy; no hadoop-aws inside. */
    image: "apache/spark:4.0.4-scala2.13-java17-python3-ubuntu",
    /** UID of the `spark` user in the official image. */
    uid: 185,
} as const;

/** Kubeflow Spark Operator; chart 2.5.2's controller image is built FROM apache/spark:4.0.4. */
export const sparkOperator = {
    chart: "spark-operator",
    version: "2.5.2",
    repository: "https://kubeflow.github.io/spark-operator",
    /** Spark inside the controller image, which runs spark-submit for every SparkApplication. */
    bundledSpark: "4.0.4",
    apiVersion: "sparkoperator.k8s.io/v1beta2",
} as const;

export interface MavenJar {
    group: string;
    artifact: string;
    version: string;
    sha256: string;
}

/** S3A: hadoop-aws at the image's Hadoop version and the AWS SDK v2 bundle Hadoop 3.4.1 is built against. */
export const s3aJars: readonly MavenJar[] = [
    {
        group: "org.apache.hadoop",
        artifact: "hadoop-aws",
        version: "3.4.1",
        sha256: "01334a07e179cae2b7e251f24857f11e3759108c9d6a79dcbe362a4295227da2",
    },
    {
        group: "software.amazon.awssdk",
        artifact: "bundle",
        version: "2.24.6",
        sha256: "890bf9f2a80488f7a8aa8277d64d13a9ea3a3cdff8607ef3b63a878d8b467b41",
    },
];

export const mavenCentral = "https://repo1.maven.org/maven2";

export function jarFileName(jar: MavenJar): string {
    return `${jar.artifact}-${jar.version}.jar`;
}

export function jarUrl(jar: MavenJar, repository: string = mavenCentral): string {
    return `${repository}/${jar.group.replace(/\./g, "/")}/${jar.artifact}/${jar.version}/${jarFileName(jar)}`;
}

/** JupyterLab, installed at pod start with the image's own Python, so the kernel matches the executors. */
export const jupyter = {
    jupyterlab: "4.4.10",
} as const;

/** Ubuntu releases with Canonical AMIs this program looks up. */
export const ubuntuReleases: Record<string, string> = {
    "22.04": "jammy",
    "24.04": "noble",
};

/** Canonical's AWS account, owner of the official Ubuntu AMIs. */
export const canonicalOwnerId = "099720109477";

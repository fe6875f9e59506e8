/**
 * Every pinned version of the platform, in one place. The driver (Jupyter kernel, the
 * operator's spark-submit) and the executors must agree on Spark and Python minors, and the
 * S3A jars must match the Hadoop inside the Spark image: test/versions.test.ts checks both.
 */

/**
 * An upstream end of life: the day a release line stops getting fixes, and where that date is
 * published. `date` is undefined when the project publishes none (the note says what it does
 * instead). `npm run versions:eol` lists the lines past or near theirs.
 */
export interface EndOfLife {
    date?: string;
    source: string;
    note?: string;
}

/**
 * Kubernetes minors this program accepts: those upstream supports (1.34 and older are past end of
 * life), each with the date its patch releases stop.
 */
export const kubernetesMinors = {
    "1.35": { date: "2027-02-28", source: "https://kubernetes.io/releases/ (1.35: maintenance mode 2026-12-28, end of life 2027-02-28)" },
    "1.36": { date: "2027-06-28", source: "https://kubernetes.io/releases/ (1.36: maintenance mode 2027-04-28, end of life 2027-06-28)" },
    "1.37": { date: "2027-10-28", source: "https://kubernetes.io/releases/ (1.37: maintenance mode 2027-08-28, end of life 2027-10-28)" },
} as const satisfies Record<string, EndOfLife>;
export type KubernetesMinor = keyof typeof kubernetesMinors;
export const supportedKubernetesMinors = Object.keys(kubernetesMinors) as KubernetesMinor[];
/**
 * Minors this program accepted before, past their end of life: a stack on one is refused with the
 * way to move (kubeadm upgrade, one minor at a time).
 */
export const retiredKubernetesMinors: Record<string, string> = {
    "1.31": "2025-10-28",
    "1.32": "2026-02-28",
    "1.33": "2026-06-28",
    "1.34": "2026-10-27",
};
/**
 * The newest accepted minor whose modules resolve and which has had at least two patch releases
 * (1.37.1 and 1.37.2).
 */
export const defaultKubernetesMinor: KubernetesMinor = "1.37";
/**
 * The release of the default minor that the real tiers build from the Go module proxy (kubeadm,
 * and the whole cluster): a patch the proxy serves. Nodes install the newest patch of their minor.
 */
export const testedKubernetesRelease = "v1.37.2";

/** Flannel (VXLAN): works on EC2 without turning off source/destination checks. */
export const flannel = {
    chart: "flannel",
    version: "v0.28.9",
    repository: "https://flannel-io.github.io/flannel/",
    /** Flannel's VXLAN backend port, opened between nodes by the security group. */
    vxlanPort: 8472,
    endOfLife: {
        source: "https://github.com/flannel-io/flannel/releases",
        note: "no published end-of-life policy; fixes land in the newest release only",
    } satisfies EndOfLife,
} as const;

/**
 * The Spark release of jobs, the History Server and Jupyter. The 4.1 line: 4.0 reached its end of
 * life on 2026-11-23; 4.2 moves to Hadoop 3.5 and is further from the operator's spark-submit
 * (4.0.4). 4.1.2 is the newest 4.1 patch with a published official image (apache/spark-docker
 * SPARK-56989); pyspark 4.1.3 and 4.1.4 exist, their images could not be checked here.
 */
export const spark = {
    version: "4.1.2",
    scalaBinary: "2.13",
    /** Hadoop client bundled with this Spark release (jars/hadoop-client-api-<v>.jar). */
    hadoop: "3.4.2",
    /** Python of the apache/spark python3 images (Ubuntu jammy's python3). */
    python: "3.10",
    /** Official image: Spark, Java 17, Python 3 on Ubuntu jammy; no hadoop-aws inside. */
    image: "apache/spark:4.1.2-scala2.13-java17-python3-ubuntu",
    /** UID of the `spark` user in the official image. */
    uid: 185,
    /** 18 months of maintenance releases from 4.1.0 (2025-12-16). */
    endOfLife: {
        date: "2027-06-16",
        source: "https://spark.apache.org/versioning-policy.html (feature release lines get maintenance releases for 18 months) and 4.1.0's release, 2025-12-16",
    } satisfies EndOfLife,
    /** The image's Python: Ubuntu 22.04's python3.10 package. */
    pythonEndOfLife: {
        date: "2026-10-31",
        source: "https://peps.python.org/pep-0619/ (Python 3.10: security fixes until 2026-10)",
        note: "the official Spark images are built on Ubuntu 22.04, whose python3.10 package Ubuntu maintains for that release's standard support; no official 4.1 image has a newer Python",
    } satisfies EndOfLife,
} as const;

/**
 * Kubeflow Spark Operator; chart 2.5.2's controller image is built FROM apache/spark:4.0.4. Its
 * spark-submit submits the jobs' Spark 4.1 (the cluster tier runs it).
 */
export const sparkOperator = {
    chart: "spark-operator",
    version: "2.5.2",
    repository: "https://kubeflow.github.io/spark-operator",
    /** Spark inside the controller image, which runs spark-submit for every SparkApplication. */
    bundledSpark: "4.0.4",
    apiVersion: "sparkoperator.k8s.io/v1beta2",
    endOfLife: {
        source: "https://github.com/kubeflow/spark-operator/releases",
        note: "no published end-of-life policy; fixes land in the newest release only",
    } satisfies EndOfLife,
} as const;

export interface MavenJar {
    group: string;
    artifact: string;
    version: string;
    sha256: string;
}

/** S3A: hadoop-aws at the image's Hadoop version and the AWS SDK v2 bundle Hadoop 3.4.2 is built against. */
export const s3aJars: readonly MavenJar[] = [
    {
        group: "org.apache.hadoop",
        artifact: "hadoop-aws",
        version: "3.4.2",
        sha256: "d2d24e6b715b5656b9d238bf13b6682a07e2004dd36aad74a73aeb854319f4d9",
    },
    {
        group: "software.amazon.awssdk",
        artifact: "bundle",
        version: "2.29.52",
        sha256: "62638f33045690c6bc5e496b54b0b2e89a9ad38cbedacdf6e017fea6bc85f55c",
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
    jupyterlab: "4.6.6",
    endOfLife: {
        source: "https://pypi.org/project/jupyterlab/#history",
        note: "no published end-of-life dates for 4.x minors; fixes land in the newest 4.x release",
    } satisfies EndOfLife,
} as const;

/**
 * Spark Connect: the server is the Spark image's own (org.apache.spark.sql.connect.service.SparkConnectServer,
 * in the distribution since 4.0). Its Python client needs these packages beside PySpark: JupyterLab
 * installs them with the image's Python, and a laptop gets them with `pip install pyspark-client==<spark.version>`.
 * Exact pins of the minimums of pyspark-client 4.1.2's setup.py (pandas >= 2.2, pyarrow >= 15, grpcio
 * and grpcio-status >= 1.76, googleapis-common-protos >= 1.71, zstandard >= 0.25), each with wheels for
 * CPython 3.10 (the official image) and 3.11; numpy 2.2 is the last minor for Python 3.10, and
 * protobuf stays on 6.x, the major grpcio-status 1.76 accepts.
 */
export const sparkConnect = {
    /** The server's gRPC port (spark.connect.grpc.binding.port, Spark's default). */
    port: 15002,
    clientPackages: "pandas==2.3.3 numpy==2.2.6 pyarrow==22.0.0 grpcio==1.76.0 grpcio-status==1.76.0 googleapis-common-protos==1.71.0 protobuf==6.33.6 zstandard==0.25.0 pyyaml==6.0.3",
} as const;

/** Ubuntu releases with Canonical AMIs this program looks up. */
export const ubuntuReleases: Record<string, string> = {
    "22.04": "jammy",
    "24.04": "noble",
};

/** Canonical's AWS account, owner of the official Ubuntu AMIs. */
export const canonicalOwnerId = "099720109477";

// The spark-platform policies as plain functions over plain property objects: no Pulumi engine,
// no @pulumi/* import, so the program's own tests can run them over mocked resources.
// `policies.ts` wires the same tables into a PolicyPack.

/** Stands for a value the engine cannot know yet (a preview of a resource not yet created). */
export const UNKNOWN: unique symbol = Symbol.for("spark-platform-policy/unknown");

/** The program's `spark-on-k8s:allowOpenIngress`, passed to the pack with `--policy-pack-config`. */
export interface RuleConfig {
    /** Allow 0.0.0.0/0 and ::/0 on SSH, the Kubernetes API and NodePorts. Default false. */
    allowOpenIngress: boolean;
}

export const defaultRuleConfig: RuleConfig = { allowOpenIngress: false };

/** One resource as the rules see it. Only type, name and props are required. */
export interface PlainResource {
    type: string;
    name: string;
    props: any;
    /** The engine's URN; lets companions pair with a bucket through `propertyDependencies`. */
    urn?: string;
    /** The physical id (what `bucket.id` resolves to, e.g. a mock's returned id). */
    id?: string;
    /** Input property name -> URNs of the resources that property's value came from. */
    propertyDependencies?: Record<string, string[]>;
}

export interface Violation {
    policy: string;
    resource: string;
    message: string;
}

export interface ResourceRule {
    name: string;
    description: string;
    types: readonly string[];
    /** Reads `allowOpenIngress`: the pack declares a config schema for it. */
    usesConfig?: boolean;
    check(type: string, props: any, config: RuleConfig): string[];
}

export interface StackRule {
    name: string;
    description: string;
    check(resources: readonly PlainResource[]): { resource: PlainResource; message: string }[];
}

export const types = {
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    ebsVolume: "aws:ebs/volume:Volume",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    encryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    iamRole: "aws:iam/role:Role",
    iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    service: "kubernetes:core/v1:Service",
    pod: "kubernetes:core/v1:Pod",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    replicaSet: "kubernetes:apps/v1:ReplicaSet",
    job: "kubernetes:batch/v1:Job",
    cronJob: "kubernetes:batch/v1:CronJob",
} as const;

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

function asArray(value: unknown): unknown[] {
    if (value === undefined || value === null) {
        return [];
    }
    return Array.isArray(value) ? value : [value];
}

function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

// ---------------------------------------------------------------------------------------------
// Security groups: no world-open SSH, Kubernetes API or NodePorts.

interface SensitivePorts {
    from: number;
    to: number;
    label: string;
}

export const sensitivePorts: readonly SensitivePorts[] = [
    { from: 22, to: 22, label: "SSH (22)" },
    { from: 6443, to: 6443, label: "the Kubernetes API (6443)" },
    { from: 30000, to: 32767, label: "NodePorts (30000-32767)" },
];

const WORLD = ["0.0.0.0/0", "::/0"];
const NON_PORT_PROTOCOLS = ["icmp", "1", "icmpv6", "58"];

/** The sensitive port groups an ingress rule opens, or [] (also when ports are not yet known). */
export function exposedSensitivePorts(protocol: unknown, fromPort: unknown, toPort: unknown): string[] {
    if (isUnknown(protocol)) {
        return [];
    }
    const proto = String(protocol ?? "").toLowerCase();
    if (NON_PORT_PROTOCOLS.includes(proto)) {
        return [];
    }
    let lo: number;
    let hi: number;
    if (proto === "-1" || proto === "all") {
        [lo, hi] = [0, 65535];
    } else {
        if (typeof fromPort !== "number" || typeof toPort !== "number") {
            return [];
        }
        [lo, hi] = fromPort <= toPort ? [fromPort, toPort] : [toPort, fromPort];
    }
    return sensitivePorts.filter((p) => lo <= p.to && p.from <= hi).map((p) => p.label);
}

function worldSources(...cidrLists: unknown[]): string[] {
    const cidrs = cidrLists.flatMap(asArray).filter((c): c is string => typeof c === "string");
    return WORLD.filter((w) => cidrs.some((c) => c.trim() === w));
}

const openIngressFix =
    "Restrict the source to your own network, e.g. `pulumi config set --path 'spark-on-k8s:allowedCidrs[0]' <your-ip>/32`. " +
    "For a throwaway stack you may opt in: `pulumi config set spark-on-k8s:allowOpenIngress true` " +
    "and run the pack with the same choice, `--policy-pack-config` with " +
    '{"no-open-admin-ingress": {"allowOpenIngress": true}}.';

/** Ingress rules of a security group, rule or VPC ingress rule that open admin ports to the world. */
export function openAdminIngress(type: string, props: any, config: RuleConfig): string[] {
    if (config.allowOpenIngress || !props || isUnknown(props)) {
        return [];
    }
    const findings: { where: string; sources: string[]; ports: string[] }[] = [];
    if (type === types.securityGroup) {
        const ingress = isUnknown(props.ingress) ? [] : asArray(props.ingress);
        ingress.forEach((rule: any, i) => {
            if (!rule || isUnknown(rule)) {
                return;
            }
            findings.push({
                where: `ingress[${i}]`,
                sources: worldSources(rule.cidrBlocks, rule.ipv6CidrBlocks),
                ports: exposedSensitivePorts(rule.protocol, rule.fromPort, rule.toPort),
            });
        });
    } else if (type === types.securityGroupRule) {
        if (props.type !== "ingress") {
            return [];
        }
        findings.push({
            where: "rule",
            sources: worldSources(props.cidrBlocks, props.ipv6CidrBlocks),
            ports: exposedSensitivePorts(props.protocol, props.fromPort, props.toPort),
        });
    } else if (type === types.securityGroupIngressRule) {
        findings.push({
            where: "rule",
            sources: worldSources(props.cidrIpv4, props.cidrIpv6),
            ports: exposedSensitivePorts(props.ipProtocol, props.fromPort, props.toPort),
        });
    }
    return findings
        .filter((f) => f.sources.length > 0 && f.ports.length > 0)
        .map(
            (f) =>
                `Ingress ${f.where} opens ${f.ports.join(", ")} to ${f.sources.join(" and ")}. ${openIngressFix}`,
        );
}

// ---------------------------------------------------------------------------------------------
// EC2: IMDSv2 only, encrypted volumes.

/** Instances and launch templates must require IMDSv2 session tokens. */
export function imdsV1Allowed(type: string, props: any): string[] {
    if (!props || isUnknown(props) || isUnknown(props.metadataOptions)) {
        return [];
    }
    const tokens = props.metadataOptions?.httpTokens;
    if (isUnknown(tokens) || tokens === "required") {
        return [];
    }
    const what = type === types.launchTemplate ? "Launch template" : "Instance";
    return [
        `${what} allows IMDSv1 (metadataOptions.httpTokens is ${JSON.stringify(tokens ?? null)}). ` +
            'Set metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } ' +
            "(hop limit 2 lets pods reach the instance-profile credentials).",
    ];
}

/** Root and extra EBS volumes of instances, launch templates and standalone volumes are encrypted. */
export function unencryptedVolumes(type: string, props: any): string[] {
    if (!props || isUnknown(props)) {
        return [];
    }
    const out: string[] = [];
    if (type === types.instance) {
        const root = props.rootBlockDevice;
        if (!isUnknown(root) && !isUnknown(root?.encrypted) && !isTrue(root?.encrypted)) {
            out.push("Instance root volume is not encrypted. Set rootBlockDevice: { encrypted: true }.");
        }
        if (!isUnknown(props.ebsBlockDevices)) {
            asArray(props.ebsBlockDevices).forEach((d: any, i) => {
                if (!isUnknown(d) && !isUnknown(d?.encrypted) && !isTrue(d?.encrypted)) {
                    out.push(`Instance ebsBlockDevices[${i}] (${d?.deviceName ?? "?"}) is not encrypted. Set encrypted: true.`);
                }
            });
        }
    } else if (type === types.launchTemplate) {
        if (isUnknown(props.blockDeviceMappings)) {
            return [];
        }
        const mappings = asArray(props.blockDeviceMappings);
        if (mappings.length === 0) {
            out.push(
                "Launch template has no block device mappings, so the root volume is whatever the AMI says. " +
                    'Add a mapping for the root device with ebs: { encrypted: "true" }.',
            );
        }
        mappings.forEach((m: any, i) => {
            if (isUnknown(m) || isUnknown(m?.ebs) || m?.virtualName || m?.noDevice) {
                return;
            }
            if (!isUnknown(m?.ebs?.encrypted) && !isTrue(m?.ebs?.encrypted)) {
                out.push(
                    `Launch template blockDeviceMappings[${i}] (${m?.deviceName ?? "?"}) is not encrypted. ` +
                        'Set ebs: { encrypted: "true" }.',
                );
            }
        });
    } else if (type === types.ebsVolume) {
        if (!isUnknown(props.encrypted) && !isTrue(props.encrypted)) {
            out.push("EBS volume is not encrypted. Set encrypted: true.");
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// IAM: name the bucket and prefix; no wildcard actions on wildcard resources.

/** S3 actions that only exist at account level, so Resource "*" is their only form. */
const ACCOUNT_LEVEL_S3_ACTIONS = ["s3:listallmybuckets", "s3:getaccountpublicaccessblock", "s3:listaccesspoints"];

const BROAD_MANAGED_POLICIES = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|AmazonS3FullAccess|IAMFullAccess)$/;

const IAM_DOCUMENT_TYPES: readonly string[] = [
    types.iamPolicy,
    types.iamRolePolicy,
    types.iamUserPolicy,
    types.iamGroupPolicy,
];

/** Parses a policy document given as JSON text or object; returns its statements or an error. */
export function policyStatements(document: unknown): { statements: any[] } | { error: string } {
    let doc: any = document;
    if (typeof document === "string") {
        try {
            doc = JSON.parse(document);
        } catch (e) {
            return { error: `is not valid JSON (${(e as Error).message})` };
        }
    }
    if (!doc || typeof doc !== "object") {
        return { error: "is not a JSON object" };
    }
    if (isUnknown(doc.Statement)) {
        return { statements: [] };
    }
    return { statements: asArray(doc.Statement).filter((s) => s && typeof s === "object") };
}

function isWildcardResource(resource: unknown): boolean {
    return typeof resource === "string" && (resource === "*" || /^arn:aws[a-z-]*:s3:::\*(\/\*)?$/.test(resource));
}

/** Findings for one identity-policy document (JSON text or object). */
export function broadIamStatements(document: unknown): string[] {
    if (isUnknown(document) || document === undefined || document === null) {
        return [];
    }
    const parsed = policyStatements(document);
    if ("error" in parsed) {
        return [`Policy document ${parsed.error}. Give a JSON policy document (pulumi.jsonStringify).`];
    }
    const out: string[] = [];
    parsed.statements.forEach((s, i) => {
        if (s.Effect !== "Allow") {
            return;
        }
        const label = s.Sid ? `Statement "${s.Sid}"` : `Statement[${i}]`;
        const actions = asArray(s.Action).filter((a): a is string => typeof a === "string");
        const resources = asArray(s.Resource);
        const anyResource = s.NotResource !== undefined || resources.some(isWildcardResource);
        if (!anyResource) {
            return;
        }
        const resourceText = s.NotResource !== undefined ? "NotResource (every other resource)" : 'Resource "*"';
        if (s.NotAction !== undefined) {
            out.push(
                `${label} allows NotAction on ${resourceText}, which grants almost everything. ` +
                    "List the actions the workload needs and the ARNs they apply to.",
            );
            return;
        }
        const everything = actions.filter((a) => a === "*" || a === "*:*");
        if (everything.length > 0) {
            out.push(
                `${label} allows every action ("${everything[0]}") on ${resourceText}. ` +
                    "List the actions the workload needs and the ARNs they apply to.",
            );
            return;
        }
        const s3 = actions.filter((a) => {
            const lower = a.toLowerCase();
            return lower.startsWith("s3:") && !ACCOUNT_LEVEL_S3_ACTIONS.includes(lower);
        });
        if (s3.length > 0) {
            out.push(
                `${label} allows ${s3.join(", ")} on ${resourceText}. Name the event-log bucket and prefix instead: ` +
                    "arn:aws:s3:::<bucket> for s3:ListBucket and " +
                    "arn:aws:s3:::<bucket>/<prefix>/* for object actions.",
            );
        }
    });
    return out;
}

/** IAM policies, inline role policies and managed-policy attachments grant scoped access only. */
export function broadIamAccess(type: string, props: any): string[] {
    if (!props || isUnknown(props)) {
        return [];
    }
    if (IAM_DOCUMENT_TYPES.includes(type)) {
        return broadIamStatements(props.policy);
    }
    const broadManaged = (arn: unknown) =>
        typeof arn === "string" && BROAD_MANAGED_POLICIES.test(arn)
            ? [`Attaches ${arn}, far beyond what the platform needs. Write a policy naming the bucket and prefix.`]
            : [];
    if (type === types.iamRolePolicyAttachment) {
        return broadManaged(props.policyArn);
    }
    if (type === types.iamRole) {
        const inline = isUnknown(props.inlinePolicies) ? [] : asArray(props.inlinePolicies);
        const managed = isUnknown(props.managedPolicyArns) ? [] : asArray(props.managedPolicyArns);
        return [
            ...inline.flatMap((p: any) =>
                broadIamStatements(p?.policy).map((m) => `Inline policy "${p?.name ?? "?"}": ${m}`),
            ),
            ...managed.flatMap(broadManaged),
        ];
    }
    return [];
}

// ---------------------------------------------------------------------------------------------
// Kubernetes: no cloud load balancers, no root containers.

/** Services of type LoadBalancer would create a cloud load balancer open to the internet. */
export function loadBalancerService(type: string, props: any, config: RuleConfig = defaultRuleConfig): string[] {
    if (type !== types.service || !props || isUnknown(props) || props.spec?.type !== "LoadBalancer") {
        return [];
    }
    const ranges = props.spec?.loadBalancerSourceRanges;
    if (isUnknown(ranges)) return [];
    const list = asArray(ranges) as unknown[];
    if (list.length === 0) {
        return [
            "Service is of type LoadBalancer with no loadBalancerSourceRanges: its cloud load balancer answers the whole internet. " +
                "Set loadBalancerSourceRanges (the program takes allowedCidrs), or use NodePort or ClusterIP with kubectl port-forward.",
        ];
    }
    const open = list.filter((r) => typeof r === "string" && WORLD.includes(r));
    if (open.length && !config.allowOpenIngress) {
        return [`Service of type LoadBalancer admits ${open.join(", ")} in loadBalancerSourceRanges: the whole internet. Use your own address ranges, or set allowOpenIngress.`];
    }
    return [];
}

/** Capabilities a root init container may keep: file ownership and permissions on its own mounts, nothing more. */
const FILE_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER"];

/**
 * The one kind of root this pack accepts: an init container of a DaemonSet that prepares host
 * folders (the node-setup DaemonSet on a cluster of the user's), with no privilege escalation,
 * every capability dropped but file ownership and permissions, and not privileged.
 */
function fileOnlyRoot(type: string, field: string, own: any): boolean {
    if (type !== types.daemonSet || field !== "initContainers") return false;
    const caps = own.capabilities ?? {};
    const drop = asArray(caps.drop) as unknown[];
    const add = asArray(caps.add) as unknown[];
    return own.allowPrivilegeEscalation === false && own.privileged !== true && drop.includes("ALL") &&
        add.every((c) => typeof c === "string" && FILE_CAPABILITIES.includes(c));
}

/** The pod spec inside a workload's props, by type; undefined when there is none to check. */
export function podSpecOf(type: string, props: any): any {
    switch (type) {
        case types.pod:
            return props?.spec;
        case types.deployment:
        case types.statefulSet:
        case types.daemonSet:
        case types.replicaSet:
        case types.job:
            return props?.spec?.template?.spec;
        case types.cronJob:
            return props?.spec?.jobTemplate?.spec?.template?.spec;
        default:
            return undefined;
    }
}

/** Every container and init container runs with runAsNonRoot (pod or container level) and no uid 0. */
export function rootContainers(type: string, props: any): string[] {
    const pod = podSpecOf(type, props);
    if (!pod || isUnknown(pod)) {
        return [];
    }
    const podContext = isUnknown(pod.securityContext) ? UNKNOWN : (pod.securityContext ?? {});
    const out: string[] = [];
    const groups: [string, unknown][] = [
        ["initContainers", pod.initContainers],
        ["containers", pod.containers],
    ];
    for (const [field, list] of groups) {
        if (isUnknown(list)) {
            continue;
        }
        for (const c of asArray(list) as any[]) {
            if (!c || isUnknown(c) || isUnknown(c.securityContext) || isUnknown(podContext)) {
                continue;
            }
            const own = c.securityContext ?? {};
            const nonRoot = own.runAsNonRoot ?? (podContext as any).runAsNonRoot;
            const user = own.runAsUser ?? (podContext as any).runAsUser;
            const name = `${field === "containers" ? "Container" : "Init container"} "${c.name ?? "?"}"`;
            if (fileOnlyRoot(type, field, own)) {
                continue;
            }
            if (!isUnknown(nonRoot) && nonRoot !== true) {
                out.push(
                    `${name} may run as root: runAsNonRoot is not true. Set securityContext.runAsNonRoot: true ` +
                        "(pod or container) with a non-zero runAsUser, e.g. 185 for apache/spark, 1000 for Jupyter.",
                );
            }
            if (user === 0) {
                out.push(`${name} sets runAsUser: 0 (root). Use the image's non-root uid.`);
            }
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// S3: each bucket has a full public access block, default encryption and a TLS-only policy.

const BUCKET_TYPES: readonly string[] = [types.bucket, types.bucketV2];

/** True when `companion` configures `bucket`: by its `bucket` property or by the engine's dependency. */
export function configuresBucket(companion: PlainResource, bucket: PlainResource): boolean {
    const ref = companion.props?.bucket;
    if (typeof ref === "string") {
        const keys = [bucket.id, bucket.props?.id, bucket.props?.bucket].filter((k) => typeof k === "string");
        if (keys.includes(ref)) {
            return true;
        }
    }
    const urns = companion.propertyDependencies?.bucket ?? [];
    return bucket.urn !== undefined && urns.includes(bucket.urn);
}

function bucketsAndCompanions(resources: readonly PlainResource[], companionTypes: readonly string[]) {
    const companions = resources.filter((r) => companionTypes.includes(r.type));
    return resources
        .filter((r) => BUCKET_TYPES.includes(r.type))
        .map((bucket) => ({ bucket, companions: companions.filter((c) => configuresBucket(c, bucket)) }));
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

export function bucketsNotPrivate(resources: readonly PlainResource[]) {
    return bucketsAndCompanions(resources, [types.publicAccessBlock]).flatMap(({ bucket, companions }) => {
        if (companions.length === 0) {
            return [
                {
                    resource: bucket,
                    message:
                        "Bucket has no aws.s3.BucketPublicAccessBlock. Add one with bucket: <bucket>.id and " +
                        "blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true.",
                },
            ];
        }
        const complete = companions.some((c) =>
            PUBLIC_ACCESS_FLAGS.every((f) => isUnknown(c.props?.[f]) || c.props?.[f] === true),
        );
        if (complete) {
            return [];
        }
        const missing = PUBLIC_ACCESS_FLAGS.filter((f) => companions.every((c) => c.props?.[f] !== true));
        return [
            {
                resource: bucket,
                message: `Bucket's public access block leaves ${missing.join(", ")} unset or false. Set all four to true.`,
            },
        ];
    });
}

export function bucketsNotEncrypted(resources: readonly PlainResource[]) {
    return bucketsAndCompanions(resources, [types.encryption, types.encryptionV2]).flatMap(({ bucket, companions }) => {
        const encrypting = companions.some((c) => {
            if (isUnknown(c.props?.rules)) {
                return true;
            }
            const rules = asArray(c.props?.rules) as any[];
            return (
                rules.length > 0 &&
                rules.every((r) => {
                    const algorithm = r?.applyServerSideEncryptionByDefault?.sseAlgorithm;
                    return isUnknown(r) || isUnknown(algorithm) || (typeof algorithm === "string" && algorithm !== "");
                })
            );
        });
        return encrypting
            ? []
            : [
                  {
                      resource: bucket,
                      message:
                          "Bucket has no default encryption. Add aws.s3.BucketServerSideEncryptionConfiguration with " +
                          'bucket: <bucket>.id and rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }] ' +
                          '(or "AES256").',
                  },
              ];
    });
}

function isFalse(value: unknown): boolean {
    return asArray(value).some((v) => v === false || v === "false");
}

function allowsAnyPrincipal(principal: unknown): boolean {
    if (principal === "*") {
        return true;
    }
    return !!principal && typeof principal === "object" && asArray((principal as any).AWS).includes("*");
}

/** True when the bucket policy document denies every S3 action over plain HTTP. */
export function deniesInsecureTransport(document: unknown): boolean {
    if (isUnknown(document)) {
        return true;
    }
    const parsed = policyStatements(document);
    if ("error" in parsed) {
        return false;
    }
    return parsed.statements.some(
        (s) =>
            s.Effect === "Deny" &&
            allowsAnyPrincipal(s.Principal) &&
            asArray(s.Action).some((a) => a === "s3:*" || a === "*") &&
            isFalse(s.Condition?.Bool?.["aws:SecureTransport"]),
    );
}

export function bucketsAllowingPlainHttp(resources: readonly PlainResource[]) {
    return bucketsAndCompanions(resources, [types.bucketPolicy]).flatMap(({ bucket, companions }) =>
        companions.some((c) => deniesInsecureTransport(c.props?.policy))
            ? []
            : [
                  {
                      resource: bucket,
                      message:
                          "Bucket does not refuse plain HTTP. Add an aws.s3.BucketPolicy with a statement " +
                          '{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [<bucket arn>, <bucket arn>/*], ' +
                          'Condition: { Bool: { "aws:SecureTransport": "false" } } }.',
                  },
              ],
    );
}

// ---------------------------------------------------------------------------------------------
// The tables the pack and checkResources share.

export const resourceRules: readonly ResourceRule[] = [
    {
        name: "no-open-admin-ingress",
        description:
            "Security groups do not open SSH (22), the Kubernetes API (6443) or NodePorts (30000-32767) to " +
            "0.0.0.0/0 or ::/0, unless allowOpenIngress is set.",
        types: [types.securityGroup, types.securityGroupRule, types.securityGroupIngressRule],
        usesConfig: true,
        check: openAdminIngress,
    },
    {
        name: "ec2-imdsv2-required",
        description: "EC2 instances and launch templates require IMDSv2 (metadataOptions.httpTokens = required).",
        types: [types.instance, types.launchTemplate],
        check: imdsV1Allowed,
    },
    {
        name: "ec2-volumes-encrypted",
        description: "EC2 root and EBS volumes are encrypted.",
        types: [types.instance, types.launchTemplate, types.ebsVolume],
        check: unencryptedVolumes,
    },
    {
        name: "iam-scoped-access",
        description:
            "IAM policies name their buckets and prefixes: no S3 action on Resource *, no * action on *, " +
            "no broad AWS managed policies.",
        types: [...IAM_DOCUMENT_TYPES, types.iamRole, types.iamRolePolicyAttachment],
        check: broadIamAccess,
    },
    {
        name: "k8s-no-loadbalancer-services",
        description:
            "Kubernetes Services of type LoadBalancer restrict their sources (loadBalancerSourceRanges, not the whole " +
            "internet unless allowOpenIngress is set).",
        types: [types.service],
        usesConfig: true,
        check: loadBalancerService,
    },
    {
        name: "k8s-run-as-non-root",
        description:
            "Containers and init containers of workloads run with runAsNonRoot and a non-zero uid; only a DaemonSet's init " +
            "container that prepares host folders may be root, without privilege escalation and with file capabilities only.",
        types: [
            types.pod,
            types.deployment,
            types.statefulSet,
            types.daemonSet,
            types.replicaSet,
            types.job,
            types.cronJob,
        ],
        check: rootContainers,
    },
];

export const stackRules: readonly StackRule[] = [
    {
        name: "s3-public-access-blocked",
        description: "Every S3 bucket has a BucketPublicAccessBlock with all four flags true.",
        check: bucketsNotPrivate,
    },
    {
        name: "s3-encryption-enabled",
        description: "Every S3 bucket has a default server-side encryption configuration.",
        check: bucketsNotEncrypted,
    },
    {
        name: "s3-tls-only",
        description: "Every S3 bucket has a bucket policy denying requests without aws:SecureTransport.",
        check: bucketsAllowingPlainHttp,
    },
];

/**
 * Applies every rule, resource-level and stack-level, to a plain list of resources and returns
 * the violations (empty when the stack complies). For mocked stacks, pass each resource's mock
 * `id` too, so that S3 companions created with `bucket: bucket.id` pair with their bucket.
 */
export function checkResources(
    resources: readonly PlainResource[],
    config: RuleConfig = defaultRuleConfig,
): Violation[] {
    const violations: Violation[] = [];
    for (const r of resources) {
        for (const rule of resourceRules) {
            if (rule.types.includes(r.type)) {
                for (const message of rule.check(r.type, r.props, config)) {
                    violations.push({ policy: rule.name, resource: r.name, message });
                }
            }
        }
    }
    for (const rule of stackRules) {
        for (const v of rule.check(resources)) {
            violations.push({ policy: rule.name, resource: v.resource.name, message: v.message });
        }
    }
    return violations;
}

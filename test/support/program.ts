import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import * as net from "net";

/** One resource the program registered under mocks. */
export interface Registered {
    type: string;
    name: string;
    urn: string;
    inputs: Record<string, any>;
    /** Names of the resources it waits for (explicit dependsOn and data flow), as the engine sees them. */
    dependsOn: Set<string>;
    parent: string;
    provider: string;
    /** Resource options the engine would act on. */
    retainOnDelete: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    /** When the mock started and finished creating it (ms since the run began). */
    startedAt: number;
    finishedAt: number;
}

export interface ProgramRun {
    resources: Registered[];
    /** Every provider function the program called (token and arguments), in order. */
    invokes: { token: string; args: Record<string, any> }[];
    outputs: Record<string, any>;
    byName(name: string): Registered;
    ofType(type: string): Registered[];
    /** True when `name` waits for `other`, directly or through others. */
    waitsFor(name: string, other: string): boolean;
}

/** The stack config every test starts from: the dev stack's settings with a test CIDR. */
export const baseConfig: Record<string, string> = {
    "aws:region": "ap-northeast-2",
    "spark-on-k8s:allowedCidrs": JSON.stringify(["203.0.113.10/32"]),
    "spark-on-k8s:controlPlaneInstanceType": "t2.xlarge",
    "spark-on-k8s:workerInstanceType": "t2.xlarge",
    "spark-on-k8s:workerCount": "2",
    "spark-on-k8s:rootVolumeSizeGb": "100",
    "spark-on-k8s:rootVolumeType": "gp2",
};

/** The server of fakeKubeconfig; runs of the program get a loopback listener's address instead. */
const fakeApiServer = "https://10.20.1.10:6443";
export const fakeKubeconfig = `apiVersion: v1
kind: Config
clusters:
  - name: kubernetes
    cluster:
      certificate-authority-data: Q0EK
      server: https://10.20.1.10:6443
contexts:
  - name: kubernetes-admin@kubernetes
    context: { cluster: kubernetes, user: kubernetes-admin }
current-context: kubernetes-admin@kubernetes
users:
  - name: kubernetes-admin
    user: { client-certificate-data: Q0VSVAo=, client-key-data: S0VZCg== }
`;
export const fakeJoinCommand = "kubeadm join 10.20.1.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00ff";
/** The smoke application as the operator leaves it once the self-check Job passed (read back by the program). */
export const fakeSmokeStatus = {
    applicationState: { state: "COMPLETED" },
    sparkApplicationId: "spark-0123456789abcdef",
    lastSubmissionAttemptTime: "2026-06-01T10:00:00Z",
    terminationTime: "2026-06-01T10:00:41Z",
};
export const fakeSmokeResult = { applicationId: "spark-0123456789abcdef", name: "spark-smoke-test", durationMs: 41000 };

/** What a mocked resource returns as its state: its inputs plus what AWS or the command would add. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    switch (type) {
        case "aws:ec2/instance:Instance": {
            // Addresses follow the node's name, so two runs give a node the same IPs.
            const n = name.endsWith("control-plane") ? 10 : 10 + Number(/worker-(\d+)$/.exec(name)?.[1] ?? 0);
            return { ...inputs, publicIp: `192.0.2.${n}`, privateIp: `10.20.1.${n}`, arn: `arn:aws:ec2:::instance/${name}` };
        }
        case "aws:ec2/eip:Eip":
            return { ...inputs, publicIp: "198.51.100.7" };
        case "aws:s3/bucket:Bucket":
            return { ...inputs, bucket: `${inputs.bucketPrefix ?? name}abc123`, arn: `arn:aws:s3:::${inputs.bucketPrefix ?? name}abc123` };
        case "aws:iam/role:Role":
            return { ...inputs, name: `${name}-1234`, arn: `arn:aws:iam::123456789012:role/${name}-1234` };
        case "aws:iam/policy:Policy":
            return { ...inputs, arn: `arn:aws:iam::123456789012:policy/${name}` };
        case "aws:iam/instanceProfile:InstanceProfile":
            return { ...inputs, name: `${name}-1234` };
        case "aws:ec2/keyPair:KeyPair":
            return { ...inputs, keyName: `${name}-1234` };
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n", publicKeyOpenssh: "ssh-ed25519 AAAAfake pulumi" };
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: "t".repeat(inputs.length ?? 16) };
        case "kubernetes:core/v1:Service":
            // What a cloud's load-balancer controller reports, once Pulumi's await sees it.
            return inputs.spec?.type === "LoadBalancer"
                ? { ...inputs, status: { loadBalancer: { ingress: [{ hostname: `lb-${name}.example.com` }] } } }
                : inputs;
        case "kubernetes:helm.sh/v3:Release":
            return { ...inputs, status: { status: "deployed", version: inputs.version } };
        case "command:remote:Command": {
            const create: string = inputs.create ?? "";
            const stdout = create.includes("admin.conf")
                ? fakeKubeconfig
                : create.includes("token create")
                    ? fakeJoinCommand
                    : "";
            return { ...inputs, stdout, stderr: "" };
        }
        default:
            return inputs;
    }
}

/** An invoke failure as the engine reports it: the SDK shows an engine error's `details`. */
function invokeError(message: string): Error {
    return Object.assign(new Error(message), { details: message });
}

interface MockProduct {
    serviceCode: string;
    productFamily: string;
    attributes: Record<string, string>;
    unit: string;
    usd: number;
}

/** A slice of the Seoul Price List: each wanted product among the near-misses a loose query would also match. */
const mockPriceList: MockProduct[] = (() => {
    const seoul = { regionCode: "ap-northeast-2", location: "Asia Pacific (Seoul)", locationType: "AWS Region" };
    const products: MockProduct[] = [];
    for (const [instanceType, usd] of Object.entries({ "t2.xlarge": 0.2304, "t3.large": 0.104, "t3.xlarge": 0.208 })) {
        for (const operatingSystem of ["Linux", "Windows"]) {
            for (const tenancy of ["Shared", "Dedicated"]) {
                for (const capacitystatus of ["Used", "UnusedCapacityReservation"]) {
                    products.push({
                        serviceCode: "AmazonEC2",
                        productFamily: "Compute Instance",
                        attributes: {
                            ...seoul, instanceType, operatingSystem, tenancy, capacitystatus,
                            preInstalledSw: "NA",
                            licenseModel: "No License required",
                            usagetype: `APN2-${tenancy === "Shared" ? "BoxUsage" : "DedicatedUsage"}:${instanceType}`,
                        },
                        unit: "Hrs",
                        usd: usd * (operatingSystem === "Windows" ? 1.4 : 1) * (tenancy === "Dedicated" ? 1.1 : 1),
                    });
                }
            }
        }
    }
    const ebs = (productFamily: string, volumeApiName: string, unit: string, usd: number) =>
        products.push({ serviceCode: "AmazonEC2", productFamily, attributes: { ...seoul, volumeApiName, usagetype: `APN2-EBS:VolumeUsage.${volumeApiName}` }, unit, usd });
    ebs("Storage", "gp2", "GB-Mo", 0.114);
    ebs("Storage", "gp3", "GB-Mo", 0.0912);
    ebs("System Operation", "gp3", "IOPS-Mo", 0.0057);
    ebs("Provisioned Throughput", "gp3", "GiBps-mo", 45.6);
    for (const state of ["In-use", "Idle"]) {
        products.push({
            serviceCode: "AmazonVPC",
            productFamily: "",
            attributes: {
                ...seoul,
                group: "VPCPublicIPv4Address",
                groupDescription: `Hourly charge for ${state} Public IPv4 Addresses`,
                usagetype: `APN2-PublicIPv4:${state === "Idle" ? "IdleAddress" : "InUseAddress"}`,
            },
            unit: "Hrs",
            usd: 0.005,
        });
    }
    return products;
})();

/** `aws.pricing.getProduct` like the provider: exactly one product must match, its JSON in `result`. */
export function mockGetProduct(inputs: Record<string, any>): Record<string, any> {
    const filters: { field: string; value: string }[] = inputs.filters ?? [];
    const matches = mockPriceList.filter((p) => p.serviceCode === inputs.serviceCode &&
        filters.every((f) => (f.field === "productFamily" ? p.productFamily : p.attributes[f.field]) === f.value));
    if (matches.length === 0) throw invokeError("Pricing product query did not return any elements");
    if (matches.length > 1) throw invokeError(`Pricing product query not precise enough. Returned ${matches.length} elements`);
    const p = matches[0];
    const sku = `SKU${mockPriceList.indexOf(p).toString().padStart(13, "0")}`;
    const term = (code: string, usd: number, extra: object = {}) => ({
        [`${sku}.${code}`]: {
            priceDimensions: {
                [`${sku}.${code}.6YS6EN2CT7`]: {
                    unit: p.unit, endRange: "Inf", beginRange: "0", appliesTo: [], rateCode: `${sku}.${code}.6YS6EN2CT7`,
                    description: `$${usd} per ${p.unit}`, pricePerUnit: { USD: usd.toFixed(10) },
                },
            },
            sku, effectiveDate: "2025-06-01T00:00:00Z", offerTermCode: code, termAttributes: extra,
        },
    });
    const product = {
        product: { productFamily: p.productFamily || undefined, attributes: { servicecode: p.serviceCode, ...p.attributes }, sku },
        serviceCode: p.serviceCode,
        terms: {
            OnDemand: term("JRTCKXETXF", p.usd),
            // Reserved prices are cheaper and must not be read as on-demand ones.
            ...(p.serviceCode === "AmazonEC2" && p.unit === "Hrs"
                ? { Reserved: term("4NA7Y494T4", p.usd * 0.6, { LeaseContractLength: "1yr", PurchaseOption: "No Upfront", OfferingClass: "standard" }) }
                : {}),
        },
        version: "20250601000000",
        publicationDate: "2025-06-01T00:00:00Z",
    };
    return { ...inputs, id: sku, result: JSON.stringify(product) };
}

/** `aws.ec2.getSpotPrice`: one price per zone, so a query without a zone matches several and fails. */
export function mockGetSpotPrice(inputs: Record<string, any>): Record<string, any> {
    const prices: Record<string, number> = { "t2.xlarge": 0.0691, "t3.large": 0.0312, "t3.xlarge": 0.0624 };
    const price = prices[inputs.instanceType];
    if (!inputs.availabilityZone?.startsWith("ap-northeast-2") || price === undefined) {
        throw invokeError("multiple or no EC2 Spot Price History results found matching criteria; try different search");
    }
    return { ...inputs, id: "spot", region: "ap-northeast-2", spotPrice: price.toFixed(6), spotPriceTimestamp: "2025-06-01T00:00:00Z" };
}

function unwrapSecret<T>(v: T | { value: T }): T {
    return isSecretInput(v) ? (v as { value: T }).value : (v as T);
}

function nameOf(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

/**
 * Runs index.ts under Pulumi's mocks with the given config and returns every registered
 * resource (with its inputs and dependencies) and the stack outputs.
 */
export interface RunOptions {
    preview?: boolean;
    /** Milliseconds the mock takes to create a resource: models deployment time (bench/). */
    latency?: (type: string, name: string, inputs: Record<string, any>) => number;
}

const runs = new Map<string, Promise<ProgramRun>>();

/**
 * Runs the program once per distinct config and shares the result: test files read the same
 * run. `fresh` (or a latency model) forces a new run, e.g. after editing a script.
 */
export function runProgram(config: Record<string, string> = baseConfig, opts: RunOptions & { fresh?: boolean } = {}): Promise<ProgramRun> {
    if (opts.fresh || opts.latency || opts.preview) return runProgramOnce(config, opts);
    // Mutation testing (StrykerJS) reruns the suite in one process, one mutant after another:
    // runs are shared between test files only while the same mutant is active.
    const mutant = (globalThis as { __stryker__?: { activeMutant?: string } }).__stryker__?.activeMutant ?? "";
    const key = JSON.stringify([mutant, ...Object.entries(config).sort()]);
    if (!runs.has(key)) runs.set(key, runProgramOnce(config, opts));
    return runs.get(key)!;
}

async function runProgramOnce(config: Record<string, string>, opts: RunOptions): Promise<ProgramRun> {
    // Pulumi captures a stack trace for every promise; with ts-node's source maps that costs
    // seconds per run. No stack traces while the program runs keeps the unit tier fast.
    const { prepareStackTrace, stackTraceLimit } = Error;
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    Error.stackTraceLimit = 0;
    try {
        return await runProgramWithMocks(config, opts);
    } finally {
        Error.prepareStackTrace = prepareStackTrace;
        Error.stackTraceLimit = stackTraceLimit;
    }
}

/** A TCP listener on loopback that stands for the API server of fakeKubeconfig (the program connects to it first). */
let apiServer: Promise<number> | undefined;
function fakeApiServerPort(): Promise<number> {
    apiServer ??= new Promise((resolve) => {
        const server = net.createServer((c) => c.destroy());
        server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
        server.unref();
    });
    return apiServer;
}

async function runProgramWithMocks(given: Record<string, string>, opts: RunOptions): Promise<ProgramRun> {
    const kubeconfigKey = "spark-on-k8s:kubeconfig";
    const config = given[kubeconfigKey]?.includes(fakeApiServer)
        ? { ...given, [kubeconfigKey]: given[kubeconfigKey].split(fakeApiServer).join(`https://127.0.0.1:${await fakeApiServerPort()}`) }
        : given;
    const resources: Registered[] = [];
    const invokes: { token: string; args: Record<string, any> }[] = [];
    const t0 = Date.now();
    const timing = new Map<string, { startedAt: number; finishedAt: number }>();
    let pending = 0;
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks({
        newResource: (args) => args.id && args.type === "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication"
            // A read of the smoke application after the self-check Job: its status.
            ? { id: args.id, state: { ...args.inputs, status: fakeSmokeStatus } }
            : { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) },
        call: (args) => {
            invokes.push({ token: args.token, args: args.inputs });
            if (args.token === "aws:ec2/getAmi:getAmi") return { id: "ami-0123456789abcdef0", name: "ubuntu-jammy" };
            if (args.token === "aws:pricing/getProduct:getProduct") return mockGetProduct(args.inputs);
            if (args.token === "aws:ec2/getSpotPrice:getSpotPrice") return mockGetSpotPrice(args.inputs);
            return args.inputs;
        },
    }, "spark-on-k8s", "dev", opts.preview ?? false);

    // A resource that fails to register (or clashes with another's URN) would otherwise only
    // truncate the run silently, or pass where the engine refuses.
    const failures: unknown[] = [];
    // Record what the engine would see: each registration's dependencies, parent and provider.
    const monitor = require("@pulumi/pulumi/runtime/settings").getMonitor();
    // One resource as the engine sees it, from a registration or a read (Resource.get; reads carry
    // no property dependencies and no replace, retain or ignore options).
    const record = (req: any, urn: string, options: Pick<Registered, "retainOnDelete" | "replaceOnChanges" | "deleteBeforeReplace" | "ignoreChanges">) => {
        const deps = new Set<string>(req.getDependenciesList().map(nameOf));
        req.getPropertydependenciesMap?.().forEach((v: any) => v.getUrnsList().forEach((u: string) => deps.add(nameOf(u))));
        const provider: string = req.getProvider() ?? "";
        const providerName = provider ? nameOf(provider.split("::").slice(0, -1).join("::")) : "";
        // The engine waits for a resource's provider like for any other dependency.
        if (providerName) deps.add(providerName);
        resources.push({
            type: req.getType(),
            name: req.getName(),
            urn,
            inputs: {},
            dependsOn: deps,
            parent: nameOf(req.getParent() ?? ""),
            ...options,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
            provider: providerName,
            ...(timing.get(`${req.getType()}::${req.getName()}`) ?? { startedAt: 0, finishedAt: 0 }),
        });
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        register(req, (err: any, resp: any) => {
            if (!err && resp) {
                const urn: string = resp.getUrn();
                // The engine refuses a second resource with the same URN ("Duplicate resource URN").
                if (resources.some((r) => r.urn === urn)) failures.push(new Error(`duplicate resource URN ${urn}`));
                record(req, urn, {
                    retainOnDelete: req.getRetainondelete() ?? false,
                    replaceOnChanges: req.getReplaceonchangesList(),
                    deleteBeforeReplace: req.getDeletebeforereplace() ?? false,
                    ignoreChanges: req.getIgnorechangesList(),
                });
            }
            callback(err, resp);
        });
    };
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: any, callback: any) => {
        read(req, (err: any, resp: any) => {
            if (!err && resp) record(req, resp.getUrn(), { retainOnDelete: false, replaceOnChanges: [], deleteBeforeReplace: false, ignoreChanges: [] });
            callback(err, resp);
        });
    };
    const newResource = monitor.mocks.newResource;
    const inputsByKey = new Map<string, Record<string, any>>();
    monitor.mocks.newResource = async (args: any) => {
        const key = `${args.type}::${args.name}`;
        inputsByKey.set(key, args.inputs);
        const startedAt = Date.now() - t0;
        const ms = opts.latency?.(args.type, args.name, args.inputs) ?? 0;
        pending++;
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        pending--;
        timing.set(key, { startedAt, finishedAt: Date.now() - t0 });
        return newResource(args);
    };

    const programPath = path.join(__dirname, "..", "..", "index.ts");
    for (const k of Object.keys(require.cache)) {
        if (!k.includes("node_modules")) delete require.cache[k];
    }
    const onRejection = (e: unknown) => failures.push(e);
    process.on("unhandledRejection", onRejection);
    let outputs: Record<string, any>;
    try {
        outputs = require(programPath);
    } catch (e) {
        process.off("unhandledRejection", onRejection);
        throw e;
    }

    // Wait until registrations stop arriving: outputs resolve before every resource is registered.
    let last = -1;
    let stable = 0;
    while (stable < 5) {
        await new Promise((r) => setTimeout(r, 20));
        stable = resources.length === last && pending === 0 ? stable + 1 : 0;
        last = resources.length;
    }
    process.off("unhandledRejection", onRejection);
    if (failures.length > 0) throw failures[0];
    for (const r of resources) r.inputs = inputsByKey.get(`${r.type}::${r.name}`) ?? {};

    const byNameMap = new Map(resources.map((r) => [r.name, r]));
    const run: ProgramRun = {
        resources,
        invokes,
        outputs,
        byName(name) {
            const r = byNameMap.get(name);
            if (!r) throw new Error(`no resource named ${name}; have: ${resources.map((x) => x.name).join(", ")}`);
            return r;
        },
        ofType: (type) => resources.filter((r) => r.type === type),
        waitsFor(name, other) {
            // An unknown name is a renamed resource: answering false would pass every "does not wait".
            for (const n of [name, other]) {
                if (!byNameMap.has(n)) throw new Error(`waitsFor: no resource named ${n}`);
            }
            const seen = new Set<string>();
            const stack = [name];
            while (stack.length) {
                const cur = stack.pop()!;
                for (const d of byNameMap.get(cur)?.dependsOn ?? []) {
                    if (d === other) return true;
                    if (!seen.has(d)) {
                        seen.add(d);
                        stack.push(d);
                    }
                }
            }
            return false;
        },
    };
    return run;
}

/** The value of an Output (undefined when unknown, as in preview). */
export function valueOf<T>(o: pulumi.Output<T> | T): Promise<T> {
    if (!pulumi.Output.isInstance(o)) return Promise.resolve(o as T);
    return new Promise((resolve) => (o as pulumi.Output<T>).apply((v) => {
        resolve(v);
        return v;
    }));
}

/** Pulumi's wire form of a secret value, as mocks receive it in a resource's inputs. */
export function isSecretInput(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as any)["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270";
}

/** Whether an Output is marked secret. */
export async function isSecret(o: pulumi.Output<unknown>): Promise<boolean> {
    return await (o as any).isSecret;
}

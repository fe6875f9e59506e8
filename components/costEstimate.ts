import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config";
import {
    CostReport,
    estimateCost,
    instancePriceQuery,
    onDemandUsd,
    PriceQuery,
    PriceSource,
    publicIpv4HourlyConstant,
    publicIpv4PriceQuery,
    volumePriceQuery,
} from "../render/cost";

export interface CostEstimateArgs {
    /** The validated stack config: region, instance types, worker count, spot, root volumes. */
    config: StackConfig;
    /** Availability zone of the workers, for their spot price; only read when `spotWorkers` is set. */
    workerAvailabilityZone?: pulumi.Input<string | undefined>;
}

/** The Price List API answers only in us-east-1, ap-south-1 and eu-central-1, whatever the stack's region. */
export const pricingApiRegion = "us-east-1";

/** Settings of the AWS provider that are numbers; `pulumi config` stores every value as text. */
const numericAwsSettings = new Set(["maxRetries", "tokenBucketRateLimiterCapacity"]);

/**
 * The pricing provider's arguments: every `aws:*` setting of the stack, typed as the Provider
 * class takes them (it JSON-encodes lists, objects, booleans and numbers itself, so each must
 * arrive decoded: `assumeRoles` as a list, `maxRetries` as a number), with the Price List API's region.
 */
export function pricingProviderArgs(allConfig: Record<string, string>): aws.ProviderArgs {
    const args: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(allConfig)) {
        if (!fullKey.startsWith("aws:")) continue;
        const k = fullKey.slice("aws:".length);
        let v: unknown = text;
        if (/^\s*[[{]/.test(text) || text === "true" || text === "false") {
            v = JSON.parse(text);
        } else if (numericAwsSettings.has(k) && /^\d+$/.test(text)) {
            v = Number(text);
        }
        // The Provider class marks accessKey, secretKey and token secret itself.
        args[k] = v;
    }
    return { ...args, region: pricingApiRegion } as aws.ProviderArgs;
}

/**
 * The stack's running cost from current AWS prices, read at deploy time: instance and EBS prices
 * from the Price List API, the workers' spot price from EC2. A failed lookup makes the estimate
 * `{ available: false, reason }`; it never fails the deployment.
 */
export class CostEstimate extends pulumi.ComponentResource {
    public readonly estimate: pulumi.Output<CostReport>;

    constructor(name: string, args: CostEstimateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("spark-platform:cost:CostEstimate", name, {}, opts);
        // An explicit provider does not read the stack's aws:* config: carry all of it over
        // (profile, keys, assume-role, endpoints...), only the region is the Price List API's.
        const pricing = new aws.Provider(`${name}-pricing`, pricingProviderArgs(pulumi.runtime.allConfig()), { parent: this });

        // Only spot workers wait for their zone; an on-demand estimate is known at preview.
        const zone = args.config.spotWorkers ? pulumi.output(args.workerAvailabilityZone) : pulumi.output(undefined);
        this.estimate = zone.apply((az) => this.fetchEstimate(args.config, pricing, az));
        this.registerOutputs({ estimate: this.estimate });
    }

    private async fetchEstimate(cfg: StackConfig, pricing: aws.Provider, zone: string | undefined): Promise<CostReport> {
        const price = async (what: string, query: PriceQuery): Promise<number> => {
            try {
                const product = await aws.pricing.getProduct({ serviceCode: query.serviceCode, filters: query.filters }, { provider: pricing, parent: this });
                return onDemandUsd(product.result, query.unit);
            } catch (e) {
                throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
            }
        };
        const lookups = await Promise.allSettled([
            price(`${cfg.controlPlaneInstanceType} price`, instancePriceQuery(cfg.region, cfg.controlPlaneInstanceType)),
            price(`${cfg.workerInstanceType} price`, instancePriceQuery(cfg.region, cfg.workerInstanceType)),
            price(`${cfg.rootVolumeType} volume price`, volumePriceQuery(cfg.region, cfg.rootVolumeType)),
        ]);
        const failures = [...new Set(lookups.flatMap((l) => (l.status === "rejected" ? [String(l.reason?.message ?? l.reason)] : [])))];
        if (failures.length > 0) {
            return {
                available: false,
                reason: `AWS Price List API lookup in ${cfg.region} failed (${failures.join("; ")}); ` +
                    `no estimate rather than a guess. The lookup needs pricing:GetProducts.`,
            };
        }
        const [controlPlaneHourly, workerHourly, perGbMonth] = lookups.map((l) => (l as PromiseFulfilledResult<number>).value);
        const ipv4 = await price("public IPv4 price", publicIpv4PriceQuery(cfg.region))
            .then((hourly) => ({ hourly, source: "price-list" as PriceSource }))
            .catch(() => ({ hourly: publicIpv4HourlyConstant, source: "constant" as PriceSource }));
        const spot = cfg.spotWorkers ? await this.spotPrice(cfg.workerInstanceType, zone) : undefined;
        const nodes = 1 + cfg.workerCount;
        return estimateCost({
            controlPlane: { instanceType: cfg.controlPlaneInstanceType, hourly: controlPlaneHourly },
            workers: {
                count: cfg.workerCount,
                instanceType: cfg.workerInstanceType,
                hourly: workerHourly,
                spot: cfg.spotWorkers,
                spotHourly: spot?.hourly,
                spotNote: spot?.note,
            },
            volumes: { count: nodes, sizeGb: cfg.rootVolumeSizeGb, type: cfg.rootVolumeType, perGbMonth },
            // The control plane's Elastic IP replaces its auto-assigned address: one address per node.
            publicIpv4: { count: nodes, ...ipv4 },
            nat: { count: 0, hourly: 0 },
        });
    }

    /** The current spot price in the workers' zone; undefined (on-demand shown as the bound) when unknown. */
    private async spotPrice(instanceType: string, zone: string | undefined): Promise<{ hourly: number; note: string } | undefined> {
        if (!zone) return undefined;
        try {
            const r = await aws.ec2.getSpotPrice({
                instanceType,
                availabilityZone: zone,
                filters: [{ name: "product-description", values: ["Linux/UNIX"] }],
            }, { parent: this });
            const hourly = Number(r.spotPrice);
            if (r.spotPrice === undefined || !Number.isFinite(hourly)) return undefined;
            return { hourly, note: `seen in ${zone} at ${r.spotPriceTimestamp}` };
        } catch {
            return undefined;
        }
    }
}

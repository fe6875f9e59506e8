/** What the stack costs to run: plain arithmetic over unit prices, and the Price List queries for them. */

/** AWS bills a month as 730 hours (365 × 24 / 12); per-GB-month prices are prorated over it. */
export const hoursPerMonth = 730;

/**
 * Public IPv4 addresses, the Elastic IP on a running instance included, cost $0.005 per address-hour in
 * every commercial region since 2024-02-01 (https://aws.amazon.com/vpc/pricing/, "Public IPv4 Address").
 * Used only when the Price List lookup for it fails, and then marked `source: "constant"`.
 */
export const publicIpv4HourlyConstant = 0.005;

/** Where a unit price came from. */
export type PriceSource =
    /** AWS Price List API (`aws.pricing.getProduct`) at deploy time. */
    | "price-list"
    /** EC2 spot price history (`aws.ec2.getSpotPrice`) at deploy time. */
    | "spot-price-history"
    /** A documented constant (`publicIpv4HourlyConstant`). */
    | "constant"
    /** `referencePrices` below: the README's table, not a live price. */
    | "reference"
    /** Nothing to price (no NAT gateway). */
    | "none";

/** Unit prices and quantities of everything the stack keeps running, in USD. */
export interface CostInputs {
    controlPlane: { instanceType: string; hourly: number };
    workers: {
        count: number;
        instanceType: string;
        /** On-demand price per instance-hour. */
        hourly: number;
        spot: boolean;
        /** Spot price per instance-hour when known; spot workers without it are shown at the on-demand price. */
        spotHourly?: number;
        /** Where the spot price comes from, e.g. "seen in ap-northeast-2a at 2025-01-01T00:00:00Z". */
        spotNote?: string;
    };
    /** Root volumes, one per node. */
    volumes: { count: number; sizeGb: number; type: string; perGbMonth: number };
    /** Public IPv4 addresses: the control plane's Elastic IP and each worker's auto-assigned address. */
    publicIpv4: { count: number; hourly: number; source?: PriceSource };
    nat: { count: number; hourly: number };
    /** Source of the instance and volume prices; default "price-list". */
    source?: PriceSource;
}

/** One billed item. Amounts keep full precision; only `formatted` rounds. */
export interface CostLine {
    item: string;
    quantity: number;
    /** What `unitPrice` is per. */
    unit: "instance-hour" | "GB-month" | "address-hour" | "gateway-hour";
    unitPrice: number;
    hourly: number;
    monthly: number;
    /** How it is billed. */
    pricing: string;
    source: PriceSource;
}

export interface CostEstimate {
    available: true;
    currency: "USD";
    hourly: number;
    /** `hourly` × 730. */
    monthly: number;
    /** `hourly` × 10: one working day of the cluster. */
    tenHours: number;
    breakdown: CostLine[];
    /** What the estimate leaves out. */
    excludes: string[];
    /** The breakdown as a text table, amounts rounded for reading. */
    formatted: string;
}

/** The stack output when prices could not be fetched: no guess, a reason. */
export interface CostUnavailable {
    available: false;
    reason: string;
}

export type CostReport = CostEstimate | CostUnavailable;

export const costExclusions = [
    "data transfer out to the internet",
    "S3 storage and requests of the event-log and data bucket",
    "CPU credits of burstable (t2/t3) instances above their baseline in unlimited mode (t3 default)",
    "stopped instances (the estimate is for a running cluster; a stopped one still pays for its volumes and Elastic IP)",
];

/** Hourly and monthly cost of a stack, line by line. Volumes are priced per GB-month, prorated per hour. */
export function estimateCost(inputs: CostInputs): CostEstimate {
    const source = inputs.source ?? "price-list";
    const w = inputs.workers;
    const workerUnit = w.spot && w.spotHourly !== undefined ? w.spotHourly : w.hourly;
    const workerPricing = !w.spot
        ? "on-demand"
        : w.spotHourly !== undefined
            ? `spot (${w.spotNote ?? "current spot price"}): billed at the spot price of each hour, ` +
                `at most the on-demand $${w.hourly}/h`
            : "spot: billed at the spot price, at most the on-demand price shown";
    const v = inputs.volumes;

    const line = (l: Omit<CostLine, "hourly" | "monthly">, hourly: number): CostLine => ({
        ...l,
        hourly,
        monthly: hourly * hoursPerMonth,
    });
    const breakdown: CostLine[] = [
        line({
            item: `control plane (${inputs.controlPlane.instanceType})`,
            quantity: 1,
            unit: "instance-hour",
            unitPrice: inputs.controlPlane.hourly,
            pricing: "on-demand",
            source,
        }, inputs.controlPlane.hourly),
        line({
            item: `workers (${w.instanceType})`,
            quantity: w.count,
            unit: "instance-hour",
            unitPrice: workerUnit,
            pricing: workerPricing,
            source: w.spot && w.spotHourly !== undefined && source === "price-list" ? "spot-price-history" : source,
        }, w.count * workerUnit),
        line({
            item: `root volumes (${v.sizeGb} GB ${v.type} each)`,
            quantity: v.count,
            unit: "GB-month",
            unitPrice: v.perGbMonth,
            pricing: `${v.count * v.sizeGb} GB × $${v.perGbMonth}/GB-month ÷ ${hoursPerMonth} h`,
            source,
        }, (v.count * v.sizeGb * v.perGbMonth) / hoursPerMonth),
        line({
            item: "Elastic IP and public IPv4 addresses",
            quantity: inputs.publicIpv4.count,
            unit: "address-hour",
            unitPrice: inputs.publicIpv4.hourly,
            pricing: "every public IPv4 address, the Elastic IP of a running instance included",
            source: inputs.publicIpv4.source ?? source,
        }, inputs.publicIpv4.count * inputs.publicIpv4.hourly),
        line({
            item: "NAT gateway",
            quantity: inputs.nat.count,
            unit: "gateway-hour",
            unitPrice: inputs.nat.hourly,
            pricing: inputs.nat.count === 0 ? "none: nodes reach the internet through their public addresses" : "on-demand",
            source: inputs.nat.count === 0 ? "none" : source,
        }, inputs.nat.count * inputs.nat.hourly),
    ];
    const hourly = breakdown.reduce((sum, l) => sum + l.hourly, 0);
    return {
        available: true,
        currency: "USD",
        hourly,
        monthly: hourly * hoursPerMonth,
        tenHours: hourly * 10,
        breakdown,
        excludes: costExclusions,
        formatted: formatCost(breakdown, hourly),
    };
}

/** Sub-cent rates keep four decimals; sums are shown in cents. */
const usd = (n: number, decimals = 2) => `$${n.toFixed(decimals)}`;

function formatCost(breakdown: CostLine[], hourly: number): string {
    const rows = [
        ["item", "qty", "unit price", "per hour", "per month"],
        ...breakdown.map((l) => [l.item, String(l.quantity), `${usd(l.unitPrice, 4)}/${l.unit}`, usd(l.hourly, 4), usd(l.monthly)]),
        ["total", "", "", usd(hourly, 4), usd(hourly * hoursPerMonth)],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const text = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd());
    return [...text, `10 hours: ${usd(hourly * 10)}; month = ${hoursPerMonth} h`].join("\n") + "\n";
}

/** A `aws.pricing.getProduct` query: filters that must match exactly one product. */
export interface PriceQuery {
    serviceCode: string;
    filters: { field: string; value: string }[];
    /** The unit the price dimension must be in, so an hourly price is never read as a monthly one. */
    unit: "Hrs" | "GB-Mo";
}

const filters = (attrs: Record<string, string>) => Object.entries(attrs).map(([field, value]) => ({ field, value }));

/** On-demand Linux price of an instance type in a region (the filters of the provider's documented example, by regionCode). */
export function instancePriceQuery(region: string, instanceType: string): PriceQuery {
    return {
        serviceCode: "AmazonEC2",
        filters: filters({
            regionCode: region,
            instanceType,
            operatingSystem: "Linux",
            tenancy: "Shared",
            preInstalledSw: "NA",
            licenseModel: "No License required",
            capacitystatus: "Used",
        }),
        unit: "Hrs",
    };
}

/** EBS capacity price per GB-month; `productFamily` keeps gp3's IOPS and throughput products out. */
export function volumePriceQuery(region: string, volumeType: string): PriceQuery {
    return {
        serviceCode: "AmazonEC2",
        filters: filters({ regionCode: region, productFamily: "Storage", volumeApiName: volumeType }),
        unit: "GB-Mo",
    };
}

/** In-use public IPv4 address-hour; the same group also holds idle addresses. */
export function publicIpv4PriceQuery(region: string): PriceQuery {
    return {
        serviceCode: "AmazonVPC",
        filters: filters({
            regionCode: region,
            group: "VPCPublicIPv4Address",
            groupDescription: "Hourly charge for In-use Public IPv4 Addresses",
        }),
        unit: "Hrs",
    };
}

/**
 * The on-demand USD price in a `getProduct` result (a Price List product as JSON:
 * terms.OnDemand.<term>.priceDimensions.<dimension>.pricePerUnit.USD). Throws, naming what is
 * missing, when the shape or the unit is not what the query expects.
 */
export function onDemandUsd(result: string, unit: PriceQuery["unit"]): number {
    let product: any;
    try {
        product = JSON.parse(result);
    } catch {
        throw new Error("the Price List result is not JSON");
    }
    const terms = Object.values<any>(product?.terms?.OnDemand ?? {});
    if (terms.length !== 1) throw new Error(`expected one on-demand term, found ${terms.length}`);
    const dimensions = Object.values<any>(terms[0]?.priceDimensions ?? {});
    // Tiered prices list several ranges; the first tier (from 0) is what a small stack pays.
    const first = dimensions.find((d) => d?.beginRange === undefined || d.beginRange === "0");
    if (!first) throw new Error("the on-demand term has no price dimension starting at 0");
    if (first.unit !== unit) throw new Error(`expected a price per ${unit}, found one per ${first.unit}`);
    const price = Number(first.pricePerUnit?.USD);
    if (first.pricePerUnit?.USD === undefined || !Number.isFinite(price) || price < 0) {
        throw new Error(`the price dimension has no USD price (${JSON.stringify(first.pricePerUnit)})`);
    }
    return price;
}

/**
 * Seoul (ap-northeast-2) on-demand Linux prices for the README's table, as published on
 * https://aws.amazon.com/ec2/pricing/on-demand/ and https://aws.amazon.com/ebs/pricing/ (USD).
 * The deployed stack does not use these: it reads current prices at deploy time.
 */
export const referencePrices = {
    region: "ap-northeast-2",
    instanceHourly: { "t2.xlarge": 0.2304, "t3.large": 0.104, "t3.xlarge": 0.208 } as Record<string, number>,
    volumePerGbMonth: { gp2: 0.114, gp3: 0.0912 } as Record<string, number>,
    publicIpv4Hourly: publicIpv4HourlyConstant,
    /**
     * An assumption, not a quote: spot prices move by zone and hour (AWS advertises up to 90% off).
     * The table takes 60% off on-demand, the low end of the 60-70% commonly seen for t3, so the
     * saving it shows is not overstated.
     */
    spotDiscount: 0.6,
};

/** A stack's shape, for pricing it from `referencePrices`. */
export interface StackShape {
    label: string;
    controlPlaneInstanceType: string;
    workerInstanceType: string;
    workerCount: number;
    spotWorkers: boolean;
    rootVolumeSizeGb: number;
    rootVolumeType: string;
}

/** Pulumi.dev.yaml: the original guide's environment. */
export const devStack: StackShape = {
    label: "dev stack (Pulumi.dev.yaml)",
    controlPlaneInstanceType: "t2.xlarge",
    workerInstanceType: "t2.xlarge",
    workerCount: 2,
    spotWorkers: false,
    rootVolumeSizeGb: 100,
    rootVolumeType: "gp2",
};

/** Same vCPUs and memory per worker as the dev stack; the control plane runs no Spark. */
export const recommendedStack: StackShape = {
    label: "recommended",
    controlPlaneInstanceType: "t3.large",
    workerInstanceType: "t3.xlarge",
    workerCount: 2,
    spotWorkers: true,
    rootVolumeSizeGb: 50,
    rootVolumeType: "gp3",
};

/** `estimateCost` of a stack shape at `referencePrices`; spot workers at the assumed discount. */
export function referenceEstimate(stack: StackShape): CostEstimate {
    const price = (table: Record<string, number>, key: string) => {
        const p = table[key];
        if (p === undefined) throw new Error(`referencePrices has no price for ${key}`);
        return p;
    };
    const workerHourly = price(referencePrices.instanceHourly, stack.workerInstanceType);
    const nodes = 1 + stack.workerCount;
    return estimateCost({
        source: "reference",
        controlPlane: { instanceType: stack.controlPlaneInstanceType, hourly: price(referencePrices.instanceHourly, stack.controlPlaneInstanceType) },
        workers: {
            count: stack.workerCount,
            instanceType: stack.workerInstanceType,
            hourly: workerHourly,
            spot: stack.spotWorkers,
            spotHourly: stack.spotWorkers ? workerHourly * (1 - referencePrices.spotDiscount) : undefined,
            spotNote: stack.spotWorkers ? `assumed ${referencePrices.spotDiscount * 100}% below on-demand` : undefined,
        },
        volumes: { count: nodes, sizeGb: stack.rootVolumeSizeGb, type: stack.rootVolumeType, perGbMonth: price(referencePrices.volumePerGbMonth, stack.rootVolumeType) },
        publicIpv4: { count: nodes, hourly: referencePrices.publicIpv4Hourly },
        nat: { count: 0, hourly: 0 },
    });
}

/** The README's cost table: the dev stack against the recommended one, and the saving. */
export function referenceCostTable(base: StackShape = devStack, cheaper: StackShape = recommendedStack): string {
    const a = referenceEstimate(base);
    const b = referenceEstimate(cheaper);
    const describe = (s: StackShape) => ({
        controlPlane: `${s.controlPlaneInstanceType} on-demand`,
        workers: `${s.workerCount} × ${s.workerInstanceType} ${s.spotWorkers ? `spot (assumed ${referencePrices.spotDiscount * 100}% off)` : "on-demand"}`,
        volumes: `${1 + s.workerCount} × ${s.rootVolumeSizeGb} GB ${s.rootVolumeType}`,
        ips: `${1 + s.workerCount} addresses`,
    });
    const da = describe(base);
    const db = describe(cheaper);
    const cell = (text: string, l: CostLine) => `${text}: ${usd(l.hourly, 4)}/h`;
    const rows: [string, string, string][] = [
        ["control plane", cell(da.controlPlane, a.breakdown[0]), cell(db.controlPlane, b.breakdown[0])],
        ["workers", cell(da.workers, a.breakdown[1]), cell(db.workers, b.breakdown[1])],
        ["root volumes", cell(da.volumes, a.breakdown[2]), cell(db.volumes, b.breakdown[2])],
        ["public IPv4 (1 Elastic IP + 1 per worker)", cell(da.ips, a.breakdown[3]), cell(db.ips, b.breakdown[3])],
        ["NAT gateway", "none: $0", "none: $0"],
        ["**per hour**", `**${usd(a.hourly, 4)}**`, `**${usd(b.hourly, 4)}**`],
        ["**10 hours**", `**${usd(a.tenHours)}**`, `**${usd(b.tenHours)}**`],
        [`**per month (${hoursPerMonth} h)**`, `**${usd(a.monthly)}**`, `**${usd(b.monthly)}**`],
    ];
    const ratio = b.hourly / a.hourly;
    return [
        `| ${referencePrices.region} | ${base.label} | ${cheaper.label} |`,
        "|---|---|---|",
        ...rows.map((r) => `| ${r.join(" | ")} |`),
        "",
        `Saving: the ${cheaper.label} stack costs ${ratio.toFixed(2)} × the ${base.label}, ` +
            `${Math.round((1 - ratio) * 100)}% less. Spot workers are priced at an assumed ` +
            `${referencePrices.spotDiscount * 100}% below on-demand; the real spot price varies and is at most on-demand.`,
        `Not included: ${costExclusions.join("; ")}.`,
        "",
    ].join("\n");
}

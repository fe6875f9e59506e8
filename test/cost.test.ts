import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { CostEstimate } from "../components/costEstimate";
import { validateConfig } from "../config";
import {
    CostEstimate as Estimate,
    CostInputs,
    CostReport,
    devStack,
    estimateCost,
    hoursPerMonth,
    instancePriceQuery,
    onDemandUsd,
    publicIpv4PriceQuery,
    recommendedStack,
    referenceCostTable,
    referenceEstimate,
    volumePriceQuery,
} from "../render/cost";
import { baseConfig, isSecretInput, mockGetProduct, mockGetSpotPrice, runProgram, valueOf } from "./support/program";

const round4 = (n: number) => Math.round(n * 1e4) / 1e4;

/** The seed's environment: Seoul, 3 × t2.xlarge (1 control plane + 2 workers), 100 GB gp2 each. */
const seedInputs: CostInputs = {
    controlPlane: { instanceType: "t2.xlarge", hourly: 0.2304 },
    workers: { count: 2, instanceType: "t2.xlarge", hourly: 0.2304, spot: false },
    volumes: { count: 3, sizeGb: 100, type: "gp2", perGbMonth: 0.114 },
    publicIpv4: { count: 3, hourly: 0.005 },
    nat: { count: 0, hourly: 0 },
};

/** The 10-hour cost of each line, by item prefix. */
function tenHourLines(e: Estimate) {
    const by = (prefix: string) => e.breakdown.filter((l) => l.item.startsWith(prefix)).reduce((s, l) => s + l.hourly * 10, 0);
    return { instances: by("control plane") + by("workers"), volumes: by("root volumes"), ipv4: by("Elastic IP"), nat: by("NAT") };
}

function assertSeedNumbers(e: CostReport) {
    assert.equal(e.available, true, JSON.stringify(e));
    const est = e as Estimate;
    const ten = tenHourLines(est);
    assert.equal(round4(ten.instances), 6.912);
    assert.equal(round4(ten.volumes), 0.4685);
    assert.equal(round4(ten.ipv4), 0.15);
    assert.equal(ten.nat, 0);
    assert.equal(round4(est.tenHours), 7.5305);
}

describe("cost estimate (render/cost.ts)", () => {
    it("prices the seed's environment at $7.53 for 10 hours: instances, volumes per GB-month, public IPv4", () => {
        const e = estimateCost(seedInputs);
        assertSeedNumbers(e);
        assert.equal(round4(e.hourly), 0.753);
        assert.equal(e.monthly, e.hourly * hoursPerMonth);
        assert.equal(Math.round(e.monthly * 100) / 100, 549.73);
    });

    it("is not the seed's $10.2: a 100 GB gp2 volume costs $0.0156/h, not $0.11/h", () => {
        const e = estimateCost(seedInputs);
        const volumes = e.breakdown.find((l) => l.item.startsWith("root volumes"))!;
        assert.equal(round4(volumes.hourly / 3), 0.0156);
        assert.notEqual(Math.round(e.tenHours * 10) / 10, 10.2);
        assert.ok(e.tenHours < 8);
    });

    it("keeps full precision in numbers and rounds only in the formatted table", () => {
        const e = estimateCost(seedInputs);
        assert.equal(e.breakdown[2].hourly, (300 * 0.114) / 730);
        assert.match(e.formatted, /^root volumes \(100 GB gp2 each\) +3 +\$0\.1140\/GB-month +\$0\.0468 +\$34\.20$/m);
        assert.match(e.formatted, /^NAT gateway +0 .* \$0\.00$/m);
        assert.match(e.formatted, /^total +\$0\.7530 +\$549\.73$/m);
        assert.match(e.formatted, /10 hours: \$7\.53/);
    });

    it("shows spot workers at the spot price when known, else at the on-demand price as the upper bound", () => {
        const known = estimateCost({ ...seedInputs, workers: { ...seedInputs.workers, spot: true, spotHourly: 0.07, spotNote: "seen in ap-northeast-2a" } });
        const workers = known.breakdown[1];
        assert.equal(workers.unitPrice, 0.07);
        assert.equal(workers.source, "spot-price-history");
        assert.match(workers.pricing, /^spot \(seen in ap-northeast-2a\): .*at most the on-demand \$0\.2304\/h$/);

        const unknown = estimateCost({ ...seedInputs, workers: { ...seedInputs.workers, spot: true } }).breakdown[1];
        assert.equal(unknown.unitPrice, 0.2304);
        assert.equal(unknown.pricing, "spot: billed at the spot price, at most the on-demand price shown");
    });
});

describe("Price List queries and parsing", () => {
    const price = (q: ReturnType<typeof instancePriceQuery>) => onDemandUsd(mockGetProduct(q).result, q.unit);

    it("each query pins exactly one product and reads its on-demand (not reserved) price", () => {
        assert.equal(price(instancePriceQuery("ap-northeast-2", "t2.xlarge")), 0.2304);
        assert.equal(price(volumePriceQuery("ap-northeast-2", "gp3")), 0.0912);
        assert.equal(price(publicIpv4PriceQuery("ap-northeast-2")), 0.005);
    });

    it("refuses a price in another unit than the query expects (GB-month read as hourly)", () => {
        const gp2 = mockGetProduct(volumePriceQuery("ap-northeast-2", "gp2")).result;
        assert.throws(() => onDemandUsd(gp2, "Hrs"), /expected a price per Hrs, found one per GB-Mo/);
        assert.throws(() => onDemandUsd("{}", "Hrs"), /expected one on-demand term, found 0/);
        assert.throws(() => onDemandUsd("<html>", "Hrs"), /not JSON/);
    });
});

describe("README cost table (referencePrices)", () => {
    it("pins the dev and recommended stacks' numbers and the saving", () => {
        const dev = referenceEstimate(devStack);
        const rec = referenceEstimate(recommendedStack);
        assert.equal(round4(dev.hourly), 0.753);
        assert.equal(round4(rec.hourly), 0.3041);
        assert.equal(Math.round(dev.monthly * 100) / 100, 549.73);
        assert.equal(Math.round(rec.monthly * 100) / 100, 222.02);
        assert.equal(Math.round((rec.hourly / dev.hourly) * 100) / 100, 0.4);
        assert.equal(round4(rec.breakdown[1].hourly), 0.1664); // 2 × $0.208 × (1 - 0.6)
    });

    it("renders the markdown table with the assumption stated", () => {
        const table = referenceCostTable();
        assert.match(table, /^\| \*\*per hour\*\* \| \*\*\$0\.7530\*\* \| \*\*\$0\.3041\*\* \|$/m);
        assert.match(table, /^\| \*\*10 hours\*\* \| \*\*\$7\.53\*\* \| \*\*\$3\.04\*\* \|$/m);
        assert.match(table, /^\| \*\*per month \(730 h\)\*\* \| \*\*\$549\.73\*\* \| \*\*\$222\.02\*\* \|$/m);
        assert.match(table, /Saving: the recommended stack costs 0\.40 × the dev stack \(Pulumi\.dev\.yaml\), 60% less\./);
        assert.match(table, /assumed 60% below on-demand/);
    });
});

describe("CostEstimate component", function () {
    this.timeout(60000);

    /** Mocks for the component alone; `failVpc` makes the public IPv4 lookup fail. */
    async function component(raw: Record<string, unknown>, zone: string | undefined, failVpc = false): Promise<CostReport> {
        await pulumi.runtime.setMocks({
            newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
            call: (a) => {
                if (a.token === "aws:pricing/getProduct:getProduct") {
                    if (failVpc && a.inputs.serviceCode === "AmazonVPC") throw Object.assign(new Error("denied"), { details: "denied" });
                    return mockGetProduct(a.inputs);
                }
                if (a.token === "aws:ec2/getSpotPrice:getSpotPrice") return mockGetSpotPrice(a.inputs);
                return a.inputs;
            },
        }, "spark-on-k8s", "dev", false);
        const config = validateConfig({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.10/32"], ...raw });
        return valueOf(new CostEstimate("cost", { config, workerAvailabilityZone: zone }).estimate);
    }

    it("prices spot workers at the current spot price of their zone", async () => {
        const e = (await component({ spotWorkers: true, workerInstanceType: "t3.xlarge" }, "ap-northeast-2a")) as Estimate;
        assert.equal(e.breakdown[1].unitPrice, 0.0624);
        assert.match(e.breakdown[1].pricing, /^spot \(seen in ap-northeast-2a at 2025-06-01T00:00:00Z\)/);
    });

    it("falls back to the documented public IPv4 constant, marked as such, when only that lookup fails", async () => {
        const e = (await component({}, undefined, true)) as Estimate;
        const ipv4 = e.breakdown.find((l) => l.item.startsWith("Elastic IP"))!;
        assert.equal(ipv4.unitPrice, 0.005);
        assert.equal(ipv4.source, "constant");
    });
});

describe("estimatedCost stack output (whole program under mocks)", function () {
    this.timeout(60000);

    it("estimates the dev stack from the Price List, queried through a us-east-1 provider", async () => {
        const run = await runProgram(baseConfig);
        const e = await valueOf(run.outputs.estimatedCost);
        assertSeedNumbers(e);
        assert.deepEqual((e as Estimate).breakdown.map((l) => l.source), ["price-list", "price-list", "price-list", "price-list", "none"]);
        const provider = run.byName("cost-pricing");
        assert.equal(provider.type, "pulumi:providers:aws");
        assert.equal(provider.inputs.region, "us-east-1");
        assert.equal(provider.parent, "cost");
    });

    it("queries prices with the stack's whole AWS configuration (profile, keys, assumed role), in us-east-1", async () => {
        const assumeRoles = [{ roleArn: "arn:aws:iam::123456789012:role/deployer", sessionName: "spark" }];
        const run = await runProgram({
            ...baseConfig,
            "aws:profile": "work[eu]",
            "aws:accessKey": "1234567890",
            "aws:secretKey": "s3cret",
            "aws:token": "session-token",
            "aws:assumeRoles": JSON.stringify(assumeRoles),
            "aws:skipMetadataApiCheck": "false",
            "aws:maxRetries": "7",
            "aws:tokenBucketRateLimiterCapacity": "10000",
            "aws:s3UsePathStyle": "true",
        });
        const p = run.byName("cost-pricing").inputs;
        // What reaches the engine: the Provider class JSON-encodes lists, objects, booleans and
        // numbers itself, so each must be encoded once (text given to it would be encoded twice).
        assert.equal(p.region, "us-east-1");
        assert.equal(p.profile, "work[eu]");
        assert.equal(p.assumeRoles, JSON.stringify(assumeRoles));
        assert.equal(p.skipMetadataApiCheck, "false");
        assert.equal(p.maxRetries, "7");
        assert.equal(p.tokenBucketRateLimiterCapacity, "10000");
        assert.equal(p.s3UsePathStyle, "true");
        for (const k of ["accessKey", "secretKey", "token"]) assert.ok(isSecretInput(p[k]), `${k} is not passed as a secret`);
        assert.equal(p.secretKey.value, "s3cret");
        assert.equal(p.accessKey.value, "1234567890");
        // Only the AWS provider's own settings: nothing of the program's namespace.
        assert.deepEqual(Object.keys(p).filter((k) => k.includes(":") || k.startsWith("allowed")), []);
    });

    it("carries only aws: settings, and a number setting that is not a whole number as written (the provider names it)", async () => {
        const run = await runProgram({ ...baseConfig, "abc:profile": "not-an-aws-setting", "aws:maxRetries": "7x", "aws:tokenBucketRateLimiterCapacity": "x7" });
        const p = run.byName("cost-pricing").inputs;
        // A three-letter namespace would land on the provider's own key names if the prefix were not checked.
        assert.equal(p.profile, undefined);
        assert.equal(p.maxRetries, JSON.stringify("7x"));
        assert.equal(p.tokenBucketRateLimiterCapacity, JSON.stringify("x7"));
    });

    it("says prices are unavailable, with the reason, and the program still succeeds", async () => {
        const run = await runProgram({ ...baseConfig, "aws:region": "eu-west-3" });
        const e = await valueOf(run.outputs.estimatedCost);
        assert.equal(e.available, false);
        assert.match((e as { reason: string }).reason, /^AWS Price List API lookup in eu-west-3 failed \(t2\.xlarge price: Pricing product query did not return any elements; gp2 volume price: .*\); no estimate rather than a guess/);
        assert.equal(await valueOf(run.outputs.controlPlaneIp), "198.51.100.7");
    });

    it("says the workers are spot, bounded by the on-demand price when their zone's spot price is unknown", async () => {
        const run = await runProgram({ ...baseConfig, "spark-on-k8s:spotWorkers": "true" });
        const e = (await valueOf(run.outputs.estimatedCost)) as Estimate;
        const workers = e.breakdown.find((l) => l.item.startsWith("workers"))!;
        assert.equal(workers.unitPrice, 0.2304);
        assert.equal(workers.pricing, "spot: billed at the spot price, at most the on-demand price shown");
    });
});

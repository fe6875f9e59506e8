import * as assert from "node:assert/strict";
import { eventLogLifecycleRules, LifecycleRule } from "../render/s3";
import { ProgramRun, runProgram } from "./support/program";

/**
 * S3's rules, modelled (no S3 runs here, and moto evaluates neither StringLike conditions nor the
 * missing-key rule): an identity policy allows a request when an Allow statement matches its
 * action and resource and every condition holds; a condition on a key the request does not
 * carry does not hold. A missing key answers 404 only to a caller allowed s3:ListBucket on the
 * bucket, otherwise 403, which S3A reports as AccessDeniedException.
 */
interface Statement { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> }
interface Request { action: string; resource: string; context?: Record<string, string> }

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, "\\$&")).join(".*")}$`).test(value);

function allowed(statements: Statement[], req: Request): boolean {
    return statements.some((s) => s.Effect === "Allow"
        && list(s.Action).some((a) => glob(a, req.action))
        && list(s.Resource).some((r) => glob(r, req.resource))
        && Object.entries(s.Condition ?? {}).every(([op, keys]) => Object.entries(keys).every(([key, want]) => {
            const have = req.context?.[key];
            if (have === undefined) return false;
            if (op === "StringLike") return list(want).some((w) => glob(w, have));
            if (op === "StringEquals") return list(want).includes(have);
            throw new Error(`the model does not know condition operator ${op}`);
        })));
}

/** The status S3 gives a GET or HEAD of a key that does not exist. */
function missingKeyStatus(statements: Statement[], bucketArn: string, key: string): number {
    if (!allowed(statements, { action: "s3:GetObject", resource: `${bucketArn}/${key}` })) return 403;
    return allowed(statements, { action: "s3:ListBucket", resource: bucketArn }) ? 404 : 403;
}

describe("the nodes' S3 policy against S3's authorization rules", () => {
    let run: ProgramRun;
    let statements: Statement[];
    const bucketArn = "arn:aws:s3:::spark-dev-spark-events-abc123";
    before(async () => {
        run = await runProgram();
        statements = JSON.parse(run.byName("event-logs-access").inputs.policy).Statement;
    });

    it("lets S3A stat a path that does not exist yet: 404, not 403 (event-log dir name, a new Parquet folder)", () => {
        // getFileStatus HEADs the key without the slash first: `spark-events`, `spark-data/out`.
        for (const key of ["spark-events", "spark-events/app-1.zstd.inprogress", "spark-data/out", "spark-data/out/_SUCCESS"]) {
            assert.equal(missingKeyStatus(statements, bucketArn, key), 404, key);
        }
    });

    it("allows what Spark, the History Server and the notebook do under the two prefixes", () => {
        const requests: Request[] = [
            { action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": "spark-events/", "s3:delimiter": "/" } },
            { action: "s3:ListBucket", resource: bucketArn, context: { "s3:prefix": "spark-data/out/" } },
            { action: "s3:GetBucketLocation", resource: bucketArn },
            ...["spark-events/app-1.zstd", "spark-data/out/part-0.parquet"].flatMap((key) =>
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"].map((action) => ({ action, resource: `${bucketArn}/${key}` }))),
        ];
        for (const r of requests) assert.ok(allowed(statements, r), JSON.stringify(r));
    });

    it("allows no object outside the two prefixes, nor in a look-alike prefix", () => {
        for (const key of ["other/file", "spark-events-old/app-1", "spark-data2/x", "spark-eventsx"]) {
            for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
                assert.ok(!allowed(statements, { action, resource: `${bucketArn}/${key}` }), `${action} ${key}`);
            }
        }
        assert.ok(!allowed(statements, { action: "s3:DeleteBucket", resource: bucketArn }));
        assert.ok(!allowed(statements, { action: "s3:PutBucketPolicy", resource: bucketArn }));
        assert.ok(!allowed(statements, { action: "s3:ListBucket", resource: "arn:aws:s3:::someone-elses-bucket" }));
    });

    it("is a well-formed policy: the current language version, a distinct Sid per statement", async () => {
        const run2 = await runProgram();
        const doc = JSON.parse(run2.byName("event-logs-access").inputs.policy);
        assert.equal(doc.Version, "2012-10-17");
        const sids = doc.Statement.map((st: { Sid: string }) => st.Sid);
        assert.ok(sids.every((sid: string) => /^[A-Za-z0-9]+$/.test(sid)), sids.join(","));
        assert.equal(new Set(sids).size, sids.length);
    });

    it("follows configured prefixes", async () => {
        const other = await runProgram({ ...(await import("./support/program")).baseConfig, "spark-on-k8s:eventLogPrefix": "logs/spark", "spark-on-k8s:dataPrefix": "lake" });
        const st: Statement[] = JSON.parse(other.byName("event-logs-access").inputs.policy).Statement;
        assert.equal(missingKeyStatus(st, bucketArn, "logs/spark"), 404);
        assert.ok(allowed(st, { action: "s3:PutObject", resource: `${bucketArn}/lake/t/part-0` }));
        assert.ok(!allowed(st, { action: "s3:PutObject", resource: `${bucketArn}/spark-data/t/part-0` }));
    });
});

/** The objects a bucket's lifecycle rules expire, modelled on S3's filter semantics. */
function expires(rules: LifecycleRule[], key: string, size: number): boolean {
    return rules.some((r) => {
        if (r.status !== "Enabled" || !r.expiration) return false;
        const f = r.filter.and ?? { prefix: r.filter.prefix ?? "", objectSizeGreaterThan: undefined };
        return key.startsWith(f.prefix ?? "") && (f.objectSizeGreaterThan === undefined || size > f.objectSizeGreaterThan);
    });
}

describe("event-log expiry", () => {
    it("expires event logs and never the zero-byte directory object or the data prefix", async () => {
        const run = await runProgram();
        const rules: LifecycleRule[] = run.byName("event-logs-expiry").inputs.rules;
        assert.ok(expires(rules, "spark-events/spark-0123.zstd", 52_000));
        assert.ok(expires(rules, "spark-events/spark-0123.zstd.inprogress", 1));
        assert.ok(!expires(rules, "spark-events/", 0), "the rule expires the directory object every job and the History Server need");
        assert.ok(!expires(rules, "spark-data/table/part-0.parquet", 9_000));
        const expiry = rules.find((r) => r.expiration)!;
        assert.equal(expiry.expiration!.days, 30);
    });

    it("names every rule once and enables it", () => {
        const rules = eventLogLifecycleRules("spark-events", 7);
        assert.ok(rules.every((r) => r.status === "Enabled" && r.id.length > 0));
        assert.equal(new Set(rules.map((r) => r.id)).size, rules.length);
    });

    it("aborts a killed driver's unfinished upload after a day, in a rule of its own", () => {
        const rules = eventLogLifecycleRules("spark-events", 7);
        const abort = rules.filter((r) => r.abortIncompleteMultipartUpload);
        assert.deepEqual(abort.map((r) => [r.filter.prefix, r.abortIncompleteMultipartUpload!.daysAfterInitiation, r.expiration]), [["spark-events/", 1, undefined]]);
        // S3 refuses an object-size filter in a rule that aborts uploads (an upload has no size yet).
        assert.ok(!abort.some((r) => r.filter.and));
    });
});

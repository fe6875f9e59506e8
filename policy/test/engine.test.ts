// Runs the pack the way the Pulumi CLI does (node @pulumi/pulumi/cmd/run-policy-pack, which
// type-checks index.ts with ts-node and serves the analyzer on loopback) and talks to it over
// gRPC with engine-shaped requests, unknown values included.
import * as assert from "assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { types } from "../rules";
import { bucketResources } from "./fixtures";

const packDir = path.resolve(__dirname, "..");
const fromPack = (id: string) => require(require.resolve(id, { paths: [packDir] }));
const grpc = fromPack("@grpc/grpc-js");
const analyzerPb = fromPack("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = fromPack("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPack("google-protobuf/google/protobuf/empty_pb");

// The engine's wire sentinel for a string value that preview cannot know.
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Diagnostic = { policy: string; level: number; urn: string; message: string };

function call<T>(client: any, method: string, request: any): Promise<T> {
    return new Promise((resolve, reject) =>
        client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
    );
}

function options() {
    return new analyzerPb.AnalyzerResourceOptions();
}

function diagnostics(res: any): Diagnostic[] {
    return res.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        level: d.getEnforcementlevel(),
        urn: d.getUrn(),
        message: d.getMessage(),
    }));
}

describe("the policy pack served as the Pulumi engine runs it", function () {
    this.timeout(90_000);
    let pack: ChildProcess;
    let client: any;

    before(async () => {
        pack = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] }), "127.0.0.1:0", "."], {
            cwd: packDir,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        pack.stderr!.on("data", (d) => (stderr += d));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            pack.stdout!.on("data", (d) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    resolve(Number(m[1]));
                }
            });
            pack.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
        });
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    async function configure(allowOpenIngress: boolean) {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const cfg = new analyzerPb.PolicyConfig();
        cfg.setEnforcementlevel(analyzerPb.EnforcementLevel.MANDATORY);
        cfg.setProperties(Struct.fromJavaScript({ allowOpenIngress }));
        req.getPolicyconfigMap().set("no-open-admin-ingress", cfg);
        await call(client, "configure", req);
    }

    async function analyze(type: string, props: object): Promise<Diagnostic[]> {
        const req = new analyzerPb.AnalyzeRequest();
        req.setType(type);
        req.setName("r");
        req.setUrn(`urn:pulumi:dev::spark-on-k8s::${type}::r`);
        req.setProperties(Struct.fromJavaScript(props));
        req.setOptions(options());
        return diagnostics(await call(client, "analyze", req));
    }

    it("announces spark-platform with nine mandatory policies", async () => {
        const info: any = await call(client, "getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "spark-platform");
        const levels = info.getPoliciesList().map((p: any) => p.getEnforcementlevel());
        assert.equal(levels.length, 9);
        assert.ok(levels.every((l: number) => l === analyzerPb.EnforcementLevel.MANDATORY));
    });

    it("blocks world-open SSH, and allows it once the pack config opts in", async () => {
        const sg = { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] };
        await configure(false);
        const found = await analyze(types.securityGroup, sg);
        assert.deepEqual(
            found.map((d) => [d.policy, d.level]),
            [["no-open-admin-ingress", analyzerPb.EnforcementLevel.MANDATORY]],
        );
        await configure(true);
        assert.deepEqual(await analyze(types.securityGroup, sg), []);
        await configure(false);
    });

    it("skips an unknown field in preview but still checks the known ones", async () => {
        const props = { metadataOptions: { httpTokens: UNKNOWN_STRING }, rootBlockDevice: { encrypted: false } };
        assert.deepEqual(
            (await analyze(types.instance, props)).map((d) => d.policy),
            ["ec2-volumes-encrypted"],
        );
    });

    it("pairs a new bucket with its companions through property dependencies", async () => {
        const request = (withCompanions: boolean) => {
            const req = new analyzerPb.AnalyzeStackRequest();
            const all = bucketResources();
            for (const [i, r] of (withCompanions ? all : all.slice(0, 1)).entries()) {
                const res = new analyzerPb.AnalyzerResource();
                res.setType(r.type);
                res.setName(r.name);
                res.setUrn(`urn:pulumi:dev::spark-on-k8s::${r.type}::${r.name}`);
                res.setProperties(Struct.fromJavaScript({ ...r.props, bucket: UNKNOWN_STRING }));
                res.setOptions(options());
                if (i > 0) {
                    const deps = new analyzerPb.AnalyzerPropertyDependencies();
                    deps.setUrnsList([`urn:pulumi:dev::spark-on-k8s::${all[0].type}::${all[0].name}`]);
                    res.getPropertydependenciesMap().set("bucket", deps);
                }
                req.addResources(res);
            }
            return req;
        };
        assert.deepEqual(diagnostics(await call(client, "analyzeStack", request(true))), []);
        const alone = diagnostics(await call(client, "analyzeStack", request(false)));
        assert.deepEqual(
            alone.map((d) => d.policy),
            ["s3-public-access-blocked", "s3-encryption-enabled", "s3-tls-only"],
        );
        assert.ok(alone.every((d) => d.urn.endsWith("::eventLogs-bucket")));
    });
});

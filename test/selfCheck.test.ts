import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { selfCheckEnv } from "../render/platform";
import { validateConfig } from "../config";

const script = path.join(__dirname, "..", "scripts", "pod", "self-check.py");
const appId = "spark-4b1c0f2e9a7d4c3b8e6f5a4d3c2b1a09";

/** What the fake API server and History Server answer, changed by each test. */
interface World {
    /** SparkApplication states, one per read; the last one repeats. */
    states: string[];
    appStatus?: number;
    errorMessage?: string;
    /** History Server answers for the application, one per read; the last one repeats. */
    history: { completed: boolean }[];
    logs: Record<string, string>;
}

function historyApp(completed: boolean): string {
    return JSON.stringify({ id: appId, name: "PythonPi", attempts: [{ duration: 41234, completed }] });
}

/**
 * scripts/pod/self-check.py as the Job runs it (python3, standard library), against a Kubernetes
 * API over TLS with a service-account token, and a History Server, both local fakes.
 */
describe("the self-check Job's script (scripts/pod/self-check.py)", function () {
    this.timeout(60000);
    let dir: string;
    let api: https.Server;
    let hs: http.Server;
    let world: World;
    const requests: string[] = [];

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "self-check-"));
        const r = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "ca.crt")], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        fs.writeFileSync(path.join(dir, "token"), "test-token\n");
        api = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "ca.crt")) }, (req, res) => {
            requests.push(`${req.method} ${req.url}`);
            if (req.headers.authorization !== "Bearer test-token") return void res.writeHead(401).end();
            const url = req.url ?? "";
            if (url.endsWith("/sparkapplications/spark-smoke-test")) {
                if (world.appStatus) return void res.writeHead(world.appStatus).end("{}");
                const state = world.states.length > 1 ? world.states.shift()! : world.states[0];
                return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
                    status: {
                        applicationState: { state, ...(world.errorMessage ? { errorMessage: world.errorMessage } : {}) },
                        sparkApplicationId: state === "COMPLETED" ? appId : undefined,
                        driverInfo: { podName: "spark-smoke-test-driver" },
                    },
                }));
            }
            const log = /\/namespaces\/([^/]+)\/pods\/([^/]+)\/log/.exec(url);
            if (log) return void res.writeHead(200).end(world.logs[`${log[1]}/${log[2]}`] ?? "");
            if (/\/namespaces\/spark-history\/pods\?labelSelector=/.test(url)) {
                return void res.writeHead(200).end(JSON.stringify({ items: [{ metadata: { name: "spark-history-server-abc" } }] }));
            }
            res.writeHead(404).end();
        });
        hs = http.createServer((req, res) => {
            if (req.url !== `/api/v1/applications/${appId}`) return void res.writeHead(404).end("no such app");
            const a = world.history.length > 1 ? world.history.shift()! : world.history[0];
            res.writeHead(200).end(historyApp(a.completed));
        });
        await Promise.all([api, hs].map((s) => new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok))));
    });
    after(() => {
        api?.close();
        hs?.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        requests.length = 0;
        world = { states: ["SUBMITTED", "RUNNING", "COMPLETED"], history: [{ completed: false }, { completed: true }], logs: {} };
    });

    function check(timeoutSeconds = 10): Promise<{ code: number | null; stdout: string; stderr: string }> {
        const cfg = validateConfig({ region: "ap-northeast-2", allowedCidrs: ["203.0.113.7/32"] });
        const env = {
            ...process.env,
            ...selfCheckEnv(cfg),
            HISTORY_URL: `http://127.0.0.1:${(hs.address() as AddressInfo).port}`,
            TIMEOUT_SECONDS: String(timeoutSeconds),
            POLL_SECONDS: "0.05",
            KUBERNETES_SERVICE_HOST: "127.0.0.1",
            KUBERNETES_SERVICE_PORT: String((api.address() as AddressInfo).port),
            SERVICE_ACCOUNT_DIR: dir,
        };
        return new Promise((resolve) => {
            const p = spawn("python3", [script], { env });
            let stdout = "";
            let stderr = "";
            p.stdout.on("data", (d) => (stdout += d));
            p.stderr.on("data", (d) => (stderr += d));
            p.on("close", (code) => resolve({ code, stdout, stderr }));
        });
    }

    it("passes once the application completed and the History Server lists it completed, printing one JSON line", async () => {
        const r = await check();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split("\n"), [JSON.stringify({ applicationId: appId, name: "PythonPi", durationMs: 41234 })]);
        assert.match(r.stderr, /spark-smoke-test: RUNNING/);
        // Read with the service account's token, over TLS checked against its CA.
        assert.ok(requests.some((q) => q === "GET /apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-jobs/sparkapplications/spark-smoke-test"));
    });

    it("fails with the error message and the driver's log tail when the application fails", async () => {
        world.states = ["RUNNING", "FAILED"];
        world.errorMessage = "driver container failed with ExitCode: 1";
        world.logs["spark-jobs/spark-smoke-test-driver"] = "Traceback (most recent call last):\nZeroDivisionError: division by zero\n";
        const r = await check();
        assert.equal(r.code, 1);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /error message: driver container failed with ExitCode: 1/);
        assert.match(r.stderr, /ZeroDivisionError: division by zero/);
        assert.match(r.stderr, /self-check failed: SparkApplication spark-jobs\/spark-smoke-test ended in state FAILED/);
        assert.ok(requests.includes("GET /api/v1/namespaces/spark-jobs/pods/spark-smoke-test-driver/log?tailLines=50"));
    });

    it("fails with the History Server's log tail when it never lists the application as completed", async () => {
        world.states = ["COMPLETED"];
        world.history = [{ completed: false }];
        world.logs["spark-history/spark-history-server-abc"] = "java.io.FileNotFoundException: s3a://events/spark-events\n";
        const r = await check(1);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /last answer from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/applications\/spark-\w+: HTTP 200: .*"completed": ?false/);
        assert.match(r.stderr, /FileNotFoundException: s3a:\/\/events\/spark-events/);
        assert.match(r.stderr, /did not list spark-\w+ as completed in time/);
    });

    it("says which right is missing when its Role does not allow reading the application", async () => {
        world.appStatus = 403;
        const r = await check();
        assert.equal(r.code, 1);
        assert.match(r.stderr, /may not read SparkApplication spark-jobs\/spark-smoke-test: HTTP 403; its Role must allow get on sparkapplications/);
    });

    it("times out, with the state it last saw, when the application never completes", async () => {
        world.states = ["RUNNING"];
        const r = await check(1);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /did not complete in time \(state: RUNNING\)/);
    });
});

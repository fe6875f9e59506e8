/**
 * Deploy benchmark: runs the real program under Pulumi's mocks, each resource taking its
 * modeled duration (bench/deployModel.ts) scaled down, and reports the modeled `pulumi up`
 * time, the critical path and how much the program runs in parallel.
 *   npx ts-node --transpile-only bench/deploy.ts [out.md]
 */
import * as fs from "fs";
import { baseConfig, Registered, runProgram } from "../test/support/program";
import { modeledSeconds } from "./deployModel";

/** Real milliseconds per modeled second: 1000 modeled seconds run in 10 s, so SDK overhead stays small. */
const msPerSecond = 10;

interface Node {
    r: Registered;
    seconds: number;
    why: string;
}

function longestPath(nodes: Map<string, Node>): { total: number; chain: Node[] } {
    const memo = new Map<string, { finish: number; via?: string }>();
    const finish = (name: string): number => {
        const known = memo.get(name);
        if (known) return known.finish;
        const n = nodes.get(name)!;
        let best = 0;
        let via: string | undefined;
        for (const d of n.r.dependsOn) {
            if (!nodes.has(d)) continue;
            const f = finish(d);
            if (f > best) [best, via] = [f, d];
        }
        const result = { finish: best + n.seconds, via };
        memo.set(name, result);
        return result.finish;
    };
    let end = "";
    for (const name of nodes.keys()) if (!end || finish(name) > finish(end)) end = name;
    const chain: Node[] = [];
    for (let cur: string | undefined = end; cur; cur = memo.get(cur)!.via) chain.unshift(nodes.get(cur)!);
    return { total: finish(end), chain };
}

const fmt = (s: number) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

async function main() {
    const started = Date.now();
    const run = await runProgram(baseConfig, { latency: (type, name, inputs) => modeledSeconds(type, name, inputs).seconds * msPerSecond });
    const wallMs = Date.now() - started;

    const nodes = new Map<string, Node>();
    for (const r of run.resources) {
        const m = modeledSeconds(r.type, r.name, r.inputs);
        nodes.set(r.name, { r, seconds: m.seconds, why: m.why });
    }
    const serial = [...nodes.values()].reduce((a, n) => a + n.seconds, 0);
    // From the first registration: loading the program's modules is not deploy time.
    const first = Math.min(...run.resources.map((r) => r.startedAt));
    const simulated = (Math.max(...run.resources.map((r) => r.finishedAt)) - first) / msPerSecond;
    const { total, chain } = longestPath(nodes);
    const offPath = ["event-logs-bucket", "event-logs-access", "event-logs-access-attachment", "nodes-ssh", "k8s-worker-1-prepare", "k8s-worker-2-prepare"];
    const onPath = new Set(chain.map((n) => n.r.name));

    const lines = [
        "## Deploy critical path (modeled)",
        "",
        `The dev stack (1 control plane + 2 workers) under Pulumi's mocks, every resource taking its modeled`,
        `duration from \`bench/deployModel.ts\` at ${msPerSecond} ms per modeled second (${run.resources.length} resources, ${(wallMs / 1000).toFixed(1)} s real).`,
        "",
        "| figure | value |",
        "|---|---|",
        `| modeled \`pulumi up\` (longest dependency chain) | ${fmt(total)} |`,
        `| simulated run, measured (includes the SDK's own scheduling) | ${fmt(simulated)} |`,
        `| serial sum of all steps | ${fmt(serial)} |`,
        `| parallelism (serial / modeled) | ${(serial / total).toFixed(2)} |`,
        "",
        "Critical path:",
        "",
        "| step | resource | modeled s | why |",
        "|---|---|---|---|",
        ...chain.filter((n) => n.seconds > 0).map((n, i) => `| ${i + 1} | \`${n.r.name}\` | ${n.seconds} | ${n.why} |`),
        "",
        `Off the critical path, as intended: ${offPath.map((n) => `\`${n}\` ${onPath.has(n) ? "**ON PATH**" : "off"}`).join(", ")}.`,
        "",
    ];
    const text = lines.join("\n");
    const out = process.argv[2];
    if (out) fs.writeFileSync(out, text);
    console.log(text);
    if (offPath.some((n) => onPath.has(n))) {
        console.error("a resource that should run in parallel is on the critical path");
        process.exitCode = 1;
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});

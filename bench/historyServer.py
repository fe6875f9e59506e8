"""History Server at scale (issue "Performance: the History Server at scale").

Real PySpark jobs (the rendered jobs.conf + the integration tier's local overrides) write their
event logs to a moto S3 server on loopback; each log is replicated under distinct application ids
(bench/history/replicate.py) to N applications; for each N the real History Server, started as
its Deployment starts it (command, env, SPARK_DAEMON_MEMORY) from a fresh local store, is timed
with the rendered history-server.conf ("tuned") and with Spark's defaults ("default": only the
log directory, the UI port and the S3A settings). The History Server gets one CPU (`taskset -c 0`,
the Deployment's 1-CPU limit) and the JVM ergonomics of the pod's 2 GiB (-XX:MaxRAM=2g); moto and
this driver run on the other CPU.

    python bench/historyServer.py --render DIR --jars DIR --md OUT.md [--json OUT.json]
                                  [--sizes 50,200,1000] [--variants tuned,default] ...

Run it through `bash bench/run.sh` (npm run bench), which prepares the render, venv and jars.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IT = ROOT / "test" / "integration"
sys.path.insert(0, str(IT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402  (the integration tier's helpers, reused as they are)
import local_overrides as overrides  # noqa: E402
from harness import Local, Procs, Render  # noqa: E402

from history import replicate  # noqa: E402

#: The jobs whose event logs are replicated: (application name, script).
JOBS = [
    ("bench-small-shuffle", IT / "apps" / "small_job.py"),
    ("bench-many-jobs", Path(__file__).resolve().parent / "history" / "apps" / "many_jobs.py"),
    ("bench-wide-sql", Path(__file__).resolve().parent / "history" / "apps" / "wide_sql.py"),
]
JOB_TIMEOUT = 300
SRC_BUCKET = "bench-src"

#: Keys of the "default" History Server: where the logs are, where it listens, how it reaches S3.
#: Everything else (update interval, replay threads, local/hybrid store, ...) is Spark's default.
DEFAULT_KEYS = ("spark.history.fs.logDirectory", "spark.history.ui.port")

#: JVM options of the History Server here: the pod's memory limit for the JVM's ergonomics (GC
#: choice, initial heap), in place of the tier's speed-only options for short-lived JVMs.
HS_JAVA_TOOL_OPTIONS = "-XX:MaxRAM=2g"


@dataclass
class Variant:
    """A History Server configuration measured against one event-log layout."""

    name: str
    base: str  # "tuned" (the rendered conf) or "default"
    changes: dict[str, str | None] = field(default_factory=dict)  # None removes the key
    rolling: bool | None = None  # None: as eventLogSettings renders it
    codec: str | None = None
    warm_restart: bool = False
    note: str = ""


VARIANTS = {
    "tuned": Variant("tuned", "tuned", warm_restart=True, note="history-server.conf as rendered"),
    "default": Variant("default", "default", note="Spark defaults (log dir, port, S3A only)"),
    # Tuning candidates, each one change from the rendered conf (or the event-log layout).
    "threads-1": Variant("threads-1", "tuned", {"spark.history.fs.numReplayThreads": "1"},
                         note="numReplayThreads 1 (Spark's default on 1 CPU)"),
    "threads-8": Variant("threads-8", "tuned", {"spark.history.fs.numReplayThreads": "8"},
                         note="numReplayThreads 8"),
    "interval-10s": Variant("interval-10s", "tuned", {"spark.history.fs.update.interval": "10s"},
                            note="update interval 10s (Spark's default)"),
    "interval-30s": Variant("interval-30s", "tuned", {"spark.history.fs.update.interval": "30s"},
                            note="update interval 30s"),
    "no-hybrid": Variant("no-hybrid", "tuned", {"spark.history.store.hybridStore.enabled": None},
                         note="local store without the hybrid (in-memory first) store"),
    "protobuf": Variant("protobuf", "tuned", {"spark.history.store.serializer": "PROTOBUF"},
                        note="local store serializer PROTOBUF"),
    "memory-store": Variant("memory-store", "tuned", {"spark.history.store.path": None,
                                                      "spark.history.store.hybridStore.enabled": None},
                            note="no local store (in-memory only)"),
    "single-file": Variant("single-file", "tuned", rolling=False,
                           note="event logs as one file per application (rolling off)"),
    "rolling": Variant("rolling", "tuned", rolling=True,
                       note="rolled event logs (`eventlog_v2_<id>/`, 16m files: the layout before this benchmark)"),
    "uncompressed": Variant("uncompressed", "tuned", codec="",
                            note="event logs uncompressed (~10 GB in moto at N=1000)"),
}


def log(msg: str) -> None:
    print(f"[bench-hs {time.monotonic() - STARTED:6.0f}s] {msg}", file=sys.stderr, flush=True)


STARTED = time.monotonic()


# ---------------------------------------------------------------- processes and measurements


def set_affinity(pid: int, cpus: set[int]) -> None:
    """Every thread of pid onto cpus (threads created later inherit it)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            out[k] = v.strip()
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: A request line of moto's (werkzeug's) log; some are wrapped in ANSI colour codes.
_REQUEST = re.compile(r'"(?:\x1b\[[0-9;]*m)*(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/')


class S3Counter:
    """Requests moto served, counted from its request log (one line per request)."""

    def __init__(self, moto_log: Path):
        self.path = moto_log
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size

    def since_mark(self) -> dict[str, int]:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read().decode(errors="replace")
        c = {"list": 0, "get": 0, "head": 0, "put": 0, "other": 0}
        for m in _REQUEST.finditer(text):
            method, target = m.group(1), m.group(2)
            if method == "GET":
                c["list" if ("list-type=" in target or "delimiter=" in target) else "get"] += 1
            else:
                c[method.lower() if method.lower() in c else "other"] += 1
        c["total"] = sum(c.values())
        return c


@dataclass
class Ctx:
    procs: Procs
    render: Render
    moto: harness.Moto
    jar_dir: str
    spark_home: str
    work: Path
    s3count: S3Counter
    hs_cpus: str | None
    list_timeout: float
    page_timeout: float
    idle_window: float

    def local(self, bucket: str, **kw) -> Local:
        return Local(s3_endpoint=self.moto.endpoint, access_key=self.moto.access_key,
                     secret_key=self.moto.secret_key, bucket=bucket, jar_dir=self.jar_dir,
                     spark_home=self.spark_home, **kw)

    def spark_env(self, local: Local, conf_dir: Path, rendered_env: dict[str, str]) -> dict[str, str]:
        env = self.procs.env(harness.local_env(rendered_env, local))
        env.update(overrides.env(local))
        env["SPARK_CONF_DIR"] = str(conf_dir)
        return env


def history_conf(ctx: Ctx, v: Variant, local: Local) -> dict[str, str]:
    conf = harness.localize_conf("history-server", ctx.render.conf("history-server"), local)
    if v.base == "default":
        conf = {k: val for k, val in conf.items() if k in DEFAULT_KEYS or k.startswith("spark.hadoop.")}
    for k, val in v.changes.items():
        if val is None:
            conf.pop(k, None)
        else:
            conf[k] = val
    return conf


def get_json(url: str, timeout: float) -> tuple[int, object]:
    code, body = harness.http_get(url, timeout=timeout)
    return code, (json.loads(body) if code == 200 else body[:300])


def start_hs(ctx: Ctx, v: Variant, bucket: str, store: Path, tag: str) -> tuple[harness.Proc, str, dict]:
    port = harness.free_port()
    local = ctx.local(bucket, history_store=str(store), history_port=port)
    conf = history_conf(ctx, v, local)
    conf_dir = ctx.work / f"conf-{tag}"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", f"bench variant {v.name}")
    container = ctx.render.history_server_container()
    env = ctx.spark_env(local, conf_dir, harness.container_env(container))
    env["JAVA_TOOL_OPTIONS"] = HS_JAVA_TOOL_OPTIONS
    cmd = [harness.map_paths(a, overrides.paths(local)) for a in container["command"] + container.get("args", [])]
    if ctx.hs_cpus:
        cmd = ["taskset", "-c", ctx.hs_cpus] + cmd  # taskset execs: the pid stays the JVM's
    return ctx.procs.start(f"hs-{tag}", cmd, env), f"http://127.0.0.1:{port}", conf


def wait_listing(ctx: Ctx, proc: harness.Proc, url: str, n: int, t0: float) -> dict:
    """Poll the REST listing until it has n applications (or the bound passes)."""
    out: dict = {"rest_up": None, "list_all": None, "listed": 0}
    deadline = t0 + ctx.list_timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"History Server exited (rc={proc.popen.returncode}):\n"
                               f"{harness.tail(harness.without_stack_frames(proc.text()), 15)}")
        try:
            code, apps = get_json(f"{url}/api/v1/applications?limit=100000", timeout=60)
        except (OSError, ValueError):
            time.sleep(0.25)
            continue
        now = time.monotonic() - t0
        if code == 200:
            if out["rest_up"] is None:
                out["rest_up"] = now
            out["listed"] = len(apps)
            if len(apps) >= n:
                out["list_all"] = now
                return out
        time.sleep(0.5)
    out["timeout"] = ctx.list_timeout
    return out


def open_jobs(url: str, app_id: str, timeout: float) -> dict:
    t = time.monotonic()
    try:
        code, jobs = get_json(f"{url}/api/v1/applications/{app_id}/jobs", timeout=timeout)
    except OSError as e:  # socket timeout included
        return {"seconds": time.monotonic() - t, "error": f"{type(e).__name__}: {e}"}
    secs = time.monotonic() - t
    if code != 200 or not jobs:
        return {"seconds": secs, "error": f"HTTP {code}: {jobs}"}
    return {"seconds": secs, "jobs": len(jobs)}


def measure(ctx: Ctx, v: Variant, bucket: str, n: int, open_id: str, tag: str, fresh=None) -> dict:
    """One History Server from a fresh local store: listing, job page twice, idle cost, memory;
    then (warm_restart) a restart on the same store."""
    store = ctx.work / f"store-{tag}"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    res: dict = {"variant": v.name, "n": n, "open_id": open_id}
    proc = None
    try:
        ctx.s3count.mark()
        t0 = time.monotonic()
        proc, url, conf = start_hs(ctx, v, bucket, store, tag)
        res["conf"] = {k: val for k, val in conf.items() if k.startswith("spark.history.")
                       and k not in ("spark.history.ui.port", "spark.history.fs.logDirectory")}
        res.update(wait_listing(ctx, proc, url, n, t0))
        res["s3_requests_listing"] = ctx.s3count.since_mark()
        if res["list_all"] is not None:
            res["page_first"] = open_jobs(url, open_id, ctx.page_timeout)
            res["page_second"] = open_jobs(url, open_id, ctx.page_timeout)
            # Steady state: the periodic rescans of the log directory, nothing else asked of it.
            time.sleep(2)
            ctx.s3count.mark()
            c0, w0 = cpu_seconds(proc.popen.pid), time.monotonic()
            time.sleep(ctx.idle_window)
            dt = time.monotonic() - w0
            res["idle_cpu_pct"] = 100 * (cpu_seconds(proc.popen.pid) - c0) / dt
            res["idle_s3"] = {k: c / dt for k, c in ctx.s3count.since_mark().items()}
            if fresh is not None:
                res["new_app"] = fresh(proc, url)
        st = proc_status(proc.popen.pid)
        res["exe"] = os.path.basename(os.readlink(f"/proc/{proc.popen.pid}/exe"))
        res["peak_rss_mb"] = int(st.get("VmHWM", "0 kB").split()[0]) / 1024
        res["rss_mb"] = int(st.get("VmRSS", "0 kB").split()[0]) / 1024
        res["cpu_seconds"] = cpu_seconds(proc.popen.pid)
        res["oom"] = "OutOfMemoryError" in proc.text()
        ctx.procs.stop(proc)
        proc = None
        if v.warm_restart and "spark.history.store.path" in conf and res["list_all"] is not None:
            t0 = time.monotonic()
            proc, url, _ = start_hs(ctx, v, bucket, store, tag + "-restart")
            r = wait_listing(ctx, proc, url, n, t0)
            r["page"] = open_jobs(url, open_id, ctx.page_timeout) if r["list_all"] is not None else None
            r["peak_rss_mb"] = int(proc_status(proc.popen.pid).get("VmHWM", "0 kB").split()[0]) / 1024
            res["restart"] = r
    except Exception as e:  # recorded, and the next run goes on
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"{tag}: {res['error']}")
    finally:
        if proc is not None:
            ctx.procs.stop(proc)
        shutil.rmtree(store, ignore_errors=True)
    return res


_fresh_counter = iter(range(10**6, 10**7))


def new_app_probe(ctx: Ctx, s3, bucket: str, prefix: str, t: replicate.Template, layout: tuple[bool, str],
                  roll_bytes: int, timeout: float):
    """A probe that uploads one more finished application while the server runs, times until
    `/api/v1/applications/<id>` knows it, then removes it (the bucket keeps its N)."""
    def probe(proc: harness.Proc, url: str) -> dict:
        rid = replicate.replica_id(t.app_id, next(_fresh_counter))
        objs = replicate.replica_objects(t, rid, prefix, layout[0], layout[1], roll_bytes)
        try:
            t0 = time.monotonic()
            for key, body in objs:
                s3.put_object(Bucket=bucket, Key=key, Body=body)
            deadline = t0 + timeout
            while time.monotonic() < deadline and proc.alive():
                try:
                    if harness.http_get(f"{url}/api/v1/applications/{rid}", timeout=30)[0] == 200:
                        return {"seconds": time.monotonic() - t0}
                except OSError:
                    pass
                time.sleep(0.5)
            return {"seconds": None, "timeout": timeout}
        finally:
            for key, _ in objs:
                s3.delete_object(Bucket=bucket, Key=key)
    return probe


# ---------------------------------------------------------------- jobs and replicas


def run_jobs(ctx: Ctx) -> list[dict]:
    local = ctx.local(SRC_BUCKET)
    conf = harness.localize_conf("jobs", ctx.render.conf("jobs"), local)
    conf_dir = ctx.work / "conf-jobs"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "jobs.conf + local_overrides.py")
    env = ctx.spark_env(local, conf_dir, harness.driver_env_from_conf(conf))
    out = []
    for name, script in JOBS:
        t = time.monotonic()
        cmd = [str(Path(ctx.spark_home) / "bin" / "spark-submit"), "--name", name, str(script)]
        rc, text = ctx.procs.run(f"job-{name}", cmd, env, JOB_TIMEOUT)
        lines = [l for l in text.splitlines() if l.startswith("RESULT ")]
        if rc != 0 or not lines:
            raise RuntimeError(f"job {name} failed (rc={rc}):\n{harness.tail(harness.without_stack_frames(text), 30)}")
        res = json.loads(lines[-1][len("RESULT "):])
        out.append({"name": name, "app_id": res["appId"], "seconds": time.monotonic() - t})
        log(f"job {name}: {res['appId']} in {time.monotonic() - t:.0f}s")
    return out


def make_bucket(ctx: Ctx, bucket: str, prefix: str) -> None:
    s3 = ctx.moto.s3()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=prefix, Body=b"")  # what EventLogStore creates


# ---------------------------------------------------------------- report


def fmt_s(x) -> str:
    return "—" if x is None else f"{x:.1f} s"


def fmt_page(p) -> str:
    if not p:
        return "—"
    if "error" in p:
        return f"error after {p['seconds']:.1f} s"
    return f"{p['seconds']:.2f} s"


def fmt_fresh(f) -> str:
    if not f:
        return "—"
    return f"**timeout** {f['timeout']:.0f} s" if f.get("seconds") is None else f"{f['seconds']:.1f} s"


def cell_list(r: dict) -> str:
    if "error" in r:
        return "error"
    if r.get("list_all") is None:
        return f"**timeout** {r.get('timeout', 0):.0f} s ({r.get('listed', 0)} listed)"
    return fmt_s(r["list_all"])


def ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"


def figure(r: dict, key: str):
    if key in ("page_first", "page_second"):
        p = r.get(key)
        return p["seconds"] if p and "error" not in p else None
    return r.get(key)


def row(r: dict) -> str:
    if r.get("skipped"):
        return f"| {r['n']} | {r['variant']} | skipped: {r['skipped']} | | | | | | | | |"
    idle = r.get("idle_s3") or {}
    restart = r.get("restart")
    rs = f"{fmt_s(restart.get('list_all'))} / {fmt_page(restart.get('page'))}" if restart else "—"
    return (f"| {r['n']} | {r['variant']} | {fmt_s(r.get('rest_up'))} | {cell_list(r)} "
            f"| {fmt_page(r.get('page_first'))} | {fmt_page(r.get('page_second'))} "
            f"| {r.get('peak_rss_mb', 0):.0f} MB | {r.get('idle_cpu_pct', 0):.0f} % "
            f"| {idle.get('list', 0):.1f} | {fmt_fresh(r.get('new_app'))} | {rs} |"
            + (f" {r['error']} |" if "error" in r else ""))


HEADER = ("| N | conf | REST up | list all N | job page, 1st (replay) | job page, 2nd | peak RSS (VmHWM) "
          "| idle CPU | idle S3 LIST/s | new app listed after | restart: list all / job page |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")


def markdown(data: dict) -> str:
    L = ["## History Server at scale", ""]
    L += [
        "`python bench/historyServer.py` (run by `bench/run.sh`). Real PySpark jobs with the rendered",
        "`jobs.conf` (+ the integration tier's `local_overrides.py`) wrote their event logs to a moto S3",
        "server on loopback; each log was replicated under distinct application ids (ids rewritten inside",
        "the events and in the file names, recompressed with the conf's codec) and uploaded through the S3",
        "API. For each N the real History Server ran as the Deployment runs it (command, env,",
        f"`SPARK_DAEMON_MEMORY`), from a fresh local store, on one CPU (`taskset -c {data['hs_cpus']}`, the",
        f"Deployment's 1-CPU limit) with `JAVA_TOOL_OPTIONS={HS_JAVA_TOOL_OPTIONS}` (the JVM sizes itself as in",
        "the 2 GiB pod); moto and the driver of this benchmark ran on the other CPU.",
        "",
        "Event-log templates (one real run each):",
        "",
        "| job | app id | events | rolled files | uncompressed | stored |",
        "|---|---|---|---|---|---|",
    ]
    for t in data["templates"]:
        L.append(f"| `{t['name']}` | `{t['app_id']}` | {t['events']} | {t['files']} | {t['raw_bytes'] / 1e6:.2f} MB "
                 f"| {t['stored_bytes'] / 1e6:.2f} MB ({t['codec'] or 'none'}) |")
    L += ["", f"Replicas round-robin over the templates. The job page opened is that of replica "
          f"`{data.get('open_template')}` (the largest log). Layout: {data['layout']}.", ""]
    L += [
        "Figures: *REST up* = from process start to the first answer of `/api/v1/applications`; *list all N* =",
        "from process start until `/api/v1/applications?limit=100000` has all N; *job page* =",
        "`/api/v1/applications/<id>/jobs`, first open (replays the event log) and second (cached UI);",
        "*peak RSS* = VmHWM of the JVM; *idle* = over "
        f"{data['idle_window']:.0f} s after that, nothing asked of it (its periodic rescans of the log directory):",
        "CPU of the JVM and S3 LIST requests per second seen by moto; *new app listed after* = one more",
        "application uploaded while it runs, until `/api/v1/applications/<id>` knows it (one sample: it",
        "depends on where in the update interval the upload lands); *restart* = a second start on the",
        "same local store (a container restart keeps its emptyDir). Bounds: "
        f"{data['list_timeout']:.0f} s for the listing, {data['page_timeout']:.0f} s per page,",
        f"{data.get('fresh_timeout', 0):.0f} s for the new application. Other work on this machine shows in the load",
        "average of the header; figures within ~10 % of each other are the same.",
        "",
        HEADER,
    ]
    main = [r for r in data["runs"] if r["variant"] in ("tuned", "default")]
    L += [row(r) for r in main]
    L += ["", "Ratio tuned / default (below 1: the tuned conf is faster or smaller):", "",
          "| N | list all N | job page, 1st | job page, 2nd | peak RSS |", "|---|---|---|---|---|"]
    for n in data["sizes"]:
        t = next((r for r in main if r["n"] == n and r["variant"] == "tuned"), None)
        d = next((r for r in main if r["n"] == n and r["variant"] == "default"), None)
        if not t or not d:
            continue
        L.append(f"| {n} | {ratio(t.get('list_all'), d.get('list_all'))} "
                 f"| {ratio(figure(t, 'page_first'), figure(d, 'page_first'))} "
                 f"| {ratio(figure(t, 'page_second'), figure(d, 'page_second'))} "
                 f"| {ratio(t.get('peak_rss_mb'), d.get('peak_rss_mb'))} |")
    others = [r for r in data["runs"] if r["variant"] not in ("tuned", "default")]
    if others:
        L += ["", "### Tuning candidates", "",
              "Each one change from the rendered conf (or from the rendered event-log layout):", ""]
        for name in dict.fromkeys(r["variant"] for r in others):
            L.append(f"- `{name}`: {VARIANTS[name].note}")
        L += ["", HEADER]
        tuned_same_n = [r for r in main if r["variant"] == "tuned" and r["n"] in {o["n"] for o in others}]
        L += [row(r) for r in tuned_same_n + others]
    L += ["", f"History Server part: {data['seconds']:.0f} s (jobs {data['jobs_seconds']:.0f} s, "
          f"replicas {data['upload_seconds']:.0f} s)."]
    if data.get("errors"):
        L += ["", "Errors: " + "; ".join(data["errors"])]
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--render", required=True, type=Path)
    ap.add_argument("--jars", required=True)
    ap.add_argument("--md", required=True, type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--sizes", default="50,200,1000")
    ap.add_argument("--variants", default="tuned,default", help=f"comma list of {', '.join(VARIANTS)}")
    ap.add_argument("--tuning-variants", default="", help="variants measured at the largest size only")
    ap.add_argument("--list-timeout", type=float, default=900, help="bound on the listing per run (s)")
    ap.add_argument("--page-timeout", type=float, default=300)
    ap.add_argument("--idle-window", type=float, default=30)
    ap.add_argument("--fresh-timeout", type=float, default=180,
                    help="bound on listing one application uploaded while the server runs (s)")
    ap.add_argument("--templates-cache", type=Path,
                    help="dev only: keep/reuse the jobs' decompressed event logs here (skips the jobs)")
    ap.add_argument("--budget", type=float, default=1200, help="skip runs that would start after this (s)")
    a = ap.parse_args()

    sizes = sorted(int(x) for x in a.sizes.split(","))
    names = [x for x in a.variants.split(",") if x]
    tuning = [x for x in a.tuning_variants.split(",") if x]
    for v in names + tuning:
        if v not in VARIANTS:
            ap.error(f"unknown variant {v}")
    work = a.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-hs-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)

    render = Render(a.render)
    import pyspark
    assert pyspark.__version__ == render.versions["spark"]["version"], "venv pyspark differs from the render's pin"
    run_id = os.environ.get(harness.RUN_MARKER) or uuid.uuid4().hex
    procs = Procs(base_env=harness.spark_base_env(run_id), logs=work / "logs")
    cpus = sorted(os.sched_getaffinity(0))
    hs_cpus = str(cpus[0]) if len(cpus) >= 2 and shutil.which("taskset") else None
    data: dict = {"sizes": sizes, "runs": [], "errors": [], "hs_cpus": hs_cpus or "none",
                  "list_timeout": a.list_timeout, "page_timeout": a.page_timeout, "idle_window": a.idle_window,
                  "fresh_timeout": a.fresh_timeout,
                  "python": platform.python_version(), "spark": pyspark.__version__}
    rc = 0
    try:
        moto = harness.start_moto(procs, sys.executable, harness.node_policy_for(render.node_policy(), "bench-*"))
        ctx = Ctx(procs, render, moto, a.jars, str(Path(pyspark.__file__).resolve().parent), work,
                  S3Counter(moto.proc.log), hs_cpus, a.list_timeout, a.page_timeout, a.idle_window)
        jobs_conf = render.conf("jobs")
        _, prefix = harness.event_log_prefix(jobs_conf["spark.eventLog.dir"])
        layout = harness.event_log_layout(jobs_conf)
        roll_bytes = replicate.parse_size(jobs_conf.get("spark.eventLog.rolling.maxFileSize", "128m"))
        make_bucket(ctx, SRC_BUCKET, prefix)

        t = time.monotonic()
        s3 = moto.s3()
        templates = replicate.load_templates(a.templates_cache) if a.templates_cache else None
        if templates is None:
            jobs = run_jobs(ctx)
            templates = [replicate.load_template(s3, SRC_BUCKET, prefix, j["app_id"], j["name"]) for j in jobs]
            if a.templates_cache:
                replicate.save_templates(templates, a.templates_cache)
        else:
            data["templates_cached"] = str(a.templates_cache)
        data["jobs_seconds"] = time.monotonic() - t
        data["templates"] = [{"name": tp.name, "app_id": tp.app_id, "events": tp.events, "files": len(tp.parts),
                              "raw_bytes": tp.raw_bytes, "stored_bytes": tp.stored_bytes, "codec": tp.codec}
                             for tp in templates]
        big = max(range(len(templates)), key=lambda i: templates[i].raw_bytes)
        data["open_template"] = templates[big].name
        data["layout"] = (f"{'rolling' if layout['rolling'] else 'single file'}, codec {layout['codec'] or 'none'}"
                          f" (jobs.conf)")
        if hs_cpus:  # from here on this driver (and moto) stay off the History Server's CPU
            rest = set(cpus) - {int(hs_cpus)}
            os.sched_setaffinity(0, rest)
            set_affinity(moto.proc.popen.pid, rest)

        # One bucket per event-log layout a variant asks for; replicas are added as N grows.
        def layout_of(v: Variant) -> tuple[bool, str]:
            return (layout["rolling"] if v.rolling is None else v.rolling,
                    layout["codec"] if v.codec is None else v.codec)

        buckets: dict[tuple[bool, str], dict] = {}
        for v in [VARIANTS[x] for x in names + tuning]:
            key = layout_of(v)
            if key not in buckets:
                name = f"bench-{'rolling' if key[0] else 'single'}-{key[1] or 'none'}"
                make_bucket(ctx, name, prefix)
                buckets[key] = {"bucket": name, "count": 0}
        data["upload_seconds"] = 0.0
        budget_end = STARTED + a.budget
        for n in sizes:
            plan = names + (tuning if n == sizes[-1] else [])
            for key, b in buckets.items():
                if not any(layout_of(VARIANTS[x]) == key for x in plan) or b["count"] >= n:
                    continue
                t = time.monotonic()
                up = replicate.upload_replicas(s3, b["bucket"], prefix, templates, b["count"], n, key[0], key[1],
                                               roll_bytes)
                b["count"] = n
                data["upload_seconds"] += time.monotonic() - t
                log(f"{b['bucket']}: {n} applications ({up['objects']} objects, {up['bytes'] / 1e6:.0f} MB) "
                    f"in {time.monotonic() - t:.0f}s")
            # The replica of the largest template with the highest index below n: the newest upload.
            open_idx = max(i for i in range(n) if i % len(templates) == big)
            open_id = replicate.replica_id(templates[big].app_id, open_idx)
            for name in plan:
                v = VARIANTS[name]
                if time.monotonic() > budget_end:
                    data["runs"].append({"variant": name, "n": n, "skipped": f"time budget {a.budget:.0f} s spent"})
                    continue
                log(f"N={n} {name}: starting")
                load0 = os.getloadavg()[0]
                b = buckets[layout_of(v)]["bucket"]
                fresh = new_app_probe(ctx, s3, b, prefix, templates[0], layout_of(v), roll_bytes, a.fresh_timeout)
                r = measure(ctx, v, b, n, open_id, f"{name}-{n}", fresh)
                r["loadavg"] = [load0, os.getloadavg()[0]]
                data["runs"].append(r)
                if "error" in r:
                    data["errors"].append(f"N={n} {name}: {r['error'].splitlines()[0]}")
                log(f"N={n} {name}: list all {r.get('list_all')} page {r.get('page_first')} / "
                    f"{r.get('page_second')} rss {r.get('peak_rss_mb', 0):.0f} MB "
                    f"idle cpu {r.get('idle_cpu_pct', 0):.0f}% restart {r.get('restart', {}).get('list_all')}")
    except BaseException as e:  # KeyboardInterrupt on TERM too: report what was measured
        data["errors"].append(f"{type(e).__name__}: {e}")
        traceback.print_exc()
        rc = 1
    finally:
        procs.stop_all()
        left = harness.marked_pids(run_id)
        if left:
            data["errors"].append(f"processes still alive after teardown: {left}")
            rc = 1
        data["seconds"] = time.monotonic() - STARTED
        data.setdefault("jobs_seconds", 0)
        data.setdefault("upload_seconds", 0)
        data.setdefault("templates", [])
        data.setdefault("layout", "?")
        if a.json:
            a.json.write_text(json.dumps(data, indent=1, default=str))
        a.md.write_text(markdown(data))
        log(f"wrote {a.md} ({data['seconds']:.0f}s)")
    return rc


if __name__ == "__main__":
    import signal

    def _term(signum, frame):  # run.sh's trap / timeout: the finally above stops every server
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _term)
    sys.exit(main())

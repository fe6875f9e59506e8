"""Session fixtures of the real-component tier: the render, moto (S3 + IAM on loopback), the
S3A jars, the event-log bucket, the job of case 1 and the History Server. Every process is
started in its own session with this run's marker and ended at teardown, also on failure."""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402
import local_overrides as overrides  # noqa: E402
from harness import Local, Procs, Render  # noqa: E402

#: Bounds stated by the tests (seconds).
JOB_TIMEOUT = 300
HISTORY_START_TIMEOUT = 120
#: From the job's end to the History Server listing it as completed: update interval 5 s + replay.
HISTORY_LIST_BOUND = 60

MAIN_BUCKET = "spark-platform-it-events"

#: Error texts seen in this run, printed in the summary (README troubleshooting quotes them).
OBSERVED: dict[str, str] = {}
_TIMES: dict[str, float] = {}
_STARTED = time.monotonic()


def _terminate_on_sigterm(signum, frame):  # run.sh's timeout / Ctrl-C: run the finalizers
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _terminate_on_sigterm)


def required_env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        pytest.exit(f"{name} is not set: run this tier through test/integration/run.sh", returncode=2)
    return v


@pytest.fixture(scope="session")
def render() -> Render:
    r = Render(Path(required_env("SPARKPLAT_RENDER_DIR")))
    import pyspark
    v = r.versions
    assert pyspark.__version__ == v["spark"]["version"], \
        f"pyspark {pyspark.__version__} in the venv, the render pins Spark {v['spark']['version']}"
    import jupyterlab
    assert jupyterlab.__version__ == v["jupyter"]["jupyterlab"], \
        f"jupyterlab {jupyterlab.__version__} in the venv, the render pins {v['jupyter']['jupyterlab']}"
    return r


@pytest.fixture(scope="session")
def jar_dir() -> Path:
    d = Path(required_env("SPARKPLAT_JAR_DIR"))
    assert list(d.glob("*.jar")), f"no S3A jars in {d}"
    return d


@pytest.fixture(scope="session")
def spark_home() -> Path:
    import pyspark
    return Path(pyspark.__file__).resolve().parent


@pytest.fixture(scope="session")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def procs(work):
    run_id = os.environ.get(harness.RUN_MARKER) or uuid.uuid4().hex
    p = Procs(base_env=harness.spark_base_env(run_id), logs=work / "logs")
    yield p
    p.stop_all()
    left = harness.marked_pids(run_id)
    assert not left, f"processes of this run still alive after teardown: {left}"


@pytest.fixture(scope="session")
def moto(procs, render):
    # Every bucket of this tier is named spark-platform-it-*; the policy is the program's own.
    return harness.start_moto(procs, sys.executable, harness.node_policy_for(render.node_policy(), "spark-platform-it-*"))


@pytest.fixture(scope="session")
def local_factory(moto, jar_dir, spark_home):
    def make(bucket: str = MAIN_BUCKET, secret: str | None = None, access_key: str | None = None, **kw) -> Local:
        return Local(s3_endpoint=moto.endpoint, access_key=moto.access_key if access_key is None else access_key,
                     secret_key=moto.secret_key if secret is None else secret,
                     bucket=bucket, jar_dir=str(jar_dir), spark_home=str(spark_home), **kw)
    return make


def spark_env(procs: Procs, local: Local, conf_dir: Path, rendered_env: dict[str, str] | None = None) -> dict[str, str]:
    env = procs.env(harness.local_env(rendered_env or {}, local))
    env.update(overrides.env(local))
    env["SPARK_CONF_DIR"] = str(conf_dir)
    return env


def jobs_env(procs: Procs, local: Local, conf: dict[str, str], conf_dir: Path,
             extra_rendered_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a local driver run with the jobs conf: the driver pod's env
    (spark.kubernetes.driverEnv.*, SparkApplication driver.env) plus the local overrides."""
    rendered = harness.driver_env_from_conf(conf)
    rendered.update(extra_rendered_env or {})
    return spark_env(procs, local, conf_dir, rendered)


def make_event_log_dir(moto, bucket: str, prefix: str, create_bucket: bool = True) -> None:
    s3 = moto.s3()
    if create_bucket:
        s3.create_bucket(Bucket=bucket)
    # What EventLogStore creates in AWS: a zero-byte "directory" object at the prefix.
    s3.put_object(Bucket=bucket, Key=prefix, Body=b"")


@pytest.fixture(scope="session")
def main_bucket(moto, render):
    bucket, prefix = harness.event_log_prefix(render.conf("jobs")["spark.eventLog.dir"])
    assert bucket == "<event-log-bucket>", f"jobs.conf event-log bucket is {bucket!r}, expected the placeholder"
    make_event_log_dir(moto, MAIN_BUCKET, prefix)
    return MAIN_BUCKET, prefix


def run_python_job(procs: Procs, name: str, script: Path, args: list[str], env: dict[str, str],
                   app_name: str | None = None, spark_args: list[str] | None = None,
                   timeout: float = JOB_TIMEOUT) -> tuple[int, str]:
    """spark-submit <script> as the operator's driver does (client mode inside the driver pod)."""
    cmd = [str(Path(env["SPARK_HOME"]) / "bin" / "spark-submit")]
    if app_name:
        cmd += ["--name", app_name]
    cmd += (spark_args or []) + [str(script)] + args
    return procs.run(name, cmd, env, timeout)


def result_line(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise AssertionError(f"no RESULT line in the job's output:\n{harness.tail(harness.without_stack_frames(output))}")


@pytest.fixture(scope="session")
def event_log_app(procs, render, local_factory, main_bucket, work, moto):
    """Case 1's job: the rendered jobs.conf + overrides, a small PySpark job, event logs to S3."""
    bucket, prefix = main_bucket
    local = local_factory(bucket)
    conf = harness.localize_conf("jobs", render.conf("jobs"), local)
    conf_dir = work / "conf-jobs"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "jobs.conf + local_overrides.py")
    name = "sparkplat-it-event-logs"
    started = time.monotonic()
    rc, out = run_python_job(procs, "case1-job", HERE / "apps" / "small_job.py", [],
                             jobs_env(procs, local, conf, conf_dir), app_name=name)
    assert rc == 0, f"the job failed (rc={rc}):\n{harness.tail(harness.without_stack_frames(out), 60)}"
    res = result_line(out)
    return {"app_id": res["appId"], "name": name, "result": res, "conf": conf, "bucket": bucket,
            "prefix": prefix, "output": out, "seconds": time.monotonic() - started}


def start_history_server(procs: Procs, render: Render, local: Local, conf_dir: Path, name: str) -> harness.Proc:
    container = render.history_server_container()
    conf = harness.localize_conf("history-server", render.conf("history-server"), local)
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "history-server.conf + local_overrides.py")
    env = spark_env(procs, local, conf_dir, harness.container_env(container))
    cmd = [harness.map_paths(a, overrides.paths(local)) for a in container["command"] + container.get("args", [])]
    return procs.start(name, cmd, env)


@pytest.fixture(scope="session")
def history_server(procs, render, local_factory, main_bucket, work):
    """The History Server as the Deployment runs it (command, env, conf), on the main bucket."""
    port = harness.free_port()
    store = work / "history-store"
    store.mkdir()
    local = local_factory(main_bucket[0], history_store=str(store), history_port=port)
    proc = start_history_server(procs, render, local, work / "conf-history", "history-server")
    hs = harness.HistoryServer(proc, f"http://127.0.0.1:{port}")
    harness.wait_until("History Server REST API answers", lambda: hs.applications() is not None,
                       HISTORY_START_TIMEOUT, proc)
    yield hs
    procs.stop(proc)


# ---------------------------------------------------------------- JupyterLab

NOTEBOOK = "getting-started.ipynb"
JUPYTER_START_TIMEOUT = 120


def shipped_notebook(render: Render) -> tuple[str, str]:
    """The notebook as deployed (the Jupyter ConfigMap); SPARKPLAT_IT_NOTEBOOK overrides it
    while developing the tier."""
    dev = os.environ.get("SPARKPLAT_IT_NOTEBOOK")
    if dev:
        return Path(dev).name, Path(dev).read_text()
    files = render.jupyter_files()
    assert NOTEBOOK in files, f"the Jupyter ConfigMaps carry no {NOTEBOOK}: {sorted(files)}"
    return NOTEBOOK, files[NOTEBOOK]


@pytest.fixture(scope="session")
def jupyter_env(procs, render, local_factory, main_bucket, work, history_server):
    """The notebook kernel's environment: the Jupyter container's env and the rendered jupyter.conf."""
    container = render.jupyter_deployment()["spec"]["template"]["spec"]["containers"][0]
    port, bm_port = harness.free_port(), harness.free_port()
    local = local_factory(main_bucket[0], driver_port=port, block_manager_port=bm_port,
                          history_url=history_server.url)
    conf = harness.localize_conf("jupyter", render.conf("jupyter"), local)
    conf_dir = work / "conf-jupyter"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "jupyter.conf + local_overrides.py")
    env = spark_env(procs, local, conf_dir, harness.container_env(container))
    env.update(overrides.jupyter_env(local))
    return env


@dataclass
class JupyterLab:
    proc: harness.Proc
    url: str
    auth: dict[str, str]
    notebook: str


@pytest.fixture(scope="session")
def jupyterlab(procs, render, jupyter_env, work):
    """A real JupyterLab server started with the rendered start script's command line, the
    shipped notebook seeded as the script seeds it, and a random token in JUPYTER_TOKEN."""
    cmd = harness.jupyter_command(render.jupyter_files()["jupyter-start.sh"])
    home = work / "jupyter-home"
    root = home / "notebooks"
    root.mkdir(parents=True)
    name, text = shipped_notebook(render)
    (root / name).write_text(text)  # what the start script's seed_notebooks does
    port = harness.free_port()
    cmd = harness.localize_jupyter_command(cmd, str(Path(harness.python_bin_dir()) / "python"), str(home),
                                           overrides.jupyter_args(port, str(root)))
    cmd += overrides.jupyter_extra_args(os.geteuid())
    token = secrets.token_hex(24)
    env = dict(jupyter_env)
    env.update({"JUPYTER_TOKEN": token, "HOME": str(home)})  # the script runs with HOME=$WORKSPACE
    proc = procs.start("jupyterlab", cmd, env)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"token {token}"}
    harness.wait_until("JupyterLab answers /api/status with the token",
                       lambda: harness.http_get(f"{base}/api/status", auth)[0] == 200, JUPYTER_START_TIMEOUT, proc)
    yield JupyterLab(proc, base, auth, name)
    procs.stop(proc)


# ---------------------------------------------------------------- timing summary


def pytest_runtest_logreport(report):
    _TIMES[report.nodeid] = _TIMES.get(report.nodeid, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section("integration tier: wall time per test (setup + call + teardown)")
    for nodeid, secs in _TIMES.items():
        tr.write_line(f"{secs:7.1f}s  {nodeid}")
    tr.write_line(f"{sum(_TIMES.values()):7.1f}s  sum of tests; {time.monotonic() - _STARTED:.1f}s pytest wall time")
    if OBSERVED:
        tr.section("integration tier: user-visible error texts observed in this run")
        for k, v in OBSERVED.items():
            tr.write_line(f"{k}: {v}")

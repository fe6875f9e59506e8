"""Case 10: the Spark Connect server as its Deployment runs it (the rendered start script,
container env and connect.conf); a thin client (pyspark-client, no JVM) that runs a DataFrame
job and a Parquet round trip through the store; the shipped spark-connect notebook top to bottom
against it; the server's event log in the store once the server is stopped as Kubernetes stops
a pod (SIGTERM to its first process only), and the History Server listing it with the sessions'
jobs. With a wrong secret key the server exits with the store's 403, with no key at all naming
the missing credentials; with no server, the notebook's first cell says so at once (the client
itself would retry for minutes)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import harness
import local_overrides as overrides
from conftest import HERE, HISTORY_LIST_BOUND, JOB_TIMEOUT, MAIN_BUCKET, OBSERVED, result_line, spark_env
from test_6_bad_input import BAD_INPUT_BOUND, assert_failed_as_promised, first_line_with, outcome, run_until_failure

#: From start to the gRPC port answering (JVM, SparkContext, event log in the store, gRPC server).
CONNECT_START_TIMEOUT = 120
#: From SIGTERM to the process' exit: the pod's grace period.
CONNECT_STOP_GRACE = 90
#: The server's application name (connect.conf spark.app.name).
CONNECT_APP_NAME = "spark-connect"


def connect_python() -> str:
    py = os.environ.get("SPARKPLAT_CONNECT_PYTHON", "")
    if not py:
        pytest.fail("SPARKPLAT_CONNECT_PYTHON is not set, but the render has a Spark Connect server: run this tier through test/integration/run.sh")
    return py


@pytest.fixture(scope="module")
def connect_render(render):
    if not (render.root / "spark" / "connect.conf").exists():
        pytest.fail("the render has no spark/connect.conf: sparkConnect is on by default")
    deployment = render.object("Deployment", "spark-connect")
    files = render.object("ConfigMap", "spark-connect-conf")["data"]
    return deployment["spec"]["template"]["spec"]["containers"][0], files


def start_connect_server(procs, render, connect_render, local_factory, work: Path, name: str, secret: str | None = None,
                         access_key: str | None = None):
    """The server with its container's command and env; its ConfigMap's files in a local folder."""
    container, files = connect_render
    port = harness.free_port()
    local = local_factory(MAIN_BUCKET, secret=secret, access_key=access_key, connect_port=port,
                          driver_port=harness.free_port(), block_manager_port=harness.free_port())
    conf_dir = work / f"conf-{name}"
    conf_dir.mkdir()
    (conf_dir / "connect-start.sh").write_text(files["connect-start.sh"])
    conf = harness.localize_conf("connect", harness.parse_conf(files["spark-defaults.conf"]), local)
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "connect.conf + local_overrides.py")
    mount = {"/opt/platform/spark-conf": str(conf_dir)}
    env = spark_env(procs, local, conf_dir, {k: harness.map_paths(v, mount) for k, v in harness.container_env(container).items()})
    env["POD_NAME"] = f"{name}-pod"  # the downward API's metadata.name
    cmd = [harness.map_paths(harness.map_paths(a, mount), overrides.paths(local)) for a in container["command"]]
    return procs.start(name, cmd, env), port


def port_open(port: int) -> bool:
    import socket
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_as_kubernetes_does(proc: harness.Proc, grace: float) -> int | None:
    """SIGTERM to the container's first process only, as the kubelet sends it; None if it outlives the grace."""
    os.kill(proc.popen.pid, signal.SIGTERM)
    try:
        return proc.popen.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        return None


NOTEBOOK = "spark-connect.ipynb"
NOTEBOOK_TIMEOUT = 600
#: The notebook's own check of the server's port (10 s) and a kernel's start.
NO_SERVER_BOUND = 60


@pytest.fixture(scope="module")
def connect_server(procs, render, connect_render, local_factory, main_bucket, work):
    server, port = start_connect_server(procs, render, connect_render, local_factory, work, "connect-server")
    harness.wait_until("the Spark Connect server's gRPC port answers", lambda: port_open(port), CONNECT_START_TIMEOUT, server)
    state = {"proc": server, "port": port, "app_id": None}
    yield state
    procs.stop(server)


def run_notebook(render, jupyter_env, work, connect_url: str, name: str) -> None:
    files = render.jupyter_files()
    assert NOTEBOOK in files, f"the Jupyter ConfigMaps carry no {NOTEBOOK}: {sorted(files)}"
    nb = nbformat.reads(files[NOTEBOOK], as_version=4)
    home = work / name
    (home / "notebooks").mkdir(parents=True)
    client = NotebookClient(nb, timeout=NOTEBOOK_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(home / "notebooks")}})
    client.execute(env={**jupyter_env, "HOME": str(home), **overrides.connect_env(connect_url)})


def test_thin_client_runs_a_job(procs, connect_server, main_bucket, moto):
    bucket, _ = main_bucket
    server, port = connect_server["proc"], connect_server["port"]
    data_uri = f"s3a://{bucket}/spark-data/connect-it/"
    # No Java anywhere near the client: the thin client needs none.
    client_env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME", "PYTHONPATH")}
    rc, out = procs.run("connect-client", [connect_python(), str(HERE / "apps" / "connect_client.py"), f"sc://127.0.0.1:{port}", data_uri],
                        procs.env(client_env), JOB_TIMEOUT)
    assert rc == 0, f"the thin client failed (rc={rc}):\n{harness.tail(out, 60)}\nserver:\n{harness.tail(harness.without_stack_frames(server.text()))}"
    res = result_line(out)
    assert {int(k): v for k, v in res["counts"].items()} == {k: 10_000 for k in range(10)}, res["counts"]
    assert res["rowsReadBack"] == 100_000
    OBSERVED["Spark Connect thin client"] = f"first query {res['firstQuerySeconds']} s, job {res['jobSeconds']} s (local[2])"
    keys = [k for k, _ in moto.keys(bucket, "spark-data/connect-it/")]
    assert any(k.endswith(".parquet") for k in keys) and any(k.endswith("_SUCCESS") for k in keys), keys
    connect_server["app_id"] = res["appId"]


def test_shipped_notebook_runs_against_the_server(render, jupyter_env, connect_server, main_bucket, moto, work):
    bucket, _ = main_bucket
    run_notebook(render, jupyter_env, work, f"sc://127.0.0.1:{connect_server['port']}", "connect-notebook-home")
    keys = [k for k, _ in moto.keys(bucket, "spark-data/spark-connect/orders/")]
    assert any(k.endswith(".parquet") for k in keys), f"the notebook wrote no Parquet under spark-data/spark-connect/orders/: {keys}"


def test_server_stopped_as_a_pod_lists_its_sessions(connect_server, main_bucket, moto, history_server):
    bucket, prefix = main_bucket
    app_id = connect_server["app_id"]
    assert app_id, "the thin client's test did not run first"
    rc = stop_as_kubernetes_does(connect_server["proc"], CONNECT_STOP_GRACE)
    assert rc is not None, f"the server did not stop within {CONNECT_STOP_GRACE}s of SIGTERM to its first process"
    # The event log is rolled: eventlog_v2_<id>/events_1_<id>.<codec> and its appstatus file, in the store once closed.
    logs = [k for k, _ in moto.keys(bucket, f"{prefix}eventlog_v2_{app_id}/")]
    assert any(f"/events_1_{app_id}" in k for k in logs), f"no rolled event log of {app_id} under {prefix}: {logs}"
    app = history_server.wait_for_completed(app_id, CONNECT_APP_NAME, HISTORY_LIST_BOUND)
    code, body = harness.http_get(f"{history_server.url}/api/v1/applications/{app_id}/jobs")
    # The thin client's and the notebook's queries, each one or more jobs.
    jobs = body.count('"jobId"')
    assert code == 200 and jobs >= 4, f"the History Server shows too few jobs of the sessions: {code} {body[:400]}"
    OBSERVED["Spark Connect server in the History Server"] = f"{app['id']} {app['name']}, completed after SIGTERM, {jobs} jobs"


def test_wrong_secret_key_stops_the_server_with_the_403(procs, render, connect_render, local_factory, main_bucket, work):
    _, prefix = main_bucket
    server, _ = start_connect_server(procs, render, connect_render, local_factory, work, "connect-wrong-secret", secret="wrong-secret-key")
    want = harness.expected_error("connectServerAccessDenied", dir=f"s3a://{MAIN_BUCKET}/{prefix.rstrip('/')}")
    try:
        exited, text = run_until_failure(server, want["text"], BAD_INPUT_BOUND)
    finally:
        procs.stop(server)
    OBSERVED["Spark Connect server, wrong secret"] = outcome(server, exited) + (first_line_with(text, want["text"][:30]) or harness.tail(text, 5))
    assert_failed_as_promised(server, want, exited, text)


def test_missing_keys_stop_the_server_naming_them(procs, render, connect_render, local_factory, main_bucket, work):
    """No key at all (the store's Secret left empty): the server exits at start, saying no credentials were found."""
    _, prefix = main_bucket
    server, _ = start_connect_server(procs, render, connect_render, local_factory, work, "connect-no-keys", secret="", access_key="")
    want = harness.expected_error("connectServerNoCredentials", dir=f"s3a://{MAIN_BUCKET}/{prefix.rstrip('/')}")
    try:
        exited, text = run_until_failure(server, want["text"], BAD_INPUT_BOUND)
    finally:
        procs.stop(server)
    OBSERVED["Spark Connect server, no keys"] = outcome(server, exited) + (first_line_with(text, want["text"][:30]) or harness.tail(text, 5))
    assert_failed_as_promised(server, want, exited, text)


def test_notebook_without_a_server_says_so_at_once(render, jupyter_env, work):
    port = harness.free_port()
    started = time.monotonic()
    with pytest.raises(CellExecutionError) as e:
        run_notebook(render, jupyter_env, work, f"sc://127.0.0.1:{port}", "connect-notebook-no-server")
    took = time.monotonic() - started
    assert f"the Spark Connect server at 127.0.0.1:{port} does not answer" in str(e.value), harness.tail(str(e.value), 20)
    assert took < NO_SERVER_BOUND, f"the notebook took {took:.0f}s to report a missing server"
    OBSERVED["Spark Connect notebook, no server"] = f"after {took:.0f} s: " + first_line_with(str(e.value), "RuntimeError: the Spark Connect server")

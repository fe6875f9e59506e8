"""Case 10: the Spark Connect server as its Deployment runs it (the rendered start script,
container env and connect.conf), a thin client (pyspark-client, no JVM) that runs a DataFrame
job and a Parquet round trip through the store, the server's event log in the store once the
server is stopped as Kubernetes stops a pod (SIGTERM to its first process only), and the History
Server listing it. With a wrong secret key the server exits with the store's 403."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

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


def start_connect_server(procs, render, connect_render, local_factory, work: Path, name: str, secret: str | None = None):
    """The server with its container's command and env; its ConfigMap's files in a local folder."""
    container, files = connect_render
    port = harness.free_port()
    local = local_factory(MAIN_BUCKET, secret=secret, connect_port=port,
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


def test_thin_client_job_event_log_and_history(procs, render, connect_render, local_factory, main_bucket, moto,
                                               history_server, work):
    bucket, prefix = main_bucket
    server, port = start_connect_server(procs, render, connect_render, local_factory, work, "connect-server")
    try:
        harness.wait_until("the Spark Connect server's gRPC port answers", lambda: port_open(port), CONNECT_START_TIMEOUT, server)
        data_uri = f"s3a://{bucket}/spark-data/connect-it/"
        # No Java anywhere near the client: the thin client needs none.
        client_env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME", "PYTHONPATH")}
        rc, out = procs.run("connect-client", [connect_python(), str(HERE / "apps" / "connect_client.py"), f"sc://127.0.0.1:{port}", data_uri],
                            procs.env(client_env), JOB_TIMEOUT)
        assert rc == 0, f"the thin client failed (rc={rc}):\n{harness.tail(out, 60)}\nserver:\n{harness.tail(harness.without_stack_frames(server.text()))}"
        res = result_line(out)
        assert res["counts"] == {str(k): 10_000 for k in range(10)} or res["counts"] == {k: 10_000 for k in range(10)}, res["counts"]
        assert res["rowsReadBack"] == 100_000
        OBSERVED["Spark Connect thin client"] = f"first query {res['firstQuerySeconds']} s, job {res['jobSeconds']} s (local[2])"
        keys = [k for k, _ in moto.keys(bucket, "spark-data/connect-it/")]
        assert any(k.endswith(".parquet") for k in keys) and any(k.endswith("_SUCCESS") for k in keys), keys
        app_id = res["appId"]
    finally:
        rc = stop_as_kubernetes_does(server, CONNECT_STOP_GRACE)
        procs.stop(server)
    assert rc is not None, f"the server did not stop within {CONNECT_STOP_GRACE}s of SIGTERM to its first process"
    # The event log is rolled: eventlog_v2_<id>/events_1_<id>.<codec> and its appstatus file, in the store once closed.
    logs = [k for k, _ in moto.keys(bucket, f"{prefix}eventlog_v2_{app_id}/")]
    assert any(f"/events_1_{app_id}" in k for k in logs), f"no rolled event log of {app_id} under {prefix}: {logs}"
    app = history_server.wait_for_completed(app_id, CONNECT_APP_NAME, HISTORY_LIST_BOUND)
    code, body = harness.http_get(f"{history_server.url}/api/v1/applications/{app_id}/jobs")
    assert code == 200 and body.count('"jobId"') >= 2, f"the History Server shows no jobs of the client's session: {code} {body[:400]}"
    OBSERVED["Spark Connect server in the History Server"] = f"{app['id']} {app['name']}, completed after SIGTERM"


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


def test_client_without_a_server_fails_with_its_address(procs, work):
    """A client whose server is not there (port-forward not running, server down) gets an error
    naming the address, within a bound, instead of hanging."""
    port = harness.free_port()
    started = time.monotonic()
    rc, out = procs.run("connect-client-no-server", [connect_python(), str(HERE / "apps" / "connect_client.py"), f"sc://127.0.0.1:{port}", "s3a://x/y/"],
                        procs.env({}), JOB_TIMEOUT)
    took = time.monotonic() - started
    assert rc != 0
    assert f"127.0.0.1:{port}" in out, harness.tail(out, 30)
    OBSERVED["Spark Connect client, no server"] = f"after {took:.0f} s: " + (first_line_with(out, "127.0.0.1") or harness.tail(out, 3))

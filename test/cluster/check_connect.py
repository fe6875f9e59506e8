"""After the spark-connect notebook ran in the JupyterLab pod against the Spark Connect server
(test/cluster/run.sh): its rows were handled by executor pods of the server, its Parquet output
is in the store; then, once the server pod was restarted (its JVM stopped by SIGTERM), the
server's rolled event log is in the store and the History Server lists the application as
completed, with the notebook's jobs.

    python check_connect.py STATE_DIR notebook   # after the notebook: prints the server's application id
    python check_connect.py STATE_DIR history APP_ID   # after the restart
"""
from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

from state import read_state, store_keys, wait_listed_completed


def fail(msg: str) -> None:
    sys.exit(f"check_connect: {msg}")


def after_notebook(state: Path) -> None:
    env = read_state(state)
    out = (state / "connect.out").read_text()
    workers = len(env["NODE_NAMES"].split()) - 1
    app = re.search(r"\| application (spark-[0-9a-f]+)", out)
    if not app:
        fail(f"the notebook printed no application id of the server; its output:\n{out}")
    hosts = re.findall(r"^  (\S+): (\d+) elements$", out, re.M)
    # Rows went through a Python UDF in executor pods of the server (pod names spark-connect-exec-<n>).
    if not hosts or not all(h.startswith("spark-connect-exec-") for h, _ in hosts) or sum(int(n) for _, n in hosts) != 1000:
        fail(f"the rows were not handled by executor pods of the server: {hosts}")
    if len(hosts) > workers:
        fail(f"{len(hosts)} executors for {workers} workers: dynamic allocation is bounded by the worker count")
    if "rows written and read back: 100000" not in out:
        fail(f"the Parquet round trip through the store did not report 100000 rows:\n{out}")
    written = store_keys(env, "spark-data/spark-connect/orders/")
    if not any(k.endswith(".parquet") for k in written) or not any(k.endswith("_SUCCESS") for k in written):
        fail(f"no committed Parquet output in s3://{env['BUCKET']}/spark-data/spark-connect/orders/: {written}")
    print(f"check_connect: {len(hosts)} executor pod(s) of the server handled the notebook's rows; output in the store", file=sys.stderr)
    print(app.group(1))


def after_restart(state: Path, app_id: str) -> None:
    env = read_state(state)
    prefix = f"{env['EVENT_LOG_PREFIX']}/eventlog_v2_{app_id}/"
    logs = store_keys(env, prefix)
    if not any(f"/events_1_{app_id}" in k for k in logs):
        fail(f"no rolled event log of {app_id} in s3://{env['BUCKET']}/{prefix} after the server stopped: {logs}")
    info, last = wait_listed_completed(env, app_id, 180)
    if info is None:
        fail(f"the History Server did not list {app_id} as completed within 180s; last answer: {last}")
    with urllib.request.urlopen(f"{env['HISTORY_URL']}/api/v1/applications/{app_id}/jobs", timeout=10) as r:
        jobs = json.load(r)
    if len(jobs) < 3:
        fail(f"the History Server shows {len(jobs)} jobs of {app_id}; the notebook ran more")
    print(f"check_connect: {app_id} ({info['name']}) listed as completed by the History Server with {len(jobs)} jobs", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[2] == "notebook":
        after_notebook(Path(sys.argv[1]))
    elif len(sys.argv) == 4 and sys.argv[2] == "history":
        after_restart(Path(sys.argv[1]), sys.argv[3])
    else:
        sys.exit(__doc__)

"""After the shipped notebook ran in the JupyterLab pod (test/cluster/run.sh): its executors were
pods of the cluster that reached the kernel's driver, its Parquet output is in the store, and
the History Server pod lists its application as completed, with those executors.

    python check_notebook.py STATE_DIR
"""
from __future__ import annotations

import json
import re
import sys
import urllib.request
from pathlib import Path

from state import read_state, store_keys, wait_listed_completed


def fail(msg: str) -> None:
    sys.exit(f"check_notebook: {msg}")


def main(state: Path) -> None:
    env = read_state(state)
    out = (state / "notebook.out").read_text()
    workers = len(env["NODE_NAMES"].split()) - 1

    app = re.search(r"\| application (spark-[0-9a-f]+)", out)
    if not app:
        fail(f"the notebook printed no application id; its output:\n{out}")
    app_id = app.group(1)
    m = re.search(r"executors registered: (\d+) \(configured: (\d+)\)", out)
    if not m or int(m.group(1)) != int(m.group(2)) or int(m.group(2)) != workers:
        fail(f"expected {workers} executors registered (one per worker); the notebook printed:\n{out}")
    hosts = re.findall(r"^  (\S+): (\d+) elements$", out, re.M)
    # Tasks ran in executor pods, whose host names are their pod names.
    if not hosts or not all("-exec-" in h for h, _ in hosts) or sum(int(n) for _, n in hosts) != 1000:
        fail(f"tasks did not run in executor pods: {hosts}")
    if "rows written and read back: 100000" not in out:
        fail(f"the Parquet round trip through the store did not report 100000 rows:\n{out}")

    keys = store_keys(env, "spark-data/getting-started/orders/")
    if not any(k.endswith(".parquet") for k in keys) or not any(k.endswith("_SUCCESS") for k in keys):
        fail(f"no committed Parquet output in s3://{env['BUCKET']}/spark-data/getting-started/orders/: {keys}")
    logs = store_keys(env, f"{env['EVENT_LOG_PREFIX']}/{app_id}")
    if not logs:
        fail(f"no event log of {app_id} under s3://{env['BUCKET']}/{env['EVENT_LOG_PREFIX']}/")

    info, last = wait_listed_completed(env, app_id, 180)
    if info is None:
        fail(f"the History Server did not list {app_id} as completed within 180s; last answer: {last}")
    with urllib.request.urlopen(f"{env['HISTORY_URL']}/api/v1/applications/{app_id}/allexecutors", timeout=10) as r:
        executors = [e for e in json.load(r) if e["id"] != "driver"]
    if len(executors) < workers:
        fail(f"the History Server shows {len(executors)} executors of {app_id}, expected {workers}")
    print(f"check_notebook: {app_id}: {len(hosts)} executor pods ran its tasks, output and event log in the store, "
          f"listed as completed by the History Server with {len(executors)} executors")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

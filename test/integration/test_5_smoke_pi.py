"""Case 5: the smoke SparkApplication's Python Pi, with its own sparkConf (the jobs conf),
run locally; then the History Server lists it under the application's name, as
scripts/smoke-check.sh checks in the cluster."""
from pathlib import Path

import harness
import local_overrides as overrides
from conftest import HISTORY_LIST_BOUND, jobs_env, run_python_job


def test_smoke_application_runs_pi(procs, render, local_factory, main_bucket, work, history_server, moto):
    app = render.smoke_application()
    spec = app["spec"]
    assert spec["type"] == "Python"
    spark_conf = {k: str(v) for k, v in spec.get("sparkConf", {}).items()}
    assert spark_conf == render.conf("jobs"), "the smoke test must run with exactly jobs.conf"

    local = local_factory(main_bucket[0])
    main = spec["mainApplicationFile"]
    assert main.startswith("local://"), main
    script = Path(harness.map_paths(main[len("local://"):], overrides.paths(local)))
    assert script.is_file(), f"{main} maps to {script}, which pyspark does not ship"

    conf = harness.localize_conf("jobs", spark_conf, local)
    if "memory" in spec.get("driver", {}):  # the operator turns driver.memory into spark.driver.memory
        conf["spark.driver.memory"] = spec["driver"]["memory"]
    conf_dir = work / "conf-smoke"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "SparkApplication sparkConf + local_overrides.py")
    env = jobs_env(procs, local, conf, conf_dir, harness.container_env(spec.get("driver", {})))
    name = app["metadata"]["name"]
    bucket, prefix = main_bucket
    before = {k for k, _ in moto.keys(bucket, prefix)}
    rc, out = run_python_job(procs, "case5-smoke-pi", script, [str(a) for a in spec.get("arguments", [])],
                             env, app_name=name)
    assert rc == 0, harness.tail(harness.without_stack_frames(out), 60)
    assert "Pi is roughly 3.1" in out, harness.tail(out)
    # The operator records the application id; scripts/smoke-check.sh looks it up in the History
    # Server. Here the id is the one new event log under the prefix.
    after = {k for k, _ in moto.keys(bucket, prefix)}
    ids = sorted(harness.event_log_app_ids(after - before, prefix))
    assert len(ids) == 1, f"expected one new event log, got {ids}"
    # pi.py names itself: the README and the smokeTest output tell users to look for this name.
    listed = history_server.wait_for_completed(ids[0], "PythonPi", HISTORY_LIST_BOUND)
    assert listed["name"] == "PythonPi", listed

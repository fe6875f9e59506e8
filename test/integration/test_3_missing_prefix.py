"""Case 3: without the zero-byte directory object at the event-log prefix a job cannot start;
with it, the same job starts. The user-visible error is kept in expected-errors.json."""
import harness
from conftest import HERE, OBSERVED, jobs_env, result_line, run_python_job

def exception_line(text: str, needle: str) -> str:
    for line in text.splitlines():
        if needle in line:
            return line.strip().lstrip(": ")
    return ""


def test_missing_prefix_object_fails_then_works(procs, render, local_factory, moto, work):
    bucket = "spark-platform-it-no-prefix"
    _, prefix = harness.event_log_prefix(render.conf("jobs")["spark.eventLog.dir"])
    moto.s3().create_bucket(Bucket=bucket)  # a bucket without the directory object
    local = local_factory(bucket)
    conf = harness.localize_conf("jobs", render.conf("jobs"), local)
    conf_dir = work / "conf-missing-prefix"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "jobs.conf + local_overrides.py")
    rc, out = run_python_job(procs, "case3-missing-prefix", HERE / "apps" / "missing_prefix.py",
                             [moto.endpoint, moto.access_key, moto.secret_key, bucket, prefix],
                             jobs_env(procs, local, conf, conf_dir), app_name="sparkplat-it-missing-prefix")
    assert rc == 0, harness.tail(harness.without_stack_frames(out), 60)
    res = result_line(out)
    assert res["first"] == "failed", "Spark started although the event-log prefix object was missing"
    want = harness.expected_error("missingEventLogPrefix", dir=f"s3a://{bucket}/{prefix.rstrip('/')}")["text"]
    OBSERVED["missing prefix (driver)"] = exception_line(res["error"], "Exception")
    assert want in res["error"], f"expected {want!r} in:\n{harness.without_stack_frames(res['error'])}"
    # With the object, the same process starts Spark and the event log lands.
    assert res["count"] == 1000
    assert any(res["appId"] in k for k, _ in moto.keys(bucket, prefix))

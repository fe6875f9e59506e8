"""Case 6: the History Server with a bucket that does not exist, with a wrong secret key and
with a missing prefix object: it fails within a bound with a message naming the problem,
never a silent hang."""
import time

import pytest

import harness
from conftest import MAIN_BUCKET, OBSERVED, start_history_server

#: From start to the failure being visible (JVM start + S3A init + first listing).
BAD_INPUT_BOUND = 120


def run_until_failure(proc: harness.Proc, needle: str, bound: float) -> tuple[bool, str]:
    """Wait until the process exits or its log shows needle; (exited, log)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if not proc.alive():
            return True, proc.text()
        if needle in proc.text():
            try:  # it printed the error; see whether it also exits (a crash-looping pod) or stays up
                proc.popen.wait(timeout=15)
            except Exception:  # subprocess.TimeoutExpired
                pass
            return not proc.alive(), proc.text()
        time.sleep(1)
    raise AssertionError(f"{proc.name}: neither exited nor logged {needle!r} within {bound}s (silent hang):\n"
                         f"{harness.tail(harness.without_stack_frames(proc.text()))}")


def start_bad(procs, render, local_factory, work, name: str, bucket: str, secret: str | None = None):
    store = work / f"store-{name}"
    store.mkdir()
    local = local_factory(bucket, secret=secret, history_store=str(store), history_port=harness.free_port())
    return start_history_server(procs, render, local, work / f"conf-{name}", name)


def outcome(proc: harness.Proc, exited: bool) -> str:
    return f"[exited rc={proc.popen.returncode}] " if exited else "[still running, logged] "


def first_line_with(text: str, needle: str) -> str:
    return next((l.strip() for l in text.splitlines() if needle in l), "")


def assert_failed_as_promised(proc: harness.Proc, want: dict, exited: bool, text: str) -> None:
    assert want["text"] in text, f"expected {want['text']!r} in:\n{harness.tail(harness.without_stack_frames(text))}"
    # expected-errors.json (and the README) promise the process exits: a pod that stays up
    # while it cannot read the bucket would look healthy and list nothing.
    assert exited and proc.popen.returncode == want["exit"], \
        f"{proc.name}: expected exit {want['exit']}, got {outcome(proc, exited)}"


@pytest.mark.parametrize("case", ["missing-bucket", "wrong-secret"])
def test_history_server_fails_loudly(case, procs, render, local_factory, moto, main_bucket, work):
    _, prefix = main_bucket
    if case == "missing-bucket":
        bucket, secret = "spark-platform-it-no-such-bucket", None
        want = harness.expected_error("historyServerMissingBucket", dir=f"s3a://{bucket}/{prefix.rstrip('/')}")
    else:
        bucket, secret = MAIN_BUCKET, "wrong-secret-key"
        want = harness.expected_error("historyServerAccessDenied", dir=f"s3a://{bucket}/{prefix.rstrip('/')}")
    proc = start_bad(procs, render, local_factory, work, f"case6-hs-{case}", bucket, secret)
    try:
        exited, text = run_until_failure(proc, want["text"], BAD_INPUT_BOUND)
    finally:
        procs.stop(proc)
    OBSERVED[f"History Server, {case}"] = outcome(proc, exited) + (first_line_with(text, want["text"][:30]) or harness.tail(text, 5))
    assert_failed_as_promised(proc, want, exited, text)


def test_history_server_missing_prefix_object(procs, render, local_factory, moto, main_bucket, work):
    """Bucket exists, prefix object does not: what the History Server says."""
    bucket = "spark-platform-it-hs-no-prefix"
    moto.s3().create_bucket(Bucket=bucket)
    _, prefix = main_bucket
    proc = start_bad(procs, render, local_factory, work, "case6-hs-missing-prefix", bucket)
    want = harness.expected_error("historyServerMissingPrefix", dir=f"s3a://{bucket}/{prefix.rstrip('/')}")
    try:
        exited, text = run_until_failure(proc, want["text"], BAD_INPUT_BOUND)
    finally:
        procs.stop(proc)
    OBSERVED["History Server, missing prefix"] = outcome(proc, exited) + (first_line_with(text, want["text"][:30]) or harness.tail(text, 5))
    assert_failed_as_promised(proc, want, exited, text)

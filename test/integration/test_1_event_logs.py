"""Case 1: a job with the rendered jobs.conf writes its event log to S3, rolled and compressed
as the conf says (checked through the S3 API, not a filesystem)."""
import re

import harness


def test_event_log_lands_under_prefix_rolled_and_compressed(event_log_app, moto):
    app_id = event_log_app["app_id"]
    conf = event_log_app["conf"]
    bucket, prefix = event_log_app["bucket"], event_log_app["prefix"]
    layout = harness.event_log_layout(conf)
    suffix = f".{layout['codec']}" if layout["codec"] else ""
    keys = dict(moto.keys(bucket, prefix))
    mine = {k: size for k, size in keys.items() if app_id in k}
    assert mine, f"no object for {app_id} under s3://{bucket}/{prefix}: {sorted(keys)}"

    if layout["rolling"]:
        d = f"{prefix}eventlog_v2_{app_id}/"
        events = sorted(k for k in mine if re.fullmatch(re.escape(f"{d}events_") + r"\d+_" + re.escape(app_id + suffix), k))
        assert events, f"no rolled events_<n>_{app_id}{suffix} under {d}: {sorted(mine)}"
        assert events[0] == f"{d}events_1_{app_id}{suffix}", events
        # appstatus_<id> without .inprogress: the application finished and closed its log.
        assert f"{d}appstatus_{app_id}" in mine, f"no appstatus file (or still .inprogress): {sorted(mine)}"
        first = events[0]
    else:
        first = f"{prefix}{app_id}{suffix}"
        assert first in mine, f"expected single event log {first}: {sorted(mine)}"
    assert mine[first] > 0

    body = moto.s3().get_object(Bucket=bucket, Key=first)["Body"].read()
    if layout["codec"] in harness.CODEC_MAGIC:
        magic = harness.CODEC_MAGIC[layout["codec"]]
        assert body.startswith(magic), f"{first} does not start with the {layout['codec']} magic {magic!r}"
    if not layout["codec"]:
        assert b"SparkListenerApplicationStart" in body
    print(f"event log of {app_id}: {sorted(mine)} ({event_log_app['seconds']:.0f}s job)")

"""Case 1: a job with the rendered jobs.conf writes its event log to S3 as one file per
application, compressed with the conf's codec (checked through the S3 API, not a filesystem)."""
import harness


def test_event_log_lands_under_prefix_as_one_compressed_file(event_log_app, moto):
    app_id = event_log_app["app_id"]
    conf = event_log_app["conf"]
    bucket, prefix = event_log_app["bucket"], event_log_app["prefix"]
    layout = harness.event_log_layout(conf)
    suffix = f".{layout['codec']}" if layout["codec"] else ""
    keys = dict(moto.keys(bucket, prefix))
    mine = {k: size for k, size in keys.items() if app_id in k}
    assert mine, f"no object for {app_id} under s3://{bucket}/{prefix}: {sorted(keys)}"

    # What the README and bench/results.md describe: one zstd-compressed file per application.
    assert layout == {"rolling": False, "codec": "zstd"}, f"jobs.conf's event-log layout is {layout}"
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

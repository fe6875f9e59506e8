"""The settings of one run of the local platform, as tools/cluster writes them into its state folder:
cluster.env (tools/cluster/prepare.ts, shell-quoted) and platform.env (tools/cluster/local.sh); and
the two reads the checks make with them: keys in the test bucket, and the History Server's
listing of an application."""
from __future__ import annotations

import json
import shlex
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config


def read_state(state: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("cluster.env", "platform.env"):
        for line in (state / name).read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                out[key] = "".join(shlex.split(value))
    return out


def store_keys(env: dict[str, str], prefix: str) -> list[str]:
    """Keys under prefix in the test bucket, read with the admin's keys (first page: the checks' prefixes are small)."""
    s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], region_name="us-east-1",
                      aws_access_key_id=env["ADMIN_ACCESS_KEY"], aws_secret_access_key=env["ADMIN_SECRET_KEY"],
                      config=Config(s3={"addressing_style": "path"}))
    return [o["Key"] for o in s3.list_objects_v2(Bucket=env["BUCKET"], Prefix=prefix).get("Contents", [])]


def wait_listed_completed(env: dict[str, str], app_id: str, bound: float) -> tuple[dict | None, str]:
    """The History Server's record of app_id once it lists it as completed, or None if not within
    bound; and its last answer otherwise."""
    deadline = time.monotonic() + bound
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{env['HISTORY_URL']}/api/v1/applications/{app_id}", timeout=10) as r:
                info = json.load(r)
            if info["attempts"] and all(a.get("completed") for a in info["attempts"]):
                return info, ""
            last = json.dumps(info)
        except OSError as e:
            last = str(e)
        time.sleep(3)
    return None, last

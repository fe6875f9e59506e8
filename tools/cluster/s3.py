"""The local platform's S3: a moto server on the test bridge, with IAM enforced.

    python s3.py start STATE_DIR HOST PORT BUCKET EVENT_LOG_PREFIX

Starts moto (detached; its PID in STATE_DIR/moto.pid, its log in STATE_DIR/moto.log), makes two
users while requests are still unauthenticated, `admin` (s3:*) for the test's own setup and
`node` (S3 on BUCKET only: what the platform's pods get through the Secret), then turns
authentication on, makes BUCKET and the event-log folder object (what a user of a store of
their own does once; on AWS the program makes both), and prints shell assignments:
S3_ENDPOINT, NODE_ACCESS_KEY, NODE_SECRET_KEY, ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config

# The integration tier's moto helpers (user set-up with IAM enforcement).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "test" / "integration"))
import harness  # noqa: E402


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"moto exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"moto did not answer {url} within {timeout:.0f}s: {log.read_text()[-2000:]}")


def client(endpoint: str, key: str, secret: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))


def start(state: Path, host: str, port: int, bucket: str, prefix: str) -> None:
    endpoint = f"http://{host}:{port}"
    log = state / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    (state / "moto.pid").write_text(f"{proc.pid}\n")
    wait_for(f"{endpoint}/moto-api/", proc, log)
    node_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                           "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    keys = harness.moto_users(endpoint, "spark-platform-cluster", {"admin": harness.ADMIN_POLICY, "node": json.dumps(node_policy)})
    s3 = client(endpoint, *keys["admin"])
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{prefix}/", Body=b"")
    print(f"S3_ENDPOINT={endpoint}")
    print(f"NODE_ACCESS_KEY={keys['node'][0]}")
    print(f"NODE_SECRET_KEY={keys['node'][1]}")
    print(f"ADMIN_ACCESS_KEY={keys['admin'][0]}")
    print(f"ADMIN_SECRET_KEY={keys['admin'][1]}")


if __name__ == "__main__":
    if len(sys.argv) != 7 or sys.argv[1] != "start":
        sys.exit(__doc__)
    start(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])

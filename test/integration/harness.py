"""Helpers of the real-component tier: rendered files, local Spark configuration, processes
(started on loopback, each in its own session, always stopped), moto, the History Server."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

import local_overrides as overrides
from local_overrides import Local

#: Every process this tier starts inherits this variable; teardown (and run.sh's trap) end
#: exactly the processes that carry this run's value, by pid.
RUN_MARKER = "SPARKPLAT_IT_RUN"


# ---------------------------------------------------------------- rendered files


def read_conf(path: Path) -> dict[str, str]:
    return parse_conf(path.read_text())


def parse_conf(text: str) -> dict[str, str]:
    """spark-defaults format: `key value` (value is the rest of the line), `#` comments."""
    conf: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        conf[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return conf


def write_conf(conf: dict[str, str], path: Path, header: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {h}" for h in header.splitlines()]
    lines += [f"{k} {v}" for k, v in conf.items()]
    path.write_text("\n".join(lines) + "\n")


def map_paths(value: str, mapping: dict[str, str]) -> str:
    """Replace cluster path prefixes (longest first, whole path components only)."""
    for src in sorted(mapping, key=len, reverse=True):
        value = re.sub(re.escape(src) + r"(?=/|$|[\s:,])", mapping[src].replace("\\", "\\\\"), value)
    return value


def localize_value(value: str, local: Local) -> str:
    for ph, v in overrides.placeholders(local).items():
        value = value.replace(ph, v)
    value = map_paths(value, overrides.paths(local))
    left = re.findall(r"<[a-z0-9-]+>", value)
    if left:
        raise AssertionError(f"unknown placeholder(s) {left} in rendered value {value!r}: add them to local_overrides.py")
    return value


def localize_conf(kind: str, rendered: dict[str, str], local: Local) -> dict[str, str]:
    """The rendered conf with placeholders filled, cluster paths mapped and overrides applied."""
    conf = {k: localize_value(v, local) for k, v in rendered.items()}
    for o in overrides.spark_conf(kind, local):
        if o.replaces and o.key not in rendered:
            raise AssertionError(f"override of {o.key} ({o.reason}) but the rendered {kind} conf has no such key")
        conf[o.key] = o.value
    return conf


def local_env(rendered_env: dict[str, str], local: Local) -> dict[str, str]:
    return {k: localize_value(v, local) for k, v in rendered_env.items()}


@dataclass
class Render:
    root: Path

    @property
    def versions(self) -> dict:
        return json.loads((self.root / "versions.json").read_text())

    def conf(self, name: str) -> dict[str, str]:
        return read_conf(self.root / "spark" / f"{name}.conf")

    def objects(self) -> list[dict]:
        out = []
        for f in sorted((self.root / "k8s").glob("*.yaml")):
            out += [d for d in yaml.safe_load_all(f.read_text()) if d]
        return out

    def object(self, kind: str, name: str) -> dict:
        for o in self.objects():
            if o.get("kind") == kind and o["metadata"]["name"] == name:
                return o
        raise AssertionError(f"the render has no {kind} {name} under {self.root / 'k8s'}")

    def find(self, kind: str, pred: Callable[[dict], bool], what: str) -> dict:
        hits = [o for o in self.objects() if o.get("kind") == kind and pred(o)]
        if len(hits) != 1:
            raise AssertionError(f"expected one {kind} ({what}) in the render, found {len(hits)}")
        return hits[0]

    def history_server_container(self) -> dict:
        def is_hs(o: dict) -> bool:
            return any("org.apache.spark.deploy.history.HistoryServer" in " ".join(c.get("command", []) + c.get("args", []))
                       for c in o["spec"]["template"]["spec"]["containers"])
        dep = self.find("Deployment", is_hs, "runs org.apache.spark.deploy.history.HistoryServer")
        return dep["spec"]["template"]["spec"]["containers"][0]

    def jupyter_deployment(self) -> dict:
        return self.find("Deployment", lambda o: o["metadata"]["name"] == "jupyter", "named jupyter")

    def jupyter_files(self) -> dict[str, str]:
        dep = self.jupyter_deployment()
        names = [v["configMap"]["name"] for v in dep["spec"]["template"]["spec"].get("volumes", []) if "configMap" in v]
        data: dict[str, str] = {}
        for n in names:
            data.update(self.object("ConfigMap", n).get("data", {}))
        return data

    def node_policy(self) -> str:
        """The nodes' S3 policy as the program deploys it, for the placeholder bucket."""
        return (self.root / "aws" / "node-s3-policy.json").read_text()

    def smoke_application(self) -> dict:
        return self.find("SparkApplication", lambda o: True, "the smoke test")


def container_env(container: dict) -> dict[str, str]:
    """The literal `value` env vars of a container (valueFrom ones are set by the tests)."""
    return {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}


def driver_env_from_conf(conf: dict[str, str]) -> dict[str, str]:
    """`spark.kubernetes.driverEnv.X` is the driver pod's environment in the cluster; a local
    driver gets it as its own environment."""
    prefix = "spark.kubernetes.driverEnv."
    return {k[len(prefix):]: v for k, v in conf.items() if k.startswith(prefix)}


def jupyter_command(start_script: str) -> list[str]:
    """The JupyterLab command line of the rendered start script (its `exec ... jupyterlab` line)."""
    joined = re.sub(r"\\\n\s*", " ", start_script)
    for line in joined.splitlines():
        s = line.strip()
        if s.startswith("exec ") and ("jupyterlab" in s or "jupyter lab" in s):
            return shlex.split(s)[1:]
    raise AssertionError("no `exec ... jupyterlab` line in the rendered jupyter-start.sh")


def localize_jupyter_command(cmd: list[str], python: str, home: str, replace: dict[str, str]) -> list[str]:
    out: list[str] = []
    seen = set()
    for i, a in enumerate(cmd):
        a = a.replace("$HOME", home).replace("${HOME}", home)
        if i == 0 and a.startswith("python"):
            a = python
        key = a.split("=", 1)[0]
        if key in replace and "=" in a:
            a = f"{key}={replace[key]}"
            seen.add(key)
        out.append(a)
    for key, v in replace.items():
        if key not in seen:
            raise AssertionError(f"the rendered JupyterLab command has no {key}=...: {cmd}")
    return out


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Procs:
    """Everything started by the tier, each in its own session; stop_all ends them all."""

    base_env: dict[str, str]
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        e = dict(self.base_env)
        e.update(extra or {})
        return e

    def start(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> Proc:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        proc = Proc(name, p, log)
        self.procs.append(proc)
        return proc

    def run(self, name: str, cmd: list[str], env: dict[str, str], timeout: float,
            cwd: Path | None = None) -> tuple[int, str]:
        """Run to completion within timeout (then killed and failed); returns (rc, output)."""
        proc = self.start(name, cmd, env, cwd)
        try:
            rc = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            raise AssertionError(f"{name} did not finish within {timeout:.0f}s; log tail:\n{tail(proc.text())}")
        return rc, proc.text()

    def stop(self, proc: Proc, grace: float = 10) -> None:
        if proc.popen.poll() is None:
            _signal_group(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(proc.popen.pid, signal.SIGKILL)
        try:
            proc.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)
        sweep(self.base_env.get(RUN_MARKER, ""))


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _ancestors() -> set[int]:
    """This process and its parents (run.sh's `timeout` carries the marker too)."""
    out, pid = set(), os.getpid()
    while pid > 1 and pid not in out:
        out.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return out


def spark_base_env(run_id: str) -> dict[str, str]:
    """This process's environment for the Spark processes a run starts: marked with the run's id
    (so leftovers can be found), this venv's python3 first on PATH (spark.pyspark.python and the
    kernel), and no submit args or conf dir of the caller's own."""
    env = dict(os.environ)
    env[RUN_MARKER] = run_id
    env["PATH"] = python_bin_dir() + os.pathsep + env.get("PATH", "")
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    env.pop("SPARK_CONF_DIR", None)
    return env


def marked_pids(run_id: str) -> list[int]:
    if not run_id:
        return []
    needle = f"{RUN_MARKER}={run_id}".encode()
    skip = _ancestors()
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) in skip:
            continue
        try:
            if needle in (d / "environ").read_bytes().split(b"\0"):
                out.append(int(d.name))
        except OSError:
            continue
    return out


def sweep(run_id: str) -> list[int]:
    """End any leftover process of this run (e.g. a kernel's JVM), by pid."""
    pids = marked_pids(run_id)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)]
            time.sleep(0.2)
    return pids


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def without_stack_frames(text: str) -> str:
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("at ") and "... " not in l[:12])


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait_until(what: str, check: Callable[[], object], timeout: float, proc: Proc | None = None,
               interval: float = 1.0) -> object:
    """Poll check() until it returns something truthy; fail after timeout, or at once if proc exits."""
    deadline = time.monotonic() + timeout
    last_err: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited (rc={proc.popen.returncode}) while waiting for {what}:\n"
                                 f"{tail(without_stack_frames(proc.text()))}")
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError) as e:
            last_err = e
        time.sleep(interval)
    extra = f"\n{proc.name} log tail:\n{tail(without_stack_frames(proc.text()))}" if proc else ""
    raise AssertionError(f"{what}: not within {timeout:.0f}s (last error: {last_err}){extra}")


# ---------------------------------------------------------------- expected errors

_EXPECTED_ERRORS = Path(__file__).resolve().parent / "expected-errors.json"


def expected_error(name: str, **kw) -> dict:
    """An entry of expected-errors.json (the texts the README quotes), its text formatted with kw."""
    entry = dict(json.loads(_EXPECTED_ERRORS.read_text())[name])
    entry["text"] = entry["text"].format(**kw)
    return entry


# ---------------------------------------------------------------- moto (S3 + IAM)


@dataclass
class Moto:
    """moto with two identities: the nodes' (access_key/secret_key: what Spark, the History
    Server and the notebook use, held to the program's rendered node policy) and an admin one
    for the test's own setup (buckets, the directory object, reading results), as Pulumi's
    deploying identity makes them."""
    endpoint: str
    access_key: str
    secret_key: str
    admin_key: tuple[str, str]
    proc: Proc

    def _client(self, key: str, secret: str):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def s3(self, secret: str | None = None):
        """The admin's client (a wrong `secret` tests authentication)."""
        return self._client(self.admin_key[0], secret or self.admin_key[1])

    def node_s3(self):
        """The nodes' client: what the program's policy lets Spark do."""
        return self._client(self.access_key, self.secret_key)

    def keys(self, bucket: str, prefix: str = "") -> list[tuple[str, int]]:
        out = []
        for page in self.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
        return out


#: Stands for the bucket in the rendered policy (render/all.ts placeholders.bucket).
BUCKET_PLACEHOLDER = "<event-log-bucket>"


def node_policy_for(rendered_policy: str, bucket_pattern: str) -> str:
    """The rendered node policy with the bucket placeholder replaced (an IAM ARN pattern may
    use `*`: the tests' buckets share a name prefix)."""
    assert BUCKET_PLACEHOLDER in rendered_policy, f"the rendered node policy does not name {BUCKET_PLACEHOLDER}"
    return rendered_policy.replace(BUCKET_PLACEHOLDER, bucket_pattern)


#: The test's own setup identity: every S3 action on everything.
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def moto_users(endpoint: str, name_prefix: str, policies: dict[str, str]) -> dict[str, tuple[str, str]]:
    """On a moto server that does not check requests yet: one IAM user per entry of `policies`
    (named <name_prefix>-<user>, holding that policy), then authentication and IAM policies turned
    on. Returns each user's (access key, secret key)."""
    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    keys = {}
    for user, policy in policies.items():
        name = f"{name_prefix}-{user}"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=policy)
        k = iam.create_access_key(UserName=name)["AccessKey"]
        keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, "moto refused to enforce authentication"
    return keys


def start_moto(procs: Procs, python: str, node_policy: str) -> Moto:
    """moto server on loopback with IAM authentication enforced. While requests are still
    unauthenticated, two users are made: `admin` (s3:*) for the test's setup, and `node` with
    `node_policy` (the program's own). Then every request must be signed by one of them."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = procs.start("moto", [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], procs.env())
    wait_until("moto server answers", lambda: http_get(f"{endpoint}/moto-api/")[0] == 200, 60, proc, 0.3)
    keys = moto_users(endpoint, "spark-platform-it", {"admin": ADMIN_POLICY, "node": node_policy})
    moto = Moto(endpoint, keys["node"][0], keys["node"][1], keys["admin"], proc)
    # Authentication is on: the right key works and a wrong secret is refused.
    moto.s3().list_buckets()
    try:
        moto.s3(secret="wrong-secret").list_buckets()
    except Exception as e:  # botocore ClientError
        assert "SignatureDoesNotMatch" in str(e), e
    else:
        raise AssertionError("moto accepted a wrong secret key: authentication is not enforced")
    # Authorization is on: the nodes' policy does not let them make a bucket.
    try:
        moto.node_s3().create_bucket(Bucket="spark-platform-it-authz-probe")
    except Exception as e:
        assert "AccessDenied" in str(e), e
    else:
        raise AssertionError("moto let the node identity create a bucket: IAM policies are not enforced")
    return moto


# ---------------------------------------------------------------- Spark


def event_log_layout(conf: dict[str, str]) -> dict:
    """What the event-log settings imply for the objects a finished application leaves."""
    on = lambda k, d: conf.get(k, d).strip().lower() == "true"  # noqa: E731
    compress = on("spark.eventLog.compress", "false")
    codec = conf.get("spark.eventLog.compression.codec", "zstd").strip().lower() if compress else ""
    return {"rolling": on("spark.eventLog.rolling.enabled", "false"), "codec": codec}


#: First bytes of a file written by each Spark compression codec.
CODEC_MAGIC = {"zstd": bytes.fromhex("28b52ffd"), "lz4": b"LZ4Block"}


def event_log_app_ids(keys, prefix: str) -> set[str]:
    """Application ids of the event logs among S3 keys under prefix, in either layout: rolled
    (`eventlog_v2_<id>/...`) or one file (`<id>[.<codec>][.inprogress]`)."""
    ids = set()
    for k in keys:
        rest = k[len(prefix):] if k.startswith(prefix) else ""
        m = re.match(r"eventlog_v2_([^/]+)/", rest)
        if m:
            ids.add(m.group(1))
        elif rest and "/" not in rest and not rest.startswith("."):
            name = rest.removesuffix(".inprogress")
            ids.add(re.sub(r"\.(zstd|lz4|lzf|snappy)$", "", name))
    return ids


def event_log_prefix(uri: str) -> tuple[str, str]:
    """s3a://bucket/some/prefix/ -> (bucket, 'some/prefix/')."""
    m = re.fullmatch(r"s3a://([^/]+)/(.*)", uri.strip())
    assert m, f"event-log URI {uri!r} is not s3a://bucket/prefix"
    prefix = m.group(2)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return m.group(1), prefix


@dataclass
class HistoryServer:
    proc: Proc
    url: str

    def applications(self) -> list[dict]:
        code, body = http_get(f"{self.url}/api/v1/applications", timeout=10)
        if code != 200:
            raise ValueError(f"HTTP {code}")
        return json.loads(body)

    def wait_for_completed(self, app_id: str | None, name: str | None, timeout: float) -> dict:
        def check():
            for app in self.applications():
                if (app_id is None or app["id"] == app_id) and (name is None or app["name"] == name):
                    if app["attempts"] and all(a.get("completed") for a in app["attempts"]):
                        return app
            return None
        return wait_until(f"History Server lists application id={app_id} name={name} as completed",
                          check, timeout, self.proc, 1.0)


def python_bin_dir() -> str:
    return str(Path(sys.executable).parent)

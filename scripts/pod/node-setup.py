"""Prepares a node of a cluster the program did not make, as scripts/prepare-node.sh does on its
own nodes: the pinned S3A jars in S3A_JARS_DIR (the hostPath every Spark pod mounts), each checked
against its SHA-256, and, when JUPYTER_DATA_DIR is set, the notebooks' folder owned by SPARK_UID.
Run by the init container of the node-setup DaemonSet, as root, on every node. Standard library
only: it runs in the Spark image.

Idempotent: a jar already there with the right checksum is kept; a download goes to a temporary
file in the same folder and is renamed into place only once its checksum is right, so no pod ever
sees half a jar. Exits 1, naming the jar, the URL and what to do, on any failure.

Env: S3A_JARS_DIR; S3A_JARS (lines "file url sha256"); SPARK_UID; JUPYTER_DATA_DIR (optional).
"""
import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request

ATTEMPTS = 3


def log(msg):
    print(f"[node-setup] {msg}", file=sys.stderr, flush=True)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(url, dest_dir, name):
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        return tmp
    except BaseException:
        os.unlink(tmp)
        raise


def install_jar(dest_dir, name, url, sha256):
    dest = os.path.join(dest_dir, name)
    if os.path.isfile(dest) and sha256_of(dest) == sha256:
        log(f"{name}: present, checksum right")
        return
    last = ""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            tmp = fetch(url, dest_dir, name)
        except (urllib.error.URLError, OSError) as e:
            last = f"download failed: {e}"
            log(f"{name}: {last} (attempt {attempt} of {ATTEMPTS})")
            continue
        got = sha256_of(tmp)
        if got != sha256:
            os.unlink(tmp)
            last = f"SHA-256 is {got}, expected {sha256}"
            log(f"{name}: {last} (attempt {attempt} of {ATTEMPTS})")
            continue
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        log(f"{name}: installed from {url}")
        return
    raise SystemExit(
        f"node-setup: {name} from {url}: {last}. The node must reach the Maven repository of the "
        f"s3aJarsRepository setting (Maven Central by default); behind a firewall, point that setting at a mirror.")


def main():
    jars_dir = os.environ["S3A_JARS_DIR"]
    uid = int(os.environ["SPARK_UID"])
    os.makedirs(jars_dir, mode=0o755, exist_ok=True)
    for line in os.environ["S3A_JARS"].splitlines():
        if not line.strip():
            continue
        name, url, sha256 = line.split()
        install_jar(jars_dir, name, url, sha256)
    data_dir = os.environ.get("JUPYTER_DATA_DIR", "")
    if data_dir:
        os.makedirs(data_dir, mode=0o750, exist_ok=True)
        if os.stat(data_dir).st_uid != uid:
            os.chown(data_dir, uid, uid)
        log(f"{data_dir}: ready for uid {uid}")
    log("done")


if __name__ == "__main__":
    main()

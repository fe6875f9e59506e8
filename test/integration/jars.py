"""Fetch the S3A jars listed in a render's versions.json from Maven Central, verify their
sha256, and lay them out in one folder: the local stand-in for /opt/spark-s3a/jars.

    python jars.py <render-dir>/versions.json <cache-dir> <jar-dir>

Downloads land in <cache-dir> (kept between runs). A verified download is remembered by a
marker holding its size, mtime and sha256, so a warm run does not hash 560 MB again; a changed
file (size or mtime) is hashed again, and a mismatch is deleted and fails the run.
<jar-dir> gets exactly the listed jars (symlinks), nothing else, like the nodes' folder.
Standard library only: it runs before the test venv exists.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.request
from pathlib import Path

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


def jar_url(jar: dict, base: str = MAVEN_CENTRAL) -> str:
    group = jar["group"].replace(".", "/")
    return f"{base}/{group}/{jar['artifact']}/{jar['version']}/{jar_name(jar)}"


def jar_name(jar: dict) -> str:
    return f"{jar['artifact']}-{jar['version']}.jar"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def marker_of(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def is_verified(path: Path, sha256: str) -> bool:
    marker = marker_of(path)
    if not path.is_file() or not marker.is_file():
        return False
    return marker.read_text().strip() == f"{stamp(path)} {sha256}"


def verify(path: Path, sha256: str) -> None:
    actual = sha256_of(path)
    if actual != sha256:
        path.unlink()
        marker_of(path).unlink(missing_ok=True)
        raise SystemExit(f"sha256 mismatch for {path.name}: expected {sha256}, got {actual} (file deleted)")
    marker_of(path).write_text(f"{stamp(path)} {sha256}\n")


def download(url: str, dest: Path) -> None:
    part = dest.with_name(dest.name + ".part")
    started = time.monotonic()
    print(f"downloading {url}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=60) as resp, part.open("wb") as out:
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
    part.rename(dest)
    print(f"  {dest.stat().st_size >> 20} MiB in {time.monotonic() - started:.0f}s", file=sys.stderr)


def ensure_jars(versions_json: Path, cache_dir: Path, jar_dir: Path) -> list[Path]:
    versions = json.loads(versions_json.read_text())
    jars = versions["s3aJars"]
    base = versions.get("mavenCentral", MAVEN_CENTRAL).rstrip("/")
    cache_dir.mkdir(parents=True, exist_ok=True)
    jar_dir.mkdir(parents=True, exist_ok=True)
    for stale in jar_dir.iterdir():
        stale.unlink()
    out = []
    for jar in jars:
        cached = cache_dir / jar_name(jar)
        if not is_verified(cached, jar["sha256"]):
            if not cached.is_file():
                download(jar_url(jar, base), cached)
            verify(cached, jar["sha256"])
        link = jar_dir / cached.name
        link.symlink_to(cached.resolve())
        out.append(link)
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: jars.py <versions.json> <cache-dir> <jar-dir>")
    for p in ensure_jars(Path(argv[0]), Path(argv[1]), Path(argv[2])):
        print(f"s3a jar ok: {p.name}")


if __name__ == "__main__":
    main(sys.argv[1:])

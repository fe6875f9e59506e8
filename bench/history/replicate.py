"""Event-log replicas: one real application's event log rewritten under another application id,
in the layout and codec Spark itself writes, and uploaded through the S3 API.

Spark names a rolled log `eventlog_v2_<appId>/events_<n>_<appId>[.<codec>]` next to an empty
`appstatus_<appId>[.inprogress]`, and a single-file log `<appId>[.<codec>]`. The application id
also appears inside the events (SparkListenerApplicationStart's "App ID", spark.app.id in the
environment update, ...): every occurrence is replaced, so a replica is an application of its own
to the History Server, byte for byte what the job would have written under that id.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import zstandard

#: Spark's default spark.io.compression.zstd.level (the event-log writer's level).
ZSTD_LEVEL = 1

_EVENTS = re.compile(r"events_(\d+)_(.+?)(\.[a-z0-9]+)?$")


@dataclass
class Template:
    """One application's event log, decompressed: its parts in order (one per rolled file)."""

    app_id: str
    name: str
    parts: list[bytes]
    codec: str
    stored_bytes: int

    @property
    def raw_bytes(self) -> int:
        return sum(len(p) for p in self.parts)

    @property
    def events(self) -> int:
        return sum(p.count(b"\n") for p in self.parts)


def decompress(data: bytes, codec: str) -> bytes:
    if not codec:
        return data
    if codec == "zstd":
        # Spark's writer may leave several frames (one per flush): read across them.
        with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as r:
            return r.read()
    raise ValueError(f"codec {codec!r}: only zstd and uncompressed logs can be replicated")


def compress(data: bytes, codec: str) -> bytes:
    if not codec:
        return data
    if codec == "zstd":
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    raise ValueError(f"codec {codec!r}: only zstd and uncompressed logs can be replicated")


def load_template(s3, bucket: str, prefix: str, app_id: str, name: str) -> Template:
    """Read a finished application's event log (rolled or single file) from the bucket."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if app_id in o["Key"]]
    rolled = sorted(((int(m.group(1)), k, (m.group(3) or "").lstrip("."))
                     for k in keys if (m := _EVENTS.match(k.rsplit("/", 1)[-1]))), key=lambda t: t[0])
    if rolled:
        files = [(k, codec) for _, k, codec in rolled]
    else:
        single = [k for k in keys if k.rsplit("/", 1)[-1].startswith(app_id) and not k.endswith(".inprogress")]
        if len(single) != 1:
            raise AssertionError(f"no finished event log for {app_id} under s3://{bucket}/{prefix}: {keys}")
        files = [(single[0], single[0].rsplit("/", 1)[-1][len(app_id):].lstrip("."))]
    parts, stored, codecs = [], 0, {c for _, c in files}
    for key, codec in files:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        stored += len(body)
        parts.append(decompress(body, codec))
    if len(codecs) != 1:
        raise AssertionError(f"mixed codecs in {app_id}'s event log: {codecs}")
    if f'"App ID":"{app_id}"'.encode() not in parts[0]:
        raise AssertionError(f"{app_id}'s first event-log file has no SparkListenerApplicationStart with its App ID")
    return Template(app_id, name, parts, codecs.pop(), stored)


def replica_objects(t: Template, new_id: str, prefix: str, rolling: bool, codec: str) -> list[tuple[str, bytes]]:
    """(key, body) of the replica `new_id` of template `t`, as Spark would have written it."""
    if len(new_id) != len(t.app_id):
        # Same length keeps every offset in the file where it was (nothing depends on it, but a
        # replica then differs from the original in the id's bytes only).
        raise ValueError(f"replica id {new_id!r} must be as long as {t.app_id!r}")
    old, new = t.app_id.encode(), new_id.encode()
    suffix = f".{codec}" if codec else ""
    parts = [p.replace(old, new) for p in t.parts]
    if rolling:
        d = f"{prefix}eventlog_v2_{new_id}/"
        objs = [(f"{d}events_{i}_{new_id}{suffix}", compress(p, codec)) for i, p in enumerate(parts, 1)]
        objs.append((f"{d}appstatus_{new_id}", b""))
        return objs
    return [(f"{prefix}{new_id}{suffix}", compress(b"".join(parts), codec))]


def replica_id(template_id: str, index: int) -> str:
    """A distinct application id shaped like the template's (`local-<13 digits>`)."""
    head, digits = template_id.rsplit("-", 1)
    return f"{head}-9{index:0{len(digits) - 1}d}"


def upload_replicas(s3, bucket: str, prefix: str, templates: list[Template], start: int, stop: int,
                    rolling: bool, codec: str, workers: int = 16) -> dict:
    """Replicas start..stop-1 (template = index mod len(templates)), compressed and PUT with
    `workers` in parallel. Returns {index: replica id} and byte counts."""
    def one(i: int) -> tuple[int, str, int, int]:
        t = templates[i % len(templates)]
        rid = replica_id(t.app_id, i)
        objs = replica_objects(t, rid, prefix, rolling, codec)
        for key, body in objs:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        return i, rid, len(objs), sum(len(b) for _, b in objs)

    ids, objects, stored = {}, 0, 0
    with ThreadPoolExecutor(workers) as pool:
        for i, rid, n, size in pool.map(one, range(start, stop)):
            ids[i] = rid
            objects += n
            stored += size
    return {"ids": ids, "objects": objects, "bytes": stored}

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
    #: Per part, zstd_flush_points of the stored file (zstd only).
    flushes: list | None = None

    @property
    def raw_bytes(self) -> int:
        return sum(len(p) for p in self.parts)

    @property
    def events(self) -> int:
        return sum(p.count(b"\n") for p in self.parts)


_ZSTD_MAGIC = bytes.fromhex("28b52ffd")


def zstd_flush_points(data: bytes) -> list[tuple[int, list[int]]]:
    """Where the writer flushed: for each zstd frame of `data`, the decompressed offsets (from
    the start of `data`'s content) at which its blocks end, and the frame's end offset.

    Spark's event-log writer flushes the codec stream often (on job and stage ends), so its zstd
    files are many small blocks and compress several times worse than one-shot compression of the
    same text. A replica keeps those block ends (compress(..., flushes=...)), so it has the
    original's size on S3, and the History Server's end-of-log skip (computed from the stored
    length) lands where it would on the original."""
    frames: list[tuple[int, list[int]]] = []
    pos, done = 0, 0
    while pos < len(data):
        head = data[pos:pos + 4]
        if head != _ZSTD_MAGIC:
            if int.from_bytes(head, "little") & 0xFFFFFFF0 == 0x184D2A50:  # skippable frame
                pos += 8 + int.from_bytes(data[pos + 4:pos + 8], "little")
                continue
            raise ValueError(f"no zstd frame at byte {pos}")
        params = zstandard.get_frame_parameters(data[pos:pos + 18])
        q = pos + zstandard.frame_header_size(data[pos:pos + 18])
        block_ends = []
        while True:
            bh = int.from_bytes(data[q:q + 3], "little")
            last, btype, bsize = bh & 1, (bh >> 1) & 3, bh >> 3
            q += 3 + (1 if btype == 1 else bsize)  # an RLE block stores one byte
            block_ends.append(q)
            if last:
                break
        if params.has_checksum:
            q += 4
        d = zstandard.ZstdDecompressor().decompressobj()
        offsets, prev = [], pos
        for end in block_ends:
            done += len(d.decompress(data[prev:end]))
            offsets.append(done)
            prev = end
        frames.append((done, offsets))
        pos = q
    return frames


def decompress(data: bytes, codec: str) -> bytes:
    if not codec:
        return data
    if codec == "zstd":
        # Spark's writer may leave several frames (one per flush): read across them.
        with zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True) as r:
            return r.read()
    raise ValueError(f"codec {codec!r}: only zstd and uncompressed logs can be replicated")


def compress(data: bytes, codec: str, flushes: list[tuple[int, list[int]]] | None = None) -> bytes:
    """`data` compressed; with zstd and `flushes` (zstd_flush_points of an original of the same
    length), with the original's frames and block ends."""
    if not codec:
        return data
    if codec != "zstd":
        raise ValueError(f"codec {codec!r}: only zstd and uncompressed logs can be replicated")
    cctx = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    if not flushes:
        return cctx.compress(data)
    out, prev = [], 0
    for frame_end, block_ends in flushes:
        c = cctx.compressobj()
        for end in block_ends[:-1]:
            out.append(c.compress(data[prev:end]))
            out.append(c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
            prev = end
        out.append(c.compress(data[prev:frame_end]))
        out.append(c.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH))
        prev = frame_end
    if prev != len(data):
        raise ValueError("flush points do not cover the data")
    return b"".join(out)


def split_flushes(flushes: list[tuple[int, list[int]]], start: int, stop: int) -> list[tuple[int, list[int]]]:
    """The frames and block ends that fall in data[start:stop], relative to start; the last
    frame is closed at stop. (Spark's writer closes a zstd frame on every flush, and a frame
    starts with an empty history: keeping the frames keeps the compressed size.)"""
    out: list[tuple[int, list[int]]] = []
    for end, blocks in flushes:
        inside = [o - start for o in blocks if start < o < stop]
        if start < end < stop:
            out.append((end - start, inside))
        elif inside or end >= stop:
            out.append((stop - start, inside + [stop - start]))
            break
    if not out or out[-1][0] != stop - start:
        out.append((stop - start, [stop - start]))
    return out


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
    parts, stored, codecs, flushes = [], 0, {c for _, c in files}, []
    for key, codec in files:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        stored += len(body)
        parts.append(decompress(body, codec))
        flushes.append(zstd_flush_points(body) if codec == "zstd" else None)
    if len(codecs) != 1:
        raise AssertionError(f"mixed codecs in {app_id}'s event log: {codecs}")
    if f'"App ID":"{app_id}"'.encode() not in parts[0]:
        raise AssertionError(f"{app_id}'s first event-log file has no SparkListenerApplicationStart with its App ID")
    return Template(app_id, name, parts, codecs.pop(), stored, flushes)


def parse_size(text: str) -> int:
    """Spark's byte sizes: 16m, 128m, 1g, 10485760."""
    m = re.fullmatch(r"(\d+)([kmgt]?)b?", text.strip().lower())
    if not m:
        raise ValueError(f"not a size: {text!r}")
    return int(m.group(1)) * 1024 ** " kmgt".index(m.group(2) or " ")


def roll(parts: list[bytes], max_bytes: int) -> list[bytes]:
    """The events re-cut as Spark's rolling writer cuts them: a new file before the event that
    would take the current one past max_bytes (uncompressed bytes, whole lines)."""
    files: list[bytes] = []
    cur: list[bytes] = []
    size = 0
    for line in b"".join(parts).splitlines(keepends=True):
        if cur and size + len(line) - 1 > max_bytes:
            files.append(b"".join(cur))
            cur, size = [], 0
        cur.append(line)
        size += len(line)
    if cur:
        files.append(b"".join(cur))
    return files


def replica_objects(t: Template, new_id: str, prefix: str, rolling: bool, codec: str,
                    roll_bytes: int = 16 * 1024 * 1024) -> list[tuple[str, bytes]]:
    """(key, body) of the replica `new_id` of template `t`, as Spark would have written it:
    rolled at roll_bytes (spark.eventLog.rolling.maxFileSize) or as one file."""
    if len(new_id) != len(t.app_id):
        # Same length keeps every offset in the file where it was (nothing depends on it, but a
        # replica then differs from the original in the id's bytes only).
        raise ValueError(f"replica id {new_id!r} must be as long as {t.app_id!r}")
    old, new = t.app_id.encode(), new_id.encode()
    suffix = f".{codec}" if codec else ""
    parts = [p.replace(old, new) for p in t.parts]
    # The original's flush points, as offsets into the whole log.
    whole: list[tuple[int, list[int]]] = []
    base = 0
    for p, fl in zip(parts, t.flushes or [None] * len(parts)):
        whole += [(base + e, [base + o for o in blocks]) for e, blocks in (fl or [(len(p), [len(p)])])]
        base += len(p)
    if rolling:
        parts = parts if len(parts) > 1 else roll(parts, roll_bytes)
        d = f"{prefix}eventlog_v2_{new_id}/"
        objs, start = [], 0
        for i, p in enumerate(parts, 1):
            fl = split_flushes(whole, start, start + len(p)) if t.flushes else None
            objs.append((f"{d}events_{i}_{new_id}{suffix}", compress(p, codec, fl)))
            start += len(p)
        objs.append((f"{d}appstatus_{new_id}", b""))
        return objs
    data = b"".join(parts)
    fl = split_flushes(whole, 0, len(data)) if t.flushes else None
    return [(f"{prefix}{new_id}{suffix}", compress(data, codec, fl))]


def replica_id(template_id: str, index: int) -> str:
    """A distinct application id shaped like the template's (`local-<13 digits>`)."""
    head, digits = template_id.rsplit("-", 1)
    return f"{head}-9{index:0{len(digits) - 1}d}"


def upload_replicas(s3, bucket: str, prefix: str, templates: list[Template], start: int, stop: int,
                    rolling: bool, codec: str, roll_bytes: int, workers: int = 16) -> dict:
    """Replicas start..stop-1 (template = index mod len(templates)), compressed and PUT with
    `workers` in parallel. Returns {index: replica id} and byte counts."""
    def one(i: int) -> tuple[int, str, int, int]:
        t = templates[i % len(templates)]
        rid = replica_id(t.app_id, i)
        objs = replica_objects(t, rid, prefix, rolling, codec, roll_bytes)
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


def save_templates(templates: list[Template], d) -> None:
    """Keep decompressed templates on disk (--templates-cache: tuning runs skip the jobs)."""
    import json
    from pathlib import Path
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    meta = []
    for t in templates:
        for i, p in enumerate(t.parts):
            (d / f"{t.app_id}.{i}").write_bytes(p)
        meta.append({"app_id": t.app_id, "name": t.name, "parts": len(t.parts), "codec": t.codec,
                     "stored_bytes": t.stored_bytes, "flushes": t.flushes})
    (d / "templates.json").write_text(json.dumps(meta, indent=1))


def load_templates(d) -> list[Template] | None:
    import json
    from pathlib import Path
    f = Path(d) / "templates.json"
    if not f.exists():
        return None
    return [Template(m["app_id"], m["name"], [(Path(d) / f"{m['app_id']}.{i}").read_bytes() for i in range(m["parts"])],
                     m["codec"], m["stored_bytes"], m.get("flushes")) for m in json.loads(f.read_text())]

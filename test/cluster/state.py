"""The settings of one run of the local platform, as tools/cluster writes them into its state folder:
cluster.env (tools/cluster/prepare.ts, shell-quoted) and platform.env (tools/cluster/local.sh)."""
from __future__ import annotations

import shlex
from pathlib import Path


def read_state(state: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in ("cluster.env", "platform.env"):
        for line in (state / name).read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                out[key] = "".join(shlex.split(value))
    return out

"""Runs a notebook that a JupyterLab server holds, cell by cell, in a kernel of that server, as
a user does in the browser: the kernel is a child of the server (so it has the pod's
environment), code goes over the kernel's websocket, outputs come back on iopub.

    python notebook.py JUPYTER_URL TOKEN NOTEBOOK_PATH [TIMEOUT_SECONDS]

Prints each cell's output and time (`--- cell N took S.SSs`); exits 1 on the first cell that raises (with its traceback), 2 when
time runs out. Uses only the standard library and tornado (a dependency of JupyterLab).
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict | None:
    req = urllib.request.Request(f"{base}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
        return json.loads(text) if text else None


def message(session: str, code: str) -> dict:
    return {
        "header": {"msg_id": uuid.uuid4().hex, "username": "cluster-tier", "session": session,
                   "msg_type": "execute_request", "version": "5.3",
                   "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }


async def run_cell(ws, session: str, code: str, deadline: float) -> tuple[str, dict | None]:
    """Output text of one cell, and its error content if it raised."""
    msg = message(session, code)
    await ws.write_message(json.dumps(msg))
    out, error = [], None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        raw = await asyncio.wait_for(ws.read_message(), timeout=left)
        if raw is None:
            raise ConnectionError("the kernel's websocket closed")
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
            continue
        kind, content = m["msg_type"], m["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"].get("text/plain", "") + "\n")
        elif kind == "error":
            error = content
        elif kind == "status" and content["execution_state"] == "idle" and m["channel"] == "iopub":
            return "".join(out), error


async def run(base: str, token: str, path: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    nb = api(base, token, "GET", f"/api/contents/{path}")["content"]
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    session = api(base, token, "POST", "/api/sessions", {"path": path, "type": "notebook", "name": path, "kernel": {"name": "python3"}})
    kernel = session["kernel"]["id"]
    ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}"
    ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}))
    try:
        for i, cell in enumerate(cells, 1):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            print(f"--- cell {i}/{len(cells)}", flush=True)
            started = time.monotonic()
            try:
                text, error = await run_cell(ws, kernel, src, deadline)
            except (TimeoutError, asyncio.TimeoutError):
                print(f"cell {i} did not finish within {timeout:.0f}s", file=sys.stderr)
                return 2
            print(text, end="", flush=True)
            print(f"\n--- cell {i} took {time.monotonic() - started:.2f}s", flush=True)
            if error:
                print(f"cell {i} raised {error['ename']}: {error['evalue']}", file=sys.stderr)
                print("\n".join(error.get("traceback", [])), file=sys.stderr)
                return 1
        return 0
    finally:
        ws.close()
        api(base, token, "DELETE", f"/api/sessions/{session['id']}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    sys.exit(asyncio.run(run(sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) == 5 else 900)))

"""Pods of the local cluster reach nothing outside the machine: from the JupyterLab pod, a TCP
connection to a public address fails and a public name does not resolve, while the cluster's own
DNS answers (so the first two fail for the right reason).

    python check_egress.py STATE_DIR
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from state import read_state

PROBE = r"""
import socket, sys
results = []
try:
    socket.getaddrinfo("kubernetes.default.svc.cluster.local", 443)
    results.append("cluster-dns:ok")
except OSError as e:
    results.append(f"cluster-dns:fail:{e}")
for host, port in (("1.1.1.1", 443), ("8.8.8.8", 53)):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
        results.append(f"{host}:reached")
    except OSError:
        results.append(f"{host}:blocked")
    finally:
        s.close()
try:
    socket.getaddrinfo("pypi.org", 443)
    results.append("pypi.org:resolved")
except OSError:
    results.append("pypi.org:unresolved")
print(" ".join(results))
"""


def main(state: Path) -> None:
    env = read_state(state)
    out = subprocess.run([f"{env['K8S_BIN']}/kubectl", "--kubeconfig", env["KUBECONFIG"], "-n", env["JOB_NAMESPACE"], "exec", "deploy/jupyter", "--",
                          "python3", "-c", PROBE], capture_output=True, text=True, timeout=120)
    got = out.stdout.split()
    want = ["cluster-dns:ok", "1.1.1.1:blocked", "8.8.8.8:blocked", "pypi.org:unresolved"]
    if out.returncode != 0 or got != want:
        sys.exit(f"check_egress: expected {want}, got {got} (exit {out.returncode}: {out.stderr.strip()})")
    print("check_egress: pods resolve cluster names and reach nothing outside the machine")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

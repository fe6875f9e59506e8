"""Case 8: every httpGet probe of every rendered workload succeeds against the real server,
started as its pod starts it, with no credentials: the kubelet sends none, and counts only
200-399 as success (a 403 restarts the container in a loop and the pod never becomes Ready)."""
import http.client

import pytest

#: Workloads whose servers this tier runs, by the name of their rendered Deployment.
SERVED = {"spark-history-server": "history_server", "jupyter": "jupyterlab"}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def http_probes(render) -> list[tuple[str, str, str, dict, dict]]:
    """(deployment, container, probe kind, httpGet, container ports by name) of every rendered workload."""
    out = []
    for o in render.objects():
        if o.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            continue
        for c in o["spec"]["template"]["spec"]["containers"]:
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p}
            for kind in PROBES:
                if "httpGet" in c.get(kind, {}):
                    out.append((o["metadata"]["name"], c["name"], kind, c[kind]["httpGet"], ports))
    return out


def probe_status(port: int, path: str) -> int:
    """One GET as the kubelet sends it: no credentials, no cookies, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"User-Agent": "kube-probe/1.33", "Accept": "*/*"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_every_http_probe_is_one_of_a_served_workload(render):
    probes = http_probes(render)
    assert probes, "the render has no httpGet probe at all"
    unserved = sorted({p[0] for p in probes} - SERVED.keys())
    assert not unserved, f"httpGet probes of workloads this tier does not start: {unserved}"


@pytest.mark.parametrize("deployment", sorted(SERVED))
def test_http_probes_answer_without_credentials(request, render, deployment):
    probes = [p for p in http_probes(render) if p[0] == deployment]
    assert probes, f"{deployment} has no httpGet probe: nothing tells the kubelet its server answers"
    server = request.getfixturevalue(SERVED[deployment])
    local_port = int(server.url.rsplit(":", 1)[1])
    failures = []
    for _, container, kind, get, ports in probes:
        port = get["port"]
        if isinstance(port, str):
            assert port in ports, f"{deployment}/{container} {kind} names port {port!r}, the container has {ports}"
        assert get.get("scheme", "HTTP") == "HTTP", f"{deployment}/{container} {kind}: scheme {get['scheme']}"
        status = probe_status(local_port, get.get("path", "/"))
        if not 200 <= status < 400:
            failures.append(f"{container} {kind} GET {get.get('path', '/')} -> {status}")
    assert not failures, f"{deployment}: probes the kubelet would count as failed: {failures}"

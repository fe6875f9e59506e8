"""The platform's self-check, run as a Job in the job namespace after `pulumi up` created the smoke
SparkApplication: waits until the application completed, then until the History Server lists it
as completed (which proves that its event log reached the store and is readable there).

Standard library only: it runs in the Spark image. It talks to the Kubernetes API with the pod's
service account, and to the History Server through its Service. On success the last line of the
log is one JSON object:
  {"applicationId": "...", "name": "...", "durationMs": N}
On failure it exits 1 after printing what went wrong, the driver's or the History Server's log
tail, and what to look at; the Job's termination message (FallbackToLogsOnError) carries the end
of it, so `kubectl describe job` shows it too.

Env: NAMESPACE, APP_NAME, HISTORY_URL, HISTORY_NAMESPACE, HISTORY_SELECTOR, TIMEOUT_SECONDS,
POLL_SECONDS (default 5); KUBERNETES_SERVICE_HOST/PORT (set by the kubelet); SERVICE_ACCOUNT_DIR
(default: where the kubelet mounts the token; the unit tests point it elsewhere).
"""
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SA_DIR = os.environ.get("SERVICE_ACCOUNT_DIR") or "/var/run/secrets/kubernetes.io/serviceaccount"


class CheckFailed(Exception):
    pass


def log(msg):
    print(f"[self-check] {msg}", file=sys.stderr, flush=True)


def env(name, default=None):
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise CheckFailed(f"environment variable {name} is not set")
    return value


class Kube:
    """The few Kubernetes API reads the check needs, with the pod's service account."""

    def __init__(self):
        host = env("KUBERNETES_SERVICE_HOST")
        port = env("KUBERNETES_SERVICE_PORT", "443")
        if ":" in host:
            host = f"[{host}]"
        self.base = f"https://{host}:{port}"
        with open(os.path.join(SA_DIR, "token"), encoding="utf-8") as f:
            self.token = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=os.path.join(SA_DIR, "ca.crt"))

    def get(self, path, raw=False):
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=10, context=self.ctx) as r:
            body = r.read().decode("utf-8", "replace")
        return body if raw else json.loads(body)

    def log_tail(self, namespace, pod, lines=50):
        try:
            return self.get(f"/api/v1/namespaces/{namespace}/pods/{pod}/log?tailLines={lines}", raw=True)
        except (urllib.error.URLError, OSError) as e:
            return f"(the log of {namespace}/{pod} is unavailable: {e})"


def application(kube, namespace, name):
    """The SparkApplication, or None while it cannot be read."""
    path = f"/apis/sparkoperator.k8s.io/v1beta2/namespaces/{namespace}/sparkapplications/{name}"
    try:
        return kube.get(path)
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            raise CheckFailed(f"the self-check may not read SparkApplication {namespace}/{name}: HTTP {e.code}; its Role must allow get on sparkapplications")
        log(f"SparkApplication {namespace}/{name}: HTTP {e.code}")
    except (urllib.error.URLError, OSError, ValueError) as e:
        log(f"Kubernetes API: {e}")
    return None


def wait_for_application(kube, namespace, name, deadline, poll):
    previous = "<none>"
    while True:
        app = application(kube, namespace, name)
        status = (app or {}).get("status") or {}
        state = (status.get("applicationState") or {}).get("state", "")
        if state != previous:
            log(f"SparkApplication {namespace}/{name}: {state or '<no state yet>'}")
            previous = state
        if state == "COMPLETED":
            return status
        if state in ("FAILED", "SUBMISSION_FAILED") or time.monotonic() >= deadline:
            report_application(kube, namespace, status)
            if state in ("FAILED", "SUBMISSION_FAILED"):
                raise CheckFailed(
                    f"SparkApplication {namespace}/{name} ended in state {state}; the driver log above shows why the job failed, "
                    f"and 'kubectl -n spark-operator logs deploy/spark-operator-controller' shows submission errors")
            raise CheckFailed(f"SparkApplication {namespace}/{name} did not complete in time (state: {state or 'none'})")
        time.sleep(poll)


def report_application(kube, namespace, status):
    message = (status.get("applicationState") or {}).get("errorMessage", "")
    if message:
        log(f"error message: {message}")
    driver = (status.get("driverInfo") or {}).get("podName", "")
    if not driver:
        log("no driver pod recorded")
        return
    log(f"last 50 lines of driver pod {namespace}/{driver}:")
    print(kube.log_tail(namespace, driver), file=sys.stderr, flush=True)


def summary(body):
    """(applicationId, name, durationMs) when every attempt is completed, else None."""
    try:
        app = json.loads(body)
        attempts = app["attempts"]
        if attempts and all(a.get("completed") is True for a in attempts):
            return {"applicationId": app["id"], "name": app["name"], "durationMs": attempts[0]["duration"]}
    except (ValueError, KeyError, TypeError):
        pass
    return None


def wait_for_history(kube, app_id, deadline, poll):
    url = f"{env('HISTORY_URL').rstrip('/')}/api/v1/applications/{urllib.parse.quote(app_id)}"
    last = ""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read().decode("utf-8", "replace")
            result = summary(body)
            if result:
                return result
            last = f"HTTP 200: {body[:300]}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}: {e.read().decode('utf-8', 'replace')[:300]}"
        except (urllib.error.URLError, OSError) as e:
            last = str(e)
        if time.monotonic() >= deadline:
            break
        time.sleep(poll)
    log(f"last answer from {url}: {last}")
    namespace, selector = env("HISTORY_NAMESPACE"), env("HISTORY_SELECTOR")
    try:
        pods = kube.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector={urllib.parse.quote(selector)}")["items"]
    except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
        pods = []
        log(f"the History Server's pods cannot be listed: {e}")
    for pod in pods:
        name = pod["metadata"]["name"]
        log(f"last 50 lines of the History Server {namespace}/{name}:")
        print(kube.log_tail(namespace, name), file=sys.stderr, flush=True)
    raise CheckFailed(
        f"the History Server did not list {app_id} as completed in time; its log above shows whether it reads the "
        f"event-log store, and the job's spark.eventLog.dir must be the History Server's spark.history.fs.logDirectory")


def main():
    try:
        timeout = int(env("TIMEOUT_SECONDS"))
        poll = float(os.environ.get("POLL_SECONDS") or 5)
        deadline = time.monotonic() + timeout
        namespace, name = env("NAMESPACE"), env("APP_NAME")
        kube = Kube()
        status = wait_for_application(kube, namespace, name, deadline, poll)
        app_id = status.get("sparkApplicationId", "")
        if not app_id:
            raise CheckFailed(f"SparkApplication {namespace}/{name} is COMPLETED but has no .status.sparkApplicationId")
        result = wait_for_history(kube, app_id, deadline, poll)
    except CheckFailed as e:
        print(f"self-check failed: {e}", file=sys.stderr, flush=True)
        return 1
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# The real cluster tier (npm run test:cluster): the platform's own objects on a real Kubernetes
# cluster made here (tools/cluster/local.sh: kubeadm init and joins, Flannel, CoreDNS, the
# spark-operator chart through helm, every rendered object applied unchanged), then:
#   1. the program's self-check Job (scripts/pod/self-check.py) completes: the operator submits the
#      smoke SparkApplication through its webhook, driver and executors run as pods, event logs
#      land in S3 and the History Server pod lists the application as completed;
#   2. the JupyterLab pod Ready through its own probes, never restarted;
#   3. the shipped notebook, top to bottom, in a kernel of that pod's server (the kernel is the
#      driver, in client mode), with executor pods that connect back through the headless Service;
#      its Parquet output in S3, and the History Server listing the notebook's application;
#   4. the Spark Connect server Ready through its probes; the spark-connect notebook in the JupyterLab
#      pod (a thin client) runs a job whose rows go through executor pods of the server, which
#      leave once idle; the server restarted as a pod is (SIGTERM to its JVM) leaves its event log
#      in S3 and the History Server lists it with the notebook's jobs; a new server pod Ready;
#   5. pods reach nothing outside the machine.
# Every wait is bounded; a failure prints the step, the pods' events and log tails. Everything is
# removed at the end (tools/cluster/local.sh down). Prints a timing table.
#
# Env: SPARKPLAT_CACHE; SPARKPLAT_CLUSTER_KEEP=1 keeps the cluster for a look (remove it with
# `bash tools/cluster/local.sh down STATE_DIR`); SPARKPLAT_CLUSTER_TIMINGS=FILE also writes the
# timing table there as "step seconds" lines (bench/run.sh reads it). Needs root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-cluster.XXXXXX")"
TIMINGS="$(mktemp "${TMPDIR:-/tmp}/sparkplat-cluster-timings.XXXXXX")"
T0=$SECONDS
STEP=""

log() { printf '[cluster-tier %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
mark() { printf '%s %d\n' "$1" "$2" >>"$TIMINGS"; }

# kube, diagnose, snapshot_for_teardown_check, check_teardown (shared with the engine tier).
# shellcheck source=test/cluster/lib.sh
source "$ROOT/test/cluster/lib.sh"

# shellcheck disable=SC2317,SC2329  # the EXIT trap
finish() {
  tier_finish "$?" "${SPARKPLAT_CLUSTER_KEEP:-0}" "${SPARKPLAT_CLUSTER_TIMINGS:-}" "bash tools/cluster/local.sh down $STATE"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STEP=wait_for_the_local_cluster
claim_local_cluster
STEP=platform_up
bash "$ROOT/tools/cluster/local.sh" up "$STATE"
# shellcheck source=/dev/null
source "$STATE/platform.env"
# shellcheck source=/dev/null
source "$STATE/cluster.env"
export SPARKPLAT_K8S_BIN="$K8S_BIN"

STEP=self_check
# The Job as Pulumi waits for it: Complete, or Failed (backoffLimit 0) with the end of its log.
t=$SECONDS
until [[ "$(kube -n "$JOB_NAMESPACE" get job spark-self-check -o jsonpath='{.status.succeeded}')" == 1 ]]; do
  if [[ "$(kube -n "$JOB_NAMESPACE" get job spark-self-check -o jsonpath='{.status.failed}')" == 1 ]]; then
    log "the self-check Job failed; its log:"
    kube -n "$JOB_NAMESPACE" logs job/spark-self-check --tail=80 >&2 || true
    exit 1
  fi
  if ((SECONDS - t > 1200)); then
    log "the self-check Job did not finish in 1200 s"
    exit 1
  fi
  sleep 3
done
kube -n "$JOB_NAMESPACE" logs job/spark-self-check >"$STATE/self-check.log"
log "self-check: $(tail -n 1 "$STATE/self-check.log")"
# The application's own times: created (submitted to the webhook), finished (operator), listed (the Job's end).
times="$(kube -n "$JOB_NAMESPACE" get sparkapplication spark-smoke-test -o jsonpath='{.metadata.creationTimestamp} {.status.terminationTime}')"
created="${times%% *}"
finished="${times#* }"
[[ -n "$created" && -n "$finished" && "$finished" != "$times" ]] || { log "the SparkApplication has no creation or termination time: '$times'"; exit 1; }
mark smoke_submitted_to_completed "$(($(date -d "$finished" +%s) - $(date -d "$created" +%s)))"
listed="$(kube -n "$JOB_NAMESPACE" get job spark-self-check -o jsonpath='{.status.completionTime}')"
mark smoke_completed_to_listed "$(($(date -d "$listed" +%s) - $(date -d "$finished" +%s)))"
mark self_check "$((SECONDS - t))"

STEP=spark_versions
# The operator's spark-submit (the chart's Spark) submitted an application of the jobs' Spark, and
# the History Server read its log: the pair versions.ts pins, on the cluster.
mapfile -t want < <(bash "$ROOT/tools/versions.sh" sparkOperator.bundledSpark spark.version spark.image)
submit="$(kube -n spark-operator exec deploy/spark-operator-controller -- /opt/spark/bin/spark-submit --version 2>&1 | grep -o 'version [0-9.]*' | head -n 1)"
[[ "$submit" == "version ${want[0]}" ]] || { log "the operator's spark-submit says '$submit', expected Spark ${want[0]}"; exit 1; }
driver_image="$(kube -n "$JOB_NAMESPACE" get sparkapplication spark-smoke-test -o jsonpath='{.spec.image}')"
[[ "$driver_image" == "${want[2]}" ]] || { log "the smoke application ran $driver_image, expected ${want[2]}"; exit 1; }
app_spark="$("$VENV_PY" - "$HISTORY_URL" "$STATE/self-check.log" <<'PY'
import json, sys, urllib.request
# The self-check's last line names the application it waited for.
app_id = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])["applicationId"]
app = json.load(urllib.request.urlopen(f"{sys.argv[1]}/api/v1/applications/{app_id}", timeout=10))
print(" ".join(sorted({att.get("appSparkVersion", "?") for att in app["attempts"]})))
PY
)"
[[ "$app_spark" == "${want[1]}" ]] || { log "the History Server lists the smoke application as Spark '$app_spark', expected ${want[1]}"; exit 1; }
log "spark-submit ${want[0]} (operator) submitted the Spark ${want[1]} smoke application; the History Server read its log as Spark $app_spark"

STEP=jupyterlab_ready
# Ready within the startupProbe's own budget (60 x 10 s). A probe answered with a 4xx will never
# pass, whatever the wait: that fails at once, with the kubelet's message.
t=$SECONDS
until [[ "$(kube -n "$JOB_NAMESPACE" get pod -l app.kubernetes.io/name=jupyter -o jsonpath='{.items[0].status.conditions[?(@.type=="Ready")].status}')" == True ]]; do
  refused="$(kube -n "$JOB_NAMESPACE" get events --field-selector reason=Unhealthy -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep -m 1 'statuscode: 4' || true)"
  if [[ -n "$refused" ]]; then
    log "the kubelet's probe of JupyterLab is refused: $refused"
    exit 1
  fi
  if ((SECONDS - t > 600)); then
    log "the JupyterLab pod is not Ready after 600 s"
    exit 1
  fi
  sleep 3
done
mark jupyterlab_ready "$((SECONDS - t))"
restarts="$(kube -n "$JOB_NAMESPACE" get pod -l app.kubernetes.io/name=jupyter -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')"
[[ "$restarts" == 0 ]] || { log "the JupyterLab container restarted $restarts times"; exit 1; }
log "JupyterLab pod Ready through its probes, no restart"

STEP=notebook
t=$SECONDS
"$VENV_PY" "$ROOT/test/cluster/notebook.py" "$JUPYTER_URL" "$(cat "$STATE/jupyter-token")" getting-started.ipynb 900 | tee "$STATE/notebook.out" >&2
mark notebook "$((SECONDS - t))"
"$VENV_PY" "$ROOT/test/cluster/check_notebook.py" "$STATE" >&2
# Client mode, for the comparison with Spark Connect (bench/results.md): session and first
# distributed job (cells 1 and 2, executors starting), then the Parquet round trip (cell 3).
# The line may follow a Spark progress bar on the same line (carriage returns): matched anywhere.
cell_seconds() {
  local s
  s="$(grep -ao -- "--- cell $2 took [0-9.]*s" "$1" | tail -n 1 | awk '{ sub(/s$/, "", $5); printf "%d", $5 + 0.5 }')"
  [[ -n "$s" ]] || { log "no time of cell $2 in $1"; exit 1; }
  echo "$s"
}
# mark_notebook_figures NAME OUTPUT: NAME_first_job (cells 1 and 2) and NAME_parquet_round_trip (cell 3).
mark_notebook_figures() {
  local c1 c2 c3
  c1="$(cell_seconds "$2" 1)"
  c2="$(cell_seconds "$2" 2)"
  c3="$(cell_seconds "$2" 3)"
  mark "$1_first_job" "$((c1 + c2))"
  mark "$1_parquet_round_trip" "$c3"
}
mark_notebook_figures client_mode "$STATE/notebook.out"

STEP=spark_connect
t=$SECONDS
kube -n "$JOB_NAMESPACE" rollout status deployment/spark-connect --timeout=300s >&2
mark spark_connect_ready "$((SECONDS - t))"
connect_restarts="$(kube -n "$JOB_NAMESPACE" get pod -l app.kubernetes.io/name=spark-connect -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')"
[[ "$connect_restarts" == 0 ]] || { log "the Spark Connect server restarted $connect_restarts times"; exit 1; }
t=$SECONDS
"$VENV_PY" "$ROOT/test/cluster/notebook.py" "$JUPYTER_URL" "$(cat "$STATE/jupyter-token")" spark-connect.ipynb 900 | tee "$STATE/connect.out" >&2
mark connect_notebook "$((SECONDS - t))"
mark_notebook_figures connect "$STATE/connect.out"
connect_app="$("$VENV_PY" "$ROOT/test/cluster/check_connect.py" "$STATE" notebook)"
# Dynamic allocation: the executors leave once idle (60 s, or 120 s while they hold the notebook's shuffle files).
t=$SECONDS
until [[ -z "$(kube -n "$JOB_NAMESPACE" get pods -l "spark-role=executor,spark-app-selector=$connect_app" -o name)" ]]; do
  if ((SECONDS - t > 240)); then
    log "the Spark Connect server's executors are still there 240 s after its last query: $(kube -n "$JOB_NAMESPACE" get pods -l spark-role=executor -o wide 2>&1)"
    exit 1
  fi
  sleep 3
done
mark connect_idle_executors_gone "$((SECONDS - t))"
log "Spark Connect: the notebook's rows went through the server's executor pods, which left $((SECONDS - t)) s after the notebook"
# Stopped as a pod is: SIGTERM to the JVM, which closes its event log; a new pod takes over.
t=$SECONDS
kube -n "$JOB_NAMESPACE" rollout restart deployment/spark-connect >/dev/null
kube -n "$JOB_NAMESPACE" rollout status deployment/spark-connect --timeout=300s >&2
mark connect_restart "$((SECONDS - t))"
"$VENV_PY" "$ROOT/test/cluster/check_connect.py" "$STATE" history "$connect_app" >&2

STEP=egress_blocked
"$VENV_PY" "$ROOT/test/cluster/check_egress.py" "$STATE" >&2

STEP=finished
log "all checks passed"

#!/usr/bin/env bash
# The engine tier (npm run test:engine): the real Pulumi engine runs the real program (index.ts as
# it is) on the `local` stack (Pulumi.local.yaml, tools/local/stack.sh) against the real cluster of
# the cluster tier (tools/cluster/local.sh), with moto as a store of the user's:
#   1. `pulumi preview`, then `pulumi up`: the operator through its Helm release, node-setup, the
#      History Server, JupyterLab and the self-check Job, which runs the smoke application;
#   2. a second `pulumi up --expect-no-changes`;
#   3. a settings change (eventLogRetentionDays) replaces the History Server's ConfigMap and rolls
#      its pod, and touches nothing else;
#   4. a notebookNode that is not a node fails the preview, naming it;
#   5. with the API server unreachable, `pulumi preview` and `pulumi up` fail, saying so;
#   6. `pulumi destroy` removes every object of the stack and leaves the event logs in the bucket;
#      then a first deploy's preview against the unreachable API server fails too.
# Prints the seconds of each command. Everything is removed at the end. Needs root.
#
# Env: SPARKPLAT_CACHE, SPARKPLAT_PULUMI_PLUGINS (tools/engine/pulumi.sh); SPARKPLAT_ENGINE_KEEP=1
# keeps the cluster and the stack (remove with `bash tools/local/stack.sh down STATE_DIR`);
# SPARKPLAT_ENGINE_TIMINGS=FILE also writes the timing table there ("step seconds" lines).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-engine.XXXXXX")"
TIMINGS="$(mktemp "${TMPDIR:-/tmp}/sparkplat-engine-timings.XXXXXX")"
OUT="$STATE/engine-tier"
T0=$SECONDS
STEP=""
API_BLOCK=()
API_BLOCKED=0

log() { printf '[engine-tier %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
mark() { printf '%s %d\n' "$1" "$2" >>"$TIMINGS"; }

# kube, diagnose, snapshot_for_teardown_check, check_teardown
# shellcheck source=test/cluster/lib.sh
source "$ROOT/test/cluster/lib.sh"

# lp ARGS...: the CLI on the local stack (tools/local/stack.sh pulumi).
lp() { bash "$ROOT/tools/local/stack.sh" pulumi "$STATE" -- "$@"; }

# timed NAME CMD...: runs CMD, its output to $OUT/NAME.log (and stderr), and records its seconds.
timed() {
  local name="$1" t=$SECONDS rc=0
  shift
  "$@" >"$OUT/$name.log" 2>&1 || rc=$?
  mark "$name" "$((SECONDS - t))"
  log "$name: exit $rc in $((SECONDS - t)) s"
  return "$rc"
}

# show_errors NAME: the error and warning lines of a command's output (without colours), into the tier's log.
show_errors() {
  log "$1 printed:"
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/$1.log" | grep -E "error:|warning: configured|unreachable" | grep -v "resource plugin" | sed 's/^ *//' | sort -u | head -n 8 >&2
}

# says_unreachable NAME: the command's output names the setting and says the API server is unreachable.
says_unreachable() {
  grep -q "spark-on-k8s:kubeconfig: the Kubernetes API server .* is unreachable" "$OUT/$1.log" ||
    fail "$1 did not say the cluster is unreachable: $(tail -n 15 "$OUT/$1.log")"
  show_errors "$1"
}

# block_api / unblock_api: the API server refuses the engine's connections (a rule of this test).
block_api() {
  ((${#API_BLOCK[@]})) || fail "block_api: no rule set"
  iptables -w -I OUTPUT "${API_BLOCK[@]}"
  API_BLOCKED=1
}
unblock_api() {
  if ((API_BLOCKED)); then
    iptables -w -D OUTPUT "${API_BLOCK[@]}" 2>/dev/null || true
    API_BLOCKED=0
  fi
}

# shellcheck disable=SC2317,SC2329  # called by tier_finish on a failure
command_logs() {
  local f
  for f in "$OUT"/*.log; do [[ -f "$f" ]] && { log "end of $(basename "$f"):"; tail -n 25 "$f" >&2; }; done
}

# shellcheck disable=SC2317,SC2329  # the EXIT trap
finish() {
  local rc=$?
  unblock_api
  # The stack was destroyed by the test; after a failure, its objects go with the cluster.
  tier_finish "$rc" "${SPARKPLAT_ENGINE_KEEP:-0}" "${SPARKPLAT_ENGINE_TIMINGS:-}" "bash tools/local/stack.sh down $STATE" command_logs
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ "$(id -u)" == 0 ]] || fail "needs root (the local cluster's nodes are namespaces of this machine)"
mkdir -p "$OUT"

STEP=wait_for_the_local_cluster
claim_local_cluster
STEP=preview_and_up
bash "$ROOT/tools/local/stack.sh" up "$STATE" | tee "$OUT/up.out" >&2
# shellcheck source=/dev/null
source "$STATE/cluster.env"
# shellcheck source=/dev/null
source "$STATE/platform.env"
export SPARKPLAT_K8S_BIN="$K8S_BIN"

STEP=outputs
lp stack output --json --show-secrets >"$OUT/outputs.json"
"$VENV_PY" - "$OUT/outputs.json" <<'EOF'
import json, sys, urllib.request
o = json.load(open(sys.argv[1]))
smoke = o["smokeTest"]
assert smoke["applicationId"].startswith("spark-"), smoke
with urllib.request.urlopen(o["historyServerUrl"] + "/api/v1/applications", timeout=20) as r:
    ids = [a["id"] for a in json.load(r)]
assert smoke["applicationId"] in ids, f"the History Server does not list {smoke['applicationId']}: {ids}"
with urllib.request.urlopen(o["jupyterUrl"].removesuffix("/lab") + "/api/status?token=" + o["jupyterToken"], timeout=20) as r:
    assert r.status == 200
for k in ("controlPlaneIp", "kubeconfig", "kubernetesVersion", "sshPrivateKey", "ssh", "nodeRoleName"):
    assert o.get(k) is None, f"output {k} on a cluster of the user's: {o.get(k)}"
print(f"outputs: smoke application {smoke['applicationId']} listed by {o['historyServerUrl']}; JupyterLab answers with its token")
EOF
# The sparkConnect output's way in from a laptop, word for word but for the local port (15002 may
# be taken here): kubectl port-forward with the stack's kubeconfig, then a thin client
# (pyspark-client, no JVM) whose query runs on the server's executor pods.
STEP=spark_connect_from_laptop
pf_cmd="$("$VENV_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sparkConnect"]["portForward"])' "$OUT/outputs.json")"
[[ "$pf_cmd" == "kubectl -n $JOB_NAMESPACE port-forward service/spark-connect 15002:15002" ]] || fail "the sparkConnect output's portForward is '$pf_cmd'"
pf_port="$("$VENV_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
read -r -a pf <<<"${pf_cmd/15002:/$pf_port:}"
t=$SECONDS
KUBECONFIG="$STATE/admin.conf" "$K8S_BIN/${pf[0]}" "${pf[@]:1}" >"$OUT/port-forward.log" 2>&1 &
pf_pid=$!
client_rc=0
"$CONNECT_PY" - "sc://localhost:$pf_port" >&2 <<'EOF' || client_rc=$?
import socket, sys, time
from pyspark.sql import SparkSession
url = sys.argv[1]
host, port = url.removeprefix("sc://").rsplit(":", 1)
deadline = time.monotonic() + 60
while True:
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"the port-forward to the Spark Connect server did not open {host}:{port} within 60 s")
        time.sleep(1)
spark = SparkSession.builder.remote(url).getOrCreate()
total = spark.range(0, 1000, numPartitions=4).selectExpr("sum(id) AS s").collect()[0]["s"]
assert total == 499500, total
print(f"spark connect from the laptop: sum 0..999 = {total} through {url} (server Spark {spark.version})")
spark.stop()
EOF
# The port-forward is this tier's own child: ended by its PID whatever the client did.
kill "$pf_pid" 2>/dev/null || true
wait "$pf_pid" 2>/dev/null || true
((client_rc == 0)) || fail "a thin client through the sparkConnect output's port-forward failed (port-forward log: $(tail -n 5 "$OUT/port-forward.log"))"
mark spark_connect_from_laptop "$((SECONDS - t))"

# node-setup put the pinned S3A jars on every node (the self-check's Spark read through them).
for node in $NODE_NAMES; do
  n="$(bash "$ROOT/tools/cluster/cluster.sh" exec "$STATE" "$node" sh -c "ls $S3A_JARS_DIR/*.jar | wc -l")"
  ((n == 2)) || fail "node $node has $n jars in $S3A_JARS_DIR, expected 2 (node-setup DaemonSet)"
done

STEP=no_changes
timed pulumi_up_unchanged lp up --yes --skip-preview --expect-no-changes || fail "a second pulumi up changed something (see above)"

STEP=settings_change
lp config set eventLogRetentionDays 7
hs_pod() { kube -n spark-history get pods -l app.kubernetes.io/name=spark-history-server -o jsonpath='{.items[*].metadata.uid}'; }
old_pod="$(hs_pod)"
lp preview --json >"$OUT/change-preview.json" 2>"$OUT/change-preview.err" || fail "preview of the change failed: $(tail -n 5 "$OUT/change-preview.err")"
changed="$("$VENV_PY" -c '
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
print(" ".join(sorted("%s:%s" % (s["op"], s["urn"].split("::")[-1]) for s in steps if s["op"] in ("create", "update", "delete", "replace"))))' "$OUT/change-preview.json")"
expected="replace:history-configmap-spark-history-server-conf replace:history-deployment-spark-history-server"
[[ "$changed" == "$expected" ]] || fail "eventLogRetentionDays 30 -> 7 would change: '$changed'; expected '$expected'"
timed pulumi_up_change lp up --yes --skip-preview || fail "pulumi up of the settings change failed"
new_pod="$(hs_pod)"
[[ -n "$new_pod" && "$new_pod" != "$old_pod" ]] || fail "the History Server's pod was not replaced (before: $old_pod, after: $new_pod)"
# Ready when `pulumi up` returns: the provider waited for the rollout.
ready="$(kube -n spark-history get pods -l app.kubernetes.io/name=spark-history-server -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}')"
[[ "$ready" == True ]] || fail "pulumi up of the change returned with the History Server's pod not Ready ($ready)"
kube -n spark-history get configmap spark-history-server-conf -o jsonpath='{.data.spark-defaults\.conf}' | grep -q '^spark.history.fs.cleaner.maxAge *7d$' ||
  fail "the History Server's ConfigMap does not hold maxAge 7d"
log "eventLogRetentionDays 30 -> 7: $changed; the History Server runs a new pod with maxAge 7d"

STEP=wrong_notebook_node
# A notebookNode that is not a node of the cluster fails the preview, naming it.
lp config set notebookNode no-such-node
if timed pulumi_preview_wrong_node lp preview; then fail "pulumi preview succeeded with notebookNode no-such-node"; fi
grep -q 'no-such-node' "$OUT/pulumi_preview_wrong_node.log" || fail "the preview did not name the missing node: $(tail -n 15 "$OUT/pulumi_preview_wrong_node.log")"
show_errors pulumi_preview_wrong_node
lp config set notebookNode "$(sed -n 's/^ *spark-on-k8s:notebookNode: *//p' "$ROOT/Pulumi.local.yaml")"

STEP=unreachable
# The API server refuses the engine's connections (an iptables rule of this test, removed after).
api="${NODE_ADDRESSES%% *}"
API_BLOCK=(-d "$api" -p tcp --dport 6443 -j REJECT --reject-with tcp-reset -m comment --comment sparkplat-engine-unreachable)
block_api
if timed pulumi_preview_unreachable lp preview; then fail "pulumi preview succeeded with the cluster unreachable"; fi
if timed pulumi_up_unreachable lp up --yes --skip-preview; then fail "pulumi up succeeded with the cluster unreachable"; fi
unblock_api
says_unreachable pulumi_preview_unreachable
says_unreachable pulumi_up_unreachable
timed pulumi_up_reachable_again lp up --yes --skip-preview --expect-no-changes || fail "after the cluster came back, pulumi up changed something"

STEP=destroy
timed pulumi_destroy lp destroy --yes --skip-preview || fail "pulumi destroy failed"
for ns in spark-jobs spark-operator spark-history spark-node-setup; do
  kube wait --for=delete "namespace/$ns" --timeout=120s >/dev/null 2>&1 || true
  if kube get namespace "$ns" >/dev/null 2>&1; then fail "namespace $ns is still there after destroy"; fi
done
left="$(kube get persistentvolumes,clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations -o name | grep -Ei 'spark|jupyter' || true)"
[[ -z "$left" ]] || fail "destroy left: $left"
# Helm never deletes the CRDs of a chart's crds/ folder; the README says how to remove them.
crds="$(kube get crds -o name | grep sparkoperator.k8s.io | sort | tr '\n' ' ')"
log "left by design (the chart's CRDs): $crds"
"$VENV_PY" - "$S3_ENDPOINT" "$ADMIN_ACCESS_KEY" "$ADMIN_SECRET_KEY" "$BUCKET" "$EVENT_LOG_PREFIX" "$OUT/outputs.json" <<'EOF'
import json, sys, boto3
from botocore.config import Config
endpoint, key, secret, bucket, prefix, outputs = sys.argv[1:]
app = json.load(open(outputs))["smokeTest"]["applicationId"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(s3={"addressing_style": "path"}))
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/").get("Contents", [])]
assert any(app in k for k in keys), f"the smoke application's event log is gone after destroy: {keys}"
print(f"after destroy: {len(keys)} objects under {prefix}/ (the smoke application's log among them)")
EOF
# A first deploy against an unreachable cluster fails in preview too (the program's API server
# check; the provider itself reads nothing in that preview).
block_api
if timed pulumi_preview_first_unreachable lp preview; then fail "the preview of a first deploy succeeded with the cluster unreachable"; fi
unblock_api
says_unreachable pulumi_preview_first_unreachable
lp stack rm local --yes --preserve-config >/dev/null
# The provider's temporary kubeconfig files (admin credentials) stay inside the state folder.
leaked="$(find "${TMPDIR:-/tmp}" /tmp -maxdepth 1 -name 'kubeconfig*' -newer "$STATE/passphrase" 2>/dev/null | head -n 3)"
[[ -z "$leaked" ]] || fail "kubeconfig files left outside $STATE: $leaked"
# Pulumi.local.yaml is the repository's: no command of the tier may write or remove it.
git -C "$ROOT" diff --quiet -- Pulumi.local.yaml 2>/dev/null || fail "Pulumi.local.yaml was changed: $(git -C "$ROOT" diff --stat -- Pulumi.local.yaml)"
[[ -f "$ROOT/Pulumi.local.yaml" ]] || fail "Pulumi.local.yaml was removed"

STEP=finished
log "all checks passed"

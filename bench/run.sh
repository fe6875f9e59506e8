#!/usr/bin/env bash
# Benchmarks (npm run bench): writes bench/results.md with the machine, the date, and
#   1. the deploy critical path under modeled durations (bench/deploy.ts);
#   2. the Spark History Server at scale (bench/historyServer.py): real PySpark event logs in a
#      moto S3 server on loopback, replicated to N applications, the real History Server with the
#      rendered history-server.conf ("tuned") and with Spark's defaults;
#   3. the wall time of `npm test` and `npm run test:integration` (BENCH_SKIP_SUITES=1 skips them);
#   4. the real cluster tier's timing table (npm run test:cluster) and 5. the engine tier's
#      (npm run test:engine); both need root; BENCH_SKIP_CLUSTER=1 skips them. The engine tier
#      needs the Pulumi CLI on PATH or SPARKPLAT_PULUMI_PLUGINS (tools/engine/pulumi.sh).
#
#   bash bench/run.sh
#
# Env: BENCH_SIZES (default 50,200,1000), BENCH_TUNING (tuning variants measured at the largest N,
# see VARIANTS in bench/historyServer.py; default rolling), BENCH_HS_TIMEOUT (bound on the
# History Server part, s), BENCH_OUT (default bench/results.md), BENCH_KEEP=1 keeps the work dir;
# SPARKPLAT_CACHE and PYTHON as for test/integration/run.sh, whose setup this shares.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
PYTHON="${PYTHON:-python3}"
OUT="${BENCH_OUT:-$HERE/results.md}"
RUN_ID="bench-$(date +%s)-$$-$RANDOM"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-bench.XXXXXX")"
START=$SECONDS
CHILD_PID=""
VENV=""

cd "$ROOT"

log() { printf '[bench %4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
# shellcheck source=test/integration/leftovers.sh
source "$ROOT/test/integration/leftovers.sh"

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  local rc=$?
  if [[ -n "${CHILD_PID:-}" ]]; then
    log "stopping $CHILD_PID (its own teardown stops its servers)"
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  # Whatever of this run is still alive (found by its marker variable, ended by pid).
  stop_leftovers "$RUN_ID"
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  log "total $((SECONDS - START))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs "$@" in the background and waits, so that INT/TERM reach the trap at once.
run_child() {
  "$@" &
  CHILD_PID=$!
  local rc=0
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=""
  return "$rc"
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
failed=()

# --- Java, render, venv, S3A jars (shared with the integration tier) -----------------------
# shellcheck source=test/integration/setup.sh
source "$ROOT/test/integration/setup.sh"
log "setup done in $((SECONDS - START))s"

# --- 1. deploy critical path ------------------------------------------------------------------
DEPLOY_MD="$WORK/deploy.md"
log "deploy critical path"
if ! run_child npx ts-node --transpile-only bench/deploy.ts "$DEPLOY_MD" >/dev/null; then
  failed+=("deploy")
fi
[[ -s "$DEPLOY_MD" ]] || printf '## Deploy critical path (modeled)\n\nFAILED: see the output of bench/deploy.ts.\n' >"$DEPLOY_MD"

# --- 2. History Server at scale ----------------------------------------------------------------
HS_MD="$WORK/history.md"
HS_START=$SECONDS
log "History Server at scale (sizes ${BENCH_SIZES:-50,200,1000})"
if ! run_child timeout --signal=TERM --kill-after=30 "${BENCH_HS_TIMEOUT:-1500}" \
  env SPARKPLAT_IT_RUN="$RUN_ID" "$VENV/bin/python" "$HERE/historyServer.py" \
  --render "$RENDER" --jars "$JARS" --md "$HS_MD" --json "$WORK/history.json" --work "$WORK/history" \
  --sizes "${BENCH_SIZES:-50,200,1000}" --tuning-variants "${BENCH_TUNING-rolling}"; then
  failed+=("history server")
fi
HS_SECONDS=$((SECONDS - HS_START))
[[ -s "$HS_MD" ]] || printf '## History Server at scale\n\nFAILED before any result: run bench/run.sh with BENCH_KEEP=1 and see %s.\n' \
  "the logs under the work dir" >"$HS_MD"

# --- 3. test-suite speed -------------------------------------------------------------------------
SUITES_MD="$WORK/suites.md"
{
  echo "## Test-suite speed"
  echo
  if [[ "${BENCH_SKIP_SUITES:-0}" == 1 ]]; then
    echo "Skipped (BENCH_SKIP_SUITES=1)."
  else
    echo "Wall time of each suite, run one after the other by bench/run.sh after the benchmarks above."
    echo
    echo "| command | wall time | outcome |"
    echo "|---|---|---|"
  fi
} >"$SUITES_MD"
if [[ "${BENCH_SKIP_SUITES:-0}" != 1 ]]; then
  for suite in "npm test" "npm run test:integration"; do
    log "$suite"
    t=$SECONDS
    outcome=passed
    read -r -a words <<<"$suite"
    if ! run_child "${words[@]}" >"$WORK/suite.log" 2>&1; then
      outcome="FAILED (last lines: $(tail -n 3 "$WORK/suite.log" | tr '\n|' ' /'))"
      failed+=("$suite")
    fi
    echo "| \`$suite\` | $((SECONDS - t)) s | $outcome |" >>"$SUITES_MD"
  done
fi

# --- 4 and 5. the real cluster and engine tiers ------------------------------------------------------
# step_rows FILE: the "step seconds" lines of a tier as table rows, each with what it covers.
step_rows() {
  local step secs what
  while read -r step secs; do
    case "$step" in
      build_kubernetes) what="Kubernetes binaries and helm from the Go module proxy ($cache_state cache)" ;;
      build_images) what="pause, control plane, etcd, CoreDNS, kube-proxy, Flannel, Spark and operator images ($cache_state cache)" ;;
      cluster_up) what="nodes, kubeadm init, Flannel, joins, all Ready, CoreDNS" ;;
      operator_ready) what="spark-operator chart installed through helm, controller and webhook ready" ;;
      history_server_ready) what="rendered objects applied, History Server pod Ready" ;;
      smoke_submitted_to_completed) what="smoke SparkApplication: created → COMPLETED (the operator's own times)" ;;
      smoke_completed_to_listed) what="smoke application: COMPLETED → listed by the History Server (the self-check Job's end)" ;;
      self_check) what="the program's self-check Job, from the smoke application's create to the Job's end" ;;
      jupyterlab_ready) what="JupyterLab pod Ready through its probes (after the smoke check)" ;;
      notebook) what="the shipped notebook, top to bottom, executors as pods" ;;
      client_mode_first_job) what="client mode (getting-started.ipynb): the kernel's session and its first distributed job, executor pods starting (cells 1-2)" ;;
      client_mode_parquet_round_trip) what="client mode: 100000 rows to Parquet in S3 and back (cell 3)" ;;
      spark_connect_ready) what="Spark Connect server Deployment rolled out (pod Ready on its gRPC port)" ;;
      connect_notebook) what="spark-connect.ipynb, top to bottom, in the JupyterLab pod" ;;
      connect_first_job) what="Spark Connect (spark-connect.ipynb): the remote session and its first distributed job, the server's executor pods starting (cells 1-2)" ;;
      connect_parquet_round_trip) what="Spark Connect: the same 100000 rows to Parquet and back (cell 3)" ;;
      connect_idle_executors_gone) what="from the notebook's end to the server's executors gone (dynamic allocation: 60 s idle, 120 s holding shuffle files)" ;;
      connect_restart) what="\`kubectl rollout restart\` of the server: old JVM stopped (event log closed), new pod Ready" ;;
      spark_connect_from_laptop) what="the sparkConnect output's port-forward and a thin client's query (engine tier)" ;;
      pulumi_preview) what="\`pulumi preview\` of the first deploy" ;;
      pulumi_up) what="\`pulumi up\` of the platform layer onto a Ready cluster, self-check included (images already on the nodes)" ;;
      pulumi_up_unchanged) what="a second \`pulumi up --expect-no-changes\`" ;;
      pulumi_up_change) what="\`pulumi up\` of eventLogRetentionDays 30 → 7: the History Server's ConfigMap replaced, its pod rolled" ;;
      pulumi_preview_wrong_node) what="\`pulumi preview\` with a notebookNode that is not a node (fails, naming it)" ;;
      pulumi_preview_first_unreachable) what="\`pulumi preview\` of a first deploy with the API server refusing connections (fails)" ;;
      pulumi_preview_unreachable) what="\`pulumi preview\` with the API server refusing connections (fails)" ;;
      pulumi_up_unreachable) what="\`pulumi up\` with the API server refusing connections (fails)" ;;
      pulumi_up_reachable_again) what="\`pulumi up --expect-no-changes\` once it answers again" ;;
      pulumi_destroy) what="\`pulumi destroy\` of the stack (event logs kept)" ;;
      teardown) what="everything removed: processes, namespaces, bridge, rules, mounts" ;;
      total) what="the whole tier" ;;
      *) what="" ;;
    esac
    echo "| \`$step\` | $secs | $what |"
  done <"$1"
}

# real_tier SCRIPT TIMINGS_ENV TITLE DESCRIPTION: runs `npm run SCRIPT` and writes its section.
real_tier() {
  local script="$1" timings_env="$2" title="$3" description="$4" md="$WORK/$1.md" outcome=passed
  printf '## %s\n\n' "$title" >"$md"
  if [[ "${BENCH_SKIP_CLUSTER:-0}" == 1 || "$(id -u)" != 0 ]]; then
    echo "Skipped ($( [[ "$(id -u)" != 0 ]] && echo "needs root" || echo "BENCH_SKIP_CLUSTER=1")): see \`npm run $script\`." >>"$md"
    return 0
  fi
  log "npm run $script (build cache: $cache_state)"
  if ! run_child env "$timings_env=$WORK/$script.timings" npm run "$script" >"$WORK/$script.log" 2>&1; then
    outcome="FAILED (last lines: $(tail -n 3 "$WORK/$script.log" | tr '\n|' ' /'))"
    failed+=("$script")
  fi
  {
    echo "$description Outcome: $outcome."
    echo "Build cache at start: **$cache_state** (\`$CACHE\`); the cold figures are in"
    # shellcheck disable=SC2016  # markdown backticks, not a command substitution
    echo '[`bench/history/cold-ci.md`](history/cold-ci.md).'
    echo
    echo "| step | seconds | what it covers |"
    echo "|---|---|---|"
    if [[ -s "$WORK/$script.timings" ]]; then
      step_rows "$WORK/$script.timings"
    else
      echo "| (no timings: the tier stopped before printing them) | | |"
    fi
  } >>"$md"
}

# Whether the builds had their cache: the timings of a build step mean nothing without it.
cache_state=cold
if compgen -G "$CACHE/k8s/*/go*/bin/kubelet" >/dev/null && compgen -G "$CACHE/images/apache-spark-*.tar" >/dev/null; then
  cache_state=warm
fi
real_tier test:cluster SPARKPLAT_CLUSTER_TIMINGS "The platform on a real cluster (measured)" \
  "\`npm run test:cluster\` on this machine: a 3-node kubeadm cluster in network and mount namespaces, the operator chart through helm, every rendered object applied, the program's self-check Job, the shipped notebook in the JupyterLab pod (see the README's section on the tier)."
if [[ -s "$WORK/test:cluster.timings" ]]; then
  bash "$HERE/connect.sh" "$WORK/test:cluster.timings" >"$WORK/connect.md"
fi
cache_state=warm
real_tier test:engine SPARKPLAT_ENGINE_TIMINGS "The real Pulumi engine on that cluster (measured)" \
  "\`npm run test:engine\`: the real engine runs index.ts on the \`local\` stack (a cluster and a store of the user's) against the same kind of cluster. Compare \`pulumi_up\` with the modeled steps after \`k8s-nodes-ready\` in the critical path above: the model includes image pulls (~700 MB) that do not happen here, where images are imported into the nodes."

# --- results.md --------------------------------------------------------------------------------------
CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
MEM_GIB="$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`npm run bench\` (= \`bash bench/run.sh\`); do not edit by hand."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| date | $DATE |"
  echo "| machine | $(nproc) CPUs ($CPU_MODEL), $MEM_GIB GiB memory, $(uname -sr) |"
  echo "| load average at start / end (1, 5, 15 min) | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo "| Spark / Java | $SPARK_VERSION / $(java -version 2>&1 | head -n 1) |"
  echo "| commands | \`npx ts-node --transpile-only bench/deploy.ts\`; \`python bench/historyServer.py --sizes ${BENCH_SIZES:-50,200,1000} --tuning-variants ${BENCH_TUNING-rolling}\` (${HS_SECONDS} s); \`npm test\`; \`npm run test:integration\`; \`npm run test:cluster\`; \`npm run test:engine\` |"
  echo "| total | $((SECONDS - START)) s |"
  if ((${#failed[@]})); then
    echo "| **failed** | ${failed[*]} |"
  fi
  echo
  cat "$DEPLOY_MD"
  echo
  cat "$HS_MD"
  echo
  echo "### How the rendered values were chosen"
  echo
  echo "A hand-written record of the tuning session that chose them, with its own measurements:"
  # shellcheck disable=SC2016  # markdown backticks, not a command substitution
  echo '[`bench/history/tuning.md`](history/tuning.md).'
  echo
  cat "$SUITES_MD"
  echo
  cat "$WORK/test:cluster.md"
  if [[ -f "$WORK/connect.md" ]]; then
    echo
    cat "$WORK/connect.md"
  fi
  echo
  cat "$WORK/test:engine.md"
  if [[ -f "$HERE/history/mutation.md" ]]; then
    echo
    cat "$HERE/history/mutation.md"
  fi
} >"$WORK/results.md"
mv "$WORK/results.md" "$OUT"
log "wrote $OUT"
if ((${#failed[@]})); then
  log "failed: ${failed[*]}"
  exit 1
fi

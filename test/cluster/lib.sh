# shellcheck shell=bash
# Shared by the real tiers on the local cluster (test/cluster/run.sh, test/engine/run.sh); sourced.
# Needs ROOT, STATE (the cluster's state folder), TIMINGS (a scratch file), T0, log() and mark();
# kube needs K8S_BIN.

# shellcheck source=tools/cluster/network.sh
source "$ROOT/tools/cluster/network.sh"

kube() { KUBECONFIG="$STATE/admin.conf" "$K8S_BIN/kubectl" --request-timeout=20s "$@"; }

# What a failing step needs to be understood: every pod, recent events, and the log tails of
# pods that are not Running and Ready.
diagnose() {
  [[ -f "$STATE/admin.conf" && -n "${K8S_BIN:-}" ]] || return 0
  log "pods:"
  kube get pods -A -o wide >&2 || true
  log "recent events:"
  kube get events -A --sort-by=.lastTimestamp 2>/dev/null | tail -n 40 >&2 || true
  local ns pod
  while read -r ns pod; do
    log "last 30 log lines of $ns/$pod:"
    kube logs -n "$ns" "$pod" --all-containers --tail=30 >&2 2>&1 || true
  done < <(kube get pods -A --no-headers 2>/dev/null | awk '{ split($3, r, "/") } r[1] != r[2] || ($4 != "Running" && $4 != "Completed") {print $1, $2}' | head -n 10)
}

# One local cluster at a time: its bridge, addresses and namespace names are fixed. A tier takes
# the machine's lock for its whole run (the node processes it starts hold it too, until they are
# ended) and waits for another tier's run to finish: SPARKPLAT_CLUSTER_WAIT_SECONDS, default 3600.
claim_local_cluster() {
  local lock=/run/lock/sparkplat-cluster.lock wait="${SPARKPLAT_CLUSTER_WAIT_SECONDS:-3600}"
  mkdir -p /run/lock
  exec 9>>"$lock"
  if ! flock -n 9; then
    log "another tier's local cluster is up (the lock was last taken by $(cat "$lock.owner" 2>/dev/null || echo 'no tier')): waiting up to ${wait}s"
    flock -w "$wait" 9 || { log "the local cluster is still taken after ${wait}s; its lock: $lock"; exit 1; }
  fi
  printf '%s (pid %s)\n' "$STATE" "$$" >"$lock.owner"
}

# What the run made, read before teardown; check_teardown then finds none of it.
LEFT_PIDS=()
snapshot_for_teardown_check() {
  local f
  for f in "$STATE"/nodes/*/pid "$STATE"/nodes/*/pid.unshare "$STATE/moto.pid" "$STATE/wheels.pid" "$STATE/maven.pid"; do
    [[ -f "$f" ]] && LEFT_PIDS+=("$(cat "$f")")
  done
  cp "$STATE/sysctls" "$TIMINGS.sysctls" 2>/dev/null || true
  cp "$STATE/cluster.env" "$TIMINGS.env" 2>/dev/null || true
}
check_teardown() {
  local problems=() pid line node
  for pid in "${LEFT_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then problems+=("process $pid still runs"); fi
  done
  if [[ -f "$TIMINGS.env" ]]; then
    # shellcheck source=/dev/null
    source "$TIMINGS.env"
    local owner
    owner="$(bridge_owner "$BRIDGE")"
    if [[ -n "$owner" && "$owner" != "$STATE" ]]; then
      # Another cluster's network (this run's up refused to start on it): the names are shared.
      log "the bridge $BRIDGE and its namespaces are the cluster of $owner: not checked"
      NODE_NAMES=""
    elif ip link show "$BRIDGE" >/dev/null 2>&1; then problems+=("bridge $BRIDGE is still there"); fi
    if [[ -z "$owner" || "$owner" == "$STATE" ]] && iptables -w -S | grep -q 'sparkplat-'; then problems+=("iptables still has rules of a tier: $(iptables -w -S | grep 'sparkplat-' | head -n 3)"); fi
    for node in $NODE_NAMES; do
      if ip netns list | grep -q "^sparkplat-$node\b"; then problems+=("network namespace sparkplat-$node is still there"); fi
      if compgen -G "/sys/fs/cgroup/*/sparkplat-$node" >/dev/null; then problems+=("cgroups of $node are still there"); fi
    done
  fi
  if grep -q "$STATE" /proc/mounts; then problems+=("mounts under $STATE remain"); fi
  if [[ -f "$TIMINGS.sysctls" ]]; then
    while IFS= read -r line; do
      [[ "$(sysctl -n "${line%%=*}")" == "${line#*=}" ]] || problems+=("sysctl ${line%%=*} is $(sysctl -n "${line%%=*}"), was ${line#*=}")
    done <"$TIMINGS.sysctls"
  fi
  rm -f "$TIMINGS.sysctls" "$TIMINGS.env"
  if ((${#problems[@]})); then
    log "teardown left: ${problems[*]}"
    return 1
  fi
  log "teardown left nothing behind (processes, namespaces, bridge, iptables rules, cgroups, mounts, sysctls)"
}


# tier_finish RC KEEP TIMINGS_COPY REMOVE_HINT [ON_FAILURE]: a tier's EXIT trap. On a failure
# (RC not 0) names the step ($STEP), runs the function ON_FAILURE if given, and prints the pods'
# state (diagnose). Then puts the platform's own steps (from local.sh) before the tier's, keeps the
# cluster (KEEP=1) or removes it and checks that nothing is left, prints the timing table (and
# copies it to TIMINGS_COPY if set), and exits RC, or 1 if the teardown failed or left something.
tier_finish() {
  local rc="$1" keep="$2" copy="$3" hint="$4" on_failure="${5:-}" t
  if ((rc != 0)); then
    log "FAILED at step: ${STEP:-setup} (exit $rc)"
    if [[ -n "$on_failure" ]]; then "$on_failure" || true; fi
    diagnose
  fi
  if [[ -f "$STATE/timings" ]]; then cat "$STATE/timings" "$TIMINGS" >"$TIMINGS.all"; mv "$TIMINGS.all" "$TIMINGS"; fi
  if [[ "$keep" == 1 ]]; then
    log "kept: $STATE (remove with: $hint)"
  else
    t=$SECONDS
    snapshot_for_teardown_check
    bash "$ROOT/tools/cluster/local.sh" down "$STATE" >&2 || { log "teardown failed"; rc=1; }
    mark teardown "$((SECONDS - t))"
    check_teardown || rc=1
  fi
  printf '\n%-30s %8s\n' "step" "seconds"
  awk '{ printf "%-30s %8d\n", $1, $2 }' "$TIMINGS"
  printf '%-30s %8d\n' total "$((SECONDS - T0))"
  mark total "$((SECONDS - T0))"
  if [[ -n "$copy" ]]; then cp "$TIMINGS" "$copy"; fi
  rm -f "$TIMINGS"
  exit "$rc"
}

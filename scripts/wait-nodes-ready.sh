#!/usr/bin/env bash
# Runs on the control plane: waits until every expected node has registered and is Ready.
# On timeout it prints what an operator would look at first: the node list and the
# description of each node that is not Ready.
#
# Env: EXPECTED_NODES (space-separated node names), TIMEOUT_SECONDS.
set -euo pipefail
SCRIPT_NAME="wait-nodes-ready"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

export KUBECONFIG="$NODE_ROOT/etc/kubernetes/admin.conf"

# Prints the expected nodes that are not Ready, unregistered ones included, one per line.
not_ready_nodes() {
  local listing expected name
  listing="$(kubectl get nodes --request-timeout=10s \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' \
    2>/dev/null)" || listing=""
  read -r -a expected <<<"$EXPECTED_NODES"
  for name in "${expected[@]}"; do
    if ! grep -qxF "$name True" <<<"$listing"; then
      printf '%s\n' "$name"
    fi
  done
}

all_nodes_ready() {
  [[ -z "$(not_ready_nodes)" ]]
}

report_not_ready() {
  local name
  kubectl get nodes -o wide --request-timeout=10s >&2 || true
  for name in "$@"; do
    printf '\n--- kubectl describe node %s\n' "$name" >&2
    kubectl describe node "$name" --request-timeout=10s >&2 || log "node $name has not registered with the API server"
  done
}

wait_for_nodes() {
  step wait_for_nodes_ready "a node that never registers did not join (see join-worker's output); a NotReady node usually lacks a running CNI pod ('kubectl -n kube-system get pods -o wide')"
  if wait_until "$TIMEOUT_SECONDS" all_nodes_ready; then
    log "all nodes Ready: $EXPECTED_NODES"
    return 0
  fi
  local pending=()
  mapfile -t pending < <(not_ready_nodes)
  report_not_ready "${pending[@]}"
  fail "not Ready after ${TIMEOUT_SECONDS}s: ${pending[*]}"
}

main() {
  step check_environment
  require_env EXPECTED_NODES TIMEOUT_SECONDS
  require_seconds TIMEOUT_SECONDS
  wait_for_nodes
}

main "$@"

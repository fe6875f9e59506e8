#!/usr/bin/env bash
# Runs on the control plane when a worker is removed: drains it and deletes its Node object.
# Every wait is bounded and an unreachable API or an absent node is not an error, because a
# destroy must never hang on a cluster that is already gone.
#
# Env: NODE_NAME. Optional: DRAIN_TIMEOUT_SECONDS (default 300).
set -euo pipefail
SCRIPT_NAME="drain-node"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

DRAIN_TIMEOUT_SECONDS="${DRAIN_TIMEOUT_SECONDS:-300}"
export KUBECONFIG="$NODE_ROOT/etc/kubernetes/admin.conf"

# Succeeds when the node is there to drain; otherwise says why not.
node_registered() {
  local found
  if [[ ! -f "$KUBECONFIG" ]]; then
    log "note: no ${KUBECONFIG#"$NODE_ROOT"}, the cluster was never initialised; nothing to drain"
    return 1
  fi
  if ! found="$(kubectl get node "$NODE_NAME" --ignore-not-found -o name --request-timeout=10s 2>/dev/null)"; then
    log "note: the API server is unreachable; skipping the drain of $NODE_NAME"
    return 1
  fi
  if [[ -z "$found" ]]; then
    log "note: node $NODE_NAME is not registered; nothing to drain"
    return 1
  fi
}

drain_node() {
  step drain_node
  if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data \
    --timeout="${DRAIN_TIMEOUT_SECONDS}s" --request-timeout=30s >&2; then
    # The machine goes away next either way; its pods are rescheduled once the Node is deleted.
    log "warning: drain of $NODE_NAME did not finish within ${DRAIN_TIMEOUT_SECONDS}s (see above); deleting the node anyway"
  fi
}

delete_node() {
  step delete_node
  kubectl delete node "$NODE_NAME" --ignore-not-found --timeout=60s --request-timeout=30s >&2
}

main() {
  step check_environment
  require_env NODE_NAME
  require_seconds DRAIN_TIMEOUT_SECONDS
  step check_node_registered
  if ! node_registered; then
    return 0
  fi
  drain_node
  delete_node
}

main "$@"

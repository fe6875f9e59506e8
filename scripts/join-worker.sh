#!/usr/bin/env bash
# Runs on a worker: joins it to the cluster under its Pulumi-chosen node name.
#
# Env: JOIN_COMMAND (secret: `kubeadm join ...` from `kubeadm token create
# --print-join-command`), NODE_NAME. JOIN_COMMAND is never printed or written to a file.
set -euo pipefail
SCRIPT_NAME="join-worker"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

readonly KUBERNETES_DIR="$NODE_ROOT/etc/kubernetes"
readonly KUBELET_CONF="$KUBERNETES_DIR/kubelet.conf"

# What kubeadm join writes before the kubelet's TLS bootstrap gives it kubelet.conf: a join
# cut off in between (the session dropped) leaves these, and join's preflight refuses them.
join_leftovers() {
  [[ -f "$KUBERNETES_DIR/pki/ca.crt" || -f "$KUBERNETES_DIR/bootstrap-kubelet.conf" ||
    -f "$NODE_ROOT/var/lib/kubelet/config.yaml" ]]
}

reset_earlier_join() {
  step reset_earlier_join
  log "an earlier kubeadm join stopped half-way; resetting what it left"
  kubeadm reset --force 2>&1 | redact_join_secrets >&2
}

join_cluster() {
  step join_cluster "check that the worker reaches the control plane on 6443 and that the join token (30 min TTL) has not expired; 'pulumi up' issues a new one"
  local join_args=()
  # Split into words without eval; a process substitution is a pipe, so no temporary file.
  read -r -a join_args < <(printf '%s\n' "$JOIN_COMMAND")
  if [[ "${join_args[0]:-}" != kubeadm || "${join_args[1]:-}" != join ]]; then
    fail "JOIN_COMMAND must be a 'kubeadm join ...' command line (its value is not shown: it holds a token)"
  fi
  if "${join_args[@]}" --node-name "$NODE_NAME" 2>&1 | redact_join_secrets >&2; then
    log "joined the cluster as $NODE_NAME"
    return 0
  fi
  # A half-done join fails kubeadm's preflight checks on the next run; start clean instead.
  if ! kubeadm reset --force 2>&1 | redact_join_secrets >&2; then
    log "kubeadm reset failed as well; run 'sudo kubeadm reset --force' on the node before retrying"
  fi
  fail "kubeadm join failed (output above, tokens removed)"
}

main() {
  step check_environment
  require_env JOIN_COMMAND NODE_NAME
  if [[ -f "$KUBELET_CONF" ]]; then
    log "already joined (${KUBELET_CONF#"$NODE_ROOT"} exists); skipping kubeadm join"
    return 0
  fi
  if join_leftovers; then
    reset_earlier_join
  fi
  join_cluster
}

main "$@"

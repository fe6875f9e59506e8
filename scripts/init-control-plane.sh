#!/usr/bin/env bash
# Runs on the control plane: `kubeadm init` with the rendered config, a kubeconfig for the
# login user, then waits for the API server to answer /readyz.
#
# Env: KUBEADM_CONFIG (kubeadm config YAML holding the __KUBERNETES_VERSION__ marker).
# Optional: KUBECONFIG_OWNER (default ubuntu), READY_TIMEOUT_SECONDS (default 300).
set -euo pipefail
SCRIPT_NAME="init-control-plane"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

KUBECONFIG_OWNER="${KUBECONFIG_OWNER:-ubuntu}"
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-300}"
readonly VERSION_MARKER="__KUBERNETES_VERSION__"
readonly KUBERNETES_DIR="$NODE_ROOT/etc/kubernetes"
readonly ADMIN_CONF="$KUBERNETES_DIR/admin.conf"
readonly KUBEADM_CONFIG_FILE="$KUBERNETES_DIR/kubeadm-config.yaml"
readonly INIT_LOG="$NODE_ROOT/var/log/kubeadm-init.log"
export KUBECONFIG="$ADMIN_CONF"

check_environment() {
  step check_environment
  require_env KUBEADM_CONFIG
  require_seconds READY_TIMEOUT_SECONDS
  if [[ "$KUBEADM_CONFIG" != *"$VERSION_MARKER"* ]]; then
    fail "KUBEADM_CONFIG must contain the $VERSION_MARKER marker (replaced by the installed kubeadm's version)"
  fi
}

# The version comes from the installed kubeadm, so config and binaries cannot disagree.
write_kubeadm_config() {
  step write_kubeadm_config
  local version
  version="$(kubeadm version -o short)"
  if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    fail "'kubeadm version -o short' printed '$version', not a version"
  fi
  printf '%s\n' "${KUBEADM_CONFIG//"$VERSION_MARKER"/"$version"}" | update_file "$KUBEADM_CONFIG_FILE" 0600
}

run_kubeadm_init() {
  step run_kubeadm_init "/var/log/kubeadm-init.log holds kubeadm's output (tokens removed); 'journalctl -u kubelet' shows why the control plane did not start"
  install -d -m 0755 "$(dirname "$INIT_LOG")"
  install -m 0600 /dev/null "$INIT_LOG"
  # --skip-token-print keeps the bootstrap token out of the output; the filter is the backstop.
  if kubeadm init --config "$KUBEADM_CONFIG_FILE" --upload-certs=false --skip-token-print 2>&1 |
    redact_join_secrets >"$INIT_LOG"; then
    log "kubeadm init succeeded; its output is in ${INIT_LOG#"$NODE_ROOT"}"
    return 0
  fi
  tail -n 30 "$INIT_LOG" >&2
  # A half-done init leaves admin.conf behind, which the next run would take for success.
  if ! kubeadm reset --force 2>&1 | redact_join_secrets >>"$INIT_LOG"; then
    log "kubeadm reset failed as well; run 'sudo kubeadm reset --force' on the node before retrying"
  fi
  fail "kubeadm init failed (last lines above)"
}

# Gives the SSH login user kubectl access on the control plane, for debugging.
install_user_kubeconfig() {
  step install_user_kubeconfig
  local group kube_dir dest
  group="$(id -gn "$KUBECONFIG_OWNER")"
  kube_dir="$NODE_ROOT/home/$KUBECONFIG_OWNER/.kube"
  dest="$kube_dir/config"
  install -d -m 0700 -o "$KUBECONFIG_OWNER" -g "$group" "$kube_dir"
  if cmp -s "$ADMIN_CONF" "$dest" && [[ "$(stat -c %U "$dest")" == "$KUBECONFIG_OWNER" ]]; then
    return 0
  fi
  install -m 0600 -o "$KUBECONFIG_OWNER" -g "$group" "$ADMIN_CONF" "$dest"
  log "installed ${dest#"$NODE_ROOT"}"
}

api_server_ready() {
  [[ "$(kubectl get --raw /readyz --request-timeout=5s 2>/dev/null)" == ok ]]
}

wait_for_api_server() {
  step wait_for_api_server "'crictl ps -a' and 'journalctl -u kubelet' on the node show which control-plane pod is failing"
  if ! wait_until "$READY_TIMEOUT_SECONDS" api_server_ready; then
    kubectl get --raw '/readyz?verbose' --request-timeout=5s >&2 || true
    fail "the API server did not report ready within ${READY_TIMEOUT_SECONDS}s"
  fi
  log "API server is ready"
}

main() {
  check_environment
  if [[ -f "$ADMIN_CONF" ]]; then
    log "already initialised (${ADMIN_CONF#"$NODE_ROOT"} exists); skipping kubeadm init"
  else
    write_kubeadm_config
    run_kubeadm_init
  fi
  install_user_kubeconfig
  wait_for_api_server
}

main "$@"

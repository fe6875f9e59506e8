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
readonly MANIFESTS_DIR="$KUBERNETES_DIR/manifests"
# Written once kubeadm init has finished: admin.conf alone is also there after an init that was
# cut off half-way (kubeadm writes it before it waits for the control plane).
readonly INIT_DONE="$KUBERNETES_DIR/kubeadm-init.done"
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
  rm -f "$INIT_DONE"
  # --skip-token-print keeps the bootstrap token out of the output; the filter is the backstop.
  if kubeadm init --config "$KUBEADM_CONFIG_FILE" --upload-certs=false --skip-token-print 2>&1 |
    redact_join_secrets >"$INIT_LOG"; then
    # Recorded before anything is written to the session, which may be gone by now.
    : >"$INIT_DONE"
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

# A value of the kubeadm config text: `  podSubnet: 10.244.0.0/16` gives 10.244.0.0/16.
config_value() {
  sed -n "s/^ *$1: *//p" | head -n 1
}

# kubeadm cannot move an existing cluster to other pod or service ranges, and the CNI is
# rendered from the new ones: refuse before anything changes, like a change of minor.
check_cluster_network() {
  step check_cluster_network
  local field setting recorded wanted
  for field in podSubnet:podCidr serviceSubnet:serviceCidr; do
    setting="${field#*:}"
    field="${field%%:*}"
    recorded="$(config_value "$field" <"$KUBEADM_CONFIG_FILE")"
    wanted="$(config_value "$field" <<<"$KUBEADM_CONFIG")"
    if [[ "$recorded" != "$wanted" ]]; then
      fail "the cluster was made with $field $recorded and the stack now asks for $wanted; kubeadm cannot change the $field of an existing cluster. Set $setting back to $recorded (pulumi config set $setting $recorded), or build a new cluster for the new range (pulumi destroy, then pulumi up)"
    fi
  done
}

init_recorded() {
  [[ -f "$INIT_DONE" && -f "$ADMIN_CONF" ]]
}

# Files an earlier kubeadm init leaves, whether it finished or not.
init_leftovers() {
  [[ -f "$ADMIN_CONF" ]] || compgen -G "$MANIFESTS_DIR/*.yaml" >/dev/null
}

# Prints how far an unrecorded earlier kubeadm init got: finished, unfinished, or unknown when
# its API server does not answer. kube-proxy's DaemonSet is the last object init creates.
earlier_init_state() {
  local found
  if [[ ! -f "$MANIFESTS_DIR/kube-apiserver.yaml" ]]; then
    echo unfinished
  elif ! wait_until "$READY_TIMEOUT_SECONDS" api_server_ready; then
    echo unknown
  elif ! found="$(kubectl get daemonset kube-proxy -n kube-system --ignore-not-found -o name --request-timeout=5s)"; then
    echo unknown
  elif [[ -n "$found" ]]; then
    echo finished
  else
    echo unfinished
  fi
}

# An earlier run started kubeadm init and did not record its end: the session dropped while
# init ran or just after. A finished init is kept; a half-done one is reset, so that init
# starts again on a clean node (its preflight checks refuse the leftovers).
settle_earlier_init() {
  step settle_earlier_init "if this node's control plane holds nothing worth keeping, 'sudo kubeadm reset --force' on the node lets the next 'pulumi up' start over"
  local state
  state="$(earlier_init_state)"
  case "$state" in
    finished)
      : >"$INIT_DONE"
      log "an earlier kubeadm init had finished; keeping its control plane"
      ;;
    unfinished)
      log "an earlier kubeadm init stopped half-way; resetting what it left"
      kubeadm reset --force 2>&1 | redact_join_secrets >&2
      ;;
    *) fail "an earlier kubeadm init left a control plane whose API server does not answer within ${READY_TIMEOUT_SECONDS}s; not resetting it unasked" ;;
  esac
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
  if ! init_recorded && init_leftovers; then
    settle_earlier_init
  fi
  if init_recorded; then
    check_cluster_network
    log "already initialised (${INIT_DONE#"$NODE_ROOT"} exists); skipping kubeadm init"
  else
    write_kubeadm_config
    run_kubeadm_init
  fi
  install_user_kubeconfig
  wait_for_api_server
}

main "$@"

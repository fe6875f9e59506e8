#!/usr/bin/env bash
# The local test cluster: real Kubernetes (kubeadm init from the program's render, kubeadm join),
# each node in network, mount, PID and UTS namespaces of its own on a bridge the script makes.
# Nothing is written to the machine's /etc/kubernetes or /var/lib/kubelet; `down` removes every
# process, mount, namespace, bridge, iptables rule and cgroup that `up` made, and restores the
# sysctls the kubelets change.
#
#   bash tools/cluster/cluster.sh up STATE_DIR     nodes up, cluster made, every node Ready
#   bash tools/cluster/cluster.sh down STATE_DIR   everything removed (safe to run twice)
#   bash tools/cluster/cluster.sh exec STATE_DIR NODE CMD...   a command inside a node
#
# Env: SPARKPLAT_K8S_BIN (the Kubernetes bin dir), SPARKPLAT_HELM (helm binary), FLANNEL_CHART
# (chart folder), SPARKPLAT_IMAGES (a file listing image tarballs, one per line, each named as
# the manifests use it),
# READY_TIMEOUT_SECONDS (each wait; default 300).
# Needs root, and tools/cluster/prepare.ts run on STATE_DIR first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cmd="${1:?usage: cluster.sh up|down|exec STATE_DIR ...}"
state="$(realpath -m "${2:?usage: cluster.sh up|down|exec STATE_DIR ...}")"
shift 2
READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-300}"
T0=$SECONDS

log() { printf '[cluster %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, mounts, a bridge)"
[[ -f "$state/cluster.env" ]] || die "$state/cluster.env missing: run tools/cluster/prepare.ts $state first"
# shellcheck source=/dev/null
source "$state/cluster.env"
read -r -a nodes <<<"$NODE_NAMES"
read -r -a addresses <<<"$NODE_ADDRESSES"
netns_of() { printf 'sparkplat-%s' "$1"; }
pid_of() { cat "$state/nodes/$1/pid" 2>/dev/null; }

# in_node NODE CMD...: runs CMD in every namespace of NODE.
in_node() {
  local node="$1" pid
  shift
  pid="$(pid_of "$node")" || die "node $node is not running"
  nsenter --target "$pid" --mount --uts --net --pid -- env PATH="$SPARKPLAT_K8S_BIN:$PATH" "$@"
}

# wait_for SECONDS WHAT CMD...: retries CMD every 2 s; fails naming WHAT when time is up.
wait_for() {
  local limit=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < limit)) || return 1
    sleep 2
  done
  log "$what"
}

# --- sysctls the kubelets change (they are not per network namespace) ----------------------------
readonly GLOBAL_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
save_sysctls() {
  [[ -f "$state/sysctls" ]] && return 0
  local k
  for k in "${GLOBAL_SYSCTLS[@]}"; do
    printf '%s=%s\n' "$k" "$(sysctl -n "$k")"
  done >"$state/sysctls.tmp"
  mv "$state/sysctls.tmp" "$state/sysctls"
}
restore_sysctls() {
  [[ -f "$state/sysctls" ]] || return 0
  local line
  while IFS= read -r line; do
    sysctl -qw "$line" || log "could not restore $line"
  done <"$state/sysctls"
  rm -f "$state/sysctls"
}

# --- network: a bridge, one namespace and veth pair per node -------------------------------------
# The FORWARD rules of the test bridge, one per line, as `up` inserts and `down` deletes them.
forward_rules() {
  printf '%s\n' "-i $BRIDGE ! -o $BRIDGE -j DROP -m comment --comment sparkplat-cluster" \
    "-o $BRIDGE ! -i $BRIDGE -j DROP -m comment --comment sparkplat-cluster"
}
# The bridge carries its cluster's state folder as its alias (network.sh): `down` removes the
# network only when it is this cluster's, and `up` refuses to start on a bridge that another uses.
# shellcheck source=tools/cluster/network.sh
source "$HERE/network.sh"
network_owner() { bridge_owner "$BRIDGE"; }
network_up() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    local owner
    owner="$(network_owner)"
    if [[ -n "$owner" ]]; then
      die "the bridge $BRIDGE exists already: the cluster of $owner is up, or was left behind ('bash tools/cluster/local.sh down $owner' removes it). One local cluster runs at a time."
    fi
    die "the bridge $BRIDGE exists already, not made by this project's cluster scripts ('ip link del $BRIDGE' removes it). One local cluster runs at a time."
  fi
  local node
  for node in "${nodes[@]}"; do
    if [[ -e "/run/netns/$(netns_of "$node")" ]]; then die "the network namespace $(netns_of "$node") exists already, with no bridge: left by a cluster that did not come down; 'ip netns del $(netns_of "$node")' removes it"; fi
  done
  ip link add "$BRIDGE" type bridge
  ip link set "$BRIDGE" alias "$(bridge_alias "$state")"
  ip addr add "$HOST_ADDRESS/$PREFIX_LENGTH" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Nothing from the test bridge is forwarded anywhere else (the machine's ip_forward may be on).
  local rule
  while read -r -a rule; do iptables -w -I FORWARD "${rule[@]}"; done < <(forward_rules)
  local i ns
  for i in "${!nodes[@]}"; do
    ns="$(netns_of "${nodes[$i]}")"
    ip netns add "$ns"
    ip link add "sp-$i" type veth peer name eth0 netns "$ns"
    ip link set "sp-$i" master "$BRIDGE" up
    ip -n "$ns" addr add "${addresses[$i]}/$PREFIX_LENGTH" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    # Through the machine, which forwards nothing from this bridge: the default route exists
    # (the kubelet and kube-proxy need one) and leads nowhere outside.
    ip -n "$ns" route add default via "$HOST_ADDRESS"
  done
}
network_down() {
  local node ns
  for node in "${nodes[@]}"; do
    ns="$(netns_of "$node")"
    if ip netns list | grep -qx "$ns\( .*\)\?"; then ip netns del "$ns"; fi
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  local rule
  while read -r -a rule; do
    while iptables -w -D FORWARD "${rule[@]}" 2>/dev/null; do :; done
  done < <(forward_rules)
}

# --- nodes ------------------------------------------------------------------------------
node_start() {
  local node="$1" dir="$state/nodes/$1"
  rm -f "$dir/ready"
  nsenter --net="/run/netns/$(netns_of "$node")" -- \
    unshare --pid --fork --kill-child --mount-proc --mount --uts --propagation private \
    bash "$HERE/node.sh" "$dir" "$node" "$state/hosts" >"$dir/node.log" 2>&1 &
  echo $! >"$dir/pid.unshare"
  # The node's PID 1 is unshare's child: nsenter needs that process.
  local limit=$((SECONDS + 30)) child=""
  while [[ -z "$child" ]] && ((SECONDS < limit)); do
    child="$(cat "/proc/$(cat "$dir/pid.unshare")/task/"*/children 2>/dev/null | awk '{print $1}' | head -n 1)"
    [[ -n "$child" ]] || sleep 0.2
  done
  [[ -n "$child" ]] || die "node $node did not start: $(tail -n 20 "$dir/node.log")"
  echo "$child" >"$dir/pid"
  wait_for 30 "node $node: containerd up" test -f "$dir/ready" || die "node $node did not come up: $(tail -n 20 "$dir/node.log")"
  # Each try is bounded (a ctr that hangs must not eat the wait); on a busy 2-core machine the
  # first answer has taken more than 30 s (a cold CI run with the builds of other tiers around).
  wait_for 90 "node $node: containerd answers" in_node "$node" timeout 10 ctr -n k8s.io version ||
    die "containerd of $node does not answer: $(in_node "$node" timeout 10 ctr -n k8s.io version 2>&1 | tail -n 3); its log: $(tail -n 20 "$dir/upper/var/log/containerd.log" 2>/dev/null)"
}
node_stop() {
  local node="$1" dir="$state/nodes/$1" pid init
  pid="$(cat "$dir/pid.unshare" 2>/dev/null)" || return 0
  init="$(cat "$dir/pid" 2>/dev/null)" || init=""
  if kill -0 "$pid" 2>/dev/null; then
    # The node's PID 1 ends on TERM, and the kernel ends every other process of its PID
    # namespace; unshare (--kill-child) then exits. KILL to unshare is the fallback.
    [[ -z "$init" ]] || kill -TERM "$init" 2>/dev/null || true
    local limit=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < limit)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid" "$dir/pid.unshare"
}
cgroups_down() {
  local node c
  for node in "${nodes[@]}"; do
    for c in /sys/fs/cgroup/*/"sparkplat-$node"; do
      [[ -d "$c" ]] || continue
      # Deepest first; a cgroup goes once its processes are gone.
      find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [[ ! -d "$c" ]] || log "cgroup $c is still in use"
    done
  done
}

import_images() {
  local node="$1" tar
  while read -r tar; do
    [[ -n "$tar" ]] || continue
    in_node "$node" ctr -n k8s.io images import "$tar" >/dev/null || die "importing $tar into $node failed"
  done <"$SPARKPLAT_IMAGES"
  log "node $node: images imported"
}

admin() { KUBECONFIG="$state/admin.conf" "$SPARKPLAT_K8S_BIN/kubectl" --request-timeout=10s "$@"; }

up() {
  [[ -n "${SPARKPLAT_K8S_BIN:-}" && -x "$SPARKPLAT_K8S_BIN/kubeadm" ]] || die "SPARKPLAT_K8S_BIN must name the Kubernetes bin dir (tools/k8s/build.sh prints it)"
  if [[ -f "$state/nodes/${nodes[0]}/pid.unshare" ]]; then die "a cluster of $state is running: run 'down' first"; fi
  network_up
  save_sysctls
  log "network: $BRIDGE $HOST_ADDRESS/$PREFIX_LENGTH, nodes ${nodes[*]}"
  local node pids=()
  for node in "${nodes[@]}"; do node_start "$node"; done
  for node in "${nodes[@]}"; do import_images "$node" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || die "image import failed"; done

  log "kubeadm init (the program's init-control-plane.sh)"
  in_node "${nodes[0]}" env NODE_ROOT= READY_TIMEOUT_SECONDS="$READY_TIMEOUT_SECONDS" bash "$state/init-control-plane.sh" ||
    die "init-control-plane.sh failed; kubelet log: $(tail -n 30 "$state/nodes/${nodes[0]}/upper/var/log/kubelet.log" 2>/dev/null)"
  cp "$state/nodes/${nodes[0]}/upper/etc/kubernetes/admin.conf" "$state/admin.conf"
  chmod 600 "$state/admin.conf"

  # The CNI goes in before any worker joins, as the program orders it.
  log "Flannel: the rendered namespace and chart values, through helm"
  admin apply -f "$state/render/k8s/namespace-kube-flannel.yaml" >/dev/null
  KUBECONFIG="$state/admin.conf" "$SPARKPLAT_HELM" install flannel "$FLANNEL_CHART" --namespace kube-flannel \
    --values "$state/render/helm/flannel.values.yaml" --wait --timeout "${READY_TIMEOUT_SECONDS}s" >/dev/null ||
    die "the flannel release did not become ready: $(admin -n kube-flannel get pods -o wide 2>&1)"

  local i join
  pids=()
  for i in "${!nodes[@]}"; do
    ((i > 0)) || continue
    node="${nodes[$i]}"
    # A token made for this join, as the program makes one per worker.
    join="$(in_node "${nodes[0]}" kubeadm token create --ttl 30m --print-join-command --kubeconfig /etc/kubernetes/admin.conf)"
    # The preflight checks overrides.yaml skips on this VM (the init's are in its configuration).
    if [[ -n "${IGNORE_PREFLIGHT_ERRORS:-}" ]]; then join+=" --ignore-preflight-errors=$IGNORE_PREFLIGHT_ERRORS"; fi
    sed "s|<kubeadm-join-command-made-for-this-worker>|$join|" "$state/render/nodes/$node/join-worker.sh" >"$state/nodes/$node/join-worker.sh"
    chmod 700 "$state/nodes/$node/join-worker.sh"
    in_node "$node" env NODE_ROOT= bash "$state/nodes/$node/join-worker.sh" >"$state/nodes/$node/join.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || die "${nodes[$((i + 1))]} did not join: $(tail -n 20 "$state/nodes/${nodes[$((i + 1))]}/join.log")"
  done
  log "workers joined"
  admin wait --for=condition=Ready node --all --timeout="${READY_TIMEOUT_SECONDS}s" >/dev/null ||
    die "nodes not Ready: $(admin get nodes -o wide 2>&1)"
  log "every node Ready"
  admin -n kube-system rollout status deployment/coredns --timeout="${READY_TIMEOUT_SECONDS}s" >/dev/null ||
    die "CoreDNS did not become available: $(admin -n kube-system get pods -o wide 2>&1)"
  log "CoreDNS available"
}

case "$cmd" in
  up) up ;;
  down)
    for node in "${nodes[@]}"; do node_stop "$node"; done
    # The bridge, the namespaces and the node cgroups have fixed names: another cluster's stay.
    owner="$(network_owner)"
    if [[ -n "$owner" && "$owner" != "$state" ]]; then
      log "the bridge $BRIDGE, its namespaces and node cgroups are the cluster of $owner: left as they are"
    else
      network_down
      cgroups_down
    fi
    restore_sysctls
    log "down"
    ;;
  exec)
    node="${1:?usage: cluster.sh exec STATE_DIR NODE CMD...}"
    shift
    in_node "$node" "$@"
    ;;
  *) die "unknown command '$cmd' (up, down, exec)" ;;
esac

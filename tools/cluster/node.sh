#!/usr/bin/env bash
# One node of the local test cluster: the first process of the node's own PID, mount and UTS
# namespaces, started by tools/cluster/cluster.sh inside the node's network namespace:
#
#   nsenter --net=/run/netns/NS unshare --pid --fork --mount-proc --mount --uts \
#     --propagation private bash tools/cluster/node.sh NODE_DIR NODE_NAME HOSTS_FILE
#
# It gives the node its own /etc, /var/lib, /var/log and /opt (overlays whose upper layers are in
# NODE_DIR, so kubeadm's fixed /etc/kubernetes and /var/lib/kubelet never touch the machine's),
# its own /run, a containerd, and a stand-in for systemd's kubelet unit: the kubelet starts once
# kubeadm has written its configuration, with the flags kubeadm's systemd drop-in gives it, and
# restarts when it exits. When this process ends, the kernel ends every process of the node.
#
# NODE_DIR/env (sourced) holds CGROUP_ROOT, CONTAINERD_CONFIG, KUBELET_EXTRA_ARGS and PATH_DIRS.
set -euo pipefail

node_dir="${1:?usage: node.sh NODE_DIR NODE_NAME HOSTS_FILE}"
node="${2:?usage: node.sh NODE_DIR NODE_NAME HOSTS_FILE}"
hosts_file="${3:?usage: node.sh NODE_DIR NODE_NAME HOSTS_FILE}"
# shellcheck source=/dev/null
source "$node_dir/env"
export PATH="$PATH_DIRS:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf '[%s %(%H:%M:%S)T] %s\n' "$node" -1 "$*" >&2; }

# --- file systems --------------------------------------------------------------------------
for d in etc var/lib var/log opt root home; do
  case "$node_dir/" in
    "/$d/"*) log "the node's folder $node_dir is under /$d, which the node overlays; choose a state folder elsewhere (e.g. under /var/tmp)"; exit 1 ;;
  esac
done
for d in etc var/lib var/log opt root home; do
  mkdir -p "$node_dir/upper/$d" "$node_dir/work/$d"
  mount -t overlay "sparkplat-$d" -o "lowerdir=/$d,upperdir=$node_dir/upper/$d,workdir=$node_dir/work/$d" "/$d"
done
# containerd's overlay snapshots cannot live on an overlay: a plain directory of the node.
mkdir -p "$node_dir/containerd" /var/lib/containerd
mount --bind "$node_dir/containerd" /var/lib/containerd
mount -t tmpfs -o mode=0755 sparkplat-run /run
mkdir -p /run/lock

# --- identity and name resolution --------------------------------------------------------------
hostname "$node"
printf '%s\n' "$node" >/etc/hostname
cp "$hosts_file" /etc/hosts
# A resolver that answers nothing (the test bridge's host side has no DNS server): look-ups of
# names outside the cluster fail at once instead of leaving the machine.
printf 'nameserver %s\n' "$RESOLVER" >/etc/resolv.conf

# --- kernel settings of this network namespace (the machine's own are not touched) -------------
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1

# --- CNI plugins from Debian where kubelet, containerd and Flannel look for them ------------------
rm -rf /etc/cni/net.d
mkdir -p /opt/cni/bin /etc/cni/net.d
for p in /usr/lib/cni/*; do cp -f "$p" /opt/cni/bin/; done

# --- cgroups: each node's pods under a root of its own --------------------------------------
for c in /sys/fs/cgroup/*/; do
  case "$c" in */unified/) continue ;; esac
  mkdir -p "$c${CGROUP_ROOT#/}"
done

# --- containerd ------------------------------------------------------------------------------
mkdir -p /etc/containerd
cp "$CONTAINERD_CONFIG" /etc/containerd/config.toml
containerd --config /etc/containerd/config.toml >/var/log/containerd.log 2>&1 &
containerd_pid=$!

# --- the kubelet, as kubeadm's systemd unit would run it -----------------------------------------
# /etc/default/kubelet holds what the node adds (KUBELET_EXTRA_ARGS), as on a Debian install.
printf 'KUBELET_EXTRA_ARGS="%s"\n' "$KUBELET_EXTRA_ARGS" >/etc/default/kubelet
run_kubelet() {
  local KUBELET_KUBEADM_ARGS="" extra=() kubeadm_args=()
  # shellcheck source=/dev/null
  source /var/lib/kubelet/kubeadm-flags.env
  # shellcheck source=/dev/null
  source /etc/default/kubelet
  read -r -a kubeadm_args <<<"$KUBELET_KUBEADM_ARGS"
  read -r -a extra <<<"$KUBELET_EXTRA_ARGS"
  exec kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
    --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml \
    "${kubeadm_args[@]}" "${extra[@]}"
}
supervise_kubelet() {
  while true; do
    if [[ -f /var/lib/kubelet/config.yaml && -f /var/lib/kubelet/kubeadm-flags.env ]]; then
      log "starting kubelet"
      (run_kubelet) >>/var/log/kubelet.log 2>&1 || log "kubelet exited ($?)"
    fi
    sleep 2
  done
}
supervise_kubelet &
kubelet_supervisor=$!

# shellcheck disable=SC2317,SC2329  # the signal trap
stop() {
  log "stopping"
  kill -TERM "$kubelet_supervisor" "$containerd_pid" 2>/dev/null || true
  exit 0
}
trap stop TERM INT
touch "$node_dir/ready"
log "node up: containerd $containerd_pid, kubelet supervisor $kubelet_supervisor"
# PID 1 of the namespace: reap whatever is re-parented here (containerd's shims).
while true; do
  wait -n 2>/dev/null || sleep 1
done

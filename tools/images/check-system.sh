#!/usr/bin/env bash
# Checks the cluster's own images (tools/images/system.sh) and extra binaries
# (tools/k8s/build-extras.sh), rerunnable:
#   (i)   every image `kubeadm config images list` names, and both images the flannel chart names,
#         has a tarball whose docker-archive RepoTags is exactly that name; the three Debian-based
#         images share the base layer;
#   (ii)  a throwaway containerd (own config, root, state and socket in a temporary directory)
#         imports every tarball into namespace k8s.io and `ctr images ls` lists the exact names;
#   (iii) the binaries run inside their images through that containerd and runc (`ctr run`):
#         etcd/etcdctl by name, coredns as its nonroot user, the control plane by name,
#         kube-proxy plus iptables (nf_tables), ip6tables and conntrack in its image, flanneld,
#         install-conf and iptables in the flannel image, the chart's `cp -f /flannel ...` in the
#         CNI plugin image and that plugin's ADD/DEL (delegating to /usr/lib/cni's bridge) in
#         throwaway network namespaces, pause stopping on SIGTERM; pause reaping an orphan on this
#         machine; helm and flanneld on this machine.
#
#   bash tools/images/check-system.sh [K8S_BIN_DIR [OUT_DIR]]
#
# K8S_BIN_DIR defaults to what tools/k8s/build.sh prints for versions.ts testedKubernetesRelease
# (building what is missing); OUT_DIR (the tarballs) defaults to a temporary directory removed at
# the end. containerd, its shims and containers run in a private mount and PID namespace with a
# tmpfs on /run: nothing is left on the machine's /run, and every process ends with the namespace.
# Env: SPARKPLAT_CACHE. Needs root, containerd, ctr, containerd-shim-runc-v2, runc, unshare,
# nsenter, ip, Debian's containernetworking-plugins (/usr/lib/cni), and what system.sh needs. Prints one "ok:"/"FAIL:" line per check; exits 1 on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
die() { echo "check-system.sh: $*" >&2; exit 1; }
failures=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect DESC PATTERN CMD...: runs CMD, passes when it succeeds and its output matches PATTERN.
expect() {
  local desc="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)" && grep -Eq -- "$pattern" <<<"$out"; then
    ok "$desc: $(grep -Em1 -- "$pattern" <<<"$out")"
  else
    fail "$desc: '$*' gave: $(head -c 600 <<<"$out")"
  fi
}

# ---------------------------------------------------------------------------------------------
# Inside the private namespaces: containerd, imports and runs. Called by the outer part below.
if [[ "${1:-}" == "--inside" ]]; then
  tmp="$2" out_dir="$3" tag="$4"
  mount -t tmpfs -o mode=0755 sparkplat-check-run /run
  cat >"$tmp/config.toml" <<EOF
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/containerd.sock"
[ttrpc]
  address = "$tmp/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$tmp/opt"
EOF
  containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
  containerd_pid=$!
  ctr() { command ctr -a "$tmp/containerd.sock" -n k8s.io "$@"; }
  for _ in $(seq 100); do
    ctr version >/dev/null 2>&1 && break
    kill -0 "$containerd_pid" 2>/dev/null || { tail -20 "$tmp/containerd.log" >&2; die "containerd exited at start"; }
    sleep 0.1
  done
  ctr version >/dev/null 2>&1 || die "containerd did not answer on $tmp/containerd.sock"

  # (ii) import every tarball, then compare the names.
  while read -r name file; do
    if ctr images import "$file" >"$tmp/import.log" 2>&1; then ok "import $name"; else fail "import $name: $(tail -3 "$tmp/import.log")"; fi
  done <"$out_dir/images.txt"
  if diff <(cut -d' ' -f1 "$out_dir/images.txt" | sort) <(ctr images ls -q | sort) >"$tmp/names.diff"; then
    ok "ctr images ls shows exactly: $(ctr images ls -q | tr '\n' ' ')"
  else
    fail "ctr images ls differs from images.txt: $(cat "$tmp/names.diff")"
  fi

  # (iii) run binaries in their images (own network namespace, default capabilities).
  declare -A img=()
  while read -r name _; do
    id="${name%:*}"
    img[${id##*/}]="$name"
  done <"$out_dir/images.txt"
  n=0
  # run [--cap-add X | --env X]... IMAGE CMD...: runs CMD in IMAGE to completion.
  # shellcheck disable=SC2329  # called through expect
  run() {
    local flags=()
    while [[ "$1" == --* ]]; do flags+=("$1" "$2"); shift 2; done
    n=$((n + 1))
    ctr run --rm --cgroup "/$tag/$n" "${flags[@]}" "$1" "$tag-$n" "${@:2}" </dev/null
  }
  # serve DESC PATTERN [--mount X]... IMAGE CMD...: starts a long-running CMD, passes when its
  # output matches PATTERN (empty: when it is still running after a second) and it then exits 0
  # on SIGTERM.
  serve() {
    local desc="$1" pattern="$2" id run_pid rc=0 up="" flags=()
    shift 2
    while [[ "$1" == --* ]]; do flags+=("$1" "$2"); shift 2; done
    n=$((n + 1))
    id="$tag-$n"
    ctr run --rm --cgroup "/$tag/$n" "${flags[@]}" "$1" "$id" "${@:2}" </dev/null >"$tmp/$id.log" 2>&1 &
    run_pid=$!
    for _ in $(seq 100); do
      kill -0 "$run_pid" 2>/dev/null || break
      if [[ -n "$pattern" ]] && grep -Eq -- "$pattern" "$tmp/$id.log"; then up=1; break; fi
      sleep 0.1
      [[ -z "$pattern" && "$(ctr task ls 2>/dev/null | awk -v id="$id" '$1 == id {print $3}')" == RUNNING ]] && { sleep 1; up=1; break; }
    done
    kill -0 "$run_pid" 2>/dev/null || up=""
    ctr task kill -s SIGTERM "$id" >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$run_pid" 2>/dev/null; then
      ctr task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      wait "$run_pid" || true
      fail "$desc: did not stop on SIGTERM"
      return
    fi
    wait "$run_pid" || rc=$?
    if [[ -n "$up" ]] && ((rc == 0)); then
      ok "$desc${pattern:+: $(grep -Em1 -- "$pattern" "$tmp/$id.log")}; exit 0 on SIGTERM"
    else
      fail "$desc: running=${up:-no} exit=$rc output: $(head -c 600 "$tmp/$id.log")"
    fi
  }
  expect "etcd --version (by name, PATH)" '^etcd Version: [0-9.]+' run "${img[etcd]}" etcd --version
  expect "etcdctl version" '^etcdctl version: ' run "${img[etcd]}" etcdctl version
  expect "coredns -version (as its image user)" '^CoreDNS-' run "${img[coredns]}" /coredns -version
  # As user 65532 with only its file capability, CoreDNS binds port 53, its Corefile mounted at
  # /etc/coredns as kubeadm's Deployment mounts it (the kubernetes plugin left out: no API server).
  mkdir -p "$tmp/coredns"
  printf '.:53 {\n  errors\n  health :8080\n  ready :8181\n  log\n  prometheus :9153\n  cache 30\n  loop\n  loadbalance\n  reload\n  forward . 192.0.2.1\n}\n' >"$tmp/coredns/Corefile"
  serve "coredns serves :53 as 65532 (cap_net_bind_service)" '^\.:53$' \
    --mount "type=bind,src=$tmp/coredns,dst=/etc/coredns,options=rbind:ro" "${img[coredns]}" /coredns -conf /etc/coredns/Corefile
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    expect "$c --version (by name)" '^Kubernetes v' run "${img[$c]}" "$c" --version
  done
  expect "kube-proxy --version" '^Kubernetes v' run "${img[kube-proxy]}" /usr/local/bin/kube-proxy --version
  expect "iptables in kube-proxy" 'nf_tables' run "${img[kube-proxy]}" iptables --version
  expect "ip6tables-restore in kube-proxy" 'nf_tables' run "${img[kube-proxy]}" ip6tables-restore --version
  expect "iptables -N + iptables-save in kube-proxy (own netns, NET_ADMIN)" '^:SPARKPLAT-CHECK ' \
    run --cap-add CAP_NET_ADMIN "${img[kube-proxy]}" sh -c 'iptables -N SPARKPLAT-CHECK && iptables-save'
  expect "conntrack in kube-proxy" 'conntrack v' run "${img[kube-proxy]}" conntrack --version
  expect "flanneld --version" '^v[0-9]' run "${img[flannel]}" /opt/bin/flanneld --version
  expect "iptables in flannel" 'nf_tables' run "${img[flannel]}" iptables --version
  expect "install-conf in flannel (the chart's install-cni step)" '^installed$' \
    run "${img[flannel]}" sh -c '/opt/bin/install-conf /etc/os-release /tmp/10-flannel.conflist && cmp /etc/os-release /tmp/10-flannel.conflist && echo installed'
  mkdir -p "$tmp/cni-bin"
  expect "flannel CNI plugin copy (the chart's install-cni-plugin command, into a bind mount)" '^copied$' \
    run --mount "type=bind,src=$tmp/cni-bin,dst=/opt/cni/bin,options=rbind:rw" "${img[flannel-cni-plugin]}" \
    sh -c 'cp -f /flannel /opt/cni/bin/flannel && echo copied'
  # The copied plugin on the "node": ADD/DEL of a pod network namespace from a flanneld-style
  # subnet.env, delegating to Debian's bridge and host-local (all in throwaway network namespaces).
  if [[ -x "$tmp/cni-bin/flannel" && -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]]; then
    mkdir -p /run/flannel /run/netns
    printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n' >/run/flannel/subnet.env
    touch /run/netns/node /run/netns/pod
    unshare --net=/run/netns/node true
    unshare --net=/run/netns/pod true
    cni_conf="{\"cniVersion\":\"0.3.1\",\"name\":\"cbr0\",\"type\":\"flannel\",\"dataDir\":\"$tmp/cni-flannel\",
      \"ipam\":{\"dataDir\":\"$tmp/cni-ipam\"},\"delegate\":{\"hairpinMode\":true,\"isDefaultGateway\":true}}"
    # shellcheck disable=SC2329  # called through expect
    cni() {
      nsenter --net=/run/netns/node env CNI_COMMAND="$1" CNI_CONTAINERID=sparkplat-check CNI_NETNS=/run/netns/pod \
        CNI_IFNAME=eth0 CNI_PATH="$tmp/cni-bin:/usr/lib/cni" "$tmp/cni-bin/flannel" <<<"$cni_conf"
    }
    expect "flannel CNI plugin ADD gives the pod an address of FLANNEL_SUBNET" '"10\.244\.7\.[0-9]+/24"' cni ADD
    expect "pod side has eth0 with that address" 'inet 10\.244\.7\.' nsenter --net=/run/netns/pod ip -4 addr show eth0
    expect "flannel CNI plugin DEL" '^$' cni DEL
  else
    fail "flannel CNI plugin ADD/DEL: no copied plugin or no /usr/lib/cni/bridge and host-local (Debian containernetworking-plugins)"
  fi
  expect "flannel CNI plugin VERSION" 'supportedVersions' run --env CNI_COMMAND=VERSION "${img[flannel-cni-plugin]}" /flannel
  serve "pause runs (as 65535) until SIGTERM" '' "${img[pause]}"

  # Leave nothing: no tasks; containerd stops by its PID (the namespace ends the rest).
  left="$(ctr task ls -q 2>/dev/null || true)"
  [[ -z "$left" ]] || fail "tasks left running: $left"
  kill "$containerd_pid"
  wait "$containerd_pid" || true
  echo "failures=$failures"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "needs root (containerd, namespaces, image builds)"
for tool in containerd ctr containerd-shim-runc-v2 runc unshare nsenter tar; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH"
done
work="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-check.XXXXXX")"
# Containers' ids and cgroups (/sys/fs/cgroup/*/TAG/N) carry this run's own tag.
tag="sparkplat-check-${work##*.}"
pause_pid=""
cleanup() {
  if [[ -n "$pause_pid" ]] && kill -0 "$pause_pid" 2>/dev/null; then kill -KILL "$pause_pid" 2>/dev/null || true; fi
  local d
  for d in /sys/fs/cgroup/*/"$tag"; do
    [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

if (($# >= 1)); then
  k8s_bin="$1"
else
  release="$(bash "$repo/tools/versions.sh" testedKubernetesRelease)" || die "no testedKubernetesRelease in versions.ts"
  k8s_bin="$(bash "$repo/tools/k8s/build.sh" "$release" kubeadm kube-apiserver kube-controller-manager kube-scheduler kube-proxy)" ||
    die "tools/k8s/build.sh $release failed"
fi
out_dir="${2:-$work/out}"

# Build (or reuse) everything, timed.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
start=$EPOCHREALTIME
bash "$here/system.sh" "$k8s_bin" "$out_dir" >"$work/tarballs.txt" || die "tools/images/system.sh failed"
ok "system.sh in $(since "$start")s: $(wc -l <"$work/tarballs.txt") tarballs"
out_dir="$(realpath "$out_dir")"
extras_start=$EPOCHREALTIME
mapfile -t extras < <(KUBEADM="$k8s_bin/kubeadm" bash "$repo/tools/k8s/build-extras.sh" all)
((${#extras[@]} == 5)) || die "tools/k8s/build-extras.sh all failed"
ok "build-extras.sh all in $(since "$extras_start")s"

# (i) names and tarballs.
archive_tags() { tar -xOf "$1" manifest.json | sed -n 's/.*"RepoTags":\["\([^"]*\)"\].*/\1/p'; }
archive_layers() { tar -xOf "$1" manifest.json | sed -n 's/.*"Layers":\[\([^]]*\)\].*/\1/p'; }
declare -A file_of=()
while read -r name file; do file_of[$name]="$file"; done <"$out_dir/images.txt"
expected="$("$k8s_bin/kubeadm" config images list --kubernetes-version "$("$k8s_bin/kubeadm" version -o short)")"
expected+=$'\n'"$(cut -d' ' -f2 "${extras[3]}/../chart-images.txt")"
while read -r name; do
  file="${file_of[$name]:-}"
  if [[ -z "$file" || ! -s "$file" ]]; then
    fail "no tarball for $name"
  elif [[ "$(archive_tags "$file")" != "$name" ]]; then
    fail "$file is tagged '$(archive_tags "$file")', not $name"
  else
    ok "tarball for $name ($(du -m "$file" | cut -f1) MB)"
  fi
done <<<"$expected"
base_layers=""
for name in "${!file_of[@]}"; do
  case "$name" in */kube-proxy:* | */flannel:* | */flannel-cni-plugin:*) base_layers+="$(archive_layers "${file_of[$name]}" | cut -d, -f1)"$'\n' ;; esac
done
if [[ "$(sort -u <<<"${base_layers%$'\n'}" | wc -l)" == 1 ]]; then
  ok "kube-proxy, flannel and flannel-cni-plugin share the Debian base layer $(head -1 <<<"$base_layers")"
else
  fail "the Debian-based images do not share their first layer: $base_layers"
fi

# pause on this machine: PID 1 of a PID namespace, adopts an orphan and reaps it, stops on SIGTERM.
pause_tar="${file_of[$(grep -m1 '/pause:' <<<"$expected")]}"
mkdir -p "$work/pause"
tar -xOf "$pause_tar" "$(archive_layers "$pause_tar" | tr -d '"' | cut -d, -f1)" | tar -x -C "$work/pause" pause
unshare --pid --fork "$work/pause/pause" &
unshare_pid=$!
for _ in $(seq 50); do
  pause_pid="$(ps -o pid= --ppid "$unshare_pid" | tr -d ' ' || true)"
  [[ -n "$pause_pid" ]] && break
  sleep 0.1
done
nsenter -t "$pause_pid" -p -- sh -c 'sleep 1 & exit 0'
sleep 0.3
orphan="$(ps -o pid=,stat= --ppid "$pause_pid" | tr -s ' ' || true)"
sleep 1.5
after="$(ps -o pid=,stat= --ppid "$pause_pid" | tr -s ' ' || true)"
if [[ -n "$orphan" && -z "$after" ]]; then ok "pause adopted an orphan (${orphan# }) and reaped it"; else fail "pause reaping: children while the orphan ran '$orphan', after '$after'"; fi
kill -TERM "$pause_pid"
rc=0
wait "$unshare_pid" || rc=$?
if ((rc == 0)); then ok "pause as PID 1 exits 0 on SIGTERM"; else fail "pause as PID 1 exited $rc on SIGTERM"; fi
pause_pid=""

# helm, flanneld on this machine.
expect "helm version" 'v3\.[0-9]+\.[0-9]+' "${extras[2]}/helm" version --short
expect "flanneld --version (host)" '^v[0-9]' "${extras[3]}/flanneld" --version

# (ii) and (iii) in private mount + PID namespaces.
unshare --mount --pid --fork --mount-proc --propagation private bash "$0" --inside "$work" "$out_dir" "$tag" | tee "$work/inside.log"
inside_failures="$(sed -n 's/^failures=//p' "$work/inside.log")"
[[ -n "$inside_failures" ]] || fail "the containerd checks did not finish"
failures=$((failures + ${inside_failures:-0}))
if ((failures)); then
  echo "check-system.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "check-system.sh: all checks passed"

#!/usr/bin/env bash
# Builds, without Docker and without a registry, docker-archive tarballs of every image a kubeadm
# cluster of this project needs, each named exactly as the manifests name it:
#   - `kubeadm config images list --kubernetes-version <kubeadm's version>`: pause, etcd, CoreDNS,
#     kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy;
#   - the flannel chart of versions.ts flannel.version: its flanneld image and its
#     flannel-cni-plugin image (chart/kube-flannel/values.yaml of the flannel module).
#
#   bash tools/images/system.sh K8S_BIN_DIR OUT_DIR
#
# K8S_BIN_DIR holds kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler and
# kube-proxy of one release (tools/k8s/build.sh prints such a directory). etcd, CoreDNS, flanneld
# and the flannel CNI plugin come from tools/k8s/build-extras.sh (versions from that kubeadm and
# versions.ts). Images:
#   pause                                 tools/images/pause/pause.c, gcc -static, entrypoint /pause
#   kube-apiserver/-controller-manager/-scheduler, etcd, coredns
#                                         static binaries on a tiny static layer (/etc/passwd,
#                                         /etc/group, /etc/nsswitch.conf, /tmp), no shell
#   kube-proxy, flannel, flannel-cni-plugin
#                                         derived (image_derive) from ONE Debian base made by
#                                         `debootstrap --variant=minbase` + BASE_PACKAGES, so
#                                         containerd stores its layer once
# All images live as tags of one OCI layout in $SPARKPLAT_CACHE/images/oci; each is keyed by its
# inputs (binaries, pause.c, this script and lib.sh, the base's package list) and rebuilt only
# when they change, so a warm run takes about a second. The layout and its lock
# ($SPARKPLAT_CACHE/images/.lock) are shared with tools/images/spark.sh; this script's tags are
# scratch, static-base, debian-base and the image ids above (keys in images/keys, tarballs in
# images/archives).
#
# Output: the tarballs, one path per line, on stdout; OUT_DIR/<name>.tar (hard links into the
# cache) and OUT_DIR/images.txt with "IMAGE-NAME TARBALL" lines.
# Env: SPARKPLAT_CACHE (default ~/.cache/sparkplat); TMPDIR for unpacked bundles.
# Needs root, umoci, skopeo, gcc (static glibc), debootstrap, unshare, flock, go (for build-extras).
set -euo pipefail

# The shared Debian base of the images that need a userland. Change BASE_RECIPE when the way the
# base is made (not its package list) changes, to rebuild it.
BASE_SUITE="bookworm"
BASE_MIRROR="http://deb.debian.org/debian"
BASE_PACKAGES=(iptables conntrack)
BASE_RECIPE="1"
IMAGE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091 # followed with -x; checked on its own
source "$here/lib.sh"

die() { echo "system.sh: $*" >&2; exit 1; }
(($# == 2)) || { echo "usage: system.sh K8S_BIN_DIR OUT_DIR" >&2; exit 2; }
k8s_bin="$(realpath "$1")" || die "K8S_BIN_DIR '$1' does not exist"
out_dir="$2"
[[ "$(id -u)" == 0 ]] || die "needs root (image rootfs files keep their owners; debootstrap)"
for tool in umoci skopeo gcc debootstrap unshare flock sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH (install the Debian package providing it)"
done
for b in kubeadm kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  [[ -x "$k8s_bin/$b" ]] || die "no $b in $k8s_bin (build it: bash tools/k8s/build.sh <version> $b)"
done

CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
img="$CACHE/images"
layout="$img/oci"
mkdir -p "$img/keys" "$img/archives" "$out_dir"
exec {lock_fd}>"$img/.lock"
flock "$lock_fd"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-system.XXXXXX")"
step="start"
# Builders run under set -e (never in an `||` list, which would turn it off): on failure, say where.
on_exit() {
  local rc=$?
  rm -rf "$tmp"
  ((rc == 0)) || echo "system.sh: failed (exit $rc) at step: $step" >&2
}
trap on_exit EXIT
export TMPDIR="$tmp"

# --- What to build: names from kubeadm and the flannel chart, binaries from the caches ---
k8s_version="$("$k8s_bin/kubeadm" version -o short)" || die "step kubeadm: $k8s_bin/kubeadm version failed"
kubeadm_images="$("$k8s_bin/kubeadm" config images list --kubernetes-version "$k8s_version")" ||
  die "step kubeadm: kubeadm config images list --kubernetes-version $k8s_version failed"
mapfile -t extras < <(KUBEADM="$k8s_bin/kubeadm" bash "$repo/tools/k8s/build-extras.sh" etcd coredns flanneld flannel-cni-plugin) ||
  die "step build-extras: tools/k8s/build-extras.sh failed"
((${#extras[@]} == 4)) || die "step build-extras: expected 4 bin directories, got: ${extras[*]}"
etcd_bin="${extras[0]}" coredns_bin="${extras[1]}" flanneld_bin="${extras[2]}" cni_bin="${extras[3]}"
chart_images="$flanneld_bin/../chart-images.txt"
[[ -s "$chart_images" ]] || die "step flannel chart: no $chart_images"

declare -A ref=()
while read -r name; do
  [[ -n "$name" ]] || continue
  id="${name%:*}"
  id="${id##*/}"
  case "$id" in
    pause | etcd | coredns | kube-apiserver | kube-controller-manager | kube-scheduler | kube-proxy) ref[$id]="$name" ;;
    *) die "step kubeadm: kubeadm lists an image this script does not build: $name" ;;
  esac
done <<<"$kubeadm_images"
while read -r id name; do ref[$id]="$name"; done <"$chart_images"
for id in pause etcd coredns kube-apiserver kube-controller-manager kube-scheduler kube-proxy flannel flannel-cni-plugin; do
  [[ -n "${ref[$id]:-}" ]] || die "no image name for $id (kubeadm or the flannel chart)"
done

# --- Keys and the layout ---
script_key="$(inputs_key "$here/system.sh" "$here/lib.sh")"
# stat_key FILE...: a key from the files' identity (they are replaced, never changed in place, by the build caches).
stat_key() { stat -L -c '%n %s %Y %i' "$@" | sha256sum | cut -c1-12; }
key_of() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

[[ -d "$layout" ]] || umoci init --layout "$layout"
tags=" $(umoci ls --layout "$layout" | tr '\n' ' ') "
changed=0
# ensure ID KEY BUILDER...: (re)builds tag ID with BUILDER unless it exists with key KEY.
ensure() {
  local id="$1" key="$2"
  shift 2
  if [[ "$tags" == *" $id "* && "$(cat "$img/keys/$id" 2>/dev/null)" == "$key" ]]; then return 0; fi
  echo "system.sh: building image $id (${ref[$id]:-internal})" >&2
  rm -f "$img/keys/$id"
  if [[ "$tags" == *" $id "* ]]; then umoci rm --image "$layout:$id"; fi
  step="image $id: $*"
  "$@"
  step="after image $id"
  echo "$key" >"$img/keys/$id"
  tags+="$id "
  changed=1
}

# --- Fill functions: each gets the unpacked rootfs first ---
# fill_files ROOTFS [SRC DEST]...: installs executables at DEST (absolute path inside the image).
fill_files() {
  local rootfs="$1"
  shift
  while (($#)); do
    install -D -m 0755 "$1" "$rootfs$2"
    shift 2
  done
}

# The static layer: what Go binaries and kubeadm's pods expect of a root filesystem.
fill_static_base() {
  local rootfs="$1"
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/run"
  chmod 1777 "$rootfs/tmp"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$rootfs/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$rootfs/etc/group"
  echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
  mkdir -p "$rootfs/root" "$rootfs/home/nonroot"
  chown 65532:65532 "$rootfs/home/nonroot"
}

fill_pause() {
  local rootfs="$1"
  gcc -static -Os -s -Wall -Wextra -Werror -o "$tmp/pause" "$here/pause/pause.c"
  install -D -m 0755 "$tmp/pause" "$rootfs/pause"
}

# CoreDNS runs as nonroot (65532) and binds port 53 through a file capability, as upstream.
fill_coredns() {
  local rootfs="$1"
  install -D -m 0755 "$coredns_bin/coredns" "$rootfs/coredns"
  setcap cap_net_bind_service=+ep "$rootfs/coredns"
}

fill_debian() {
  local rootfs="$1" include
  include="$(IFS=,; echo "${BASE_PACKAGES[*]}")"
  # A private mount namespace: the /proc and /sys debootstrap mounts in the target vanish with it.
  if ! unshare --mount --propagation private debootstrap --variant=minbase --include="$include" \
    "$BASE_SUITE" "$rootfs" "$BASE_MIRROR" >"$tmp/debootstrap.log" 2>&1; then
    tail -20 "$tmp/debootstrap.log" >&2
    echo "system.sh: debootstrap $BASE_SUITE from $BASE_MIRROR failed" >&2
    return 1
  fi
  # Small and free of this machine's details: no apt lists or caches, docs, man pages, locales, logs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/usr/share/lintian "$rootfs"/var/log/* "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/cache/ldconfig/aux-cache \
    "$rootfs"/debootstrap
  rm -f "$rootfs/etc/hostname" "$rootfs/etc/machine-id"
  : >"$rootfs/etc/resolv.conf"
  # Later package installs (if any) keep the same rules.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' >"$rootfs/etc/dpkg/dpkg.cfg.d/sparkplat-nodoc"
  # kube-proxy and flanneld talk to the host's nf_tables, as the host's iptables does.
  if ! chroot "$rootfs" iptables --version | grep -q nf_tables; then
    echo "system.sh: the base's iptables is not the nf_tables variant" >&2
    return 1
  fi
}

# --- Image builders ---
# same_release BIN: a Kubernetes binary of the release kubeadm is (checked when its image is built).
same_release() {
  local v
  v="$("$1" --version 2>&1)"
  if [[ "$v" != "Kubernetes $k8s_version" ]]; then
    echo "system.sh: $1 --version says '$v', but kubeadm is $k8s_version" >&2
    return 1
  fi
}
build_scratch() { image_new "$layout" scratch; }
build_static_base() {
  image_derive "$layout" scratch static-base fill_static_base
  image_config "$layout" static-base --config.env "PATH=$IMAGE_PATH" --config.workingdir /
}
build_pause() {
  image_derive "$layout" scratch pause fill_pause
  image_config "$layout" pause --config.entrypoint /pause --config.user 65535:65535
}
# build_static ID ENTRYPOINT [SRC DEST]...
build_static() {
  local id="$1" entry="$2"
  shift 2
  if [[ "$id" == kube-* ]]; then same_release "$1"; fi
  image_derive "$layout" static-base "$id" fill_files "$@"
  image_config "$layout" "$id" --config.entrypoint "$entry"
}
build_coredns() {
  image_derive "$layout" static-base coredns fill_coredns
  image_config "$layout" coredns --config.entrypoint /coredns --config.user 65532:65532 \
      --config.exposedports 53/tcp --config.exposedports 53/udp
}
build_debian() {
  image_new "$layout" debian-base-empty
  image_derive "$layout" debian-base-empty debian-base fill_debian
  umoci rm --image "$layout:debian-base-empty"
  image_config "$layout" debian-base --config.env "PATH=$IMAGE_PATH" --config.workingdir /
}
# build_derived ID ENTRYPOINT|- [SRC DEST]...
build_derived() {
  local id="$1" entry="$2"
  shift 2
  if [[ "$id" == kube-* ]]; then same_release "$1"; fi
  image_derive "$layout" debian-base "$id" fill_files "$@"
  if [[ "$entry" != - ]]; then image_config "$layout" "$id" --config.entrypoint "$entry"; fi
}

base_key="$(key_of "$BASE_SUITE" "$BASE_MIRROR" "${BASE_PACKAGES[@]}" "$BASE_RECIPE")"
static_key="$(key_of "$script_key")"
ensure scratch "$static_key" build_scratch
ensure static-base "$static_key" build_static_base
ensure debian-base "$base_key" build_debian
ensure pause "$(key_of "$script_key" "$(inputs_key "$here/pause/pause.c")" "$(gcc -dumpfullversion)")" build_pause
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  ensure "$c" "$(key_of "$static_key" "$(stat_key "$k8s_bin/$c")")" \
    build_static "$c" "/usr/local/bin/$c" "$k8s_bin/$c" "/usr/local/bin/$c"
done
ensure etcd "$(key_of "$static_key" "$(stat_key "$etcd_bin/etcd" "$etcd_bin/etcdctl")")" \
  build_static etcd /usr/local/bin/etcd "$etcd_bin/etcd" /usr/local/bin/etcd "$etcd_bin/etcdctl" /usr/local/bin/etcdctl
ensure coredns "$(key_of "$static_key" "$(stat_key "$coredns_bin/coredns")")" build_coredns
ensure kube-proxy "$(key_of "$script_key" "$base_key" "$(stat_key "$k8s_bin/kube-proxy")")" \
  build_derived kube-proxy /usr/local/bin/kube-proxy "$k8s_bin/kube-proxy" /usr/local/bin/kube-proxy
ensure flannel "$(key_of "$script_key" "$base_key" "$(stat_key "$flanneld_bin/flanneld" "$flanneld_bin/install-conf")")" \
  build_derived flannel /opt/bin/flanneld "$flanneld_bin/flanneld" /opt/bin/flanneld "$flanneld_bin/install-conf" /opt/bin/install-conf
ensure flannel-cni-plugin "$(key_of "$script_key" "$base_key" "$(stat_key "$cni_bin/flannel")")" \
  build_derived flannel-cni-plugin - "$cni_bin/flannel" /flannel
((changed)) && umoci gc --layout "$layout"

# --- Export (cached per image key) and publish into OUT_DIR ---
: >"$tmp/images.txt"
for id in pause kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd coredns flannel flannel-cni-plugin; do
  name="${ref[$id]}"
  key="$(key_of "$(cat "$img/keys/$id")" "$name")"
  archive="$img/archives/$id.tar"
  if [[ ! -f "$archive" || "$(cat "$archive.key" 2>/dev/null)" != "$key" ]]; then
    echo "system.sh: exporting $name" >&2
    rm -f "$archive.key"
    step="export $id as $name (skopeo copy)"
    image_export "$layout" "$id" "$name" "$archive"
    echo "$key" >"$archive.key"
  fi
  file="$out_dir/$(tr '/:' '__' <<<"$name").tar"
  ln -f "$archive" "$file" 2>/dev/null || cp -f "$archive" "$file"
  file="$(realpath "$file")"
  echo "$file"
  echo "$name $file" >>"$tmp/images.txt"
done
mv "$tmp/images.txt" "$out_dir/images.txt"

#!/usr/bin/env bash
# Runs on every node: turns a fresh Ubuntu machine into one kubeadm can use (no swap, the
# kernel settings Kubernetes networking needs, containerd with the systemd cgroup driver,
# kubelet/kubeadm/kubectl from pkgs.k8s.io) and installs the S3A jars Spark pods mount.
#
# Env: KUBERNETES_MINOR (e.g. 1.33), S3A_JARS_DIR, S3A_JARS (lines "filename url sha256"),
# SPARK_UID, JUPYTER_DATA_DIR (optional). Optional: RETRY_DELAY_SECONDS (default 5).
set -euo pipefail
SCRIPT_NAME="prepare-node"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

RETRY_DELAY_SECONDS="${RETRY_DELAY_SECONDS:-5}"
export DEBIAN_FRONTEND=noninteractive

readonly FSTAB="$NODE_ROOT/etc/fstab"
readonly SWAPS="$NODE_ROOT/proc/swaps"
readonly MODULES_CONF="$NODE_ROOT/etc/modules-load.d/kubernetes.conf"
readonly SYSCTL_CONF="$NODE_ROOT/etc/sysctl.d/99-kubernetes.conf"
readonly CONTAINERD_CONFIG="$NODE_ROOT/etc/containerd/config.toml"
# Unprefixed: the apt source line names the keyring as the node sees it.
readonly KEYRING_PATH="/etc/apt/keyrings/kubernetes-apt-keyring.gpg"
readonly KEYRING="$NODE_ROOT$KEYRING_PATH"
readonly KUBERNETES_LIST="$NODE_ROOT/etc/apt/sources.list.d/kubernetes.list"

readonly KERNEL_MODULES=(overlay br_netfilter)
readonly SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward)
readonly KUBERNETES_PACKAGES=(kubelet kubeadm kubectl)
# crictl (cri-tools, from the same pkgs.k8s.io repository; the kubeadm package stopped pulling it
# in with 1.32) for debugging pods on the node, and conntrack, which kubeadm's preflight wants.
readonly NODE_TOOLS=(cri-tools conntrack)
readonly NETWORK_HINT="check the node's outbound HTTPS (security group egress, DNS) to archive.ubuntu.com and pkgs.k8s.io"

check_environment() {
  step check_environment
  require_env KUBERNETES_MINOR S3A_JARS_DIR S3A_JARS SPARK_UID
  if [[ ! "$KUBERNETES_MINOR" =~ ^[0-9]+\.[0-9]+$ ]]; then
    fail "KUBERNETES_MINOR must look like 1.33, got '$KUBERNETES_MINOR'"
  fi
  if [[ ! "$SPARK_UID" =~ ^[0-9]+$ ]]; then
    fail "SPARK_UID must be a numeric user id, got '$SPARK_UID'"
  fi
  if [[ "$S3A_JARS_DIR" != /* || "${JUPYTER_DATA_DIR:-/}" != /* ]]; then
    fail "S3A_JARS_DIR and JUPYTER_DATA_DIR must be absolute paths"
  fi
}

# The kubelet refuses to start while swap is on.
disable_swap() {
  step disable_swap
  if [[ -f "$SWAPS" ]] && awk 'NR > 1 { found = 1 } END { exit !found }' "$SWAPS"; then
    swapoff -a
    log "swap turned off"
  fi
  if [[ -f "$FSTAB" ]]; then
    # Commented out rather than deleted, so the change is visible and easy to undo.
    awk '!/^[[:space:]]*#/ && $3 == "swap" { $0 = "#" $0 } { print }' "$FSTAB" | update_file "$FSTAB" 0644
  fi
}

# overlay for containerd's snapshotter; br_netfilter so bridged pod traffic passes iptables.
load_kernel_modules() {
  step load_kernel_modules
  printf '%s\n' "${KERNEL_MODULES[@]}" | update_file "$MODULES_CONF" 0644
  local module
  for module in "${KERNEL_MODULES[@]}"; do
    if [[ ! -d "$NODE_ROOT/sys/module/$module" ]]; then
      modprobe "$module"
      log "loaded kernel module $module"
    fi
  done
}

live_sysctl() {
  cat "$NODE_ROOT/proc/sys/${1//.//}" 2>/dev/null || true
}

configure_sysctl() {
  step configure_sysctl
  printf '%s = 1\n' "${SYSCTLS[@]}" | update_file "$SYSCTL_CONF" 0644
  local key
  for key in "${SYSCTLS[@]}"; do
    if [[ "$(live_sysctl "$key")" != 1 ]]; then
      sysctl --system >/dev/null
      log "applied sysctl settings"
      return 0
    fi
  done
}

# package_version PACKAGE: prints the installed version, nothing when not installed.
package_version() {
  local status
  # shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
  status="$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null || true)"
  if [[ "$status" == "installed "* ]]; then
    printf '%s\n' "${status#installed }"
  fi
}

# A dpkg run cut off half-way (the session dropped during an install) leaves its journal in
# /var/lib/dpkg/updates, and apt refuses to install anything until dpkg has finished that run.
finish_interrupted_install() {
  if compgen -G "$NODE_ROOT/var/lib/dpkg/updates/[0-9]*" >/dev/null; then
    log "an earlier package installation was interrupted; finishing it"
    retry 5 "$RETRY_DELAY_SECONDS" dpkg --configure -a >&2
  fi
}

apt_install() {
  finish_interrupted_install
  # DPkg::Lock::Timeout makes apt wait for a busy lock; retry covers what is left (mirrors).
  retry 5 "$RETRY_DELAY_SECONDS" apt-get update -q -o DPkg::Lock::Timeout=120 >&2
  retry 5 "$RETRY_DELAY_SECONDS" apt-get install -y -q -o DPkg::Lock::Timeout=120 "$@" >&2
}

install_containerd() {
  step install_containerd "$NETWORK_HINT"
  if [[ -n "$(package_version containerd)" ]]; then
    return 0
  fi
  apt_install containerd
}

# kubeadm configures the kubelet for the systemd cgroup driver; containerd must use the same
# one, or pods are restarted over and over.
configure_containerd() {
  step configure_containerd
  local config
  config="$(containerd config default)"
  config="${config//SystemdCgroup = false/SystemdCgroup = true}"
  if [[ "$config" != *"SystemdCgroup = true"* ]]; then
    fail "'containerd config default' has no 'SystemdCgroup = false' line to switch on; this containerd release needs the edit updated"
  fi
  printf '%s\n' "$config" | update_file "$CONTAINERD_CONFIG" 0644 systemctl restart containerd
  if ! systemctl is-enabled --quiet containerd; then
    systemctl enable --now containerd
  fi
}

add_kubernetes_repo() {
  step add_kubernetes_repo "$NETWORK_HINT"
  local repo="https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/"
  if [[ ! -s "$KEYRING" ]]; then
    install -d -m 0755 "$(dirname "$KEYRING")"
    retry 5 "$RETRY_DELAY_SECONDS" curl -fsSL --max-time 60 -o "$KEYRING.asc" "${repo}Release.key"
    gpg --batch --yes --dearmor -o "$KEYRING.part" "$KEYRING.asc"
    rm -f "$KEYRING.asc"
    chmod 0644 "$KEYRING.part"
    mv -f "$KEYRING.part" "$KEYRING"
    log "installed the pkgs.k8s.io signing key"
  fi
  printf 'deb [signed-by=%s] %s /\n' "$KEYRING_PATH" "$repo" | update_file "$KUBERNETES_LIST" 0644
}

install_kubernetes_packages() {
  step install_kubernetes_packages "$NETWORK_HINT"
  local package version missing=() unheld=() held
  for package in "${KUBERNETES_PACKAGES[@]}"; do
    version="$(package_version "$package")"
    if [[ -z "$version" ]]; then
      missing+=("$package")
    elif [[ "$version" != "$KUBERNETES_MINOR".* ]]; then
      # A minor upgrade of a cluster member is `kubeadm upgrade`'s job, not a package swap.
      fail "$package $version is installed but KUBERNETES_MINOR is $KUBERNETES_MINOR; the packages were left as they are: kubeadm upgrade moves a cluster one minor at a time (README, Upgrading Kubernetes), then set kubernetesVersion to the minor it reached, or replace the node"
    fi
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}"
  fi
  # Held so an unattended upgrade never moves a cluster member to another version.
  held="$(apt-mark showhold)"
  for package in "${KUBERNETES_PACKAGES[@]}"; do
    if ! grep -qx "$package" <<<"$held"; then
      unheld+=("$package")
    fi
  done
  if ((${#unheld[@]} > 0)); then
    apt-mark hold "${unheld[@]}" >&2
  fi
}

install_node_tools() {
  step install_node_tools "$NETWORK_HINT"
  local package missing=()
  for package in "${NODE_TOOLS[@]}"; do
    if [[ -z "$(package_version "$package")" ]]; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}"
  fi
  # crictl talks to containerd without guessing among runtime sockets.
  printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\n' |
    update_file "$NODE_ROOT/etc/crictl.yaml" 0644
}

enable_kubelet() {
  step enable_kubelet
  # Until kubeadm init/join writes its config the kubelet restarts in a loop; that is expected.
  if ! systemctl is-enabled --quiet kubelet; then
    systemctl enable --now kubelet
  fi
}

sha256_of() {
  sha256sum "$1" | cut -d ' ' -f 1
}

# install_jar DIR FILE URL SHA256: downloads next to the target and renames, so a reader
# never sees a partial jar.
install_jar() {
  local dir="$1" file="$2" url="$3" sha256="$4" actual
  local dest="$dir/$file" part="$dir/$file.part"
  if [[ -f "$dest" && "$(sha256_of "$dest")" == "$sha256" ]]; then
    return 0
  fi
  log "downloading $file from $url"
  retry 5 "$RETRY_DELAY_SECONDS" curl -fsSL --max-time 600 -o "$part" "$url"
  actual="$(sha256_of "$part")"
  if [[ "$actual" != "$sha256" ]]; then
    rm -f "$part"
    fail "checksum mismatch for $file: expected sha256 $sha256, got $actual (downloaded from $url)"
  fi
  chmod 0644 "$part"
  mv -f "$part" "$dest"
}

install_s3a_jars() {
  step install_s3a_jars "a checksum mismatch means the pinned sha256 or URL (versions.ts) is wrong; a download failure means no egress to the jar's host"
  local dir="$NODE_ROOT$S3A_JARS_DIR" file url sha256 extra
  install -d -m 0755 "$dir"
  # Read on fd 3 so nothing inside the loop can consume the list from stdin.
  while read -r -u 3 file url sha256 extra; do
    if [[ -z "$file" ]]; then
      continue
    fi
    if [[ -n "$extra" || ! "$sha256" =~ ^[0-9a-f]{64}$ || "$file" == */* || "$url" != https://* ]]; then
      fail "S3A_JARS line for '$file' must read 'filename https-url sha256' (lowercase hex)"
    fi
    install_jar "$dir" "$file" "$url" "$sha256"
  done 3<<<"$S3A_JARS"
}

# The Jupyter pod runs as the Spark image's user and keeps its work in this host directory.
create_jupyter_data_dir() {
  step create_jupyter_data_dir
  local dir="$NODE_ROOT$JUPYTER_DATA_DIR"
  install -d -m 0750 "$dir"
  if [[ "$(stat -c %u:%g "$dir")" != "$SPARK_UID:$SPARK_UID" ]]; then
    chown "$SPARK_UID:$SPARK_UID" "$dir"
  fi
}

main() {
  check_environment
  disable_swap
  load_kernel_modules
  configure_sysctl
  install_containerd
  configure_containerd
  add_kubernetes_repo
  install_kubernetes_packages
  install_node_tools
  enable_kubelet
  install_s3a_jars
  if [[ -n "${JUPYTER_DATA_DIR:-}" ]]; then
    create_jupyter_data_dir
  fi
}

main "$@"

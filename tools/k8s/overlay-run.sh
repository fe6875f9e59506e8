#!/usr/bin/env bash
# Runs a command in a private mount namespace whose /etc, /var/lib and /var/log are overlays
# with their upper layers in STATE_DIR: what the command writes there (kubeadm's fixed
# /etc/kubernetes and /var/lib/kubelet among it) lands in STATE_DIR, never on the machine.
# The mounts vanish with the namespace when the command ends.
#
#   bash tools/k8s/overlay-run.sh STATE_DIR command [args...]
set -euo pipefail

state="${1:?usage: overlay-run.sh STATE_DIR command [args...]}"
shift
(($#)) || { echo "overlay-run.sh: no command given" >&2; exit 2; }
[[ "$(id -u)" == 0 ]] || { echo "overlay-run.sh: needs root (mount namespaces and overlay mounts)" >&2; exit 1; }
state="$(realpath -m "$state")"
for d in etc var/lib var/log; do
  mkdir -p "$state/upper/$d" "$state/work/$d"
done

# shellcheck disable=SC2016  # expanded by the inner shell
exec unshare --mount --propagation private bash -c '
  set -euo pipefail
  state="$1"; shift
  for d in etc var/lib var/log; do
    mount -t overlay "overlay-$d" -o "lowerdir=/$d,upperdir=$state/upper/$d,workdir=$state/work/$d" "/$d"
  done
  exec "$@"
' overlay-run "$state" "$@"

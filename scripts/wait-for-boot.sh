#!/usr/bin/env bash
# Runs first on every node: waits until cloud-init has finished and no package manager holds
# the apt/dpkg locks, so the scripts after it do not race the image's first-boot work.
#
# Optional env: BOOT_TIMEOUT_SECONDS (default 900), LOCK_TIMEOUT_SECONDS (default 300).
set -euo pipefail
SCRIPT_NAME="wait-for-boot"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

BOOT_TIMEOUT_SECONDS="${BOOT_TIMEOUT_SECONDS:-900}"
LOCK_TIMEOUT_SECONDS="${LOCK_TIMEOUT_SECONDS:-300}"
readonly PACKAGE_LOCKS=(
  /var/lib/dpkg/lock-frontend
  /var/lib/dpkg/lock
  /var/lib/apt/lists/lock
  /var/cache/apt/archives/lock
)

wait_for_cloud_init() {
  step wait_for_cloud_init "see /var/log/cloud-init.log and /var/log/cloud-init-output.log on the node"
  local output status=0
  output="$(timeout "$BOOT_TIMEOUT_SECONDS" cloud-init status --wait 2>&1)" || status=$?
  case "$status" in
    # 2 is "degraded": cloud-init finished but logged recoverable errors; the node is usable.
    0 | 2) log "cloud-init finished: $(tail -n 1 <<<"$output")" ;;
    124) fail "cloud-init did not finish within ${BOOT_TIMEOUT_SECONDS}s" ;;
    *)
      printf '%s\n' "$output" >&2
      fail "cloud-init reported an error (exit $status)"
      ;;
  esac
}

package_locks_free() {
  ! fuser "${PACKAGE_LOCKS[@]/#/$NODE_ROOT}" >/dev/null 2>&1
}

wait_for_package_locks() {
  step wait_for_package_locks "a package manager (often unattended-upgrades) kept the apt/dpkg locks; 'ps -ef | grep -E \"apt|dpkg\"' on the node shows which"
  if ! wait_until "$LOCK_TIMEOUT_SECONDS" package_locks_free; then
    fail "apt/dpkg locks still held after ${LOCK_TIMEOUT_SECONDS}s"
  fi
  log "apt/dpkg locks are free"
}

main() {
  step check_environment
  require_seconds BOOT_TIMEOUT_SECONDS LOCK_TIMEOUT_SECONDS
  wait_for_cloud_init
  wait_for_package_locks
}

main "$@"

#!/usr/bin/env bash
# Lint the GitHub workflows with actionlint, which also checks `run:` blocks with ShellCheck
# when that is on PATH. Installs both if missing: actionlint from the Go module proxy at a
# pinned version, shellcheck from apt when we are root and apt-get exists.
set -euo pipefail

ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "actionlint.sh: $*" >&2; }

install_actionlint() {
  local gobin
  if ! command -v go >/dev/null 2>&1; then
    log "step install_actionlint: go is not on PATH; install Go >= 1.22 or put actionlint on PATH"
    return 1
  fi
  gobin="$(go env GOPATH)/bin"
  export PATH="$gobin:$PATH"
  if [[ -x "$gobin/actionlint" ]] && [[ "$("$gobin/actionlint" -version | head -n1)" == "$ACTIONLINT_VERSION" ]]; then
    return 0
  fi
  log "installing actionlint $ACTIONLINT_VERSION into $gobin"
  go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
}

install_shellcheck() {
  if command -v shellcheck >/dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "shellcheck missing and apt-get not usable here; run: blocks will not be shellchecked"
    return 0
  fi
  log "installing shellcheck from apt"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }; then
    log "step install_shellcheck: apt-get could not install shellcheck; run: blocks will not be shellchecked"
  fi
}

run_actionlint() {
  local workflows=()
  shopt -s nullglob
  workflows=("$repo_root"/.github/workflows/*.yml "$repo_root"/.github/workflows/*.yaml)
  shopt -u nullglob
  if [[ ${#workflows[@]} -eq 0 ]]; then
    log "step run_actionlint: no workflows under $repo_root/.github/workflows"
    return 1
  fi
  log "actionlint $(actionlint -version | head -n1), $(command -v shellcheck >/dev/null && shellcheck --version | sed -n 's/^version: /shellcheck /p' || echo 'no shellcheck')"
  (cd "$repo_root" && actionlint "$@" "${workflows[@]#"$repo_root"/}")
  log "ok: ${#workflows[@]} workflow(s) clean"
}

install_actionlint
install_shellcheck
run_actionlint "$@"

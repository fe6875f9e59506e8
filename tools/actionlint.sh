#!/usr/bin/env bash
# Lint the GitHub workflows with actionlint, which also checks `run:` blocks with ShellCheck
# (the project's pinned one, tools/shellcheck.sh). Installs actionlint from the Go module proxy
# at a pinned version if missing.
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

# actionlint checks `run:` blocks with the shellcheck on PATH: the project's pinned one.
install_shellcheck() {
  local bin
  bin="$(bash "$repo_root/tools/shellcheck.sh" --path)"
  PATH="$(dirname "$bin"):$PATH"
  export PATH
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

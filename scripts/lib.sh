#!/usr/bin/env bash
# Helpers shared by the node scripts. render/nodeScripts.ts sends this file ahead of each
# script on `sudo bash -s`, so it only defines things; it never acts on the node.
#
# bash reads a script on stdin as it runs it, so every script only defines functions and
# constants and ends with `main "$@"`: all of it has been read before anything runs, and a
# command that reads stdin cannot swallow the rest of the script.
#
# Settings read from the environment (nodes use the defaults; tests override them):
#   NODE_ROOT     prefix of every file path the scripts read or write, so tests run against
#                 a temporary directory instead of the real /etc. Empty on nodes.
#   POLL_SECONDS  pause between two polls of something being waited for (default 5).
set -euo pipefail
# Without this, a failing command inside $(...) does not stop the script.
shopt -s inherit_errexit

: "${NODE_ROOT:=}"
: "${POLL_SECONDS:=5}"

readonly DEFAULT_HINT="the lines above show the cause; every step is safe to run again, so re-run 'pulumi up' once it is fixed"
CURRENT_STEP="start"
STEP_HINT="$DEFAULT_HINT"

# log MESSAGE...: progress goes to stderr, so stdout stays free for a script's result.
log() {
  printf '[%s] %s\n' "${SCRIPT_NAME:-node-script}" "$*" >&2
}

# step NAME [HINT]: names the work that follows, for the log and for the failure message.
step() {
  CURRENT_STEP="$1"
  STEP_HINT="${2:-$DEFAULT_HINT}"
  printf '==> [%s] step %s\n' "${SCRIPT_NAME:-node-script}" "$CURRENT_STEP" >&2
}

# fail MESSAGE...: stops the script; the EXIT trap then names the step.
fail() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

report_failure() {
  local status=$?
  if ((status != 0)); then
    printf "ERROR: step '%s' failed (exit %d)\n" "$CURRENT_STEP" "$status" >&2
    printf 'hint: %s\n' "$STEP_HINT" >&2
  fi
}
# EXIT rather than ERR: it also sees explicit `exit` and failures inside functions, once.
trap report_failure EXIT

# require_env VAR...: fails naming the first variable that is unset or empty.
require_env() {
  local name
  for name in "$@"; do
    if [[ -z "${!name:-}" ]]; then
      fail "environment variable $name is required but not set"
    fi
  done
}

# require_seconds VAR...: fails unless each variable holds a whole number of seconds.
require_seconds() {
  local name
  for name in "$@"; do
    if [[ ! "${!name:-}" =~ ^[0-9]+$ ]]; then
      fail "environment variable $name must be a whole number of seconds, got '${!name:-}'"
    fi
  done
}

# retry ATTEMPTS DELAY COMMAND...: for commands that fail transiently (apt locks, downloads).
# COMMAND must be an external command: a shell function would run with errexit off. Only
# COMMAND's name is logged, so its arguments never reach the log.
retry() {
  local attempts="$1" delay="$2" attempt=1 status
  shift 2
  while true; do
    status=0
    "$@" || status=$?
    if ((status == 0)); then
      return 0
    fi
    if ((attempt >= attempts)); then
      log "$1 failed $attempts times (last exit $status)"
      return "$status"
    fi
    log "$1 failed (exit $status), attempt $attempt of $attempts; retrying in ${delay}s"
    sleep "$delay"
    attempt=$((attempt + 1))
  done
}

# wait_until TIMEOUT_SECONDS COMMAND...: polls COMMAND every POLL_SECONDS; returns 1 once the
# timeout has passed. COMMAND runs as a condition (errexit off), so it must return its status
# explicitly.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep "$POLL_SECONDS"
  done
}

# update_file DEST MODE [COMMAND...]: writes stdin to DEST (atomically, with MODE) unless DEST
# already has that content and mode; runs COMMAND only when DEST changed, e.g. a restart.
# DEST.unapplied marks a change whose COMMAND has not succeeded yet, so when COMMAND fails or
# the session drops before it ran, the next run still applies the change.
update_file() {
  local dest="$1" mode="$2" tmp unapplied="$1.unapplied"
  shift 2
  mkdir -p "${dest%/*}"
  tmp="$(mktemp "$dest.XXXXXX")"
  cat >"$tmp"
  if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest" && [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
    rm -f "$tmp"
  else
    if (($# > 0)); then
      : >"$unapplied"
    fi
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$dest"
    log "wrote ${dest#"$NODE_ROOT"}"
  fi
  if (($# > 0)) && [[ -f "$unapplied" ]]; then
    "$@"
    rm -f "$unapplied"
  fi
}

# redact_join_secrets: filter for kubeadm output. Bootstrap tokens let anyone join the
# cluster, so lines carrying join arguments are dropped and token-shaped words masked.
redact_join_secrets() {
  sed -E \
    -e '/--token|--discovery-token-ca-cert-hash|--certificate-key/d' \
    -e 's/[a-z0-9]{6}\.[a-z0-9]{16}/<redacted-token>/g'
}

#!/usr/bin/env bash
# Sourced by every stub in bin/: records the call in $STUB_LOG, then fails if the test asked.
#
# A test asks for failures with a file $STUB_STATE/fail/<command>-<first argument> or
# $STUB_STATE/fail/<command>. Its first line is "<times> <exit code>", where <times> is
# "always" or how many calls still fail; the lines after it are printed to stderr.
#
# Or with one fault at a numbered call, counting every stub call of the sandbox from 1: a
# file $STUB_STATE/fault whose first line is "<call> <mode> <argument> [again]" and whose
# other lines are printed to stderr when the fault acts. Modes:
#   exit CODE        the call fails before it acts
#   drop SIGNAL      the session drops before the call acts: SIGNAL goes to the script's
#                    process group (and the stub's own, which `timeout` makes separate), as
#                    when an SSH session dies
#   drop-after SIG   the call acts, then the session drops before the script sees its result
#   partial CODE     the call does part of its work, then fails (stubs that model it call
#                    partial_point where the work stops)
#   drop-mid SIGNAL  the call does part of its work, then the session drops
#   corrupt CODE     the call succeeds but delivers wrong bytes (curl), then exits with CODE
# "again" makes every later call with the same arguments fail the same way (a lock that
# stays held, a mirror that stays down), so retries cannot absorb it. Each time a fault acts
# it adds a line to $STUB_STATE/fault-hit.
set -euo pipefail

STUB_NAME="${0##*/}"
printf '%s\n' "$STUB_NAME $*" >>"$STUB_LOG"

# unexpected_call: a stub given arguments it does not model fails loudly, so a test never
# passes on a call nobody simulated.
unexpected_call() {
  printf '%s stub: unexpected call: %s\n' "$STUB_NAME" "$*" >&2
  exit 64
}

fail_if_asked() {
  local spec times code
  for spec in "$STUB_STATE/fail/$STUB_NAME-${1:-}" "$STUB_STATE/fail/$STUB_NAME"; do
    if [[ ! -f "$spec" ]]; then
      continue
    fi
    read -r times code <"$spec"
    if [[ "$times" == 0 ]]; then
      continue
    fi
    if [[ "$times" != always ]]; then
      { printf '%s %s\n' "$((times - 1))" "$code"; tail -n +2 "$spec"; } >"$spec.next"
      mv "$spec.next" "$spec"
    fi
    tail -n +2 "$spec" >&2
    exit "$code"
  done
}

# The fault this call carries, if any: its mode and argument.
STUB_FAULT_MODE=""
STUB_FAULT_ARG=""
STUB_FAULT_CALL=""

# drop_session SIGNAL: kills the script that called this stub, like a dropped SSH session.
# The sandbox starts each script in a session of its own (setsid), so the session id names
# the script's process group; any other session (the test runner's) is refused.
drop_session() {
  local stat fields sid
  read -r stat </proc/$$/stat
  read -r -a fields <<<"${stat##*) }"
  sid="${fields[3]}"
  if [[ -z "${STUB_RUNNER_SID:-}" || "$sid" == "$STUB_RUNNER_SID" || "$sid" -le 1 ]]; then
    printf '%s stub: refusing to drop session %s: the sandbox did not start it\n' "$STUB_NAME" "$sid" >&2
    exit 70
  fi
  kill -s "$1" -- "-$sid" 0
  # SIGHUP and SIGKILL end this stub as well; nothing after this line runs.
  exit 70
}

record_fault_hit() {
  printf 'call %s (%s): %s %s\n' "$1" "$STUB_NAME" "$STUB_FAULT_MODE" "$STUB_FAULT_ARG" >>"$STUB_STATE/fault-hit"
}

fault_message() {
  tail -n +2 "$STUB_STATE/fault" >&2
}

apply_fault() {
  local spec="$STUB_STATE/fault" count=0 at mode arg repeat="" argv="$STUB_NAME $*" first=""
  if [[ ! -f "$spec" ]]; then
    return 0
  fi
  if [[ -f "$STUB_STATE/fault-calls" ]]; then
    read -r count <"$STUB_STATE/fault-calls"
  fi
  count=$((count + 1))
  printf '%s\n' "$count" >"$STUB_STATE/fault-calls"
  read -r at mode arg repeat <"$spec"
  if [[ -f "$STUB_STATE/fault-argv" ]]; then
    IFS= read -r first <"$STUB_STATE/fault-argv"
  fi
  if ((count != at)) && [[ "$repeat" != again || "$first" != "$argv" ]]; then
    return 0
  fi
  if ((count == at)); then
    printf '%s\n' "$argv" >"$STUB_STATE/fault-argv"
  fi
  STUB_FAULT_MODE="$mode"
  STUB_FAULT_ARG="$arg"
  case "$mode" in
    exit)
      record_fault_hit "$count"
      fault_message
      exit "$arg"
      ;;
    drop)
      record_fault_hit "$count"
      drop_session "$arg"
      ;;
    drop-after)
      record_fault_hit "$count"
      # shellcheck disable=SC2064 # the signal is fixed now, on purpose
      trap "drop_session $arg" EXIT
      ;;
    partial | drop-mid | corrupt) STUB_FAULT_CALL="$count" ;;
    *)
      printf 'stub: unknown fault mode %s in %s\n' "$mode" "$spec" >&2
      exit 65
      ;;
  esac
}

# fault_is MODE: true when this call carries a fault of MODE (a stub asks before it acts
# on it, e.g. curl for "corrupt").
fault_is() {
  if [[ "$STUB_FAULT_MODE" == "$1" ]]; then
    record_fault_hit "$STUB_FAULT_CALL"
    return 0
  fi
  return 1
}

# partial_point: a stub that has done part of its work calls this; a "partial" or
# "drop-mid" fault stops it here.
partial_point() {
  if fault_is partial; then
    fault_message
    exit "$STUB_FAULT_ARG"
  fi
  if fault_is drop-mid; then
    drop_session "$STUB_FAULT_ARG"
  fi
}

# start_unit UNIT: the unit (re)starts and runs with the configuration its file holds now,
# recorded as $NODE_ROOT/run/stub-systemd/UNIT.active, so a test sees a change that was
# written but never applied.
start_unit() {
  local units="$NODE_ROOT/run/stub-systemd" config=""
  case "$1" in
    containerd) config="$NODE_ROOT/etc/containerd/config.toml" ;;
    kubelet) config="$NODE_ROOT/var/lib/kubelet/config.yaml" ;;
  esac
  [[ -d "$units" ]] || mkdir -p "$units"
  if [[ -n "$config" && -f "$config" ]]; then
    cat "$config" >"$units/$1.active"
  else
    echo "built-in defaults" >"$units/$1.active"
  fi
}

# configure_packages: dpkg's configure step for the packages listed in its journal (see
# apt-get): containerd's package enables and starts its service; then the journal is gone.
configure_packages() {
  local journal package units="$NODE_ROOT/run/stub-systemd"
  for journal in "$NODE_ROOT"/var/lib/dpkg/updates/[0-9]*; do
    if [[ ! -f "$journal" ]]; then
      continue
    fi
    while read -r package; do
      if [[ "$package" == containerd ]]; then
        [[ -d "$units" ]] || mkdir -p "$units"
        : >"$units/containerd.enabled"
        if [[ ! -f "$units/containerd.active" ]]; then
          start_unit containerd
        fi
      fi
    done <"$journal"
    rm -f "$journal"
  done
}

fail_if_asked "$@"
apply_fault "$@"

# shellcheck shell=bash
# stop_leftovers RUN_ID: ends every process still alive that carries SPARKPLAT_IT_RUN=RUN_ID in its
# environment (a killed pytest's servers, a kernel's JVM), TERM first, KILL 3 s later. Sourced
# by test/integration/run.sh and bench/run.sh; needs their `log` function.

# shellcheck disable=SC2317  # called from the callers' EXIT traps
stop_leftovers() {
  local run_id="$1" pid left=() f
  for f in /proc/[0-9]*/environ; do
    pid="${f#/proc/}"
    pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    if grep -qsxz -- "SPARKPLAT_IT_RUN=$run_id" "$f"; then
      left+=("$pid")
    fi
  done
  if ((${#left[@]})); then
    log "stopping leftover processes: ${left[*]}"
    kill -TERM "${left[@]}" 2>/dev/null || true
    sleep 3
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi
}

#!/usr/bin/env bash
# Runs on the control plane after the platform is up: waits for the smoke SparkApplication to
# complete, then for the History Server to list it as completed (which proves the event log
# reached S3 and is readable). On success prints one JSON line on stdout:
#   {"applicationId":"...","name":"...","durationMs":N,"historyUrl":"..."}
# Everything else goes to stderr.
#
# Env: NAMESPACE, APP_NAME, HISTORY_URL, HISTORY_SELECTOR, HISTORY_NAMESPACE,
# TIMEOUT_SECONDS (bounds the whole check).
set -euo pipefail
SCRIPT_NAME="smoke-check"
# The payload built by render/nodeScripts.ts already holds lib.sh; a checkout does not.
if ! declare -F step >/dev/null; then
  # shellcheck source-path=SCRIPTDIR source=lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

export KUBECONFIG="$NODE_ROOT/etc/kubernetes/admin.conf"

# Reads the History Server's application JSON on stdin; prints the result line when every
# attempt is completed, exits 3 while the application is still incomplete or unreadable.
readonly SUMMARY_PY='
import json, sys
try:
    app = json.load(sys.stdin)
    attempts = app["attempts"]
    done = bool(attempts) and all(a.get("completed") is True for a in attempts)
except (ValueError, KeyError, TypeError):
    sys.exit(3)
if not done:
    sys.exit(3)
print(json.dumps({"applicationId": app["id"], "name": app["name"],
                  "durationMs": attempts[0]["duration"], "historyUrl": sys.argv[1]},
                 separators=(",", ":")))
'

past_deadline() {
  ((SECONDS >= DEADLINE))
}

# app_field JSONPATH: one field of the SparkApplication, empty when unavailable.
app_field() {
  kubectl get sparkapplication "$APP_NAME" -n "$NAMESPACE" --request-timeout=10s \
    -o "jsonpath={$1}" 2>/dev/null || true
}

report_application_failure() {
  local driver
  log "state: ${1:-<none>}"
  log "error message: $(app_field .status.applicationState.errorMessage)"
  driver="$(app_field .status.driverInfo.podName)"
  if [[ -z "$driver" ]]; then
    log "no driver pod recorded"
    return 0
  fi
  log "last 50 lines of driver pod $NAMESPACE/$driver:"
  kubectl logs "$driver" -n "$NAMESPACE" --tail=50 --request-timeout=10s >&2 ||
    log "the driver pod's log is unavailable"
}

wait_for_application() {
  step wait_for_spark_application "the driver log above shows why the job failed; 'kubectl -n spark-operator logs deploy/spark-operator-controller' shows submission errors"
  local state="" previous="<none>"
  while true; do
    state="$(app_field .status.applicationState.state)"
    if [[ "$state" != "$previous" ]]; then
      log "SparkApplication $NAMESPACE/$APP_NAME: ${state:-<no state yet>}"
      previous="$state"
    fi
    case "$state" in
      COMPLETED) return 0 ;;
      FAILED | SUBMISSION_FAILED)
        report_application_failure "$state"
        fail "SparkApplication $NAMESPACE/$APP_NAME ended in state $state"
        ;;
    esac
    if past_deadline; then
      report_application_failure "$state"
      fail "SparkApplication $NAMESPACE/$APP_NAME did not complete within ${TIMEOUT_SECONDS}s"
    fi
    sleep "$POLL_SECONDS"
  done
}

wait_for_history() {
  step wait_for_history_server "the History Server log above shows whether it reads the event-log bucket; the job's spark.eventLog.dir must be the same s3a:// path"
  local app_id="$1" url="$HISTORY_URL/api/v1/applications/$1" response code body summary
  while true; do
    # curl's own error, if any, lands in the body, for the report below.
    response="$(curl -sS --max-time 10 -w '\n%{http_code}' "$url" 2>&1)" || true
    code="${response##*$'\n'}"
    body="${response%$'\n'*}"
    if [[ "$code" == 200 ]] &&
      summary="$(printf '%s' "$body" | python3 -c "$SUMMARY_PY" "$HISTORY_URL/history/$app_id/jobs/")"; then
      printf '%s\n' "$summary"
      return 0
    fi
    if past_deadline; then
      break
    fi
    sleep "$POLL_SECONDS"
  done
  log "last answer from $url: HTTP $code: ${body:0:500}"
  log "last 50 lines of the History Server ($HISTORY_NAMESPACE, $HISTORY_SELECTOR):"
  kubectl logs -n "$HISTORY_NAMESPACE" -l "$HISTORY_SELECTOR" --tail=50 --request-timeout=10s >&2 ||
    log "the History Server's log is unavailable"
  fail "the History Server did not list $app_id as completed within ${TIMEOUT_SECONDS}s"
}

main() {
  step check_environment
  require_env NAMESPACE APP_NAME HISTORY_URL HISTORY_SELECTOR HISTORY_NAMESPACE TIMEOUT_SECONDS
  require_seconds TIMEOUT_SECONDS
  DEADLINE=$((SECONDS + TIMEOUT_SECONDS))
  wait_for_application
  step read_application_id
  local app_id
  app_id="$(app_field .status.sparkApplicationId)"
  if [[ -z "$app_id" ]]; then
    fail "SparkApplication $NAMESPACE/$APP_NAME is COMPLETED but has no .status.sparkApplicationId"
  fi
  wait_for_history "$app_id"
}

main "$@"

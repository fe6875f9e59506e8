#!/usr/bin/env bash
# The `local` stack: the platform, deployed by the real Pulumi engine (index.ts as it is), onto the
# local cluster of tools/cluster/local.sh, with the machine's moto S3 server as a store of the
# user's. No AWS account.
#
#   bash tools/local/stack.sh up [STATE_DIR]          (npm run local:up)
#   bash tools/local/stack.sh down [STATE_DIR]        (npm run local:down)
#   bash tools/local/stack.sh pulumi [STATE_DIR] -- ARGS...   the CLI on that stack, e.g.
#       bash tools/local/stack.sh pulumi -- stack output --show-secrets
#
# `up` builds (cached) and starts the cluster, sets up the engine (tools/engine/pulumi.sh), makes
# the stack from Pulumi.local.yaml, runs `pulumi up` and prints the History Server and JupyterLab
# addresses. `down` runs `pulumi destroy`, removes the stack and then the cluster. STATE_DIR
# (default /var/tmp/sparkplat-local) holds the cluster, the engine's home and the file:// backend,
# and STATE_DIR/stack.yaml, the stack's settings (Pulumi.local.yaml plus what the cluster gives).
# Needs root, Linux; the first run builds Kubernetes and the images (about 10 minutes).
# Env: SPARKPLAT_CACHE, SPARKPLAT_PULUMI_PLUGINS (tools/engine/pulumi.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cmd="${1:?usage: stack.sh up|down|pulumi [STATE_DIR] [-- ARGS...]}"
shift
state=/var/tmp/sparkplat-local
if (($#)) && [[ "$1" != -- ]]; then state="$1"; shift; fi
[[ "${1:-}" == -- ]] && shift
state="$(realpath -m "$state")"
readonly STACK=local
# Protects nothing of value: the local cluster's kubeconfig and moto's test keys (Pulumi.local.yaml).
readonly LOCAL_PASSPHRASE=local-stack-not-a-secret
T0=$SECONDS

log() { printf '[local-stack %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The engine, on this state folder's home and backend.
engine() {
  [[ -f "$state/passphrase" ]] || (umask 077 && printf '%s\n' "$LOCAL_PASSPHRASE" >"$state/passphrase")
  # shellcheck source=tools/engine/pulumi.sh
  source "$ROOT/tools/engine/pulumi.sh"
  pulumi_setup "$state" || die "the Pulumi engine could not be set up"
}

# lp ARGS...: the CLI on the local stack, with its settings file for the commands that read it.
lp() {
  local sub="$1"
  shift
  case "$sub" in
    up | preview | destroy | refresh | config) (cd "$ROOT" && pulumi "$sub" --stack "$STACK" --config-file "$state/stack.yaml" "$@") ;;
    *) (cd "$ROOT" && pulumi "$sub" "$@") ;;
  esac
}

# configure: the stack and its settings file, from Pulumi.local.yaml and the running cluster.
configure() {
  # shellcheck source=/dev/null
  source "$state/cluster.env"
  # shellcheck source=/dev/null
  source "$state/platform.env"
  (
    cd "$ROOT"
    if ! pulumi stack select "$STACK" 2>/dev/null; then pulumi stack init "$STACK" >/dev/null; fi
  )
  cp "$ROOT/Pulumi.local.yaml" "$state/stack.yaml"
  # One CLI run for these; the kubeconfig through stdin, off the command line.
  lp config set-all \
    --plaintext "publicAddress=${NODE_ADDRESSES%% *}" \
    --plaintext "operatorChart=$OPERATOR_CHART" \
    --plaintext "objectStoreEndpoint=$S3_ENDPOINT" \
    --plaintext "objectStoreBucket=$BUCKET" \
    --plaintext "s3aJarsRepository=$MAVEN_URL" \
    --secret "objectStoreAccessKey=$NODE_ACCESS_KEY" \
    --secret "objectStoreSecretKey=$NODE_SECRET_KEY"
  lp config set --secret kubeconfig <"$KUBECONFIG"
}

up() {
  [[ "$(id -u)" == 0 ]] || die "needs root: the local cluster's nodes are namespaces of this machine"
  if [[ ! -f "$state/cluster.env" ]]; then
    bash "$ROOT/tools/cluster/local.sh" cluster "$state"
  else
    log "reusing the cluster at $state"
  fi
  engine
  configure
  local t=$SECONDS
  log "pulumi preview (stack $STACK)"
  lp preview
  printf 'pulumi_preview %d\n' "$((SECONDS - t))" >>"$state/timings"
  log "pulumi up (stack $STACK)"
  t=$SECONDS
  lp up --yes --skip-preview
  printf 'pulumi_up %d\n' "$((SECONDS - t))" >>"$state/timings"
  log "the platform is up ($((SECONDS - T0)) s)"
  printf 'History Server: %s\nJupyterLab:     %s?token=%s\n' \
    "$(lp stack output historyServerUrl)" "$(lp stack output jupyterUrl)" "$(lp stack output jupyterToken --show-secrets)"
  printf 'More: bash tools/local/stack.sh pulumi %s -- stack output\n' "$state"
}

down() {
  [[ -d "$state" ]] || { log "nothing at $state"; return 0; }
  if [[ -d "$state/backend" && -f "$state/stack.yaml" ]]; then
    engine
    if lp stack select "$STACK" 2>/dev/null; then
      if [[ -f "$state/admin.conf" ]]; then
        lp destroy --yes --skip-preview || die "pulumi destroy failed: the cluster is left as it is; run it again, or remove everything with: bash tools/cluster/local.sh down $state"
      fi
      # --preserve-config: the stack's settings file is Pulumi.local.yaml, which stays as it is.
      lp stack rm "$STACK" --yes --force --preserve-config >/dev/null
    fi
  fi
  bash "$ROOT/tools/cluster/local.sh" down "$state"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  pulumi)
    [[ -d "$state/backend" ]] || die "no local stack at $state: run npm run local:up first"
    engine
    lp "$@"
    ;;
  *) die "unknown command '$cmd' (up, down, pulumi)" ;;
esac

#!/usr/bin/env bash
# The real Pulumi engine for the local stack and the engine tier, kept apart from anything of the
# user's: PULUMI_HOME and a file:// backend inside a state folder the caller names.
#
#   source tools/engine/pulumi.sh; pulumi_setup STATE_DIR
#
# With SPARKPLAT_PULUMI_PLUGINS naming an offline folder of xz-compressed linux-amd64 builds (the
# CLI, pulumi-language-nodejs, pulumi-resource-<name>; .ci/run sets it to ../shared/pulumi-plugins
# when that exists), the binaries are checked against its SHA256SUMS, cached under
# $SPARKPLAT_CACHE/pulumi/<hash of SHA256SUMS>, and the providers installed under the versions of
# package-lock.json, with automatic plugin acquisition off. Without it, the `pulumi` on PATH is
# used and plugins come from Pulumi's normal downloads.
#
# Afterwards: PULUMI_HOME, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE (random, kept in
# STATE_DIR/passphrase), TMPDIR (STATE_DIR/tmp), PATH with the CLI and language host first. Needs node (for the lockfile).

# pulumi_lock_version PACKAGE: the version package-lock.json pins for node_modules/@pulumi/PACKAGE.
pulumi_lock_version() {
  # shellcheck disable=SC2016  # JavaScript, not shell
  node -e 'const p = require(process.argv[1]).packages["node_modules/@pulumi/" + process.argv[2]];
    if (!p) { console.error(`package-lock.json has no @pulumi/${process.argv[2]}`); process.exit(1); }
    console.log(p.version)' "$SPARKPLAT_ROOT/package-lock.json" "$1"
}

# pulumi_offline_bin: prints the folder of the checked, decompressed binaries (made once per SHA256SUMS).
pulumi_offline_bin() {
  local src="$SPARKPLAT_PULUMI_PLUGINS" key dir tmp f
  [[ -f "$src/SHA256SUMS" ]] || { echo "pulumi.sh: SPARKPLAT_PULUMI_PLUGINS=$src has no SHA256SUMS" >&2; return 1; }
  key="$(sha256sum <"$src/SHA256SUMS" | cut -c1-16)"
  dir="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}/pulumi/$key"
  if [[ ! -f "$dir/.complete" ]]; then
    mkdir -p "${dir%/*}"
    tmp="$(mktemp -d "$dir.tmp.XXXXXX")"
    for f in "$src"/*.xz; do xz -dc "$f" >"$tmp/$(basename "${f%.xz}")"; done
    (cd "$tmp" && sha256sum --quiet -c "$src/SHA256SUMS") >&2 || { rm -rf "$tmp"; echo "pulumi.sh: the binaries of $src do not match its SHA256SUMS" >&2; return 1; }
    chmod 0755 "$tmp"/*
    # The CLI and the language host under the names the engine looks up on PATH.
    ln -s "$(cd "$tmp" && ls pulumi-v*-linux-amd64)" "$tmp/pulumi"
    ln -s "$(cd "$tmp" && ls pulumi-language-nodejs-v*-linux-amd64)" "$tmp/pulumi-language-nodejs"
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}

pulumi_setup() {
  local state="${1:?pulumi_setup STATE_DIR}" bin f name
  SPARKPLAT_ROOT="${SPARKPLAT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
  mkdir -p "$state/pulumi-home" "$state/backend" "$state/tmp"
  # The kubernetes provider writes a kubeconfig file into TMPDIR for each Helm operation and leaves
  # it there: keep them (admin credentials) in the state folder, which goes with the cluster.
  export TMPDIR="$state/tmp"
  export PULUMI_HOME="$state/pulumi-home"
  export PULUMI_BACKEND_URL="file://$state/backend"
  export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_SKIP_CONFIRMATIONS=true PULUMI_NODEJS_TRANSPILE_ONLY=true
  [[ -f "$state/passphrase" ]] || (umask 077 && head -c 24 /dev/urandom | base64 >"$state/passphrase")
  PULUMI_CONFIG_PASSPHRASE="$(cat "$state/passphrase")"
  export PULUMI_CONFIG_PASSPHRASE
  if [[ -n "${SPARKPLAT_PULUMI_PLUGINS:-}" ]]; then
    bin="$(pulumi_offline_bin)" || return 1
    export PATH="$bin:$PATH" PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
    [[ -f "$PULUMI_HOME/.installed-${bin##*/}" ]] && return 0
    for f in "$bin"/pulumi-resource-*-v*-linux-amd64; do
      name="${f##*/pulumi-resource-}"
      name="${name%%-v*}"
      # Under the lockfile's version: the SDK asks for that one.
      pulumi plugin install resource "$name" "$(pulumi_lock_version "$name")" --file "$f" >/dev/null 2>&1 ||
        { echo "pulumi.sh: could not install the $name provider from $f" >&2; return 1; }
    done
    touch "$PULUMI_HOME/.installed-${bin##*/}"
  else
    command -v pulumi >/dev/null 2>&1 || {
      echo "pulumi.sh: no pulumi on PATH and SPARKPLAT_PULUMI_PLUGINS is not set: install the Pulumi CLI (https://www.pulumi.com/docs/install/), or point SPARKPLAT_PULUMI_PLUGINS at a folder of offline builds" >&2
      return 1
    }
  fi
}

#!/usr/bin/env bash
# Prints pins of versions.ts for shell scripts, one line per name asked, in the order asked:
#
#   bash tools/versions.sh spark.image sparkOperator.version testedKubernetesRelease
#
# Fails, naming it, on a name versions.ts does not export (or whose value is not a string or a
# number). Needs node and the repository's node_modules (ts-node): `npm ci`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(($#)) || { echo "usage: tools/versions.sh NAME[.FIELD]..." >&2; exit 2; }
command -v node >/dev/null 2>&1 || { echo "versions.sh: node not found (needed to read versions.ts)" >&2; exit 1; }
[[ -d "$ROOT/node_modules/ts-node" ]] || { echo "versions.sh: $ROOT/node_modules/ts-node missing; run npm ci in $ROOT" >&2; exit 1; }
cd "$ROOT"
# shellcheck disable=SC2016  # JavaScript, not shell
exec node -e '
  require("ts-node").register({ transpileOnly: true });
  const v = require("./versions");
  for (const name of process.argv.slice(1)) {
    const value = name.split(".").reduce((o, k) => (o == null ? undefined : o[k]), v);
    if (typeof value !== "string" && typeof value !== "number") {
      console.error(`versions.sh: versions.ts has no pin ${name}`);
      process.exit(1);
    }
    console.log(value);
  }
' "$@"

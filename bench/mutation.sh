#!/usr/bin/env bash
# Mutation testing of the unit tier (npm run test:mutation): StrykerJS mutates components/,
# render/ and config.ts (stryker.config.json) and runs `npm test`'s mocha suite against each
# mutant. Writes build/mutation/mutation.json and the summary bench/history/mutation.md, which
# `npm run bench` copies into bench/results.md. On demand: the whole set (about 2300 mutants)
# takes hours on 2 cores; `npm run test:mutation -- --since REV` (the lines changed since REV)
# takes minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
START=$SECONDS
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
mkdir -p build/mutation
# `--since REV` mutates only the lines changed since REV; MUTATION_SCOPE describes any other
# narrower run (e.g. `-- --mutate 'config.ts:100-160'`) in the summary.
if [[ "${1:-}" == --since ]]; then
  rev="${2:?--since needs a git revision}"
  shift 2
  ranges="$(node bench/changedLines.js "$rev")"
  [[ -n "$ranges" ]] || { echo "mutation.sh: nothing changed since $rev in components/, render/ or config.ts" >&2; exit 0; }
  MUTATION_SCOPE="the lines of components/, render/ and config.ts changed since $(git rev-parse --short "$rev")"
  set -- --mutate "$ranges" "$@"
fi
npx stryker run "$@"
node bench/mutationSummary.js build/mutation/mutation.json "$DATE" "$((SECONDS - START))" "${MUTATION_SCOPE:-}" >bench/history/mutation.md
echo "mutation.sh: wrote bench/history/mutation.md in $((SECONDS - START)) s" >&2

#!/usr/bin/env bash
# Mutation testing of the unit tier (npm run test:mutation): StrykerJS mutates components/,
# render/ and config.ts (stryker.config.json) and runs `npm test`'s mocha suite against each
# mutant. Writes build/mutation/mutation.json and the summary bench/history/mutation.md, which
# `npm run bench` copies into bench/results.md. On demand: the whole set (about 2300 mutants)
# takes hours on 2 cores; a --mutate list of changed lines takes minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
START=$SECONDS
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
mkdir -p build/mutation
# MUTATION_SCOPE describes a narrower run (e.g. `-- --mutate 'config.ts:100-160'`) in the summary.
npx stryker run "$@"
node bench/mutationSummary.js build/mutation/mutation.json "$DATE" "$((SECONDS - START))" "${MUTATION_SCOPE:-}" >bench/history/mutation.md
echo "mutation.sh: wrote bench/history/mutation.md in $((SECONDS - START)) s" >&2

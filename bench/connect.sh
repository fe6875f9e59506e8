#!/usr/bin/env bash
# Prints the markdown section "Spark Connect against client mode" of bench/results.md from the
# timings of one `npm run test:cluster` run ("step seconds" lines, SPARKPLAT_CLUSTER_TIMINGS):
# the same cluster, the same work, once from the notebook kernel as the driver (client mode,
# getting-started.ipynb) and once through the Spark Connect server (spark-connect.ipynb).
#
#   bash bench/connect.sh TIMINGS_FILE [WHEN]
#
# bench/run.sh calls it after the cluster tier; WHEN says which run the figures are from.
set -euo pipefail
(($# == 1 || $# == 2)) || { echo "usage: bench/connect.sh TIMINGS_FILE [WHEN]" >&2; exit 2; }
timings="$1"
default_when="the cluster tier's run above"
when="${2:-$default_when}"
value() { awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print "n/a" }' "$timings"; }

cat <<MD
## Spark Connect against client mode (measured)

From $when: the same 3-node cluster, the same work, one after the other. Client mode: the
notebook kernel in the JupyterLab pod is the driver (\`getting-started.ipynb\`). Spark Connect:
the kernel is a thin client of the Spark Connect server pod (\`spark-connect.ipynb\`), whose
executors start when a query needs them (dynamic allocation from 0). Seconds per notebook cell,
as the kernel reports them (\`test/cluster/notebook.py\`).

| | client mode | Spark Connect |
|---|---|---|
| session and first distributed job, executor pods starting (cells 1-2) | $(value client_mode_first_job) | $(value connect_first_job) |
| 100000 rows to Parquet in S3 and back, executors running (cell 3) | $(value client_mode_parquet_round_trip) | $(value connect_parquet_round_trip) |

The server's executors were gone $(value connect_idle_executors_gone) s after the notebook ended
(idle timeout 60 s, 120 s for executors holding shuffle files): an idle server holds its own pod only. A restart of the server (old JVM
stopped, event log closed, new pod Ready) took $(value connect_restart) s.
MD

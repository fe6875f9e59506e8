#!/usr/bin/env bash
# Validate every object the offline render wrote under RENDER_DIR/k8s against its Go API type
# (k8s.io/api core/v1, apps/v1, rbac/v1; spark-operator v1beta2 for the SparkApplication):
# strict decoding (unknown fields fail, by path), the API server's cheap required-field checks,
# and a kind the tool does not cover fails. Then run the tool's tests.
#
#   tools/sparkapp-validate/check.sh RENDER_DIR
#
# Needs Go (>= the go directive in go.mod) and the Go module proxy on first use; modules are
# resolved from the committed go.mod/go.sum (-mod=readonly, nothing is rewritten) into the
# default module cache.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 RENDER_DIR" >&2
    exit 2
fi
if [[ ! -d "$1/k8s" ]]; then
    echo "$0: $1/k8s is not a directory (run the offline render first)" >&2
    exit 1
fi

k8s_dir=$(cd "$1/k8s" && pwd)
tool_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$tool_dir"

# go run caches the linked binary (Go >= 1.24), so a warm run skips the ~2 s link of go build.
# -buildvcs=false: no git stamping, so a shallow or foreign-owned checkout builds too.
# -require-kind: the render must still produce the smoke-test SparkApplication.
go run -mod=readonly -buildvcs=false . -require-kind SparkApplication "$k8s_dir"
go test -mod=readonly ./...

# The README's webhook troubleshooting quotes the chart's own names: every webhook of the pinned
# chart that admits SparkApplications (what `kubectl apply` of one meets), and no name the chart
# does not register.
chart_dir="$(go list -mod=readonly -m -f '{{.Dir}}' github.com/kubeflow/spark-operator/v2)/charts/spark-operator-chart"
readme="$tool_dir/../../README.md"
mapfile -t registered < <(sed -n 's/^- name: \([a-z0-9.-]*\.sparkoperator\.k8s\.io\)$/\1/p' "$chart_dir"/templates/webhook/*webhookconfiguration.yaml | sort -u)
mapfile -t for_apps < <(awk '/^- name: / { name = $3 } /resources: \["sparkapplications"\]/ { print name }' \
    "$chart_dir"/templates/webhook/*webhookconfiguration.yaml | sort -u)
mapfile -t quoted < <(grep -o '"[a-z0-9-]*\.sparkoperator\.k8s\.io"' "$readme" | tr -d '"' | sort -u)
if ((${#for_apps[@]} == 0)); then
    echo "$0: found no SparkApplication webhook in $chart_dir/templates/webhook" >&2
    exit 1
fi
for name in "${for_apps[@]}"; do
    if ! grep -qF "\"$name\"" "$readme"; then
        echo "$0: README.md does not quote \"$name\", the chart's webhook that admits SparkApplications" >&2
        exit 1
    fi
done
for name in "${quoted[@]}"; do
    if ! printf '%s\n' "${registered[@]}" | grep -qxF "$name"; then
        echo "$0: README.md quotes webhook \"$name\", which the spark-operator chart in $chart_dir does not register" >&2
        exit 1
    fi
done
echo "README quotes the chart's ${#for_apps[@]} SparkApplication webhook(s); all ${#quoted[@]} quoted names are the chart's"

#!/usr/bin/env bash
# Validate every SparkApplication the offline render wrote under RENDER_DIR/k8s against the
# spark-operator v1beta2 Go API types (strict: unknown fields fail), then run the tool's tests.
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
go run -mod=readonly -buildvcs=false . "$k8s_dir"
go test -mod=readonly ./...

#!/usr/bin/env bash
# Builds Kubernetes binaries of one release from the Go module proxy (no GitHub, no release
# downloads) and caches them under $SPARKPLAT_CACHE/k8s/<version>/bin, keyed by version.
#
#   bash tools/k8s/build.sh v1.33.5 kubeadm [kubelet kube-apiserver ...]
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging modules
# (k8s.io/api, k8s.io/client-go, ...) with local paths. A wrapper module requires it and
# replaces each staging module with its published v0.<minor>.<patch> instead. The version
# variables are set as the release build sets them: kubeadm and the kubelet check them.
# The Go is the machine's when the release's own (.go-version) is of the same or an older minor,
# else the one approved toolchain (tools/k8s/go.sh says why and which).
# Prints the bin directory on stdout.
set -euo pipefail

version="${1:?usage: build.sh vX.Y.Z binary...}"
shift
(($#)) || { echo "build.sh: name at least one binary" >&2; exit 2; }
[[ "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "build.sh: version '$version' is not vX.Y.Z" >&2; exit 2; }
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
work="$CACHE/k8s/$version/module"
mkdir -p "$work"
moddir="$(bash "$(dirname "${BASH_SOURCE[0]}")/../module-dir.sh" "k8s.io/kubernetes@$version")"
go_version="$(cat "$moddir/.go-version")"
[[ "$go_version" =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || { echo "build.sh: $moddir/.go-version holds '$go_version', not a Go version" >&2; exit 1; }
# shellcheck source=tools/k8s/go.sh
source "$(dirname "${BASH_SOURCE[0]}")/go.sh"
GOTOOLCHAIN="$(go_toolchain_for "$go_version")"
export GOTOOLCHAIN
built_with="$(go_version_of "$GOTOOLCHAIN")"
[[ "$(go_minor "$built_with")" == "$(go_minor "$go_version")" ]] ||
  echo "build.sh: $version was released with Go $go_version; building it with Go $built_with" >&2
out="$CACHE/k8s/$version/go$built_with/bin"
mkdir -p "$out"

declare -A cmd_path=(
  [kubeadm]=cmd/kubeadm [kubelet]=cmd/kubelet [kubectl]=cmd/kubectl [kube-proxy]=cmd/kube-proxy
  [kube-apiserver]=cmd/kube-apiserver [kube-controller-manager]=cmd/kube-controller-manager
  [kube-scheduler]=cmd/kube-scheduler
)
todo=()
for b in "$@"; do
  [[ -n "${cmd_path[$b]:-}" ]] || { echo "build.sh: unknown binary '$b' (known: ${!cmd_path[*]})" >&2; exit 2; }
  [[ -x "$out/$b" ]] || todo+=("$b")
done
if ((${#todo[@]} == 0)); then echo "$out"; exit 0; fi

# A staging module the proxy refuses at this patch can be pinned lower:
# SPARKPLAT_K8S_STAGING_PIN="k8s.io/endpointslice=v0.32.12 ...".
declare -A STAGING_PIN=()
for pin in ${SPARKPLAT_K8S_STAGING_PIN:-}; do STAGING_PIN[${pin%%=*}]="${pin#*=}"; done
if [[ ! -f "$work/.ready" ]]; then
  (
    cd "$work"
    printf 'module sparkplat.local/k8s-build\n\ngo 1.24\n' >go.mod
    go mod edit -require "k8s.io/kubernetes@$version"
    # Every staging module the release replaces with ./staging/..., at its published version.
    while read -r mod; do
      case "$mod" in k8s.io/sample-*) continue ;; esac
      go mod edit -replace "$mod=$mod@${STAGING_PIN[$mod]:-$staging_version}"
    done < <(sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$moddir/go.mod")
    touch .ready
  )
fi

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(cut -d. -f2 <<<"$version")"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

for b in "${todo[@]}"; do
  echo "build.sh: building $b $version" >&2
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$out/$b.tmp" "k8s.io/kubernetes/${cmd_path[$b]}")
  mv "$out/$b.tmp" "$out/$b"
done
echo "$out"

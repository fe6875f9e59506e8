#!/usr/bin/env bash
# Builds the binaries a kubeadm cluster needs beside Kubernetes itself, from the Go module proxy
# (no GitHub, no release downloads), each cached under
# $SPARKPLAT_CACHE/<name>/<version>/bin, keyed by version. A cached build returns at once.
#
#   bash tools/k8s/build-extras.sh NAME...      NAME: etcd coredns helm flanneld flannel-cni-plugin all
#
# Prints one bin directory per NAME on stdout, in the order given (`all`: in the order above).
#   etcd               etcd + etcdctl at the etcd version kubeadm expects (`kubeadm config images
#                      list`: registry.k8s.io/etcd:3.5.21-0 -> v3.5.21); an own main calling etcdmain.Main.
#   coredns            coredns at kubeadm's CoreDNS version, an own main with only the plugins of
#                      kubeadm's default Corefile (plus log).
#   helm               helm $HELM_VERSION (cmd/helm) with its release version ldflags.
#   flanneld           flanneld + install-conf at versions.ts flannel.version; the directory above
#                      bin also holds chart-images.txt (the images the flannel chart of that release names).
#   flannel-cni-plugin the `flannel` CNI plugin for the chart's flannel-cni-plugin tag, from
#                      github.com/flannel-io/cni-plugin; when the proxy refuses that module, from its
#                      predecessor $FLANNEL_CNI_FALLBACK (bin/../source.txt says which).
# Every <name>/<version>/build-info.txt records the module, version, ldflags and Go release.
#
# Like tools/k8s/build.sh, each release is built with the machine's Go unless the Go it was released
# with is of a newer minor (tools/k8s/go.sh): the project's .go-version, else its go.mod toolchain
# line, else its go.mod go line when the release CI uses "latest patch of that minor" (flannel),
# else the constant below (helm's CI names only a minor).
#
# Env: SPARKPLAT_CACHE (default ~/.cache/sparkplat); KUBEADM, a kubeadm binary to read the etcd and
# CoreDNS versions from (default: tools/k8s/build.sh builds/caches kubeadm of SPARKPLAT_K8S_VERSION,
# default versions.ts testedKubernetesRelease). Needs go (and network to the module proxy when cold), and node with the repository's node_modules (tools/versions.sh).
set -euo pipefail

# Versions that are neither read from kubeadm nor from versions.ts.
HELM_VERSION="v3.19.0"
# The flannel CNI plugin's predecessor: plugins/meta/flannel of containernetworking/plugins, in the
# newest release the proxy serves that still carries it (v1.0.1 no longer does); used only when the
# proxy refuses github.com/flannel-io/cni-plugin (it refuses the whole module, @v/list included).
FLANNEL_CNI_FALLBACK_MODULE="github.com/containernetworking/plugins"
FLANNEL_CNI_FALLBACK_VERSION="v0.9.1"
FLANNEL_CNI_FALLBACK="$FLANNEL_CNI_FALLBACK_MODULE/plugins/meta/flannel@$FLANNEL_CNI_FALLBACK_VERSION"
# Dependencies of flannel whose required versions the proxy refuses, replaced by versions it
# serves (module@version). The Tencent VPC backend only; the chart runs VXLAN.
FLANNEL_PINS=("github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc@v1.0.900")

# Go releases for modules that do not name a full one: helm's .github/env says GOLANG_VERSION=1.24;
# the CNI plugin fallback predates toolchain modules.
GO_FOR_HELM="1.24.6"
GO_FOR_CNI_PLUGIN="1.24.6"

ALL_NAMES=(etcd coredns helm flanneld flannel-cni-plugin)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"

die() { echo "build-extras.sh: $*" >&2; exit 1; }
(($#)) || { echo "usage: build-extras.sh NAME... (${ALL_NAMES[*]} all)" >&2; exit 2; }
names=()
for n in "$@"; do
  case "$n" in
    all) names+=("${ALL_NAMES[@]}") ;;
    etcd | coredns | helm | flanneld | flannel-cni-plugin) names+=("$n") ;;
    *) echo "build-extras.sh: unknown name '$n' (known: ${ALL_NAMES[*]} all)" >&2; exit 2 ;;
  esac
done
command -v go >/dev/null 2>&1 || die "go not found on PATH (needed to build from the Go module proxy)"
# Module look-ups use the machine's Go; builds name their toolchain (gotc below).
export GOTOOLCHAIN=local

# go_release_of MODULE_DIR: the Go release a module's release was built with (.go-version, else
# the go.mod toolchain line, else the go.mod go line), as X.Y.Z.
go_release_of() {
  local v=""
  [[ -f "$1/.go-version" ]] && v="$(tr -d '[:space:]' <"$1/.go-version")"
  [[ -n "$v" ]] || v="$(sed -n 's/^toolchain go\(.*\)$/\1/p' "$1/go.mod")"
  [[ -n "$v" ]] || v="$(sed -n 's/^go \([0-9]*\.[0-9]*\.[0-9]*\)$/\1/p' "$1/go.mod")"
  [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "step toolchain: $1 names no full Go release (got '$v')"
  echo "$v"
}
# shellcheck source=tools/k8s/go.sh
source "$here/go.sh"
# gotc X.Y.Z ARGS...: the go command that builds a release made with Go X.Y.Z (go.sh: the
# machine's, unless X.Y is newer than it).
gotc() {
  local v="$1" tc
  shift
  tc="$(go_toolchain_for "$v")"
  GOTOOLCHAIN="$tc" go "$@" || { echo "build-extras.sh: 'go $1' with GOTOOLCHAIN=$tc (the release was made with Go $v) failed" >&2; return 1; }
}
# go_used X.Y.Z: what build-info.txt records for a release made with Go X.Y.Z.
go_used() { echo "$(go_version_of "$(go_toolchain_for "$1")") (the release was made with $1)"; }

# versions_ts NAME: a pin of versions.ts (e.g. flannel.version).
versions_ts() {
  bash "$repo/tools/versions.sh" "$1" || die "step versions.ts: no $1 in $repo/versions.ts"
}

# kubeadm_image TAG_OF: the tag of the image kubeadm lists whose name ends in /TAG_OF (e.g. etcd).
kubeadm_images=""
kubeadm_image_tag() {
  if [[ -z "$kubeadm_images" ]]; then
    local kubeadm="${KUBEADM:-}" k8s
    k8s="${SPARKPLAT_K8S_VERSION:-$(versions_ts testedKubernetesRelease)}"
    if [[ -z "$kubeadm" ]]; then
      kubeadm="$(bash "$here/build.sh" "$k8s" kubeadm)/kubeadm" || die "step kubeadm: tools/k8s/build.sh $k8s kubeadm failed"
    else
      k8s="$("$kubeadm" version -o short)" || die "step kubeadm: $kubeadm version failed"
    fi
    [[ -x "$kubeadm" ]] || die "step kubeadm: $kubeadm is not an executable"
    kubeadm_images="$("$kubeadm" config images list --kubernetes-version "$k8s")" ||
      die "step kubeadm: '$kubeadm config images list --kubernetes-version $k8s' failed"
  fi
  local tag
  tag="$(sed -n "s#^.*/$1:\(.*\)\$#\1#p" <<<"$kubeadm_images")"
  [[ -n "$tag" ]] || die "step kubeadm: kubeadm lists no image named */$1"
  echo "$tag"
}

# module_dir MODULE@VERSION: downloads a module (or finds it in the module cache), prints its directory.
module_dir() {
  bash "$repo/tools/module-dir.sh" "$1"
}

# Lock and stage one build: $dir/bin appears only when complete.
begin_build() {
  dir="$CACHE/$1/$2"
  mkdir -p "$dir"
  exec {lock_fd}>"$dir/.lock"
  flock "$lock_fd"
  stage="$dir/bin.tmp"
  rm -rf "$stage"
  mkdir -p "$stage"
  echo "build-extras.sh: building $1 $2" >&2
}
end_build() {
  printf '%s\n' "$@" >"$dir/build-info.txt"
  rm -rf "${dir:?}/bin"
  mv "$stage" "$dir/bin"
  exec {lock_fd}>&-
}

# wrapper_module DIR GO REQUIREMENT...: a module at DIR for Go release GO requiring the given
# module@version pairs.
wrapper_module() {
  local mdir="$1" gov="$2" req
  shift 2
  mkdir -p "$mdir"
  printf 'module sparkplat.local/build-extras\n\ngo %s\n' "$(go_minor "$gov")" >"$mdir/go.mod"
  for req in "$@"; do
    (cd "$mdir" && go mod edit -require "$req")
  done
}

build_etcd() {
  local tag version
  tag="$(kubeadm_image_tag etcd)"
  version="v${tag%-*}"
  [[ -x "$CACHE/etcd/$version/bin/etcd" ]] && { echo "$CACHE/etcd/$version/bin"; return; }
  begin_build etcd "$version"
  local mdir gov
  mdir="$(module_dir "go.etcd.io/etcd/server/v3@$version")" || die "step etcd: the proxy does not serve go.etcd.io/etcd/server/v3@$version"
  gov="$(go_release_of "$mdir")"
  wrapper_module "$dir/module" "$gov" "go.etcd.io/etcd/server/v3@$version" "go.etcd.io/etcd/etcdctl/v3@$version"
  mkdir -p "$dir/module/etcd"
  cat >"$dir/module/etcd/main.go" <<'EOF'
// etcd: the server, as the etcd release's own binary starts it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  local ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-proxy"
  (cd "$dir/module" && CGO_ENABLED=0 GOFLAGS=-mod=mod gotc "$gov" build -trimpath -ldflags "$ldflags" -o "$stage/etcd" ./etcd) ||
    die "step etcd: go build of etcd $version failed"
  (cd "$dir/module" && CGO_ENABLED=0 GOFLAGS=-mod=mod gotc "$gov" build -trimpath -ldflags "$ldflags" -o "$stage/etcdctl" go.etcd.io/etcd/etcdctl/v3) ||
    die "step etcd: go build of etcdctl $version failed"
  end_build "etcd: go.etcd.io/etcd/server/v3@$version (etcdmain.Main), etcdctl: go.etcd.io/etcd/etcdctl/v3@$version" \
    "kubeadm image: registry.k8s.io/etcd:$tag" "go: $(go_used "$gov")" "ldflags: $ldflags"
  echo "$dir/bin"
}

# The plugins of kubeadm's default Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go), plus
# log for debugging. "prometheus" is the directive of the metrics plugin.
COREDNS_PLUGINS=(errors health ready kubernetes metrics forward cache loop reload loadbalance log)
build_coredns() {
  local version
  version="$(kubeadm_image_tag coredns)"
  [[ -x "$CACHE/coredns/$version/bin/coredns" ]] && { echo "$CACHE/coredns/$version/bin"; return; }
  begin_build coredns "$version"
  local mdir gov p
  mdir="$(module_dir "github.com/coredns/coredns@$version")" || die "step coredns: the proxy does not serve github.com/coredns/coredns@$version"
  gov="$(go_release_of "$mdir")"
  wrapper_module "$dir/module" "$gov" "github.com/coredns/coredns@$version"
  {
    echo "// coredns with only the plugins kubeadm's default Corefile uses (and log)."
    echo "package main"
    echo
    echo "import ("
    echo "	\"github.com/coredns/coredns/coremain\""
    echo
    for p in "${COREDNS_PLUGINS[@]}"; do echo "	_ \"github.com/coredns/coredns/plugin/$p\""; done
    echo ")"
    echo
    echo "func main() { coremain.Run() }"
  } >"$dir/module/main.go"
  local ldflags="-s -w -X github.com/coredns/coredns/coremain.GitCommit=module-proxy"
  (cd "$dir/module" && CGO_ENABLED=0 GOFLAGS=-mod=mod gotc "$gov" build -trimpath -ldflags "$ldflags" -o "$stage/coredns" .) ||
    die "step coredns: go build of coredns $version failed"
  end_build "coredns: github.com/coredns/coredns@$version, own main with plugins: ${COREDNS_PLUGINS[*]}" "go: $(go_used "$gov")" "ldflags: $ldflags"
  echo "$dir/bin"
}

build_helm() {
  local version="$HELM_VERSION"
  [[ -x "$CACHE/helm/$version/bin/helm" ]] && { echo "$CACHE/helm/$version/bin"; return; }
  begin_build helm "$version"
  local mdir cgv major minor
  mdir="$(module_dir "helm.sh/helm/v3@$version")" || die "step helm: the proxy does not serve helm.sh/helm/v3@$version"
  # Helm's Makefile derives the default Kubernetes version from its client-go (v0.34.0 -> 1.34).
  cgv="$(sed -n 's/^\tk8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$mdir/go.mod")"
  [[ -n "$cgv" ]] || die "step helm: no k8s.io/client-go in $mdir/go.mod"
  major=1 minor="$cgv"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  (cd "$CACHE" && GOBIN="$stage" CGO_ENABLED=0 gotc "$GO_FOR_HELM" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version") ||
    die "step helm: go install helm.sh/helm/v3/cmd/helm@$version failed"
  end_build "helm: helm.sh/helm/v3/cmd/helm@$version" "go: $(go_used "$GO_FOR_HELM")" "ldflags: $ldflags"
  echo "$dir/bin"
}

# flannel_chart_images VERSION: writes $CACHE/flanneld/VERSION/chart-images.txt from the chart in
# the flannel module (chart/kube-flannel/values.yaml): "flannel REF" and "flannel-cni-plugin REF".
flannel_chart_images() {
  local version="$1" out="$CACHE/flanneld/$1/chart-images.txt" mdir values
  [[ -s "$out" ]] && return 0
  mdir="$(module_dir "github.com/flannel-io/flannel@$version")" || die "step flannel chart: the proxy does not serve github.com/flannel-io/flannel@$version"
  values="$mdir/chart/kube-flannel/values.yaml"
  [[ -f "$values" ]] || die "step flannel chart: no $values"
  mkdir -p "${out%/*}"
  # Track the YAML path by indentation; print flannel.image and flannel.flannel_cni.image.
  awk '
    /^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
    {
      match($0, /^ */); ind = RLENGTH; line = substr($0, ind + 1)
      if (line !~ /^[A-Za-z0-9_]+:/) next
      key = line; sub(/:.*/, "", key); val = line; sub(/^[^:]*:[[:space:]]*/, "", val); gsub(/"/, "", val)
      while (n > 0 && indent[n] >= ind) n--
      n++; indent[n] = ind; path[n] = key
      p = path[1]; for (i = 2; i <= n; i++) p = p "." path[i]
      v[p] = val
    }
    END {
      if (v["flannel.image.repository"] == "" || v["flannel.flannel_cni.image.repository"] == "") exit 1
      print "flannel " v["flannel.image.repository"] ":" v["flannel.image.tag"]
      print "flannel-cni-plugin " v["flannel.flannel_cni.image.repository"] ":" v["flannel.flannel_cni.image.tag"]
    }' "$values" >"$out.tmp" || die "step flannel chart: could not read the image names from $values"
  mv "$out.tmp" "$out"
}

build_flanneld() {
  local version pin mdir gov
  version="$(versions_ts flannel.version)"
  [[ -x "$CACHE/flanneld/$version/bin/flanneld" && -s "$CACHE/flanneld/$version/chart-images.txt" ]] &&
    { echo "$CACHE/flanneld/$version/bin"; return; }
  flannel_chart_images "$version"
  begin_build flanneld "$version"
  # flanneld is the module's root package, built from a wrapper module so that the dependencies
  # the proxy refuses can be pinned to versions it serves.
  mdir="$(module_dir "github.com/flannel-io/flannel@$version")" || die "step flanneld: the proxy does not serve github.com/flannel-io/flannel@$version"
  gov="$(go_release_of "$mdir")"
  wrapper_module "$dir/module" "$gov" "github.com/flannel-io/flannel@$version"
  for pin in "${FLANNEL_PINS[@]}"; do
    (cd "$dir/module" && go mod edit -replace "${pin%%@*}=$pin")
  done
  # As the release Makefile: cgo on amd64 (the UDP backend's C proxy), linked statically; netgo
  # and osusergo keep glibc's resolver and user look-ups out of the static binary.
  local ldflags="-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$version -extldflags -static"
  command -v gcc >/dev/null 2>&1 || die "step flanneld: gcc not found (cgo builds flannel's UDP backend)"
  (cd "$dir/module" && CGO_ENABLED=1 GOFLAGS=-mod=mod gotc "$gov" build -trimpath -tags netgo,osusergo -ldflags "$ldflags" \
    -o "$stage/flanneld" github.com/flannel-io/flannel) || die "step flanneld: go build of github.com/flannel-io/flannel@$version failed"
  (cd "$dir/module" && CGO_ENABLED=0 GOFLAGS=-mod=mod gotc "$gov" build -trimpath -ldflags "-s -w" \
    -o "$stage/install-conf" github.com/flannel-io/flannel/cmd/install_conf) || die "step flanneld: go build of install_conf failed"
  end_build "flanneld: github.com/flannel-io/flannel@$version, install-conf: .../cmd/install_conf@$version" \
    "pinned (proxy refuses flannel's own versions): ${FLANNEL_PINS[*]}" "go: $(go_used "$gov")" "ldflags: $ldflags"
  echo "$dir/bin"
}

build_flannel_cni_plugin() {
  local fversion tag src_dir
  fversion="$(versions_ts flannel.version)"
  flannel_chart_images "$fversion"
  tag="$(sed -n 's/^flannel-cni-plugin .*:\(.*\)$/\1/p' "$CACHE/flanneld/$fversion/chart-images.txt")"
  [[ -n "$tag" ]] || die "step flannel-cni-plugin: no tag in $CACHE/flanneld/$fversion/chart-images.txt"
  # Cached under the version it was built from: the chart's tag, else the fallback's.
  src_dir="$CACHE/flannel-cni-plugin/$tag"
  [[ -x "$src_dir/bin/flannel" ]] && { echo "$src_dir/bin"; return; }
  src_dir="$CACHE/flannel-cni-plugin/$FLANNEL_CNI_FALLBACK_VERSION-cnplugins"
  [[ -x "$src_dir/bin/flannel" ]] && { echo "$src_dir/bin"; return; }

  local ldflags="-s -w -X main.Version=$tag -X main.Program=flannel"
  if module_dir "github.com/flannel-io/cni-plugin@$tag" >/dev/null 2>&1; then
    begin_build flannel-cni-plugin "$tag"
    (cd "$CACHE" && GOBIN="$stage" CGO_ENABLED=0 gotc "$GO_FOR_CNI_PLUGIN" install -trimpath -tags "netgo osusergo" -ldflags "$ldflags" \
      "github.com/flannel-io/cni-plugin@$tag") || die "step flannel-cni-plugin: go install github.com/flannel-io/cni-plugin@$tag failed"
    [[ -x "$stage/flannel" ]] || mv "$stage/cni-plugin" "$stage/flannel"
    echo "github.com/flannel-io/cni-plugin@$tag" >"$dir/source.txt"
  else
    echo "build-extras.sh: the proxy refuses github.com/flannel-io/cni-plugin@$tag; building its predecessor $FLANNEL_CNI_FALLBACK" >&2
    begin_build flannel-cni-plugin "$FLANNEL_CNI_FALLBACK_VERSION-cnplugins"
    ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$FLANNEL_CNI_FALLBACK_VERSION"
    (cd "$CACHE" && GOBIN="$stage" CGO_ENABLED=0 gotc "$GO_FOR_CNI_PLUGIN" install -trimpath -ldflags "$ldflags" "$FLANNEL_CNI_FALLBACK") ||
      die "step flannel-cni-plugin: go install $FLANNEL_CNI_FALLBACK failed"
    echo "$FLANNEL_CNI_FALLBACK (github.com/flannel-io/cni-plugin@$tag refused by the module proxy)" >"$dir/source.txt"
  fi
  end_build "flannel CNI plugin: $(cat "$dir/source.txt"), stands in for chart tag $tag" "go: $(go_used "$GO_FOR_CNI_PLUGIN")" "ldflags: $ldflags"
  echo "$dir/bin"
}

mkdir -p "$CACHE"
for n in "${names[@]}"; do
  case "$n" in
    etcd) build_etcd ;;
    coredns) build_coredns ;;
    helm) build_helm ;;
    flanneld) build_flanneld ;;
    flannel-cni-plugin) build_flannel_cni_plugin ;;
  esac
done

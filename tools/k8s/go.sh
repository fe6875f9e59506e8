# shellcheck shell=bash
# Which Go builds a release (sourced by tools/k8s/build.sh and build-extras.sh).
#
# The Go module proxy serves Go toolchains (golang.org/toolchain), but this project fetches one
# only: APPROVED_GO_TOOLCHAIN, for a release that needs a newer Go than the machine's. Everything
# else builds with the machine's Go. A release is built with a Go of its own minor where possible:
# a newer minor changes behaviour the release was tested with (Go 1.26's net/url rejects the URLs
# kubeadm 1.33's HTTPProxyCIDR preflight check builds). So the pins of versions.ts are chosen
# so that the machine's Go (1.26) is their own minor; an older minor is built with the machine's
# Go and build-info.txt says so.
APPROVED_GO_TOOLCHAIN="go1.27.3"

# The machine's Go release (e.g. 1.26.8), read once.
MACHINE_GO="$(GOTOOLCHAIN=local go env GOVERSION)"
MACHINE_GO="${MACHINE_GO#go}"

# go_minor X.Y[.Z]: X.Y
go_minor() { cut -d. -f1,2 <<<"${1#go}"; }

# go_toolchain_for X.Y.Z: the GOTOOLCHAIN value that builds a release made with Go X.Y.Z:
# "local" (the machine's Go) unless the release's minor is newer than the machine's.
go_toolchain_for() {
  local want="${1#go}" have
  have="$(go_minor "$MACHINE_GO")"
  if [[ "$(printf '%s\n%s\n' "$(go_minor "$want")" "$have" | sort -V | tail -n 1)" == "$have" ]]; then
    echo local
  else
    echo "$APPROVED_GO_TOOLCHAIN"
  fi
}

# go_version_of TOOLCHAIN: the Go release that TOOLCHAIN (a go_toolchain_for value) runs, e.g. 1.26.8.
go_version_of() { local v; v="$(GOTOOLCHAIN="$1" go env GOVERSION)" && echo "${v#go}"; }

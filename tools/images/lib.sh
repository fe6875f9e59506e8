# shellcheck shell=bash
# Sourced by the image builders: container images from a rootfs, with no Docker engine and no
# registry. Images live as tags of one OCI layout; an image derived from another shares its
# layers (containerd then stores and unpacks them once). Export gives a docker-archive tarball
# under the exact image name the manifests use, for `ctr -n k8s.io images import`.
# Needs umoci and skopeo (Debian packages), and root (rootfs files keep their owners).

# image_new LAYOUT TAG: an empty image (no layers) tagged TAG.
image_new() {
  local layout="$1" tag="$2"
  [[ -d "$layout" ]] || umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
}

# image_derive LAYOUT FROM TAG FILL [ARG...]: unpacks FROM, runs `FILL ROOTFS ARG...` to change
# its rootfs, and saves the result as TAG with one new layer holding only the changes.
image_derive() {
  local layout="$1" from="$2" tag="$3" fill="$4"
  shift 4
  local bundle
  bundle="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-bundle.XXXXXX")"
  rmdir "$bundle"
  umoci unpack --image "$layout:$from" "$bundle" >/dev/null
  "$fill" "$bundle/rootfs" "$@"
  umoci repack --image "$layout:$tag" "$bundle"
  rm -rf "$bundle"
}

# image_config LAYOUT TAG [umoci config flags...]: sets entrypoint, user, env and so on of TAG.
image_config() {
  local layout="$1" tag="$2"
  shift 2
  umoci config --image "$layout:$tag" --tag "$tag" "$@"
}

# image_export LAYOUT TAG NAME OUT: writes TAG as a docker-archive named NAME (e.g.
# registry.k8s.io/pause:3.10) to OUT, atomically.
image_export() {
  local layout="$1" tag="$2" name="$3" out="$4"
  rm -f "$out.tmp"
  skopeo copy --quiet "oci:$layout:$tag" "docker-archive:$out.tmp:$name"
  mv "$out.tmp" "$out"
}

# inputs_key FILE...: a short hash of the given files' contents, to key cached images by their inputs.
inputs_key() {
  cat "$@" | sha256sum | cut -c1-12
}

#!/usr/bin/env bash
# Downloads every wheel `pip install jupyterlab==<versions.ts jupyter.jupyterlab>` and the Spark
# Connect client's pins (versions.ts sparkConnect.clientPackages, which JupyterLab's pod installs
# beside it) need in the
# locally built Spark image (Debian 12: CPython 3.11, glibc 2.36, x86_64) into a cached folder, so
# that `python3 -m http.server` on that folder serves as pip's find-links for pods with no internet
# (the image's test layer from `tools/images/spark.sh --pip-find-links URL` points pip at it).
#
# Usage: tools/images/pip-wheels.sh [OUTDIR]
#   Without OUTDIR: prints the cached folder's path. With OUTDIR: also copies (hard links when
#   possible) the wheels into OUTDIR, created if missing, and prints OUTDIR.
# Output: stdout, one line: the folder to serve. Logs go to stderr.
# Cache: ${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}/images/wheels-jupyterlab-<pin>-cp<py>-<key>/,
# complete when it holds .complete; a warm run only prints its path.
# Environment: SPARKPLAT_CACHE; PYTHON (a Python 3 with pip that runs the download, any
# version: the target is given with --python-version; default python3).
# Needs: node with the repository's node_modules (reads versions.ts), PyPI.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
PYTHON="${PYTHON:-python3}"
# The image's Python (Debian 12's python3) and the newest manylinux its glibc 2.36 accepts.
IMAGE_PYTHON="3.11"
IMAGE_GLIBC_MINOR=36

log() { echo "pip-wheels.sh: $*" >&2; }
die() {
  echo "pip-wheels.sh: error: $*" >&2
  exit 1
}

(($# <= 1)) || die "usage: tools/images/pip-wheels.sh [OUTDIR]"
out="${1:-}"

mapfile -t pins < <(bash "$ROOT/tools/versions.sh" jupyter.jupyterlab sparkConnect.clientPackages)
((${#pins[@]} == 2)) || die "could not read jupyter.jupyterlab and sparkConnect.clientPackages from $ROOT/versions.ts"
pin="${pins[0]}"
read -r -a client_pins <<<"${pins[1]}"

platforms=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
for ((minor = 17; minor <= IMAGE_GLIBC_MINOR; minor++)); do
  platforms+=(--platform "manylinux_2_${minor}_x86_64")
done
key="$(printf '%s\n' "$pin" "${client_pins[@]}" "$IMAGE_PYTHON" "${platforms[@]}" | sha256sum | cut -c1-12)"
dir="$CACHE/images/wheels-jupyterlab-$pin-cp${IMAGE_PYTHON/./}-$key"

if [[ ! -f "$dir/.complete" ]]; then
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed for pip download; set PYTHON)"
  log "downloading the wheels of jupyterlab==$pin for CPython $IMAGE_PYTHON manylinux x86_64 into $dir"
  mkdir -p "$CACHE/images"
  tmp="$(mktemp -d "$CACHE/images/.wheels.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  "$PYTHON" -m pip download -q --disable-pip-version-check --no-cache-dir \
    --only-binary=:all: --python-version "$IMAGE_PYTHON" --implementation cp \
    --abi "cp${IMAGE_PYTHON/./}" --abi abi3 --abi none "${platforms[@]}" \
    -d "$tmp" "jupyterlab==$pin" "${client_pins[@]}" >&2 ||
    die "pip download of jupyterlab==$pin ${client_pins[*]} (wheels only, CPython $IMAGE_PYTHON) failed"
  chmod 755 "$tmp"
  touch "$tmp/.complete"
  rm -rf "$dir"
  mv -T "$tmp" "$dir"
  trap - EXIT
  # Wheels of other pins are of no use any more.
  for old in "$CACHE"/images/wheels-jupyterlab-*; do
    if [[ "$old" != "$dir" ]]; then
      log "removing stale $old"
      rm -rf "$old"
    fi
  done
fi
log "$(find "$dir" -name '*.whl' | wc -l) wheels for jupyterlab==$pin in $dir"

if [[ -z "$out" ]]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$out"
cp -lf "$dir"/*.whl "$out/" 2>/dev/null || cp -f "$dir"/*.whl "$out/"
echo "$out"

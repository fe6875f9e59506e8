#!/usr/bin/env bash
# Builds the platform's two container images locally, with no Docker engine and no registry, as
# docker-archive tarballs named exactly as the cluster pulls them (for `ctr -n k8s.io images import`):
#
#   1. the Spark image, named as `spark.image` in versions.ts
#      (apache/spark:<version>-scala2.13-java17-python3-ubuntu): the official image's layout and
#      entry point, on a Debian 12 (bookworm) rootfs made by debootstrap, with Spark taken from the
#      pinned pyspark source distribution on PyPI (its deps/ and lib/ folders);
#   2. the spark-operator controller image, named as the pinned chart uses it
#      (<values.yaml image.registry>/<image.repository>:<Chart.yaml appVersion>), derived from the
#      Spark image as the operator module's Dockerfile does, with /usr/bin/spark-operator built
#      from the module's source (Go module cache) and the module's own entrypoint.sh.
#
# Usage: tools/images/spark.sh [--pip-find-links URL]
#   --pip-find-links URL  the Spark tarball gets one more top layer, /etc/pip.conf with
#                         no-index, find-links = URL and trusted-host = URL's host: pods with
#                         no internet then `pip install` from a wheel folder served at URL
#                         (see tools/images/pip-wheels.sh). Only for the test cluster.
#
# Versions come from versions.ts (spark.image, spark.version, sparkOperator.version and
# sparkOperator.bundledSpark); the operator image's name from the chart inside the operator module
# at sparkOperator.version. As upstream, the operator image is built FROM apache/spark at
# sparkOperator.bundledSpark (its spark-submit), built here the same way as the jobs' image (the
# same image when the two versions are equal).
#
# Output: stdout, two lines: the Spark tarball, then the operator tarball. Logs go to stderr.
# Cache: ${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}/images/: oci/ (one OCI layout: the debootstrap
# base keyed by its package list and recipe, the images keyed by their inputs), bin/ (the operator
# binary, keyed by version and Go), and the tarballs, keyed by a hash of this script,
# spark-entrypoint.sh, lib.sh and the versions. A warm run prints the cached paths in seconds.
# The pyspark source distribution is read from (or downloaded to) $SPARKPLAT_CACHE/pip/.
#
# Environment: SPARKPLAT_CACHE; DEBIAN_MIRROR (default http://deb.debian.org/debian) and
# DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security); PYTHON (python with pip
# for the pyspark download, default python3); GO (default go).
# Needs (cold build): root, debootstrap, unshare, chroot, umoci, skopeo, node with the repository's
# node_modules (ts-node), Go, Python 3 with pip; network to deb.debian.org, PyPI and the Go proxy.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"

CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
IMAGES="$CACHE/images"
LAYOUT="$IMAGES/oci"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
PYTHON="${PYTHON:-python3}"
GO="${GO:-go}"
SUITE="bookworm"
# The official image's packages that matter at run time (see DIFFERENCES.md for the rest).
BASE_PACKAGES=(openjdk-17-jre-headless python3 python3-pip tini procps libnss-wrapper bash
  ca-certificates gosu libjemalloc2 locales)
SPARK_UID=185
OPERATOR_MODULE="github.com/kubeflow/spark-operator/v2"

log() { echo "spark.sh: $*" >&2; }
die() {
  echo "spark.sh: error: $*" >&2
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found (needed to $2)"; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; }

PIP_FIND_LINKS_URL=""
while (($#)); do
  case "$1" in
    --pip-find-links)
      (($# >= 2)) || die "--pip-find-links needs a URL"
      PIP_FIND_LINKS_URL="$2"
      shift 2
      ;;
    --pip-find-links=*)
      PIP_FIND_LINKS_URL="${1#*=}"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage
      die "unknown argument: $1"
      ;;
  esac
done
if [[ -n "$PIP_FIND_LINKS_URL" ]]; then
  [[ "$PIP_FIND_LINKS_URL" =~ ^https?://([^/:]+)(:[0-9]+)?(/.*)?$ ]] ||
    die "--pip-find-links: '$PIP_FIND_LINKS_URL' is not an http(s)://host[:port]/path URL"
  PIP_TRUSTED_HOST="${BASH_REMATCH[1]}"
fi

# --- versions and names ------------------------------------------------------------------------
mapfile -t pins < <(bash "$ROOT/tools/versions.sh" spark.image spark.version spark.uid sparkOperator.version sparkOperator.bundledSpark) ||
  die "step versions: tools/versions.sh could not read $ROOT/versions.ts"
((${#pins[@]} == 5)) || die "step versions: unexpected output from versions.ts: ${pins[*]}"
SPARK_IMAGE="${pins[0]}" SPARK_VERSION="${pins[1]}" OPERATOR_VERSION="${pins[3]}" OPERATOR_SPARK_VERSION="${pins[4]}"
[[ "${pins[2]}" == "$SPARK_UID" ]] || die "versions.ts spark.uid is ${pins[2]}, this builder makes uid $SPARK_UID"
[[ "$OPERATOR_SPARK_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "versions.ts sparkOperator.bundledSpark is '$OPERATOR_SPARK_VERSION', not a Spark version"

mkdir -p "$IMAGES"
need "$GO" "locate the spark-operator module (set GO to a Go toolchain)"
# The operator module (source, chart, Dockerfile, entrypoint.sh): from the module cache, or the proxy.
mod_json="$(cd "$IMAGES" && GOWORK=off GOFLAGS=-mod=mod "$GO" mod download -json "$OPERATOR_MODULE@v$OPERATOR_VERSION")" ||
  die "step operator-module: go mod download $OPERATOR_MODULE@v$OPERATOR_VERSION failed"
mapfile -t mod < <(node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (m.Error) { console.error(m.Error); process.exit(1); }
  const info = JSON.parse(require("fs").readFileSync(m.Info, "utf8"));
  console.log([m.Dir, (info.Origin && info.Origin.Hash) || "unknown", info.Time].join("\n"));
' <<<"$mod_json") || die "step operator-module: cannot read go mod download's answer: $mod_json"
OPERATOR_DIR="${mod[0]}" OPERATOR_COMMIT="${mod[1]}" OPERATOR_TIME="${mod[2]}"
CHART="$OPERATOR_DIR/charts/spark-operator-chart"
[[ -f "$CHART/values.yaml" && -f "$CHART/Chart.yaml" && -f "$OPERATOR_DIR/entrypoint.sh" ]] ||
  die "step operator-module: $OPERATOR_DIR has no chart or entrypoint.sh"
# image.registry / image.repository / image.tag of the chart's values.yaml; tag "" means appVersion.
chart_image_field() {
  awk -v key="$1" '
    /^image:/ { inside = 1; next }
    inside && /^[^ #]/ { inside = 0 }
    inside && $1 == key ":" { v = $2; gsub(/"/, "", v); print v; exit }
  ' "$CHART/values.yaml"
}
op_registry="$(chart_image_field registry)"
op_repository="$(chart_image_field repository)"
op_tag="$(chart_image_field tag)"
[[ -n "$op_tag" ]] || op_tag="$(awk '$1 == "appVersion:" { v = $2; gsub(/"/, "", v); print v }' "$CHART/Chart.yaml")"
[[ -n "$op_registry" && -n "$op_repository" && -n "$op_tag" ]] ||
  die "step operator-module: could not read image registry/repository/tag from $CHART"
OPERATOR_IMAGE="$op_registry/$op_repository:$op_tag"
GO_VERSION="$("$GO" env GOVERSION)"

# --- the debootstrap base: runs in a private mount namespace (proc mounts vanish with it) --------
# base_stage ROOTFS SUITE MIRROR SECURITY_MIRROR PACKAGE...: Debian minbase plus PACKAGE..., no
# apt lists, docs or man pages. Its text is part of the base's cache key.
base_stage() {
  set -euo pipefail
  local rootfs="$1" suite="$2" mirror="$3" security="$4"
  shift 4
  # The builder's environment (TMPDIR, proxies, PIP_*) stays out of the rootfs.
  in_root() {
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
  }
  unset TMPDIR
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >&2
  mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
  printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
    'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/01-sparkplat-nodoc"
  printf '%s\n' "deb $mirror $suite main" "deb $mirror $suite-updates main" \
    "deb $security $suite-security main" >"$rootfs/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  mountpoint -q "$rootfs/proc" || mount -t proc proc "$rootfs/proc"
  in_root apt-get -q update >&2
  in_root apt-get -q install -y --no-install-recommends "$@" >&2
  in_root apt-get -q -y dist-upgrade >&2
  echo 'en_US.UTF-8 UTF-8' >>"$rootfs/etc/locale.gen"
  in_root locale-gen >&2
  in_root apt-get clean
  umount "$rootfs/proc"
  rm -f "$rootfs/usr/sbin/policy-rc.d"
  # What debootstrap installed before the dpkg exclusions existed, and caches and logs.
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/usr/share/{man,info,i18n}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  find "$rootfs/var/log" -type f -delete
  # The container runtime provides these.
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  [[ ! -e "$rootfs/etc/machine-id" ]] || : >"$rootfs/etc/machine-id"
}

fill_base() {
  local rootfs="$1"
  unshare --mount --propagation private -- bash -c "$(declare -f base_stage); base_stage \"\$@\"" base_stage \
    "$rootfs" "$SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" "${BASE_PACKAGES[@]}" ||
    die "step base: debootstrap/apt-get of $SUITE from $DEBIAN_MIRROR failed (see the log above)"
  if grep -qF " $rootfs/" /proc/self/mountinfo; then
    die "step base: something is still mounted under $rootfs; not touching it"
  fi
  # Images carry no device nodes: the container runtime populates /dev.
  find "$rootfs/dev" -mindepth 1 -delete
}

# --- the Spark layer -----------------------------------------------------------------------------
# fill_spark ROOTFS SDIST VERSION: the official image's /opt/spark layout, spark user, entry point.
fill_spark() {
  local rootfs="$1" sdist="$2" version="$3" src spark java hadoop py4j_zip py4j_version py4j_req py4j_min py4j_below
  spark="$rootfs/opt/spark"
  # As the official image: a system user and group `spark`, uid/gid 185, home /nonexistent.
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin groupadd --system --gid="$SPARK_UID" spark
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin useradd --system --uid="$SPARK_UID" --gid=spark -d /nonexistent spark
  [[ ! -f "$rootfs/etc/pam.d/su" ]] || echo "auth required pam_wheel.so use_uid" >>"$rootfs/etc/pam.d/su"

  src="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-sdist.XXXXXX")"
  log "unpacking $(basename "$sdist")"
  tar -xzf "$sdist" -C "$src" --strip-components=1 --no-same-owner
  [[ -d "$src/deps/jars" && -d "$src/deps/bin" && -f "$src/lib/pyspark.zip" ]] ||
    die "step spark: $sdist has no deps/jars, deps/bin or lib/pyspark.zip"
  # Spark's own py4j (lib/py4j-<v>-src.zip) must satisfy pyspark's requirement (py4j>=A,<B or ==A).
  py4j_zip="$(find "$src/lib" -name 'py4j-*-src.zip' -printf '%f\n')"
  py4j_version="${py4j_zip#py4j-}"
  py4j_version="${py4j_version%-src.zip}"
  py4j_req="$(grep -m1 '^py4j' "$src/pyspark.egg-info/requires.txt" || true)"
  py4j_min="$(sed -n 's/.*\(>=\|==\)\([0-9.]*\).*/\2/p' <<<"$py4j_req")"
  py4j_below="$(sed -n 's/.*<\([0-9.]*\).*/\1/p' <<<"$py4j_req")"
  [[ "$py4j_version" =~ ^[0-9.]+$ && -n "$py4j_min" ]] ||
    die "step spark: $sdist: lib/ has '$py4j_zip', requires.txt says '$py4j_req'"
  if [[ "$(printf '%s\n' "$py4j_min" "$py4j_version" | sort -V | head -n 1)" != "$py4j_min" ||
    (-n "$py4j_below" && "$(printf '%s\n' "$py4j_version" "$py4j_below" | sort -V | tail -n 1)" != "$py4j_below") ||
    "$py4j_version" == "$py4j_below" || ("$py4j_req" == *==* && "$py4j_version" != "$py4j_min") ]]; then
    die "step spark: $sdist bundles py4j $py4j_version but pyspark requires $py4j_req"
  fi
  hadoop="$(find "$src/deps/jars" -name 'hadoop-client-api-*.jar' -printf '%f\n' | sed 's/^hadoop-client-api-//; s/\.jar$//')"

  mkdir -p "$spark/python" "$spark/examples/src/main" "$spark/work-dir"
  mv "$src/deps/bin" "$src/deps/sbin" "$src/deps/jars" "$src/deps/data" "$spark/"
  mv "$src/deps/examples" "$spark/examples/src/main/python"
  mv "$src/pyspark" "$spark/python/pyspark"
  mv "$src/lib" "$spark/python/lib"
  printf 'Spark %s built for Hadoop %s\nAssembled by tools/images/spark.sh from the pyspark %s source distribution (PyPI).\n' \
    "$version" "$hadoop" "$version" >"$spark/RELEASE"
  rm -rf "$src"
  chown -R "$SPARK_UID:$SPARK_UID" "$spark"
  chmod g+w "$spark/work-dir"
  install -m 0755 -o 0 -g 0 "$HERE/spark-entrypoint.sh" "$rootfs/opt/entrypoint.sh"

  # JAVA_HOME at the official image's path (Eclipse Temurin's /opt/java/openjdk).
  java="$(readlink -f "$rootfs/usr/bin/java")"
  java="${java#"$rootfs"}"
  [[ "$java" == /usr/lib/jvm/*/bin/java ]] || die "step spark: no Java 17 in the base (java is '$java')"
  mkdir -p "$rootfs/opt/java"
  ln -s "${java%/bin/java}" "$rootfs/opt/java/openjdk"
  # Debian marks its Python externally managed (PEP 668), Ubuntu jammy's does not: `pip install
  # --user` (JupyterLab's start) must work as in the official image.
  rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
}

# fill_pip_conf ROOTFS URL HOST: the test cluster's /etc/pip.conf.
fill_pip_conf() {
  printf '[global]\nno-index = true\nfind-links = %s\ntrusted-host = %s\n' "$2" "$3" >"$1/etc/pip.conf"
  chmod 644 "$1/etc/pip.conf"
}

# fill_operator ROOTFS BINARY ENTRYPOINT: what the operator module's Dockerfile adds to the Spark image.
fill_operator() {
  local rootfs="$1"
  mkdir -p "$rootfs/etc/k8s-webhook-server/serving-certs" "$rootfs/home/spark"
  chmod -R g+rw "$rootfs/etc/k8s-webhook-server/serving-certs"
  chown -R "$SPARK_UID" "$rootfs/etc/k8s-webhook-server/serving-certs" "$rootfs/home/spark"
  install -m 0755 -o 0 -g 0 "$2" "$rootfs/usr/bin/spark-operator"
  install -m 0755 -o 0 -g 0 "$3" "$rootfs/usr/bin/entrypoint.sh"
}

# --- steps -----------------------------------------------------------------------------------------
# (grep reads all of umoci's output: with -q, an early exit could fail the pipe.)
tag_exists() { umoci ls --layout "$LAYOUT" 2>/dev/null | grep -xF "$1" >/dev/null; }

# prune_tags REGEX KEEP...: removes the layout's tags matching REGEX except those starting with a
# KEEP (images of older inputs).
prune_tags() {
  local t k keep regex="$1"
  shift
  while IFS= read -r t; do
    keep=0
    for k in "$@"; do [[ "$t" != "$k"* ]] || keep=1; done
    if [[ "$t" =~ $regex ]] && ((keep == 0)); then
      log "removing stale image $t"
      umoci rm --image "$LAYOUT:$t"
    fi
  done < <(umoci ls --layout "$LAYOUT")
}

# prune_files KEEP GLOB...: removes cached tarballs of an older key.
prune_files() {
  local keep="$1" f
  shift
  for f in "$@"; do
    if [[ -e "$f" && "$f" != "$keep" ]]; then
      log "removing stale $f"
      rm -f "$f"
    fi
  done
}

# pyspark_sdist VERSION: the pyspark source distribution (Spark itself), from the cache or PyPI.
pyspark_sdist() {
  local version="$1" sdist="$CACHE/pip/pyspark-$1.tar.gz"
  if [[ ! -f "$sdist" ]]; then
    need "$PYTHON" "download the pyspark source distribution (set PYTHON to a Python 3 with pip)"
    log "downloading pyspark==$version (source distribution, about 450 MB) into $CACHE/pip"
    mkdir -p "$CACHE/pip"
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$CACHE/pip" "pyspark==$version" >&2 ||
      die "step pyspark: pip download pyspark==$version failed"
    [[ -f "$sdist" ]] || die "step pyspark: pip did not leave $sdist"
  fi
  echo "$sdist"
}

# The operator binary, built as the module's Makefile (build-operator) does, from a copy of the
# module's source so that its go.sum and replace directives pin every dependency as upstream.
operator_binary() {
  local dir="$IMAGES/bin/spark-operator-v$OPERATOR_VERSION-$GO_VERSION" src build_date ldflags
  if [[ ! -x "$dir/spark-operator" ]]; then
    log "building spark-operator v$OPERATOR_VERSION with $GO_VERSION (minutes)"
    src="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-operator-src.XXXXXX")"
    cp -R "$OPERATOR_DIR/." "$src/"
    chmod -R u+w "$src"
    build_date="$(date -u -d "$OPERATOR_TIME" +%Y-%m-%dT%H:%M:%S%:z)"
    ldflags="-X k8s.io/component-base/version.gitVersion=v$OPERATOR_VERSION"
    ldflags+=" -X k8s.io/component-base/version.gitCommit=$OPERATOR_COMMIT"
    ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/component-base/version.buildDate=$build_date"
    ldflags+=' -extldflags "-static"'
    mkdir -p "$dir"
    (cd "$src" && GOWORK=off CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GO111MODULE=on \
      "$GO" build -buildvcs=false -o "$dir/spark-operator.tmp" -ldflags "$ldflags" ./cmd/operator) >&2 ||
      die "step operator-binary: go build of $OPERATOR_MODULE/cmd/operator failed"
    mv "$dir/spark-operator.tmp" "$dir/spark-operator"
    rm -rf "$src"
    prune_files "$dir" "$IMAGES"/bin/spark-operator-*
  fi
  echo "$dir/spark-operator"
}

# --- keys and outputs --------------------------------------------------------------------------------
BASE_KEY="$(inputs_key <(printf '%s\n' "$SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" "${BASE_PACKAGES[@]}"
  declare -f base_stage fill_base))"
# spark_key VERSION: the key of the Spark image of VERSION.
spark_key() {
  inputs_key "$HERE/spark.sh" "$HERE/spark-entrypoint.sh" "$HERE/lib.sh" <(printf '%s\n' "$BASE_KEY" "apache/spark" "$1")
}
SPARK_KEY="$(spark_key "$SPARK_VERSION")"
OPERATOR_SPARK_KEY="$(spark_key "$OPERATOR_SPARK_VERSION")"
OPERATOR_KEY="$(inputs_key "$OPERATOR_DIR/entrypoint.sh" \
  <(printf '%s\n' "$OPERATOR_SPARK_KEY" "$OPERATOR_IMAGE" "$OPERATOR_VERSION" "$OPERATOR_COMMIT" "$GO_VERSION"))"
BASE_TAG="base-$BASE_KEY"
SPARK_TAG="spark-$SPARK_KEY"
OPERATOR_SPARK_TAG="spark-$OPERATOR_SPARK_KEY"
OPERATOR_TAG="operator-$OPERATOR_KEY"
SPARK_TAR="$IMAGES/apache-spark-$SPARK_KEY.tar"
OPERATOR_TAR="$IMAGES/spark-operator-$OPERATOR_KEY.tar"
OUT_SPARK_TAR="$SPARK_TAR"
if [[ -n "$PIP_FIND_LINKS_URL" ]]; then
  PIP_KEY="$(inputs_key <(printf '%s\n' "$PIP_FIND_LINKS_URL" "$PIP_TRUSTED_HOST"))"
  PIP_TAG="spark-pip-$SPARK_KEY-$PIP_KEY"
  OUT_SPARK_TAR="$IMAGES/apache-spark-pip-$SPARK_KEY-$PIP_KEY.tar"
fi

if [[ -f "$OUT_SPARK_TAR" && -f "$OPERATOR_TAR" ]]; then
  log "cached: $SPARK_IMAGE and $OPERATOR_IMAGE"
  printf '%s\n' "$OUT_SPARK_TAR" "$OPERATOR_TAR"
  exit 0
fi

# --- cold build (one builder at a time per cache) ----------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "building the images needs root (rootfs files keep their owners; debootstrap)"
for tool in umoci skopeo debootstrap unshare chroot flock; do
  need "$tool" "build the images (Debian: apt-get install umoci skopeo debootstrap util-linux coreutils)"
done
exec 9>"$IMAGES/.lock"
flock 9
WORK="$(mktemp -d "$IMAGES/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export TMPDIR="$WORK"
[[ -d "$LAYOUT" ]] || umoci init --layout "$LAYOUT"

if ! tag_exists "$BASE_TAG"; then
  log "debootstrap $SUITE + ${BASE_PACKAGES[*]} (several minutes)"
  tag_exists empty || image_new "$LAYOUT" empty
  image_derive "$LAYOUT" empty "$BASE_TAG" fill_base
  prune_tags '^base-[0-9a-f]{12}$' "$BASE_TAG"
fi

# spark_image TAG VERSION: the official image's equivalent for Spark VERSION, as TAG of the layout.
spark_image() {
  local tag="$1" version="$2" sdist
  tag_exists "$tag" && return 0
  sdist="$(pyspark_sdist "$version")"
  log "Spark $version layer"
  image_derive "$LAYOUT" "$BASE_TAG" "$tag" fill_spark "$sdist" "$version"
  image_config "$LAYOUT" "$tag" --clear=config.env --clear=config.entrypoint --clear=config.cmd \
    --config.env PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env JAVA_HOME=/opt/java/openjdk \
    --config.env LANG=en_US.UTF-8 --config.env LANGUAGE=en_US:en --config.env LC_ALL=en_US.UTF-8 \
    --config.env SPARK_HOME=/opt/spark \
    --config.workingdir /opt/spark/work-dir \
    --config.user spark \
    --config.entrypoint /opt/entrypoint.sh \
    --history.created_by "tools/images/spark.sh: Spark $version image config"
}
spark_image "$SPARK_TAG" "$SPARK_VERSION"
spark_image "$OPERATOR_SPARK_TAG" "$OPERATOR_SPARK_VERSION"
prune_tags '^spark-[0-9a-f]{12}$' "$SPARK_TAG" "$OPERATOR_SPARK_TAG"
prune_tags '^spark-pip-[0-9a-f]{12}-[0-9a-f]{12}$' "spark-pip-$SPARK_KEY-"
if [[ -z "$PIP_FIND_LINKS_URL" && ! -f "$SPARK_TAR" ]]; then
  log "exporting $SPARK_IMAGE"
  image_export "$LAYOUT" "$SPARK_TAG" "$SPARK_IMAGE" "$SPARK_TAR"
fi
if [[ -n "$PIP_FIND_LINKS_URL" && ! -f "$OUT_SPARK_TAR" ]]; then
  if ! tag_exists "$PIP_TAG"; then
    log "test layer /etc/pip.conf: find-links $PIP_FIND_LINKS_URL"
    image_derive "$LAYOUT" "$SPARK_TAG" "$PIP_TAG" fill_pip_conf "$PIP_FIND_LINKS_URL" "$PIP_TRUSTED_HOST"
  fi
  log "exporting $SPARK_IMAGE (with the pip.conf test layer)"
  image_export "$LAYOUT" "$PIP_TAG" "$SPARK_IMAGE" "$OUT_SPARK_TAR"
fi

if ! tag_exists "$OPERATOR_TAG"; then
  binary="$(operator_binary)"
  log "spark-operator $OPERATOR_VERSION layer"
  image_derive "$LAYOUT" "$OPERATOR_SPARK_TAG" "$OPERATOR_TAG" fill_operator "$binary" "$OPERATOR_DIR/entrypoint.sh"
  image_config "$LAYOUT" "$OPERATOR_TAG" --clear=config.entrypoint --clear=config.cmd \
    --config.user "$SPARK_UID:$SPARK_UID" \
    --config.entrypoint /usr/bin/entrypoint.sh \
    --history.created_by "tools/images/spark.sh: spark-operator $OPERATOR_VERSION image config"
  prune_tags '^operator-[0-9a-f]{12}$' "$OPERATOR_TAG"
fi
if [[ ! -f "$OPERATOR_TAR" ]]; then
  log "exporting $OPERATOR_IMAGE"
  image_export "$LAYOUT" "$OPERATOR_TAG" "$OPERATOR_IMAGE" "$OPERATOR_TAR"
fi

prune_files "$SPARK_TAR" "$IMAGES"/apache-spark-[0-9a-f]*.tar
prune_files "$OPERATOR_TAR" "$IMAGES"/spark-operator-*.tar
for f in "$IMAGES"/apache-spark-pip-*.tar; do
  [[ ! -e "$f" || "$f" == "$IMAGES/apache-spark-pip-$SPARK_KEY-"* ]] || prune_files "" "$f"
done
umoci gc --layout "$LAYOUT"
printf '%s\n' "$OUT_SPARK_TAR" "$OPERATOR_TAR"

#!/usr/bin/env bash
# Checks the locally built platform images without Kubernetes: builds them (or takes them from the
# cache) with tools/images/spark.sh, unpacks the docker-archive tarballs exactly as they would be
# imported, and runs containers from them with runc:
#   (i)   `driver --master local[2] .../pi.py 4` through /opt/entrypoint.sh prints "Pi is roughly"
#         (private network namespace with only loopback up);
#   (ii)  the Spark image runs as uid 185 (user spark) and has the official image's layout and
#         environment (/opt/spark, work-dir, entry point, tini, Java 17, Python 3, no PEP 668 marker),
#         checked by a command given to the entry point (pass-through mode);
#   (iii) the operator image runs as 185:185 and `entrypoint.sh version` / `spark-operator --help`
#         work; its webhook-cert and home folders are the spark user's;
#   (iv)  with `python3 -m http.server` on 127.0.0.1 serving tools/images/pip-wheels.sh's folder and
#         the image's pip.conf test layer pointing at it, `python3 -m pip install --user
#         jupyterlab==<pin>` succeeds as uid 185 with HOME=/tmp/home (host network namespace);
#   (v)   `executor` mode builds the KubernetesExecutorBackend command line as the Spark k8s
#         backend expects (SPARK_JAVA_OPT_*, -Xms/-Xmx, SPARK_DIST_CLASSPATH after Spark's jars),
#         for an unknown uid (nss_wrapper gives it the name spark) and for root (gosu to spark);
#         a stand-in `java` in the container prints what it was given;
#   (vi)  containerd (when installed) imports both tarballs under the names the cluster pulls
#         (a private containerd on its own socket and folders, stopped afterwards).
# The image names inside the tarballs are checked against versions.ts.
#
# Usage: tools/images/check-images.sh      (root; about 1 minute with a warm image cache, about 4
#        minutes from nothing)
# Environment: SPARKPLAT_CACHE (see spark.sh); SPARKPLAT_CHECK_PORT (default 18631): the loopback
# port of the wheel server, baked into the checked image's pip.conf (a fixed port keeps that
# image cached between runs). KEEP_WORK=1 keeps the temp folder for inspection.
# Output: one line per check on stderr, "all image checks passed" at the end; exit status 0 when
# all pass. Everything it creates (containers, network namespace, wheel server, containerd, temp
# folder under /tmp) is removed on exit; it ends only processes it started, by PID.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${SPARKPLAT_CHECK_PORT:-18631}"
FIND_LINKS="http://127.0.0.1:$PORT/"
started=$SECONDS

log() { echo "check-images.sh: $*" >&2; }
die() {
  echo "check-images.sh: FAIL: $*" >&2
  exit 1
}
pass() { log "ok   $*"; }

[[ "$(id -u)" == 0 ]] || die "needs root (runc containers, umoci unpack keeps file owners)"
for tool in runc umoci skopeo unshare ip python3 node curl timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian: runc umoci skopeo util-linux iproute2 curl coreutils)"
done

WORK="$(mktemp -d /tmp/sparkplat-check.XXXXXX)"
RUNC_ROOT="$WORK/runc-state"
containers=()
server_pid=""
containerd_pid=""
cleanup() {
  local id pid
  for id in "${containers[@]}"; do
    runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  done
  for pid in "$server_pid" "$containerd_pid"; do
    [[ -n "$pid" ]] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if grep -qF " $WORK/" /proc/self/mountinfo; then
    log "something is still mounted under $WORK: left in place"
  elif [[ "${KEEP_WORK:-}" == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

mapfile -t pins < <(bash "$ROOT/tools/versions.sh" spark.image spark.version sparkOperator.version jupyter.jupyterlab sparkOperator.bundledSpark)
((${#pins[@]} == 5)) || die "could not read versions.ts"
SPARK_IMAGE="${pins[0]}" SPARK_VERSION="${pins[1]}" OPERATOR_VERSION="${pins[2]}" JUPYTERLAB="${pins[3]}" OPERATOR_SPARK_VERSION="${pins[4]}"
OPERATOR_IMAGE="ghcr.io/kubeflow/spark-operator/controller:$OPERATOR_VERSION"

log "building or finding the images (tools/images/spark.sh --pip-find-links $FIND_LINKS)"
WHEELS="$(bash "$HERE/pip-wheels.sh")"
mapfile -t tars < <(bash "$HERE/spark.sh" --pip-find-links "$FIND_LINKS")
((${#tars[@]} == 2)) || die "spark.sh did not print two tarballs"

# unpack TARBALL NAME BUNDLE: checks the archive's image name, then unpacks it as a runtime bundle.
unpack() {
  local tar="$1" name="$2" bundle="$3" tags
  tags="$(tar -xOf "$tar" manifest.json | python3 -c 'import json,sys; print(" ".join(t for m in json.load(sys.stdin) for t in m["RepoTags"]))')"
  # skopeo writes the fully qualified name; containerd and kubelet normalize either form to it.
  [[ "$tags" == "$name" || "$tags" == "docker.io/$name" ]] || die "$tar is named '$tags', the cluster pulls '$name'"
  pass "$(basename "$tar") is named $tags"
  skopeo copy --quiet "docker-archive:$tar" "oci:$WORK/oci:$(basename "$bundle")"
  umoci unpack --image "$WORK/oci:$(basename "$bundle")" "$bundle" >/dev/null
  cp "$bundle/config.json" "$bundle/config.image.json"
  # What kubelet provides in a pod: a hosts file naming the pod.
  printf '127.0.0.1 localhost sparkplat-check\n::1 localhost\n' >"$bundle/rootfs/etc/hosts"
}

# run BUNDLE USER NET [ENV=VALUE...] -- ARGS...: runs ARGS in a container of BUNDLE as USER ("image"
# for the image's USER, or uid:gid), NET "private" (own network namespace, loopback only) or "host";
# stdout+stderr to $WORK/out. Returns the container's exit status.
run() {
  local bundle="$1" user="$2" net="$3" id status=0
  shift 3
  id="sparkplat-check-$$-${#containers[@]}"
  containers+=("$id")
  python3 - "$bundle" "$user" "$@" <<'EOF'
import json, sys
bundle, user, *rest = sys.argv[1:]
sep = rest.index("--")
env, args = rest[:sep], rest[sep + 1:]
with open(bundle + "/config.image.json") as f:
    c = json.load(f)
p = c["process"]
p["terminal"] = False
p["args"] = args
if user != "image":
    uid, gid = user.split(":")
    p["user"] = {"uid": int(uid), "gid": int(gid)}
names = {e.split("=", 1)[0] for e in env}
p["env"] = [e for e in p.get("env", []) if e.split("=", 1)[0] not in names] + env
# containerd's default capabilities for pods (the platform's pods drop them all); only root keeps
# them effective. Open files as containerd allows (up to this machine's hard limit).
caps = ["CAP_" + n for n in ("CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP "
                             "SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE").split()]
root = p["user"]["uid"] == 0
p["capabilities"] = {"bounding": caps, "effective": caps if root else [], "permitted": caps if root else [],
                     "inheritable": [], "ambient": []}
import resource
nofile = min(1048576, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": nofile, "soft": nofile}]
c["hostname"] = "sparkplat-check"
# The network namespace is the caller's: a private one made by unshare, or the host's.
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
with open(bundle + "/config.json", "w") as f:
    json.dump(c, f)
EOF
  if [[ "$net" == private ]]; then
    # shellcheck disable=SC2016 # $1..$3 are the inner shell's arguments
    timeout --kill-after=10 600 unshare --net -- sh -c 'ip link set lo up && exec runc --root "$1" run --bundle "$2" "$3"' \
      sh "$RUNC_ROOT" "$bundle" "$id" </dev/null >"$WORK/out" 2>&1 || status=$?
  else
    timeout --kill-after=10 600 runc --root "$RUNC_ROOT" run --bundle "$bundle" "$id" </dev/null >"$WORK/out" 2>&1 || status=$?
  fi
  runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  return "$status"
}

show_out() { sed 's/^/    | /' "$WORK/out" | tail -n "${1:-40}" >&2; }

SPARK="$WORK/spark"
OPERATOR="$WORK/operator"
log "unpacking the tarballs"
unpack "${tars[0]}" "$SPARK_IMAGE" "$SPARK"
unpack "${tars[1]}" "$OPERATOR_IMAGE" "$OPERATOR"

# --- (ii) user, environment and layout of the Spark image -----------------------------------------
python3 - "$SPARK/config.image.json" <<'EOF' || die "(ii) the Spark image's config differs from the official image's"
import json, sys
c = json.load(open(sys.argv[1]))
p = c["process"]
env = dict(e.split("=", 1) for e in p["env"])
problems = []
if (p["user"]["uid"], p["user"]["gid"]) != (185, 185): problems.append(f"user {p['user']}")
if p["cwd"] != "/opt/spark/work-dir": problems.append(f"cwd {p['cwd']}")
if p["args"] != ["/opt/entrypoint.sh"]: problems.append(f"entrypoint/cmd {p['args']}")
for k, v in {"SPARK_HOME": "/opt/spark", "JAVA_HOME": "/opt/java/openjdk"}.items():
    if env.get(k) != v: problems.append(f"{k}={env.get(k)}")
if not env.get("PATH", "").startswith("/opt/java/openjdk/bin:"): problems.append(f"PATH={env.get('PATH')}")
if problems:
    sys.exit("config: " + ", ".join(problems))
EOF
pass "(ii) image config: USER spark (185:185), WORKDIR /opt/spark/work-dir, ENTRYPOINT /opt/entrypoint.sh, SPARK_HOME, JAVA_HOME"

# shellcheck disable=SC2016 # runs inside the container
layout_check='
set -eu
fail() { echo "LAYOUT: $*"; exit 1; }
[ "$(id -u):$(id -g)" = "185:185" ] || fail "runs as $(id -u):$(id -g)"
[ "$(id -un)" = spark ] || fail "user name $(id -un)"
getent passwd spark | grep -qx "spark:x:185:185::/nonexistent:/bin/sh" || fail "passwd: $(getent passwd spark)"
getent group spark | grep -q "^spark:x:185:" || fail "group: $(getent group spark)"
for p in bin/spark-submit bin/spark-class bin/pyspark sbin/start-history-server.sh \
         jars/spark-core_2.13-@V@.jar jars/spark-kubernetes_2.13-@V@.jar \
         python/pyspark/__init__.py python/lib/pyspark.zip examples/src/main/python/pi.py RELEASE; do
  [ -f "$SPARK_HOME/$p" ] || fail "missing $SPARK_HOME/$p"
done
ls "$SPARK_HOME"/python/lib/py4j-*-src.zip >/dev/null || fail "no py4j zip"
for d in data/mllib work-dir; do [ -d "$SPARK_HOME/$d" ] || fail "missing $SPARK_HOME/$d"; done
[ "$(stat -c %u:%g "$SPARK_HOME" "$SPARK_HOME/jars" "$SPARK_HOME/work-dir" | sort -u)" = "185:185" ] || fail "/opt/spark not owned by spark"
[ "$(pwd)" = /opt/spark/work-dir ] && touch "$SPARK_HOME/work-dir/.w" && rm "$SPARK_HOME/work-dir/.w" || fail "work-dir not writable"
[ -x /opt/entrypoint.sh ] && [ -x /usr/bin/tini ] && [ -x /usr/sbin/gosu ] || fail "entrypoint, tini or gosu missing"
grep -qx "auth required pam_wheel.so use_uid" /etc/pam.d/su || fail "no pam_wheel line in /etc/pam.d/su"
locale -a | grep -qx en_US.utf8 || fail "locale en_US.UTF-8 not generated"
[ -f /usr/lib/x86_64-linux-gnu/libnss_wrapper.so ] || fail "libnss_wrapper missing"
"$JAVA_HOME/bin/java" -version 2>&1 | grep -q "version \"17\." || fail "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
command -v java | grep -qx /opt/java/openjdk/bin/java || fail "java on PATH: $(command -v java)"
python3 -c "import sys; assert sys.version_info[:1] == (3,)" || fail python3
python3 -m pip --version >/dev/null || fail pip
! ls /usr/lib/python3*/EXTERNALLY-MANAGED 2>/dev/null || fail "Python is marked externally managed"
[ ! -e /var/lib/apt/lists/lock ] || [ -z "$(ls /var/lib/apt/lists | grep -v -e lock -e partial)" ] || fail "apt lists left"
echo "java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "python: $(python3 --version), $(python3 -m pip --version | cut -d" " -f1,2)"
echo LAYOUT-OK'
# Through the entry point's pass-through mode (any command that is not driver/executor).
if run "$SPARK" image private -- /opt/entrypoint.sh bash -c "${layout_check//@V@/$SPARK_VERSION}" &&
  grep -q LAYOUT-OK "$WORK/out"; then
  pass "(ii) runs as spark (185:185) through the entry point's pass-through; /opt/spark layout, tini, gosu, nss_wrapper, locale; $(grep -E '^(java|python):' "$WORK/out" | tr '\n' ' ')"
else
  show_out
  die "(ii) user or layout of the Spark image"
fi

# --- (i) Pi through the entry point's driver mode ------------------------------------------------
t0=$SECONDS
if run "$SPARK" image private SPARK_DRIVER_BIND_ADDRESS=127.0.0.1 SPARK_LOCAL_IP=127.0.0.1 -- \
  /opt/entrypoint.sh driver --master 'local[2]' local:///opt/spark/examples/src/main/python/pi.py 4 &&
  grep -q "Pi is roughly" "$WORK/out"; then
  pass "(i) driver mode, local[2]: $(grep -m1 'Pi is roughly' "$WORK/out") ($((SECONDS - t0)) s)"
else
  show_out
  die "(i) pi.py through /opt/entrypoint.sh driver"
fi

# --- (v) executor command line, unknown uid and root ---------------------------------------------
mkdir -p "$SPARK/rootfs/tmp/fake-java/bin"
cat >"$SPARK/rootfs/tmp/fake-java/bin/java" <<'EOF'
#!/bin/sh
echo "whoami=$(id -un) uid=$(id -u)"
for a in "$@"; do echo "arg=$a"; done
EOF
chmod 755 "$SPARK/rootfs/tmp/fake-java/bin/java"
expected_args="arg=-Dspark.a=1
arg=-Dspark.b=two words
arg=-Dspark.c=3
arg=-Xms1024m
arg=-Xmx1024m
arg=-cp
arg=/opt/spark/conf:/opt/spark/jars/*:/opt/spark/work-dir:/opt/spark-s3a/jars/*
arg=org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend
arg=--driver-url
arg=spark://CoarseGrainedScheduler@driver-svc.ns.svc:7078
arg=--executor-id
arg=3
arg=--cores
arg=1
arg=--app-id
arg=spark-0123
arg=--hostname
arg=10.244.1.7
arg=--resourceProfileId
arg=0
arg=--podName
arg=pi-exec-3"
executor_env=(JAVA_HOME=/tmp/fake-java SPARK_EXECUTOR_MEMORY=1024m
  SPARK_JAVA_OPT_0=-Dspark.a=1 "SPARK_JAVA_OPT_1=-Dspark.b=two words" SPARK_JAVA_OPT_2=-Dspark.c=3
  "SPARK_DIST_CLASSPATH=/opt/spark-s3a/jars/*" SPARK_DRIVER_URL=spark://CoarseGrainedScheduler@driver-svc.ns.svc:7078
  SPARK_EXECUTOR_ID=3 SPARK_EXECUTOR_CORES=1 SPARK_APPLICATION_ID=spark-0123 SPARK_EXECUTOR_POD_IP=10.244.1.7
  SPARK_RESOURCE_PROFILE_ID=0 SPARK_EXECUTOR_POD_NAME=pi-exec-3)
for who in 4242:0 0:0; do
  if run "$SPARK" "$who" private "${executor_env[@]}" -- /opt/entrypoint.sh executor &&
    [[ "$(grep '^arg=' "$WORK/out")" == "$expected_args" ]] &&
    grep -qE '^whoami=spark uid=(4242|185)$' "$WORK/out"; then
    pass "(v) executor command line as uid ${who%%:*}: $(grep '^whoami=' "$WORK/out")"
  else
    show_out
    die "(v) executor mode as uid ${who%%:*}: unexpected command line or user"
  fi
done

# --- (iv) pip install --user jupyterlab from the wheel folder, through the pip.conf layer ---------
grep -qx "find-links = $FIND_LINKS" "$SPARK/rootfs/etc/pip.conf" || die "(iv) the image's /etc/pip.conf does not point at $FIND_LINKS"
if curl -s -o /dev/null "$FIND_LINKS"; then
  die "(iv) something already answers on $FIND_LINKS; set SPARKPLAT_CHECK_PORT to a free port"
fi
python3 -m http.server --bind 127.0.0.1 --directory "$WHEELS" "$PORT" >"$WORK/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "$FIND_LINKS" && break
  sleep 0.2
done
curl -s -o /dev/null "$FIND_LINKS" || die "(iv) the wheel server on $FIND_LINKS did not start: $(cat "$WORK/http.log")"
t0=$SECONDS
if run "$SPARK" image host HOME=/tmp/home -- bash -c "mkdir -p \"\$HOME\" &&
    python3 -m pip install --user --no-cache-dir --disable-pip-version-check --no-warn-script-location jupyterlab==$JUPYTERLAB &&
    \$HOME/.local/bin/jupyter-lab --version && id -u" &&
  [[ "$(tail -n 2 "$WORK/out" | tr '\n' ' ')" == "$JUPYTERLAB 185 " ]]; then
  grep -q "GET /jupyterlab-$JUPYTERLAB-" "$WORK/http.log" || die "(iv) pip did not fetch jupyterlab from the wheel server"
  pass "(iv) pip install --user jupyterlab==$JUPYTERLAB from $FIND_LINKS as uid 185 ($((SECONDS - t0)) s)"
else
  show_out
  die "(iv) pip install --user jupyterlab==$JUPYTERLAB inside the Spark image"
fi
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

# --- (iii) the operator image ---------------------------------------------------------------------
python3 - "$OPERATOR/config.image.json" <<'EOF' || die "(iii) the operator image's config"
import json, sys
p = json.load(open(sys.argv[1]))["process"]
if (p["user"]["uid"], p["user"]["gid"]) != (185, 185) or p["args"] != ["/usr/bin/entrypoint.sh"]:
    sys.exit(f"user {p['user']}, args {p['args']}")
EOF
if run "$OPERATOR" image private -- /usr/bin/entrypoint.sh version &&
  grep -q "Git Version: v$OPERATOR_VERSION" "$WORK/out"; then
  pass "(iii) operator entrypoint.sh version: $(grep -m1 'Git Version' "$WORK/out"), $(grep -m1 'Git Commit' "$WORK/out")"
else
  show_out
  die "(iii) /usr/bin/entrypoint.sh version in the operator image"
fi
# shellcheck disable=SC2016 # runs inside the container
operator_check='
set -eu
[ "$(id -u):$(id -g)" = 185:185 ] || { echo "runs as $(id -u):$(id -g)"; exit 1; }
/usr/bin/spark-operator --help >/dev/null
[ "$(stat -c %U:%G /etc/k8s-webhook-server/serving-certs /home/spark | sort -u)" = spark:root ]
[ "$(stat -c %A /etc/k8s-webhook-server/serving-certs)" = drwxrwxr-x ]
touch /etc/k8s-webhook-server/serving-certs/.w /home/spark/.w
"$SPARK_HOME/bin/spark-submit" --version 2>&1 | grep -q "version @V@"
echo OPERATOR-OK'
if run "$OPERATOR" image private -- bash -c "${operator_check//@V@/$OPERATOR_SPARK_VERSION}" && grep -q OPERATOR-OK "$WORK/out"; then
  pass "(iii) operator image runs as 185:185; spark-operator --help; cert and home folders writable; spark-submit $OPERATOR_SPARK_VERSION"
else
  show_out
  die "(iii) the operator image's user, folders or spark-submit"
fi

# --- (vi) containerd 1.6 imports both tarballs under the names the cluster pulls -----------------
# A private containerd (own socket, root and state under the temp folder, CRI off) touches nothing
# of a cluster's containerd.
if command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1; then
  ctrd="$WORK/containerd"
  mkdir -p "$ctrd"
  printf 'version = 2\nroot = "%s/root"\nstate = "%s/state"\n[grpc]\n  address = "%s/sock"\n[plugins."io.containerd.grpc.v1.cri"]\n  disable = true\n' \
    "$ctrd" "$ctrd" "$ctrd" >"$ctrd/config.toml"
  containerd --config "$ctrd/config.toml" >"$ctrd/log" 2>&1 &
  containerd_pid=$!
  for _ in $(seq 50); do
    ctr --address "$ctrd/sock" version >/dev/null 2>&1 && break
    sleep 0.2
  done
  for tar in "${tars[@]}"; do
    ctr --address "$ctrd/sock" -n k8s.io images import "$tar" >"$WORK/out" 2>&1 || {
      show_out
      die "(vi) ctr images import $tar"
    }
  done
  refs="$(ctr --address "$ctrd/sock" -n k8s.io images ls -q | grep -v '^sha256:' | sort | tr '\n' ' ')"
  [[ "$refs" == "docker.io/$SPARK_IMAGE $OPERATOR_IMAGE " ]] || die "(vi) containerd holds '$refs'"
  pass "(vi) containerd $(containerd --version | awk '{print $3}') imports them as: $refs"
  kill "$containerd_pid"
  wait "$containerd_pid" 2>/dev/null || true
  containerd_pid=""
else
  log "skip (vi): containerd/ctr not installed"
fi

log "all image checks passed in $((SECONDS - started)) s"

#!/bin/bash
# /opt/entrypoint.sh of the locally built Spark image (tools/images/spark.sh). The project's own
# script with the contract of the official apache/spark image's entry point:
#
#   entrypoint.sh driver ARGS...    spark-submit --deploy-mode client ARGS..., binding the driver to
#                                   $SPARK_DRIVER_BIND_ADDRESS (the pod IP the Spark k8s backend sets)
#   entrypoint.sh executor          a KubernetesExecutorBackend JVM, configured from the SPARK_*
#                                   variables the Spark k8s backend puts on executor pods
#   entrypoint.sh CMD ARGS...       any other command runs as is (exec CMD ARGS...)
#
# Environment read: SPARK_HOME, JAVA_HOME (found from `java` when unset), SPARK_CLASSPATH,
# SPARK_EXTRA_CLASSPATH, SPARK_DIST_CLASSPATH (after Spark's jars: the platform's S3A jars),
# HADOOP_HOME, HADOOP_CONF_DIR, SPARK_CONF_DIR, PYSPARK_PYTHON, PYSPARK_DRIVER_PYTHON,
# SPARK_JAVA_OPT_<n>, SPARK_EXECUTOR_MEMORY/CORES/ID/POD_IP/POD_NAME, SPARK_DRIVER_URL,
# SPARK_APPLICATION_ID, SPARK_RESOURCE_PROFILE_ID, SPARK_DRIVER_BIND_ADDRESS, SPARK_USER_NAME.
# Driver and executor run under tini (reaping, signal forwarding) and, when started as root,
# are switched to the spark user with gosu.
set -euo pipefail

SPARK_HOME="${SPARK_HOME:-/opt/spark}"

# An arbitrary uid (OpenShift-style) has no passwd entry, and Hadoop's user lookup fails without
# one: give it an entry named spark through libnss_wrapper, for this process tree only.
fake_passwd_entry_if_needed() {
  local uid gid lib
  uid="$(id -u)"
  getent passwd "$uid" >/dev/null 2>&1 && return 0
  for lib in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so /lib/*/libnss_wrapper.so /lib/libnss_wrapper.so; do
    [[ -s "$lib" ]] || continue
    gid="$(id -g)"
    NSS_WRAPPER_PASSWD="$(mktemp)"
    NSS_WRAPPER_GROUP="$(mktemp)"
    printf 'spark:x:%s:%s:%s:%s:/bin/false\n' "$uid" "$gid" "${SPARK_USER_NAME:-anonymous uid}" "$SPARK_HOME" >"$NSS_WRAPPER_PASSWD"
    printf 'spark:x:%s:\n' "$gid" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$lib" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return 0
  done
}

if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' || true)"
fi

# Classpath of the executor JVM, in order: conf dirs, SPARK_CLASSPATH, Spark's jars,
# SPARK_EXTRA_CLASSPATH, the working directory; SPARK_DIST_CLASSPATH comes last (see below).
classpath=()
if [[ -n "${SPARK_CONF_DIR+set}" ]]; then
  classpath+=("$SPARK_CONF_DIR")
else
  classpath+=("$SPARK_HOME/conf")
fi
[[ -z "${HADOOP_CONF_DIR+set}" ]] || classpath+=("$HADOOP_CONF_DIR")
[[ -z "${SPARK_CLASSPATH:-}" ]] || classpath+=("$SPARK_CLASSPATH")
classpath+=("$SPARK_HOME/jars/*")
[[ -z "${SPARK_EXTRA_CLASSPATH:-}" ]] || classpath+=("$SPARK_EXTRA_CLASSPATH")
classpath+=("$PWD")

# A Hadoop installation, when the image has one, provides the Hadoop jars unless told otherwise.
if [[ -n "${HADOOP_HOME:-}" && -z "${SPARK_DIST_CLASSPATH:-}" ]]; then
  SPARK_DIST_CLASSPATH="$("$HADOOP_HOME/bin/hadoop" classpath)"
  export SPARK_DIST_CLASSPATH
fi

# spark-submit and the Python workers read these: pass them on when they are set at all.
[[ -z "${PYSPARK_PYTHON+set}" ]] || export PYSPARK_PYTHON
[[ -z "${PYSPARK_DRIVER_PYTHON+set}" ]] || export PYSPARK_DRIVER_PYTHON

# Executor JVM options arrive as SPARK_JAVA_OPT_0, SPARK_JAVA_OPT_1, ... one option each.
java_opts=()
while IFS= read -r name; do
  java_opts+=("${!name}")
done < <(compgen -v SPARK_JAVA_OPT_ | sort -t_ -k4,4n)

join_by_colon() {
  local IFS=:
  echo "$*"
}

# Runs the command under tini as the spark user (via gosu when started as root).
run_spark_process() {
  fake_passwd_entry_if_needed
  local switch=()
  if [[ "$(id -u)" == 0 ]]; then
    switch=(gosu spark)
  fi
  exec "${switch[@]}" /usr/bin/tini -s -- "$@"
}

mode="${1:-}"
case "$mode" in
  driver)
    shift
    run_spark_process "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS:-}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS:-}" \
      --deploy-mode client \
      "$@"
    ;;
  executor)
    shift
    # Spark's own jars first: SPARK_DIST_CLASSPATH (the S3A jars) must not shadow them.
    run_spark_process "$JAVA_HOME/bin/java" \
      "${java_opts[@]}" \
      "-Xms${SPARK_EXECUTOR_MEMORY:-}" \
      "-Xmx${SPARK_EXECUTOR_MEMORY:-}" \
      -cp "$(join_by_colon "${classpath[@]}" ${SPARK_DIST_CLASSPATH:+"$SPARK_DIST_CLASSPATH"})" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "${SPARK_DRIVER_URL:-}" \
      --executor-id "${SPARK_EXECUTOR_ID:-}" \
      --cores "${SPARK_EXECUTOR_CORES:-}" \
      --app-id "${SPARK_APPLICATION_ID:-}" \
      --hostname "${SPARK_EXECUTOR_POD_IP:-}" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:-}"
    ;;
  *)
    # Not a Spark role: run the given command as it is.
    exec "$@"
    ;;
esac

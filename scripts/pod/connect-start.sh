#!/usr/bin/env bash
# Entry point of the Spark Connect server container (the official Spark image, as the spark user).
# The server is a Spark driver in client mode whose settings are spark-defaults.conf in
# SPARK_CONF_DIR. Every step execs, so the JVM is the container's first process: SIGTERM (pod
# deleted, rollout, node drain) reaches it, and Spark's shutdown hook removes its executors and
# closes the event log, which only then is complete in the store.
set -euo pipefail

: "${POD_NAME:?POD_NAME is not set}"
: "${SPARK_CONF_DIR:?SPARK_CONF_DIR is not set}"
SPARK_HOME="${SPARK_HOME:-/opt/spark}"
[[ -f "$SPARK_CONF_DIR/spark-defaults.conf" ]] || { echo "connect-start.sh: no spark-defaults.conf in $SPARK_CONF_DIR" >&2; exit 1; }

# Executors are owned by this pod: deleting it removes them.
exec "$SPARK_HOME/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --conf "spark.kubernetes.driver.pod.name=$POD_NAME" \
    "$@"

"""Spark's own log lines must survive the S3A jars on the classpath. bundle-2.29.52.jar
(as 2.24.6 before it) carries unshaded slf4j-api classes: put first on the classpath (SPARK_DAEMON_CLASSPATH,
spark.driver.extraClassPath), they make SLF4J fall back to its no-operation logger and the
History Server and drivers log nothing at all (kubectl logs shows only stack traces). Appended
(SPARK_DIST_CLASSPATH), Spark's log4j2 stays in charge."""
import re

LOG_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) \w+: ", re.M)
HINT = ("no Spark log line: the S3A jars' unshaded slf4j-api 1.7 silenced SLF4J (look for "
        "'SLF4J: Defaulting to no-operation (NOP) logger'); put /opt/spark-s3a/jars/* on "
        "SPARK_DIST_CLASSPATH (appended) instead of a prepended classpath")


def test_history_server_logs(history_server):
    text = history_server.proc.text()
    assert re.search(r"INFO HistoryServer: ", text), HINT


def test_driver_logs(event_log_app):
    assert LOG_LINE.search(event_log_app["output"]), HINT

"""The files the tiers use agree with what the program deploys: the spark-defaults mounted at
SPARK_CONF_DIR by the History Server, Jupyter and Spark Connect Deployments are spark/*.conf of the render."""
import pytest

import harness


def mounted_spark_defaults(render, container: dict, deployment: dict) -> dict[str, str]:
    conf_dir = harness.container_env(container)["SPARK_CONF_DIR"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"].rstrip("/") == conf_dir.rstrip("/"))
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    cm = render.object("ConfigMap", volume["configMap"]["name"])
    text = cm["data"]["spark-defaults.conf"]
    return harness.parse_conf(text)


@pytest.mark.parametrize("kind", ["history-server", "jupyter", "connect"])
def test_mounted_conf_is_the_rendered_conf(kind, render):
    if kind == "connect":
        deployment = render.object("Deployment", "spark-connect")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
    elif kind == "history-server":
        container = render.history_server_container()
        deployment = render.find("Deployment", lambda o: o["spec"]["template"]["spec"]["containers"][0] == container,
                                 "History Server")
    else:
        deployment = render.jupyter_deployment()
        container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert mounted_spark_defaults(render, container, deployment) == render.conf(kind)


def test_event_log_uris_agree(render):
    jobs, jupyter, hs, connect = render.conf("jobs"), render.conf("jupyter"), render.conf("history-server"), render.conf("connect")
    assert jobs["spark.eventLog.dir"] == jupyter["spark.eventLog.dir"] == connect["spark.eventLog.dir"] == hs["spark.history.fs.logDirectory"]
    bucket, prefix = harness.event_log_prefix(jobs["spark.eventLog.dir"])
    assert bucket == "<event-log-bucket>" and prefix

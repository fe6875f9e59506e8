"""IPython startup file of the notebook kernels, installed by jupyter-start.sh.

Every kernel is a Spark driver of its own (client mode), so every kernel needs executor pod
names of its own: two kernels with one prefix collide (409 AlreadyExists). The prefix is the
pod's name and a random suffix, at most 47 characters (Spark's limit, so that `-exec-<n>`
still fits a pod name). The executors stay owned by the notebook pod through
spark.kubernetes.driver.pod.name, which jupyter-start.sh sets for the whole pod.
"""
import os
import re
import secrets

#: spark.kubernetes.executor.podNamePrefix may be at most this long.
PREFIX_MAX = 47


def executor_prefix(pod_name: str, suffix: str) -> str:
    head = re.sub(r"[^a-z0-9-]", "-", pod_name.lower())[: PREFIX_MAX - len(suffix) - 1].strip("-")
    return f"{head or 'jupyter'}-{suffix}"


def submit_args(pod_name: str, inherited: str) -> str:
    """The pod's PYSPARK_SUBMIT_ARGS (jupyter-start.sh) with this kernel's executor prefix first."""
    prefix = executor_prefix(pod_name, secrets.token_hex(5))
    return f"--conf spark.kubernetes.executor.podNamePrefix={prefix} {inherited or 'pyspark-shell'}"


if os.environ.get("POD_NAME"):
    os.environ["PYSPARK_SUBMIT_ARGS"] = submit_args(os.environ["POD_NAME"], os.environ.get("PYSPARK_SUBMIT_ARGS", ""))

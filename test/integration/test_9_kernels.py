"""Case 9: two notebook kernels of one JupyterLab pod are two Spark drivers, and their executors
get pod-name prefixes of their own (one shared prefix makes the second session's executor pods
collide with the first's: 409 AlreadyExists), each a valid prefix for Spark, owned by the pod.
Real IPython kernels run the rendered kernel startup file as the start script installs it."""
import re

import nbformat
from nbclient import NotebookClient


#: A Deployment's pod name: <deployment>-<replicaset hash>-<5 chars>, here a long deployment name.
POD_NAME = "jupyter-with-a-rather-long-deployment-name-7d9f8b6c4d-x2x7q"
CELL = """
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("kernel-prefix-check").getOrCreate()
print("PREFIX=" + spark.conf.get("spark.kubernetes.executor.podNamePrefix"))
print("DRIVER_POD=" + spark.conf.get("spark.kubernetes.driver.pod.name"))
spark.stop()
"""


def run_kernel(env: dict[str, str], cwd: str) -> dict[str, str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": cwd}}).execute(env=env)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    return dict(re.findall(r"^(PREFIX|DRIVER_POD)=(.*)$", text, re.M))


def test_each_kernel_gets_its_own_executor_prefix(render, jupyter_env, work):
    start = render.jupyter_files()["jupyter-start.sh"]
    m = re.search(r'cp "\$SEED_DIR/([^"]+)" "\$dir/([^"]+)"', start)
    assert m, "the start script no longer installs a kernel startup file"
    home = work / "kernels-home"
    startup = home / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / m.group(2)).write_text(render.jupyter_files()[m.group(1)])  # what install_kernel_startup does
    # The pod's PYSPARK_SUBMIT_ARGS, as the start script exports it before the server starts.
    exported = re.search(r'export PYSPARK_SUBMIT_ARGS="([^"]+)"', start)
    assert exported, "the start script no longer exports PYSPARK_SUBMIT_ARGS"
    env = {**jupyter_env, "HOME": str(home), "POD_NAME": POD_NAME,
           "PYSPARK_SUBMIT_ARGS": exported.group(1).replace("$POD_NAME", POD_NAME)}
    sessions = [run_kernel(env, str(home)) for _ in range(2)]
    prefixes = [s.get("PREFIX", "") for s in sessions]
    assert prefixes[0] != prefixes[1], f"two kernels share executor pod names: {prefixes}"
    for p in prefixes:
        # Spark's rule for spark.kubernetes.executor.podNamePrefix: a DNS label of at most 47 characters.
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", p) and len(p) <= 47, p
        assert p.startswith(POD_NAME[:30]), f"{p} does not say which notebook pod runs it"
    assert [s.get("DRIVER_POD") for s in sessions] == [POD_NAME, POD_NAME], sessions

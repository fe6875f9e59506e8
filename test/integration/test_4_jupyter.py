"""Case 4: the shipped notebook runs top to bottom with the rendered jupyter.conf (master
local), and the History Server lists its application; a real JupyterLab server started with
the rendered command line enforces token authentication."""
import json
import os
import secrets
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import harness
import local_overrides as overrides
from conftest import HISTORY_LIST_BOUND, spark_env

NOTEBOOK = "getting-started.ipynb"
NOTEBOOK_TIMEOUT = 600
JUPYTER_START_TIMEOUT = 120


def shipped_notebook(render) -> tuple[str, str]:
    """The notebook as deployed (the Jupyter ConfigMap); SPARKPLAT_IT_NOTEBOOK overrides it
    while developing the tier."""
    dev = os.environ.get("SPARKPLAT_IT_NOTEBOOK")
    if dev:
        return Path(dev).name, Path(dev).read_text()
    files = render.jupyter_files()
    assert NOTEBOOK in files, f"the Jupyter ConfigMaps carry no {NOTEBOOK}: {sorted(files)}"
    return NOTEBOOK, files[NOTEBOOK]


@pytest.fixture(scope="module")
def jupyter_env(procs, render, local_factory, main_bucket, work, history_server):
    container = render.jupyter_deployment()["spec"]["template"]["spec"]["containers"][0]
    port, bm_port = harness.free_port(), harness.free_port()
    local = local_factory(main_bucket[0], driver_port=port, block_manager_port=bm_port,
                          history_url=history_server.url)
    conf = harness.localize_conf("jupyter", render.conf("jupyter"), local)
    conf_dir = work / "conf-jupyter"
    harness.write_conf(conf, conf_dir / "spark-defaults.conf", "jupyter.conf + local_overrides.py")
    env = spark_env(procs, local, conf_dir, harness.container_env(container))
    env.update(overrides.jupyter_env(local))
    return env


def test_notebook_runs_and_history_server_lists_it(jupyter_env, render, moto, main_bucket, history_server, work):
    name, text = shipped_notebook(render)
    nb = nbformat.reads(text, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, f"{name} has no code cells"
    bucket, prefix = main_bucket
    before = {k for k, _ in moto.keys(bucket, prefix)}
    home = work / "notebook-home"  # the pod runs with HOME=$WORKSPACE, notebooks in $HOME/notebooks
    workspace = home / "notebooks"
    workspace.mkdir(parents=True)
    client = NotebookClient(nb, timeout=NOTEBOOK_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(workspace)}})
    client.execute(env={**jupyter_env, "HOME": str(home)})  # raises CellExecutionError with the cell's traceback
    after = {k for k, _ in moto.keys(bucket, prefix)}
    apps = sorted(harness.event_log_app_ids(after - before, prefix))
    assert len(apps) == 1, f"expected one new application's event log from {name}, got {apps}"
    history_server.wait_for_completed(apps[0], None, HISTORY_LIST_BOUND)


def test_jupyterlab_requires_token(procs, render, jupyter_env, work):
    files = render.jupyter_files()
    cmd = harness.jupyter_command(files["jupyter-start.sh"])
    assert not [a for a in cmd if "token" in a.lower()], f"a token on the command line is visible in ps: {cmd}"
    home = work / "jupyter-home"
    root = home / "notebooks"
    root.mkdir(parents=True)
    name, text = shipped_notebook(render)
    (root / name).write_text(text)  # what the start script's seed_notebooks does
    port = harness.free_port()
    cmd = harness.localize_jupyter_command(cmd, str(Path(harness.python_bin_dir()) / "python"), str(home),
                                           overrides.jupyter_args(port, str(root)))
    cmd += overrides.jupyter_extra_args(os.geteuid())
    token = secrets.token_hex(24)
    env = dict(jupyter_env)
    env.update({"JUPYTER_TOKEN": token, "HOME": str(home)})  # the script runs with HOME=$WORKSPACE
    proc = procs.start("jupyterlab", cmd, env)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"token {token}"}
    try:
        harness.wait_until("JupyterLab answers /api/status", lambda: harness.http_get(f"{base}/api/status", auth)[0] == 200,
                           JUPYTER_START_TIMEOUT, proc)
        assert harness.http_get(f"{base}/api/status")[0] == 403
        assert harness.http_get(f"{base}/api/status", {"Authorization": "token wrong"})[0] == 403
        assert harness.http_get(f"{base}/api/contents")[0] == 403
        code, body = harness.http_get(f"{base}/api/contents", auth)
        assert code == 200 and name in body, body[:500]
        code, body = harness.http_get(f"{base}/lab", auth)
        assert code == 200 and "JupyterLab" in body
    finally:
        procs.stop(proc)


def test_notebook_cells_have_ids(render):
    """nbformat 4.5+ notebooks need an id on every cell (nbformat warns now, errors later)."""
    name, text = shipped_notebook(render)
    nb = json.loads(text)  # raw: nbformat.reads adds missing ids itself
    if (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5):
        missing = [i for i, c in enumerate(nb["cells"]) if "id" not in c]
        assert not missing, f"{name}: cells {missing} have no id (nbformat {nb['nbformat']}.{nb['nbformat_minor']})"

"""Case 4: the shipped notebook runs top to bottom with the rendered jupyter.conf (master
local), and the History Server lists its application; a real JupyterLab server started with
the rendered command line enforces token authentication."""
import json

import nbformat
from nbclient import NotebookClient

import harness
from conftest import HISTORY_LIST_BOUND, shipped_notebook

NOTEBOOK_TIMEOUT = 600


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


def test_jupyterlab_requires_token(render, jupyterlab):
    cmd = harness.jupyter_command(render.jupyter_files()["jupyter-start.sh"])
    assert not [a for a in cmd if "token" in a.lower()], f"a token on the command line is visible in ps: {cmd}"
    base, auth = jupyterlab.url, jupyterlab.auth
    assert harness.http_get(f"{base}/api/status", auth)[0] == 200
    assert harness.http_get(f"{base}/api/status")[0] == 403
    assert harness.http_get(f"{base}/api/status", {"Authorization": "token wrong"})[0] == 403
    assert harness.http_get(f"{base}/api/contents")[0] == 403
    code, body = harness.http_get(f"{base}/api/contents", auth)
    assert code == 200 and jupyterlab.notebook in body, body[:500]
    code, body = harness.http_get(f"{base}/lab", auth)
    assert code == 200 and "JupyterLab" in body


def test_notebook_cells_have_ids(render):
    """nbformat 4.5+ notebooks need an id on every cell (nbformat warns now, errors later)."""
    name, text = shipped_notebook(render)
    nb = json.loads(text)  # raw: nbformat.reads adds missing ids itself
    if (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5):
        missing = [i for i, c in enumerate(nb["cells"]) if "id" not in c]
        assert not missing, f"{name}: cells {missing} have no id (nbformat {nb['nbformat']}.{nb['nbformat_minor']})"

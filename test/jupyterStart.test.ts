import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { shellcheckPath } from "./support/shellcheck";

const script = path.join(__dirname, "..", "scripts", "pod", "jupyter-start.sh");

/**
 * A python3 stand-in: `pip show` answers from a state file, `pip install` and `-m jupyterlab` are
 * logged; installed pins other than JupyterLab's go to a file, and the script's check of pins
 * (\`python3 - PIN...\`) prints those not in it.
 */
const python3Stub = `#!/usr/bin/env bash
state="$STUB_DIR/installed"
pins="$STUB_DIR/pins"
echo "python3 $*" >> "$STUB_DIR/log"
case "$1 $2 $3" in
  "- "*) cat >/dev/null; shift; for p in "$@"; do grep -qxF "$p" "$pins" 2>/dev/null || echo "$p"; done ;;
  "-m pip show") [ -f "$state" ] && echo "Version: $(cat "$state")"; [ -f "$state" ] ;;
  "-m pip install") for a in "$@"; do case "$a" in jupyterlab==*) echo "\${a#jupyterlab==}" > "$state";; *==*) echo "$a" >> "$pins";; esac; done ;;
  "-m jupyterlab "*|"-m jupyterlab") { echo "PYTHONPATH=$PYTHONPATH"; echo "PYSPARK_SUBMIT_ARGS=$PYSPARK_SUBMIT_ARGS"; echo "HOME=$HOME"; } > "$STUB_DIR/server-env" ;;
  "--version  ") echo "Python 3.10.12" ;;
esac
`;

describe("the JupyterLab container's start script", () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    const run = (extra: NodeJS.ProcessEnv = {}) => spawnSync("bash", [script], { env: { ...env, ...extra }, encoding: "utf8" });
    const log = () => fs.readFileSync(path.join(dir, "stub", "log"), "utf8");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "jupyter-start-"));
        for (const d of ["stub", "seed", "home", "spark/python/lib"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
        fs.writeFileSync(path.join(dir, "stub", "python3"), python3Stub, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "spark/python/lib/py4j-0.10.9.9-src.zip"), "");
        fs.writeFileSync(path.join(dir, "seed", "getting-started.ipynb"), "shipped");
        fs.writeFileSync(path.join(dir, "seed", "spark-session.py"), "kernel startup");
        env = {
            PATH: `${path.join(dir, "stub")}:/usr/bin:/bin`,
            STUB_DIR: path.join(dir, "stub"),
            JUPYTERLAB_VERSION: "4.4.10",
            JUPYTER_TOKEN: "s3cret-token",
            WORKSPACE: path.join(dir, "home"),
            SEED_DIR: path.join(dir, "seed"),
            POD_NAME: "jupyter-7d9f-abcde",
            SPARK_HOME: path.join(dir, "spark"),
        };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("passes shellcheck", function () {
        this.timeout(120_000);
        const r = spawnSync(shellcheckPath(), [script], { encoding: "utf8" });
        assert.equal(r.error, undefined, String(r.error));
        assert.equal(r.status, 0, r.stdout);
    });

    it("installs the pinned JupyterLab into the volume, seeds the notebook and starts the server", () => {
        const r = run();
        assert.equal(r.status, 0, r.stderr);
        assert.match(log(), /python3 -m pip install --user .* jupyterlab==4\.4\.10/);
        assert.match(log(), /python3 -m jupyterlab --no-browser --ip=0\.0\.0\.0 --port=8888 --ServerApp\.root_dir=\S+\/home\/notebooks/);
        assert.equal(fs.readFileSync(path.join(dir, "home", "notebooks", "getting-started.ipynb"), "utf8"), "shipped");
    });

    it("uses the image's Spark Python and names executors after the pod, which owns them", () => {
        run();
        const serverEnv = fs.readFileSync(path.join(dir, "stub", "server-env"), "utf8");
        assert.match(serverEnv, new RegExp(`^PYTHONPATH=${dir}/spark/python:${dir}/spark/python/lib/py4j-0\\.10\\.9\\.9-src\\.zip$`, "m"));
        assert.match(serverEnv, /^PYSPARK_SUBMIT_ARGS=--conf spark\.kubernetes\.driver\.pod\.name=jupyter-7d9f-abcde pyspark-shell$/m);
        // One executor prefix per kernel, set by the kernels' startup file (not one for the whole pod).
        assert.equal(fs.readFileSync(path.join(dir, "home", ".ipython", "profile_default", "startup", "00-spark-session.py"), "utf8"), "kernel startup");
    });

    it("keeps the token off the command line", () => {
        run();
        assert.doesNotMatch(log(), /s3cret-token/);
    });

    it("does not reinstall on restart, and never overwrites the user's notebook", () => {
        run();
        fs.writeFileSync(path.join(dir, "home", "notebooks", "getting-started.ipynb"), "my edits");
        fs.writeFileSync(path.join(dir, "stub", "log"), "");
        assert.equal(run().status, 0);
        assert.doesNotMatch(log(), /pip install/);
        assert.equal(fs.readFileSync(path.join(dir, "home", "notebooks", "getting-started.ipynb"), "utf8"), "my edits");
    });

    it("upgrades when the pinned version changes", () => {
        run();
        fs.writeFileSync(path.join(dir, "stub", "log"), "");
        run({ JUPYTERLAB_VERSION: "4.4.11" });
        assert.match(log(), /jupyterlab==4\.4\.11/);
    });

    it("installs the Spark Connect client's pins when the server is on, and only the first time", () => {
        const pins = "pandas==2.3.3 grpcio==1.76.0";
        assert.equal(run({ CONNECT_CLIENT_PACKAGES: pins }).status, 0);
        assert.match(log(), /python3 -m pip install --user .* pandas==2\.3\.3 grpcio==1\.76\.0$/m);
        fs.writeFileSync(path.join(dir, "stub", "log"), "");
        assert.equal(run({ CONNECT_CLIENT_PACKAGES: pins }).status, 0);
        assert.doesNotMatch(log(), /pip install/);
        // A changed pin installs again.
        run({ CONNECT_CLIENT_PACKAGES: "pandas==2.3.3 grpcio==1.77.0" });
        assert.match(log(), /pip install .*grpcio==1\.77\.0/);
    });

    it("installs no client package without a Spark Connect server", () => {
        run();
        assert.doesNotMatch(log(), /pandas|python3 - /);
    });

    it("refuses to start without a token", () => {
        const r = run({ JUPYTER_TOKEN: "" });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /JUPYTER_TOKEN is not set: the server must not start without a token/);
        assert.ok(!fs.existsSync(path.join(dir, "stub", "server-env")));
    });
});

"""ioredis (Node.js) transactions and pipelines: runs node/transactions.js against the server.

`npm install` fills compat-tests/node/node_modules once (only when ioredis is missing there);
the npm registry must be reachable for that first run.
"""

import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SCRIPT = os.path.join(NODE_DIR, "transactions.js")
NPM_TIMEOUT = 300
SCRIPT_TIMEOUT = 120  # the script gives up by itself after TX_DEADLINE_MS (60 s)


@pytest.fixture(scope="session")
def node_modules():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node/npm not on PATH (compat-tests/run installs nodejs and npm)")
    if not os.path.exists(os.path.join(NODE_DIR, "node_modules", "ioredis", "package.json")):
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
            cwd=NODE_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=NPM_TIMEOUT)
        assert proc.returncode == 0, f"npm install failed:\n{proc.stdout}\n{proc.stderr}"
    return node


def test_ioredis_transactions(node_modules, srv):
    env = dict(os.environ, REDIS_HOST=srv.host, REDIS_PORT=str(srv.port), TX_DEADLINE_MS="60000")
    proc = subprocess.run([node_modules, SCRIPT], cwd=NODE_DIR, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"transactions.js exited {proc.returncode}:\n{out}"
    assert "ioredis: " in out and " 0 failed" in out, out

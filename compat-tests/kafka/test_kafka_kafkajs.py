"""kafkajs (Node.js): runs node/roundtrip.js against the server (admin, an idempotent producer,
a consumer group of two).

`npm install` fills kafka/node/node_modules once (only when kafkajs is missing there); the npm
registry must be reachable for that first run.
"""

import os
import shutil
import subprocess

import pytest

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
SCRIPT = os.path.join(NODE_DIR, "roundtrip.js")
NPM_TIMEOUT = 300
SCRIPT_TIMEOUT = 120  # the script gives up by itself after KJS_DEADLINE_MS (90 s)


@pytest.fixture(scope="session")
def kafkajs_node():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node/npm not on PATH (compat-tests/run installs nodejs and npm)")
    if not os.path.exists(os.path.join(NODE_DIR, "node_modules", "kafkajs", "package.json")):
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
            cwd=NODE_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=NPM_TIMEOUT)
        assert proc.returncode == 0, f"npm install failed:\n{proc.stdout}\n{proc.stderr}"
    return node


def test_kafkajs_roundtrip(kafkajs_node, kafka):
    env = dict(os.environ, KAFKA_BOOTSTRAP=kafka, KJS_MESSAGES="3000", KJS_DEADLINE_MS="90000")
    proc = subprocess.run([kafkajs_node, SCRIPT], cwd=NODE_DIR, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=SCRIPT_TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"roundtrip.js exited {proc.returncode}:\n{out}"
    assert "kafkajs: 6 passed, 0 failed" in out, out

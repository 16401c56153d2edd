"""redis-benchmark in test mode: a smoke test (it must run to the end without an error reply);
no timings are asserted."""

import re
import shutil
import subprocess

import pytest

BENCH = shutil.which("redis-benchmark")
pytestmark = pytest.mark.skipif(BENCH is None, reason="redis-benchmark not installed (compat-tests/run installs it)")

TESTS = ["SET", "GET", "INCR", "LPUSH", "RPOP", "MSET (10 keys)"]


def run_bench(srv, *extra):
    argv = [BENCH, "-h", srv.host, "-p", str(srv.port), "-q",
            "-t", "set,get,incr,lpush,rpop,mset", "-n", "2000", "-c", "10", *extra]
    p = subprocess.run(argv, capture_output=True, timeout=240, stdin=subprocess.DEVNULL)
    text = (p.stdout + p.stderr).decode(errors="replace")
    # -q redraws progress with carriage returns; keep only the final per-test lines
    lines = [l.strip() for l in re.split(r"[\r\n]", text) if l.strip() and "rps=" not in l]
    return p.returncode, lines, text


def check(rc, lines, text):
    assert rc == 0, text[-3000:]
    assert not any("Error" in l or "error" in l for l in lines), lines
    assert not any("WARNING" in l for l in lines), lines  # e.g. could not fetch server CONFIG
    for name in TESTS:
        matching = [l for l in lines if l.startswith(name + ": ") and "requests per second" in l]
        assert len(matching) == 1, (name, lines)


@pytest.mark.parametrize("pipeline", [1, 16], ids=["no-pipeline", "P16"])
def test_redis_benchmark(srv, r, pipeline):
    extra = ("-P", str(pipeline)) if pipeline > 1 else ()
    rc, lines, text = run_bench(srv, *extra)
    check(rc, lines, text)
    # every one of the 2000 INCRs was applied exactly once
    assert r.get("counter:__rand_int__") == "2000"
    assert len(r.get("key:__rand_int__")) == 3  # -d default: 3-byte payload
    assert r.llen("mylist") == 0  # 2000 LPUSH then 2000 RPOP

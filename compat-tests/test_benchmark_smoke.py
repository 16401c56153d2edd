"""redis-benchmark in test mode: a smoke test (it must run to the end without an error reply);
no timings are asserted."""

import re
import shutil
import subprocess

import pytest

BENCH = shutil.which("redis-benchmark")
pytestmark = pytest.mark.skipif(BENCH is None, reason="redis-benchmark not installed (compat-tests/run installs it)")

TESTS = ["SET", "GET", "INCR", "LPUSH", "RPOP", "MSET (10 keys)"]


DEFAULT_LIST = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
                "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
                "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
                "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)",
                "MSET (10 keys)"]


def run_bench(srv, *extra, tests="set,get,incr,lpush,rpop,mset"):
    argv = [BENCH, "-h", srv.host, "-p", str(srv.port), "-q", "-n", "2000", "-c", "10", *extra]
    if tests:
        argv += ["-t", tests]
    p = subprocess.run(argv, capture_output=True, timeout=240, stdin=subprocess.DEVNULL)
    text = (p.stdout + p.stderr).decode(errors="replace")
    # -q redraws progress with carriage returns; keep only the final per-test lines
    lines = [l.strip() for l in re.split(r"[\r\n]", text) if l.strip() and "rps=" not in l]
    return p.returncode, lines, text


def check(rc, lines, text, names=TESTS):
    assert rc == 0, text[-3000:]
    assert not any("Error" in l or "error" in l for l in lines), lines
    assert not any("WARNING" in l for l in lines), lines  # e.g. could not fetch server CONFIG
    for name in names:
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


def test_redis_benchmark_whole_default_list(srv, r):
    """Plain redis-benchmark (no -t): its whole default list, hashes, sets and sorted sets
    included, runs to the end; and what it wrote is there."""
    rc, lines, text = run_bench(srv, "-r", "1000", tests=None)
    check(rc, lines, text, DEFAULT_LIST)
    assert r.type("myhash") == "hash" and r.hlen("myhash") > 0
    assert r.type("myzset") in ("zset", "none")  # ZPOPMIN runs after ZADD and may empty it
    assert r.llen("mylist") > 0

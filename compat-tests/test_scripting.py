"""Lua scripting: EVAL, EVALSHA, EVAL_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL, the Lua <-> RESP
conversions, errors, redis-py's Script and Lock (which run on Lua), atomicity under concurrent
clients, and BUSY while a script runs past busy-reply-threshold.

Reference behaviour is redis-server 7.0 (the suite runs against it with COMPAT_TARGET=redis).
"""

import hashlib
import socket
import threading
import time

import pytest
import redis

from conftest import Err, Simple, wait_until

SHA_HI = hashlib.sha1(b"return 'hi'").hexdigest()


def test_eval_returns_values_converted_as_redis_does(r):
    assert r.eval("return 1", 0) == 1
    assert r.eval("return 3.99", 0) == 3  # numbers truncate to integers
    assert r.eval("return 'x'", 0) == "x"
    assert r.eval("return true", 0) == 1
    assert r.eval("return false", 0) is None
    assert r.eval("return nil", 0) is None
    assert r.eval("return {1, 'a', false, 2}", 0) == [1, "a", None, 2]
    assert r.eval("return {1, 2, nil, 4}", 0) == [1, 2]  # an array ends at its first nil
    assert r.eval("return redis.status_reply('FINE')", 0) == "FINE"
    assert r.eval("return {KEYS[1], KEYS[2], ARGV[1]}", 2, "k1", "k2", "a1") == ["k1", "k2", "a1"]


def test_replies_seen_by_scripts_are_converted_as_redis_does(r):
    r.set("s", "v")
    r.rpush("l", "a", "b")
    script = """
    local t = {}
    t[1] = type(redis.call('get', 's'))
    t[2] = type(redis.call('get', 'missing'))
    t[3] = tostring(redis.call('get', 'missing'))
    t[4] = type(redis.call('incr', 'n'))
    t[5] = redis.call('set', 'x', 'y')['ok']
    t[6] = #redis.call('lrange', 'l', 0, -1)
    t[7] = redis.pcall('incr', 's')['err']
    return t
    """
    assert r.eval(script, 0) == [
        "string", "boolean", "false", "number", "OK", 2,
        "ERR value is not an integer or out of range"]


def test_writes_of_a_script_are_visible_to_it_and_after_it(r):
    script = """
    redis.call('set', KEYS[1], ARGV[1])
    redis.call('append', KEYS[1], '!')
    redis.call('hset', KEYS[2], 'f', redis.call('get', KEYS[1]))
    redis.call('sadd', KEYS[3], 'a', 'b')
    redis.call('zadd', KEYS[4], 1.5, 'm')
    return {redis.call('get', KEYS[1]), redis.call('hget', KEYS[2], 'f'),
            redis.call('scard', KEYS[3]), redis.call('zscore', KEYS[4], 'm')}
    """
    assert r.eval(script, 4, "s", "h", "set", "z", "v") == ["v!", "v!", 2, "1.5"]
    assert r.get("s") == "v!"
    assert r.hgetall("h") == {"f": "v!"}
    assert r.smembers("set") == {"a", "b"}
    assert r.zscore("z", "m") == 1.5


def test_errors_of_scripts(raw):
    reply = raw.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "str")
    assert reply is not None
    raw.call("SET", "str", "abc")
    reply = raw.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "str")
    assert isinstance(reply, Err) and reply.startswith(
        "ERR value is not an integer or out of range"), reply
    reply = raw.call("EVAL", "return redis.call('nosuchcommand')", "0")
    assert isinstance(reply, Err) and "Unknown Redis command called from script" in reply, reply
    reply = raw.call("EVAL", "x = 1", "0")
    assert isinstance(reply, Err) and "Attempt to modify a readonly table" in reply, reply
    reply = raw.call("EVAL", "return y", "0")
    assert isinstance(reply, Err) and "nonexistent global variable 'y'" in reply, reply
    reply = raw.call("EVAL", "retur 1", "0")
    assert isinstance(reply, Err) and reply.startswith("ERR Error compiling script"), reply
    assert raw.call("EVAL", "return redis.error_reply('My Error')", "0") == Err("My Error")
    assert raw.call("EVAL", "return 1", "-1") == Err("ERR Number of keys can't be negative")
    assert raw.call("EVAL", "return 1", "2", "a") == Err(
        "ERR Number of keys can't be greater than number of args")
    reply = raw.call("EVAL", "return redis.call('multi')", "0")
    assert isinstance(reply, Err) and "not allowed from script" in reply, reply
    reply = raw.call("EVAL", "return redis.call('get', {})", "0")
    assert isinstance(reply, Err) and "must be strings or integers" in reply, reply
    # The connection is fine afterwards.
    assert raw.call("PING") == Simple("PONG")


def test_a_reply_that_contains_itself_is_an_error_not_a_crash(srv):
    """Nested arrays down to an error at some depth (read as raw bytes: too deep for a
    recursive reader), and the server still up."""
    script = b"local a = {}; local b = {a}; a[1] = b; return a"
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(script), script))
        got = b""
        while b"reached lua stack limit" not in got:
            chunk = s.recv(65536)
            assert chunk, got[-200:]
            got += chunk
        assert got.startswith(b"*1\r\n*1\r\n")
    with srv.raw() as c:
        assert c.call("PING") == Simple("PONG")


def test_a_failing_script_keeps_the_writes_made_before_it_failed(r):
    with pytest.raises(redis.ResponseError):
        r.eval("redis.call('set', 'before', '1'); redis.call('incr', 'before2', 'x')", 0)
    assert r.get("before") == "1"


def test_evalsha_and_the_script_cache(r, raw):
    r.script_flush()
    assert raw.call("EVALSHA", SHA_HI, "0") == Err("NOSCRIPT No matching script. Please use EVAL.")
    assert r.script_load("return 'hi'") == SHA_HI
    assert r.evalsha(SHA_HI, 0) == "hi"
    assert r.evalsha(SHA_HI.upper(), 0) == "hi"
    assert r.script_exists(SHA_HI, "0" * 40) == [True, False]
    assert r.script_flush() is True
    assert r.script_exists(SHA_HI) == [False]
    # EVAL caches what it runs.
    assert r.eval("return 'hi'", 0) == "hi"
    assert r.script_exists(SHA_HI) == [True]
    reply = raw.call("SCRIPT", "LOAD", "retur 1")
    assert isinstance(reply, Err) and reply.startswith("ERR Error compiling script"), reply


def test_read_only_scripts_refuse_writes(r):
    r.set("k", "v")
    assert r.eval_ro("return redis.call('get', KEYS[1])", 1, "k") == "v"
    with pytest.raises(redis.ResponseError, match="Write commands are not allowed from read-only scripts"):
        r.eval_ro("return redis.call('set', KEYS[1], 'x')", 1, "k")
    assert r.get("k") == "v"


def test_select_inside_a_script_is_the_scripts_own(r, srv):
    r.eval("redis.call('select', 5); redis.call('set', 'in5', 'x')", 0)
    assert r.get("in5") is None
    other = srv.client(db=5)
    try:
        assert other.get("in5") == "x"
    finally:
        other.close()
    assert r.set("after", "1") and r.get("after") == "1"  # the connection stayed on db 0


def test_redis_py_script_objects_fall_back_to_eval(r):
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    r.script_flush()
    assert incr_by(keys=["counter"], args=[5]) == 5
    assert incr_by(keys=["counter"], args=[2]) == 7


def test_redis_py_lock_acquire_extend_release(r, srv):
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    other = srv.client()
    try:
        assert not other.lock("resource", timeout=10).acquire(blocking=False)
        assert lock.extend(5)
        assert r.pttl("resource") > 10_000
        token = lock.local.token
        lock.release()
        theirs = other.lock("resource", timeout=10)
        assert theirs.acquire(blocking=False)
        assert theirs.owned() and not lock.owned()
        # A release with the old token (the Lua compare-and-delete) leaves their lock alone.
        lock.local.token = token
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            lock.release()
        assert theirs.owned()
        theirs.release()
    finally:
        other.close()


def test_scripts_are_atomic_under_concurrent_clients(srv):
    """Read-modify-write in Lua (GET, then SET of the value plus one) from many clients, some
    of them racing with plain INCRs on the same key: no update is lost."""
    script = "local v = tonumber(redis.call('get', KEYS[1]) or '0'); " \
             "redis.call('set', KEYS[1], v + 1); return v + 1"
    threads, per = 8, 150
    errors = []

    def worker(i):
        c = srv.client()
        try:
            s = c.register_script(script)
            for _ in range(per):
                if i % 4 == 0:
                    c.incr("shared")
                else:
                    s(keys=["shared"])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            c.close()

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not errors, errors
    c = srv.client()
    try:
        assert int(c.get("shared")) == threads * per
    finally:
        c.close()


def test_script_kill_and_busy_while_a_script_runs_long(srv):
    admin = srv.client()
    runner = srv.raw(timeout=30)
    try:
        admin.config_set("busy-reply-threshold", "100")
        assert admin.config_get("lua-time-limit") == {"lua-time-limit": "100"}
        with pytest.raises(redis.ResponseError, match="NOTBUSY"):
            admin.script_kill()
        runner.send("EVAL", "while true do end", "0")
        other = srv.raw()
        try:
            wait_until(lambda: isinstance(other.call("PING"), Err), timeout=10,
                       msg="BUSY for other clients")
            assert other.call("GET", "x") == Err(
                "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                "SHUTDOWN NOSAVE.")
            assert other.call("SCRIPT", "KILL") == Simple("OK")
            reply = runner.read()
            assert isinstance(reply, Err) and "Script killed by user with SCRIPT KILL" in reply
            wait_until(lambda: other.call("PING") == Simple("PONG"), timeout=10,
                       msg="not busy after SCRIPT KILL")
        finally:
            other.close()
    finally:
        admin.config_set("busy-reply-threshold", "5000")
        admin.close()
        runner.close()

"""Blocking list commands across connections: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP."""

import select
import threading
import time

import pytest

from conftest import Err, Simple, nil, wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, n, timeout=5.0):
    wait_until(lambda: blocked_clients(r) == n, timeout=timeout, msg=f"blocked_clients == {n}")


def nothing_pending(conn, wait=0.2):
    """True if the server has sent nothing on this connection within `wait` seconds."""
    if conn.buf:
        return False
    ready, _, _ = select.select([conn.sock], [], [], wait)
    return not ready


@pytest.fixture
def conns(srv, proto):
    opened = []

    def make():
        c = srv.raw(timeout=15)
        if proto == 3:
            c.call("HELLO", "3")
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def test_blpop_woken_by_push(r, conns):
    waiter = conns()
    waiter.send("BLPOP", "q", "0")
    wait_blocked(r, 1)
    assert nothing_pending(waiter)
    assert r.rpush("q", "hello") == 1
    assert waiter.read() == [b"q", b"hello"]
    assert r.exists("q") == 0  # the element went to the waiter, not the list
    assert blocked_clients(r) == 0


def test_blpop_serves_immediately_when_data_exists(r, conns):
    c = conns()
    r.rpush("b", "b1", "b2")
    r.rpush("c", "c1")
    assert c.call("BLPOP", "a", "b", "c", "1") == [b"b", b"b1"]
    assert c.call("BRPOP", "a", "b", "c", "1") == [b"b", b"b2"]
    assert c.call("BRPOP", "a", "b", "c", "1") == [b"c", b"c1"]


def test_brpop_woken_by_lpush_of_many(r, conns):
    waiter = conns()
    waiter.send("BRPOP", "q", "0")
    wait_blocked(r, 1)
    r.lpush("q", "a", "b", "c")  # list is c b a; BRPOP takes the tail
    assert waiter.read() == [b"q", b"a"]
    assert r.lrange("q", 0, -1) == ["c", "b"]


def test_blpop_after_multi_element_push_gets_head(r, conns):
    waiter = conns()
    waiter.send("BLPOP", "q", "0")
    wait_blocked(r, 1)
    r.lpush("q", "a", "b", "c")  # the whole command runs before the waiter is served
    assert waiter.read() == [b"q", b"c"]
    assert r.lrange("q", 0, -1) == ["b", "a"]


def test_blpop_on_second_key(r, conns):
    waiter = conns()
    waiter.send("BLPOP", "k1", "k2", "k3", "0")
    wait_blocked(r, 1)
    r.rpush("k3", "x")
    assert waiter.read() == [b"k3", b"x"]


@pytest.mark.parametrize("cmd", [
    ("BLPOP", "nothing", "0.5"),
    ("BRPOP", "nothing", "0.5"),
    ("BLMOVE", "nothing", "dst", "LEFT", "RIGHT", "0.5"),
    ("BRPOPLPUSH", "nothing", "dst", "0.5"),
    ("BLMPOP", "0.5", "2", "nothing", "nothing2", "LEFT"),
])
def test_timeout_returns_nil(r, conns, proto, cmd):
    c = conns()
    t0 = time.monotonic()
    reply = c.call(*cmd)
    elapsed = time.monotonic() - t0
    assert reply == nil(proto)
    assert 0.4 <= elapsed <= 2.5, elapsed
    assert blocked_clients(r) == 0
    assert r.exists("dst") == 0


def test_integer_timeout(r, conns, proto):
    c = conns()
    t0 = time.monotonic()
    assert c.call("BLPOP", "nothing", "1") == nil(proto)
    assert 0.9 <= time.monotonic() - t0 <= 3.0


def test_timeout_zero_blocks_until_push(r, conns):
    waiter = conns()
    waiter.send("BLPOP", "q", "0")
    wait_blocked(r, 1)
    assert nothing_pending(waiter, wait=1.5)
    assert blocked_clients(r) == 1
    r.rpush("q", "late")
    assert waiter.read() == [b"q", b"late"]


def test_first_blocked_first_served(r, conns):
    waiters = []
    for i in range(3):
        c = conns()
        c.send("BLPOP", "q", "0")
        wait_blocked(r, i + 1)
        waiters.append(c)
    r.rpush("q", "a", "b", "c")
    assert [w.read() for w in waiters] == [[b"q", b"a"], [b"q", b"b"], [b"q", b"c"]]
    assert blocked_clients(r) == 0


def test_first_blocked_first_served_one_push_at_a_time(r, conns):
    waiters = []
    for i in range(3):
        c = conns()
        c.send("BRPOP", "q", "0")
        wait_blocked(r, i + 1)
        waiters.append(c)
    for i, w in enumerate(waiters):
        r.rpush("q", f"v{i}")
        assert w.read() == [b"q", f"v{i}".encode()]
        for other in waiters[i + 1:]:
            assert nothing_pending(other, wait=0.05)
    assert blocked_clients(r) == 0


def test_blocked_clients_in_info(r, conns):
    assert blocked_clients(r) == 0
    a, b = conns(), conns()
    a.send("BLPOP", "q1", "0")
    b.send("BLMOVE", "q2", "d", "LEFT", "LEFT", "0")
    wait_blocked(r, 2)
    r.rpush("q1", "x")
    assert a.read() == [b"q1", b"x"]
    wait_blocked(r, 1)
    r.rpush("q2", "y")
    assert b.read() == b"y"
    wait_blocked(r, 0)


def test_disconnected_waiter_does_not_eat_elements(r, conns):
    c = conns()
    c.send("BLPOP", "q", "0")
    wait_blocked(r, 1)
    c.close()
    wait_blocked(r, 0)
    r.rpush("q", "kept")
    assert r.lrange("q", 0, -1) == ["kept"]


def test_commands_pipelined_behind_a_blocked_one_wait(r, conns):
    c = conns()
    c.send_raw(c.encode("BLPOP", "q", "0") + c.encode("PING"))
    wait_blocked(r, 1)
    assert nothing_pending(c)
    r.rpush("q", "v")
    assert c.read() == [b"q", b"v"]
    assert c.read() == Simple("PONG")


def test_blmove_woken_and_chains_to_blpop(r, conns):
    a, b = conns(), conns()
    a.send("BLPOP", "dst", "0")
    wait_blocked(r, 1)
    b.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    wait_blocked(r, 2)
    r.rpush("src", "x")
    assert b.read() == b"x"
    assert a.read() == [b"dst", b"x"]
    assert r.exists("src", "dst") == 0
    wait_blocked(r, 0)


def test_blmove_immediate_and_directions(r, conns):
    c = conns()
    r.rpush("src", "a", "b", "c")
    assert c.call("BLMOVE", "src", "dst", "LEFT", "RIGHT", "1") == b"a"
    assert c.call("BLMOVE", "src", "dst", "RIGHT", "LEFT", "1") == b"c"
    assert r.lrange("dst", 0, -1) == ["c", "a"]
    assert c.call("BLMOVE", "src", "dst", "UP", "LEFT", "1") == Err("ERR syntax error")


def test_brpoplpush_woken(r, conns):
    waiter = conns()
    waiter.send("BRPOPLPUSH", "src", "dst", "0")
    wait_blocked(r, 1)
    r.rpush("src", "one")
    assert waiter.read() == b"one"
    assert r.lrange("dst", 0, -1) == ["one"]
    assert r.exists("src") == 0


def test_blmpop(r, conns, proto):
    c = conns()
    r.rpush("k2", "a", "b", "c")
    assert c.call("BLMPOP", "1", "2", "k1", "k2", "RIGHT", "COUNT", "2") == [b"k2", [b"c", b"b"]]
    waiter = conns()
    waiter.send("BLMPOP", "0", "2", "k1", "k3", "LEFT", "COUNT", "5")
    wait_blocked(r, 1)
    r.rpush("k3", "x", "y")
    assert waiter.read() == [b"k3", [b"x", b"y"]]
    assert c.call("BLMPOP", "0", "0", "k1", "LEFT") == Err("ERR numkeys should be greater than 0")
    assert c.call("BLMPOP", "0", "1", "k1", "LEFT", "COUNT", "0") == Err(
        "ERR count should be greater than 0")


def test_blocking_errors(r, conns):
    c = conns()
    r.set("s", "v")
    assert c.call("BLPOP", "s", "0") == Err(WRONGTYPE)
    assert c.call("BLPOP", "q", "-1") == Err("ERR timeout is negative")
    assert c.call("BLPOP", "q", "abc") == Err("ERR timeout is not a float or out of range")
    assert c.call("BRPOP", "q") == Err("ERR wrong number of arguments for 'brpop' command")
    assert blocked_clients(r) == 0


@pytest.mark.parametrize("timeout", ["1e19", "9223372036854776", "0x7FFFFFFFFFFFFF"])
def test_huge_timeouts_are_refused_and_the_connection_survives(r, conns, timeout):
    # Found with Valkey's unit/type/list: a deadline past the clock's range once killed the
    # connection.
    c = conns()
    for cmd in (["BLPOP", "q", timeout], ["BRPOPLPUSH", "a", "b", timeout],
                ["BLMOVE", "a", "b", "LEFT", "LEFT", timeout], ["BLMPOP", timeout, "1", "q", "LEFT"]):
        reply = c.call(*cmd)
        # Valkey (and trident) say "out of range"; Redis 7.0 overflows into "is negative".
        assert isinstance(reply, Err) and reply.startswith("ERR timeout is"), (cmd, reply)
    assert c.call("PING") in ("PONG", Simple("PONG"))
    assert blocked_clients(r) == 0


def test_hex_timeout_is_a_number_of_seconds(r, conns):
    c = conns()
    r.rpush("q", "x")
    assert c.call("BLPOP", "q", "0x10") == [b"q", b"x"]


def test_blpop_redis_py_threads(srv, r):
    results = []

    def worker():
        c = srv.client(socket_timeout=20)
        try:
            results.append(c.blpop(["job"], timeout=10))
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    wait_blocked(r, 4)
    r.rpush("job", "1", "2", "3", "4")
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive()
    assert sorted(results) == [("job", "1"), ("job", "2"), ("job", "3"), ("job", "4")]


def test_brpoplpush_served_with_wrong_destination_type_gets_wrongtype(r, conns):
    # Redis re-runs the served command: a destination of another type is the client's error,
    # and the element stays in the source list.
    c = conns()
    r.set("target", "nolist")
    c.send("BRPOPLPUSH", "src", "target", "0")
    wait_blocked(r, 1)
    r.rpush("src", "foo")
    assert c.read() == Err(WRONGTYPE)
    assert r.lrange("src", 0, -1) == ["foo"]
    assert blocked_clients(r) == 0


def test_waited_key_of_another_type_keeps_the_client_waiting(r, conns):
    c = conns()
    c.send("BLPOP", "k", "0")
    wait_blocked(r, 1)
    r.set("k", "string now")
    assert nothing_pending(c)
    r.delete("k")
    r.rpush("k", "x")
    assert c.read() == [b"k", b"x"]

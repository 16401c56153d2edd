"""Transactions: MULTI EXEC DISCARD WATCH UNWATCH, on the wire and as redis-py drives them.

Reference behaviour is redis-server 7.0:
- inside MULTI every command except EXEC DISCARD MULTI WATCH QUIT RESET is answered `+QUEUED`;
- an unknown command or a wrong argument count while queuing is answered with its error at once
  and marks the transaction, so that EXEC answers `-EXECABORT ...` and runs nothing; errors that
  only the command itself finds (WRONGTYPE, a syntax error in SET's options, ...) are queued and
  come back as one element of EXEC's array, the other commands still running;
- EXEC after a watched key was modified answers a null array (`*-1` in RESP2, `_` in RESP3);
- EXEC (whatever it answers) and DISCARD drop every WATCH of the connection; UNWATCH does too,
  but inside MULTI it is queued like any other command;
- blocking commands inside MULTI never block: they act like their non-blocking forms.
"""

import threading
import time

import pytest
import redis

from conftest import Double, Err, Map, Simple, nil

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
NOT_INT = "ERR value is not an integer or out of range"
QUEUED = Simple("QUEUED")
OK = Simple("OK")

JOIN_TIMEOUT = 60.0  # per thread; the whole concurrent test takes ~1 s against redis-server
MAX_ATTEMPTS = 10_000  # per increment: a retry loop that never succeeds fails instead of hanging


@pytest.fixture
def conns(srv, proto):
    """Factory for extra raw connections speaking the parametrized protocol."""
    opened = []

    def make():
        c = srv.raw(timeout=10)
        if proto == 3:
            assert isinstance(c.call("HELLO", "3"), Map)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def queue(conn, *cmds):
    """MULTI then each command, asserting +OK and +QUEUED (as simple strings)."""
    reply = conn.call("MULTI")
    assert isinstance(reply, Simple) and reply == "OK", reply
    for cmd in cmds:
        reply = conn.call(*cmd)
        assert isinstance(reply, Simple) and reply == "QUEUED", (cmd, reply)


def is_err(reply, text):
    return isinstance(reply, Err) and reply == text


# --------------------------------------------------------------------------------------------
# MULTI / EXEC basics on the wire
# --------------------------------------------------------------------------------------------


def test_multi_queued_exec_wire(raw, proto):
    assert raw.call("MULTI") == OK
    for cmd in (("SET", "k", "v"), ("INCR", "c"), ("INCRBY", "c", "10"), ("GET", "k"),
                ("GET", "missing"), ("PING",), ("ECHO", "hi")):
        reply = raw.call(*cmd)
        assert isinstance(reply, Simple), (cmd, reply)
        assert reply == "QUEUED", (cmd, reply)
    reply = raw.call("EXEC")
    assert reply == [OK, 1, 11, b"v", nil(proto), Simple("PONG"), b"hi"]
    assert isinstance(reply[0], Simple) and isinstance(reply[5], Simple)
    assert raw.call("GET", "c") == b"11"


def test_exec_of_empty_transaction(raw):
    assert raw.call("MULTI") == OK
    assert raw.call("EXEC") == []
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")


def test_multi_pipelined_in_one_write(raw, proto):
    """redis-py and ioredis send MULTI, the commands and EXEC in a single write."""
    raw.send_raw(b"".join(raw.encode(*c) for c in (
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",), ("GET", "a"))))
    assert raw.read() == OK
    assert [raw.read() for _ in range(3)] == [QUEUED] * 3
    assert raw.read() == [OK, 2, b"2"]
    assert raw.read() == b"2"


def test_queued_commands_run_only_at_exec(raw, r):
    queue(raw, ("SET", "k", "v"), ("RPUSH", "l", "a", "b"), ("HSET", "h", "f", "v"))
    assert r.exists("k", "l", "h") == 0  # nothing applied while queued
    assert raw.call("EXEC") == [OK, 2, 1]
    assert r.get("k") == "v"
    assert r.lrange("l", 0, -1) == ["a", "b"]
    assert r.hgetall("h") == {"f": "v"}


def test_other_clients_run_while_one_queues(raw, r):
    """Without WATCH another client's writes between MULTI and EXEC are simply seen by EXEC."""
    r.set("m", "1")
    queue(raw, ("INCR", "m"))
    r.set("m", "10")
    assert raw.call("EXEC") == [11]
    assert r.get("m") == "11"


def test_exec_reply_elements_keep_their_protocol_types(raw, proto):
    queue(raw, ("HSET", "h", "f", "v", "g", "w"), ("HGETALL", "h"), ("SADD", "s", "a"),
          ("SMEMBERS", "s"), ("ZADD", "z", "1.5", "m"), ("ZSCORE", "z", "m"),
          ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("INCRBYFLOAT", "f", "0.5"))
    reply = raw.call("EXEC")
    assert isinstance(reply, list) and len(reply) == 8
    assert reply[0] == 2 and reply[2] == 1 and reply[4] == 1
    assert reply[7] == b"0.5"  # INCRBYFLOAT is a bulk string in both protocols
    if proto == 2:
        assert reply[1] == [b"f", b"v", b"g", b"w"]
        assert reply[3] == [b"a"]
        assert reply[5] == b"1.5"
        assert reply[6] == [b"m", b"1.5"]
    else:
        assert isinstance(reply[1], Map) and reply[1] == {b"f": b"v", b"g": b"w"}
        assert list(reply[3]) == [b"a"]  # a RESP3 set
        assert isinstance(reply[5], Double) and reply[5] == 1.5
        assert reply[6] == [[b"m", 1.5]] and isinstance(reply[6][0][1], Double)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_runtime_errors_inside_exec_do_not_abort_the_rest(raw, r):
    r.set("s", "str")
    queue(raw, ("LPUSH", "s", "x"), ("INCR", "c"), ("INCR", "s"), ("SET", "k", "v", "BADOPT"),
          ("GET", "s"), ("SET", "after", "1"))
    reply = raw.call("EXEC")
    assert len(reply) == 6
    assert is_err(reply[0], WRONGTYPE), reply[0]
    assert reply[1] == 1
    assert is_err(reply[2], NOT_INT), reply[2]
    # SET's options are checked by SET itself, so this is queued and fails only inside EXEC
    assert is_err(reply[3], "ERR syntax error"), reply[3]
    assert reply[4] == b"str"
    assert reply[5] == OK
    assert r.get("c") == "1" and r.get("after") == "1" and r.exists("k") == 0
    assert r.get("s") == "str"


@pytest.mark.parametrize("bad, error", [
    (("SET", "k"), "ERR wrong number of arguments for 'set' command"),
    (("GET",), "ERR wrong number of arguments for 'get' command"),
    (("NOSUCHCMD", "x", "y"), "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' 'y' "),
    (("NOSUCHCMD",), "ERR unknown command 'NOSUCHCMD', with args beginning with: "),
    (("WATCH",), "ERR wrong number of arguments for 'watch' command"),
], ids=["arity-set", "arity-get", "unknown-with-args", "unknown", "arity-watch"])
def test_queueing_error_aborts_exec(raw, r, bad, error):
    assert raw.call("MULTI") == OK
    assert raw.call("SET", "before", "1") == QUEUED
    reply = raw.call(*bad)
    assert is_err(reply, error), reply
    assert raw.call("INCR", "after") == QUEUED  # still in MULTI: later commands are queued
    reply = raw.call("EXEC")
    assert is_err(reply, EXECABORT), reply
    assert r.exists("before", "after", "k") == 0  # nothing ran, not even the good commands
    # the transaction is over: the connection is back to normal
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")
    assert raw.call("INCR", "after") == 1


def test_discard_after_queueing_error(raw, r):
    assert raw.call("MULTI") == OK
    assert is_err(raw.call("SET", "k"), "ERR wrong number of arguments for 'set' command")
    assert raw.call("DISCARD") == OK
    assert raw.call("MULTI") == OK  # a new transaction starts clean
    assert raw.call("SET", "k", "v") == QUEUED
    assert raw.call("EXEC") == [OK]
    assert r.get("k") == "v"


def test_exec_with_arguments_aborts(raw, r):
    queue(raw, ("SET", "k", "v"))
    reply = raw.call("EXEC", "extra")
    assert is_err(reply, "EXECABORT Transaction discarded because of: "
                         "wrong number of arguments for 'exec' command"), reply
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")
    assert r.exists("k") == 0


def test_nested_multi_is_an_error_that_does_not_abort(raw, r):
    assert raw.call("MULTI") == OK
    assert raw.call("SET", "k", "v") == QUEUED
    assert is_err(raw.call("MULTI"), "ERR MULTI calls can not be nested")
    assert raw.call("INCR", "c") == QUEUED
    assert raw.call("EXEC") == [OK, 1]
    assert r.get("k") == "v"


def test_exec_without_multi(raw):
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")
    assert raw.call("PING") == Simple("PONG")


def test_discard_without_multi(raw):
    assert is_err(raw.call("DISCARD"), "ERR DISCARD without MULTI")
    assert raw.call("PING") == Simple("PONG")


def test_arity_of_multi_and_discard(raw):
    assert is_err(raw.call("MULTI", "x"), "ERR wrong number of arguments for 'multi' command")
    assert is_err(raw.call("DISCARD", "x"), "ERR wrong number of arguments for 'discard' command")
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")  # MULTI x did not start one


def test_watch_inside_multi_is_an_error_that_does_not_abort(raw, r):
    assert raw.call("MULTI") == OK
    assert is_err(raw.call("WATCH", "x"), "ERR WATCH inside MULTI is not allowed")
    assert raw.call("INCR", "c") == QUEUED
    assert raw.call("EXEC") == [1]
    # and that WATCH did not watch anything
    r.set("x", "changed")
    queue(raw, ("INCR", "c"))
    assert raw.call("EXEC") == [2]


def test_discard(raw, r):
    queue(raw, ("SET", "k", "v"), ("INCR", "c"))
    assert raw.call("DISCARD") == OK
    assert r.exists("k", "c") == 0
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")
    assert is_err(raw.call("DISCARD"), "ERR DISCARD without MULTI")
    assert raw.call("INCR", "c") == 1  # commands run normally again


def test_reset_leaves_multi(raw, r):
    queue(raw, ("SET", "k", "v"))
    assert raw.call("RESET") == Simple("RESET")
    assert is_err(raw.call("EXEC"), "ERR EXEC without MULTI")
    assert r.exists("k") == 0


# --------------------------------------------------------------------------------------------
# WATCH
# --------------------------------------------------------------------------------------------


def test_watch_write_by_other_client_fails_exec(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert r.set("k", "2")
    queue(raw, ("INCR", "k"), ("SET", "other", "x"))
    assert raw.call("EXEC") == nil(proto)  # *-1 in RESP2, _ in RESP3
    assert r.get("k") == "2"
    assert r.exists("other") == 0  # none of the queued commands ran


def read_exactly(conn, n):
    """The next n raw bytes from a RespConn (for checking exact wire encodings)."""
    while len(conn.buf) < n:
        conn._fill()
    data, conn.buf = conn.buf[:n], conn.buf[n:]
    return data


def test_watch_failure_wire_bytes(raw, r, proto):
    """A failed EXEC is a null *array* in RESP2 (`*-1`, not `$-1`) and `_` in RESP3."""
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "2")
    queue(raw, ("GET", "k"))
    raw.send("EXEC")
    expected = b"*-1\r\n" if proto == 2 else b"_\r\n"
    assert read_exactly(raw, len(expected)) == expected
    assert raw.call("PING") == Simple("PONG")  # nothing else was sent


def test_blocking_pop_in_multi_wire_bytes(raw, proto):
    """BLPOP's timeout reply inside EXEC is a null array too (`*-1` in RESP2)."""
    queue(raw, ("BLPOP", "nol", "0"), ("GET", "nol"))
    raw.send("EXEC")
    expected = b"*2\r\n*-1\r\n$-1\r\n" if proto == 2 else b"*2\r\n_\r\n_\r\n"
    assert read_exactly(raw, len(expected)) == expected
    assert raw.call("PING") == Simple("PONG")


def test_watch_unchanged_key_exec_succeeds(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert raw.call("GET", "k") == b"1"
    queue(raw, ("INCR", "k"))
    assert raw.call("EXEC") == [2]
    assert r.get("k") == "2"


def test_watch_own_write_fails_exec(raw, proto):
    assert raw.call("SET", "k", "1") == OK
    assert raw.call("WATCH", "k") == OK
    assert raw.call("SET", "k", "2") == OK  # the watching connection itself writes
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_write_while_queueing_fails_exec(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    queue(raw, ("INCR", "k"))
    r.set("k", "9")  # after MULTI, before EXEC
    assert raw.call("EXEC") == nil(proto)
    assert r.get("k") == "9"


def test_watch_same_value_write_still_fails_exec(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "1")
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_missing_key_created_by_other_client(raw, r, proto):
    assert raw.call("WATCH", "new") == OK
    r.set("new", "theirs")
    queue(raw, ("SET", "new", "mine"))
    assert raw.call("EXEC") == nil(proto)
    assert r.get("new") == "theirs"


def test_watch_missing_key_left_missing_succeeds(raw, r):
    assert raw.call("WATCH", "new") == OK
    assert r.delete("new") == 0  # deleting nothing is not a modification
    queue(raw, ("SET", "new", "mine"))
    assert raw.call("EXEC") == [OK]
    assert r.get("new") == "mine"


def test_watch_key_deleted_by_other_client(raw, r, proto):
    r.rpush("l", "a")
    assert raw.call("WATCH", "l") == OK
    assert r.delete("l") == 1
    queue(raw, ("RPUSH", "l", "b"))
    assert raw.call("EXEC") == nil(proto)
    assert r.exists("l") == 0


def test_watch_not_disturbed_by_reads_failed_writes_or_other_keys(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert r.get("k") == "1"
    assert r.exists("k") == 1
    assert r.ttl("k") == -1
    r.set("other", "x")
    r.incr("k2")
    with pytest.raises(redis.ResponseError):
        r.lpush("k", "x")  # WRONGTYPE: nothing was modified
    queue(raw, ("INCR", "k"))
    assert raw.call("EXEC") == [2]


def test_watch_not_disturbed_by_no_op_set_write(raw, r):
    r.sadd("s", "a")
    assert raw.call("WATCH", "s") == OK
    assert r.sadd("s", "a") == 0  # already a member: the set is unchanged
    assert r.srem("s", "zzz") == 0
    queue(raw, ("SCARD", "s"))
    assert raw.call("EXEC") == [1]


def test_watch_same_key_name_in_other_db(raw, srv):
    other = srv.client(db=1)
    try:
        assert raw.call("SET", "k", "1") == OK
        assert raw.call("WATCH", "k") == OK  # watches db 0's k
        other.set("k", "2")
        queue(raw, ("GET", "k"))
        assert raw.call("EXEC") == [b"1"]
    finally:
        other.close()


def test_watch_several_keys_any_change_fails(raw, r, proto):
    assert raw.call("WATCH", "a", "b") == OK
    assert raw.call("WATCH", "c") == OK  # WATCH calls add up
    r.set("c", "1")
    queue(raw, ("SET", "a", "x"))
    assert raw.call("EXEC") == nil(proto)
    assert r.exists("a") == 0

    assert raw.call("WATCH", "a", "b", "c") == OK
    r.hset("b", "f", "v")
    queue(raw, ("SET", "a", "x"))
    assert raw.call("EXEC") == nil(proto)


def test_rewatch_does_not_clear_a_dirty_watch(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "2")
    assert raw.call("WATCH", "k") == OK  # watching again does not forget the change
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_key_that_expires_fails_exec(raw, r, proto):
    assert raw.call("SET", "k", "v", "PX", "100") == OK
    assert raw.call("WATCH", "k") == OK
    time.sleep(0.3)  # the key expires; nobody touches it
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_key_that_expires_and_is_read_by_other_fails_exec(raw, r, proto):
    assert raw.call("SET", "k", "v", "PX", "100") == OK
    assert raw.call("WATCH", "k") == OK
    time.sleep(0.3)
    assert r.get("k") is None  # another client sees it gone
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_volatile_key_that_has_not_expired_yet(raw, proto):
    assert raw.call("SET", "k", "v", "EX", "100") == OK
    assert raw.call("WATCH", "k") == OK
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [b"v"]


def test_watch_already_expired_key_succeeds(raw, proto):
    assert raw.call("SET", "k", "v", "PX", "20") == OK
    time.sleep(0.2)  # expired before WATCH: watching it is watching a missing key
    assert raw.call("WATCH", "k") == OK
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [nil(proto)]


def test_watch_expire_set_by_other_client_fails_exec(raw, r, proto):
    r.set("k", "v")
    assert raw.call("WATCH", "k") == OK
    assert r.expire("k", 100)  # changing a TTL modifies the key
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)


def test_watch_flushall_fails_exec(raw, r, proto):
    r.set("k", "v")
    assert raw.call("WATCH", "k") == OK
    r.flushall()
    queue(raw, ("SET", "k", "mine"))
    assert raw.call("EXEC") == nil(proto)
    assert r.exists("k") == 0


def test_unwatch(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert raw.call("UNWATCH") == OK
    r.set("k", "2")
    queue(raw, ("INCR", "k"))
    assert raw.call("EXEC") == [3]
    assert raw.call("UNWATCH") == OK  # without any WATCH: still OK


def test_unwatch_inside_multi_is_queued_and_too_late(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "2")
    assert raw.call("MULTI") == OK
    assert raw.call("UNWATCH") == QUEUED
    assert raw.call("INCR", "k") == QUEUED
    assert raw.call("EXEC") == nil(proto)
    assert r.get("k") == "2"


def test_successful_exec_clears_watches(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [b"1"]
    r.set("k", "2")  # no longer watched
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [b"2"]


def test_failed_exec_clears_watches(raw, r, proto):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "2")
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == nil(proto)
    r.set("k", "3")
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [b"3"]  # the failed EXEC forgot the watch


def test_execabort_clears_watches(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert raw.call("MULTI") == OK
    assert is_err(raw.call("NOSUCHCMD"), "ERR unknown command 'NOSUCHCMD', with args beginning with: ")
    assert is_err(raw.call("EXEC"), EXECABORT)
    r.set("k", "2")
    queue(raw, ("GET", "k"))
    assert raw.call("EXEC") == [b"2"]


def test_discard_clears_watches(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    queue(raw, ("INCR", "k"))
    assert raw.call("DISCARD") == OK
    r.set("k", "5")
    queue(raw, ("INCR", "k"))
    assert raw.call("EXEC") == [6]


def test_execabort_takes_precedence_over_dirty_watch(raw, r):
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    r.set("k", "2")
    assert raw.call("MULTI") == OK
    assert is_err(raw.call("SET", "k"), "ERR wrong number of arguments for 'set' command")
    assert is_err(raw.call("EXEC"), EXECABORT)


def test_watch_is_per_connection(raw, conns, r, proto):
    """One connection's WATCH is not disturbed by another connection's WATCH/EXEC/UNWATCH."""
    other = conns()
    r.set("k", "1")
    assert raw.call("WATCH", "k") == OK
    assert other.call("WATCH", "k") == OK
    queue(other, ("INCR", "k"))
    assert other.call("EXEC") == [2]  # other's EXEC modifies k ...
    assert other.call("UNWATCH") == OK
    queue(raw, ("INCR", "k"))
    assert raw.call("EXEC") == nil(proto)  # ... which fails raw's transaction
    assert r.get("k") == "2"


def test_two_watchers_first_exec_wins(raw, conns, r, proto):
    b = conns()
    r.set("k", "0")
    for c in (raw, b):
        assert c.call("WATCH", "k") == OK
        assert c.call("GET", "k") == b"0"
    queue(raw, ("SET", "k", "from-a"))
    queue(b, ("SET", "k", "from-b"))
    assert raw.call("EXEC") == [OK]
    assert b.call("EXEC") == nil(proto)
    assert r.get("k") == "from-a"


# --------------------------------------------------------------------------------------------
# Blocking commands inside MULTI
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ("BLPOP", "nol", "0"),
    ("BRPOP", "nol", "nol2", "0"),
    ("BLMOVE", "nol", "dst", "LEFT", "RIGHT", "0"),
    ("BRPOPLPUSH", "nol", "dst", "0"),
    ("BLMPOP", "0", "1", "nol", "LEFT"),
    ("BZPOPMIN", "noz", "0"),
    ("BZPOPMAX", "noz", "noz2", "5"),
], ids=lambda c: c[0])
def test_blocking_command_in_multi_does_not_block(raw, r, proto, cmd):
    queue(raw, cmd, ("SET", "after", "1"))
    t0 = time.monotonic()
    reply = raw.call("EXEC")
    elapsed = time.monotonic() - t0
    assert reply == [nil(proto), OK]
    assert elapsed < 2.0, elapsed  # timeout 0 means "forever" outside MULTI
    assert r.info("clients")["blocked_clients"] == 0
    assert r.get("after") == "1"
    assert r.exists("dst") == 0


def test_blocking_commands_in_multi_serve_existing_data(raw, r, proto):
    r.rpush("l", "v1", "v2")
    r.zadd("z", {"m": 1, "n": 2})
    queue(raw, ("BLPOP", "nol", "l", "0"), ("BRPOP", "l", "0"), ("BLPOP", "l", "0"),
          ("BZPOPMIN", "z", "0"), ("BZPOPMAX", "z", "0"), ("BZPOPMIN", "z", "0"))
    reply = raw.call("EXEC")
    assert reply[:3] == [[b"l", b"v1"], [b"l", b"v2"], nil(proto)]
    if proto == 2:
        assert reply[3:5] == [[b"z", b"m", b"1"], [b"z", b"n", b"2"]]
    else:
        assert reply[3:5] == [[b"z", b"m", 1.0], [b"z", b"n", 2.0]]
        assert isinstance(reply[3][2], Double)
    assert reply[5] == nil(proto)
    assert r.exists("l", "z") == 0


def test_blpop_in_multi_leaves_later_push_alone(raw, r, proto):
    queue(raw, ("BLPOP", "q", "0"))
    assert raw.call("EXEC") == [nil(proto)]
    assert r.rpush("q", "kept") == 1  # nobody is waiting for it
    assert r.lrange("q", 0, -1) == ["kept"]


def test_push_then_blocking_pop_in_same_transaction(raw, r):
    queue(raw, ("RPUSH", "q", "job"), ("BLPOP", "q", "0"), ("RPUSH", "q2", "x"),
          ("BLMOVE", "q2", "q3", "LEFT", "LEFT", "0"))
    assert raw.call("EXEC") == [1, [b"q", b"job"], 1, b"x"]
    assert r.lrange("q3", 0, -1) == ["x"]


# --------------------------------------------------------------------------------------------
# Hashes, sets and sorted sets in MULTI (job queues such as RQ and Celery)
# --------------------------------------------------------------------------------------------


def test_job_queue_style_transaction_wire(raw, r, proto):
    queue(raw,
          ("HSET", "rq:job:1", "status", "queued", "origin", "default", "data", "payload"),
          ("EXPIRE", "rq:job:1", "500"),
          ("SADD", "rq:queues", "rq:queue:default"),
          ("RPUSH", "rq:queue:default", "1"),
          ("ZADD", "rq:scheduled", "1700000000", "2", "1700000100", "3"),
          ("ZADD", "rq:scheduled", "XX", "CH", "1700000050", "3"),
          ("HINCRBY", "rq:job:1", "attempts", "1"),
          ("SREM", "rq:queues", "nope"),
          ("ZREM", "rq:scheduled", "2"),
          ("HGET", "rq:job:1", "status"),
          ("ZCARD", "rq:scheduled"))
    assert raw.call("EXEC") == [3, 1, 1, 1, 2, 1, 1, 0, 1, b"queued", 1]
    assert r.hgetall("rq:job:1") == {"status": "queued", "origin": "default", "data": "payload",
                                     "attempts": "1"}
    assert 0 < r.ttl("rq:job:1") <= 500
    assert r.smembers("rq:queues") == {"rq:queue:default"}
    assert r.zrange("rq:scheduled", 0, -1, withscores=True) == [("3", 1700000050.0)]


def test_celery_style_pipeline(rp):
    """kombu's Redis transport: ZADD to the unacked index and HSET the message, atomically."""
    with rp.pipeline(transaction=True) as pipe:
        pipe.zadd("unacked_index", {"tag-1": 1700000000.5})
        pipe.hset("unacked", "tag-1", '{"body": "x"}')
        pipe.lpush("celery", '{"task": "add"}')
        pipe.sadd("_kombu.binding.celery", "celery\x06\x16\x06\x16celery")
        result = pipe.execute()
    assert result == [1, 1, 1, 1]
    with rp.pipeline(transaction=True) as pipe:
        pipe.zrem("unacked_index", "tag-1")
        pipe.hdel("unacked", "tag-1")
        pipe.zscore("unacked_index", "tag-1")
        pipe.hlen("unacked")
        assert pipe.execute() == [1, 1, None, 0]
    assert rp.exists("unacked_index", "unacked") == 0
    assert rp.lrange("celery", 0, -1) == ['{"task": "add"}']


# --------------------------------------------------------------------------------------------
# redis-py
# --------------------------------------------------------------------------------------------


def test_redis_py_pipeline_transaction_mixed(rp):
    rp.set("old", "x")
    with rp.pipeline(transaction=True) as pipe:
        (pipe.set("k", "v").incr("c").incrby("c", 5).lpush("l", "a", "b").lrange("l", 0, -1)
         .hset("h", mapping={"f": "v", "g": "w"}).hgetall("h").sadd("s", "a", "b")
         .smembers("s").zadd("z", {"m": 1.5, "n": 3}).zrange("z", 0, -1, withscores=True)
         .zscore("z", "m").get("missing").delete("old").exists("old").expire("k", 100)
         .ttl("k"))
        result = pipe.execute()
    assert result[:9] == [True, 1, 6, 2, ["b", "a"], 2, {"f": "v", "g": "w"}, 2, {"a", "b"}]
    assert result[9] == 2
    assert [list(p) for p in result[10]] == [["m", 1.5], ["n", 3.0]]
    assert result[11:16] == [1.5, None, 1, 0, True]
    assert 0 < result[16] <= 100
    assert rp.get("c") == "6"


def test_redis_py_transaction_runtime_error(rp):
    rp.set("s", "str")
    pipe = rp.pipeline(transaction=True)
    pipe.lpush("s", "x").incr("c").set("after", "1")
    with pytest.raises(redis.ResponseError) as e:
        pipe.execute()
    assert str(e.value) == f"Command # 1 (LPUSH s x) of pipeline caused error: {WRONGTYPE}"
    assert rp.get("c") == "1" and rp.get("after") == "1"  # the rest of EXEC ran

    pipe = rp.pipeline(transaction=True)
    pipe.lpush("s", "x").incr("c")
    result = pipe.execute(raise_on_error=False)
    assert isinstance(result[0], redis.ResponseError) and str(result[0]) == WRONGTYPE
    assert result[1] == 2


def test_redis_py_transaction_queueing_error(rp):
    pipe = rp.pipeline(transaction=True)
    pipe.incr("c").execute_command("SET", "k").incr("c")
    with pytest.raises(redis.ResponseError) as e:
        pipe.execute()
    # redis-py reads EXECABORT and raises the queuing error in its place
    assert str(e.value) == ("Command # 2 (SET k) of pipeline caused error: "
                            "wrong number of arguments for 'set' command")
    assert rp.exists("c", "k") == 0
    assert rp.ping() is True  # the pooled connection is still in sync

    pipe = rp.pipeline(transaction=True)
    pipe.execute_command("NOSUCHCMD", "a")
    with pytest.raises(redis.ResponseError) as e:
        pipe.execute()
    assert str(e.value) == ("Command # 1 (NOSUCHCMD a) of pipeline caused error: "
                            "unknown command 'NOSUCHCMD', with args beginning with: 'a' ")


def test_redis_py_raw_exec_errors(rp):
    with pytest.raises(redis.ResponseError, match="^EXEC without MULTI$"):
        rp.execute_command("EXEC")
    with pytest.raises(redis.ResponseError, match="^DISCARD without MULTI$"):
        rp.execute_command("DISCARD")


def test_redis_py_blocking_pops_in_transaction(rp):
    with rp.pipeline(transaction=True) as pipe:
        pipe.blpop("nol", 0).brpop("nol", 0).bzpopmin("noz", 0).set("after", "1")
        assert pipe.execute() == [None, None, None, True]
    rp.rpush("l", "x")
    rp.zadd("z", {"m": 2})
    with rp.pipeline(transaction=True) as pipe:
        pipe.blpop("l", 0).bzpopmin("z", 0)
        got = pipe.execute()
    assert [list(x) for x in got] == [["l", "x"], ["z", "m", 2.0]]


def test_redis_py_watch_error(rp, srv):
    other = srv.client()
    try:
        rp.set("k", "1")
        with rp.pipeline() as pipe:
            pipe.watch("k")
            assert pipe.get("k") == "1"  # after watch() commands run at once
            other.set("k", "2")
            pipe.multi()
            pipe.set("k", "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert rp.get("k") == "2"
        # the pooled connection went back with no watch left
        with rp.pipeline() as pipe:
            pipe.watch("k")
            pipe.multi()
            pipe.incr("k")
            assert pipe.execute() == [3]
    finally:
        other.close()


def test_redis_py_pipeline_reset_unwatches(rp, srv):
    """A pipeline that watched and is reset sends UNWATCH before its connection is reused."""
    other = srv.client()
    try:
        rp.set("k", "1")
        pipe = rp.pipeline()
        pipe.watch("k")
        pipe.reset()
        other.set("k", "2")
        with rp.pipeline() as pipe:
            pipe.multi()
            pipe.incr("k")
            assert pipe.execute() == [3]
    finally:
        other.close()


def test_redis_py_transaction_helper(rp, srv):
    other = srv.client()
    calls = []
    try:
        rp.set("k", "10")

        def func(pipe):
            calls.append(1)
            value = int(pipe.get("k"))
            if len(calls) == 1:
                other.incr("k")  # disturb the first attempt only
            pipe.multi()
            pipe.set("k", value * 2)
            return value

        assert rp.transaction(func, "k") == [True]
        assert len(calls) == 2  # one WatchError, one retry
        assert rp.get("k") == "22"
        assert rp.transaction(func, "k", value_from_callable=True) == 22
        assert rp.get("k") == "44"
    finally:
        other.close()


def _run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running after {JOIN_TIMEOUT}s: {stuck}"
    assert not errors, errors


THREADS = 4
INCREMENTS = 50


def test_concurrent_transaction_helper_counter(srv, proto):
    shared = srv.client(protocol=proto)  # redis-py clients are thread-safe through their pool
    retries = []
    try:
        shared.set("counter", 0)

        def worker(i):
            for _ in range(INCREMENTS):
                attempts = []

                def incr(pipe):
                    attempts.append(1)
                    if len(attempts) > MAX_ATTEMPTS:
                        raise AssertionError("WATCH never let this increment through")
                    value = int(pipe.get("counter"))
                    pipe.multi()
                    pipe.set("counter", value + 1)
                    pipe.rpush("log", f"{i}")

                shared.transaction(incr, "counter")
                retries.append(len(attempts) - 1)

        _run_threads(THREADS, worker)
        assert int(shared.get("counter")) == THREADS * INCREMENTS
        assert shared.llen("log") == THREADS * INCREMENTS
        assert len(retries) == THREADS * INCREMENTS
    finally:
        shared.close()


def test_concurrent_manual_watch_loop_counter(srv, proto):
    clients = [srv.client(protocol=proto) for _ in range(THREADS)]
    try:
        clients[0].set("counter", 0)

        def worker(i):
            c = clients[i]
            for n in range(INCREMENTS):
                with c.pipeline() as pipe:
                    for _attempt in range(MAX_ATTEMPTS):
                        try:
                            pipe.watch("counter")
                            value = int(pipe.get("counter"))
                            pipe.multi()
                            pipe.set("counter", value + 1)
                            pipe.hset(f"worker:{i}", "done", n + 1)
                            pipe.execute()
                            break
                        except redis.WatchError:
                            continue
                    else:
                        raise AssertionError("WATCH never let this increment through")

        _run_threads(THREADS, worker)
        assert int(clients[0].get("counter")) == THREADS * INCREMENTS
        for i in range(THREADS):
            assert clients[0].hget(f"worker:{i}", "done") == str(INCREMENTS)
    finally:
        for c in clients:
            c.close()


def _oom(r, on):
    r.config_set("maxmemory", "1" if on else "0")


def test_maxmemory_refuses_writes_that_may_grow_data(srv, r):
    admin = srv.client(protocol=2)
    r.set("x", "value")
    _oom(admin, True)
    try:
        with pytest.raises(redis.ResponseError, match="command not allowed when used memory"):
            r.set("y", "1")
        assert r.get("x") == "value"  # reads still work
        assert r.delete("x") == 1  # and so do deletions
    finally:
        _oom(admin, False)
    assert r.set("y", "1")
    admin.close()


def test_oom_while_queueing_aborts_exec(raw, srv, r):
    admin = srv.client(protocol=2)
    assert raw.call("MULTI") == Simple("OK")
    assert raw.call("SET", "a", "1") == Simple("QUEUED")
    _oom(admin, True)
    try:
        assert raw.call("LPUSH", "l", "v") == Err(
            "OOM command not allowed when used memory > 'maxmemory'.")
    finally:
        _oom(admin, False)
    assert raw.call("SET", "b", "2") == Simple("QUEUED")
    assert raw.call("EXEC") == Err(
        "EXECABORT Transaction discarded because of previous errors.")
    assert r.exists("a", "b") == 0
    admin.close()


def test_exec_refused_when_oom_only_if_it_queued_writes(raw, srv, r):
    admin = srv.client(protocol=2)
    r.set("x", "value")
    assert raw.call("MULTI") == Simple("OK")
    raw.call("GET", "x")
    raw.call("PING")
    _oom(admin, True)
    try:
        assert raw.call("EXEC") == [b"value", Simple("PONG")]
        _oom(admin, False)
        assert raw.call("MULTI") == Simple("OK")
        raw.call("SET", "x", "1")
        _oom(admin, True)
        assert raw.call("EXEC") == Err(
            "EXECABORT Transaction discarded because of: "
            "OOM command not allowed when used memory > 'maxmemory'.")
    finally:
        _oom(admin, False)
    assert raw.call("PING") == Simple("PONG")  # no longer in MULTI
    assert r.get("x") == "value"
    admin.close()


def test_save_and_shutdown_are_refused_inside_multi(srv):
    with srv.raw() as c:
        assert c.call("MULTI") == Simple("OK")
        assert c.call("SET", "tx:nomulti", "v") == Simple("QUEUED")
        for cmd in (["SHUTDOWN"], ["SAVE"]):
            reply = c.call(*cmd)
            assert isinstance(reply, Err) and "not allowed inside a transaction" in reply, reply
        reply = c.call("EXEC")
        assert isinstance(reply, Err) and reply.startswith("EXECABORT"), reply
        assert c.call("GET", "tx:nomulti") is None
        assert c.call("PING") == Simple("PONG")  # and the server is still up


def _min_replicas(r, n):
    r.config_set("min-replicas-to-write", str(n))


def test_min_replicas_to_write_refuses_writes_without_enough_replicas(raw, srv, r):
    """A lone node has no replicas: with min-replicas-to-write 1 writes get NOREPLICAS, reads
    and EXECs of reads still run; a write queued before the setting makes EXEC abort."""
    admin = srv.client(protocol=2)
    r.set("x", "1")
    assert raw.call("MULTI") == Simple("OK")
    assert raw.call("INCR", "x") == Simple("QUEUED")
    _min_replicas(admin, 1)
    try:
        assert admin.config_get("min-slaves-to-write") == {"min-slaves-to-write": "1"}
        with pytest.raises(redis.ResponseError, match="NOREPLICAS Not enough good replicas"):
            r.set("y", "1")
        assert raw.call("EXEC") == Err(
            "EXECABORT Transaction discarded because of: "
            "NOREPLICAS Not enough good replicas to write.")
        assert r.get("x") == "1"
        assert raw.call("MULTI") == Simple("OK")
        assert raw.call("GET", "x") == Simple("QUEUED")
        assert raw.call("EXEC") == [b"1"]
        assert raw.call("MULTI") == Simple("OK")
        assert raw.call("SET", "x", "2") == Err("NOREPLICAS Not enough good replicas to write.")
        assert raw.call("EXEC") == Err(EXECABORT)
    finally:
        _min_replicas(admin, 0)
    assert r.incr("x") == 2
    admin.close()

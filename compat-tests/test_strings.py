"""String commands."""

import time

import pytest
import redis

from conftest import Err, Simple, nil, wait_until

NOT_INT = "value is not an integer or out of range"
OVERFLOW = "increment or decrement would overflow"
NOT_FLOAT = "value is not a valid float"
SYNTAX = "syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def err(r, *args):
    """Run a command that must fail; return the error text as redis-py reports it."""
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def test_get_set_basic(rp):
    assert rp.get("k") is None
    assert rp.set("k", "v") is True
    assert rp.get("k") == "v"
    assert rp.set("k", "v2") is True
    assert rp.get("k") == "v2"
    assert rp.set("empty", "") is True
    assert rp.get("empty") == ""
    assert rp.exists("empty") == 1


def test_get_set_wire_shapes(raw, proto):
    assert raw.call("GET", "missing") == nil(proto)
    assert raw.call("SET", "k", "v") == Simple("OK")
    assert raw.call("SET", "k", "v", "NX") == nil(proto)
    assert raw.call("SET", "k", "v2", "GET") == b"v"
    assert raw.call("SET", "k2", "v", "GET") == nil(proto)
    assert raw.call("GETDEL", "missing") == nil(proto)
    assert raw.call("GETEX", "missing") == nil(proto)
    assert raw.call("MGET", "k", "missing") == [b"v2", nil(proto)]
    assert raw.call("INCRBYFLOAT", "f", "1.5") == b"1.5"  # a bulk string, not a double
    assert raw.call("STRLEN", "k") == 2


def test_binary_safe_values(srv):
    c = srv.client(decode=False)
    try:
        blob = bytes(range(256)) * 4 + b"\r\n\x00end"
        assert c.set(b"bin\x00key\r\n", blob)
        assert c.get(b"bin\x00key\r\n") == blob
        assert c.strlen(b"bin\x00key\r\n") == len(blob)
        big = b"x" * (1024 * 1024 + 7)
        c.set("big", big)
        assert c.get("big") == big
    finally:
        c.close()


def test_set_expire_options(r):
    assert r.set("k", "v", ex=100)
    assert 98 <= r.ttl("k") <= 100
    assert r.set("k", "v", px=50000)
    assert 49000 <= r.pttl("k") <= 50000
    at = int(time.time()) + 200
    assert r.set("k", "v", exat=at)
    assert 198 <= r.ttl("k") <= 200
    assert r.expiretime("k") == at
    atms = int(time.time() * 1000) + 300000
    assert r.set("k", "v", pxat=atms)
    assert r.pexpiretime("k") == atms
    # a plain SET clears the TTL, KEEPTTL keeps it
    assert r.set("k", "v")
    assert r.ttl("k") == -1
    r.set("k", "v", ex=100)
    assert r.set("k", "other", keepttl=True)
    assert 98 <= r.ttl("k") <= 100
    assert r.get("k") == "other"


def test_set_nx_xx_get(r):
    assert r.set("k", "1", xx=True) is None
    assert r.get("k") is None
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.get("k") == "1"
    assert r.set("k", "3", xx=True) is True
    assert r.get("k") == "3"
    assert r.set("k", "4", get=True) == "3"
    assert r.set("new", "x", get=True) is None
    assert r.get("new") == "x"
    assert r.set("k", "5", nx=True, get=True) == "4"
    assert r.get("k") == "4"
    assert r.set("k", "6", xx=True, get=True) == "4"
    assert r.get("k") == "6"


def test_set_errors(r):
    r.rpush("list", "a")
    assert err(r, "SET", "k", "v", "NX", "XX") == SYNTAX
    assert err(r, "SET", "k", "v", "EX", "10", "PX", "100") == SYNTAX
    assert err(r, "SET", "k", "v", "KEEPTTL", "EX", "10") == SYNTAX
    assert err(r, "SET", "k", "v", "EX") == SYNTAX
    assert err(r, "SET", "k", "v", "BOGUS") == SYNTAX
    assert err(r, "SET", "k", "v", "EX", "abc") == NOT_INT
    assert err(r, "SET", "k", "v", "EX", "0") == "invalid expire time in 'set' command"
    assert err(r, "SET", "k", "v", "PX", "-5") == "invalid expire time in 'set' command"
    assert err(r, "SET", "k") == "wrong number of arguments for 'set' command"
    assert err(r, "SET", "list", "v", "GET") == WRONGTYPE
    assert r.lrange("list", 0, -1) == ["a"]
    assert r.exists("k") == 0


def test_wrong_number_of_arguments_text(srv):
    with srv.raw() as c:
        assert c.call("GET") == Err("ERR wrong number of arguments for 'get' command")
        assert c.call("GET", "a", "b") == Err("ERR wrong number of arguments for 'get' command")
        assert c.call("MSET", "a") == Err("ERR wrong number of arguments for 'mset' command")
        assert c.call("MSET", "a", "1", "b") == Err("ERR wrong number of arguments for 'mset' command")
        assert c.call("INCR") == Err("ERR wrong number of arguments for 'incr' command")
        # the command name in the message is lower-case whatever the client sent
        assert c.call("gEt") == Err("ERR wrong number of arguments for 'get' command")


def test_wrongtype_errors_exact(srv):
    with srv.raw() as c:
        c.call("RPUSH", "l", "a")
        for cmd in (("GET", "l"), ("APPEND", "l", "x"), ("INCR", "l"), ("STRLEN", "l"),
                    ("GETRANGE", "l", "0", "1"), ("SETRANGE", "l", "0", "x"), ("GETDEL", "l"),
                    ("GETEX", "l"), ("GETSET", "l", "x"), ("INCRBYFLOAT", "l", "1"),
                    ("DECRBY", "l", "1")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("MGET", "l", "missing") == [None, None]  # MGET never fails on type
        assert c.call("LLEN", "l") == 1


def test_setnx_setex_psetex(r):
    assert r.setnx("k", "1") is True
    assert r.setnx("k", "2") is False
    assert r.get("k") == "1"
    assert r.execute_command("SETEX", "e", 100, "v") is True
    assert 98 <= r.ttl("e") <= 100
    assert r.execute_command("PSETEX", "p", 100000, "v") is True
    assert 98000 <= r.pttl("p") <= 100000
    assert err(r, "SETEX", "e", "0", "v") == "invalid expire time in 'setex' command"
    assert err(r, "SETEX", "e", "-10", "v") == "invalid expire time in 'setex' command"
    assert err(r, "PSETEX", "p", "-1", "v") == "invalid expire time in 'psetex' command"
    assert err(r, "SETEX", "e", "abc", "v") == NOT_INT


def test_getset_getdel(r):
    assert r.getset("k", "1") is None
    assert r.getset("k", "2") == "1"
    r.expire("k", 100)
    assert r.getset("k", "3") == "2"
    assert r.ttl("k") == -1  # GETSET clears the TTL
    assert r.getdel("k") == "3"
    assert r.exists("k") == 0
    assert r.getdel("k") is None


def test_getex(r):
    r.set("k", "v")
    assert r.getex("k") == "v"
    assert r.ttl("k") == -1
    assert r.getex("k", ex=100) == "v"
    assert 98 <= r.ttl("k") <= 100
    assert r.getex("k", px=200000) == "v"
    assert 198000 <= r.pttl("k") <= 200000
    at = int(time.time()) + 500
    assert r.getex("k", exat=at) == "v"
    assert r.expiretime("k") == at
    atms = int(time.time() * 1000) + 600000
    assert r.getex("k", pxat=atms) == "v"
    assert r.pexpiretime("k") == atms
    assert r.getex("k", persist=True) == "v"
    assert r.ttl("k") == -1
    assert err(r, "GETEX", "k", "PERSIST", "EX", "10") == SYNTAX
    assert err(r, "GETEX", "k", "EX", "0") == "invalid expire time in 'getex' command"
    assert err(r, "GETEX", "k", "EX", "x") == NOT_INT
    assert r.getex("missing", ex=10) is None


def test_mget_mset_msetnx(r):
    assert r.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert r.mget("a", "b", "missing", "c") == ["1", "2", None, "3"]
    assert r.msetnx({"c": "x", "d": "4"}) is False
    assert r.get("d") is None and r.get("c") == "3"
    assert r.msetnx({"d": "4", "e": "5"}) is True
    assert r.mget("d", "e") == ["4", "5"]
    # MSET with a repeated key: the last value wins
    r.execute_command("MSET", "dup", "1", "dup", "2")
    assert r.get("dup") == "2"
    r.expire("a", 100)
    r.mset({"a": "new"})
    assert r.ttl("a") == -1


def test_append_strlen(r):
    assert r.strlen("k") == 0
    assert r.append("k", "Hello") == 5
    assert r.append("k", " World") == 11
    assert r.get("k") == "Hello World"
    assert r.strlen("k") == 11
    r.set("n", 12)
    assert r.append("n", "3") == 3
    assert r.incr("n") == 124


def test_incr_decr(r):
    assert r.incr("n") == 1
    assert r.incrby("n", 10) == 11
    assert r.decr("n") == 10
    assert r.decrby("n", 15) == -5
    assert r.incrby("n", -5) == -10
    assert r.get("n") == "-10"
    r.set("n", "9223372036854775806")
    assert r.incr("n") == 9223372036854775807
    assert err(r, "INCR", "n") == OVERFLOW
    assert r.get("n") == "9223372036854775807"
    r.set("n", "-9223372036854775807")
    assert r.decr("n") == -9223372036854775808
    assert err(r, "DECR", "n") == OVERFLOW
    assert err(r, "INCRBY", "n", "-1") == OVERFLOW
    r.set("ttl", "5", ex=100)
    assert r.incr("ttl") == 6
    assert 98 <= r.ttl("ttl") <= 100  # INCR keeps the TTL


@pytest.mark.parametrize("value", ["abc", "1.5", " 1", "1 ", "", "99999999999999999999", "0x10", "+-1"])
def test_incr_on_non_integer(r, value):
    r.set("k", value)
    assert err(r, "INCR", "k") == NOT_INT
    assert err(r, "DECRBY", "k", "1") == NOT_INT
    assert r.get("k") == value


def test_incrby_bad_argument(r):
    assert err(r, "INCRBY", "k", "abc") == NOT_INT
    assert err(r, "INCRBY", "k", "1.5") == NOT_INT
    assert err(r, "DECRBY", "k", "99999999999999999999") == NOT_INT
    assert r.exists("k") == 0


def test_incrbyfloat(srv, r):
    with srv.raw() as c:
        c.call("SET", "f", "10.50")
        assert c.call("INCRBYFLOAT", "f", "0.1") == b"10.6"
        assert c.call("GET", "f") == b"10.6"
        assert c.call("INCRBYFLOAT", "f", "-5") == b"5.6"
        c.call("SET", "f", "5.0e3")
        assert c.call("INCRBYFLOAT", "f", "2.0e2") == b"5200"
        assert c.call("GET", "f") == b"5200"
        assert c.call("INCRBYFLOAT", "new", "3") == b"3"
        assert c.call("INCRBYFLOAT", "new", "-3") == b"0"
        assert c.call("INCRBYFLOAT", "other", "1.25") == b"1.25"
        c.call("SET", "i", "7")
        assert c.call("INCRBYFLOAT", "i", "0.5") == b"7.5"
        assert c.call("INCRBYFLOAT", "i", "-0.5") == b"7"
        assert c.call("INCR", "i") == 8  # integral result is a valid integer again
    assert r.incrbyfloat("f", 0.5) == pytest.approx(5200.5)
    r.set("ttl", "1", ex=100)
    r.incrbyfloat("ttl", 1)
    assert 98 <= r.ttl("ttl") <= 100


def test_incrbyfloat_errors(r):
    r.set("s", "abc")
    assert err(r, "INCRBYFLOAT", "s", "1") == NOT_FLOAT
    r.set("n", "1")
    assert err(r, "INCRBYFLOAT", "n", "abc") == NOT_FLOAT
    assert err(r, "INCRBYFLOAT", "n", "") == NOT_FLOAT
    assert err(r, "INCRBYFLOAT", "n", "nan") == NOT_FLOAT
    assert err(r, "INCRBYFLOAT", "n", "inf") == "increment would produce NaN or Infinity"
    assert r.get("n") == "1"


def test_getrange(r):
    r.set("k", "This is a string")
    assert r.getrange("k", 0, 3) == "This"
    assert r.getrange("k", -3, -1) == "ing"
    assert r.getrange("k", 0, -1) == "This is a string"
    assert r.getrange("k", 10, 100) == "string"
    assert r.getrange("k", 5, 2) == ""
    assert r.getrange("k", -100, 3) == "This"
    assert r.getrange("missing", 0, 10) == ""
    assert err(r, "GETRANGE", "k", "a", "1") == NOT_INT


def test_setrange(r):
    r.set("k", "Hello World")
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == "Hello Redis"
    assert r.setrange("pad", 5, "x") == 6
    assert r.get("pad") == "\x00\x00\x00\x00\x00x"
    assert r.setrange("k", 0, "") == 11
    assert r.setrange("missing", 3, "") == 0
    assert r.exists("missing") == 0
    assert err(r, "SETRANGE", "k", "-1", "x") == "offset is out of range"
    assert err(r, "SETRANGE", "k", "536870912", "x") == (
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    )
    assert r.get("k") == "Hello Redis"


def test_expired_string_reads_as_missing(r):
    r.set("k", "v", px=100)
    wait_until(lambda: r.get("k") is None, timeout=3, msg="key to expire")
    assert r.exists("k") == 0
    assert r.strlen("k") == 0
    assert r.incr("k") == 1  # an expired key is a fresh key
    assert r.ttl("k") == -1


def test_pipelined_sets_and_gets(r):
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.set(f"key:{i}", i)
        assert all(p.execute())
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.get(f"key:{i}")
        assert p.execute() == [str(i) for i in range(1000)]
    assert r.dbsize() == 1000


def test_differences_from_redis_found_by_the_seam_issue(srv, r):
    """Each of these once differed from redis-server 7.0."""
    r.set("k", "hello")
    # A negative end that is still negative after counting from the end reads as the first byte.
    assert r.getrange("k", 0, -6) == "h"
    assert r.getrange("k", 0, -100) == "h"
    assert r.getrange("k", -1, -5) == ""
    # INCRBYFLOAT computes in long double and prints as %.17Lf trimmed.
    r.set("f", "9223372036854775806")
    r.set("g", "0.1")
    with srv.raw() as c:
        assert c.call("INCRBYFLOAT", "f", "1.5") == b"9223372036854775807.5"
        assert c.call("INCRBYFLOAT", "g", "0.2") == b"0.3"
    # The key's type is checked before the increment.
    r.rpush("l", "x")
    assert err(r, "INCRBYFLOAT", "l", "abc").startswith("WRONGTYPE")
    # DECRBY past the range is an overflow, as Redis words it.
    r.set("n", "-9223372036854775808")
    assert err(r, "DECRBY", "n", "1") == OVERFLOW
    assert err(r, "DECRBY", "n", "-9223372036854775808") == "decrement would overflow"


BIT_OFFSET = "bit offset is not an integer or out of range"
BIT_VALUE = "bit is not an integer or out of range"


def test_setbit_getbit(r):
    assert r.setbit("b", 1, 1) == 0
    assert r.get("b") == "\x40"
    assert r.setbit("b", 1, 1) == 1
    assert r.setbit("b", 1, 0) == 1
    assert r.setbit("b", 23, 1) == 0
    assert r.strlen("b") == 3
    assert r.getbit("b", 23) == 1 and r.getbit("b", 22) == 0
    assert r.getbit("b", 1000) == 0 and r.getbit("missing", 0) == 0
    # Clearing a bit past the end grows the string too.
    assert r.setbit("c", 15, 0) == 0
    assert r.strlen("c") == 2
    r.set("s", "1")  # 0x31
    assert [r.getbit("s", i) for i in range(8)] == [0, 0, 1, 1, 0, 0, 0, 1]
    r.set("t", "v", ex=100)
    r.setbit("t", 0, 1)
    assert r.ttl("t") > 90
    assert err(r, "SETBIT", "b", 4294967296, 1) == BIT_OFFSET
    assert err(r, "SETBIT", "b", -1, 1) == BIT_OFFSET
    assert err(r, "SETBIT", "b", "x", 1) == BIT_OFFSET
    assert err(r, "GETBIT", "b", 4294967296) == BIT_OFFSET
    for bad in ("-1", "2", "10", "x"):
        assert err(r, "SETBIT", "b", 0, bad) == BIT_VALUE
    r.lpush("l", "a")
    assert err(r, "SETBIT", "l", 0, 1) == WRONGTYPE
    assert err(r, "GETBIT", "l", 0) == WRONGTYPE
    assert err(r, "SETBIT", "b", 0) == "wrong number of arguments for 'setbit' command"


def test_bitcount(r):
    r.set("s", "foobar")
    assert r.bitcount("s") == 26
    assert r.bitcount("s", 0, 0) == 4
    assert r.bitcount("s", 1, 1) == 6
    assert r.bitcount("s", -2, -1) == 7
    assert r.bitcount("s", -1, -2) == 0
    assert r.bitcount("s", 0, 1000) == 26
    assert r.execute_command("BITCOUNT", "s", 1, 1, "BIT") == 1
    assert r.execute_command("BITCOUNT", "s", 5, 30, "bit") == 17
    assert r.execute_command("BITCOUNT", "s", 0, 0, "BYTE") == 4
    assert r.bitcount("missing") == 0
    # A missing key counts 0 before its arguments are read, as in Redis 7.0.
    assert r.execute_command("BITCOUNT", "missing", 0) == 0
    assert err(r, "BITCOUNT", "s", 0) == SYNTAX
    assert err(r, "BITCOUNT", "s", 0, 1, "foo") == SYNTAX
    assert err(r, "BITCOUNT", "s", 0, 1, 2, 3) == SYNTAX
    assert err(r, "BITCOUNT", "s", "a", 1) == NOT_INT
    r.lpush("l", "a")
    assert err(r, "BITCOUNT", "l") == WRONGTYPE


def test_lcs(r, rp):
    r.mset({"a": "ohmytext", "b": "mynewtext"})
    assert rp.execute_command("LCS", "a", "b") == "mytext"
    assert rp.execute_command("LCS", "a", "b", "LEN") == 6
    assert rp.execute_command("LCS", "a", "missing") == ""
    flat = r.execute_command("LCS", "a", "b", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN")
    assert flat == ["matches", [[[4, 7], [5, 8], 4]], "len", 6]
    flat = r.execute_command("LCS", "a", "b", "IDX")
    assert flat == ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    reply = rp.execute_command("LCS", "a", "b", "IDX", "minmatchlen", -1)
    if isinstance(reply, dict):
        reply = ["matches", reply["matches"], "len", reply["len"]]
    assert reply == ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert err(r, "LCS", "a", "b", "LEN", "IDX") == (
        "If you want both the length and indexes, please just use IDX."
    )
    assert err(r, "LCS", "a", "b", "foo") == SYNTAX
    assert err(r, "LCS", "a", "b", "MINMATCHLEN") == SYNTAX
    assert err(r, "LCS", "a", "b", "MINMATCHLEN", "x") == NOT_INT
    r.lpush("l", "a")
    # The type is checked before the options.
    assert err(r, "LCS", "a", "l", "foo") == "The specified keys must contain string values"
    # The DP table is bounded (20000 x 20000 cells exceed 512 MiB).
    r.set("big", "a" * 20000)
    assert "exceeds proto-max-bulk-len" in err(r, "LCS", "big", "big")


def test_incrbyfloat_refuses_nul_bytes(r):
    r.set("foo", "1")
    r.setrange("foo", 2, "2")
    assert r.get("foo") == "1\x002"
    assert NOT_FLOAT in err(r, "INCRBYFLOAT", "foo", 1)
    r.set("n", "1")
    assert NOT_FLOAT in err(r, "INCRBYFLOAT", "n", "1\x002")
    assert r.get("n") == "1"
    r.hset("h", "f", "1")
    r.hset("h", "g", "1\x002")
    assert "hash value is not a float" in err(r, "HINCRBYFLOAT", "h", "g", 1)
    assert NOT_FLOAT in err(r, "HINCRBYFLOAT", "h", "f", "1\x002")
    assert r.incrbyfloat("n", "1.5") == 2.5

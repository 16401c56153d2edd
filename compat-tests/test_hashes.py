"""Hash commands, and generic key commands applied to hashes."""

import pytest
import redis

from conftest import Err, Map, Simple, nil, wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
HASH_NOT_INT = "hash value is not an integer"
HASH_NOT_FLOAT = "hash value is not a float"
NOT_FLOAT = "value is not a valid float"
OVERFLOW = "increment or decrement would overflow"


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def pairs(reply):
    """A HGETALL / HSCAN / flat WITHVALUES reply (RESP2 flat list or RESP3 map) as sorted pairs."""
    if isinstance(reply, dict):
        return sorted(reply.items())
    assert len(reply) % 2 == 0, reply
    return sorted(zip(reply[0::2], reply[1::2]))


def fill(r, key, n, prefix="f", value=lambda i: f"v{i}"):
    with r.pipeline(transaction=False) as p:
        for start in range(0, n, 500):
            p.hset(key, mapping={f"{prefix}{i}": value(i) for i in range(start, min(n, start + 500))})
        p.execute()


# ---------------------------------------------------------------------------------------------
# HSET / HGET / HMSET / HMGET / HDEL / HEXISTS / HLEN / HSTRLEN
# ---------------------------------------------------------------------------------------------


def test_hset_hget_hmset(raw, proto):
    assert raw.call("HSET", "h", "f", "1") == 1
    assert raw.call("HSET", "h", "f", "2") == 0  # update: no new field
    assert raw.call("HSET", "h", "g", "3", "f", "4", "k", "5") == 2
    assert raw.call("HSET", "h", "d", "x", "d", "y") == 1  # same field twice: the last wins
    assert raw.call("HGET", "h", "d") == b"y"
    assert raw.call("HGET", "h", "f") == b"4"
    assert raw.call("HGET", "h", "g") == b"3"
    assert raw.call("HGET", "h", "nope") == nil(proto)
    assert raw.call("HGET", "missing", "f") == nil(proto)
    reply = raw.call("HMSET", "h", "f", "5", "m", "6")
    assert reply == Simple("OK") and isinstance(reply, Simple)
    assert raw.call("HGET", "h", "f") == b"5"
    assert raw.call("HGET", "h", "m") == b"6"
    assert raw.call("HLEN", "h") == 5
    # empty field names and values are ordinary
    assert raw.call("HSET", "h", "", "empty-name", "ev", "") == 2
    assert raw.call("HGET", "h", "") == b"empty-name"
    assert raw.call("HGET", "h", "ev") == b""
    assert raw.call("HEXISTS", "h", "ev") == 1


def test_hset_binary_safe(srv):
    c = srv.client(decode=False)
    try:
        field, value = b"f\x00\r\n\xff", bytes(range(256)) * 3
        assert c.hset(b"bin\x00h", field, value) == 1
        assert c.hget(b"bin\x00h", field) == value
        assert c.hstrlen(b"bin\x00h", field) == len(value)
        assert c.hgetall(b"bin\x00h") == {field: value}
    finally:
        c.close()


def test_hmget(raw, proto):
    raw.call("HSET", "h", "a", "1", "b", "2")
    assert raw.call("HMGET", "h", "a", "nope", "b", "a") == [b"1", nil(proto), b"2", b"1"]
    assert raw.call("HMGET", "missing", "a", "b") == [nil(proto), nil(proto)]


def test_hdel_and_emptied_hash_disappears(r):
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert r.hdel("h", "nope") == 0
    assert r.hdel("h", "a", "a", "nope") == 1
    assert r.hlen("h") == 2
    assert r.hdel("h", "b", "c") == 2
    assert r.exists("h") == 0
    assert r.type("h") == "none"
    assert r.hlen("h") == 0
    assert r.hdel("h", "a") == 0
    assert r.hdel("missing", "a") == 0
    # recreated from scratch
    assert r.hset("h", "z", "1") == 1
    assert r.hgetall("h") == {"z": "1"}


def test_hexists_hlen_hstrlen(r):
    r.hset("h", mapping={"s": "hello", "n": "123", "big": "9223372036854775807", "e": ""})
    assert r.hexists("h", "s") is True
    assert r.hexists("h", "nope") is False
    assert r.hexists("missing", "s") is False
    assert r.hlen("h") == 4
    assert r.hlen("missing") == 0
    assert r.hstrlen("h", "s") == 5
    assert r.hstrlen("h", "n") == 3
    assert r.hstrlen("h", "big") == 19
    assert r.hstrlen("h", "e") == 0
    assert r.hstrlen("h", "nope") == 0
    assert r.hstrlen("missing", "s") == 0


def test_hsetnx(r):
    assert r.hsetnx("h", "f", "1") == 1  # creates the key
    assert r.type("h") == "hash"
    assert r.hsetnx("h", "f", "2") == 0
    assert r.hget("h", "f") == "1"
    assert r.hsetnx("h", "g", "3") == 1
    assert r.hgetall("h") == {"f": "1", "g": "3"}


# ---------------------------------------------------------------------------------------------
# HKEYS / HVALS / HGETALL
# ---------------------------------------------------------------------------------------------


def test_hkeys_hvals_hgetall(rp):
    rp.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert sorted(rp.hkeys("h")) == ["a", "b", "c"]
    assert sorted(rp.hvals("h")) == ["1", "2", "3"]
    assert rp.hgetall("h") == {"a": "1", "b": "2", "c": "3"}
    assert rp.hkeys("missing") == []
    assert rp.hvals("missing") == []
    assert rp.hgetall("missing") == {}
    # the orders of HKEYS, HVALS and HGETALL agree
    keys, vals = rp.hkeys("h"), rp.hvals("h")
    assert dict(zip(keys, vals)) == rp.hgetall("h")


def test_hgetall_wire_shape(raw, proto):
    raw.call("HSET", "h", "a", "1", "b", "2")
    reply = raw.call("HGETALL", "h")
    if proto == 3:
        assert isinstance(reply, Map)
        assert reply == {b"a": b"1", b"b": b"2"}
        empty = raw.call("HGETALL", "missing")
        assert isinstance(empty, Map) and empty == {}
    else:
        assert isinstance(reply, list) and len(reply) == 4
        assert pairs(reply) == [(b"a", b"1"), (b"b", b"2")]
        assert raw.call("HGETALL", "missing") == []
    # HKEYS and HVALS are plain arrays in both protocols
    for cmd in ("HKEYS", "HVALS"):
        reply = raw.call(cmd, "h")
        assert type(reply) is list, (cmd, reply)
        assert raw.call(cmd, "missing") == []


def test_large_hash(r):
    fill(r, "h", 1000, value=lambda i: f"value-{i}-" + "x" * (i % 100))
    assert r.hlen("h") == 1000
    assert r.hget("h", "f999") == "value-999-" + "x" * 99
    everything = r.hgetall("h")
    assert len(everything) == 1000
    assert everything["f0"] == "value-0-"
    assert sorted(r.hkeys("h")) == sorted(f"f{i}" for i in range(1000))
    assert r.hdel("h", *[f"f{i}" for i in range(999)]) == 999
    assert r.hgetall("h") == {"f999": "value-999-" + "x" * 99}


# ---------------------------------------------------------------------------------------------
# HINCRBY / HINCRBYFLOAT
# ---------------------------------------------------------------------------------------------


def test_hincrby(r):
    assert r.hincrby("h", "n", 5) == 5  # creates key and field
    assert r.hincrby("h", "n", -10) == -5
    assert r.hincrby("h", "n", 0) == -5
    assert r.hget("h", "n") == "-5"
    r.hset("h", "m", "100")
    assert r.hincrby("h", "m", 1) == 101
    r.hset("h", "max", "9223372036854775806")
    assert r.hincrby("h", "max", 1) == 9223372036854775807
    r.hset("h", "min", "-9223372036854775807")
    assert r.hincrby("h", "min", -1) == -9223372036854775808
    assert r.hincrby("h", "z", -9223372036854775808) == -9223372036854775808


def test_hincrby_errors(r):
    r.hset("h", mapping={"s": "abc", "f": "1.5", "sp": " 1", "max": "9223372036854775807",
                         "min": "-9223372036854775808", "n": "1"})
    assert err(r, "HINCRBY", "h", "s", "1") == HASH_NOT_INT
    assert err(r, "HINCRBY", "h", "f", "1") == HASH_NOT_INT
    assert err(r, "HINCRBY", "h", "sp", "1") == HASH_NOT_INT
    assert err(r, "HINCRBY", "h", "max", "1") == OVERFLOW
    assert err(r, "HINCRBY", "h", "min", "-1") == OVERFLOW
    assert err(r, "HINCRBY", "h", "n", "9223372036854775807") == OVERFLOW
    for bad in ("x", "1.5", "", " 5", "+5", "-0", "9223372036854775808", "0x10"):
        assert err(r, "HINCRBY", "h", "n", bad) == NOT_INT, bad
    assert r.hget("h", "n") == "1"
    assert r.hget("h", "max") == "9223372036854775807"
    # a bad increment is reported before the key is looked at
    assert err(r, "HINCRBY", "missing", "n", "x") == NOT_INT
    assert r.exists("missing") == 0


def test_hincrbyfloat(raw, proto):
    # the reply is a bulk string in both protocols, never a RESP3 double
    assert raw.call("HINCRBYFLOAT", "h", "f", "10.5") == b"10.5"
    assert raw.call("HINCRBYFLOAT", "h", "f", "0.1") == b"10.6"
    assert raw.call("HGET", "h", "f") == b"10.6"
    assert raw.call("HINCRBYFLOAT", "h", "f", "-5") == b"5.6"
    raw.call("HSET", "h", "e", "5.0e3")
    assert raw.call("HINCRBYFLOAT", "h", "e", "2.0e2") == b"5200"
    assert raw.call("HGET", "h", "e") == b"5200"
    assert raw.call("HINCRBYFLOAT", "h", "z", "1e2") == b"100"
    assert raw.call("HINCRBYFLOAT", "h", "z", "1.5e-3") == b"100.0015"
    assert raw.call("HINCRBYFLOAT", "h", "new", "3") == b"3"
    assert raw.call("HINCRBYFLOAT", "h", "new", "-3") == b"0"
    raw.call("HSET", "h", "i", "7")
    assert raw.call("HINCRBYFLOAT", "h", "i", "0.5") == b"7.5"
    assert raw.call("HINCRBY", "h", "i", "1") == Err("ERR " + HASH_NOT_INT)
    assert raw.call("HINCRBYFLOAT", "h", "i", "-0.5") == b"7"
    assert raw.call("HINCRBY", "h", "i", "1") == 8  # an integral result is an integer again
    assert raw.call("HINCRBYFLOAT", "h", "i", "1") == b"9"


def test_hincrbyfloat_long_double_precision(r):
    # Redis computes in long double and prints with %.17Lg: 0.1 + 0.2 reads back as 0.3, not
    # as the 0.30000000000000004 an f64 sum would print.
    r.hset("h", mapping={"a": "0.1", "b": "1.1"})
    r.hincrbyfloat("h", "a", "0.2")
    r.hincrbyfloat("h", "b", "2.2")
    assert r.hget("h", "a") == "0.3"
    assert r.hget("h", "b") == "3.3"


def test_hincrbyfloat_errors(r):
    r.hset("h", mapping={"s": "abc", "sp": " 1", "n": "1"})
    assert err(r, "HINCRBYFLOAT", "h", "s", "1") == HASH_NOT_FLOAT
    assert err(r, "HINCRBYFLOAT", "h", "sp", "1") == HASH_NOT_FLOAT
    for bad in ("abc", "", "nan", " 5", "5 ", "1e5000"):
        assert err(r, "HINCRBYFLOAT", "h", "n", bad) == NOT_FLOAT, bad
    # an infinite increment is refused with its own text (INCRBYFLOAT words it differently)
    assert err(r, "HINCRBYFLOAT", "h", "n", "inf") == "value is NaN or Infinity"
    assert err(r, "HINCRBYFLOAT", "h", "n", "-inf") == "value is NaN or Infinity"
    assert r.hget("h", "n") == "1"
    assert err(r, "HINCRBYFLOAT", "missing", "n", "abc") == NOT_FLOAT
    assert r.exists("missing") == 0


# ---------------------------------------------------------------------------------------------
# HRANDFIELD
# ---------------------------------------------------------------------------------------------


def test_hrandfield_without_count(raw, proto):
    assert raw.call("HRANDFIELD", "missing") == nil(proto)
    raw.call("HSET", "h", "a", "1", "b", "2", "c", "3")
    for _ in range(20):
        assert raw.call("HRANDFIELD", "h") in (b"a", b"b", b"c")
    assert raw.call("HLEN", "h") == 3  # nothing removed


def test_hrandfield_count(r):
    fields = {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"}
    r.hset("h", mapping=fields)
    assert r.hrandfield("h", 0) == []
    assert r.hrandfield("missing", 3) == []
    assert r.hrandfield("missing", -3) == []
    for n in (1, 3, 5):
        got = r.hrandfield("h", n)
        assert len(got) == n and len(set(got)) == n and set(got) <= set(fields)
    assert sorted(r.hrandfield("h", 100)) == sorted(fields)  # capped at the hash size
    got = r.hrandfield("h", -50)  # negative: exactly |count|, repeats allowed
    assert len(got) == 50 and set(got) <= set(fields)
    assert len(r.hrandfield("h", -1)) == 1
    assert r.hlen("h") == 5


def test_hrandfield_count_large_hash(r):
    fill(r, "h", 300)
    everything = {f"f{i}" for i in range(300)}
    for n in (10, 150, 299):  # small and large fractions take different paths in Redis
        got = r.hrandfield("h", n)
        assert len(got) == n and len(set(got)) == n and set(got) <= everything
    assert set(r.hrandfield("h", 1000)) == everything
    got = r.hrandfield("h", -700)
    assert len(got) == 700 and set(got) <= everything


def test_hrandfield_withvalues(rp, proto):
    fields = {"a": "1", "b": "2", "c": "3"}
    rp.hset("h", mapping=fields)
    got = rp.hrandfield("h", 2, withvalues=True)
    if proto == 3:
        assert len(got) == 2 and all(len(p) == 2 for p in got)
        flat = [x for p in got for x in p]
    else:
        assert len(got) == 4
        flat = got
    assert len(set(flat[0::2])) == 2
    for f, v in zip(flat[0::2], flat[1::2]):
        assert fields[f] == v
    got = rp.hrandfield("h", -9, withvalues=True)
    flat = [x for p in got for x in p] if proto == 3 else got
    assert len(flat) == 18
    for f, v in zip(flat[0::2], flat[1::2]):
        assert fields[f] == v


def test_hrandfield_withvalues_wire_shape(raw, proto):
    raw.call("HSET", "h", "a", "1", "b", "2", "c", "3")
    reply = raw.call("HRANDFIELD", "h", "5", "WITHVALUES")  # the whole hash
    if proto == 3:
        # RESP3: an array of [field, value] arrays (not a map: negative counts repeat fields)
        assert type(reply) is list and len(reply) == 3
        assert all(type(p) is list and len(p) == 2 for p in reply)
        assert sorted((p[0], p[1]) for p in reply) == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
        neg = raw.call("HRANDFIELD", "h", "-4", "withvalues")
        assert type(neg) is list and len(neg) == 4 and all(len(p) == 2 for p in neg)
    else:
        assert type(reply) is list and len(reply) == 6
        assert pairs(reply) == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
        neg = raw.call("HRANDFIELD", "h", "-4", "withvalues")
        assert type(neg) is list and len(neg) == 8
    # empty results are empty arrays in both protocols
    assert raw.call("HRANDFIELD", "h", "0", "WITHVALUES") == []
    assert raw.call("HRANDFIELD", "missing", "3", "WITHVALUES") == []
    assert raw.call("HRANDFIELD", "missing", "3") == []


def test_hrandfield_errors(r):
    r.hset("h", "a", "1")
    assert err(r, "HRANDFIELD", "h", "x") == NOT_INT
    assert err(r, "HRANDFIELD", "h", "WITHVALUES") == NOT_INT  # taken as the count
    assert err(r, "HRANDFIELD", "h", "1", "2") == "syntax error"
    assert err(r, "HRANDFIELD", "h", "1", "WITHVALUES", "x") == "syntax error"
    assert err(r, "HRANDFIELD", "h", "-9223372036854775808") == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert err(r, "HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES") == "value is out of range"


# ---------------------------------------------------------------------------------------------
# HSCAN
# ---------------------------------------------------------------------------------------------


def hscan_all(r, key, **kw):
    out = []
    cursor, rounds = 0, 0
    while True:
        cursor, data = r.hscan(key, cursor=cursor, **kw)
        out.extend(data.items())
        rounds += 1
        assert rounds < 100000, "HSCAN did not terminate"
        if cursor == 0:
            return out


def test_hscan_small_hash(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    # (SCAN may return an element twice: compare as sets)
    assert set(hscan_all(r, "h")) == {("a", "1"), ("b", "2"), ("c", "3")}
    assert set(hscan_all(r, "h", count=1)) == {("a", "1"), ("b", "2"), ("c", "3")}
    assert set(hscan_all(r, "h", match="b*")) == {("b", "2")}
    assert hscan_all(r, "h", match="zz*") == []
    assert r.hscan("missing") == (0, {})


def test_hscan_large_hash_to_completion(r):
    fill(r, "h", 500)
    expect = sorted((f"f{i}", f"v{i}") for i in range(500))
    for count in (None, 7, 100, 1000):
        kw = {} if count is None else {"count": count}
        got = hscan_all(r, "h", **kw)
        # a field may come back twice in theory; each one must come back at least once
        assert sorted(set(got)) == expect, count
    got = hscan_all(r, "h", match="f1?", count=20)
    assert sorted(set(got)) == sorted((f"f{i}", f"v{i}") for i in range(10, 20))
    got = hscan_all(r, "h", match="f4*", count=50)
    assert {f for f, _ in got} == {"f4"} | {f"f{i}" for i in range(40, 50)} | {
        f"f{i}" for i in range(400, 500)}


def test_hscan_reply_shape_and_errors(raw, proto):
    raw.call("HSET", "h", "a", "1")
    cursor, data = raw.call("HSCAN", "h", "0")
    assert cursor == b"0" and isinstance(cursor, bytes)  # the cursor is a bulk string
    assert type(data) is list and data == [b"a", b"1"]  # flat array even in RESP3
    assert raw.call("HSCAN", "missing", "0") == [b"0", []]
    assert raw.call("HSCAN", "h", "abc") == Err("ERR invalid cursor")
    assert raw.call("HSCAN", "h", "18446744073709551616") == Err("ERR invalid cursor")
    assert raw.call("HSCAN", "missing", "abc") == Err("ERR invalid cursor")
    assert raw.call("HSCAN", "h", "0", "COUNT", "0") == Err("ERR syntax error")
    assert raw.call("HSCAN", "h", "0", "COUNT", "-1") == Err("ERR syntax error")
    assert raw.call("HSCAN", "h", "0", "COUNT", "x") == Err("ERR " + NOT_INT)
    assert raw.call("HSCAN", "h", "0", "MATCH") == Err("ERR syntax error")
    assert raw.call("HSCAN", "h", "0", "BOGUS", "1") == Err("ERR syntax error")
    assert raw.call("HSCAN", "h", "0", "TYPE", "string") == Err("ERR syntax error")
    # options are parsed only once the key exists: a missing key answers an empty page
    assert raw.call("HSCAN", "missing", "0", "COUNT", "0") == [b"0", []]


# ---------------------------------------------------------------------------------------------
# Wrong type, arity
# ---------------------------------------------------------------------------------------------


def test_hash_commands_on_wrong_type(srv):
    with srv.raw() as c:
        c.call("SET", "s", "v")
        for cmd in (("HSET", "s", "a", "b"), ("HMSET", "s", "a", "b"), ("HSETNX", "s", "a", "b"),
                    ("HGET", "s", "a"), ("HMGET", "s", "a", "b"), ("HDEL", "s", "a"),
                    ("HEXISTS", "s", "a"), ("HLEN", "s"), ("HSTRLEN", "s", "a"),
                    ("HKEYS", "s"), ("HVALS", "s"), ("HGETALL", "s"),
                    ("HINCRBY", "s", "a", "1"), ("HINCRBYFLOAT", "s", "a", "1"),
                    ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "0"),
                    ("HRANDFIELD", "s", "2", "WITHVALUES"), ("HSCAN", "s", "0"),
                    ("HSCAN", "s", "0", "COUNT", "0")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("GET", "s") == b"v"
        # argument errors come before the type check
        assert c.call("HINCRBY", "s", "a", "x") == Err("ERR " + NOT_INT)
        assert c.call("HINCRBYFLOAT", "s", "a", "x") == Err("ERR " + NOT_FLOAT)
        assert c.call("HRANDFIELD", "s", "x") == Err("ERR " + NOT_INT)
        assert c.call("HSCAN", "s", "x") == Err("ERR invalid cursor")
        # and other types' commands refuse a hash
        c.call("HSET", "h", "a", "1")
        for cmd in (("GET", "h"), ("INCR", "h"), ("APPEND", "h", "x"), ("LPUSH", "h", "x"),
                    ("SADD", "h", "x"), ("LRANGE", "h", "0", "-1"), ("SMEMBERS", "h")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("HGETALL", "h") == [b"a", b"1"]


def test_hash_arity_errors(srv):
    with srv.raw() as c:
        for cmd in (("HSET", "h"), ("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"),
                    ("HMSET", "h", "f"), ("HMSET", "h", "f", "v", "g"), ("HSETNX", "h", "f"),
                    ("HGET", "h"), ("HGET", "h", "f", "g"), ("HMGET", "h"), ("HDEL", "h"),
                    ("HEXISTS", "h"), ("HLEN",), ("HLEN", "h", "x"), ("HSTRLEN", "h"),
                    ("HKEYS",), ("HVALS", "h", "x"), ("HGETALL",), ("HINCRBY", "h", "f"),
                    ("HINCRBYFLOAT", "h", "f"), ("HRANDFIELD",), ("HSCAN", "h")):
            name = cmd[0].lower()
            assert c.call(*cmd) == Err(f"ERR wrong number of arguments for '{name}' command"), cmd
        assert c.call("EXISTS", "h") == 0  # nothing was created by the failed HSETs


# ---------------------------------------------------------------------------------------------
# Generic key commands on hashes
# ---------------------------------------------------------------------------------------------


def test_hash_type_del_exists(raw, proto):
    raw.call("HSET", "h", "a", "1")
    assert raw.call("TYPE", "h") == Simple("hash")
    assert isinstance(raw.call("TYPE", "h"), Simple)
    assert raw.call("EXISTS", "h", "h", "missing") == 2
    assert raw.call("DEL", "h", "missing") == 1
    assert raw.call("EXISTS", "h") == 0
    assert raw.call("HGET", "h", "a") == nil(proto)
    assert raw.call("TYPE", "h") == Simple("none")


def test_hash_expire_and_ttl(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.ttl("h") == -1
    assert r.expire("h", 100) is True
    assert 98 <= r.ttl("h") <= 100
    # modifying the fields keeps the key's TTL
    r.hset("h", "c", "3")
    r.hdel("h", "a")
    r.hincrby("h", "n", 1)
    assert 98 <= r.ttl("h") <= 100
    assert r.persist("h") is True
    assert r.ttl("h") == -1
    # deleting the last field removes the key and its TTL with it
    r.expire("h", 100)
    r.hdel("h", "b", "c", "n")
    assert r.ttl("h") == -2
    # real expiry
    r.hset("v", "a", "1")
    assert r.pexpire("v", 100) is True
    wait_until(lambda: r.exists("v") == 0, timeout=5, msg="hash expiry")
    assert r.hgetall("v") == {}
    assert r.hget("v", "a") is None
    assert r.hlen("v") == 0
    assert r.hset("v", "new", "1") == 1
    assert r.ttl("v") == -1 and r.hgetall("v") == {"new": "1"}


def test_hash_rename(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.expire("h", 100)
    assert r.rename("h", "h2") is True
    assert r.exists("h") == 0
    assert r.hgetall("h2") == {"a": "1", "b": "2"}
    assert 98 <= r.ttl("h2") <= 100
    r.set("s", "x")
    assert r.rename("h2", "s") is True  # overwrites a string
    assert r.type("s") == "hash" and r.hget("s", "a") == "1"


def test_hash_copy(srv, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.expire("h", 100)
    assert r.copy("h", "c") is True
    assert r.hgetall("c") == {"a": "1", "b": "2"}
    assert 98 <= r.ttl("c") <= 100
    # a deep copy: changes to either side stay on that side
    r.hset("c", "a", "changed")
    r.hdel("h", "b")
    assert r.hgetall("h") == {"a": "1"}
    assert r.hgetall("c") == {"a": "changed", "b": "2"}
    assert r.copy("h", "c") is False
    assert r.copy("h", "c", replace=True) is True
    assert r.hgetall("c") == {"a": "1"}
    assert r.copy("h", "h", destination_db=3) is True
    other = srv.client(db=3)
    try:
        assert other.hgetall("h") == {"a": "1"}
        assert other.type("h") == "hash"
    finally:
        other.close()


def test_scan_type_hash(r):
    with r.pipeline(transaction=False) as p:
        for i in range(50):
            p.hset(f"h:{i}", "f", "v")
            p.set(f"s:{i}", "v")
            p.sadd(f"set:{i}", "m")
        p.execute()
    seen, cursor = set(), 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10, _type="hash")
        seen.update(keys)
        if cursor == 0:
            break
    assert seen == {f"h:{i}" for i in range(50)}
    seen, cursor = set(), 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10, match="h:1*", _type="HASH")
        seen.update(keys)
        if cursor == 0:
            break
    assert seen == {"h:1"} | {f"h:{i}" for i in range(10, 20)}

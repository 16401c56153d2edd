"""Set commands, and generic key commands applied to sets."""

import pytest
import redis

from conftest import Err, RSet, Simple, nil, wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"
MUST_BE_POSITIVE = "value is out of range, must be positive"


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def set_reply(reply, proto):
    """A multi-member reply that is a RESP3 set (`~`) and a RESP2 array, as a sorted list."""
    if proto == 3:
        assert isinstance(reply, RSet), reply
    else:
        assert type(reply) is list, reply
    return sorted(reply)


def array_reply(reply):
    """A reply that is a plain array in both protocols, as a sorted list."""
    assert type(reply) is list, reply
    return sorted(reply)


def fill(r, key, members):
    members = list(members)
    with r.pipeline(transaction=False) as p:
        for start in range(0, len(members), 500):
            p.sadd(key, *members[start:start + 500])
        p.execute()


# ---------------------------------------------------------------------------------------------
# SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS
# ---------------------------------------------------------------------------------------------


def test_sadd_srem_scard(r):
    assert r.sadd("s", "a") == 1
    assert r.sadd("s", "a", "b", "c", "b") == 2  # duplicates in one call count once
    assert r.scard("s") == 3
    assert r.scard("missing") == 0
    assert r.srem("s", "zz") == 0
    assert r.srem("s", "a", "a", "zz") == 1
    assert r.scard("s") == 2
    assert r.srem("missing", "a") == 0
    assert r.exists("missing") == 0
    # integers and strings mix (intset -> hashtable conversion in Redis)
    assert r.sadd("n", "1", "2", "3") == 3
    assert r.sadd("n", "x", "2") == 1
    assert sorted(r.smembers("n")) == ["1", "2", "3", "x"]
    assert r.sadd("e", "") == 1
    assert r.sismember("e", "") == 1


def test_sismember_smismember(raw, proto):
    raw.call("SADD", "s", "a", "b")
    assert raw.call("SISMEMBER", "s", "a") == 1
    assert raw.call("SISMEMBER", "s", "zz") == 0
    assert raw.call("SISMEMBER", "missing", "a") == 0
    # integers (not RESP3 booleans) in an array in both protocols
    reply = raw.call("SMISMEMBER", "s", "a", "zz", "b", "a")
    assert type(reply) is list and reply == [1, 0, 1, 1]
    assert all(type(x) is int for x in reply)
    assert raw.call("SMISMEMBER", "missing", "a", "b") == [0, 0]


def test_smembers(rp):
    rp.sadd("s", "a", "b", "c")
    assert rp.smembers("s") == {"a", "b", "c"}
    assert rp.smembers("missing") == set()
    fill(rp, "big", (f"m{i}" for i in range(1000)))
    assert rp.smembers("big") == {f"m{i}" for i in range(1000)}
    fill(rp, "ints", range(600))  # beyond the intset size limit
    assert rp.smembers("ints") == {str(i) for i in range(600)}


def test_smembers_wire_shape(raw, proto):
    raw.call("SADD", "s", "a", "b", "3")
    assert set_reply(raw.call("SMEMBERS", "s"), proto) == [b"3", b"a", b"b"]
    assert set_reply(raw.call("SMEMBERS", "missing"), proto) == []


def test_emptied_set_disappears(r):
    r.sadd("s", "a", "b")
    assert r.srem("s", "a", "b") == 2
    assert r.exists("s") == 0
    assert r.type("s") == "none"
    r.sadd("s", "a")
    assert r.spop("s") == "a"
    assert r.exists("s") == 0
    r.sadd("s", "a", "b")
    assert sorted(r.spop("s", 2)) == ["a", "b"]
    assert r.exists("s") == 0
    r.sadd("s", "a")
    assert r.smove("s", "t", "a") is True
    assert r.exists("s") == 0
    assert r.smembers("t") == {"a"}
    # recreated from scratch
    assert r.sadd("s", "new") == 1
    assert r.smembers("s") == {"new"}


# ---------------------------------------------------------------------------------------------
# SPOP / SRANDMEMBER
# ---------------------------------------------------------------------------------------------


def test_spop_single(raw, proto):
    assert raw.call("SPOP", "missing") == nil(proto)
    raw.call("SADD", "s", "a", "b", "c")
    popped = {raw.call("SPOP", "s") for _ in range(3)}
    assert popped == {b"a", b"b", b"c"}
    assert raw.call("EXISTS", "s") == 0
    assert raw.call("SPOP", "s") == nil(proto)


def test_spop_count(r):
    members = {f"m{i}" for i in range(20)}
    r.sadd("s", *members)
    assert r.spop("s", 0) == []
    assert r.scard("s") == 20
    first = r.spop("s", 5)
    assert len(first) == 5 and len(set(first)) == 5 and set(first) <= members
    assert r.scard("s") == 15
    assert not set(first) & r.smembers("s")
    second = r.spop("s", 14)
    assert len(set(second)) == 14
    rest = r.spop("s", 100)  # more than there is: everything left, and the key is gone
    assert len(rest) == 1
    assert set(first) | set(second) | set(rest) == members
    assert r.exists("s") == 0
    assert r.spop("missing", 3) == []
    assert r.spop("missing", 0) == []


def test_spop_count_large_set(r):
    members = {f"m{i}" for i in range(1000)}
    fill(r, "s", members)
    got = []
    for n in (10, 400, 500):  # small and large fractions take different paths in Redis
        batch = r.spop("s", n)
        assert len(batch) == n and len(set(batch)) == n
        got.extend(batch)
    assert r.scard("s") == 90
    assert set(got) | r.smembers("s") == members and len(set(got)) == 910


def test_spop_srandmember_count_wire_shapes(raw, proto):
    raw.call("SADD", "s", "a", "b", "c", "d")
    # SPOP with a count replies a set in RESP3 (also when empty) ...
    assert len(set_reply(raw.call("SPOP", "s", "2"), proto)) == 2
    assert set_reply(raw.call("SPOP", "s", "0"), proto) == []
    assert set_reply(raw.call("SPOP", "missing", "3"), proto) == []
    # ... SRANDMEMBER with a count an array in both (negative counts may repeat members)
    assert len(array_reply(raw.call("SRANDMEMBER", "s", "2"))) == 2
    assert len(array_reply(raw.call("SRANDMEMBER", "s", "-5"))) == 5
    assert array_reply(raw.call("SRANDMEMBER", "s", "0")) == []
    assert array_reply(raw.call("SRANDMEMBER", "missing", "3")) == []
    rest = sorted(raw.call("SMEMBERS", "s"))
    assert len(rest) == 2
    assert set_reply(raw.call("SPOP", "s", "10"), proto) == rest  # all of it, still a set
    assert raw.call("EXISTS", "s") == 0


def test_spop_errors(r):
    r.sadd("s", "a", "b")
    assert err(r, "SPOP", "s", "-1") == MUST_BE_POSITIVE
    assert err(r, "SPOP", "s", "x") == MUST_BE_POSITIVE  # also for a non-number
    assert err(r, "SPOP", "missing", "-1") == MUST_BE_POSITIVE
    assert err(r, "SPOP", "s", "1", "2") == "syntax error"
    assert r.scard("s") == 2
    r.set("str", "v")
    assert err(r, "SPOP", "str", "-1") == MUST_BE_POSITIVE  # the count is checked first
    assert err(r, "SPOP", "str", "0") == WRONGTYPE  # then the type, even for a count of 0


def test_srandmember(raw, proto):
    assert raw.call("SRANDMEMBER", "missing") == nil(proto)
    raw.call("SADD", "s", "a", "b", "c")
    for _ in range(20):
        assert raw.call("SRANDMEMBER", "s") in (b"a", b"b", b"c")
    assert raw.call("SCARD", "s") == 3  # nothing removed


def test_srandmember_count(r):
    members = {"a", "b", "c", "d", "e"}
    r.sadd("s", *members)
    assert r.srandmember("s", 0) == []
    assert r.srandmember("missing", 3) == []
    assert r.srandmember("missing", -3) == []
    for n in (1, 3, 5):
        got = r.srandmember("s", n)
        assert len(got) == n and len(set(got)) == n and set(got) <= members
    assert sorted(r.srandmember("s", 100)) == sorted(members)
    got = r.srandmember("s", -50)
    assert len(got) == 50 and set(got) <= members
    assert r.scard("s") == 5


def test_srandmember_count_large_sets(r):
    strings = {f"m{i}" for i in range(300)}
    fill(r, "s", strings)
    ints = {str(i) for i in range(200)}  # an intset in Redis
    fill(r, "i", ints)
    for key, members in (("s", strings), ("i", ints)):
        size = len(members)
        for n in (10, size // 2, size - 1):
            got = r.srandmember(key, n)
            assert len(got) == n and len(set(got)) == n and set(got) <= members, (key, n)
        assert set(r.srandmember(key, 10000)) == members
        got = r.srandmember(key, -1000)
        assert len(got) == 1000 and set(got) <= members
        assert r.scard(key) == size


def test_srandmember_errors(r):
    r.sadd("s", "a")
    assert err(r, "SRANDMEMBER", "s", "x") == NOT_INT
    assert err(r, "SRANDMEMBER", "s", "1.5") == NOT_INT
    assert err(r, "SRANDMEMBER", "s", "1", "2") == "syntax error"
    assert err(r, "SRANDMEMBER", "s", "-9223372036854775808") == (
        "value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    r.set("str", "v")
    assert err(r, "SRANDMEMBER", "str", "x") == NOT_INT
    assert err(r, "SRANDMEMBER", "str", "0") == WRONGTYPE
    assert err(r, "SRANDMEMBER", "str", "-1") == WRONGTYPE


# ---------------------------------------------------------------------------------------------
# SMOVE
# ---------------------------------------------------------------------------------------------


def test_smove(r):
    r.sadd("a", "1", "2", "3")
    r.sadd("b", "3", "4")
    assert r.smove("a", "b", "1") is True
    assert r.smove("a", "b", "1") is False
    assert r.smove("a", "b", "3") is True  # already in the destination: just leaves the source
    assert r.smembers("a") == {"2"}
    assert r.smembers("b") == {"1", "3", "4"}
    assert r.smove("missing", "b", "1") is False
    assert r.exists("missing") == 0
    assert r.smove("a", "new", "2") is True  # creates the destination, empties the source
    assert r.exists("a") == 0
    assert r.smembers("new") == {"2"}
    # source == destination: 1 if the member is there, and nothing changes
    assert r.smove("b", "b", "4") is True
    assert r.smove("b", "b", "zz") is False
    assert r.smembers("b") == {"1", "3", "4"}


def test_smove_wrong_type(r):
    r.sadd("a", "1")
    r.set("str", "v")
    assert err(r, "SMOVE", "a", "str", "1") == WRONGTYPE
    assert err(r, "SMOVE", "a", "str", "99") == WRONGTYPE  # even if the member is absent
    assert err(r, "SMOVE", "str", "a", "v") == WRONGTYPE
    assert r.smembers("a") == {"1"}
    assert r.get("str") == "v"
    # a missing source answers 0 before the destination's type is looked at
    assert r.smove("missing", "str", "1") is False


# ---------------------------------------------------------------------------------------------
# SINTER / SUNION / SDIFF (+ STORE) / SINTERCARD
# ---------------------------------------------------------------------------------------------


def test_sinter_sunion_sdiff(rp):
    rp.sadd("a", "1", "2", "3", "4")
    rp.sadd("b", "3", "4", "5")
    rp.sadd("c", "4", "5", "6", "x")
    assert rp.sinter("a") == {"1", "2", "3", "4"}
    assert rp.sinter("a", "b") == {"3", "4"}
    assert rp.sinter("a", "b", "c") == {"4"}
    assert rp.sinter("a", "missing") == set()
    assert rp.sinter("missing", "a") == set()
    assert rp.sunion("a", "b") == {"1", "2", "3", "4", "5"}
    assert rp.sunion("a", "b", "c", "missing") == {"1", "2", "3", "4", "5", "6", "x"}
    assert rp.sunion("missing") == set()
    assert rp.sdiff("a", "b") == {"1", "2"}
    assert rp.sdiff("a", "b", "c") == {"1", "2"}
    assert rp.sdiff("c", "a") == {"5", "6", "x"}
    assert rp.sdiff("a", "missing") == {"1", "2", "3", "4"}
    assert rp.sdiff("a", "a") == set()
    assert rp.sdiff("missing", "a") == set()


def test_set_algebra_wire_shape(raw, proto):
    raw.call("SADD", "a", "1", "2", "x")
    raw.call("SADD", "b", "2", "x", "y")
    assert set_reply(raw.call("SINTER", "a", "b"), proto) == [b"2", b"x"]
    assert set_reply(raw.call("SUNION", "a", "b"), proto) == [b"1", b"2", b"x", b"y"]
    assert set_reply(raw.call("SDIFF", "a", "b"), proto) == [b"1"]
    assert set_reply(raw.call("SINTER", "a", "missing"), proto) == []
    assert set_reply(raw.call("SUNION", "missing"), proto) == []
    assert set_reply(raw.call("SDIFF", "a", "a"), proto) == []
    # the STORE variants and SINTERCARD reply integers
    assert raw.call("SINTERSTORE", "d", "a", "b") == 2
    assert raw.call("SINTERCARD", "2", "a", "b") == 2


def test_set_algebra_wrong_type(r):
    r.sadd("a", "1")
    r.set("str", "v")
    # every key is type-checked, including ones after a missing key
    for cmd in (("SINTER", "a", "str"), ("SINTER", "str", "a"), ("SINTER", "missing", "str"),
                ("SINTER", "str", "missing"), ("SINTER", "missing", "a", "str"),
                ("SUNION", "a", "str"), ("SUNION", "missing", "str"),
                ("SDIFF", "a", "str"), ("SDIFF", "str", "a"), ("SDIFF", "missing", "str"),
                ("SDIFF", "a", "missing", "str"),
                ("SINTERCARD", "2", "a", "str"), ("SINTERCARD", "2", "missing", "str"),
                ("SINTERSTORE", "d", "a", "str"), ("SINTERSTORE", "d", "missing", "str"),
                ("SUNIONSTORE", "d", "str", "a"), ("SDIFFSTORE", "d", "a", "str"),
                ("SDIFFSTORE", "d", "missing", "str")):
        assert err(r, *cmd) == WRONGTYPE, cmd
    assert r.exists("d") == 0


def test_store_variants(r):
    r.sadd("a", "1", "2", "3", "4")
    r.sadd("b", "3", "4", "5")
    assert r.sinterstore("d", ["a", "b"]) == 2
    assert r.smembers("d") == {"3", "4"}
    assert r.sunionstore("d", ["a", "b"]) == 5
    assert r.smembers("d") == {"1", "2", "3", "4", "5"}
    assert r.sdiffstore("d", ["a", "b"]) == 2
    assert r.smembers("d") == {"1", "2"}
    assert r.sunionstore("d", ["missing", "a"]) == 4
    # the destination may be one of the sources
    assert r.sinterstore("a", ["a", "b"]) == 2
    assert r.smembers("a") == {"3", "4"}
    assert r.sunionstore("b", ["b", "d"]) == 5
    assert r.smembers("b") == {"1", "2", "3", "4", "5"}
    # the destination is overwritten whatever its type, and loses its TTL
    r.set("str", "v", ex=100)
    assert r.sunionstore("str", ["a"]) == 2
    assert r.type("str") == "set" and r.smembers("str") == {"3", "4"}
    assert r.ttl("str") == -1
    r.rpush("list", "x")
    assert r.sdiffstore("list", ["b", "a"]) == 3
    assert r.smembers("list") == {"1", "2", "5"}
    r.expire("d", 100)
    assert r.sinterstore("d", ["b", "d"]) == 4
    assert r.smembers("d") == {"1", "2", "3", "4"}
    assert r.ttl("d") == -1
    # the stored set is a copy
    r.sadd("a", "new")
    assert r.smembers("str") == {"3", "4"}


def test_store_empty_result_deletes_destination(r):
    r.sadd("a", "1", "2")
    r.sadd("b", "3")
    for cmd, keys in (("SINTERSTORE", ["a", "b"]), ("SINTERSTORE", ["a", "missing"]),
                      ("SDIFFSTORE", ["a", "a"]), ("SDIFFSTORE", ["missing", "a"]),
                      ("SUNIONSTORE", ["missing"]), ("SUNIONSTORE", ["missing", "missing2"])):
        r.sadd("d", "old")
        assert r.execute_command(cmd, "d", *keys) == 0, (cmd, keys)
        assert r.exists("d") == 0, (cmd, keys)
        r.set("d", "string", ex=100)  # any type goes
        assert r.execute_command(cmd, "d", *keys) == 0, (cmd, keys)
        assert r.exists("d") == 0 and r.ttl("d") == -2, (cmd, keys)
        assert r.execute_command(cmd, "never", *keys) == 0
        assert r.exists("never") == 0
    assert r.smembers("a") == {"1", "2"}


def test_sintercard(r):
    r.sadd("a", "1", "2", "3", "4")
    r.sadd("b", "2", "3", "4", "5")
    r.sadd("c", "3", "4", "x")
    assert r.sintercard(1, ["a"]) == 4
    assert r.sintercard(2, ["a", "b"]) == 3
    assert r.sintercard(3, ["a", "b", "c"]) == 2
    assert r.sintercard(2, ["a", "missing"]) == 0
    assert r.sintercard(1, ["missing"]) == 0
    assert r.sintercard(2, ["a", "b"], limit=1) == 1
    assert r.sintercard(2, ["a", "b"], limit=2) == 2
    assert r.sintercard(2, ["a", "b"], limit=10) == 3
    assert r.sintercard(2, ["a", "b"], limit=0) == 3  # 0 means no limit
    assert r.execute_command("SINTERCARD", "2", "a", "b", "limit", "1") == 1
    assert r.execute_command("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "2") == 2
    fill(r, "big1", range(0, 2000))
    fill(r, "big2", range(1000, 3000))
    assert r.sintercard(2, ["big1", "big2"]) == 1000
    assert r.sintercard(2, ["big1", "big2"], limit=10) == 10


def test_sintercard_errors(r):
    r.sadd("a", "1")
    r.sadd("b", "1")
    assert err(r, "SINTERCARD", "0", "a") == "numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "-1", "a") == "numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "x", "a") == "numkeys should be greater than 0"
    assert err(r, "SINTERCARD", "3", "a", "b") == "Number of keys can't be greater than number of args"
    assert err(r, "SINTERCARD", "1", "a", "b") == "syntax error"
    assert err(r, "SINTERCARD", "2", "a", "b", "LIMIT") == "syntax error"
    assert err(r, "SINTERCARD", "2", "a", "b", "BOGUS", "1") == "syntax error"
    assert err(r, "SINTERCARD", "2", "a", "b", "LIMIT", "-1") == "LIMIT can't be negative"
    assert err(r, "SINTERCARD", "2", "a", "b", "LIMIT", "x") == "LIMIT can't be negative"
    r.set("str", "v")
    assert err(r, "SINTERCARD", "2", "str", "a", "LIMIT", "-1") == "LIMIT can't be negative"


# ---------------------------------------------------------------------------------------------
# SSCAN
# ---------------------------------------------------------------------------------------------


def sscan_all(r, key, **kw):
    out = []
    cursor, rounds = 0, 0
    while True:
        cursor, data = r.sscan(key, cursor=cursor, **kw)
        out.extend(data)
        rounds += 1
        assert rounds < 100000, "SSCAN did not terminate"
        if cursor == 0:
            return out


def test_sscan_small_sets(r):
    r.sadd("ints", "1", "2", "3", "10")
    # (SCAN may return an element twice: compare as sets)
    assert set(sscan_all(r, "ints")) == {"1", "10", "2", "3"}
    assert set(sscan_all(r, "ints", count=1)) == {"1", "10", "2", "3"}
    assert set(sscan_all(r, "ints", match="1*")) == {"1", "10"}
    r.sadd("s", "a", "b", "c")
    assert set(sscan_all(r, "s", count=1)) == {"a", "b", "c"}
    assert set(sscan_all(r, "s", match="b")) == {"b"}
    assert sscan_all(r, "s", match="zz*") == []
    assert r.sscan("missing") == (0, [])


def test_sscan_large_set_to_completion(r):
    members = {f"m{i}" for i in range(600)}
    fill(r, "s", members)
    for count in (None, 5, 100, 1000):
        kw = {} if count is None else {"count": count}
        assert set(sscan_all(r, "s", **kw)) == members, count
    assert set(sscan_all(r, "s", match="m1?", count=20)) == {f"m{i}" for i in range(10, 20)}
    fill(r, "ints", range(1000))
    assert set(sscan_all(r, "ints", count=50)) == {str(i) for i in range(1000)}
    assert set(sscan_all(r, "ints", match="99*", count=50)) == {"99"} | {
        f"99{i}" for i in range(10)}


def test_sscan_reply_shape_and_errors(raw, proto):
    raw.call("SADD", "s", "a")
    cursor, data = raw.call("SSCAN", "s", "0")
    assert cursor == b"0" and isinstance(cursor, bytes)
    assert type(data) is list and data == [b"a"]  # an array, not a set, even in RESP3
    assert raw.call("SSCAN", "missing", "0") == [b"0", []]
    assert raw.call("SSCAN", "s", "abc") == Err("ERR invalid cursor")
    assert raw.call("SSCAN", "missing", "abc") == Err("ERR invalid cursor")
    assert raw.call("SSCAN", "s", "0", "COUNT", "0") == Err("ERR syntax error")
    assert raw.call("SSCAN", "s", "0", "COUNT", "x") == Err("ERR " + NOT_INT)
    assert raw.call("SSCAN", "s", "0", "MATCH") == Err("ERR syntax error")
    assert raw.call("SSCAN", "s", "0", "NOVALUES") == Err("ERR syntax error")
    assert raw.call("SSCAN", "missing", "0", "COUNT", "0") == [b"0", []]


# ---------------------------------------------------------------------------------------------
# Wrong type, arity
# ---------------------------------------------------------------------------------------------


def test_set_commands_on_wrong_type(srv):
    with srv.raw() as c:
        c.call("SET", "s", "v")
        for cmd in (("SADD", "s", "a"), ("SREM", "s", "a"), ("SISMEMBER", "s", "a"),
                    ("SMISMEMBER", "s", "a", "b"), ("SMEMBERS", "s"), ("SCARD", "s"),
                    ("SPOP", "s"), ("SPOP", "s", "2"), ("SPOP", "s", "0"),
                    ("SRANDMEMBER", "s"), ("SRANDMEMBER", "s", "2"), ("SRANDMEMBER", "s", "-2"),
                    ("SMOVE", "s", "d", "a"), ("SINTER", "s"), ("SINTERCARD", "1", "s"),
                    ("SINTERSTORE", "d", "s"), ("SUNION", "s"), ("SUNIONSTORE", "d", "s"),
                    ("SDIFF", "s"), ("SDIFFSTORE", "d", "s"), ("SSCAN", "s", "0"),
                    ("SSCAN", "s", "0", "COUNT", "0")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("GET", "s") == b"v"
        assert c.call("EXISTS", "d") == 0
        c.call("SADD", "set", "m")
        for cmd in (("GET", "set"), ("INCR", "set"), ("LPUSH", "set", "x"),
                    ("HSET", "set", "f", "v"), ("HGETALL", "set"), ("LRANGE", "set", "0", "-1")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("SMEMBERS", "set") == [b"m"]


def test_set_arity_errors(srv):
    with srv.raw() as c:
        for cmd in (("SADD", "s"), ("SREM", "s"), ("SISMEMBER", "s"), ("SISMEMBER", "s", "a", "b"),
                    ("SMISMEMBER", "s"), ("SMEMBERS",), ("SMEMBERS", "s", "x"), ("SCARD",),
                    ("SPOP",), ("SRANDMEMBER",), ("SMOVE", "a", "b"), ("SINTER",), ("SUNION",),
                    ("SDIFF",), ("SINTERSTORE", "d"), ("SUNIONSTORE", "d"), ("SDIFFSTORE", "d"),
                    ("SINTERCARD", "1"), ("SSCAN", "s")):
            name = cmd[0].lower()
            assert c.call(*cmd) == Err(f"ERR wrong number of arguments for '{name}' command"), cmd
        assert c.call("EXISTS", "s") == 0


# ---------------------------------------------------------------------------------------------
# Generic key commands on sets
# ---------------------------------------------------------------------------------------------


def test_set_type_del_exists(raw, proto):
    raw.call("SADD", "s", "a")
    assert raw.call("TYPE", "s") == Simple("set")
    assert isinstance(raw.call("TYPE", "s"), Simple)
    assert raw.call("EXISTS", "s", "missing", "s") == 2
    assert raw.call("DEL", "s") == 1
    assert raw.call("TYPE", "s") == Simple("none")
    assert raw.call("SCARD", "s") == 0


def test_set_expiry(r):
    r.sadd("s", "a", "b")
    assert r.expire("s", 100) is True
    r.sadd("s", "c")
    r.srem("s", "a")
    r.spop("s", 0)
    assert 98 <= r.ttl("s") <= 100  # changing members keeps the TTL
    r.srem("s", "b", "c")
    assert r.ttl("s") == -2
    r.sadd("v", "a")
    assert r.pexpire("v", 100) is True
    wait_until(lambda: r.exists("v") == 0, timeout=5, msg="set expiry")
    assert r.smembers("v") == set()
    assert r.scard("v") == 0
    assert r.sismember("v", "a") == 0
    assert r.sadd("v", "new") == 1
    assert r.ttl("v") == -1 and r.smembers("v") == {"new"}


def test_set_rename(r):
    r.sadd("s", "a", "b")
    r.expire("s", 100)
    assert r.rename("s", "t") is True
    assert r.exists("s") == 0
    assert r.smembers("t") == {"a", "b"}
    assert 98 <= r.ttl("t") <= 100
    r.hset("h", "f", "v")
    assert r.rename("t", "h") is True
    assert r.type("h") == "set" and r.smembers("h") == {"a", "b"}


def test_set_copy(srv, r):
    r.sadd("s", "a", "b")
    r.expire("s", 100)
    assert r.copy("s", "c") is True
    assert r.smembers("c") == {"a", "b"}
    assert 98 <= r.ttl("c") <= 100
    r.sadd("c", "x")
    r.srem("s", "a")
    assert r.smembers("s") == {"b"}
    assert r.smembers("c") == {"a", "b", "x"}
    assert r.copy("s", "c") is False
    assert r.copy("s", "c", replace=True) is True
    assert r.smembers("c") == {"b"}
    fill(r, "ints", range(100))
    assert r.copy("ints", "ints2") is True
    r.sadd("ints2", "x")
    assert r.scard("ints") == 100 and r.scard("ints2") == 101
    assert r.copy("s", "s", destination_db=5) is True
    other = srv.client(db=5)
    try:
        assert other.smembers("s") == {"b"}
        assert other.type("s") == "set"
    finally:
        other.close()


def test_scan_type_set(r):
    with r.pipeline(transaction=False) as p:
        for i in range(50):
            p.sadd(f"set:{i}", "m")
            p.set(f"s:{i}", "v")
            p.hset(f"h:{i}", "f", "v")
        p.execute()
    seen, cursor = set(), 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10, _type="set")
        seen.update(keys)
        if cursor == 0:
            break
    assert seen == {f"set:{i}" for i in range(50)}

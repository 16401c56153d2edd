"""Sorted set commands, as redis-server 7.0 behaves (reply shapes per protocol, exact errors)."""

import threading
import time

import pytest

from conftest import NULL, Double, Err, nil, wait_until

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_FLOAT = "ERR value is not a valid float"
NOT_INT = "ERR value is not an integer or out of range"
MINMAX_FLOAT = "ERR min or max is not a float"
MINMAX_LEX = "ERR min or max not valid string range item"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
NAN_RESULT = "ERR resulting score is not a number (NaN)"
NUMKEYS = "ERR numkeys should be greater than 0"
COUNT_GT0 = "ERR count should be greater than 0"
POSITIVE = "ERR value is out of range, must be positive"
LIMIT_BYLEX_BYSCORE = ("ERR syntax error, LIMIT is only supported in combination with either "
                       "BYSCORE or BYLEX")
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


def at_least_one_key(cmd):
    return f"ERR at least 1 input key is needed for '{cmd}' command"


@pytest.fixture
def c(srv):
    """A raw RESP2 connection, for exact error texts and wire shapes that do not vary by protocol."""
    conn = srv.raw()
    yield conn
    conn.close()


def pairs(reply):
    """redis-py's WITHSCORES results (list of tuples in RESP2, of lists in RESP3, or a flat
    RESP2 list from execute_command) as [(member, float score)]."""
    if reply and not isinstance(reply[0], (list, tuple)):
        it = iter(reply)
        return [(m, float(s)) for m, s in zip(it, it)]
    return [(m, float(s)) for m, s in reply]


def wire_pairs(proto, flat_or_nested):
    """Raw WITHSCORES reply -> [(member bytes, score)] checking the per-protocol shape:
    RESP2 a flat array with bulk-string scores, RESP3 an array of [member, double] pairs."""
    if proto == 2:
        assert all(isinstance(x, bytes) for x in flat_or_nested), flat_or_nested
        it = iter(flat_or_nested)
        return [(m, s) for m, s in zip(it, it)]
    out = []
    for p in flat_or_nested:
        assert isinstance(p, list) and len(p) == 2, flat_or_nested
        assert isinstance(p[0], bytes) and isinstance(p[1], Double), p
        out.append((p[0], float(p[1])))
    return out


def score_line(conn, *args):
    """Send a command whose reply is one score; return the exact bytes of the score text
    (RESP2 bulk string payload, RESP3 `,` double line) and the type byte."""
    conn.send(*args)
    line = conn._line()
    t = line[:1]
    if t == b"$":
        n = int(line[1:])
        return t, (None if n < 0 else conn._exact(n))
    return t, line[1:]


# --------------------------------------------------------------------------------------------
# ZADD
# --------------------------------------------------------------------------------------------


def test_zadd_basic_zscore_zcard(r):
    assert r.zadd("z", {"a": 1, "b": 2, "c": 1.5}) == 3
    assert r.zadd("z", {"a": 10, "d": 4}) == 1  # only new members count
    assert r.zcard("z") == 4
    assert r.zscore("z", "a") == 10.0
    assert r.zscore("z", "c") == 1.5
    assert r.zscore("z", "nope") is None
    assert r.zscore("missing", "a") is None
    assert r.zcard("missing") == 0
    assert r.zrange("z", 0, -1, withscores=True) == [("c", 1.5), ("b", 2.0), ("d", 4.0),
                                                     ("a", 10.0)]
    assert r.type("z") == "zset"


def test_equal_scores_order_bytewise_by_member(r):
    r.zadd("t", {"b": 1, "a": 1, "c": 1, "z": 0, "y": 2, "B": 1, "aa": 1})
    assert r.zrange("t", 0, -1) == ["z", "B", "a", "aa", "b", "c", "y"]
    assert r.zrevrange("t", 0, -1) == ["y", "c", "b", "aa", "a", "B", "z"]


def test_zadd_nx_xx(r):
    r.zadd("z", {"a": 1})
    assert r.execute_command("ZADD", "z", "NX", "5", "a", "2", "b") == 1
    assert r.zscore("z", "a") == 1.0  # NX never updates
    assert r.zscore("z", "b") == 2.0
    assert r.execute_command("ZADD", "z", "XX", "7", "a", "3", "c") == 0
    assert r.zscore("z", "a") == 7.0  # XX updates ...
    assert r.zscore("z", "c") is None  # ... but never adds
    assert r.execute_command("ZADD", "missing", "XX", "1", "a") == 0
    assert r.exists("missing") == 0  # XX on a missing key creates nothing


def test_zadd_gt_lt(r):
    r.zadd("z", {"a": 5})
    assert r.execute_command("ZADD", "z", "GT", "1", "a", "1", "new") == 1  # new members added
    assert r.zscore("z", "a") == 5.0
    assert r.execute_command("ZADD", "z", "GT", "6", "a") == 0
    assert r.zscore("z", "a") == 6.0
    assert r.execute_command("ZADD", "z", "LT", "9", "a", "1", "new2") == 1
    assert r.zscore("z", "a") == 6.0
    assert r.execute_command("ZADD", "z", "lt", "2", "a") == 0
    assert r.zscore("z", "a") == 2.0
    assert r.execute_command("ZADD", "z", "XX", "GT", "3", "a", "9", "absent") == 0
    assert r.zscore("z", "a") == 3.0
    assert r.zscore("z", "absent") is None


def test_zadd_ch(r):
    r.zadd("z", {"a": 10, "b": 3})
    assert r.execute_command("ZADD", "z", "CH", "10", "a", "4", "b", "99", "new") == 2
    assert r.execute_command("ZADD", "z", "CH", "10", "a") == 0  # same score: not a change
    assert r.execute_command("ZADD", "z", "GT", "CH", "5", "a", "20", "b") == 1
    assert r.execute_command("ZADD", "z", "LT", "CH", "5", "a", "30", "b") == 1
    assert r.execute_command("ZADD", "z", "XX", "CH", "7", "a", "7", "nope") == 1
    assert r.execute_command("ZADD", "z", "ch", "nx", "100", "a", "9", "lower") == 1
    assert r.zrange("z", 0, -1, withscores=True) == [("a", 7.0), ("lower", 9.0), ("b", 20.0),
                                                     ("new", 99.0)]


def test_zadd_incr(rp):
    assert rp.zadd("z", {"a": 5}, incr=True) == 5.0
    assert rp.zadd("z", {"a": 1.5}, incr=True) == 6.5
    assert rp.zadd("z", {"nope": 1}, xx=True, incr=True) is None
    assert rp.zadd("z", {"a": 1}, nx=True, incr=True) is None
    assert rp.zadd("z", {"b": 2}, nx=True, incr=True) == 2.0
    assert rp.zadd("z", {"a": -1}, gt=True, incr=True) is None
    assert rp.zadd("z", {"a": 0}, lt=True, incr=True) is None  # not strictly less
    assert rp.zadd("z", {"a": -0.5}, lt=True, incr=True) == 6.0
    assert rp.zadd("z", {"a": 1}, ch=True, incr=True) == 7.0
    assert rp.zscore("z", "a") == 7.0
    assert rp.exists("nope") == 0


def test_zadd_incr_wire(raw, proto):
    assert score_line(raw, "ZADD", "z", "INCR", "2.5", "a") == (
        (b"$", b"2.5") if proto == 2 else (b",", b"2.5"))
    assert score_line(raw, "ZADD", "z", "INCR", "0.5", "a") == (
        (b"$", b"3") if proto == 2 else (b",", b"3"))
    assert raw.call("ZADD", "z", "NX", "INCR", "1", "a") == nil(proto)
    assert raw.call("ZADD", "missing", "XX", "INCR", "1", "a") == nil(proto)


@pytest.mark.parametrize("args, error", [
    (["NX", "XX", "1", "a"], XX_NX),
    (["xx", "nx", "1", "a"], XX_NX),
    (["NX", "XX", "GT", "1", "a"], XX_NX),
    (["GT", "LT", "1", "a"], GT_LT_NX),
    (["GT", "NX", "1", "a"], GT_LT_NX),
    (["LT", "NX", "1", "a"], GT_LT_NX),
    (["NX", "GT", "INCR", "1", "a", "2", "b"], GT_LT_NX),
    (["INCR", "1", "a", "2", "b"], INCR_PAIR),
    (["INCR", "x", "a", "y", "b"], INCR_PAIR),  # pair count checked before the scores
    (["GT", "LT", "x", "a"], GT_LT_NX),  # flags checked before the scores
    (["1", "a", "2"], SYNTAX),
    (["NX", "XX", "1", "a", "2"], SYNTAX),  # odd score/member count beats the flag checks
    (["INCR", "1", "a", "2"], SYNTAX),
    (["NX", "INCR"], SYNTAX),
    (["1", "a", "INCR", "1"], NOT_FLOAT),  # options only come before the first score
    (["nan", "a"], NOT_FLOAT),
    (["abc", "a"], NOT_FLOAT),
    (["", "a"], NOT_FLOAT),
    ([" 1", "a"], NOT_FLOAT),
    (["1 ", "a"], NOT_FLOAT),
    (["1e400", "a"], NOT_FLOAT),
    (["INCR", "nan", "a"], NOT_FLOAT),
    (["1", "a", "nan", "b"], NOT_FLOAT),
    (["1"], arity("zadd")),
    ([], arity("zadd")),
    (["NX"], arity("zadd")),
])
def test_zadd_errors(c, args, error):
    assert c.call("ZADD", "z", *args) == Err(error)
    assert c.call("EXISTS", "z") == 0  # nothing was added


def test_zadd_errors_are_atomic(r):
    r.zadd("z", {"a": 1})
    with pytest.raises(Exception):
        r.execute_command("ZADD", "z", "5", "a", "2", "b", "nan", "c")
    assert r.zrange("z", 0, -1, withscores=True) == [("a", 1.0)]


def test_zadd_infinities_and_nan_results(c):
    assert c.call("ZADD", "z", "+inf", "pi", "-inf", "ni", "inf", "x1", "-INF", "x2",
                  "Infinity", "x3", "0", "zero") == 6
    assert c.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == [
        b"ni", b"-inf", b"x2", b"-inf", b"zero", b"0", b"pi", b"inf", b"x1", b"inf",
        b"x3", b"inf"]
    assert c.call("ZADD", "z", "INCR", "+inf", "pi") == b"inf"
    assert c.call("ZADD", "z", "INCR", "-inf", "pi") == Err(NAN_RESULT)
    assert c.call("ZINCRBY", "z", "-inf", "pi") == Err(NAN_RESULT)
    assert c.call("ZINCRBY", "z", "+inf", "ni") == Err(NAN_RESULT)
    assert c.call("ZSCORE", "z", "pi") == b"inf"
    assert c.call("ZSCORE", "z", "ni") == b"-inf"
    # overflow to infinity is allowed
    assert c.call("ZADD", "z", "1.7976931348623157e308", "m") == 1
    assert c.call("ZINCRBY", "z", "1.7976931348623157e308", "m") == b"inf"


# --------------------------------------------------------------------------------------------
# Scores on the wire
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("given, shown", [
    ("1", b"1"),
    ("3.0", b"3"),
    ("1.5", b"1.5"),
    ("-2.25", b"-2.25"),
    ("0.5", b"0.5"),
    (".5", b"0.5"),
    ("+5", b"5"),
    ("5.", b"5"),
    ("1e3", b"1000"),
    ("12345678", b"12345678"),
    ("-7", b"-7"),
    ("1e20", b"1e+20"),
    ("+inf", b"inf"),
    ("-inf", b"-inf"),
])
def test_score_formatting(raw, proto, given, shown):
    assert raw.call("ZADD", "z", given, "m") == 1
    # RESP2: a bulk string; RESP3: a `,` double with the same text
    assert score_line(raw, "ZSCORE", "z", "m") == ((b"$", shown) if proto == 2 else (b",", shown))
    assert score_line(raw, "ZINCRBY", "z", "0", "m") == (
        (b"$", shown) if proto == 2 else (b",", shown))
    reply = raw.call("ZRANGE", "z", "0", "-1", "WITHSCORES")
    if proto == 2:
        assert reply == [b"m", shown]
    else:
        assert len(reply) == 1 and reply[0][0] == b"m" and isinstance(reply[0][1], Double)
        assert float(reply[0][1]) == float(given)


def test_withscores_wire_shapes(raw, proto):
    raw.call("ZADD", "z", "1", "a", "2.5", "b")
    reply = raw.call("ZRANGE", "z", "0", "-1", "WITHSCORES")
    if proto == 2:
        assert reply == [b"a", b"1", b"b", b"2.5"]
    else:
        assert reply == [[b"a", Double(1)], [b"b", Double(2.5)]]
        assert all(isinstance(p[1], Double) for p in reply)
    assert raw.call("ZRANGE", "z", "0", "-1") == [b"a", b"b"]  # without scores: flat either way
    for cmd in (["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
                ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
                ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "WITHSCORES"],
                ["ZUNION", "1", "z", "WITHSCORES"],
                ["ZINTER", "1", "z", "WITHSCORES"],
                ["ZDIFF", "1", "z", "WITHSCORES"],
                ["ZRANDMEMBER", "z", "5", "WITHSCORES"]):
        got = wire_pairs(proto, raw.call(*cmd))
        assert sorted(got) == ([(b"a", b"1"), (b"b", b"2.5")] if proto == 2
                               else [(b"a", 1.0), (b"b", 2.5)]), cmd
    got = wire_pairs(proto, raw.call("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"))
    assert [m for m, _ in got] == [b"b", b"a"]
    # ZSCAN keeps flat bulk-string scores even in RESP3
    assert raw.call("ZSCAN", "z", "0") == [b"0", [b"a", b"1", b"b", b"2.5"]]


# --------------------------------------------------------------------------------------------
# ZREM ZSCORE ZMSCORE ZINCRBY
# --------------------------------------------------------------------------------------------


def test_zrem(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrem("z", "a", "nope", "a") == 1
    assert r.zrem("z", "a") == 0
    assert r.zrem("missing", "a") == 0
    assert r.zrange("z", 0, -1) == ["b", "c"]
    assert r.zrem("z", "b", "c") == 2
    assert r.exists("z") == 0  # removing the last member deletes the key


def test_zscore_zmscore(rp):
    rp.zadd("z", {"a": 1, "c": 1.5})
    assert rp.zscore("z", "a") == 1.0
    assert rp.zscore("z", "c") == 1.5
    assert rp.zscore("z", "nope") is None
    assert rp.zmscore("z", ["a", "nope", "c"]) == [1.0, None, 1.5]
    assert rp.zmscore("missing", ["a", "b"]) == [None, None]


def test_zscore_zmscore_wire(raw, proto):
    raw.call("ZADD", "z", "1", "a", "1.5", "c")
    assert raw.call("ZSCORE", "z", "nope") == nil(proto)
    assert raw.call("ZSCORE", "missing", "a") == nil(proto)
    reply = raw.call("ZMSCORE", "z", "a", "nope", "c")
    if proto == 2:
        assert reply == [b"1", None, b"1.5"]
    else:
        assert reply == [Double(1), NULL, Double(1.5)]
        assert isinstance(reply[0], Double) and isinstance(reply[2], Double)
    assert raw.call("ZMSCORE", "missing", "a", "b") == [nil(proto), nil(proto)]
    assert raw.call("ZMSCORE", "z") == Err(arity("zmscore"))


def test_zincrby(rp):
    assert rp.zincrby("z", 1, "a") == 1.0
    assert rp.zincrby("z", 2.5, "a") == 3.5
    assert rp.zincrby("z", -5, "a") == -1.5
    assert rp.zscore("z", "a") == -1.5
    assert rp.zincrby("z", 1.5, "a") == 0.0
    assert rp.zcard("z") == 1  # a score of 0 is still a member


def test_zincrby_errors(c):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZINCRBY", "z", "nan", "a") == Err(NOT_FLOAT)
    assert c.call("ZINCRBY", "z", "x", "a") == Err(NOT_FLOAT)
    assert c.call("ZINCRBY", "z", "1") == Err(arity("zincrby"))
    assert c.call("ZINCRBY", "z", "1", "a", "b") == Err(arity("zincrby"))
    assert c.call("ZSCORE", "z", "a") == b"1"


# --------------------------------------------------------------------------------------------
# ZCOUNT ZRANK ZREVRANK
# --------------------------------------------------------------------------------------------


def test_zcount(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert r.zcount("z", 2, 4) == 3
    assert r.zcount("z", "(2", 4) == 2
    assert r.zcount("z", "(2", "(4") == 1
    assert r.zcount("z", 2, "(2") == 0
    assert r.zcount("z", "-inf", "+inf") == 5
    assert r.zcount("z", "-INF", "+INF") == 5
    assert r.zcount("z", "-inf", "(1") == 0
    assert r.zcount("z", "(4", "inf") == 1
    assert r.zcount("z", 5, 1) == 0
    assert r.zcount("z", "inf", "-inf") == 0
    assert r.zcount("z", "1.5", "2.5") == 1
    assert r.zcount("missing", 1, 2) == 0


def test_range_bound_errors(c):
    c.call("ZADD", "z", "1", "a")
    for lo, hi in (("x", "1"), ("1", "(x"), ("nan", "1"), ("1", "nan"), ("[1", "2"), ("1", "2x")):
        assert c.call("ZCOUNT", "z", lo, hi) == Err(MINMAX_FLOAT), (lo, hi)
        assert c.call("ZRANGEBYSCORE", "z", lo, hi) == Err(MINMAX_FLOAT), (lo, hi)
        assert c.call("ZREVRANGEBYSCORE", "z", hi, lo) == Err(MINMAX_FLOAT), (lo, hi)
        assert c.call("ZREMRANGEBYSCORE", "z", lo, hi) == Err(MINMAX_FLOAT), (lo, hi)
        assert c.call("ZRANGE", "z", lo, hi, "BYSCORE") == Err(MINMAX_FLOAT), (lo, hi)
    assert c.call("ZCOUNT", "z", "1") == Err(arity("zcount"))
    assert c.call("ZCARD", "z", "x") == Err(arity("zcard"))
    assert c.call("ZCARD", "z") == 1


def test_zrank_zrevrank(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert r.zrank("z", "a") == 0
    assert r.zrank("z", "e") == 4
    assert r.zrevrank("z", "a") == 4
    assert r.zrevrank("z", "e") == 0
    assert r.zrank("z", "nope") is None
    assert r.zrevrank("z", "nope") is None
    assert r.zrank("missing", "a") is None


def test_zrank_wire(raw, proto):
    raw.call("ZADD", "z", "1", "a")
    assert raw.call("ZRANK", "z", "a") == 0
    assert raw.call("ZRANK", "z", "nope") == nil(proto)
    assert raw.call("ZREVRANK", "missing", "a") == nil(proto)
    assert raw.call("ZRANK", "z") == Err(arity("zrank"))


def test_big_zset_ranks_and_ranges(r):
    # beyond the listpack threshold (128 members in Redis): skiplist encoding
    r.zadd("big", {f"m{i:03d}": i for i in range(300)})
    assert r.zcard("big") == 300
    assert r.zrank("big", "m000") == 0
    assert r.zrank("big", "m150") == 150
    assert r.zrevrank("big", "m150") == 149
    assert r.zrange("big", 100, 102) == ["m100", "m101", "m102"]
    assert r.zrange("big", -2, -1) == ["m298", "m299"]
    assert r.zcount("big", "(10", 20) == 10
    assert r.zrangebyscore("big", 250, "+inf", start=10, num=3) == ["m260", "m261", "m262"]
    assert r.zremrangebyrank("big", 0, 99) == 100
    assert r.zrank("big", "m150") == 50
    assert r.zpopmax("big", 2) == [("m299", 299.0), ("m298", 298.0)]


# --------------------------------------------------------------------------------------------
# ZRANGE family
# --------------------------------------------------------------------------------------------


@pytest.fixture
def five(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    return r


def test_zrange_by_index(five):
    r = five
    assert r.zrange("z", 0, -1) == ["a", "b", "c", "d", "e"]
    assert r.zrange("z", 1, 2) == ["b", "c"]
    assert r.zrange("z", -2, -1) == ["d", "e"]
    assert r.zrange("z", -100, 100) == ["a", "b", "c", "d", "e"]
    assert r.zrange("z", 3, 1) == []
    assert r.zrange("z", 10, 20) == []
    assert r.zrange("missing", 0, -1) == []
    assert r.zrange("z", 1, 2, withscores=True) == [("b", 2.0), ("c", 3.0)]
    assert r.execute_command("ZRANGE", "z", "0", "-1", "REV") == ["e", "d", "c", "b", "a"]
    assert r.zrange("z", 0, 1, desc=True, withscores=True) == [("e", 5.0), ("d", 4.0)]
    assert r.zrevrange("z", 0, 0) == ["e"]
    assert r.zrevrange("z", 0, -1, withscores=True) == [
        ("e", 5.0), ("d", 4.0), ("c", 3.0), ("b", 2.0), ("a", 1.0)]


def test_zrange_byscore(five):
    c = five
    z = lambda *a: c.execute_command("ZRANGE", "z", *a)  # noqa: E731
    assert z("2", "4", "BYSCORE") == ["b", "c", "d"]
    assert z("(2", "4", "BYSCORE") == ["c", "d"]
    assert z("-inf", "+inf", "BYSCORE") == ["a", "b", "c", "d", "e"]
    assert z("4", "2", "BYSCORE") == []
    assert z("4", "2", "BYSCORE", "REV") == ["d", "c", "b"]  # REV swaps the bound order
    assert z("2", "4", "BYSCORE", "REV") == []
    assert z("(1", "+inf", "BYSCORE", "LIMIT", "1", "2") == ["c", "d"]
    assert z("+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2") == ["e", "d"]
    assert z("-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1") == ["d", "e"]
    assert z("-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2") == []
    assert z("-inf", "+inf", "BYSCORE", "LIMIT", "10", "2") == []
    assert pairs(z("2", "3", "BYSCORE", "WITHSCORES")) == [("b", 2.0), ("c", 3.0)]


def test_zrangebyscore_zrevrangebyscore(five):
    r = five
    assert r.zrangebyscore("z", "(1", 3) == ["b", "c"]
    assert r.zrangebyscore("z", "-inf", "+inf", withscores=True, start=1, num=2) == [
        ("b", 2.0), ("c", 3.0)]
    assert r.zrangebyscore("z", "-inf", "+inf", start=1, num=-1) == ["b", "c", "d", "e"]
    assert r.zrangebyscore("z", 3, 1) == []
    assert r.zrevrangebyscore("z", "+inf", "-inf") == ["e", "d", "c", "b", "a"]
    assert r.zrevrangebyscore("z", 4, "(2", withscores=True) == [("d", 4.0), ("c", 3.0)]
    assert r.zrevrangebyscore("z", 2, 4) == []
    assert r.zrevrangebyscore("z", "+inf", "-inf", start=0, num=2) == ["e", "d"]
    # options may repeat; the last LIMIT wins
    assert r.execute_command("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "0", "1",
                             "LIMIT", "1", "1") == ["b"]
    assert r.zrangebyscore("missing", "-inf", "+inf") == []


def test_zrange_errors(five, c):
    assert c.call("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1") == Err(LIMIT_BYLEX_BYSCORE)
    assert c.call("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1", "WITHSCORES") == Err(
        LIMIT_BYLEX_BYSCORE)
    assert c.call("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == Err(WITHSCORES_BYLEX)
    assert c.call("ZRANGE", "z", "x", "1") == Err(NOT_INT)
    assert c.call("ZRANGE", "z", "0", "x") == Err(NOT_INT)
    assert c.call("ZRANGE", "z", "0", "1.5") == Err(NOT_INT)
    assert c.call("ZRANGE", "z", "0") == Err(arity("zrange"))
    assert c.call("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX") == Err(SYNTAX)
    assert c.call("ZRANGE", "z", "0", "1", "FOO") == Err(SYNTAX)
    assert c.call("ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "0") == Err(SYNTAX)
    assert c.call("ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "x", "1") == Err(NOT_INT)
    assert c.call("ZRANGE", "z", "0", "-1", "BYLEX") == Err(MINMAX_LEX)
    assert c.call("ZRANGE", "z", "[a", "[b", "BYSCORE") == Err(MINMAX_FLOAT)
    assert c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1") == Err(SYNTAX)
    assert c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "x", "2") == Err(NOT_INT)
    assert c.call("ZRANGEBYSCORE", "z", "-inf", "+inf", "FOO") == Err(SYNTAX)
    assert c.call("ZREVRANGE", "z", "0") == Err(arity("zrevrange"))
    assert c.call("ZREVRANGE", "z", "x", "1") == Err(NOT_INT)


# --------------------------------------------------------------------------------------------
# Lexicographic ranges
# --------------------------------------------------------------------------------------------


@pytest.fixture
def lex(r):
    r.zadd("l", {m: 0 for m in "abcdef"})
    return r


def test_zrangebylex(lex):
    r = lex
    assert r.zrangebylex("l", "-", "+") == list("abcdef")
    assert r.zrangebylex("l", "[b", "(e") == ["b", "c", "d"]
    assert r.zrangebylex("l", "(b", "[e") == ["c", "d", "e"]
    assert r.zrangebylex("l", "-", "[c") == ["a", "b", "c"]
    assert r.zrangebylex("l", "[c", "+") == ["c", "d", "e", "f"]
    assert r.zrangebylex("l", "[bb", "[dd") == ["c", "d"]
    assert r.zrangebylex("l", "+", "-") == []
    assert r.zrangebylex("l", "[e", "[b") == []
    assert r.zrangebylex("l", "-", "+", start=1, num=2) == ["b", "c"]
    assert r.zrangebylex("missing", "-", "+") == []


def test_zrevrangebylex(lex):
    r = lex
    assert r.zrevrangebylex("l", "+", "-") == list("fedcba")
    assert r.zrevrangebylex("l", "[e", "(b") == ["e", "d", "c"]
    assert r.zrevrangebylex("l", "-", "+") == []
    assert r.zrevrangebylex("l", "+", "-", start=0, num=2) == ["f", "e"]


def test_zrange_bylex(lex):
    z = lambda *a: lex.execute_command("ZRANGE", "l", *a)  # noqa: E731
    assert z("[b", "[d", "BYLEX") == ["b", "c", "d"]
    assert z("[d", "[b", "BYLEX", "REV") == ["d", "c", "b"]
    assert z("-", "+", "BYLEX", "LIMIT", "2", "2") == ["c", "d"]
    assert z("+", "-", "BYLEX", "REV", "LIMIT", "1", "2") == ["e", "d"]


def test_zlexcount(lex):
    r = lex
    assert r.zlexcount("l", "-", "+") == 6
    assert r.zlexcount("l", "[b", "(e") == 3
    assert r.zlexcount("l", "(a", "(b") == 0
    assert r.zlexcount("l", "+", "-") == 0
    assert r.zlexcount("missing", "-", "+") == 0


def test_lex_range_errors(lex, c):
    for lo, hi in (("b", "c"), ("[b", "c"), ("x", "+"), ("-", "y"), ("", "+")):
        for cmd in ("ZRANGEBYLEX", "ZLEXCOUNT", "ZREMRANGEBYLEX"):
            assert c.call(cmd, "l", lo, hi) == Err(MINMAX_LEX), (cmd, lo, hi)
        assert c.call("ZREVRANGEBYLEX", "l", hi, lo) == Err(MINMAX_LEX), (lo, hi)
    assert c.call("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1") == Err(SYNTAX)
    assert c.call("ZRANGEBYLEX", "l", "-", "+", "WITHSCORES") == Err(WITHSCORES_BYLEX)
    assert c.call("ZRANGEBYLEX", "l", "-", "+", "FOO") == Err(SYNTAX)
    assert c.call("ZRANGEBYLEX", "l") == Err(arity("zrangebylex"))
    assert c.call("ZLEXCOUNT", "l", "-") == Err(arity("zlexcount"))


# --------------------------------------------------------------------------------------------
# ZREMRANGEBY*
# --------------------------------------------------------------------------------------------


def test_zremrangebyrank(five):
    r = five
    assert r.zremrangebyrank("z", 0, 0) == 1
    assert r.zremrangebyrank("z", -1, -1) == 1
    assert r.zremrangebyrank("z", 5, 10) == 0
    assert r.zremrangebyrank("z", 2, 1) == 0
    assert r.zrange("z", 0, -1) == ["b", "c", "d"]
    assert r.zremrangebyrank("missing", 0, -1) == 0
    assert r.zremrangebyrank("z", 0, -1) == 3
    assert r.exists("z") == 0


def test_zremrangebyscore(five):
    r = five
    assert r.zremrangebyscore("z", "(3", "+inf") == 2
    assert r.zremrangebyscore("z", 10, 1) == 0
    assert r.zremrangebyscore("z", "(1", "(2") == 0
    assert r.zrange("z", 0, -1) == ["a", "b", "c"]
    assert r.zremrangebyscore("z", "-inf", "+inf") == 3
    assert r.exists("z") == 0


def test_zremrangebylex(lex):
    r = lex
    assert r.zremrangebylex("l", "[a", "(c") == 2
    assert r.zrange("l", 0, -1) == ["c", "d", "e", "f"]
    assert r.zremrangebylex("l", "(f", "+") == 0
    assert r.zremrangebylex("missing", "-", "+") == 0
    assert r.zremrangebylex("l", "-", "+") == 4
    assert r.exists("l") == 0


def test_zremrange_errors(five, c):
    assert c.call("ZREMRANGEBYRANK", "z", "x", "1") == Err(NOT_INT)
    assert c.call("ZREMRANGEBYRANK", "z", "0") == Err(arity("zremrangebyrank"))
    assert c.call("ZREMRANGEBYSCORE", "z", "0") == Err(arity("zremrangebyscore"))
    assert c.call("ZREMRANGEBYLEX", "z", "-") == Err(arity("zremrangebylex"))
    assert c.call("ZCARD", "z") == 5


# --------------------------------------------------------------------------------------------
# ZPOPMIN ZPOPMAX ZMPOP
# --------------------------------------------------------------------------------------------


def test_zpopmin_zpopmax(rp):
    rp.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert pairs(rp.zpopmin("z", 2)) == [("a", 1.0), ("b", 2.0)]
    assert pairs(rp.zpopmax("z", 2)) == [("e", 5.0), ("d", 4.0)]
    assert pairs(rp.zpopmax("z", 10)) == [("c", 3.0)]
    assert rp.exists("z") == 0
    assert rp.zpopmin("z") == []
    assert rp.zpopmax("missing", 3) == []


def test_zpop_wire(raw, proto):
    raw.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "x")
    # without COUNT: a flat [member, score] in both protocols
    assert raw.call("ZPOPMIN", "z") == ([b"a", b"1"] if proto == 2 else [b"a", Double(1)])
    reply = raw.call("ZPOPMAX", "z")
    assert reply == ([b"c", b"3"] if proto == 2 else [b"c", Double(3)])
    if proto == 3:
        assert isinstance(reply[1], Double)
    # with COUNT: RESP2 flat, RESP3 nested pairs (even for COUNT 1)
    reply = raw.call("ZPOPMIN", "z", "1")
    assert reply == ([b"x", b"1.5"] if proto == 2 else [[b"x", Double(1.5)]])
    raw.call("ZADD", "z", "5", "e")
    assert raw.call("ZPOPMAX", "z", "2") == (
        [b"e", b"5", b"b", b"2"] if proto == 2 else [[b"e", Double(5)], [b"b", Double(2)]])
    # a missing key or COUNT 0 gives an empty array, not a nil
    assert raw.call("ZPOPMIN", "z") == []
    assert raw.call("ZPOPMIN", "z", "2") == []
    raw.call("ZADD", "z", "1", "a")
    assert raw.call("ZPOPMIN", "z", "0") == []
    assert raw.call("ZCARD", "z") == 1


def test_zpop_errors(c):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZPOPMIN", "z", "-1") == Err(POSITIVE)
    assert c.call("ZPOPMAX", "z", "x") == Err(POSITIVE)
    assert c.call("ZPOPMIN", "z", "1", "2") == Err(SYNTAX)
    assert c.call("ZPOPMIN") == Err(arity("zpopmin"))
    assert c.call("ZCARD", "z") == 1


def test_zmpop(rp):
    rp.zadd("z2", {"a": 1, "b": 2, "c": 3})
    res = rp.zmpop(2, ["z1", "z2"], min=True)
    assert res[0] == "z2"
    assert [(m, float(s)) for m, s in res[1]] == [("a", 1.0)]
    res = rp.zmpop(2, ["z1", "z2"], max=True, count=5)
    assert res[0] == "z2"
    assert [(m, float(s)) for m, s in res[1]] == [("c", 3.0), ("b", 2.0)]
    assert rp.exists("z2") == 0
    assert rp.zmpop(2, ["z1", "z2"], min=True) is None


def test_zmpop_wire(raw, proto):
    raw.call("ZADD", "z", "1", "a", "2.5", "b")
    # nested [key, [[member, score], ...]] in both protocols; scores doubles in RESP3
    assert raw.call("ZMPOP", "2", "missing", "z", "MAX") == (
        [b"z", [[b"b", b"2.5"]]] if proto == 2 else [b"z", [[b"b", Double(2.5)]]])
    assert raw.call("ZMPOP", "1", "z", "min", "COUNT", "9") == (
        [b"z", [[b"a", b"1"]]] if proto == 2 else [b"z", [[b"a", Double(1)]]])
    assert raw.call("ZMPOP", "1", "z", "MIN") == nil(proto)


@pytest.mark.parametrize("args, error", [
    (["0", "z", "MIN"], NUMKEYS),
    (["-1", "z", "MIN"], NUMKEYS),
    (["x", "z", "MIN"], NUMKEYS),
    (["1", "z", "MIN", "COUNT", "0"], COUNT_GT0),
    (["1", "z", "MIN", "COUNT", "-1"], COUNT_GT0),
    (["1", "z", "FOO"], SYNTAX),
    (["2", "z", "MIN"], SYNTAX),
    (["1", "z", "MAX", "COUNT", "1", "COUNT", "2"], SYNTAX),
    (["1", "z"], arity("zmpop")),
])
def test_zmpop_errors(c, args, error):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZMPOP", *args) == Err(error)
    assert c.call("ZCARD", "z") == 1


# --------------------------------------------------------------------------------------------
# ZRANDMEMBER
# --------------------------------------------------------------------------------------------


def test_zrandmember(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrandmember("z") in ("a", "b", "c")
    assert r.zrandmember("missing") is None
    got = r.zrandmember("z", 2)
    assert len(got) == 2 and len(set(got)) == 2 and set(got) <= {"a", "b", "c"}
    assert sorted(r.zrandmember("z", 10)) == ["a", "b", "c"]  # positive: distinct, at most card
    got = r.zrandmember("z", -10)  # negative: exactly |count|, repeats allowed
    assert len(got) == 10 and set(got) <= {"a", "b", "c"}
    assert r.zrandmember("z", 0) == []
    assert r.zrandmember("missing", 5) == []
    assert r.zrandmember("missing", -5) == []
    assert r.zcard("z") == 3  # nothing removed


def test_zrandmember_withscores(raw, proto):
    raw.call("ZADD", "z", "1", "a", "2.5", "b")
    got = wire_pairs(proto, raw.call("ZRANDMEMBER", "z", "-6", "WITHSCORES"))
    assert len(got) == 6
    scores = {b"a": b"1", b"b": b"2.5"} if proto == 2 else {b"a": 1.0, b"b": 2.5}
    assert all(scores[m] == s for m, s in got)
    got = wire_pairs(proto, raw.call("ZRANDMEMBER", "z", "1", "WITHSCORES"))
    assert len(got) == 1 and scores[got[0][0]] == got[0][1]
    assert raw.call("ZRANDMEMBER", "missing") == nil(proto)
    assert raw.call("ZRANDMEMBER", "missing", "3", "WITHSCORES") == []


def test_zrandmember_errors(c):
    c.call("ZADD", "z", "1", "a")
    assert c.call("ZRANDMEMBER", "z", "x") == Err(NOT_INT)
    assert c.call("ZRANDMEMBER", "z", "WITHSCORES") == Err(NOT_INT)
    assert c.call("ZRANDMEMBER", "z", "1", "FOO") == Err(SYNTAX)
    assert c.call("ZRANDMEMBER", "z", "1", "WITHSCORES", "FOO") == Err(SYNTAX)
    assert c.call("ZRANDMEMBER") == Err(arity("zrandmember"))


# --------------------------------------------------------------------------------------------
# Set operations
# --------------------------------------------------------------------------------------------


@pytest.fixture
def two(r):
    r.zadd("z1", {"a": 1, "b": 2, "c": 3})
    r.zadd("z2", {"b": 10, "c": 20, "d": 30})
    r.sadd("s", "a", "d", "x")
    return r


def test_zunionstore(two):
    r = two
    ws = lambda k: r.zrange(k, 0, -1, withscores=True)  # noqa: E731
    assert r.zunionstore("out", ["z1", "z2"]) == 4
    assert ws("out") == [("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)]
    assert r.execute_command("ZUNIONSTORE", "out", "2", "z1", "z2", "WEIGHTS", "2", "0.5") == 4
    assert ws("out") == [("a", 2.0), ("b", 9.0), ("d", 15.0), ("c", 16.0)]
    assert r.zunionstore("out", ["z1", "z2"], aggregate="MIN") == 4
    assert ws("out") == [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 30.0)]
    assert r.zunionstore("out", ["z1", "z2"], aggregate="max") == 4
    assert ws("out") == [("a", 1.0), ("b", 10.0), ("c", 20.0), ("d", 30.0)]
    assert r.zunionstore("out", ["z1", "missing"]) == 3
    assert ws("out") == [("a", 1.0), ("b", 2.0), ("c", 3.0)]


def test_set_as_input_counts_as_score_one(two):
    r = two
    ws = lambda k: r.zrange(k, 0, -1, withscores=True)  # noqa: E731
    assert r.zunionstore("out", ["z1", "s"]) == 5
    assert ws("out") == [("d", 1.0), ("x", 1.0), ("a", 2.0), ("b", 2.0), ("c", 3.0)]
    assert r.execute_command("ZINTERSTORE", "out", "2", "z1", "s", "WEIGHTS", "1", "5") == 1
    assert ws("out") == [("a", 6.0)]
    assert r.zdiffstore("out", ["z1", "s"]) == 2
    assert ws("out") == [("b", 2.0), ("c", 3.0)]
    assert pairs(r.zunion(["s"], withscores=True)) == [("a", 1.0), ("d", 1.0), ("x", 1.0)]
    assert r.zintercard(2, ["s", "z2"]) == 1


def test_zinterstore(two):
    r = two
    ws = lambda k: r.zrange(k, 0, -1, withscores=True)  # noqa: E731
    assert r.zinterstore("out", ["z1", "z2"]) == 2
    assert ws("out") == [("b", 12.0), ("c", 23.0)]
    assert r.zinterstore("out", {"z1": 3, "z2": 1}, aggregate="MIN") == 2
    assert ws("out") == [("b", 6.0), ("c", 9.0)]
    assert r.zinterstore("out", ["z1", "z2"], aggregate="MAX") == 2
    assert ws("out") == [("b", 10.0), ("c", 20.0)]
    assert r.zinterstore("out", ["z1", "missing"]) == 0
    assert r.exists("out") == 0  # an empty result deletes the destination


def test_zdiffstore(two):
    r = two
    assert r.zdiffstore("out", ["z1", "z2"]) == 1
    assert r.zrange("out", 0, -1, withscores=True) == [("a", 1.0)]
    assert r.zdiffstore("out", ["z1", "missing"]) == 3
    assert r.zdiffstore("out", ["missing", "z1"]) == 0
    assert r.exists("out") == 0
    assert r.zdiffstore("out", ["z1", "z1"]) == 0
    assert r.exists("out") == 0


def test_zunion_zinter_zdiff(rp):
    rp.zadd("z1", {"a": 1, "b": 2, "c": 3})
    rp.zadd("z2", {"b": 10, "c": 20, "d": 30})
    assert rp.zunion(["z1", "z2"]) == ["a", "b", "c", "d"]
    assert pairs(rp.zunion(["z1", "z2"], withscores=True)) == [
        ("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)]
    assert pairs(rp.zinter(["z1", "z2"], aggregate="MAX", withscores=True)) == [
        ("b", 10.0), ("c", 20.0)]
    assert pairs(rp.zinter({"z1": 2, "z2": 0.5}, withscores=True)) == [
        ("b", 9.0), ("c", 16.0)]
    assert rp.zinter(["z1", "z2"]) == ["b", "c"]
    assert rp.zdiff(["z1", "z2"]) == ["a"]
    assert pairs(rp.zdiff(["z1", "z2"], withscores=True)) == [("a", 1.0)]
    assert rp.zdiff(["missing"]) == []
    assert rp.zinter(["z1", "missing"]) == []
    assert rp.zunion(["missing"]) == []
    assert pairs(rp.execute_command("ZUNION", "1", "z1", "WEIGHTS", "2", "WITHSCORES")) == [
        ("a", 2.0), ("b", 4.0), ("c", 6.0)]
    assert rp.exists("z1", "z2") == 2  # the non-store variants write nothing


def test_setop_infinities_sum_to_zero(c):
    c.call("ZADD", "zi", "+inf", "a")
    c.call("ZADD", "zn", "-inf", "a")
    assert c.call("ZUNION", "2", "zi", "zn", "WITHSCORES") == [b"a", b"0"]  # inf + -inf: 0
    assert c.call("ZUNION", "1", "zi", "WEIGHTS", "0", "WITHSCORES") == [b"a", b"0"]  # inf*0
    assert c.call("ZUNION", "2", "zi", "zi", "WITHSCORES") == [b"a", b"inf"]
    assert c.call("ZINTER", "2", "zi", "zn", "AGGREGATE", "MIN", "WITHSCORES") == [b"a", b"-inf"]


@pytest.mark.parametrize("cmd", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_store_overwrites_destination_of_any_type(r, cmd):
    r.zadd("src", {"a": 1})
    r.set("dst", "string")
    r.expire("dst", 100)
    assert r.execute_command(cmd, "dst", "1", "src") == 1
    assert r.type("dst") == "zset"
    assert r.ttl("dst") == -1
    r.set("dst", "string")
    assert r.execute_command(cmd, "dst", "1", "missing") == 0
    assert r.exists("dst") == 0  # empty result: destination deleted


@pytest.mark.parametrize("cmd", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_store_errors(two, c, cmd):
    low = cmd.lower()
    assert c.call(cmd, "out", "0", "z1") == Err(at_least_one_key(low))
    assert c.call(cmd, "out", "-1", "z1") == Err(at_least_one_key(low))
    assert c.call(cmd, "out", "x", "z1") == Err(NOT_INT)
    assert c.call(cmd, "out", "2", "z1") == Err(SYNTAX)
    assert c.call(cmd, "out", "1", "z1", "FOO") == Err(SYNTAX)
    assert c.call(cmd, "out", "1", "z1", "WITHSCORES") == Err(SYNTAX)
    assert c.call(cmd, "out", "1") == Err(arity(low))
    if cmd == "ZDIFFSTORE":
        assert c.call(cmd, "out", "2", "z1", "z2", "WEIGHTS", "1", "1") == Err(SYNTAX)
        assert c.call(cmd, "out", "2", "z1", "z2", "AGGREGATE", "MIN") == Err(SYNTAX)
    else:
        assert c.call(cmd, "out", "1", "z1", "WEIGHTS") == Err(SYNTAX)
        assert c.call(cmd, "out", "2", "z1", "z2", "WEIGHTS", "1") == Err(SYNTAX)
        assert c.call(cmd, "out", "2", "z1", "z2", "WEIGHTS", "1", "x") == Err(
            "ERR weight value is not a float")
        assert c.call(cmd, "out", "2", "z1", "z2", "WEIGHTS", "1", "nan") == Err(
            "ERR weight value is not a float")
        assert c.call(cmd, "out", "2", "z1", "z2", "AGGREGATE", "AVG") == Err(SYNTAX)
        assert c.call(cmd, "out", "2", "z1", "z2", "AGGREGATE") == Err(SYNTAX)
    assert c.call("EXISTS", "out") == 0


@pytest.mark.parametrize("cmd", ["ZUNION", "ZINTER", "ZDIFF"])
def test_setop_read_errors(two, c, cmd):
    assert c.call(cmd, "0", "z1") == Err(at_least_one_key(cmd.lower()))
    assert c.call(cmd, "x", "z1") == Err(NOT_INT)
    assert c.call(cmd, "2", "z1") == Err(SYNTAX)
    assert c.call(cmd, "1", "z1", "FOO") == Err(SYNTAX)
    assert c.call(cmd) == Err(arity(cmd.lower()))
    if cmd == "ZDIFF":
        assert c.call(cmd, "2", "z1", "z2", "AGGREGATE", "MIN") == Err(SYNTAX)


def test_zintercard(r, c):
    r.zadd("z1", {"a": 1, "b": 2, "c": 3, "d": 4})
    r.zadd("z2", {"b": 1, "c": 1, "d": 1, "e": 1})
    assert r.zintercard(2, ["z1", "z2"]) == 3
    assert r.zintercard(2, ["z1", "z2"], limit=2) == 2
    assert r.zintercard(2, ["z1", "z2"], limit=0) == 3  # 0 means no limit
    assert r.zintercard(2, ["z1", "z2"], limit=100) == 3
    assert r.zintercard(1, ["z1"]) == 4
    assert r.zintercard(2, ["z1", "missing"]) == 0
    assert c.call("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1") == Err("ERR LIMIT can't be negative")
    assert c.call("ZINTERCARD", "2", "z1", "z2", "LIMIT", "x") == Err("ERR LIMIT can't be negative")
    assert c.call("ZINTERCARD", "2", "z1", "z2", "LIMIT") == Err(SYNTAX)
    assert c.call("ZINTERCARD", "2", "z1", "z2", "FOO", "1") == Err(SYNTAX)
    assert c.call("ZINTERCARD", "3", "z1", "z2") == Err(SYNTAX)
    assert c.call("ZINTERCARD", "0", "z1") == Err(at_least_one_key("zintercard"))
    assert c.call("ZINTERCARD", "x", "z1") == Err(NOT_INT)
    assert c.call("ZINTERCARD", "1") == Err(arity("zintercard"))


def test_zrangestore(five, c):
    r = five
    ws = lambda k: r.zrange(k, 0, -1, withscores=True)  # noqa: E731
    assert r.zrangestore("dst", "z", 1, 2) == 2
    assert ws("dst") == [("b", 2.0), ("c", 3.0)]
    assert r.zrangestore("dst", "z", "(1", 3, byscore=True) == 2
    assert ws("dst") == [("b", 2.0), ("c", 3.0)]
    assert r.execute_command("ZRANGESTORE", "dst", "z", "+inf", "-inf", "BYSCORE", "REV",
                             "LIMIT", "0", "2") == 2
    assert ws("dst") == [("d", 4.0), ("e", 5.0)]
    r.zadd("l", {"a": 0, "b": 0, "c": 0})
    assert r.zrangestore("dst", "l", "[b", "+", bylex=True) == 2
    assert ws("dst") == [("b", 0.0), ("c", 0.0)]
    assert r.zrangestore("dst", "z", 0, -1, desc=True) == 5
    assert r.zrange("dst", 0, -1) == ["a", "b", "c", "d", "e"]  # stored set is still ordered
    r.expire("dst", 100)
    assert r.zrangestore("dst", "dst", 0, 1) == 2  # source may be the destination
    assert ws("dst") == [("a", 1.0), ("b", 2.0)]
    assert r.ttl("dst") == -1
    assert r.zrangestore("dst", "z", 10, 20) == 0
    assert r.exists("dst") == 0
    r.set("str", "v")
    assert r.zrangestore("str", "missing", 0, -1) == 0
    assert r.exists("str") == 0
    assert c.call("ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES") == Err(SYNTAX)
    assert c.call("ZRANGESTORE", "dst", "z") == Err(arity("zrangestore"))
    assert c.call("ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1") == Err(
        LIMIT_BYLEX_BYSCORE)


def test_zscan(r, c):
    r.zadd("z", {"a": 1, "b": 2.5, "ab": 3, "c": 1e20})
    cursor, items = r.zscan("z")
    assert cursor == 0
    assert sorted(items) == [("a", 1.0), ("ab", 3.0), ("b", 2.5), ("c", 1e20)]
    assert sorted(r.zscan("z", match="a*")[1]) == [("a", 1.0), ("ab", 3.0)]
    assert sorted(r.zscan_iter("z", count=1)) == sorted(items)
    assert r.zscan("missing") == (0, [])
    reply = c.call("ZSCAN", "z", "0", "MATCH", "c")
    assert reply == [b"0", [b"c", b"1e+20"]]
    assert c.call("ZSCAN", "z", "x") == Err("ERR invalid cursor")
    assert c.call("ZSCAN", "z", "0", "FOO") == Err(SYNTAX)
    assert c.call("ZSCAN", "z", "0", "COUNT", "0") == Err(SYNTAX)
    assert c.call("ZSCAN", "z", "0", "MATCH") == Err(SYNTAX)
    assert c.call("ZSCAN", "z") == Err(arity("zscan"))


def test_big_zscan_visits_everything(r):
    r.zadd("big", {f"m{i}": i for i in range(500)})
    seen = dict(r.zscan_iter("big", count=50))
    assert len(seen) == 500
    assert seen["m123"] == 123.0


# --------------------------------------------------------------------------------------------
# Types, keys, expiry
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ["ZADD", "s", "1", "a"],
    ["ZADD", "s", "INCR", "1", "a"],
    ["ZINCRBY", "s", "1", "a"],
    ["ZREM", "s", "a"],
    ["ZSCORE", "s", "a"],
    ["ZMSCORE", "s", "a"],
    ["ZCARD", "s"],
    ["ZCOUNT", "s", "0", "1"],
    ["ZLEXCOUNT", "s", "-", "+"],
    ["ZRANK", "s", "a"],
    ["ZREVRANK", "s", "a"],
    ["ZRANGE", "s", "0", "-1"],
    ["ZRANGE", "s", "0", "1", "BYSCORE"],
    ["ZREVRANGE", "s", "0", "-1"],
    ["ZRANGEBYSCORE", "s", "0", "1"],
    ["ZREVRANGEBYSCORE", "s", "1", "0"],
    ["ZRANGEBYLEX", "s", "-", "+"],
    ["ZREVRANGEBYLEX", "s", "+", "-"],
    ["ZREMRANGEBYRANK", "s", "0", "1"],
    ["ZREMRANGEBYSCORE", "s", "0", "1"],
    ["ZREMRANGEBYLEX", "s", "-", "+"],
    ["ZPOPMIN", "s"],
    ["ZPOPMAX", "s", "2"],
    ["ZMPOP", "1", "s", "MIN"],
    ["ZRANDMEMBER", "s"],
    ["ZRANDMEMBER", "s", "2"],
    ["ZUNIONSTORE", "d", "1", "s"],
    ["ZINTERSTORE", "d", "2", "z", "s"],
    ["ZDIFFSTORE", "d", "2", "z", "s"],
    ["ZUNION", "1", "s"],
    ["ZINTER", "2", "z", "s"],
    ["ZDIFF", "2", "z", "s"],
    ["ZINTERCARD", "2", "z", "s"],
    ["ZRANGESTORE", "d", "s", "0", "-1"],
    ["ZSCAN", "s", "0"],
    ["BZPOPMIN", "s", "0"],
    ["BZPOPMAX", "s", "0"],
    ["BZMPOP", "0", "1", "s", "MIN"],
])
def test_wrongtype(c, cmd):
    c.call("SET", "s", "v")
    c.call("ZADD", "z", "1", "a")
    assert c.call(*cmd) == Err(WRONGTYPE)
    assert c.call("GET", "s") == b"v"
    assert c.call("EXISTS", "d") == 0


def test_wrongtype_against_zset(c):
    c.call("ZADD", "z", "1", "a")
    for cmd in (["GET", "z"], ["LPUSH", "z", "x"], ["SADD", "z", "x"], ["HSET", "z", "f", "v"],
                ["INCR", "z"], ["SMEMBERS", "z"], ["SUNIONSTORE", "d", "z"]):
        assert c.call(*cmd) == Err(WRONGTYPE), cmd


def test_argument_errors_come_before_type_errors(c):
    c.call("SET", "s", "v")
    assert c.call("ZADD", "s", "NX", "XX", "1", "a") == Err(XX_NX)
    assert c.call("ZADD", "s", "GT", "LT", "1", "a") == Err(GT_LT_NX)
    assert c.call("ZADD", "s", "INCR", "1", "a", "2", "b") == Err(INCR_PAIR)
    assert c.call("ZADD", "s", "x", "a") == Err(NOT_FLOAT)
    assert c.call("ZINCRBY", "s", "x", "a") == Err(NOT_FLOAT)
    assert c.call("ZCOUNT", "s", "x", "1") == Err(MINMAX_FLOAT)
    assert c.call("ZRANGEBYSCORE", "s", "x", "y") == Err(MINMAX_FLOAT)
    assert c.call("ZRANGEBYSCORE", "s", "0", "1", "LIMIT", "x", "y") == Err(NOT_INT)
    assert c.call("ZRANGE", "s", "0", "x") == Err(NOT_INT)
    assert c.call("ZRANGEBYLEX", "s", "x", "y") == Err(MINMAX_LEX)
    assert c.call("ZRANGE", "s", "a", "b", "BYLEX") == Err(MINMAX_LEX)


def test_type_del_exists(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.type("z") == "zset"
    assert r.exists("z") == 1
    assert r.delete("z") == 1
    assert r.type("z") == "none"
    assert r.zcard("z") == 0


def test_rename_and_copy(r):
    r.zadd("z", {"a": 1, "b": 2.5})
    assert r.copy("z", "z2") is True
    assert r.copy("z", "z2") is False
    r.zadd("z", {"c": 3})
    assert r.zrange("z2", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5)]  # a deep copy
    assert r.copy("z", "z2", replace=True) is True
    assert r.zcard("z2") == 3
    assert r.rename("z", "z3") is True
    assert r.type("z") == "none"
    assert r.zrange("z3", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.5), ("c", 3.0)]
    assert r.delete("z2", "z3") == 2


def test_scan_type_zset(r):
    r.zadd("z1", {"a": 1})
    r.zadd("z2", {"a": 1})
    r.set("str", "v")
    r.sadd("set", "a")
    r.rpush("list", "a")
    assert sorted(r.scan_iter(_type="zset")) == ["z1", "z2"]
    assert sorted(r.scan_iter(_type="ZSET")) == ["z1", "z2"]
    assert sorted(r.scan_iter(_type="set")) == ["set"]


def test_zset_ttl_kept_by_modifications(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.expire("z", 100) is True
    r.zadd("z", {"c": 3})
    r.zincrby("z", 1, "a")
    r.zrem("z", "b")
    r.zpopmin("z")
    assert 90 <= r.ttl("z") <= 100
    r.zunionstore("z", ["z"])  # a store replaces the key: TTL gone
    assert r.ttl("z") == -1


def test_zset_expires(r):
    r.zadd("z", {"a": 1})
    assert r.pexpire("z", 100) is True
    wait_until(lambda: r.exists("z") == 0, timeout=3, msg="zset to expire")
    assert r.zcard("z") == 0
    assert r.zscore("z", "a") is None
    assert r.zadd("z", {"b": 2}) == 1  # a fresh zset, without the old TTL
    assert r.ttl("z") == -1
    assert r.zrange("z", 0, -1) == ["b"]


@pytest.mark.parametrize("cmd", [
    ["ZREM", "e", "a", "b"],
    ["ZPOPMIN", "e", "5"],
    ["ZPOPMAX", "e", "2"],
    ["ZMPOP", "1", "e", "MIN", "COUNT", "2"],
    ["ZREMRANGEBYRANK", "e", "0", "-1"],
    ["ZREMRANGEBYSCORE", "e", "-inf", "+inf"],
    ["ZREMRANGEBYLEX", "e", "-", "+"],
    ["BZPOPMIN", "e", "0"],
])
def test_emptied_zset_disappears(c, cmd):
    c.call("ZADD", "e", "0", "a", "0", "b")
    c.call("EXPIRE", "e", "100")
    assert not isinstance(c.call(*cmd), Err)
    if cmd[0] == "BZPOPMIN":
        c.call(*cmd)
    assert c.call("EXISTS", "e") == 0
    assert c.call("TYPE", "e") == "none"
    c.call("ZADD", "e", "1", "x")
    assert c.call("TTL", "e") == -1  # the old key and its TTL are really gone


# --------------------------------------------------------------------------------------------
# Blocking: BZPOPMIN BZPOPMAX BZMPOP
# --------------------------------------------------------------------------------------------


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


def wait_blocked(r, n, timeout=5.0):
    wait_until(lambda: blocked_clients(r) == n, timeout=timeout, msg=f"blocked_clients == {n}")


@pytest.fixture
def conns(srv, proto):
    opened = []

    def make():
        conn = srv.raw(timeout=15)
        if proto == 3:
            conn.call("HELLO", "3")
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


def test_bzpop_immediate(r, conns, proto):
    c = conns()
    r.zadd("z", {"a": 1, "b": 2, "c": 3.5})
    s = (lambda x: x.encode()) if proto == 2 else (lambda x: Double(float(x)))
    # a flat [key, member, score]; the score a double in RESP3
    assert c.call("BZPOPMIN", "missing", "z", "1") == [b"z", b"a", s("1")]
    assert c.call("BZPOPMAX", "z", "1") == [b"z", b"c", s("3.5")]
    reply = c.call("BZPOPMAX", "z", "0")
    assert reply == [b"z", b"b", s("2")]
    if proto == 3:
        assert isinstance(reply[2], Double)
    assert r.exists("z") == 0
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert c.call("BZMPOP", "1", "2", "missing", "z", "MAX", "COUNT", "2") == [
        b"z", [[b"c", s("3")], [b"b", s("2")]]]
    assert c.call("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5") == [b"z", [[b"a", s("1")]]]
    assert r.exists("z") == 0


@pytest.mark.parametrize("cmd", [
    ("BZPOPMIN", "nothing", "0.3"),
    ("BZPOPMAX", "nothing", "nothing2", "0.3"),
    ("BZMPOP", "0.3", "2", "nothing", "nothing2", "MIN"),
    ("BZMPOP", "0.3", "1", "nothing", "MAX", "COUNT", "3"),
])
def test_bzpop_timeout_returns_nil(r, conns, proto, cmd):
    c = conns()
    t0 = time.monotonic()
    assert c.call(*cmd) == nil(proto)
    elapsed = time.monotonic() - t0
    assert 0.2 <= elapsed <= 2.5, elapsed
    assert blocked_clients(r) == 0


def test_bzpopmin_woken_by_zadd_in_thread(srv, r, proto):
    results = []

    def worker():
        cl = srv.client(protocol=proto, socket_timeout=20)
        try:
            results.append(cl.bzpopmin(["q1", "q2"], timeout=10))
        finally:
            cl.close()

    t = threading.Thread(target=worker)
    t.start()
    try:
        wait_blocked(r, 1)
        assert r.zadd("q2", {"b": 2, "a": 1, "c": 3}) == 3  # the whole ZADD runs first
    finally:
        t.join(timeout=15)
    assert not t.is_alive()
    assert [tuple(x) for x in results] == [("q2", "a", 1.0)]
    assert r.zrange("q2", 0, -1) == ["b", "c"]
    assert blocked_clients(r) == 0


def test_bzpopmax_woken_by_zadd(r, conns, proto):
    waiter = conns()
    waiter.send("BZPOPMAX", "q", "0")
    wait_blocked(r, 1)
    r.zadd("q", {"x": 1.5, "y": 7})
    assert waiter.read() == [b"q", b"y", b"7" if proto == 2 else Double(7)]
    assert r.zrange("q", 0, -1) == ["x"]


def test_bzpopmin_served_in_blocking_order(r, conns):
    waiters = []
    for i in range(3):
        w = conns()
        w.send("BZPOPMIN", "q", "0")
        wait_blocked(r, i + 1)
        waiters.append(w)
    r.zadd("q", {"a": 1, "b": 2, "c": 3})
    assert [w.read()[1] for w in waiters] == [b"a", b"b", b"c"]
    assert r.exists("q") == 0
    assert blocked_clients(r) == 0


def test_bzmpop_woken_by_zadd(r, conns, proto):
    waiter = conns()
    waiter.send("BZMPOP", "0", "2", "k1", "k2", "MIN", "COUNT", "2")
    wait_blocked(r, 1)
    r.zadd("k2", {"c": 3, "b": 2, "a": 1})
    s = (lambda x: x.encode()) if proto == 2 else (lambda x: Double(float(x)))
    assert waiter.read() == [b"k2", [[b"a", s("1")], [b"b", s("2")]]]
    assert r.zrange("k2", 0, -1) == ["c"]


def test_bzpop_not_woken_by_other_keys_noop_zadd_or_other_types(r, conns):
    waiter = conns()
    waiter.send("BZPOPMIN", "q", "0")
    wait_blocked(r, 1)
    r.execute_command("ZADD", "q", "XX", "1", "a")  # adds nothing
    r.zadd("other", {"a": 1})
    r.rpush("q", "not-a-zset")  # a list under the awaited key: the waiter keeps waiting
    time.sleep(0.1)
    assert blocked_clients(r) == 1
    assert r.lrange("q", 0, -1) == ["not-a-zset"]
    r.delete("q")
    r.zadd("q", {"real": 5})
    assert waiter.read()[:2] == [b"q", b"real"]


def test_bzpop_in_multi_does_not_block(c):
    assert c.call("MULTI") == "OK"
    assert c.call("BZPOPMIN", "nothing", "0") == "QUEUED"
    assert c.call("BZMPOP", "0", "1", "nothing", "MIN") == "QUEUED"
    assert c.call("EXEC") == [None, None]


@pytest.mark.parametrize("cmd, error", [
    (["BZPOPMIN", "z", "-1"], "ERR timeout is negative"),
    (["BZPOPMAX", "z", "x"], "ERR timeout is not a float or out of range"),
    (["BZMPOP", "-1", "1", "z", "MIN"], "ERR timeout is negative"),
    (["BZMPOP", "x", "1", "z", "MIN"], "ERR timeout is not a float or out of range"),
    (["BZMPOP", "1", "0", "z", "MIN"], NUMKEYS),
    (["BZMPOP", "1", "1", "z", "MIN", "COUNT", "0"], COUNT_GT0),
    (["BZMPOP", "1", "1", "z", "FOO"], SYNTAX),
    (["BZPOPMIN", "z"], arity("bzpopmin")),
    (["BZPOPMAX"], arity("bzpopmax")),
    (["BZMPOP", "1", "1", "z"], arity("bzmpop")),
])
def test_blocking_errors(r, c, cmd, error):
    assert c.call(*cmd) == Err(error)
    assert blocked_clients(r) == 0


# --------------------------------------------------------------------------------------------
# Arity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ["ZSCORE", "z"],
    ["ZSCORE", "z", "a", "b"],
    ["ZREM", "z"],
    ["ZCARD"],
    ["ZRANK", "z"],
    ["ZREVRANK", "z"],
    ["ZRANGEBYSCORE", "z", "0"],
    ["ZREVRANGEBYSCORE", "z", "0"],
    ["ZREVRANGEBYLEX", "z", "+"],
    ["ZPOPMAX"],
    ["ZMPOP", "1"],
    ["ZUNION", "1"],
    ["ZINTER"],
    ["ZDIFF"],
    ["ZINTERSTORE", "d"],
    ["ZDIFFSTORE", "d", "1"],
    ["ZSCAN"],
])
def test_arity(c, cmd):
    assert c.call(*cmd) == Err(arity(cmd[0].lower()))

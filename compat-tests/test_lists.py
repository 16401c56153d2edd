"""List commands (non-blocking)."""

import pytest
import redis

from conftest import Err, is_redis, nil

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "value is not an integer or out of range"


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def test_push_and_range(r):
    assert r.lpush("l", "a") == 1
    assert r.lpush("l", "b", "c") == 3
    assert r.rpush("l", "d", "e") == 5
    assert r.lrange("l", 0, -1) == ["c", "b", "a", "d", "e"]
    assert r.llen("l") == 5
    assert r.lrange("l", 1, 2) == ["b", "a"]
    assert r.lrange("l", -2, -1) == ["d", "e"]
    assert r.lrange("l", -100, 100) == ["c", "b", "a", "d", "e"]
    assert r.lrange("l", 3, 1) == []
    assert r.lrange("l", 10, 20) == []
    assert r.lrange("missing", 0, -1) == []
    assert r.llen("missing") == 0


def test_pushx(r):
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a") == 0
    assert r.exists("l") == 0
    r.rpush("l", "x")
    assert r.lpushx("l", "a", "b") == 3
    assert r.rpushx("l", "y", "z") == 5
    assert r.lrange("l", 0, -1) == ["b", "a", "x", "y", "z"]


def test_pop(r):
    r.rpush("l", *"abcdef")
    assert r.lpop("l") == "a"
    assert r.rpop("l") == "f"
    assert r.lpop("l", 2) == ["b", "c"]
    assert r.rpop("l", 1) == ["e"]
    assert r.rpop("l", 10) == ["d"]
    assert r.exists("l") == 0  # popping the last element deletes the key
    assert r.lpop("l") is None
    assert r.rpop("l") is None


def test_pop_wire_shapes(raw, proto):
    assert raw.call("LPOP", "missing") == nil(proto)
    assert raw.call("LPOP", "missing", "2") == nil(proto)  # nil array / `_`
    raw.call("RPUSH", "l", "a", "b")
    assert raw.call("LPOP", "l", "0") == []
    assert raw.call("RPOP", "l", "1") == [b"b"]
    assert raw.call("LPOP", "l", "-1") == Err("ERR value is out of range, must be positive")
    assert raw.call("LPOP", "l") == b"a"
    assert raw.call("LINDEX", "l", "0") == nil(proto)
    assert raw.call("LPOS", "l", "zz") == nil(proto)


def test_lindex_lset(r):
    r.rpush("l", "a", "b", "c")
    assert r.lindex("l", 0) == "a"
    assert r.lindex("l", -1) == "c"
    assert r.lindex("l", 5) is None
    assert r.lindex("missing", 0) is None
    assert r.lset("l", 1, "B") is True
    assert r.lset("l", -1, "C") is True
    assert r.lrange("l", 0, -1) == ["a", "B", "C"]
    assert err(r, "LSET", "l", "3", "x") == "index out of range"
    assert err(r, "LSET", "l", "-4", "x") == "index out of range"
    assert err(r, "LSET", "missing", "0", "x") == "no such key"
    assert err(r, "LINDEX", "l", "x") == NOT_INT


def test_lrem(r):
    r.rpush("l", "a", "b", "a", "c", "a", "b")
    assert r.lrem("l", 2, "a") == 2
    assert r.lrange("l", 0, -1) == ["b", "c", "a", "b"]
    assert r.lrem("l", -1, "b") == 1
    assert r.lrange("l", 0, -1) == ["b", "c", "a"]
    r.rpush("l", "c", "c")
    assert r.lrem("l", 0, "c") == 3
    assert r.lrange("l", 0, -1) == ["b", "a"]
    assert r.lrem("l", 0, "zz") == 0
    assert r.lrem("missing", 0, "a") == 0
    assert r.lrem("l", 0, "b") == 1
    assert r.lrem("l", 0, "a") == 1
    assert r.exists("l") == 0


def test_ltrim(r):
    r.rpush("l", *"abcdef")
    assert r.ltrim("l", 1, -2) is True
    assert r.lrange("l", 0, -1) == ["b", "c", "d", "e"]
    assert r.ltrim("l", -2, 100) is True
    assert r.lrange("l", 0, -1) == ["d", "e"]
    assert r.ltrim("l", 5, 10) is True
    assert r.exists("l") == 0
    assert r.ltrim("missing", 0, 1) is True


def test_linsert(r):
    r.rpush("l", "a", "c")
    assert r.linsert("l", "BEFORE", "c", "b") == 3
    assert r.linsert("l", "AFTER", "c", "d") == 4
    assert r.linsert("l", "after", "a", "a2") == 5
    assert r.lrange("l", 0, -1) == ["a", "a2", "b", "c", "d"]
    assert r.linsert("l", "BEFORE", "zz", "x") == -1
    assert r.linsert("missing", "BEFORE", "a", "x") == 0
    assert r.exists("missing") == 0
    assert err(r, "LINSERT", "l", "MIDDLE", "a", "x") == "syntax error"


def test_lpos(r):
    r.rpush("l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert r.lpos("l", "c") == 2
    assert r.lpos("l", "c", rank=2) == 6
    assert r.lpos("l", "c", rank=-1) == 7
    assert r.lpos("l", "c", rank=-3) == 2
    assert r.lpos("l", "c", rank=4) is None
    assert r.lpos("l", "c", count=2) == [2, 6]
    assert r.lpos("l", "c", count=0) == [2, 6, 7]
    assert r.lpos("l", "c", count=0, rank=2) == [6, 7]
    assert r.lpos("l", "c", count=0, rank=-1) == [7, 6, 2]
    assert r.lpos("l", "c", count=0, maxlen=3) == [2]
    assert r.lpos("l", "c", count=0, maxlen=2) == []
    assert r.lpos("l", "c", maxlen=2) is None
    assert r.lpos("l", "zz", count=3) == []
    assert r.lpos("missing", "a") is None
    assert err(r, "LPOS", "l", "c", "RANK", "0") == (
        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        "or use negative to start from the end of the list"
    )
    assert err(r, "LPOS", "l", "c", "COUNT", "-1") == "COUNT can't be negative"
    assert err(r, "LPOS", "l", "c", "MAXLEN", "-1") == "MAXLEN can't be negative"


def test_lmove_rpoplpush(r):
    r.rpush("src", "a", "b", "c")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == "a"
    assert r.lmove("src", "dst", "RIGHT", "LEFT") == "c"
    assert r.lrange("src", 0, -1) == ["b"]
    assert r.lrange("dst", 0, -1) == ["c", "a"]
    assert r.rpoplpush("src", "dst") == "b"
    assert r.exists("src") == 0
    assert r.lrange("dst", 0, -1) == ["b", "c", "a"]
    assert r.lmove("missing", "dst", "LEFT", "LEFT") is None
    # rotation of one list
    assert r.lmove("dst", "dst", "LEFT", "RIGHT") == "b"
    assert r.lrange("dst", 0, -1) == ["c", "a", "b"]
    assert r.rpoplpush("dst", "dst") == "b"
    assert r.lrange("dst", 0, -1) == ["b", "c", "a"]
    r.set("str", "x")
    assert err(r, "LMOVE", "dst", "str", "LEFT", "LEFT") == WRONGTYPE
    assert r.lrange("dst", 0, -1) == ["b", "c", "a"]  # nothing popped on error
    assert err(r, "LMOVE", "dst", "x", "UP", "LEFT") == "syntax error"


def test_lmpop(raw, proto):
    raw.call("RPUSH", "l2", "a", "b", "c")
    assert raw.call("LMPOP", "2", "l1", "l2", "LEFT") == [b"l2", [b"a"]]
    assert raw.call("LMPOP", "2", "l1", "l2", "RIGHT", "COUNT", "5") == [b"l2", [b"c", b"b"]]
    assert raw.call("EXISTS", "l2") == 0
    assert raw.call("LMPOP", "2", "l1", "l2", "LEFT") == nil(proto)
    raw.call("RPUSH", "l1", "x")
    raw.call("RPUSH", "l2", "y")
    assert raw.call("LMPOP", "2", "l1", "l2", "LEFT", "COUNT", "10") == [b"l1", [b"x"]]
    assert raw.call("LMPOP", "0", "l1", "LEFT") == Err("ERR numkeys should be greater than 0")
    assert raw.call("LMPOP", "1", "l2", "LEFT", "COUNT", "0") == Err("ERR count should be greater than 0")
    assert raw.call("LMPOP", "1", "l2", "MIDDLE") == Err("ERR syntax error")


def test_list_commands_on_wrong_type(srv):
    with srv.raw() as c:
        c.call("SET", "s", "v")
        for cmd in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                    ("LPOP", "s"), ("RPOP", "s", "2"), ("LLEN", "s"), ("LRANGE", "s", "0", "-1"),
                    ("LINDEX", "s", "0"), ("LSET", "s", "0", "x"), ("LREM", "s", "0", "x"),
                    ("LTRIM", "s", "0", "1"), ("LINSERT", "s", "BEFORE", "a", "b"),
                    ("LPOS", "s", "a"), ("RPOPLPUSH", "s", "d"), ("LMPOP", "1", "s", "LEFT")):
            assert c.call(*cmd) == Err(WRONGTYPE), cmd
        assert c.call("GET", "s") == b"v"
        assert c.call("LPUSH", "s") == Err("ERR wrong number of arguments for 'lpush' command")


def test_large_list_delete_and_recreate(r):
    n = 10_000
    with r.pipeline(transaction=False) as p:
        for start in range(0, n, 1000):
            p.rpush("big", *[f"e{i}" for i in range(start, start + 1000)])
        p.execute()
    assert r.llen("big") == n
    assert r.lindex("big", 5000) == "e5000"
    assert r.lindex("big", -1) == f"e{n - 1}"
    assert r.lrange("big", 9998, -1) == ["e9998", "e9999"]
    got = r.lrange("big", 0, -1)
    assert got == [f"e{i}" for i in range(n)]
    assert r.delete("big") == 1
    assert r.exists("big") == 0
    assert r.llen("big") == 0
    assert r.rpush("big", "x", "y", "z") == 3
    assert r.lrange("big", 0, -1) == ["x", "y", "z"]
    assert r.lindex("big", 3) is None
    assert r.lpop("big", 10) == ["x", "y", "z"]
    # the same with a list emptied by pops rather than DEL
    r.rpush("big2", *[str(i) for i in range(2000)])
    for _ in range(20):
        r.lpop("big2", 100)
    assert r.exists("big2") == 0
    r.lpush("big2", "only")
    assert r.lrange("big2", 0, -1) == ["only"]


def test_binary_elements(srv):
    c = srv.client(decode=False)
    try:
        vals = [b"", b"\x00\xff", b"a\r\nb", b"x" * 100_000]
        c.rpush("bl", *vals)
        assert c.lrange("bl", 0, -1) == vals
        assert c.lpos("bl", b"a\r\nb") == 2
        assert c.lrem("bl", 0, b"") == 1
    finally:
        c.close()


def test_edge_case_errors_match_redis(r):
    # Found with Valkey's unit/type/list.
    r.rpush("mylist", "a", "b", "c")
    assert err(r, "LPOP", "mylist", "1", "1") == "wrong number of arguments for 'lpop' command"
    assert err(r, "RPOP", "mylist", "2", "2") == "wrong number of arguments for 'rpop' command"
    assert err(r, "LMPOP", "1", "mylist", "RIGHT", "COUNT", "a") == "count should be greater than 0"
    assert err(r, "LPOS", "mylist", "c", "COUNT", "x") == "COUNT can't be negative"
    assert err(r, "LPOS", "mylist", "c", "MAXLEN", "x") == "MAXLEN can't be negative"
    if not is_redis():
        # Valkey refuses it; Redis 7.0 negates it into overflow and answers anyway.
        assert "out of range" in err(r, "LPOS", "mylist", "c", "RANK", "-9223372036854775808")
    assert r.lrange("mylist", 0, -1) == ["a", "b", "c"]

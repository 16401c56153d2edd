"""Generic key commands and expiry."""

import time

import pytest
import redis

from conftest import Err, Simple, nil, wait_until

NO_SUCH_KEY = "no such key"
NOT_INT = "value is not an integer or out of range"


def err(r, *args):
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command(*args)
    return str(e.value)


def test_del_unlink_exists_type(r):
    r.mset({"a": 1, "b": 2, "c": 3})
    r.rpush("l", "x")
    assert r.exists("a") == 1
    assert r.exists("a", "a", "b", "missing") == 3  # duplicates count each time
    assert r.type("a") == "string"
    assert r.type("l") == "list"
    assert r.type("missing") == "none"
    assert r.delete("a", "missing") == 1
    assert r.delete("a") == 0
    assert r.unlink("b", "c", "l", "missing") == 3
    assert r.exists("a", "b", "c", "l") == 0
    assert r.dbsize() == 0


def test_type_reply_is_simple_string(raw, proto):
    raw.call("SET", "s", "v")
    assert raw.call("TYPE", "s") == Simple("string")
    assert isinstance(raw.call("TYPE", "s"), Simple)
    assert raw.call("TYPE", "nothing") == Simple("none")


def test_keys_patterns(r):
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "axb", "other"]
    for n in names:
        r.set(n, 1)
    assert sorted(r.keys("*")) == sorted(names)
    assert sorted(r.keys("h?llo")) == ["hallo", "hello", "hxllo"]
    assert sorted(r.keys("h*llo")) == ["hallo", "heeeello", "hello", "hllo", "hxllo"]
    assert sorted(r.keys("h[ae]llo")) == ["hallo", "hello"]
    assert sorted(r.keys("h[^e]llo")) == ["hallo", "hxllo"]
    assert sorted(r.keys("h[a-b]llo")) == ["hallo"]
    assert r.keys("a\\*b") == ["a*b"]
    assert sorted(r.keys("a*b")) == ["a*b", "axb"]
    assert r.keys("nomatch*") == []


def scan_all(r, **kw):
    seen = []
    cursor = 0
    rounds = 0
    while True:
        cursor, keys = r.scan(cursor=cursor, **kw)
        seen.extend(keys)
        rounds += 1
        assert rounds < 100000, "SCAN did not terminate"
        if cursor == 0:
            return seen


def test_scan_to_completion(r):
    strings = {f"s:{i}" for i in range(300)}
    lists = {f"l:{i}" for i in range(120)}
    with r.pipeline(transaction=False) as p:
        for k in strings:
            p.set(k, "v")
        for k in lists:
            p.rpush(k, "x")
        p.execute()
    everything = strings | lists
    assert set(scan_all(r)) == everything
    assert set(scan_all(r, count=7)) == everything
    assert set(scan_all(r, count=1000)) == everything
    matched = scan_all(r, match="s:1*", count=10)
    assert set(matched) == {k for k in strings if k.startswith("s:1")}
    assert set(scan_all(r, _type="list", count=10)) == lists
    assert set(scan_all(r, _type="string", match="s:2?", count=10)) == {f"s:{i}" for i in range(20, 30)}
    assert scan_all(r, _type="hash") == []


def test_scan_reply_shape_and_errors(srv, raw, proto):
    raw.call("SET", "only", "1")
    cursor, keys = raw.call("SCAN", "0")
    assert isinstance(cursor, bytes) and cursor == b"0"
    assert keys == [b"only"]
    assert raw.call("SCAN", "abc") == Err("ERR invalid cursor")
    assert raw.call("SCAN", "0", "COUNT", "0") == Err("ERR syntax error")
    assert raw.call("SCAN", "0", "BOGUS", "1") == Err("ERR syntax error")
    empty = raw.call("SCAN", "0", "MATCH", "zzz*")
    assert empty[1] == [] and isinstance(empty[0], bytes)


def test_scan_while_keyspace_changes(r):
    stable = {f"stable:{i}" for i in range(200)}
    with r.pipeline(transaction=False) as p:
        for k in stable:
            p.set(k, 1)
        for i in range(200):
            p.set(f"churn:{i}", 1)
        p.execute()
    seen = set()
    cursor, n = 0, 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=20)
        seen.update(keys)
        # keys deleted and added during the iteration must not hide the stable ones
        r.delete(f"churn:{n}")
        r.set(f"new:{n}", 1)
        n += 1
        assert n < 10000
        if cursor == 0:
            break
    assert stable <= seen


def test_scan_is_per_database(srv, r):
    other = srv.client(db=4)
    try:
        r.set("in0", 1)
        other.set("in4", 1)
        assert set(scan_all(r)) == {"in0"}
        assert set(scan_all(other)) == {"in4"}
    finally:
        other.close()


def test_randomkey(r, raw, proto):
    assert raw.call("RANDOMKEY") == nil(proto)
    keys = {f"k{i}" for i in range(20)}
    for k in keys:
        r.set(k, 1)
    for _ in range(20):
        assert r.randomkey() in keys


def test_rename(r):
    r.set("a", "1", ex=100)
    assert r.rename("a", "b") is True
    assert r.exists("a") == 0
    assert r.get("b") == "1"
    assert 98 <= r.ttl("b") <= 100
    r.rpush("l", "x", "y")
    assert r.rename("l", "b") is True  # overwrites whatever type was there
    assert r.type("b") == "list" and r.lrange("b", 0, -1) == ["x", "y"]
    assert r.ttl("b") == -1
    assert r.rename("b", "b") is True
    assert r.lrange("b", 0, -1) == ["x", "y"]
    assert err(r, "RENAME", "missing", "x") == NO_SUCH_KEY
    r.set("dst", "old", ex=50)
    r.set("src", "new")
    r.rename("src", "dst")
    assert r.get("dst") == "new" and r.ttl("dst") == -1


def test_renamenx(r):
    r.set("a", "1")
    r.set("b", "2")
    assert r.renamenx("a", "b") is False
    assert r.get("a") == "1" and r.get("b") == "2"
    assert r.renamenx("a", "c") is True
    assert r.exists("a") == 0 and r.get("c") == "1"
    assert err(r, "RENAMENX", "missing", "x") == NO_SUCH_KEY


def test_copy(srv, r):
    r.set("s", "v", ex=100)
    assert r.copy("s", "s2") is True
    assert r.get("s2") == "v" and 98 <= r.ttl("s2") <= 100
    r.set("s", "changed")
    assert r.get("s2") == "v"
    assert r.copy("s", "s2") is False
    assert r.get("s2") == "v"
    assert r.copy("s", "s2", replace=True) is True
    assert r.get("s2") == "changed"
    r.rpush("l", "a", "b")
    assert r.copy("l", "l2") is True
    r.rpush("l2", "c")
    assert r.lrange("l", 0, -1) == ["a", "b"]
    assert r.lrange("l2", 0, -1) == ["a", "b", "c"]
    assert r.copy("missing", "x") is False
    assert r.exists("x") == 0
    assert err(r, "COPY", "s", "s") == "source and destination objects are the same"
    # to another database
    assert r.copy("l", "l", destination_db=2) is True
    other = srv.client(db=2)
    try:
        assert other.lrange("l", 0, -1) == ["a", "b"]
        other.set("s", "there")
        assert r.copy("s", "s", destination_db=2) is False
        assert r.copy("s", "s", destination_db=2, replace=True) is True
        assert other.get("s") == "changed"
    finally:
        other.close()
    assert err(r, "COPY", "s", "x", "DB", "99") == "DB index is out of range"


def test_touch(r):
    r.set("a", 1)
    r.set("b", 1)
    assert r.touch("a", "b", "missing") == 2


def test_ttl_pttl_persist(r):
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.persist("k") is False
    assert r.expire("k", 100) is True
    assert 98 <= r.ttl("k") <= 100
    assert 98000 <= r.pttl("k") <= 100000
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("missing") is False


def test_expiretime(srv, r):
    with srv.raw() as c:
        assert c.call("EXPIRETIME", "missing") == -2
        assert c.call("PEXPIRETIME", "missing") == -2
        c.call("SET", "k", "v")
        assert c.call("EXPIRETIME", "k") == -1
        assert c.call("PEXPIRETIME", "k") == -1
        at = int(time.time()) + 1000
        assert c.call("EXPIREAT", "k", str(at)) == 1
        assert c.call("EXPIRETIME", "k") == at
        assert c.call("PEXPIRETIME", "k") == at * 1000
        sec = int(time.time()) + 12345
        assert c.call("PEXPIREAT", "k", str(sec * 1000 + 700)) == 1
        assert c.call("PEXPIRETIME", "k") == sec * 1000 + 700
        assert c.call("EXPIRETIME", "k") == sec + 1  # rounded to the nearest second
        assert c.call("PEXPIREAT", "k", str(sec * 1000 + 499)) == 1
        assert c.call("EXPIRETIME", "k") == sec


def test_expire_pexpire_basic(r):
    assert r.expire("missing", 10) is False
    r.set("k", "v")
    assert r.pexpire("k", 100000) is True
    assert 99000 <= r.pttl("k") <= 100000
    assert r.expire("k", -1) is True  # a past expiry deletes the key
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.expireat("k", int(time.time()) - 10) is True
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.pexpireat("k", int(time.time() * 1000) - 10) is True
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.pexpireat("k", int(time.time() * 1000) + 60000) is True
    assert 58 <= r.ttl("k") <= 60


def test_expire_nx_xx_gt_lt(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False  # no TTL yet
    assert r.ttl("k") == -1
    assert r.expire("k", 100, gt=True) is False  # no TTL counts as infinite
    assert r.expire("k", 100, lt=True) is True
    assert r.expire("k", 200, nx=True) is False
    assert 98 <= r.ttl("k") <= 100
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert 198 <= r.ttl("k") <= 200
    assert r.expire("k", 300, lt=True) is False
    assert r.expire("k", 150, lt=True) is True
    assert 148 <= r.ttl("k") <= 150
    assert r.expire("k", 120, xx=True) is True
    assert 118 <= r.ttl("k") <= 120
    r.set("n", "v")
    assert r.expire("n", 100, nx=True) is True
    assert r.pexpire("n", 500000, gt=True) is True
    assert r.expireat("n", int(time.time()) + 10, lt=True) is True
    assert r.pexpireat("n", int(time.time() * 1000) + 5000, xx=True) is True
    assert 3 <= r.ttl("n") <= 5


def test_expire_errors(r):
    r.set("k", "v")
    incompatible = "NX and XX, GT or LT options at the same time are not compatible"
    assert err(r, "EXPIRE", "k", "100", "NX", "XX") == incompatible
    assert err(r, "EXPIRE", "k", "100", "NX", "GT") == incompatible
    assert err(r, "EXPIRE", "k", "100", "GT", "LT") == "GT and LT options at the same time are not compatible"
    assert err(r, "EXPIRE", "k", "100", "BOGUS") == "Unsupported option BOGUS"
    assert err(r, "EXPIRE", "k", "abc") == NOT_INT
    assert err(r, "PEXPIRE", "k", "1.5") == NOT_INT
    assert err(r, "EXPIRE", "k", "9223372036854775807") == "invalid expire time in 'expire' command"
    assert err(r, "PEXPIRE", "k", "9223372036854775807") == "invalid expire time in 'pexpire' command"
    assert r.ttl("k") == -1


def test_lazy_expiry_on_access(r):
    r.set("s", "v", px=150)
    r.rpush("l", "old1", "old2")
    r.pexpire("l", 150)
    time.sleep(0.25)
    assert r.get("s") is None
    assert r.exists("s", "l") == 0
    assert r.ttl("s") == -2
    assert r.lrange("l", 0, -1) == []
    assert r.type("l") == "none"
    # a key recreated after expiry starts empty
    assert r.rpush("l", "new") == 1
    assert r.lrange("l", 0, -1) == ["new"]
    assert r.ttl("l") == -1


def test_active_expiry_without_access(r):
    with r.pipeline(transaction=False) as p:
        for i in range(100):
            p.set(f"vol:{i}", "v", px=200)
        p.set("keep", "v")
        p.execute()
    before = r.info("stats")["expired_keys"]
    assert r.dbsize() == 101
    assert r.info("keyspace")["db0"]["expires"] == 100
    # never touch the volatile keys: only DBSIZE and INFO, until the sweeper has removed them
    wait_until(lambda: r.dbsize() == 1, timeout=8, interval=0.1, msg="active expiry (DBSIZE == 1)")
    assert r.info("stats")["expired_keys"] - before >= 100
    assert r.info("keyspace")["db0"]["keys"] == 1
    assert r.get("keep") == "v"


def test_expire_xx_combines_with_gt_and_lt(r):
    # Found with Valkey's unit/expire: XX may be combined with GT or LT.
    r.set("foo", "bar", ex=200)
    assert r.execute_command("EXPIRE", "foo", "100", "LT", "XX") == 1
    assert 50 <= r.ttl("foo") <= 100
    assert r.execute_command("EXPIRE", "foo", "150", "GT", "XX") == 1
    assert 100 < r.ttl("foo") <= 150
    r.set("plain", "v")
    assert r.execute_command("EXPIRE", "plain", "200", "LT", "XX") == 0
    assert r.execute_command("EXPIRE", "plain", "200", "GT", "XX") == 0
    assert r.ttl("plain") == -1


def test_move(srv, r):
    r.set("mykey", "v")
    r.expire("mykey", 100)
    assert r.execute_command("MOVE", "mykey", "10") == 1
    assert r.exists("mykey") == 0
    r10 = srv.client(protocol=2, db=10)
    assert r10.get("mykey") == "v"
    assert 0 < r10.ttl("mykey") <= 100
    r10.set("other", "x")
    r10.close()
    r.set("other", "y")
    assert r.execute_command("MOVE", "other", "10") == 0  # the target has it
    assert r.get("other") == "y"
    assert r.execute_command("MOVE", "missing", "10") == 0
    assert err(r, "MOVE", "other", "0") == "source and destination objects are the same"
    assert err(r, "MOVE", "other", "notanumber") == NOT_INT
    assert err(r, "MOVE", "other", "16") == "DB index is out of range"


def test_move_list_keeps_elements(r):
    r.rpush("l", "a", "b", "c")
    assert r.execute_command("MOVE", "l", "3") == 1
    assert r.exists("l") == 0
    assert r.execute_command("SWAPDB", "0", "3") is True
    assert r.lrange("l", 0, -1) == ["a", "b", "c"]


def test_swapdb(r):
    r.set("a", "in0")
    r.rpush("l", "x")
    assert r.execute_command("SWAPDB", "0", "1") is True
    assert r.exists("a", "l") == 0
    assert r.dbsize() == 0
    assert r.execute_command("SWAPDB", "1", "0") is True
    assert r.get("a") == "in0"
    assert r.lrange("l", 0, -1) == ["x"]
    assert r.execute_command("SWAPDB", "2", "2") is True
    assert err(r, "SWAPDB", "x", "1") == "invalid first DB index"
    assert err(r, "SWAPDB", "1", "x") == "invalid second DB index"
    assert err(r, "SWAPDB", "0", "99") == "DB index is out of range"


def test_swapdb_wakes_a_client_blocked_on_a_swapped_in_list(srv, r):
    other = srv.client(protocol=2, db=1)
    other.rpush("q", "from1")
    waiter = srv.raw(timeout=10)
    waiter.send("BLPOP", "q", "0")
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, msg="blocked")
    assert r.execute_command("SWAPDB", "0", "1") is True
    assert waiter.read() == [b"q", b"from1"]
    waiter.close()
    other.close()


def test_swapdb_touches_watched_keys(srv, r):
    r.set("w", "1")
    c = srv.client(protocol=2)
    with c.pipeline() as p:
        p.watch("w")
        r.execute_command("SWAPDB", "0", "1")
        p.multi()
        p.ping()
        with pytest.raises(redis.WatchError):
            p.execute()
    c.close()


def test_debug_set_active_expire(r):
    assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    try:
        r.psetex("k", 50, "v")
        time.sleep(0.4)
        # Not swept: the key is still counted, but reads see it gone (lazy expiry).
        assert r.dbsize() == 1
        assert r.exists("k") == 0
    finally:
        assert r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") == "OK"
    r.psetex("k2", 50, "v")
    wait_until(lambda: r.dbsize() == 0, msg="swept")


ZERO_DIGEST = "0" * 40


def digest_value(r, *keys):
    return r.execute_command("DEBUG", "DIGEST-VALUE", *keys)


def test_debug_digest_value_follows_copy_of_every_type(r, raw, proto):
    r.set("s", "value", ex=100)
    r.rpush("l", "a", "b", "c")
    r.hset("h", mapping={"f1": "v1", "f2": "v2"})
    r.sadd("t", "x", "y", "z")
    r.zadd("z", {"one": 1, "two": 2.5})
    r.set("e", "")
    names = ["s", "l", "h", "t", "z", "e"]
    before = r.execute_command("DEBUG", "DIGEST")
    assert len(before) == 40 and before != ZERO_DIGEST
    for k in names:
        assert r.copy(k, k + "-copy") is True
        [d, c] = digest_value(r, k, k + "-copy")
        assert d == c, k
        assert len(d) == 40 and d != ZERO_DIGEST, k
    assert r.execute_command("DEBUG", "DIGEST") != before
    # Distinct contents, distinct digests; a change changes the digest.
    digests = digest_value(r, *names)
    assert len(set(digests)) == len(names)
    r.set("s", "valuf", keepttl=True)
    r.lset("l", 1, "B")
    r.hset("h", "f2", "v3")
    r.sadd("t", "w")
    r.zadd("z", {"two": 3})
    r.append("e", "x")
    for k, old in zip(names, digests):
        assert digest_value(r, k)[0] != old, k
        assert digest_value(r, k + "-copy")[0] == old, k
    # Insertion order does not matter for sets and hashes; it does for lists.
    r.sadd("t1", "a", "b")
    r.sadd("t2", "b", "a")
    r.hset("h1", mapping={"a": "1", "b": "2"})
    r.hset("h2", mapping={"b": "2", "a": "1"})
    r.rpush("l1", "a", "b")
    r.rpush("l2", "b", "a")
    [t1, t2, h1, h2, l1, l2] = digest_value(r, "t1", "t2", "h1", "h2", "l1", "l2")
    assert t1 == t2 and h1 == h2 and l1 != l2
    # The reply is status lines.
    reply = raw.call("DEBUG", "DIGEST-VALUE", "s", "missing")
    assert reply[1] == Simple(ZERO_DIGEST) and isinstance(reply[1], Simple)
    assert isinstance(raw.call("DEBUG", "DIGEST"), Simple)


def test_debug_digest_of_empty_and_missing(r):
    assert r.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST
    assert digest_value(r, "missing") == [ZERO_DIGEST]
    assert digest_value(r) == []
    r.set("k", "v")
    full = r.execute_command("DEBUG", "DIGEST")
    assert full != ZERO_DIGEST
    assert r.execute_command("DEBUG", "DIGEST") == full
    r.delete("k")
    assert r.execute_command("DEBUG", "DIGEST") == ZERO_DIGEST
    assert "wrong number of arguments for 'DIGEST'" in err(r, "DEBUG", "DIGEST", "x")


def test_object_refcount_and_long_star_patterns(r):
    r.set("o", "v")
    assert r.object("refcount", "o") == 1
    assert r.object("refcount", "missing") is None
    # Redis's matcher fails any match that must go on past its 1001st `*` group.
    r.set("a" * 3000, "1")
    assert r.keys("a*" * 1001) == ["a" * 3000]
    assert r.keys("*?" * 1000) == ["a" * 3000]
    assert r.keys("*?" * 1001) == []

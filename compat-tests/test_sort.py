"""SORT and SORT_RO, and CLIENT UNBLOCK, through redis-py.

Reference behaviour is redis-server 7.0:
- SORT orders a list, set or sorted set numerically (ties by the elements' bytes) or with ALPHA
  as strings; an element that is not a number is `ERR One or more scores can't be converted
  into double`; a string or hash key is WRONGTYPE; a missing key sorts as empty;
- BY pattern sorts by the keys it names (`*` replaced by the element, `key->field` a hash field,
  a missing one counting as 0); a BY pattern without `*` does not sort; GET returns what the
  patterns name (`#` the element, nil for missing ones); LIMIT offset count picks a window;
- STORE writes the result as a list (nil as empty strings) and answers its length; an empty
  result deletes the destination; SORT_RO refuses STORE;
- CLIENT UNBLOCK id [TIMEOUT|ERROR] ends a blocking command as a timeout would, or with
  `-UNBLOCKED ...`; it answers 1 if the client was blocked, else 0.
"""

import threading

import pytest
import redis

from conftest import wait_until

NOT_NUMBER = "One or more scores can't be converted into double"


@pytest.fixture
def data(r):
    r.rpush("l", 3, 1, 10, 2)
    r.mset({"w_1": 30, "w_2": 20, "w_3": 10})
    r.hset("h_1", "name", "one")
    r.hset("h_3", "name", "three")
    return r


def test_numeric_alpha_desc_and_limit(data):
    r = data
    assert r.sort("l") == ["1", "2", "3", "10"]
    assert r.sort("l", desc=True) == ["10", "3", "2", "1"]
    assert r.sort("l", alpha=True) == ["1", "10", "2", "3"]
    assert r.sort("l", start=1, num=2) == ["2", "3"]
    assert r.sort("l", start=10, num=2) == []
    assert r.execute_command("SORT", "l", "LIMIT", -5, 2) == ["1", "2"]
    assert r.sort("missing") == []


def test_by_and_get_read_other_keys_and_hash_fields(data):
    r = data
    # 10 has no weight key: it counts as 0.
    assert r.sort("l", by="w_*") == ["10", "3", "2", "1"]
    assert r.sort("l", by="w_*", get=["#", "h_*->name"]) == [
        "10", None, "3", "three", "2", None, "1", "one",
    ]
    assert r.sort("l", by="nosort") == ["3", "1", "10", "2"]
    assert r.sort("l", by="nosort", desc=True) == ["2", "10", "1", "3"]
    assert r.sort("l", get="w_*") == ["30", "20", "10", None]


def test_sets_and_sorted_sets_sort_by_value(r):
    r.sadd("s", 5, 3, 4)
    r.zadd("z", {"b": 1, "a": 2, "c": 3})
    assert r.sort("s") == ["3", "4", "5"]
    assert r.sort("z", alpha=True) == ["a", "b", "c"]
    # A constant BY keeps a sorted set's own order.
    assert r.sort("z", by="nosort") == ["b", "a", "c"]
    assert r.sort("z", by="nosort", desc=True) == ["c", "a", "b"]


def test_store_writes_a_list_and_an_empty_result_deletes_it(data):
    r = data
    r.set("dst", "old")
    assert r.sort("l", get="h_*->name", store="dst") == 4
    assert r.lrange("dst", 0, -1) == ["one", "", "three", ""]
    assert r.ttl("dst") == -1
    assert r.sort("missing", store="dst") == 0
    assert r.exists("dst") == 0


def test_errors(data):
    r = data
    r.sadd("words", "a", "1")
    with pytest.raises(redis.ResponseError, match=NOT_NUMBER):
        r.sort("words")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sort("w_1")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SORT", "l", "BOGUS")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SORT_RO", "l", "STORE", "x")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("SORT", "l", "LIMIT", "a", "1")
    assert r.execute_command("SORT_RO", "l") == ["1", "2", "3", "10"]


def test_sort_store_inside_multi_fails_a_watch_on_its_destination(srv, r):
    r.rpush("dst", "x")
    p = r.pipeline(transaction=True)
    p.watch("dst")
    r.sort("emptylist", store="dst")
    p.multi()
    p.ping()
    with pytest.raises(redis.WatchError):
        p.execute()


def blocked_clients(r):
    return r.info("clients")["blocked_clients"]


@pytest.mark.parametrize("reason", [None, "TIMEOUT", "ERROR"])
def test_client_unblock_ends_a_blocking_pop(srv, r, reason):
    c = srv.client()
    me = c.client_id()
    got = []

    def pop():
        try:
            got.append(c.blpop(["never"], timeout=0))
        except redis.ResponseError as e:
            got.append(str(e))

    t = threading.Thread(target=pop)
    t.start()
    wait_until(lambda: blocked_clients(r) == 1, msg="client blocked")
    args = ["CLIENT", "UNBLOCK", me] + ([reason] if reason else [])
    assert r.execute_command(*args) == 1
    t.join(timeout=10)
    if reason == "ERROR":
        assert got == ["UNBLOCKED client unblocked via CLIENT UNBLOCK"]
    else:
        assert got == [None]
    assert r.execute_command("CLIENT", "UNBLOCK", me) == 0
    # Nothing is left waiting: a push stays in the list.
    r.rpush("never", "v")
    assert r.lrange("never", 0, -1) == ["v"]
    c.close()


def test_replies_before_a_pipelined_blocking_pop_arrive_while_it_waits(srv, r):
    c = srv.raw()
    c.send_raw(b"*3\r\n$5\r\nLPUSH\r\n$5\r\nother\r\n$1\r\nx\r\n*3\r\n$5\r\nBLPOP\r\n$5\r\nempty\r\n$1\r\n0\r\n")
    assert c.read() == 1
    wait_until(lambda: blocked_clients(r) == 1, msg="client blocked")
    r.rpush("empty", "v")
    assert c.read() == [b"empty", b"v"]
    c.close()

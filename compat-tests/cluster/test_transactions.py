"""Transactions and the new data models on a 3-node cluster: MULTI/EXEC and WATCH through
followers (EXEC is one entry in the log, so every replica applies all of it or none), WATCH
failing when another node's client changes the key, and hashes, sets and sorted sets replicated
identically.
"""

import threading

import pytest
import redis

from .conftest import poll

pytestmark = pytest.mark.trident_only


def test_multi_exec_through_a_follower_applies_on_every_replica(cluster3):
    leader = cluster3.wait_stable()
    follower = cluster3.followers(leader)[0]
    f = follower.client()
    try:
        p = f.pipeline(transaction=True)
        p.set("tx:a", "1").incr("tx:n").hset("tx:h", mapping={"x": "1", "y": "2"})
        p.sadd("tx:s", "m1", "m2").zadd("tx:z", {"a": 1, "b": 2}).get("tx:a")
        assert p.execute() == [True, 1, 2, 2, 2, "1"]
    finally:
        f.close()
    cluster3.wait_caught_up()
    for node in cluster3.nodes.values():
        c = node.readonly_client()
        try:
            assert c.get("tx:a") == "1", node.id
            assert c.get("tx:n") == "1", node.id
            assert c.hgetall("tx:h") == {"x": "1", "y": "2"}, node.id
            assert c.smembers("tx:s") == {"m1", "m2"}, node.id
            assert c.zrange("tx:z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.0)], node.id
        finally:
            c.close()


def test_watch_on_a_follower_fails_when_another_node_changes_the_key(cluster3):
    leader = cluster3.wait_stable()
    f1, f2 = cluster3.followers(leader)[:2]
    watcher, other = f1.client(), f2.client()
    try:
        watcher.set("tx:w", "0")
        p = watcher.pipeline(transaction=True)
        p.watch("tx:w")
        assert p.get("tx:w") == "0"
        other.set("tx:w", "changed")  # through another node
        p.multi()
        p.set("tx:w", "mine")
        with pytest.raises(redis.WatchError):
            p.execute()
        assert watcher.get("tx:w") == "changed"
        # Unchanged, the same transaction goes through.
        p = watcher.pipeline(transaction=True)
        p.watch("tx:w")
        p.multi()
        p.set("tx:w", "mine")
        assert p.execute() == [True]
        assert other.get("tx:w") == "mine"
    finally:
        watcher.close()
        other.close()


def test_watch_retry_loops_on_every_node_count_every_increment(cluster3):
    """The classic optimistic-locking loop, from clients on all three nodes at once: every
    increment lands exactly once."""
    nodes = list(cluster3.nodes.values())
    per_client, errors = 30, []
    nodes[0].client().set("tx:counter", 0)

    def work(node):
        c = node.client()
        try:
            for _ in range(per_client):
                def incr(pipe):
                    v = int(pipe.get("tx:counter"))
                    pipe.multi()
                    pipe.set("tx:counter", v + 1)
                c.transaction(incr, "tx:counter")
        except Exception as e:  # reported below
            errors.append((node.id, repr(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in nodes for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a WATCH loop did not finish"
    assert not errors, errors
    cluster3.wait_caught_up()
    for node in nodes:
        c = node.readonly_client()
        try:
            assert c.get("tx:counter") == str(len(threads) * per_client), node.id
        finally:
            c.close()


def test_spop_removes_the_same_members_on_every_replica(cluster3):
    """SPOP's randomness is chosen before the log: replicas pop the same members."""
    nodes = list(cluster3.nodes.values())
    clients = [n.client() for n in nodes]
    try:
        clients[1].sadd("tx:pop", *[f"m{i}" for i in range(200)])
        popped = set()
        for i in range(20):
            popped |= set(clients[i % 3].spop("tx:pop", 3))
        assert len(popped) == 60
    finally:
        for c in clients:
            c.close()
    cluster3.wait_caught_up()
    left = []
    for node in nodes:
        r = node.readonly_client()
        try:
            left.append(r.smembers("tx:pop"))
        finally:
            r.close()
    assert left[0] == left[1] == left[2]
    assert len(left[0]) == 140 and not (left[0] & popped)


def test_min_replicas_to_write_counts_replicas_that_acknowledge_the_leader(cluster3):
    """On the leader, min-replicas-to-write 2 is met while both followers answer; with one
    paused longer than min-replicas-max-lag, writes get NOREPLICAS until it is back."""
    leader = cluster3.wait_stable()
    paused = cluster3.followers(leader)[0]
    c = leader.client()
    try:
        c.config_set("min-replicas-max-lag", "1")
        c.config_set("min-replicas-to-write", "2")
        assert c.set("mr:k", "1")
        paused.pause()
        try:
            poll(lambda: _refused(c), timeout=10, msg="NOREPLICAS with a follower paused")
            assert c.get("mr:k") == "1"  # reads still served
        finally:
            paused.resume()
        poll(lambda: not _refused(c), timeout=10, msg="writes again once it is back")
    finally:
        c.config_set("min-replicas-to-write", "0")
        c.close()


def _refused(c):
    try:
        c.set("mr:k", "1")
        return False
    except redis.ResponseError as e:
        assert "NOREPLICAS Not enough good replicas to write." in str(e)
        return True

"""Pub/sub on a 3-node cluster: a message published through any node reaches the subscribers
of every node, in the order the log applied them (PUBLISH is an entry of the log, as Redis
Cluster broadcasts it to every node); PUBLISH counts the subscribers of one node (the leader,
which applied it for the client), as a Redis Cluster node counts its own.
"""

import time

import pytest

from .conftest import poll

pytestmark = pytest.mark.trident_only


def next_data(p, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if m is not None:
            return m["data"]
    raise AssertionError("no message arrived")


def test_a_message_published_anywhere_reaches_subscribers_on_every_node(cluster3):
    leader = cluster3.wait_stable()
    f1, f2 = cluster3.followers(leader)[:2]
    subs = {}
    for node in (leader, f1, f2):
        c = node.client()
        p = c.pubsub()
        p.subscribe("news")
        subs[node.id] = (c, p)
    for node in (leader, f1, f2):
        c = node.client()
        try:
            poll(lambda: c.pubsub_numsub("news") == [("news", 1)], 10, msg=f"subscribed on {node.id}")
        finally:
            c.close()
    publisher = f1.client()
    try:
        assert publisher.publish("news", "one") == 1
        publisher.publish("news", "two")
        other = f2.client()
        other.publish("news", "three")
        other.close()
    finally:
        publisher.close()
    for node_id, (c, p) in subs.items():
        got = [next_data(p) for _ in range(3)]
        assert got == ["one", "two", "three"], node_id
        p.close()
        c.close()

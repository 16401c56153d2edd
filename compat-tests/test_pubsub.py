"""Pub/sub: SUBSCRIBE PSUBSCRIBE UNSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB, through redis-py's
PubSub object over RESP2 and RESP3, and on the wire.

Reference behaviour is redis-server 7.0:
- each channel or pattern of a (un)subscription gets its own reply, `[kind, name, count]` where
  count is the connection's subscriptions after it (push frames in RESP3);
- a message is `[message, channel, payload]`, or `[pmessage, pattern, channel, payload]` once per
  matching pattern; PUBLISH answers how many subscriptions received it;
- a RESP2 connection with subscriptions takes only (P)(UN)SUBSCRIBE, PING (answered as
  `[pong, message]`), QUIT and RESET; RESP3 takes everything;
- UNSUBSCRIBE without arguments drops every channel; with none held it answers
  `[unsubscribe, nil, 0]`.
"""

import threading
import time

import pytest

from conftest import Err, nil, wait_until

TIMEOUT = 5.0


def next_message(p, timeout=TIMEOUT):
    """The next message (not a subscription reply) a redis-py PubSub gets, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if m is not None:
            return m
    raise AssertionError("no message arrived")


def subscribed(r, channel, n=1):
    """Waits until `channel` has `n` subscribers (subscriptions are asynchronous in redis-py)."""
    wait_until(lambda: dict(r.pubsub_numsub(channel)).get(channel) == n, msg=f"{channel} subscribed")


def test_messages_reach_channel_and_pattern_subscribers(srv, rp, proto):
    p = srv.client(protocol=proto).pubsub()
    p.subscribe("news", "sport")
    p.psubscribe("n*")
    subscribed(rp, "news")
    assert rp.publish("news", "hello") == 2
    assert rp.publish("nothing-here", "x") == 1
    assert rp.publish("weather", "x") == 0
    got = [next_message(p) for _ in range(3)]
    by_kind = sorted((m["type"], m["pattern"], m["channel"], m["data"]) for m in got)
    assert by_kind == [
        ("message", None, "news", "hello"),
        ("pmessage", "n*", "news", "hello"),
        ("pmessage", "n*", "nothing-here", "x"),
    ]
    p.close()


def test_pubsub_introspection_counts_this_servers_subscribers(srv, r):
    a = srv.client().pubsub()
    b = srv.client().pubsub()
    a.subscribe("c1", "c2")
    b.subscribe("c1")
    b.psubscribe("p*", "q*")
    subscribed(r, "c1", 2)
    assert sorted(r.pubsub_channels()) == ["c1", "c2"]
    assert r.pubsub_channels("*2") == ["c2"]
    assert r.pubsub_numsub("c1", "c2", "c3") == [("c1", 2), ("c2", 1), ("c3", 0)]
    assert r.pubsub_numpat() == 2
    a.close()
    b.close()
    wait_until(lambda: r.pubsub_numpat() == 0, msg="patterns dropped on disconnect")
    assert r.pubsub_channels() == []


def test_subscription_replies_on_the_wire(raw, proto):
    assert raw.call("SUBSCRIBE", "w1", "w2") == [b"subscribe", b"w1", 1]
    assert raw.read() == [b"subscribe", b"w2", 2]
    raw.send("PSUBSCRIBE", "w*")
    assert raw.read() == [b"psubscribe", b"w*", 3]
    raw.send("UNSUBSCRIBE")
    first, second = raw.read(), raw.read()
    # Every channel, in no particular order, the count going down as each goes.
    assert {first[1], second[1]} == {b"w1", b"w2"}
    assert (first[0], first[2], second[0], second[2]) == (b"unsubscribe", 2, b"unsubscribe", 1)
    raw.send("PUNSUBSCRIBE", "w*", "never")
    assert raw.read() == [b"punsubscribe", b"w*", 0]
    assert raw.read() == [b"punsubscribe", b"never", 0]
    raw.send("UNSUBSCRIBE")
    assert raw.read() == [b"unsubscribe", nil(proto), 0]


def test_a_resp2_subscriber_takes_only_pubsub_commands(srv):
    c = srv.raw()
    assert c.call("SUBSCRIBE", "r2") == [b"subscribe", b"r2", 1]
    reply = c.call("GET", "k")
    assert isinstance(reply, Err)
    assert reply.startswith("ERR Can't execute 'get': only (P|S)SUBSCRIBE")
    assert c.call("PING") == [b"pong", b""]
    assert c.call("PING", "hi") == [b"pong", b"hi"]
    c.send("UNSUBSCRIBE", "r2")
    assert c.read() == [b"unsubscribe", b"r2", 0]
    assert c.call("PING") == "PONG"
    assert c.call("SET", "k", "v") == "OK"
    c.close()


def test_a_resp3_subscriber_runs_any_command_between_messages(srv):
    c = srv.raw()
    c.call("HELLO", "3")
    assert c.call("SUBSCRIBE", "r3") == [b"subscribe", b"r3", 1]
    assert c.call("SET", "k", "v") == "OK"
    assert c.call("GET", "k") == b"v"
    other = srv.client()
    assert other.publish("r3", "m") == 1
    assert c.read() == [b"message", b"r3", b"m"]
    other.close()
    c.close()


def test_reset_drops_subscriptions(srv, r):
    c = srv.raw()
    c.call("SUBSCRIBE", "reset-me")
    assert c.call("RESET") == "RESET"
    assert r.publish("reset-me", "m") == 0
    assert c.call("GET", "k") is None
    c.close()


def test_publish_inside_multi_counts_in_exec_and_delivers(srv, r):
    p = srv.client().pubsub()
    p.subscribe("t")
    subscribed(r, "t")
    pipe = r.pipeline(transaction=True)
    pipe.set("k", "1")
    pipe.publish("t", "one")
    pipe.publish("t", "two")
    assert pipe.execute() == [True, 1, 1]
    assert [next_message(p)["data"] for _ in range(2)] == ["one", "two"]
    p.close()


def test_messages_keep_their_order_under_concurrent_publishers(srv, r):
    p = srv.client().pubsub()
    p.subscribe("ordered")
    subscribed(r, "ordered")
    per_publisher = 200

    def publish(name):
        c = srv.client()
        for i in range(per_publisher):
            c.publish("ordered", f"{name}:{i}")
        c.close()

    threads = [threading.Thread(target=publish, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    got = [next_message(p)["data"] for _ in range(3 * per_publisher)]
    for name in ("a", "b", "c"):
        mine = [int(m.split(":")[1]) for m in got if m.startswith(name + ":")]
        assert mine == list(range(per_publisher))
    p.close()


@pytest.mark.parametrize("args", [("PUBLISH", "c"), ("PUBSUB",), ("PUBSUB", "NUMPAT", "x")])
def test_bad_pubsub_arguments_get_errors(r, args):
    with pytest.raises(Exception) as e:
        r.execute_command(*args)
    assert "wrong number of arguments" in str(e.value) or "unknown subcommand" in str(e.value)

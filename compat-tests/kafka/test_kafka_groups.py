"""Consumer groups with the assignors and membership librdkafka offers: cooperative-sticky
rebalancing and static membership (group.instance.id)."""

import time

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient

import kutil


def consumer(bs, group, **conf):
    base = {"bootstrap.servers": bs, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": True, "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100}
    base.update(conf)
    return Consumer(base)


def poll_all(consumers, seen, until, timeout=60.0):
    """Polls every consumer in turn until `until()` holds, collecting (partition, offset,
    value) per consumer name into `seen`."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"gave up: {({k: len(v) for k, v in seen.items()})}"
        for name, c in consumers.items():
            m = c.poll(0.05)
            if m is None or m.error():
                continue
            seen.setdefault(name, []).append((m.partition(), m.offset(), m.value()))


def produce(bs, topic, n):
    p = kutil.producer(bs)
    for i in range(n):
        p.produce(topic, key=str(i % 7).encode(), value=f"v{i}".encode())
    kutil.flush_all(p)


def test_cooperative_sticky_group_shares_partitions_and_consumes_everything_once(kafka):
    topic = kutil.create_topic(kafka, kutil.unique("coop"), partitions=4)
    group = kutil.unique("coop-g")
    produce(kafka, topic, 400)
    conf = {"partition.assignment.strategy": "cooperative-sticky"}
    cs = {"a": consumer(kafka, group, **conf), "b": consumer(kafka, group, **conf)}
    try:
        for c in cs.values():
            c.subscribe([topic])
        seen = {}

        def done():
            got = [v for msgs in seen.values() for v in msgs]
            shared = all(len(c.assignment()) == 2 for c in cs.values())
            return len(got) >= 400 and shared

        poll_all(cs, seen, done)
        values = [v for msgs in seen.values() for (_, _, v) in msgs]
        assert sorted(values) == sorted(f"v{i}".encode() for i in range(400))
        owned = [{tp.partition for tp in c.assignment()} for c in cs.values()]
        assert owned[0].isdisjoint(owned[1]) and owned[0] | owned[1] == {0, 1, 2, 3}
        admin = AdminClient({"bootstrap.servers": kafka})  # kept alive until the answer
        g = admin.describe_consumer_groups([group])[group].result(timeout=10)
        assert len(g.members) == 2
        assert g.partition_assignor == "cooperative-sticky"
    finally:
        for c in cs.values():
            c.close()


def test_static_member_restart_keeps_its_partitions_without_a_rebalance(kafka):
    topic = kutil.create_topic(kafka, kutil.unique("static"), partitions=4)
    group = kutil.unique("static-g")
    produce(kafka, topic, 100)
    revoked = []

    def on_revoke(name):
        return lambda c, parts: revoked.append((name, [p.partition for p in parts]))

    def start(name, instance):
        c = consumer(kafka, group, **{"group.instance.id": instance})
        c.subscribe([topic], on_revoke=on_revoke(name))
        return c

    a, b = start("a", "inst-a"), start("b", "inst-b")
    seen = {}
    poll_all({"a": a, "b": b}, seen,
             lambda: len(a.assignment()) == 2 and len(b.assignment()) == 2)
    before = {tp.partition for tp in a.assignment()}
    revoked.clear()
    # A static member's close sends no LeaveGroup: the group keeps its place for it.
    a.close()
    a2 = start("a2", "inst-a")
    try:
        poll_all({"a2": a2, "b": b}, seen, lambda: len(a2.assignment()) == 2)
        assert {tp.partition for tp in a2.assignment()} == before
        # b kept polling all along and never had its partitions taken away.
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            b.poll(0.1)
            a2.poll(0.1)
        assert [r for r in revoked if r[0] == "b" and r[1]] == [], revoked
        assert len(b.assignment()) == 2
    finally:
        a2.close()
        b.close()


def offset_delete(kafka, group, topic):
    """OffsetDelete v0 over a raw socket (confluent-kafka has no call for it): the top-level
    error code and the partition's error code."""
    import struct
    host, port = kafka.rsplit(":", 1)
    body = (kutil.kstring(group) + struct.pack(">i", 1) + kutil.kstring(topic)
            + struct.pack(">ii", 1, 0))
    with kutil.KafkaRaw(host, int(port)) as c:
        rest = c.request(47, 0, body)
    top, _throttle, _topics = struct.unpack(">hii", rest[:10])
    name_len = struct.unpack(">h", rest[10:12])[0]
    at = 12 + name_len
    _parts, _index, code = struct.unpack(">iih", rest[at:at + 10])
    return top, code


def test_offset_delete_refuses_topics_the_group_subscribes_to(kafka):
    from confluent_kafka import TopicPartition
    topic = kutil.create_topic(kafka, kutil.unique("odel"), partitions=1)
    group = kutil.unique("odel-g")
    produce(kafka, topic, 10)
    c = consumer(kafka, group, **{"enable.auto.commit": False})
    c.subscribe([topic])
    seen = {}
    poll_all({"c": c}, seen, lambda: len(seen.get("c", [])) >= 10)
    c.commit(asynchronous=False)
    # A member subscribes to the topic: GROUP_SUBSCRIBED_TO_TOPIC, the offset stays.
    assert offset_delete(kafka, group, topic) == (0, 86)
    c.close()
    kutil.wait_until(lambda: offset_delete(kafka, group, topic) == (0, 0), timeout=30,
                     msg="offsets deletable once the group is empty")
    probe = consumer(kafka, group)
    try:
        assert probe.committed([TopicPartition(topic, 0)], timeout=10)[0].offset < 0
    finally:
        probe.close()

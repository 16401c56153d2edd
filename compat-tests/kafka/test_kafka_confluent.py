"""confluent-kafka (librdkafka): produce with every codec, timestamps, DeleteRecords, and a
consumer group that keeps exactly-once-per-group consumption while a member leaves."""

import collections
import threading
import time

import pytest
from confluent_kafka import (OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException,
                             TopicPartition)

import kutil


def consumer(bs, group, **conf):
    base = {"bootstrap.servers": bs, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "fetch.wait.max.ms": 100}
    base.update(conf)
    return Consumer(base)


# --------------------------------------------------------------------------------------------
# Producer: acks=all, every compression codec
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_produce_acks_all_codec_reads_back(kafka, codec):
    topic = kutil.create_topic(kafka, kutil.unique(f"codec-{codec}"), partitions=3)
    p = kutil.producer(kafka, **{"compression.codec": codec, "linger.ms": 20,
                                 "batch.num.messages": 100})
    d = kutil.Delivery()
    sent = []
    for i in range(600):
        # compressible and incompressible values, some empty, some large
        if i % 7 == 0:
            value = b""
        elif i % 5 == 0:
            value = bytes((i * 31 + j * 7) % 256 for j in range(3000))
        else:
            value = (f"value-{i}-" * (i % 13 + 1)).encode()
        key = f"k{i % 17}".encode()
        sent.append((key, value))
        p.produce(topic, value=value, key=key, on_delivery=d)
        if i % 100 == 0:
            p.poll(0)
    kutil.flush_all(p)
    assert d.errors == []
    assert len(d.acked) == 600
    got = kutil.read_all(kafka, topic, 3)
    assert len(got) == 600
    # what was read is exactly what was acked, at the acked partition and offset
    assert sorted((m[0], m[1], m[2], m[3]) for m in got) == sorted(d.acked)
    # each partition: offsets 0..n-1 without gaps, and the producer's order per key
    by_part = collections.defaultdict(list)
    for m in got:
        by_part[m[0]].append(m[1])
    for part, offsets in by_part.items():
        assert offsets == list(range(len(offsets))), f"partition {part}"
    per_key_sent = collections.defaultdict(list)
    for k, v in sent:
        per_key_sent[k].append(v)
    per_key_got = collections.defaultdict(list)
    for m in sorted(got, key=lambda m: (m[0], m[1])):
        per_key_got[m[2]].append(m[3])
    assert per_key_got == per_key_sent
    # from the middle of a (compressed) batch: the records before are not delivered
    mid = {part: len(offs) // 2 + 1 for part, offs in by_part.items()}
    tail = kutil.read_all(kafka, topic, 3, start=mid)
    assert sorted((m[0], m[1], m[3]) for m in tail) == sorted(
        (m[0], m[1], m[3]) for m in got if m[1] >= mid[m[0]])


def test_produce_to_explicit_partition_and_headers(kafka):
    topic = kutil.create_topic(kafka, kutil.unique("headers"), partitions=4)
    p = kutil.producer(kafka)
    d = kutil.Delivery()
    for i in range(40):
        p.produce(topic, value=f"v{i}".encode(), key=f"k{i}".encode(), partition=i % 4,
                  headers=[("n", str(i).encode()), ("empty", b"")], on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == [] and len(d.acked) == 40
    assert all(int(v[1:]) % 4 == part for part, _, _, v in d.acked)
    c = consumer(kafka, kutil.unique("g"))
    try:
        c.assign([TopicPartition(topic, part, OFFSET_BEGINNING) for part in range(4)])
        seen = {}
        deadline = time.monotonic() + 30
        while len(seen) < 40 and time.monotonic() < deadline:
            for m in c.consume(100, timeout=0.5):
                assert m.error() is None, m.error()
                seen[m.value()] = (m.partition(), m.headers())
    finally:
        c.close()
    assert len(seen) == 40
    for i in range(40):
        part, headers = seen[f"v{i}".encode()]
        assert part == i % 4
        assert headers == [("n", str(i).encode()), ("empty", b"")]


def test_message_larger_than_fetch_limits_still_delivered(kafka):
    """A batch larger than the consumer's fetch limits comes back whole (KIP-74), and the
    records after it follow."""
    topic = kutil.create_topic(kafka, kutil.unique("big"), partitions=1)
    p = kutil.producer(kafka, **{"linger.ms": 0})
    d = kutil.Delivery()
    big = bytes(range(256)) * 3000  # 768000 bytes
    p.produce(topic, value=big, partition=0, on_delivery=d)
    kutil.flush_all(p)
    for i in range(3):
        p.produce(topic, value=f"small{i}".encode(), partition=0, on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == [] and len(d.acked) == 4
    c = consumer(kafka, kutil.unique("g"), **{"max.partition.fetch.bytes": 1024,
                                              "fetch.max.bytes": 2048, "message.max.bytes": 2048,
                                              "receive.message.max.bytes": 4 << 20})
    msgs = []
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + 30
        while len(msgs) < 4 and time.monotonic() < deadline:
            msgs += [m for m in c.consume(10, timeout=0.5) if m.error() is None]
    finally:
        c.close()
    assert [m.offset() for m in msgs] == [0, 1, 2, 3]
    assert msgs[0].value() == big
    assert [m.value() for m in msgs[1:]] == [b"small0", b"small1", b"small2"]


def test_batch_over_message_max_bytes_refused(kafka):
    """A batch over the broker's message.max.bytes (1 MiB + 12 by default) is refused with
    MESSAGE_TOO_LARGE and nothing is written."""
    topic = kutil.create_topic(kafka, kutil.unique("toolarge"), partitions=1)
    p = kutil.producer(kafka, **{"linger.ms": 0, "message.max.bytes": 4 << 20,
                                 "compression.codec": "none", "message.timeout.ms": 10000})
    d = kutil.Delivery()
    p.produce(topic, value=b"z" * (2 << 20), partition=0, on_delivery=d)
    kutil.flush_all(p)
    assert len(d.errors) == 1 and d.acked == []
    assert d.errors[0][0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    p.produce(topic, value=b"fits", partition=0, on_delivery=d)
    kutil.flush_all(p)
    assert [(part, off, v) for part, off, _, v in d.acked] == [(0, 0, b"fits")]
    assert kutil.watermarks(kafka, topic, 1) == [(0, 1)]


def test_produce_auto_creates_topic(kafka):
    """Producing to an unknown topic creates it (auto.create.topics.enable, one partition)."""
    topic = kutil.unique("auto")
    p = kutil.producer(kafka)
    d = kutil.Delivery()
    for i in range(3):
        p.produce(topic, value=f"a{i}".encode(), on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == []
    assert sorted((part, off) for part, off, _, _ in d.acked) == [(0, 0), (0, 1), (0, 2)]
    md = kutil.admin(kafka).list_topics(timeout=10)
    assert len(md.topics[topic].partitions) == 1
    assert [m[3] for m in kutil.read_all(kafka, topic, 1)] == [b"a0", b"a1", b"a2"]


# --------------------------------------------------------------------------------------------
# Lookup by timestamp
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["none", "gzip", "lz4"])
def test_offsets_for_times(kafka, codec):
    """The first offset whose timestamp is at or after the one asked for, also inside a batch
    (compressed or not), as a Kafka broker answers."""
    topic = kutil.create_topic(kafka, kutil.unique(f"times-{codec}"), partitions=1)
    base = int(time.time() * 1000) - 3_600_000
    p = kutil.producer(kafka, **{"linger.ms": 50, "compression.codec": codec})
    d = kutil.Delivery()
    # offsets 0-4 in one batch, 5-9 each in its own batch; timestamp base + 1000 * offset
    for i in range(5):
        p.produce(topic, value=f"t{i}".encode() * 20, partition=0, timestamp=base + 1000 * i,
                  on_delivery=d)
    kutil.flush_all(p)
    for i in range(5, 10):
        p.produce(topic, value=f"t{i}".encode() * 20, partition=0, timestamp=base + 1000 * i,
                  on_delivery=d)
        kutil.flush_all(p)
    assert d.errors == []
    assert [o for _, o, _, _ in d.acked] == list(range(10))
    got = kutil.read_all(kafka, topic, 1)
    assert [m[4] for m in got] == [base + 1000 * i for i in range(10)]

    c = consumer(kafka, kutil.unique("g"))
    try:
        cases = {
            base - 5000: 0,          # before everything: the first offset
            base: 0,
            base + 1: 1,             # inside the first batch
            base + 2500: 3,
            base + 4000: 4,          # last record of the first batch
            base + 4001: 5,          # first of the single batches
            base + 7000: 7,
            base + 8999: 9,
            base + 9000: 9,
            base + 9001: -1,         # after everything: no offset (OFFSET_END)
        }
        found = {}
        for ts in cases:
            res = c.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=10)
            assert len(res) == 1 and res[0].error is None, res
            found[ts] = res[0].offset
    finally:
        c.close()
    wrong = {f"base{ts - base:+d}": (found[ts], want) for ts, want in cases.items()
             if found[ts] != want}
    assert wrong == {}, f"(got, want) by timestamp: {wrong}"


def test_list_offsets_earliest_latest_max_timestamp(kafka):
    """ListOffsets through the admin client: earliest, latest and (KIP-734) the offset of the
    record with the largest timestamp, which need not be a batch's last record."""
    from confluent_kafka.admin import OffsetSpec
    topic = kutil.create_topic(kafka, kutil.unique("maxts"), partitions=1)
    base = int(time.time() * 1000) - 600_000
    p = kutil.producer(kafka, **{"linger.ms": 50})
    d = kutil.Delivery()
    # one batch: timestamps +1000, +9000 (the largest, offset 1), +2000, +3000
    for i, dt in enumerate([1000, 9000, 2000, 3000]):
        p.produce(topic, value=f"m{i}".encode(), partition=0, timestamp=base + dt,
                  on_delivery=d)
    kutil.flush_all(p)
    # a later batch with smaller timestamps
    p.produce(topic, value=b"m4", partition=0, timestamp=base + 500, on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == [] and [o for _, o, _, _ in d.acked] == [0, 1, 2, 3, 4]

    a = kutil.admin(kafka)
    tp = TopicPartition(topic, 0)

    def ask(spec):
        fs = a.list_offsets({tp: spec}, request_timeout=10)
        r = list(fs.values())[0].result(timeout=15)
        return r.offset, r.timestamp

    cases = {
        "earliest": (OffsetSpec.earliest(), 0, None),
        "latest": (OffsetSpec.latest(), 5, None),
        # by timestamp: the first offset (in offset order) whose timestamp is at or after it,
        # with that record's timestamp
        "ts+500": (OffsetSpec.for_timestamp(base + 500), 0, base + 1000),
        "ts+2500": (OffsetSpec.for_timestamp(base + 2500), 1, base + 9000),
        "ts+9001": (OffsetSpec.for_timestamp(base + 9001), -1, None),
        # the record with the largest timestamp (offset 1), not its batch's last (3)
        "max_timestamp": (OffsetSpec.max_timestamp(), 1, base + 9000),
    }
    wrong = {}
    for name, (spec, offset, ts) in cases.items():
        got = ask(spec)
        want = (offset, got[1] if ts is None else ts)
        if got != want:
            wrong[name] = {"got": got, "want": want}
    assert wrong == {}, f"base={base}: {wrong}"


def test_log_append_time_topic(kafka):
    """message.timestamp.type=LogAppendTime: the broker's clock, whatever the producer set."""
    from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME
    topic = kutil.create_topic(kafka, kutil.unique("lat"), partitions=1,
                               config={"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    p = kutil.producer(kafka, **{"linger.ms": 20})
    d = kutil.Delivery()
    for i in range(5):
        p.produce(topic, value=f"v{i}".encode(), partition=0, timestamp=1_000_000 + i,
                  on_delivery=d)
    kutil.flush_all(p)
    after = int(time.time() * 1000)
    assert d.errors == [] and len(d.acked) == 5
    c = consumer(kafka, kutil.unique("g"))
    msgs = []
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + 20
        while len(msgs) < 5 and time.monotonic() < deadline:
            msgs += [m for m in c.consume(10, timeout=0.5) if m.error() is None]
        assert [m.value() for m in msgs] == [f"v{i}".encode() for i in range(5)]
        kinds = {m.timestamp()[0] for m in msgs}
        stamps = {m.timestamp()[1] for m in msgs}
        assert kinds == {TIMESTAMP_LOG_APPEND_TIME}
        assert len(stamps) == 1
        (ts,) = stamps
        # the server's clock, not the producer's 1_000_000 (same host: same clock, give or
        # take the commit; not a timing assertion)
        assert before - 60_000 <= ts <= after + 60_000
        res = c.offsets_for_times([TopicPartition(topic, 0, ts)], timeout=10)
        assert res[0].offset == 0
        res = c.offsets_for_times([TopicPartition(topic, 0, ts + 1)], timeout=10)
        assert res[0].offset == -1
    finally:
        c.close()


# --------------------------------------------------------------------------------------------
# DeleteRecords
# --------------------------------------------------------------------------------------------


def test_delete_records_moves_low_watermark(kafka):
    from confluent_kafka.admin import AdminClient
    if not hasattr(AdminClient, "delete_records"):
        pytest.skip("confluent-kafka without AdminClient.delete_records")
    topic = kutil.create_topic(kafka, kutil.unique("delrec"), partitions=2)
    p = kutil.producer(kafka, **{"linger.ms": 0})
    d = kutil.Delivery()
    for i in range(10):
        p.produce(topic, value=f"a{i}".encode(), partition=0, on_delivery=d)
        kutil.flush_all(p)  # one batch per record, so that any offset is a batch boundary
    for i in range(4):
        p.produce(topic, value=f"b{i}".encode(), partition=1, on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == []
    assert kutil.watermarks(kafka, topic, 2) == [(0, 10), (0, 4)]

    a = kutil.admin(kafka)
    fs = a.delete_records([TopicPartition(topic, 0, 6)], request_timeout=10)
    (res,) = [f.result(timeout=15) for f in fs.values()]
    assert res.low_watermark == 6
    assert kutil.watermarks(kafka, topic, 2) == [(6, 10), (0, 4)]
    got = kutil.read_all(kafka, topic, 2)
    assert [m[3] for m in got if m[0] == 0] == [f"a{i}".encode() for i in range(6, 10)]
    assert [m[1] for m in got if m[0] == 0] == [6, 7, 8, 9]

    # OFFSET_END (-1): everything in the partition
    fs = a.delete_records([TopicPartition(topic, 1, OFFSET_END)], request_timeout=10)
    (res,) = [f.result(timeout=15) for f in fs.values()]
    assert res.low_watermark == 4
    assert kutil.watermarks(kafka, topic, 2) == [(6, 10), (4, 4)]

    # a low watermark never moves back; past the high watermark is out of range
    fs = a.delete_records([TopicPartition(topic, 0, 3)], request_timeout=10)
    (res,) = [f.result(timeout=15) for f in fs.values()]
    assert res.low_watermark == 6
    fs = a.delete_records([TopicPartition(topic, 0, 11)], request_timeout=10)
    with pytest.raises(KafkaException) as e:
        [f.result(timeout=15) for f in fs.values()]
    assert e.value.args[0].code() == KafkaError.OFFSET_OUT_OF_RANGE
    assert kutil.watermarks(kafka, topic, 2) == [(6, 10), (4, 4)]

    # inside a batch: the low watermark is the offset asked for, and reading from the
    # beginning starts there although the batch holding it stays stored
    inb = kutil.create_topic(kafka, kutil.unique("delrec-batch"), partitions=1)
    p = kutil.producer(kafka, **{"linger.ms": 100})
    for i in range(10):
        p.produce(inb, value=f"c{i}".encode(), partition=0, on_delivery=d)
    kutil.flush_all(p)
    assert d.errors == []
    fs = a.delete_records([TopicPartition(inb, 0, 4)], request_timeout=10)
    (res,) = [f.result(timeout=15) for f in fs.values()]
    assert res.low_watermark == 4
    assert kutil.watermarks(kafka, inb, 1) == [(4, 10)]
    assert [(m[1], m[3]) for m in kutil.read_all(kafka, inb, 1)] == [
        (i, f"c{i}".encode()) for i in range(4, 10)]

    # fetching below the low watermark: out of range, reset to the earliest
    c = consumer(kafka, kutil.unique("g"), **{"auto.offset.reset": "earliest"})
    try:
        c.assign([TopicPartition(topic, 0, 2)])
        first = None
        deadline = time.monotonic() + 20
        while first is None and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                first = m
    finally:
        c.close()
    assert first is not None and first.offset() == 6 and first.value() == b"a6"


# --------------------------------------------------------------------------------------------
# Consumer group: 3 members, 6 partitions, 100k keyed messages, one member leaves mid-way
# --------------------------------------------------------------------------------------------

GROUP_MESSAGES = 100_000
GROUP_KEYS = 500


class Member(threading.Thread):
    """One group member: commits synchronously after every processed batch and, for revoked
    partitions, in on_revoke; records what it processed. With `quit_after`, it leaves the
    group (close()) as soon as it has processed that many messages."""

    def __init__(self, bs, topic, group, name, shared, quit_after=None):
        super().__init__(name=name, daemon=True)
        self.topic = topic
        self.shared = shared
        self.quit_after = quit_after
        self.records = []           # (partition, offset, key, value) in processing order
        self.errors = []
        self.next = {}              # partition -> next offset to commit
        self.stop = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.events = []            # ("assign" | "revoke", [partitions])
        self.owned = set()
        self.c = consumer(bs, group, **{"partition.assignment.strategy": "range",
                                        "max.poll.interval.ms": 60000})

    def owns(self):
        with self.lock:
            return set(self.owned)

    def commit(self, partitions=None):
        parts = self.next if partitions is None else {
            p: o for p, o in self.next.items() if p in partitions}
        if not parts:
            return
        offsets = [TopicPartition(self.topic, p, o) for p, o in sorted(parts.items())]
        res = self.c.commit(offsets=offsets, asynchronous=False)
        for tp in res or []:
            if tp.error is not None:
                raise KafkaException(tp.error)

    def on_assign(self, c, parts):
        with self.lock:
            self.events.append(("assign", sorted(p.partition for p in parts)))
            self.owned = {p.partition for p in parts}

    def on_revoke(self, c, parts):
        revoked = {p.partition for p in parts}
        with self.lock:
            self.events.append(("revoke", sorted(revoked)))
            self.owned -= revoked
        try:
            self.commit(revoked)
        except KafkaException as e:
            self.errors.append(f"commit on revoke: {e}")
        for p in revoked:
            self.next.pop(p, None)

    def run(self):
        try:
            self.c.subscribe([self.topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
            while not self.stop.is_set():
                if self.quit_after is not None and len(self.records) >= self.quit_after:
                    break
                batch = self.c.consume(num_messages=500, timeout=0.2)
                processed = 0
                for m in batch:
                    if m.error():
                        if m.error().code() != KafkaError._PARTITION_EOF:
                            self.errors.append(f"message error {m.error()}")
                        continue
                    self.records.append((m.partition(), m.offset(), m.key(), m.value()))
                    self.next[m.partition()] = m.offset() + 1
                    processed += 1
                if processed:
                    self.commit()
                    self.shared.add(processed)
        except Exception as e:  # reported by the test
            self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            try:
                self.c.close()  # on_revoke commits what is left, then LeaveGroup
            except Exception as e:
                self.errors.append(f"close: {e}")
            self.closed.set()


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0

    def add(self, k):
        with self.lock:
            self.n += k

    def value(self):
        with self.lock:
            return self.n


def produce_keyed(p, d, topic, seq, start, stop):
    for i in range(start, stop):
        k = f"key-{(i * 7919) % GROUP_KEYS}"
        n = seq[k]
        seq[k] += 1
        value = f"{k}:{n:06d}:".encode() + b"x" * (i % 70)  # 20-100 bytes
        while True:
            try:
                p.produce(topic, value=value, key=k.encode(), on_delivery=d)
                break
            except BufferError:
                p.poll(0.05)
        if i % 5000 == 0:
            p.poll(0)
    kutil.flush_all(p, timeout=120)


def test_group_of_three_exactly_once_while_one_leaves(kafka):
    """Three members share six partitions (two each) before anything is produced; half the
    messages are produced, one member leaves (close()) after processing 3000 of them, with
    more waiting in its partitions; the other half is produced during/after the rebalance.
    Every message is processed exactly once by the group, in per-key order."""
    topic = kutil.create_topic(kafka, kutil.unique("group6"), partitions=6)
    group = kutil.unique("grp")
    shared = Counter()
    members = [Member(kafka, topic, group, f"member-{i}", shared) for i in range(2)]
    leaver = Member(kafka, topic, group, "leaver", shared, quit_after=3000)
    members.append(leaver)
    p = kutil.producer(kafka, **{"linger.ms": 20, "batch.num.messages": 5000,
                                 "queue.buffering.max.messages": 200000})
    d = kutil.Delivery()
    seq = collections.Counter()
    for m in members:
        m.start()
    try:
        def spread():
            owned = [m.owns() for m in members]
            return all(len(o) == 2 for o in owned) and set().union(*owned) == set(range(6))
        kutil.wait_until(spread, timeout=60,
                         msg=lambda: f"2 partitions each ({[m.events for m in members]})")
        leaver_parts = leaver.owns()

        produce_keyed(p, d, topic, seq, 0, GROUP_MESSAGES // 2)
        assert leaver.closed.wait(60), (
            f"the leaver did not process 3000 and close ({len(leaver.records)} processed)")
        produce_keyed(p, d, topic, seq, GROUP_MESSAGES // 2, GROUP_MESSAGES)
        assert d.errors == [], d.errors[:5]
        assert len(d.acked) == GROUP_MESSAGES

        kutil.wait_until(lambda: shared.value() >= GROUP_MESSAGES, timeout=120,
                         msg=lambda: f"all processed ({shared.value()} of {GROUP_MESSAGES}; "
                                     f"{[m.events for m in members]})")
        kutil.wait_until(lambda: set().union(*[m.owns() for m in members[:2]]) == set(range(6)),
                         timeout=30, msg="the two left to own all six partitions")
    finally:
        for m in members:
            m.stop.set()
        for m in members:
            m.join(30)
    for m in members:
        assert not m.is_alive(), f"{m.name} did not stop"
        assert m.errors == [], f"{m.name}: {m.errors[:5]}"
    hw = kutil.watermarks(kafka, topic, 6)
    assert sum(h for _, h in hw) == GROUP_MESSAGES

    processed = [r for m in members for r in m.records]
    where = collections.Counter((part, off) for part, off, _, _ in processed)
    dups = [po for po, n in where.items() if n > 1]
    assert dups == [], f"{len(dups)} messages processed more than once, e.g. {dups[:5]}"
    assert len(processed) == GROUP_MESSAGES
    assert sorted(processed) == sorted(d.acked)
    assert 3000 <= len(leaver.records) < 3500
    assert {part for part, _, _, _ in leaver.records} <= leaver_parts
    # the leaver's partitions went on with the others, from where the leaver stopped
    for part in leaver_parts:
        mine = [off for pp, off, _, _ in leaver.records if pp == part]
        theirs = [off for m in members[:2] for pp, off, _, _ in m.records if pp == part]
        assert theirs, f"partition {part} was not taken over"
        assert min(theirs) == (max(mine) + 1 if mine else 0)

    # per-key order: as each member processed it, and in the log
    for m in members:
        last = {}
        for part, off, k, v in m.records:
            n = int(v.split(b":")[1])
            assert n > last.get(k, -1), f"{m.name}: key {k} went back to {n}"
            last[k] = n
    per_key = collections.defaultdict(list)
    for part, off, k, v in sorted(processed):
        per_key[k].append((part, int(v.split(b":")[1])))
    assert len(per_key) == GROUP_KEYS
    for k, items in per_key.items():
        assert len({part for part, _ in items}) == 1, f"key {k} in several partitions"
        assert [n for _, n in items] == list(range(seq[k.decode()])), f"key {k}"

    # the group's committed offsets are the high watermarks
    c = consumer(kafka, group)
    try:
        committed = c.committed([TopicPartition(topic, i) for i in range(6)], timeout=10)
    finally:
        c.close()
    assert [(tp.partition, tp.offset) for tp in committed] == [
        (i, hw[i][1]) for i in range(6)]


# --------------------------------------------------------------------------------------------
# Committed offsets across a restart
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("graceful", [True, False], ids=["sigterm", "kill9"])
def test_committed_offsets_survive_restart(kafka_server_factory, graceful):
    srv = kafka_server_factory(fsync="always")
    bs = kutil.bootstrap(srv)
    topic = kutil.create_topic(bs, kutil.unique("commit"), partitions=3)
    group = kutil.unique("grp")
    p = kutil.producer(bs)
    for i in range(90):
        p.produce(topic, value=f"m{i}".encode(), partition=i % 3)
    kutil.flush_all(p)
    del p  # no producer left reconnecting through the restart

    c = consumer(bs, group)
    want = {0: 7, 1: 0, 2: 29}
    try:
        c.subscribe([topic])
        got = collections.Counter()
        deadline = time.monotonic() + 30
        while sum(got.values()) < 90 and time.monotonic() < deadline:
            for m in c.consume(100, timeout=0.5):
                if m.error() is None:
                    got[m.partition()] += 1
        assert sum(got.values()) == 90
        c.commit(offsets=[TopicPartition(topic, part, o) for part, o in want.items()],
                 asynchronous=False)
        before = c.committed([TopicPartition(topic, i) for i in range(3)], timeout=10)
    finally:
        c.close()
    assert [(tp.partition, tp.offset) for tp in before] == sorted(want.items())

    log_before = kutil.read_all(bs, topic, 3)
    assert len(log_before) == 90

    kutil.restart(srv, graceful=graceful)

    assert kutil.read_all(bs, topic, 3) == log_before
    c = consumer(bs, group)
    try:
        after = c.committed([TopicPartition(topic, i) for i in range(3)], timeout=10)
        assert [(tp.partition, tp.offset) for tp in after] == [
            (tp.partition, tp.offset) for tp in before]
        # a new member of the group resumes at the committed offsets
        c.subscribe([topic])
        first = {}
        count = collections.Counter()
        deadline = time.monotonic() + 30
        while sum(count.values()) < 90 - sum(want.values()) and time.monotonic() < deadline:
            for m in c.consume(100, timeout=0.5):
                if m.error() is None:
                    first.setdefault(m.partition(), m.offset())
                    count[m.partition()] += 1
    finally:
        c.close()
    assert first == want
    assert dict(count) == {part: 30 - o for part, o in want.items()}


# --------------------------------------------------------------------------------------------
# Idempotent producer: the server dies mid-flight, no duplicates, nothing acked lost
# --------------------------------------------------------------------------------------------


def test_idempotent_producer_survives_kill_without_duplicates(kafka_server_factory):
    """kill -9 and restart of the server while an idempotent producer has requests in flight:
    librdkafka keeps its producer id and epoch and resends with the same sequence numbers; the
    sequence state is part of the stored partition state, so what had been written before the
    kill is recognised. Nothing is duplicated and nothing acknowledged is missing."""
    srv = kafka_server_factory(fsync="always")
    bs = kutil.bootstrap(srv)
    topic = kutil.create_topic(bs, kutil.unique("idem"), partitions=3)
    total = 30_000
    # a short queue: producing waits for deliveries, so the kill lands with the queue full
    # and requests in flight
    p = kutil.producer(bs, **{"enable.idempotence": True, "acks": "all", "linger.ms": 5,
                              "batch.num.messages": 200, "message.timeout.ms": 120000,
                              "queue.buffering.max.messages": 2000,
                              "retry.backoff.ms": 50, "reconnect.backoff.ms": 50,
                              "reconnect.backoff.max.ms": 500})
    d = kutil.Delivery()
    failures = []

    def produce_all():
        try:
            for i in range(total):
                while True:
                    try:
                        p.produce(topic, value=f"idem-{i:06d}".encode(), key=str(i % 97).encode(),
                                  on_delivery=d)
                        break
                    except BufferError:
                        p.poll(0.05)
                if i % 100 == 0:
                    p.poll(0)
        except Exception as e:
            failures.append(e)

    t = threading.Thread(target=produce_all, daemon=True)
    t.start()
    kutil.wait_until(lambda: len(d.acked) >= total // 5, timeout=60,
                     msg=lambda: f"a fifth acked ({len(d.acked)})")
    acked_before_kill = len(d.acked)
    pending_at_kill = len(p)  # queued or in flight
    srv.kill()
    srv.start()
    kutil.wait_kafka_ready(srv)
    t.join(120)
    assert not t.is_alive() and failures == []
    kutil.flush_all(p, timeout=120)
    assert acked_before_kill < total and pending_at_kill > 0, "nothing was in flight at the kill"
    fatal = [e for e, _, _ in d.errors if e.fatal()]
    assert fatal == [], fatal[:5]
    assert d.errors == [], d.errors[:5]
    assert len(d.acked) == total

    got = kutil.read_all(bs, topic, 3, timeout=60)
    values = collections.Counter(m[3] for m in got)
    dups = sorted(v for v, n in values.items() if n > 1)
    assert dups == [], f"{len(dups)} duplicated values, e.g. {dups[:5]}"
    acked = {v for _, _, _, v in d.acked}
    missing = sorted(acked - set(values))
    assert missing == [], f"{len(missing)} acked values missing, e.g. {missing[:5]}"
    assert len(got) == total
    # and each acked offset holds the acked value
    at = {(m[0], m[1]): m[3] for m in got}
    assert all(at.get((part, off)) == v for part, off, _, v in d.acked)


def test_idempotent_producer_connection_cut_after_answer_no_duplicates(kafka_server_factory,
                                                                        closing):
    """A proxy drops the server's answer to a Produce (applied, never acknowledged) and cuts
    the connection, four times: the producer resends those batches with the same producer id
    and sequence numbers, and the server must recognise them as duplicates."""
    proxy = closing(kutil.CuttingProxy("127.0.0.1", cuts=4, after=(5, 17, 30, 2)))
    srv = kafka_server_factory(config=f"[kafka]\nadvertised_port = {proxy.port}\n")
    proxy.start(srv.kafka_port)
    bs = f"127.0.0.1:{proxy.port}"
    md = kutil.metadata_v1(srv.host, srv.kafka_port, topics=[])
    assert [(b[1], b[2]) for b in md["brokers"]] == [("127.0.0.1", proxy.port)]
    topic = kutil.create_topic(bs, kutil.unique("idemcut"), partitions=2)
    total = 20_000
    p = kutil.producer(bs, **{"enable.idempotence": True, "acks": "all", "linger.ms": 2,
                              "batch.num.messages": 100, "message.timeout.ms": 120000,
                              "retry.backoff.ms": 20, "reconnect.backoff.ms": 20,
                              "reconnect.backoff.max.ms": 200})
    d = kutil.Delivery()
    for i in range(total):
        while True:
            try:
                p.produce(topic, value=f"cut-{i:06d}".encode(), partition=i % 2, on_delivery=d)
                break
            except BufferError:
                p.poll(0.05)
        if i % 100 == 0:
            p.poll(0)
    kutil.flush_all(p, timeout=120)
    assert len(proxy.dropped) == 4, f"only {len(proxy.dropped)} answers dropped"
    assert d.errors == [], d.errors[:5]
    assert len(d.acked) == total

    got = kutil.read_all(kutil.bootstrap(srv), topic, 2, timeout=60)
    values = collections.Counter(m[3] for m in got)
    dups = sorted(v for v, n in values.items() if n > 1)
    assert dups == [], f"{len(dups)} duplicated values, e.g. {dups[:5]}"
    assert len(got) == total
    # per partition, the producer's order
    for part in range(2):
        vals = [int(m[3].split(b"-")[1]) for m in got if m[0] == part]
        assert vals == list(range(part, total, 2))
    at = {(m[0], m[1]): m[3] for m in got}
    assert all(at.get((part, off)) == v for part, off, _, v in d.acked)


def test_plain_producer_through_cutting_proxy_duplicates(kafka_server_factory, closing):
    """The control for the test above: without idempotence the same cuts do duplicate
    (at-least-once), which shows the proxy really makes the producer resend applied batches."""
    proxy = closing(kutil.CuttingProxy("127.0.0.1", cuts=2, after=(5, 17)))
    srv = kafka_server_factory(config=f"[kafka]\nadvertised_port = {proxy.port}\n")
    proxy.start(srv.kafka_port)
    bs = f"127.0.0.1:{proxy.port}"
    topic = kutil.create_topic(bs, kutil.unique("plaincut"), partitions=1)
    total = 5_000
    p = kutil.producer(bs, **{"enable.idempotence": False, "linger.ms": 2,
                              "batch.num.messages": 100, "retry.backoff.ms": 20,
                              "reconnect.backoff.ms": 20})
    d = kutil.Delivery()
    for i in range(total):
        p.produce(topic, value=f"p-{i:06d}".encode(), on_delivery=d)
        if i % 100 == 0:
            p.poll(0)
    kutil.flush_all(p)
    assert len(proxy.dropped) == 2
    assert d.errors == [] and len(d.acked) == total
    got = kutil.read_all(kutil.bootstrap(srv), topic, 1)
    values = collections.Counter(m[3] for m in got)
    assert set(values) == {f"p-{i:06d}".encode() for i in range(total)}
    assert len(got) > total, "no batch was written twice: the proxy cut nothing in flight"

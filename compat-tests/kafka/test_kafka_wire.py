"""Malformed and unusual Kafka frames over raw sockets: the connection is closed (or answered as
Kafka does), and the server keeps serving fresh connections."""

import socket
import struct
import time

import pytest

import kutil
from kutil import API_VERSIONS, METADATA, KafkaRaw, frame, request_header

MAX_REQUEST = 100 * 1024 * 1024  # socket.request.max.bytes default


def assert_alive(srv):
    """The process runs and a fresh connection gets ApiVersions and Metadata answered."""
    assert srv.alive(), f"server died (exit {srv.proc and srv.proc.poll()})\n{srv.log_tail()}"
    err, ranges = kutil.api_versions_v0(srv.host, srv.kafka_port)
    assert err == 0
    assert ranges[API_VERSIONS][0] == 0
    md = kutil.metadata_v1(srv.host, srv.kafka_port, topics=[])
    assert [(b[1], b[2]) for b in md["brokers"]] == [(srv.host, srv.kafka_port)]
    assert md["controller"] == md["brokers"][0][0]


def test_api_versions_each_version(ksrv):
    for version in range(0, 4):
        flexible = version >= 3
        body = b""
        if flexible:
            # client_software_name, client_software_version (compact strings), tagged fields
            body = b"\x07compat" + b"\x041.0" + b"\x00"
        with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
            rest = c.request(API_VERSIONS, version, body, correlation_id=100 + version,
                             flexible=flexible)
        r = kutil.Reader(rest)
        assert r.i16() == 0, f"ApiVersions v{version} error"
        if flexible:
            n = r.take(1)[0] - 1  # compact array length (fewer than 127 entries)
            keys = []
            for _ in range(n):
                keys.append((r.i16(), r.i16(), r.i16()))
                assert r.take(1) == b"\x00"  # no tagged fields
        else:
            keys = r.array(lambda: (r.i16(), r.i16(), r.i16()))
        ranges = {k: (lo, hi) for k, lo, hi in keys}
        assert len(ranges) == len(keys) >= 20
        assert ranges[API_VERSIONS] == (0, 3)
        assert ranges[METADATA][0] == 0
        assert all(lo <= hi for lo, hi in ranges.values())
        if version >= 1:
            assert r.i32() == 0  # throttle time
        if flexible:
            tags = r.take(1)[0]  # tagged fields (supported/finalized features): none or some
            if tags == 0:
                assert r.rest() == 0
        else:
            assert r.rest() == 0


def test_api_versions_unsupported_version_gets_v0_ranges(ksrv):
    # librdkafka-style: a version newer than the broker knows, header v2 (flexible).
    body = b"\x07compat" + b"\x041.0" + b"\x00"
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        rest = c.request(API_VERSIONS, 99, body, correlation_id=4242, flexible=True)
        err, ranges = kutil.parse_api_versions_v0(rest)
        assert err == 35, f"error code {err}, want UNSUPPORTED_VERSION (35)"
        assert ranges[API_VERSIONS] == (0, 3)
        assert ranges[0][0] <= ranges[0][1]  # Produce
        assert ranges[1][0] <= ranges[1][1]  # Fetch
        assert METADATA in ranges
        assert all(lo <= hi for lo, hi in ranges.values())
        # the connection stays usable: the client retries with a version both know
        err, again = kutil.parse_api_versions_v0(c.request(API_VERSIONS, 0, b"", 4243))
        assert err == 0 and again == ranges
    assert_alive(ksrv)


@pytest.mark.parametrize("size", [-1, -2**31, MAX_REQUEST + 1, 2**31 - 1],
                         ids=["minus1", "int-min", "max+1", "int-max"])
def test_bad_frame_size_closes(ksrv, size):
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(struct.pack(">i", size) + request_header(API_VERSIONS, 0, 1))
        assert c.closed_by_server()
    assert_alive(ksrv)


def test_truncated_frame_then_eof(ksrv):
    """The size promises more than is sent, then the client half-closes: no answer, closed."""
    payload = request_header(METADATA, 1, 9) + struct.pack(">i", -1)
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(struct.pack(">i", len(payload) + 50) + payload)
        c.sock.shutdown(socket.SHUT_WR)
        assert c.closed_by_server()
    assert_alive(ksrv)


@pytest.mark.parametrize("payload", [
    b"",                       # zero-length frame
    b"\x00\x03\x00",           # shorter than a header
    b"\x00\x03\x00\x01\x00\x00\x00\x05\x00",  # client id length cut off
    b"\x00\x03\x00\x01\x00\x00\x00\x05\x7f\xff" + b"x" * 10,  # client id longer than frame
], ids=["empty", "short-header", "cut-client-id", "long-client-id"])
def test_truncated_header_closes(ksrv, payload):
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(frame(payload))
        assert c.closed_by_server()
    assert_alive(ksrv)


@pytest.mark.parametrize("body", [
    b"\xff",                                # topic count cut off
    b"\x00\x00\x00\x02\x00\x05ab",          # two topics, first name cut off
    b"\x00\x00\x00\x01\x80\x00",            # negative (non-null) string length
], ids=["cut-count", "cut-name", "negative-name"])
def test_garbage_metadata_body_closes(ksrv, body):
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(frame(request_header(METADATA, 1, 11) + body))
        assert c.closed_by_server()
    assert_alive(ksrv)


@pytest.mark.parametrize("key", [9999, -1, 32767], ids=["9999", "minus1", "32767"])
def test_unknown_api_key_closes(ksrv, key):
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(frame(request_header(key, 0, 12)))
        assert c.closed_by_server()
    assert_alive(ksrv)


@pytest.mark.parametrize("key,version", [(METADATA, 99), (0, 0), (1, 0)],
                         ids=["metadata-v99", "produce-v0", "fetch-v0"])
def test_unsupported_version_closes(ksrv, key, version):
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(frame(request_header(key, version, 13) + b"\x00" * 16))
        assert c.closed_by_server()
    assert_alive(ksrv)


@pytest.mark.parametrize("version,count", [
    (1, struct.pack(">i", 0x7FFFFFFF)),     # Metadata v1: int32 array length
    (4, struct.pack(">i", 0x7FFFFFFF)),     # v4: same, allow_auto_topic_creation after
    (9, b"\xff\xff\xff\xff\x0f"),           # v9 (flexible): compact length 2^32-1 as uvarint
], ids=["v1", "v4", "v9-compact"])
def test_absurd_array_length_does_not_crash(ksrv, version, count):
    """A topic count of ~2^31 followed by a few bytes: the request cannot be that long, so the
    decoder must fail on the missing bytes, not try to reserve room for 2^31 topics."""
    flexible = version >= 9
    payload = request_header(METADATA, version, 14, flexible=flexible) + count + b"\x00\x01a"
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(frame(payload))
        try:
            c.closed_by_server()
        except AssertionError:
            pass  # an answer is acceptable too; what matters is that the server lives on
        except OSError:
            pass
    assert_alive(ksrv)


def test_pipelined_requests_answered_in_order(ksrv):
    """Several requests written at once get their answers in order, by correlation id."""
    data = b"".join(frame(request_header(API_VERSIONS, 0, 500 + i)) for i in range(5))
    data += frame(request_header(METADATA, 1, 505) + struct.pack(">i", 0))
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        c.send(data)
        ids = [c.read_frame()[0] for _ in range(6)]
    assert ids == list(range(500, 506))


def test_raw_produce_checks_batches(ksrv):
    """Produce v3 with hand-built batches: a good one is appended at offset 0, a bad CRC is
    CORRUPT_MESSAGE (2), a batch cut short is CORRUPT_MESSAGE, and neither is stored."""
    topic = kutil.unique("raw")
    bs = kutil.bootstrap(ksrv)
    kutil.create_topic(bs, topic, partitions=1)
    ts = int(time.time() * 1000) - 1000
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        good = kutil.record_batch([b"one", b"two", b"three"], base_ts=ts)
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 0, good), 21))
        assert res == [(topic, 0, 0, 0)]
        bad = kutil.record_batch([b"four"], corrupt_crc=True)
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 0, bad), 22))
        assert res == [(topic, 0, 2, -1)]
        cut = kutil.record_batch([b"five", b"six"])[:-3]
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 0, cut), 23))
        assert res[0][:3] == (topic, 0, 2)
        # an unknown partition
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 5, good), 24))
        assert res[0][:3] == (topic, 5, 3)  # UNKNOWN_TOPIC_OR_PARTITION
        again = kutil.record_batch([b"seven"])
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 0, again), 25))
        assert res == [(topic, 0, 0, 3)]
    got = kutil.read_all(bs, topic, 1)
    assert [(m[1], m[3]) for m in got] == [(0, b"one"), (1, b"two"), (2, b"three"),
                                           (3, b"seven")]
    assert [m[4] for m in got][:3] == [ts + i for i in range(3)]


def test_raw_produce_acks0_gets_no_answer(ksrv):
    """acks=0: no response at all; the next request's answer is the next frame."""
    topic = kutil.unique("acks0")
    bs = kutil.bootstrap(ksrv)
    kutil.create_topic(bs, topic, partitions=1)
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        batch = kutil.record_batch([b"fire", b"forget"])
        c.send(frame(request_header(0, 3, 31) + kutil.produce_v3_body(topic, 0, batch, acks=0)))
        rest = c.request(API_VERSIONS, 0, b"", correlation_id=32)
        assert kutil.parse_api_versions_v0(rest)[0] == 0
    got = kutil.wait_until(lambda: kutil.read_all(bs, topic, 1) or None, timeout=10,
                           msg="the acks=0 batch readable")
    assert [m[3] for m in got] == [b"fire", b"forget"]


def test_raw_idempotent_sequences(ksrv):
    """An idempotent producer's batches by hand: a resend of the last batch is answered with
    its first offset and not stored again; a gap in the sequence is OUT_OF_ORDER_SEQUENCE (45);
    an older epoch is INVALID_PRODUCER_EPOCH (47)."""
    topic = kutil.unique("seq")
    bs = kutil.bootstrap(ksrv)
    kutil.create_topic(bs, topic, partitions=1)
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        r = kutil.Reader(c.request(22, 0, kutil.kstring(None) + struct.pack(">i", 60000), 40))
        r.i32()  # throttle
        assert r.i16() == 0
        pid, epoch = struct.unpack(">q", r.take(8))[0], r.i16()
        assert pid >= 0 and epoch >= 0

        def send(values, seq, ep=epoch, corr=[41]):
            corr[0] += 1
            b = kutil.record_batch(values, producer=(pid, ep, seq))
            return kutil.parse_produce_v3(
                c.request(0, 3, kutil.produce_v3_body(topic, 0, b), corr[0]))[0][2:]

        assert send([b"a", b"b"], 0) == (0, 0)
        assert send([b"c"], 2) == (0, 2)
        assert send([b"c"], 2) == (0, 2)          # resend: same offset, not stored again
        assert send([b"a", b"b"], 0) == (0, 0)    # an older batch still remembered
        assert send([b"e"], 4)[0] == 45           # gap: 3 is missing
        assert send([b"d"], 3) == (0, 3)
        if epoch > 0:
            assert send([b"x"], 0, ep=epoch - 1)[0] == 47
        assert send([b"e"], 0, ep=epoch + 1) == (0, 4)  # a new epoch starts at 0
        assert send([b"f"], 1, ep=epoch)[0] == 47       # the old epoch is fenced now
    got = kutil.read_all(bs, topic, 1)
    assert [m[3] for m in got] == [b"a", b"b", b"c", b"d", b"e"]


@pytest.mark.parametrize("case", ["count-lies", "count-short", "gzip-garbage", "trailing-bytes"])
def test_raw_produce_refuses_batches_whose_records_do_not_match(ksrv, case):
    """Batches with a valid CRC whose records do not match the header, or do not decompress,
    are refused as a Kafka broker refuses them (it iterates every record when it validates a
    batch; CORRUPT_MESSAGE or INVALID_RECORD), and nothing is stored: a stored one would
    break every consumer of the partition, or move its offsets by what the header claims."""
    topic = kutil.unique("lies")
    bs = kutil.bootstrap(ksrv)
    kutil.create_topic(bs, topic, partitions=1)
    if case == "count-lies":        # says 1000 records, holds 2
        batch = kutil.record_batch([b"a", b"b"], count=1000)
    elif case == "count-short":     # says 2 records, holds 3
        batch = kutil.record_batch([b"a", b"b", b"c"], count=2)
    elif case == "gzip-garbage":    # gzip attribute, bytes that are no gzip stream
        batch = kutil.record_batch([b"x"], attributes=1, records=b"\x00garbage" * 8)
    else:                           # 2 records and bytes after them
        good = kutil.record_batch([b"a", b"b"])
        records = good[61:] + b"\x01\x02\x03"
        batch = kutil.record_batch([b"a", b"b"], records=records)
    with KafkaRaw(ksrv.host, ksrv.kafka_port) as c:
        res = kutil.parse_produce_v3(c.request(0, 3, kutil.produce_v3_body(topic, 0, batch), 51))
    assert len(res) == 1 and res[0][:2] == (topic, 0)
    assert res[0][2] in (2, 87), f"error code {res[0][2]} (want CORRUPT_MESSAGE or INVALID_RECORD)"
    assert kutil.watermarks(bs, topic, 1) == [(0, 0)]

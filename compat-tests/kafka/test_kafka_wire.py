"""Malformed and unusual Kafka frames over raw sockets: the connection is closed (or answered as
Kafka does), and the server keeps serving fresh connections."""

import socket
import struct

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
            n = rest[2] - 1  # compact array length (< 128 entries)
            assert n >= 20
        else:
            keys = r.array(lambda: (r.i16(), r.i16(), r.i16()))
            ranges = {k: (lo, hi) for k, lo, hi in keys}
            assert ranges[API_VERSIONS] == (0, 3)
            assert ranges[METADATA][0] == 0
            if version >= 1:
                assert r.i32() == 0  # throttle time
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

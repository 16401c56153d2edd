"""Raw protocol v4 frames: version negotiation, OPTIONS/STARTUP, stream ids, bad input."""

import socket
import struct

import pytest

import cqlutil
from cqlutil import ERROR, OPTIONS, QUERY, READY, RESULT, STARTUP, SUPPORTED, frame, read_frame


def connect(srv):
    return socket.create_connection((srv.host, srv.cql_port), timeout=5)


def startup(sock):
    sock.sendall(frame(STARTUP, cqlutil.string_map({"CQL_VERSION": "3.0.0"})))
    assert read_frame(sock)[2] == READY


def test_v5_gets_the_downgrade_error(cql_server):
    with connect(cql_server) as s:
        s.sendall(frame(OPTIONS, stream=7, version=5))
        version, stream, opcode, body = read_frame(s)
        assert (version, stream, opcode) == (0x84, 7, ERROR)
        code, msg = cqlutil.error_of(body)
        assert code == 0x000A and "Invalid or unsupported protocol version" in msg


def test_options_and_startup(cql_server):
    with connect(cql_server) as s:
        s.sendall(frame(OPTIONS, stream=3))
        version, stream, opcode, body = read_frame(s)
        assert (version, stream, opcode) == (0x84, 3, SUPPORTED)
        supported = cqlutil.string_multimap_of(body)
        assert supported.get("CQL_VERSION"), supported
        assert all(v.startswith("3.") for v in supported["CQL_VERSION"]), supported
        assert "COMPRESSION" in supported, supported
        assert "lz4" in supported["COMPRESSION"], supported
        s.sendall(frame(STARTUP, cqlutil.string_map({"CQL_VERSION": "3.0.0"}), stream=4))
        version, stream, opcode, body = read_frame(s)
        assert (version, stream, opcode, body) == (0x84, 4, READY, b"")
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"), stream=5))
        assert read_frame(s)[1:3] == (5, RESULT)


def test_query_before_startup_is_refused(cql_server):
    with connect(cql_server) as s:
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT * FROM system.local")))
        _, _, opcode, body = read_frame(s)
        assert opcode == ERROR and cqlutil.error_of(body)[0] == 0x000A


def test_pipelined_queries_are_answered_on_their_streams(cql_server):
    with connect(cql_server) as s:
        startup(s)
        # one write: a good query on stream 5, a syntax error on stream 9, another good query
        # on stream 300 (v4 stream ids are 16-bit)
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"), stream=5)
                  + frame(QUERY, cqlutil.query_body("SELEC nonsense"), stream=9)
                  + frame(QUERY, cqlutil.query_body("SELECT release_version FROM system.local"),
                          stream=300))
        replies = {}
        for _ in range(3):
            _, stream, opcode, body = read_frame(s)
            assert stream not in replies, f"two replies on stream {stream}"
            replies[stream] = (opcode, body)
        assert set(replies) == {5, 9, 300}, sorted(replies)
        assert replies[5][0] == RESULT and b"key" in replies[5][1]
        assert replies[300][0] == RESULT and b"release_version" in replies[300][1]
        assert replies[9][0] == ERROR and cqlutil.error_of(replies[9][1])[0] == 0x2000


def test_many_pipelined_streams(cql_server):
    with connect(cql_server) as s:
        startup(s)
        s.sendall(b"".join(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"),
                                 stream=i) for i in range(1, 33)))
        streams = []
        for _ in range(32):
            _, stream, opcode, _ = read_frame(s)
            assert opcode == RESULT
            streams.append(stream)
        assert sorted(streams) == list(range(1, 33))


def _still_serves(srv):
    with connect(srv) as s:
        startup(s)
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"), stream=2))
        assert read_frame(s)[1:3] == (2, RESULT)


def test_oversized_frame_is_refused_before_reading_it(cql_server):
    with connect(cql_server) as s:
        startup(s)
        s.sendall(struct.pack(">BBhBI", 4, 0, 3, QUERY, 1 << 30))
        # an ERROR (on the frame's stream or 0) and/or the connection closed, without the
        # server waiting for the GiB that was announced
        try:
            reply = read_frame(s, timeout=5.0)
        except ConnectionResetError:
            reply = None
        if reply is not None:
            assert reply[2] == ERROR and reply[1] in (3, 0), reply
    _still_serves(cql_server)


@pytest.mark.parametrize("garbage", [
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"\x84garbage that is not a request frame at all",
    bytes(range(256)) * 4,
], ids=["http", "response-flag", "bytes"])
def test_garbage_closes_the_connection_and_the_server_stays_up(cql_server, garbage):
    with connect(cql_server) as s:
        s.sendall(garbage)
        frames = cqlutil.closed_by_server(s)
        assert all(f[2] == ERROR for f in frames), frames
    _still_serves(cql_server)


def test_malformed_body_is_an_error_and_the_server_stays_up(cql_server):
    with connect(cql_server) as s:
        startup(s)
        # a QUERY whose [long string] says 4096 bytes and has 5
        s.sendall(frame(QUERY, b"\x00\x00\x10\x00short", stream=1))
        try:
            reply = read_frame(s)
        except ConnectionResetError:
            reply = None
        if reply is not None:
            assert reply[1:3] == (1, ERROR), reply
    _still_serves(cql_server)

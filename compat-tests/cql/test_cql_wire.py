"""Raw protocol v4 frames: version negotiation, OPTIONS/STARTUP, stream ids, bad input."""

import socket
import struct

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
        s.sendall(frame(OPTIONS))
        _, _, opcode, body = read_frame(s)
        assert opcode == SUPPORTED
        assert b"CQL_VERSION" in body and b"COMPRESSION" in body and b"lz4" in body
        startup(s)


def test_query_before_startup_is_refused(cql_server):
    with connect(cql_server) as s:
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT * FROM system.local")))
        _, _, opcode, body = read_frame(s)
        assert opcode == ERROR and cqlutil.error_of(body)[0] == 0x000A


def test_pipelined_streams_are_answered_on_their_stream(cql_server):
    with connect(cql_server) as s:
        startup(s)
        s.sendall(b"".join(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"),
                                 stream=i) for i in range(1, 33)))
        streams = set()
        for _ in range(32):
            _, stream, opcode, _ = read_frame(s)
            assert opcode == RESULT
            streams.add(stream)
        assert streams == set(range(1, 33))


def test_oversized_frame_is_refused_before_reading_it(cql_server):
    with connect(cql_server) as s:
        startup(s)
        s.sendall(struct.pack(">BBhBI", 4, 0, 3, QUERY, 1 << 30))
        frame_ = read_frame(s)
        assert frame_ is None or (frame_[2] == ERROR and frame_[1] == 3)
    with connect(cql_server) as s:
        startup(s)


def test_garbage_closes_the_connection_and_the_server_stays_up(cql_server):
    with connect(cql_server) as s:
        s.sendall(b"\x84garbage that is not a request frame at all")
        try:
            assert read_frame(s) is None or True
        except OSError:
            pass
    with connect(cql_server) as s:
        startup(s)
        s.sendall(frame(QUERY, b"\x00\x00\x10\x00short", stream=1))
        try:
            f = read_frame(s)
            assert f is None or f[2] == ERROR
        except OSError:
            pass
    with connect(cql_server) as s:
        startup(s)
        s.sendall(frame(QUERY, cqlutil.query_body("SELECT key FROM system.local"), stream=2))
        assert read_frame(s)[2] == RESULT

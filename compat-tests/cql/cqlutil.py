"""Helpers of the CQL suite: readiness, driver clusters, cqlsh, raw frames."""

import os
import re
import socket
import struct
import subprocess
import sys
import time

from cassandra.cluster import Cluster


def wait_cql_ready(srv, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((srv.host, srv.cql_port), timeout=0.5):
                return srv
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"CQL listener not ready on {srv.cql_port}\n{srv.log_tail()}")


def cluster(srv, **kw):
    return Cluster([srv.host], port=srv.cql_port, connect_timeout=10,
                   control_connection_timeout=10, **kw)


def keyspace_name(test_name):
    return "ks_" + re.sub(r"[^a-z0-9]", "_", test_name.lower())[:40]


def cqlsh(srv, statement, timeout=60, args=()):
    """Runs `cqlsh host port [args] -e statement`; returns (exit code, stdout, stderr)."""
    exe = os.path.join(os.path.dirname(sys.executable), "cqlsh")
    p = subprocess.run([exe, srv.host, str(srv.cql_port), *args, "-e", statement],
                       capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "CQLSH_NO_BUNDLED": "TRUE"}, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


# -- raw frames (protocol v4) --

OPTIONS, STARTUP, QUERY = 0x05, 0x01, 0x07
ERROR, READY, SUPPORTED, RESULT = 0x00, 0x02, 0x06, 0x08


def frame(opcode, body=b"", stream=0, version=4):
    return struct.pack(">BBhBI", version, 0, stream, opcode, len(body)) + body


def string_map(d):
    out = struct.pack(">H", len(d))
    for k, v in d.items():
        out += struct.pack(">H", len(k)) + k.encode() + struct.pack(">H", len(v)) + v.encode()
    return out


def query_body(text, consistency=1):
    b = text.encode()
    return struct.pack(">I", len(b)) + b + struct.pack(">HB", consistency, 0)


def read_frame(sock, timeout=5.0):
    """(version, stream, opcode, body) of the next frame; None if the server closed."""
    sock.settimeout(timeout)
    head = _read_exact(sock, 9)
    if head is None:
        return None
    version, _flags, stream, opcode, length = struct.unpack(">BBhBI", head)
    body = _read_exact(sock, length)
    return version, stream, opcode, body


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def closed_by_server(sock, timeout=5.0):
    """Reads until the server closes the connection (EOF or reset); the frames it sent before
    (a list of (version, stream, opcode, body); a trailing partial frame is dropped). Raises
    AssertionError if the connection is still open after `timeout`."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    except (socket.timeout, TimeoutError):
        raise AssertionError(f"server kept the connection open for {timeout}s "
                             f"(sent {data[:200]!r})")
    frames = []
    while len(data) >= 9:
        version, _flags, stream, opcode, length = struct.unpack(">BBhBI", data[:9])
        if len(data) < 9 + length:
            break
        frames.append((version, stream, opcode, data[9:9 + length]))
        data = data[9 + length:]
    return frames


def string_multimap_of(body):
    """Decodes a [string multimap] (a SUPPORTED body): {key: [values]}."""
    pos = 0

    def short():
        nonlocal pos
        (v,) = struct.unpack(">H", body[pos:pos + 2])
        pos += 2
        return v

    def string():
        nonlocal pos
        n = short()
        v = body[pos:pos + n].decode()
        pos += n
        return v

    out = {}
    for _ in range(short()):
        k = string()
        out[k] = [string() for _ in range(short())]
    assert pos == len(body), f"{len(body) - pos} bytes after the string multimap"
    return out


def error_of(body):
    code = struct.unpack(">i", body[:4])[0]
    n = struct.unpack(">H", body[4:6])[0]
    return code, body[6:6 + n].decode()

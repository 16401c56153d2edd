"""Malformed, oversized and inline input over raw sockets: the server answers with an error,
closes the offending connection where Redis does, and keeps serving everyone else."""

import random
import socket


from conftest import Simple


def talk(srv, data, timeout=5.0, half_close=False, expect=None):
    """Send bytes, then read everything until the server closes or goes quiet (or, with
    `expect`, until that many bytes arrived and the server then stays quiet for 0.2 s)."""
    s = socket.create_connection((srv.host, srv.port), timeout=timeout)
    s.settimeout(timeout)
    closed = False
    out = b""
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
            if expect is not None and len(out) >= len(expect):
                s.settimeout(0.2)
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except (socket.timeout, TimeoutError):
        pass
    finally:
        s.close()
    return out, closed


def assert_serving(srv):
    with srv.raw(timeout=5) as c:
        assert c.call("PING") == Simple("PONG")
        assert c.call("SET", "alive", "yes") == Simple("OK")
        assert c.call("GET", "alive") == b"yes"


def test_malformed_multibulk_length(srv):
    out, closed = talk(srv, b"*abc\r\n")
    assert out.startswith(b"-ERR Protocol error"), out
    assert out == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert closed
    assert_serving(srv)


def test_oversized_bulk_length(srv):
    out, closed = talk(srv, b"*1\r\n$999999999999\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n", out
    assert closed
    assert_serving(srv)


def test_bad_bulk_length_text(srv):
    out, closed = talk(srv, b"*1\r\n$abc\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n", out
    assert closed
    out, closed = talk(srv, b"*1\r\n$-1\r\n")
    assert out == b"-ERR Protocol error: invalid bulk length\r\n", out
    assert closed
    assert_serving(srv)


def test_huge_multibulk_count(srv):
    for count in (b"9999999999", b"2147483648", b"99999999999999999999999"):
        out, closed = talk(srv, b"*" + count + b"\r\n")
        assert out == b"-ERR Protocol error: invalid multibulk length\r\n", (count, out)
        assert closed
    assert_serving(srv)


def test_large_but_legal_count_is_not_preallocated(srv):
    # Redis accepts a count up to INT_MAX and waits for the elements; a server must not
    # allocate for the announced count up front. Announce, send one element, hang up.
    for _ in range(5):
        out, closed = talk(srv, b"*1000000000\r\n$3\r\nfoo\r\n", timeout=0.5, half_close=True)
        assert out == b"" or out.startswith(b"-ERR Protocol error"), out
    assert_serving(srv)


def test_wrong_type_byte_inside_multibulk(srv):
    out, closed = talk(srv, b"*1\r\n+PING\r\n")
    assert out.startswith(b"-ERR Protocol error"), out
    assert closed
    assert_serving(srv)


def test_too_big_inline_request(srv):
    out, closed = talk(srv, b"a" * (80 * 1024))
    assert out == b"-ERR Protocol error: too big inline request\r\n", out[:200]
    assert closed
    assert_serving(srv)


def test_inline_commands(srv):
    want = b"+PONG\r\n+OK\r\n$1\r\nb\r\n:1\r\n+PONG\r\n"
    out, closed = talk(srv, b"PING\r\nSET a b\r\nGET a\r\nDEL a\r\nPING\n", expect=want)
    assert out == want, out
    assert not closed


def test_inline_empty_lines_are_ignored(srv):
    out, closed = talk(srv, b"\r\n\r\nPING\r\n", expect=b"+PONG\r\n")
    assert out == b"+PONG\r\n", out


def test_inline_quoted_arguments(srv):
    want = b"+OK\r\n$11\r\nhello world\r\n+OK\r\n$8\r\nsingle q\r\n"
    out, _ = talk(srv, b'SET k "hello world"\r\nGET k\r\nSET k2 \'single q\'\r\nGET k2\r\n', expect=want)
    assert out == want, out
    out, closed = talk(srv, b'SET k "unbalanced\r\n')
    assert out == b"-ERR Protocol error: unbalanced quotes in request\r\n", out
    assert closed


def test_unknown_command(srv):
    with srv.raw() as c:
        reply = c.call("foo", "bar", "baz")
        assert reply == "ERR unknown command 'foo', with args beginning with: 'bar' 'baz' "
        assert c.call("foo") == "ERR unknown command 'foo', with args beginning with: "
        assert c.call("PING") == Simple("PONG")  # the connection stays usable
    want = b"-ERR unknown command 'foo', with args beginning with: 'bar' \r\n+PONG\r\n"
    out, closed = talk(srv, b"foo bar\r\nPING\r\n", expect=want)
    assert out == want, out
    assert not closed


def test_protocol_error_does_not_disturb_other_connections(srv):
    with srv.raw() as bystander:
        bystander.call("SET", "k", "v")
        out, closed = talk(srv, b"*abc\r\n")
        assert closed
        assert bystander.call("GET", "k") == b"v"


def test_partial_command_then_disconnect(srv):
    for data in (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe", b"*2\r\n$3\r\nGET", b"*", b"$5\r\nhello"):
        talk(srv, data, timeout=0.3, half_close=True)
    with srv.raw() as c:
        assert c.call("EXISTS", "k") == 0
    assert_serving(srv)


def test_random_garbage_does_not_kill_the_server(srv):
    rng = random.Random(1234)
    alphabet = b"*$+-:\r\n0123456789abcPING \x00\xff"
    for i in range(40):
        n = rng.randint(1, 300)
        blob = bytes(rng.choice(alphabet) for _ in range(n))
        talk(srv, blob, timeout=0.5, half_close=True)
    assert srv.alive()
    assert_serving(srv)


def test_server_still_serves_after_everything(srv):
    assert srv.alive()
    c = srv.client()
    try:
        assert c.ping() is True
        c.set("final", "ok")
        assert c.get("final") == "ok"
    finally:
        c.close()

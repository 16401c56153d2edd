"""redis-cli against the server: one-shot commands and --pipe mass insertion."""

import re
import shutil
import subprocess

import pytest

REDIS_CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli not installed (compat-tests/run installs it)")


def cli(srv, *args, stdin=None, timeout=30, extra=()):
    argv = [REDIS_CLI, "-h", srv.host, "-p", str(srv.port), *extra, *args]
    p = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)
    return p


def out(p):
    return p.stdout.decode(errors="replace")


def test_one_shot_commands(srv):
    p = cli(srv, "SET", "greeting", "hello", "EX", "60")
    assert p.returncode == 0 and out(p) == "OK\n", (out(p), p.stderr)
    p = cli(srv, "GET", "greeting")
    assert p.returncode == 0 and out(p) == "hello\n"
    ttl = int(out(cli(srv, "TTL", "greeting")))
    assert 55 <= ttl <= 60
    assert out(cli(srv, "GET", "nothing-here")) == "\n"
    assert out(cli(srv, "PING")) == "PONG\n"
    assert out(cli(srv, "INCR", "visits")) == "1\n"
    assert out(cli(srv, "INCRBY", "visits", "41")) == "42\n"
    assert out(cli(srv, "RPUSH", "fruits", "apple", "banana", "cherry")) == "3\n"
    assert out(cli(srv, "LRANGE", "fruits", "0", "-1")) == "apple\nbanana\ncherry\n"
    assert out(cli(srv, "--no-raw", "LRANGE", "fruits", "0", "-1")) == (
        '1) "apple"\n2) "banana"\n3) "cherry"\n')
    assert out(cli(srv, "--no-raw", "GET", "nothing-here")) == "(nil)\n"
    assert out(cli(srv, "--no-raw", "LLEN", "fruits")) == "(integer) 3\n"
    assert out(cli(srv, "DBSIZE")) == "3\n"
    assert out(cli(srv, "TYPE", "fruits")) == "list\n"


def test_error_reply_is_printed(srv):
    cli(srv, "SET", "greeting", "hello")
    p = cli(srv, "INCR", "greeting")
    assert "ERR value is not an integer or out of range" in out(p) + p.stderr.decode()
    p = cli(srv, "NOSUCHCOMMAND", "x")
    assert "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x'" in out(p) + p.stderr.decode()


def test_select_db_and_stdin_value(srv):
    assert out(cli(srv, "-n", "2", "SET", "k", "in-two")) == "OK\n"
    assert out(cli(srv, "-n", "2", "GET", "k")) == "in-two\n"
    assert out(cli(srv, "GET", "k")) == "\n"
    assert out(cli(srv, "-x", "SET", "from-stdin", stdin=b"payload bytes")) == "OK\n"
    assert out(cli(srv, "GET", "from-stdin")) == "payload bytes\n"


def test_resp3_mode(srv):
    cli(srv, "SET", "greeting", "hello")
    assert out(cli(srv, "-3", "GET", "greeting")) == "hello\n"
    hello = out(cli(srv, "-3", "HELLO", "3"))
    assert re.search(r"^proto 3$", hello, re.M), hello
    assert out(cli(srv, "-3", "--no-raw", "CONFIG", "GET", "databases")) == '1# "databases" => "16"\n'


def test_interactive_style_stdin_commands(srv):
    p = cli(srv, stdin=b"SET a 1\nINCR a\nGET a\n")
    assert out(p) == "OK\n2\n2\n"


def test_scan_option(srv):
    r = srv.client()
    try:
        r.mset({f"user:{i}": i for i in range(50)})
        r.mset({f"other:{i}": i for i in range(10)})
    finally:
        r.close()
    p = cli(srv, "--scan", "--pattern", "user:*")
    keys = out(p).split()
    assert sorted(set(keys)) == sorted(f"user:{i}" for i in range(50))


def test_password_option(make_server):
    srv = make_server(requirepass="cli-secret")
    p = cli(srv, "PING")
    assert "NOAUTH Authentication required." in out(p) + p.stderr.decode()
    p = cli(srv, "--no-auth-warning", "-a", "cli-secret", "PING")
    assert out(p) == "PONG\n"
    p = cli(srv, "--no-auth-warning", "-a", "wrong", "PING")
    assert "WRONGPASS" in out(p) + p.stderr.decode()


def resp(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def test_pipe_mass_insert_100k(srv):
    n = 100_000
    data = b"".join(resp("SET", f"key:{i}", f"value:{i}") for i in range(n))
    p = cli(srv, "--pipe", stdin=data, timeout=180)
    text = out(p)
    assert p.returncode == 0, (text, p.stderr)
    assert "errors: 0, replies: 100000" in text, text
    assert out(cli(srv, "DBSIZE")) == f"{n}\n"
    assert out(cli(srv, "GET", "key:99999")) == "value:99999\n"
    assert out(cli(srv, "GET", "key:0")) == "value:0\n"


def test_pipe_counts_errors(srv):
    data = resp("SET", "s", "text") + b"".join(resp("INCR", "s") for _ in range(10)) + b"".join(
        resp("RPUSH", "l", str(i)) for i in range(89))
    p = cli(srv, "--pipe", stdin=data, timeout=60)
    assert "errors: 10, replies: 100" in out(p), out(p)
    assert p.returncode != 0  # redis-cli --pipe exits 1 when some replies were errors
    assert out(cli(srv, "LLEN", "l")) == "89\n"


def test_pipe_inline_commands(srv):
    data = b"".join(b"SET inline:%d v%d\r\n" % (i, i) for i in range(1000))
    p = cli(srv, "--pipe", stdin=data, timeout=60)
    assert "errors: 0, replies: 1000" in out(p), out(p)
    assert out(cli(srv, "GET", "inline:999")) == "v999\n"

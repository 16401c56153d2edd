"""Black-box compatibility suite: fixtures and helpers.

The server under test is started as its own process on free ephemeral ports with a fresh data
directory. By default that is trident (`TRIDENT_BIN`, default `<repo>/target/release/trident`);
with `COMPAT_TARGET=redis` (or `--target=redis`) it is a real `redis-server`, so that the suite
itself can be checked against the reference implementation.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 20.0


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        choices=["trident", "redis"],
        default=None,
        help="server to test (default: $COMPAT_TARGET or trident)",
    )


def pytest_configure(config):
    target = config.getoption("--target") or os.environ.get("COMPAT_TARGET") or "trident"
    if target not in ("trident", "redis"):
        raise pytest.UsageError(f"COMPAT_TARGET must be 'trident' or 'redis', not {target!r}")
    os.environ["COMPAT_TARGET"] = target
    config.addinivalue_line("markers", "trident_only: needs trident's admin HTTP; skipped under redis")


def target_name():
    return os.environ.get("COMPAT_TARGET", "trident")


def is_redis():
    return target_name() == "redis"


def pytest_collection_modifyitems(config, items):
    if not is_redis():
        return
    skip = pytest.mark.skip(reason="trident-only (admin HTTP); COMPAT_TARGET=redis")
    for item in items:
        if "trident_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    if is_redis():
        return f"compat target: redis ({shutil.which('redis-server')})"
    return f"compat target: trident ({trident_bin()})"


def trident_bin():
    return os.environ.get("TRIDENT_BIN") or os.path.join(REPO, "target", "release", "trident")


def no_retry():
    return Retry(NoBackoff(), 0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Minimal RESP2/RESP3 client over a raw socket, keeping the wire types visible.
# --------------------------------------------------------------------------------------------


class Simple(str):
    """`+...` simple string."""


class Err(str):
    """`-...` error reply (returned, not raised)."""


class Null:
    """RESP3 `_` null."""

    def __repr__(self):
        return "Null"

    def __eq__(self, other):
        return isinstance(other, Null)

    def __hash__(self):
        return 0


NULL = Null()


class Map(dict):
    """RESP3 `%` map."""


class RSet(list):
    """RESP3 `~` set (kept as a list, members may be unhashable)."""


class Double(float):
    """RESP3 `,` double."""


class Bool(int):
    """RESP3 `#` boolean."""


class Verbatim(bytes):
    """RESP3 `=` verbatim string; `.fmt` holds the 3-letter format."""

    fmt = b""


class Push(list):
    """RESP3 `>` push."""


class BigNum(int):
    """RESP3 `(` big number."""


class RespConn:
    """A raw connection that writes multibulk requests and reads typed replies."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2 :]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Simple(rest.decode())
        if t == b"-":
            return Err(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"_":
            return NULL
        if t == b"%":
            n = int(rest)
            m = Map()
            for _ in range(n):
                k = self.read()
                m[_hashable(k)] = self.read()
            return m
        if t == b"~":
            return RSet(self.read() for _ in range(int(rest)))
        if t == b",":
            return Double(float(rest.decode()))
        if t == b"#":
            return Bool(rest == b"t")
        if t == b"=":
            data = self._exact(int(rest))
            v = Verbatim(data[4:])
            v.fmt = data[:3]
            return v
        if t == b">":
            return Push(self.read() for _ in range(int(rest)))
        if t == b"(":
            return BigNum(int(rest))
        if t == b"|":
            for _ in range(int(rest)):
                self.read()
                self.read()
            return self.read()
        raise AssertionError(f"bad RESP type byte in line {line!r}")

    def read_all_until_close(self, limit=1 << 20):
        """Everything the server sends until it closes the connection (or times out)."""
        data = self.buf
        self.buf = b""
        try:
            while len(data) < limit:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout, TimeoutError):
            pass
        return data


def _hashable(k):
    if isinstance(k, list):
        return tuple(_hashable(x) for x in k)
    return k


# --------------------------------------------------------------------------------------------
# Server process management
# --------------------------------------------------------------------------------------------


def _die_with_parent():
    """In the child before exec: get SIGKILL if pytest dies, so no server outlives the run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class ServerProcess:
    def __init__(self, root, fsync="everysec", memory=False, requirepass=None, extra_args=()):
        self.root = root  # holds data dir and logs
        self.extra_args = list(extra_args)  # more trident flags (--cql-password ...)
        self.data_dir = os.path.join(root, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.fsync = fsync
        self.memory = memory
        self.requirepass = requirepass
        self.host = "127.0.0.1"
        self.port = None
        self.admin_port = None
        self.raft_port = None
        self.kafka_port = None
        self.cql_port = None
        self.proc = None
        self.starts = 0
        self.target = target_name()

    # -- command lines --
    def _argv(self):
        if self.target == "redis":
            exe = shutil.which("redis-server")
            if not exe:
                pytest.fail("redis-server not found on PATH (COMPAT_TARGET=redis)")
            appendfsync = {"always": "always", "everysec": "everysec", "never": "no"}[self.fsync]
            # DEBUG enabled: the suite checks DEBUG DIGEST-VALUE and friends against it too.
            argv = [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                    "--dir", self.data_dir, "--daemonize", "no", "--logfile", "",
                    "--enable-debug-command", "yes"]
            if self.memory:
                argv += ["--appendonly", "no"]
            else:
                argv += ["--appendonly", "yes", "--appendfsync", appendfsync]
            if self.requirepass is not None:
                argv += ["--requirepass", self.requirepass]
            return argv
        exe = trident_bin()
        if not os.path.exists(exe):
            pytest.fail(f"trident binary not found at {exe} (set TRIDENT_BIN or build --release)")
        argv = [exe, "serve", "--data-dir", self.data_dir,
                "--resp-addr", f"{self.host}:{self.port}",
                "--admin-addr", f"{self.host}:{self.admin_port}",
                "--raft-addr", f"{self.host}:{self.raft_port}",
                "--kafka-addr", f"{self.host}:{self.kafka_port}",
                "--cql-addr", f"{self.host}:{self.cql_port}",
                "--fsync", self.fsync] + self.extra_args
        if self.memory:
            argv.append("--memory")
        if self.requirepass is not None:
            argv += ["--requirepass", self.requirepass]
        return argv

    @property
    def log_path(self):
        return os.path.join(self.root, f"server-{self.starts}.log")

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"

    # -- lifecycle --
    def start(self, new_ports=False):
        last_err = None
        for attempt in range(3):
            if self.port is None or new_ports or attempt > 0:
                self.port = free_port()
                self.admin_port = free_port()
                while self.admin_port == self.port:
                    self.admin_port = free_port()
                self.raft_port = free_port()
                while self.raft_port in (self.port, self.admin_port):
                    self.raft_port = free_port()
                self.kafka_port = free_port()
                while self.kafka_port in (self.port, self.admin_port, self.raft_port):
                    self.kafka_port = free_port()
                self.cql_port = free_port()
                while self.cql_port in (self.port, self.admin_port, self.raft_port,
                                        self.kafka_port):
                    self.cql_port = free_port()
            self.starts += 1
            log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(self._argv(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.root,
                                         preexec_fn=_die_with_parent)
            log.close()
            try:
                self.wait_ready()
                return self
            except RuntimeError as e:
                last_err = e
                exited_early = self.proc.poll() is not None
                self._reap(signal.SIGKILL)
                if not exited_early:
                    break  # it ran but never answered: another try would only wait again
        pytest.fail(f"server did not start: {last_err}\n--- log ---\n{self.log_tail()}")

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with code {self.proc.returncode}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(2)
                    s.sendall(b"*1\r\n$4\r\nPING\r\n")
                    reply = s.recv(64)
                    if reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no PING reply within {timeout}s")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _reap(self, sig, timeout=15.0):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def stop(self, timeout=15.0):
        """Graceful stop (SIGTERM); returns the exit code."""
        return self._reap(signal.SIGTERM, timeout)

    def kill(self):
        """kill -9."""
        return self._reap(signal.SIGKILL, 10.0)

    def restart(self, graceful=True):
        if graceful:
            self.stop()
        else:
            self.kill()
        return self.start()

    def ensure_running(self):
        if not self.alive():
            self.start()

    # -- clients --
    def client(self, protocol=2, decode=True, **kw):
        kw.setdefault("socket_timeout", 15)
        kw.setdefault("socket_connect_timeout", 5)
        # no silent retries: a retried INCR would distort counts, and errors should be fast
        kw.setdefault("retry", no_retry())
        if self.requirepass is not None:
            kw.setdefault("password", self.requirepass)
        return redis.Redis(host=self.host, port=self.port, protocol=protocol,
                           decode_responses=decode, **kw)

    def raw(self, timeout=10.0):
        return RespConn(self.host, self.port, timeout)

    def admin_get(self, path, timeout=5.0):
        url = f"http://{self.host}:{self.admin_port}{path}"
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode(errors="replace")


class ServerFactory:
    def __init__(self):
        self.servers = []
        self.tmpdirs = []

    def __call__(self, **kw):
        root = tempfile.mkdtemp(prefix="trident-compat-")
        self.tmpdirs.append(root)
        srv = ServerProcess(root, **kw)
        self.servers.append(srv)
        return srv.start()

    def cleanup(self):
        for s in self.servers:
            try:
                s.kill()
            except Exception:
                pass
        for d in self.tmpdirs:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def make_server():
    """Factory: make_server(fsync=..., memory=..., requirepass=..., extra_args=[...]) -> started
    ServerProcess."""
    f = ServerFactory()
    yield f
    f.cleanup()


@pytest.fixture(scope="module")
def server():
    """One server per test module; tests get a clean keyspace through `r`."""
    f = ServerFactory()
    srv = f()
    yield srv
    f.cleanup()


@pytest.fixture
def srv(server):
    """The module's server, restarted if an earlier test left it dead, with all DBs flushed."""
    server.ensure_running()
    c = server.client()
    try:
        c.flushall()
    finally:
        c.close()
    return server


@pytest.fixture
def r(srv):
    c = srv.client(protocol=2)
    yield c
    c.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


@pytest.fixture
def rp(srv, proto):
    """A redis-py client speaking the parametrized protocol."""
    c = srv.client(protocol=proto)
    yield c
    c.close()


@pytest.fixture
def raw(srv, proto):
    """A raw connection switched to the parametrized protocol (HELLO 3 for RESP3)."""
    conn = srv.raw()
    if proto == 3:
        reply = conn.call("HELLO", "3")
        assert isinstance(reply, Map), reply
    yield conn
    conn.close()


def wait_until(pred, timeout=5.0, interval=0.02, msg="condition"):
    """pred() until truthy (returned) or timeout (AssertionError; msg may be a callable, called
    only on failure so that it can describe the state at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            text = msg() if callable(msg) else msg
            raise AssertionError(f"timed out after {timeout}s waiting for {text}")
        time.sleep(interval)


def info_field(client, section, field):
    info = client.info(section)
    return info.get(field)


def nil(proto):
    """What a missing bulk/array looks like on the wire for this protocol in RespConn."""
    return NULL if proto == 3 else None

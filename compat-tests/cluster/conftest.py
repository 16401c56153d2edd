"""Cluster suite: fixtures and helpers for real trident processes forming a Raft cluster.

Every node is its own `trident serve` process on 127.0.0.1 with fresh data dir and ports
(RESP, admin HTTP, Raft RPC) chosen below the kernel's ephemeral range, so that a port stays
free while its node is down between a kill and a restart. A node's stdout+stderr go to
`<root>/node<id>-<start>.log`; when a test fails, the tail of every node's logs and its last
`/cluster` answer are attached to the report ("trident cluster ..." sections).

Environment:
  TRIDENT_BIN              binary (default <repo>/target/release/trident), as in ../conftest.py
  TRIDENT_CLUSTER_FSYNC    --fsync for every node (default everysec)
  TRIDENT_KEEP_TMP=1       keep the temp dirs (data and full logs) after the tests
  TRIDENT_LOG_TAIL         bytes of each log shown on failure (default 6000)

The package's tests import helpers from here with `from .conftest import ...`; the parent
suite's helpers come from `conftest` (compat-tests/conftest.py).
"""

import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
import redis

from conftest import RespConn, _die_with_parent, is_redis, no_retry, trident_bin, wait_until

FSYNC = os.environ.get("TRIDENT_CLUSTER_FSYNC", "everysec")
KEEP_TMP = os.environ.get("TRIDENT_KEEP_TMP") == "1"
LOG_TAIL = int(os.environ.get("TRIDENT_LOG_TAIL", "6000"))
START_TIMEOUT = 30.0  # one process answering PING
STABLE_TIMEOUT = 20.0  # a leader known by every node
CATCH_UP_TIMEOUT = 60.0

# Errors a client may see while there is no leader (spec: CLUSTERDOWN... or TRYAGAIN...).
NO_LEADER_ERRORS = (redis.exceptions.ClusterDownError, redis.exceptions.TryAgainError)

_ACTIVE = []  # started clusters not yet cleaned up: their logs go into failure reports


def node_name(node_id):
    """The 40-hex node name trident reports for a decimal node id."""
    return "%040x" % node_id


# --------------------------------------------------------------------------------------------
# Ports
# --------------------------------------------------------------------------------------------

_TAKEN = set()


def _port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            eph_lo = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        eph_lo = 32768
    lo, hi = 20000, eph_lo - 1
    if hi < lo + 1000:
        lo, hi = 10000, 19999
    return lo, hi


def pick_port():
    """A free TCP port outside the ephemeral range, never handed out twice in this run."""
    lo, hi = _port_range()
    for _ in range(2000):
        p = random.randint(lo, hi)
        if p in _TAKEN:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        _TAKEN.add(p)
        return p
    raise RuntimeError("no free port found")


# --------------------------------------------------------------------------------------------
# Polling
# --------------------------------------------------------------------------------------------


def poll(pred, timeout, interval=0.05, msg="condition"):
    """`wait_until` with the timeout first and a gentler interval: cluster conditions take
    hundreds of milliseconds, and every probe is an HTTP or RESP round trip to a node."""
    return wait_until(pred, timeout, interval, msg)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)")


def parse_metrics(body):
    """Prometheus text -> {name: sum of the samples' values over all label sets}."""
    out = collections.defaultdict(float)
    for line in body.splitlines():
        m = _SAMPLE.match(line.strip())
        if not m or line.startswith("#"):
            continue
        try:
            out[m.group(1)] += float(m.group(3))
        except ValueError:
            pass
    return dict(out)


# --------------------------------------------------------------------------------------------
# One node
# --------------------------------------------------------------------------------------------


class Node:
    def __init__(self, cluster, node_id, root):
        self.cluster = cluster
        self.id = node_id
        self.name = node_name(node_id)
        self.root = root
        self.data_dir = os.path.join(root, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = pick_port()  # RESP
        self.admin_port = pick_port()
        self.raft_port = pick_port()
        self.kafka_port = pick_port()
        self.cql_port = pick_port()
        self.config_path = None
        self.join = None  # raft addr passed with --join on every start, once set
        self.proc = None
        self.paused = False
        self.starts = 0
        self.last_argv = None

    def __repr__(self):
        return f"<node {self.id} resp :{self.port} admin :{self.admin_port} raft :{self.raft_port}>"

    @property
    def resp_addr(self):
        return f"{self.host}:{self.port}"

    @property
    def admin_addr(self):
        return f"{self.host}:{self.admin_port}"

    @property
    def kafka_addr(self):
        return f"{self.host}:{self.kafka_port}"

    @property
    def cql_addr(self):
        return f"{self.host}:{self.cql_port}"

    @property
    def raft_addr(self):
        return f"{self.host}:{self.raft_port}"

    # -- process --
    def argv(self):
        exe = trident_bin()
        if not os.path.exists(exe):
            pytest.fail(f"trident binary not found at {exe} (set TRIDENT_BIN or build --release)")
        argv = [exe, "serve", "--data-dir", self.data_dir,
                "--resp-addr", self.resp_addr, "--admin-addr", self.admin_addr,
                "--node-id", str(self.id), "--raft-addr", self.raft_addr,
                "--kafka-addr", self.kafka_addr,
                "--cql-addr", self.cql_addr,
                "--fsync", self.cluster.fsync]
        if self.config_path:
            argv += ["--config", self.config_path]
        if self.join:
            argv += ["--join", self.join]
        return argv

    def log_path(self, start=None):
        return os.path.join(self.root, f"node{self.id}-{start or self.starts}.log")

    def log_tail(self, n=LOG_TAIL, start=None):
        try:
            with open(self.log_path(start), "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - n))
                return f.read().decode(errors="replace")
        except OSError:
            return "(no log)"

    def spawn(self, join=None):
        """Start the process (no waiting). `join` is remembered for later restarts."""
        assert not self.alive(), f"node {self.id} is already running"
        if join is not None:
            self.join = join
        self.starts += 1
        self.last_argv = self.argv()
        with open(self.log_path(), "wb") as log:
            log.write(("$ " + " ".join(self.last_argv) + "\n").encode())
            log.flush()
            self.proc = subprocess.Popen(self.last_argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.root,
                                         preexec_fn=_die_with_parent)
        self.paused = False
        return self

    def start(self, join=None, timeout=START_TIMEOUT):
        """Start and wait until the process answers PING (it may not know a leader yet)."""
        self.spawn(join)
        self.wait_up(timeout)
        return self

    def wait_up(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                rc = None if self.proc is None else self.proc.returncode
                pytest.fail(f"node {self.id} exited with code {rc} while starting\n"
                            f"argv: {self.last_argv}\n--- log ---\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(2)
                    s.sendall(b"*1\r\n$4\r\nPING\r\n")
                    reply = s.recv(64)
                    if reply[:1] in (b"+", b"-"):  # PONG, or any error: the listener is up
                        return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"node {self.id} did not answer PING within {timeout}s\n"
                    f"argv: {self.last_argv}\n--- log ---\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return None if self.proc is None else self.proc.pid

    def kill(self):
        """kill -9; returns time.monotonic() taken just before the signal was sent."""
        assert self.proc is not None, f"node {self.id} is not running"
        t = time.monotonic()
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        self.proc = None
        self.paused = False
        return t

    def stop(self, timeout=15.0):
        """SIGTERM; returns the exit code (None if it had to be killed after `timeout`)."""
        if self.proc is None:
            return None
        if self.paused:
            self.resume()
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                rc = None
        else:
            rc = self.proc.returncode
        self.proc = None
        return rc

    def pause(self):
        """SIGSTOP; returns time.monotonic() taken just before the signal."""
        t = time.monotonic()
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True
        return t

    def resume(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def wipe(self):
        """Remove the data dir (node must be down) and leave an empty one."""
        assert not self.alive()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        os.makedirs(self.data_dir)

    # -- admin HTTP --
    def admin_get(self, path, timeout=2.0):
        """(status, body), also for 4xx/5xx; (None, error text) if nothing answered."""
        url = f"http://{self.host}:{self.admin_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")
        except (OSError, ValueError) as e:
            return None, repr(e)

    def health(self, timeout=2.0):
        return self.admin_get("/health", timeout)[0]

    def info(self, timeout=2.0):
        """GET /cluster as a dict, or None."""
        if not self.alive() or self.paused:
            return None
        status, body = self.admin_get("/cluster", timeout)
        if status != 200:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def metrics(self, timeout=2.0):
        status, body = self.admin_get("/metrics", timeout)
        assert status == 200, f"node {self.id} /metrics: {status} {body[:300]}"
        return parse_metrics(body)

    # -- clients --
    def client(self, protocol=2, decode=True, **kw):
        kw.setdefault("socket_timeout", 10)
        kw.setdefault("socket_connect_timeout", 5)
        kw.setdefault("retry", no_retry())  # a silently retried INCR would distort counts
        return redis.Redis(host=self.host, port=self.port, protocol=protocol,
                           decode_responses=decode, **kw)

    def readonly_client(self, **kw):
        """One connection with READONLY: local (possibly stale) reads on this very node."""
        c = self.client(single_connection_client=True, **kw)
        ok = c.execute_command("READONLY")
        assert ok in (True, "OK", b"OK"), f"READONLY on node {self.id}: {ok!r}"
        return c

    def raw(self, timeout=10.0):
        return RespConn(self.host, self.port, timeout)


# --------------------------------------------------------------------------------------------
# A cluster
# --------------------------------------------------------------------------------------------


class Cluster:
    def __init__(self, root, fsync=FSYNC, snapshot_logs=None, snapshot_log_bytes=None):
        self.root = root
        self.fsync = fsync
        self.snapshot_logs = snapshot_logs
        self.snapshot_log_bytes = snapshot_log_bytes
        self.nodes = {}  # id -> Node, members as far as the test knows (forgotten ones removed)
        self.gone = []  # nodes removed from the cluster (kept for logs and cleanup)

    def __repr__(self):
        return f"<cluster {sorted(self.nodes)} in {self.root}>"

    # -- building --
    def _new_node(self, node_id):
        node = Node(self, node_id, os.path.join(self.root, f"node{node_id}"))
        self.nodes[node_id] = node
        return node

    def write_config(self, node, members=()):
        q = json.dumps  # TOML basic strings take JSON's escapes for these plain paths/addrs
        lines = [
            "[storage]", f"data_dir = {q(node.data_dir)}", f"fsync = {q(self.fsync)}", "",
            "[resp]", f"addr = {q(node.resp_addr)}", "",
            "[admin]", f"addr = {q(node.admin_addr)}", "",
            "[kafka]", f"addr = {q(node.kafka_addr)}", "",
            "[cql]", f"addr = {q(node.cql_addr)}", "",
            "[cluster]", f"node_id = {node.id}", f"raft_addr = {q(node.raft_addr)}",
        ]
        if self.snapshot_logs is not None:
            lines.append(f"snapshot_logs = {int(self.snapshot_logs)}")
        if self.snapshot_log_bytes is not None:
            lines.append(f"snapshot_log_bytes = {int(self.snapshot_log_bytes)}")
        for m in members:
            lines += ["", "[[cluster.members]]", f"id = {m.id}", f"raft_addr = {q(m.raft_addr)}",
                      f"resp_addr = {q(m.resp_addr)}", f"admin_addr = {q(m.admin_addr)}",
                      f"kafka_addr = {q(m.kafka_addr)}", f"cql_addr = {q(m.cql_addr)}"]
        node.config_path = os.path.join(node.root, "trident.toml")
        with open(node.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start_static(self, n):
        """n nodes started together from config files naming all of them as members."""
        nodes = [self._new_node(i) for i in range(1, n + 1)]
        for node in nodes:
            self.write_config(node, members=nodes)
        for node in nodes:
            node.spawn()
        for node in nodes:
            node.wait_up()
        self.wait_stable()
        return self

    def start_joined(self, n):
        """Node 1 bootstraps alone; the others start with --join (to node 1's raft addr)."""
        first = self._new_node(1)
        self.write_config(first)
        first.start()
        self.wait_stable()
        for _ in range(n - 1):
            self.add_node(join=first.raft_addr)
        return self

    def add_node(self, join, wait_voter=True, timeout=CATCH_UP_TIMEOUT):
        """A new node (next id) started with --join `join`; by default waits until it is a
        voter on the leader and has applied the leader's commit index."""
        node = self._new_node(max(list(self.nodes) + [n.id for n in self.gone]) + 1)
        self.write_config(node)
        node.start(join=join)
        if wait_voter:
            self.wait_voter(node, timeout=timeout)
            self.wait_caught_up(timeout=timeout)
        return node

    def forget(self, node):
        """Take `node` out of the test's member list (after CLUSTER FORGET); keeps its logs."""
        del self.nodes[node.id]
        self.gone.append(node)

    # -- views --
    def running(self):
        """Member nodes whose process runs and is not SIGSTOPped."""
        return [n for n in self.nodes.values() if n.alive() and not n.paused]

    def infos(self, nodes=None):
        return {n.id: n.info() for n in (nodes if nodes is not None else self.running())}

    def wait_stable(self, nodes=None, timeout=STABLE_TIMEOUT):
        """Every node in `nodes` (default: all running members) reports the same leader, that
        leader is one of them and says role=leader, and /health is 200 on all. Returns it."""
        last = {}

        def check():
            nonlocal last
            ns = nodes if nodes is not None else self.running()
            infos = {n.id: n.info() for n in ns}
            last = infos
            if not infos or any(v is None for v in infos.values()):
                return None
            leaders = {v.get("leader") for v in infos.values()}
            if len(leaders) != 1:
                return None
            lid = leaders.pop()
            if lid not in infos or infos[lid].get("role") != "leader":
                return None
            if any(n.health() != 200 for n in ns):
                return None
            return self.nodes[lid]

        return poll(check, timeout, msg=lambda: f"one leader known by all of {[n.id for n in (nodes or self.running())]}; "
                                               f"last /cluster answers: {json.dumps(last)}")

    def leader(self, nodes=None, timeout=STABLE_TIMEOUT):
        return self.wait_stable(nodes, timeout)

    def followers(self, leader=None):
        leader = leader or self.leader()
        return [n for n in self.nodes.values() if n.id != leader.id]

    def wait_caught_up(self, nodes=None, timeout=CATCH_UP_TIMEOUT):
        """Every node has applied at least the leader's commit index (read once, after the leader
        is stable). Returns the leader."""
        leader = self.wait_stable(timeout=timeout)
        linfo = leader.info()
        assert linfo is not None, "leader's /cluster stopped answering"
        target = linfo["commit_index"]
        ns = nodes if nodes is not None else self.running()
        last = {}

        def check():
            nonlocal last
            last = {n.id: n.info() for n in ns}
            return all(v is not None and (v.get("applied_index") or 0) >= target for v in last.values())

        poll(check, timeout, interval=0.1,
             msg=lambda: f"applied_index >= {target} (leader {leader.id}'s commit_index) on "
                         f"{[n.id for n in ns]}; last: " +
                         json.dumps({k: v and {f: v.get(f) for f in ("role", "leader", "term", "commit_index", "applied_index", "last_log_index", "snapshot_index", "purged_index")} for k, v in last.items()}))
        return leader

    def wait_voter(self, node, timeout=CATCH_UP_TIMEOUT):
        """`node` listed as a voter in the leader's /cluster members."""
        last = None

        def check():
            nonlocal last
            try:
                leader = self.wait_stable(timeout=5)
            except AssertionError:
                return False
            last = leader.info()
            return bool(last) and any(m.get("id") == node.id and m.get("voter") for m in last.get("members", []))

        poll(check, timeout, interval=0.2,
             msg=lambda: f"node {node.id} as a voter in the leader's members; last: {json.dumps(last)}")

    # -- teardown and reports --
    def dump(self):
        parts = [f"cluster root: {self.root}" + ("" if KEEP_TMP else " (removed after the test; TRIDENT_KEEP_TMP=1 keeps it)")]
        for node in list(self.nodes.values()) + self.gone:
            state = "paused" if node.paused else ("running" if node.alive() else "down")
            parts.append(f"===== node {node.id} ({state}, pid {node.pid}) resp {node.resp_addr} "
                         f"admin {node.admin_addr} raft {node.raft_addr}")
            if node.alive() and not node.paused:
                status, body = node.admin_get("/cluster", timeout=0.5)
                parts.append(f"/cluster -> {status} {body[:2000]}")
            if node.starts > 1:
                parts.append(f"--- tail of start {node.starts - 1} ({node.log_path(node.starts - 1)}) ---")
                parts.append(node.log_tail(LOG_TAIL // 2, start=node.starts - 1))
            parts.append(f"--- tail of start {node.starts} ({node.log_path()}) ---")
            parts.append(node.log_tail())
        return "\n".join(parts)

    def cleanup(self):
        for node in list(self.nodes.values()) + self.gone:
            try:
                if node.paused:
                    node.resume()
                if node.alive():
                    node.proc.kill()
                    node.proc.wait(timeout=10)
            except Exception:
                pass
        if not KEEP_TMP:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.failed and _ACTIVE:
        for c in list(_ACTIVE):
            try:
                text = c.dump()
            except Exception as e:  # a report must never fail
                text = f"(could not collect node state: {e!r})"
            rep.sections.append((f"trident cluster {c.root}: node state and log tails", text))
    return rep


class ClusterFactory:
    def __init__(self):
        self.clusters = []

    def __call__(self, n=3, how="static", snapshot_logs=None, fsync=FSYNC, snapshot_log_bytes=None):
        """A started n-node cluster with a leader known by all. how: 'static' (config file lists
        every member) or 'join' (node 1 bootstraps, the others --join)."""
        if is_redis():
            pytest.skip("cluster tests need trident")
        c = Cluster(tempfile.mkdtemp(prefix="trident-cluster-"), fsync=fsync, snapshot_logs=snapshot_logs,
                    snapshot_log_bytes=snapshot_log_bytes)
        self.clusters.append(c)
        _ACTIVE.append(c)
        try:
            if how == "static":
                c.start_static(n)
            elif how == "join":
                c.start_joined(n)
            else:
                raise ValueError(how)
        except Exception as e:
            # Collect the evidence now: the cluster is torn down before pytest reports.
            text = c.dump()
            c.cleanup()
            _ACTIVE.remove(c)
            pytest.fail(f"{n}-node cluster ({how}) did not come up: {e}\n\n{text}")
        except BaseException:  # pytest.fail from a node that did not start (its log is in the message)
            text = c.dump()
            c.cleanup()
            _ACTIVE.remove(c)
            print(text)
            raise
        return c

    def cleanup(self):
        for c in self.clusters:
            c.cleanup()
            if c in _ACTIVE:
                _ACTIVE.remove(c)


@pytest.fixture
def make_cluster():
    """Factory: make_cluster(n=3, how='static'|'join', snapshot_logs=None) -> started Cluster."""
    f = ClusterFactory()
    yield f
    f.cleanup()


@pytest.fixture(scope="module")
def shared_cluster():
    """One static 3-node cluster per module, for checks that leave it as they found it."""
    f = ClusterFactory()
    c = f(3)
    yield c
    f.cleanup()


@pytest.fixture
def cluster3(shared_cluster):
    """The module's cluster with all three nodes running and a leader known by all."""
    for node in shared_cluster.nodes.values():
        if node.paused:
            node.resume()
        if not node.alive():
            node.start()
    shared_cluster.wait_stable()
    return shared_cluster


# --------------------------------------------------------------------------------------------
# Write workload with acknowledged / unknown-outcome bookkeeping
# --------------------------------------------------------------------------------------------


class Writer(threading.Thread):
    """Writes through one node until stopped: alternately INCR of its own counter and SET of a
    fresh unique key to a unique value. An acknowledged write must survive; an errored one
    (timeout, connection error, CLUSTERDOWN/TRYAGAIN) has an unknown outcome."""

    def __init__(self, node, tag, socket_timeout=3.0, pause_on_error=0.05):
        super().__init__(name=f"writer-{tag}", daemon=True)
        self.node = node
        self.tag = tag
        self.counter_key = f"ctr:{tag}"
        self.socket_timeout = socket_timeout
        self.pause_on_error = pause_on_error
        self.stop_event = threading.Event()
        self.salt = "%08x" % random.getrandbits(32)
        self.acked_sets = {}  # key -> value
        self.unknown_sets = {}  # key -> value
        self.incr_acked = 0
        self.incr_errored = 0
        self.acks = 0  # total acknowledged writes (read while running for progress checks)
        self.ack_log = collections.deque(maxlen=100000)  # (sent, acked) monotonic times
        self.errors = collections.Counter()  # error class/message prefix -> count
        self.unexpected = []  # (op, repr) of replies/errors that break the contract
        self.seq = 0

    def stop(self):
        self.stop_event.set()

    def run(self):
        client = self.node.client(socket_timeout=self.socket_timeout, socket_connect_timeout=1.0)
        try:
            while not self.stop_event.is_set():
                self.seq += 1
                is_incr = self.seq % 2 == 1
                key = self.counter_key if is_incr else f"k:{self.tag}:{self.seq}"
                value = None if is_incr else f"v:{self.tag}:{self.seq}:{self.salt}"
                sent = time.monotonic()
                try:
                    if is_incr:
                        reply = client.incr(key)
                        if not isinstance(reply, int) or reply < 1:
                            self.unexpected.append(("INCR", repr(reply)))
                        self.incr_acked += 1
                    else:
                        reply = client.set(key, value)
                        if reply is not True:
                            self.unexpected.append(("SET", repr(reply)))
                            self.unknown_sets[key] = value
                            continue
                        self.acked_sets[key] = value
                    self.acks += 1
                    self.ack_log.append((sent, time.monotonic()))
                except redis.exceptions.RedisError as e:
                    if is_incr:
                        self.incr_errored += 1
                    else:
                        self.unknown_sets[key] = value
                    kind = type(e).__name__
                    if isinstance(e, redis.exceptions.ResponseError) and not isinstance(e, NO_LEADER_ERRORS):
                        self.unexpected.append(("INCR" if is_incr else "SET", f"{kind}: {e}"))
                    self.errors[kind] += 1
                    self.stop_event.wait(self.pause_on_error)
        finally:
            client.close()


class Workload:
    """Writers on each given node (per_node threads each)."""

    def __init__(self, nodes, per_node=1, prefix="w", **kw):
        self.writers = [Writer(n, f"{prefix}{n.id}-{j}", **kw) for n in nodes for j in range(per_node)]

    def start(self):
        for w in self.writers:
            w.start()
        return self

    def stop(self):
        for w in self.writers:
            w.stop()
        for w in self.writers:
            w.join(timeout=30)
            assert not w.is_alive(), f"writer {w.tag} did not stop"

    def acks(self, nodes=None):
        ids = None if nodes is None else {n.id for n in nodes}
        return sum(w.acks for w in self.writers if ids is None or w.node.id in ids)

    def acked_between(self, t0, t1, nodes=None):
        """Writes sent and acknowledged within [t0, t1] (through `nodes`, default all)."""
        ids = None if nodes is None else {n.id for n in nodes}
        return sum(1 for w in self.writers if ids is None or w.node.id in ids
                   for (s, a) in list(w.ack_log) if s >= t0 and a <= t1)

    # after stop():
    def acked_sets(self):
        out = {}
        for w in self.writers:
            out.update(w.acked_sets)
        return out

    def unknown_sets(self):
        out = {}
        for w in self.writers:
            out.update(w.unknown_sets)
        return out

    def counters(self):
        """{key: (acknowledged INCRs, errored INCR attempts)}"""
        return {w.counter_key: (w.incr_acked, w.incr_errored) for w in self.writers}

    def unexpected(self):
        return [(w.tag, u) for w in self.writers for u in w.unexpected]

    def summary(self):
        return {w.tag: {"acks": w.acks, "incr_acked": w.incr_acked, "incr_errored": w.incr_errored,
                        "sets_acked": len(w.acked_sets), "sets_unknown": len(w.unknown_sets),
                        "errors": dict(w.errors)} for w in self.writers}


def first_acked_write(nodes, t0, tag, limit=15.0, attempt_timeout=0.5):
    """From t0 (e.g. the instant of a kill), clients on every node in `nodes` in parallel SET
    fresh keys with short timeouts until one is acknowledged. Only writes *sent* after t0
    count. Returns (seconds from t0 to the first ack, node, acked {key: value},
    unknown {key: value}); seconds is None if nothing was acknowledged within `limit`."""
    done = threading.Event()
    lock = threading.Lock()
    result = {"elapsed": None, "node": None}
    acked, unknown = {}, {}

    def probe(node):
        c = node.client(socket_timeout=attempt_timeout, socket_connect_timeout=attempt_timeout)
        i = 0
        try:
            while not done.is_set() and time.monotonic() - t0 < limit:
                i += 1
                key, value = f"probe:{tag}:{node.id}:{i}", f"p:{tag}:{node.id}:{i}"
                try:
                    ok = c.set(key, value)
                except redis.exceptions.RedisError:
                    with lock:
                        unknown[key] = value
                    time.sleep(0.01)
                    continue
                now = time.monotonic()
                with lock:
                    if ok is True:
                        acked[key] = value
                        if result["elapsed"] is None:
                            result["elapsed"], result["node"] = now - t0, node
                        done.set()
                    else:
                        unknown[key] = value
        finally:
            c.close()

    threads = [threading.Thread(target=probe, args=(n,), daemon=True) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=limit + 5)
    return result["elapsed"], result["node"], acked, unknown


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


def mget_all(client, keys, chunk=500):
    out = {}
    keys = list(keys)
    for i in range(0, len(keys), chunk):
        part = keys[i:i + chunk]
        out.update(zip(part, client.mget(part)))
    return out


def wrong_acked(client, acked):
    """The acknowledged SETs `client` does not read back: (key, want, got)."""
    got = mget_all(client, acked)
    return [(k, v, got[k]) for k, v in acked.items() if got[k] != v]


def verify_everywhere(cluster, acked, unknown=None, counters=None, nodes=None):
    """After waiting until every node has applied the leader's commit index, read with READONLY
    on each node (local reads): every acknowledged SET has exactly its value, an unknown-outcome
    SET is absent or has exactly its value, and each counter is within
    [acknowledged, acknowledged + errored] and equal on all nodes. Also reads everything once
    without READONLY (linearizable) through one follower."""
    unknown = unknown or {}
    counters = counters or {}
    leader = cluster.wait_caught_up(nodes)
    nodes = nodes if nodes is not None else cluster.running()
    problems = []
    counter_values = collections.defaultdict(dict)
    for node in nodes:
        c = node.readonly_client(socket_timeout=30)
        try:
            bad = wrong_acked(c, acked)
            if bad:
                problems.append(f"node {node.id} (READONLY): {len(bad)} of {len(acked)} acknowledged SETs "
                                f"missing or wrong, e.g. (key, want, got) {bad[:5]}")
            got = mget_all(c, unknown)
            bad = [(k, v, got[k]) for k, v in unknown.items() if got[k] not in (None, v)]
            if bad:
                problems.append(f"node {node.id} (READONLY): {len(bad)} unknown-outcome SETs have a "
                                f"foreign value, e.g. {bad[:5]}")
            for key, (ok, err) in counters.items():
                v = int(c.get(key) or 0)
                counter_values[key][node.id] = v
                if not ok <= v <= ok + err:
                    problems.append(f"node {node.id}: counter {key} = {v}, want {ok} acknowledged "
                                    f"<= value <= {ok + err} (acknowledged + errored)")
        finally:
            c.close()
    for key, per_node in counter_values.items():
        if len(set(per_node.values())) > 1:
            problems.append(f"counter {key} differs between nodes: {per_node}")
    # Linearizable reads (no READONLY) through a follower, if there is one.
    via = next((n for n in nodes if n.id != leader.id), leader)
    c = via.client(socket_timeout=30)
    try:
        bad = wrong_acked(c, acked)
        if bad:
            problems.append(f"node {via.id} (linearizable): {len(bad)} acknowledged SETs missing or "
                            f"wrong, e.g. {bad[:5]}")
    finally:
        c.close()
    assert not problems, "\n".join(problems)

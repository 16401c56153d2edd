"""CQL on a 3-node cluster (real processes, the DataStax Python driver).

Every node accepts every statement: writes and DDL sent to a follower are forwarded to the
leader through the Raft log, reads are linearized. Checked here:

1. system.peers on each node lists the two others (at their CQL addresses); DDL through a
   follower reaches every node's schema; rows written through one node are read through all.
2. kill -9 of the leader while a driver writes through a follower: every acknowledged write
   is there afterwards, read through each surviving node and through the killed node once it
   is back.
3. Cluster events: a connection REGISTERed with the leader is told NEW_NODE when a node joins,
   DOWN when it is killed, UP when it is back and REMOVED_NODE when it is forgotten. (Drivers
   act on these by address: all nodes here share 127.0.0.1 and system.peers carries no port,
   so the raw events are what is checked.)
"""

import socket
import struct
import time

import pytest
from cassandra.cluster import Cluster
from cassandra.connection import DefaultEndPoint

from conftest import Simple

from .conftest import poll

pytestmark = pytest.mark.trident_only


def session_on(node):
    c = Cluster(contact_points=[DefaultEndPoint(node.host, node.cql_port)],
                connect_timeout=10, control_connection_timeout=10)
    return c, c.connect()


def wait_cql(nodes):
    for n in nodes:
        poll(lambda n=n: _cql_up(n), 30, msg=f"CQL up on node {n.id}")


def _cql_up(node):
    import socket
    try:
        with socket.create_connection((node.host, node.cql_port), timeout=0.5):
            return True
    except OSError:
        return False


class EventConn:
    """A raw v4 connection REGISTERed for cluster events, read frame by frame."""

    def __init__(self, node, kinds=("TOPOLOGY_CHANGE", "STATUS_CHANGE")):
        self.sock = socket.create_connection((node.host, node.cql_port), timeout=10)
        self._send(0x01, self._string_map({"CQL_VERSION": "3.0.0"}))
        assert self._read()[0] == 0x02, "READY after STARTUP"
        body = struct.pack(">H", len(kinds))
        for k in kinds:
            body += struct.pack(">H", len(k)) + k.encode()
        self._send(0x0B, body)
        assert self._read()[0] == 0x02, "READY after REGISTER"

    @staticmethod
    def _string_map(d):
        out = struct.pack(">H", len(d))
        for k, v in d.items():
            out += struct.pack(">H", len(k)) + k.encode() + struct.pack(">H", len(v)) + v.encode()
        return out

    def _send(self, opcode, body):
        self.sock.sendall(struct.pack(">BBhBI", 4, 0, 1, opcode, len(body)) + body)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            assert chunk, "server closed the event connection"
            buf += chunk
        return buf

    def _read(self):
        _v, _f, stream, opcode, length = struct.unpack(">BBhBI", self._exact(9))
        return opcode, stream, self._exact(length)

    def next_event(self, timeout):
        """(kind, change, "ip:port") of the next EVENT frame, or None after `timeout`."""
        self.sock.settimeout(timeout)
        try:
            opcode, stream, body = self._read()
        except (socket.timeout, TimeoutError):
            return None
        assert (opcode, stream) == (0x0C, -1), (opcode, stream)
        pos = 0

        def string():
            nonlocal pos
            (n,) = struct.unpack(">H", body[pos:pos + 2])
            pos += 2 + n
            return body[pos - n:pos].decode()

        kind, change = string(), string()
        n = body[pos]
        ip = socket.inet_ntop(socket.AF_INET if n == 4 else socket.AF_INET6, body[pos + 1:pos + 1 + n])
        (port,) = struct.unpack(">i", body[pos + 1 + n:pos + 5 + n])
        return kind, change, f"{ip}:{port}"

    def wait_for(self, want, timeout):
        """Reads events until `want` arrives; returns the ones read before it."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            e = self.next_event(max(0.05, deadline - time.monotonic()))
            if e == want:
                return seen
            if e is not None:
                seen.append(e)
        raise AssertionError(f"no {want} within {timeout}s; got {seen}")

    def close(self):
        self.sock.close()


def test_join_kill_restart_and_forget_are_pushed_as_events(make_cluster):
    c = make_cluster(2)
    leader = c.leader()
    wait_cql(list(c.nodes.values()))
    events = EventConn(leader)
    try:
        first = c.followers(leader)[0]
        newcomer = c.add_node(join=first.raft_addr)
        wait_cql([newcomer])
        addr = f"127.0.0.1:{newcomer.cql_port}"
        before = events.wait_for(("TOPOLOGY_CHANGE", "NEW_NODE", addr), 30)
        assert all(e[0] == "STATUS_CHANGE" for e in before), before
        newcomer.kill()
        events.wait_for(("STATUS_CHANGE", "DOWN", addr), 30)
        newcomer.start()
        wait_cql([newcomer])
        events.wait_for(("STATUS_CHANGE", "UP", addr), 30)

        # The restarted node may have won an election meanwhile: forget one that does not
        # lead and is not the one the events come from.
        now = c.leader()
        victim = next(n for n in c.nodes.values() if n.id not in (now.id, leader.id))
        gone = f"127.0.0.1:{victim.cql_port}"
        with now.raw(timeout=30) as conn:
            reply = conn.call("CLUSTER", "FORGET", str(victim.id))
            assert reply == Simple("OK"), reply
        c.forget(victim)
        events.wait_for(("TOPOLOGY_CHANGE", "REMOVED_NODE", gone), 30)
        victim.stop()
        # Nothing more is said of the nodes that stayed.
        assert events.next_event(1.0) is None
    finally:
        events.close()


def test_peers_schema_and_rows_through_every_node(make_cluster):
    c = make_cluster(3)
    leader = c.leader()
    nodes = list(c.nodes.values())
    wait_cql(nodes)
    clusters = []
    try:
        sessions = {}
        for n in nodes:
            cl, s = session_on(n)
            clusters.append(cl)
            sessions[n.id] = s
        # A node learns the others from the membership in the log it applies, which reaches
        # the last node to join a moment after its CQL port opens: wait for it, then check.
        for n in nodes:
            def peers_of(n=n):
                return sessions[n.id].execute("SELECT peer, rpc_address FROM system.peers").all()
            poll(lambda: len(peers_of()) == 2, 15, msg=f"system.peers on node {n.id}")
            peers = peers_of()
            assert sorted(str(p.rpc_address) for p in peers) == ["127.0.0.1", "127.0.0.1"], peers
        follower = c.followers(leader)[0]
        fs = sessions[follower.id]
        fs.execute("CREATE KEYSPACE cl WITH replication = "
                   "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        fs.execute("CREATE TABLE cl.t (k int PRIMARY KEY, v text)")
        ps = fs.prepare("INSERT INTO cl.t (k, v) VALUES (?, ?)")
        for k in range(100):
            fs.execute(ps, (k, f"v{k}"))
        for n in nodes:
            rows = sessions[n.id].execute("SELECT k, v FROM cl.t").all()
            assert sorted((r.k, r.v) for r in rows) == [(k, f"v{k}") for k in range(100)], n.id
            local = sessions[n.id].execute(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'cl'").all()
            assert [r.table_name for r in local] == ["t"], n.id
    finally:
        for cl in clusters:
            cl.shutdown()


def test_kill_leader_during_writes_keeps_every_acknowledged_row(make_cluster):
    c = make_cluster(3)
    leader = c.leader()
    nodes = list(c.nodes.values())
    wait_cql(nodes)
    follower = c.followers(leader)[0]
    cl, s = session_on(follower)
    try:
        s.execute("CREATE KEYSPACE kl WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        s.execute("CREATE TABLE kl.t (k int PRIMARY KEY, v text)")
        ps = s.prepare("INSERT INTO kl.t (k, v) VALUES (?, ?)")
        acked, failed = [], 0
        deadline = time.time() + 60
        k = 0
        while len(acked) < 1500 and time.time() < deadline:
            if k == 500:
                leader.kill()
            try:
                s.execute(ps, (k, f"v{k}"), timeout=5)
                acked.append(k)
            except Exception:
                failed += 1
                time.sleep(0.05)
            k += 1
        assert len(acked) >= 1500, f"only {len(acked)} writes acknowledged ({failed} failed)"
        survivors = [n for n in nodes if n.id != leader.id]
        c.wait_stable(survivors)
        for n in survivors:
            cln, sn = session_on(n)
            try:
                got = {r.k for r in sn.execute("SELECT k FROM kl.t")}
            finally:
                cln.shutdown()
            missing = set(acked) - got
            assert not missing, f"node {n.id} lacks acknowledged rows {sorted(missing)[:10]}"
        leader.start()
        c.wait_caught_up()
        wait_cql([leader])
        cln, sn = session_on(leader)
        try:
            got = {r.k for r in sn.execute("SELECT k FROM kl.t")}
        finally:
            cln.shutdown()
        assert set(acked) <= got
    finally:
        cl.shutdown()

"""CQL on a 3-node cluster (real processes, the DataStax Python driver).

Every node accepts every statement: writes and DDL sent to a follower are forwarded to the
leader through the Raft log, reads are linearized. Checked here:

1. system.peers on each node lists the two others (at their CQL addresses); DDL through a
   follower reaches every node's schema; rows written through one node are read through all.
2. kill -9 of the leader while a driver writes through a follower: every acknowledged write
   is there afterwards, read through each surviving node and through the killed node once it
   is back.
"""

import time

import pytest
from cassandra.cluster import Cluster
from cassandra.connection import DefaultEndPoint

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

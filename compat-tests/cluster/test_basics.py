"""A healthy 3-node cluster seen through its clients: admin HTTP, INFO replication, CLUSTER *,
forwarded writes, linearizable reads on any node, redis-cli -c and blocking pops across nodes.

One static cluster serves the whole module; every test uses its own keys and leaves all three
nodes running.
"""

import shutil
import subprocess
import threading
import time

import pytest

from conftest import Err, Simple
from .conftest import node_name, poll

pytestmark = pytest.mark.trident_only

REDIS_CLI = shutil.which("redis-cli")


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def pairs(lst):
    """A RESP2 flat [k1, v1, k2, v2, ...] (or a RESP3 map) as {str: value}."""
    if isinstance(lst, dict):
        return {text(k): v for k, v in lst.items()}
    assert isinstance(lst, list) and len(lst) % 2 == 0, lst
    return {text(lst[i]): lst[i + 1] for i in range(0, len(lst), 2)}


def kv_lines(body):
    out = {}
    for line in text(body).splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out[k.strip()] = v.strip()
    return out


# --------------------------------------------------------------------------------------------
# admin HTTP
# --------------------------------------------------------------------------------------------


def test_health_is_200_on_every_node(cluster3):
    for node in cluster3.nodes.values():
        status, body = node.admin_get("/health")
        assert status == 200, f"node {node.id}: {status} {body}"


def test_cluster_endpoint(cluster3):
    leader = cluster3.wait_caught_up()
    infos = cluster3.infos()
    for nid, info in infos.items():
        assert info is not None, f"node {nid}: no /cluster"
        for field in ("node_id", "role", "leader", "term", "commit_index", "applied_index",
                      "last_log_index", "snapshot_index", "purged_index", "members"):
            assert field in info, f"node {nid}: /cluster lacks {field!r}: {info}"
        assert info["node_id"] == nid
        assert info["leader"] == leader.id
        assert info["role"] == ("leader" if nid == leader.id else "follower"), info
        assert info["term"] == infos[leader.id]["term"], infos
        assert info["applied_index"] <= info["commit_index"] <= info["last_log_index"], info
        members = {m["id"]: m for m in info["members"]}
        assert sorted(members) == [1, 2, 3], info
        for m in members.values():
            node = cluster3.nodes[m["id"]]
            assert m["voter"] is True, m
            assert (m["raft_addr"], m["resp_addr"], m["admin_addr"]) == \
                (node.raft_addr, node.resp_addr, node.admin_addr), m
    # matched_index / lag are known on the leader (for its own entry they may be null)
    for m in infos[leader.id]["members"]:
        if m["id"] != leader.id:
            assert isinstance(m["matched_index"], int) and isinstance(m["lag"], int), m
            assert m["lag"] >= 0, m


def test_raft_metrics(cluster3):
    leader = cluster3.wait_stable()
    term = leader.info()["term"]
    for node in cluster3.nodes.values():
        m = node.metrics()
        for name in ("trident_raft_term", "trident_raft_leader_changes_total",
                     "trident_raft_commit_index", "trident_raft_applied_index",
                     "trident_raft_is_leader", "trident_raft_snapshots_built_total",
                     "trident_raft_snapshots_installed_total"):
            assert name in m, f"node {node.id}: no {name} in /metrics; names: {sorted(m)}"
        assert m["trident_raft_is_leader"] == (1 if node.id == leader.id else 0), (node.id, m)
        assert m["trident_raft_term"] == term, (node.id, m["trident_raft_term"], term)


# --------------------------------------------------------------------------------------------
# INFO replication and CLUSTER *
# --------------------------------------------------------------------------------------------


def test_info_replication_roles(cluster3):
    leader = cluster3.wait_stable()
    roles = {}
    for node in cluster3.nodes.values():
        c = node.client()
        info = c.info("replication")
        c.close()
        roles[node.id] = info.get("role")
        if node.id == leader.id:
            assert info.get("role") == "master", info
            assert int(info.get("connected_slaves", -1)) == 2, info
        else:
            assert info.get("role") == "slave", info
            assert str(info.get("master_host")) == leader.host, info
            assert int(info.get("master_port", -1)) == leader.port, info
    assert list(roles.values()).count("master") == 1, roles


def test_cluster_myid(cluster3):
    for node in cluster3.nodes.values():
        with node.raw() as conn:
            assert conn.call("CLUSTER", "MYID") == node_name(node.id).encode()
    assert node_name(1) == "0000000000000000000000000000000000000001"


def test_cluster_info(cluster3):
    for node in cluster3.nodes.values():
        with node.raw() as conn:
            reply = conn.call("CLUSTER", "INFO")
        assert isinstance(reply, bytes), reply
        info = kv_lines(reply)
        assert info.get("cluster_state") == "ok", info
        assert info.get("cluster_slots_assigned") == "16384", info
        assert info.get("cluster_known_nodes") == "3", info
        assert info.get("cluster_size") == "1", info


def test_cluster_nodes(cluster3):
    leader = cluster3.wait_stable()
    for node in cluster3.nodes.values():
        with node.raw() as conn:
            reply = conn.call("CLUSTER", "NODES")
        assert isinstance(reply, bytes), reply
        lines = [l for l in reply.decode().splitlines() if l.strip()]
        assert len(lines) == 3, lines
        seen = {}
        for line in lines:
            f = line.split()
            assert len(f) >= 8, line
            seen[f[0]] = f
        assert set(seen) == {node_name(i) for i in (1, 2, 3)}, lines
        for nid, other in cluster3.nodes.items():
            f = seen[node_name(nid)]
            assert f[1].startswith(f"{other.host}:{other.port}@"), f
            flags = f[2].split(",")
            assert ("myself" in flags) == (nid == node.id), (node.id, f)
            if nid == leader.id:
                assert "master" in flags and f[3] == "-", f
                assert "0-16383" in f[8:], f
            else:
                assert "slave" in flags and f[3] == node_name(leader.id), f
            assert f[7] == "connected", f


def test_cluster_slots(cluster3):
    leader = cluster3.wait_stable()
    for node in cluster3.nodes.values():
        with node.raw() as conn:
            reply = conn.call("CLUSTER", "SLOTS")
        assert isinstance(reply, list) and len(reply) == 1, reply
        entry = reply[0]
        assert entry[0] == 0 and entry[1] == 16383, entry
        hosts = entry[2:]
        assert len(hosts) == 3, entry
        for h in hosts:
            assert len(h) >= 3 and h[0] == b"127.0.0.1" and isinstance(h[1], int), h
        assert hosts[0][1] == leader.port and hosts[0][2] == node_name(leader.id).encode(), entry
        replicas = {h[1]: h[2] for h in hosts[1:]}
        assert replicas == {n.port: n.name.encode() for n in cluster3.followers(leader)}, entry


def test_cluster_shards(cluster3):
    leader = cluster3.wait_stable()
    with cluster3.nodes[1].raw() as conn:
        reply = conn.call("CLUSTER", "SHARDS")
    assert isinstance(reply, list) and len(reply) == 1, reply
    shard = pairs(reply[0])
    assert list(shard["slots"]) == [0, 16383], shard
    nodes = [pairs(n) for n in shard["nodes"]]
    assert len(nodes) == 3, nodes
    by_id = {text(n["id"]): n for n in nodes}
    assert set(by_id) == {node_name(i) for i in (1, 2, 3)}, nodes
    for nid, node in cluster3.nodes.items():
        n = by_id[node_name(nid)]
        assert n["port"] == node.port and text(n["ip"]) == node.host, n
        assert text(n["role"]) == ("master" if nid == leader.id else "replica"), n


# CLUSTER KEYSLOT answers of redis-server 7 (cluster-enabled) for the same keys.
KEYSLOTS = {
    "foo": 12182,
    "bar": 5061,
    "{user1000}.following": 3443,
    "{user1000}.followers": 3443,
    "{}foo": 9500,
    "foo{}{bar}": 8363,
    "foo{{bar}}zap": 4015,
    "foo{bar}{zap}": 5061,
    "a{b": 13340,
    "user:{42}:x": 8000,
    "123456789": 12739,
    "": 0,
}


def crc16_xmodem(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def key_slot(key):
    k = key.encode()
    s = k.find(b"{")
    if s >= 0:
        e = k.find(b"}", s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    return crc16_xmodem(k) % 16384


def test_cluster_keyslot(cluster3):
    for key, slot in KEYSLOTS.items():
        assert key_slot(key) == slot, key  # the table and the algorithm agree
    follower = cluster3.followers()[0]
    with follower.raw() as conn:
        for key, slot in KEYSLOTS.items():
            assert conn.call("CLUSTER", "KEYSLOT", key) == slot, key
        assert conn.call("CLUSTER", "KEYSLOT", "{user1000}.following") == \
            conn.call("CLUSTER", "KEYSLOT", "{user1000}.followers")


def test_forget_unknown_node_is_an_error(cluster3):
    leader = cluster3.wait_stable()
    with leader.raw() as conn:
        reply = conn.call("CLUSTER", "FORGET", "99")
    assert isinstance(reply, Err), reply
    assert sorted(m["id"] for m in leader.info()["members"]) == [1, 2, 3]


# --------------------------------------------------------------------------------------------
# Data through any node
# --------------------------------------------------------------------------------------------


def test_writes_on_follower_are_forwarded(cluster3):
    leader = cluster3.wait_stable()
    follower = cluster3.followers(leader)[0]
    f = follower.client()
    assert f.set("fwd:str", "hello") is True
    assert f.incr("fwd:ctr") == 1
    assert f.incrby("fwd:ctr", 41) == 42
    assert f.rpush("fwd:list", "a", "b", "c") == 3
    assert f.lpop("fwd:list") == "a"
    assert f.mset({"fwd:m1": "1", "fwd:m2": "2"}) is True
    assert f.delete("fwd:m2") == 1
    assert f.get("fwd:str") == "hello"  # read your write on the same follower
    f.close()
    lc = leader.client()
    assert lc.get("fwd:str") == "hello"
    assert lc.get("fwd:ctr") == "42"
    assert lc.lrange("fwd:list", 0, -1) == ["b", "c"]
    assert lc.mget("fwd:m1", "fwd:m2") == ["1", None]
    lc.close()


def test_reads_are_linearizable_across_nodes(cluster3):
    """A write acknowledged by one node is visible to a (non-READONLY) read on any other node
    right away."""
    nodes = list(cluster3.nodes.values())
    clients = [n.client() for n in nodes]
    try:
        for i in range(60):
            w, rd = clients[i % 3], clients[(i + 1 + i // 3) % 3]
            if w is rd:
                rd = clients[(i + 2) % 3]
            assert w.set("lin:key", f"v{i}") is True
            assert rd.get("lin:key") == f"v{i}", f"round {i}"
            assert w.incr("lin:ctr") == i + 1
            assert int(rd.get("lin:ctr")) == i + 1, f"round {i}"
    finally:
        for c in clients:
            c.close()


def test_readonly_and_readwrite(cluster3):
    leader = cluster3.wait_stable()
    follower = cluster3.followers(leader)[0]
    lc = leader.client()
    assert lc.set("ro:key", "v1") is True
    lc.close()
    with follower.raw() as conn:
        assert conn.call("READONLY") == Simple("OK")
        # local reads may be stale, but converge
        poll(lambda: conn.call("GET", "ro:key") == b"v1", 10, msg="READONLY read of ro:key on a follower")
        lc = leader.client()
        assert lc.set("ro:key", "v2") is True
        lc.close()
        assert conn.call("READWRITE") == Simple("OK")
        assert conn.call("GET", "ro:key") == b"v2"  # linearizable again: sees the acknowledged write


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli not installed (compat-tests/run installs it)")
def test_redis_cli_cluster_mode_on_follower(cluster3):
    leader = cluster3.wait_stable()
    follower = cluster3.followers(leader)[0]

    def cli(node, *args):
        p = subprocess.run([REDIS_CLI, "-c", "-h", node.host, "-p", str(node.port), *args],
                           capture_output=True, timeout=20)
        return p.stdout.decode().strip(), p.stderr.decode().strip()

    assert cli(follower, "SET", "cli:k", "v") == ("OK", "")
    assert cli(follower, "GET", "cli:k") == ("v", "")
    assert cli(leader, "GET", "cli:k") == ("v", "")
    other = next(n for n in cluster3.nodes.values() if n.id not in (leader.id, follower.id))
    assert cli(other, "GET", "cli:k") == ("v", "")


def blocked_clients(node):
    c = node.client()
    try:
        return int(c.info("clients").get("blocked_clients", 0))
    finally:
        c.close()


@pytest.mark.parametrize("blocker,pusher", [("follower", "leader"), ("follower", "other follower"),
                                            ("leader", "follower")])
def test_blpop_served_by_push_on_another_node(cluster3, blocker, pusher):
    leader = cluster3.wait_stable()
    f1, f2 = cluster3.followers(leader)
    waiter_node = {"follower": f1, "leader": leader}[blocker]
    pusher_node = {"leader": leader, "other follower": f2, "follower": f1}[pusher]
    key = f"bq:{blocker}:{pusher}".replace(" ", "-")

    conn = waiter_node.raw(timeout=20)
    try:
        before = blocked_clients(waiter_node)
        conn.send("BLPOP", key, "15")
        try:
            poll(lambda: blocked_clients(waiter_node) > before, 3, msg="the BLPOP to block")
        except AssertionError:
            time.sleep(0.5)  # no blocked_clients in INFO: give it time to block
        p = pusher_node.client()
        t = time.monotonic()
        assert p.rpush(key, "x", "y") == 2
        reply = conn.read()
        elapsed = time.monotonic() - t
        assert reply == [key.encode(), b"x"], reply
        assert elapsed < 5, f"BLPOP woken {elapsed:.2f}s after the RPUSH"
        assert p.lrange(key, 0, -1) == ["y"]
        p.close()
    finally:
        conn.close()


def test_blpop_times_out_on_follower(cluster3):
    follower = cluster3.followers()[0]
    with follower.raw(timeout=10) as conn:
        t = time.monotonic()
        assert conn.call("BLPOP", "bq:nothing", "0.5") is None
        assert 0.4 < time.monotonic() - t < 4


def replica_lists(cluster, key):
    """Each node's own copy of a list (a READONLY local read), once all have caught up."""
    cluster.wait_caught_up()
    out = {}
    for node in cluster.nodes.values():
        c = node.readonly_client()
        out[node.id] = c.lrange(key, 0, -1)
        assert c.llen(key) == len(out[node.id]), node.id
        c.close()
    return out


def test_pops_leave_every_replica_with_the_same_list(cluster3):
    """Replicas apply a pop without reading the element back (nobody sees their reply); the
    client still gets the element from the leader, and every replica ends with the same list."""
    nodes = list(cluster3.nodes.values())
    clients = [n.client() for n in nodes]
    try:
        expected = [str(i) for i in range(40)]
        assert clients[0].rpush("pops:list", *expected) == 40
        for i, (side, count) in enumerate([("l", None), ("r", None), ("l", 3), ("r", 2)] * 3):
            c = clients[i % 3]
            if side == "l":
                got = c.lpop("pops:list", count)
                want, expected = expected[: count or 1], expected[count or 1:]
            else:
                got = c.rpop("pops:list", count)
                want, expected = expected[-(count or 1):][::-1], expected[: -(count or 1)]
            assert got == (want if count else want[0]), f"pop {i} through node {nodes[i % 3].id}"
        assert replica_lists(cluster3, "pops:list") == {n.id: expected for n in nodes}
        assert clients[1].rpop("pops:list", 100) == expected[::-1]
        assert clients[2].lpop("pops:list") is None
        assert clients[0].rpush("pops:list", "x", "y") == 2
        assert clients[1].lpop("pops:list") == "x"
    finally:
        for c in clients:
            c.close()
    assert replica_lists(cluster3, "pops:list") == {n.id: ["y"] for n in nodes}


def test_concurrent_writers_on_all_nodes_agree(cluster3):
    """INCRs through all three nodes at once: no increment lost or doubled."""
    nodes = list(cluster3.nodes.values())
    n_each = 200
    errors = []

    def work(node):
        c = node.client()
        try:
            for _ in range(n_each):
                c.incr("agree:ctr")
                c.rpush("agree:list", node.id)
        except Exception as e:  # reported below
            errors.append((node.id, repr(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    cluster3.wait_caught_up()
    for node in nodes:
        c = node.readonly_client()
        assert c.get("agree:ctr") == str(3 * n_each), node.id
        items = c.lrange("agree:list", 0, -1)
        assert len(items) == 3 * n_each and all(items.count(str(n.id)) == n_each for n in nodes), node.id
        c.close()
    ref = None
    for node in nodes:
        c = node.readonly_client()
        got = c.lrange("agree:list", 0, -1)
        c.close()
        ref = ref or got
        assert got == ref, f"node {node.id} has the list in another order"

"""Membership: a node joining behind a snapshot, CLUSTER FORGET, and a wiped follower rejoining."""

import os
import time

import pytest

from conftest import Simple
from .conftest import node_name, poll, verify_everywhere, wrong_acked

pytestmark = pytest.mark.trident_only


def members_of(info):
    return {m["id"]: m for m in (info or {}).get("members", [])}


def write_keys(client, prefix, n):
    """n sequential SETs (no pipeline: one log entry each); returns {key: value}."""
    out = {}
    for i in range(n):
        k, v = f"{prefix}:{i}", f"{prefix}-value-{i}"
        assert client.set(k, v) is True
        out[k] = v
    return out


def check_reads(node, expected, readonly):
    c = node.readonly_client(socket_timeout=30) if readonly else node.client(socket_timeout=30)
    try:
        bad = wrong_acked(c, expected)
        assert not bad, (f"node {node.id} ({'READONLY' if readonly else 'linearizable'}): "
                         f"{len(bad)} of {len(expected)} keys missing or wrong, e.g. {bad[:5]}")
    finally:
        c.close()


def wait_forgotten(cluster, gone_id, timeout=15.0):
    """No running member lists `gone_id` in /cluster members any more."""
    last = {}

    def check():
        nonlocal last
        last = {n.id: sorted(members_of(n.info())) for n in cluster.running()}
        return all(gone_id not in ids for ids in last.values()) and all(last.values())

    poll(check, timeout, interval=0.1, msg=lambda: f"node {gone_id} gone from every member list; last: {last}")


@pytest.mark.timeout(240)
def test_join_via_snapshot_then_forget(make_cluster):
    c = make_cluster(3, snapshot_logs=200)
    leader = c.wait_stable()
    r = leader.client()
    data = write_keys(r, "snap", 2000)
    r.close()

    # The leader has snapshotted and purged its log behind the snapshot, so a new node cannot be
    # caught up from the log alone.
    last = {}

    def purged():
        nonlocal last
        last = leader.info() or {}
        return last.get("snapshot_index") is not None and last.get("purged_index") is not None

    poll(purged, 30, interval=0.2,
         msg=lambda: f"a snapshot and a purged log on leader {leader.id} after 2000 writes with "
                     f"snapshot_logs=200; last /cluster: {last}")

    via = next(n for n in c.nodes.values() if n.id != leader.id)  # --join through a follower
    n4 = c.add_node(join=via.raft_addr)  # waits: voter on the leader, applied the commit index
    assert n4.id == 4

    info = n4.info()
    installed = n4.metrics().get("trident_raft_snapshots_installed_total", 0)
    assert installed >= 1 or info.get("snapshot_index") is not None, \
        f"node 4 got no snapshot: snapshots_installed_total={installed}, /cluster: {info}"
    assert info["role"] in ("follower", "leader"), f"node 4 is not a voter: {info}"
    leader = c.wait_stable()
    m = members_of(leader.info())
    assert sorted(m) == [1, 2, 3, 4] and m[4]["voter"], f"members on the leader: {m}"
    assert m[4]["raft_addr"] == n4.raft_addr and m[4]["resp_addr"] == n4.resp_addr, m[4]
    for node in c.running():
        assert sorted(members_of(node.info())) == [1, 2, 3, 4], f"node {node.id}: {node.info()}"

    check_reads(n4, data, readonly=True)
    check_reads(n4, data, readonly=False)
    r4 = n4.client()
    assert r4.set("after-join", "x") is True
    assert r4.incr("after-join-ctr") == 1
    r4.close()
    data["after-join"] = "x"

    # CLUSTER FORGET <decimal id> sent to the new node removes an original follower.
    leader = c.wait_stable()
    victim = next(n for n in c.nodes.values() if n.id not in (leader.id, n4.id))
    with n4.raw(timeout=30) as conn:
        t = time.monotonic()
        reply = conn.call("CLUSTER", "FORGET", str(victim.id))
        assert reply == Simple("OK"), f"CLUSTER FORGET {victim.id}: {reply!r}"
    print(f"CLUSTER FORGET {victim.id} took {time.monotonic() - t:.2f}s")
    c.forget(victim)
    wait_forgotten(c, victim.id)
    rc = victim.stop()
    assert rc == 0, f"forgotten node {victim.id} exited with {rc} on SIGTERM\n{victim.log_tail()}"

    leader = c.wait_stable()
    for node in c.running():
        cl = node.client()
        k = f"after-forget:{node.id}"
        assert cl.set(k, node.name) is True, f"write through node {node.id} after FORGET"
        data[k] = node.name
        cl.close()
    for node in c.running():
        check_reads(node, data, readonly=False)
    verify_everywhere(c, data)

    # CLUSTER FORGET <40-hex name> sent to the leader removes node 4; two voters remain.
    with leader.raw(timeout=30) as conn:
        reply = conn.call("CLUSTER", "FORGET", node_name(n4.id))
        assert reply == Simple("OK"), f"CLUSTER FORGET {node_name(n4.id)}: {reply!r}"
    c.forget(n4)
    wait_forgotten(c, n4.id)
    assert n4.stop() == 0
    leader = c.wait_stable()
    assert sorted(members_of(leader.info())) == sorted(c.nodes)
    for node in c.running():
        cl = node.client()
        k = f"after-forget-4:{node.id}"
        assert cl.set(k, "y") is True
        data[k] = "y"
        cl.close()
    verify_everywhere(c, data)


@pytest.mark.timeout(180)
def test_wiped_follower_rejoins_and_catches_up(make_cluster):
    c = make_cluster(3)
    leader = c.wait_stable()
    r = leader.client()
    data = write_keys(r, "before", 300)

    follower = next(n for n in c.nodes.values() if n.id != leader.id)
    other = next(n for n in c.nodes.values() if n.id not in (leader.id, follower.id))
    rc = follower.stop()
    assert rc == 0, f"node {follower.id} exited with {rc} on SIGTERM\n{follower.log_tail()}"
    follower.wipe()

    data.update(write_keys(r, "while-down", 300))  # two of three voters: still a quorum
    r.close()

    follower.start(join=other.raft_addr)  # same node id, empty data dir
    c.wait_voter(follower)
    c.wait_caught_up()
    info = follower.info()
    assert info["node_id"] == follower.id and info["role"] in ("follower", "leader"), info
    check_reads(follower, data, readonly=True)

    rf = follower.client()
    assert rf.set("after-rejoin", "z") is True
    rf.close()
    data["after-rejoin"] = "z"
    verify_everywhere(c, data)


@pytest.mark.timeout(180)
def test_cluster_built_by_join_and_restarted(make_cluster):
    """Node 1 bootstraps a cluster of one; nodes 2 and 3 --join it and become voters. Restarts
    need no --join (node 3), and passing it again is harmless (node 2)."""
    c = make_cluster(3, how="join")
    leader = c.wait_stable()
    m = members_of(leader.info())
    assert sorted(m) == [1, 2, 3] and all(x["voter"] for x in m.values()), m

    r3 = c.nodes[3].client()
    data = write_keys(r3, "joined", 200)
    r3.close()

    n2, n3 = c.nodes[2], c.nodes[3]
    assert n2.join is not None
    assert n2.stop() == 0
    n2.start()  # with --join again
    c.wait_caught_up()
    n3.join = None
    assert n3.stop() == 0
    n3.start()  # without --join
    c.wait_caught_up()
    leader = c.wait_stable()
    assert sorted(members_of(leader.info())) == [1, 2, 3]
    verify_everywhere(c, data)


def log_bytes(node):
    """Bytes of the node's Raft log segment files on disk."""
    d = os.path.join(node.data_dir, "raft", "log")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))


@pytest.mark.timeout(240)
def test_log_is_bounded_by_bytes_as_well_as_entries(make_cluster):
    """80 SETs of 256 KiB each are 80 log entries, far below snapshot_logs (10 000), but 20 MiB:
    with snapshot_log_bytes = 1 MiB every node snapshots and purges its log well before that,
    and a follower restarted afterwards still recovers every value (snapshot, then the log)."""
    c = make_cluster(3, snapshot_log_bytes=1 << 20)
    leader = c.wait_stable()
    r = leader.client(socket_timeout=30)
    acked = {}
    for i in range(80):
        k, v = f"big:{i}", f"{i:04d}" + "x" * (256 << 10)
        assert r.set(k, v) is True
        acked[k] = v
    r.close()
    written = sum(len(v) for v in acked.values())

    last = {}

    def bounded():
        last.update({n.id: log_bytes(n) for n in c.running()})
        return all(b < 6 << 20 for b in last.values())

    poll(bounded, 60, interval=0.5,
         msg=lambda: f"every node's log under 6 MiB after {written} bytes of SETs with "
                     f"snapshot_log_bytes=1 MiB; log bytes per node: {last}")
    for n in c.running():
        built = n.metrics().get("trident_raft_snapshots_built_total", 0)
        assert built >= 1, f"node {n.id} built no snapshot: {built}"

    follower = c.followers(leader)[0]
    follower.stop()
    follower.start()
    verify_everywhere(c, acked)

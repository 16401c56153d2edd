"""A lone survivor of a 3-node cluster: no leader, /health 503, commands fail fast with
CLUSTERDOWN/TRYAGAIN (never hang); the cluster heals when the others come back.

The survivor is a follower in one case and the old leader in the other (a leader cut off from
its quorum must notice and stop claiming leadership).
"""

import time

import pytest

from conftest import Err
from .conftest import poll

pytestmark = pytest.mark.trident_only

PROMPT = 3.0  # seconds a command may take to fail without a leader


@pytest.mark.timeout(120)
@pytest.mark.parametrize("survivor_role", ["follower", "leader"])
def test_lone_survivor(make_cluster, survivor_role):
    c = make_cluster(3)
    leader = c.wait_stable()
    lc = leader.client()
    assert lc.set("before", "1") is True
    lc.close()
    c.wait_caught_up()

    survivor = leader if survivor_role == "leader" else c.followers(leader)[0]
    victims = [n for n in c.nodes.values() if n.id != survivor.id]
    for v in victims:
        v.kill()

    last = {}

    def unhealthy():
        last["health"] = survivor.admin_get("/health")
        return last["health"][0] == 503

    poll(unhealthy, 10, interval=0.1,
         msg=lambda: f"/health 503 on lone node {survivor.id} ({survivor_role}); "
                     f"last: {last.get('health')}; /cluster: {survivor.info()}")
    info = survivor.info()
    assert info is not None and info["leader"] is None, info

    with survivor.raw(timeout=10) as conn:
        for cmd in (("SET", "k", "v"), ("GET", "before"), ("INCR", "n"), ("GET", "k")):
            t = time.monotonic()
            reply = conn.call(*cmd)
            elapsed = time.monotonic() - t
            assert isinstance(reply, Err) and reply.startswith(("CLUSTERDOWN", "TRYAGAIN")), \
                f"{cmd} on the lone node: {reply!r}"
            assert elapsed < PROMPT, f"{cmd} took {elapsed:.2f}s to fail"
    # a READONLY (local) read needs no leader
    ro = survivor.readonly_client(socket_timeout=PROMPT)
    assert ro.get("before") == "1"
    ro.close()

    # Heal: the others come back with the same flags; the cluster serves again.
    for v in victims:
        v.start()
    leader = c.wait_stable()
    for node in c.nodes.values():
        assert node.health() == 200, node.id
    sc = survivor.client()
    assert sc.set("after", "2") is True
    assert sc.get("before") == "1"
    sc.close()

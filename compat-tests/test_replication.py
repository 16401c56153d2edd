"""Redis replicas of the server: a real `redis-server --replicaof` attached with PSYNC, and the
SYNC stream on the wire.

Reference behaviour is redis-server 7.0 as a master:
- PSYNC is answered `+FULLRESYNC <40 hex digits> <offset>`, then `$<len>` and an RDB file;
  SYNC gets the file alone; newlines may come before either while the file is written;
- then every write, as the commands that reproduce it: a SELECT before the first command and
  whenever the database changes; a transaction or script inside MULTI ... EXEC only when more
  than one of its commands wrote (one is sent alone, none sends nothing); a write that changed
  nothing (DEL of a missing key) is not sent; commands with random or float results are sent
  as their outcome (SPOP as SREM, INCRBYFLOAT as SET ... KEEPTTL).
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, wait_until

SYNC_TIMEOUT = 30.0


@pytest.fixture
def replica_of(request):
    """Factory: replica_of(srv) starts a redis-server replicating from srv; returns a client."""
    started = []

    def start(srv):
        port = free_port()
        root = tempfile.mkdtemp(prefix="trident-replica-")
        argv = [
            shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
            "--replicaof", srv.host, str(srv.port), "--save", "", "--appendonly", "no",
            "--dir", root, "--logfile", os.path.join(root, "log"),
            "--repl-diskless-load", "disabled",
        ]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append((proc, root))
        import redis
        c = redis.Redis(port=port, decode_responses=False, socket_timeout=10)
        wait_until(lambda: _link_up(c), timeout=SYNC_TIMEOUT,
                   msg=lambda: "replica in sync: " + _log(root))
        return c

    yield start
    for proc, root in started:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _link_up(c):
    try:
        info = c.info("replication")
    except Exception:
        return False
    return info.get("master_link_status") == "up" and info.get("master_sync_in_progress") == 0


def _log(root):
    try:
        with open(os.path.join(root, "log")) as f:
            return f.read()[-3000:]
    except OSError:
        return "(no log)"


def dataset(c):
    """Every key of every database with its type, whole value and deadline."""
    out = {}
    for db in range(16):
        c.execute_command("SELECT", db)
        for k in c.keys("*"):
            t = c.type(k).decode()
            value = {
                "string": lambda: c.get(k),
                "list": lambda: c.lrange(k, 0, -1),
                "hash": lambda: sorted(c.hgetall(k).items()),
                "set": lambda: sorted(c.smembers(k)),
                "zset": lambda: c.zrange(k, 0, -1, withscores=True),
            }[t]()
            out[(db, k)] = (t, value, c.pexpiretime(k))
    c.execute_command("SELECT", 0)
    return out


def same_data(srv, replica, timeout=SYNC_TIMEOUT):
    master = srv.client(decode=False)
    try:
        wait_until(lambda: dataset(master) == dataset(replica), timeout=timeout,
                   msg=lambda: _diff(dataset(master), dataset(replica)))
    finally:
        master.close()


def _diff(a, b):
    keys = sorted(set(a) | set(b))
    lines = [f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in keys if a.get(k) != b.get(k)]
    return "replica equal to master; differences: " + "; ".join(lines[:10])


def fill(c):
    """Data of every type, in several databases, with deadlines, binary values and collections
    longer than one read chunk and than the RDB's short length encodings."""
    c.set("s", "hello")
    c.set("bin", bytes(range(256)))
    c.set("ttl", "v", px=600_000)
    c.set("big", "x" * 70_000)
    c.rpush("l", *[f"e{i}" for i in range(5000)])
    c.hset("h", mapping={f"f{i}": f"v{i}" for i in range(300)})
    c.sadd("st", *[f"m{i}" for i in range(2000)])
    c.zadd("z", {f"m{i}": i / 4 for i in range(1500)})
    c.zadd("zinf", {"lo": float("-inf"), "hi": float("inf"), "mid": 0.1})
    c.expire("h", 900)
    c.execute_command("SELECT", 7)
    c.set("in7", "x")
    c.lpush("l7", "a")
    c.execute_command("SELECT", 0)


def test_a_redis_replica_loads_the_data_set_and_follows_every_change(srv, replica_of):
    r = srv.client(decode=False)
    fill(r)
    replica = replica_of(srv)
    same_data(srv, replica)

    # Random and float outcomes, transactions, scripts, blocked clients, expiry, every family.
    r.spop("st", 10)
    r.spop("st")
    r.incrbyfloat("fl", 1.1)
    r.incrbyfloat("fl", 2.25)
    r.hset("h", "n", "1")
    r.hincrbyfloat("h", "n", 0.5)
    pipe = r.pipeline(transaction=True)
    pipe.set("a", 1).incr("a").lpush("q", "x").zincrby("z", 2.5, "m3")
    pipe.execute()
    r.eval("redis.call('set', KEYS[1], 'e'); redis.call('sadd', KEYS[2], 'm'); return 1",
           2, "e1", "e2")
    blocked = srv.client(decode=False)
    import threading
    popped = []
    t = threading.Thread(target=lambda: popped.append(blocked.blpop(["bq"], timeout=10)))
    t.start()
    wait_until(lambda: r.info("clients")["blocked_clients"] == 1, msg="BLPOP blocked")
    r.rpush("bq", "one", "two")
    t.join(timeout=15)
    assert popped == [(b"bq", b"one")]
    r.set("short", "v", px=100)
    r.expire("s", 1000)
    r.persist("ttl")
    r.delete("bin", "missing")
    r.rename("big", "big2")
    r.copy("l", "lcopy")
    r.execute_command("MOVE", "lcopy", 3)
    r.zpopmin("z", 3)
    r.execute_command("LMPOP", 2, "nolist", "l", "RIGHT", "COUNT", 4)
    r.sinterstore("inter", ["st", "e2"])
    r.zunionstore("zu", {"z": 2, "zinf": 1}, aggregate="MAX")
    r.execute_command("ZRANGESTORE", "zr", "z", "(5", "2", "BYSCORE", "REV", "LIMIT", 0, 4)
    r.setrange("s", 1, "EL")
    r.setbit("bits", 7, 1)
    r.append("s", "!")
    r.lset("l", 0, "first")
    r.lrem("l", 1, "e10")
    r.ltrim("l", 0, 3000)
    r.linsert("l", "BEFORE", "e20", "inserted")
    r.hdel("h", "f2", "f3")
    r.zremrangebyscore("z", 10, 20)
    r.getdel("s")
    r.getex("ttl", ex=5000)
    r.mset({"m1": "1", "m2": "2"})
    r.smove("st", "moved", "m5")
    r.execute_command("SELECT", 7)
    r.flushdb()
    r.execute_command("SELECT", 0)
    r.publish("chan", "not data")
    wait_until(lambda: r.exists("short") == 0, msg="short expired")
    same_data(srv, replica)
    assert replica.exists(b"short") == 0
    blocked.close()
    r.close()


def read_bulk_header(sock_file):
    while True:
        line = sock_file.readline()
        if line.strip():
            return line


def stream_reader(srv, command=b"SYNC\r\n"):
    s = socket.create_connection((srv.host, srv.port), timeout=10)
    s.sendall(command)
    f = s.makefile("rb")
    first = read_bulk_header(f)
    return s, f, first


def read_payload(f, header):
    assert header.startswith(b"$"), header
    n = int(header[1:].strip())
    payload = f.read(n)
    assert len(payload) == n
    return payload


def next_command(f):
    line = f.readline()
    while line == b"\n":
        line = f.readline()
    assert line.startswith(b"*"), line
    argv = []
    for _ in range(int(line[1:])):
        size = int(f.readline()[1:])
        argv.append(f.read(size + 2)[:-2])
    argv[0] = argv[0].lower()
    return [a.decode() for a in argv]


def test_the_sync_stream_carries_effects_in_transactions_only_when_needed(srv):
    srv_conf = srv.client()
    srv_conf.config_set("repl-ping-replica-period", 3600)
    s, f, header = stream_reader(srv)
    payload = read_payload(f, header)
    assert payload.startswith(b"REDIS")
    r = srv.client()
    r.delete("nothing")  # changes nothing: not sent
    pipe = r.pipeline(transaction=True)
    pipe.set("only", "1").get("only")
    pipe.execute()  # one write: sent alone
    pipe = r.pipeline(transaction=True)
    pipe.set("x", "1").delete("never").execute_command("INCR", "x")
    pipe.execute()  # two writes: MULTI ... EXEC, without the DEL that changed nothing
    r.execute_command("SELECT", 2)
    r.spop("none")
    r.sadd("s", "a")
    assert next_command(f)[0] == "select"
    assert next_command(f) == ["set", "only", "1"]
    assert next_command(f) == ["multi"]
    assert next_command(f) == ["set", "x", "1"]
    assert next_command(f) == ["incr", "x"]
    assert next_command(f) == ["exec"]
    assert next_command(f) == ["select", "2"]
    assert next_command(f) == ["sadd", "s", "a"]
    s.close()
    srv_conf.config_set("repl-ping-replica-period", 10)
    srv_conf.close()
    r.close()


def test_psync_is_answered_with_a_full_resynchronisation(srv):
    r = srv.client()
    r.set("k", "v")
    s, f, first = stream_reader(srv, b"PSYNC ? -1\r\n")
    parts = first.split()
    assert parts[0] == b"+FULLRESYNC"
    assert len(parts[1]) == 40 and all(c in b"0123456789abcdef" for c in parts[1])
    assert int(parts[2]) >= 0
    payload = read_payload(f, read_bulk_header(f))
    assert payload.startswith(b"REDIS") and b"k" in payload
    s.close()
    r.close()


def test_sync_inside_multi_is_refused(srv):
    c = srv.raw()
    assert c.call("MULTI") == "OK"
    reply = c.call("SYNC")
    assert "not allowed" in reply
    c.close()

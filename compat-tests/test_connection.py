"""Connection and server commands: PING ECHO HELLO AUTH SELECT CLIENT COMMAND INFO CONFIG
DBSIZE FLUSHDB FLUSHALL TIME SAVE BGSAVE LASTSAVE QUIT RESET."""

import re
import time

import pytest
import redis

from conftest import NULL, Err, Map, Simple, Verbatim, is_redis, nil, no_retry, wait_until

NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


def text(v):
    return v.decode() if isinstance(v, (bytes, bytearray)) else v


def as_pairs(reply, proto):
    """A map reply as a dict of str -> value, checking the wire shape for the protocol."""
    if proto == 3:
        assert isinstance(reply, Map), f"RESP3 must answer a map, got {reply!r}"
        return {text(k): v for k, v in reply.items()}
    assert isinstance(reply, list) and not isinstance(reply, Map), reply
    assert len(reply) % 2 == 0, reply
    return {text(reply[i]): reply[i + 1] for i in range(0, len(reply), 2)}


# ---------------------------------------------------------------------------------- PING ECHO


def test_ping_and_echo(raw, proto):
    assert raw.call("PING") == Simple("PONG")
    assert isinstance(raw.call("PING"), Simple)
    assert raw.call("PING", "hello world") == b"hello world"
    assert raw.call("ECHO", "hi\r\nthere\x00") == b"hi\r\nthere\x00"
    assert raw.call("ECHO") == Err("ERR wrong number of arguments for 'echo' command")


def test_ping_redis_py(rp):
    assert rp.ping() is True
    assert rp.echo("abc") == "abc"


def test_pipelined_requests_answer_in_order(srv):
    with srv.raw() as c:
        c.send_raw(b"".join(c.encode("ECHO", str(i)) for i in range(200)))
        for i in range(200):
            assert c.read() == str(i).encode()


# ---------------------------------------------------------------------------------- HELLO


@pytest.mark.parametrize("ver", [2, 3])
def test_hello_reply(srv, ver):
    with srv.raw() as c:
        cid = c.call("CLIENT", "ID")
        reply = c.call("HELLO", str(ver))
        m = as_pairs(reply, ver)
        assert list(m) == ["server", "version", "proto", "id", "mode", "role", "modules"]
        assert isinstance(m["server"], bytes) and m["server"]
        assert re.match(rb"^\d+\.\d+\.\d+", m["version"]), m["version"]
        assert m["proto"] == ver
        assert m["id"] == cid
        assert m["mode"] == b"standalone"
        assert m["role"] == b"master"
        assert m["modules"] == []
        # the connection now speaks that protocol: a missing key is `_` in RESP3, `$-1` in RESP2
        assert c.call("GET", "no-such-key") == nil(ver)


def test_hello_without_version_reports_current_protocol(srv):
    with srv.raw() as c:
        m = as_pairs(c.call("HELLO"), 2)
        assert m["proto"] == 2
        c.call("HELLO", "3")
        m = as_pairs(c.call("HELLO"), 3)
        assert m["proto"] == 3
        m = as_pairs(c.call("HELLO", "2"), 2)
        assert m["proto"] == 2


def test_hello_setname_and_bad_version(srv):
    with srv.raw() as c:
        assert isinstance(c.call("HELLO", "3", "SETNAME", "conn-a"), Map)
        assert c.call("CLIENT", "GETNAME") == b"conn-a"
        assert c.call("HELLO", "4") == Err("NOPROTO unsupported protocol version")
        assert c.call("HELLO", "1") == Err("NOPROTO unsupported protocol version")
        # a failed HELLO leaves the protocol alone
        assert c.call("GET", "missing") == NULL


def test_redis_py_resp3_roundtrip(srv):
    c = srv.client(protocol=3)
    try:
        assert c.set("k", "v") is True
        assert c.get("k") == "v"
        assert c.get("missing") is None
        assert c.config_get("databases") == {"databases": "16"}
    finally:
        c.close()


# ---------------------------------------------------------------------------------- AUTH


@pytest.fixture
def pw_server(make_server):
    return make_server(requirepass="s3cret-pw")


def test_auth_required(pw_server):
    with pw_server.raw() as c:
        assert c.call("PING") == Err(NOAUTH)
        assert c.call("GET", "k") == Err(NOAUTH)
        assert c.call("SET", "k", "v") == Err(NOAUTH)
        assert c.call("AUTH", "wrong") == Err(WRONGPASS)
        assert c.call("AUTH", "default", "wrong") == Err(WRONGPASS)
        assert c.call("AUTH", "nobody", "s3cret-pw") == Err(WRONGPASS)
        assert c.call("GET", "k") == Err(NOAUTH)
        assert c.call("AUTH", "s3cret-pw") == Simple("OK")
        assert c.call("PING") == Simple("PONG")
        assert c.call("SET", "k", "v") == Simple("OK")
    with pw_server.raw() as c:
        assert c.call("AUTH", "default", "s3cret-pw") == Simple("OK")
        assert c.call("GET", "k") == b"v"


def test_auth_via_hello(pw_server):
    with pw_server.raw() as c:
        reply = c.call("HELLO", "3")
        assert isinstance(reply, Err) and reply.startswith("NOAUTH"), reply
        assert c.call("HELLO", "3", "AUTH", "default", "nope") == Err(WRONGPASS)
        m = c.call("HELLO", "3", "AUTH", "default", "s3cret-pw")
        assert isinstance(m, Map) and m[b"proto"] == 3
        assert c.call("PING") == Simple("PONG")


def test_auth_redis_py(pw_server):
    good = pw_server.client()
    try:
        assert good.ping() is True
    finally:
        good.close()
    for proto in (2, 3):
        bad = redis.Redis(host=pw_server.host, port=pw_server.port, password="wrong",
                          protocol=proto, socket_timeout=5, retry=no_retry())
        with pytest.raises(redis.AuthenticationError):
            bad.ping()
        bad.close()
        anon = redis.Redis(host=pw_server.host, port=pw_server.port, protocol=2, socket_timeout=5,
                           retry=no_retry())
        with pytest.raises(redis.AuthenticationError):
            anon.get("k")
        anon.close()


def test_auth_without_password_configured(srv):
    with srv.raw() as c:
        reply = c.call("AUTH", "whatever")
        assert isinstance(reply, Err)
        assert reply.startswith(
            "ERR AUTH <password> called without any password configured for the default user"
        ), reply
        assert c.call("PING") == Simple("PONG")


# ---------------------------------------------------------------------------------- SELECT


def test_select_databases_are_separate(srv):
    with srv.raw() as c:
        for db in range(16):
            assert c.call("SELECT", str(db)) == Simple("OK")
            assert c.call("SET", "k", f"db{db}") == Simple("OK")
        for db in range(16):
            c.call("SELECT", str(db))
            assert c.call("GET", "k") == f"db{db}".encode()
            assert c.call("DBSIZE") == 1
        assert c.call("SELECT", "16") == Err("ERR DB index is out of range")
        assert c.call("SELECT", "-1") == Err("ERR DB index is out of range")
        assert c.call("SELECT", "abc") == Err("ERR value is not an integer or out of range")
        # a failed SELECT keeps the current db (15)
        assert c.call("GET", "k") == b"db15"


def test_select_redis_py_db_option(srv):
    a = srv.client(db=3)
    b = srv.client(db=0)
    try:
        a.set("only-in-3", "x")
        assert b.get("only-in-3") is None
        assert a.get("only-in-3") == "x"
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------------------------- CLIENT


def test_client_id_and_names(srv):
    with srv.raw() as c1, srv.raw() as c2:
        id1, id2 = c1.call("CLIENT", "ID"), c2.call("CLIENT", "ID")
        assert isinstance(id1, int) and isinstance(id2, int) and id1 != id2
        assert c1.call("CLIENT", "ID") == id1
        assert c1.call("CLIENT", "GETNAME") is None
        assert c1.call("CLIENT", "SETNAME", "worker-1") == Simple("OK")
        assert c1.call("CLIENT", "GETNAME") == b"worker-1"
        assert c2.call("CLIENT", "GETNAME") is None
        assert c1.call("CLIENT", "SETNAME", "has space") == Err(
            "ERR Client names cannot contain spaces, newlines or special characters."
        )
        assert c1.call("CLIENT", "GETNAME") == b"worker-1"
        # an empty name clears it
        assert c1.call("CLIENT", "SETNAME", "") == Simple("OK")
        assert c1.call("CLIENT", "GETNAME") is None


def test_client_setinfo(srv, r):
    if is_redis():
        version = r.info("server")["redis_version"]
        if tuple(int(x) for x in version.split(".")[:2]) < (7, 2):
            pytest.skip(f"CLIENT SETINFO needs Redis >= 7.2 (reference is {version})")
    with srv.raw() as c:
        assert c.call("CLIENT", "SETINFO", "LIB-NAME", "compat-tests") == Simple("OK")
        assert c.call("CLIENT", "SETINFO", "LIB-VER", "1.2.3") == Simple("OK")
        info = c.call("CLIENT", "INFO")
        assert b"lib-name=compat-tests" in info and b"lib-ver=1.2.3" in info
        reply = c.call("CLIENT", "SETINFO", "NO-SUCH-ATTR", "x")
        assert isinstance(reply, Err) and reply.startswith("ERR"), reply


def parse_client_line(line):
    fields = {}
    for part in line.strip().split(" "):
        k, _, v = part.partition("=")
        fields[k] = v
    return fields


def test_client_list_and_info(srv, raw, proto):
    with srv.raw() as other:
        other.call("CLIENT", "SETNAME", "other-conn")
        other_id = other.call("CLIENT", "ID")
        my_id = raw.call("CLIENT", "ID")
        raw.call("SELECT", "2")
        listing = raw.call("CLIENT", "LIST")
        info = raw.call("CLIENT", "INFO")
        if proto == 3:
            assert isinstance(listing, Verbatim) and listing.fmt == b"txt", repr(listing)
            assert isinstance(info, Verbatim) and info.fmt == b"txt", repr(info)
        else:
            assert type(listing) is bytes and type(info) is bytes
        lines = [parse_client_line(l) for l in listing.decode().splitlines() if l.strip()]
        by_id = {int(f["id"]): f for f in lines}
        assert my_id in by_id and other_id in by_id, listing
        assert by_id[other_id]["name"] == "other-conn"
        for f in lines:
            assert "addr" in f and re.match(r"^127\.0\.0\.1:\d+$", f["addr"]), f
        mine = parse_client_line(info.decode())
        assert int(mine["id"]) == my_id
        assert mine["db"] == "2"
        assert by_id[my_id]["addr"] == mine["addr"]


def test_client_kill(srv):
    with srv.raw() as killer, srv.raw() as victim, srv.raw() as victim2:
        vid = victim.call("CLIENT", "ID")
        assert victim.call("PING") == Simple("PONG")
        assert killer.call("CLIENT", "KILL", "ID", str(vid)) == 1
        with pytest.raises((ConnectionError, OSError)):
            victim.call("PING")
            victim.call("PING")
        assert killer.call("CLIENT", "KILL", "ID", "987654321") == 0
        addr = parse_client_line(victim2.call("CLIENT", "INFO").decode())["addr"]
        assert killer.call("CLIENT", "KILL", "ADDR", addr) == 1
        with pytest.raises((ConnectionError, OSError)):
            victim2.call("PING")
            victim2.call("PING")
        assert killer.call("PING") == Simple("PONG")


# ---------------------------------------------------------------------------------- COMMAND


def test_command_count(srv):
    with srv.raw() as c:
        n = c.call("COMMAND", "COUNT")
    assert isinstance(n, int) and n >= 50


def test_command_info(srv, raw, proto):
    reply = raw.call("COMMAND", "INFO", "get", "set", "mset", "no-such-command")
    assert len(reply) == 4
    get, set_, mset, missing = reply
    assert missing == nil(proto)
    assert get[0] == b"get" and get[1] == 2 and get[3:6] == [1, 1, 1]
    assert [text(f) for f in get[2]].count("readonly") == 1
    assert set_[0] == b"set" and set_[1] == -3 and set_[3:6] == [1, 1, 1]
    assert "write" in [text(f) for f in set_[2]]
    assert mset[0] == b"mset" and mset[1] == -3 and mset[3:6] == [1, -1, 2]


def test_command_docs(srv, raw, proto):
    reply = raw.call("COMMAND", "DOCS", "get")
    if proto == 3:
        assert isinstance(reply, Map) and list(reply) == [b"get"], reply
        doc = as_pairs(reply[b"get"], 3)
    else:
        assert isinstance(reply, list) and reply[0] == b"get" and len(reply) == 2, reply
        doc = as_pairs(reply[1], 2)
    assert isinstance(doc["summary"], bytes) and doc["summary"]
    assert doc["group"] == b"string"


# ---------------------------------------------------------------------------------- INFO


def test_info_sections(srv, r):
    server = r.info("server")
    assert re.match(r"^\d+\.\d+\.\d+", str(server["redis_version"]))
    clients = r.info("clients")
    assert clients["connected_clients"] >= 1
    assert clients["blocked_clients"] == 0
    stats = r.info("stats")
    assert "expired_keys" in stats and isinstance(stats["expired_keys"], int)
    everything = r.info()
    for key in ("redis_version", "connected_clients", "blocked_clients", "expired_keys"):
        assert key in everything, key


def test_info_keyspace(srv, r, raw, proto):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    r.rpush("c", "x")
    r.execute_command("SELECT", "0")
    text_reply = raw.call("INFO", "keyspace")
    if proto == 3:
        assert isinstance(text_reply, Verbatim) and text_reply.fmt == b"txt"
    else:
        assert type(text_reply) is bytes
    lines = text_reply.decode().split("\r\n")
    assert lines[0] == "# Keyspace", lines
    db0 = [l for l in lines if l.startswith("db0:")]
    assert len(db0) == 1 and db0[0].startswith("db0:keys=3,expires=1"), lines
    parsed = r.info("keyspace")
    assert parsed["db0"]["keys"] == 3 and parsed["db0"]["expires"] == 1
    r.flushall()
    assert "db0" not in r.info("keyspace")


def test_info_default_has_section_headers(srv, raw, proto):
    body = raw.call("INFO").decode()
    for header in ("# Server", "# Clients", "# Stats", "# Keyspace"):
        assert header + "\r\n" in body, header
    assert "\r\nredis_version:" in body


# ---------------------------------------------------------------------------------- CONFIG


def test_config_get_shapes(srv, raw, proto):
    m = as_pairs(raw.call("CONFIG", "GET", "databases"), proto)
    assert m == {"databases": b"16"}
    empty = raw.call("CONFIG", "GET", "no-such-parameter")
    assert empty == ({} if proto == 3 else [])
    assert isinstance(empty, Map) == (proto == 3)


def test_config_get_set(r):
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    assert r.config_set("appendfsync", "always") is True
    try:
        assert r.config_get("appendfsync") == {"appendfsync": "always"}
    finally:
        r.config_set("appendfsync", "everysec")
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    got = r.config_get("save")
    assert set(got) == {"save"}
    assert r.config_get("appendonly") == {"appendonly": "yes"}


def test_config_errors(srv):
    with srv.raw() as c:
        assert c.call("CONFIG", "SET", "no-such-param", "1") == Err(
            "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-param'"
        )
        reply = c.call("CONFIG", "SET", "appendfsync", "sometimes")
        assert isinstance(reply, Err) and reply.startswith("ERR "), reply
        assert c.call("CONFIG", "GET") == Err("ERR wrong number of arguments for 'config|get' command")


def test_config_resetstat(srv, r):
    r.set("short", "v", px=1)
    time.sleep(0.05)
    assert r.get("short") is None
    assert r.info("stats")["expired_keys"] >= 1
    assert r.config_resetstat() is True
    assert r.info("stats")["expired_keys"] == 0


# ---------------------------------------------------------------------------------- keyspace admin


def test_dbsize_flushdb_flushall(srv, r):
    other = srv.client(db=1)
    try:
        assert r.dbsize() == 0
        r.mset({"a": 1, "b": 2, "c": 3})
        other.set("x", 1)
        assert r.dbsize() == 3 and other.dbsize() == 1
        assert r.flushdb() is True
        assert r.dbsize() == 0 and other.dbsize() == 1
        r.set("a", 1)
        assert r.execute_command("FLUSHDB", "ASYNC") in (True, "OK")
        assert r.dbsize() == 0
        r.set("a", 1)
        assert r.execute_command("FLUSHALL", "SYNC") in (True, "OK")
        assert r.dbsize() == 0 and other.dbsize() == 0
        r.set("a", 1)
        assert r.flushall() is True
        assert r.dbsize() == 0
    finally:
        other.close()


def test_time(raw, proto):
    before = time.time()
    secs, usecs = raw.call("TIME")
    after = time.time()
    assert isinstance(secs, bytes) and isinstance(usecs, bytes)
    t = int(secs) + int(usecs) / 1e6
    assert 0 <= int(usecs) < 1_000_000
    assert before - 2 <= t <= after + 2


def test_save_bgsave_lastsave(srv, r):
    t0 = int(time.time())
    assert r.execute_command("SAVE") in (True, "OK")
    last = r.lastsave()
    assert abs(last.timestamp() - t0) <= 5
    with srv.raw() as c:
        reply = c.call("BGSAVE")
        assert isinstance(reply, Simple) and reply.startswith("Background sav"), reply
    wait_until(lambda: r.lastsave().timestamp() >= t0 - 1, timeout=10, msg="LASTSAVE")
    with srv.raw() as c:
        assert isinstance(c.call("LASTSAVE"), int)


# ---------------------------------------------------------------------------------- QUIT RESET


def test_quit_closes_connection(srv):
    with srv.raw() as c:
        c.call("SET", "k", "v")
        assert c.call("QUIT") == Simple("OK")
        assert c.read_all_until_close() == b""
    with srv.raw() as c:
        assert c.call("GET", "k") == b"v"


def test_reset(srv):
    with srv.raw() as c:
        cid = c.call("CLIENT", "ID")
        assert isinstance(c.call("HELLO", "3"), Map)
        assert c.call("SELECT", "5") == Simple("OK")
        c.call("SET", "in5", "x")
        c.call("CLIENT", "SETNAME", "before-reset")
        assert c.call("RESET") == Simple("RESET")
        # back to RESP2, db 0, no name, same connection
        assert c.call("GET", "missing") is None
        assert c.call("CLIENT", "GETNAME") is None
        assert c.call("GET", "in5") is None
        assert c.call("CLIENT", "ID") == cid


def test_encoding_thresholds_are_accepted(r):
    # Redis's encoding thresholds are accepted (and change nothing in trident); the old
    # `ziplist` names and the `listpack` ones are one parameter.
    assert r.config_set("hash-max-ziplist-entries", "2") is True
    try:
        assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "2"}
        assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "2"}
    finally:
        r.config_set("hash-max-listpack-entries", "128")
    assert r.config_get("hash-max-ziplist-entries") == {"hash-max-ziplist-entries": "128"}
    for p, v in [("set-max-intset-entries", "512"), ("zset-max-ziplist-entries", "128"),
                 ("zset-max-listpack-value", "64"), ("hash-max-listpack-value", "64")]:
        assert r.config_set(p, v) is True
        assert r.config_get(p) == {p: v}
    with pytest.raises(redis.ResponseError, match="integer"):
        r.config_set("zset-max-listpack-entries", "many")



@pytest.mark.trident_only
def test_set_listpack_thresholds_of_redis_72_are_accepted(r):
    """`set-max-listpack-*` are Redis 7.2's names (Valkey's harness sends them); the reference
    redis-server 7.0 has no such parameters, so this runs against trident only."""
    for p, v in [("set-max-listpack-entries", "128"), ("set-max-listpack-value", "64")]:
        assert r.config_set(p, v) is True
        assert r.config_get(p) == {p: v}


def test_debug_log_sleep_and_function_flush(r):
    assert r.execute_command("DEBUG", "LOG", "### a marker") == "OK"
    t = time.monotonic()
    assert r.execute_command("DEBUG", "SLEEP", "0.2") == "OK"
    assert time.monotonic() - t >= 0.19
    assert r.execute_command("DEBUG", "SLEEP", "0") == "OK"
    r.set("k", "v")
    assert r.execute_command("DEBUG", "RELOAD") == "OK"
    assert r.get("k") == "v"
    with pytest.raises(redis.ResponseError, match="unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP"):
        r.execute_command("DEBUG", "NOSUCH")
    assert r.execute_command("FUNCTION", "FLUSH") == "OK"
    assert r.execute_command("FUNCTION", "FLUSH", "ASYNC") == "OK"
    assert r.execute_command("FUNCTION", "LIST") == []


def test_info_reports_maxmemory(r):
    r.config_set("maxmemory", "100mb")
    try:
        assert r.info("memory")["maxmemory"] == 100 * 1024 * 1024
    finally:
        r.config_set("maxmemory", "0")
    assert r.info("memory")["maxmemory"] == 0

"""The DataStax Python driver (cassandra-driver) with its default settings against trident."""

import datetime
import decimal
import ipaddress
import time
import uuid

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.protocol import SyntaxException
from cassandra.query import BatchStatement, BatchType, SimpleStatement
from cassandra.util import Date, OrderedMapSerializedKey, SortedSet, Time

import cqlutil


def test_connect_and_system_local(session, cluster):
    row = session.execute("SELECT release_version, partitioner FROM system.local").one()
    assert int(row.release_version.split(".")[0]) >= 4, row.release_version
    assert row.partitioner.endswith("Murmur3Partitioner")
    assert {"system", "system_schema"} <= set(cluster.metadata.keyspaces)
    assert cluster.protocol_version == 4


def test_ddl_shows_in_driver_metadata(session, cluster, ks):
    # No refresh_schema_metadata(): the driver refreshes its metadata itself when a DDL
    # statement's result is a schema change, before execute() returns.
    k = cluster.metadata.keyspaces[ks]
    assert k.replication_strategy.name.endswith("SimpleStrategy")
    assert k.replication_strategy.replication_factor == 1
    session.execute(
        f"CREATE TABLE {ks}.orders (user text, region text, ts timestamp, id uuid, total decimal, "
        "note text, PRIMARY KEY ((user, region), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)")
    t = cluster.metadata.keyspaces[ks].tables["orders"]
    assert {n: c.cql_type for n, c in t.columns.items()} == {
        "user": "text", "region": "text", "ts": "timestamp", "id": "uuid", "total": "decimal",
        "note": "text"}
    assert [c.name for c in t.partition_key] == ["user", "region"]
    assert [c.name for c in t.clustering_key] == ["ts", "id"]
    assert [c.is_reversed for c in t.clustering_key] == [True, False]
    assert "CLUSTERING ORDER BY (ts DESC, id ASC)" in t.export_as_string()
    # Rows by the compound partition key, in (ts DESC, id ASC) order.
    ids = [uuid.UUID(int=i) for i in range(3)]
    for day in (1, 2):
        for i in ids:
            session.execute(
                f"INSERT INTO {ks}.orders (user, region, ts, id, total) VALUES (%s, %s, %s, %s, %s)",
                ("ann", "eu", datetime.datetime(2024, 1, day), i, decimal.Decimal(day)))
    session.execute(f"INSERT INTO {ks}.orders (user, region, ts, id, total) "
                    "VALUES ('ann', 'us', '2024-01-03', 00000000-0000-0000-0000-000000000009, 1)")
    rows = session.execute(
        f"SELECT ts, id FROM {ks}.orders WHERE user = 'ann' AND region = 'eu'").all()
    assert [(r.ts.day, r.id) for r in rows] == [(2, i) for i in ids] + [(1, i) for i in ids]
    rows = session.execute(
        f"SELECT id FROM {ks}.orders WHERE user = 'ann' AND region = 'us'").all()
    assert [r.id for r in rows] == [uuid.UUID(int=9)]
    # DROP reaches the metadata the same way.
    session.execute(f"DROP TABLE {ks}.orders")
    assert "orders" not in cluster.metadata.keyspaces[ks].tables


def test_insert_select_update_delete(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k text, c int, v text, w int, PRIMARY KEY (k, c)) "
                    "WITH CLUSTERING ORDER BY (c DESC)")
    for c in range(10):
        session.execute(f"INSERT INTO {ks}.t (k, c, v, w) VALUES ('a', {c}, 'v{c}', {c * 10})")
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a'").all()
    assert [r.c for r in rows] == list(range(9, -1, -1))
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a' AND c > 2 AND c <= 5").all()
    assert [r.c for r in rows] == [5, 4, 3]
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a' LIMIT 3").all()
    assert [r.c for r in rows] == [9, 8, 7]
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a' ORDER BY c ASC LIMIT 3").all()
    assert [r.c for r in rows] == [0, 1, 2]
    session.execute(f"UPDATE {ks}.t SET v = 'new' WHERE k = 'a' AND c = 3")
    assert session.execute(f"SELECT v FROM {ks}.t WHERE k = 'a' AND c = 3").one().v == "new"
    session.execute(f"DELETE w FROM {ks}.t WHERE k = 'a' AND c = 3")
    row = session.execute(f"SELECT v, w FROM {ks}.t WHERE k = 'a' AND c = 3").one()
    assert (row.v, row.w) == ("new", None)
    session.execute(f"DELETE FROM {ks}.t WHERE k = 'a' AND c = 4")
    assert session.execute(f"SELECT * FROM {ks}.t WHERE k = 'a' AND c = 4").one() is None
    session.execute(f"DELETE FROM {ks}.t WHERE k = 'a' AND c < 2")
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a'").all()
    assert [r.c for r in rows] == [9, 8, 7, 6, 5, 3, 2]
    assert session.execute(f"SELECT count(*) FROM {ks}.t WHERE k = 'a'").one()[0] == 7
    assert session.execute(f"SELECT * FROM {ks}.t WHERE k = 'nobody'").one() is None


# (CQL type, value bound to a prepared statement, the same value as a CQL literal, the value
# the driver gives back)
_TS = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)
_UUID = uuid.UUID("123e4567-e89b-42d3-a456-556642440000")
_TIMEUUID = uuid.UUID("fcfeee39-2a8a-11ee-91d4-73c3c1c9e17e")
TYPES = [
    ("text", "héllo wörld", "'héllo wörld'", "héllo wörld"),
    ("ascii", "plain", "'plain'", "plain"),
    ("int", -42, "-42", -42),
    ("bigint", 2**40 + 1, str(2**40 + 1), 2**40 + 1),
    ("smallint", -300, "-300", -300),
    ("tinyint", -7, "-7", -7),
    ("boolean", True, "true", True),
    ("float", 1.5, "1.5", 1.5),
    ("double", -2.25, "-2.25", -2.25),
    ("decimal", decimal.Decimal("12.50"), "12.50", decimal.Decimal("12.50")),
    ("varint", -(2**70), str(-(2**70)), -(2**70)),
    ("uuid", _UUID, str(_UUID), _UUID),
    ("timeuuid", _TIMEUUID, str(_TIMEUUID), _TIMEUUID),
    ("timestamp", _TS, "'2024-01-02 03:04:05.678+0000'", _TS),
    ("date", Date(datetime.date(2024, 2, 29)), "'2024-02-29'", Date(datetime.date(2024, 2, 29))),
    ("time", Time(datetime.time(13, 14, 15, 123456)), "'13:14:15.123456'",
     Time(datetime.time(13, 14, 15, 123456))),
    ("blob", b"\x00\x01binary\xff", "0x0001" + b"binary".hex() + "ff", b"\x00\x01binary\xff"),
    ("inet", "192.168.1.1", "'192.168.1.1'", "192.168.1.1"),
    ("list<int>", [3, 1, 2], "[3, 1, 2]", [3, 1, 2]),
    ("set<text>", {"b", "a", "c"}, "{'b', 'a', 'c'}", ["a", "b", "c"]),
    ("map<text, int>", {"y": 2, "x": 1}, "{'y': 2, 'x': 1}", [("x", 1), ("y", 2)]),
]
_COLS = ", ".join(f"c{i}" for i in range(len(TYPES)))


def _types_table(session, ks, name):
    cols = ", ".join(f"c{i} {t}" for i, (t, _, _, _) in enumerate(TYPES))
    session.execute(f"CREATE TABLE {ks}.{name} (k int PRIMARY KEY, {cols})")


def _check_types_row(row):
    assert row is not None
    for i, (t, _, _, want) in enumerate(TYPES):
        got = row[i]
        if t.startswith("set<"):
            # a SortedSet, in the type's order
            assert list(got) == want, (t, got)
        elif t.startswith("map<"):
            assert list(got.items()) == want, (t, got)
        elif t == "decimal":
            # Decimal("12.5") == Decimal("12.50"): compare the digits and scale too
            assert str(got) == str(want), (t, got, want)
        else:
            assert got == want and type(got) is type(want), (t, got, want)


def test_types_round_trip_prepared(session, ks):
    _types_table(session, ks, "types")
    marks = ", ".join("?" for _ in TYPES)
    ins = session.prepare(f"INSERT INTO {ks}.types (k, {_COLS}) VALUES (?, {marks})")
    session.execute(ins, [1] + [v for _, v, _, _ in TYPES])
    sel = session.prepare(f"SELECT {_COLS} FROM {ks}.types WHERE k = ?")
    _check_types_row(session.execute(sel, [1]).one())
    _check_types_row(session.execute(f"SELECT {_COLS} FROM {ks}.types WHERE k = 1").one())
    # null bound to every column reads back as null (None)
    session.execute(ins, [2] + [None] * len(TYPES))
    row = session.execute(sel, [2]).one()
    assert row is not None and all(v is None for v in row), row


def test_types_round_trip_literals(session, ks):
    _types_table(session, ks, "lits")
    lits = ", ".join(lit for _, _, lit, _ in TYPES)
    session.execute(f"INSERT INTO {ks}.lits (k, {_COLS}) VALUES (1, {lits})")
    _check_types_row(session.execute(f"SELECT {_COLS} FROM {ks}.lits WHERE k = 1").one())
    sel = session.prepare(f"SELECT {_COLS} FROM {ks}.lits WHERE k = ?")
    _check_types_row(session.execute(sel, [1]).one())
    # the literal and the prepared row are the same values
    _types_table(session, ks, "bound")
    marks = ", ".join("?" for _ in TYPES)
    ins = session.prepare(f"INSERT INTO {ks}.bound (k, {_COLS}) VALUES (?, {marks})")
    session.execute(ins, [1] + [v for _, v, _, _ in TYPES])
    a = session.execute(f"SELECT {_COLS} FROM {ks}.lits WHERE k = 1").one()
    b = session.execute(f"SELECT {_COLS} FROM {ks}.bound WHERE k = 1").one()
    assert list(a) == list(b)


def test_other_literal_forms(session, ks):
    session.execute(f"CREATE TABLE {ks}.lit (k int PRIMARY KEY, t timestamp, d date, tm time, "
                    "u uuid, b blob, i inet, dec decimal, l list<int>, s set<int>, m map<text, text>)")
    session.execute(f"INSERT INTO {ks}.lit (k, t, d, tm, u, b, i, dec, l, s, m) VALUES (1, "
                    "'2024-01-02 03:04:05+0000', '2024-02-29', '13:14:15.5', "
                    "123e4567-e89b-42d3-a456-556642440000, 0xcafe, '::1', -1.25e1, [1, 2], {3, 1}, "
                    "{'a': 'b'})")
    r = session.execute(f"SELECT * FROM {ks}.lit WHERE k = 1").one()
    assert r.t == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert r.d == Date(datetime.date(2024, 2, 29))
    assert r.tm == Time(datetime.time(13, 14, 15, 500000))
    assert r.b == b"\xca\xfe" and ipaddress.ip_address(r.i) == ipaddress.ip_address("::1")
    assert r.dec == decimal.Decimal("-12.5")
    assert r.l == [1, 2] and list(r.s) == [1, 3] and dict(r.m) == {"a": "b"}


def test_collections_updates(session, ks):
    session.execute(f"CREATE TABLE {ks}.col (k int PRIMARY KEY, l list<int>, s set<text>, "
                    "m map<text, int>)")
    session.execute(f"INSERT INTO {ks}.col (k, l, s, m) VALUES (1, [1], {{'a'}}, {{'x': 1}})")
    session.execute(f"UPDATE {ks}.col SET l = l + [2], s = s + {{'b'}}, m['y'] = 2 WHERE k = 1")
    session.execute(f"UPDATE {ks}.col SET l = [0] + l, s = s - {{'a'}} WHERE k = 1")
    session.execute(f"DELETE m['x'] FROM {ks}.col WHERE k = 1")
    r = session.execute(f"SELECT * FROM {ks}.col WHERE k = 1").one()
    assert r.l == [0, 1, 2] and list(r.s) == ["b"] and dict(r.m) == {"y": 2}


def test_paging_20k_rows_both_orders(session, ks):
    session.execute(f"CREATE TABLE {ks}.p (k int, c int, v text, PRIMARY KEY (k, c))")
    ps = session.prepare(f"INSERT INTO {ks}.p (k, c, v) VALUES (?, ?, ?)")
    results = execute_concurrent_with_args(session, ps, [(1, c, f"v{c}") for c in range(20000)],
                                           concurrency=100, raise_on_first_error=True)
    assert all(ok for ok, _ in results)
    ascending, descending = list(range(20000)), list(range(19999, -1, -1))
    for order, want in (("", ascending), (" ORDER BY c DESC", descending)):
        q = SimpleStatement(f"SELECT c, v FROM {ks}.p WHERE k = 1{order}", fetch_size=1000)
        rs = session.execute(q)
        # the server pages: 1000 rows in the first page and a paging state for the next
        assert len(rs.current_rows) == 1000 and rs.has_more_pages, (order, len(rs.current_rows))
        got = [(r.c, r.v) for r in rs]
        assert len(got) == 20000 and len(set(got)) == 20000, (order, len(got), len(set(got)))
        assert [c for c, _ in got] == want, order
        assert all(v == f"v{c}" for c, v in got)
        # the same through a prepared statement with a bound partition key
        ps_sel = session.prepare(f"SELECT c FROM {ks}.p WHERE k = ?{order}")
        ps_sel.fetch_size = 1000
        rs = session.execute(ps_sel, (1,))
        assert len(rs.current_rows) == 1000 and rs.has_more_pages
        assert [r.c for r in rs] == want, order
    sel = session.prepare(f"SELECT c, v FROM {ks}.p WHERE k = ? AND c >= ?")
    sel.fetch_size = 777
    rows = list(session.execute(sel, (1, 19000)))
    assert [r.c for r in rows] == list(range(19000, 20000))


def test_full_scan_by_token_pages(session, ks):
    session.execute(f"CREATE TABLE {ks}.s (k int PRIMARY KEY, v int)")
    ps = session.prepare(f"INSERT INTO {ks}.s (k, v) VALUES (?, ?)")
    execute_concurrent_with_args(session, ps, [(k, k) for k in range(3000)], concurrency=100)
    q = SimpleStatement(f"SELECT k, token(k) FROM {ks}.s", fetch_size=500)
    rows = list(session.execute(q))
    assert sorted(r.k for r in rows) == list(range(3000))
    tokens = [r[1] for r in rows]
    assert tokens == sorted(tokens)
    mid = tokens[1500]
    part = session.execute(f"SELECT k FROM {ks}.s WHERE token(k) > %s", [mid]).all()
    assert len(part) == 3000 - 1501


def test_ttl_writetime_and_timestamps(session, ks):
    session.execute(f"CREATE TABLE {ks}.ttl (k int PRIMARY KEY, v text)")
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (1, 'short') USING TTL 1")
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (2, 'long') USING TTL 1000")
    before_us = int(time.time() * 1e6)
    r = session.execute(f"SELECT TTL(v), WRITETIME(v) FROM {ks}.ttl WHERE k = 2").one()
    assert 990 <= r[0] <= 1000, r
    assert abs(r[1] / 1e6 - time.time()) < 60, r  # microseconds since the epoch
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (4, 'forever')")
    r = session.execute(f"SELECT TTL(v), WRITETIME(v) FROM {ks}.ttl WHERE k = 4").one()
    assert r[0] is None and before_us - 60e6 < r[1] < time.time() * 1e6 + 60e6, r
    deadline = time.time() + 5
    while session.execute(f"SELECT * FROM {ks}.ttl WHERE k = 1").one() is not None:
        assert time.time() < deadline, "row with TTL 1 still there after 5 s"
        time.sleep(0.2)
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (3, 'newer') USING TIMESTAMP 2000")
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (3, 'older') USING TIMESTAMP 1000")
    r = session.execute(f"SELECT v, WRITETIME(v) FROM {ks}.ttl WHERE k = 3").one()
    assert (r[0], r[1]) == ("newer", 2000)
    session.execute(f"DELETE FROM {ks}.ttl USING TIMESTAMP 1500 WHERE k = 3")
    assert session.execute(f"SELECT v FROM {ks}.ttl WHERE k = 3").one().v == "newer"


def test_counters(session, ks):
    session.execute(f"CREATE TABLE {ks}.c (k text PRIMARY KEY, n counter)")
    for _ in range(2):
        session.execute(f"UPDATE {ks}.c SET n = n + 5 WHERE k = 'x'")
    assert session.execute(f"SELECT n FROM {ks}.c WHERE k = 'x'").one().n == 10
    session.execute(f"UPDATE {ks}.c SET n = n - 1 WHERE k = 'x'")
    assert session.execute(f"SELECT n FROM {ks}.c WHERE k = 'x'").one().n == 9


def test_batches(session, ks):
    session.execute(f"CREATE TABLE {ks}.b (k int, c int, v text, PRIMARY KEY (k, c))")
    ps = session.prepare(f"INSERT INTO {ks}.b (k, c, v) VALUES (?, ?, ?)")
    for kind in (BatchType.LOGGED, BatchType.UNLOGGED):
        b = BatchStatement(batch_type=kind)
        for c in range(10):
            b.add(ps, (int(kind == BatchType.LOGGED), c, "x"))
        b.add(f"INSERT INTO {ks}.b (k, c, v) VALUES (9, 9, 'literal')")
        session.execute(b)
    assert session.execute(f"SELECT count(*) FROM {ks}.b WHERE k = 1").one()[0] == 10
    assert session.execute(f"SELECT count(*) FROM {ks}.b WHERE k = 0").one()[0] == 10
    session.execute(f"BEGIN BATCH INSERT INTO {ks}.b (k, c, v) VALUES (5, 1, 'a'); "
                    f"UPDATE {ks}.b SET v = 'b' WHERE k = 5 AND c = 2; APPLY BATCH")
    assert [r.v for r in session.execute(f"SELECT v FROM {ks}.b WHERE k = 5")] == ["a", "b"]


def test_lightweight_transactions(session, ks):
    session.execute(f"CREATE TABLE {ks}.lwt (k int PRIMARY KEY, v text)")
    r = session.execute(f"INSERT INTO {ks}.lwt (k, v) VALUES (1, 'a') IF NOT EXISTS").one()
    assert r.applied
    r = session.execute(f"INSERT INTO {ks}.lwt (k, v) VALUES (1, 'b') IF NOT EXISTS").one()
    assert not r.applied and r.v == "a"
    r = session.execute(f"UPDATE {ks}.lwt SET v = 'c' WHERE k = 1 IF v = 'a'").one()
    assert r.applied
    r = session.execute(f"UPDATE {ks}.lwt SET v = 'd' WHERE k = 1 IF v = 'a'").one()
    assert not r.applied
    r = session.execute(f"DELETE FROM {ks}.lwt WHERE k = 1 IF EXISTS").one()
    assert r.applied
    assert session.execute(f"SELECT * FROM {ks}.lwt WHERE k = 1").one() is None


def test_errors_keep_the_session(session, ks):
    def still_works():
        assert session.execute("SELECT key FROM system.local").one().key == "local"

    with pytest.raises(SyntaxException):
        session.execute("SELEC * FROM nowhere")
    still_works()
    with pytest.raises(InvalidRequest) as e:
        session.execute(f"SELECT * FROM {ks}.nope")
    assert "nope" in str(e.value)
    still_works()
    session.execute(f"CREATE TABLE {ks}.e (k int PRIMARY KEY)")
    with pytest.raises(AlreadyExists) as e:
        session.execute(f"CREATE TABLE {ks}.e (k int PRIMARY KEY)")
    assert (e.value.keyspace, e.value.table) == (ks, "e")
    still_works()
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {ks}.e (k, nope) VALUES (1, 2)")
    still_works()
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT * FROM {ks}.e WHERE k = 'not an int'")
    still_works()
    session.execute(f"CREATE TABLE IF NOT EXISTS {ks}.e (k int PRIMARY KEY)")
    session.execute(f"INSERT INTO {ks}.e (k) VALUES (1)")
    assert session.execute(f"SELECT k FROM {ks}.e WHERE k = 1").one().k == 1


def test_truncate_drop_and_use(cluster, ks):
    s = cluster.connect()
    s.execute(f"USE {ks}")
    s.execute("CREATE TABLE d (k int PRIMARY KEY, v int)")
    s.execute("INSERT INTO d (k, v) VALUES (1, 1)")
    assert s.execute("SELECT v FROM d WHERE k = 1").one().v == 1
    s.execute("TRUNCATE d")
    assert s.execute("SELECT * FROM d").one() is None
    s.execute("INSERT INTO d (k, v) VALUES (2, 2)")
    assert s.execute("SELECT v FROM d WHERE k = 2").one().v == 2
    s.execute("DROP TABLE d")
    with pytest.raises(InvalidRequest):
        s.execute("SELECT * FROM d")
    s.shutdown()


def test_allow_filtering(session, ks):
    session.execute(f"CREATE TABLE {ks}.f (k int PRIMARY KEY, v int)")
    for k in range(20):
        session.execute(f"INSERT INTO {ks}.f (k, v) VALUES ({k}, {k % 3})")
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT k FROM {ks}.f WHERE v = 1")
    rows = session.execute(f"SELECT k FROM {ks}.f WHERE v = 1 ALLOW FILTERING").all()
    assert sorted(r.k for r in rows) == [k for k in range(20) if k % 3 == 1]


def test_static_columns(session, ks):
    session.execute(f"CREATE TABLE {ks}.st (k int, c int, s text STATIC, v text, "
                    "PRIMARY KEY (k, c))")
    session.execute(f"INSERT INTO {ks}.st (k, c, s, v) VALUES (1, 1, 'shared', 'a')")
    session.execute(f"INSERT INTO {ks}.st (k, c, v) VALUES (1, 2, 'b')")
    rows = session.execute(f"SELECT c, s, v FROM {ks}.st WHERE k = 1").all()
    assert [(r.c, r.s, r.v) for r in rows] == [(1, "shared", "a"), (2, "shared", "b")]


def test_restart_keeps_rows(make_server):
    srv = cqlutil.wait_cql_ready(make_server())
    c = cqlutil.cluster(srv)
    s = c.connect()
    s.execute("CREATE KEYSPACE r WITH replication = {'class': 'SimpleStrategy', "
              "'replication_factor': 1}")
    s.execute("CREATE TABLE r.t (k int PRIMARY KEY, v text)")
    ps = s.prepare("INSERT INTO r.t (k, v) VALUES (?, ?)")
    for k in range(100):
        s.execute(ps, (k, str(k)))
    c.shutdown()
    port = srv.cql_port
    rc = srv.stop()  # SIGTERM
    assert rc == 0, f"SIGTERM should stop the server cleanly, exit code {rc}\n{srv.log_tail()}"
    srv.start()
    assert srv.cql_port == port, "server came back on other ports"
    cqlutil.wait_cql_ready(srv)
    c = cqlutil.cluster(srv)
    s = c.connect()
    rows = s.execute("SELECT k, v FROM r.t").all()
    assert sorted((r.k, r.v) for r in rows) == [(k, str(k)) for k in range(100)]
    # A statement prepared before the restart runs again (the driver re-prepares it).
    ps = s.prepare("SELECT v FROM r.t WHERE k = ?")
    assert s.execute(ps, (7,)).one().v == "7"
    c.shutdown()


def test_cqlengine_model(cql_server, ks, monkeypatch):
    monkeypatch.setenv("CQLENG_ALLOW_SCHEMA_MANAGEMENT", "1")
    from cassandra.cqlengine import columns, connection
    from cassandra.cqlengine.management import sync_table
    from cassandra.cqlengine.models import Model

    class Person(Model):
        __keyspace__ = ks
        id = columns.UUID(primary_key=True, default=uuid.uuid4)
        name = columns.Text()
        age = columns.Integer()

    connection.setup([cql_server.host], ks, port=cql_server.cql_port, protocol_version=4)
    try:
        sync_table(Person)
        ann = Person.create(name="ann", age=31)
        Person.create(name="bob", age=40)
        assert Person.objects.get(id=ann.id).name == "ann"
        assert Person.objects.get(id=ann.id).age == 31
        assert [p.name for p in Person.objects.filter(id=ann.id)] == ["ann"]
        assert list(Person.objects.filter(id=uuid.uuid4())) == []
        with pytest.raises(Person.DoesNotExist):
            Person.objects.get(id=uuid.uuid4())
        assert sorted(p.name for p in Person.objects.all()) == ["ann", "bob"]
        assert Person.objects.count() == 2
    finally:
        connection.unregister_connection("default")


def test_insert_json_and_select_json(session, ks):
    import json
    session.execute(
        f'CREATE TABLE {ks}.docs (k int, c text, d decimal, l list<int>, s set<text>, '
        f'm map<int, text>, b blob, ts timestamp, u uuid, f boolean, "Big" int, '
        f'PRIMARY KEY (k, c))')
    doc = {"k": 1, "c": "x", "d": 12.50, "l": [1, 2], "s": ["b", "a"], "m": {"3": "three"},
           "b": "0x0aff", "ts": "2024-01-02 03:04:05.000Z",
           "u": "123e4567-e89b-12d3-a456-426614174000", "f": True, '"Big"': 9}
    # The decimal goes in as written (12.50, scale 2), not through a float.
    text = json.dumps(doc).replace("12.5", "12.50")
    session.execute(f"INSERT INTO {ks}.docs JSON %s", (text,))
    row = session.execute(f"SELECT * FROM {ks}.docs WHERE k = 1 AND c = 'x'").one()
    assert row.d == decimal.Decimal("12.50") and str(row.d) == "12.50"
    assert row.l == [1, 2] and row.s == SortedSet(["a", "b"]) and dict(row.m) == {3: "three"}
    assert row.b == b"\x0a\xff" and row.f is True and row.Big == 9
    assert row.ts == datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert row.u == uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    # SELECT JSON gives back what INSERT JSON takes.
    back = json.loads(session.execute(f"SELECT JSON * FROM {ks}.docs").one()[0])
    assert back["k"] == 1 and back["l"] == [1, 2] and back["m"] == {"3": "three"}
    assert back['"Big"'] == 9 and back["b"] == "0x0aff"
    session.execute(f"DELETE FROM {ks}.docs WHERE k = 1 AND c = 'x'")
    session.execute(f"INSERT INTO {ks}.docs JSON %s", (json.dumps(back),))
    again = session.execute(f"SELECT * FROM {ks}.docs WHERE k = 1 AND c = 'x'").one()
    assert again == row
    # A prepared INSERT JSON with its document bound; DEFAULT UNSET leaves other columns be,
    # the default (DEFAULT NULL) clears them.
    ins = session.prepare(f"INSERT INTO {ks}.docs JSON ? DEFAULT UNSET")
    session.execute(ins, (json.dumps({"k": 1, "c": "x", "f": False}),))
    row = session.execute(f"SELECT f, l FROM {ks}.docs WHERE k = 1 AND c = 'x'").one()
    assert row.f is False and row.l == [1, 2]
    session.execute(f"INSERT INTO {ks}.docs JSON %s", (json.dumps({"k": 1, "c": "x"}),))
    row = session.execute(f"SELECT f, l FROM {ks}.docs WHERE k = 1 AND c = 'x'").one()
    assert row.f is None and row.l is None
    # Numbers may come as strings; bad documents are InvalidRequest with Cassandra's message.
    session.execute(f"INSERT INTO {ks}.docs JSON %s", ('{"k": "2", "c": "y", "d": "3.25"}',))
    assert session.execute(f"SELECT d FROM {ks}.docs WHERE k = 2").one().d == decimal.Decimal("3.25")
    for bad, msg in [('{"k": 1, "c": "x", "zz": 1}', "unrecognized column: zz"),
                     ("[1, 2]", "Could not decode JSON string as a map"),
                     ('{"k": 1, "c": "x", "l": "no"}', "Error decoding JSON value for l"),
                     ('{"c": "x"}', "partition key parts are missing: k")]:
        with pytest.raises(InvalidRequest, match=msg):
            session.execute(f"INSERT INTO {ks}.docs JSON %s", (bad,))


def test_password_authenticator(make_server):
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import NoHostAvailable
    srv = cqlutil.wait_cql_ready(make_server(extra_args=["--cql-password", "s3cret"]))
    # The right account logs in and works; the driver asked for it because STARTUP was
    # answered with AUTHENTICATE (PasswordAuthenticator).
    c = cqlutil.cluster(srv, auth_provider=PlainTextAuthProvider("cassandra", "s3cret"))
    s = c.connect()
    assert s.execute("SELECT cluster_name FROM system.local").one().cluster_name
    c.shutdown()
    # A wrong password, or none, is refused with Cassandra's message.
    for provider in (PlainTextAuthProvider("cassandra", "nope"), None):
        kw = {"auth_provider": provider} if provider else {}
        c = cqlutil.cluster(srv, **kw)
        with pytest.raises(NoHostAvailable) as e:
            c.connect()
        assert ("Provided username cassandra and/or password are incorrect" in str(e.value)
                if provider else "requires authentication" in str(e.value)), str(e.value)
        c.shutdown()
    # cqlsh with -u/-p.
    rc, out, err = cqlutil.cqlsh(srv, "SELECT release_version FROM system.local",
                                 args=["-u", "cassandra", "-p", "s3cret"])
    assert rc == 0 and "release_version" in out, err
    rc, out, err = cqlutil.cqlsh(srv, "SELECT release_version FROM system.local",
                                 args=["-u", "cassandra", "-p", "x"])
    assert rc != 0 and "incorrect" in err, err
    # A raw QUERY before AUTH_RESPONSE gets a protocol error, not data.
    import socket
    with socket.create_connection((srv.host, srv.cql_port), timeout=5) as sock:
        sock.sendall(cqlutil.frame(cqlutil.STARTUP, cqlutil.string_map({"CQL_VERSION": "3.0.0"})))
        _, _, op, _ = cqlutil.read_frame(sock)
        assert op == 0x03  # AUTHENTICATE
        sock.sendall(cqlutil.frame(cqlutil.QUERY, cqlutil.query_body(
            "SELECT * FROM system.local"), stream=1))
        _, _, op, body = cqlutil.read_frame(sock)
        assert op == cqlutil.ERROR and cqlutil.error_of(body)[0] == 0x000A


def _metric(server, name):
    _, text = server.admin_get("/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_record_cache_serves_reads_and_follows_every_write(cql_server, session, ks):
    """Point reads fill the record cache and hit it; every kind of write after that is seen."""
    session.execute(f"CREATE TABLE {ks}.rc (k int, c int, v text, n int, l list<int>, "
                    "PRIMARY KEY (k, c))")
    ins = session.prepare(f"INSERT INTO {ks}.rc (k, c, v, n, l) VALUES (?, ?, ?, ?, ?)")
    sel = session.prepare(f"SELECT v, n, l FROM {ks}.rc WHERE k = ? AND c = ?")
    for k in range(50):
        session.execute(ins, (k, 0, f"v{k}", k, [k]))
    hits_before = _metric(cql_server, "trident_record_cache_hits_total")
    for _ in range(2):
        for k in range(50):
            assert tuple(session.execute(sel, (k, 0)).one()) == (f"v{k}", k, [k])
    assert _metric(cql_server, "trident_record_cache_hits_total") >= hits_before + 50
    assert _metric(cql_server, "trident_record_cache_entries") >= 50

    # Each write to a cached row, then the read that must see it.
    session.execute(f"UPDATE {ks}.rc SET v = 'updated' WHERE k = 1 AND c = 0")
    assert session.execute(sel, (1, 0)).one().v == "updated"
    session.execute(f"UPDATE {ks}.rc SET l = l + [9] WHERE k = 2 AND c = 0")
    assert session.execute(sel, (2, 0)).one().l == [2, 9]
    session.execute(f"DELETE n FROM {ks}.rc WHERE k = 3 AND c = 0")
    assert session.execute(sel, (3, 0)).one().n is None
    session.execute(f"DELETE FROM {ks}.rc WHERE k = 4 AND c = 0")
    assert session.execute(sel, (4, 0)).one() is None
    session.execute(f"DELETE FROM {ks}.rc WHERE k = 5")
    assert session.execute(sel, (5, 0)).one() is None
    session.execute(f"DELETE FROM {ks}.rc WHERE k = 6 AND c >= 0")
    assert session.execute(sel, (6, 0)).one() is None
    r = session.execute(f"UPDATE {ks}.rc SET v = 'lwt' WHERE k = 7 AND c = 0 IF v = 'v7'").one()
    assert r[0] is True
    assert session.execute(sel, (7, 0)).one().v == "lwt"
    session.execute(f"INSERT INTO {ks}.rc (k, c, v) VALUES (8, 0, 'ttl') USING TTL 1")
    assert session.execute(sel, (8, 0)).one().v == "ttl"
    b = BatchStatement()
    b.add(SimpleStatement(f"UPDATE {ks}.rc SET v = 'batch' WHERE k = 9 AND c = 0"))
    b.add(SimpleStatement(f"DELETE FROM {ks}.rc WHERE k = 10 AND c = 0"))
    session.execute(b)
    assert session.execute(sel, (9, 0)).one().v == "batch"
    assert session.execute(sel, (10, 0)).one() is None
    # A write with an older timestamp loses, cached or not.
    session.execute(f"UPDATE {ks}.rc USING TIMESTAMP 1 SET v = 'old' WHERE k = 11 AND c = 0")
    assert session.execute(sel, (11, 0)).one().v == "v11"
    time.sleep(1.5)
    assert session.execute(sel, (8, 0)).one().v is None
    session.execute(f"TRUNCATE {ks}.rc")
    assert session.execute(sel, (12, 0)).one() is None
    session.execute(ins, (12, 0, "again", 1, []))
    assert session.execute(sel, (12, 0)).one().v == "again"

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
    assert int(row.release_version.split(".")[0]) >= 4
    assert row.partitioner.endswith("Murmur3Partitioner")
    assert "system" in cluster.metadata.keyspaces
    assert cluster.protocol_version == 4


def test_ddl_shows_in_driver_metadata(session, cluster, ks):
    session.execute(
        f"CREATE TABLE {ks}.orders (user text, region text, ts timestamp, id uuid, total decimal, "
        "note text, PRIMARY KEY ((user, region), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)")
    cluster.refresh_schema_metadata()
    t = cluster.metadata.keyspaces[ks].tables["orders"]
    assert [c.name for c in t.partition_key] == ["user", "region"]
    assert [c.name for c in t.clustering_key] == ["ts", "id"]
    assert t.columns["total"].cql_type == "decimal"
    assert t.clustering_key[0].is_reversed
    assert "CLUSTERING ORDER BY (ts DESC, id ASC)" in t.export_as_string()


def test_insert_select_update_delete(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k text, c int, v text, w int, PRIMARY KEY (k, c)) "
                    "WITH CLUSTERING ORDER BY (c DESC)")
    for c in range(10):
        session.execute(f"INSERT INTO {ks}.t (k, c, v, w) VALUES ('a', {c}, 'v{c}', {c * 10})")
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a'").all()
    assert [r.c for r in rows] == list(range(9, -1, -1))
    rows = session.execute(f"SELECT c FROM {ks}.t WHERE k = 'a' AND c > 2 AND c <= 5").all()
    assert [r.c for r in rows] == [5, 4, 3]
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


TYPES = [
    ("text", "héllo"), ("ascii", "plain"), ("int", -42), ("bigint", 2**40), ("smallint", -300),
    ("tinyint", 7), ("boolean", True), ("float", 1.5), ("double", -2.25),
    ("decimal", decimal.Decimal("12.50")), ("varint", 2**70),
    ("uuid", uuid.UUID("123e4567-e89b-42d3-a456-556642440000")),
    ("timeuuid", uuid.UUID("fcfeee39-2a8a-11ee-91d4-73c3c1c9e17e")),
    ("timestamp", datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)),
    ("date", Date(datetime.date(2024, 2, 29))), ("time", Time(datetime.time(13, 14, 15, 123456))),
    ("blob", b"\x00\x01binary\xff"), ("inet", "192.168.1.1"),
    ("list<int>", [3, 1, 2]), ("set<text>", SortedSet(["b", "a"])),
    ("map<text, int>", OrderedMapSerializedKey(None, None)),
]


def test_types_round_trip_prepared(session, ks):
    cols = ", ".join(f"c{i} {t}" for i, (t, _) in enumerate(TYPES))
    session.execute(f"CREATE TABLE {ks}.types (k int PRIMARY KEY, {cols})")
    names = ", ".join(f"c{i}" for i in range(len(TYPES)))
    marks = ", ".join("?" for _ in TYPES)
    ps = session.prepare(f"INSERT INTO {ks}.types (k, {names}) VALUES (?, {marks})")
    values = [v for _, v in TYPES]
    values[-1] = {"x": 1, "y": 2}
    session.execute(ps, [1] + values)
    row = session.execute(f"SELECT {names} FROM {ks}.types WHERE k = 1").one()
    got = list(row)
    assert got[0] == "héllo" and got[1] == "plain"
    assert got[2:8] == [-42, 2**40, -300, 7, True, 1.5]
    assert got[8] == -2.25 and got[9] == decimal.Decimal("12.50") and got[10] == 2**70
    assert got[11] == TYPES[11][1] and got[12] == TYPES[12][1]
    assert got[13] == TYPES[13][1]
    assert got[14] == TYPES[14][1] and got[15] == TYPES[15][1]
    assert got[16] == TYPES[16][1] and got[17] == "192.168.1.1"
    assert got[18] == [3, 1, 2] and list(got[19]) == ["a", "b"] and dict(got[20]) == {"x": 1, "y": 2}


def test_types_from_literals(session, ks):
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
    q = SimpleStatement(f"SELECT c FROM {ks}.p WHERE k = 1", fetch_size=1000)
    assert [r.c for r in session.execute(q)] == list(range(20000))
    q = SimpleStatement(f"SELECT c FROM {ks}.p WHERE k = 1 ORDER BY c DESC", fetch_size=1000)
    assert [r.c for r in session.execute(q)] == list(range(19999, -1, -1))
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
    r = session.execute(f"SELECT TTL(v), WRITETIME(v) FROM {ks}.ttl WHERE k = 2").one()
    assert 990 <= r[0] <= 1000
    assert abs(r[1] / 1e6 - time.time()) < 60
    deadline = time.time() + 5
    while session.execute(f"SELECT * FROM {ks}.ttl WHERE k = 1").one() is not None:
        assert time.time() < deadline, "row with TTL 1 still there after 5 s"
        time.sleep(0.2)
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (3, 'newer') USING TIMESTAMP 2000")
    session.execute(f"INSERT INTO {ks}.ttl (k, v) VALUES (3, 'older') USING TIMESTAMP 1000")
    assert session.execute(f"SELECT v FROM {ks}.ttl WHERE k = 3").one().v == "newer"
    session.execute(f"DELETE FROM {ks}.ttl USING TIMESTAMP 1500 WHERE k = 3")
    assert session.execute(f"SELECT v FROM {ks}.ttl WHERE k = 3").one().v == "newer"


def test_counters(session, ks):
    session.execute(f"CREATE TABLE {ks}.c (k text PRIMARY KEY, n counter)")
    for _ in range(2):
        session.execute(f"UPDATE {ks}.c SET n = n + 5 WHERE k = 'x'")
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
    with pytest.raises(SyntaxException):
        session.execute("SELEC * FROM nowhere")
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT * FROM {ks}.nope")
    session.execute(f"CREATE TABLE {ks}.e (k int PRIMARY KEY)")
    with pytest.raises(AlreadyExists):
        session.execute(f"CREATE TABLE {ks}.e (k int PRIMARY KEY)")
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {ks}.e (k, nope) VALUES (1, 2)")
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT * FROM {ks}.e WHERE k = 'not an int'")
    session.execute(f"CREATE TABLE IF NOT EXISTS {ks}.e (k int PRIMARY KEY)")
    assert session.execute("SELECT key FROM system.local").one().key == "local"


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
    srv.restart(graceful=True)
    cqlutil.wait_cql_ready(srv)
    c = cqlutil.cluster(srv)
    s = c.connect()
    rows = s.execute("SELECT k, v FROM r.t").all()
    assert sorted((r.k, r.v) for r in rows) == [(k, str(k)) for k in range(100)]
    # A statement prepared before the restart runs again (the driver re-prepares it).
    ps = s.prepare("SELECT v FROM r.t WHERE k = ?")
    assert s.execute(ps, (7,)).one().v == "7"
    c.shutdown()


def test_cqlengine_model(cql_server, ks):
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
        assert sorted(p.name for p in Person.objects.all()) == ["ann", "bob"]
        assert Person.objects.count() == 2
    finally:
        connection.unregister_connection("default")

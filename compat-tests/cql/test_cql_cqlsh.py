"""cqlsh (PyPI's) against trident: the issue's session, DESCRIBE, errors, COPY TO/FROM."""

import os
import tempfile

import pytest

import cqlutil


@pytest.fixture(scope="module")
def shop(cql_server):
    for st in [
        "DROP KEYSPACE IF EXISTS shop",
        "CREATE KEYSPACE shop WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
        "CREATE TABLE shop.orders (user text, ts timestamp, id uuid, total decimal, "
        "PRIMARY KEY ((user), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)",
        "INSERT INTO shop.orders (user, ts, id, total) VALUES ('ann', toTimestamp(now()), uuid(), 12.50)",
    ]:
        rc, out, err = cqlutil.cqlsh(cql_server, st)
        assert rc == 0 and "Error" not in err, (st, out, err)
    return cql_server


def test_select_shows_the_row(shop):
    rc, out, err = cqlutil.cqlsh(shop, "SELECT * FROM shop.orders WHERE user='ann' LIMIT 10")
    assert rc == 0, err
    assert "ann" in out and "12.5" in out and "(1 rows)" in out


def test_describe_keyspace(shop):
    rc, out, err = cqlutil.cqlsh(shop, "DESCRIBE KEYSPACE shop")
    assert rc == 0, err
    assert "CREATE KEYSPACE shop" in out
    assert "CREATE TABLE shop.orders" in out
    assert "PRIMARY KEY (user, ts, id)" in out
    assert "CLUSTERING ORDER BY (ts DESC, id ASC)" in out


def test_describe_keyspaces_and_tables(shop):
    rc, out, _ = cqlutil.cqlsh(shop, "DESCRIBE KEYSPACES")
    assert rc == 0 and "shop" in out and "system_schema" in out
    rc, out, _ = cqlutil.cqlsh(shop, "USE shop; DESCRIBE TABLES")
    assert rc == 0 and "orders" in out
    rc, out, _ = cqlutil.cqlsh(shop, "DESCRIBE TABLE shop.orders")
    assert rc == 0 and "total decimal" in out


def test_errors_are_printed(shop):
    # cqlsh -e prints a statement's error on stderr and exits with 2
    rc, out, err = cqlutil.cqlsh(shop, "SELEC * FROM shop.orders")
    assert rc == 2 and "SyntaxException" in err, (rc, out, err)
    assert "SyntaxException" not in out
    rc, out, err = cqlutil.cqlsh(shop, "SELECT * FROM shop.missing")
    assert rc == 2 and "InvalidRequest" in err and "missing" in err, (rc, out, err)
    rc, out, err = cqlutil.cqlsh(shop, "CREATE TABLE shop.orders (a int PRIMARY KEY)")
    assert rc == 2 and "AlreadyExists" in err, (rc, out, err)
    # and the server still answers the next one
    rc, out, err = cqlutil.cqlsh(shop, "SELECT user FROM shop.orders WHERE user='ann'")
    assert rc == 0 and "ann" in out, (rc, out, err)


def test_copy_to_and_from_csv(shop):
    rc, out, err = cqlutil.cqlsh(
        shop, "CREATE TABLE shop.items (sku text PRIMARY KEY, qty int, price double)")
    assert rc == 0, err
    inserts = "; ".join(
        f"INSERT INTO shop.items (sku, qty, price) VALUES ('s{i}', {i}, {i}.5)" for i in range(3))
    rc, out, err = cqlutil.cqlsh(shop, inserts)
    assert rc == 0, err
    path = os.path.join(tempfile.mkdtemp(), "items.csv")
    with open(path, "w") as f:
        for i in range(3, 200):
            f.write(f"s{i},{i},{i}.5\n")
    rc, out, err = cqlutil.cqlsh(shop, f"COPY shop.items (sku, qty, price) FROM '{path}'", timeout=120)
    assert rc == 0, (out, err)
    assert "197 rows imported" in out, out
    out_path = os.path.join(tempfile.mkdtemp(), "out.csv")
    rc, out, err = cqlutil.cqlsh(shop, f"COPY shop.items (sku, qty, price) TO '{out_path}'", timeout=120)
    assert rc == 0, (out, err)
    with open(out_path) as f:
        lines = sorted(l.strip() for l in f if l.strip())
    assert len(lines) == 200
    assert "s42,42,42.5" in lines


def test_copy_orders_to_csv_and_back(shop):
    """COPY shop.orders TO a file, COPY it FROM that file into a table of the same schema: the
    same rows (timestamps, uuids, decimals) come back."""
    inserts = "; ".join(
        f"INSERT INTO shop.orders (user, ts, id, total) VALUES ('cat', "
        f"'2024-03-0{d} 10:11:12.345+0000', 00000000-0000-0000-0000-00000000000{i}, {d}{i}.25)"
        for d in range(1, 4) for i in range(3))
    rc, out, err = cqlutil.cqlsh(shop, inserts)
    assert rc == 0, (out, err)
    path = os.path.join(tempfile.mkdtemp(), "orders.csv")
    rc, out, err = cqlutil.cqlsh(shop, f"COPY shop.orders (user, ts, id, total) TO '{path}'",
                                 timeout=120)
    assert rc == 0, (out, err)
    assert "10 rows exported" in out, out  # 9 of cat's and the fixture's one of ann's
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l]
    assert len(lines) == 10 and sum(l.startswith("cat,") for l in lines) == 9, lines
    rc, out, err = cqlutil.cqlsh(
        shop, "CREATE TABLE shop.orders_copy (user text, ts timestamp, id uuid, total decimal, "
        "PRIMARY KEY ((user), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)")
    assert rc == 0, (out, err)
    rc, out, err = cqlutil.cqlsh(
        shop, f"COPY shop.orders_copy (user, ts, id, total) FROM '{path}'", timeout=120)
    assert rc == 0, (out, err)
    assert "10 rows imported" in out, out
    for user, n in (("cat", 9), ("ann", 1)):
        rc, a, err = cqlutil.cqlsh(shop, f"SELECT * FROM shop.orders WHERE user='{user}'")
        assert rc == 0, err
        rc, b, err = cqlutil.cqlsh(shop, f"SELECT * FROM shop.orders_copy WHERE user='{user}'")
        assert rc == 0, err
        assert a == b, (a, b)
        assert f"({n} rows)" in b, b
    rc, out, err = cqlutil.cqlsh(shop, "SELECT * FROM shop.orders_copy WHERE user='cat'")
    body = [l for l in out.splitlines() if l.split("|")[0].strip() == "cat"]
    assert len(body) == 9, out
    # newest first (ts DESC), ids ascending within a timestamp
    assert "2024-03-03 10:11:12.345000+0000" in body[0], body
    assert "00000000-0000-0000-0000-000000000000" in body[0] and "30.25" in body[0], body
    assert "2024-03-01 10:11:12.345000+0000" in body[-1] and "12.25" in body[-1], body

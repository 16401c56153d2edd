"""CQL suite (one node): fixtures.

Every test module gets one trident process (the parent suite's module-scoped `server`, which
listens for CQL on `server.cql_port`); tests that restart a server take a fresh one from the
parent's `make_server`. Skipped under COMPAT_TARGET=redis (redis-server speaks no CQL).

Not a package, like kafka/: helpers are in `cqlutil.py`, tests are `test_cql_*.py`, and the
parent's `conftest` module is put back in sys.modules once this one is registered.
"""

import os
import sys

import pytest

import cqlutil

_HERE = os.path.dirname(os.path.abspath(__file__))
_PARENT_CONFTEST = os.path.join(os.path.dirname(_HERE), "conftest.py")


def pytest_plugin_registered(plugin, manager):
    if getattr(plugin, "__file__", None) == __file__:
        parent = manager.get_plugin(_PARENT_CONFTEST)
        if parent is not None:
            sys.modules["conftest"] = parent


def _is_redis():
    return os.environ.get("COMPAT_TARGET", "trident") == "redis"


def pytest_collection_modifyitems(config, items):
    if not _is_redis():
        return
    skip = pytest.mark.skip(reason="CQL front-end is trident's; COMPAT_TARGET=redis")
    for item in items:
        if str(item.path).startswith(_HERE + os.sep):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def cql_server(server):
    if _is_redis():
        pytest.skip("CQL front-end is trident's")
    return cqlutil.wait_cql_ready(server)


@pytest.fixture(scope="module")
def cluster(cql_server):
    """A driver Cluster connected to the module's server with default settings."""
    c = cqlutil.cluster(cql_server)
    yield c
    c.shutdown()


@pytest.fixture(scope="module")
def session(cluster):
    return cluster.connect()


@pytest.fixture
def ks(session, request):
    """A fresh keyspace for one test."""
    name = cqlutil.keyspace_name(request.node.name)
    session.execute(f"DROP KEYSPACE IF EXISTS {name}")
    session.execute(
        f"CREATE KEYSPACE {name} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    return name

"""Kafka suite (one node): fixtures.

Every test module gets one trident process (the parent suite's module-scoped `server`, which
listens for Kafka on `server.kafka_port`); tests that restart or kill a server take a fresh one
from `kafka_server_factory`. The whole directory is skipped under COMPAT_TARGET=redis.

Layout notes. This directory is deliberately not a Python package: as a package it would be
imported as `kafka` and shadow kafka-python. Without a package, this file is imported under the
module name `conftest`, which would replace the parent suite's `conftest` in sys.modules and
break the parent's `from conftest import ...`; `pytest_plugin_registered` below puts the
parent's module back as soon as this one is registered. The helpers the tests import are
therefore in `kutil.py`, and test files are named `test_kafka_*.py` so that their module names
do not collide with the parent suite's.
"""

import os
import sys
import tempfile

import pytest

import kutil

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
    skip = pytest.mark.skip(reason="Kafka front-end is trident's; COMPAT_TARGET=redis")
    for item in items:
        if str(item.path).startswith(_HERE + os.sep):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def kafka_server(server):
    """The module's server (the parent suite's `server`), Kafka listener ready."""
    if _is_redis():
        pytest.skip("Kafka front-end is trident's")
    return kutil.wait_kafka_ready(server)


@pytest.fixture
def ksrv(kafka_server):
    """The module's server, started again if an earlier test left it dead."""
    if not kafka_server.alive():
        kafka_server.start()
    return kutil.wait_kafka_ready(kafka_server)


@pytest.fixture
def kafka(ksrv):
    """Bootstrap address "127.0.0.1:<port>" of the module's server."""
    return kutil.bootstrap(ksrv)


@pytest.fixture
def kafka_server_factory(make_server, request):
    """kafka_server_factory(config=None, **kw) -> a fresh server of its own (fresh data dir and
    ports), Kafka ready; for tests that restart or kill it (kutil.restart(srv, graceful=...)).
    `config`: TOML text given to the server with --config (e.g. a [kafka] advertised_port);
    other keywords as the parent suite's make_server."""
    if _is_redis():
        pytest.skip("Kafka front-end is trident's")
    parent = request.config.pluginmanager.get_plugin(_PARENT_CONFTEST)

    def make(config=None, **kw):
        if config is None:
            return kutil.wait_kafka_ready(make_server(**kw))
        root = tempfile.mkdtemp(prefix="trident-compat-kafka-")
        make_server.tmpdirs.append(root)
        path = os.path.join(root, "trident.toml")
        with open(path, "w") as f:
            f.write(config)

        class Configured(parent.ServerProcess):
            def _argv(self):
                return super()._argv() + ["--config", path]

        srv = Configured(root, **kw)
        make_server.servers.append(srv)
        return kutil.wait_kafka_ready(srv.start())

    return make


@pytest.fixture
def closing():
    """closing(obj) registers obj.close() to run at teardown (clients left open by a failing
    test would otherwise keep librdkafka threads and connections alive)."""
    objs = []

    def register(obj):
        objs.append(obj)
        return obj

    yield register
    for o in reversed(objs):
        try:
            o.close()
        except Exception:
            pass

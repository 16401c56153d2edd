"""trident's admin HTTP listener: /health and /metrics (Prometheus text). Skipped under
COMPAT_TARGET=redis only.

Metric names are matched loosely, so that the exporter can pick its own names, but these
shapes are required (every sample name starts with `trident_`):
  - a per-command call counter: name ends in `_total` and contains `command`/`cmd`/`calls`,
    with a label whose value is the command name (`set`, case-insensitive);
  - a per-command latency histogram: `_bucket` samples with an `le` label, name containing
    `command`/`cmd` and `latency`/`duration`/`seconds`;
  - a connection gauge: name containing `connect`;
  - blocked clients: name containing `blocked`;
  - keys: name with a `keys` word (not `expired`/`evicted`/`ttl`...), summed over labels;
  - bytes on disk: name containing `disk`, or `bytes` with `data`/`storage`/`size`;
  - group-commit batch size: name containing `batch` (or `group_commit`, not `seconds`).
"""

import re
import time
import urllib.error

import pytest

from conftest import wait_until

pytestmark = pytest.mark.trident_only

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(srv):
    status, body = srv.admin_get("/metrics")
    assert status == 200
    samples = []
    for line in body.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL.findall(m.group(3) or ""))
        samples.append((m.group(1), labels, float(m.group(4)), line))
    return body, samples


def find(samples, pred):
    return [s for s in samples if pred(s[0], s[1])]


def wait_metric(srv, pred, check=lambda ss: bool(ss), timeout=10, what="metric"):
    last = []

    def ok():
        nonlocal last
        _, samples = scrape(srv)
        last = find(samples, pred)
        return check(last)

    try:
        wait_until(ok, timeout=timeout, interval=0.2, msg=what)
    except AssertionError:
        _, samples = scrape(srv)
        names = sorted({s[0] for s in samples})
        raise AssertionError(f"{what}: matching samples {last!r}; all names: {names}")
    return last


def test_health(srv):
    status, body = srv.admin_get("/health")
    assert status == 200
    assert body.strip() == "ok"


def test_unknown_admin_path_is_404(srv):
    with pytest.raises(urllib.error.HTTPError) as e:
        srv.admin_get("/no-such-page")
    assert e.value.code == 404


def test_metrics_format_and_prefix(srv, r):
    r.set("warmup", 1)
    body, samples = scrape(srv)
    assert samples, body
    assert "# TYPE " in body
    bad = sorted({s[0] for s in samples if not s[0].startswith("trident_")})
    assert not bad, f"metric names without the trident_ prefix: {bad}"


def test_per_command_counter(srv, r):
    for i in range(5):
        r.set(f"k{i}", i)

    def pred(name, labels):
        return (name.endswith("_total") and re.search(r"command|cmd|calls", name)
                and any(v.lower() == "set" for v in labels.values()))

    wait_metric(srv, pred, check=lambda ss: ss and sum(s[2] for s in ss) >= 5,
                what="per-command call counter for SET >= 5")


def test_latency_histogram_buckets(srv, r):
    r.get("x")
    r.set("x", 1)

    def pred(name, labels):
        return (name.endswith("_bucket") and "le" in labels
                and re.search(r"command|cmd", name)
                and re.search(r"latency|duration|seconds", name))

    found = wait_metric(srv, pred, what="latency histogram _bucket lines")
    assert any(s[1]["le"] == "+Inf" for s in found)
    assert len({s[1]["le"] for s in found}) >= 3, "a histogram needs more than one bucket"


def test_connection_gauge(srv, r):
    extra = [srv.client() for _ in range(3)]
    try:
        for c in extra:
            c.ping()
        r.ping()
        wait_metric(srv, lambda n, l: "connect" in n and not n.endswith("_total"),
                    check=lambda ss: ss and max(s[2] for s in ss) >= 4,
                    what="connection gauge >= 4")
    finally:
        for c in extra:
            c.close()


def test_blocked_clients_gauge(srv, r):
    waiter = srv.raw(timeout=15)
    try:
        waiter.send("BLPOP", "admin-q", "0")
        wait_until(lambda: r.info("clients")["blocked_clients"] == 1, timeout=5)
        wait_metric(srv, lambda n, l: "blocked" in n,
                    check=lambda ss: ss and sum(s[2] for s in ss) == 1,
                    what="blocked clients gauge == 1")
        r.rpush("admin-q", "x")
        assert waiter.read() == [b"admin-q", b"x"]
        wait_metric(srv, lambda n, l: "blocked" in n,
                    check=lambda ss: ss and sum(s[2] for s in ss) == 0,
                    what="blocked clients gauge back to 0")
    finally:
        waiter.close()


def test_keys_gauge(srv, r):
    r.mset({f"key{i}": i for i in range(12)})

    def pred(name, labels):
        return re.search(r"(^|_)keys($|_)", name) and not re.search(r"expired|evicted|hits|misses|ttl|expires", name)

    wait_metric(srv, pred, check=lambda ss: ss and sum(s[2] for s in ss) >= 12,
                what="keys gauge >= 12")


def test_bytes_on_disk(srv, r):
    r.set("payload", "x" * 100_000)
    time.sleep(0.1)

    def pred(name, labels):
        return "disk" in name or ("bytes" in name and re.search(r"data|storage|size", name))

    wait_metric(srv, pred, check=lambda ss: ss and max(s[2] for s in ss) > 0,
                what="bytes on disk > 0")


def test_group_commit_batch_size(srv, r):
    with r.pipeline(transaction=False) as p:
        for i in range(200):
            p.set(f"b{i}", i)
        p.execute()
    wait_metric(srv, lambda n, l: "batch" in n or ("group_commit" in n and "seconds" not in n),
                what="group-commit batch size metric")

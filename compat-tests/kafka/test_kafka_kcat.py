"""kcat (Debian's, librdkafka's command-line client): metadata, keyed produce, consuming from
offsets and from a timestamp, and offset queries."""

import re
import shutil
import subprocess
import time

import pytest

import kutil

TIMEOUT = 60


@pytest.fixture(scope="module")
def kcat_bin():
    exe = shutil.which("kcat") or shutil.which("kafkacat")
    if not exe:
        pytest.fail("kcat not on PATH (compat-tests/run installs Debian's kcat)")
    return exe


def kcat(exe, bs, *args, stdin=None):
    proc = subprocess.run([exe, "-b", bs, "-X", "socket.timeout.ms=10000", *args],
                          input=stdin, capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 0, (
        f"kcat {' '.join(args)} exited {proc.returncode}:\n"
        f"{proc.stdout.decode(errors='replace')}\n{proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode()


def consume(exe, bs, topic, *args, fmt="%p|%o|%k|%s\\n"):
    """-C ... -e: everything from the given offset to the end, as (partition, offset, key,
    value) tuples."""
    out = kcat(exe, bs, "-C", "-t", topic, "-e", "-q", "-f", fmt, *args)
    rows = []
    for line in out.splitlines():
        part, off, key, value = line.split("|", 3)
        rows.append((int(part), int(off), key, value))
    return rows


def test_metadata_lists_broker_and_topic(kcat_bin, kafka):
    topic = kutil.create_topic(kafka, kutil.unique("kcat-md"), partitions=3)
    out = kcat(kcat_bin, kafka, "-L")
    host, port = kafka.rsplit(":", 1)
    brokers = re.findall(r"^\s+broker (\d+) at (\S+)", out, re.M)
    assert len(brokers) == 1, out
    assert brokers[0][1] == f"{host}:{port}", out
    assert re.search(rf"^\s+broker {brokers[0][0]} at \S+ \(controller\)", out, re.M), out
    m = re.search(rf'^\s+topic "{re.escape(topic)}" with (\d+) partitions:', out, re.M)
    assert m and m.group(1) == "3", out
    # -L lists every topic; take the lines after our topic's header
    section = out[m.end():].split('topic "', 1)[0]
    parts = re.findall(r"partition (\d+), leader (-?\d+), replicas: (\S+), isrs: (\S+)",
                       section)
    b = brokers[0][0]
    assert parts == [(str(i), b, b, b) for i in range(3)], out

    # -t narrows it to the one topic
    out = kcat(kcat_bin, kafka, "-L", "-t", topic)
    assert re.findall(r'topic "([^"]+)"', out) == [topic], out


def test_produce_with_keys_and_consume_from_offsets(kcat_bin, kafka):
    topic = kutil.create_topic(kafka, kutil.unique("kcat-keys"), partitions=1)
    lines = [f"key{i}:value {i}" for i in range(6)] + ["k:v:with:colons", "nokey-line:"]
    kcat(kcat_bin, kafka, "-P", "-t", topic, "-p", "0", "-K:",
         stdin=("\n".join(lines) + "\n").encode())
    want = [(0, i, f"key{i}", f"value {i}") for i in range(6)]
    want += [(0, 6, "k", "v:with:colons"), (0, 7, "nokey-line", "")]

    assert consume(kcat_bin, kafka, topic, "-o", "beginning") == want
    assert consume(kcat_bin, kafka, topic, "-o", "2") == want[2:]
    assert consume(kcat_bin, kafka, topic, "-o", "-3") == want[-3:]  # 3 from the end
    assert consume(kcat_bin, kafka, topic, "-o", "end") == []
    assert consume(kcat_bin, kafka, topic, "-o", "1", "-c", "2") == want[1:3]
    # the same through a confluent-kafka reader
    got = kutil.read_all(kafka, topic, 1)
    assert [(p, o, k.decode(), v.decode()) for p, o, k, v, _ in got] == want


def test_produce_to_partitions_and_consume_one(kcat_bin, kafka):
    topic = kutil.create_topic(kafka, kutil.unique("kcat-parts"), partitions=3)
    for part in range(3):
        kcat(kcat_bin, kafka, "-P", "-t", topic, "-p", str(part),
             stdin="".join(f"p{part}-{i}\n" for i in range(part + 2)).encode())
    rows = consume(kcat_bin, kafka, topic, "-o", "beginning", "-p", "1")
    assert rows == [(1, i, "", f"p1-{i}") for i in range(3)]
    rows = consume(kcat_bin, kafka, topic, "-o", "beginning")
    assert sorted(rows) == sorted((part, i, "", f"p{part}-{i}")
                                  for part in range(3) for i in range(part + 2))


def test_consume_from_timestamp(kcat_bin, kafka):
    topic = kutil.create_topic(kafka, kutil.unique("kcat-ts"), partitions=1)
    base = int(time.time() * 1000) - 600_000
    p = kutil.producer(kafka)
    d = kutil.Delivery()
    for i in range(8):
        p.produce(topic, value=f"t{i}".encode(), key=f"k{i}".encode(), partition=0,
                  timestamp=base + 10_000 * i, on_delivery=d)
        if i % 3 == 2:
            kutil.flush_all(p)  # batches of up to three
    kutil.flush_all(p)
    assert d.errors == [] and len(d.acked) == 8

    rows = consume(kcat_bin, kafka, topic, "-o", f"s@{base + 25_000}", fmt="%p|%o|%k|%s %T\\n")
    assert rows == [(0, i, f"k{i}", f"t{i} {base + 10_000 * i}") for i in range(3, 8)]
    rows = consume(kcat_bin, kafka, topic, "-o", f"s@{base + 30_000}")
    assert [r[1] for r in rows] == [3, 4, 5, 6, 7]
    rows = consume(kcat_bin, kafka, topic, "-o", f"s@{base - 1}")
    assert [r[1] for r in rows] == list(range(8))
    # s@..e@: up to (not including) the end timestamp
    rows = consume(kcat_bin, kafka, topic, "-o", f"s@{base + 10_000}", "-o",
                   f"e@{base + 50_000}")
    assert [r[1] for r in rows] == [1, 2, 3, 4]

    # -Q: the offset for a timestamp
    out = kcat(kcat_bin, kafka, "-Q", "-t", f"{topic}:0:{base + 41_000}")
    m = re.search(r"\[0\]\s+offset\s+(-?\d+)", out)
    assert m and m.group(1) == "5", out


def test_metadata_advertises_configured_address(kcat_bin, kafka_server_factory, closing):
    """With [kafka] advertised_host/advertised_port set, -L names the broker by them, and kcat
    then fetches through that address (here a forwarding proxy), not the bootstrap one."""
    proxy = closing(kutil.CuttingProxy("127.0.0.1", cuts=0))
    srv = kafka_server_factory(
        config=f'[kafka]\nadvertised_host = "localhost"\nadvertised_port = {proxy.port}\n')
    proxy.start(srv.kafka_port)
    bs = kutil.bootstrap(srv)
    out = kcat(kcat_bin, bs, "-L")
    assert re.findall(r"^\s+broker (\d+) at (\S+)", out, re.M) == [
        (re.search(r"broker (\d+) at", out).group(1), f"localhost:{proxy.port}")], out
    topic = kutil.unique("kcat-adv")
    kcat(kcat_bin, bs, "-P", "-t", topic, "-p", "0", stdin=b"one\ntwo\n")
    assert consume(kcat_bin, bs, topic, "-o", "beginning") == [(0, 0, "", "one"),
                                                               (0, 1, "", "two")]
    assert proxy.socks, "nothing went through the advertised address"

"""Helpers of the Kafka suite: a raw Kafka wire client, readiness, topic and consume helpers.

Imported by the test modules as `kutil` (this directory is on sys.path while pytest runs them;
see conftest.py for why the helpers do not live there).
"""

import itertools
import os
import socket
import struct
import time
import uuid

READY_TIMEOUT = 30.0

_counter = itertools.count()


def unique(prefix):
    """A topic/group name no other test (or earlier run on the same server) uses."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


def wait_until(pred, timeout=10.0, interval=0.05, msg="condition"):
    """pred() until truthy (returned) or timeout (AssertionError; msg may be a callable)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            text = msg() if callable(msg) else msg
            raise AssertionError(f"timed out after {timeout}s waiting for {text}")
        time.sleep(interval)


def bootstrap(srv):
    return f"{srv.host}:{srv.kafka_port}"


# --------------------------------------------------------------------------------------------
# Raw Kafka protocol (non-flexible versions, header v1 requests / v0 responses)
# --------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"short response: want {n} at {self.pos} of {len(self.data)}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def array(self, item):
        n = self.i32()
        return None if n < 0 else [item() for _ in range(n)]

    def rest(self):
        return len(self.data) - self.pos


def kstring(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def request_header(api_key, version, correlation_id, client_id="compat-raw", flexible=False):
    h = struct.pack(">hhi", api_key, version, correlation_id) + kstring(client_id)
    if flexible:
        h += b"\x00"  # no tagged fields
    return h


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


class KafkaRaw:
    """One TCP connection speaking Kafka frames by hand."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def read_frame(self):
        """One response: (correlation id, rest of the frame after it)."""
        while len(self.buf) < 4:
            self._fill()
        (size,) = struct.unpack(">i", self.buf[:4])
        assert 4 <= size < 64 << 20, f"bad response size {size}"
        while len(self.buf) < 4 + size:
            self._fill()
        data, self.buf = self.buf[4:4 + size], self.buf[4 + size:]
        (corr,) = struct.unpack(">i", data[:4])
        return corr, data[4:]

    def request(self, api_key, version, body, correlation_id=7, flexible=False):
        self.send(frame(request_header(api_key, version, correlation_id, flexible=flexible)
                        + body))
        corr, rest = self.read_frame()
        assert corr == correlation_id, f"correlation id {corr}, sent {correlation_id}"
        return rest

    def closed_by_server(self, timeout=10.0):
        """True once the server closes the connection (EOF or reset) having sent nothing;
        raises if it sends bytes or keeps the connection open past `timeout`."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except (socket.timeout, TimeoutError):
            raise AssertionError(f"server kept the connection open for {timeout}s")
        assert data == b"", f"expected the connection closed, got {data[:200]!r}"
        return True


API_VERSIONS, METADATA = 18, 3


def parse_api_versions_v0(body):
    """ApiVersions v0 body: (error code, {api_key: (min, max)})."""
    r = Reader(body)
    err = r.i16()
    ranges = {}
    for key, lo, hi in r.array(lambda: (r.i16(), r.i16(), r.i16())):
        ranges[key] = (lo, hi)
    assert r.rest() == 0, f"{r.rest()} bytes left after an ApiVersions v0 body"
    return err, ranges


def api_versions_v0(host, port):
    with KafkaRaw(host, port) as c:
        return parse_api_versions_v0(c.request(API_VERSIONS, 0, b""))


def metadata_request_v1(topics=None):
    if topics is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(topics)) + b"".join(kstring(t) for t in topics)


def parse_metadata_v1(body):
    r = Reader(body)
    brokers = r.array(lambda: (r.i32(), r.string(), r.i32(), r.string()))
    controller = r.i32()

    def partition():
        return {"error": r.i16(), "partition": r.i32(), "leader": r.i32(),
                "replicas": r.array(r.i32), "isr": r.array(r.i32)}

    def topic():
        return {"error": r.i16(), "name": r.string(), "internal": r.i8(),
                "partitions": r.array(partition)}

    topics = r.array(topic)
    assert r.rest() == 0, f"{r.rest()} bytes left after a Metadata v1 body"
    return {"brokers": brokers, "controller": controller, "topics": topics}


def metadata_v1(host, port, topics=None, timeout=10.0):
    with KafkaRaw(host, port, timeout=timeout) as c:
        return parse_metadata_v1(c.request(METADATA, 1, metadata_request_v1(topics)))


def kafka_ready(srv):
    """Whether the server answers Metadata with itself as broker and a known leader."""
    try:
        md = metadata_v1(srv.host, srv.kafka_port, topics=[], timeout=3.0)
    except (OSError, ConnectionError, ValueError, AssertionError):
        return False
    return bool(md["brokers"]) and md["controller"] >= 0


def wait_kafka_ready(srv, timeout=READY_TIMEOUT):
    wait_until(lambda: kafka_ready(srv), timeout=timeout,
               msg=lambda: f"Kafka listener ready on {srv.kafka_port}\n{srv.log_tail()}")
    return srv


def restart(srv, graceful=True):
    """Stops (SIGTERM, or kill -9) and starts the server on the same ports; waits for Kafka."""
    old = srv.kafka_port
    if graceful:
        rc = srv.stop()
        assert rc == 0, f"SIGTERM should stop the server cleanly, exit code {rc}\n{srv.log_tail()}"
    else:
        srv.kill()
    srv.start()
    assert srv.kafka_port == old, "server came back on other ports"
    return wait_kafka_ready(srv)


# --------------------------------------------------------------------------------------------
# confluent-kafka helpers
# --------------------------------------------------------------------------------------------


def admin(bs):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bs, "socket.timeout.ms": 10000})


def create_topic(bs, name, partitions=1, config=None, timeout=20.0):
    from confluent_kafka.admin import NewTopic
    a = admin(bs)
    fs = a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                   config=config or {})], request_timeout=timeout)
    fs[name].result(timeout=timeout)
    return name


def producer(bs, **conf):
    from confluent_kafka import Producer
    base = {"bootstrap.servers": bs, "acks": "all", "linger.ms": 5,
            "message.timeout.ms": 30000}
    base.update(conf)
    return Producer(base)


class Delivery:
    """Collects delivery reports: (partition, offset, key, value) of the acked, and errors."""

    def __init__(self):
        self.acked = []
        self.errors = []

    def __call__(self, err, msg):
        if err is not None:
            self.errors.append((err, msg.key(), msg.value()))
        else:
            self.acked.append((msg.partition(), msg.offset(), msg.key(), msg.value()))


def flush_all(p, timeout=60.0):
    deadline = time.monotonic() + timeout
    left = p.flush(timeout)
    while left and time.monotonic() < deadline:
        left = p.flush(max(0.1, deadline - time.monotonic()))
    assert left == 0, f"{left} messages still not delivered after {timeout}s"


def watermarks(bs, topic, partitions):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": unique("wm"),
                  "enable.auto.commit": False})
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
                for p in range(partitions)]
    finally:
        c.close()


def read_all(bs, topic, partitions, timeout=60.0, start=None):
    """Every message of the topic's partitions, from `start` (default the beginning) to the
    high watermark as it is when called: a list of (partition, offset, key, value, timestamp)
    sorted by partition and offset."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bs, "group.id": unique("reader"),
                  "enable.auto.commit": False, "enable.partition.eof": False,
                  "fetch.wait.max.ms": 100})
    out = []
    try:
        highs = {}
        lows = {}
        for p in range(partitions):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            highs[p], lows[p] = hi, lo
        begin = {p: (lows[p] if start is None else start.get(p, lows[p])) for p in highs}
        todo = {p for p in highs if begin[p] < highs[p]}
        c.assign([TopicPartition(topic, p, begin[p] if start is not None else OFFSET_BEGINNING)
                  for p in highs])
        deadline = time.monotonic() + timeout
        while todo:
            assert time.monotonic() < deadline, (
                f"read {len(out)} messages of {topic}; partitions {sorted(todo)} not at their "
                f"high watermarks {highs} after {timeout}s")
            for m in c.consume(num_messages=10000, timeout=0.5):
                if m.error():
                    raise AssertionError(f"consume error {m.error()}")
                p = m.partition()
                if m.offset() >= highs[p]:
                    continue
                out.append((p, m.offset(), m.key(), m.value(), m.timestamp()[1]))
                if m.offset() + 1 >= highs[p]:
                    todo.discard(p)
    finally:
        c.close()
    return sorted(out, key=lambda m: (m[0], m[1]))


# --------------------------------------------------------------------------------------------
# A TCP proxy that cuts connections after the server has answered (and so applied) a request
# --------------------------------------------------------------------------------------------


class CuttingProxy:
    """Forwards Kafka connections to `target`. The first `cuts` connections that carry Produce
    requests are cut right after the server answers their `after`-th Produce: that answer is
    dropped, both sockets closed. The request was applied, the client never hears so, and
    retries it on a new connection (an idempotent producer with the same sequence numbers).

    Listens on `port` (0: any free one; see .port before starting the server that advertises
    it)."""

    def __init__(self, target_host, target_port=None, cuts=3, after=(10, 25, 40), port=0):
        import threading
        self.target = (target_host, target_port)
        self.cuts_left = cuts
        self.after = list(after)
        self.lock = threading.Lock()
        self.cut_count = 0
        self.dropped = []  # correlation ids of the Produce answers dropped
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.socks = []
        self.thread = None

    def start(self, target_port=None):
        import threading
        if target_port is not None:
            self.target = (self.target[0], target_port)
        self.thread = threading.Thread(target=self._accept, daemon=True, name="proxy-accept")
        self.thread.start()
        return self

    def close(self):
        self.closed = True
        for s in [self.listener] + self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def _accept(self):
        import threading
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socks += [client, server]
            conn = {"apis": [], "produce_answers": 0, "cut_at": None, "lock": threading.Lock()}
            threading.Thread(target=self._up, args=(client, server, conn), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, conn), daemon=True).start()

    @staticmethod
    def _frames(buf):
        """Complete frames at the start of buf: (list of frames, rest)."""
        out = []
        while len(buf) >= 4:
            (n,) = struct.unpack(">i", buf[:4])
            if n < 0 or len(buf) < 4 + n:
                break
            out.append(buf[4:4 + n])
            buf = buf[4 + n:]
        return out, buf

    def _up(self, src, dst, conn):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf += data
                frames, buf = self._frames(buf)
                with conn["lock"]:
                    for f in frames:
                        if len(f) >= 8:
                            conn["apis"].append(struct.unpack(">hhi", f[:8]))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._shut(src, dst)

    def _down(self, src, dst, conn):
        buf = b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                buf += data
                frames, buf = self._frames(buf)
                out = b""
                for f in frames:
                    with conn["lock"]:
                        api = conn["apis"].pop(0) if conn["apis"] else (-1, -1, -1)
                    if api[0] == 0:
                        conn["produce_answers"] += 1
                        if conn["cut_at"] is None:
                            with self.lock:
                                if self.cuts_left > 0:
                                    self.cuts_left -= 1
                                    conn["cut_at"] = self.after[self.cut_count % len(self.after)]
                                    self.cut_count += 1
                                else:
                                    conn["cut_at"] = -1
                        if conn["produce_answers"] == conn["cut_at"]:
                            if out:
                                dst.sendall(out)
                            with self.lock:
                                self.dropped.append(api[2])
                            return
                    out += struct.pack(">i", len(f)) + f
                if out:
                    dst.sendall(out)
        except OSError:
            pass
        finally:
            self._shut(src, dst)

    @staticmethod
    def _shut(a, b):
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass


# --------------------------------------------------------------------------------------------
# Record batches (message format v2) built by hand, and Produce v3
# --------------------------------------------------------------------------------------------


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    z = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def record_batch(values, base_ts=None, producer=(-1, -1, -1), corrupt_crc=False,
                 count=None, attributes=0, records=None):
    """An uncompressed v2 batch of `values` (bytes, no keys), timestamps base_ts + i (default
    now: an old timestamp would be due for time-based retention). `count`
    overrides the declared record count (and last offset delta), `records` the records' bytes,
    `attributes` the attributes (compression in the low 3 bits); the CRC is computed over what
    is there unless `corrupt_crc`."""
    if records is None:
        records = b""
        for i, v in enumerate(values):
            body = (b"\x00" + varint(i) + varint(i) + varint(-1) + varint(len(v)) + v
                    + varint(0))
            records += varint(len(body)) + body
    n = len(values) if count is None else count
    if base_ts is None:
        base_ts = int(time.time() * 1000)
    pid, epoch, seq = producer
    after_crc = (struct.pack(">hiqqqhii", attributes, n - 1, base_ts, base_ts + n - 1,
                             pid, epoch, seq, n) + records)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 1
    after_length = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def produce_v3_body(topic, partition, records, acks=-1, timeout_ms=10000):
    return (kstring(None) + struct.pack(">hi", acks, timeout_ms) + struct.pack(">i", 1)
            + kstring(topic) + struct.pack(">i", 1) + struct.pack(">i", partition)
            + struct.pack(">i", len(records)) + records)


def parse_produce_v3(body):
    """[(topic, partition, error, base_offset)]"""
    r = Reader(body)
    out = []
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            part, err = r.i32(), r.i16()
            base = struct.unpack(">q", r.take(8))[0]
            r.take(8)  # log append time
            out.append((name, part, err, base))
    r.i32()  # throttle
    assert r.rest() == 0
    return out

"""kafka-python 3 (pure Python client; idempotent producer by default): produce, a consumer
group, and the admin client's topic operations."""

import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
    from kafka.errors import (InvalidConfigurationError, InvalidPartitionsError,
                              TopicAlreadyExistsError, UnknownTopicOrPartitionError)

import kutil

# kafka-python 3 loads its protocol schemas with importlib.resources' deprecated API
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def admin(kafka, closing):
    return closing(KafkaAdminClient(bootstrap_servers=kafka, request_timeout_ms=15000,
                                    client_id="compat-kafka-python"))


def topic_partitions(admin, topic):
    """Partitions of the topic in fresh metadata, None if it is not there."""
    for t in admin.describe_topics([topic]):
        if t.get("topic") == topic or t.get("name") == topic:
            if t.get("error_code", 0) != 0:
                return None
            return sorted(p["partition_index"] for p in t["partitions"])
    return None


def test_producer_send_flush_and_group_consumer(kafka, admin, closing):
    topic = kutil.unique("kp")
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    producer = closing(KafkaProducer(bootstrap_servers=kafka, linger_ms=5,
                                     request_timeout_ms=15000))
    assert producer.config["enable_idempotence"] is True
    futures = []
    for i in range(300):
        futures.append(producer.send(topic, key=f"k{i % 10}".encode(),
                                     value=f"value-{i}".encode()))
    producer.flush(timeout=30)
    metas = [f.get(timeout=10) for f in futures]
    assert all(m.topic == topic for m in metas)
    offsets = {}
    for i, m in enumerate(metas):
        offsets.setdefault(m.partition, []).append(m.offset)
    for part, offs in offsets.items():
        assert offs == list(range(len(offs))), f"partition {part}"
    # one key, one partition
    by_key = {}
    for i, m in enumerate(metas):
        by_key.setdefault(i % 10, set()).add(m.partition)
    assert all(len(s) == 1 for s in by_key.values())

    group = kutil.unique("kpg")
    c = closing(KafkaConsumer(topic, bootstrap_servers=kafka, group_id=group,
                              auto_offset_reset="earliest", enable_auto_commit=False,
                              session_timeout_ms=6000, heartbeat_interval_ms=500,
                              fetch_max_wait_ms=100))
    got = []
    deadline = time.monotonic() + 30
    while len(got) < 300 and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            got.extend((tp.partition, m.offset, m.key, m.value) for m in msgs)
    assert len(got) == 300
    want = sorted((m.partition, m.offset, f"k{i % 10}".encode(), f"value-{i}".encode())
                  for i, m in enumerate(metas))
    assert sorted(got) == want
    c.commit()
    committed = {p: c.committed(TopicPartition(topic, p)) for p in range(3)}
    assert committed == {p: len(offsets.get(p, [])) for p in range(3)}
    c.close()

    # a second member of the group, after the first closed, starts at the committed offsets:
    # new messages only
    producer.send(topic, key=b"k0", value=b"after").get(timeout=10)
    c2 = closing(KafkaConsumer(topic, bootstrap_servers=kafka, group_id=group,
                               auto_offset_reset="earliest", enable_auto_commit=False,
                               session_timeout_ms=6000, heartbeat_interval_ms=500,
                               fetch_max_wait_ms=100))
    more = []
    deadline = time.monotonic() + 30
    while not more and time.monotonic() < deadline:
        for tp, msgs in c2.poll(timeout_ms=500).items():
            more.extend(m.value for m in msgs)
    assert more == [b"after"]


def test_admin_create_describe_configs_partitions_delete(kafka, admin):
    topic = kutil.unique("kadm")
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1,
                                  topic_configs={"retention.ms": "1000",
                                                 "cleanup.policy": "delete"})])
    kutil.wait_until(lambda: topic_partitions(admin, topic) == [0, 1], timeout=10,
                     msg="the new topic in metadata with 2 partitions")
    assert topic in admin.list_topics()

    res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                 config_filter="all")
    configs = config_values(res, topic)
    assert configs["retention.ms"] == "1000"
    assert configs["cleanup.policy"] == "delete"
    assert configs["retention.bytes"] == "-1"  # a default
    assert int(configs["max.message.bytes"]) > 0
    # kafka-python's default filter: only what the topic sets itself
    modified = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    assert config_values(modified, topic) == {"retention.ms": "1000", "cleanup.policy": "delete"}
    only = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": None})],
        config_filter="all")
    assert config_values(only, topic) == {"retention.ms": "1000"}

    admin.create_partitions({topic: NewPartitions(total_count=5)})
    kutil.wait_until(lambda: topic_partitions(admin, topic) == [0, 1, 2, 3, 4], timeout=10,
                     msg="5 partitions in metadata")
    with pytest.raises(InvalidPartitionsError):
        admin.create_partitions({topic: NewPartitions(total_count=3)})
    with pytest.raises(InvalidPartitionsError):
        admin.create_partitions({topic: NewPartitions(total_count=5)})
    assert topic_partitions(admin, topic) == [0, 1, 2, 3, 4]

    with pytest.raises(TopicAlreadyExistsError):
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    with pytest.raises(InvalidConfigurationError):
        admin.create_topics([NewTopic(kutil.unique("kbad"), num_partitions=1,
                                      replication_factor=1,
                                      topic_configs={"no.such.config": "1"})])

    admin.delete_topics([topic])
    kutil.wait_until(lambda: topic not in admin.list_topics(), timeout=10,
                     msg="the deleted topic gone from metadata")
    with pytest.raises(UnknownTopicOrPartitionError):
        admin.delete_topics([topic])


def config_values(res, topic):
    """{name: value} of one topic from describe_configs' answer (whatever shape this
    kafka-python version gives it)."""
    if isinstance(res, dict):
        for _, by_name in res.items():
            if topic in by_name:
                entries = by_name[topic]
                return {k: (v["value"] if isinstance(v, dict) else v) for k, v in entries.items()}
        raise AssertionError(f"{topic} not in {res}")
    # older shape: a list of DescribeConfigsResponse
    out = {}
    for r in res:
        for resource in r.resources:
            error_code, _, _, name, entries = resource[:5]
            assert error_code == 0
            if name == topic:
                for e in entries:
                    out[e[0]] = e[1]
    return out

"""Admin operations and their errors through confluent-kafka's AdminClient."""

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewPartitions, NewTopic, ResourceType)

import kutil


@pytest.fixture
def admin(kafka):
    return kutil.admin(kafka)


def error_of(future, timeout=15):
    """The KafkaError a future fails with (AssertionError if it succeeds)."""
    with pytest.raises(KafkaException) as e:
        future.result(timeout=timeout)
    return e.value.args[0]


def partitions_in_metadata(admin, topic):
    """Partition count of the topic in a fresh all-topics Metadata answer, None if absent.
    (All topics: asking for the name could auto-create it again.)"""
    md = admin.list_topics(timeout=10)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


def test_create_topic_shows_in_metadata(admin, kafka):
    topic = kutil.unique("adm")
    fs = admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    assert fs[topic].result(timeout=15) is None
    assert partitions_in_metadata(admin, topic) == 4
    md = admin.list_topics(timeout=10)
    host, port = kafka.rsplit(":", 1)
    assert [(b.host, b.port) for b in md.brokers.values()] == [(host, int(port))]
    leader = next(iter(md.brokers))
    t = md.topics[topic]
    assert sorted(t.partitions) == [0, 1, 2, 3]
    assert all(p.leader == leader and p.replicas == [leader] and p.isrs == [leader]
               for p in t.partitions.values())


def test_create_existing_topic_already_exists(admin):
    topic = kutil.unique("exists")
    admin.create_topics([NewTopic(topic, num_partitions=2)])[topic].result(timeout=15)
    e = error_of(admin.create_topics([NewTopic(topic, num_partitions=3)])[topic])
    assert e.code() == KafkaError.TOPIC_ALREADY_EXISTS
    assert partitions_in_metadata(admin, topic) == 2  # untouched


def test_create_topic_unknown_config_invalid_config(admin):
    topic = kutil.unique("badcfg")
    e = error_of(admin.create_topics([NewTopic(topic, num_partitions=1,
                                               config={"no.such.setting": "1"})])[topic])
    assert e.code() == KafkaError.INVALID_CONFIG
    e = error_of(admin.create_topics([NewTopic(topic, num_partitions=1,
                                               config={"retention.ms": "soon"})])[topic])
    assert e.code() == KafkaError.INVALID_CONFIG
    assert partitions_in_metadata(admin, topic) is None  # nothing was created


def test_create_topic_bad_partition_count_and_replication(admin):
    topic = kutil.unique("badparts")
    e = error_of(admin.create_topics([NewTopic(topic, num_partitions=0)])[topic])
    assert e.code() == KafkaError.INVALID_PARTITIONS
    e = error_of(admin.create_topics([NewTopic(topic, num_partitions=1,
                                               replication_factor=3)])[topic])
    assert e.code() == KafkaError.INVALID_REPLICATION_FACTOR
    bad = "bad/name"
    e = error_of(admin.create_topics([NewTopic(bad, num_partitions=1)])[bad])
    assert e.code() == KafkaError.TOPIC_EXCEPTION
    assert partitions_in_metadata(admin, topic) is None


def test_create_topic_validate_only_creates_nothing(admin):
    topic = kutil.unique("validate")
    fs = admin.create_topics([NewTopic(topic, num_partitions=2)], validate_only=True)
    assert fs[topic].result(timeout=15) is None
    assert partitions_in_metadata(admin, topic) is None


def test_create_partitions(admin):
    topic = kutil.unique("grow")
    admin.create_topics([NewTopic(topic, num_partitions=2)])[topic].result(timeout=15)
    assert admin.create_partitions([NewPartitions(topic, 5)])[topic].result(timeout=15) is None
    assert partitions_in_metadata(admin, topic) == 5
    for fewer in (3, 5):
        e = error_of(admin.create_partitions([NewPartitions(topic, fewer)])[topic])
        assert e.code() == KafkaError.INVALID_PARTITIONS, fewer
    assert partitions_in_metadata(admin, topic) == 5
    missing = kutil.unique("nosuch")
    e = error_of(admin.create_partitions([NewPartitions(missing, 3)])[missing])
    assert e.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    # the new partitions take records
    p = kutil.producer(admin_bootstrap(admin))
    d = kutil.Delivery()
    for part in range(5):
        p.produce(topic, value=f"p{part}".encode(), partition=part, on_delivery=d)
    kutil.flush_all(p)
    assert sorted((part, off) for part, off, _, _ in d.acked) == [(i, 0) for i in range(5)]


def admin_bootstrap(admin):
    md = admin.list_topics(timeout=10)
    b = next(iter(md.brokers.values()))
    return f"{b.host}:{b.port}"


def test_delete_topic_disappears(admin, kafka):
    topic = kutil.unique("gone")
    admin.create_topics([NewTopic(topic, num_partitions=3)])[topic].result(timeout=15)
    p = kutil.producer(kafka)
    for i in range(30):
        p.produce(topic, value=b"x", partition=i % 3)
    kutil.flush_all(p)
    assert partitions_in_metadata(admin, topic) == 3
    assert admin.delete_topics([topic])[topic].result(timeout=15) is None
    assert partitions_in_metadata(admin, topic) is None
    e = error_of(admin.delete_topics([topic])[topic])
    assert e.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    # a topic of the same name is a new, empty one
    admin.create_topics([NewTopic(topic, num_partitions=1)])[topic].result(timeout=15)
    assert partitions_in_metadata(admin, topic) == 1
    assert kutil.watermarks(kafka, topic, 1) == [(0, 0)]


def topic_configs(admin, topic):
    res = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(timeout=15)
    return {k: v.value for k, v in entries.items()}


def test_describe_and_alter_topic_configs(admin):
    topic = kutil.unique("cfg")
    admin.create_topics([NewTopic(topic, num_partitions=1,
                                  config={"retention.ms": "1000"})])[topic].result(timeout=15)
    cfg = topic_configs(admin, topic)
    assert cfg["retention.ms"] == "1000"
    assert cfg["cleanup.policy"] == "delete"
    res = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "5000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("retention.bytes", "1048576", incremental_operation=AlterConfigOpType.SET),
    ])
    admin.incremental_alter_configs([res])[res].result(timeout=15)
    cfg = topic_configs(admin, topic)
    assert (cfg["retention.ms"], cfg["retention.bytes"]) == ("5000", "1048576")
    res = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
    admin.incremental_alter_configs([res])[res].result(timeout=15)
    assert topic_configs(admin, topic)["retention.ms"] == "604800000"  # back to the default
    res = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
        ConfigEntry("no.such.setting", "1", incremental_operation=AlterConfigOpType.SET)])
    e = error_of(admin.incremental_alter_configs([res])[res])
    assert e.code() == KafkaError.INVALID_CONFIG
    missing = kutil.unique("nosuch")
    res = ConfigResource(ResourceType.TOPIC, missing)
    e = error_of(admin.describe_configs([res])[res])
    assert e.code() == KafkaError.UNKNOWN_TOPIC_OR_PART

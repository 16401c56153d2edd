//! Kafka's partitioned logs on fjall (see `keys::log` for the layout).
//!
//! Appends assign offsets and check idempotent producers' sequence numbers: both depend only on
//! the partition's replicated state, so every replica assigns the same offsets. Reads go
//! straight to the keyspace: a fetch is one seek and a forward scan of stored bytes.

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::command::log::{
    Command, Fetched, LogError, NewTopic, OffsetSpec, PartitionInfo, Query, Reply, TopicId,
    TopicInfo, MAX_PARTITIONS,
};
use crate::command::{CommandError, Response};
use crate::engine::corrupt;
use crate::engine::keys::log as keys;
use crate::engine::store::space::Space;
use crate::engine::store::txn::Txn;
use crate::engine::ApplyContext;
use crate::engine::Engine;
use crate::shared::record_batch::{self as batch, Batch};

/// Batches an idempotent producer's retry is matched against, per producer and partition (as
/// Kafka: a producer has at most five requests in flight).
const PRODUCER_BATCHES: usize = 5;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TopicRecord {
    id: TopicId,
    partitions: i32,
    configs: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct PartState {
    log_start: i64,
    next: i64,
    bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ProducerState {
    epoch: i16,
    /// The last batches appended: (first sequence, last sequence, base offset), oldest first.
    recent: Vec<(i32, i32, i64)>,
}

fn decode<T: for<'de> Deserialize<'de>>(v: &[u8]) -> Result<T, CommandError> {
    bincode::deserialize(v).map_err(|_| corrupt())
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    bincode::serialize(v).unwrap_or_default()
}

fn topic(txn: &Txn<'_>, name: &str) -> Result<Option<TopicRecord>, CommandError> {
    txn.get(Space::KafkaLog, &keys::topic(name))?
        .map(|v| decode(&v))
        .transpose()
}

fn part_state(txn: &Txn<'_>, id: &TopicId, p: i32) -> Result<PartState, CommandError> {
    Ok(txn
        .get(Space::KafkaLog, &keys::partition(id, p))?
        .map(|v| decode(&v))
        .transpose()?
        .unwrap_or_default())
}

fn known_partition(t: &TopicRecord, p: i32) -> Result<(), CommandError> {
    if p < 0 || p >= t.partitions {
        return Err(LogError::UnknownTopicOrPartition.into());
    }
    Ok(())
}

pub fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let reply = match cmd {
        Command::CreateTopic {
            name,
            id,
            partitions,
            configs,
        } => {
            if topic(txn, name)?.is_some() {
                return Err(LogError::TopicExists.into());
            }
            create(txn, name, id, *partitions, configs.clone())?
        }
        Command::DeleteTopic { name } => {
            let t = topic(txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            txn.delete_prefix(Space::KafkaLog, &keys::topic_batches(&t.id))?;
            txn.delete_prefix(Space::KafkaLog, &keys::topic_partitions(&t.id))?;
            txn.delete_prefix(Space::KafkaLog, &keys::topic_producers(&t.id))?;
            txn.delete_record(Space::KafkaLog, keys::topic(name));
            Reply::Done
        }
        Command::CreatePartitions { name, count } => {
            let mut t = topic(txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            if *count <= t.partitions || *count > MAX_PARTITIONS {
                return Err(LogError::InvalidPartitions.into());
            }
            t.partitions = *count;
            txn.put_record(Space::KafkaLog, keys::topic(name), encode(&t));
            Reply::Done
        }
        Command::AlterConfigs { name, set, delete } => {
            let mut t = topic(txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            t.configs.retain(|(k, _)| !delete.contains(k));
            for (k, v) in set {
                t.configs.retain(|(old, _)| old != k);
                t.configs.push((k.clone(), v.clone()));
            }
            txn.put_record(Space::KafkaLog, keys::topic(name), encode(&t));
            Reply::Done
        }
        Command::Append {
            topic: name,
            partition,
            batches,
            create: auto,
        } => append(txn, name, *partition, batches, auto.as_ref(), ctx.now_ms)?,
        Command::DeleteRecords {
            topic: name,
            partition,
            before,
        } => {
            let t = topic(txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            known_partition(&t, *partition)?;
            let mut st = part_state(txn, &t.id, *partition)?;
            // -1 is "up to the high watermark"; any other negative offset is out of range.
            let before = match *before {
                -1 => st.next,
                b if b < 0 || b > st.next => return Err(LogError::OffsetOutOfRange.into()),
                b => b,
            };
            if before > st.log_start {
                st.log_start = before;
                let prefix = keys::batches(&t.id, *partition);
                loop {
                    let first = txn.scan(
                        Space::KafkaLog,
                        &crate::engine::store::overlay::ScanRange::prefix(&prefix, 64),
                    )?;
                    if first.is_empty() {
                        break;
                    }
                    let mut stop = false;
                    for (k, v) in first {
                        let end = Batch::first(&v).map_or(0, |b| b.next_offset());
                        if end > before {
                            stop = true;
                            break;
                        }
                        st.bytes = st.bytes.saturating_sub(v.len() as u64);
                        txn.delete_record(Space::KafkaLog, k);
                    }
                    if stop {
                        break;
                    }
                }
                txn.put_record(
                    Space::KafkaLog,
                    keys::partition(&t.id, *partition),
                    encode(&st),
                );
            }
            Reply::LogStart(st.log_start)
        }
        Command::InitProducer => {
            let next = txn
                .get(Space::KafkaLog, keys::NEXT_PRODUCER)?
                .map(|v| decode::<i64>(&v))
                .transpose()?
                .unwrap_or(1000);
            txn.put_record(
                Space::KafkaLog,
                keys::NEXT_PRODUCER.to_vec(),
                encode(&(next + 1)),
            );
            Reply::Producer { id: next, epoch: 0 }
        }
    };
    txn.note_log_change();
    Ok(Response::Log(reply))
}

fn create(
    txn: &mut Txn<'_>,
    name: &str,
    id: &TopicId,
    partitions: i32,
    configs: Vec<(String, String)>,
) -> Result<Reply, CommandError> {
    if partitions <= 0 || partitions > MAX_PARTITIONS {
        return Err(LogError::InvalidPartitions.into());
    }
    let t = TopicRecord {
        id: *id,
        partitions,
        configs,
    };
    txn.put_record(Space::KafkaLog, keys::topic(name), encode(&t));
    Ok(Reply::Created(Box::new(TopicInfo {
        name: name.to_string(),
        id: t.id,
        configs: t.configs,
        partitions: vec![PartitionInfo::default(); partitions as usize],
    })))
}

/// What an idempotent producer's batch is, against what the partition last took from it.
enum Sequence {
    /// The next one: append it.
    Next,
    /// A retry of a batch already appended at this offset.
    Duplicate(i64),
}

fn check_sequence(p: Option<&ProducerState>, b: &Batch<'_>) -> Result<Sequence, LogError> {
    let (epoch, first) = (b.producer_epoch(), b.base_sequence());
    let Some(p) = p else {
        // A producer the partition has not seen starts at 0.
        return if first == 0 {
            Ok(Sequence::Next)
        } else {
            Err(LogError::OutOfOrderSequence)
        };
    };
    if epoch < p.epoch {
        return Err(LogError::InvalidProducerEpoch);
    }
    if epoch > p.epoch {
        return if first == 0 {
            Ok(Sequence::Next)
        } else {
            Err(LogError::OutOfOrderSequence)
        };
    }
    if let Some(&(_, _, offset)) = p
        .recent
        .iter()
        .find(|(f, l, _)| *f == first && *l == b.last_sequence())
    {
        return Ok(Sequence::Duplicate(offset));
    }
    let last = p.recent.last().map_or(-1, |r| r.1);
    let expected = if last == i32::MAX { 0 } else { last + 1 };
    if first == expected {
        Ok(Sequence::Next)
    } else {
        Err(LogError::OutOfOrderSequence)
    }
}

fn remember(p: &mut Option<ProducerState>, b: &Batch<'_>, offset: i64) {
    let epoch = b.producer_epoch();
    let entry = (b.base_sequence(), b.last_sequence(), offset);
    match p {
        Some(p) => {
            if epoch > p.epoch {
                p.epoch = epoch;
                p.recent.clear();
            }
            p.recent.push(entry);
            if p.recent.len() > PRODUCER_BATCHES {
                p.recent.remove(0);
            }
        }
        None => {
            *p = Some(ProducerState {
                epoch,
                recent: vec![entry],
            })
        }
    }
}

fn append(
    txn: &mut Txn<'_>,
    name: &str,
    p: i32,
    batches: &Bytes,
    auto: Option<&NewTopic>,
    now_ms: i64,
) -> Result<Reply, CommandError> {
    let t = match (topic(txn, name)?, auto) {
        (Some(t), _) => t,
        (None, Some(new)) => {
            // Checked first: a refused append creates nothing either.
            if p < 0 || p >= new.partitions {
                return Err(LogError::UnknownTopicOrPartition.into());
            }
            create(txn, name, &new.id, new.partitions, Vec::new())?;
            topic(txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?
        }
        (None, None) => return Err(LogError::UnknownTopicOrPartition.into()),
    };
    known_partition(&t, p)?;
    let append_time =
        (config(&t.configs, "message.timestamp.type") == Some("LogAppendTime")).then_some(now_ms);
    let mut st = part_state(txn, &t.id, p)?;
    let mut first_offset = None;
    // Every batch is checked before anything is written: a refused append writes nothing.
    let mut writes = Vec::new();
    let mut producers: Vec<(i64, Option<ProducerState>)> = Vec::new();
    let mut rest: &[u8] = batches;
    while !rest.is_empty() {
        let b = Batch::first(rest).ok_or(LogError::CorruptMessage)?;
        rest = &rest[b.len()..];
        let pid = b.producer_id();
        if pid >= 0 {
            let at = match producers.iter().position(|(id, _)| *id == pid) {
                Some(at) => at,
                None => {
                    let stored = txn
                        .get(Space::KafkaLog, &keys::producer(&t.id, p, pid))?
                        .map(|v| decode::<ProducerState>(&v))
                        .transpose()?;
                    producers.push((pid, stored));
                    producers.len() - 1
                }
            };
            let state = &mut producers[at].1;
            match check_sequence(state.as_ref(), &b)? {
                Sequence::Duplicate(offset) => {
                    first_offset.get_or_insert(offset);
                    continue;
                }
                Sequence::Next => remember(state, &b, st.next),
            }
        }
        let base = st.next;
        let stored = batch::stamp(b.bytes(), base, append_time);
        first_offset.get_or_insert(base);
        st.next = base + i64::from(b.last_offset_delta()) + 1;
        st.bytes += stored.len() as u64;
        writes.push((keys::batch(&t.id, p, base), stored));
    }
    for (k, v) in writes {
        txn.put_record(Space::KafkaLog, k, v);
    }
    for (pid, state) in producers {
        if let Some(state) = state {
            txn.put_record(
                Space::KafkaLog,
                keys::producer(&t.id, p, pid),
                encode(&state),
            );
        }
    }
    txn.put_record(Space::KafkaLog, keys::partition(&t.id, p), encode(&st));
    Ok(Reply::Appended {
        base_offset: first_offset.unwrap_or(st.next),
        append_time: append_time.unwrap_or(-1),
        log_start: st.log_start,
    })
}

fn config<'a>(configs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    configs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn query(engine: &Engine, q: &Query) -> Result<Response, CommandError> {
    let txn = Txn::read_only(engine);
    let reply = match q {
        Query::Topics { names } => Reply::Topics(topics(&txn, names.as_deref())?),
        Query::Fetch {
            topic: name,
            partition,
            offset,
            max_bytes,
            at_least_one,
        } => {
            let t = topic(&txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            known_partition(&t, *partition)?;
            let st = part_state(&txn, &t.id, *partition)?;
            if *offset < st.log_start || *offset > st.next {
                return Err(LogError::OffsetOutOfRange.into());
            }
            let records = if *offset == st.next {
                Bytes::new()
            } else {
                fetch(
                    engine,
                    &t.id,
                    *partition,
                    *offset,
                    *max_bytes,
                    *at_least_one,
                )?
            };
            Reply::Fetched(Box::new(Fetched {
                records,
                high_watermark: st.next,
                log_start: st.log_start,
            }))
        }
        Query::Offset {
            topic: name,
            partition,
            spec,
        } => {
            let t = topic(&txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            known_partition(&t, *partition)?;
            let st = part_state(&txn, &t.id, *partition)?;
            let (offset, timestamp) = match spec {
                OffsetSpec::Earliest => (st.log_start, -1),
                OffsetSpec::Latest => (st.next, -1),
                OffsetSpec::Timestamp(ts) => {
                    by_timestamp(engine, &t.id, *partition, *ts)?.unwrap_or((-1, -1))
                }
                OffsetSpec::MaxTimestamp => max_timestamp(engine, &t.id, *partition)?,
            };
            Reply::Offset { offset, timestamp }
        }
        Query::RetentionPoint {
            topic: name,
            partition,
            older_than,
            keep_bytes,
        } => {
            let t = topic(&txn, name)?.ok_or(LogError::UnknownTopicOrPartition)?;
            known_partition(&t, *partition)?;
            let st = part_state(&txn, &t.id, *partition)?;
            let offset = retention_point(engine, &t.id, *partition, &st, *older_than, *keep_bytes)?;
            Reply::Offset {
                offset,
                timestamp: -1,
            }
        }
    };
    Ok(Response::Log(reply))
}

fn retention_point(
    engine: &Engine,
    id: &TopicId,
    p: i32,
    st: &PartState,
    older_than: Option<i64>,
    keep_bytes: Option<u64>,
) -> Result<i64, CommandError> {
    let ks = engine.spaces.get(Space::KafkaLog);
    let mut cut = st.log_start;
    let mut left = st.bytes;
    for kv in ks.prefix(keys::batches(id, p)) {
        let (_, v) = kv.into_inner()?;
        let b = Batch::first(&v).ok_or_else(corrupt)?;
        let old = older_than.is_some_and(|t| b.max_timestamp() < t);
        let over = keep_bytes.is_some_and(|k| left > k);
        if !old && !over {
            break;
        }
        cut = b.next_offset();
        left = left.saturating_sub(v.len() as u64);
    }
    Ok(cut)
}

fn topics(txn: &Txn<'_>, names: Option<&[String]>) -> Result<Vec<TopicInfo>, CommandError> {
    let mut found = Vec::new();
    let records: Vec<(String, TopicRecord)> = match names {
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                if let Some(t) = topic(txn, n)? {
                    out.push((n.clone(), t));
                }
            }
            out
        }
        None => {
            let mut out = Vec::new();
            for (k, v) in txn.scan(
                Space::KafkaLog,
                &crate::engine::store::overlay::ScanRange::prefix(keys::TOPICS, usize::MAX),
            )? {
                if let Some(n) = keys::decode_topic(&k) {
                    out.push((n.to_string(), decode(&v)?));
                }
            }
            out
        }
    };
    for (name, t) in records {
        let mut partitions = Vec::with_capacity(t.partitions as usize);
        for p in 0..t.partitions {
            let st = part_state(txn, &t.id, p)?;
            partitions.push(PartitionInfo {
                log_start: st.log_start,
                high_watermark: st.next,
                bytes: st.bytes,
            });
        }
        found.push(TopicInfo {
            name,
            id: t.id,
            configs: t.configs,
            partitions,
        });
    }
    Ok(found)
}

/// Stored batches from the one holding `offset`, whole, up to `max_bytes` but at least one.
fn fetch(
    engine: &Engine,
    id: &TopicId,
    p: i32,
    offset: i64,
    max_bytes: u32,
    at_least_one: bool,
) -> Result<Bytes, CommandError> {
    let ks = engine.spaces.get(Space::KafkaLog);
    let prefix = keys::batches(id, p);
    // The batch holding `offset` starts at or before it: the last key up to it.
    let start = match ks
        .range(prefix.clone()..=keys::batch(id, p, offset))
        .next_back()
    {
        Some(kv) => kv.key()?.to_vec(),
        None => prefix.clone(),
    };
    // The batches first, then one buffer of their total size: a fetch of many megabytes is
    // copied once, not regrown and recopied.
    let mut found = Vec::new();
    let mut size = 0usize;
    for kv in ks.range(start..) {
        let (k, v) = kv.into_inner()?;
        if !k.starts_with(&prefix) {
            break;
        }
        let Some(b) = Batch::first(&v) else {
            return Err(corrupt());
        };
        if b.next_offset() <= offset {
            continue;
        }
        if (size > 0 || !at_least_one) && size + v.len() > max_bytes as usize {
            break;
        }
        size += v.len();
        found.push(v);
        if size >= max_bytes as usize {
            break;
        }
    }
    let mut out = BytesMut::with_capacity(size);
    for v in &found {
        out.extend_from_slice(v);
    }
    Ok(out.freeze())
}

/// The first offset at or after `ts`, with the timestamp of its batch.
fn by_timestamp(
    engine: &Engine,
    id: &TopicId,
    p: i32,
    ts: i64,
) -> Result<Option<(i64, i64)>, CommandError> {
    let ks = engine.spaces.get(Space::KafkaLog);
    for kv in ks.prefix(keys::batches(id, p)) {
        let (_, v) = kv.into_inner()?;
        let b = Batch::first(&v).ok_or_else(corrupt)?;
        if b.max_timestamp() >= ts {
            if let Some(found) = b.find_timestamp(ts) {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

fn max_timestamp(engine: &Engine, id: &TopicId, p: i32) -> Result<(i64, i64), CommandError> {
    let ks = engine.spaces.get(Space::KafkaLog);
    let mut best = (-1, -1);
    for kv in ks.prefix(keys::batches(id, p)) {
        let (_, v) = kv.into_inner()?;
        let b = Batch::first(&v).ok_or_else(corrupt)?;
        if b.max_timestamp() > best.1 {
            best = b.max_timestamp_record();
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests;

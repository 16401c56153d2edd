//! `kafka_log` keyspace:
//! - `'T' name` → a topic (id, partition count, configs).
//! - `'P' id:16 partition:u32` → a partition's state (log start, high watermark, producers).
//! - `'B' id:16 partition:u32 base_offset:u64` → one record batch, as the producer sent it
//!   but for its base offset. Offsets are never negative, so big-endian orders them.
//! - `'S' id:16 partition:u32 producer:u64` → what the partition last took from an idempotent
//!   producer (epoch, recent sequence ranges): one record per producer, so an append rewrites
//!   only its own producer's.
//! - `'N'` → the next producer id to hand out.
//!
//! A partition's batches are a key range, so retention and topic deletion drop ranges, and a
//! fetch is one seek and a forward scan.

use crate::command::log::TopicId;

const TOPIC: u8 = b'T';
const PARTITION: u8 = b'P';
const BATCH: u8 = b'B';
const PRODUCER: u8 = b'S';
pub const NEXT_PRODUCER: &[u8] = b"N";

pub fn topic(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(TOPIC);
    k.extend_from_slice(name.as_bytes());
    k
}

pub const TOPICS: &[u8] = &[TOPIC];

/// The topic name of a topic key.
pub fn decode_topic(k: &[u8]) -> Option<&str> {
    std::str::from_utf8(k.strip_prefix(TOPICS)?).ok()
}

pub fn partition(id: &TopicId, partition: i32) -> Vec<u8> {
    let mut k = Vec::with_capacity(21);
    k.push(PARTITION);
    k.extend_from_slice(id);
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k
}

/// The prefix of every batch of a partition.
pub fn batches(id: &TopicId, partition: i32) -> Vec<u8> {
    let mut k = Vec::with_capacity(29);
    k.push(BATCH);
    k.extend_from_slice(id);
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k
}

/// The prefix of every batch of a topic.
pub fn topic_batches(id: &TopicId) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(BATCH);
    k.extend_from_slice(id);
    k
}

pub fn producer(id: &TopicId, partition: i32, producer: i64) -> Vec<u8> {
    let mut k = Vec::with_capacity(29);
    k.push(PRODUCER);
    k.extend_from_slice(id);
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k.extend_from_slice(&(producer as u64).to_be_bytes());
    k
}

/// The prefix of every producer state of a topic.
pub fn topic_producers(id: &TopicId) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(PRODUCER);
    k.extend_from_slice(id);
    k
}

/// The prefix of every partition state of a topic.
pub fn topic_partitions(id: &TopicId) -> Vec<u8> {
    let mut k = Vec::with_capacity(17);
    k.push(PARTITION);
    k.extend_from_slice(id);
    k
}

pub fn batch(id: &TopicId, partition: i32, base_offset: i64) -> Vec<u8> {
    let mut k = batches(id, partition);
    k.extend_from_slice(&(base_offset.max(0) as u64).to_be_bytes());
    k
}

/// The base offset of a batch key.
pub fn decode_batch(k: &[u8]) -> Option<i64> {
    let tail: [u8; 8] = k.get(21..29)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_keys_order_by_offset_and_round_trip() {
        let id = [7; 16];
        let a = batch(&id, 1, 5);
        let b = batch(&id, 1, 300);
        assert!(a < b && a.starts_with(&batches(&id, 1)));
        assert!(batch(&id, 0, i64::MAX) < a);
        assert_eq!(decode_batch(&b), Some(300));
        assert_eq!(decode_topic(&topic("orders")), Some("orders"));
    }
}

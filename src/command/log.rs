//! Partitioned logs of record batches: Kafka's topics (and, later, Redis streams).
//!
//! A record batch is kept exactly as the producer sent it; the log only assigns its base offset
//! (and, for topics that keep the broker's time, its max timestamp). Everything a command needs
//! that depends on the clock or on the node (a topic's id, the append time) is resolved by the
//! front-end or the leader before the command enters the log.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A topic's id (Kafka's UUID), chosen by whoever creates the topic.
pub type TopicId = [u8; 16];

/// Most partitions a topic may have.
pub const MAX_PARTITIONS: i32 = 10_000;

/// A state change of the logs. Variants and fields may be added, never reordered: this is part
/// of the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Creates a topic; refused with [`LogError::TopicExists`] if the name is taken.
    CreateTopic {
        name: String,
        id: TopicId,
        partitions: i32,
        configs: Vec<(String, String)>,
    },
    /// Deletes a topic and every batch of it.
    DeleteTopic { name: String },
    /// Grows a topic to `count` partitions.
    CreatePartitions { name: String, count: i32 },
    /// Sets and removes per-topic configs (IncrementalAlterConfigs).
    AlterConfigs {
        name: String,
        set: Vec<(String, String)>,
        delete: Vec<String>,
    },
    /// Appends record batches (already validated: magic 2, lengths, CRC) to one partition.
    /// `create` is the topic to create first if it does not exist (auto-creation).
    Append {
        topic: String,
        partition: i32,
        batches: Bytes,
        create: Option<NewTopic>,
    },
    /// Moves a partition's log start offset up to `before` (DeleteRecords, retention), dropping
    /// the batches that end before it; `-1`: up to the high watermark.
    DeleteRecords {
        topic: String,
        partition: i32,
        before: i64,
    },
    /// Allocates a producer id (InitProducerId without a transactional id).
    InitProducer,
}

/// A topic to create on the fly, with the id and partition count the front-end chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewTopic {
    pub id: TopicId,
    pub partitions: i32,
}

/// A read of the logs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// Named topics (`None`: all of them), with their partitions' offsets.
    Topics { names: Option<Vec<String>> },
    /// Batches of one partition from the one that holds `offset`, up to `max_bytes`; with
    /// `at_least_one`, one whole batch even if it is bigger (Kafka lets only the first
    /// non-empty partition of a response go over its limits).
    Fetch {
        topic: String,
        partition: i32,
        offset: i64,
        max_bytes: u32,
        at_least_one: bool,
    },
    /// An offset of one partition by [`OffsetSpec`].
    Offset {
        topic: String,
        partition: i32,
        spec: OffsetSpec,
    },
    /// Where retention may cut a partition: the end of the leading run of whole batches that
    /// are all older than `older_than` (max timestamp) or beyond `keep_bytes` from the end.
    /// Answers [`Reply::Offset`] (the partition's log start if nothing may go).
    RetentionPoint {
        topic: String,
        partition: i32,
        older_than: Option<i64>,
        keep_bytes: Option<u64>,
    },
}

/// Which offset ListOffsets asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this one.
    Timestamp(i64),
    /// The offset of the record with the largest timestamp.
    MaxTimestamp,
}

/// A topic as the logs know it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicInfo {
    pub name: String,
    pub id: TopicId,
    pub configs: Vec<(String, String)>,
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// A topic config, if set.
    pub fn config(&self, name: &str) -> Option<&str> {
        self.configs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo {
    pub log_start: i64,
    /// The high watermark: the offset the next record gets.
    pub high_watermark: i64,
    /// Bytes of batches kept.
    pub bytes: u64,
}

/// What a command or query of the logs answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// A topic was created.
    Created(Box<TopicInfo>),
    Topics(Vec<TopicInfo>),
    /// Batches were appended: the first one's base offset, the append time (`-1` unless the
    /// topic keeps the broker's time) and the partition's log start. A duplicate of batches
    /// already appended (an idempotent producer's retry) answers with their original offset.
    Appended {
        base_offset: i64,
        append_time: i64,
        log_start: i64,
    },
    Fetched(Box<Fetched>),
    Offset {
        offset: i64,
        timestamp: i64,
    },
    /// The new log start offset after DeleteRecords.
    LogStart(i64),
    Producer {
        id: i64,
        epoch: i16,
    },
    Done,
}

/// What a fetch found: whole batches from the one holding the offset asked for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fetched {
    pub records: Bytes,
    pub high_watermark: i64,
    pub log_start: i64,
}

/// Why the logs refused a command or a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum LogError {
    #[error("unknown topic or partition")]
    UnknownTopicOrPartition,
    #[error("the topic already exists")]
    TopicExists,
    #[error("invalid partition count")]
    InvalidPartitions,
    #[error("offset out of range")]
    OffsetOutOfRange,
    #[error("out of order sequence number")]
    OutOfOrderSequence,
    #[error("the producer's epoch is fenced by a newer one")]
    InvalidProducerEpoch,
    #[error("the producer id is unknown")]
    UnknownProducerId,
    #[error("corrupt record batch")]
    CorruptMessage,
    #[error("invalid config: {0}")]
    InvalidConfig(String),
}

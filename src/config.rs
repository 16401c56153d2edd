//! Typed configuration: defaults, then the TOML file, then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// When the journal is forced to stable storage.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Fsync {
    /// Before every acknowledgement (concurrent writes share one fsync).
    Always,
    /// Once a second, like Redis's `appendfsync everysec`.
    #[default]
    Everysec,
    /// Left to the operating system.
    Never,
}

/// Where data lives.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageMode {
    #[default]
    Disk,
    /// Nothing survives a restart: a cache.
    Memory,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub storage: StorageConfig,
    pub resp: RespConfig,
    pub kafka: KafkaConfig,
    pub cql: CqlConfig,
    pub admin: AdminConfig,
    pub cluster: ClusterConfig,
    pub log: LogConfig,
}

/// See `config/trident.toml` for why these sizes.
pub const DEFAULT_BLOCK_CACHE_BYTES: u64 = 128 << 20;
pub const DEFAULT_RECORD_CACHE_BYTES: u64 = 128 << 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub fsync: Fsync,
    pub mode: StorageMode,
    /// Bytes of fjall's block cache, shared by every keyspace: the decoded blocks of the
    /// store's tables that reads find without a file read.
    pub block_cache_bytes: u64,
    /// Bytes of the cache of whole records in front of fjall (CQL rows); 0 turns it off.
    pub record_cache_bytes: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::from("./data"),
            fsync: Fsync::Everysec,
            mode: StorageMode::Disk,
            block_cache_bytes: DEFAULT_BLOCK_CACHE_BYTES,
            record_cache_bytes: DEFAULT_RECORD_CACHE_BYTES,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RespConfig {
    pub addr: SocketAddr,
    /// Empty: no password.
    pub requirepass: String,
    pub max_clients: usize,
    /// Largest bulk string a client may send.
    pub proto_max_bulk_len: u64,
    /// Most arguments in one command.
    pub max_multibulk_len: u64,
    /// Longest inline (non-RESP) command line.
    pub max_inline_len: usize,
    /// Most unprocessed bytes buffered for one client.
    pub client_query_buffer_limit: usize,
}

impl Default for RespConfig {
    fn default() -> Self {
        RespConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 6379)),
            requirepass: String::new(),
            max_clients: 10_000,
            proto_max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024,
            max_inline_len: 64 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
        }
    }
}

/// The Kafka listener.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    pub addr: SocketAddr,
    /// The host clients are told to connect to (Metadata); empty: the listen address's host.
    pub advertised_host: String,
    /// The port clients are told to connect to; 0: the listen port.
    pub advertised_port: u16,
    /// Kafka's `auto.create.topics.enable`: Produce and Metadata create unknown topics.
    pub auto_create_topics: bool,
    /// Kafka's `num.partitions`: partitions of an auto-created topic.
    pub num_partitions: i32,
    /// Kafka's `socket.request.max.bytes`: the largest request read off a connection.
    pub max_request_bytes: usize,
    /// Kafka's `message.max.bytes`: the largest record batch a producer may send.
    pub message_max_bytes: usize,
    /// Kafka's `group.initial.rebalance.delay.ms` is not used: a rebalance completes as soon as
    /// every member has joined. This bounds how long a rebalance waits for members that do not
    /// join again, whatever their rebalance timeout.
    pub max_rebalance_ms: u64,
    /// Kafka's `group.initial.rebalance.delay.ms`: a new group's first rebalance waits this
    /// long for more members (each newcomer restarts the wait), so consumers started together
    /// get one generation instead of one per consumer.
    pub initial_rebalance_delay_ms: u64,
    /// Kafka's `log.retention.check.interval.ms`: how often the leader applies retention.
    pub retention_check_ms: u64,
}

impl KafkaConfig {
    /// `host:port` as Metadata names this node.
    pub fn advertised(&self) -> String {
        let host = if self.advertised_host.is_empty() {
            self.addr.ip().to_string()
        } else {
            self.advertised_host.clone()
        };
        let port = match self.advertised_port {
            0 => self.addr.port(),
            p => p,
        };
        format!("{host}:{port}")
    }
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 9092)),
            advertised_host: String::new(),
            advertised_port: 0,
            auto_create_topics: true,
            num_partitions: 1,
            max_request_bytes: 100 * 1024 * 1024,
            message_max_bytes: 1024 * 1024 + 12,
            max_rebalance_ms: 300_000,
            initial_rebalance_delay_ms: 3_000,
            retention_check_ms: 300_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CqlConfig {
    pub addr: SocketAddr,
    /// Cassandra's `native_transport_max_frame_size`: larger frames are refused unread.
    pub max_frame_bytes: usize,
    /// `system.local.cluster_name`.
    pub cluster_name: String,
    /// Requests of one connection being served at once, at most (drivers keep many in
    /// flight on one connection, each on its own stream id).
    pub max_in_flight: usize,
    /// Cassandra's PasswordAuthenticator when set: clients log in (SASL PLAIN) as `username`
    /// with this password before anything else. Empty: AllowAllAuthenticator.
    pub password: String,
    pub username: String,
}

impl Default for CqlConfig {
    fn default() -> Self {
        CqlConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 9042)),
            max_frame_bytes: 16 * 1024 * 1024,
            cluster_name: "trident".to_string(),
            max_in_flight: 1024,
            password: String::new(),
            username: "cassandra".to_string(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    pub addr: SocketAddr,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

/// Replication: this node's identity in the Raft group and how the group forms.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// This node's id in the cluster: unique, not 0.
    pub node_id: u64,
    /// Node-to-node RPC listen address (what other members reach this node on).
    pub raft_addr: SocketAddr,
    /// Raft address of any member of an existing cluster to join (empty: none). Only used when
    /// the data directory is empty.
    pub join: String,
    /// The members that form the cluster on first start; empty: a cluster of one (or `join`).
    pub members: Vec<MemberConfig>,
    /// Log entries between two snapshots; the log is purged behind each snapshot.
    pub snapshot_logs: u64,
    /// A snapshot is also taken once the log after the last one takes this many bytes: entries
    /// vary from a few bytes to many megabytes, so a count alone does not bound the log on disk.
    pub snapshot_log_bytes: u64,
    /// Leader heartbeat period.
    pub heartbeat_ms: u64,
    /// A follower that heard nothing from a leader for this long (to half as long again, at
    /// random) starts an election.
    pub election_timeout_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            node_id: 1,
            raft_addr: SocketAddr::from(([127, 0, 0, 1], 7000)),
            join: String::new(),
            members: Vec::new(),
            snapshot_logs: 10_000,
            snapshot_log_bytes: 256 << 20,
            heartbeat_ms: 60,
            election_timeout_ms: 300,
        }
    }
}

/// One member of the initial cluster.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    pub id: u64,
    pub raft_addr: String,
    #[serde(default)]
    pub resp_addr: String,
    #[serde(default)]
    pub admin_addr: String,
    /// The Kafka address clients are told to use for this member (empty: none).
    #[serde(default)]
    pub kafka_addr: String,
    /// The CQL address of this member (empty: none).
    #[serde(default)]
    pub cql_addr: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter (`info`, `trident=debug`); `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
        }
    }
}

impl Config {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        match path {
            None => Ok(Config::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading config {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing config {}", p.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_parses_and_matches_defaults() {
        let text = include_str!("../config/trident.toml");
        let c: Config = toml::from_str(text).expect("config/trident.toml parses");
        let d = Config::default();
        assert_eq!(c.storage.data_dir, d.storage.data_dir);
        assert_eq!(c.storage.fsync, d.storage.fsync);
        assert_eq!(c.storage.block_cache_bytes, d.storage.block_cache_bytes);
        assert_eq!(c.storage.record_cache_bytes, d.storage.record_cache_bytes);
        assert_eq!(c.resp.addr, d.resp.addr);
        assert_eq!(c.resp.proto_max_bulk_len, d.resp.proto_max_bulk_len);
        assert_eq!(c.admin.addr, d.admin.addr);
        assert_eq!(c.kafka.addr, d.kafka.addr);
        assert_eq!(c.kafka.advertised(), d.kafka.advertised());
        assert_eq!(c.kafka.auto_create_topics, d.kafka.auto_create_topics);
        assert_eq!(c.kafka.num_partitions, d.kafka.num_partitions);
        assert_eq!(c.kafka.max_request_bytes, d.kafka.max_request_bytes);
        assert_eq!(c.kafka.message_max_bytes, d.kafka.message_max_bytes);
        assert_eq!(c.kafka.max_rebalance_ms, d.kafka.max_rebalance_ms);
        assert_eq!(
            c.kafka.initial_rebalance_delay_ms,
            d.kafka.initial_rebalance_delay_ms
        );
        assert_eq!(c.kafka.retention_check_ms, d.kafka.retention_check_ms);
        assert_eq!(c.cluster.node_id, d.cluster.node_id);
        assert_eq!(c.cluster.raft_addr, d.cluster.raft_addr);
        assert_eq!(c.cluster.snapshot_logs, d.cluster.snapshot_logs);
        assert_eq!(c.cluster.heartbeat_ms, d.cluster.heartbeat_ms);
        assert_eq!(c.cluster.election_timeout_ms, d.cluster.election_timeout_ms);
        assert!(c.cluster.members.is_empty() && c.cluster.join.is_empty());
    }

    #[test]
    fn cluster_examples_parse() {
        for text in [
            include_str!("../config/cluster-3/node1.toml"),
            include_str!("../config/cluster-3/node2.toml"),
            include_str!("../config/cluster-3/node3.toml"),
        ] {
            let c: Config = toml::from_str(text).expect("cluster example parses");
            assert_eq!(c.cluster.members.len(), 3);
            assert!(c.cluster.members.iter().all(|m| !m.kafka_addr.is_empty()));
        }
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(toml::from_str::<Config>("[storage]\nfsnc = \"always\"").is_err());
    }
}

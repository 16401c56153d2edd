//! Connection state (the selected database, protocol version, authentication, name) and the
//! server-wide registry of connections that CLIENT LIST and CLIENT KILL work on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use bytes::Bytes;

use crate::command::{CommandError, Db, Response, Step};
use crate::node::Node;

/// What every connection shares: the node and the RESP-level server state.
pub struct Server {
    pub node: Arc<Node>,
    pub clients: Clients,
    /// CONFIG GET/SET values, seeded from the configuration.
    pub config: RwLock<BTreeMap<String, String>>,
    /// `maxmemory` in bytes (0: no limit), kept apart from `config` for the per-command check.
    pub maxmemory: AtomicU64,
    /// `min-replicas-to-write` (0: off) and `min-replicas-max-lag` in seconds: writes are
    /// refused unless that many other members acknowledged the leader that recently.
    pub min_replicas: AtomicU64,
    pub min_replicas_max_lag: AtomicU64,
    pub scripts: Arc<crate::resp::script::Scripts>,
    /// The replication ID `PSYNC` answers with: random per process, since a replica can never
    /// continue from an offset here (see `resp::replica`).
    pub replication_id: String,
}

impl Server {
    pub fn new(node: Arc<Node>) -> Server {
        let c = &node.config;
        let mut config = BTreeMap::new();
        let fsync = match c.storage.fsync {
            crate::config::Fsync::Always => "always",
            crate::config::Fsync::Everysec => "everysec",
            crate::config::Fsync::Never => "no",
        }
        .to_string();
        let (host, port) = (c.resp.addr.ip().to_string(), c.resp.addr.port().to_string());
        for (k, v) in [
            ("requirepass", c.resp.requirepass.clone()),
            ("maxclients", c.resp.max_clients.to_string()),
            ("proto-max-bulk-len", c.resp.proto_max_bulk_len.to_string()),
            (
                "client-query-buffer-limit",
                c.resp.client_query_buffer_limit.to_string(),
            ),
            ("databases", crate::shared::limits::DATABASES.to_string()),
            ("appendonly", "yes".into()),
            ("appendfsync", fsync),
            ("save", String::new()),
            ("dir", c.storage.data_dir.display().to_string()),
            ("dbfilename", "dump.rdb".into()),
            ("port", port),
            ("bind", host),
            ("maxmemory", "0".into()),
            ("min-replicas-to-write", "0".into()),
            ("min-replicas-max-lag", "10".into()),
            ("min-slaves-to-write", "0".into()),
            ("min-slaves-max-lag", "10".into()),
            ("maxmemory-policy", "noeviction".into()),
            ("maxmemory-samples", "5".into()),
            ("timeout", "0".into()),
            ("tcp-keepalive", "300".into()),
            ("loglevel", "notice".into()),
            ("hz", "10".into()),
            ("notify-keyspace-events", String::new()),
            ("slowlog-log-slower-than", "10000".into()),
            ("slowlog-max-len", "128".into()),
            ("latency-monitor-threshold", "0".into()),
            ("lazyfree-lazy-user-del", "no".into()),
            ("lazyfree-lazy-expire", "no".into()),
            ("list-max-listpack-size", "-2".into()),
            ("list-max-ziplist-size", "-2".into()),
            ("list-compress-depth", "0".into()),
            ("protected-mode", "no".into()),
            ("io-threads", "1".into()),
            ("cluster-enabled", "no".into()),
            ("activedefrag", "no".into()),
            ("lua-time-limit", "5000".into()),
            ("busy-reply-threshold", "5000".into()),
            ("repl-ping-replica-period", "10".into()),
            ("repl-ping-slave-period", "10".into()),
            ("repl-timeout", "60".into()),
            ("close-on-oom", "no".into()),
            ("enable-debug-command", "no".into()),
            // Redis's encoding thresholds, accepted and ignored: trident keeps one
            // representation per type whatever its size, so they change nothing here.
            ("hash-max-listpack-entries", "128".into()),
            ("hash-max-listpack-value", "64".into()),
            ("hash-max-ziplist-entries", "128".into()),
            ("hash-max-ziplist-value", "64".into()),
            ("set-max-intset-entries", "512".into()),
            ("set-max-listpack-entries", "128".into()),
            ("set-max-listpack-value", "64".into()),
            ("zset-max-listpack-entries", "128".into()),
            ("zset-max-listpack-value", "64".into()),
            ("zset-max-ziplist-entries", "128".into()),
            ("zset-max-ziplist-value", "64".into()),
        ] {
            config.insert(k.to_string(), v);
        }
        Server {
            node,
            clients: Clients::default(),
            config: RwLock::new(config),
            maxmemory: AtomicU64::new(0),
            min_replicas: AtomicU64::new(0),
            min_replicas_max_lag: AtomicU64::new(10),
            scripts: Arc::default(),
            replication_id: (0..40)
                .map(|_| char::from(b"0123456789abcdef"[rand::random_range(0..16)]))
                .collect(),
        }
    }

    /// How often attached Redis replicas get a PING (`repl-ping-replica-period`, seconds).
    pub fn repl_ping_period_secs(&self) -> u64 {
        self.config
            .read()
            .get("repl-ping-replica-period")
            .and_then(|v| v.parse().ok())
            .unwrap_or(10)
    }

    /// Whether the process uses more memory than `maxmemory` allows, in which case commands
    /// that may grow the data set are refused (Redis's `noeviction` policy).
    /// Whether a `maxmemory` limit is set at all.
    pub fn has_maxmemory(&self) -> bool {
        self.maxmemory.load(Ordering::Relaxed) > 0
    }

    pub fn over_maxmemory(&self) -> bool {
        let limit = self.maxmemory.load(Ordering::Relaxed);
        limit > 0 && used_memory() > limit
    }

    /// Whether `min-replicas-to-write` is set and fewer other members than that acknowledged
    /// this node within `min-replicas-max-lag` seconds (a node that does not lead has none).
    pub fn too_few_replicas(&self) -> bool {
        let wanted = self.min_replicas.load(Ordering::Relaxed);
        if wanted == 0 {
            return false;
        }
        let max_lag_ms = self.min_replicas_max_lag.load(Ordering::Relaxed) * 1000;
        let good = self.node.replicas_acked_within(max_lag_ms) as u64;
        good < wanted
    }

    /// How long a script runs before other clients are answered BUSY (`busy-reply-threshold`,
    /// also known as `lua-time-limit`).
    pub fn busy_after_ms(&self) -> u64 {
        self.config
            .read()
            .get("busy-reply-threshold")
            .and_then(|v| v.parse().ok())
            .unwrap_or(5000)
    }

    /// The other name of a parameter Redis kept under its old name (`ziplist` for `listpack`):
    /// setting one sets both.
    pub fn config_alias(name: &str) -> Option<String> {
        match name {
            "lua-time-limit" => return Some("busy-reply-threshold".into()),
            "busy-reply-threshold" => return Some("lua-time-limit".into()),
            "repl-ping-replica-period" => return Some("repl-ping-slave-period".into()),
            "repl-ping-slave-period" => return Some("repl-ping-replica-period".into()),
            _ => {}
        }
        if let Some(rest) = name.strip_prefix("min-slaves-") {
            return Some(format!("min-replicas-{rest}"));
        }
        if let Some(rest) = name.strip_prefix("min-replicas-") {
            return Some(format!("min-slaves-{rest}"));
        }
        const ALIASED: [&str; 4] = ["hash-max-", "zset-max-", "list-max-", "set-max-"];
        if !ALIASED.iter().any(|p| name.starts_with(p)) {
            return None;
        }
        if name.contains("-ziplist-") {
            Some(name.replace("-ziplist-", "-listpack-"))
        } else if name.contains("-listpack-") && !name.starts_with("set-") {
            Some(name.replace("-listpack-", "-ziplist-"))
        } else {
            None
        }
    }

    /// The password AUTH checks against; empty means none is required.
    pub fn requirepass(&self) -> String {
        self.config
            .read()
            .get("requirepass")
            .cloned()
            .unwrap_or_default()
    }
}

/// The memory the process uses (resident set, from /proc), as INFO reports `used_memory`.
pub fn used_memory() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// One connection's state as its own task sees it.
pub struct Session {
    pub handle: Arc<ClientHandle>,
    pub db: Db,
    pub proto: u8,
    pub authenticated: bool,
    /// Set by QUIT and SHUTDOWN: close once the pending replies are written.
    pub closing: bool,
    /// Set by SHUTDOWN: close without a reply, as Redis does (clients expect the connection to
    /// drop).
    pub silent: bool,
    /// READONLY: reads are answered from this node's state without a read barrier (they may
    /// be stale on a follower), as Redis Cluster replicas answer after READONLY.
    pub readonly: bool,
    /// Commands queued since MULTI (`None`: not in a transaction).
    pub multi: Option<Multi>,
    /// Keys this connection WATCHes, with the change stamps read when it did.
    pub watches: Vec<(Db, Bytes, Option<u64>)>,
    /// Channels and patterns this connection is subscribed to.
    pub subscriptions: crate::resp::pubsub::Subscriptions,
}

/// A transaction being queued.
#[derive(Default)]
pub struct Multi {
    pub queued: Vec<Queued>,
    /// A command was refused while queuing (unknown, wrong arity): EXEC aborts.
    pub failed: bool,
    /// A queued command may grow the data set: EXEC is refused while over `maxmemory`.
    pub denyoom: bool,
    /// A queued command writes: EXEC is refused while `min-replicas-to-write` is not met.
    pub writes: bool,
    /// The database a queued SELECT leaves the commands queued after it in (`None`: the
    /// session's), as they run in it at EXEC.
    pub db: Option<Db>,
}

/// One command queued in MULTI.
pub enum Queued {
    /// Applied with the transaction; its reply reshaped if it has a function.
    Step(Step, Option<fn(Response) -> Response>),
    /// A refusal found when it was parsed, answered in its place in EXEC's reply.
    Refused(CommandError),
    /// Needs the connection or the node rather than the data (PING, CLIENT, SELECT, ...): run
    /// after the transaction applied, its reply in its place.
    Later(crate::resp::cmd::Action),
}

impl Session {
    pub fn new(handle: Arc<ClientHandle>, authenticated: bool) -> Session {
        Session {
            handle,
            db: 0,
            proto: 2,
            authenticated,
            closing: false,
            silent: false,
            readonly: false,
            multi: None,
            watches: Vec::new(),
            subscriptions: Default::default(),
        }
    }

    pub fn select(&mut self, db: Db) {
        self.db = db;
        self.handle.meta.lock().db = db;
    }

    pub fn set_proto(&mut self, proto: u8) {
        self.proto = proto;
        self.handle.meta.lock().proto = proto;
    }
}

/// What CLIENT LIST shows of a connection that other connections may read.
#[derive(Default, Clone)]
pub struct ClientMeta {
    pub name: String,
    pub lib_name: String,
    pub lib_ver: String,
    pub db: Db,
    pub proto: u8,
    pub last_command: String,
    /// In a blocking command (CLIENT LIST's `flags=b`).
    pub blocked: bool,
    /// Channels and patterns subscribed to (CLIENT LIST's `sub=` and `psub=`).
    pub subscriptions: (usize, usize),
}

pub struct ClientHandle {
    pub id: u64,
    pub addr: SocketAddr,
    pub local_addr: SocketAddr,
    pub created: Instant,
    pub meta: Mutex<ClientMeta>,
    /// Set by CLIENT KILL; the connection closes at its next chance, even while blocked.
    pub killed: AtomicBool,
    pub kill: Notify,
    /// CLIENT UNBLOCK: ends the blocking command it waits in, as a timeout would (or with an
    /// error, when `unblock_error` is set).
    pub unblock: Notify,
    pub unblock_error: AtomicBool,
}

impl ClientHandle {
    /// One `CLIENT LIST` line, in Redis's field order.
    pub fn describe(&self) -> String {
        let m = self.meta.lock().clone();
        let age = self.created.elapsed().as_secs();
        format!(
            "id={} addr={} laddr={} fd=0 name={} age={} idle=0 flags={} db={} sub={} psub={} ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.local_addr,
            m.name,
            age,
            if m.blocked { "b" } else { "N" },
            m.db,
            m.subscriptions.0,
            m.subscriptions.1,
            if m.last_command.is_empty() { "NULL" } else { &m.last_command },
            m.proto.max(2),
            m.lib_name,
            m.lib_ver,
        )
    }
}

#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<HashMap<u64, Arc<ClientHandle>>>,
}

impl Clients {
    pub fn register(&self, addr: SocketAddr, local_addr: SocketAddr) -> Arc<ClientHandle> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let handle = Arc::new(ClientHandle {
            id,
            addr,
            local_addr,
            created: Instant::now(),
            meta: Mutex::new(ClientMeta {
                proto: 2,
                ..ClientMeta::default()
            }),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
            unblock: Notify::new(),
            unblock_error: AtomicBool::new(false),
        });
        self.map.lock().insert(id, handle.clone());
        handle
    }

    pub fn unregister(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn all(&self) -> Vec<Arc<ClientHandle>> {
        let mut v: Vec<_> = self.map.lock().values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.lock().is_empty()
    }

    /// Ends the blocking command a client waits in; returns whether it was blocked.
    pub fn unblock(&self, id: u64, with_error: bool) -> bool {
        let Some(c) = self.map.lock().get(&id).cloned() else {
            return false;
        };
        if !c.meta.lock().blocked {
            return false;
        }
        c.unblock_error.store(with_error, Ordering::Relaxed);
        c.unblock.notify_waiters();
        true
    }

    /// Marks a client killed and wakes it; returns whether it existed.
    pub fn kill(&self, id: u64) -> bool {
        match self.map.lock().get(&id) {
            Some(c) => {
                c.killed.store(true, Ordering::Relaxed);
                c.kill.notify_one();
                true
            }
            None => false,
        }
    }
}

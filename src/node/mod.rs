//! The node: the only way front-ends reach data. [`Node::execute`] sends state changes down the
//! single write path (one writer thread that group-commits); [`Node::query`] reads local state.
//!
//! The writer is where the Raft log will sit: a single node is a group of one, so every front-end
//! is replicated by construction once the log is under this seam.

pub mod blocking;
mod writer;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::command::{Command, CommandError, Query, Response};
use crate::config::{Config, Fsync, StorageMode};
use crate::engine::Engine;
pub use blocking::{Blocking, Waiter};

/// Requests queued for the writer before senders wait: bounds memory under overload.
const WRITE_QUEUE: usize = 8192;

/// Statistics INFO and /metrics report.
#[derive(Default)]
pub struct Stats {
    pub commands_processed: AtomicU64,
    pub connections_received: AtomicU64,
    pub connected_clients: AtomicI64,
    pub rejected_connections: AtomicU64,
    pub last_save_unix: AtomicI64,
    pub changes_since_save: AtomicU64,
}

pub struct Node {
    engine: Arc<Engine>,
    durability: Arc<writer::Durability>,
    writes: mpsc::Sender<writer::Request>,
    pub blocking: Arc<Blocking>,
    pub stats: Stats,
    pub config: Config,
    started: std::time::Instant,
    shutdown: tokio::sync::Notify,
    shutting_down: AtomicBool,
}

/// What a caller gets if the writer answered a request with no reply at all.
fn no_reply() -> Response {
    Response::Error(CommandError::Storage("no reply".into()))
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Node {
    /// Opens the store and starts the writer and the background tasks. Must run inside a tokio
    /// runtime.
    pub fn start(config: Config) -> anyhow::Result<Arc<Node>> {
        let memory = config.storage.mode == StorageMode::Memory;
        let engine = Arc::new(Engine::open(&config.storage.data_dir, memory)?);
        let blocking = Arc::new(Blocking::default());
        let fsync = if memory {
            Fsync::Never
        } else {
            config.storage.fsync
        };
        let durability = Arc::new(writer::Durability::new(fsync, memory));
        let writes = writer::spawn(engine.clone(), blocking.clone(), durability.clone())?;
        let node = Arc::new(Node {
            engine,
            durability: durability.clone(),
            writes,
            blocking,
            stats: Stats::default(),
            config,
            started: std::time::Instant::now(),
            shutdown: tokio::sync::Notify::new(),
            shutting_down: AtomicBool::new(false),
        });
        node.stats
            .last_save_unix
            .store(now_ms() / 1000, Ordering::Relaxed);
        if !memory {
            writer::spawn_everysec(node.engine.clone(), durability)?;
        }
        tokio::spawn(sweep_expired(node.clone()));
        tokio::spawn(collect_garbage(node.clone()));
        Ok(node)
    }

    /// Applies one state change through the write path.
    pub async fn execute(&self, cmd: Command) -> Response {
        self.execute_many(vec![cmd])
            .await
            .pop()
            .unwrap_or_else(no_reply)
    }

    /// Applies several state changes, in order, as part of one group commit.
    pub async fn execute_many(&self, cmds: Vec<Command>) -> Vec<Response> {
        self.submit(cmds, None).await
    }

    /// Tries a blocked client's attempt; if it finds nothing (a nil reply) the client is queued
    /// in the same step, and later served by the writer through the waiter.
    pub async fn execute_blocking(&self, waiter: Arc<Waiter>) -> Response {
        let cmds = vec![waiter.attempt.clone()];
        self.submit(cmds, Some(waiter))
            .await
            .pop()
            .unwrap_or_else(no_reply)
    }

    async fn submit(&self, cmds: Vec<Command>, block: Option<Arc<Waiter>>) -> Vec<Response> {
        let n = cmds.len();
        let (reply, rx) = oneshot::channel();
        if self
            .writes
            .send(writer::Request { cmds, block, reply })
            .await
            .is_err()
        {
            return vec![Response::Error(CommandError::Storage("writer stopped".into())); n];
        }
        match rx.await {
            Ok(replies) => {
                self.stats
                    .changes_since_save
                    .fetch_add(n as u64, Ordering::Relaxed);
                replies
            }
            Err(_) => vec![Response::Error(CommandError::Storage("writer stopped".into())); n],
        }
    }

    /// Answers a read from local state. Runs on the caller's thread: reads are served from
    /// fjall's memtables and block cache, and a hop to a blocking pool would cost more than the
    /// read itself.
    ///
    /// A read that met keys past their deadline deletes them through the write path before it
    /// answers (lazy expiry), so INFO and a replica see the same deletions the sweeper makes.
    pub async fn query(&self, q: &Query) -> Response {
        let r = self.engine.query(q, now_ms());
        let expired = self.engine.take_expired_seen();
        if !expired.is_empty() {
            self.execute(Command::DeleteExpired { keys: expired }).await;
        }
        r
    }

    /// Changes when the journal is fsync'd (CONFIG SET appendfsync); memory mode ignores it.
    pub fn set_fsync(&self, fsync: Fsync) {
        self.durability.set(fsync);
    }

    pub fn fsync(&self) -> Fsync {
        self.durability.get()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Forces everything acknowledged to stable storage (SAVE, shutdown).
    pub async fn save(&self) -> Result<(), CommandError> {
        let engine = self.engine.clone();
        let r = tokio::task::spawn_blocking(move || engine.sync())
            .await
            .map_err(|e| CommandError::Storage(e.to_string()))?;
        if r.is_ok() {
            self.stats
                .last_save_unix
                .store(now_ms() / 1000, Ordering::Relaxed);
            self.stats.changes_since_save.store(0, Ordering::Relaxed);
        }
        r
    }

    /// Asks the server to stop (SHUTDOWN).
    pub fn request_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
        self.shutdown.notify_waiters();
        self.shutdown.notify_one();
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }

    pub async fn shutdown_requested(&self) {
        if self.is_shutting_down() {
            return;
        }
        self.shutdown.notified().await;
    }
}

/// The active half of expiry: deletes keys whose deadline passed, through the write path, so a
/// replica deletes exactly what the leader deleted.
async fn sweep_expired(node: Arc<Node>) {
    const BATCH: usize = 1000;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        loop {
            let due = node.engine.due_expiries(now_ms(), BATCH);
            if due.is_empty() {
                break;
            }
            let full = due.len() == BATCH;
            node.execute(Command::DeleteExpired { keys: due }).await;
            if !full {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Drops the elements of deleted collections in bounded steps, so DEL stays O(1) for the client.
async fn collect_garbage(node: Arc<Node>) {
    const BUDGET: u64 = 5000;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        while node.engine.has_garbage() {
            let r = node
                .execute(Command::CollectGarbage { budget: BUDGET })
                .await;
            if !matches!(r, Response::Int(n) if n > 0) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

//! The node: the only way front-ends reach data. [`Node::execute`] sends state changes down the
//! single write path, the Raft log (a single node is a group of one: there is no other path);
//! [`Node::query`] answers reads, linearizably unless the client asked for local reads.

pub mod blocking;
mod cluster;
pub mod history;
mod log_segments;
mod log_store;
mod network;
pub mod notices;
pub mod pubsub;
mod raft_types;
mod reads;
mod rpc;
mod state_machine;
pub mod views;
mod writer;

use openraft::async_runtime::WatchReceiver;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};

use crate::command::{list, node, Command, CommandError, Db, NodeError, Query, Response};
use crate::config::{Config, Fsync, StorageMode};
use crate::engine::Engine;
pub use blocking::{Blocking, Outcome, Waiter};
pub use cluster::{ClusterStatus, MemberStatus};
use log_store::{Durability, LogStore};
use network::Peer;
use raft_types::Raft;
pub use raft_types::{NodeId, NodeInfo, CQL, KAFKA, RESP};
pub use views::{Applied, Speculation};

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
    pub id: NodeId,
    pub info: NodeInfo,
    engine: Arc<Engine>,
    log: LogStore,
    durability: Arc<Durability>,
    pub raft: Raft,
    writes: mpsc::Sender<writer::Request>,
    pub blocking: Arc<Blocking>,
    pub stats: Stats,
    pub config: Config,
    started: std::time::Instant,
    shutdown: tokio::sync::Notify,
    shutting_down: AtomicBool,
    /// The leader as last seen in openraft's metrics (0: none).
    leader: AtomicU64,
    /// Whether this node is the only voter: a group of one reads without asking anyone.
    sole_voter: AtomicBool,
    peers: parking_lot::Mutex<HashMap<String, Arc<Peer>>>,
    reads: reads::ReadGate,
    history: Arc<history::History>,
    /// This node's subscribers (see [`pubsub`]).
    pub pubsub: Arc<pubsub::PubSub>,
    /// Logs and groups changed (Kafka's long polls wait on them).
    pub notices: Arc<notices::ChangeNotices>,
    spool: PathBuf,
    _scratch: Option<tempfile::TempDir>,
}

/// What a caller gets if the write path answered a request with no reply at all.
fn no_reply() -> Response {
    Response::Error(NodeError::MayHaveApplied("no reply".into()).into())
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Who leads the cluster, from this node's point of view.
enum Leader {
    Me,
    Peer(Arc<Peer>),
    Unknown,
}

/// Why a blocking command ended without a reply.
#[derive(Debug)]
pub enum Gone {
    /// The client left before it was served.
    Left,
    /// (internal) This node became the leader while forwarding: block here.
    NowLeader,
}

impl Node {
    /// Opens the store and the Raft log, starts Raft, its RPC listener and the background tasks,
    /// and forms or joins the cluster. Must run inside a tokio runtime.
    pub async fn start(config: Config) -> anyhow::Result<Arc<Node>> {
        let memory = config.storage.mode == StorageMode::Memory;
        let scratch = if memory {
            Some(tempfile::Builder::new().prefix("trident-mem").tempdir()?)
        } else {
            None
        };
        let root = scratch
            .as_ref()
            .map_or(config.storage.data_dir.clone(), |s| s.path().to_path_buf());
        crate::engine::store::format::check(&root)?;
        let engine = Arc::new(Engine::open(
            &root.join("state"),
            false,
            crate::engine::Caches {
                blocks: config.storage.block_cache_bytes,
                records: config.storage.record_cache_bytes,
            },
        )?);
        let fsync = if memory {
            Fsync::Never
        } else {
            config.storage.fsync
        };
        let durability = Arc::new(Durability::new(fsync, memory));
        // A quarter of the log's byte budget per segment file, so that purging whole files keeps
        // the log near its budget.
        let segment_bytes = (config.cluster.snapshot_log_bytes / 4).clamp(64 << 10, 64 << 20);
        let log = LogStore::open(&root.join("raft"), durability.clone(), segment_bytes)?;
        let spool = root.join("raft").join("incoming");
        std::fs::create_dir_all(&spool)?;
        let blocking = Arc::new(Blocking::default());
        let listener = tokio::net::TcpListener::bind(config.cluster.raft_addr)
            .await
            .map_err(|e| {
                anyhow::anyhow!("binding Raft RPC on {}: {e}", config.cluster.raft_addr)
            })?;
        let id = config.cluster.node_id;
        let info = NodeInfo {
            format: crate::engine::FORMAT_VERSION,
            raft_addr: listener.local_addr()?.to_string(),
            admin_addr: config.admin.addr.to_string(),
            listeners: [
                (raft_types::RESP.to_string(), config.resp.addr.to_string()),
                (raft_types::KAFKA.to_string(), config.kafka.advertised()),
                (raft_types::CQL.to_string(), config.cql.addr.to_string()),
            ]
            .into(),
        };
        let history = Arc::new(history::History::default());
        let pubsub = Arc::new(pubsub::PubSub::default());
        let notices = Arc::new(notices::ChangeNotices::default());
        let sm = state_machine::StateMachine::new(
            engine.clone(),
            blocking.clone(),
            history.clone(),
            pubsub.clone(),
            notices.clone(),
            id,
        );
        let raft = Raft::new(
            id,
            Arc::new(cluster::raft_config(&config.cluster)?),
            network::Network,
            log.clone(),
            sm,
        )
        .await?;
        let (writes, rx) = mpsc::channel(WRITE_QUEUE);
        let node = Arc::new(Node {
            id,
            info,
            engine,
            log,
            durability,
            raft,
            writes,
            blocking,
            stats: Stats::default(),
            config,
            started: std::time::Instant::now(),
            shutdown: tokio::sync::Notify::new(),
            shutting_down: AtomicBool::new(false),
            leader: AtomicU64::new(0),
            sole_voter: AtomicBool::new(false),
            peers: parking_lot::Mutex::new(HashMap::new()),
            reads: reads::ReadGate::default(),
            history,
            pubsub,
            notices,
            spool,
            _scratch: scratch,
        });
        node.stats
            .last_save_unix
            .store(now_ms() / 1000, Ordering::Relaxed);
        writer::spawn(node.clone(), rx);
        tokio::spawn(rpc::serve(node.clone(), listener));
        tokio::spawn(cluster::watch_metrics(node.clone()));
        if !memory {
            node.log.spawn_everysec()?;
        }
        cluster::form(&node).await?;
        tokio::spawn(sweep_expired(node.clone()));
        tokio::spawn(collect_garbage(node.clone()));
        tokio::spawn(snapshot_by_size(node.clone()));
        Ok(node)
    }

    /// Applies one state change through the write path.
    pub async fn execute(&self, cmd: Command) -> Response {
        self.execute_many(vec![cmd])
            .await
            .pop()
            .unwrap_or_else(no_reply)
    }

    /// Applies several state changes, in order, as part of one log entry.
    pub async fn execute_many(&self, cmds: Vec<Command>) -> Vec<Response> {
        self.submit(cmds, false).await
    }

    /// Queues commands on the write path now and returns their replies' future: a connection
    /// that pipelines writes (Kafka's Produce) keeps their order in the log without waiting
    /// for each to commit before queuing the next.
    pub async fn execute_queued(
        self: &Arc<Self>,
        cmds: Vec<Command>,
    ) -> impl std::future::Future<Output = Vec<Response>> + Send + 'static {
        let n = cmds.len();
        let queued = self.enqueue(cmds, false).await;
        let node = self.clone();
        async move { node.settle(queued, n).await }
    }

    async fn submit(&self, cmds: Vec<Command>, forwarded: bool) -> Vec<Response> {
        let n = cmds.len();
        let queued = self.enqueue(cmds, forwarded).await;
        self.settle(queued, n).await
    }

    /// Submits several clients' requests (forwarded by a follower) in order, and answers each.
    async fn submit_all(&self, requests: Vec<Vec<Command>>, forwarded: bool) -> Vec<Vec<Response>> {
        let mut queued = Vec::with_capacity(requests.len());
        for cmds in requests {
            let n = cmds.len();
            queued.push((self.enqueue(cmds, forwarded).await, n));
        }
        let mut replies = Vec::with_capacity(queued.len());
        for (rx, n) in queued {
            replies.push(self.settle(rx, n).await);
        }
        replies
    }

    /// Queues one request for the writer; `None` if the writer has stopped.
    async fn enqueue(
        &self,
        cmds: Vec<Command>,
        forwarded: bool,
    ) -> Option<oneshot::Receiver<Vec<Response>>> {
        let (reply, rx) = oneshot::channel();
        let positions = cmds.iter().map(Command::positions).sum();
        // Counted without encoding anything: a walk over the commands' fields.
        let bytes = bincode::serialized_size(&cmds).map_or(usize::MAX, |n| n as usize);
        let req = writer::Request {
            cmds,
            positions,
            bytes,
            reply,
            forwarded,
        };
        self.writes.send(req).await.ok().map(|()| rx)
    }

    /// Waits for the replies to a request of `n` commands queued by [`Node::enqueue`].
    async fn settle(
        &self,
        queued: Option<oneshot::Receiver<Vec<Response>>>,
        n: usize,
    ) -> Vec<Response> {
        let replies = match queued {
            Some(rx) => rx.await.ok(),
            None => None,
        };
        match replies {
            Some(replies) => {
                self.stats
                    .changes_since_save
                    .fetch_add(n as u64, Ordering::Relaxed);
                replies
            }
            None => vec![Response::Error(self.stopped_error()); n],
        }
    }

    /// Runs a blocking command (BLPOP and friends) until a push serves it, `deadline` passes or
    /// `cut` resolves (CLIENT UNBLOCK: either way the attempt's nil reply, unless a push served
    /// it meanwhile), or `gone` resolves (the client left). On a follower the whole wait
    /// happens on the leader, which hosts every blocked client.
    pub async fn run_blocking(
        self: &Arc<Self>,
        db: Db,
        keys: &[bytes::Bytes],
        attempt: Command,
        deadline: Option<tokio::time::Instant>,
        gone: impl std::future::Future<Output = ()>,
        cut: impl std::future::Future<Output = ()>,
    ) -> Result<Response, Gone> {
        tokio::pin!(gone);
        tokio::pin!(cut);
        loop {
            if !self.is_leader() {
                match self
                    .forward_blocking(
                        db,
                        keys,
                        attempt.clone(),
                        deadline,
                        gone.as_mut(),
                        cut.as_mut(),
                    )
                    .await
                {
                    Err(Gone::NowLeader) => continue,
                    r => return r,
                }
            }
            let w = self.blocking.waiter(db, keys, attempt.clone());
            let guard = UnblockOnDrop {
                node: self.clone(),
                waiter: Some(w.clone()),
            };
            let first = self
                .execute(
                    node::Command::Block {
                        owner: self.id,
                        id: w.id,
                        keys: w.keys.clone(),
                        attempt: Box::new(attempt.clone()),
                    }
                    .into(),
                )
                .await;
            if !first.is_nil() {
                guard.disarm();
                return Ok(first);
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = w.notify.notified() => match w.take_outcome() {
                        Some(Outcome::Served(r)) => {
                            guard.disarm();
                            return Ok(r);
                        }
                        Some(Outcome::Dropped) => {
                            guard.disarm();
                            break;
                        }
                        None => continue,
                    },
                    _ = &mut sleep => {
                        guard.disarm();
                        return Ok(self.unblock(&w).await.unwrap_or(first));
                    }
                    _ = &mut cut => {
                        guard.disarm();
                        return Ok(self.unblock(&w).await.unwrap_or(first));
                    }
                    _ = &mut gone => {
                        guard.disarm();
                        self.unblock(&w).await;
                        return Err(Gone::Left);
                    }
                }
            }
            // A new term dropped us: block again, through whoever leads now.
        }
    }

    /// Takes a blocked client out of the queue; returns its reply if a push served it first.
    async fn unblock(&self, w: &Waiter) -> Option<Response> {
        self.execute(
            node::Command::Unblock {
                owner: self.id,
                id: w.id,
            }
            .into(),
        )
        .await;
        self.blocking.forget(w);
        match w.take_outcome() {
            Some(Outcome::Served(r)) => Some(r),
            _ => None,
        }
    }

    async fn forward_blocking(
        &self,
        db: Db,
        keys: &[bytes::Bytes],
        attempt: Command,
        deadline: Option<tokio::time::Instant>,
        mut gone: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
        mut cut: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    ) -> Result<Response, Gone> {
        loop {
            let peer = match self.find_leader(writer::LEADER_WAIT).await {
                Leader::Peer(p) => p,
                // We lead now: the caller blocks here instead.
                Leader::Me => return Err(Gone::NowLeader),
                Leader::Unknown => return Ok(Response::Error(writer::cluster_down())),
            };
            let timeout_ms = deadline.map(|d| {
                d.saturating_duration_since(tokio::time::Instant::now())
                    .as_millis() as u64
            });
            let req = rpc::Request::Block {
                db,
                keys: keys.to_vec(),
                attempt: attempt.clone(),
                timeout_ms,
            };
            let call = match peer.send(&req).await {
                Ok(c) => c,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let cancel = network::CancelOnDrop::new(peer.clone(), &call);
            let reply = call.reply(None);
            tokio::pin!(reply);
            tokio::select! {
                r = &mut reply => {
                    cancel.disarm();
                    match r {
                        Ok(rpc::Reply::Response(r)) => return Ok(r),
                        Ok(rpc::Reply::Failed(e)) => return Ok(Response::Error(writer::unavailable(e))),
                        // The leader went away while we waited: block again through the next.
                        _ => {
                            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                                return Ok(attempt_nil(&attempt));
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                _ = &mut gone => return Err(Gone::Left),
                _ = &mut cut => {
                    // The leader ends the wait and answers: nil, or what served it meanwhile.
                    drop(cancel);
                    return match reply.await {
                        Ok(rpc::Reply::Response(r)) => Ok(r),
                        _ => Ok(attempt_nil(&attempt)),
                    };
                }
            }
        }
    }

    /// Answers a read from local state, first making sure it reflects every write acknowledged
    /// anywhere in the cluster (a linearizable read), unless `local` (READONLY) says stale is
    /// fine. Runs on the caller's thread: reads are served from fjall's memtables and block
    /// cache, and a hop to a blocking pool would cost more than the read itself.
    ///
    /// A read that met keys past their deadline deletes them through the write path before it
    /// answers (lazy expiry), so every replica sees the same deletions.
    pub async fn query(&self, q: &Query, local: bool) -> Response {
        if !local {
            if let Err(e) = self.linearize().await {
                return Response::Error(e);
            }
        }
        let r = self.engine.query(q, now_ms());
        let expired = self.engine.take_expired_seen();
        if !expired.is_empty() && self.is_leader() {
            self.execute(node::Command::DeleteExpired { keys: expired }.into())
                .await;
        }
        r
    }

    /// Waits until local state holds everything acknowledged before the call.
    pub async fn linearize(&self) -> Result<(), CommandError> {
        if self.sole_voter.load(Ordering::Acquire) && self.is_leader() {
            // A group of one: every acknowledged write was applied here before it was
            // acknowledged, and no other node can lead.
            return Ok(());
        }
        self.reads.pass(|| reads::barrier(self)).await
    }

    /// The error for writes once the state machine stopped (or the writer went away).
    pub(super) fn stopped_error(&self) -> CommandError {
        NodeError::Stopped(
            self.engine
                .failure()
                .unwrap_or_else(|| "the write path stopped".into()),
        )
        .into()
    }

    /// Why this node stopped applying the log, if it did: it then takes no writes and reports
    /// unhealthy.
    pub fn failure(&self) -> Option<String> {
        self.engine.failure()
    }

    /// Changes when the log is fsync'd (CONFIG SET appendfsync); memory mode ignores it.
    pub fn set_fsync(&self, fsync: Fsync) {
        self.durability.set(fsync);
    }

    pub fn fsync(&self) -> Fsync {
        self.durability.get()
    }

    /// The history of changes applied here from now on (see [`history`]).
    pub async fn follow_history(
        &self,
    ) -> anyhow::Result<tokio::sync::broadcast::Receiver<history::Changes>> {
        self.history.follow().await
    }

    /// The engine itself, for the node's own parts and for tests; front-ends use [`views`].
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    fn spool_dir(&self) -> &std::path::Path {
        &self.spool
    }

    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Acquire) == self.id
    }

    /// The current leader, if one is known.
    pub fn leader_id(&self) -> Option<NodeId> {
        match self.leader.load(Ordering::Acquire) {
            0 => None,
            id => Some(id),
        }
    }

    /// Who leads, waiting up to `wait` for a leader to be elected.
    async fn find_leader(&self, wait: Duration) -> Leader {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.leader_id() {
                Some(id) if id == self.id => return Leader::Me,
                Some(id) => {
                    let addr = self
                        .raft
                        .metrics()
                        .borrow_watched()
                        .membership_config
                        .get_node(&id)
                        .map(|n| n.raft_addr.clone());
                    if let Some(addr) = addr {
                        return Leader::Peer(self.peer(&addr));
                    }
                }
                None => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Leader::Unknown;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn peer(&self, addr: &str) -> Arc<Peer> {
        self.peers
            .lock()
            .entry(addr.to_string())
            .or_insert_with(|| Arc::new(Peer::new(addr.to_string())))
            .clone()
    }

    /// Forces everything acknowledged to stable storage (SAVE, shutdown).
    pub async fn save(&self) -> Result<(), CommandError> {
        let engine = self.engine.clone();
        let log = self.log.clone();
        let r = tokio::task::spawn_blocking(move || {
            log.sync()
                .map_err(|e| CommandError::Storage(e.to_string()))?;
            engine.sync()
        })
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

/// The reply of a blocking command that timed out.
fn attempt_nil(attempt: &Command) -> Response {
    match attempt {
        Command::List(list::Command::Pop { .. } | list::Command::LMove { .. }) => Response::Nil,
        _ => Response::NilArray,
    }
}

/// Takes a blocked client out of the replicated queue if its wait is abandoned without a reply
/// (its task cancelled because the follower that forwarded it went away).
struct UnblockOnDrop {
    node: Arc<Node>,
    waiter: Option<Arc<Waiter>>,
}

impl UnblockOnDrop {
    fn disarm(mut self) {
        if let Some(w) = self.waiter.take() {
            self.node.blocking.forget(&w);
        }
    }
}

impl Drop for UnblockOnDrop {
    fn drop(&mut self) {
        if let Some(w) = self.waiter.take() {
            let node = self.node.clone();
            tokio::spawn(async move {
                node.unblock(&w).await;
            });
        }
    }
}

/// The active half of expiry, on the leader only: deletes keys whose deadline passed, through
/// the log, so every replica deletes exactly what the leader deleted.
async fn sweep_expired(node: Arc<Node>) {
    const BATCH: usize = 1000;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        if !node.is_leader() {
            continue;
        }
        loop {
            let due = node.engine.due_expiries(now_ms(), BATCH);
            if due.is_empty() {
                break;
            }
            let full = due.len() == BATCH;
            node.execute(node::Command::DeleteExpired { keys: due }.into())
                .await;
            if !full {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Bounds the log on disk by bytes as well as by entries (openraft's own policy counts entries
/// only, and entries range from a few bytes to megabytes). On every node: once the log after the
/// last snapshot takes `snapshot_log_bytes`, a snapshot is taken; once the entries kept behind
/// the snapshot (for followers that lag a little) take as much again, they are purged.
async fn snapshot_by_size(node: Arc<Node>) {
    let limit = node.config.cluster.snapshot_log_bytes.max(1);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let (snapshot, applied, purged) = {
            let rx = node.raft.metrics();
            let m = rx.borrow_watched();
            (
                m.snapshot.as_ref().map(|l| l.index),
                m.last_applied.as_ref().map(|l| l.index),
                m.purged.as_ref().map(|l| l.index),
            )
        };
        let after = node.log.bytes_after(snapshot);
        let r = if applied > snapshot && after >= limit {
            tracing::info!(
                ?snapshot,
                "the log passed snapshot_log_bytes; taking a snapshot"
            );
            node.raft.trigger().snapshot().await
        } else if let Some(s) = snapshot.filter(|&s| Some(s) > purged) {
            if node.log.bytes_after(purged).saturating_sub(after) >= limit {
                node.raft.trigger().purge_log(s).await
            } else {
                Ok(())
            }
        } else {
            Ok(())
        };
        if r.is_err() {
            return;
        }
    }
}

/// Drops the elements of deleted collections in bounded steps (on the leader, through the log),
/// so DEL stays O(1) for the client.
async fn collect_garbage(node: Arc<Node>) {
    const BUDGET: u64 = 5000;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tick.tick().await;
        if !node.is_leader() {
            continue;
        }
        while node.engine.has_garbage() {
            let r = node
                .execute(node::Command::CollectGarbage { budget: BUDGET }.into())
                .await;
            if !matches!(r, Response::Int(n) if n > 0) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

//! The client side of node-to-node RPC: persistent, multiplexed connections with timeouts and
//! reconnection with backoff, used by openraft's replication and by a follower's forwarding.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use openraft::base::{BoxFuture, BoxStream};
use openraft::errors::{NetworkError, RPCError, ReplicationClosed, StreamingError, Unreachable};
use openraft::network::{RPCOption, RaftNetworkFactory, RaftNetworkV2};
use openraft::raft::StreamAppendResult;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use openraft::OptionalSend;
use parking_lot::Mutex;
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::raft_types::{LogId, NodeId, NodeInfo, TypeConfig, Vote};
use super::rpc::{self, Reply, Request};
use super::state_machine::SnapshotData;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Bytes of records per snapshot chunk.
const SNAPSHOT_CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("peer {0} unreachable: {1}")]
    Unreachable(String, String),
    #[error("peer {0} did not answer in time")]
    Timeout(String),
    #[error("connection to {0} lost")]
    Lost(String),
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Reply>>>>;

/// One live connection: requests go out through a writer task, replies are matched by id.
struct Conn {
    out: mpsc::UnboundedSender<(u64, Vec<u8>)>,
    pending: Pending,
}

impl Conn {
    async fn open(addr: &str) -> io::Result<Conn> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        let (r, w) = stream.into_split();
        let (out, mut rx) = mpsc::unbounded_channel::<(u64, Vec<u8>)>();
        let pending: Pending = Arc::default();
        tokio::spawn(async move {
            let mut w = BufWriter::with_capacity(256 * 1024, w);
            while let Some((id, payload)) = rx.recv().await {
                if rpc::write_frame(&mut w, id, &payload).await.is_err() {
                    return;
                }
                while let Ok((id, payload)) = rx.try_recv() {
                    if rpc::write_frame(&mut w, id, &payload).await.is_err() {
                        return;
                    }
                }
                if w.flush().await.is_err() {
                    return;
                }
            }
        });
        let readers = pending.clone();
        tokio::spawn(async move {
            let mut r = BufReader::with_capacity(256 * 1024, r);
            while let Ok(Some((id, payload))) = rpc::read_frame(&mut r).await {
                let Ok(reply) = rpc::decode::<Reply>(&payload) else {
                    break;
                };
                if let Some(tx) = readers.lock().remove(&id) {
                    let _ = tx.send(reply);
                }
            }
            // Dropping the senders fails every call still waiting on this connection.
            readers.lock().clear();
        });
        Ok(Conn { out, pending })
    }

    fn is_closed(&self) -> bool {
        self.out.is_closed()
    }
}

/// A peer address with its connection, reopened on demand with backoff after failures.
pub struct Peer {
    addr: String,
    conn: tokio::sync::Mutex<Option<Arc<Conn>>>,
    next_id: AtomicU64,
    backoff: Mutex<(Option<Instant>, Duration)>,
}

/// A request in flight; dropping it before the reply tells the peer to cancel it (`Cancel`).
pub struct Call {
    id: u64,
    conn: Arc<Conn>,
    rx: oneshot::Receiver<Reply>,
    addr: String,
    answered: bool,
}

impl Call {
    pub async fn reply(mut self, timeout: Option<Duration>) -> Result<Reply, CallError> {
        let rx = &mut self.rx;
        let r = match timeout {
            Some(t) => match tokio::time::timeout(t, rx).await {
                Ok(r) => r,
                Err(_) => return Err(CallError::Timeout(self.addr.clone())),
            },
            None => rx.await,
        };
        self.answered = true;
        r.map_err(|_| CallError::Lost(self.addr.clone()))
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.answered {
            self.conn.pending.lock().remove(&self.id);
        }
    }
}

impl Peer {
    pub fn new(addr: String) -> Peer {
        Peer {
            addr,
            conn: tokio::sync::Mutex::new(None),
            next_id: AtomicU64::new(1),
            backoff: Mutex::new((None, Duration::from_millis(50))),
        }
    }

    async fn connection(&self) -> Result<Arc<Conn>, CallError> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            if !c.is_closed() {
                return Ok(c.clone());
            }
        }
        if let (Some(until), _) = *self.backoff.lock() {
            if Instant::now() < until {
                return Err(CallError::Unreachable(
                    self.addr.clone(),
                    "backing off".into(),
                ));
            }
        }
        match Conn::open(&self.addr).await {
            Ok(c) => {
                *self.backoff.lock() = (None, Duration::from_millis(50));
                let c = Arc::new(c);
                *slot = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                let mut b = self.backoff.lock();
                let wait = b.1;
                *b = (Some(Instant::now() + wait), (wait * 2).min(MAX_BACKOFF));
                Err(CallError::Unreachable(self.addr.clone(), e.to_string()))
            }
        }
    }

    /// Sends a request; the reply is awaited on the returned [`Call`].
    pub async fn send(&self, req: &Request) -> Result<Call, CallError> {
        let conn = self.connection().await?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let payload = rpc::encode(req).map_err(|e| CallError::Lost(e.to_string()))?;
        let (tx, rx) = oneshot::channel();
        conn.pending.lock().insert(id, tx);
        if conn.out.send((id, payload)).is_err() {
            conn.pending.lock().remove(&id);
            return Err(CallError::Lost(self.addr.clone()));
        }
        Ok(Call {
            id,
            conn,
            rx,
            addr: self.addr.clone(),
            answered: false,
        })
    }

    pub async fn call(&self, req: &Request, timeout: Option<Duration>) -> Result<Reply, CallError> {
        self.send(req).await?.reply(timeout).await
    }
}

/// Tells the peer to stop working on a request if its caller stops waiting (a blocked client
/// that left), unless disarmed once the reply came.
pub struct CancelOnDrop {
    target: Option<(Arc<Conn>, u64)>,
}

impl CancelOnDrop {
    pub fn new(_peer: Arc<Peer>, call: &Call) -> CancelOnDrop {
        CancelOnDrop {
            target: Some((call.conn.clone(), call.id)),
        }
    }

    pub fn disarm(mut self) {
        self.target = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some((conn, id)) = self.target.take() {
            if let Ok(payload) = rpc::encode(&Request::Cancel(id)) {
                let _ = conn.out.send((0, payload));
            }
        }
    }
}

/// Creates openraft's per-target clients.
pub struct Network;

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = RaftClient;

    async fn new_client(&mut self, target: NodeId, node: &NodeInfo) -> RaftClient {
        RaftClient {
            target,
            peer: Arc::new(Peer::new(node.raft_addr.clone())),
        }
    }
}

/// Replication to one target over its own connection.
pub struct RaftClient {
    target: NodeId,
    peer: Arc<Peer>,
}

/// AppendEntries sent ahead of their replies when replicating: at most this many in flight.
const PIPELINE_DEPTH: usize = 64;

fn rpc_error(e: CallError) -> RPCError<TypeConfig> {
    match e {
        CallError::Unreachable(..) => RPCError::Unreachable(Unreachable::from_string(e)),
        _ => RPCError::Network(NetworkError::from_string(e)),
    }
}

fn unexpected(target: NodeId) -> RPCError<TypeConfig> {
    RPCError::Network(NetworkError::from_string(format!(
        "unexpected reply from node {target}"
    )))
}

impl RaftClient {
    async fn snapshot(
        &mut self,
        vote: Vote,
        snapshot: openraft::alias::SnapshotOf<TypeConfig, SnapshotData>,
        ttl: Duration,
    ) -> Result<SnapshotResponse<TypeConfig>, RPCError<TypeConfig>> {
        let SnapshotData::Export(export) = snapshot.snapshot else {
            return Err(RPCError::Network(NetworkError::from_string(
                "only local snapshots can be sent",
            )));
        };
        let ack = |r: Reply| match r {
            Reply::Ack => Ok(()),
            Reply::Failed(e) => Err(RPCError::Network(NetworkError::from_string(e))),
            _ => Err(unexpected(self.target)),
        };
        ack(self
            .peer
            .call(&Request::SnapshotBegin, Some(ttl))
            .await
            .map_err(rpc_error)?)?;
        let mut export = export;
        loop {
            let (back, chunk) = tokio::task::spawn_blocking(move || {
                let c = export.next_chunk(SNAPSHOT_CHUNK);
                (export, c)
            })
            .await
            .map_err(|e| RPCError::Network(NetworkError::from_string(e)))?;
            export = back;
            let chunk = chunk.map_err(|e| RPCError::Network(NetworkError::from_string(e)))?;
            if chunk.is_empty() {
                break;
            }
            ack(self
                .peer
                .call(&Request::SnapshotChunk(chunk), Some(ttl))
                .await
                .map_err(rpc_error)?)?;
        }
        let end = Request::SnapshotEnd {
            vote,
            meta: snapshot.meta,
        };
        match self.peer.call(&end, None).await.map_err(rpc_error)? {
            Reply::Snapshot(Ok(r)) => Ok(r),
            Reply::Snapshot(Err(e)) => Err(RPCError::Network(NetworkError::from_string(e))),
            _ => Err(unexpected(self.target)),
        }
    }
}

impl RaftNetworkV2<TypeConfig> for RaftClient {
    type SnapshotData = SnapshotData;

    /// Pipelined replication: requests are written to the connection as openraft produces them,
    /// without waiting for the previous reply; the follower handles them in order and the
    /// replies come back in order. Stops at the first failure, conflict or partial success.
    fn stream_append<'s, S>(
        &'s mut self,
        mut input: S,
        option: RPCOption,
    ) -> BoxFuture<
        's,
        Result<
            BoxStream<'s, Result<StreamAppendResult<TypeConfig>, RPCError<TypeConfig>>>,
            RPCError<TypeConfig>,
        >,
    >
    where
        S: futures_util::Stream<Item = AppendEntriesRequest<TypeConfig>>
            + OptionalSend
            + Unpin
            + 'static,
    {
        let peer = self.peer.clone();
        let ttl = option.hard_ttl();
        Box::pin(async move {
            let (tx, rx) = mpsc::channel::<Result<(Call, Option<LogId>, Option<LogId>), CallError>>(
                PIPELINE_DEPTH,
            );
            tokio::spawn(async move {
                while let Some(req) = input.next().await {
                    let prev = req.prev_log_id;
                    let last = req.entries.last().map(|e| e.log_id).or(prev);
                    let sent = peer.send(&Request::Append(req)).await;
                    let failed = sent.is_err();
                    if tx.send(sent.map(|c| (c, prev, last))).await.is_err() || failed {
                        return;
                    }
                }
            });
            let replies = futures_util::stream::unfold(Some(rx), move |state| async move {
                let mut rx = state?;
                let (call, prev, last) = match rx.recv().await? {
                    Ok(x) => x,
                    Err(e) => return Some((Err(rpc_error(e)), None)),
                };
                match call.reply(Some(ttl)).await {
                    Ok(Reply::Append(Ok(resp))) => {
                        let go_on = match &resp {
                            AppendEntriesResponse::Success => true,
                            AppendEntriesResponse::PartialSuccess(p) => *p == last,
                            _ => false,
                        };
                        let r = resp.into_stream_result(prev, last);
                        let go_on = go_on && r.is_ok();
                        Some((Ok(r), go_on.then_some(rx)))
                    }
                    Ok(Reply::Append(Err(e))) => {
                        Some((Err(RPCError::Network(NetworkError::from_string(e))), None))
                    }
                    Ok(_) => Some((Err(unexpected(0)), None)),
                    Err(e) => Some((Err(rpc_error(e)), None)),
                }
            });
            let replies: BoxStream<'s, _> = Box::pin(replies);
            Ok(replies)
        })
    }

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        let reply = self
            .peer
            .call(&Request::Append(rpc), Some(option.hard_ttl()))
            .await
            .map_err(rpc_error)?;
        match reply {
            Reply::Append(Ok(r)) => Ok(r),
            Reply::Append(Err(e)) => Err(RPCError::Network(NetworkError::from_string(e))),
            _ => Err(unexpected(self.target)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        let reply = self
            .peer
            .call(&Request::Vote(rpc), Some(option.hard_ttl()))
            .await
            .map_err(rpc_error)?;
        match reply {
            Reply::Vote(Ok(r)) => Ok(r),
            Reply::Vote(Err(e)) => Err(RPCError::Network(NetworkError::from_string(e))),
            _ => Err(unexpected(self.target)),
        }
    }

    async fn full_snapshot(
        &mut self,
        vote: Vote,
        snapshot: openraft::alias::SnapshotOf<TypeConfig, SnapshotData>,
        cancel: impl std::future::Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let ttl = option.hard_ttl();
        tokio::select! {
            closed = cancel => Err(StreamingError::Closed(closed)),
            r = self.snapshot(vote, snapshot, ttl) => r.map_err(|e| match e {
                RPCError::Unreachable(u) => StreamingError::Unreachable(u),
                RPCError::Timeout(t) => StreamingError::Timeout(t),
                RPCError::Network(n) => StreamingError::Network(n),
                RPCError::RemoteError(r) => StreamingError::Network(NetworkError::from_string(r)),
            }),
        }
    }
}

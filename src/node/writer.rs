//! The single write path: one task takes every queued request and turns them into one Raft log
//! entry (a group commit), proposed on the leader or forwarded to it from a follower. The entry
//! is appended, replicated, committed and applied by openraft; the replies come back from the
//! state machine and are handed out to the waiting clients in order.
//!
//! While an entry is on its way (see [`MAX_IN_FLIGHT`]) new requests gather into the next one,
//! and the state machine answers each entry's clients as it applies it. Under load many clients'
//! requests share one entry; when idle a lone command is its own entry at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit};

use super::network::CallError;
use super::raft_types::{Answer, Batch};
use super::rpc::{Reply, Request as PeerRequest};
use super::{Leader, Node};
use crate::command::{Command, CommandError, NodeError, Response};

/// Most commands in one log entry (a transaction counts its steps: each takes a log position).
const MAX_BATCH: usize = 4096;
/// Most bytes of commands in one log entry: a multi-megabyte write closes its entry, so the
/// small writes queued behind it wait for one entry at most, not for a train of big ones, and an
/// entry stays a bounded unit to replicate, fsync and apply.
const MAX_ENTRY_BYTES: usize = 1 << 20;
/// Entries proposed and not yet applied, at most. While one is on its way, new requests queue up
/// and become the next entry: every entry costs a round through openraft (log append, commit,
/// apply, a handful of task hand-offs), so under load fewer, larger entries carry more commands
/// per second. One at a time measured best: with two in flight, 50 clients without pipelining
/// made entries of about 9 commands and ran ~10% slower; at `-P 16` it made no difference.
const MAX_IN_FLIGHT: usize = 1;
/// How many times the writer lets every other ready task run before it forms an entry, when
/// more than one client is writing. Each turn runs the connections whose requests are already
/// parsed or waiting in their sockets (tokio polls the sockets between turns), so their requests
/// join this entry instead of starting the next. Without it 50 clients without pipelining made
/// entries of ~13 commands; with three turns ~25-30, and about 10% less CPU per command, since
/// openraft's cost is per entry. A lone client skips it and pays no latency for it.
const GATHER_TURNS: usize = 3;
/// How long a write, a read barrier or a blocking pop waits for a leader to be elected before
/// the client is told the cluster is down.
pub(super) const LEADER_WAIT: Duration = Duration::from_millis(1500);
/// How long a follower waits for the leader to answer a forwarded write.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Request {
    pub cmds: Vec<Command>,
    /// Log positions (see [`MAX_BATCH`]) and encoded bytes the commands take.
    pub positions: usize,
    pub bytes: usize,
    pub reply: oneshot::Sender<Vec<Response>>,
    /// Forwarded to us by a follower: never forwarded again (two nodes that each believe the
    /// other leads must not bounce a write between them).
    pub forwarded: bool,
}

/// Each request's client and its number of commands, in the order of the entry's requests.
type Waiting = Vec<(oneshot::Sender<Vec<Response>>, usize)>;

pub fn cluster_down() -> CommandError {
    NodeError::NoLeader.into()
}

/// A write whose outcome is unknown.
pub fn try_again(why: impl std::fmt::Display) -> CommandError {
    NodeError::MayHaveApplied(why.to_string()).into()
}

/// A read or a wait that could not be confirmed; nothing was changed.
pub fn unavailable(why: impl std::fmt::Display) -> CommandError {
    NodeError::Unavailable(why.to_string()).into()
}

pub fn spawn(node: Arc<Node>, rx: mpsc::Receiver<Request>) {
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    tokio::spawn(run(node, rx, in_flight));
}

/// What answers an entry's clients once openraft has applied it (or given up on it), and frees
/// its slot for the next entry.
fn answer(waiting: Waiting, permit: OwnedSemaphorePermit) -> Answer<ClientWriteResult> {
    Answer::new(move |done: Option<ClientWriteResult>| {
        let replies = match done {
            Some(Ok(r)) => Ok(r.data.0),
            Some(Err(e)) => Err(try_again(e)),
            None => Err(try_again("the write was dropped")),
        };
        drop(permit);
        distribute(waiting, replies);
    })
}

type ClientWriteResult = openraft::raft::ClientWriteResult<super::raft_types::TypeConfig>;

fn distribute(waiting: Waiting, replies: Result<Vec<Vec<Response>>, CommandError>) {
    match replies {
        Ok(all) => {
            let mut all = all.into_iter();
            for (tx, n) in waiting {
                let mine = all.next().unwrap_or_else(|| vec![super::no_reply(); n]);
                let _ = tx.send(mine);
            }
        }
        Err(e) => {
            for (tx, n) in waiting {
                let _ = tx.send(vec![Response::Error(e.clone()); n]);
            }
        }
    }
}

async fn run(
    node: Arc<Node>,
    mut rx: mpsc::Receiver<Request>,
    in_flight: Arc<tokio::sync::Semaphore>,
) {
    let batch_size = metrics::histogram!("trident_group_commit_batch_size");
    let mut last_now = 0i64;
    // Requests in the previous entry: more than one means several clients are writing.
    let mut last_requests = 0;
    loop {
        let Some(first) = rx.recv().await else {
            return;
        };
        // Wait for a slot before gathering: what arrives meanwhile joins this entry.
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        if last_requests > 1 || !rx.is_empty() {
            for _ in 0..GATHER_TURNS {
                tokio::task::yield_now().await;
            }
        }
        // Sized for everything queued, so gathering never regrows.
        let queued = rx.len().saturating_add(1).min(MAX_BATCH);
        let mut requests = Vec::with_capacity(queued);
        let mut waiting: Waiting = Vec::with_capacity(queued);
        // Which requests followers forwarded: on the leader they share the entry with local
        // ones (entries alternating between the two kinds halved the batch when most writes
        // came through followers); only if leadership is gone do the two part ways.
        let mut forwarded = Vec::with_capacity(queued);
        let (mut commands, mut positions, mut bytes) =
            (first.cmds.len(), first.positions, first.bytes);
        waiting.push((first.reply, first.cmds.len()));
        requests.push(first.cmds);
        forwarded.push(first.forwarded);
        while positions < MAX_BATCH && bytes < MAX_ENTRY_BYTES {
            match rx.try_recv() {
                Ok(r) => {
                    commands += r.cmds.len();
                    positions += r.positions;
                    bytes += r.bytes;
                    waiting.push((r.reply, r.cmds.len()));
                    requests.push(r.cmds);
                    forwarded.push(r.forwarded);
                }
                Err(_) => break,
            }
        }
        batch_size.record(commands as f64);
        last_requests = requests.len();
        if node.failure().is_some() {
            distribute(waiting, Err(node.stopped_error()));
            continue;
        }
        if !node.is_leader() {
            let (mut mine, mut theirs): (Waiting, Waiting) = (Vec::new(), Vec::new());
            let mut to_forward = Vec::new();
            for ((w, cmds), f) in waiting.into_iter().zip(requests).zip(forwarded) {
                if f {
                    theirs.push(w);
                } else {
                    mine.push(w);
                    to_forward.push(cmds);
                }
            }
            if !theirs.is_empty() {
                // Never proposed: the follower that forwarded them finds the leader again.
                distribute(theirs, Err(cluster_down()));
            }
            if !mine.is_empty() {
                forward(&node, to_forward, mine);
            }
            continue;
        }
        // The clock never goes backwards inside the log, whatever the system clock does.
        let now = super::now_ms().max(last_now);
        last_now = now;
        let entry = Batch {
            format: crate::engine::FORMAT_VERSION,
            now_ms: now,
            requests: Arc::new(requests),
        };
        // On failure openraft drops the responder, which answers the clients.
        let _ = node
            .raft
            .client_write_ff(entry, Some(answer(waiting, permit)))
            .await;
    }
}

/// Sends a follower's batch to the leader and answers its clients when the leader does. While
/// there is no leader, or the known one cannot be reached (the request certainly not delivered),
/// it keeps trying for a while; if this node becomes the leader meanwhile, it proposes the batch
/// itself.
fn forward(node: &Arc<Node>, requests: Vec<Vec<Command>>, waiting: Waiting) {
    let node = node.clone();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + LEADER_WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match node.find_leader(left).await {
                Leader::Me => {
                    let r = node.submit_all(requests, false).await;
                    distribute(waiting, Ok(r));
                    return;
                }
                Leader::Unknown => {
                    distribute(waiting, Err(cluster_down()));
                    return;
                }
                Leader::Peer(peer) => {
                    let r = match peer
                        .call(&PeerRequest::Write(requests.clone()), Some(FORWARD_TIMEOUT))
                        .await
                    {
                        Ok(Reply::Responses(r))
                            if never_proposed(&r) && tokio::time::Instant::now() < deadline =>
                        {
                            // It lost (or doubts) its leadership before proposing them: safe
                            // to send again, to whoever leads now.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                        Ok(Reply::Responses(r)) => Ok(r),
                        Ok(Reply::Failed(e)) => Err(try_again(e)),
                        Ok(_) => Err(try_again("unexpected reply from the leader")),
                        Err(CallError::Unreachable(..))
                            if tokio::time::Instant::now() < deadline =>
                        {
                            // Never sent: safe to try again, through whoever leads next.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                        Err(e) => Err(try_again(e)),
                    };
                    distribute(waiting, r);
                    return;
                }
            }
        }
    });
}

/// Whether a leader refused every request of a forwarded batch before proposing it (it was no
/// longer sure it led): nothing of it was applied.
fn never_proposed(replies: &[Vec<Response>]) -> bool {
    !replies.is_empty()
        && replies
            .iter()
            .flatten()
            .all(|r| matches!(r, Response::Error(CommandError::Node(NodeError::NoLeader))))
}

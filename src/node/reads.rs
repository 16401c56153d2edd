//! Linearizable reads without a round of messages per read: concurrent readers share one read
//! barrier (single flight). A reader is covered by the first barrier that *starts* after it
//! arrived; a barrier confirms leadership (a lease on the leader; the leader's read index on a
//! follower) and waits until local state has applied everything committed before it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use openraft::ReadPolicy;
use tokio::sync::watch;

use super::rpc::{Reply, Request};
use super::writer;
use super::{Leader, Node};
use crate::command::CommandError;

const BARRIER_TIMEOUT: Duration = Duration::from_secs(2);

pub struct ReadGate {
    arrivals: AtomicU64,
    running: tokio::sync::Mutex<()>,
    /// The last finished barrier: the arrivals it covers and its outcome.
    done: watch::Sender<(u64, Result<(), CommandError>)>,
}

impl Default for ReadGate {
    fn default() -> Self {
        ReadGate {
            arrivals: AtomicU64::new(0),
            running: tokio::sync::Mutex::new(()),
            done: watch::Sender::new((0, Ok(()))),
        }
    }
}

impl ReadGate {
    pub async fn pass<F, Fut>(&self, barrier: F) -> Result<(), CommandError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), CommandError>>,
    {
        let ticket = self.arrivals.fetch_add(1, Ordering::SeqCst) + 1;
        let mut rx = self.done.subscribe();
        loop {
            {
                let (covered, r) = &*rx.borrow_and_update();
                if *covered >= ticket {
                    return r.clone();
                }
            }
            if let Ok(_running) = self.running.try_lock() {
                let covered = self.arrivals.load(Ordering::SeqCst);
                let r = barrier().await;
                let _ = self.done.send_replace((covered, r));
            } else if rx.changed().await.is_err() {
                return Err(writer::unavailable("read gate closed"));
            }
        }
    }
}

/// One read barrier.
pub async fn barrier(node: &Node) -> Result<(), CommandError> {
    let peer = match node.find_leader(writer::LEADER_WAIT).await {
        Leader::Me => {
            return match tokio::time::timeout(
                BARRIER_TIMEOUT,
                node.raft.ensure_linearizable(ReadPolicy::LeaseRead),
            )
            .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(writer::unavailable(e)),
                Err(_) => Err(writer::cluster_down()),
            };
        }
        Leader::Peer(p) => p,
        Leader::Unknown => return Err(writer::cluster_down()),
    };
    let index = match peer.call(&Request::ReadIndex, Some(BARRIER_TIMEOUT)).await {
        Ok(Reply::Index(i)) => i,
        Ok(Reply::Failed(e)) => return Err(writer::unavailable(e)),
        Ok(_) => return Err(writer::unavailable("unexpected reply from the leader")),
        Err(e) => return Err(writer::unavailable(e)),
    };
    node.raft
        .wait(Some(BARRIER_TIMEOUT))
        .applied_index_at_least(Some(index), "linearizable read")
        .await
        .map(|_| ())
        .map_err(|_| writer::unavailable("this replica is catching up"))
}

//! The history of applied changes, command by command, for followers outside the Raft group (a
//! Redis replica attached with `SYNC`). Recording costs nothing until someone follows: each
//! follower is a bounded broadcast receiver, and one that falls too far behind is told so and
//! must start again from a new view of the data set, as a Redis replica whose output buffer
//! overflowed does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::engine::Applied;

/// Committed batches a follower may be behind before it is cut off.
const BACKLOG: usize = 4096;

/// One committed batch of log entries, as a follower sees it.
#[derive(Debug)]
pub struct Batch {
    /// The index of its last entry.
    pub last_entry: u64,
    /// Whether its changes were recorded: a batch that began before anyone followed was not,
    /// and a follower whose view of the data set is older than it must take a new view.
    pub recorded: bool,
    /// What it changed, in apply order.
    pub applied: Vec<Applied>,
}

pub type Changes = Arc<Batch>;

pub struct History {
    tx: broadcast::Sender<Changes>,
    /// Odd while a batch is being applied: a new follower waits for the batch that was under
    /// way when it arrived (unrecorded, since nobody followed when it began) to commit before
    /// it takes its view of the data set.
    epoch: AtomicU64,
}

impl Default for History {
    fn default() -> Self {
        History {
            tx: broadcast::channel(BACKLOG).0,
            epoch: AtomicU64::new(0),
        }
    }
}

/// A batch being applied; dropped once it is committed (or applying failed).
pub(super) struct BatchGuard<'a>(&'a History);

impl Drop for BatchGuard<'_> {
    fn drop(&mut self) {
        self.0.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

impl History {
    /// Whether anyone follows: only then does apply record what it did.
    pub fn followed(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Starts following. Once this returns, a view of the data set taken holds everything that
    /// will not arrive through the receiver: every later batch is recorded. Fails only if the
    /// batch under way never ends (applying stopped on a storage failure).
    pub async fn follow(&self) -> anyhow::Result<broadcast::Receiver<Changes>> {
        let rx = self.tx.subscribe();
        let seen = self.epoch.load(Ordering::SeqCst);
        let mut waited = 0;
        while seen % 2 == 1 && self.epoch.load(Ordering::SeqCst) == seen {
            waited += 1;
            if waited > 10_000 {
                anyhow::bail!("the state machine is stuck in a batch");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(rx)
    }

    /// A batch begins; whether it must be recorded.
    pub(super) fn begin_batch(&self) -> (BatchGuard<'_>, bool) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        (BatchGuard(self), self.followed())
    }

    /// Tells the followers about a committed batch (`changes`: `None` if it was not recorded).
    pub(super) fn publish(&self, last_entry: u64, changes: Option<Vec<Applied>>) {
        if !self.followed() {
            return;
        }
        let recorded = changes.is_some();
        let applied = changes.unwrap_or_default();
        if recorded && applied.is_empty() {
            return;
        }
        // No receiver left meanwhile: nobody to tell.
        let _ = self.tx.send(Arc::new(Batch {
            last_entry,
            recorded,
            applied,
        }));
    }
}

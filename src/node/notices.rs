//! Change notices for Kafka's long polls: a fetch waits for a log to grow, a join or a sync for
//! its group to move on. Each is a counter the state machine bumps after committing a batch
//! that changed logs or groups; a waiter subscribes, checks, and sleeps until the counter moves
//! (or its own deadline passes), then checks again. Nothing polls.

use tokio::sync::watch;

use crate::engine::Notices;

pub struct ChangeNotices {
    logs: watch::Sender<u64>,
    groups: watch::Sender<u64>,
    schema: watch::Sender<u64>,
}

impl Default for ChangeNotices {
    fn default() -> Self {
        ChangeNotices {
            logs: watch::Sender::new(0),
            groups: watch::Sender::new(0),
            schema: watch::Sender::new(0),
        }
    }
}

impl ChangeNotices {
    /// Called once a batch is committed.
    pub fn raise(&self, n: Notices) {
        if n.logs {
            self.logs.send_modify(|v| *v += 1);
        }
        if n.groups {
            self.groups.send_modify(|v| *v += 1);
        }
        if n.schema {
            self.schema.send_modify(|v| *v += 1);
        }
    }

    /// Subscribe before checking the state: a change after the check then wakes the waiter.
    pub fn logs(&self) -> watch::Receiver<u64> {
        self.logs.subscribe()
    }

    pub fn groups(&self) -> watch::Receiver<u64> {
        self.groups.subscribe()
    }

    /// CQL's schema: moves after every committed DDL statement (and snapshot install).
    pub fn schema(&self) -> watch::Receiver<u64> {
        self.schema.subscribe()
    }
}

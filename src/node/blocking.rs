//! The clients this node hosts that are blocked in BLPOP and friends.
//!
//! Which client a push serves is decided by the replicated queue in the engine (see
//! `engine::waiters`), identically on every replica; this registry only connects the outcome to
//! the waiting connection on the node that hosts it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::command::{Command, Db, Response};
use crate::engine::Served;

#[derive(Default)]
pub struct Blocking {
    waiters: Mutex<HashMap<u64, Arc<Waiter>>>,
    next_id: AtomicU64,
}

/// What happened to a blocked client.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// A push served it: the reply of its attempt.
    Served(Response),
    /// A new leader's term began before it was served: it must block again.
    Dropped,
}

pub struct Waiter {
    pub id: u64,
    pub keys: Vec<(Db, Bytes)>,
    /// The non-blocking form of the client's command.
    pub attempt: Command,
    outcome: Mutex<Option<Outcome>>,
    pub notify: Notify,
}

impl Waiter {
    pub fn take_outcome(&self) -> Option<Outcome> {
        self.outcome.lock().take()
    }
}

impl Blocking {
    /// Clients blocked on this node (INFO `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.waiters.lock().len()
    }

    /// Registers a client about to block on `keys` (duplicates removed) with `attempt`.
    pub fn waiter(&self, db: Db, keys: &[Bytes], attempt: Command) -> Arc<Waiter> {
        let mut unique: Vec<(Db, Bytes)> = Vec::with_capacity(keys.len());
        for k in keys {
            let key = (db, k.clone());
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        let w = Arc::new(Waiter {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            keys: unique,
            attempt,
            outcome: Mutex::new(None),
            notify: Notify::new(),
        });
        self.waiters.lock().insert(w.id, w.clone());
        w
    }

    /// The client no longer waits here.
    pub fn forget(&self, w: &Waiter) {
        self.waiters.lock().remove(&w.id);
    }

    /// Hands the outcomes an applied entry produced to the clients this node hosts.
    pub fn deliver(&self, node_id: u64, served: Vec<Served>) {
        if served.is_empty() {
            return;
        }
        let waiters = self.waiters.lock();
        for s in served {
            if s.owner != node_id {
                continue;
            }
            if let Some(w) = waiters.get(&s.id) {
                *w.outcome.lock() = Some(match s.reply {
                    Some(r) => Outcome::Served(r),
                    None => Outcome::Dropped,
                });
                w.notify.notify_one();
            }
        }
    }
}

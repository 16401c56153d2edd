//! Clients blocked in BLPOP and friends, per key, in the order they blocked.
//!
//! A waiter stays queued until it gets an element or gives up; a push wakes the first waiters of
//! its key, who then try their pop through the write path like any other command. A waiter that
//! succeeds wakes the next one, so elements left over are never stranded, and a waiter that loses
//! a race keeps its place in the queue.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::command::Db;

type Key = (Db, Bytes);

#[derive(Default)]
pub struct Blocking {
    queues: Mutex<HashMap<Key, VecDeque<Arc<Waiter>>>>,
    /// Clients currently blocked (INFO `blocked_clients`).
    blocked: AtomicUsize,
    next_id: AtomicU64,
}

pub struct Waiter {
    id: u64,
    pub notify: Notify,
}

/// A client's place in the queues of its keys; dropping it leaves them.
pub struct Registration<'a> {
    blocking: &'a Blocking,
    waiter: Arc<Waiter>,
    keys: Vec<Key>,
}

impl Blocking {
    pub fn blocked_clients(&self) -> usize {
        self.blocked.load(Ordering::Relaxed)
    }

    /// Queues a client on every key it waits for.
    pub fn register(&self, db: Db, keys: &[Bytes]) -> Registration<'_> {
        let waiter = Arc::new(Waiter {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            notify: Notify::new(),
        });
        let mut unique: Vec<Key> = Vec::with_capacity(keys.len());
        for k in keys {
            let key = (db, k.clone());
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        let mut queues = self.queues.lock();
        for key in &unique {
            queues
                .entry(key.clone())
                .or_default()
                .push_back(waiter.clone());
        }
        drop(queues);
        self.blocked.fetch_add(1, Ordering::Relaxed);
        Registration {
            blocking: self,
            waiter,
            keys: unique,
        }
    }

    /// Wakes the first `n` clients waiting on a key.
    pub fn wake(&self, db: Db, key: &Bytes, n: usize) {
        if self.blocked.load(Ordering::Relaxed) == 0 {
            return;
        }
        let queues = self.queues.lock();
        if let Some(q) = queues.get(&(db, key.clone())) {
            for w in q.iter().take(n.max(1)) {
                w.notify.notify_one();
            }
        }
    }
}

impl Registration<'_> {
    pub fn waiter(&self) -> &Waiter {
        &self.waiter
    }

    /// Called once the client got its element: the next waiters may find more.
    pub fn pass_on(&self) {
        for (db, key) in &self.keys {
            self.blocking.wake_after(*db, key, self.waiter.id);
        }
    }
}

impl Blocking {
    /// Wakes the first waiter on a key other than `id`.
    fn wake_after(&self, db: Db, key: &Bytes, id: u64) {
        let queues = self.queues.lock();
        if let Some(q) = queues.get(&(db, key.clone())) {
            if let Some(w) = q.iter().find(|w| w.id != id) {
                w.notify.notify_one();
            }
        }
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut queues = self.blocking.queues.lock();
        for key in &self.keys {
            if let Some(q) = queues.get_mut(key) {
                q.retain(|w| w.id != self.waiter.id);
                if q.is_empty() {
                    queues.remove(key);
                }
            }
        }
        drop(queues);
        self.blocking.blocked.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_in_blocking_order() {
        let b = Blocking::default();
        let key = Bytes::from_static(b"q");
        let first = b.register(0, std::slice::from_ref(&key));
        let second = b.register(0, std::slice::from_ref(&key));
        assert_eq!(b.blocked_clients(), 2);
        b.wake(0, &key, 1);
        // The first waiter holds a permit; the second does not.
        tokio::time::timeout(
            std::time::Duration::from_millis(50),
            first.waiter().notify.notified(),
        )
        .await
        .expect("first waiter woken");
        assert!(tokio::time::timeout(
            std::time::Duration::from_millis(20),
            second.waiter().notify.notified()
        )
        .await
        .is_err());
        first.pass_on();
        drop(first);
        tokio::time::timeout(
            std::time::Duration::from_millis(50),
            second.waiter().notify.notified(),
        )
        .await
        .expect("second waiter woken by the first");
        drop(second);
        assert_eq!(b.blocked_clients(), 0);
        assert!(b.queues.lock().is_empty());
    }
}

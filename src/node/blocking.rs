//! Clients blocked in BLPOP and friends, per key, in the order they blocked.
//!
//! Blocked clients are served by the writer itself, right after the command that pushed to their
//! key and in the same batch, in the order they blocked: exactly Redis's semantics, with no race
//! between woken clients. A client's attempt is first tried by the writer too, and only queued if
//! it found nothing, so no push can slip between "nothing there" and "queued".
//!
//! A waiter is claimed by the writer or abandoned by its client (timeout, disconnect, kill) under
//! one lock, so an element the writer popped for a client is always delivered to it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::command::{Command, Db, Response};

type Key = (Db, Bytes);

#[derive(Default)]
pub struct Blocking {
    queues: Mutex<HashMap<Key, VecDeque<Arc<Waiter>>>>,
    /// Clients currently queued (INFO `blocked_clients`).
    blocked: AtomicUsize,
    next_id: AtomicU64,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum State {
    /// Not yet queued: the writer has still to try the first attempt.
    New,
    Queued,
    /// The writer is applying its attempt.
    Claimed,
    /// Its reply is in `result`.
    Served,
    /// Its client gave up.
    Abandoned,
}

pub struct Waiter {
    id: u64,
    pub keys: Vec<Key>,
    /// The non-blocking form of the client's command.
    pub attempt: Command,
    state: Mutex<State>,
    result: Mutex<Option<Response>>,
    pub notify: Notify,
}

impl Waiter {
    /// The reply the writer delivered, if any.
    pub fn take_result(&self) -> Option<Response> {
        self.result.lock().take()
    }
}

impl Blocking {
    pub fn blocked_clients(&self) -> usize {
        self.blocked.load(Ordering::Relaxed)
    }

    /// A waiter for `attempt` on `keys`, to be handed to the writer.
    pub fn waiter(&self, db: Db, keys: &[Bytes], attempt: Command) -> Arc<Waiter> {
        let mut unique: Vec<Key> = Vec::with_capacity(keys.len());
        for k in keys {
            let key = (db, k.clone());
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        Arc::new(Waiter {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            keys: unique,
            attempt,
            state: Mutex::new(State::New),
            result: Mutex::new(None),
            notify: Notify::new(),
        })
    }

    /// Queues a waiter whose first attempt found nothing (called by the writer). Returns false if
    /// its client already gave up.
    pub fn enqueue(&self, w: &Arc<Waiter>) -> bool {
        let mut queues = self.queues.lock();
        let mut state = w.state.lock();
        if *state != State::New {
            return false;
        }
        *state = State::Queued;
        for key in &w.keys {
            queues.entry(key.clone()).or_default().push_back(w.clone());
        }
        self.blocked.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// The first queued waiter on a key, claimed for the writer to try.
    pub fn claim_first(&self, db: Db, key: &Bytes) -> Option<Arc<Waiter>> {
        if self.blocked.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let queues = self.queues.lock();
        let q = queues.get(&(db, key.clone()))?;
        for w in q {
            let mut state = w.state.lock();
            if *state == State::Queued {
                *state = State::Claimed;
                return Some(w.clone());
            }
        }
        None
    }

    /// Puts back a claimed waiter whose attempt found nothing; it keeps its place.
    pub fn unclaim(&self, w: &Waiter) {
        let mut state = w.state.lock();
        if *state == State::Claimed {
            *state = State::Queued;
        }
    }

    /// Takes a served waiter out of every queue and stores its reply; the client is woken by
    /// [`Blocking::wake`] once the batch is durable.
    pub fn serve(&self, w: &Arc<Waiter>, reply: Response) {
        self.dequeue(w);
        *w.result.lock() = Some(reply);
        *w.state.lock() = State::Served;
    }

    /// Tells a served client its reply is ready (after commit) or replaces it with an error.
    pub fn wake(&self, w: &Waiter, failure: Option<Response>) {
        if let Some(f) = failure {
            *w.result.lock() = Some(f);
        }
        w.notify.notify_one();
    }

    /// The client gives up (timeout, disconnect, kill). Returns false if the writer has already
    /// claimed or served it: the client must then wait for its reply.
    pub fn abandon(&self, w: &Arc<Waiter>) -> bool {
        let mut state = w.state.lock();
        match *state {
            State::New | State::Queued => {
                let was_queued = *state == State::Queued;
                *state = State::Abandoned;
                drop(state);
                if was_queued {
                    self.dequeue(w);
                }
                true
            }
            State::Abandoned => true,
            State::Claimed | State::Served => false,
        }
    }

    fn dequeue(&self, w: &Waiter) {
        let mut queues = self.queues.lock();
        let mut removed = false;
        for key in &w.keys {
            if let Some(q) = queues.get_mut(key) {
                let before = q.len();
                q.retain(|x| x.id != w.id);
                removed |= q.len() != before;
                if q.is_empty() {
                    queues.remove(key);
                }
            }
        }
        if removed {
            self.blocked.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::End;

    fn attempt() -> Command {
        Command::PopFirst {
            db: 0,
            keys: vec![Bytes::from_static(b"q")],
            end: End::Left,
        }
    }

    #[test]
    fn claims_in_blocking_order_and_keeps_places() {
        let b = Blocking::default();
        let key = Bytes::from_static(b"q");
        let first = b.waiter(0, std::slice::from_ref(&key), attempt());
        let second = b.waiter(0, std::slice::from_ref(&key), attempt());
        assert!(b.enqueue(&first) && b.enqueue(&second));
        assert_eq!(b.blocked_clients(), 2);
        let c = b.claim_first(0, &key).expect("a waiter");
        assert_eq!(c.id, first.id);
        b.unclaim(&c);
        let c = b.claim_first(0, &key).expect("a waiter");
        assert_eq!(c.id, first.id, "an unlucky waiter keeps its place");
        b.serve(&c, Response::Int(1));
        assert_eq!(first.take_result(), Some(Response::Int(1)));
        assert_eq!(b.claim_first(0, &key).map(|w| w.id), Some(second.id));
        assert!(
            !b.abandon(&second),
            "a claimed waiter must wait for its reply"
        );
        b.unclaim(&second);
        assert!(b.abandon(&second));
        assert_eq!(b.blocked_clients(), 0);
        assert!(b.claim_first(0, &key).is_none());
    }

    #[test]
    fn an_abandoned_waiter_is_never_queued() {
        let b = Blocking::default();
        let w = b.waiter(0, &[Bytes::from_static(b"q")], attempt());
        assert!(b.abandon(&w));
        assert!(!b.enqueue(&w));
        assert_eq!(b.blocked_clients(), 0);
    }
}

//! Clients blocked in BLPOP and friends, as replicated state.
//!
//! Which client a push serves must be the same on every replica, or their lists would diverge:
//! so blocking is itself a command in the log. `Block` tries the attempt and, finding nothing,
//! queues the client here; a later push serves queued clients first-blocked-first-served, in the
//! same entry and the same batch as the push (Redis's semantics: a client that reads right after
//! the push never sees the element the blocked client got). `Unblock` (timeout, disconnect)
//! removes a client. The queue is persisted with the data, so a restarted replica that replays the
//! log, or one that installs a snapshot, has the same queue as the others.
//!
//! Only a leader hosts blocked clients (followers forward blocking commands to it), and its
//! clients are bound to its term: the first entry of a newer term drops every older waiter, so an
//! element is never served to a client whose node is gone.

use std::collections::{BTreeMap, HashMap, VecDeque};

use bytes::Bytes;
use fjall::Keyspace;
use serde::{Deserialize, Serialize};

use crate::command::{node, Command, CommandError, Db, Response};
use crate::engine::keys;
use crate::engine::store::history::{Applied, Recorder};
use crate::engine::ApplyContext;
use crate::engine::ApplyFailure;
use crate::engine::Engine;
use crate::engine::Txn;

/// Most blocked clients one entry serves, so that chains of BLMOVEs stay bounded.
const MAX_SERVED_PER_ENTRY: usize = 100_000;

/// Per-command indexes within one log entry: `entry index << ENTRY_SHIFT | position`.
pub const ENTRY_SHIFT: u32 = 24;

/// A blocked client's fate, for the node that hosts it.
#[derive(Debug)]
pub struct Served {
    pub owner: u64,
    pub id: u64,
    /// The reply of its attempt, or `None` when a new term dropped it (its client must retry
    /// through the new leader).
    pub reply: Option<Response>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    owner: u64,
    id: u64,
    term: u64,
    keys: Vec<(Db, Bytes)>,
    attempt: Command,
}

#[derive(Default)]
pub struct Waiters {
    by_seq: BTreeMap<u64, Record>,
    by_key: HashMap<(Db, Bytes), VecDeque<u64>>,
    by_client: HashMap<(u64, u64), u64>,
}

impl Waiters {
    pub(crate) fn load(meta: &Keyspace) -> anyhow::Result<Waiters> {
        let mut w = Waiters::default();
        for kv in meta.prefix(keys::waiter_prefix()) {
            let (k, v) = kv.into_inner()?;
            let seq =
                keys::decode_waiter(&k).ok_or_else(|| anyhow::anyhow!("corrupt waiter key"))?;
            let rec: Record = bincode::deserialize(&v)?;
            w.insert(seq, rec);
        }
        Ok(w)
    }

    /// Clients queued on this replica's copy of the queue.
    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    fn insert(&mut self, seq: u64, rec: Record) {
        for key in &rec.keys {
            self.by_key.entry(key.clone()).or_default().push_back(seq);
        }
        self.by_client.insert((rec.owner, rec.id), seq);
        self.by_seq.insert(seq, rec);
    }

    fn remove(&mut self, txn: &mut Txn<'_>, seq: u64) -> Option<Record> {
        let rec = self.by_seq.remove(&seq)?;
        for key in &rec.keys {
            if let Some(q) = self.by_key.get_mut(key) {
                q.retain(|s| *s != seq);
                if q.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
        self.by_client.remove(&(rec.owner, rec.id));
        txn.remove_meta(&keys::waiter(seq));
        Some(rec)
    }
}

/// The log entry being applied.
pub struct EntryContext {
    /// The term the entry was proposed in.
    pub term: u64,
    pub index: u64,
    /// The leader's clock when the entry was formed.
    pub now_ms: i64,
    /// Whether a client waits for the entry's replies: only on the leader that proposed it. A
    /// follower, or a leader re-applying its log after a restart, skips reads done only for the
    /// replies, which are dropped unread.
    pub replies: bool,
}

impl Engine {
    /// Applies the requests of one log entry, serving blocked clients as the keys they wait on
    /// change; returns, per request, one reply per command and appends what happened to blocked
    /// clients to `served`, and to `history` (when someone follows it) every command that
    /// changed something. A storage failure stops it: the entry must not be committed.
    pub fn apply_entry(
        &self,
        txn: &mut Txn<'_>,
        entry: &EntryContext,
        requests: &[Vec<Command>],
        served: &mut Vec<Served>,
        history: Option<&mut Vec<Applied>>,
    ) -> Result<Vec<Vec<Response>>, ApplyFailure> {
        let (term, now_ms) = (entry.term, entry.now_ms);
        let mut recorder = Recorder::new(history, entry.index, now_ms);
        txn.record_history(recorder.on());
        let mut waiters = self.waiters.lock();
        drop_older_terms(txn, &mut waiters, term, served);
        let mut seq = entry.index << ENTRY_SHIFT;
        let mut budget = MAX_SERVED_PER_ENTRY;
        let mut replies = Vec::with_capacity(requests.len());
        for cmds in requests {
            let mut out = Vec::with_capacity(cmds.len());
            for cmd in cmds {
                seq += 1;
                let ctx = ApplyContext {
                    index: seq,
                    now_ms,
                    // A follower of the history is told what a pop took.
                    reply: entry.replies || recorder.on(),
                };
                // Changed keys are tracked only when someone waits or follows: most entries
                // serve nobody.
                txn.track_changes(!waiters.is_empty() || recorder.on());
                let r = match cmd {
                    Command::Node(node::Command::Block {
                        owner,
                        id,
                        keys,
                        attempt,
                    }) => {
                        // Whether the client blocks depends on what the attempt found.
                        let ctx = ApplyContext { reply: true, ..ctx };
                        let r = self.apply(txn, attempt, &ctx)?;
                        if r.is_nil() {
                            let rec = Record {
                                owner: *owner,
                                id: *id,
                                term,
                                keys: keys.clone(),
                                attempt: (**attempt).clone(),
                            };
                            let v = bincode::serialize(&rec)
                                .map_err(|e| ApplyFailure(e.to_string()))?;
                            txn.put_meta(keys::waiter(seq).to_vec(), v);
                            waiters.insert(seq, rec);
                        }
                        r
                    }
                    Command::Node(node::Command::Unblock { owner, id }) => {
                        let removed = match waiters.by_client.get(&(*owner, *id)) {
                            Some(&s) => waiters.remove(txn, s).is_some(),
                            None => false,
                        };
                        Response::Int(i64::from(removed))
                    }
                    Command::Exec(_) => {
                        let r = self.apply(txn, cmd, &ctx)?;
                        seq += cmd.positions() as u64 - 1;
                        r
                    }
                    _ => self.apply(txn, cmd, &ctx)?,
                };
                let changed = txn.take_changed();
                recorder.record(txn, cmd, &r, &changed);
                if !changed.is_empty() && !waiters.is_empty() {
                    seq = self.serve(
                        txn,
                        &mut waiters,
                        changed.into(),
                        seq,
                        now_ms,
                        &mut budget,
                        served,
                        &mut recorder,
                    )?;
                }
                out.push(r);
            }
            replies.push(out);
        }
        txn.record_history(false);
        txn.track_changes(false);
        Ok(replies)
    }

    /// Serves the clients blocked on `keys`, first blocked first, each served attempt taking the
    /// next per-command index; returns the last index used. A served attempt's own changes (the
    /// destination of a BLMOVE) may serve further clients.
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &self,
        txn: &mut Txn<'_>,
        waiters: &mut Waiters,
        keys: VecDeque<(Db, Bytes)>,
        mut seq: u64,
        now_ms: i64,
        budget: &mut usize,
        served: &mut Vec<Served>,
        recorder: &mut Recorder<'_>,
    ) -> Result<u64, ApplyFailure> {
        let mut keys = keys;
        while let Some(key) = keys.pop_front() {
            while *budget > 0 {
                let Some(first) = waiters.by_key.get(&key).and_then(|q| q.front().copied()) else {
                    break;
                };
                let Some(rec) = waiters.by_seq.get(&first) else {
                    break;
                };
                *budget -= 1;
                seq += 1;
                let ctx = ApplyContext {
                    index: seq,
                    now_ms,
                    reply: true,
                };
                let r = self.apply(txn, &rec.attempt, &ctx)?;
                let changed = txn.take_changed();
                // A key that now holds another type (an RPUSH where BZPOPMIN waits) keeps its
                // client waiting, as in Redis: only the first attempt reports WRONGTYPE. A
                // WRONGTYPE from elsewhere (the destination of a BLMOVE) is the client's reply,
                // as Redis answers a served BRPOPLPUSH whose target is not a list.
                let wrong_source = r == Response::Error(CommandError::WrongType)
                    && !holds_awaited_type(txn, &key, &rec.attempt, now_ms);
                if r.is_nil() || wrong_source {
                    // Nothing for it after all (another key of its list came first): it keeps
                    // its place, and nobody behind it can be served from this key either.
                    break;
                }
                recorder.record(txn, &rec.attempt, &r, &changed);
                let Some(rec) = waiters.remove(txn, first) else {
                    break;
                };
                keys.extend(changed.into_iter().filter(|k| *k != key));
                served.push(Served {
                    owner: rec.owner,
                    id: rec.id,
                    reply: Some(r),
                });
            }
        }
        Ok(seq)
    }
}

/// Whether `key` holds the type the blocked `attempt` pops from (a list for BLPOP and BLMOVE,
/// a sorted set for BZPOPMIN).
fn holds_awaited_type(txn: &Txn<'_>, key: &(Db, Bytes), attempt: &Command, now_ms: i64) -> bool {
    use crate::engine::store::header::Value;
    matches!(
        (attempt, txn.live(key.0, &key.1, now_ms)),
        (
            Command::List(_),
            Ok(Some(crate::engine::store::header::Header {
                value: Value::List(_),
                ..
            }))
        ) | (
            Command::ZSet(_),
            Ok(Some(crate::engine::store::header::Header {
                value: Value::ZSet(_),
                ..
            }))
        )
    )
}

/// A newer term begins: every client blocked under an older leader is dropped, so that a push
/// never serves a client whose node may be gone.
fn drop_older_terms(txn: &mut Txn<'_>, waiters: &mut Waiters, term: u64, served: &mut Vec<Served>) {
    // Sequence numbers follow log order, and terms never decrease along the log: the oldest
    // terms come first.
    while let Some((&seq, rec)) = waiters.by_seq.first_key_value() {
        if rec.term >= term {
            break;
        }
        if let Some(rec) = waiters.remove(txn, seq) {
            served.push(Served {
                owner: rec.owner,
                id: rec.id,
                reply: None,
            });
        }
    }
}

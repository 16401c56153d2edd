//! The single write path: one task takes every queued request, applies them all in one fjall
//! transaction, commits once, then answers them all. Under load many clients' commands share one
//! commit; when idle a lone command commits at once.
//!
//! The writer is a tokio task, not a thread: connection tasks woken by the same poll enqueue
//! their writes before it runs, and handing work over costs no thread switch, which on a busy
//! core is most of a small write's cost. Its blocking work is short (a memtable insert and a
//! journal write into the page cache); the slow part, fsync under `always`, runs on a syncer
//! thread that answers a batch's clients only once the batch is on disk, while the writer
//! goes on with the next batch (so one fsync covers every batch committed during the last).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::blocking::{Blocking, Waiter};
use crate::command::{Command, CommandError, Response};
use crate::config::Fsync;
use crate::engine::{ApplyContext, Engine};

/// Most commands applied in one group commit.
const MAX_BATCH: usize = 4096;

pub struct Request {
    pub cmds: Vec<Command>,
    /// For a blocking command: queued if its attempt (the one command) finds nothing.
    pub block: Option<Arc<Waiter>>,
    pub reply: oneshot::Sender<Vec<Response>>,
}

/// Most blocked clients served after one command, so a chain of BLMOVEs cannot stall the writer.
const MAX_SERVED_PER_COMMAND: usize = 10_000;

/// The fsync policy in force (it can change at run time) and whether anything was committed
/// since the last periodic fsync.
pub struct Durability {
    mode: AtomicU8,
    fixed: bool,
    dirty: AtomicBool,
}

impl Durability {
    /// `fixed`: memory mode, where nothing is ever fsync'd whatever is asked.
    pub fn new(fsync: Fsync, fixed: bool) -> Durability {
        Durability {
            mode: AtomicU8::new(fsync as u8),
            fixed,
            dirty: AtomicBool::new(false),
        }
    }

    pub fn get(&self) -> Fsync {
        match self.mode.load(Ordering::Relaxed) {
            m if m == Fsync::Always as u8 => Fsync::Always,
            m if m == Fsync::Never as u8 => Fsync::Never,
            _ => Fsync::Everysec,
        }
    }

    pub fn set(&self, fsync: Fsync) {
        if !self.fixed {
            self.mode.store(fsync as u8, Ordering::Relaxed);
        }
    }
}

pub fn spawn(
    engine: Arc<Engine>,
    blocking: Arc<Blocking>,
    durability: Arc<Durability>,
) -> anyhow::Result<mpsc::Sender<Request>> {
    let (tx, rx) = mpsc::channel(super::WRITE_QUEUE);
    let (synced_tx, synced_rx) = std::sync::mpsc::channel::<Durable>();
    let sync_engine = engine.clone();
    let sync_blocking = blocking.clone();
    std::thread::Builder::new()
        .name("trident-fsync-always".into())
        .spawn(move || sync_loop(&sync_engine, &sync_blocking, &synced_rx))?;
    tokio::spawn(async move { run(&engine, &blocking, rx, &durability, &synced_tx).await });
    Ok(tx)
}

/// A committed batch whose clients wait for its fsync.
struct Durable {
    replies: Vec<(oneshot::Sender<Vec<Response>>, Vec<Response>)>,
    served: Vec<Arc<Waiter>>,
}

/// Under `always`: fsyncs everything committed so far, then answers those batches' clients.
/// If the disk refuses, the process stops: what it was about to acknowledge is not durable, and
/// pretending otherwise would lose acknowledged writes (Redis does the same).
fn sync_loop(engine: &Engine, blocking: &Blocking, rx: &std::sync::mpsc::Receiver<Durable>) {
    let fsync_time = metrics::histogram!("trident_fsync_seconds");
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let started = Instant::now();
        if let Err(e) = engine.sync() {
            tracing::error!(error = %e, "fsync failed; stopping so that nothing unsynced is acknowledged");
            std::process::exit(1);
        }
        fsync_time.record(started.elapsed());
        for b in batches {
            for (reply, out) in b.replies {
                let _ = reply.send(out);
            }
            for w in b.served {
                blocking.wake(&w, None);
            }
        }
    }
}

/// Makes the journal durable once a second when something was written and the policy is
/// `everysec`.
pub fn spawn_everysec(engine: Arc<Engine>, durability: Arc<Durability>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("trident-fsync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            if durability.get() == Fsync::Everysec && durability.dirty.swap(false, Ordering::AcqRel)
            {
                let started = Instant::now();
                if let Err(e) = engine.sync() {
                    tracing::error!(error = %e, "periodic fsync failed");
                    durability.dirty.store(true, Ordering::Release);
                }
                metrics::histogram!("trident_fsync_seconds").record(started.elapsed());
            }
        })?;
    Ok(())
}

async fn run(
    engine: &Engine,
    blocking: &Blocking,
    mut rx: mpsc::Receiver<Request>,
    durability: &Durability,
    synced: &std::sync::mpsc::Sender<Durable>,
) {
    let mut index = engine.applied_index();
    let mut last_now = 0i64;
    let batch_size = metrics::histogram!("trident_group_commit_batch_size");
    let commit_time = metrics::histogram!("trident_group_commit_seconds");
    let mut batch: Vec<Request> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut n = first.cmds.len();
        batch.push(first);
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => {
                    n += r.cmds.len();
                    batch.push(r);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        // The clock never goes backwards inside the log, whatever the system clock does.
        let now = super::now_ms().max(last_now);
        last_now = now;
        index = commit_batch(engine, blocking, durability, synced, &mut batch, index, now);
        batch_size.record(n as f64);
        commit_time.record(started.elapsed());
        // Let the connections this batch answered run before the next batch forms.
        tokio::task::yield_now().await;
    }
}

/// Applies and commits one batch, then answers it (or hands it to the syncer); returns the last
/// log index used.
fn commit_batch(
    engine: &Engine,
    blocking: &Blocking,
    durability: &Durability,
    synced: &std::sync::mpsc::Sender<Durable>,
    batch: &mut Vec<Request>,
    mut index: u64,
    now: i64,
) -> u64 {
    let mut txn = engine.begin();
    let mut replies = Vec::with_capacity(batch.len());
    let mut served = Vec::new();
    for req in batch.iter() {
        let mut out = Vec::with_capacity(req.cmds.len());
        for cmd in &req.cmds {
            index += 1;
            let ctx = ApplyContext { index, now_ms: now };
            let r = engine.apply(&mut txn, cmd, &ctx);
            if let (Some(w), true) = (&req.block, r.is_nil()) {
                blocking.enqueue(w);
            }
            if !matches!(r, Response::Error(_)) {
                serve_blocked(
                    engine,
                    &mut txn,
                    blocking,
                    cmd,
                    &mut index,
                    now,
                    &mut served,
                );
            }
            out.push(r);
        }
        replies.push(out);
    }
    match engine.commit(txn) {
        Ok(()) => {
            durability.dirty.store(true, Ordering::Release);
            let answers = batch.drain(..).map(|r| r.reply).zip(replies);
            if durability.get() == Fsync::Always {
                let durable = Durable {
                    replies: answers.collect(),
                    served,
                };
                if synced.send(durable).is_err() {
                    tracing::error!("fsync thread gone; stopping");
                    std::process::exit(1);
                }
            } else {
                for (reply, out) in answers {
                    let _ = reply.send(out);
                }
                for w in served {
                    blocking.wake(&w, None);
                }
            }
            index
        }
        Err(e) => {
            tracing::error!(error = %e, "commit failed; batch refused");
            let failure = Response::Error(CommandError::Storage(e.to_string()));
            for req in batch.drain(..) {
                let n = req.cmds.len();
                let _ = req.reply.send(vec![failure.clone(); n]);
            }
            for w in served {
                blocking.wake(&w, Some(failure.clone()));
            }
            engine.applied_index()
        }
    }
}

/// Serves clients blocked on the keys `cmd` may have pushed to, first blocked first, in the
/// same transaction: each served attempt is a command of its own in the log.
fn serve_blocked(
    engine: &Engine,
    txn: &mut crate::engine::Txn<'_>,
    blocking: &Blocking,
    cmd: &Command,
    index: &mut u64,
    now: i64,
    served: &mut Vec<Arc<Waiter>>,
) {
    if blocking.blocked_clients() == 0 {
        return;
    }
    let mut keys: std::collections::VecDeque<(u8, bytes::Bytes)> = cmd
        .pushed_keys()
        .into_iter()
        .map(|(db, k)| (db, k.clone()))
        .collect();
    let mut budget = MAX_SERVED_PER_COMMAND;
    while let Some((db, key)) = keys.pop_front() {
        while budget > 0 {
            let Some(w) = blocking.claim_first(db, &key) else {
                break;
            };
            budget -= 1;
            *index += 1;
            let ctx = ApplyContext {
                index: *index,
                now_ms: now,
            };
            let r = engine.apply(txn, &w.attempt, &ctx);
            if r.is_nil() {
                blocking.unclaim(&w);
                break;
            }
            if !matches!(r, Response::Error(_)) {
                keys.extend(
                    w.attempt
                        .pushed_keys()
                        .into_iter()
                        .map(|(db, k)| (db, k.clone())),
                );
            }
            blocking.serve(&w, r);
            served.push(w);
        }
    }
}

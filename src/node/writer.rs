//! The single write path: one thread takes every queued request, applies them all in one fjall
//! transaction, commits once (and fsyncs once under `always`), then answers them all. Under load
//! many clients' commands share one commit; when idle a lone command commits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::Blocking;
use crate::command::{Command, CommandError, Response};
use crate::config::Fsync;
use crate::engine::{ApplyContext, Engine};

/// Most commands applied in one group commit.
const MAX_BATCH: usize = 4096;

pub struct Request {
    pub cmds: Vec<Command>,
    pub reply: oneshot::Sender<Vec<Response>>,
}

/// Set by the writer when it commits, cleared by the `everysec` syncer.
static DIRTY: AtomicBool = AtomicBool::new(false);

pub fn spawn(
    engine: Arc<Engine>,
    blocking: Arc<Blocking>,
    fsync: Fsync,
) -> anyhow::Result<mpsc::Sender<Request>> {
    let (tx, rx) = mpsc::channel(super::WRITE_QUEUE);
    std::thread::Builder::new()
        .name("trident-writer".into())
        .spawn(move || run(&engine, &blocking, rx, fsync))?;
    Ok(tx)
}

/// Makes the journal durable once a second when something was written.
pub fn spawn_everysec(engine: Arc<Engine>) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("trident-fsync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(1));
            if DIRTY.swap(false, Ordering::AcqRel) {
                let started = Instant::now();
                if let Err(e) = engine.sync() {
                    tracing::error!(error = %e, "periodic fsync failed");
                    DIRTY.store(true, Ordering::Release);
                }
                metrics::histogram!("trident_fsync_seconds").record(started.elapsed());
            }
        })?;
    Ok(())
}

fn run(engine: &Engine, blocking: &Blocking, mut rx: mpsc::Receiver<Request>, fsync: Fsync) {
    let mut index = engine.applied_index();
    let mut last_now = 0i64;
    let batch_size = metrics::histogram!("trident_group_commit_commands");
    let commit_time = metrics::histogram!("trident_group_commit_seconds");
    let mut batch: Vec<Request> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
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
        let mut txn = engine.begin();
        let mut replies = Vec::with_capacity(batch.len());
        for req in &batch {
            let mut out = Vec::with_capacity(req.cmds.len());
            for cmd in &req.cmds {
                index += 1;
                let ctx = ApplyContext { index, now_ms: now };
                out.push(engine.apply(&mut txn, cmd, &ctx));
            }
            replies.push(out);
        }
        match engine.commit(txn, fsync == Fsync::Always) {
            Ok(()) => {
                DIRTY.store(true, Ordering::Release);
                for (req, out) in batch.drain(..).zip(replies) {
                    wake_blocked(blocking, &req.cmds, &out);
                    let _ = req.reply.send(out);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; batch refused");
                index = engine.applied_index();
                for req in batch.drain(..) {
                    let n = req.cmds.len();
                    let _ =
                        req.reply.send(vec![
                            Response::Error(CommandError::Storage(e.to_string()));
                            n
                        ]);
                }
            }
        }
        batch_size.record(n as f64);
        commit_time.record(started.elapsed());
    }
}

/// Wakes clients blocked on keys that just received list elements.
fn wake_blocked(blocking: &Blocking, cmds: &[Command], replies: &[Response]) {
    if blocking.blocked_clients() == 0 {
        return;
    }
    for (cmd, reply) in cmds.iter().zip(replies) {
        if matches!(reply, Response::Error(_) | Response::Nil) {
            continue;
        }
        let n = match cmd {
            Command::Push { values, .. } => values.len(),
            _ => 1,
        };
        for (db, key) in cmd.pushed_keys() {
            blocking.wake(db, key, n);
        }
    }
}

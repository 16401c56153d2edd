//! The Raft state machine is the engine: applying a log entry applies its batch of commands in
//! one fjall write batch, which also records the entry's log id (and membership), so the data and
//! "how far it got" can never disagree after a crash.
//!
//! Snapshots cost nothing to take: a fjall snapshot is a point-in-time view, read out record by
//! record only when a follower needs it. The state machine is fsync'd first, because openraft
//! purges the log behind a snapshot and the log must never be the only copy that is gone.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{Stream, TryStreamExt};
use openraft::storage::{EntryResponder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend, RaftSnapshotBuilder};

use super::blocking::Blocking;
use super::history::History;
use super::notices::ChangeNotices;
use super::pubsub::PubSub;
use super::raft_types::{term_of, BatchReply, LogId, SnapshotMeta, StoredMembership, TypeConfig};
use crate::engine::store::snapshot::{Export, Record};
use crate::engine::{keys, Engine, EntryContext};

/// Commands applied in one fjall batch at most when catching up on a long log.
const MAX_COMMANDS_PER_COMMIT: usize = 20_000;

/// A snapshot's records: a view of our own state to send, or a file received from the leader.
pub enum SnapshotData {
    Export(Box<Export>),
    File(PathBuf),
}

pub struct StateMachine {
    engine: Arc<Engine>,
    blocking: Arc<Blocking>,
    history: Arc<History>,
    pubsub: Arc<PubSub>,
    notices: Arc<ChangeNotices>,
    node_id: u64,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl StateMachine {
    pub fn new(
        engine: Arc<Engine>,
        blocking: Arc<Blocking>,
        history: Arc<History>,
        pubsub: Arc<PubSub>,
        notices: Arc<ChangeNotices>,
        node_id: u64,
    ) -> Self {
        StateMachine {
            engine,
            blocking,
            history,
            pubsub,
            notices,
            node_id,
        }
    }
}

/// The applied log id and membership recorded beside the data, read through `record` (the
/// engine's current state, or a snapshot's view of it).
fn applied_state(
    record: impl Fn(&[u8]) -> Result<Option<Vec<u8>>, crate::command::CommandError>,
) -> io::Result<SnapshotMeta> {
    let last_log_id: Option<LogId> = match record(keys::RAFT_APPLIED).map_err(io_err)? {
        Some(v) => bincode::deserialize(&v).map_err(io_err)?,
        None => None,
    };
    let last_membership: StoredMembership = match record(keys::RAFT_MEMBERSHIP).map_err(io_err)? {
        Some(v) => bincode::deserialize(&v).map_err(io_err)?,
        None => StoredMembership::default(),
    };
    Ok(SnapshotMeta {
        last_log_id,
        last_membership,
    })
}

/// Reads the applied log id and membership a view holds.
fn snapshot_meta(export: &Export) -> io::Result<SnapshotMeta> {
    applied_state(|k| export.meta_record(k))
}

pub struct SnapshotBuilder {
    engine: Arc<Engine>,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    type SnapshotData = SnapshotData;

    async fn build_snapshot(
        &mut self,
    ) -> Result<openraft::alias::SnapshotOf<TypeConfig, SnapshotData>, io::Error> {
        let engine = self.engine.clone();
        // The view first, then the fsync: entries may be applied meanwhile, and openraft purges
        // the log up to the view's applied id, so everything in the view must be durable.
        let export = tokio::task::spawn_blocking(move || {
            let export = engine.export();
            engine.sync().map_err(io_err)?;
            Ok::<_, io::Error>(export)
        })
        .await
        .map_err(io_err)??;
        let meta = snapshot_meta(&export)?;
        metrics::counter!("trident_raft_snapshots_built_total").increment(1);
        Ok(openraft::Snapshot {
            meta,
            snapshot: SnapshotData::Export(Box::new(export)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        let m = applied_state(|k| self.engine.meta_record(k))?;
        Ok((m.last_log_id, m.last_membership))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        let engine = self.engine.clone();
        let apply_time = metrics::histogram!("trident_raft_apply_seconds");
        let mut pending = Vec::new();
        let mut commands = 0;
        let mut done = false;
        while !done {
            let started = Instant::now();
            let mut txn = engine.begin();
            let mut served = Vec::new();
            // Checked once per batch: a follower arriving meanwhile waits for it to commit.
            let history = self.history.clone();
            let (batch, followed) = history.begin_batch();
            let mut changes = followed.then(Vec::new);
            let mut publishes = Vec::new();
            let mut last: Option<LogId> = None;
            let mut membership = None;
            loop {
                let Some((entry, responder)) = entries.try_next().await? else {
                    done = true;
                    break;
                };
                let mut ctx = EntryContext {
                    term: term_of(&entry.log_id),
                    index: entry.log_id.index,
                    now_ms: 0,
                    replies: responder.is_some(),
                };
                let applied = match &entry.payload {
                    EntryPayload::Blank => engine
                        .apply_entry(&mut txn, &ctx, &[], &mut served, changes.as_mut())
                        .map(|_| BatchReply::default()),
                    EntryPayload::Normal(batch) => {
                        commands += batch.commands();
                        ctx.now_ms = batch.now_ms;
                        find_publishes(&batch.requests, pending.len(), &mut publishes);
                        check_format(batch).and_then(|()| {
                            engine
                                .apply_entry(
                                    &mut txn,
                                    &ctx,
                                    &batch.requests,
                                    &mut served,
                                    changes.as_mut(),
                                )
                                .map(BatchReply)
                        })
                    }
                    EntryPayload::Membership(m) => {
                        membership = Some(StoredMembership::new(Some(entry.log_id), m.clone()));
                        engine
                            .apply_entry(&mut txn, &ctx, &[], &mut served, changes.as_mut())
                            .map(|_| BatchReply::default())
                    }
                };
                // A failure is never a reply: nothing of this batch is committed, and openraft
                // stops the state machine, so no replica applies a different history.
                let reply = applied.map_err(|e| {
                    tracing::error!(index = entry.log_id.index, error = %e, "applying the log failed; this node stops applying");
                    engine.record_failure(&e.to_string());
                    io_err(e)
                })?;
                last = Some(entry.log_id);
                pending.push((responder, reply));
                if commands >= MAX_COMMANDS_PER_COMMIT {
                    commands = 0;
                    break;
                }
            }
            let Some(last) = last else { break };
            txn.set_applied(last.index);
            txn.put_meta(
                keys::RAFT_APPLIED.to_vec(),
                bincode::serialize(&Some(last)).map_err(io_err)?,
            );
            if let Some(m) = membership {
                txn.put_meta(
                    keys::RAFT_MEMBERSHIP.to_vec(),
                    bincode::serialize(&m).map_err(io_err)?,
                );
            }
            let notices = txn.notices();
            engine.commit(txn).map_err(io_err)?;
            apply_time.record(started.elapsed());
            self.notices.raise(notices);
            self.blocking.deliver(self.node_id, served);
            for p in publishes {
                let n = self.pubsub.publish(&p.channel, &p.message);
                if let Some((_, BatchReply(replies))) = pending.get_mut(p.at.0) {
                    p.patch(replies, n);
                }
            }
            history.publish(last.index, changes);
            drop(batch);
            for (responder, reply) in pending.drain(..) {
                if let Some(r) = responder {
                    r.send(reply);
                }
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder {
            engine: self.engine.clone(),
        }
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: SnapshotData,
    ) -> Result<(), io::Error> {
        let SnapshotData::File(path) = snapshot else {
            return Err(io_err("cannot install a snapshot of our own state"));
        };
        let engine = self.engine.clone();
        let meta = meta.clone();
        tokio::task::spawn_blocking(move || install(&engine, &meta, &path))
            .await
            .map_err(io_err)??;
        metrics::counter!("trident_raft_snapshots_installed_total").increment(1);
        self.notices.raise(crate::engine::Notices {
            logs: true,
            groups: true,
            schema: true,
        });
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<openraft::alias::SnapshotOf<TypeConfig, SnapshotData>>, io::Error> {
        // Any view of the current state is a valid snapshot: it holds everything applied, and
        // only committed entries are ever applied.
        let export = self.engine.export();
        let meta = snapshot_meta(&export)?;
        if meta.last_log_id.is_none() {
            return Ok(None);
        }
        Ok(Some(openraft::Snapshot {
            meta,
            snapshot: SnapshotData::Export(Box::new(export)),
        }))
    }
}

/// A PUBLISH of the batch being applied, delivered once the batch is committed, and where its
/// reply is: (pending entry, request, command, step of a transaction).
struct Published {
    at: (usize, usize, usize, Option<usize>),
    channel: bytes::Bytes,
    message: bytes::Bytes,
}

impl Published {
    /// Puts the number of subscribers reached in the PUBLISH's reply.
    fn patch(&self, replies: &mut [Vec<crate::command::Response>], n: usize) {
        use crate::command::Response;
        let (_, req, cmd, step) = self.at;
        let Some(r) = replies.get_mut(req).and_then(|r| r.get_mut(cmd)) else {
            return;
        };
        let r = match (step, r) {
            (None, r) => r,
            (Some(s), Response::Array(steps)) => match steps.get_mut(s) {
                Some(r) => r,
                None => return,
            },
            _ => return,
        };
        *r = Response::Int(n as i64);
    }
}

/// Finds the PUBLISHes of an entry, alone or inside transactions.
fn find_publishes(
    requests: &[Vec<crate::command::Command>],
    entry: usize,
    out: &mut Vec<Published>,
) {
    use crate::command::{node, Command, Step};
    for (req, cmds) in requests.iter().enumerate() {
        for (i, cmd) in cmds.iter().enumerate() {
            let steps: Vec<(Option<usize>, &Command)> = match cmd {
                Command::Exec(e) => e
                    .steps
                    .iter()
                    .enumerate()
                    .filter_map(|(s, step)| match step {
                        Step::Write(c) => Some((Some(s), c)),
                        Step::Read(_) => None,
                    })
                    .collect(),
                c => vec![(None, c)],
            };
            for (step, c) in steps {
                if let Command::Node(node::Command::Publish {
                    channel, message, ..
                }) = c
                {
                    out.push(Published {
                        at: (entry, req, i, step),
                        channel: channel.clone(),
                        message: message.clone(),
                    });
                }
            }
        }
    }
}

/// Refuses an entry written in a format this release does not know (a newer one): applying it
/// by guesswork would diverge from the replicas that understand it.
fn check_format(batch: &super::raft_types::Batch) -> Result<(), crate::engine::ApplyFailure> {
    if batch.format != crate::engine::FORMAT_VERSION {
        return Err(crate::engine::ApplyFailure(format!(
            "log entry in format {}, this release applies format {}",
            batch.format,
            crate::engine::FORMAT_VERSION
        )));
    }
    Ok(())
}

/// Replaces the engine's state with a received snapshot file (see `rpc::read_chunk`).
fn install(engine: &Engine, meta: &SnapshotMeta, path: &std::path::Path) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    let mut reader = io::BufReader::new(file);
    engine.install_begin().map_err(io_err)?;
    while let Some(chunk) = super::rpc::read_chunk(&mut reader)? {
        engine.install_chunk(&chunk).map_err(io_err)?;
    }
    let own: Vec<Record> = vec![
        (
            0,
            keys::RAFT_APPLIED.to_vec(),
            bincode::serialize(&meta.last_log_id).map_err(io_err)?,
        ),
        (
            0,
            keys::RAFT_MEMBERSHIP.to_vec(),
            bincode::serialize(&meta.last_membership).map_err(io_err)?,
        ),
        (
            0,
            keys::APPLIED.to_vec(),
            meta.last_log_id
                .as_ref()
                .map_or(0, |l| l.index)
                .to_be_bytes()
                .to_vec(),
        ),
    ];
    engine.install_chunk(&own).map_err(io_err)?;
    engine.install_end().map_err(io_err)?;
    let _ = std::fs::remove_file(path);
    Ok(())
}

//! One client connection: reads whatever is buffered, runs every complete request in order, and
//! writes all replies with one syscall. Consecutive writes in a pipeline go to the write path as
//! one request, so a pipelined burst costs one trip to the writer, not one per command.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use metrics::{Counter, Histogram};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;

use super::cmd::transaction::TxnOp;
use super::cmd::{self, Action, Block, Ctx};
use super::encode::encode;
use super::frame::{self, Limits, Next};
use super::parse::Args;
use super::session::{Multi, Queued, Server, Session};
use crate::command::{keys, Command, Exec, Query, Response};
use crate::shared::limits::MAX_STEPS;

/// Requests run per burst before replies are flushed, so one client's huge pipeline cannot
/// hold its replies back unboundedly.
const MAX_BURST: usize = 1024;
const READ_CHUNK: usize = 16 * 1024;

/// Per-command call counters and latency histograms, registered once.
fn command_metrics() -> &'static [(Counter, Histogram)] {
    static M: OnceLock<Vec<(Counter, Histogram)>> = OnceLock::new();
    M.get_or_init(|| {
        cmd::table()
            .iter()
            .map(|s| {
                (
                    metrics::counter!("trident_commands_total", "cmd" => s.name),
                    metrics::histogram!("trident_command_seconds", "cmd" => s.name),
                )
            })
            .collect()
    })
}

/// Counts one finished command of table entry `index` and records its latency.
fn record_command(index: usize, started: Instant) {
    if let Some((count, latency)) = command_metrics().get(index) {
        count.increment(1);
        latency.record(started.elapsed());
    }
}

/// Why the connection ends.
enum Closed {
    /// The client went away or was killed.
    Gone,
    /// Its input broke the protocol; the error has been queued for it.
    ProtocolError,
}

struct Conn<'a> {
    server: &'a Server,
    session: Session,
    limits: Limits,
    input: BytesMut,
    output: BytesMut,
    reader: OwnedReadHalf,
    writer: tokio::net::tcp::OwnedWriteHalf,
    /// Set by SYNC/PSYNC: once its output is written, the connection feeds a replica.
    replicate: Option<crate::resp::replica::Handshake>,
}

pub async fn serve(server: Arc<Server>, stream: TcpStream) {
    let (Ok(addr), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let handle = server.clients.register(addr, local);
    let id = handle.id;
    let resp = &server.node.config.resp;
    let limits = Limits {
        max_bulk_len: resp.proto_max_bulk_len,
        max_multibulk_len: resp.max_multibulk_len,
        max_inline_len: resp.max_inline_len,
    };
    let (reader, writer) = stream.into_split();
    let session = Session::new(handle, server.requirepass().is_empty());
    let mut conn = Conn {
        server: &server,
        session,
        limits,
        input: BytesMut::with_capacity(READ_CHUNK),
        output: BytesMut::with_capacity(READ_CHUNK),
        reader,
        writer,
        replicate: None,
    };
    gauge_clients(1.0);
    if let Err(e) = conn.run().await {
        tracing::debug!(client = id, error = %e, "connection ended");
    }
    let _ = conn.writer.shutdown().await;
    conn.session.subscriptions.clear(&server.node.pubsub, id);
    server.clients.unregister(id);
    gauge_clients(-1.0);
}

fn gauge_clients(delta: f64) {
    metrics::gauge!("trident_connected_clients").increment(delta);
}

impl Conn<'_> {
    async fn run(&mut self) -> std::io::Result<()> {
        let query_limit = self.server.node.config.resp.client_query_buffer_limit;
        loop {
            let mut requests = Vec::new();
            let mut broken = None;
            while requests.len() < MAX_BURST {
                match frame::next_request(&mut self.input, &self.limits) {
                    Ok(Next::Request(args)) => requests.push(args),
                    Ok(Next::Skip) => {}
                    Ok(Next::Incomplete(needed)) => {
                        if let Some(n) = needed {
                            // Grow towards a large argument without trusting its announced size.
                            let want = n.saturating_sub(self.input.len()).min(4 * 1024 * 1024);
                            self.input.reserve(want);
                        }
                        break;
                    }
                    Err(e) => {
                        broken = Some(e);
                        break;
                    }
                }
            }
            let more = requests.len() >= MAX_BURST;
            let mut outcome = Ok(());
            if !requests.is_empty() {
                outcome = self.run_burst(requests).await;
            }
            if let Some(e) = &broken {
                encode(
                    &mut self.output,
                    Response::error(format!("ERR Protocol error: {}", e.0)),
                    self.session.proto,
                );
                outcome = Err(Closed::ProtocolError);
            }
            if self.session.silent {
                return Ok(());
            }
            if !self.output.is_empty() {
                self.writer.write_all(&self.output).await?;
                self.output.clear();
                if self.output.capacity() > 4 * 1024 * 1024 {
                    self.output = BytesMut::with_capacity(READ_CHUNK);
                }
            }
            if outcome.is_err() || self.session.closing {
                return Ok(());
            }
            if let Some(how) = self.replicate.take() {
                let handle = self.session.handle.clone();
                return super::replica::serve(
                    self.server,
                    how,
                    &handle,
                    &mut self.reader,
                    &mut self.writer,
                )
                .await;
            }
            if more {
                continue;
            }
            if self.input.len() > query_limit {
                tracing::warn!(
                    client = self.session.handle.id,
                    "query buffer limit reached; closing"
                );
                return Ok(());
            }
            if !self.read_more().await? {
                return Ok(());
            }
        }
    }

    /// Reads more input, or returns false when the client is gone or was killed.
    async fn read_more(&mut self) -> std::io::Result<bool> {
        if self.input.capacity() - self.input.len() < 1024 {
            self.input.reserve(READ_CHUNK);
        }
        let handle = self.session.handle.clone();
        let proto = self.session.proto;
        // Subscribers wait for messages too; everyone else on the plain wait of the hot path.
        let Some(inbox) = self.session.subscriptions.inbox.as_mut() else {
            return tokio::select! {
                n = self.reader.read_buf(&mut self.input) => Ok(n? > 0 && !handle.killed.load(Ordering::Relaxed)),
                _ = handle.kill.notified() => Ok(false),
            };
        };
        tokio::select! {
            n = self.reader.read_buf(&mut self.input) => Ok(n? > 0 && !handle.killed.load(Ordering::Relaxed)),
            _ = handle.kill.notified() => Ok(false),
            m = inbox.recv() => match m {
                Some(m) => {
                    encode(&mut self.output, super::pubsub::message(m), proto);
                    Ok(true)
                }
                None => {
                    tracing::warn!(client = handle.id, "subscriber too far behind; closing");
                    Ok(false)
                }
            },
        }
    }

    async fn run_burst(&mut self, requests: Vec<Vec<Bytes>>) -> Result<(), Closed> {
        let node = &self.server.node;
        node.stats
            .commands_processed
            .fetch_add(requests.len() as u64, Ordering::Relaxed);
        let mut replies: Vec<Response> = Vec::with_capacity(requests.len());
        let mut pending = PendingWrites::default();
        for args in requests {
            let started = Instant::now();
            let Some(index) = cmd::lookup(&args[0]) else {
                self.refuse_queuing();
                replies.push(cmd::unknown_command(&args).into());
                continue;
            };
            let spec = &cmd::table()[index];
            // Between MULTI and EXEC commands are queued, not run (the transaction's own
            // commands excepted).
            let queue = self.session.multi.is_some() && !runs_in_multi(spec.name);
            let reply = if !spec.arity_ok(args.len()) {
                Some(self.wrong_arity_in(spec.name))
            } else if let Some(r) = self.subscribed_context(spec.name, &args) {
                Some(r)
            } else if queue && refused_in_multi(spec.name) {
                self.refuse_queuing();
                Some(Response::error(
                    "ERR Command not allowed inside a transaction",
                ))
            } else if !self.session.authenticated && !spec.allowed_unauthenticated() {
                Some(Response::error("NOAUTH Authentication required."))
            } else if self.server.scripts.is_busy() && !spec.flags.contains(&"allow_busy") {
                Some(self.refuse_busy(spec))
            } else if let Some(refused) = self.refuse_if_oom(spec) {
                Some(refused)
            } else if let Some(refused) = self.refuse_if_few_replicas(spec) {
                Some(refused)
            } else {
                let queued_db = self.session.multi.as_ref().and_then(|m| m.db);
                let ctx = Ctx {
                    db: queued_db.unwrap_or(self.session.db),
                };
                let selects = match (queue, spec.name, args.get(1)) {
                    (true, "select", Some(db)) => cmd::db_index(db).ok(),
                    _ => None,
                };
                match (spec.parse)(&mut Args::new(args), &ctx) {
                    Err(e) if queue => Some(self.enqueue(Queued::Refused(e))),
                    Err(e) => Some(e.into()),
                    Ok(action) if queue => {
                        if let Some(m) = self.session.multi.as_mut() {
                            m.denyoom |= spec.flags.contains(&"denyoom");
                            m.writes |= spec.flags.contains(&"write");
                            m.db = selects.or(m.db);
                        }
                        Some(self.enqueue(queued(action)))
                    }
                    Ok(action) => {
                        self.run_action(action, &mut pending, &mut replies, index, started)
                            .await?
                    }
                }
            };
            if let Some(r) = reply {
                record_command(index, started);
                replies.push(r);
            }
        }
        pending.flush(self.server, &mut replies).await;
        for r in replies {
            encode(&mut self.output, r, self.session.proto);
        }
        Ok(())
    }

    /// Runs one parsed action. Writes are queued (their reply slot filled at the next flush) and
    /// `None` is returned; everything else flushes queued writes first, to keep replies in order
    /// and reads after writes consistent.
    async fn run_action(
        &mut self,
        action: Action,
        pending: &mut PendingWrites,
        replies: &mut Vec<Response>,
        index: usize,
        started: Instant,
    ) -> Result<Option<Response>, Closed> {
        let action = match action {
            Action::Write(c) => {
                pending.push(c, None, replies, index, started);
                return Ok(None);
            }
            Action::WriteThen(c, f) => {
                pending.push(c, Some(f), replies, index, started);
                return Ok(None);
            }
            other => other,
        };
        pending.flush(self.server, replies).await;
        if let Action::PubSub(op) = action {
            let id = self.session.handle.id;
            let pubsub = &self.server.node.pubsub;
            let mut frames = self.session.subscriptions.apply(op, pubsub, id);
            self.session.handle.meta.lock().subscriptions = self.session.subscriptions.counts();
            let last = frames.pop();
            replies.append(&mut frames);
            return Ok(last);
        }
        if let Action::Replicate(how) = action {
            // Its reply is the RDB file, sent once everything before it is written.
            self.replicate = Some(how);
            return Ok(None);
        }
        let node = &self.server.node;
        Ok(Some(match action {
            Action::Read(q) => node.query(&q, self.session.readonly).await,
            Action::Reply(r) => r,
            Action::Session(f) => {
                let r = f(&mut self.session, self.server);
                self.session.handle.meta.lock().last_command = cmd::table()[index].name.to_string();
                r
            }
            Action::Save(ok) => match node.save().await {
                Ok(()) => ok,
                Err(e) => e.into(),
            },
            Action::Block(b) => {
                // The replies before it go out now: a client pipelining LPUSH and BLPOP reads
                // the push's reply while the pop waits, as with Redis.
                for r in replies.drain(..) {
                    encode(&mut self.output, r, self.session.proto);
                }
                if !self.output.is_empty() {
                    self.writer
                        .write_all(&self.output)
                        .await
                        .map_err(|_| Closed::Gone)?;
                    self.output.clear();
                }
                self.block(b).await?
            }
            Action::Async(f) => f(node.clone()).await,
            Action::Txn(op) => self.transaction(op).await,
            Action::Script(call) => self.script(call).await,
            // Handled above.
            Action::Replicate(_) | Action::PubSub(_) => Response::error("ERR internal error"),
            // Queued above; never reaches here.
            Action::Write(_) | Action::WriteThen(..) => Response::error("ERR internal error"),
        }))
    }

    /// Over `maxmemory`, commands that may grow the data set are refused, as Redis's
    /// `noeviction` policy does; inside MULTI the refusal aborts the transaction, and an EXEC
    /// with such a command queued is itself refused.
    fn refuse_if_oom(&mut self, spec: &cmd::Spec) -> Option<Response> {
        // Without a limit (the default) this costs one load per command.
        if !self.server.has_maxmemory() {
            return None;
        }
        let in_exec = spec.name == "exec" && self.session.multi.as_ref().is_some_and(|m| m.denyoom);
        if !(spec.flags.contains(&"denyoom") || in_exec) || !self.server.over_maxmemory() {
            return None;
        }
        Some(self.refuse(
            in_exec,
            "OOM command not allowed when used memory > 'maxmemory'.",
        ))
    }

    /// A refusal by the server's state: of EXEC itself it ends the transaction with
    /// `EXECABORT`; of a command being queued, it makes the coming EXEC abort.
    fn refuse(&mut self, of_exec: bool, why: &str) -> Response {
        if of_exec {
            self.session.multi = None;
            self.session.watches.clear();
            return Response::error(format!("EXECABORT Transaction discarded because of: {why}"));
        }
        self.refuse_queuing();
        Response::error(why)
    }

    /// With `min-replicas-to-write` set, writes are refused while too few replicas keep up, as
    /// in Redis: inside MULTI the refusal aborts the transaction, and an EXEC with a write
    /// queued is itself refused.
    fn refuse_if_few_replicas(&mut self, spec: &cmd::Spec) -> Option<Response> {
        if self
            .server
            .min_replicas
            .load(std::sync::atomic::Ordering::Relaxed)
            == 0
        {
            return None;
        }
        let in_exec = spec.name == "exec" && self.session.multi.as_ref().is_some_and(|m| m.writes);
        if !(spec.flags.contains(&"write") || in_exec) || !self.server.too_few_replicas() {
            return None;
        }
        Some(self.refuse(in_exec, "NOREPLICAS Not enough good replicas to write."))
    }

    /// While a script runs past `busy-reply-threshold`, other clients get BUSY (as in Redis,
    /// where nothing else runs meanwhile); inside MULTI that aborts the transaction.
    fn refuse_busy(&mut self, spec: &cmd::Spec) -> Response {
        let of_exec = spec.name == "exec" && self.session.multi.is_some();
        self.refuse(of_exec, super::script::BUSY)
    }

    /// Runs a script; its writes go through the write path as one transaction.
    async fn script(&mut self, call: super::script::Call) -> Response {
        super::script::eval(
            self.server.node.clone(),
            self.server.scripts.clone(),
            self.server.busy_after_ms(),
            self.session.db,
            call,
        )
        .await
    }

    /// A RESP2 connection with subscriptions takes only pub/sub commands, PING (answered in
    /// pub/sub's shape), QUIT and RESET, as in Redis; RESP3 takes everything.
    fn subscribed_context(&self, name: &str, args: &[Bytes]) -> Option<Response> {
        if self.session.proto >= 3 || !self.session.subscriptions.active() {
            return None;
        }
        match name {
            "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "quit" | "reset" => None,
            "ping" => Some(Response::Array(vec![
                Response::bulk(&b"pong"[..]),
                Response::Bulk(args.get(1).cloned().unwrap_or_default()),
            ])),
            _ => Some(Response::error(format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
            ))),
        }
    }

    /// A command refused while a transaction is queued makes its EXEC abort, as in Redis.
    fn refuse_queuing(&mut self) {
        if let Some(m) = self.session.multi.as_mut() {
            m.failed = true;
        }
    }

    /// The wrong-arity error; inside MULTI it aborts the transaction (an EXEC with arguments
    /// ends it at once).
    fn wrong_arity_in(&mut self, name: &str) -> Response {
        let e = cmd::wrong_arity(name);
        if self.session.multi.is_some() && name == "exec" {
            self.session.multi = None;
            self.session.watches.clear();
            let why = super::error::text(&e);
            return Response::error(format!(
                "EXECABORT Transaction discarded because of: {}",
                why.strip_prefix("ERR ").unwrap_or(&why)
            ));
        }
        self.refuse_queuing();
        e.into()
    }

    /// Queues a command of a transaction: `+QUEUED`.
    fn enqueue(&mut self, q: Queued) -> Response {
        let Some(m) = self.session.multi.as_mut() else {
            return Response::error("ERR EXEC without MULTI");
        };
        if m.queued.len() >= MAX_STEPS {
            m.failed = true;
            return Response::error(format!(
                "ERR too many commands in one transaction (at most {MAX_STEPS})"
            ));
        }
        m.queued.push(q);
        Response::Status("QUEUED")
    }

    /// MULTI, EXEC, DISCARD, WATCH and UNWATCH.
    async fn transaction(&mut self, op: TxnOp) -> Response {
        let node = self.server.node.clone();
        match op {
            TxnOp::Multi if self.session.multi.is_some() => {
                Response::error("ERR MULTI calls can not be nested")
            }
            TxnOp::Multi => {
                self.session.multi = Some(Multi::default());
                Response::Ok
            }
            TxnOp::Discard => match self.session.multi.take() {
                None => Response::error("ERR DISCARD without MULTI"),
                Some(_) => {
                    self.session.watches.clear();
                    Response::Ok
                }
            },
            TxnOp::Unwatch => {
                self.session.watches.clear();
                Response::Ok
            }
            TxnOp::Watch(_) if self.session.multi.is_some() => {
                Response::error("ERR WATCH inside MULTI is not allowed")
            }
            TxnOp::Watch(keys) => {
                let db = self.session.db;
                let stamps = Query::Keys(keys::Query::Stamps {
                    db,
                    keys: keys.clone(),
                });
                let stamps = match node.query(&stamps, self.session.readonly).await {
                    Response::Array(s) => s,
                    other => return other,
                };
                for (key, stamp) in keys.into_iter().zip(stamps) {
                    let stamp = match stamp {
                        Response::Int(s) => Some(s as u64),
                        _ => None,
                    };
                    // A key watched twice keeps its first stamp: a change between the two
                    // still fails the transaction.
                    if !self
                        .session
                        .watches
                        .iter()
                        .any(|(d, k, _)| *d == db && *k == key)
                    {
                        self.session.watches.push((db, key, stamp));
                    }
                }
                Response::Ok
            }
            TxnOp::Exec => {
                let Some(multi) = self.session.multi.take() else {
                    return Response::error("ERR EXEC without MULTI");
                };
                let watches = std::mem::take(&mut self.session.watches);
                if multi.failed {
                    return Response::error(
                        "EXECABORT Transaction discarded because of previous errors.",
                    );
                }
                self.exec(multi.queued, watches).await
            }
        }
    }

    /// Applies a transaction's queued commands as one command and answers each in its place.
    async fn exec(
        &mut self,
        queued: Vec<Queued>,
        watches: Vec<(crate::command::Db, Bytes, Option<u64>)>,
    ) -> Response {
        let mut steps = Vec::new();
        for q in &queued {
            if let Queued::Step(s, _) = q {
                steps.push(s.clone());
            }
        }
        let mut replies = if steps.is_empty() && watches.is_empty() {
            Vec::new().into_iter()
        } else {
            let exec = Command::Exec(Exec { watches, steps });
            match self.server.node.execute(exec).await {
                Response::Array(r) => r.into_iter(),
                // A watched key changed (nil), or the node could not apply it.
                other => return other,
            }
        };
        let mut out = Vec::with_capacity(queued.len());
        for q in queued {
            out.push(match q {
                Queued::Step(_, reshape) => {
                    let r = replies.next().unwrap_or(Response::Nil);
                    match reshape {
                        Some(f) => f(r),
                        None => r,
                    }
                }
                Queued::Refused(e) => Response::Error(e),
                Queued::Later(action) => self.run_later(action).await,
            });
        }
        Response::Array(out)
    }

    /// A queued command that needs the connection or the node, run once EXEC has applied.
    async fn run_later(&mut self, action: Action) -> Response {
        let node = self.server.node.clone();
        match action {
            Action::Reply(r) => r,
            Action::Session(f) => f(&mut self.session, self.server),
            Action::Save(ok) => match node.save().await {
                Ok(()) => ok,
                Err(e) => e.into(),
            },
            Action::Async(f) => f(node).await,
            Action::Txn(TxnOp::Unwatch) => Response::Ok,
            // Runs once the transaction's other commands applied: atomic on its own, but not
            // with them (see the README's scripting notes).
            Action::Script(call) => self.script(call).await,
            // Handled above.
            Action::Replicate(_) => Response::error("ERR internal error"),
            // `queued` turned every data command into a step.
            _ => Response::error("ERR command not allowed inside a transaction"),
        }
    }

    /// A blocking pop: waits for a push to serve it (on the leader, which hosts every blocked
    /// client), for the timeout, for CLIENT KILL, or for its connection to close. Pipelined
    /// input that arrives meanwhile is kept for after the pop.
    async fn block(&mut self, b: Block) -> Result<Response, Closed> {
        let node = self.server.node.clone();
        // A deadline past what the clock can represent is no deadline at all.
        let deadline = b
            .timeout
            .and_then(|t| tokio::time::Instant::now().checked_add(t));
        let handle = self.session.handle.clone();
        let query_limit = node.config.resp.client_query_buffer_limit;
        let reader = &mut self.reader;
        let input = &mut self.input;
        let gone = async {
            loop {
                tokio::select! {
                    _ = handle.kill.notified() => return,
                    n = reader.read_buf(input) => {
                        if !matches!(n, Ok(n) if n > 0) || input.len() > query_limit {
                            return;
                        }
                    }
                }
            }
        };
        // Registered before the client shows as blocked, so that no CLIENT UNBLOCK is missed.
        let unblocked = handle.unblock.notified();
        tokio::pin!(unblocked);
        unblocked.as_mut().enable();
        // An UNBLOCK ... ERROR that came as an earlier wait ended must not end this one.
        handle.unblock_error.store(false, Ordering::Relaxed);
        handle.meta.lock().blocked = true;
        let cut = async {
            unblocked.await;
        };
        let outcome = node
            .run_blocking(b.db, &b.keys, b.attempt, deadline, gone, cut)
            .await;
        handle.meta.lock().blocked = false;
        let r = outcome.map_err(|_| Closed::Gone)?;
        // Unblocked with ERROR: the reply is the error, unless a push served the client first.
        if r.is_nil() && handle.unblock_error.swap(false, Ordering::Relaxed) {
            return Ok(Response::error(
                "UNBLOCKED client unblocked via CLIENT UNBLOCK",
            ));
        }
        Ok(r)
    }
}

/// The commands that act on a transaction rather than join its queue.
fn runs_in_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Commands Redis refuses inside MULTI (its `no_multi` flag): the refusal aborts the EXEC.
fn refused_in_multi(name: &str) -> bool {
    matches!(
        name,
        "save"
            | "shutdown"
            | "monitor"
            | "sync"
            | "psync"
            | "subscribe"
            | "psubscribe"
            | "unsubscribe"
            | "punsubscribe"
    )
}

/// How a command parsed inside MULTI waits for EXEC. Blocking commands never block there: their
/// attempt runs once, as in Redis.
fn queued(action: Action) -> Queued {
    match action.into_step() {
        cmd::Stepped::Step(step, reshape) => Queued::Step(step, reshape),
        cmd::Stepped::Other(other) => Queued::Later(other),
    }
}

/// Reply slot, reshaping, command index and start time of a queued write.
type Slot = (usize, Option<fn(Response) -> Response>, usize, Instant);

/// Writes queued from a pipeline, sent to the write path together.
#[derive(Default)]
struct PendingWrites {
    cmds: Vec<Command>,
    slots: Vec<Slot>,
}

impl PendingWrites {
    fn push(
        &mut self,
        c: Command,
        reshape: Option<fn(Response) -> Response>,
        replies: &mut Vec<Response>,
        index: usize,
        started: Instant,
    ) {
        self.slots.push((replies.len(), reshape, index, started));
        // A placeholder, replaced when the batch is answered.
        replies.push(Response::Nil);
        self.cmds.push(c);
    }

    async fn flush(&mut self, server: &Server, replies: &mut [Response]) {
        if self.cmds.is_empty() {
            return;
        }
        // The next pipeline is likely as long as this one: start it at this one's size.
        let next = Vec::with_capacity(self.cmds.len());
        let cmds = std::mem::replace(&mut self.cmds, next);
        let answers = server.node.execute_many(cmds).await;
        for ((slot, reshape, index, started), answer) in self.slots.drain(..).zip(answers) {
            replies[slot] = match reshape {
                Some(f) => f(answer),
                None => answer,
            };
            record_command(index, started);
        }
    }
}

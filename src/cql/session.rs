//! One CQL connection's state (compression, keyspace, registered events) and what the server
//! shares between connections: the schema as last applied here, the prepared statements, and
//! the schema change events every registered connection is told of.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use parking_lot::{Mutex, RwLock};
use tokio::sync::{broadcast, mpsc};

use crate::command::table::schema::Schema;
use crate::command::table::{Query as TableQuery, Reply};
use crate::command::{Query, Response as NodeResponse};
use crate::cql::frame::event::{ChangeType, Event, EventType, SchemaChange, SchemaTarget};
use crate::cql::frame::{
    default_supported, Compression, ErrorKind, ErrorResponse, FrameOptions, Request, RequestFrame,
    Response,
};
use crate::cql::parser::ast::Statement;
use crate::cql::stmt;
use crate::node::Node;

/// A statement prepared once and executed by id; ids hash the keyspace and the text, so they
/// are the same on every node and after a restart (a node that never saw it answers
/// UNPREPARED and the driver prepares it again).
pub struct Prepared {
    pub keyspace: Option<String>,
    pub statement: Statement,
}

pub struct Server {
    pub node: Arc<Node>,
    schema: RwLock<Arc<Schema>>,
    prepared: Mutex<HashMap<[u8; 16], Arc<Prepared>>>,
    events: broadcast::Sender<Event>,
}

/// Prepared statements kept, at most (the oldest half is dropped past it).
const MAX_PREPARED: usize = 100_000;

impl Server {
    pub fn new(node: Arc<Node>) -> Server {
        let (events, _) = broadcast::channel(1024);
        Server {
            node,
            schema: RwLock::new(Arc::new(Schema::default())),
            prepared: Mutex::new(HashMap::new()),
            events,
        }
    }

    /// Starts the task that reloads the schema after every change applied here and tells
    /// registered clients what changed.
    pub fn watch_schema(self: &Arc<Self>) {
        let server = self.clone();
        tokio::spawn(async move {
            let mut changes = server.node.notices.schema();
            let _ = server.reload_schema(true).await;
            loop {
                if changes.changed().await.is_err() {
                    return;
                }
                changes.borrow_and_update();
                let before = server.schema();
                if let Ok(after) = server.reload_schema(true).await {
                    for e in schema_events(&before, &after) {
                        let _ = server.events.send(Event::SchemaChange(e));
                    }
                }
            }
        });
    }

    /// Tells every connection registered for this kind of event.
    pub fn send_event(&self, e: Event) {
        let _ = self.events.send(e);
    }

    pub fn schema(&self) -> Arc<Schema> {
        self.schema.read().clone()
    }

    /// Reads the schema from the store (`local`: as applied here, else linearized).
    pub async fn reload_schema(&self, local: bool) -> Result<Arc<Schema>, ErrorResponse> {
        match self
            .node
            .query(&Query::Table(TableQuery::Schema), local)
            .await
        {
            NodeResponse::Table(Reply::Schema(s)) => {
                let s: Arc<Schema> = Arc::from(s);
                let mut cur = self.schema.write();
                *cur = s.clone();
                Ok(s)
            }
            NodeResponse::Error(e) => Err(stmt::error::from_command(&e)),
            _ => Err(ErrorResponse::server("unexpected reply reading the schema")),
        }
    }

    pub fn prepare(&self, id: [u8; 16], p: Prepared) -> Arc<Prepared> {
        let p = Arc::new(p);
        let mut all = self.prepared.lock();
        if all.len() >= MAX_PREPARED {
            let drop: Vec<[u8; 16]> = all.keys().take(MAX_PREPARED / 2).copied().collect();
            for k in drop {
                all.remove(&k);
            }
        }
        all.insert(id, p.clone());
        p
    }

    pub fn prepared(&self, id: &[u8]) -> Option<Arc<Prepared>> {
        let id: [u8; 16] = id.try_into().ok()?;
        self.prepared.lock().get(&id).cloned()
    }
}

/// What changed between two schemas, as SCHEMA_CHANGE events.
fn schema_events(before: &Schema, after: &Schema) -> Vec<SchemaChange> {
    let mut out = Vec::new();
    let ks = |change, name: &str| SchemaChange {
        change,
        target: SchemaTarget::Keyspace(name.to_string()),
    };
    for k in &after.keyspaces {
        match before.keyspace(&k.name) {
            None => out.push(ks(ChangeType::Created, &k.name)),
            Some(old) if old != k => out.push(ks(ChangeType::Updated, &k.name)),
            Some(_) => {}
        }
    }
    for k in &before.keyspaces {
        if after.keyspace(&k.name).is_none() {
            out.push(ks(ChangeType::Dropped, &k.name));
        }
    }
    let table = |change, keyspace: &str, name: &str| SchemaChange {
        change,
        target: SchemaTarget::Table {
            keyspace: keyspace.to_string(),
            name: name.to_string(),
        },
    };
    for t in &after.tables {
        match before.table(&t.keyspace, &t.name) {
            None => out.push(table(ChangeType::Created, &t.keyspace, &t.name)),
            Some(old) if old != t && old.version == t.version => {
                out.push(table(ChangeType::Updated, &t.keyspace, &t.name))
            }
            Some(_) => {}
        }
    }
    for t in &before.tables {
        if after.table(&t.keyspace, &t.name).is_none() && after.keyspace(&t.keyspace).is_some() {
            out.push(table(ChangeType::Dropped, &t.keyspace, &t.name));
        }
    }
    let ty = |change, keyspace: &str, name: &str| SchemaChange {
        change,
        target: SchemaTarget::Type {
            keyspace: keyspace.to_string(),
            name: name.to_string(),
        },
    };
    for u in &after.types {
        if before.udt(&u.keyspace, &u.name).is_none() {
            out.push(ty(ChangeType::Created, &u.keyspace, &u.name));
        }
    }
    for u in &before.types {
        if after.udt(&u.keyspace, &u.name).is_none() && after.keyspace(&u.keyspace).is_some() {
            out.push(ty(ChangeType::Dropped, &u.keyspace, &u.name));
        }
    }
    out
}

/// One connection.
pub struct Session {
    pub server: Arc<Server>,
    compression: Mutex<Option<Compression>>,
    keyspace: Mutex<Option<String>>,
    started: Mutex<bool>,
    /// Logged in, or no login needed (no CQL password configured).
    authenticated: Mutex<bool>,
    events_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The authenticator drivers are told of when a password is configured.
const PASSWORD_AUTHENTICATOR: &str = "org.apache.cassandra.auth.PasswordAuthenticator";

impl Session {
    pub fn new(server: Arc<Server>) -> Session {
        Session {
            server,
            compression: Mutex::new(None),
            keyspace: Mutex::new(None),
            started: Mutex::new(false),
            authenticated: Mutex::new(false),
            events_task: Mutex::new(None),
        }
    }

    pub fn compression(&self) -> Option<Compression> {
        *self.compression.lock()
    }

    pub fn keyspace(&self) -> Option<String> {
        self.keyspace.lock().clone()
    }

    pub fn set_keyspace(&self, ks: String) {
        *self.keyspace.lock() = Some(ks);
    }

    pub fn close(&self) {
        if let Some(t) = self.events_task.lock().take() {
            t.abort();
        }
    }

    /// Requests that must be served before the next one is read.
    pub fn is_ordered(&self, r: &Request) -> bool {
        match r {
            Request::Startup(_) | Request::Register(_) | Request::Options => true,
            Request::Query { query, .. } => {
                let q = query.trim_start();
                q.len() >= 4 && q[..4].eq_ignore_ascii_case("use ")
            }
            _ => false,
        }
    }

    fn opts(&self) -> FrameOptions<'static> {
        FrameOptions {
            compression: self.compression(),
            ..FrameOptions::default()
        }
    }

    fn respond(&self, stream: i16, r: &Response<'_>) -> BytesMut {
        let mut out = BytesMut::new();
        r.encode_frame(&mut out, stream, self.opts());
        out
    }

    pub fn error(&self, stream: i16, e: ErrorResponse) -> BytesMut {
        let mut out = BytesMut::new();
        e.encode_frame(&mut out, stream, self.compression());
        out
    }

    pub async fn handle(&self, req: RequestFrame, out_tx: &mpsc::Sender<BytesMut>) -> BytesMut {
        let stream = req.stream;
        let started = *self.started.lock();
        match req.request {
            Request::Options => {
                let supported = default_supported();
                self.respond(stream, &Response::Supported(&supported))
            }
            Request::Startup(s) => {
                match s.compression() {
                    Ok(c) => {
                        let login = !self.server.node.config.cql.password.is_empty();
                        // READY (or AUTHENTICATE) itself goes out uncompressed (the client
                        // switches after it).
                        let reply = if login {
                            self.respond(stream, &Response::Authenticate(PASSWORD_AUTHENTICATOR))
                        } else {
                            self.respond(stream, &Response::Ready)
                        };
                        *self.compression.lock() = c;
                        *self.started.lock() = true;
                        *self.authenticated.lock() = !login;
                        reply
                    }
                    Err(e) => self.error(stream, e.to_response()),
                }
            }
            _ if !started => self.error(
                stream,
                ErrorResponse::protocol("Unexpected message, expecting STARTUP or OPTIONS"),
            ),
            Request::AuthResponse(token) => match self.log_in(token.as_deref()) {
                Ok(()) => self.respond(stream, &Response::AuthSuccess(None)),
                Err(e) => self.error(stream, e),
            },
            _ if !*self.authenticated.lock() => self.error(
                stream,
                ErrorResponse::protocol("Unexpected message, expecting AUTH_RESPONSE"),
            ),
            Request::Register(events) => {
                if !events.is_empty() {
                    self.forward_events(out_tx.clone(), events);
                }
                self.respond(stream, &Response::Ready)
            }
            Request::Query { query, params } => stmt::query(self, stream, &query, params).await,
            Request::Prepare { query } => stmt::prepare(self, stream, &query).await,
            Request::Execute { id, params } => stmt::execute(self, stream, id, params).await,
            Request::Batch(b) => stmt::batch(self, stream, b).await,
        }
    }

    /// Checks a SASL PLAIN token (`authzid \0 user \0 password`) against the configured
    /// account. Without a configured password anyone is let in, as AllowAllAuthenticator does.
    fn log_in(&self, token: Option<&[u8]>) -> Result<(), ErrorResponse> {
        let cfg = &self.server.node.config.cql;
        if cfg.password.is_empty() {
            *self.authenticated.lock() = true;
            return Ok(());
        }
        let mut parts = token.unwrap_or_default().splitn(3, |b| *b == 0);
        let (_, user, password) = (parts.next(), parts.next(), parts.next());
        let (Some(user), Some(password)) = (user, password) else {
            return Err(ErrorResponse::new(
                ErrorKind::BadCredentials,
                "Authentication failed: the token is not SASL PLAIN (authzid, user, password)",
            ));
        };
        let same = |a: &[u8], b: &[u8]| {
            // Compared in full, whatever differs first.
            a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
        };
        if same(user, cfg.username.as_bytes()) && same(password, cfg.password.as_bytes()) {
            *self.authenticated.lock() = true;
            Ok(())
        } else {
            Err(ErrorResponse::new(
                ErrorKind::BadCredentials,
                format!(
                    "Provided username {} and/or password are incorrect",
                    String::from_utf8_lossy(user)
                ),
            ))
        }
    }

    /// Pushes the events of the registered kinds to this connection from now on (a later
    /// REGISTER replaces the kinds).
    fn forward_events(&self, out_tx: mpsc::Sender<BytesMut>, kinds: Vec<EventType>) {
        let mut rx = self.server.events.subscribe();
        let compression = self.compression();
        let task = tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) if !kinds.contains(&event.event_type()) => {}
                    Ok(event) => {
                        let mut out = BytesMut::new();
                        Response::Event(&event).encode_frame(
                            &mut out,
                            -1,
                            FrameOptions {
                                compression,
                                ..FrameOptions::default()
                            },
                        );
                        if out_tx.send(out).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        if let Some(old) = self.events_task.lock().replace(task) {
            old.abort();
        }
    }
}

/// A prepared statement's id: stable for the same keyspace and text everywhere.
pub fn statement_id(keyspace: Option<&str>, query: &str) -> [u8; 16] {
    let mut h = Vec::with_capacity(query.len() + 32);
    h.extend_from_slice(keyspace.unwrap_or("").as_bytes());
    h.push(0);
    h.extend_from_slice(query.as_bytes());
    xxhash_rust::xxh3::xxh3_128(&h).to_be_bytes()
}

//! Applies [`Command`]s and answers [`Query`]s on fjall. Knows nothing of any wire format.
//!
//! All writes of one group commit run in one fjall write transaction (`Txn`), so a command sees the
//! effects of the commands before it in the same batch, and the whole batch, with the index of the
//! last applied command, lands atomically.

mod generic;
mod header;
pub mod keys;
mod lists;
mod maintenance;
mod overlay;
mod scan;
pub mod snapshot;
mod strings;
mod txn;
mod waiters;

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;
use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode, Readable};

use crate::command::{Command, CommandError, Db, Query, Response};
pub use header::{Header, ListMeta, Value};
pub use scan::glob_match;
pub use strings::{clamp_range, format_float, parse_float, parse_i64};
pub use txn::Txn;
pub use waiters::{EntryContext, Served, ENTRY_SHIFT};

/// Number of logical databases (`SELECT 0..15`).
pub const DATABASES: usize = 16;

/// What apply needs besides the command: set by the write path, identical on every replica.
#[derive(Clone, Copy, Debug)]
pub struct ApplyContext {
    /// The log index of the command; also the version of any collection the command creates.
    pub index: u64,
    /// The leader's clock when the batch was formed, for lazy expiry during apply.
    pub now_ms: i64,
    /// Whether anyone reads this command's reply (see [`waiters::EntryContext`]): if not, a
    /// value read only to be returned (what LPOP removes) is not read.
    pub reply: bool,
}

/// Per-database key and TTL counts, kept in memory (rebuilt by a scan at open) so that DBSIZE and
/// INFO keyspace are O(1).
#[derive(Default)]
struct KeyCounts {
    keys: [AtomicI64; DATABASES],
    expires: [AtomicI64; DATABASES],
}

pub struct Engine {
    db: Database,
    meta: Keyspace,
    lists: Keyspace,
    counts: KeyCounts,
    applied: AtomicU64,
    cursors: scan::Cursors,
    /// Keys deleted by expiry since start (INFO `expired_keys`).
    pub expired_keys: AtomicU64,
    /// Expired keys that reads came across, for the node to delete (lazy expiry).
    expired_seen: parking_lot::Mutex<Vec<(Db, Bytes)>>,
    any_expired_seen: std::sync::atomic::AtomicBool,
    /// The store's directory (none in memory mode).
    dir: Option<std::path::PathBuf>,
    /// Blocked clients, replicated (see `waiters`).
    waiters: parking_lot::Mutex<waiters::Waiters>,
    /// Holds memory-mode storage alive; dropped (and deleted) with the engine.
    _scratch: Option<tempfile::TempDir>,
}

impl Engine {
    /// Opens (or creates) the store in `dir`. With `memory`, `dir` is ignored and the data lives in
    /// a scratch directory that is deleted on exit.
    pub fn open(dir: &Path, memory: bool) -> anyhow::Result<Engine> {
        let scratch = if memory {
            Some(tempfile::Builder::new().prefix("trident-mem").tempdir()?)
        } else {
            std::fs::create_dir_all(dir)?;
            None
        };
        let path = scratch.as_ref().map_or(dir, |s| s.path());
        Self::check_install_marker(path)?;
        let db = Database::builder(path)
            .manual_journal_persist(true)
            .open()?;
        let meta = db.keyspace("meta", KeyspaceCreateOptions::default)?;
        let lists = db.keyspace("lists", KeyspaceCreateOptions::default)?;
        let waiters = parking_lot::Mutex::new(waiters::Waiters::load(&meta)?);
        let engine = Engine {
            dir: scratch.is_none().then(|| dir.to_path_buf()),
            waiters,
            db,
            meta,
            lists,
            counts: KeyCounts::default(),
            applied: AtomicU64::new(0),
            cursors: scan::Cursors::default(),
            expired_keys: AtomicU64::new(0),
            expired_seen: parking_lot::Mutex::new(Vec::new()),
            any_expired_seen: std::sync::atomic::AtomicBool::new(false),
            _scratch: scratch,
        };
        engine.recount()?;
        let applied = engine.read_applied_index()?;
        engine.applied.store(applied, Ordering::Relaxed);
        Ok(engine)
    }

    /// The Raft index of the last entry applied.
    pub fn applied_index(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    fn recount(&self) -> anyhow::Result<()> {
        let mut keys = [0i64; DATABASES];
        let mut expires = [0i64; DATABASES];
        for kv in self.meta.prefix(keys::all_keys_prefix()) {
            let (k, v) = kv.into_inner()?;
            if let Some((db, _, _)) = keys::decode_key_record(&k) {
                let db = db as usize % DATABASES;
                keys[db] += 1;
                if Header::decode(&v).is_some_and(|h| h.expire_at.is_some()) {
                    expires[db] += 1;
                }
            }
        }
        for db in 0..DATABASES {
            self.counts.keys[db].store(keys[db], Ordering::Relaxed);
            self.counts.expires[db].store(expires[db], Ordering::Relaxed);
        }
        Ok(())
    }

    /// Keys and keys with a TTL in `db` (expired keys not yet swept included, as in Redis).
    pub fn key_counts(&self, db: Db) -> (u64, u64) {
        let db = db as usize % DATABASES;
        (
            self.counts.keys[db].load(Ordering::Relaxed).max(0) as u64,
            self.counts.expires[db].load(Ordering::Relaxed).max(0) as u64,
        )
    }

    /// Bytes the store occupies on disk.
    pub fn disk_space(&self) -> u64 {
        self.db.disk_space().unwrap_or(0)
    }

    /// Starts the transaction one group commit applies into.
    pub fn begin(&self) -> Txn<'_> {
        Txn::new(self)
    }

    /// Applies one command inside the batch's transaction. A refused command writes nothing.
    pub fn apply(&self, txn: &mut Txn<'_>, cmd: &Command, ctx: &ApplyContext) -> Response {
        let result = match cmd {
            Command::Set { .. }
            | Command::MSet { .. }
            | Command::GetDel { .. }
            | Command::GetEx { .. }
            | Command::Append { .. }
            | Command::IncrBy { .. }
            | Command::IncrByFloat { .. }
            | Command::SetRange { .. } => strings::apply(txn, cmd, ctx),
            Command::Push { .. }
            | Command::Pop { .. }
            | Command::MPop { .. }
            | Command::PopFirst { .. }
            | Command::LSet { .. }
            | Command::LRem { .. }
            | Command::LTrim { .. }
            | Command::LInsert { .. }
            | Command::LMove { .. } => lists::apply(txn, cmd, ctx),
            Command::Del { .. }
            | Command::Rename { .. }
            | Command::Copy { .. }
            | Command::Expire { .. }
            | Command::Persist { .. }
            | Command::FlushDb { .. }
            | Command::FlushAll => generic::apply(txn, cmd, ctx),
            Command::DeleteExpired { .. } | Command::CollectGarbage { .. } => {
                maintenance::apply(txn, cmd, ctx)
            }
            // Blocking is handled by `apply_entry`, which owns the queue of blocked clients.
            Command::Block { .. } | Command::Unblock { .. } => Err(CommandError::Other(
                "ERR blocking commands cannot be nested".into(),
            )),
        };
        result.unwrap_or_else(Response::Error)
    }

    /// Commits a batch: data, counts and the applied index land together, in memory and the
    /// journal's buffer; [`Engine::sync`] makes them durable.
    pub fn commit(&self, txn: Txn<'_>) -> Result<(), CommandError> {
        let (applied, counts) = txn.commit()?;
        for (db, (k, e)) in counts.iter().enumerate() {
            if *k != 0 {
                self.counts.keys[db].fetch_add(*k, Ordering::Relaxed);
            }
            if *e != 0 {
                self.counts.expires[db].fetch_add(*e, Ordering::Relaxed);
            }
        }
        if let Some(applied) = applied {
            self.applied.store(applied, Ordering::Relaxed);
        }
        Ok(())
    }

    /// A record the node keeps beside the data (applied log id, membership).
    pub fn meta_record(&self, key: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
        Ok(self.meta.get(key)?.map(|v| v.to_vec()))
    }

    /// Makes everything committed so far durable (the `everysec` tick, shutdown, SAVE).
    pub fn sync(&self) -> Result<(), CommandError> {
        self.db.persist(PersistMode::SyncData)?;
        Ok(())
    }

    /// Answers a read from the current state; keys past their deadline at `now_ms` read as absent.
    pub fn query(&self, q: &Query, now_ms: i64) -> Response {
        let result = match q {
            Query::Get { .. }
            | Query::MGet { .. }
            | Query::StrLen { .. }
            | Query::GetRange { .. } => strings::query(self, q, now_ms),
            Query::LLen { .. }
            | Query::LRange { .. }
            | Query::LIndex { .. }
            | Query::LPos { .. } => lists::query(self, q, now_ms),
            Query::Exists { .. }
            | Query::Type { .. }
            | Query::Ttl { .. }
            | Query::DbSize { .. }
            | Query::RandomKey { .. } => generic::query(self, q, now_ms),
            Query::Keys { .. } | Query::Scan { .. } => scan::query(self, q, now_ms),
        };
        result.unwrap_or_else(Response::Error)
    }

    fn live_header_in(
        &self,
        view: &impl Readable,
        db: Db,
        key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Header>, CommandError> {
        if key.len() > keys::MAX_KEY_LEN {
            return Ok(None);
        }
        let raw = view.get(&self.meta, keys::key_record(db, key))?;
        self.decode_live(raw, db, key, now_ms)
    }

    /// Reads a key directly, the GET fast path: one point lookup, no snapshot.
    fn live_header_direct(
        &self,
        db: Db,
        key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Header>, CommandError> {
        if key.len() > keys::MAX_KEY_LEN {
            return Ok(None);
        }
        let raw = self.meta.get(keys::key_record(db, key))?;
        self.decode_live(raw, db, key, now_ms)
    }

    /// Decodes a stored header; a key past its deadline reads as absent and is noted for
    /// deletion.
    fn decode_live(
        &self,
        raw: Option<fjall::Slice>,
        db: Db,
        key: &[u8],
        now_ms: i64,
    ) -> Result<Option<Header>, CommandError> {
        let Some(raw) = raw else { return Ok(None) };
        let h = Header::decode(&raw).ok_or_else(corrupt)?;
        if h.is_expired(now_ms) {
            self.saw_expired(db, key);
            return Ok(None);
        }
        Ok(Some(h))
    }

    /// Remembers an expired key a read met; bounded, since the sweeper gets the rest anyway.
    fn saw_expired(&self, db: Db, key: &[u8]) {
        const MAX_SEEN: usize = 1000;
        let mut seen = self.expired_seen.lock();
        if seen.len() < MAX_SEEN {
            seen.push((db, Bytes::copy_from_slice(key)));
            self.any_expired_seen.store(true, Ordering::Release);
        }
    }

    /// Expired keys reads came across since the last call.
    pub fn take_expired_seen(&self) -> Vec<(Db, Bytes)> {
        if !self.any_expired_seen.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut *self.expired_seen.lock())
    }

    /// Keys whose deadline has passed at `now_ms`, at most `limit`, oldest deadline first.
    pub fn due_expiries(&self, now_ms: i64, limit: usize) -> Vec<(Db, Bytes)> {
        maintenance::due_expiries(self, now_ms, limit)
    }

    /// Whether any deleted collection still has elements to collect.
    pub fn has_garbage(&self) -> bool {
        maintenance::has_garbage(self)
    }
}

/// The error for a record that does not decode: the store is damaged, never the client's fault.
fn corrupt() -> CommandError {
    CommandError::Storage("corrupt record".into())
}

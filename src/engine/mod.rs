//! Applies [`Command`]s and answers [`Query`]s on fjall. Knows nothing of any wire format.
//!
//! All writes of one group commit run in one fjall write transaction (`Txn`), so a command sees the
//! effects of the commands before it in the same batch, and the whole batch, with the index of the
//! last applied command, lands atomically.

mod exec;
mod generic;
mod group;
mod hash;
pub mod keys;
mod list;
mod log;
mod maintenance;
mod set;
pub mod store;
mod string;
mod table;
mod zset;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;
use fjall::{Database, PersistMode};

use crate::command::{keys as key_ops, kv, Command, CommandError, Db, Query, Response};
pub use store::format::FORMAT_VERSION;
pub use store::header::{CollMeta, Header, ListMeta, Value};
pub use store::history::Applied;
use store::space::{Space, Spaces};
pub use store::txn::{Notices, Txn};
pub use store::waiters::{EntryContext, Served, ENTRY_SHIFT};

pub use crate::shared::limits::DATABASES;

/// What apply needs besides the command: set by the write path, identical on every replica.
#[derive(Clone, Copy, Debug)]
pub struct ApplyContext {
    /// The log position of the command: the version of any collection the command creates and
    /// the change stamp of every key it writes.
    pub index: u64,
    /// The leader's clock when the batch was formed, for lazy expiry during apply.
    pub now_ms: i64,
    /// Whether anyone reads this command's reply (see [`waiters::EntryContext`]): if not, a
    /// value read only to be returned (what LPOP removes) is not read.
    pub reply: bool,
}

/// A failure of the store while applying a command: never a reply. The state machine stops on
/// it, so that no replica applies a history different from the others'.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("storage failure while applying: {0}")]
pub struct ApplyFailure(pub String);

/// Per-database key and TTL counts, kept in memory (rebuilt by a scan at open) so that DBSIZE and
/// INFO keyspace are O(1).
#[derive(Default)]
struct KeyCounts {
    keys: [AtomicI64; DATABASES],
    expires: [AtomicI64; DATABASES],
}

pub struct Engine {
    db: Database,
    pub(crate) spaces: Spaces,
    counts: KeyCounts,
    applied: AtomicU64,
    cursors: store::scan::Cursors,
    /// Keys deleted by expiry since start (INFO `expired_keys`).
    pub expired_keys: AtomicU64,
    /// Whether the active sweeper may delete expired keys (`DEBUG SET-ACTIVE-EXPIRE`); reads
    /// still expire keys lazily when it is off.
    pub active_expire: AtomicBool,
    /// Expired keys that reads came across, for the node to delete (lazy expiry).
    expired_seen: parking_lot::Mutex<Vec<(Db, Bytes)>>,
    any_expired_seen: std::sync::atomic::AtomicBool,
    /// The store's directory (none in memory mode).
    dir: Option<std::path::PathBuf>,
    /// Blocked clients, replicated (see `waiters`).
    waiters: parking_lot::Mutex<store::waiters::Waiters>,
    /// Set by [`Engine::inject_apply_failure`]: the next command applied fails as if the
    /// store had (for tests of what a storage failure does).
    fail_next_apply: AtomicBool,
    /// Where the live ends of sorted sets begin, for the writer's pops (see `zset::PopHints`).
    pop_hints: parking_lot::Mutex<zset::PopHints>,
    /// CQL table definitions, decoded (see `table::defs`).
    table_defs: table::TableDefs,
    newest_writes: table::NewestWrites,
    /// Why applying stopped, once a storage failure stopped it.
    failure: parking_lot::Mutex<Option<String>>,
    /// Holds memory-mode storage alive; dropped (and deleted) with the engine.
    _scratch: Option<tempfile::TempDir>,
}

/// How much memory the store's caches may hold (`[storage]` in the config file).
#[derive(Clone, Copy, Debug)]
pub struct Caches {
    /// fjall's block cache: decoded blocks of the tables, shared by every keyspace.
    pub blocks: u64,
    /// The [`store::records::RecordCache`] of whole hot records.
    pub records: u64,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            blocks: crate::config::DEFAULT_BLOCK_CACHE_BYTES,
            records: crate::config::DEFAULT_RECORD_CACHE_BYTES,
        }
    }
}

impl Engine {
    /// Opens (or creates) the store in `dir`. With `memory`, `dir` is ignored and the data lives in
    /// a scratch directory that is deleted on exit.
    pub fn open(dir: &Path, memory: bool, caches: Caches) -> anyhow::Result<Engine> {
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
            .cache_size(caches.blocks)
            .open()?;
        let spaces = Spaces::open(&db, caches.records)?;
        let waiters =
            parking_lot::Mutex::new(store::waiters::Waiters::load(spaces.get(Space::Meta))?);
        let engine = Engine {
            dir: scratch.is_none().then(|| dir.to_path_buf()),
            waiters,
            db,
            spaces,
            fail_next_apply: AtomicBool::new(false),
            failure: parking_lot::Mutex::new(None),
            pop_hints: parking_lot::Mutex::new(zset::PopHints::default()),
            table_defs: table::TableDefs::default(),
            newest_writes: table::NewestWrites::default(),
            counts: KeyCounts::default(),
            applied: AtomicU64::new(0),
            cursors: store::scan::Cursors::default(),
            expired_keys: AtomicU64::new(0),
            active_expire: AtomicBool::new(true),
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
        for kv in self.meta().prefix(keys::all_keys_prefix()) {
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

    fn meta(&self) -> &fjall::Keyspace {
        self.spaces.get(Space::Meta)
    }

    /// Applies one command inside the batch's transaction. A refused command writes nothing and
    /// its refusal is its reply; a failure of the store is an [`ApplyFailure`].
    pub fn apply(
        &self,
        txn: &mut Txn<'_>,
        cmd: &Command,
        ctx: &ApplyContext,
    ) -> Result<Response, ApplyFailure> {
        if self.fail_next_apply.swap(false, Ordering::Relaxed) {
            return Err(ApplyFailure("injected failure".into()));
        }
        txn.set_stamp(ctx.index, ctx.now_ms);
        let result = match cmd {
            Command::Kv(c) => string::apply(txn, c, ctx),
            Command::Keys(c) => generic::apply(txn, c, ctx),
            Command::List(c) => list::apply(txn, c, ctx),
            Command::Hash(c) => hash::apply(txn, c, ctx),
            Command::Set(c) => set::apply(txn, c, ctx),
            Command::ZSet(c) => zset::apply(txn, c, ctx),
            Command::Exec(e) => return exec::apply(self, txn, e, ctx),
            Command::Node(c) => return maintenance::apply(self, txn, c, ctx),
            Command::Log(c) => log::apply(txn, c, ctx),
            Command::Group(c) => group::apply(txn, c, ctx),
            Command::Table(c) => table::apply(txn, c, ctx),
        };
        settle(result)
    }

    /// Records that applying stopped on a storage failure: from now on the node refuses writes
    /// and reports unhealthy.
    pub fn record_failure(&self, why: &str) {
        self.failure.lock().get_or_insert_with(|| why.to_string());
    }

    pub fn failure(&self) -> Option<String> {
        self.failure.lock().clone()
    }

    /// Makes the next command applied fail as a broken disk would (tests only).
    pub fn inject_apply_failure(&self) {
        self.fail_next_apply.store(true, Ordering::Relaxed);
    }

    /// Commits a batch: data, counts and the applied index land together, in memory and the
    /// journal's buffer; [`Engine::sync`] makes them durable.
    pub fn commit(&self, txn: Txn<'_>) -> Result<(), CommandError> {
        let schema_changed = txn.notices().schema;
        let (applied, counts) = txn.commit()?;
        if schema_changed {
            self.table_defs.invalidate();
        }
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
        Ok(self.meta().get(key)?.map(|v| v.to_vec()))
    }

    /// Makes everything committed so far durable (the `everysec` tick, shutdown, SAVE).
    pub fn sync(&self) -> Result<(), CommandError> {
        self.db.persist(PersistMode::SyncData)?;
        Ok(())
    }

    /// Answers a read from the current state; keys past their deadline at `now_ms` read as absent.
    pub fn query(&self, q: &Query, now_ms: i64) -> Response {
        if let Query::Kv(kv::Query::Get { db, key }) = q {
            // The hottest read there is: one lookup, without even a reader's transaction
            // (setting one up and dropping it was a tenth of a pipelined GET).
            return string::get(self, *db, key, now_ms).unwrap_or_else(Response::Error);
        }
        // Reads of key headers alone (strings, EXISTS, TYPE, TTL, WATCH's stamps) read each
        // record once: no point-in-time view needed. Anything that reads several records of one
        // key, or walks keys, gets one.
        let txn = match q {
            Query::Kv(_)
            | Query::Keys(
                key_ops::Query::Exists { .. }
                | key_ops::Query::Type { .. }
                | key_ops::Query::Ttl { .. }
                | key_ops::Query::DbSize { .. }
                | key_ops::Query::Stamps { .. },
            ) => Txn::direct_reader(self),
            _ => Txn::read_only(self),
        };
        self.query_in(&txn, q, now_ms)
    }

    /// Answers a read as `txn` sees the state (a query's view, or a transaction's own writes).
    pub fn query_in(&self, txn: &Txn<'_>, q: &Query, now_ms: i64) -> Response {
        let result = match q {
            Query::Kv(q) => string::query(txn, q, now_ms),
            Query::Keys(q) => generic::query(txn, q, now_ms),
            Query::List(q) => list::query(txn, q, now_ms),
            Query::Hash(q) => hash::query(txn, q, now_ms),
            Query::Set(q) => set::query(txn, q, now_ms),
            Query::ZSet(q) => zset::query(txn, q, now_ms),
            // Logs and groups read the committed state (they are never inside a transaction).
            Query::Log(q) => log::query(self, q),
            Query::Group(q) => group::query(self, q),
            Query::Table(q) => table::query(txn, q),
        };
        result.unwrap_or_else(Response::Error)
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
        if !self.active_expire.load(Ordering::Relaxed) {
            return Vec::new();
        }
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

/// A model's result as apply reports it: refusals are replies, storage errors are failures.
fn settle(result: Result<Response, CommandError>) -> Result<Response, ApplyFailure> {
    match result {
        Ok(r) => Ok(r),
        Err(CommandError::Storage(why)) => Err(ApplyFailure(why)),
        Err(e) => Ok(Response::Error(e)),
    }
}

/// A store in a scratch directory and a way to apply commands to it one at a time, for the
/// models' unit tests.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// Test text as bytes (keys, members, values).
    pub fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    pub struct TestStore {
        pub engine: Engine,
        index: u64,
        _dir: tempfile::TempDir,
    }

    impl Default for TestStore {
        fn default() -> Self {
            TestStore::new()
        }
    }

    impl TestStore {
        pub fn new() -> TestStore {
            let dir = tempfile::tempdir().expect("temp dir");
            let engine = Engine::open(dir.path(), false, Caches::default()).expect("open");
            TestStore {
                engine,
                index: 1 << ENTRY_SHIFT,
                _dir: dir,
            }
        }

        /// Applies one command as its own batch, at `now_ms`, and commits it.
        pub fn apply_at(&mut self, cmd: impl Into<Command>, now_ms: i64) -> Response {
            self.index += 1;
            let ctx = ApplyContext {
                index: self.index,
                now_ms,
                reply: true,
            };
            let mut txn = self.engine.begin();
            let r = self
                .engine
                .apply(&mut txn, &cmd.into(), &ctx)
                .expect("apply");
            self.engine.commit(txn).expect("commit");
            r
        }

        pub fn apply(&mut self, cmd: impl Into<Command>) -> Response {
            self.apply_at(cmd, 1_000)
        }

        pub fn query_at(&self, q: impl Into<Query>, now_ms: i64) -> Response {
            self.engine.query(&q.into(), now_ms)
        }

        pub fn query(&self, q: impl Into<Query>) -> Response {
            self.query_at(q, 1_000)
        }
    }
}

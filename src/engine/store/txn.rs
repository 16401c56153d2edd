//! The write transaction of one group commit, with the bookkeeping every key write needs: the
//! expiry index, per-database counts, and handing old collection versions to the collector.
//! Model code writes key records only through [`Txn::put`] and [`Txn::remove`], so that
//! bookkeeping lives in one place.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;

use crate::command::{CommandError, Db};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::header::Header;
use crate::engine::store::overlay::{Overlay, ScanRange, Source};
use crate::engine::store::space::Space;
use crate::engine::Engine;
use crate::shared::limits::DATABASES;

/// Per-database (keys, keys with TTL) changes made by the transaction.
pub type CountDeltas = [(i64, i64); DATABASES];

/// Key record → (header, or `None` once deleted; whether it must be written back). Hashed with
/// foldhash, seeded per process: SipHash was ~6% of a pipelined MSET, and the seed still keeps
/// clients from choosing keys that collide.
type HeaderCache = HashMap<Vec<u8>, (Option<Header>, bool), foldhash::fast::RandomState>;

pub use crate::engine::store::overlay::Records;

/// A key a speculation read, with its header as the view held it.
type Touched = (Db, Bytes, Option<Header>);

/// The longest record key fjall stores (its keys carry a 16-bit length). Models refuse longer
/// fields and members before writing them ([`keys::MAX_KEY_LEN`]); reads of longer ones find
/// nothing.
const MAX_RECORD_KEY: usize = u16::MAX as usize;

pub struct Txn<'a> {
    pub(crate) engine: &'a Engine,
    pending: Overlay,
    counts: CountDeltas,
    applied: Option<u64>,
    /// Headers read or written by this batch, by key record; `true` marks ones to write back.
    /// Clients hammering one key (a queue, a counter) rewrite its header once per batch instead
    /// of once per command, and read it from here instead of from fjall.
    headers: RefCell<HeaderCache>,
    /// A point-in-time view that committed data is read from (a query); `None`: the writer,
    /// which reads the keyspaces directly.
    view: Option<fjall::Snapshot>,
    /// The log position of the command being applied: the stamp of every key it writes.
    stamp: u64,
    /// A query's transaction: headers are not cached (a read looks each key up once), and keys
    /// found expired are reported for lazy deletion.
    reading: bool,
    /// Keys written since the last [`Txn::take_changed`], when someone wants to know.
    changed: Option<Vec<(Db, Bytes)>>,
    /// A speculation's record of every key header it read first from the view, as it was then.
    touched: Option<RefCell<Vec<Touched>>>,
    /// The clock of the command being applied (see [`Txn::set_stamp`]).
    now_ms: i64,
    /// Key writes so far, never reset: which steps of a transaction wrote is told by it.
    writes: u64,
    /// While the history is recorded: keys written over or removed after their deadline had
    /// passed, since the last [`Txn::take_expired_over`]. Whoever replays the history keeps
    /// such a key until told to drop it (a Redis replica never expires keys on its own).
    expired_over: Option<Vec<(Db, Bytes)>>,
    /// While the history is recorded: which steps of the last transaction wrote something.
    step_writes: Vec<bool>,
    /// A command that writes no key but must be told to followers of the history (PUBLISH).
    effect: bool,
    /// Which change notices the batch raises once committed (see [`Notices`]).
    notices: Notices,
    /// The table definitions' generation when this transaction began, noted before its view
    /// was taken (see `engine::table::defs`).
    schema_generation: u64,
    /// The record cache's generation when this transaction began, noted before its view was
    /// taken: what a miss may fill the cache with.
    record_generation: u64,
}

/// What a committed batch changed that someone may be waiting for: Kafka fetches wait for logs
/// to grow, joins and syncs for groups to move on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Notices {
    pub logs: bool,
    pub groups: bool,
    /// CQL's schema changed: front-ends reload it and tell the clients that registered.
    pub schema: bool,
}

/// A stored header beside the same header if it is live at `now_ms`.
fn with_live(raw: Option<Header>, now_ms: i64) -> (Option<Header>, Option<Header>) {
    let live = raw.clone().filter(|h| !h.is_expired(now_ms));
    (raw, live)
}

impl<'a> Txn<'a> {
    pub(crate) fn new(engine: &'a Engine) -> Txn<'a> {
        Txn {
            engine,
            pending: Overlay::default(),
            counts: [(0, 0); DATABASES],
            applied: None,
            headers: RefCell::new(HashMap::default()),
            view: None,
            stamp: 0,
            reading: false,
            changed: None,
            touched: None,
            now_ms: 0,
            writes: 0,
            expired_over: None,
            step_writes: Vec::new(),
            effect: false,
            notices: Notices::default(),
            schema_generation: engine.table_defs.generation(),
            record_generation: engine.spaces.records.generation(),
        }
    }

    /// A writer's transaction over a point-in-time view, never committed (see
    /// [`crate::engine::store::speculation`]).
    pub(crate) fn speculative(engine: &'a Engine) -> Txn<'a> {
        let txn = Txn::new(engine);
        Txn {
            view: Some(engine.db.snapshot()),
            ..txn
        }
    }

    /// Starts recording the keys whose headers this transaction reads.
    pub(crate) fn track_touched(&mut self) {
        self.touched = Some(RefCell::new(Vec::new()));
    }

    /// The keys recorded by [`Txn::track_touched`] with the change stamp each had in the view
    /// at `now_ms` (`None`: absent or expired), as `WATCH` would have read it.
    pub(crate) fn touched(&self, now_ms: i64) -> Vec<(Db, Bytes, Option<u64>)> {
        let Some(t) = &self.touched else {
            return Vec::new();
        };
        t.borrow()
            .iter()
            .map(|(db, key, h)| {
                let stamp = h
                    .as_ref()
                    .filter(|h| !h.is_expired(now_ms))
                    .map(|h| h.stamp);
                (*db, key.clone(), stamp)
            })
            .collect()
    }

    /// A query's transaction that reads the keyspaces directly: for reads of single records
    /// (GET, MGET), where a point-in-time view would cost more than the read.
    pub(crate) fn direct_reader(engine: &'a Engine) -> Txn<'a> {
        Txn {
            reading: true,
            ..Txn::new(engine)
        }
    }

    /// A transaction that only reads, from one point-in-time view: what queries run on, so
    /// that a model's reads are written once for queries and for transactions (`EXEC`), which
    /// read their own writes.
    pub(crate) fn read_only(engine: &'a Engine) -> Txn<'a> {
        let txn = Txn::new(engine);
        Txn {
            view: Some(engine.db.snapshot()),
            reading: true,
            ..txn
        }
    }

    fn src(&self) -> Source<'_> {
        match &self.view {
            Some(v) => Source::View(&self.engine.spaces, v, self.record_generation),
            None => Source::Direct(&self.engine.spaces, self.record_generation),
        }
    }

    /// Sets the log position and the clock of the command about to apply.
    pub fn set_stamp(&mut self, stamp: u64, now_ms: i64) {
        self.stamp = stamp;
        self.now_ms = now_ms;
    }

    /// Starts (or stops) recording what the history of changes needs (see [`crate::engine::Applied`]):
    /// changed keys, keys written over after their deadline, which steps of a transaction wrote.
    pub fn record_history(&mut self, on: bool) {
        self.track_changes(on);
        self.expired_over = on.then(Vec::new);
    }

    pub(crate) fn recording_history(&self) -> bool {
        self.expired_over.is_some()
    }

    /// Key writes so far (see [`Txn::writes`]).
    pub(crate) fn writes(&self) -> u64 {
        self.writes
    }

    pub(crate) fn take_expired_over(&mut self) -> Vec<(Db, Bytes)> {
        self.expired_over
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// How many keys written over after their deadline are recorded so far.
    pub(crate) fn expired_over_mark(&self) -> usize {
        self.expired_over.as_ref().map_or(0, Vec::len)
    }

    /// Forgets the keys recorded after `mark`: a command that moves or drops keys wholesale
    /// (SWAPDB, FLUSHDB) is replayed as itself, expired keys included, as Redis replays it.
    pub(crate) fn forget_expired_over_since(&mut self, mark: usize) {
        if let Some(e) = self.expired_over.as_mut() {
            e.truncate(mark);
        }
    }

    /// Marks the command applying as one with an effect that is no key write (PUBLISH).
    pub(crate) fn note_effect(&mut self) {
        self.writes += 1;
        self.effect = true;
    }

    pub(crate) fn take_effect(&mut self) -> bool {
        std::mem::take(&mut self.effect)
    }

    pub(crate) fn set_step_writes(&mut self, steps: Vec<bool>) {
        self.step_writes = steps;
    }

    pub(crate) fn take_step_writes(&mut self) -> Vec<bool> {
        std::mem::take(&mut self.step_writes)
    }

    pub(crate) fn note_log_change(&mut self) {
        self.notices.logs = true;
    }

    pub(crate) fn note_group_change(&mut self) {
        self.notices.groups = true;
    }

    pub(crate) fn note_schema_change(&mut self) {
        self.notices.schema = true;
    }

    /// The generation of table definitions this transaction may use from the cache: none
    /// once it changed the schema itself (its own writes are not in the cache).
    pub(crate) fn schema_generation(&self) -> Option<u64> {
        (!self.notices.schema).then_some(self.schema_generation)
    }

    /// The change notices of everything applied so far.
    pub fn notices(&self) -> Notices {
        self.notices
    }

    /// Starts (or stops) recording which keys are written.
    pub fn track_changes(&mut self, on: bool) {
        match (on, self.changed.is_some()) {
            (true, false) => self.changed = Some(Vec::new()),
            (false, true) => self.changed = None,
            _ => {}
        }
    }

    /// The keys written since the last call (empty unless tracking).
    pub fn take_changed(&mut self) -> Vec<(Db, Bytes)> {
        self.changed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn note_change(&mut self, db: Db, key: &[u8], old: Option<&Header>) {
        self.writes += 1;
        if let Some(e) = self.expired_over.as_mut() {
            if old.is_some_and(|h| h.is_expired(self.now_ms))
                && !e.iter().any(|(d, k)| *d == db && k.as_ref() == key)
            {
                e.push((db, Bytes::copy_from_slice(key)));
            }
        }
        if let Some(c) = self.changed.as_mut() {
            if !c.iter().any(|(d, k)| *d == db && k.as_ref() == key) {
                c.push((db, Bytes::copy_from_slice(key)));
            }
        }
    }

    /// Records the Raft index of the last entry this batch applies.
    pub fn set_applied(&mut self, index: u64) {
        self.applied = Some(index);
    }

    /// Writes the cached headers this batch changed into the transaction.
    fn write_back(&mut self) {
        for (record, (header, dirty)) in self.headers.get_mut().drain() {
            if !dirty {
                continue;
            }
            match header {
                Some(h) => self.pending.put(Space::Meta, record, h.encode()),
                None => self.pending.delete(Space::Meta, record),
            }
        }
    }

    pub(crate) fn commit(mut self) -> Result<(Option<u64>, CountDeltas), CommandError> {
        self.write_back();
        if let Some(index) = self.applied {
            self.pending.put(
                Space::Meta,
                keys::APPLIED.to_vec(),
                index.to_be_bytes().to_vec(),
            );
        }
        let engine = self.engine;
        self.pending.commit(&engine.db, &engine.spaces)?;
        Ok((self.applied, self.counts))
    }

    /// The stored header, expired or not.
    pub fn raw_header(&self, db: Db, key: &[u8]) -> Result<Option<Header>, CommandError> {
        self.cached_header(db, key, Option::clone)
    }

    /// The stored header and whether it is live at `now_ms`: callers that overwrite a key pass the
    /// stored one to [`Txn::put`] even when it has expired, so its TTL entry and elements go too.
    pub fn header(
        &self,
        db: Db,
        key: &[u8],
        now_ms: i64,
    ) -> Result<(Option<Header>, Option<Header>), CommandError> {
        Ok(with_live(self.raw_header(db, key)?, now_ms))
    }

    /// The live header of a key, for a reader: a key past its deadline reads as absent (and a
    /// query reports it for deletion through the log).
    pub fn live(&self, db: Db, key: &[u8], now_ms: i64) -> Result<Option<Header>, CommandError> {
        let raw = if self.reading {
            // A reader looks each key up once: no cache, no copy.
            self.read_committed_header(db, key)?
        } else {
            self.raw_header(db, key)?
        };
        match raw {
            Some(h) if h.is_expired(now_ms) => {
                if self.reading {
                    self.engine.saw_expired(db, key);
                }
                Ok(None)
            }
            live => Ok(live),
        }
    }

    /// The committed header of a key, read from the source without the batch's cache.
    fn read_committed_header(&self, db: Db, key: &[u8]) -> Result<Option<Header>, CommandError> {
        if key.len() > keys::MAX_KEY_LEN {
            return Err(CommandError::KeyTooLong(keys::MAX_KEY_LEN));
        }
        match self.src().get(Space::Meta, &keys::key_record(db, key))? {
            None => Ok(None),
            Some(raw) => Ok(Some(Header::decode(&raw).ok_or_else(corrupt)?)),
        }
    }

    /// [`Txn::header`] for a caller that replaces the value without reading it (SET, MSET): the
    /// headers carry no string bytes (see [`Header::shape`]). Each copy of a value is an atomic
    /// update of the client buffer it came from, and SET made four of them.
    pub fn shape(
        &self,
        db: Db,
        key: &[u8],
        now_ms: i64,
    ) -> Result<(Option<Header>, Option<Header>), CommandError> {
        Ok(with_live(self.raw_shape(db, key)?, now_ms))
    }

    /// [`Txn::raw_header`] without a string's bytes, for a caller that overwrites the key
    /// whether it has expired or not (MSET).
    pub fn raw_shape(&self, db: Db, key: &[u8]) -> Result<Option<Header>, CommandError> {
        self.cached_header(db, key, |h| h.as_ref().map(Header::shape))
    }

    /// What `view` makes of the stored header, read once per batch and kept in the cache.
    fn cached_header<T>(
        &self,
        db: Db,
        key: &[u8],
        view: impl FnOnce(&Option<Header>) -> T,
    ) -> Result<T, CommandError> {
        if key.len() > keys::MAX_KEY_LEN {
            return Err(CommandError::KeyTooLong(keys::MAX_KEY_LEN));
        }
        if self.reading {
            return Ok(view(&self.read_committed_header(db, key)?));
        }
        let record = keys::key_record(db, key);
        if let Some((h, _)) = self.headers.borrow().get(&record) {
            return Ok(view(h));
        }
        let h = match self.pending.read(Space::Meta, self.src(), &record)? {
            None => None,
            Some(raw) => Some(Header::decode(&raw).ok_or_else(corrupt)?),
        };
        let seen = view(&h);
        if let Some(t) = &self.touched {
            t.borrow_mut()
                .push((db, Bytes::copy_from_slice(key), h.clone()));
        }
        self.headers.borrow_mut().insert(record, (h, false));
        Ok(seen)
    }

    /// Writes `new` over `old` (the stored header, live or expired, or none).
    pub fn put(&mut self, db: Db, key: &[u8], old: Option<&Header>, mut new: Header) {
        new.stamp = self.stamp;
        self.note_change(db, key, old);
        let d = &mut self.counts[db as usize % DATABASES];
        match old {
            None => {
                d.0 += 1;
                d.1 += i64::from(new.expire_at.is_some());
            }
            Some(old) => {
                d.1 += i64::from(new.expire_at.is_some()) - i64::from(old.expire_at.is_some());
                if old.expire_at != new.expire_at {
                    if let Some(at) = old.expire_at {
                        self.pending
                            .delete(Space::Meta, keys::expiry_entry(at, db, key));
                    }
                }
                if let Some(elements) = old.elements() {
                    if new.elements() != Some(elements) {
                        self.discard_version(elements);
                    }
                }
            }
        }
        if let Some(at) = new.expire_at {
            if old.and_then(|o| o.expire_at) != Some(at) {
                self.pending
                    .put(Space::Meta, keys::expiry_entry(at, db, key), Vec::new());
            }
        }
        self.headers
            .get_mut()
            .insert(keys::key_record(db, key), (Some(new), true));
    }

    /// Deletes the key whose stored header is `old`. Its elements, if any, are left to the
    /// collector, so this is O(1) whatever the collection's size.
    pub fn remove(&mut self, db: Db, key: &[u8], old: &Header) {
        if let Some(elements) = old.elements() {
            self.discard_version(elements);
        }
        self.detach(db, key, old);
    }

    /// Deletes the key record but not its elements: they were moved to another key (RENAME) or
    /// are already gone (a list popped empty).
    pub fn detach(&mut self, db: Db, key: &[u8], old: &Header) {
        self.note_change(db, key, Some(old));
        let d = &mut self.counts[db as usize % DATABASES];
        d.0 -= 1;
        d.1 -= i64::from(old.expire_at.is_some());
        if let Some(at) = old.expire_at {
            self.pending
                .delete(Space::Meta, keys::expiry_entry(at, db, key));
        }
        self.headers
            .get_mut()
            .insert(keys::key_record(db, key), (None, true));
    }

    /// Hands a collection version to the background collector.
    pub fn discard_version(&mut self, (space, version): (Space, u64)) {
        self.pending
            .put(Space::Meta, keys::garbage(version), vec![space.tag()]);
    }

    /// Hands every record under `owner version` in `space` to the background collector (a
    /// dropped or truncated table's rows), so the command that discards them is O(1).
    pub fn discard_owned_version(&mut self, space: Space, owner: &[u8], version: u64) {
        self.pending.put(
            Space::Meta,
            keys::owned_garbage(version, owner),
            vec![space.tag()],
        );
    }

    /// A record of a model's keyspace, as this batch sees it. A key longer than the store takes
    /// can hold nothing (a SISMEMBER of a 100 KB member): it reads as absent.
    pub fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
        if key.len() > MAX_RECORD_KEY {
            return Ok(None);
        }
        self.pending.read(space, self.src(), key)
    }

    /// Writes a record of a model's keyspace (never `meta`: key records go through
    /// [`Txn::put`]).
    pub fn put_record(&mut self, space: Space, key: Vec<u8>, value: Vec<u8>) {
        self.pending.put(space, key, value);
    }

    pub fn delete_record(&mut self, space: Space, key: Vec<u8>) {
        if key.len() <= MAX_RECORD_KEY {
            self.pending.delete(space, key);
        }
    }

    /// Deletes every record of a model's keyspace under `prefix` (a topic, a group's offsets).
    pub fn delete_prefix(&mut self, space: Space, prefix: &[u8]) -> Result<(), CommandError> {
        loop {
            let chunk = self.scan(space, &ScanRange::prefix(prefix, 1024))?;
            if chunk.is_empty() {
                return Ok(());
            }
            for (k, _) in chunk {
                self.delete_record(space, k);
            }
        }
    }

    /// Records of a model's keyspace in a range, as this batch sees them.
    pub fn scan(&self, space: Space, range: &ScanRange<'_>) -> Result<Records, CommandError> {
        self.pending.scan(space, self.src(), range)
    }

    pub fn get_element(&self, version: u64, index: i64) -> Result<Option<Bytes>, CommandError> {
        Ok(self
            .get(Space::Lists, &keys::element(version, index))?
            .map(Bytes::from))
    }

    pub fn put_element(&mut self, version: u64, index: i64, value: &[u8]) {
        self.pending.put(
            Space::Lists,
            keys::element(version, index).to_vec(),
            value.to_vec(),
        );
    }

    pub fn remove_element(&mut self, version: u64, index: i64) {
        self.pending
            .delete(Space::Lists, keys::element(version, index).to_vec());
    }

    /// Elements `from..to` (list indexes, not positions) of a version, in order or reversed.
    pub fn elements(
        &self,
        version: u64,
        from: i64,
        to: i64,
        reverse: bool,
    ) -> Result<Vec<(i64, Bytes)>, CommandError> {
        self.elements_limited(version, from, to, reverse, usize::MAX)
    }

    /// [`Txn::elements`], at most `limit` of them.
    pub fn elements_limited(
        &self,
        version: u64,
        from: i64,
        to: i64,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(i64, Bytes)>, CommandError> {
        if from >= to {
            return Ok(Vec::new());
        }
        let (prefix, lo, hi) = (
            keys::version_prefix(version),
            keys::element(version, from),
            keys::element(version, to),
        );
        let range = ScanRange {
            prefix: &prefix,
            from: &lo,
            to: Some(&hi),
            reverse,
            limit,
        };
        let records = self.scan(Space::Lists, &range)?;
        records
            .into_iter()
            .map(|(k, v)| {
                let (_, index) = keys::decode_element(&k).ok_or_else(corrupt)?;
                Ok((index, Bytes::from(v)))
            })
            .collect()
    }

    /// Keys of the meta keyspace under `prefix`, for whole-database operations.
    pub fn meta_keys(&mut self, prefix: &[u8], limit: usize) -> Result<Records, CommandError> {
        // A scan must see this batch's header changes.
        self.write_back();
        self.pending
            .scan(Space::Meta, self.src(), &ScanRange::prefix(prefix, limit))
    }

    /// Writes a record of the node's own (the applied log id, the membership, blocked clients).
    pub fn put_meta(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.pending.put(Space::Meta, key, value);
    }

    pub fn remove_meta(&mut self, key: &[u8]) {
        self.pending.delete(Space::Meta, key.to_vec());
    }

    /// Up to `limit` keys of a discarded version (named by its record prefix).
    pub fn version_elements(
        &self,
        space: Space,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, CommandError> {
        let records = self.scan(space, &ScanRange::prefix(prefix, limit))?;
        Ok(records.into_iter().map(|(k, _)| k).collect())
    }

    /// Counts keys that expired (INFO `expired_keys`), including ones written with a deadline
    /// that had already passed when the command applied.
    pub fn count_expired(&self, n: u64) {
        self.engine
            .expired_keys
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Adjusts the counts for keys dropped wholesale (FLUSHDB).
    pub(crate) fn count_removed(&mut self, db: Db, keys: i64, expires: i64) {
        let d = &mut self.counts[db as usize % DATABASES];
        d.0 -= keys;
        d.1 -= expires;
    }
}

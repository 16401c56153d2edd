//! KEYS and SCAN: walks key records in (database, hash slot, key) order.
//!
//! A SCAN cursor must be a number, but our position is a key. The cursor names an entry in a
//! bounded table of positions, with the hash slot of that position in its high bits: if the entry
//! was evicted, the scan resumes at the start of that slot, which may repeat keys (Redis allows
//! that) but never skips one.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::command::{CommandError, Db, KeyType, Response};
use crate::engine::keys;
use crate::engine::store::header::Header;
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::Txn;
use crate::shared::glob::glob_match;

/// Positions remembered for open SCAN iterations.
const MAX_CURSORS: usize = 100_000;
const SLOT_SHIFT: u32 = 40;
/// Records a SCAN examines beyond COUNT when all of them are filtered out, at most.
const MAX_SCAN_WORK: u64 = 100_000;

#[derive(Default)]
pub(crate) struct Cursors {
    inner: Mutex<CursorTable>,
}

#[derive(Default)]
struct CursorTable {
    next_id: u64,
    positions: HashMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
}

impl Cursors {
    /// Remembers a position (a record key) and returns its cursor; `slot` is where a scan
    /// resumes if the position was forgotten (a hash slot for keys, 0 within a collection).
    pub(crate) fn save(&self, record: &[u8], slot: u16) -> u64 {
        let mut t = self.inner.lock();
        t.next_id = (t.next_id + 1) & ((1 << SLOT_SHIFT) - 1);
        if t.next_id == 0 {
            t.next_id = 1;
        }
        let cursor = (u64::from(slot) << SLOT_SHIFT) | t.next_id;
        if t.order.len() >= MAX_CURSORS {
            if let Some(old) = t.order.pop_front() {
                t.positions.remove(&old);
            }
        }
        t.positions.insert(cursor, record.to_vec());
        t.order.push_back(cursor);
        cursor
    }

    pub(crate) fn resolve(&self, cursor: u64) -> Option<Vec<u8>> {
        self.inner.lock().positions.get(&cursor).cloned()
    }
}

/// Key records read per step of a walk over the key space.
const CHUNK: usize = 1024;

/// Walks the records of `space` under `prefix` from `start`, in chunks, until `visit` says stop.
pub(crate) fn walk(
    txn: &Txn<'_>,
    space: Space,
    prefix: &[u8],
    start: Vec<u8>,
    mut visit: impl FnMut(&[u8], &[u8]) -> bool,
) -> Result<(), CommandError> {
    let mut from = start;
    loop {
        let range = ScanRange {
            from: &from,
            ..ScanRange::prefix(prefix, CHUNK)
        };
        let records = txn.scan(space, &range)?;
        let full = records.len() == CHUNK;
        let mut last = None;
        for (k, v) in &records {
            if !visit(k, v) {
                return Ok(());
            }
            last = Some(k);
        }
        match last {
            Some(k) if full => {
                from = k.clone();
                from.push(0);
            }
            _ => return Ok(()),
        }
    }
}

/// [`walk`] with a visitor that may fail (a corrupt record, a failed lookup): the first error
/// ends the walk and is returned.
pub(crate) fn try_walk(
    txn: &Txn<'_>,
    space: Space,
    prefix: &[u8],
    start: Vec<u8>,
    visit: impl FnMut(&[u8], &[u8]) -> Result<bool, CommandError>,
) -> Result<(), CommandError> {
    try_walk_with(txn, space, prefix, start, visit)
}

/// [`try_walk`] for a visitor with its own error type, one a store error converts into (a data
/// set walk that writes a file fails on I/O too).
pub(crate) fn try_walk_with<E: From<CommandError>>(
    txn: &Txn<'_>,
    space: Space,
    prefix: &[u8],
    start: Vec<u8>,
    mut visit: impl FnMut(&[u8], &[u8]) -> Result<bool, E>,
) -> Result<(), E> {
    let mut failed = None;
    walk(txn, space, prefix, start, |k, v| match visit(k, v) {
        Ok(go) => go,
        Err(e) => {
            failed = Some(e);
            false
        }
    })?;
    failed.map_or(Ok(()), Err)
}

/// `KEYS pattern`.
pub(crate) fn keys(
    txn: &Txn<'_>,
    db: Db,
    pattern: &[u8],
    now: i64,
) -> Result<Response, CommandError> {
    let mut out = Vec::new();
    let prefix = keys::db_prefix(db);
    walk(txn, Space::Meta, &prefix, prefix.to_vec(), |k, v| {
        if let Some((_, _, key)) = keys::decode_key_record(k) {
            if glob_match(pattern, key) && Header::decode(v).is_some_and(|h| !h.is_expired(now)) {
                out.push(Response::Bulk(Bytes::copy_from_slice(key)));
            }
        }
        true
    })?;
    Ok(Response::Array(out))
}

/// One `SCAN` step.
pub(crate) fn scan(txn: &Txn<'_>, q: &ScanArgs<'_>, now: i64) -> Result<Response, CommandError> {
    let engine = txn.engine;
    let ScanArgs {
        db,
        cursor,
        pattern,
        count,
        key_type,
    } = q;
    let prefix = keys::db_prefix(*db);
    let start: Vec<u8> = if *cursor == 0 {
        prefix.to_vec()
    } else {
        // A cursor of another database (or of an HSCAN) is no position here.
        match engine
            .cursors
            .resolve(*cursor)
            .filter(|p| p.starts_with(&prefix))
        {
            // Exclusive of the last key returned.
            Some(mut last) => {
                last.push(0);
                last
            }
            None => {
                let slot = ((*cursor >> SLOT_SHIFT) as u16).min(keys::SLOTS - 1);
                keys::slot_prefix(*db, slot).to_vec()
            }
        }
    };
    let mut out = Vec::new();
    let mut examined = 0u64;
    let mut next = 0u64;
    let want = (*count).max(1);
    walk(txn, Space::Meta, &prefix, start, |k, v| {
        let Some((_, slot, key)) = keys::decode_key_record(k) else {
            return true;
        };
        examined += 1;
        let keep = pattern.as_ref().is_none_or(|p| glob_match(p, key))
            && match Header::decode(v) {
                Some(h) if !h.is_expired(now) => key_type.is_none_or(|t| t == Some(h.key_type())),
                _ => false,
            };
        if keep {
            out.push(Response::Bulk(Bytes::copy_from_slice(key)));
        }
        if step_done(examined, want, !out.is_empty()) {
            next = engine.cursors.save(k, slot);
            return false;
        }
        true
    })?;
    Ok(scan_page(next, out))
}

/// Where one `HSCAN`, `SSCAN` or `ZSCAN` step walks: the records of one collection version.
pub(crate) struct CollScan<'a> {
    pub space: Space,
    /// Every record the scan returns, and no other, starts with this.
    pub prefix: &'a [u8],
    /// The collection's length: one of at most `whole_up_to` comes in one step whatever the
    /// COUNT, as Redis returns its compact encodings.
    pub len: u64,
    pub whole_up_to: u64,
    /// The name of a record key, which MATCH applies to; `None` is a corrupt record.
    pub name: fn(&[u8]) -> Option<&[u8]>,
}

/// One `HSCAN`, `SSCAN` or `ZSCAN` step from `cursor`: about `count` records examined (a small
/// collection whole), those whose name matches `pattern` turned into reply items by `items`,
/// and the cursor of the next step, 0 once nothing is left. A cursor names the last record
/// examined, so records written or deleted between steps never make the scan skip one that was
/// there throughout; one the table forgot (or another collection's) restarts the scan, which
/// may repeat records.
///
/// A `count` of 0 is how the front-ends mark malformed options: Redis reports them only once
/// the key is found (a missing key answers `scan_page(0, [])` without coming here).
pub(crate) fn coll_scan(
    txn: &Txn<'_>,
    at: &CollScan<'_>,
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
    mut items: impl FnMut(&[u8], &[u8], &mut Vec<Response>) -> Result<(), CommandError>,
) -> Result<Response, CommandError> {
    if count == 0 {
        return Err(CommandError::Syntax);
    }
    let cursors = &txn.engine.cursors;
    let start = match cursors.resolve(cursor) {
        // Exclusive of the last record examined.
        Some(mut last) if cursor != 0 && last.starts_with(at.prefix) => {
            last.push(0);
            last
        }
        _ => at.prefix.to_vec(),
    };
    let want = if at.len <= at.whole_up_to {
        u64::MAX
    } else {
        count
    };
    let mut out = Vec::new();
    let (mut examined, mut last, mut more) = (0u64, None, false);
    try_walk(txn, at.space, at.prefix, start, |k, v| {
        if last.is_some() {
            more = true;
            return Ok(false);
        }
        let n = (at.name)(k).ok_or_else(crate::engine::corrupt)?;
        examined += 1;
        if pattern.is_none_or(|p| glob_match(p, n)) {
            items(n, v, &mut out)?;
        }
        if step_done(examined, want, !out.is_empty()) {
            last = Some(k.to_vec());
        }
        Ok(true)
    })?;
    let next = match last {
        Some(k) if more => cursors.save(&k, 0),
        _ => 0,
    };
    Ok(scan_page(next, out))
}

/// Whether a scan step that examined `examined` records for a COUNT of `want` stops: once it
/// found something, or examined `MAX_SCAN_WORK` records more without.
fn step_done(examined: u64, want: u64, found: bool) -> bool {
    examined >= want && (found || examined >= want.saturating_add(MAX_SCAN_WORK))
}

/// `[cursor, [items]]`: a flat array in both protocols.
pub(crate) fn scan_page(next: u64, items: Vec<Response>) -> Response {
    Response::Array(vec![
        Response::bulk(next.to_string()),
        Response::Array(items),
    ])
}

/// The arguments of one `SCAN` step.
pub(crate) struct ScanArgs<'a> {
    pub db: Db,
    pub cursor: u64,
    pub pattern: Option<&'a [u8]>,
    pub count: u64,
    pub key_type: Option<Option<KeyType>>,
}

//! A batch's writes before they are committed, readable by the commands that follow them in the
//! same batch, then committed as one fjall write batch (one journal write, one memtable insert per
//! key).
//!
//! fjall's own write transaction gives the same read-your-writes, but it keeps the pending writes
//! in a skiplist memtable and copies them into a batch at commit: two skiplist inserts per key.
//! The writer is the only writer, so reads of committed data need no snapshot, and a sorted map
//! over the few keys a batch touches is all the isolation it needs.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use fjall::{Database, OwnedWriteBatch, Readable};

use crate::command::CommandError;
use crate::engine::store::space::{self, Space, Spaces};

/// Where reads of committed data go: straight to the keyspaces (the writer, which is the only
/// writer, needs no isolation) or to a point-in-time view (a query that reads several records).
/// Both carry the record cache's generation noted before the view was taken, so that a miss
/// may fill the cache (see [`crate::engine::store::records`]).
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Direct(&'a Spaces, u64),
    View(&'a Spaces, &'a fjall::Snapshot, u64),
}

impl Source<'_> {
    pub fn get(&self, space: Space, key: &[u8]) -> Result<Option<fjall::Slice>, CommandError> {
        let (spaces, generation) = match self {
            Source::Direct(s, g) | Source::View(s, _, g) => (*s, *g),
        };
        let cached = spaces.records.is_cached(space);
        if cached {
            if let Some(v) = spaces.records.get(space, key) {
                return Ok(Some(v));
            }
        }
        let v = match self {
            Source::Direct(s, _) => s.get(space).get(key)?,
            Source::View(s, v, _) => v.get(s.get(space), key)?,
        };
        if let (true, Some(v)) = (cached, &v) {
            spaces.records.fill(space, key, v, generation);
        }
        Ok(v)
    }

    fn range(&self, space: Space, from: Vec<u8>, to: Option<Vec<u8>>) -> fjall::Iter {
        match (self, to) {
            (Source::Direct(s, _), Some(t)) => s.get(space).range(from..t),
            (Source::Direct(s, _), None) => s.get(space).range(from..),
            (Source::View(s, v, _), Some(t)) => v.range(s.get(space), from..t),
            (Source::View(s, v, _), None) => v.range(s.get(space), from..),
        }
    }
}

/// `None` marks a deletion.
type Pending = Option<Vec<u8>>;

/// A raw key/value pair read through the overlay.
pub type Record = (Vec<u8>, Vec<u8>);
pub type Records = Vec<Record>;

/// Which keys a [`Overlay::scan`] reads.
pub struct ScanRange<'a> {
    /// Every key read starts with this.
    pub prefix: &'a [u8],
    /// Inclusive lower bound.
    pub from: &'a [u8],
    /// Exclusive upper bound; `None`: the end of the prefix.
    pub to: Option<&'a [u8]>,
    pub reverse: bool,
    pub limit: usize,
}

impl<'a> ScanRange<'a> {
    /// Every key under `prefix`, in order.
    pub fn prefix(prefix: &'a [u8], limit: usize) -> ScanRange<'a> {
        ScanRange {
            prefix,
            from: prefix,
            to: None,
            reverse: false,
            limit,
        }
    }
}

/// Pending writes, one sorted map per keyspace (indexed by [`Space`]).
#[derive(Default)]
pub struct Overlay {
    entries: [BTreeMap<Vec<u8>, Pending>; space::COUNT],
}

impl Overlay {
    fn map(&self, space: Space) -> &BTreeMap<Vec<u8>, Pending> {
        &self.entries[space as usize]
    }

    pub fn put(&mut self, space: Space, key: Vec<u8>, value: Vec<u8>) {
        self.entries[space as usize].insert(key, Some(value));
    }

    pub fn delete(&mut self, space: Space, key: Vec<u8>) {
        self.entries[space as usize].insert(key, None);
    }

    /// The batch's own write of a key: `Some(None)` if it deleted it, `None` if it did not touch it.
    pub fn get(&self, space: Space, key: &[u8]) -> Option<&Pending> {
        self.map(space).get(key)
    }

    /// Reads `key` as the batch sees it: its own write, or the committed value.
    pub fn read(
        &self,
        space: Space,
        src: Source<'_>,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, CommandError> {
        match self.get(space, key) {
            Some(pending) => Ok(pending.clone()),
            None => Ok(src.get(space, key)?.map(|v| v.to_vec())),
        }
    }

    /// Keys starting with `prefix`, from `from` (inclusive) to `to` (exclusive, or the end of the
    /// prefix), as the batch sees them, in order or reversed, at most `limit`.
    pub fn scan(
        &self,
        space: Space,
        src: Source<'_>,
        r: &ScanRange<'_>,
    ) -> Result<Records, CommandError> {
        let (prefix, from, reverse, limit) = (r.prefix, r.from, r.reverse, r.limit);
        let end = r.to.map(<[u8]>::to_vec).or_else(|| prefix_end(prefix));
        let to = end.as_deref();
        let in_range = |k: &[u8]| k.starts_with(prefix) && k >= from && to.is_none_or(|t| k < t);
        let mut pending: Vec<(&[u8], &Pending)> = self
            .map(space)
            .range::<[u8], _>((Bound::Included(from), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_slice(), v))
            .filter(|(k, _)| in_range(k))
            .collect();
        let stored = src.range(space, from.to_vec(), to.map(<[u8]>::to_vec));
        let mut stored: Box<dyn Iterator<Item = fjall::Guard>> = if reverse {
            pending.reverse();
            Box::new(stored.rev())
        } else {
            Box::new(stored)
        };
        let order = |a: &[u8], b: &[u8]| if reverse { b.cmp(a) } else { a.cmp(b) };
        let mut out = Vec::new();
        let mut next_stored = next_in(&mut stored, &in_range)?;
        let mut p = 0;
        while out.len() < limit {
            let take_pending = match (&next_stored, pending.get(p)) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((sk, _)), Some((pk, _))) => match order(sk, pk) {
                    Ordering::Less => false,
                    Ordering::Greater => true,
                    Ordering::Equal => {
                        // The batch's write shadows the committed one.
                        next_stored = next_in(&mut stored, &in_range)?;
                        true
                    }
                },
            };
            if take_pending {
                let (k, v) = pending[p];
                p += 1;
                if let Some(v) = v {
                    out.push((k.to_vec(), v.clone()));
                }
            } else if let Some(kv) = next_stored.take() {
                out.push(kv);
                next_stored = next_in(&mut stored, &in_range)?;
            }
        }
        Ok(out)
    }

    /// Commits everything as one atomic fjall batch, left in the journal's buffer: the Raft log
    /// is the write-ahead log, so a batch the process dies with is applied again from the log on
    /// restart. [`crate::engine::Engine::sync`] writes it out and fsyncs it before the log may be purged.
    pub fn commit(self, db: &Database, spaces: &Spaces) -> Result<(), CommandError> {
        if self.entries.iter().all(BTreeMap::is_empty) {
            return Ok(());
        }
        let mut batch: OwnedWriteBatch = db.batch().durability(None);
        // By reference: fjall copies keys and values into its own slices either way, and the
        // record cache learns the cached keyspaces' writes once they are in fjall.
        for ((_, ks), writes) in spaces.all().zip(&self.entries) {
            for (key, value) in writes {
                match value {
                    Some(v) => batch.insert(ks, key.as_slice(), v.as_slice()),
                    None => batch.remove(ks, key.as_slice()),
                }
            }
        }
        batch.commit()?;
        let cached = spaces
            .all()
            .zip(&self.entries)
            .filter(|((space, _), writes)| spaces.records.is_cached(*space) && !writes.is_empty());
        let mut cached = cached.peekable();
        if cached.peek().is_some() {
            spaces
                .records
                .committed(cached.flat_map(|((space, _), writes)| {
                    writes
                        .iter()
                        .map(move |(k, v)| (space, k.as_slice(), v.as_deref()))
                }));
        }
        Ok(())
    }
}

/// The next stored pair, or `None` once the iterator leaves the range.
fn next_in(
    iter: &mut dyn Iterator<Item = fjall::Guard>,
    in_range: &impl Fn(&[u8]) -> bool,
) -> Result<Option<Record>, CommandError> {
    match iter.next() {
        None => Ok(None),
        Some(kv) => {
            let (k, v) = kv.into_inner()?;
            Ok(in_range(&k).then(|| (k.to_vec(), v.to_vec())))
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: there is none).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends_bound_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    }

    #[test]
    fn scans_merge_pending_writes_over_committed_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::builder(dir.path()).open().expect("db");
        let spaces = Spaces::open(&db, 0).expect("keyspaces");
        for k in [b"p1", b"p3", b"p5", b"q0"] {
            spaces
                .get(Space::Meta)
                .insert(k.to_vec(), b"old".to_vec())
                .expect("insert");
        }
        let ks = Source::Direct(&spaces, 0);
        let mut o = Overlay::default();
        o.put(Space::Meta, b"p2".to_vec(), b"new".to_vec());
        o.put(Space::Meta, b"p3".to_vec(), b"new".to_vec());
        o.delete(Space::Meta, b"p5".to_vec());
        o.put(Space::Lists, b"p4".to_vec(), b"other space".to_vec());
        let keys = |r: Records| {
            r.into_iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(&k).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let all = o
            .scan(Space::Meta, ks, &ScanRange::prefix(b"p", usize::MAX))
            .expect("scan");
        assert_eq!(
            keys(all),
            [
                ("p1".into(), "old".into()),
                ("p2".into(), "new".into()),
                ("p3".into(), "new".into())
            ]
        );
        let rev = ScanRange {
            reverse: true,
            limit: 2,
            ..ScanRange::prefix(b"p", 0)
        };
        let rev = o.scan(Space::Meta, ks, &rev).expect("scan");
        assert_eq!(
            keys(rev),
            [("p3".into(), "new".into()), ("p2".into(), "new".into())]
        );
        let bounded = ScanRange {
            from: b"p2",
            to: Some(b"p3"),
            ..ScanRange::prefix(b"p", 10)
        };
        let bounded = o.scan(Space::Meta, ks, &bounded).expect("scan");
        assert_eq!(keys(bounded), [("p2".into(), "new".into())]);
        assert_eq!(o.read(Space::Meta, ks, b"p5").expect("read"), None);
        assert_eq!(
            o.read(Space::Meta, ks, b"p1").expect("read"),
            Some(b"old".to_vec())
        );
    }
}

//! A bounded cache of whole records in front of fjall, for the keyspaces whose point reads are
//! the hot path (today CQL rows: a select by primary key and the read-before-write of every
//! insert). A hit costs a hash lookup; a miss costs fjall's memtable skiplist descent, a bloom
//! filter and an index and data block per table (about 7 µs on a 1M-row table, measured with
//! `perf` on `bench/cql`: two thirds of a point select).
//!
//! Never stale, on any replica: the apply path updates it right after its batch reaches fjall
//! (a put replaces a cached record, a delete drops it). A reader that missed fills the
//! cache with what its view read, but only if no batch committed since before the view was
//! taken ([`RecordCache::generation`] noted first, checked under the fill lock that the writer
//! holds while it updates the cache): otherwise its value may be older than the record.
//!
//! quick_cache (already under fjall's block cache) gives the bound by bytes and the eviction
//! (S3-FIFO-like: a record read once does not push out the ones read often).

use std::sync::atomic::{AtomicU64, Ordering};

use fjall::Slice;
use quick_cache::Weighter;

use crate::engine::store::space::{self, Space};

/// Bytes an entry costs beyond its key and value (the cache's own bookkeeping, measured as the
/// RSS growth per entry, rounded up).
const ENTRY_OVERHEAD: u64 = 64;

#[derive(Clone)]
struct Weigh;

impl Weighter<Vec<u8>, Slice> for Weigh {
    fn weight(&self, key: &Vec<u8>, value: &Slice) -> u64 {
        key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
    }
}

type Cache = quick_cache::sync::Cache<
    Vec<u8>,
    Slice,
    Weigh,
    foldhash::fast::RandomState,
    quick_cache::sync::DefaultLifecycle<Vec<u8>, Slice>,
>;

/// The keyspaces that are cached.
fn cached(space: Space) -> bool {
    space == Space::CqlRows
}

/// Largest record kept: a large row would push out many small ones for one read.
const MAX_RECORD: usize = 16 << 10;

pub struct RecordCache {
    by_space: [Option<Cache>; space::COUNT],
    generation: AtomicU64,
    fills: parking_lot::RwLock<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl RecordCache {
    /// A cache of at most `bytes` (keys, values and overhead); 0 disables it.
    pub fn new(bytes: u64) -> RecordCache {
        let by_space = std::array::from_fn(|i| {
            let space = space::SPACES[i].0;
            (bytes > 0 && cached(space)).then(|| {
                // Items are estimated for the shard count; the weight is what bounds it.
                let items = (bytes / 256).max(64) as usize;
                Cache::with(
                    items,
                    bytes,
                    Weigh,
                    foldhash::fast::RandomState::default(),
                    quick_cache::sync::DefaultLifecycle::default(),
                )
            })
        });
        RecordCache {
            by_space,
            generation: AtomicU64::new(0),
            fills: parking_lot::RwLock::new(()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn of(&self, space: Space) -> Option<&Cache> {
        self.by_space[space as usize].as_ref()
    }

    pub fn is_cached(&self, space: Space) -> bool {
        self.of(space).is_some()
    }

    /// Noted by a reader before it takes its view; [`RecordCache::fill`] compares it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached record, if any (an absent record is never cached).
    pub fn get(&self, space: Space, key: &[u8]) -> Option<Slice> {
        let found = self.of(space)?.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps what a reader read at `generation`, unless a batch committed since.
    pub fn fill(&self, space: Space, key: &[u8], value: &Slice, generation: u64) {
        let Some(cache) = self.of(space) else { return };
        if value.len() > MAX_RECORD {
            return;
        }
        let _fill = self.fills.read();
        if self.generation.load(Ordering::Acquire) == generation {
            cache.insert(key.to_vec(), value.clone());
        }
    }

    /// The writer's side, right after a batch committed: `writes` are its (space, key, value)
    /// records, `None` for a deletion.
    pub fn committed<'a>(&self, writes: impl Iterator<Item = (Space, &'a [u8], Option<&'a [u8]>)>) {
        let _fills = self.fills.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        for (space, key, value) in writes {
            let Some(cache) = self.of(space) else {
                continue;
            };
            match value {
                // A record that is cached gets its new value; one that is not stays out: the
                // writes of a bulk load would otherwise cost an insert (and an eviction) each
                // and push out what readers use (measured: inserts into a 1M-row table fell
                // from ~65k/s to ~50k/s when every write was cached).
                Some(v) if v.len() <= MAX_RECORD => {
                    if cache.contains_key(key) {
                        let _ = cache.replace(key.to_vec(), Slice::from(v), false);
                    }
                }
                _ => {
                    cache.remove(key);
                }
            }
        }
    }

    /// Forgets everything (a snapshot replaces the store).
    pub fn clear(&self) {
        let _fills = self.fills.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        for cache in self.by_space.iter().flatten() {
            cache.clear();
        }
    }

    /// (hits, misses, entries, bytes) over every cached keyspace, for /metrics.
    pub fn stats(&self) -> (u64, u64, u64, u64) {
        let (entries, bytes) = self
            .by_space
            .iter()
            .flatten()
            .fold((0, 0), |(n, b), c| (n + c.len() as u64, b + c.weight()));
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_from_before_a_commit_is_refused() {
        let c = RecordCache::new(1 << 20);
        let g = c.generation();
        c.committed([(Space::CqlRows, &b"k"[..], Some(&b"new"[..]))].into_iter());
        c.fill(Space::CqlRows, b"k", &Slice::from(&b"old"[..]), g);
        assert_eq!(
            c.get(Space::CqlRows, b"k"),
            None,
            "a write does not fill it"
        );
        c.fill(
            Space::CqlRows,
            b"k",
            &Slice::from(&b"new"[..]),
            c.generation(),
        );
        let g = c.generation();
        c.committed([(Space::CqlRows, &b"k"[..], Some(&b"newer"[..]))].into_iter());
        c.fill(Space::CqlRows, b"k", &Slice::from(&b"new"[..]), g);
        assert_eq!(c.get(Space::CqlRows, b"k").as_deref(), Some(&b"newer"[..]));
        c.committed([(Space::CqlRows, &b"k"[..], None)].into_iter());
        c.fill(Space::CqlRows, b"k", &Slice::from(&b"new"[..]), g + 1);
        assert_eq!(c.get(Space::CqlRows, b"k"), None);
        let now = c.generation();
        c.fill(Space::CqlRows, b"k", &Slice::from(&b"read"[..]), now);
        assert_eq!(c.get(Space::CqlRows, b"k").as_deref(), Some(&b"read"[..]));
    }

    #[test]
    fn only_cached_spaces_and_small_records_are_kept() {
        let c = RecordCache::new(1 << 20);
        c.committed([(Space::Meta, &b"k"[..], Some(&b"v"[..]))].into_iter());
        assert_eq!(c.get(Space::Meta, b"k"), None);
        let big = vec![0u8; MAX_RECORD + 1];
        c.fill(Space::CqlRows, b"b", &Slice::from(&big[..]), c.generation());
        assert_eq!(c.get(Space::CqlRows, b"b"), None);
        c.clear();
        assert_eq!(c.stats().2, 0);
    }

    #[test]
    fn the_bound_holds() {
        let c = RecordCache::new(64 << 10);
        for i in 0..10_000u32 {
            let k = i.to_be_bytes();
            c.fill(
                Space::CqlRows,
                &k,
                &Slice::from(&[7u8; 100][..]),
                c.generation(),
            );
        }
        assert!(c.stats().3 <= 64 << 10, "{:?}", c.stats());
    }
}

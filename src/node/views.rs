//! What the node offers the front-ends besides `execute` and `query`: a speculative execution
//! (a Redis script's calls, a CQL lightweight transaction's read), a point-in-time view of the
//! data set (the RDB file of a Redis replica), the changes as applied (its command stream) and
//! the store's statistics. The front-ends reach the engine through these alone.

use std::sync::atomic::Ordering;

use super::{now_ms, Node};
use crate::command::Db;
pub use crate::engine::store::dump::{DatasetView, Element, Shape, Visitor};
pub use crate::engine::store::speculation::Speculation;
pub use crate::engine::Applied;

impl Node {
    /// A view of local state to run commands in without committing them; call
    /// [`Node::linearize`] first for one that holds every write acknowledged before.
    pub fn speculate(&self) -> Speculation<'_> {
        self.engine.speculate(now_ms())
    }

    /// One point-in-time view of every database, to walk.
    pub fn dataset_view(&self) -> DatasetView<'_> {
        self.engine.dataset_view()
    }

    /// Bytes the store occupies on disk.
    pub fn disk_space(&self) -> u64 {
        self.engine.disk_space()
    }

    /// The log index of the last entry applied here.
    pub fn applied_index(&self) -> u64 {
        self.engine.applied_index()
    }

    /// Keys, and keys with a time to live, in `db`.
    pub fn key_counts(&self, db: Db) -> (u64, u64) {
        self.engine.key_counts(db)
    }

    /// The record cache's (hits, misses, entries, bytes).
    pub fn record_cache_stats(&self) -> (u64, u64, u64, u64) {
        self.engine.spaces.records.stats()
    }

    /// Keys deleted by expiry since start (INFO `expired_keys`).
    pub fn expired_keys(&self) -> u64 {
        self.engine.expired_keys.load(Ordering::Relaxed)
    }

    pub fn reset_expired_keys(&self) {
        self.engine.expired_keys.store(0, Ordering::Relaxed);
    }

    /// Whether the active sweeper deletes expired keys (`DEBUG SET-ACTIVE-EXPIRE`).
    pub fn set_active_expire(&self, on: bool) {
        self.engine.active_expire.store(on, Ordering::Relaxed);
    }
}

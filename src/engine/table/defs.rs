//! Table definitions by id, kept decoded: every row read and write needs its table's layout,
//! and reading and decoding it from `cql_schema` each time was a tenth of a point select.
//!
//! The cache is filled by readers and the writer alike and emptied whenever a schema change
//! commits (and around a snapshot install). A generation counter, bumped at each emptying,
//! keeps a reader whose point-in-time view predates a change from filling it with what the
//! change replaced: a transaction notes the generation before it takes its view, and uses or
//! fills the cache only while the generation is still that one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::command::table::schema::TableDef;

/// Definitions kept at most; past it the cache starts over (schemas are small).
const MAX_TABLES: usize = 4096;

/// The generation is read without the lock (every transaction notes it, RESP's included) and
/// changed only under it, so a check made under the lock sees every change made before.
#[derive(Default)]
pub struct TableDefs {
    generation: AtomicU64,
    by_id: Mutex<HashMap<[u8; 16], Arc<TableDef>>>,
}

impl TableDefs {
    /// The generation a transaction notes before it takes its view.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached definition, if the cache still holds the state of `generation`.
    pub fn get(&self, generation: u64, id: &[u8; 16]) -> Option<Arc<TableDef>> {
        let by_id = self.by_id.lock();
        if self.generation() != generation {
            return None;
        }
        by_id.get(id).cloned()
    }

    /// Keeps a definition read at `generation`, unless the schema changed since.
    pub fn fill(&self, generation: u64, def: Arc<TableDef>) {
        let mut by_id = self.by_id.lock();
        if self.generation() != generation {
            return;
        }
        if by_id.len() >= MAX_TABLES {
            by_id.clear();
        }
        by_id.insert(def.id, def);
    }

    /// Forgets everything: the schema changed (called once the change is committed).
    pub fn invalidate(&self) {
        let mut by_id = self.by_id.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        by_id.clear();
    }
}

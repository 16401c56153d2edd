//! The engine's whole state as a stream of records, for Raft snapshots: exported from a fjall
//! snapshot (a consistent point-in-time view, taken in O(1) while writes go on) and installed on
//! a replica that is too far behind for the log.
//!
//! Installing replaces everything. A marker file is written first and removed only once the new
//! state is complete and synced, so a replica that crashed half-way refuses to start with a
//! half-installed state instead of serving it.

use std::path::PathBuf;

use fjall::{Keyspace, PersistMode, Readable};

use crate::command::CommandError;
use crate::engine::keys;
use crate::engine::store::space::{Space, SPACES};
use crate::engine::store::waiters::Waiters;
use crate::engine::Engine;

/// One record: keyspace (its [`Space`] tag), key, value.
pub type Record = (u8, Vec<u8>, Vec<u8>);

const INSTALLING: &str = "INSTALLING_SNAPSHOT";

/// A consistent view of the whole state being read out in chunks.
pub struct Export {
    view: fjall::Snapshot,
    spaces: Vec<(u8, Keyspace)>,
    current: Option<(u8, fjall::Iter)>,
}

impl Export {
    /// A record of the node's own as of this view (applied log id, membership).
    pub fn meta_record(&self, key: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
        let (_, meta) = &self.spaces[0];
        Ok(self.view.get(meta, key)?.map(|v| v.to_vec()))
    }

    /// The next records, about `max_bytes` of them; empty at the end.
    pub fn next_chunk(&mut self, max_bytes: usize) -> Result<Vec<Record>, CommandError> {
        let mut out = Vec::new();
        let mut size = 0;
        while size < max_bytes {
            if self.current.is_none() {
                if self.spaces.is_empty() {
                    break;
                }
                let (tag, ks) = self.spaces.remove(0);
                self.current = Some((tag, self.view.iter(&ks)));
            }
            let Some((tag, iter)) = self.current.as_mut() else {
                break;
            };
            match iter.next() {
                Some(guard) => {
                    let (k, v) = guard.into_inner()?;
                    size += k.len() + v.len() + 8;
                    out.push((*tag, k.to_vec(), v.to_vec()));
                }
                None => self.current = None,
            }
        }
        Ok(out)
    }
}

impl Engine {
    /// Starts reading out the current state.
    pub fn export(&self) -> Export {
        Export {
            view: self.db.snapshot(),
            spaces: self
                .spaces
                .all()
                .map(|(s, ks)| (s.tag(), ks.clone()))
                .collect(),
            current: None,
        }
    }

    fn install_marker(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(INSTALLING))
    }

    /// Whether an install was interrupted: the state is then partial and must not be served.
    pub(crate) fn check_install_marker(dir: &std::path::Path) -> anyhow::Result<()> {
        if dir.join(INSTALLING).exists() {
            anyhow::bail!(
                "{} holds a partly installed snapshot (the node stopped while installing one); \
                 wipe the data directory and start the node with --join to fetch a fresh copy",
                dir.display()
            );
        }
        Ok(())
    }

    /// Drops the whole state before a snapshot's records are loaded.
    pub fn install_begin(&self) -> Result<(), CommandError> {
        if let Some(marker) = self.install_marker() {
            std::fs::write(&marker, b"").map_err(|e| CommandError::Storage(e.to_string()))?;
            if let Ok(f) = std::fs::File::open(&marker) {
                let _ = f.sync_all();
            }
        }
        for (_, ks) in self.spaces.all() {
            ks.clear()?;
        }
        self.pop_hints.lock().clear();
        self.table_defs.invalidate();
        self.spaces.records.clear();
        self.newest_writes.forget();
        Ok(())
    }

    pub fn install_chunk(&self, records: &[Record]) -> Result<(), CommandError> {
        let mut batch = self.db.batch();
        for (tag, k, v) in records {
            let space = Space::from_tag(*tag).ok_or_else(|| {
                CommandError::Storage(format!(
                    "snapshot record of keyspace {tag}; this release has {}",
                    SPACES.len()
                ))
            })?;
            batch.insert(self.spaces.get(space), k.as_slice(), v.as_slice());
        }
        batch.commit()?;
        Ok(())
    }

    /// The loaded state becomes the engine's: synced, counted, its blocked clients queued.
    pub fn install_end(&self) -> Result<(), CommandError> {
        self.db.persist(PersistMode::SyncAll)?;
        self.recount()
            .map_err(|e| CommandError::Storage(e.to_string()))?;
        *self.waiters.lock() =
            Waiters::load(self.meta()).map_err(|e| CommandError::Storage(e.to_string()))?;
        let applied = self.read_applied_index()?;
        self.applied
            .store(applied, std::sync::atomic::Ordering::Relaxed);
        self.table_defs.invalidate();
        // Readers may have filled it from the half-installed store.
        self.spaces.records.clear();
        if let Some(marker) = self.install_marker() {
            std::fs::remove_file(marker).map_err(|e| CommandError::Storage(e.to_string()))?;
        }
        Ok(())
    }

    pub(crate) fn read_applied_index(&self) -> Result<u64, CommandError> {
        Ok(match self.meta().get(keys::APPLIED)? {
            Some(v) => u64::from_be_bytes(
                v.as_ref()
                    .try_into()
                    .map_err(|_| CommandError::Storage("corrupt applied index".into()))?,
            ),
            None => 0,
        })
    }
}

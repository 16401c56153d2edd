//! The machinery every model shares: the write transaction of one group commit and the overlay
//! of its own writes, the keyspaces, key headers, collections' metadata, scans, speculation (a
//! view whose writes are never committed), snapshots, the dump of a data set, the history of
//! applied changes and the queue of blocked clients. Nothing here knows one model's commands.

pub mod coll;
pub mod dump;
pub mod format;
pub mod header;
pub mod history;
pub mod overlay;
pub mod records;
pub mod scan;
pub mod snapshot;
pub mod space;
pub mod speculation;
pub mod txn;
pub mod waiters;

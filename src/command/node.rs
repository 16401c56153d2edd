//! The node's own housekeeping, issued by the leader as ordinary log entries so that every
//! replica does exactly the same: expiry, garbage collection, blocked clients.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::Db;

/// Variants and fields may be added, never reordered: this is part of the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Issued by the expiry sweeper: deletes those of the keys whose deadline has passed at the
    /// time of apply (a key whose TTL changed since the sweeper looked is left alone).
    DeleteExpired { keys: Vec<(Db, Bytes)> },
    /// Issued in the background: removes up to `budget` elements of collections that were deleted
    /// or overwritten (their old version), so that DEL of a large key stays O(1).
    CollectGarbage { budget: u64 },
    /// A client blocks (BLPOP and friends) on `keys`: `attempt` is tried now and, finding
    /// nothing, the client `(owner node, id)` is queued until a change to one of the keys serves
    /// it. Replies with the attempt's reply (nil: queued).
    Block {
        owner: u64,
        id: u64,
        keys: Vec<(Db, Bytes)>,
        attempt: Box<super::Command>,
    },
    /// A blocked client gives up (timeout, disconnect): replies 1 if it was still queued.
    Unblock { owner: u64, id: u64 },
    /// `PUBLISH`: changes nothing; every node delivers the message to its own subscribers as
    /// it applies the entry (see `node::pubsub`). The database is the publisher's, for
    /// followers of the history that replay it in one.
    Publish {
        db: Db,
        channel: Bytes,
        message: Bytes,
    },
}

//! Running commands without committing them, to learn their replies: a Redis script runs its
//! `redis.call`s here, on a point-in-time view with its own writes layered over it, and the node
//! then applies the writes for real as one `Exec` guarded by the change stamps of every key the
//! script touched. If none of those keys changed in between, the writes apply to exactly the
//! state they were computed on and answer the same; if one did, the `Exec` fails and the script
//! runs again. So scripts are atomic on every replica without the state machine running Lua.

use bytes::Bytes;

use crate::command::{Command, CommandError, Db, Query, Response};
use crate::engine::ApplyContext;
use crate::engine::Engine;
use crate::engine::Txn;

/// Log positions far above any real one: collections a speculation creates get versions that
/// exist only in its overlay.
const SPECULATIVE_BASE: u64 = 1 << 62;

pub struct Speculation<'a> {
    engine: &'a Engine,
    txn: Txn<'a>,
    now_ms: i64,
    next_index: u64,
}

impl Engine {
    /// A transaction over a point-in-time view whose writes are never committed.
    pub fn speculate(&self, now_ms: i64) -> Speculation<'_> {
        let mut txn = Txn::speculative(self);
        txn.track_touched();
        Speculation {
            engine: self,
            txn,
            now_ms,
            next_index: SPECULATIVE_BASE,
        }
    }
}

impl Speculation<'_> {
    /// Applies a command to the view; its reply is what applying it for real would answer as
    /// long as the keys it touched are unchanged.
    pub fn apply(&mut self, cmd: &Command) -> Response {
        self.next_index += 1 << crate::engine::ENTRY_SHIFT;
        let ctx = ApplyContext {
            index: self.next_index,
            now_ms: self.now_ms,
            reply: true,
        };
        match self.engine.apply(&mut self.txn, cmd, &ctx) {
            Ok(r) => r,
            Err(e) => Response::Error(CommandError::Storage(e.0)),
        }
    }

    pub fn query(&self, q: &Query) -> Response {
        self.engine.query_in(&self.txn, q, self.now_ms)
    }

    /// Every key read or written, with the change stamp it had in the view (`None`: absent or
    /// expired), in the shape `Exec::watches` takes.
    pub fn touched(&self) -> Vec<(Db, Bytes, Option<u64>)> {
        self.txn.touched(self.now_ms)
    }
}

//! The history of changes as applied, for whoever follows it command by command rather than
//! through the log (a Redis replica attached with `SYNC`): only what changed something, with
//! what a follower cannot work out by replaying the command itself.

use bytes::Bytes;

use crate::command::{Command, Db, Response};
use crate::engine::Txn;

/// One applied command that changed something.
#[derive(Clone, Debug)]
pub struct Applied {
    /// The index of the log entry it came in.
    pub entry: u64,
    /// The leader's clock when the entry was formed.
    pub now_ms: i64,
    pub command: Command,
    /// What it answered: the members an `SPOP` chose, the value an `INCRBYFLOAT` computed.
    pub reply: Response,
    /// Keys it wrote over or removed after their deadline had passed (to be dropped first).
    pub expired_over: Vec<(Db, Bytes)>,
    /// For a transaction, which of its steps wrote something.
    pub steps_wrote: Vec<bool>,
}

/// Where one entry's applied commands are recorded, if anyone follows the history.
pub(crate) struct Recorder<'h> {
    out: Option<&'h mut Vec<Applied>>,
    entry: u64,
    now_ms: i64,
}

impl<'h> Recorder<'h> {
    pub(crate) fn new(out: Option<&'h mut Vec<Applied>>, entry: u64, now_ms: i64) -> Self {
        Recorder { out, entry, now_ms }
    }

    pub(crate) fn on(&self) -> bool {
        self.out.is_some()
    }

    /// Records `command` if it wrote anything (`changed`: the keys it wrote).
    pub(crate) fn record(
        &mut self,
        txn: &mut Txn<'_>,
        command: &Command,
        reply: &Response,
        changed: &[(Db, Bytes)],
    ) {
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let steps_wrote = txn.take_step_writes();
        let expired_over = txn.take_expired_over();
        let effect = txn.take_effect();
        if changed.is_empty() && expired_over.is_empty() && !effect {
            return;
        }
        out.push(Applied {
            entry: self.entry,
            now_ms: self.now_ms,
            command: command.clone(),
            reply: reply.clone(),
            expired_over,
            steps_wrote,
        });
    }
}

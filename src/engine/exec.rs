//! Transactions (`MULTI ... EXEC`): one command in the log, so every replica applies all of its
//! steps or none at the same place in the history. Each step takes its own log position (the
//! transaction's position plus the step's index), so collections created by different steps get
//! different versions.

use crate::command::{CommandError, Exec, Response, Step};
use crate::engine::ApplyContext;
use crate::engine::ApplyFailure;
use crate::engine::Engine;
use crate::engine::Txn;

pub(super) fn apply(
    engine: &Engine,
    txn: &mut Txn<'_>,
    exec: &Exec,
    ctx: &ApplyContext,
) -> Result<Response, ApplyFailure> {
    for (db, key, stamp) in &exec.watches {
        let now = match txn.live(*db, key, ctx.now_ms) {
            Ok(h) => h.map(|h| h.stamp),
            Err(CommandError::Storage(why)) => return Err(ApplyFailure(why)),
            Err(_) => None,
        };
        if now != *stamp {
            return Ok(Response::NilArray);
        }
    }
    let mut replies = Vec::with_capacity(exec.steps.len());
    let recording = txn.recording_history();
    let mut wrote = Vec::with_capacity(if recording { exec.steps.len() } else { 0 });
    for (i, step) in exec.steps.iter().enumerate() {
        let before = txn.writes();
        let ctx = ApplyContext {
            index: ctx.index + i as u64,
            reply: true,
            ..*ctx
        };
        replies.push(match step {
            Step::Write(cmd) => engine.apply(txn, cmd, &ctx)?,
            Step::Read(q) => match engine.query_in(txn, q, ctx.now_ms) {
                Response::Error(CommandError::Storage(why)) => return Err(ApplyFailure(why)),
                r => r,
            },
        });
        if recording {
            wrote.push(txn.writes() != before);
        }
    }
    if recording {
        txn.set_step_writes(wrote);
    }
    Ok(Response::Array(replies))
}

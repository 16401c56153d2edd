//! Work the node schedules in the background, as Commands through the write path: deleting keys
//! whose deadline passed, and collecting the elements of deleted collections and the rows of dropped or truncated tables.

use bytes::Bytes;

use crate::command::node::Command;
use crate::command::{CommandError, Db, Response};
use crate::engine::keys;
use crate::engine::settle;
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::ApplyFailure;
use crate::engine::Engine;
use crate::engine::Txn;

pub(super) fn apply(
    engine: &Engine,
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, ApplyFailure> {
    match cmd {
        // Blocking is handled by `Engine::apply_entry`, which owns the queue of blocked clients.
        // Met here, the command sits inside a transaction, where nothing blocks (as in Redis):
        // the attempt runs once and its reply stands.
        Command::Block { attempt, .. } => engine.apply(txn, attempt, ctx),
        Command::Unblock { .. } => Ok(Response::Int(0)),
        // Delivered by the node once the entry is committed; the count is its own.
        Command::Publish { .. } => {
            txn.note_effect();
            Ok(Response::Int(0))
        }
        other => settle(housekeeping(txn, other, ctx)),
    }
}

fn housekeeping(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    match cmd {
        Command::DeleteExpired { keys } => {
            let mut removed = 0;
            for (db, key) in keys {
                if let Some(raw) = txn.raw_header(*db, key)? {
                    if raw.is_expired(ctx.now_ms) {
                        txn.remove(*db, key, &raw);
                        removed += 1;
                    }
                }
            }
            txn.count_expired(removed);
            Ok(Response::Int(removed as i64))
        }
        Command::CollectGarbage { budget } => {
            let mut left = *budget as usize;
            let mut collected = 0i64;
            for (record, tag) in txn.meta_keys(&keys::garbage_prefix(), 64)? {
                if left == 0 {
                    break;
                }
                let (Some(prefix), Some(space)) = (
                    keys::decode_garbage(&record),
                    tag.first().copied().and_then(Space::from_tag),
                ) else {
                    txn.remove_meta(&record);
                    continue;
                };
                let elements = txn.version_elements(space, &prefix, left)?;
                let done = elements.len() < left;
                left -= elements.len();
                collected += elements.len() as i64;
                for k in elements {
                    txn.delete_record(space, k);
                }
                if done {
                    txn.remove_meta(&record);
                }
            }
            Ok(Response::Int(collected))
        }
        Command::Block { .. } | Command::Unblock { .. } | Command::Publish { .. } => {
            Ok(Response::Int(0))
        }
    }
}

pub(super) fn due_expiries(engine: &Engine, now_ms: i64, limit: usize) -> Vec<(Db, Bytes)> {
    let start = keys::expiry_prefix().to_vec();
    let end = keys::expiry_upper_bound(now_ms);
    engine
        .meta()
        .range(start..end)
        .take(limit)
        .filter_map(|kv| {
            let k = kv.key().ok()?;
            let (_, db, key) = keys::decode_expiry_entry(&k)?;
            Some((db, Bytes::copy_from_slice(key)))
        })
        .collect()
}

pub(super) fn has_garbage(engine: &Engine) -> bool {
    engine
        .meta()
        .prefix(keys::garbage_prefix())
        .next()
        .is_some()
}

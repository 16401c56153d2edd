//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The connection queues what comes between
//! MULTI and EXEC (see `resp::connection`); EXEC sends it as one `Command::Exec`, applied at one
//! place in the log on every replica.

use super::{Action, Ctx, Spec};
use crate::command::CommandError;
use crate::resp::parse::Args;

/// What a transaction command asks of the connection.
pub enum TxnOp {
    Multi,
    Exec,
    Discard,
    Watch(Vec<bytes::Bytes>),
    Unwatch,
}

/// `MULTI`
fn multi(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Txn(TxnOp::Multi))
}

/// `EXEC`
fn exec(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Txn(TxnOp::Exec))
}

/// `DISCARD`
fn discard(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Txn(TxnOp::Discard))
}

/// `WATCH key [key ...]`
fn watch(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Txn(TxnOp::Watch(a.rest_keys()?)))
}

/// `UNWATCH`
fn unwatch(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Txn(TxnOp::Unwatch))
}

const TXN: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];

pub const COMMANDS: &[Spec] = specs!["transactions";
    ("multi", 1, TXN, (0, 0, 0), "Starts a transaction.", multi),
    ("exec", 1, &["noscript", "loading", "stale", "skip_slowlog"], (0, 0, 0), "Executes all commands in a transaction.", exec),
    ("discard", 1, TXN, (0, 0, 0), "Discards a transaction.", discard),
    ("watch", -2, TXN, (1, -1, 1), "Monitors changes to keys to determine the execution of a transaction.", watch),
    ("unwatch", 1, TXN, (0, 0, 0), "Forgets about watched keys of a transaction.", unwatch),
];

//! (being written)

use super::{ApplyContext, Txn};
use crate::command::set::{Command, Query};
use crate::command::{CommandError, Response};

pub(super) fn apply(
    _txn: &mut Txn<'_>,
    _cmd: &Command,
    _ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    Err(CommandError::Syntax)
}

pub(super) fn query(_txn: &Txn<'_>, _q: &Query, _now: i64) -> Result<Response, CommandError> {
    Err(CommandError::Syntax)
}

//! CQL's tables: the schema (`schema`) and rows (`rows`) in the `cql_schema` and `cql_rows`
//! keyspaces.

mod defs;
mod newest;
mod rows;
mod schema;

pub(super) use defs::TableDefs;
pub(super) use newest::NewestWrites;

use crate::command::table::{Command, Query, Reply};
use crate::command::{CommandError, Response};
use crate::engine::store::txn::Txn;
use crate::engine::ApplyContext;

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    match cmd {
        Command::Write(mutations) => rows::write(txn, mutations, ctx),
        Command::Conditional {
            mutation,
            condition,
        } => rows::conditional(txn, mutation, condition, ctx),
        ddl => {
            let r = schema::apply(txn, ddl, ctx);
            txn.note_schema_change();
            r
        }
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query) -> Result<Response, CommandError> {
    match q {
        Query::Schema => Ok(Response::Table(Reply::Schema(Box::new(schema::schema(
            txn,
        )?)))),
        Query::Select(s) => rows::select(txn, s),
    }
}

#[cfg(test)]
mod tests;

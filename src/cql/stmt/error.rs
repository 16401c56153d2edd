//! The table model's and the node's refusals as CQL errors, with Cassandra's codes and words.

use crate::command::table::TableError;
use crate::command::{CommandError, NodeError};
use crate::cql::frame::{Consistency, ErrorKind, ErrorResponse};

pub fn from_command(e: &CommandError) -> ErrorResponse {
    match e {
        CommandError::Table(t) => match t.as_ref() {
            TableError::KeyspaceExists(ks) => ErrorResponse::new(
                ErrorKind::AlreadyExists {
                    keyspace: ks.clone(),
                    table: String::new(),
                },
                t.to_string(),
            ),
            TableError::TableExists(ks, name) => ErrorResponse::new(
                ErrorKind::AlreadyExists {
                    keyspace: ks.clone(),
                    table: name.clone(),
                },
                t.to_string(),
            ),
            TableError::TypeExists(..) => ErrorResponse::invalid(t.to_string()),
            TableError::Stale => ErrorResponse::invalid(
                "The table was truncated or dropped while the statement ran; run it again",
            ),
            _ => ErrorResponse::invalid(t.to_string()),
        },
        CommandError::Node(n) => match n {
            NodeError::NoLeader => ErrorResponse::new(
                ErrorKind::Unavailable {
                    consistency: Consistency::Quorum,
                    required: 1,
                    alive: 0,
                },
                "Cannot achieve consistency level QUORUM: no leader",
            ),
            // Handed to the log, outcome unknown: what a write that timed out is to a driver.
            NodeError::MayHaveApplied(_) => ErrorResponse::new(
                ErrorKind::WriteTimeout {
                    consistency: Consistency::Quorum,
                    received: 0,
                    block_for: 1,
                    write_type: crate::cql::frame::WriteType::Simple,
                },
                n.to_string(),
            ),
            // Nothing was changed or read (a read not confirmed as up to date): the quorum was
            // not there to try, so a driver may try again elsewhere.
            NodeError::Unavailable(_) => ErrorResponse::new(
                ErrorKind::Unavailable {
                    consistency: Consistency::Quorum,
                    required: 1,
                    alive: 0,
                },
                n.to_string(),
            ),
            NodeError::Stopped(_) | NodeError::UnknownMember(_) => {
                ErrorResponse::server(n.to_string())
            }
        },
        other => ErrorResponse::server(other.to_string()),
    }
}

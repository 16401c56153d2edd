//! The system tables drivers and cqlsh read, synthesized from the schema and what the node
//! knows of itself, and server-side DESCRIBE. Nothing here is stored: every answer is built
//! from a [`Schema`] and [`NodeFacts`] when asked, so it can never be stale.
//!
//! `catalog` defines the tables (Cassandra 4.1's columns and types), `local` answers
//! `system.local`/`system.peers`, `schema_tables` the `system_schema` and
//! `system_virtual_schema` tables, `params` the table and replication options both those and
//! DESCRIBE show, `describe` the DESCRIBE statements. This module owns no I/O and no protocol
//! encoding: the caller turns [`SystemRows`] into a RESULT frame.

mod catalog;
mod describe;
mod local;
mod params;
mod schema_tables;
mod text;

use std::net::IpAddr;

use crate::command::table::schema::Schema;
use crate::command::table::value::{CqlType, Value};

pub use params::normalize_replication;

/// What this node is, as `system.local` reports it, and the other nodes it knows.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFacts {
    pub cluster_name: String,
    /// The Cassandra version this server claims (`4.1.0`): drivers pick their schema queries
    /// by it, cqlsh sends DESCRIBE to the server from 4.0 on.
    pub release_version: String,
    /// `3.4.6`.
    pub cql_version: String,
    /// `4`.
    pub native_protocol_version: String,
    /// `org.apache.cassandra.dht.Murmur3Partitioner`: token-aware drivers parse tokens by it.
    pub partitioner: String,
    pub data_center: String,
    pub rack: String,
    pub host_id: [u8; 16],
    /// The address clients reach this node's CQL port at (`rpc_address`, `broadcast_address`).
    pub address: IpAddr,
    /// The CQL port (`rpc_port`).
    pub port: u16,
    /// This node's tokens, as decimal text.
    pub tokens: Vec<String>,
    pub peers: Vec<PeerFacts>,
}

/// Another node, as `system.peers` reports it. Drivers connect to `address` on the port they
/// were given (the v1 peers table has no port column).
#[derive(Clone, Debug, PartialEq)]
pub struct PeerFacts {
    pub address: IpAddr,
    pub port: u16,
    pub host_id: [u8; 16],
    pub tokens: Vec<String>,
    pub data_center: String,
    pub rack: String,
}

/// One row: a value (or null) per column, in the columns' order.
pub type Row = Vec<Option<Value>>;

/// A synthesized result: where it claims to come from (result metadata names a keyspace and a
/// table), its columns in order, and its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemRows {
    pub keyspace: String,
    pub table: String,
    pub columns: Vec<(String, CqlType)>,
    pub rows: Vec<Row>,
}

/// Why a system query or DESCRIBE was refused. Every case is what Cassandra answers with an
/// Invalid (0x2200) error, worded as Cassandra words it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SystemError {
    #[error("{0}")]
    Invalid(String),
}

pub use describe::describe;

/// `DESCRIBE ...`: what is to be described. Names are as the statement gave them (already
/// unquoted); a missing keyspace means the session's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescribeTarget {
    Keyspaces,
    /// `[ONLY] KEYSPACE [name]`.
    Keyspace {
        name: Option<String>,
        only: bool,
    },
    Tables,
    Table {
        keyspace: Option<String>,
        name: String,
    },
    Types,
    Type {
        keyspace: Option<String>,
        name: String,
    },
    Cluster,
    /// `[FULL] SCHEMA`: full includes the system keyspaces.
    Schema {
        full: bool,
    },
    Index {
        keyspace: Option<String>,
        name: String,
    },
    Functions,
    Aggregates,
    /// `DESCRIBE name`: a keyspace, else a table, else an index of that name.
    Name {
        keyspace: Option<String>,
        name: String,
    },
}

/// The columns of a synthesized table, in `SELECT *` order, for a PREPARE's metadata; `None`
/// if it is not one this node synthesizes (`system.peers_v2` included: see [`select`]).
pub fn columns(keyspace: &str, table: &str) -> Option<Vec<(String, CqlType)>> {
    catalog::find(keyspace, table).map(catalog::SysTable::columns)
}

/// `SELECT * FROM keyspace.table WHERE column = value AND ...`: every column in `SELECT *`
/// order, the rows that match every filter. `None` when the table is not synthesized here.
///
/// `system.peers_v2` is refused as unconfigured, as Cassandra 3 refuses it: drivers then fall
/// back to `system.peers`, which carries everything they need.
pub fn select(
    keyspace: &str,
    table: &str,
    schema: &Schema,
    facts: &NodeFacts,
    filters: &[(String, Value)],
) -> Option<Result<SystemRows, SystemError>> {
    if keyspace == catalog::SYSTEM && table == "peers_v2" {
        return Some(Err(SystemError::Invalid(
            "unconfigured table peers_v2".into(),
        )));
    }
    let def = catalog::find(keyspace, table)?;
    let full = catalog::full_schema(schema);
    let mut rows = match (keyspace, table) {
        (catalog::SYSTEM, "local") => local::local_rows(schema, facts),
        (catalog::SYSTEM, "peers") => local::peer_rows(schema, facts),
        (catalog::SYSTEM_SCHEMA, "keyspaces") => schema_tables::keyspaces(&full),
        (catalog::SYSTEM_SCHEMA, "tables") => schema_tables::tables(&full),
        (catalog::SYSTEM_SCHEMA, "columns") => schema_tables::columns(&full),
        (catalog::SYSTEM_SCHEMA, "types") => schema_tables::types(&full),
        (catalog::SYSTEM_SCHEMA, "indexes") => schema_tables::indexes(&full),
        (catalog::VIRTUAL_SCHEMA, "keyspaces") => schema_tables::virtual_keyspaces(&full),
        (catalog::VIRTUAL_SCHEMA, "tables") => schema_tables::virtual_tables(&full),
        (catalog::VIRTUAL_SCHEMA, "columns") => schema_tables::virtual_columns(&full),
        // views, functions, aggregates, triggers, dropped_columns: nothing of the kind exists.
        _ => Vec::new(),
    };
    let columns = def.columns();
    if keyspace != catalog::SYSTEM {
        schema_tables::sort_by_key(&mut rows, def.partition.len() + def.clustering.len());
    }
    rows.retain(|row| matches(&columns, row, filters));
    Some(Ok(SystemRows {
        keyspace: keyspace.to_string(),
        table: table.to_string(),
        columns,
        rows,
    }))
}

/// Whether a row satisfies every `column = value`. A filter on a column the table lacks
/// matches nothing (the caller only passes known columns).
fn matches(columns: &[(String, CqlType)], row: &Row, filters: &[(String, Value)]) -> bool {
    filters.iter().all(|(name, want)| {
        columns
            .iter()
            .position(|(n, _)| n == name)
            .and_then(|i| row.get(i))
            .is_some_and(|v| v.as_ref() == Some(want))
    })
}

#[cfg(test)]
mod tests;

//! The schema of CQL's tables as the engine keeps it and every node shares it: keyspaces,
//! tables with their columns and keys, user-defined types and indexes. Changing it is a
//! [`super::Command`]; reading it whole is [`super::Query::Schema`] (schemas are small).

use serde::{Deserialize, Serialize};

use super::value::{CqlType, UdtType};

/// A keyspace: a namespace for tables and types. Replication is kept as given (every node holds
/// everything anyway: the Raft group is the replication).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyspaceDef {
    pub name: String,
    /// `replication = {...}` as written, `class` included.
    pub replication: Vec<(String, String)>,
    pub durable_writes: bool,
}

/// Where a column sits in the primary key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    PartitionKey,
    Clustering,
    Regular,
    Static,
}

/// The order of a clustering column (`WITH CLUSTERING ORDER BY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// Stable for the life of the table: cells are stored under it, so a dropped column's cells
    /// are never read as a later column of the same name.
    pub id: u32,
    pub name: String,
    pub ty: CqlType,
    pub kind: ColumnKind,
    /// Index within the partition key or the clustering key; -1 for other columns (as
    /// `system_schema.columns.position` has it).
    pub position: i32,
    pub order: Order,
}

/// Table options that mean something here; the rest are kept as written so DESCRIBE and the
/// schema tables show them back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TableOptions {
    /// Seconds; 0 is none.
    pub default_time_to_live: i32,
    pub comment: String,
    /// Other `WITH name = value` options, the value as CQL text.
    pub other: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    /// The indexed column's id.
    pub column: u32,
    /// `values`, `keys`, `entries`, `full`, or empty for a plain column.
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub keyspace: String,
    pub name: String,
    /// The table's id (a UUID, chosen by the front-end that created it).
    pub id: [u8; 16],
    /// Rows live under `id | version`: TRUNCATE and DROP start a new version (the log index of
    /// the command), so they are O(1) and old rows are collected later.
    pub version: u64,
    /// Every live column, in the order they were defined (partition key columns first).
    pub columns: Vec<ColumnDef>,
    pub options: TableOptions,
    pub indexes: Vec<IndexDef>,
    /// The id the next added column gets.
    pub next_column: u32,
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_by_id(&self, id: u32) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// Partition key columns, in key order.
    pub fn partition_key(&self) -> Vec<&ColumnDef> {
        self.key_columns(ColumnKind::PartitionKey)
    }

    /// Clustering columns, in key order.
    pub fn clustering(&self) -> Vec<&ColumnDef> {
        self.key_columns(ColumnKind::Clustering)
    }

    fn key_columns(&self, kind: ColumnKind) -> Vec<&ColumnDef> {
        let mut cols: Vec<&ColumnDef> = self.columns.iter().filter(|c| c.kind == kind).collect();
        cols.sort_by_key(|c| c.position);
        cols
    }

    pub fn is_counter_table(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c.ty, CqlType::Counter))
    }
}

/// The whole schema, as one node holds it after applying the log up to some point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub keyspaces: Vec<KeyspaceDef>,
    pub tables: Vec<TableDef>,
    pub types: Vec<UdtType>,
    /// Changes with every DDL statement (a UUID derived from the log index of the last one), as
    /// `system.local.schema_version` must.
    pub version: [u8; 16],
}

impl Schema {
    pub fn keyspace(&self, name: &str) -> Option<&KeyspaceDef> {
        self.keyspaces.iter().find(|k| k.name == name)
    }

    pub fn table(&self, keyspace: &str, name: &str) -> Option<&TableDef> {
        self.tables
            .iter()
            .find(|t| t.keyspace == keyspace && t.name == name)
    }

    pub fn udt(&self, keyspace: &str, name: &str) -> Option<&UdtType> {
        self.types
            .iter()
            .find(|t| t.keyspace == keyspace && t.name == name)
    }
}

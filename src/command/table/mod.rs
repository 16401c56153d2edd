//! CQL's tables: schema changes, row mutations and reads, with typed replies and refusals.
//!
//! Everything that depends on the clock or the node is fixed before a command enters the log:
//! a table's id (a UUID the front-end draws), every write's timestamp (the client's, or the
//! coordinator's clock in microseconds) and a TTL's deadline (absolute). So every replica
//! applies the same mutation to the same state.

pub mod schema;
pub mod value;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use schema::{ColumnDef, IndexDef, KeyspaceDef, Schema, TableDef, TableOptions};
use value::{UdtType, Value};

/// A change of the schema or of rows. Variants and fields may be added, never reordered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    CreateKeyspace {
        keyspace: KeyspaceDef,
        if_not_exists: bool,
    },
    AlterKeyspace {
        keyspace: KeyspaceDef,
    },
    DropKeyspace {
        name: String,
        if_exists: bool,
    },
    /// The table's `version` is set at apply (the log index).
    CreateTable {
        table: Box<TableDef>,
        if_not_exists: bool,
    },
    AlterTable {
        keyspace: String,
        name: String,
        change: TableChange,
    },
    DropTable {
        keyspace: String,
        name: String,
        if_exists: bool,
    },
    /// Starts a new version of the table's rows: O(1), the old ones are collected later.
    Truncate {
        keyspace: String,
        name: String,
    },
    CreateType {
        udt: UdtType,
        if_not_exists: bool,
    },
    DropType {
        keyspace: String,
        name: String,
        if_exists: bool,
    },
    /// Mutations of one statement or one batch, applied together.
    Write(Vec<Mutation>),
    /// A lightweight transaction: the mutation applies only if the condition holds on the row
    /// as the log orders it. Replies [`Reply::Applied`].
    Conditional {
        mutation: Mutation,
        condition: Condition,
    },
}

/// A change of a table's definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TableChange {
    /// Columns to add (ids are given at apply).
    Add(Vec<ColumnDef>),
    Drop(Vec<String>),
    Options(TableOptions),
    AddIndex(IndexDef),
    DropIndex(String),
}

/// Which table a mutation or a read is for: its id and the version of its rows the front-end
/// saw, so that a write racing a TRUNCATE or DROP cannot land in the old rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRef {
    pub id: [u8; 16],
    pub version: u64,
}

/// A change of one partition: of one row, some of its cells, a range of rows or all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    pub table: TableRef,
    /// The partition key's values, in key order.
    pub partition: Vec<Value>,
    /// The partition's token (Murmur3 of the key as CQL serializes it, computed by the
    /// front-end, which owns that encoding): rows are stored in token order.
    pub token: i64,
    /// The row's clustering values (empty for the static row or a table without clustering
    /// columns); a prefix for range deletions.
    pub clustering: Vec<Value>,
    /// Write time in microseconds since the epoch: the last write wins by it.
    pub timestamp: i64,
    /// Absolute deadline (ms since the epoch) and the TTL it came from, in seconds.
    pub ttl: Option<(i64, i32)>,
    pub op: RowOp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RowOp {
    /// INSERT (`marker`: the row exists even if all its cells are null) and UPDATE.
    /// `statics` are cells of the partition's static row.
    Upsert {
        marker: bool,
        cells: Vec<(u32, CellOp)>,
        statics: Vec<(u32, CellOp)>,
    },
    /// DELETE of the row (or, with a clustering prefix, every row under it).
    DeleteRows,
    /// DELETE of some cells (static ones go to the static row).
    DeleteCells { cells: Vec<u32>, statics: Vec<u32> },
    /// DELETE of the whole partition, static row included.
    DeletePartition,
    /// DELETE of a range of clustering keys.
    DeleteRange(Box<ClusteringRange>),
}

/// What a write does to one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CellOp {
    /// Sets the value; `None` deletes it (CQL's null).
    Set(Option<Value>),
    /// `counter = counter + n`.
    Add(i64),
    /// `list = list + [...]`.
    Append(Vec<Value>),
    /// `list = [...] + list`.
    Prepend(Vec<Value>),
    /// `set = set + {...}` (elements given as a set) and `map = map + {...}` (as a map).
    Union(Value),
    /// `set = set - {...}`, `list = list - [...]`, `DELETE map[key]` (keys as a set).
    Remove(Value),
    /// `list[i] = v` (`None` deletes the element).
    SetIndex(i32, Option<Value>),
    /// `map[k] = v` (`None` deletes the entry).
    SetKey(Value, Option<Value>),
}

/// A condition of a lightweight transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// `IF NOT EXISTS`.
    NotExists,
    /// `IF EXISTS`.
    Exists,
    /// `IF col op value AND ...`.
    Columns(Vec<(u32, CompareOp, Option<Value>)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One end of a clustering range: a prefix of clustering values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Bound {
    Unbounded,
    Included(Vec<Value>),
    Excluded(Vec<Value>),
}

/// Rows of one partition between two clustering bounds: `start` and `end` share `prefix`
/// (the columns restricted by `=`), then bound the next column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusteringRange {
    pub start: Bound,
    pub end: Bound,
}

impl ClusteringRange {
    pub fn all() -> ClusteringRange {
        ClusteringRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    pub fn prefix(prefix: Vec<Value>) -> ClusteringRange {
        ClusteringRange {
            start: Bound::Included(prefix.clone()),
            end: Bound::Included(prefix),
        }
    }
}

/// Reads of tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// The whole schema.
    Schema,
    /// Rows of one partition, or (without `partition`) of every partition whose token is in
    /// `tokens`, in token order.
    Select(Box<Select>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Select {
    pub table: TableRef,
    /// One partition: its token and key.
    pub partition: Option<(i64, Vec<Value>)>,
    /// Tokens strictly above the first and up to the second (drivers page full scans so).
    pub tokens: (Option<i64>, Option<i64>),
    pub range: ClusteringRange,
    /// Clustering order reversed (`ORDER BY ... DESC` of an ASC column, and so on).
    pub reverse: bool,
    /// Most rows to return; the reply says where to go on.
    pub limit: usize,
    /// Where the previous page ended (opaque, from [`Rows::next`]).
    pub after: Option<Bytes>,
    /// Expiry is judged at this time (ms).
    pub now_ms: i64,
}

/// One stored row as a read returns it: every live cell, with its write time and TTL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub partition: Vec<Value>,
    pub clustering: Vec<Value>,
    /// Whether this is the partition's static row.
    pub is_static: bool,
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub column: u32,
    pub value: Value,
    /// Microseconds (WRITETIME).
    pub timestamp: i64,
    /// Deadline in ms and the TTL in seconds it came from.
    pub ttl: Option<(i64, i32)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    pub rows: Vec<Row>,
    /// Where the next page starts, if the limit stopped the read.
    pub next: Option<Bytes>,
}

/// What the tables answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Done,
    /// A schema change happened (`false`: IF [NOT] EXISTS made it a no-op).
    SchemaChanged(bool),
    Schema(Box<Schema>),
    Rows(Box<Rows>),
    /// A lightweight transaction's outcome, with the row as it was when it did not apply.
    Applied {
        applied: bool,
        row: Option<Box<Row>>,
    },
}

/// Why the tables refused. Messages are Cassandra's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum TableError {
    #[error("Keyspace {0} does not exist")]
    NoKeyspace(String),
    #[error("Cannot add existing keyspace \"{0}\"")]
    KeyspaceExists(String),
    #[error("unconfigured table {1}")]
    NoTable(String, String),
    #[error("Object {0}.{1} already exists")]
    TableExists(String, String),
    #[error("A user type with name '{1}' already exists")]
    TypeExists(String, String),
    #[error("Type {0}.{1} doesn't exist")]
    NoType(String, String),
    /// The table changed (TRUNCATE, DROP) since the statement was planned.
    #[error("the table changed since the statement was prepared")]
    Stale,
    #[error("{0}")]
    Invalid(String),
}

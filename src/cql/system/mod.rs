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
pub(crate) mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;
    use crate::command::table::schema::{
        ColumnDef, ColumnKind, IndexDef, KeyspaceDef, Order, TableDef, TableOptions,
    };
    use crate::command::table::value::UdtType;
    use crate::cql::codec::type_name;

    fn col(
        id: u32,
        name: &str,
        ty: CqlType,
        kind: ColumnKind,
        position: i32,
        order: Order,
    ) -> ColumnDef {
        ColumnDef {
            id,
            name: name.into(),
            ty,
            kind,
            position,
            order,
        }
    }

    /// `shop` with `orders` (the example), `users` (an index, a set, a UDT column,
    /// a static-free single-column key) and the type `address`.
    pub fn sample_schema() -> Schema {
        use ColumnKind::*;
        let address = UdtType {
            keyspace: "shop".into(),
            name: "address".into(),
            fields: vec![
                ("street".into(), CqlType::Text),
                ("city".into(), CqlType::Text),
            ],
        };
        let orders = TableDef {
            keyspace: "shop".into(),
            name: "orders".into(),
            id: [1; 16],
            version: 1,
            columns: vec![
                col(0, "user", CqlType::Text, PartitionKey, 0, Order::Asc),
                col(1, "ts", CqlType::Timestamp, Clustering, 0, Order::Desc),
                col(2, "id", CqlType::Uuid, Clustering, 1, Order::Asc),
                col(3, "total", CqlType::Decimal, Regular, -1, Order::Asc),
            ],
            options: TableOptions::default(),
            indexes: vec![],
            next_column: 4,
        };
        let users = TableDef {
            keyspace: "shop".into(),
            name: "users".into(),
            id: [2; 16],
            version: 1,
            columns: vec![
                col(0, "id", CqlType::Uuid, PartitionKey, 0, Order::Asc),
                col(
                    1,
                    "tags",
                    CqlType::Set(Box::new(CqlType::Text)),
                    Regular,
                    -1,
                    Order::Asc,
                ),
                col(2, "name", CqlType::Text, Regular, -1, Order::Asc),
                col(
                    3,
                    "addr",
                    CqlType::Frozen(Box::new(CqlType::Udt(Box::new(address.clone())))),
                    Regular,
                    -1,
                    Order::Asc,
                ),
            ],
            options: TableOptions {
                default_time_to_live: 0,
                comment: "people".into(),
                other: vec![("gc_grace_seconds".into(), "3600".into())],
            },
            indexes: vec![
                IndexDef {
                    name: "users_name_idx".into(),
                    column: 2,
                    target: String::new(),
                },
                IndexDef {
                    name: "users_tags_idx".into(),
                    column: 1,
                    target: String::new(),
                },
            ],
            next_column: 4,
        };
        Schema {
            keyspaces: vec![KeyspaceDef {
                name: "shop".into(),
                replication: vec![
                    ("class".into(), "SimpleStrategy".into()),
                    ("replication_factor".into(), "1".into()),
                ],
                durable_writes: true,
            }],
            tables: vec![orders, users],
            types: vec![address],
            version: [7; 16],
        }
    }

    pub fn sample_facts() -> NodeFacts {
        NodeFacts {
            cluster_name: "Test Cluster".into(),
            release_version: "4.1.0".into(),
            cql_version: "3.4.6".into(),
            native_protocol_version: "4".into(),
            partitioner: "org.apache.cassandra.dht.Murmur3Partitioner".into(),
            data_center: "datacenter1".into(),
            rack: "rack1".into(),
            host_id: [9; 16],
            address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            port: 9042,
            tokens: vec!["-9223372036854775808".into()],
            peers: vec![PeerFacts {
                address: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                port: 9042,
                host_id: [8; 16],
                tokens: vec!["0".into()],
                data_center: "datacenter1".into(),
                rack: "rack1".into(),
            }],
        }
    }

    fn run(ks: &str, table: &str, filters: &[(String, Value)]) -> SystemRows {
        match select(ks, table, &sample_schema(), &sample_facts(), filters) {
            Some(Ok(r)) => r,
            other => panic!("{ks}.{table}: {other:?}"),
        }
    }

    fn get<'a>(r: &'a SystemRows, row: usize, col: &str) -> Option<&'a Value> {
        let i = r.columns.iter().position(|(n, _)| n == col)?;
        r.rows.get(row)?.get(i)?.as_ref()
    }

    fn txt(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn eq(col: &str, v: &str) -> (String, Value) {
        (col.into(), txt(v))
    }

    #[test]
    fn local_row_has_what_drivers_read() {
        let r = run("system", "local", &[eq("key", "local")]);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.columns.len(), r.rows[0].len());
        assert_eq!(get(&r, 0, "key"), Some(&txt("local")));
        assert_eq!(get(&r, 0, "bootstrapped"), Some(&txt("COMPLETED")));
        assert_eq!(get(&r, 0, "release_version"), Some(&txt("4.1.0")));
        assert_eq!(get(&r, 0, "cql_version"), Some(&txt("3.4.6")));
        assert_eq!(get(&r, 0, "schema_version"), Some(&Value::Uuid([7; 16])));
        assert_eq!(get(&r, 0, "host_id"), Some(&Value::Uuid([9; 16])));
        assert_eq!(get(&r, 0, "rpc_port"), Some(&Value::Int(9042)));
        assert_eq!(
            get(&r, 0, "rpc_address"),
            Some(&Value::Inet(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))))
        );
        assert_eq!(
            get(&r, 0, "tokens"),
            Some(&Value::Set(vec![txt("-9223372036854775808")]))
        );
        let names: Vec<&str> = r.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            &names[..4],
            ["key", "bootstrapped", "broadcast_address", "broadcast_port"]
        );
        assert!(run("system", "local", &[eq("key", "other")])
            .rows
            .is_empty());
        assert_eq!(columns("system", "local"), Some(r.columns));
    }

    #[test]
    fn peers_list_the_other_nodes_and_peers_v2_is_refused() {
        let r = run("system", "peers", &[]);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.columns.len(), 9);
        assert_eq!(get(&r, 0, "host_id"), Some(&Value::Uuid([8; 16])));
        assert_eq!(get(&r, 0, "schema_version"), Some(&Value::Uuid([7; 16])));
        assert_eq!(get(&r, 0, "preferred_ip"), None);
        let v2 = select("system", "peers_v2", &sample_schema(), &sample_facts(), &[]);
        assert_eq!(
            v2,
            Some(Err(SystemError::Invalid(
                "unconfigured table peers_v2".into()
            )))
        );
        assert_eq!(columns("system", "peers_v2"), None);
        assert!(select("system", "nope", &sample_schema(), &sample_facts(), &[]).is_none());
        assert!(columns("shop", "orders").is_none());
    }

    #[test]
    fn keyspaces_include_system_ones_with_full_class_names() {
        let r = run("system_schema", "keyspaces", &[]);
        let names: Vec<&Value> = (0..r.rows.len())
            .filter_map(|i| get(&r, i, "keyspace_name"))
            .collect();
        assert_eq!(
            names,
            [
                &txt("shop"),
                &txt("system"),
                &txt("system_auth"),
                &txt("system_distributed"),
                &txt("system_schema"),
                &txt("system_traces")
            ]
        );
        let shop = run("system_schema", "keyspaces", &[eq("keyspace_name", "shop")]);
        assert_eq!(
            get(&shop, 0, "replication"),
            Some(&Value::Map(vec![
                (
                    txt("class"),
                    txt("org.apache.cassandra.locator.SimpleStrategy")
                ),
                (txt("replication_factor"), txt("1")),
            ]))
        );
        assert_eq!(get(&shop, 0, "durable_writes"), Some(&Value::Boolean(true)));
    }

    #[test]
    fn tables_rows_carry_options() {
        let filters = [eq("keyspace_name", "shop"), eq("table_name", "users")];
        let r = run("system_schema", "tables", &filters);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.columns.len(), r.rows[0].len());
        assert_eq!(get(&r, 0, "comment"), Some(&txt("people")));
        assert_eq!(get(&r, 0, "gc_grace_seconds"), Some(&Value::Int(3600)));
        assert_eq!(get(&r, 0, "id"), Some(&Value::Uuid([2; 16])));
        assert_eq!(
            get(&r, 0, "flags"),
            Some(&Value::Set(vec![txt("compound")]))
        );
        assert_eq!(
            get(&r, 0, "bloom_filter_fp_chance"),
            Some(&Value::Double(0.01))
        );
        assert_eq!(get(&r, 0, "read_repair"), Some(&txt("BLOCKING")));
        assert_eq!(get(&r, 0, "extensions"), Some(&Value::Map(vec![])));
        let system = run("system_schema", "tables", &[eq("keyspace_name", "system")]);
        let names: Vec<&Value> = (0..system.rows.len())
            .filter_map(|i| get(&system, i, "table_name"))
            .collect();
        assert_eq!(names, [&txt("local"), &txt("peers")]);
        let schema = run(
            "system_schema",
            "tables",
            &[eq("keyspace_name", "system_schema")],
        );
        assert_eq!(schema.rows.len(), 10);
    }

    #[test]
    fn columns_rows_describe_keys_and_order() {
        let filters = [eq("keyspace_name", "shop"), eq("table_name", "orders")];
        let r = run("system_schema", "columns", &filters);
        let rows: Vec<(String, String, String, i32, String)> = (0..r.rows.len())
            .map(|i| {
                let s = |c| match get(&r, i, c) {
                    Some(Value::Text(t)) => t.clone(),
                    _ => String::new(),
                };
                let pos = match get(&r, i, "position") {
                    Some(Value::Int(p)) => *p,
                    _ => i32::MIN,
                };
                (
                    s("column_name"),
                    s("kind"),
                    s("clustering_order"),
                    pos,
                    s("type"),
                )
            })
            .collect();
        let row = |n: &str, k: &str, o: &str, p: i32, t: &str| {
            (
                n.to_string(),
                k.to_string(),
                o.to_string(),
                p,
                t.to_string(),
            )
        };
        assert_eq!(
            rows,
            vec![
                row("id", "clustering", "asc", 1, "uuid"),
                row("total", "regular", "none", -1, "decimal"),
                row("ts", "clustering", "desc", 0, "timestamp"),
                row("user", "partition_key", "none", 0, "text"),
            ]
        );
        assert_eq!(
            get(&r, 0, "column_name_bytes"),
            Some(&Value::Blob(bytes::Bytes::from_static(b"id")))
        );
        let local = run(
            "system_schema",
            "columns",
            &[eq("keyspace_name", "system"), eq("table_name", "local")],
        );
        assert_eq!(local.rows.len(), 20);
    }

    #[test]
    fn types_and_indexes() {
        let t = run("system_schema", "types", &[eq("keyspace_name", "shop")]);
        assert_eq!(get(&t, 0, "type_name"), Some(&txt("address")));
        assert_eq!(
            get(&t, 0, "field_names"),
            Some(&Value::List(vec![txt("street"), txt("city")]))
        );
        assert_eq!(
            get(&t, 0, "field_types"),
            Some(&Value::List(vec![txt("text"), txt("text")]))
        );
        let i = run("system_schema", "indexes", &[eq("keyspace_name", "shop")]);
        assert_eq!(i.rows.len(), 2);
        assert_eq!(get(&i, 0, "index_name"), Some(&txt("users_name_idx")));
        assert_eq!(get(&i, 0, "kind"), Some(&txt("COMPOSITES")));
        assert_eq!(
            get(&i, 0, "options"),
            Some(&Value::Map(vec![(txt("target"), txt("name"))]))
        );
        assert_eq!(
            get(&i, 1, "options"),
            Some(&Value::Map(vec![(txt("target"), txt("values(tags)"))]))
        );
    }

    #[test]
    fn empty_tables_have_their_columns() {
        for (table, first) in [
            ("views", "keyspace_name"),
            ("functions", "keyspace_name"),
            ("aggregates", "keyspace_name"),
            ("triggers", "keyspace_name"),
            ("dropped_columns", "keyspace_name"),
        ] {
            let r = run("system_schema", table, &[]);
            assert!(r.rows.is_empty(), "{table}");
            assert_eq!(r.columns[0].0, first);
        }
        let views = columns("system_schema", "views").unwrap_or_default();
        assert!(views
            .iter()
            .any(|(n, t)| n == "where_clause" && type_name(t) == "text"));
        assert!(views.iter().any(|(n, _)| n == "include_all_columns"));
    }

    #[test]
    fn virtual_schema_describes_itself() {
        let k = run("system_virtual_schema", "keyspaces", &[]);
        assert_eq!(k.rows, vec![vec![Some(txt("system_virtual_schema"))]]);
        let t = run("system_virtual_schema", "tables", &[]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(get(&t, 0, "table_name"), Some(&txt("columns")));
        let c = run(
            "system_virtual_schema",
            "columns",
            &[eq("table_name", "tables")],
        );
        assert_eq!(c.rows.len(), 3);
        // Virtual keyspaces stay out of system_schema, as in Cassandra.
        let s = run(
            "system_schema",
            "tables",
            &[eq("keyspace_name", "system_virtual_schema")],
        );
        assert!(s.rows.is_empty());
    }
}

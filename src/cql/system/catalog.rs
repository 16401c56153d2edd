//! The tables and keyspaces this node synthesizes, defined once as Cassandra 4.1 defines them
//! (`SystemKeyspace`, `SchemaKeyspace`, `VirtualSchemaKeyspace`): the column lists a PREPARE
//! answers with, and the same definitions turned into schema entries so that
//! `system_schema.*` and DESCRIBE describe the system keyspaces like any other.
//!
//! Rows are not built here (`local`, `schema_tables`).

use crate::command::table::schema::{
    ColumnDef, ColumnKind, KeyspaceDef, Order, Schema, TableDef, TableOptions,
};
use crate::command::table::value::CqlType;

/// One synthesized table. Columns are `(name, CQL type)`; `regular` is in name order, which is
/// Cassandra's `SELECT *` order after the key columns.
pub struct SysTable {
    pub keyspace: &'static str,
    pub name: &'static str,
    pub comment: &'static str,
    pub partition: &'static [(&'static str, &'static str)],
    pub clustering: &'static [(&'static str, &'static str)],
    pub regular: &'static [(&'static str, &'static str)],
}

pub const SYSTEM: &str = "system";
pub const SYSTEM_SCHEMA: &str = "system_schema";
pub const VIRTUAL_SCHEMA: &str = "system_virtual_schema";

const KS_TABLE: &[(&str, &str)] = &[("keyspace_name", "text")];
const TABLE_NAME: &[(&str, &str)] = &[("table_name", "text")];

/// The options every table of `system_schema.tables` and `views` carries (4.1's set).
macro_rules! table_options {
    ($($extra:expr),* $(,)?) => {
        &[
            ("additional_write_policy", "text"),
            $($extra,)*
            ("bloom_filter_fp_chance", "double"),
            ("caching", "frozen<map<text, text>>"),
            ("cdc", "boolean"),
            ("comment", "text"),
            ("compaction", "frozen<map<text, text>>"),
            ("compression", "frozen<map<text, text>>"),
            ("crc_check_chance", "double"),
            ("dclocal_read_repair_chance", "double"),
            ("default_time_to_live", "int"),
            ("extensions", "frozen<map<text, blob>>"),
        ]
    };
}

pub const LOCAL: SysTable = SysTable {
    keyspace: SYSTEM,
    name: "local",
    comment: "information about the local node",
    partition: &[("key", "text")],
    clustering: &[],
    regular: &[
        ("bootstrapped", "text"),
        ("broadcast_address", "inet"),
        ("broadcast_port", "int"),
        ("cluster_name", "text"),
        ("cql_version", "text"),
        ("data_center", "text"),
        ("gossip_generation", "int"),
        ("host_id", "uuid"),
        ("listen_address", "inet"),
        ("listen_port", "int"),
        ("native_protocol_version", "text"),
        ("partitioner", "text"),
        ("rack", "text"),
        ("release_version", "text"),
        ("rpc_address", "inet"),
        ("rpc_port", "int"),
        ("schema_version", "uuid"),
        ("tokens", "set<text>"),
        ("truncated_at", "map<uuid, blob>"),
    ],
};

pub const PEERS: SysTable = SysTable {
    keyspace: SYSTEM,
    name: "peers",
    comment: "information about known peers in the cluster",
    partition: &[("peer", "inet")],
    clustering: &[],
    regular: &[
        ("data_center", "text"),
        ("host_id", "uuid"),
        ("preferred_ip", "inet"),
        ("rack", "text"),
        ("release_version", "text"),
        ("rpc_address", "inet"),
        ("schema_version", "uuid"),
        ("tokens", "set<text>"),
    ],
};

pub const AGGREGATES: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "aggregates",
    comment: "user defined aggregate definitions",
    partition: KS_TABLE,
    clustering: &[
        ("aggregate_name", "text"),
        ("argument_types", "frozen<list<text>>"),
    ],
    regular: &[
        ("final_func", "text"),
        ("initcond", "text"),
        ("return_type", "text"),
        ("state_func", "text"),
        ("state_type", "text"),
    ],
};

const COLUMN_ROWS: &[(&str, &str)] = &[
    ("clustering_order", "text"),
    ("column_name_bytes", "blob"),
    ("kind", "text"),
    ("position", "int"),
    ("type", "text"),
];

pub const COLUMNS: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "columns",
    comment: "column definitions",
    partition: KS_TABLE,
    clustering: &[("table_name", "text"), ("column_name", "text")],
    regular: COLUMN_ROWS,
};

pub const DROPPED_COLUMNS: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "dropped_columns",
    comment: "dropped column registry",
    partition: KS_TABLE,
    clustering: &[("table_name", "text"), ("column_name", "text")],
    regular: &[
        ("dropped_time", "timestamp"),
        ("kind", "text"),
        ("type", "text"),
    ],
};

pub const FUNCTIONS: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "functions",
    comment: "user defined function definitions",
    partition: KS_TABLE,
    clustering: &[
        ("function_name", "text"),
        ("argument_types", "frozen<list<text>>"),
    ],
    regular: &[
        ("argument_names", "frozen<list<text>>"),
        ("body", "text"),
        ("called_on_null_input", "boolean"),
        ("language", "text"),
        ("return_type", "text"),
    ],
};

pub const INDEXES: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "indexes",
    comment: "secondary index definitions",
    partition: KS_TABLE,
    clustering: &[("table_name", "text"), ("index_name", "text")],
    regular: &[("kind", "text"), ("options", "frozen<map<text, text>>")],
};

pub const KEYSPACES: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "keyspaces",
    comment: "keyspace definitions",
    partition: KS_TABLE,
    clustering: &[],
    regular: &[
        ("durable_writes", "boolean"),
        ("replication", "frozen<map<text, text>>"),
    ],
};

const TABLES_REST: &[(&str, &str)] = &[
    ("flags", "frozen<set<text>>"),
    ("gc_grace_seconds", "int"),
    ("id", "uuid"),
    ("max_index_interval", "int"),
    ("memtable", "text"),
    ("memtable_flush_period_in_ms", "int"),
    ("min_index_interval", "int"),
    ("read_repair", "text"),
    ("read_repair_chance", "double"),
    ("speculative_retry", "text"),
];

/// `system_schema.tables`' regular columns, in name order.
pub fn tables_regular() -> Vec<(&'static str, &'static str)> {
    let head: &[(&str, &str)] = table_options!();
    head.iter().chain(TABLES_REST).copied().collect()
}

pub const TABLES: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "tables",
    comment: "table definitions",
    partition: KS_TABLE,
    clustering: TABLE_NAME,
    // Filled from `tables_regular()`: the options are shared with `views`.
    regular: &[],
};

pub const TRIGGERS: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "triggers",
    comment: "trigger definitions",
    partition: KS_TABLE,
    clustering: &[("table_name", "text"), ("trigger_name", "text")],
    regular: &[("options", "frozen<map<text, text>>")],
};

pub const TYPES: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "types",
    comment: "user defined type definitions",
    partition: KS_TABLE,
    clustering: &[("type_name", "text")],
    regular: &[
        ("field_names", "frozen<list<text>>"),
        ("field_types", "frozen<list<text>>"),
    ],
};

const VIEWS_REST: &[(&str, &str)] = &[
    ("gc_grace_seconds", "int"),
    ("id", "uuid"),
    ("include_all_columns", "boolean"),
    ("max_index_interval", "int"),
    ("memtable", "text"),
    ("memtable_flush_period_in_ms", "int"),
    ("min_index_interval", "int"),
    ("read_repair", "text"),
    ("read_repair_chance", "double"),
    ("speculative_retry", "text"),
    ("where_clause", "text"),
];

/// `system_schema.views`' regular columns, in name order.
pub fn views_regular() -> Vec<(&'static str, &'static str)> {
    let head: &[(&str, &str)] =
        table_options!(("base_table_id", "uuid"), ("base_table_name", "text"));
    head.iter().chain(VIEWS_REST).copied().collect()
}

pub const VIEWS: SysTable = SysTable {
    keyspace: SYSTEM_SCHEMA,
    name: "views",
    comment: "view definitions",
    partition: KS_TABLE,
    clustering: &[("view_name", "text")],
    // Filled from `views_regular()`.
    regular: &[],
};

pub const VIRTUAL_KEYSPACES: SysTable = SysTable {
    keyspace: VIRTUAL_SCHEMA,
    name: "keyspaces",
    comment: "virtual keyspace definitions",
    partition: KS_TABLE,
    clustering: &[],
    regular: &[],
};

pub const VIRTUAL_TABLES: SysTable = SysTable {
    keyspace: VIRTUAL_SCHEMA,
    name: "tables",
    comment: "virtual table definitions",
    partition: KS_TABLE,
    clustering: TABLE_NAME,
    regular: &[("comment", "text")],
};

pub const VIRTUAL_COLUMNS: SysTable = SysTable {
    keyspace: VIRTUAL_SCHEMA,
    name: "columns",
    comment: "virtual column definitions",
    partition: KS_TABLE,
    clustering: &[("table_name", "text"), ("column_name", "text")],
    regular: COLUMN_ROWS,
};

/// Every synthesized table, keyspace by keyspace, tables in name order.
pub const ALL: &[SysTable] = &[
    LOCAL,
    PEERS,
    AGGREGATES,
    COLUMNS,
    DROPPED_COLUMNS,
    FUNCTIONS,
    INDEXES,
    KEYSPACES,
    TABLES,
    TRIGGERS,
    TYPES,
    VIEWS,
    VIRTUAL_COLUMNS,
    VIRTUAL_KEYSPACES,
    VIRTUAL_TABLES,
];

pub fn find(keyspace: &str, table: &str) -> Option<&'static SysTable> {
    ALL.iter()
        .find(|t| t.keyspace == keyspace && t.name == table)
}

impl SysTable {
    fn regular_columns(&self) -> Vec<(&'static str, &'static str)> {
        match (self.keyspace, self.name) {
            (SYSTEM_SCHEMA, "tables") => tables_regular(),
            (SYSTEM_SCHEMA, "views") => views_regular(),
            _ => self.regular.to_vec(),
        }
    }

    /// Every column with its kind, in `SELECT *` order.
    fn typed(&self) -> Vec<(&'static str, CqlType, ColumnKind, i32)> {
        let key = |cols: &'static [(&'static str, &'static str)], kind| {
            cols.iter()
                .enumerate()
                .map(move |(i, (n, t))| (*n, *t, kind, i32::try_from(i).unwrap_or(i32::MAX)))
        };
        key(self.partition, ColumnKind::PartitionKey)
            .chain(key(self.clustering, ColumnKind::Clustering))
            .chain(
                self.regular_columns()
                    .into_iter()
                    .map(|(n, t)| (n, t, ColumnKind::Regular, -1)),
            )
            // Every type text above is in `parse_type`'s grammar (a unit test checks each).
            .filter_map(|(n, t, k, p)| parse_type(t).map(|ty| (n, ty, k, p)))
            .collect()
    }

    /// The result columns, in `SELECT *` order.
    pub fn columns(&self) -> Vec<(String, CqlType)> {
        self.typed()
            .into_iter()
            .map(|(n, t, _, _)| (n.to_string(), t))
            .collect()
    }

    /// This table as a schema entry, with the options Cassandra gives its system tables.
    pub fn table_def(&self) -> TableDef {
        let columns: Vec<ColumnDef> = self
            .typed()
            .into_iter()
            .enumerate()
            .map(|(i, (name, ty, kind, position))| ColumnDef {
                id: u32::try_from(i).unwrap_or(u32::MAX),
                name: name.to_string(),
                ty,
                kind,
                position,
                order: Order::Asc,
            })
            .collect();
        let (gc_grace, flush) = match self.keyspace {
            SYSTEM => ("0", "3600000"),
            SYSTEM_SCHEMA => ("604800", "3600000"),
            _ => ("0", "0"),
        };
        TableDef {
            keyspace: self.keyspace.to_string(),
            name: self.name.to_string(),
            id: system_table_id(self.keyspace, self.name),
            version: 0,
            next_column: u32::try_from(columns.len()).unwrap_or(u32::MAX),
            columns,
            options: TableOptions {
                default_time_to_live: 0,
                comment: self.comment.to_string(),
                other: vec![
                    ("gc_grace_seconds".into(), gc_grace.into()),
                    ("memtable_flush_period_in_ms".into(), flush.into()),
                ],
            },
            indexes: Vec::new(),
        }
    }
}

/// A stable id for a system table, shaped as a name-based (version 3) UUID as Cassandra's
/// `TableId.forSystemTable` is, so it never changes between nodes or restarts.
fn system_table_id(keyspace: &str, table: &str) -> [u8; 16] {
    // FNV-1a, twice with different offsets: only stability matters here.
    let hash = |seed: u64| {
        let mut h = seed;
        for b in keyspace.bytes().chain([0]).chain(table.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&hash(0xcbf2_9ce4_8422_2325).to_be_bytes());
    id[8..].copy_from_slice(&hash(0x6c62_272e_07bb_0142).to_be_bytes());
    id[6] = (id[6] & 0x0f) | 0x30;
    id[8] = (id[8] & 0x3f) | 0x80;
    id
}

/// Whether a keyspace is one of Cassandra's own (DESCRIBE SCHEMA leaves them out).
pub fn is_system_keyspace(name: &str) -> bool {
    matches!(
        name,
        SYSTEM
            | SYSTEM_SCHEMA
            | VIRTUAL_SCHEMA
            | "system_auth"
            | "system_distributed"
            | "system_traces"
            | "system_views"
    )
}

/// Virtual keyspaces: listed in `system_virtual_schema`, not in `system_schema`.
pub fn is_virtual_keyspace(name: &str) -> bool {
    name == VIRTUAL_SCHEMA
}

fn keyspace(name: &str, replication: &[(&str, &str)]) -> KeyspaceDef {
    KeyspaceDef {
        name: name.to_string(),
        replication: replication
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        durable_writes: true,
    }
}

/// The system keyspaces, replicated as Cassandra 4.1 creates them.
fn system_keyspaces() -> Vec<KeyspaceDef> {
    let local = [("class", "org.apache.cassandra.locator.LocalStrategy")];
    let simple = |rf| {
        [
            ("class", "org.apache.cassandra.locator.SimpleStrategy"),
            ("replication_factor", rf),
        ]
    };
    vec![
        keyspace(SYSTEM, &local),
        keyspace("system_auth", &simple("1")),
        keyspace("system_distributed", &simple("3")),
        keyspace(SYSTEM_SCHEMA, &local),
        keyspace("system_traces", &simple("2")),
        keyspace(VIRTUAL_SCHEMA, &local),
    ]
}

/// The user schema with the system keyspaces and their synthesized tables added in front. A
/// user keyspace that shadows a system one is left out (the DDL path refuses them anyway).
pub fn full_schema(schema: &Schema) -> Schema {
    let mut keyspaces = system_keyspaces();
    keyspaces.extend(
        schema
            .keyspaces
            .iter()
            .filter(|k| !is_system_keyspace(&k.name))
            .cloned(),
    );
    let mut tables: Vec<TableDef> = ALL.iter().map(SysTable::table_def).collect();
    tables.extend(
        schema
            .tables
            .iter()
            .filter(|t| !is_system_keyspace(&t.keyspace))
            .cloned(),
    );
    Schema {
        keyspaces,
        tables,
        types: schema.types.clone(),
        version: schema.version,
    }
}

/// A CQL type from the text Cassandra's own table definitions use (`frozen<map<text, text>>`).
/// Only the forms those definitions need.
pub fn parse_type(text: &str) -> Option<CqlType> {
    let t = text.trim();
    if let Some((outer, inner)) = t.strip_suffix('>').and_then(|r| r.split_once('<')) {
        let args = split_args(inner);
        return match (outer.trim(), args.as_slice()) {
            ("frozen", [a]) => Some(CqlType::Frozen(Box::new(parse_type(a)?))),
            ("list", [a]) => Some(CqlType::List(Box::new(parse_type(a)?))),
            ("set", [a]) => Some(CqlType::Set(Box::new(parse_type(a)?))),
            ("map", [k, v]) => Some(CqlType::Map(
                Box::new(parse_type(k)?),
                Box::new(parse_type(v)?),
            )),
            _ => None,
        };
    }
    Some(match t {
        "text" | "varchar" => CqlType::Text,
        "ascii" => CqlType::Ascii,
        "boolean" => CqlType::Boolean,
        "int" => CqlType::Int,
        "bigint" => CqlType::BigInt,
        "double" => CqlType::Double,
        "uuid" => CqlType::Uuid,
        "timeuuid" => CqlType::TimeUuid,
        "timestamp" => CqlType::Timestamp,
        "inet" => CqlType::Inet,
        "blob" => CqlType::Blob,
        _ => return None,
    })
}

/// Splits `a, map<b, c>` at the top-level commas.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::codec::type_name;

    #[test]
    fn every_column_type_parses() {
        for t in ALL {
            let declared = t.partition.len() + t.clustering.len() + t.regular_columns().len();
            assert_eq!(t.columns().len(), declared, "{}.{}", t.keyspace, t.name);
        }
    }

    #[test]
    fn regular_columns_are_in_name_order() {
        for t in ALL {
            let names: Vec<&str> = t.regular_columns().iter().map(|(n, _)| *n).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted, "{}.{}", t.keyspace, t.name);
        }
    }

    #[test]
    fn schema_tables_match_cassandra_41() {
        let names: Vec<String> = TABLES.columns().into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "keyspace_name",
                "table_name",
                "additional_write_policy",
                "bloom_filter_fp_chance",
                "caching",
                "cdc",
                "comment",
                "compaction",
                "compression",
                "crc_check_chance",
                "dclocal_read_repair_chance",
                "default_time_to_live",
                "extensions",
                "flags",
                "gc_grace_seconds",
                "id",
                "max_index_interval",
                "memtable",
                "memtable_flush_period_in_ms",
                "min_index_interval",
                "read_repair",
                "read_repair_chance",
                "speculative_retry",
            ]
        );
        let types: Vec<String> = KEYSPACES
            .columns()
            .iter()
            .map(|(_, t)| type_name(t))
            .collect();
        assert_eq!(types, ["text", "boolean", "frozen<map<text, text>>"]);
        let local = LOCAL.columns();
        assert_eq!(local.len(), 20);
        assert_eq!(type_name(&local[18].1), "set<text>");
    }

    #[test]
    fn system_table_ids_are_stable_and_distinct() {
        assert_eq!(
            system_table_id("system", "local"),
            system_table_id("system", "local")
        );
        assert_ne!(
            system_table_id("system", "local"),
            system_table_id("system", "peers")
        );
        assert_eq!(system_table_id("system", "local")[6] >> 4, 3);
    }
}

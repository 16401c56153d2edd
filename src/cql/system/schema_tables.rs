//! The rows of `system_schema.*` and `system_virtual_schema.*`, built from the schema with the
//! system keyspaces added (`catalog::full_schema`), in the column order `catalog` declares.
//! Drivers rebuild their whole metadata from these on connect and on every schema change.
//!
//! User functions, aggregates, views, triggers and dropped columns do not exist here: those
//! tables have their columns and no rows.

use bytes::Bytes;

use crate::command::table::schema::{ColumnKind, Order, Schema, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::cql::codec::{maybe_quote, type_name};

use super::catalog::is_virtual_keyspace;
use super::params::{normalize_replication, str_entries, TableParams};
use super::Row;

fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.to_string()))
}

fn text_map<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Value> {
    let mut m: Vec<(Value, Value)> = entries
        .into_iter()
        .map(|(k, v)| (Value::Text(k.into()), Value::Text(v.into())))
        .collect();
    sort_text_map(&mut m);
    Some(Value::Map(m))
}

/// Map entries keyed by text, in text order and unique, as [`Value::Map`] requires.
fn sort_text_map(m: &mut Vec<(Value, Value)>) {
    let key = |v: &Value| match v {
        Value::Text(s) => s.clone(),
        _ => String::new(),
    };
    m.sort_by_key(|(k, _)| key(k));
    m.dedup_by(|a, b| key(&a.0) == key(&b.0));
}

fn text_list<I: IntoIterator<Item = String>>(items: I) -> Option<Value> {
    Some(Value::List(items.into_iter().map(Value::Text).collect()))
}

/// The user and system keyspaces that `system_schema` lists (virtual ones are elsewhere).
fn stored(schema: &Schema) -> impl Iterator<Item = &TableDef> {
    schema
        .tables
        .iter()
        .filter(|t| !is_virtual_keyspace(&t.keyspace))
}

pub fn keyspaces(schema: &Schema) -> Vec<Row> {
    schema
        .keyspaces
        .iter()
        .filter(|k| !is_virtual_keyspace(&k.name))
        .map(|k| {
            let r = normalize_replication(&k.replication);
            vec![
                text(&k.name),
                Some(Value::Boolean(k.durable_writes)),
                text_map(r.iter().map(|(a, b)| (a.as_str(), b.as_str()))),
            ]
        })
        .collect()
}

/// `flags`: every CQL table is `compound`; counter tables are also `counter`.
fn flags(t: &TableDef) -> Option<Value> {
    let mut f = vec![Value::Text("compound".into())];
    if t.is_counter_table() {
        f.push(Value::Text("counter".into()));
    }
    Some(Value::Set(f))
}

pub fn tables(schema: &Schema) -> Vec<Row> {
    stored(schema)
        .map(|t| {
            let p = TableParams::of(&t.options);
            let ext: Vec<(Value, Value)> = p
                .extensions
                .iter()
                .map(|(k, v)| (Value::Text(k.clone()), Value::Blob(Bytes::from(v.clone()))))
                .collect();
            vec![
                text(&t.keyspace),
                text(&t.name),
                text(&p.additional_write_policy),
                Some(Value::Double(p.bloom_filter_fp_chance)),
                text_map(str_entries(&p.caching)),
                Some(Value::Boolean(p.cdc)),
                text(&p.comment),
                text_map(str_entries(&p.compaction)),
                text_map(str_entries(&p.compression)),
                Some(Value::Double(p.crc_check_chance)),
                // No longer used (4.0 dropped read repair chances); kept for drivers' sake.
                Some(Value::Double(0.0)),
                Some(Value::Int(p.default_time_to_live)),
                Some(Value::Map(ext)),
                flags(t),
                Some(Value::Int(p.gc_grace_seconds)),
                Some(Value::Uuid(t.id)),
                Some(Value::Int(p.max_index_interval)),
                text(&p.memtable),
                Some(Value::Int(p.memtable_flush_period_in_ms)),
                Some(Value::Int(p.min_index_interval)),
                text(&p.read_repair),
                Some(Value::Double(0.0)),
                text(&p.speculative_retry),
            ]
        })
        .collect()
}

fn kind_name(k: ColumnKind) -> &'static str {
    match k {
        ColumnKind::PartitionKey => "partition_key",
        ColumnKind::Clustering => "clustering",
        ColumnKind::Regular => "regular",
        ColumnKind::Static => "static",
    }
}

/// The rows of a columns table (`system_schema.columns`, `system_virtual_schema.columns`):
/// keyspace, table, column, clustering_order, column_name_bytes, kind, position, type.
fn column_rows<'a>(tables: impl Iterator<Item = &'a TableDef>) -> Vec<Row> {
    let mut out = Vec::new();
    for t in tables {
        let mut cols: Vec<_> = t.columns.iter().collect();
        // Clustering order of the table: by column name.
        cols.sort_by(|a, b| a.name.cmp(&b.name));
        for c in cols {
            let order = match (c.kind, c.order) {
                (ColumnKind::Clustering, Order::Asc) => "asc",
                (ColumnKind::Clustering, Order::Desc) => "desc",
                _ => "none",
            };
            let position = match c.kind {
                ColumnKind::PartitionKey | ColumnKind::Clustering => c.position,
                ColumnKind::Regular | ColumnKind::Static => -1,
            };
            out.push(vec![
                text(&t.keyspace),
                text(&t.name),
                text(&c.name),
                text(order),
                Some(Value::Blob(Bytes::from(c.name.clone().into_bytes()))),
                text(kind_name(c.kind)),
                Some(Value::Int(position)),
                text(&type_name(&c.ty)),
            ]);
        }
    }
    out
}

pub fn columns(schema: &Schema) -> Vec<Row> {
    column_rows(stored(schema))
}

pub fn types(schema: &Schema) -> Vec<Row> {
    schema
        .types
        .iter()
        .map(|u| {
            vec![
                text(&u.keyspace),
                text(&u.name),
                text_list(u.fields.iter().map(|(n, _)| n.clone())),
                text_list(u.fields.iter().map(|(_, t)| type_name(t))),
            ]
        })
        .collect()
}

/// What an index's `target` option says: the column (quoted if need be), wrapped in the
/// collection part it indexes. A non-frozen collection indexed by name alone indexes its
/// values, as Cassandra decides at CREATE INDEX.
pub fn index_target(table: &TableDef, column: u32, target: &str) -> Option<String> {
    let c = table.column_by_id(column)?;
    let name = maybe_quote(&c.name);
    let part = match target {
        "" if c.ty.is_multi_cell() => "values",
        "" => return Some(name),
        other => other,
    };
    Some(format!("{part}({name})"))
}

pub fn indexes(schema: &Schema) -> Vec<Row> {
    let mut out = Vec::new();
    for t in stored(schema) {
        for i in &t.indexes {
            let Some(target) = index_target(t, i.column, &i.target) else {
                continue;
            };
            out.push(vec![
                text(&t.keyspace),
                text(&t.name),
                text(&i.name),
                text("COMPOSITES"),
                text_map([("target", target.as_str())]),
            ]);
        }
    }
    out
}

pub fn virtual_keyspaces(schema: &Schema) -> Vec<Row> {
    schema
        .keyspaces
        .iter()
        .filter(|k| is_virtual_keyspace(&k.name))
        .map(|k| vec![text(&k.name)])
        .collect()
}

fn virtual_tables_of(schema: &Schema) -> impl Iterator<Item = &TableDef> {
    schema
        .tables
        .iter()
        .filter(|t| is_virtual_keyspace(&t.keyspace))
}

pub fn virtual_tables(schema: &Schema) -> Vec<Row> {
    virtual_tables_of(schema)
        .map(|t| vec![text(&t.keyspace), text(&t.name), text(&t.options.comment)])
        .collect()
}

pub fn virtual_columns(schema: &Schema) -> Vec<Row> {
    column_rows(virtual_tables_of(schema))
}

/// Rows sorted the way Cassandra returns them within this node: by the key columns, keyspace
/// first. (Across partitions Cassandra's order is by token; drivers do not depend on it.)
pub fn sort_by_key(rows: &mut [Row], key_len: usize) {
    rows.sort_by(|a, b| {
        for i in 0..key_len {
            let o = key_text(a.get(i)).cmp(&key_text(b.get(i)));
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
}

fn key_text(v: Option<&Option<Value>>) -> String {
    match v {
        Some(Some(Value::Text(s))) => s.clone(),
        Some(Some(Value::List(items))) => items
            .iter()
            .map(|i| match i {
                Value::Text(s) => s.as_str(),
                _ => "",
            })
            .collect::<Vec<_>>()
            .join("\u{0}"),
        _ => String::new(),
    }
}

/// Whether a type is stored as several cells (a non-frozen collection or UDT): DESCRIBE lists
/// those after the single-cell columns, as Cassandra's column order does.
pub fn is_complex(ty: &CqlType) -> bool {
    ty.is_multi_cell() || matches!(ty, CqlType::Udt(_))
}

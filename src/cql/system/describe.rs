//! Server-side DESCRIBE as Cassandra 4 answers it (`DescribeStatement`): which elements each
//! form lists, in which order, with which columns, and the CREATE statement of each element as
//! `toCqlString` writes it. cqlsh 6 sends DESCRIBE to the server and prints `create_statement`
//! (or `name` for the listing forms) as it comes, so the text must match Cassandra's exactly.
//!
//! It reads the schema (with the system keyspaces added); it never changes anything.

use std::collections::{BTreeMap, HashSet};

use crate::command::table::schema::{ColumnKind, KeyspaceDef, Order, Schema, TableDef};
use crate::command::table::value::{CqlType, UdtType, Value};
use crate::cql::codec::{maybe_quote, type_name};

use super::catalog::{full_schema, is_system_keyspace, is_virtual_keyspace};
use super::local::STORAGE_PORT;
use super::params::{normalize_replication, TableParams};
use super::schema_tables::{index_target, is_complex};
use super::text::quoted;
use super::{DescribeTarget, NodeFacts, Row, SystemError, SystemRows};

/// The columns of the listing forms (`DESCRIBE KEYSPACES`, `TABLES`, ...).
fn list_columns() -> Vec<(String, CqlType)> {
    ["keyspace_name", "type", "name"]
        .into_iter()
        .map(|n| (n.to_string(), CqlType::Text))
        .collect()
}

/// The columns of the element forms: the listing's and `create_statement`.
fn element_columns() -> Vec<(String, CqlType)> {
    let mut c = list_columns();
    c.push(("create_statement".into(), CqlType::Text));
    c
}

fn rows(columns: Vec<(String, CqlType)>, rows: Vec<Row>) -> SystemRows {
    SystemRows {
        keyspace: "system".into(),
        table: "describe".into(),
        columns,
        rows,
    }
}

fn invalid(msg: impl Into<String>) -> SystemError {
    SystemError::Invalid(msg.into())
}

/// One schema element of the output: its keyspace, kind, name and CREATE statement.
struct Element {
    keyspace: String,
    kind: &'static str,
    name: String,
    cql: String,
}

impl Element {
    fn list_row(&self) -> Row {
        vec![
            Some(Value::Text(maybe_quote(&self.keyspace))),
            Some(Value::Text(self.kind.into())),
            Some(Value::Text(maybe_quote(&self.name))),
        ]
    }

    fn element_row(&self) -> Row {
        let mut r = self.list_row();
        r.push(Some(Value::Text(self.cql.clone())));
        r
    }
}

/// Cassandra's `NAME_COMPARATOR`: names compared ignoring case.
fn by_name<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| {
        name(a)
            .to_lowercase()
            .cmp(&name(b).to_lowercase())
            .then_with(|| name(a).cmp(name(b)))
    });
}

pub fn describe(
    target: &DescribeTarget,
    current: Option<&str>,
    schema: &Schema,
    facts: &NodeFacts,
) -> Result<SystemRows, SystemError> {
    let full = full_schema(schema);
    let s = &full;
    let listing = |elements: Vec<Element>| {
        rows(
            list_columns(),
            elements.iter().map(Element::list_row).collect(),
        )
    };
    let detailed = |elements: Vec<Element>| {
        rows(
            element_columns(),
            elements.iter().map(Element::element_row).collect(),
        )
    };
    Ok(match target {
        DescribeTarget::Cluster => cluster(current, facts),
        DescribeTarget::Keyspaces => listing(sorted_keyspaces(s).map(keyspace_element).collect()),
        DescribeTarget::Tables => listing(per_keyspace(s, current, |k| {
            sorted_tables(s, &k.name)
                .into_iter()
                .map(table_element)
                .collect()
        })?),
        DescribeTarget::Types => listing(per_keyspace(s, current, |k| {
            sorted_types(s, &k.name)
                .into_iter()
                .map(type_element)
                .collect()
        })?),
        // No user functions or aggregates exist here: the listing is empty, but the keyspace
        // in use must still exist, as Cassandra checks.
        DescribeTarget::Functions | DescribeTarget::Aggregates => {
            listing(per_keyspace(s, current, |_| Vec::new())?)
        }
        DescribeTarget::Schema { full: with_system } => detailed(
            sorted_keyspaces(s)
                .filter(|k| *with_system || !is_system_keyspace(&k.name))
                .flat_map(|k| keyspace_elements(s, k, false))
                .collect(),
        ),
        DescribeTarget::Keyspace { name, only } => {
            let ks = keyspace_or_current(name.as_deref(), current)?;
            detailed(keyspace_elements(s, existing_keyspace(s, ks)?, *only))
        }
        DescribeTarget::Table { keyspace, name } => {
            let ks = keyspace_or_current(keyspace.as_deref(), current)?;
            detailed(table_elements(s, existing_keyspace(s, ks)?, name)?)
        }
        DescribeTarget::Type { keyspace, name } => {
            let ks = keyspace_or_current(keyspace.as_deref(), current)?;
            let k = existing_keyspace(s, ks)?;
            let u = s.udt(&k.name, name).ok_or_else(|| {
                invalid(format!(
                    "User defined type '{name}' not found in '{}'",
                    k.name
                ))
            })?;
            detailed(vec![type_element(u)])
        }
        DescribeTarget::Index { keyspace, name } => {
            let ks = keyspace_or_current(keyspace.as_deref(), current)?;
            detailed(vec![index_element(s, existing_keyspace(s, ks)?, name)?])
        }
        DescribeTarget::Name { keyspace, name } => {
            detailed(generic(s, keyspace.as_deref(), name, current)?)
        }
    })
}

fn keyspace_or_current<'a>(
    named: Option<&'a str>,
    current: Option<&'a str>,
) -> Result<&'a str, SystemError> {
    named
        .or(current)
        .ok_or_else(|| invalid("No keyspace specified and no current keyspace"))
}

fn existing_keyspace<'a>(s: &'a Schema, name: &str) -> Result<&'a KeyspaceDef, SystemError> {
    s.keyspace(name)
        .ok_or_else(|| invalid(format!("'{name}' not found in keyspaces")))
}

fn sorted_keyspaces(s: &Schema) -> impl Iterator<Item = &KeyspaceDef> {
    let mut ks: Vec<&KeyspaceDef> = s.keyspaces.iter().collect();
    by_name(&mut ks, |k| &k.name);
    ks.into_iter()
}

/// The listing forms: the keyspace in use, or every keyspace in name order.
fn per_keyspace<'s>(
    s: &'s Schema,
    current: Option<&str>,
    each: impl Fn(&'s KeyspaceDef) -> Vec<Element>,
) -> Result<Vec<Element>, SystemError> {
    Ok(match current {
        Some(ks) => each(existing_keyspace(s, ks)?),
        None => sorted_keyspaces(s).flat_map(each).collect(),
    })
}

fn sorted_tables<'s>(s: &'s Schema, ks: &str) -> Vec<&'s TableDef> {
    let mut t: Vec<&TableDef> = s.tables.iter().filter(|t| t.keyspace == ks).collect();
    by_name(&mut t, |t| &t.name);
    t
}

/// A keyspace's types with every type after the types it uses (Cassandra's
/// `Types.sortedStream`), otherwise in name order, so the output replays in order.
fn sorted_types<'s>(s: &'s Schema, ks: &str) -> Vec<&'s UdtType> {
    let mut all: Vec<&UdtType> = s.types.iter().filter(|u| u.keyspace == ks).collect();
    by_name(&mut all, |u| &u.name);
    let mut out: Vec<&UdtType> = Vec::with_capacity(all.len());
    let mut placed: HashSet<&str> = HashSet::new();
    fn visit<'s>(
        u: &'s UdtType,
        all: &[&'s UdtType],
        placed: &mut HashSet<&'s str>,
        out: &mut Vec<&'s UdtType>,
        depth: usize,
    ) {
        if placed.contains(u.name.as_str()) || depth > all.len() {
            return;
        }
        let mut deps = Vec::new();
        for (_, t) in &u.fields {
            udts_in(t, &mut deps);
        }
        for d in deps {
            if let Some(dep) = all.iter().find(|x| x.name == d && x.keyspace == u.keyspace) {
                visit(dep, all, placed, out, depth + 1);
            }
        }
        if placed.insert(u.name.as_str()) {
            out.push(u);
        }
    }
    for u in &all {
        visit(u, &all, &mut placed, &mut out, 0);
    }
    out
}

/// The names of the user types a type refers to, at any depth.
fn udts_in(t: &CqlType, out: &mut Vec<String>) {
    match t {
        CqlType::Udt(u) => out.push(u.name.clone()),
        CqlType::Frozen(i) | CqlType::List(i) | CqlType::Set(i) => udts_in(i, out),
        CqlType::Map(k, v) => {
            udts_in(k, out);
            udts_in(v, out);
        }
        CqlType::Tuple(ts) => ts.iter().for_each(|t| udts_in(t, out)),
        _ => {}
    }
}

/// `DESCRIBE KEYSPACE`: the keyspace, then (unless ONLY) its types, then each table followed
/// by its indexes.
fn keyspace_elements(s: &Schema, k: &KeyspaceDef, only: bool) -> Vec<Element> {
    let mut out = vec![keyspace_element(k)];
    if only {
        return out;
    }
    out.extend(sorted_types(s, &k.name).into_iter().map(type_element));
    for t in sorted_tables(s, &k.name) {
        out.push(table_element(t));
        out.extend(index_elements(t));
    }
    out
}

fn table_elements(s: &Schema, k: &KeyspaceDef, name: &str) -> Result<Vec<Element>, SystemError> {
    let t = s
        .table(&k.name, name)
        .ok_or_else(|| invalid(format!("Table '{name}' not found in keyspace '{}'", k.name)))?;
    let mut out = vec![table_element(t)];
    out.extend(index_elements(t));
    Ok(out)
}

fn index_element(s: &Schema, k: &KeyspaceDef, name: &str) -> Result<Element, SystemError> {
    s.tables
        .iter()
        .filter(|t| t.keyspace == k.name)
        .flat_map(index_elements)
        .find(|e| e.name == name)
        .ok_or_else(|| {
            invalid(format!(
                "Table for existing index '{name}' not found in '{}'",
                k.name
            ))
        })
}

/// `DESCRIBE name`: a keyspace of that name, else (in the named, current or same-named
/// keyspace) a table, then an index.
fn generic(
    s: &Schema,
    keyspace: Option<&str>,
    name: &str,
    current: Option<&str>,
) -> Result<Vec<Element>, SystemError> {
    if keyspace.is_none() {
        if let Some(k) = s.keyspace(name) {
            return Ok(keyspace_elements(s, k, false));
        }
    }
    let ks = keyspace.or(current).unwrap_or(name);
    let k = existing_keyspace(s, ks)?;
    if s.table(&k.name, name).is_some() {
        return table_elements(s, k, name);
    }
    if let Ok(e) = index_element(s, k, name) {
        return Ok(vec![e]);
    }
    Err(invalid(format!("'{name}' not found in keyspace '{ks}'")))
}

fn keyspace_element(k: &KeyspaceDef) -> Element {
    let name = maybe_quote(&k.name);
    let cql = if is_virtual_keyspace(&k.name) {
        format!(
            "/*\nWarning: Keyspace {name} is a virtual keyspace and cannot be recreated with CQL.\n\
             Structure, for reference:\nVIRTUAL KEYSPACE {name};\n*/"
        )
    } else {
        let r = normalize_replication(&k.replication);
        format!(
            "CREATE KEYSPACE {name} WITH replication = {}  AND durable_writes = {};",
            replication_literal(&r),
            k.durable_writes
        )
    };
    Element {
        keyspace: k.name.clone(),
        kind: "keyspace",
        name: k.name.clone(),
        cql,
    }
}

/// `{'class': '...', 'replication_factor': '1'}`: the class first, then the options in order.
fn replication_literal(r: &[(String, String)]) -> String {
    let class = r.iter().find(|(k, _)| k == "class");
    let mut s = String::from("{");
    if let Some((_, c)) = class {
        s.push_str("'class': ");
        s.push_str(&quoted(c));
    }
    for (k, v) in r.iter().filter(|(k, _)| k != "class") {
        if s.len() > 1 {
            s.push_str(", ");
        }
        s.push_str(&quoted(k));
        s.push_str(": ");
        s.push_str(&quoted(v));
    }
    s.push('}');
    s
}

fn type_element(u: &UdtType) -> Element {
    let mut cql = format!(
        "CREATE TYPE {}.{} (\n",
        maybe_quote(&u.keyspace),
        maybe_quote(&u.name)
    );
    let fields: Vec<String> = u
        .fields
        .iter()
        .map(|(n, t)| format!("    {} {}", maybe_quote(n), type_name(t)))
        .collect();
    cql.push_str(&fields.join(",\n"));
    cql.push_str("\n);");
    Element {
        keyspace: u.keyspace.clone(),
        kind: "type",
        name: u.name.clone(),
        cql,
    }
}

/// The columns in CREATE order (`allColumnsInCreateOrder`): partition key, clustering, then
/// static and then regular columns, each group with single-cell columns before multi-cell
/// ones and by name within.
fn create_order(t: &TableDef) -> Vec<&crate::command::table::schema::ColumnDef> {
    let mut out = t.partition_key();
    out.extend(t.clustering());
    for kind in [ColumnKind::Static, ColumnKind::Regular] {
        let mut rest: Vec<_> = t.columns.iter().filter(|c| c.kind == kind).collect();
        rest.sort_by(|a, b| {
            is_complex(&a.ty)
                .cmp(&is_complex(&b.ty))
                .then_with(|| a.name.cmp(&b.name))
        });
        out.extend(rest);
    }
    out
}

fn table_element(t: &TableDef) -> Element {
    let virtual_table = is_virtual_keyspace(&t.keyspace);
    let qualified = format!("{}.{}", maybe_quote(&t.keyspace), maybe_quote(&t.name));
    let pk = t.partition_key();
    let ck = t.clustering();
    let single = pk.len() == 1 && ck.is_empty();
    let mut cql = String::new();
    if virtual_table {
        cql.push_str(&format!(
            "/*\nWarning: Table {qualified} is a virtual table and cannot be recreated with CQL.\n\
             Structure, for reference:\nVIRTUAL"
        ));
    } else {
        cql.push_str("CREATE");
    }
    cql.push_str(&format!(" TABLE {qualified} (\n"));
    let cols = create_order(t);
    for (i, c) in cols.iter().enumerate() {
        cql.push_str("    ");
        cql.push_str(&maybe_quote(&c.name));
        cql.push(' ');
        cql.push_str(&type_name(&c.ty));
        if c.kind == ColumnKind::Static {
            cql.push_str(" static");
        }
        if single && c.kind == ColumnKind::PartitionKey {
            cql.push_str(" PRIMARY KEY");
        }
        if !single || i + 1 < cols.len() {
            cql.push(',');
        }
        cql.push('\n');
    }
    if !single {
        let names = |cs: &[&crate::command::table::schema::ColumnDef]| {
            cs.iter()
                .map(|c| maybe_quote(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        cql.push_str("    PRIMARY KEY (");
        if pk.len() > 1 {
            cql.push_str(&format!("({})", names(&pk)));
        } else {
            cql.push_str(&names(&pk));
        }
        if !ck.is_empty() {
            cql.push_str(", ");
            cql.push_str(&names(&ck));
        }
        cql.push_str(")\n");
    }
    cql.push_str(") WITH ");
    if !ck.is_empty() {
        let order: Vec<String> = ck
            .iter()
            .map(|c| {
                let dir = if c.order == Order::Desc {
                    "DESC"
                } else {
                    "ASC"
                };
                format!("{} {dir}", maybe_quote(&c.name))
            })
            .collect();
        cql.push_str(&format!(
            "CLUSTERING ORDER BY ({})\n    AND ",
            order.join(", ")
        ));
    }
    if virtual_table {
        cql.push_str(&format!("comment = {};\n*/", quoted(&t.options.comment)));
    } else {
        TableParams::of(&t.options).append_cql(&mut cql);
        cql.push(';');
    }
    Element {
        keyspace: t.keyspace.clone(),
        kind: "table",
        name: t.name.clone(),
        cql,
    }
}

/// A table's indexes in name order, each as `CREATE INDEX name ON ks.table (target);`.
fn index_elements(t: &TableDef) -> Vec<Element> {
    let mut out: Vec<Element> = t
        .indexes
        .iter()
        .filter_map(|i| {
            let target = index_target(t, i.column, &i.target)?;
            Some(Element {
                keyspace: t.keyspace.clone(),
                kind: "index",
                name: i.name.clone(),
                cql: format!(
                    "CREATE INDEX {} ON {}.{} ({target});",
                    maybe_quote(&i.name),
                    maybe_quote(&t.keyspace),
                    maybe_quote(&t.name)
                ),
            })
        })
        .collect();
    by_name(&mut out, |e| &e.name);
    out
}

/// `DESCRIBE CLUSTER`: cluster, partitioner and snitch (package prefixes trimmed), and, when a
/// user keyspace is in use, which endpoints hold each token range.
fn cluster(current: Option<&str>, facts: &NodeFacts) -> SystemRows {
    let trim = |s: &str, p: &str| s.strip_prefix(p).unwrap_or(s).to_string();
    let mut columns: Vec<(String, CqlType)> = ["cluster", "partitioner", "snitch"]
        .into_iter()
        .map(|n| (n.to_string(), CqlType::Text))
        .collect();
    let mut row: Row = vec![
        Some(Value::Text(facts.cluster_name.clone())),
        Some(Value::Text(trim(
            &facts.partitioner,
            "org.apache.cassandra.dht.",
        ))),
        // Every node is in datacenter1/rack1, which is what SimpleSnitch reports.
        Some(Value::Text("SimpleSnitch".into())),
    ];
    if current.is_some_and(|k| !is_system_keyspace(k)) {
        columns.push((
            "range_ownership".into(),
            CqlType::Frozen(Box::new(CqlType::Map(
                Box::new(CqlType::Text),
                Box::new(CqlType::Frozen(Box::new(CqlType::List(Box::new(
                    CqlType::Text,
                ))))),
            ))),
        ));
        row.push(Some(range_ownership(facts)));
    }
    rows(columns, vec![row])
}

/// Token (a range's end) to the endpoints holding it: the token's owner first, then the other
/// nodes around the ring. Every node holds everything here (one Raft group), so every range
/// lists every node.
fn range_ownership(facts: &NodeFacts) -> Value {
    let endpoint = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(v4) => format!("{v4}:{STORAGE_PORT}"),
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{STORAGE_PORT}"),
    };
    let mut ring: Vec<(i128, String, usize)> = Vec::new();
    let mut nodes = vec![endpoint(facts.address)];
    nodes.extend(facts.peers.iter().map(|p| endpoint(p.address)));
    let owners = std::iter::once(&facts.tokens).chain(facts.peers.iter().map(|p| &p.tokens));
    for (node, tokens) in owners.enumerate() {
        for t in tokens {
            ring.push((t.parse().unwrap_or(i128::MAX), t.clone(), node));
        }
    }
    ring.sort();
    let mut order: Vec<usize> = Vec::new();
    for (_, _, n) in &ring {
        if !order.contains(n) {
            order.push(*n);
        }
    }
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, token, owner) in &ring {
        let start = order.iter().position(|n| n == owner).unwrap_or(0);
        let holders = (0..order.len())
            .filter_map(|i| order.get((start + i) % order.len()))
            .filter_map(|n| nodes.get(*n).cloned())
            .collect();
        map.insert(token.clone(), holders);
    }
    Value::Map(
        map.into_iter()
            .map(|(k, v)| {
                (
                    Value::Text(k),
                    Value::List(v.into_iter().map(Value::Text).collect()),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::system::tests::{sample_facts, sample_schema};

    fn run(target: DescribeTarget, current: Option<&str>) -> Result<SystemRows, SystemError> {
        describe(&target, current, &sample_schema(), &sample_facts())
    }

    fn texts(r: &SystemRows, col: &str) -> Vec<String> {
        let i = r
            .columns
            .iter()
            .position(|(n, _)| n == col)
            .unwrap_or(usize::MAX);
        r.rows
            .iter()
            .filter_map(|row| match row.get(i) {
                Some(Some(Value::Text(t))) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    const DEFAULT_OPTIONS: &str = "    AND additional_write_policy = '99p'
    AND bloom_filter_fp_chance = 0.01
    AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
    AND cdc = false
    AND comment = ''
    AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}
    AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}
    AND memtable = 'default'
    AND crc_check_chance = 1.0
    AND default_time_to_live = 0
    AND extensions = {}
    AND gc_grace_seconds = 864000
    AND max_index_interval = 2048
    AND memtable_flush_period_in_ms = 0
    AND min_index_interval = 128
    AND read_repair = 'BLOCKING'
    AND speculative_retry = '99p';";

    #[test]
    fn table_reads_like_cassandra_41() {
        let target = DescribeTarget::Table {
            keyspace: None,
            name: "orders".into(),
        };
        let r = run(target, Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.keyspace, "system");
        assert_eq!(r.table, "describe");
        let names: Vec<&str> = r.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["keyspace_name", "type", "name", "create_statement"]);
        let expected = format!(
            "CREATE TABLE shop.orders (
    user text,
    ts timestamp,
    id uuid,
    total decimal,
    PRIMARY KEY (user, ts, id)
) WITH CLUSTERING ORDER BY (ts DESC, id ASC)
{DEFAULT_OPTIONS}"
        );
        assert_eq!(texts(&r, "create_statement"), [expected]);
        assert_eq!(texts(&r, "type"), ["table"]);
    }

    #[test]
    fn single_key_table_with_indexes() {
        let target = DescribeTarget::Table {
            keyspace: Some("shop".into()),
            name: "users".into(),
        };
        let r = run(target, None).unwrap_or_else(|e| panic!("{e}"));
        let cql = texts(&r, "create_statement");
        assert_eq!(cql.len(), 3);
        let head = "CREATE TABLE shop.users (
    id uuid PRIMARY KEY,
    addr frozen<address>,
    name text,
    tags set<text>
) WITH additional_write_policy = '99p'\n";
        assert!(cql[0].starts_with(head), "{}", cql[0]);
        assert!(cql[0].contains("\n    AND comment = 'people'\n"));
        assert!(cql[0].contains("\n    AND gc_grace_seconds = 3600\n"));
        assert_eq!(cql[1], "CREATE INDEX users_name_idx ON shop.users (name);");
        assert_eq!(
            cql[2],
            "CREATE INDEX users_tags_idx ON shop.users (values(tags));"
        );
        assert_eq!(texts(&r, "type"), ["table", "index", "index"]);
    }

    #[test]
    fn keyspace_lists_keyspace_types_tables_and_indexes() {
        let r = run(
            DescribeTarget::Keyspace {
                name: Some("shop".into()),
                only: false,
            },
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            texts(&r, "name"),
            [
                "shop",
                "address",
                "orders",
                "users",
                "users_name_idx",
                "users_tags_idx"
            ]
        );
        let cql = texts(&r, "create_statement");
        assert_eq!(
            cql[0],
            "CREATE KEYSPACE shop WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;"
        );
        assert_eq!(
            cql[1],
            "CREATE TYPE shop.address (\n    street text,\n    city text\n);"
        );
        let only = run(
            DescribeTarget::Keyspace {
                name: None,
                only: true,
            },
            Some("shop"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(only.rows.len(), 1);
    }

    #[test]
    fn errors_are_worded_like_cassandra() {
        let err = |t, cur| run(t, cur).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            err(
                DescribeTarget::Keyspace {
                    name: Some("x".into()),
                    only: false
                },
                None
            ),
            "'x' not found in keyspaces"
        );
        assert_eq!(
            err(
                DescribeTarget::Table {
                    keyspace: None,
                    name: "t".into()
                },
                None
            ),
            "No keyspace specified and no current keyspace"
        );
        assert_eq!(
            err(
                DescribeTarget::Table {
                    keyspace: None,
                    name: "t".into()
                },
                Some("shop")
            ),
            "Table 't' not found in keyspace 'shop'"
        );
        assert_eq!(
            err(
                DescribeTarget::Type {
                    keyspace: Some("shop".into()),
                    name: "t".into()
                },
                None
            ),
            "User defined type 't' not found in 'shop'"
        );
        assert_eq!(
            err(
                DescribeTarget::Name {
                    keyspace: None,
                    name: "t".into()
                },
                Some("shop")
            ),
            "'t' not found in keyspace 'shop'"
        );
        assert_eq!(
            err(DescribeTarget::Tables, Some("nope")),
            "'nope' not found in keyspaces"
        );
    }

    #[test]
    fn listings() {
        let ks = run(DescribeTarget::Keyspaces, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.columns.len(), 3);
        assert_eq!(
            texts(&ks, "name"),
            [
                "shop",
                "system",
                "system_auth",
                "system_distributed",
                "system_schema",
                "system_traces",
                "system_virtual_schema"
            ]
        );
        let tables = run(DescribeTarget::Tables, Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&tables, "name"), ["orders", "users"]);
        assert_eq!(texts(&tables, "type"), ["table", "table"]);
        let all = run(DescribeTarget::Tables, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&all, "keyspace_name")[0], "shop");
        assert!(texts(&all, "name").contains(&"local".to_string()));
        let types = run(DescribeTarget::Types, Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&types, "name"), ["address"]);
        let funcs = run(DescribeTarget::Functions, Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert!(funcs.rows.is_empty());
        assert_eq!(funcs.columns.len(), 3);
    }

    #[test]
    fn schema_leaves_out_system_keyspaces_unless_full() {
        let s = run(DescribeTarget::Schema { full: false }, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(texts(&s, "keyspace_name").iter().all(|k| k == "shop"));
        let full =
            run(DescribeTarget::Schema { full: true }, None).unwrap_or_else(|e| panic!("{e}"));
        let cql = texts(&full, "create_statement");
        assert!(cql.iter().any(|c| c.starts_with(
            "CREATE KEYSPACE system WITH replication = {'class': 'org.apache.cassandra.locator.LocalStrategy'}  AND durable_writes = true;"
        )));
        assert!(cql.iter().any(|c| c.starts_with(
            "CREATE TABLE system.local (\n    key text PRIMARY KEY,\n    bootstrapped text,"
        )));
        assert!(cql.contains(
            &"/*\nWarning: Keyspace system_virtual_schema is a virtual keyspace and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL KEYSPACE system_virtual_schema;\n*/".to_string()
        ));
        let vt = cql
            .iter()
            .find(|c| c.contains("VIRTUAL TABLE system_virtual_schema.tables"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            vt,
            "/*\nWarning: Table system_virtual_schema.tables is a virtual table and cannot be recreated with CQL.\nStructure, for reference:\nVIRTUAL TABLE system_virtual_schema.tables (\n    keyspace_name text,\n    table_name text,\n    comment text,\n    PRIMARY KEY (keyspace_name, table_name)\n) WITH CLUSTERING ORDER BY (table_name ASC)\n    AND comment = 'virtual table definitions';\n*/"
        );
    }

    #[test]
    fn generic_name_finds_keyspace_table_or_index() {
        let name = |n: &str| DescribeTarget::Name {
            keyspace: None,
            name: n.into(),
        };
        let k = run(name("shop"), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&k, "type")[0], "keyspace");
        let t = run(name("orders"), Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&t, "type"), ["table"]);
        let i = run(name("users_name_idx"), Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&i, "type"), ["index"]);
        let idx = run(
            DescribeTarget::Index {
                keyspace: Some("shop".into()),
                name: "users_tags_idx".into(),
            },
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&idx, "name"), ["users_tags_idx"]);
    }

    #[test]
    fn cluster_shows_ring_only_for_user_keyspaces() {
        let c = run(DescribeTarget::Cluster, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(texts(&c, "cluster"), ["Test Cluster"]);
        assert_eq!(texts(&c, "partitioner"), ["Murmur3Partitioner"]);
        assert_eq!(texts(&c, "snitch"), ["SimpleSnitch"]);
        assert_eq!(c.columns.len(), 3);
        let with_ring =
            run(DescribeTarget::Cluster, Some("shop")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(with_ring.columns.len(), 4);
        let ring = with_ring.rows[0][3].clone();
        let t = |s: &str| Value::Text(s.into());
        assert_eq!(
            ring,
            Some(Value::Map(vec![
                (
                    t("-9223372036854775808"),
                    Value::List(vec![t("10.0.0.1:7000"), t("10.0.0.2:7000")])
                ),
                (
                    t("0"),
                    Value::List(vec![t("10.0.0.2:7000"), t("10.0.0.1:7000")])
                ),
            ]))
        );
        let system = run(DescribeTarget::Cluster, Some("system")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(system.columns.len(), 3);
    }
}

//! SELECT (user tables, through the table model; system tables, synthesized), DESCRIBE, the
//! metadata a PREPARE answers with, and the rows of a lightweight transaction's outcome.

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::table::schema::{ColumnKind, Schema, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::command::table::{Query as TableQuery, Reply, Row, Select as SelectQuery, TableRef};
use crate::command::{Query, Response as NodeResponse};
use crate::cql::codec;
use crate::cql::frame::result::ColumnSpec;
use crate::cql::frame::{
    Columns, ErrorResponse, FrameOptions, QueryParameters, RowsMetadata, RowsWriter,
};
use crate::cql::parser::ast::{
    self, Assignment, DeleteTarget, InValues, InsertValues, Operator, Relation, Selection,
    Selector, Statement, StatementKind, Term,
};
use crate::cql::session::Session;
use crate::cql::system::{self, NodeFacts, PeerFacts, SystemRows};

use super::restrict::{self, Filter};
use super::values::{self, Binds};
use super::{Outcome, PreparedMeta, Spec, R};

fn invalid(m: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(m)
}

const SYSTEM_KEYSPACES: [&str; 6] = [
    "system",
    "system_schema",
    "system_virtual_schema",
    "system_auth",
    "system_distributed",
    "system_traces",
];

fn is_system(ks: &str) -> bool {
    SYSTEM_KEYSPACES.contains(&ks)
}

/// What this node and its peers are, for system.local and system.peers.
pub fn facts(s: &Session, schema: &Schema) -> NodeFacts {
    let node = &s.server.node;
    let status = node.cluster_status();
    let me = node.config.cql.addr;
    let host_id = |id: u64| {
        let mut h = [0u8; 16];
        h[..8].copy_from_slice(b"trident\0");
        h[8..].copy_from_slice(&id.to_be_bytes());
        h[6] = (h[6] & 0x0f) | 0x40;
        h[8] = (h[8] & 0x3f) | 0x80;
        h
    };
    // Every node owns the whole ring (one Raft group holds everything); tokens are spread so
    // that token-aware drivers still see a valid ring.
    let n = status.members.len().max(1) as i128;
    let token_of = |i: usize| -> String {
        let span = (i64::MAX as i128) - (i64::MIN as i128);
        ((i64::MIN as i128) + span / n * i as i128).to_string()
    };
    let mut peers = Vec::new();
    let mut my_token = token_of(0);
    for (i, m) in status.members.iter().enumerate() {
        if m.id == status.node_id {
            my_token = token_of(i);
            continue;
        }
        let Ok(addr) = m.cql_addr.parse::<std::net::SocketAddr>() else {
            continue;
        };
        peers.push(PeerFacts {
            address: addr.ip(),
            port: addr.port(),
            host_id: host_id(m.id),
            tokens: vec![token_of(i)],
            data_center: "datacenter1".into(),
            rack: "rack1".into(),
        });
    }
    let _ = schema;
    NodeFacts {
        cluster_name: node.config.cql.cluster_name.clone(),
        release_version: "4.1.0".into(),
        cql_version: "3.4.6".into(),
        native_protocol_version: "4".into(),
        partitioner: "org.apache.cassandra.dht.Murmur3Partitioner".into(),
        data_center: "datacenter1".into(),
        rack: "rack1".into(),
        host_id: host_id(status.node_id),
        address: me.ip(),
        port: me.port(),
        tokens: vec![my_token],
        peers,
    }
}

fn rows_opts(s: &Session) -> FrameOptions<'static> {
    FrameOptions {
        compression: s.compression(),
        ..FrameOptions::default()
    }
}

/// Encodes rows of values under the given specs.
fn rows_frame(
    s: &Session,
    stream: i16,
    specs: &[ColumnSpec<'_>],
    rows: &[Vec<Option<Value>>],
    paging_state: Option<&[u8]>,
    skip_metadata: bool,
) -> R<BytesMut> {
    let mut out = BytesMut::new();
    let meta = RowsMetadata {
        columns: if skip_metadata {
            Columns::CountOnly(specs.len() as u32)
        } else {
            Columns::Specs(specs)
        },
        paging_state,
    };
    let mut w = RowsWriter::begin(&mut out, stream, rows_opts(s), &meta);
    for row in rows {
        for (spec, v) in specs.iter().zip(row) {
            w.push_value(spec.ty, v.as_ref())
                .map_err(|e| e.to_response())?;
        }
    }
    w.finish();
    Ok(out)
}

fn specs<'a>(ks: &'a str, table: &'a str, cols: &'a [(String, CqlType)]) -> Vec<ColumnSpec<'a>> {
    cols.iter()
        .map(|(n, t)| ColumnSpec {
            keyspace: ks,
            table,
            name: n,
            ty: t,
        })
        .collect()
}

pub async fn describe(
    s: &Session,
    stream: i16,
    d: &ast::Describe,
    keyspace: Option<&str>,
) -> R<Outcome> {
    let schema = s.server.reload_schema(false).await?;
    let target = describe_target(&d.target);
    let rows = system::describe(&target, keyspace, &schema, &facts(s, &schema))
        .map_err(|e| invalid(e.to_string()))?;
    let sp = specs(&rows.keyspace, &rows.table, &rows.columns);
    Ok(Outcome::Frame(rows_frame(
        s, stream, &sp, &rows.rows, None, false,
    )?))
}

fn describe_target(t: &ast::DescribeTarget) -> system::DescribeTarget {
    use ast::DescribeTarget as A;
    use system::DescribeTarget as D;
    match t {
        A::Cluster => D::Cluster,
        A::Schema { full } => D::Schema { full: *full },
        A::Keyspaces => D::Keyspaces,
        A::Keyspace { only, name } => D::Keyspace {
            name: name.clone(),
            only: *only,
        },
        A::Tables => D::Tables,
        A::Table(n) => D::Table {
            keyspace: n.keyspace.clone(),
            name: n.name.clone(),
        },
        A::Types => D::Types,
        A::Type(n) => D::Type {
            keyspace: n.keyspace.clone(),
            name: n.name.clone(),
        },
        A::Index(n) => D::Index {
            keyspace: n.keyspace.clone(),
            name: n.name.clone(),
        },
        A::Functions | A::Function(_) => D::Functions,
        A::Aggregates | A::Aggregate(_) => D::Aggregates,
        A::MaterializedView(n) | A::Name(n) => D::Name {
            keyspace: n.keyspace.clone(),
            name: n.name.clone(),
        },
    }
}

/// The `[applied]` result of a lightweight transaction (with the row that stopped it).
pub fn applied_frame(
    s: &Session,
    stream: i16,
    table: &TableDef,
    applied: bool,
    row: Option<&Row>,
) -> BytesMut {
    let mut cols: Vec<(String, CqlType)> = vec![("[applied]".into(), CqlType::Boolean)];
    let mut values = vec![Some(Value::Boolean(applied))];
    if let Some(row) = row {
        for c in &table.columns {
            cols.push((c.name.clone(), c.ty.clone()));
            values.push(column_value(table, c.id, row));
        }
    }
    let sp = specs(&table.keyspace, &table.name, &cols);
    match rows_frame(s, stream, &sp, &[values], None, false) {
        Ok(f) => f,
        Err(e) => s.error(stream, e),
    }
}

fn column_value(table: &TableDef, id: u32, row: &Row) -> Option<Value> {
    let col = table.column_by_id(id)?;
    match col.kind {
        ColumnKind::PartitionKey => row.partition.get(col.position as usize).cloned(),
        ColumnKind::Clustering => row.clustering.get(col.position as usize).cloned(),
        _ => row
            .cells
            .iter()
            .find(|c| c.column == id)
            .map(|c| c.value.clone()),
    }
}

/// One row of a result, a value (or null) per column.
type OutRow = Vec<Option<Value>>;

/// One output column of a SELECT.
enum Out {
    Column(u32),
    WriteTime(u32),
    Ttl(u32),
    Token,
    Count,
}

struct Plan {
    outs: Vec<Out>,
    cols: Vec<(String, CqlType)>,
}

fn plan_selection(table: &TableDef, sel: &Selection) -> R<Plan> {
    let mut outs = Vec::new();
    let mut cols = Vec::new();
    match sel {
        Selection::Wildcard => {
            // Cassandra's order: partition key, clustering, then the rest by name.
            for c in &table.columns {
                outs.push(Out::Column(c.id));
                cols.push((c.name.clone(), c.ty.clone()));
            }
        }
        Selection::Items(items) => {
            for item in items {
                let (out, name, ty) = match &item.selector {
                    Selector::Column(n) => {
                        let c = table
                            .column(n)
                            .ok_or_else(|| invalid(format!("Undefined column name {n}")))?;
                        (Out::Column(c.id), c.name.clone(), c.ty.clone())
                    }
                    Selector::WriteTime(n) | Selector::MaxWriteTime(n) => {
                        let c = table
                            .column(n)
                            .ok_or_else(|| invalid(format!("Undefined column name {n}")))?;
                        (
                            Out::WriteTime(c.id),
                            format!("writetime({n})"),
                            CqlType::BigInt,
                        )
                    }
                    Selector::Ttl(n) => {
                        let c = table
                            .column(n)
                            .ok_or_else(|| invalid(format!("Undefined column name {n}")))?;
                        (Out::Ttl(c.id), format!("ttl({n})"), CqlType::Int)
                    }
                    Selector::CountRows => (Out::Count, "count".into(), CqlType::BigInt),
                    Selector::Function { name, args }
                        if name.name.eq_ignore_ascii_case("count") =>
                    {
                        let _ = args;
                        (Out::Count, "count".into(), CqlType::BigInt)
                    }
                    Selector::Function { name, args }
                        if name.name.eq_ignore_ascii_case("token") =>
                    {
                        let names: Vec<String> = args
                            .iter()
                            .map(|a| match a {
                                Selector::Column(n) => n.clone(),
                                _ => String::new(),
                            })
                            .collect();
                        (
                            Out::Token,
                            format!("system.token({})", names.join(", ")),
                            CqlType::BigInt,
                        )
                    }
                    _ => return Err(invalid("This selector is not supported by this server yet")),
                };
                outs.push(out);
                cols.push((item.alias.clone().unwrap_or(name), ty));
            }
        }
    }
    Ok(Plan { outs, cols })
}

/// Where a paged read stands: which of the statement's partitions, how many rows the LIMIT
/// still allows, and the key after which the engine goes on.
struct PagingState {
    partition: u32,
    remaining: u32,
    after: Option<Bytes>,
}

impl PagingState {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.after.as_ref().map_or(0, |a| a.len()));
        out.put_u32(self.partition);
        out.put_u32(self.remaining);
        if let Some(a) = &self.after {
            out.extend_from_slice(a);
        }
        out
    }

    fn decode(b: &[u8]) -> Option<PagingState> {
        if b.len() < 8 {
            return None;
        }
        Some(PagingState {
            partition: u32::from_be_bytes(b[0..4].try_into().ok()?),
            remaining: u32::from_be_bytes(b[4..8].try_into().ok()?),
            after: (b.len() > 8).then(|| Bytes::copy_from_slice(&b[8..])),
        })
    }
}

pub async fn run(
    s: &Session,
    stream: i16,
    q: &ast::Select,
    keyspace: Option<&str>,
    params: &QueryParameters,
    binds: &Binds<'_>,
) -> R<Outcome> {
    let ks = super::keyspace_of(&q.table, keyspace)?;
    if is_system(ks) {
        return system_select(s, stream, ks, q, binds).await;
    }
    let (_, table) = super::table(s, &q.table, keyspace).await?;
    let plan = plan_selection(&table, &q.selection)?;
    let keys = restrict::analyse(&table, &q.where_clause, binds)?;
    if !keys.filters.is_empty() && !q.allow_filtering {
        let indexed = keys
            .filters
            .iter()
            .all(|f| table.indexes.iter().any(|i| i.column == f.column));
        if !indexed {
            return Err(invalid("Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"));
        }
    }
    let reverse = match q.order_by.first() {
        None => false,
        Some(o) => {
            let ck = table.clustering();
            let c = ck
                .iter()
                .find(|c| c.name == o.column)
                .ok_or_else(|| invalid(format!("Order by on unknown column {}", o.column)))?;
            if keys.partitions.is_none() {
                return Err(invalid("ORDER BY is only supported when the partition key is restricted by an EQ or an IN."));
            }
            let stored_desc = c.order == crate::command::table::schema::Order::Desc;
            (o.order == ast::Order::Desc) != stored_desc
        }
    };
    let limit = match &q.limit {
        None => u32::MAX,
        Some(t) => match values::value(t, &CqlType::Int, binds)? {
            Some(Value::Int(n)) if n > 0 => n as u32,
            _ => return Err(invalid("LIMIT must be strictly positive")),
        },
    };
    let per_partition = match &q.per_partition_limit {
        None => u32::MAX,
        Some(t) => match values::value(t, &CqlType::Int, binds)? {
            Some(Value::Int(n)) if n > 0 => n as u32,
            _ => return Err(invalid("PER PARTITION LIMIT must be strictly positive")),
        },
    };
    let counting = plan.outs.iter().any(|o| matches!(o, Out::Count));
    let page = match params.page_size {
        Some(n) if n > 0 && !counting => n as u32,
        _ => u32::MAX,
    };
    let mut state = match &params.paging_state {
        Some(p) => PagingState::decode(p).ok_or_else(|| invalid("Invalid paging state"))?,
        None => PagingState {
            partition: 0,
            remaining: limit,
            after: None,
        },
    };
    let partitions: Vec<Option<Vec<Value>>> = match &keys.partitions {
        Some(p) => p.iter().cloned().map(Some).collect(),
        None => vec![None],
    };
    let now = crate::node::now_ms();
    let mut out_rows: Vec<Vec<Option<Value>>> = Vec::new();
    let mut count: i64 = 0;
    let mut next_state = None;
    let want = page.min(state.remaining) as usize;
    let tref = TableRef {
        id: table.id,
        version: table.version,
    };
    // Rows of one partition read so far (PER PARTITION LIMIT, DISTINCT) and its static row.
    let mut current_pk: Option<Vec<Value>> = None;
    let mut in_partition: u32 = 0;
    let mut statics: Option<Row> = None;
    let mut emitted_in_partition = false;
    'parts: while (state.partition as usize) < partitions.len() {
        let pk = partitions[state.partition as usize].clone();
        let partition = match &pk {
            Some(pk) => Some((restrict::token(&table, pk)?, pk.clone())),
            None => None,
        };
        loop {
            let need = if counting {
                4096
            } else {
                want.saturating_sub(out_rows.len()).max(1)
            };
            let sel = SelectQuery {
                table: tref,
                partition: partition.clone(),
                tokens: keys.tokens,
                range: keys.range.clone(),
                reverse,
                limit: need.min(10_000),
                after: state.after.clone(),
                now_ms: now,
            };
            let rows = match s
                .server
                .node
                .query(&Query::Table(TableQuery::Select(Box::new(sel))), false)
                .await
            {
                NodeResponse::Table(Reply::Rows(r)) => r,
                NodeResponse::Error(e) => return Err(super::error::from_command(&e)),
                _ => return Err(ErrorResponse::server("unexpected reply to a read")),
            };
            let more = rows.next.clone();
            for row in rows.rows {
                if current_pk.as_ref() != Some(&row.partition) {
                    if let (Some(st), false) = (statics.take(), emitted_in_partition) {
                        emit(
                            &table,
                            &plan,
                            &st,
                            None,
                            now,
                            &keys.filters,
                            counting,
                            &mut count,
                            &mut out_rows,
                        );
                    }
                    current_pk = Some(row.partition.clone());
                    in_partition = 0;
                    emitted_in_partition = false;
                    statics = None;
                }
                if row.is_static {
                    statics = Some(row);
                    continue;
                }
                if in_partition >= per_partition || (q.distinct && in_partition >= 1) {
                    continue;
                }
                if emit(
                    &table,
                    &plan,
                    &row,
                    statics.as_ref(),
                    now,
                    &keys.filters,
                    counting,
                    &mut count,
                    &mut out_rows,
                ) {
                    in_partition += 1;
                    emitted_in_partition = true;
                }
            }
            state.after = more.clone();
            if !counting && out_rows.len() >= want {
                if more.is_some() || (state.partition as usize) + 1 < partitions.len() {
                    let mut st = PagingState {
                        partition: state.partition,
                        remaining: state.remaining.saturating_sub(out_rows.len() as u32),
                        after: more.clone(),
                    };
                    if more.is_none() {
                        st.partition += 1;
                    }
                    if st.remaining > 0 {
                        next_state = Some(st);
                    }
                }
                break 'parts;
            }
            if more.is_none() {
                break;
            }
        }
        if let (Some(st), false) = (statics.take(), emitted_in_partition) {
            emit(
                &table,
                &plan,
                &st,
                None,
                now,
                &keys.filters,
                counting,
                &mut count,
                &mut out_rows,
            );
        }
        current_pk = None;
        state.partition += 1;
        state.after = None;
    }
    if counting {
        out_rows = vec![plan
            .outs
            .iter()
            .map(|o| match o {
                Out::Count => Some(Value::BigInt(count)),
                _ => None,
            })
            .collect()];
    }
    let (cols, rows) = if q.json {
        json_rows(&plan, out_rows)
    } else {
        (plan.cols.clone(), out_rows)
    };
    let sp = specs(&table.keyspace, &table.name, &cols);
    let paging = next_state.map(|st| st.encode());
    Ok(Outcome::Frame(rows_frame(
        s,
        stream,
        &sp,
        &rows,
        paging.as_deref(),
        params.skip_metadata,
    )?))
}

fn json_rows(plan: &Plan, rows: Vec<Vec<Option<Value>>>) -> (Vec<(String, CqlType)>, Vec<OutRow>) {
    let out = rows
        .into_iter()
        .map(|r| {
            let fields: Vec<String> = plan
                .cols
                .iter()
                .zip(&r)
                .map(|((n, ty), v)| {
                    let val = v
                        .as_ref()
                        .map_or("null".to_string(), |v| codec::value_to_json(ty, v));
                    // Case-sensitive names keep their quotes, as INSERT JSON reads them.
                    let key = serde_json::to_string(&codec::maybe_quote(n))
                        .unwrap_or_else(|_| "\"\"".into());
                    format!("{key}: {val}")
                })
                .collect();
            vec![Some(Value::Text(format!("{{{}}}", fields.join(", "))))]
        })
        .collect();
    (vec![("[json]".into(), CqlType::Text)], out)
}

/// Adds a row to the output if it passes the filters; returns whether it did.
#[allow(clippy::too_many_arguments)]
fn emit(
    table: &TableDef,
    plan: &Plan,
    row: &Row,
    statics: Option<&Row>,
    now: i64,
    filters: &[Filter],
    counting: bool,
    count: &mut i64,
    out: &mut Vec<Vec<Option<Value>>>,
) -> bool {
    let cell = |id: u32| -> Option<&crate::command::table::Cell> {
        row.cells
            .iter()
            .chain(statics.map(|s| s.cells.as_slice()).unwrap_or(&[]))
            .find(|c| c.column == id)
    };
    let value_of = |id: u32| -> Option<Value> {
        match table.column_by_id(id) {
            Some(c) if matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) => {
                column_value(table, id, row)
            }
            _ => cell(id).map(|c| c.value.clone()),
        }
    };
    for f in filters {
        let have = value_of(f.column);
        let Some(ty) = table.column_by_id(f.column).map(|c| &c.ty) else {
            return false;
        };
        let ok = if !f.any_of.is_empty() {
            have.as_ref().is_some_and(|h| {
                f.any_of
                    .iter()
                    .any(|w| codec::compare_values(ty, h, w).is_eq())
            })
        } else {
            match (&have, &f.value, f.op) {
                (Some(h), Some(w), op) => match op {
                    Operator::Eq => codec::compare_values(ty, h, w).is_eq(),
                    Operator::Neq => codec::compare_values(ty, h, w).is_ne(),
                    Operator::Lt => codec::compare_values(ty, h, w).is_lt(),
                    Operator::Lte => codec::compare_values(ty, h, w).is_le(),
                    Operator::Gt => codec::compare_values(ty, h, w).is_gt(),
                    Operator::Gte => codec::compare_values(ty, h, w).is_ge(),
                    Operator::Contains => match h {
                        Value::List(l) | Value::Set(l) => l.iter().any(|x| x == w),
                        Value::Map(m) => m.iter().any(|(_, v)| v == w),
                        _ => false,
                    },
                    Operator::ContainsKey => match h {
                        Value::Map(m) => m.iter().any(|(k, _)| k == w),
                        _ => false,
                    },
                    Operator::Like => false,
                },
                _ => false,
            }
        };
        if !ok {
            return false;
        }
    }
    if counting {
        *count += 1;
        return true;
    }
    let token = || -> Option<Value> {
        restrict::token(table, &row.partition)
            .ok()
            .map(Value::BigInt)
    };
    out.push(
        plan.outs
            .iter()
            .map(|o| match o {
                Out::Column(id) => value_of(*id),
                Out::WriteTime(id) => cell(*id).map(|c| Value::BigInt(c.timestamp)),
                Out::Ttl(id) => cell(*id)
                    .and_then(|c| c.ttl)
                    .map(|(at, _)| Value::Int(((at - now).max(0) as f64 / 1000.0).ceil() as i32)),
                Out::Token => token(),
                Out::Count => None,
            })
            .collect(),
    );
    true
}

async fn system_select(
    s: &Session,
    stream: i16,
    ks: &str,
    q: &ast::Select,
    binds: &Binds<'_>,
) -> R<Outcome> {
    let schema = s.server.reload_schema(true).await?;
    let Some(columns) = system::columns(ks, &q.table.name) else {
        return Err(invalid(format!("unconfigured table {}", q.table.name)));
    };
    let mut filters = Vec::new();
    for rel in &q.where_clause {
        if let Relation::Compare {
            column,
            op: Operator::Eq,
            value,
        } = rel
        {
            if let Some((_, ty)) = columns.iter().find(|(n, _)| n == column) {
                if let Some(v) = values::value(value, ty, binds)? {
                    filters.push((column.clone(), v));
                }
            }
        }
    }
    let rows: SystemRows =
        match system::select(ks, &q.table.name, &schema, &facts(s, &schema), &filters) {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(invalid(e.to_string())),
            None => return Err(invalid(format!("unconfigured table {}", q.table.name))),
        };
    // Project the selected columns (aliases and COUNT(*) too).
    let mut picks: Vec<(Option<usize>, String, CqlType)> = Vec::new();
    let mut count = false;
    match &q.selection {
        Selection::Wildcard => {
            for (i, (n, t)) in rows.columns.iter().enumerate() {
                picks.push((Some(i), n.clone(), t.clone()));
            }
        }
        Selection::Items(items) => {
            for it in items {
                match &it.selector {
                    Selector::Column(n) => {
                        let i = rows
                            .columns
                            .iter()
                            .position(|(c, _)| c == n)
                            .ok_or_else(|| invalid(format!("Undefined column name {n}")))?;
                        picks.push((
                            Some(i),
                            it.alias.clone().unwrap_or_else(|| n.clone()),
                            rows.columns[i].1.clone(),
                        ));
                    }
                    Selector::CountRows => {
                        count = true;
                        picks.push((
                            None,
                            it.alias.clone().unwrap_or_else(|| "count".into()),
                            CqlType::BigInt,
                        ));
                    }
                    _ => return Err(invalid("This selector is not supported on system tables")),
                }
            }
        }
    }
    let limit = match &q.limit {
        Some(t) => match values::value(t, &CqlType::Int, binds)? {
            Some(Value::Int(n)) if n > 0 => n as usize,
            _ => usize::MAX,
        },
        None => usize::MAX,
    };
    let out: Vec<Vec<Option<Value>>> = if count {
        vec![picks
            .iter()
            .map(|(i, _, _)| match i {
                None => Some(Value::BigInt(rows.rows.len() as i64)),
                Some(_) => None,
            })
            .collect()]
    } else {
        rows.rows
            .iter()
            .take(limit)
            .map(|r| {
                picks
                    .iter()
                    .map(|(i, _, _)| i.and_then(|i| r.get(i).cloned().flatten()))
                    .collect()
            })
            .collect()
    };
    let cols: Vec<(String, CqlType)> = picks.into_iter().map(|(_, n, t)| (n, t)).collect();
    let sp = specs(&rows.keyspace, &rows.table, &cols);
    Ok(Outcome::Frame(rows_frame(
        s, stream, &sp, &out, None, false,
    )?))
}

/// What a PREPARE answers: the type of every bind marker (named after its column, as
/// Cassandra names them), the indexes of the partition key's markers, the result's columns.
pub async fn prepared_metadata(
    s: &Session,
    stmt: &Statement,
    keyspace: Option<&str>,
) -> R<PreparedMeta> {
    let mut binds: Vec<Option<(String, CqlType)>> = vec![None; stmt.bind_markers.len()];
    let mut result = Vec::new();
    let mut table_ref: Option<(String, String)> = None;
    let mut pk_indexes = Vec::new();
    let table_of = |name: &ast::QualifiedName| name.clone();
    let name = match &stmt.kind {
        StatementKind::Select(q) => Some(table_of(&q.table)),
        StatementKind::Insert(i) => Some(table_of(&i.table)),
        StatementKind::Update(u) => Some(table_of(&u.table)),
        StatementKind::Delete(d) => Some(table_of(&d.table)),
        _ => None,
    };
    let mut table: Option<TableDef> = None;
    if let Some(name) = &name {
        let ks = super::keyspace_of(name, keyspace)?;
        if is_system(ks) {
            if let StatementKind::Select(q) = &stmt.kind {
                let cols = system::columns(ks, &name.name)
                    .ok_or_else(|| invalid(format!("unconfigured table {}", name.name)))?;
                for rel in &q.where_clause {
                    if let Relation::Compare {
                        column,
                        value: Term::Bind(m),
                        ..
                    } = rel
                    {
                        if let Some((n, t)) = cols.iter().find(|(n, _)| n == column) {
                            set_bind(&mut binds, m.index, n, t);
                        }
                    }
                }
                let picked: Vec<(String, CqlType)> = match &q.selection {
                    Selection::Wildcard => cols.clone(),
                    Selection::Items(items) => items
                        .iter()
                        .filter_map(|it| match &it.selector {
                            Selector::Column(n) => {
                                cols.iter().find(|(c, _)| c == n).map(|(c, t)| {
                                    (it.alias.clone().unwrap_or_else(|| c.clone()), t.clone())
                                })
                            }
                            Selector::CountRows => Some(("count".into(), CqlType::BigInt)),
                            _ => None,
                        })
                        .collect(),
                };
                result = picked
                    .into_iter()
                    .map(|(n, t)| (ks.to_string(), name.name.clone(), n, t))
                    .collect();
                table_ref = Some((ks.to_string(), name.name.clone()));
            }
        } else {
            let (_, t) = super::table(s, name, keyspace).await?;
            table_ref = Some((t.keyspace.clone(), t.name.clone()));
            table = Some(t);
        }
    }
    if let Some(t) = &table {
        let col_ty = |n: &str| t.column(n).map(|c| c.ty.clone());
        let mut relations: &[Relation] = &[];
        match &stmt.kind {
            StatementKind::Select(q) => {
                relations = &q.where_clause;
                let plan = plan_selection(t, &q.selection)?;
                let cols = if q.json {
                    vec![("[json]".to_string(), CqlType::Text)]
                } else {
                    plan.cols
                };
                result = cols
                    .into_iter()
                    .map(|(n, ty)| (t.keyspace.clone(), t.name.clone(), n, ty))
                    .collect();
                for (term, name) in [
                    (&q.limit, "[limit]"),
                    (&q.per_partition_limit, "[per_partition_limit]"),
                ] {
                    if let Some(Term::Bind(m)) = term {
                        set_bind(&mut binds, m.index, name, &CqlType::Int);
                    }
                }
            }
            StatementKind::Insert(i) => {
                match &i.values {
                    InsertValues::Columns { columns, values } => {
                        for (c, v) in columns.iter().zip(values) {
                            if let Some(ty) = col_ty(c) {
                                walk_term(&mut binds, v, c, &ty);
                            }
                        }
                    }
                    InsertValues::Json { value, .. } => {
                        walk_term(&mut binds, value, "[json]", &CqlType::Text)
                    }
                }
                using_binds(&mut binds, &i.using);
            }
            StatementKind::Update(u) => {
                using_binds(&mut binds, &u.using);
                for a in &u.assignments {
                    match a {
                        Assignment::Set { column, value }
                        | Assignment::Add { column, value }
                        | Assignment::Subtract { column, value }
                        | Assignment::Prepend { column, value } => {
                            if let Some(ty) = col_ty(column) {
                                let ty = match (&ty, a) {
                                    (CqlType::Counter, _) => CqlType::BigInt,
                                    (CqlType::Map(k, _), Assignment::Subtract { .. }) => {
                                        CqlType::Set(k.clone())
                                    }
                                    _ => ty,
                                };
                                walk_term(&mut binds, value, column, &ty);
                            }
                        }
                        Assignment::SetElement { column, key, value } => {
                            match col_ty(column).as_ref().map(CqlType::unfrozen) {
                                Some(CqlType::Map(k, v)) => {
                                    walk_term(&mut binds, key, &format!("key({column})"), k);
                                    walk_term(&mut binds, value, &format!("value({column})"), v);
                                }
                                Some(CqlType::List(e)) => {
                                    walk_term(
                                        &mut binds,
                                        key,
                                        &format!("idx({column})"),
                                        &CqlType::Int,
                                    );
                                    walk_term(&mut binds, value, &format!("value({column})"), e);
                                }
                                _ => {}
                            }
                        }
                        Assignment::SetField { .. } => {}
                    }
                }
                relations = &u.where_clause;
                if_binds(&mut binds, t, &u.if_clause);
            }
            StatementKind::Delete(d) => {
                if let Some(Term::Bind(m)) = &d.timestamp {
                    set_bind(&mut binds, m.index, "[timestamp]", &CqlType::BigInt);
                }
                for target in &d.targets {
                    if let DeleteTarget::Element(c, key) = target {
                        match col_ty(c).as_ref().map(CqlType::unfrozen) {
                            Some(CqlType::Map(k, _)) => {
                                walk_term(&mut binds, key, &format!("key({c})"), k)
                            }
                            Some(CqlType::List(_)) => {
                                walk_term(&mut binds, key, &format!("idx({c})"), &CqlType::Int)
                            }
                            Some(CqlType::Set(e)) => walk_term(&mut binds, key, c, e),
                            _ => {}
                        }
                    }
                }
                relations = &d.where_clause;
                if_binds(&mut binds, t, &d.if_clause);
            }
            _ => {}
        }
        for rel in relations {
            match rel {
                Relation::Compare { column, value, op } => {
                    if let Some(ty) = col_ty(column) {
                        let ty = match op {
                            Operator::Contains => match ty.unfrozen() {
                                CqlType::List(e) | CqlType::Set(e) | CqlType::Map(_, e) => {
                                    (**e).clone()
                                }
                                other => other.clone(),
                            },
                            Operator::ContainsKey => match ty.unfrozen() {
                                CqlType::Map(k, _) => (**k).clone(),
                                other => other.clone(),
                            },
                            _ => ty,
                        };
                        walk_term(&mut binds, value, column, &ty);
                    }
                }
                Relation::In { column, values } => {
                    if let Some(ty) = col_ty(column) {
                        match values {
                            InValues::Marker(m) => set_bind(
                                &mut binds,
                                m.index,
                                &format!("in({column})"),
                                &CqlType::List(Box::new(ty)),
                            ),
                            InValues::List(terms) => {
                                for term in terms {
                                    walk_term(&mut binds, term, column, &ty);
                                }
                            }
                        }
                    }
                }
                Relation::Token { value, .. } => {
                    walk_term(&mut binds, value, "partition key token", &CqlType::BigInt)
                }
                _ => {}
            }
        }
        // The partition key's markers, for token-aware routing.
        let where_terms: Vec<(String, &Term)> = match &stmt.kind {
            StatementKind::Insert(i) => match &i.values {
                InsertValues::Columns { columns, values } => {
                    columns.iter().cloned().zip(values.iter()).collect()
                }
                _ => Vec::new(),
            },
            _ => relations
                .iter()
                .filter_map(|r| match r {
                    Relation::Compare {
                        column,
                        op: Operator::Eq,
                        value,
                    } => Some((column.clone(), value)),
                    _ => None,
                })
                .collect(),
        };
        for c in t.partition_key() {
            match where_terms.iter().find(|(n, _)| n == &c.name) {
                Some((_, Term::Bind(m))) => pk_indexes.push(m.index as u16),
                _ => {
                    pk_indexes.clear();
                    break;
                }
            }
        }
    }
    let (ks, tn) = table_ref.unwrap_or_default();
    let binds = binds
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let (n, t) = b.unwrap_or_else(|| (format!("var{i}"), CqlType::Blob));
            (ks.clone(), tn.clone(), n, t)
        })
        .collect();
    let _: &Vec<Spec> = &result;
    Ok(PreparedMeta {
        binds,
        result,
        pk_indexes,
    })
}

fn set_bind(binds: &mut [Option<(String, CqlType)>], i: usize, name: &str, ty: &CqlType) {
    if let Some(slot) = binds.get_mut(i) {
        *slot = Some((name.to_string(), ty.clone()));
    }
}

fn using_binds(binds: &mut [Option<(String, CqlType)>], u: &ast::Using) {
    if let Some(Term::Bind(m)) = &u.ttl {
        set_bind(binds, m.index, "[ttl]", &CqlType::Int);
    }
    if let Some(Term::Bind(m)) = &u.timestamp {
        set_bind(binds, m.index, "[timestamp]", &CqlType::BigInt);
    }
}

fn if_binds(binds: &mut [Option<(String, CqlType)>], t: &TableDef, c: &ast::IfClause) {
    if let ast::IfClause::Conditions(items) = c {
        for cond in items {
            if let (Some(col), ast::ConditionTest::Compare(_, term)) =
                (t.column(&cond.column), &cond.test)
            {
                walk_term(binds, term, &cond.column, &col.ty);
            }
        }
    }
}

/// Gives every marker inside `term` the type it receives.
fn walk_term(binds: &mut [Option<(String, CqlType)>], term: &Term, name: &str, ty: &CqlType) {
    match term {
        Term::Bind(m) => set_bind(binds, m.index, m.name.as_deref().unwrap_or(name), ty),
        Term::List(items) | Term::Set(items) => {
            if let CqlType::List(e) | CqlType::Set(e) = ty.unfrozen() {
                for it in items {
                    walk_term(binds, it, name, e);
                }
            }
        }
        Term::Map(entries) => {
            if let CqlType::Map(k, v) = ty.unfrozen() {
                for (a, b) in entries {
                    walk_term(binds, a, name, k);
                    walk_term(binds, b, name, v);
                }
            }
        }
        Term::Tuple(items) => {
            if let CqlType::Tuple(ts) = ty.unfrozen() {
                for (it, t) in items.iter().zip(ts) {
                    walk_term(binds, it, name, t);
                }
            }
        }
        Term::TypeHint(_, inner) => walk_term(binds, inner, name, ty),
        Term::Function { args, .. } => {
            for a in args {
                walk_term(binds, a, name, &CqlType::TimeUuid);
            }
        }
        _ => {}
    }
}

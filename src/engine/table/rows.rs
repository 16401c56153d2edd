//! Rows of CQL tables in `cql_rows` (see `keys::table`): one record per row, holding every
//! cell with its write time and TTL, so the last write wins by timestamp whatever order writes
//! arrive in, and a row's tombstone hides what was written before it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::table::schema::{ColumnKind, Order, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::command::table::{
    Bound, Cell, CellOp, ClusteringRange, CompareOp, Condition, Mutation, Reply, Row, RowOp, Rows,
    Select, TableError,
};
use crate::command::{CommandError, Response};
use crate::engine::corrupt;
use crate::engine::keys::table::{self as keys, CLUSTERED, STATIC_ROW};
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::store::txn::Txn;
use crate::engine::ApplyContext;

/// Records read per step of a scan.
const SCAN_CHUNK: usize = 512;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct StoredRow {
    partition: Vec<Value>,
    clustering: Vec<Value>,
    /// The row marker an INSERT leaves: the row exists even with every cell null.
    marker: Option<Stamp>,
    /// The newest deletion of the whole row: writes at or before it are hidden.
    deleted: Option<i64>,
    cells: Vec<StoredCell>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Stamp {
    ts: i64,
    ttl: Option<(i64, i32)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredCell {
    column: u32,
    ts: i64,
    ttl: Option<(i64, i32)>,
    /// `None`: a deleted cell, kept for its timestamp.
    value: Option<Value>,
}

fn live(ttl: Option<(i64, i32)>, now_ms: i64) -> bool {
    ttl.is_none_or(|(at, _)| at > now_ms)
}

impl StoredRow {
    fn is_live(&self, now_ms: i64) -> bool {
        self.marker.is_some_and(|m| live(m.ttl, now_ms))
            || self
                .cells
                .iter()
                .any(|c| c.value.is_some() && live(c.ttl, now_ms))
    }

    fn to_row(&self, is_static: bool, now_ms: i64) -> Option<Row> {
        if !self.is_live(now_ms) {
            return None;
        }
        Some(Row {
            partition: self.partition.clone(),
            clustering: self.clustering.clone(),
            is_static,
            cells: self
                .cells
                .iter()
                .filter(|c| live(c.ttl, now_ms))
                .filter_map(|c| {
                    c.value.clone().map(|value| Cell {
                        column: c.column,
                        value,
                        timestamp: c.ts,
                        ttl: c.ttl,
                    })
                })
                .collect(),
        })
    }

    fn delete(&mut self, ts: i64) {
        self.deleted = Some(self.deleted.map_or(ts, |d| d.max(ts)));
        self.cells.retain(|c| c.ts > ts);
        if self.marker.is_some_and(|m| m.ts <= ts) {
            self.marker = None;
        }
    }

    fn live_value(&self, column: u32, now_ms: i64) -> Option<&Value> {
        self.cells
            .iter()
            .find(|c| c.column == column && live(c.ttl, now_ms))
            .and_then(|c| c.value.as_ref())
    }
}

/// How a table's keys are laid out: the partition key's types and the clustering columns'.
struct Layout<'t> {
    table: &'t TableDef,
    partition: Vec<&'t CqlType>,
    clustering: Vec<(&'t CqlType, Order)>,
    /// Whether a partition may have a static row to read.
    has_statics: bool,
}

impl<'t> Layout<'t> {
    fn new(table: &'t TableDef) -> Layout<'t> {
        Layout {
            table,
            partition: table.partition_key().into_iter().map(|c| &c.ty).collect(),
            clustering: table
                .clustering()
                .into_iter()
                .map(|c| (&c.ty, c.order))
                .collect(),
            has_statics: table.columns.iter().any(|c| c.kind == ColumnKind::Static),
        }
    }

    /// The clustering key of the one row a range names, if it names exactly one: every
    /// clustering column fixed, or a table without clustering columns.
    fn single_row<'r>(&self, range: &'r ClusteringRange) -> Option<&'r [Value]> {
        match (&range.start, &range.end) {
            (Bound::Unbounded, Bound::Unbounded) if self.clustering.is_empty() => Some(&[]),
            (Bound::Included(a), Bound::Included(b))
                if a == b && a.len() == self.clustering.len() =>
            {
                Some(a)
            }
            _ => None,
        }
    }

    fn partition_prefix(&self, token: i64, key: &[Value]) -> Vec<u8> {
        keys::partition(
            &self.table.id,
            self.table.version,
            token,
            &self.partition,
            key,
        )
    }

    fn static_key(&self, token: i64, key: &[Value]) -> Vec<u8> {
        let mut k = self.partition_prefix(token, key);
        k.push(STATIC_ROW);
        k
    }

    /// The key of a row, or the prefix of the rows under a clustering prefix.
    fn row_key(&self, token: i64, key: &[Value], clustering: &[Value]) -> Vec<u8> {
        let mut k = self.partition_prefix(token, key);
        k.push(CLUSTERED);
        keys::clustering(&mut k, &self.clustering, clustering);
        k
    }

    /// Key bytes of a clustering prefix under `base`, and whether its last column is DESC.
    fn bound_key(&self, base: &[u8], prefix: &[Value]) -> (Vec<u8>, bool) {
        let mut k = base.to_vec();
        keys::clustering(&mut k, &self.clustering, prefix);
        let desc = prefix
            .len()
            .checked_sub(1)
            .and_then(|i| self.clustering.get(i))
            .is_some_and(|(_, o)| *o == Order::Desc);
        (k, desc)
    }

    /// The key range `[from, to)` of a clustering range under `base` (a partition's prefix
    /// and the clustered marker). Bounds are logical; on a DESC column they swap ends.
    fn range_keys(&self, base: &[u8], range: &ClusteringRange) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut from = base.to_vec();
        let mut to = keys::prefix_end(base);
        let mut lower = |k: Vec<u8>| {
            if k > from {
                from = k;
            }
        };
        let mut uppers: Vec<Option<Vec<u8>>> = Vec::new();
        for (bound, is_start) in [(&range.start, true), (&range.end, false)] {
            let (prefix, included) = match bound {
                Bound::Unbounded => continue,
                Bound::Included(p) => (p, true),
                Bound::Excluded(p) => (p, false),
            };
            let (k, desc) = self.bound_key(base, prefix);
            // A start on an ASC column (or an end on a DESC one) is a lower key bound.
            if is_start != desc {
                lower(if included {
                    k
                } else {
                    keys::prefix_end(&k).unwrap_or(k)
                });
            } else {
                uppers.push(if included {
                    keys::prefix_end(&k)
                } else {
                    Some(k)
                });
            }
        }
        for u in uppers {
            to = match (to, u) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, None) => a,
                (None, b) => b,
            };
        }
        (from, to)
    }
}

fn decode(raw: &[u8]) -> Result<StoredRow, CommandError> {
    bincode::deserialize(raw).map_err(|_| corrupt())
}

fn store(txn: &mut Txn<'_>, key: Vec<u8>, row: &StoredRow) -> Result<(), CommandError> {
    let raw = bincode::serialize(row).map_err(|e| CommandError::Storage(e.to_string()))?;
    txn.put_record(Space::CqlRows, key, raw);
    Ok(())
}

fn load(txn: &Txn<'_>, key: &[u8]) -> Result<Option<StoredRow>, CommandError> {
    txn.get(Space::CqlRows, key)?
        .map(|raw| decode(&raw))
        .transpose()
}

/// The table a mutation or read names, as long as it is the version the statement saw.
fn table_for(
    txn: &Txn<'_>,
    table: &crate::command::table::TableRef,
) -> Result<Arc<TableDef>, CommandError> {
    let generation = txn.schema_generation();
    let cached = generation.and_then(|g| txn.engine.table_defs.get(g, &table.id));
    let def = match cached {
        Some(t) => Some(t),
        None => {
            let read = super::schema::table_by_id(txn, &table.id)?.map(Arc::new);
            if let (Some(g), Some(t)) = (generation, &read) {
                txn.engine.table_defs.fill(g, t.clone());
            }
            read
        }
    };
    match def {
        Some(t) if t.version == table.version => Ok(t),
        _ => Err(TableError::Stale.into()),
    }
}

pub(super) fn write(
    txn: &mut Txn<'_>,
    mutations: &[Mutation],
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    // Checked first, so a batch that names a stale table writes nothing.
    let mut tables = Vec::with_capacity(mutations.len());
    for m in mutations {
        match tables.iter().find(|t: &&Arc<TableDef>| t.id == m.table.id) {
            Some(_) => {}
            None => tables.push(table_for(txn, &m.table)?),
        }
    }
    for m in mutations {
        if let Some(t) = tables.iter().find(|t| t.id == m.table.id) {
            mutate(txn, &Layout::new(t), m, ctx.now_ms)?;
        }
    }
    Ok(Response::Table(Reply::Done))
}

pub(super) fn conditional(
    txn: &mut Txn<'_>,
    m: &Mutation,
    condition: &Condition,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let table = table_for(txn, &m.table)?;
    let layout = Layout::new(&table);
    let key = layout.row_key(m.token, &m.partition, &m.clustering);
    let current = load(txn, &key)?.and_then(|r| r.to_row(false, ctx.now_ms).map(|row| (r, row)));
    let holds = match (condition, &current) {
        (Condition::NotExists, c) => c.is_none(),
        (Condition::Exists, c) => c.is_some(),
        (Condition::Columns(checks), c) => checks.iter().all(|(col, op, want)| {
            let have = c.as_ref().and_then(|(r, _)| r.live_value(*col, ctx.now_ms));
            let ty = table.column_by_id(*col).map(|c| &c.ty);
            compare_holds(ty, have, *op, want.as_ref())
        }),
    };
    if holds {
        mutate(txn, &layout, m, ctx.now_ms)?;
    }
    Ok(Response::Table(Reply::Applied {
        applied: holds,
        row: if holds {
            None
        } else {
            current.map(|(_, row)| Box::new(row))
        },
    }))
}

fn compare_holds(
    ty: Option<&CqlType>,
    have: Option<&Value>,
    op: CompareOp,
    want: Option<&Value>,
) -> bool {
    let (Some(ty), Some(have), Some(want)) = (ty, have, want) else {
        // Null only equals null.
        let same = have.is_none() && want.is_none();
        return match op {
            CompareOp::Eq => same,
            CompareOp::Ne => !same,
            _ => false,
        };
    };
    let ord = keys::compare(ty, have, want);
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Ne => ord.is_ne(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
    }
}

fn mutate(
    txn: &mut Txn<'_>,
    layout: &Layout<'_>,
    m: &Mutation,
    now_ms: i64,
) -> Result<(), CommandError> {
    let (token, pk) = (m.token, &m.partition[..]);
    let newest = txn
        .engine
        .newest_writes
        .note(&layout.table.id, layout.table.version, m.timestamp);
    match &m.op {
        RowOp::Upsert {
            marker,
            cells,
            statics,
        } => {
            if *marker || !cells.is_empty() {
                let key = layout.row_key(token, pk, &m.clustering);
                let stored = if newest && *marker && sets_every_column(layout.table, cells) {
                    None
                } else {
                    load(txn, &key)?
                };
                let mut row = stored.unwrap_or_else(|| StoredRow {
                    partition: pk.to_vec(),
                    clustering: m.clustering.clone(),
                    ..StoredRow::default()
                });
                let hidden = row.deleted.is_some_and(|d| m.timestamp <= d);
                if *marker && !hidden && row.marker.is_none_or(|s| s.ts <= m.timestamp) {
                    row.marker = Some(Stamp {
                        ts: m.timestamp,
                        ttl: m.ttl,
                    });
                }
                for (col, op) in cells {
                    set_cell(layout.table, &mut row, *col, op, m, now_ms)?;
                }
                store(txn, key, &row)?;
            }
            if !statics.is_empty() {
                let key = layout.static_key(token, pk);
                let mut row = load(txn, &key)?.unwrap_or_else(|| StoredRow {
                    partition: pk.to_vec(),
                    ..StoredRow::default()
                });
                for (col, op) in statics {
                    set_cell(layout.table, &mut row, *col, op, m, now_ms)?;
                }
                store(txn, key, &row)?;
            }
        }
        RowOp::DeleteCells { cells, statics } => {
            for (key, cols) in [
                (layout.row_key(token, pk, &m.clustering), cells),
                (layout.static_key(token, pk), statics),
            ] {
                if cols.is_empty() {
                    continue;
                }
                if let Some(mut row) = load(txn, &key)? {
                    for col in cols {
                        set_cell(layout.table, &mut row, *col, &CellOp::Set(None), m, now_ms)?;
                    }
                    store(txn, key, &row)?;
                }
            }
        }
        RowOp::DeleteRows if m.clustering.len() == layout.clustering.len() => {
            let key = layout.row_key(token, pk, &m.clustering);
            let mut row = load(txn, &key)?.unwrap_or_else(|| StoredRow {
                partition: pk.to_vec(),
                clustering: m.clustering.clone(),
                ..StoredRow::default()
            });
            row.delete(m.timestamp);
            store(txn, key, &row)?;
        }
        RowOp::DeleteRows => {
            let range = ClusteringRange::prefix(m.clustering.clone());
            delete_range(txn, layout, m, &range)?;
        }
        RowOp::DeleteRange(range) => delete_range(txn, layout, m, range)?,
        RowOp::DeletePartition => {
            let prefix = layout.partition_prefix(token, pk);
            for_each_record(txn, &prefix, &prefix, None, |txn, key, mut row| {
                row.delete(m.timestamp);
                store(txn, key, &row)
            })?;
        }
    }
    Ok(())
}

/// Whether an upsert's cells replace every regular column's value (see [`super::NewestWrites`]).
fn sets_every_column(table: &TableDef, cells: &[(u32, CellOp)]) -> bool {
    table
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Regular)
        .all(|c| {
            cells
                .iter()
                .any(|(id, op)| *id == c.id && matches!(op, CellOp::Set(_)))
        })
}

fn delete_range(
    txn: &mut Txn<'_>,
    layout: &Layout<'_>,
    m: &Mutation,
    range: &ClusteringRange,
) -> Result<(), CommandError> {
    let mut base = layout.partition_prefix(m.token, &m.partition);
    base.push(CLUSTERED);
    let (from, to) = layout.range_keys(&base, range);
    for_each_record(txn, &base, &from, to.as_deref(), |txn, key, mut row| {
        row.delete(m.timestamp);
        store(txn, key, &row)
    })
}

/// Calls `f` on every stored row in `[from, to)` under `prefix`, in chunks.
fn for_each_record(
    txn: &mut Txn<'_>,
    prefix: &[u8],
    from: &[u8],
    to: Option<&[u8]>,
    mut f: impl FnMut(&mut Txn<'_>, Vec<u8>, StoredRow) -> Result<(), CommandError>,
) -> Result<(), CommandError> {
    let mut from = from.to_vec();
    loop {
        let chunk = txn.scan(
            Space::CqlRows,
            &ScanRange {
                prefix,
                from: &from,
                to,
                reverse: false,
                limit: SCAN_CHUNK,
            },
        )?;
        let done = chunk.len() < SCAN_CHUNK;
        for (k, v) in chunk {
            let row = decode(&v)?;
            from = k.clone();
            from.push(0);
            f(txn, k, row)?;
        }
        if done {
            return Ok(());
        }
    }
}

fn set_cell(
    table: &TableDef,
    row: &mut StoredRow,
    column: u32,
    op: &CellOp,
    m: &Mutation,
    now_ms: i64,
) -> Result<(), CommandError> {
    if row.deleted.is_some_and(|d| m.timestamp <= d) {
        return Ok(());
    }
    let Some(col) = table.column_by_id(column) else {
        return Err(TableError::Stale.into());
    };
    let at = row.cells.iter().position(|c| c.column == column);
    let current = at
        .and_then(|i| row.cells.get(i))
        .filter(|c| live(c.ttl, now_ms))
        .and_then(|c| c.value.clone());
    let newest = at.and_then(|i| row.cells.get(i)).map(|c| c.ts);
    let (value, ttl) = match op {
        CellOp::Set(v) => {
            if newest.is_some_and(|ts| ts > m.timestamp) {
                return Ok(());
            }
            (v.clone(), m.ttl)
        }
        CellOp::Add(n) => {
            let have = match current {
                Some(Value::BigInt(v)) => v,
                _ => 0,
            };
            (Some(Value::BigInt(have.wrapping_add(*n))), None)
        }
        other => (collection_op(&col.ty, current, other)?, m.ttl),
    };
    let cell = StoredCell {
        column,
        ts: newest.map_or(m.timestamp, |ts| ts.max(m.timestamp)),
        ttl,
        value,
    };
    match at {
        Some(i) => row.cells[i] = cell,
        None => row.cells.push(cell),
    }
    let _ = ColumnKind::Regular;
    Ok(())
}

/// A collection after an element-wise update; an empty collection is null, as in Cassandra.
fn collection_op(
    ty: &CqlType,
    current: Option<Value>,
    op: &CellOp,
) -> Result<Option<Value>, CommandError> {
    let invalid = |m: String| CommandError::from(TableError::Invalid(m));
    let out = match (ty.unfrozen(), op) {
        (CqlType::List(_), CellOp::Append(items)) => {
            let mut l = list_of(current);
            l.extend(items.iter().cloned());
            Value::List(l)
        }
        (CqlType::List(_), CellOp::Prepend(items)) => {
            let mut l = items.clone();
            l.extend(list_of(current));
            Value::List(l)
        }
        (CqlType::List(_), CellOp::Remove(Value::List(gone) | Value::Set(gone))) => {
            let mut l = list_of(current);
            l.retain(|v| !gone.contains(v));
            Value::List(l)
        }
        (CqlType::List(_), CellOp::SetIndex(i, v)) => {
            let mut l = list_of(current);
            let len = l.len();
            if len == 0 {
                return Err(invalid(
                    "Attempted to set an element on a list which is null".into(),
                ));
            }
            let idx = usize::try_from(*i)
                .ok()
                .filter(|i| *i < len)
                .ok_or_else(|| {
                    invalid(format!("List index {i} out of bound, list has size {len}"))
                })?;
            match v {
                Some(v) => l[idx] = v.clone(),
                None => {
                    l.remove(idx);
                }
            }
            Value::List(l)
        }
        (CqlType::Set(elem), CellOp::Union(Value::Set(add) | Value::List(add))) => {
            let mut s = set_of(current);
            s.extend(add.iter().cloned());
            s.sort_by(|a, b| keys::compare(elem, a, b));
            s.dedup_by(|a, b| keys::compare(elem, a, b).is_eq());
            Value::Set(s)
        }
        (CqlType::Set(elem), CellOp::Remove(Value::Set(gone) | Value::List(gone))) => {
            let mut s = set_of(current);
            s.retain(|v| !gone.iter().any(|g| keys::compare(elem, g, v).is_eq()));
            Value::Set(s)
        }
        (CqlType::Map(kt, _), CellOp::Union(Value::Map(add))) => {
            let mut m = map_of(current);
            for (k, v) in add {
                m.retain(|(have, _)| !keys::compare(kt, have, k).is_eq());
                m.push((k.clone(), v.clone()));
            }
            m.sort_by(|a, b| keys::compare(kt, &a.0, &b.0));
            Value::Map(m)
        }
        (CqlType::Map(kt, _), CellOp::Remove(Value::Set(gone) | Value::List(gone))) => {
            let mut m = map_of(current);
            m.retain(|(k, _)| !gone.iter().any(|g| keys::compare(kt, g, k).is_eq()));
            Value::Map(m)
        }
        (CqlType::Map(kt, _), CellOp::SetKey(k, v)) => {
            let mut m = map_of(current);
            m.retain(|(have, _)| !keys::compare(kt, have, k).is_eq());
            if let Some(v) = v {
                m.push((k.clone(), v.clone()));
                m.sort_by(|a, b| keys::compare(kt, &a.0, &b.0));
            }
            Value::Map(m)
        }
        _ => return Err(invalid("Invalid operation for this column type".into())),
    };
    let empty = matches!(&out, Value::List(v) | Value::Set(v) if v.is_empty())
        || matches!(&out, Value::Map(m) if m.is_empty());
    Ok((!empty).then_some(out))
}

fn list_of(v: Option<Value>) -> Vec<Value> {
    match v {
        Some(Value::List(l)) => l,
        _ => Vec::new(),
    }
}

fn set_of(v: Option<Value>) -> Vec<Value> {
    match v {
        Some(Value::Set(s)) => s,
        _ => Vec::new(),
    }
}

fn map_of(v: Option<Value>) -> Vec<(Value, Value)> {
    match v {
        Some(Value::Map(m)) => m,
        _ => Vec::new(),
    }
}

/// Every row of a table's old version (TRUNCATE, DROP), deleted in the same batch.
/// Leaves the rows of the table's current version to the background collector: TRUNCATE and
/// DROP TABLE are O(1) whatever the table holds (readers and writers use the new version, or
/// no longer find the table).
pub(super) fn collect_version(txn: &mut Txn<'_>, table: &TableDef) {
    txn.discard_owned_version(Space::CqlRows, &table.id, table.version);
}

pub(super) fn select(txn: &Txn<'_>, s: &Select) -> Result<Response, CommandError> {
    let table = table_for(txn, &s.table)?;
    let layout = Layout::new(&table);
    let mut rows = Vec::new();
    let (prefix, mut from, mut to) = match &s.partition {
        Some((token, pk)) => {
            if s.after.is_none() {
                if layout.has_statics {
                    if let Some(r) = load(txn, &layout.static_key(*token, pk))? {
                        rows.extend(r.to_row(true, s.now_ms));
                    }
                }
                if let Some(clustering) = layout.single_row(&s.range) {
                    // One row named by its whole primary key: a point read, not a scan.
                    let key = layout.row_key(*token, pk, clustering);
                    if let Some(r) = load(txn, &key)? {
                        rows.extend(r.to_row(false, s.now_ms));
                    }
                    return Ok(rows_reply(rows, None));
                }
            }
            let mut base = layout.partition_prefix(*token, pk);
            base.push(CLUSTERED);
            let (from, to) = layout.range_keys(&base, &s.range);
            (base, from, to)
        }
        None => {
            let prefix = keys::table_rows(&table.id, table.version);
            let from = match s.tokens.0 {
                Some(lo) if lo < i64::MAX => keys::token_start(&table.id, table.version, lo + 1),
                Some(_) => return Ok(rows_reply(Vec::new(), None)),
                None => prefix.clone(),
            };
            let to = match s.tokens.1 {
                Some(hi) => keys::prefix_end(&keys::token_start(&table.id, table.version, hi)),
                None => keys::prefix_end(&prefix),
            };
            (prefix, from, to)
        }
    };
    if let Some(after) = &s.after {
        if s.reverse {
            if to.as_ref().is_none_or(|t| after.as_ref() < t.as_slice()) {
                to = Some(after.to_vec());
            }
        } else {
            let mut next = after.to_vec();
            next.push(0);
            if next > from {
                from = next;
            }
        }
    }
    let want = s.limit.max(1);
    let mut next = None;
    'scan: loop {
        let chunk = txn.scan(
            Space::CqlRows,
            &ScanRange {
                prefix: &prefix,
                from: &from,
                to: to.as_deref(),
                reverse: s.reverse,
                limit: SCAN_CHUNK,
            },
        )?;
        let done = chunk.len() < SCAN_CHUNK;
        for (k, v) in chunk {
            let stored = decode(&v)?;
            let is_static = s.partition.is_none() && is_static_key(&layout, &k, &stored);
            if let Some(row) = stored.to_row(is_static, s.now_ms) {
                rows.push(row);
            }
            if s.reverse {
                to = Some(k.clone());
            } else {
                from = k.clone();
                from.push(0);
            }
            if rows.len() >= want {
                next = Some(bytes::Bytes::from(k));
                break 'scan;
            }
        }
        if done {
            break;
        }
    }
    Ok(rows_reply(rows, next))
}

/// Whether a record met in a scan over partitions is a static row (its clustering is empty
/// although the table has clustering columns; its key ends with the static marker).
fn is_static_key(layout: &Layout<'_>, key: &[u8], row: &StoredRow) -> bool {
    !layout.clustering.is_empty() && row.clustering.is_empty() && key.last() == Some(&STATIC_ROW)
}

fn rows_reply(rows: Vec<Row>, next: Option<bytes::Bytes>) -> Response {
    Response::Table(Reply::Rows(Box::new(Rows { rows, next })))
}

//! INSERT, UPDATE, DELETE and BATCH as mutations of the table model; `IF` clauses as
//! lightweight transactions, decided where the log orders them.

use std::sync::Arc;

use crate::command::table::schema::{ColumnKind, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::command::table::{
    CellOp, Command as TableCommand, CompareOp, Condition, Mutation, Reply, RowOp, TableRef,
};
use crate::command::{Command, Response as NodeResponse};
use crate::cql::frame::{BoundValue, ErrorResponse};
use crate::cql::parser::ast::{
    self, Assignment, DeleteTarget, IfClause, InsertValues, Operator, Statement, StatementKind,
    Term, Using,
};
use crate::cql::session::Session;

use super::restrict::{self, Restrictions};
use super::values::{self, Binds, Eval};
use super::{execute_command, write_time, Outcome, R};

fn invalid(m: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(m)
}

/// A planned write: its mutations, or one conditional mutation.
enum Planned {
    Plain(Vec<Mutation>),
    Conditional(Mutation, Condition, Arc<TableDef>),
}

pub async fn run(
    s: &Session,
    stmt: &Statement,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Outcome> {
    match plan(s, &stmt.kind, keyspace, client_ts, None, binds).await? {
        Planned::Plain(m) => apply(s, m).await,
        Planned::Conditional(m, c, table) => conditional(s, m, c, &table).await,
    }
}

pub async fn run_batch_statement(
    s: &Session,
    b: &ast::Batch,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Outcome> {
    let ts = using_timestamp(&b.using, binds)?.or(client_ts);
    let mut all = Vec::new();
    for st in &b.statements {
        let kind = match st {
            ast::BatchStatement::Insert(i) => StatementKind::Insert(i.clone()),
            ast::BatchStatement::Update(u) => StatementKind::Update(u.clone()),
            ast::BatchStatement::Delete(d) => StatementKind::Delete(d.clone()),
        };
        match plan(s, &kind, keyspace, ts, Some(write_time(ts)), binds).await? {
            Planned::Plain(m) => all.extend(m),
            Planned::Conditional(..) => {
                return Err(invalid(
                    "Conditional statements in batches are not supported by this server",
                ))
            }
        }
    }
    apply(s, all).await
}

/// A BATCH request: every statement with its own bound values, one write time for all.
pub async fn run_batch(
    s: &Session,
    stmts: &[(Arc<Statement>, Option<String>, Vec<BoundValue>)],
    client_ts: Option<i64>,
) -> R<Outcome> {
    let ts = write_time(client_ts);
    let mut all = Vec::new();
    for (st, ks, values) in stmts {
        let binds = Binds { values };
        match &st.kind {
            StatementKind::Insert(_) | StatementKind::Update(_) | StatementKind::Delete(_) => {}
            _ => {
                return Err(invalid(
                    "Only INSERT, UPDATE and DELETE statements are allowed in a BATCH",
                ))
            }
        }
        match plan(s, &st.kind, ks.as_deref(), client_ts, Some(ts), &binds).await? {
            Planned::Plain(m) => all.extend(m),
            Planned::Conditional(..) => {
                return Err(invalid(
                    "Conditional statements in batches are not supported by this server",
                ))
            }
        }
    }
    apply(s, all).await
}

async fn apply(s: &Session, mutations: Vec<Mutation>) -> R<Outcome> {
    if mutations.is_empty() {
        return Ok(Outcome::Void);
    }
    execute_command(s, Command::Table(TableCommand::Write(mutations))).await?;
    Ok(Outcome::Void)
}

async fn conditional(s: &Session, m: Mutation, c: Condition, table: &TableDef) -> R<Outcome> {
    let r = execute_command(
        s,
        Command::Table(TableCommand::Conditional {
            mutation: m,
            condition: c,
        }),
    )
    .await?;
    let NodeResponse::Table(Reply::Applied { applied, row }) = r else {
        return Err(ErrorResponse::server(
            "unexpected reply to a conditional write",
        ));
    };
    Ok(Outcome::Applied {
        table: Box::new(table.clone()),
        applied,
        row,
    })
}

fn int_term(t: &Option<Term>, binds: &Binds<'_>, ty: CqlType) -> R<Option<i64>> {
    let Some(t) = t else { return Ok(None) };
    Ok(match values::value(t, &ty, binds)? {
        Some(Value::Int(n)) => Some(i64::from(n)),
        Some(Value::BigInt(n)) => Some(n),
        _ => None,
    })
}

fn using_timestamp(u: &Using, binds: &Binds<'_>) -> R<Option<i64>> {
    int_term(&u.timestamp, binds, CqlType::BigInt)
}

/// The TTL of a write: `USING TTL`, else the table's default; as (deadline ms, seconds).
fn ttl(u: &Using, table: &TableDef, binds: &Binds<'_>) -> R<Option<(i64, i32)>> {
    let secs = match int_term(&u.ttl, binds, CqlType::Int)? {
        Some(n) if n < 0 => {
            return Err(invalid(format!(
                "A TTL must be greater or equal to 0, but was {n}"
            )))
        }
        Some(n) if n > 630_720_000 => {
            return Err(invalid(format!(
                "ttl is too large. requested ({n}) maximum (630720000)"
            )))
        }
        Some(n) => n as i32,
        None => table.options.default_time_to_live,
    };
    Ok((secs > 0).then(|| (crate::node::now_ms() + i64::from(secs) * 1000, secs)))
}

struct Target<'a> {
    table: Arc<TableDef>,
    keys: Restrictions,
    ts: i64,
    ttl: Option<(i64, i32)>,
    _binds: &'a Binds<'a>,
}

impl Target<'_> {
    fn tref(&self) -> TableRef {
        TableRef {
            id: self.table.id,
            version: self.table.version,
        }
    }

    /// One mutation per partition the WHERE clause names.
    fn mutations(&self, clustering: Vec<Value>, op: RowOp) -> R<Vec<Mutation>> {
        let parts = self
            .keys
            .partitions
            .as_ref()
            .ok_or_else(|| invalid("Some partition key parts are missing"))?;
        let mut out = Vec::with_capacity(parts.len());
        for pk in parts {
            let rows: Vec<Vec<Value>> = if self.keys.clustering_in.is_empty() {
                vec![clustering.clone()]
            } else {
                self.keys
                    .clustering_in
                    .iter()
                    .map(|v| {
                        let mut c = clustering.clone();
                        c.push(v.clone());
                        c
                    })
                    .collect()
            };
            for ck in rows {
                out.push(Mutation {
                    table: self.tref(),
                    partition: pk.clone(),
                    token: restrict::token(&self.table, pk)?,
                    clustering: ck,
                    timestamp: self.ts,
                    ttl: self.ttl,
                    op: op.clone(),
                });
            }
        }
        Ok(out)
    }

    fn full_clustering(&self) -> R<Vec<Value>> {
        let want = self.table.clustering().len();
        let have = self.keys.clustering_eq.len() + usize::from(!self.keys.clustering_in.is_empty());
        if have != want {
            let missing = self
                .table
                .clustering()
                .get(self.keys.clustering_eq.len())
                .map(|c| c.name.clone())
                .unwrap_or_default();
            return Err(invalid(format!(
                "Some clustering keys are missing: {missing}"
            )));
        }
        Ok(self.keys.clustering_eq.clone())
    }
}

async fn plan(
    s: &Session,
    kind: &StatementKind,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    batch_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Planned> {
    match kind {
        StatementKind::Insert(i) => insert(s, i, keyspace, client_ts, batch_ts, binds).await,
        StatementKind::Update(u) => update(s, u, keyspace, client_ts, batch_ts, binds).await,
        StatementKind::Delete(d) => delete(s, d, keyspace, client_ts, batch_ts, binds).await,
        _ => Err(invalid("Not a write")),
    }
}

async fn insert(
    s: &Session,
    i: &ast::Insert,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    batch_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Planned> {
    let (_, table) = super::table(s, &i.table, keyspace).await?;
    let from_json;
    let (columns, values) = match &i.values {
        InsertValues::Columns { columns, values } => (columns.as_slice(), values.as_slice()),
        InsertValues::Json { value, default } => {
            let text = match values::value(value, &CqlType::Text, binds)? {
                Some(Value::Text(t)) => t,
                _ => return Err(invalid("Got null for INSERT JSON values")),
            };
            from_json = super::json::insert_columns(&table, &text, *default)?;
            (from_json.0.as_slice(), from_json.1.as_slice())
        }
    };
    if columns.len() != values.len() {
        return Err(invalid("Unmatched column names/values"));
    }
    let mut relations = Vec::new();
    let mut cells = Vec::new();
    let mut statics = Vec::new();
    for (name, term) in columns.iter().zip(values) {
        let col = table
            .column(name)
            .ok_or_else(|| invalid(format!("Undefined column name {name}")))?;
        match col.kind {
            ColumnKind::PartitionKey | ColumnKind::Clustering => {
                relations.push(ast::Relation::Compare {
                    column: name.clone(),
                    op: Operator::Eq,
                    value: term.clone(),
                });
            }
            kind => {
                if matches!(col.ty, CqlType::Counter) {
                    return Err(invalid(
                        "INSERT statements are not allowed on counter tables, use UPDATE instead",
                    ));
                }
                match values::eval(term, &col.ty, binds)? {
                    Eval::Unset => {}
                    Eval::Value(v) => {
                        let cell = (col.id, CellOp::Set(v));
                        if kind == ColumnKind::Static {
                            statics.push(cell)
                        } else {
                            cells.push(cell)
                        }
                    }
                }
            }
        }
    }
    for c in table
        .partition_key()
        .iter()
        .chain(table.clustering().iter())
    {
        if !columns.contains(&c.name) {
            return Err(invalid(format!(
                "Some {} key parts are missing: {}",
                if c.kind == ColumnKind::PartitionKey {
                    "partition"
                } else {
                    "clustering"
                },
                c.name
            )));
        }
    }
    let keys = restrict::analyse(&table, &relations, binds)?;
    let ts = match using_timestamp(&i.using, binds)? {
        Some(t) => t,
        None => batch_ts.unwrap_or_else(|| write_time(client_ts)),
    };
    let t = Target {
        ttl: ttl(&i.using, &table, binds)?,
        table: Arc::new(table),
        keys,
        ts,
        _binds: binds,
    };
    let clustering = t.full_clustering()?;
    let op = RowOp::Upsert {
        marker: true,
        cells,
        statics,
    };
    let mut m = t.mutations(clustering, op)?;
    if i.if_not_exists {
        let one = m.pop().ok_or_else(|| invalid("Missing key"))?;
        return Ok(Planned::Conditional(
            one,
            Condition::NotExists,
            t.table.clone(),
        ));
    }
    Ok(Planned::Plain(m))
}

async fn update(
    s: &Session,
    u: &ast::Update,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    batch_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Planned> {
    let (_, table) = super::table(s, &u.table, keyspace).await?;
    let keys = restrict::analyse(&table, &u.where_clause, binds)?;
    let mut cells = Vec::new();
    let mut statics = Vec::new();
    for a in &u.assignments {
        let name = match a {
            Assignment::Set { column, .. }
            | Assignment::Add { column, .. }
            | Assignment::Subtract { column, .. }
            | Assignment::Prepend { column, .. }
            | Assignment::SetElement { column, .. }
            | Assignment::SetField { column, .. } => column,
        };
        let col = table
            .column(name)
            .ok_or_else(|| invalid(format!("Undefined column name {name}")))?;
        if matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
            return Err(invalid(format!(
                "PRIMARY KEY part {name} found in SET part"
            )));
        }
        let ty = col.ty.unfrozen();
        let op = match a {
            Assignment::Set { value, .. } => {
                if matches!(ty, CqlType::Counter) {
                    return Err(invalid(format!("Cannot set the value of counter column {name} (counters can only be incremented/decremented, not set)")));
                }
                match values::eval(value, &col.ty, binds)? {
                    Eval::Unset => continue,
                    Eval::Value(v) => CellOp::Set(v),
                }
            }
            Assignment::Add { value, .. } | Assignment::Subtract { value, .. } => {
                let add = matches!(a, Assignment::Add { .. });
                match ty {
                    CqlType::Counter => {
                        let n = match values::value(value, &CqlType::BigInt, binds)? {
                            Some(Value::BigInt(n)) => n,
                            _ => return Err(invalid("Invalid null value for counter increment")),
                        };
                        CellOp::Add(if add { n } else { n.wrapping_neg() })
                    }
                    CqlType::List(_) => {
                        let v = values::value(value, ty, binds)?.unwrap_or(Value::List(Vec::new()));
                        let Value::List(items) = v else {
                            return Err(invalid("Invalid list value"));
                        };
                        if add {
                            CellOp::Append(items)
                        } else {
                            CellOp::Remove(Value::List(items))
                        }
                    }
                    CqlType::Set(_) => {
                        let v = values::value(value, ty, binds)?.unwrap_or(Value::Set(Vec::new()));
                        if add {
                            CellOp::Union(v)
                        } else {
                            CellOp::Remove(v)
                        }
                    }
                    CqlType::Map(k, _) => {
                        if add {
                            CellOp::Union(
                                values::value(value, ty, binds)?.unwrap_or(Value::Map(Vec::new())),
                            )
                        } else {
                            let keys_ty = CqlType::Set(k.clone());
                            CellOp::Remove(
                                values::value(value, &keys_ty, binds)?
                                    .unwrap_or(Value::Set(Vec::new())),
                            )
                        }
                    }
                    _ => {
                        return Err(invalid(format!(
                        "Invalid operation ({name} = {name} + ...) for non counter column {name}"
                    )))
                    }
                }
            }
            Assignment::Prepend { value, .. } => match values::value(value, ty, binds)? {
                Some(Value::List(items)) => CellOp::Prepend(items),
                _ => return Err(invalid("Invalid prepend: only lists can be prepended to")),
            },
            Assignment::SetElement { key, value, .. } => match ty {
                CqlType::List(e) => {
                    let i = match values::value(key, &CqlType::Int, binds)? {
                        Some(Value::Int(i)) => i,
                        _ => return Err(invalid("Invalid null value for list index")),
                    };
                    CellOp::SetIndex(i, values::value(value, e, binds)?)
                }
                CqlType::Map(kt, vt) => {
                    let k = values::value(key, kt, binds)?
                        .ok_or_else(|| invalid("Invalid null value for map key"))?;
                    CellOp::SetKey(k, values::value(value, vt, binds)?)
                }
                _ => {
                    return Err(invalid(format!(
                        "Invalid operation for non collection column {name}"
                    )))
                }
            },
            Assignment::SetField { .. } => {
                return Err(invalid(
                    "Setting a single field of a user type is not supported by this server yet",
                ))
            }
        };
        if col.kind == ColumnKind::Static {
            statics.push((col.id, op));
        } else {
            cells.push((col.id, op));
        }
    }
    let ts = match using_timestamp(&u.using, binds)? {
        Some(t) => t,
        None => batch_ts.unwrap_or_else(|| write_time(client_ts)),
    };
    let only_statics = cells.is_empty() && !statics.is_empty();
    let t = Target {
        ttl: ttl(&u.using, &table, binds)?,
        table: Arc::new(table),
        keys,
        ts,
        _binds: binds,
    };
    let clustering = if only_statics {
        Vec::new()
    } else {
        t.full_clustering()?
    };
    let op = RowOp::Upsert {
        marker: false,
        cells,
        statics,
    };
    let mut m = t.mutations(clustering, op)?;
    match condition(&t.table, &u.if_clause, binds)? {
        None => Ok(Planned::Plain(m)),
        Some(c) => {
            let one = m.pop().ok_or_else(|| invalid("Missing key"))?;
            Ok(Planned::Conditional(one, c, t.table.clone()))
        }
    }
}

fn condition(table: &TableDef, c: &IfClause, binds: &Binds<'_>) -> R<Option<Condition>> {
    Ok(match c {
        IfClause::None => None,
        IfClause::Exists => Some(Condition::Exists),
        IfClause::Conditions(items) => {
            let mut checks = Vec::new();
            for cond in items {
                let col = table
                    .column(&cond.column)
                    .ok_or_else(|| invalid(format!("Undefined column name {}", cond.column)))?;
                let ast::ConditionTarget::Column = cond.target else {
                    return Err(invalid("Conditions on collection elements or fields are not supported by this server yet"));
                };
                let ast::ConditionTest::Compare(op, term) = &cond.test else {
                    return Err(invalid(
                        "IN conditions are not supported by this server yet",
                    ));
                };
                let op = match op {
                    Operator::Eq => CompareOp::Eq,
                    Operator::Neq => CompareOp::Ne,
                    Operator::Lt => CompareOp::Lt,
                    Operator::Lte => CompareOp::Le,
                    Operator::Gt => CompareOp::Gt,
                    Operator::Gte => CompareOp::Ge,
                    _ => return Err(invalid("Unsupported operator in a condition")),
                };
                checks.push((col.id, op, values::value(term, &col.ty, binds)?));
            }
            Some(Condition::Columns(checks))
        }
    })
}

async fn delete(
    s: &Session,
    d: &ast::Delete,
    keyspace: Option<&str>,
    client_ts: Option<i64>,
    batch_ts: Option<i64>,
    binds: &Binds<'_>,
) -> R<Planned> {
    let (_, table) = super::table(s, &d.table, keyspace).await?;
    let keys = restrict::analyse(&table, &d.where_clause, binds)?;
    let ts = match int_term(&d.timestamp, binds, CqlType::BigInt)? {
        Some(t) => t,
        None => batch_ts.unwrap_or_else(|| write_time(client_ts)),
    };
    let ranged = !matches!(
        keys.range.start,
        crate::command::table::Bound::Unbounded | crate::command::table::Bound::Included(_)
    ) || !matches!(
        keys.range.end,
        crate::command::table::Bound::Unbounded | crate::command::table::Bound::Included(_)
    ) || keys.range.start != keys.range.end;
    let t = Target {
        ttl: None,
        table: Arc::new(table),
        keys,
        ts,
        _binds: binds,
    };
    let n_ck = t.table.clustering().len();
    let mut m = if d.targets.is_empty() {
        if t.keys.clustering_eq.is_empty()
            && t.keys.clustering_in.is_empty()
            && matches!(t.keys.range.start, crate::command::table::Bound::Unbounded)
            && matches!(t.keys.range.end, crate::command::table::Bound::Unbounded)
        {
            t.mutations(Vec::new(), RowOp::DeletePartition)?
        } else if ranged && t.keys.clustering_eq.len() < n_ck {
            t.mutations(
                t.keys.clustering_eq.clone(),
                RowOp::DeleteRange(Box::new(t.keys.range.clone())),
            )?
        } else {
            t.mutations(t.keys.clustering_eq.clone(), RowOp::DeleteRows)?
        }
    } else {
        let mut cells = Vec::new();
        let mut statics = Vec::new();
        let mut elements = Vec::new();
        for target in &d.targets {
            let name = match target {
                DeleteTarget::Column(n)
                | DeleteTarget::Element(n, _)
                | DeleteTarget::Field(n, _) => n,
            };
            let col = t
                .table
                .column(name)
                .ok_or_else(|| invalid(format!("Undefined column name {name}")))?;
            if matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                return Err(invalid(format!(
                    "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
                )));
            }
            match target {
                DeleteTarget::Column(_) => {
                    if col.kind == ColumnKind::Static {
                        statics.push(col.id)
                    } else {
                        cells.push(col.id)
                    }
                }
                DeleteTarget::Element(_, key) => {
                    let op = match col.ty.unfrozen() {
                        CqlType::Map(kt, _) => CellOp::SetKey(
                            values::value(key, kt, binds)?
                                .ok_or_else(|| invalid("Invalid null map key"))?,
                            None,
                        ),
                        CqlType::List(_) => match values::value(key, &CqlType::Int, binds)? {
                            Some(Value::Int(i)) => CellOp::SetIndex(i, None),
                            _ => return Err(invalid("Invalid list index")),
                        },
                        CqlType::Set(e) => {
                            CellOp::Remove(Value::Set(vec![values::value(key, e, binds)?
                                .ok_or_else(|| invalid("Invalid null set element"))?]))
                        }
                        _ => {
                            return Err(invalid(format!(
                                "Invalid deletion operation for non collection column {name}"
                            )))
                        }
                    };
                    elements.push((col.id, op));
                }
                DeleteTarget::Field(..) => return Err(invalid(
                    "Deleting a single field of a user type is not supported by this server yet",
                )),
            }
        }
        let clustering = if cells.is_empty() && elements.is_empty() {
            Vec::new()
        } else {
            t.full_clustering()?
        };
        let mut m = t.mutations(clustering.clone(), RowOp::DeleteCells { cells, statics })?;
        if !elements.is_empty() {
            m.extend(t.mutations(
                clustering,
                RowOp::Upsert {
                    marker: false,
                    cells: elements,
                    statics: Vec::new(),
                },
            )?);
        }
        m
    };
    match condition(&t.table, &d.if_clause, binds)? {
        None => Ok(Planned::Plain(m)),
        Some(c) => {
            let one = m.pop().ok_or_else(|| invalid("Missing key"))?;
            Ok(Planned::Conditional(one, c, t.table.clone()))
        }
    }
}

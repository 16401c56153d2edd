//! A WHERE clause against a table's primary key: which partitions, which clustering prefix
//! and range, which token range, and what is left to filter row by row.

use crate::command::table::schema::{ColumnDef, ColumnKind, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::command::table::{Bound, ClusteringRange};
use crate::cql::frame::ErrorResponse;
use crate::cql::parser::ast::{InValues, Operator, Relation, Term};

use super::values::{self, Binds};
use super::R;

/// A restriction on a column that is not a key prefix, checked on each row read.
pub struct Filter {
    pub column: u32,
    pub op: Operator,
    pub value: Option<Value>,
    /// `IN (...)`
    pub any_of: Vec<Value>,
}

pub struct Restrictions {
    /// Every partition key restricted by `=` or `IN`: the keys, in the order given.
    pub partitions: Option<Vec<Vec<Value>>>,
    /// `token(...) > lo AND token(...) <= hi` (lo exclusive, hi inclusive).
    pub tokens: (Option<i64>, Option<i64>),
    /// Clustering columns restricted by `=`, in key order (a prefix).
    pub clustering_eq: Vec<Value>,
    /// Several rows of one prefix: `c IN (...)` on the column after the prefix.
    pub clustering_in: Vec<Value>,
    pub range: ClusteringRange,
    pub filters: Vec<Filter>,
}

fn invalid(m: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(m)
}

fn in_values(values: &InValues, ty: &CqlType, binds: &Binds<'_>) -> R<Vec<Value>> {
    match values {
        InValues::List(terms) => {
            let mut out = Vec::new();
            for t in terms {
                if let Some(v) = values::value(t, ty, binds)? {
                    out.push(v);
                }
            }
            Ok(out)
        }
        InValues::Marker(m) => {
            let list_ty = CqlType::List(Box::new(ty.clone()));
            match values::value(&Term::Bind(m.clone()), &list_ty, binds)? {
                Some(Value::List(l)) => Ok(l),
                _ => Ok(Vec::new()),
            }
        }
    }
}

pub fn analyse(table: &TableDef, relations: &[Relation], binds: &Binds<'_>) -> R<Restrictions> {
    let pk = table.partition_key();
    let ck = table.clustering();
    let mut pk_values: Vec<Option<Vec<Value>>> = vec![None; pk.len()];
    let mut ck_eq: Vec<Option<Value>> = vec![None; ck.len()];
    let mut ck_in: Option<(usize, Vec<Value>)> = None;
    let mut lower: Option<(usize, Value, bool)> = None;
    let mut upper: Option<(usize, Value, bool)> = None;
    let mut tokens = (None, None);
    let mut filters = Vec::new();
    let column = |name: &str| -> R<&ColumnDef> {
        table
            .column(name)
            .ok_or_else(|| invalid(format!("Undefined column name {name}")))
    };
    for rel in relations {
        match rel {
            Relation::Compare {
                column: name,
                op,
                value,
            } => {
                let col = column(name)?;
                let v = values::value(value, &col.ty, binds)?;
                match (col.kind, op) {
                    (ColumnKind::PartitionKey, Operator::Eq) => {
                        let v = v.ok_or_else(|| {
                            invalid(format!("Invalid null value for partition key part {name}"))
                        })?;
                        pk_values[col.position as usize] = Some(vec![v]);
                    }
                    (ColumnKind::Clustering, Operator::Eq) => {
                        let v = v.ok_or_else(|| {
                            invalid(format!("Invalid null value for clustering key part {name}"))
                        })?;
                        ck_eq[col.position as usize] = Some(v);
                    }
                    (ColumnKind::Clustering, Operator::Gt | Operator::Gte) => {
                        let v = v.ok_or_else(|| invalid("Invalid null value in condition"))?;
                        lower = Some((col.position as usize, v, *op == Operator::Gte));
                    }
                    (ColumnKind::Clustering, Operator::Lt | Operator::Lte) => {
                        let v = v.ok_or_else(|| invalid("Invalid null value in condition"))?;
                        upper = Some((col.position as usize, v, *op == Operator::Lte));
                    }
                    _ => filters.push(Filter {
                        column: col.id,
                        op: *op,
                        value: v,
                        any_of: Vec::new(),
                    }),
                }
            }
            Relation::In {
                column: name,
                values,
            } => {
                let col = column(name)?;
                let vs = in_values(values, &col.ty, binds)?;
                match col.kind {
                    ColumnKind::PartitionKey => pk_values[col.position as usize] = Some(vs),
                    ColumnKind::Clustering => ck_in = Some((col.position as usize, vs)),
                    _ => filters.push(Filter {
                        column: col.id,
                        op: Operator::Eq,
                        value: None,
                        any_of: vs,
                    }),
                }
            }
            Relation::Token { op, value, .. } => {
                let v = match values::value(value, &CqlType::BigInt, binds)? {
                    Some(Value::BigInt(n)) => n,
                    _ => return Err(invalid("Invalid token value")),
                };
                match op {
                    Operator::Gt => tokens.0 = Some(v),
                    Operator::Gte => tokens.0 = Some(v.saturating_sub(1)),
                    Operator::Lte => tokens.1 = Some(v),
                    Operator::Lt => tokens.1 = Some(v.saturating_sub(1)),
                    Operator::Eq => {
                        tokens = (Some(v.saturating_sub(1)), Some(v));
                    }
                    _ => return Err(invalid("Unsupported token restriction")),
                }
            }
            Relation::IsNotNull { .. } => {}
            _ => {
                return Err(invalid(
                    "This kind of restriction is not supported by this server yet",
                ))
            }
        }
    }
    let partitions = if pk_values.iter().all(Option::is_some) {
        let mut keys: Vec<Vec<Value>> = vec![Vec::new()];
        for vs in pk_values.into_iter().flatten() {
            let mut next = Vec::with_capacity(keys.len() * vs.len());
            for k in &keys {
                for v in &vs {
                    let mut k = k.clone();
                    k.push(v.clone());
                    next.push(k);
                }
            }
            keys = next;
        }
        Some(keys)
    } else if pk_values.iter().any(Option::is_some) {
        let missing = pk
            .iter()
            .zip(&pk_values)
            .find(|(_, v)| v.is_none())
            .map(|(c, _)| c.name.clone())
            .unwrap_or_default();
        return Err(invalid(format!("Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING (partition key part {missing} is not restricted)")));
    } else {
        None
    };
    let prefix_len = ck_eq.iter().take_while(|v| v.is_some()).count();
    if ck_eq[prefix_len..].iter().any(Option::is_some) {
        let gap = ck
            .get(prefix_len)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        return Err(invalid(format!("PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{gap}\" is not restricted", ck.iter().zip(&ck_eq).skip(prefix_len).find(|(_, v)| v.is_some()).map(|(c, _)| c.name.clone()).unwrap_or_default())));
    }
    let clustering_eq: Vec<Value> = ck_eq.into_iter().flatten().collect();
    let mut range = ClusteringRange::all();
    for (bound, is_lower) in [(lower, true), (upper, false)] {
        let Some((pos, v, inclusive)) = bound else {
            continue;
        };
        if pos != clustering_eq.len() {
            return Err(invalid(format!(
                "Clustering column \"{}\" cannot be restricted (preceding column is restricted by a non-EQ relation)",
                ck.get(pos).map(|c| c.name.as_str()).unwrap_or("")
            )));
        }
        let mut p = clustering_eq.clone();
        p.push(v);
        let b = if inclusive {
            Bound::Included(p)
        } else {
            Bound::Excluded(p)
        };
        if is_lower {
            range.start = b;
        } else {
            range.end = b;
        }
    }
    let clustering_in = match ck_in {
        Some((pos, vs)) if pos == clustering_eq.len() => vs,
        Some(_) => {
            return Err(invalid(
                "Clustering column IN must follow the restricted prefix",
            ))
        }
        None => Vec::new(),
    };
    if matches!(range.start, Bound::Unbounded)
        && matches!(range.end, Bound::Unbounded)
        && !clustering_eq.is_empty()
    {
        range = ClusteringRange::prefix(clustering_eq.clone());
    } else if !clustering_eq.is_empty() {
        if matches!(range.start, Bound::Unbounded) {
            range.start = Bound::Included(clustering_eq.clone());
        }
        if matches!(range.end, Bound::Unbounded) {
            range.end = Bound::Included(clustering_eq.clone());
        }
    }
    Ok(Restrictions {
        partitions,
        tokens,
        clustering_eq,
        clustering_in,
        range,
        filters,
    })
}

/// The partition key's types, in key order.
pub fn pk_types(table: &TableDef) -> Vec<&CqlType> {
    table.partition_key().into_iter().map(|c| &c.ty).collect()
}

/// The token of a partition key.
pub fn token(table: &TableDef, key: &[Value]) -> R<i64> {
    crate::cql::token::token(&pk_types(table), key).map_err(|e| e.to_response())
}

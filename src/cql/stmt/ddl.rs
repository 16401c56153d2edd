//! CREATE, ALTER and DROP of keyspaces, tables, types and indexes; TRUNCATE.

use crate::command::table::schema::{
    ColumnDef, ColumnKind, IndexDef, KeyspaceDef, Order, Schema, TableDef, TableOptions,
};
use crate::command::table::value::{CqlType, UdtType};
use crate::command::table::{Command as TableCommand, Reply, TableChange};
use crate::command::{Command, Response as NodeResponse};
use crate::cql::frame::event::{ChangeType, SchemaChange, SchemaTarget};
use crate::cql::frame::ErrorResponse;
use crate::cql::parser::ast::{self, PropertyValue, StatementKind};
use crate::cql::parser::types::TypeExpr;
use crate::cql::session::Session;

use super::{execute_command, keyspace_of, schema_with, Outcome, R};

fn invalid(m: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(m)
}

pub async fn run(s: &Session, kind: &StatementKind, session_ks: Option<&str>) -> R<Outcome> {
    let Some((cmd, change)) = plan(s, kind, session_ks).await? else {
        return Ok(Outcome::Void);
    };
    let r = execute_command(s, Command::Table(cmd)).await?;
    // The next statement on this connection must see the change.
    let _ = s.server.reload_schema(true).await;
    match (r, change) {
        (NodeResponse::Table(Reply::SchemaChanged(false)), _) | (_, None) => Ok(Outcome::Void),
        (_, Some(c)) => Ok(Outcome::SchemaChange(c)),
    }
}

fn change(change: ChangeType, target: SchemaTarget) -> Option<SchemaChange> {
    Some(SchemaChange { change, target })
}

fn table_target(ks: &str, name: &str) -> SchemaTarget {
    SchemaTarget::Table {
        keyspace: ks.to_string(),
        name: name.to_string(),
    }
}

async fn plan(
    s: &Session,
    kind: &StatementKind,
    session_ks: Option<&str>,
) -> R<Option<(TableCommand, Option<SchemaChange>)>> {
    Ok(Some(match kind {
        StatementKind::CreateKeyspace(k) => (
            TableCommand::CreateKeyspace {
                keyspace: keyspace_def(&k.name, &k.properties)?,
                if_not_exists: k.if_not_exists,
            },
            change(ChangeType::Created, SchemaTarget::Keyspace(k.name.clone())),
        ),
        StatementKind::AlterKeyspace(k) => (
            TableCommand::AlterKeyspace {
                keyspace: keyspace_def(&k.name, &k.properties)?,
            },
            change(ChangeType::Updated, SchemaTarget::Keyspace(k.name.clone())),
        ),
        StatementKind::DropKeyspace(k) => (
            TableCommand::DropKeyspace {
                name: k.name.clone(),
                if_exists: k.if_exists,
            },
            change(ChangeType::Dropped, SchemaTarget::Keyspace(k.name.clone())),
        ),
        StatementKind::CreateTable(t) => {
            let ks = keyspace_of(&t.name, session_ks)?.to_string();
            let schema = schema_with(s, |sc| sc.keyspace(&ks).is_some()).await?;
            let def = table_def(&schema, &ks, t)?;
            (
                TableCommand::CreateTable {
                    table: Box::new(def),
                    if_not_exists: t.if_not_exists,
                },
                change(ChangeType::Created, table_target(&ks, &t.name.name)),
            )
        }
        StatementKind::AlterTable(a) => {
            let (schema, table) = super::table(s, &a.name, session_ks).await?;
            let ks = table.keyspace.clone();
            let c = match &a.action {
                ast::AlterTableAction::Add(cols) => {
                    let mut out = Vec::new();
                    for c in cols {
                        out.push(ColumnDef {
                            id: 0,
                            name: c.name.clone(),
                            ty: resolve(&schema, &ks, &c.ty)?,
                            kind: if c.is_static {
                                ColumnKind::Static
                            } else {
                                ColumnKind::Regular
                            },
                            position: -1,
                            order: Order::Asc,
                        });
                    }
                    TableChange::Add(out)
                }
                ast::AlterTableAction::Drop(names) => TableChange::Drop(names.clone()),
                ast::AlterTableAction::With(props) => {
                    TableChange::Options(table_options(props, table.options.clone())?)
                }
                ast::AlterTableAction::Rename(_) => {
                    return Err(invalid(
                        "ALTER TABLE ... RENAME is not supported by this server",
                    ))
                }
            };
            (
                TableCommand::AlterTable {
                    keyspace: ks.clone(),
                    name: table.name.clone(),
                    change: c,
                },
                change(ChangeType::Updated, table_target(&ks, &table.name)),
            )
        }
        StatementKind::DropTable(d) => {
            let ks = keyspace_of(&d.name, session_ks)?.to_string();
            (
                TableCommand::DropTable {
                    keyspace: ks.clone(),
                    name: d.name.name.clone(),
                    if_exists: d.if_exists,
                },
                change(ChangeType::Dropped, table_target(&ks, &d.name.name)),
            )
        }
        StatementKind::Truncate(name) => {
            let (_, t) = super::table(s, name, session_ks).await?;
            (
                TableCommand::Truncate {
                    keyspace: t.keyspace.clone(),
                    name: t.name.clone(),
                },
                None,
            )
        }
        StatementKind::CreateType(t) => {
            let ks = keyspace_of(&t.name, session_ks)?.to_string();
            let schema = schema_with(s, |sc| sc.keyspace(&ks).is_some()).await?;
            let mut fields = Vec::new();
            for (n, ty) in &t.fields {
                fields.push((n.clone(), resolve(&schema, &ks, ty)?));
            }
            (
                TableCommand::CreateType {
                    udt: UdtType {
                        keyspace: ks.clone(),
                        name: t.name.name.clone(),
                        fields,
                    },
                    if_not_exists: t.if_not_exists,
                },
                change(
                    ChangeType::Created,
                    SchemaTarget::Type {
                        keyspace: ks,
                        name: t.name.name.clone(),
                    },
                ),
            )
        }
        StatementKind::DropType(t) => {
            let ks = keyspace_of(&t.name, session_ks)?.to_string();
            (
                TableCommand::DropType {
                    keyspace: ks.clone(),
                    name: t.name.name.clone(),
                    if_exists: t.if_exists,
                },
                change(
                    ChangeType::Dropped,
                    SchemaTarget::Type {
                        keyspace: ks,
                        name: t.name.name.clone(),
                    },
                ),
            )
        }
        StatementKind::CreateIndex(i) => {
            let (_, t) = super::table(s, &i.table, session_ks).await?;
            let target = i
                .targets
                .first()
                .ok_or_else(|| invalid("Missing index target"))?;
            let col = t
                .column(&target.column)
                .ok_or_else(|| invalid(format!("Undefined column name {}", target.column)))?;
            let name = i
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_{}_idx", t.name, col.name));
            if i.if_not_exists && t.indexes.iter().any(|x| x.name == name) {
                return Ok(None);
            }
            (
                TableCommand::AlterTable {
                    keyspace: t.keyspace.clone(),
                    name: t.name.clone(),
                    change: TableChange::AddIndex(IndexDef {
                        name,
                        column: col.id,
                        target: format!("{:?}", target.kind).to_ascii_lowercase(),
                    }),
                },
                change(ChangeType::Updated, table_target(&t.keyspace, &t.name)),
            )
        }
        StatementKind::DropIndex(d) => {
            let schema = s.server.schema();
            let ks = keyspace_of(&d.name, session_ks)?;
            let t = schema
                .tables
                .iter()
                .find(|t| t.keyspace == ks && t.indexes.iter().any(|i| i.name == d.name.name));
            match t {
                Some(t) => (
                    TableCommand::AlterTable {
                        keyspace: t.keyspace.clone(),
                        name: t.name.clone(),
                        change: TableChange::DropIndex(d.name.name.clone()),
                    },
                    change(ChangeType::Updated, table_target(&t.keyspace, &t.name)),
                ),
                None if d.if_exists => return Ok(None),
                None => {
                    return Err(invalid(format!(
                        "Index '{}' could not be found in any of the tables of keyspace '{ks}'",
                        d.name.name
                    )))
                }
            }
        }
        StatementKind::AlterType(_) => {
            return Err(invalid("ALTER TYPE is not supported by this server"))
        }
        _ => return Err(invalid("Unsupported statement")),
    }))
}

fn keyspace_def(name: &str, props: &[ast::Property]) -> R<KeyspaceDef> {
    let mut replication = Vec::new();
    let mut durable_writes = true;
    for p in props {
        match (p.name.as_str(), &p.value) {
            ("replication", PropertyValue::Map(m)) => replication = m.clone(),
            ("durable_writes", PropertyValue::Simple(v)) => durable_writes = v != "false",
            (other, _) => {
                return Err(ErrorResponse::new(
                    crate::cql::frame::ErrorKind::Config,
                    format!("Unknown property '{other}'"),
                ))
            }
        }
    }
    if !replication.iter().any(|(k, _)| k == "class") {
        return Err(ErrorResponse::new(
            crate::cql::frame::ErrorKind::Config,
            "Missing mandatory option 'class'",
        ));
    }
    Ok(KeyspaceDef {
        name: name.to_string(),
        replication,
        durable_writes,
    })
}

fn table_options(props: &[ast::Property], mut o: TableOptions) -> R<TableOptions> {
    for p in props {
        let text = match &p.value {
            PropertyValue::Simple(v) => v.clone(),
            PropertyValue::Map(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("'{k}': '{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        match p.name.as_str() {
            "default_time_to_live" => {
                o.default_time_to_live = text.parse().map_err(|_| {
                    invalid(format!("Invalid value for default_time_to_live: {text}"))
                })?
            }
            "comment" => o.comment = text,
            name => {
                o.other.retain(|(k, _)| k != name);
                o.other.push((name.to_string(), text));
            }
        }
    }
    Ok(o)
}

/// A column type with user types looked up in `ks`.
fn resolve(schema: &Schema, ks: &str, ty: &TypeExpr) -> R<CqlType> {
    ty.resolve(&mut |k: Option<&str>, n: &str| schema.udt(k.unwrap_or(ks), n).cloned())
        .map_err(|e| invalid(e.to_string()))
}

fn table_def(schema: &Schema, ks: &str, t: &ast::CreateTable) -> R<TableDef> {
    let pk = &t.primary_key;
    if pk.partition.is_empty() {
        return Err(invalid("No PRIMARY KEY specifed (exactly one required)"));
    }
    let mut columns = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        if t.columns[..i].iter().any(|o| o.name == c.name) {
            return Err(invalid(format!(
                "Multiple definition of identifier {}",
                c.name
            )));
        }
        let ty = resolve(schema, ks, &c.ty)?;
        let (kind, position) = if let Some(p) = pk.partition.iter().position(|n| n == &c.name) {
            (ColumnKind::PartitionKey, p as i32)
        } else if let Some(p) = pk.clustering.iter().position(|n| n == &c.name) {
            (ColumnKind::Clustering, p as i32)
        } else if c.is_static {
            if pk.clustering.is_empty() {
                return Err(invalid(format!(
                    "Static column {} cannot be declared in a table without clustering columns",
                    c.name
                )));
            }
            (ColumnKind::Static, -1)
        } else {
            (ColumnKind::Regular, -1)
        };
        if kind != ColumnKind::Regular && kind != ColumnKind::Static && ty.is_multi_cell() {
            return Err(invalid(format!(
                "Invalid non-frozen collection type for PRIMARY KEY component {}",
                c.name
            )));
        }
        let order = t
            .clustering_order
            .iter()
            .find(|o| o.column == c.name)
            .map_or(Order::Asc, |o| match o.order {
                ast::Order::Asc => Order::Asc,
                ast::Order::Desc => Order::Desc,
            });
        columns.push(ColumnDef {
            id: i as u32,
            name: c.name.clone(),
            ty,
            kind,
            position,
            order,
        });
    }
    for n in pk.partition.iter().chain(&pk.clustering) {
        if !columns.iter().any(|c| &c.name == n) {
            return Err(invalid(format!(
                "Unknown definition {n} referenced in PRIMARY KEY"
            )));
        }
    }
    for o in &t.clustering_order {
        if !pk.clustering.contains(&o.column) {
            return Err(invalid(format!("Only clustering key columns can be defined in CLUSTERING ORDER directive: {} is not a clustering column", o.column)));
        }
    }
    // Partition key columns first, then clustering columns, in key order (as Cassandra lists).
    columns.sort_by_key(|c| match c.kind {
        ColumnKind::PartitionKey => (0, c.position, String::new()),
        ColumnKind::Clustering => (1, c.position, String::new()),
        _ => (2, 0, c.name.clone()),
    });
    let next_column = columns.len() as u32;
    Ok(TableDef {
        keyspace: ks.to_string(),
        name: t.name.name.clone(),
        id: crate::cql::stmt::values::random_uuid(),
        version: 0,
        columns,
        options: table_options(&t.properties, TableOptions::default())?,
        indexes: Vec::new(),
        next_column,
    })
}

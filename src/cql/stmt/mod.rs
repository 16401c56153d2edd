//! Statements: QUERY, PREPARE, EXECUTE and BATCH requests, parsed and planned into the table
//! model's commands and queries (`ddl`, `write`, `select`), their replies encoded as results.

mod ddl;
pub mod error;
mod json;
mod restrict;
mod select;
mod values;
mod write;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::command::table::schema::{Schema, TableDef};
use crate::command::{Command, Response as NodeResponse};
use crate::cql::frame::result::ColumnSpec;
use crate::cql::frame::{
    Batch, BatchQuery, Columns, ErrorKind, ErrorResponse, FrameOptions, Prepared, QueryParameters,
    Response, ResultBody, RowsMetadata,
};
use crate::cql::parser::ast::{QualifiedName, Statement, StatementKind};
use crate::cql::parser::{parse_statement, ParseError};
use crate::cql::session::{statement_id, Prepared as PreparedStatement, Session};
pub use values::Binds;

type R<T> = Result<T, ErrorResponse>;

/// What running a statement produced, before it is encoded.
pub enum Outcome {
    Void,
    SetKeyspace(String),
    SchemaChange(crate::cql::frame::event::SchemaChange),
    /// An already-encoded frame (rows are written straight into the output buffer).
    Frame(BytesMut),
    /// A lightweight transaction's outcome, to encode on the request's stream.
    Applied {
        table: Box<TableDef>,
        applied: bool,
        row: Option<Box<crate::command::table::Row>>,
    },
}

fn syntax(e: ParseError) -> ErrorResponse {
    if e.is_syntax() {
        ErrorResponse::syntax(e.to_string())
    } else {
        ErrorResponse::invalid(e.to_string())
    }
}

pub async fn query(s: &Session, stream: i16, text: &str, params: QueryParameters) -> BytesMut {
    let stmt = match parse_statement(text) {
        Ok(st) => st,
        Err(e) => return s.error(stream, syntax(e)),
    };
    let keyspace = s.keyspace();
    finish(
        s,
        stream,
        run(s, stream, &stmt, keyspace.as_deref(), &params).await,
    )
}

pub async fn execute(s: &Session, stream: i16, id: Bytes, params: QueryParameters) -> BytesMut {
    let Some(p) = s.server.prepared(&id) else {
        return s.error(
            stream,
            ErrorResponse::new(
                ErrorKind::Unprepared { id: id.clone() },
                format!("Prepared query with ID {} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", hex(&id)),
            ),
        );
    };
    finish(
        s,
        stream,
        run(s, stream, &p.statement, p.keyspace.as_deref(), &params).await,
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn finish(s: &Session, stream: i16, r: R<Outcome>) -> BytesMut {
    let opts = FrameOptions {
        compression: s.compression(),
        ..FrameOptions::default()
    };
    let body = match r {
        Err(e) => return s.error(stream, e),
        Ok(Outcome::Frame(f)) => return f,
        Ok(Outcome::Applied {
            table,
            applied,
            row,
        }) => return select::applied_frame(s, stream, &table, applied, row.as_deref()),
        Ok(Outcome::Void) => ResultBody::Void,
        Ok(Outcome::SetKeyspace(ks)) => {
            s.set_keyspace(ks.clone());
            let mut out = BytesMut::new();
            Response::Result(ResultBody::SetKeyspace(&ks)).encode_frame(&mut out, stream, opts);
            return out;
        }
        Ok(Outcome::SchemaChange(c)) => {
            let mut out = BytesMut::new();
            Response::Result(ResultBody::SchemaChange(&c)).encode_frame(&mut out, stream, opts);
            return out;
        }
    };
    let mut out = BytesMut::new();
    Response::Result(body).encode_frame(&mut out, stream, opts);
    out
}

async fn run(
    s: &Session,
    stream: i16,
    stmt: &Statement,
    keyspace: Option<&str>,
    params: &QueryParameters,
) -> R<Outcome> {
    let binds = Binds {
        values: &params.values,
    };
    if binds.values.len() < stmt.bind_markers.len() && !stmt.bind_markers.is_empty() {
        return Err(ErrorResponse::invalid(format!(
            "There were {} markers(?) in CQL but {} bound variables",
            stmt.bind_markers.len(),
            binds.values.len()
        )));
    }
    match &stmt.kind {
        StatementKind::Select(q) => select::run(s, stream, q, keyspace, params, &binds).await,
        StatementKind::Insert(_) | StatementKind::Update(_) | StatementKind::Delete(_) => {
            write::run(s, stmt, keyspace, params.timestamp, &binds).await
        }
        StatementKind::Batch(b) => {
            write::run_batch_statement(s, b, keyspace, params.timestamp, &binds).await
        }
        StatementKind::Use(ks) => {
            let schema = schema_with(s, |sc| sc.keyspace(ks).is_some()).await?;
            match schema.keyspace(ks) {
                Some(_) => Ok(Outcome::SetKeyspace(ks.clone())),
                None => Err(ErrorResponse::invalid(format!(
                    "Keyspace '{ks}' does not exist"
                ))),
            }
        }
        StatementKind::Describe(d) => select::describe(s, stream, d, keyspace).await,
        StatementKind::Unsupported(kind) => Err(ErrorResponse::invalid(format!(
            "{} is not supported by this server",
            kind.name()
        ))),
        _ => ddl::run(s, &stmt.kind, keyspace).await,
    }
}

pub async fn prepare(s: &Session, stream: i16, text: &str) -> BytesMut {
    let stmt = match parse_statement(text) {
        Ok(st) => st,
        Err(e) => return s.error(stream, syntax(e)),
    };
    let keyspace = s.keyspace();
    let id = statement_id(keyspace.as_deref(), text);
    let meta = match select::prepared_metadata(s, &stmt, keyspace.as_deref()).await {
        Ok(m) => m,
        Err(e) => return s.error(stream, e),
    };
    s.server.prepare(
        id,
        PreparedStatement {
            keyspace,
            statement: stmt,
        },
    );
    let binds: Vec<ColumnSpec<'_>> = meta
        .binds
        .iter()
        .map(|(ks, t, n, ty)| ColumnSpec {
            keyspace: ks,
            table: t,
            name: n,
            ty,
        })
        .collect();
    let result_cols: Vec<ColumnSpec<'_>> = meta
        .result
        .iter()
        .map(|(ks, t, n, ty)| ColumnSpec {
            keyspace: ks,
            table: t,
            name: n,
            ty,
        })
        .collect();
    let result = if result_cols.is_empty() {
        RowsMetadata::empty()
    } else {
        RowsMetadata::new(Columns::Specs(&result_cols))
    };
    let mut out = BytesMut::new();
    Response::Result(ResultBody::Prepared(Prepared {
        id: &id,
        bind_markers: &binds,
        pk_indexes: &meta.pk_indexes,
        result,
    }))
    .encode_frame(
        &mut out,
        stream,
        FrameOptions {
            compression: s.compression(),
            ..FrameOptions::default()
        },
    );
    out
}

pub async fn batch(s: &Session, stream: i16, b: Batch) -> BytesMut {
    let keyspace = s.keyspace();
    let mut stmts = Vec::with_capacity(b.statements.len());
    for st in &b.statements {
        let (statement, ks) = match &st.query {
            BatchQuery::Query(text) => match parse_statement(text) {
                Ok(p) => (Arc::new(p), keyspace.clone()),
                Err(e) => return s.error(stream, syntax(e)),
            },
            BatchQuery::Prepared(id) => match s.server.prepared(id) {
                Some(p) => (Arc::new(p.statement.clone()), p.keyspace.clone()),
                None => {
                    return s.error(
                        stream,
                        ErrorResponse::new(
                            ErrorKind::Unprepared { id: id.clone() },
                            "Prepared query not found",
                        ),
                    )
                }
            },
        };
        stmts.push((statement, ks, st.values.clone()));
    }
    let r = write::run_batch(s, &stmts, b.timestamp).await;
    finish(s, stream, r)
}

/// A column spec as a prepared statement's metadata lists it (keyspace, table, name, type).
pub type Spec = (
    String,
    String,
    String,
    crate::command::table::value::CqlType,
);

pub struct PreparedMeta {
    pub binds: Vec<Spec>,
    pub result: Vec<Spec>,
    pub pk_indexes: Vec<u16>,
}

/// The schema, reloaded (linearized) if `want` does not hold on the copy at hand: a table
/// created through another node, or just now, is then found.
pub async fn schema_with(s: &Session, want: impl Fn(&Schema) -> bool) -> R<Arc<Schema>> {
    let schema = s.server.schema();
    if want(&schema) {
        return Ok(schema);
    }
    s.server.reload_schema(false).await
}

/// The keyspace a name is in: its own, else the session's.
pub fn keyspace_of<'a>(name: &'a QualifiedName, session: Option<&'a str>) -> R<&'a str> {
    name.keyspace
        .as_deref()
        .or(session)
        .ok_or_else(|| ErrorResponse::invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename"))
}

/// A table by name, with the schema that holds it.
pub async fn table(
    s: &Session,
    name: &QualifiedName,
    session_ks: Option<&str>,
) -> R<(Arc<Schema>, TableDef)> {
    let ks = keyspace_of(name, session_ks)?;
    let schema = schema_with(s, |sc| sc.table(ks, &name.name).is_some()).await?;
    match schema.table(ks, &name.name) {
        Some(t) => {
            let t = t.clone();
            Ok((schema, t))
        }
        None if schema.keyspace(ks).is_none() => Err(ErrorResponse::invalid(format!(
            "Keyspace {ks} does not exist"
        ))),
        None => Err(ErrorResponse::invalid(format!(
            "unconfigured table {}",
            name.name
        ))),
    }
}

/// Runs a command through the node and turns refusals into errors.
pub async fn execute_command(s: &Session, cmd: Command) -> R<NodeResponse> {
    match s.server.node.execute(cmd).await {
        NodeResponse::Error(e) => Err(error::from_command(&e)),
        r => Ok(r),
    }
}

/// The write time of a statement: the client's, or this node's clock in microseconds.
pub fn write_time(client: Option<i64>) -> i64 {
    client.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
    })
}

//! The CQL language: text -> [`Statement`] syntax trees. A hand-written recursive-descent
//! parser over Cassandra 4's grammar (CQL 3.4.5), with errors worded like Cassandra's.
//!
//! It owns syntax only: it resolves no names and checks nothing against a schema (that is the
//! statement planner's job, `cql::stmt`), and it never touches the wire format.
//!
//! - [`lexer`]: tokens with positions; keywords are words matched in context.
//! - [`cursor`]: lookahead, names, bind-marker numbering, nesting bound, errors.
//! - [`types`], [`expr`], [`select`], [`dml`], [`ddl`], [`describe`]: the grammar.
//! - [`ast`]: the result.

pub mod ast;
mod cursor;
mod ddl;
mod describe;
mod dml;
pub mod error;
mod expr;
pub mod lexer;
mod select;
mod statement;
pub mod types;

#[cfg(test)]
mod tests;

pub use ast::*;
pub use error::{ParseError, ParseErrorKind};
pub use types::{TypeExpr, UnknownType};

use cursor::Cursor;
use lexer::TokenKind;

/// Exactly one statement, optionally followed by `;`: what QUERY and PREPARE carry.
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let mut c = Cursor::new(text, lexer::tokenize(text)?);
    let kind = c.statement()?;
    let bind_markers = c.take_markers();
    while c.eat(&TokenKind::Semi) {}
    if !c.at_eof() {
        return Err(c.error(ParseErrorKind::Extraneous(c.current_text())));
    }
    Ok(Statement { kind, bind_markers })
}

/// A script of `;`-separated statements (empty statements are skipped). Each statement
/// numbers its own bind markers from 0.
pub fn parse_statements(text: &str) -> Result<Vec<Statement>, ParseError> {
    let mut c = Cursor::new(text, lexer::tokenize(text)?);
    let mut out = Vec::new();
    loop {
        while c.eat(&TokenKind::Semi) {}
        if c.at_eof() {
            return Ok(out);
        }
        let kind = c.statement()?;
        let bind_markers = c.take_markers();
        out.push(Statement { kind, bind_markers });
        if !c.at_eof() && !c.at(&TokenKind::Semi) {
            return Err(c.error(ParseErrorKind::Extraneous(c.current_text())));
        }
    }
}

/// A type on its own, as the schema tables store it (`frozen<map<text, int>>`).
pub fn parse_type(text: &str) -> Result<TypeExpr, ParseError> {
    let mut c = Cursor::new(text, lexer::tokenize(text)?);
    let ty = c.type_expr()?;
    if !c.at_eof() {
        return Err(c.error(ParseErrorKind::Extraneous(c.current_text())));
    }
    Ok(ty)
}

//! The token cursor every grammar module parses with: lookahead, keyword matching, names,
//! bind-marker numbering, the nesting bound, and Cassandra-style error construction.
//!
//! It knows no statement: the grammar lives in the sibling modules.

use super::ast::{BindMarker, QualifiedName};
use super::error::{ParseError, ParseErrorKind, Result};
use super::lexer::{Token, TokenKind};

/// Nesting allowed for collections, tuples, parentheses, function calls and types: far more than
/// real statements use, few enough that hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Words that can never be names (Cassandra 4's reserved keywords, plus the boolean literals).
/// Every other keyword is matched by text where the grammar expects it.
const RESERVED: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "false",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "mbean",
    "mbeans",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "replace",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "true",
    "truncate",
    "unlogged",
    "unset",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}

pub struct Cursor<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    markers: Vec<BindMarker>,
}

impl<'a> Cursor<'a> {
    /// `tokens` must end with [`TokenKind::Eof`] (as [`super::lexer::tokenize`] returns them).
    pub fn new(src: &'a str, tokens: Vec<Token>) -> Self {
        Cursor {
            src,
            tokens,
            pos: 0,
            depth: 0,
            markers: Vec::new(),
        }
    }

    pub fn peek(&self) -> &TokenKind {
        self.peek_at(0)
    }

    /// The token `n` ahead; past the end it is the final EOF.
    pub fn peek_at(&self, n: usize) -> &TokenKind {
        const EOF: &TokenKind = &TokenKind::Eof;
        let i = (self.pos + n).min(self.tokens.len().saturating_sub(1));
        self.tokens.get(i).map_or(EOF, |t| &t.kind)
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// Back to a saved [`Cursor::position`] (for the one place the grammar backtracks).
    pub fn rewind(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub fn bump(&mut self) -> TokenKind {
        let kind = self.peek().clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        kind
    }

    pub fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }

    pub fn at_eof(&self) -> bool {
        self.at(&TokenKind::Eof)
    }

    /// Consumes a punctuation token if it is next.
    pub fn eat(&mut self, kind: &TokenKind) -> bool {
        let hit = self.at(kind);
        if hit {
            self.bump();
        }
        hit
    }

    pub fn expect(&mut self, kind: &TokenKind) -> Result<()> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.mismatched(kind.describe()))
        }
    }

    /// Whether the token `n` ahead is the (unquoted) word `kw`.
    pub fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), TokenKind::Ident(w) if w == kw)
    }

    pub fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    pub fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.bump();
        }
        hit
    }

    /// Consumes the words of `kws` if they all come next, else nothing.
    pub fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let hit = kws.iter().enumerate().all(|(i, kw)| self.is_kw_at(i, kw));
        if hit {
            self.pos = (self.pos + kws.len()).min(self.tokens.len() - 1);
        }
        hit
    }

    pub fn expect_kw(&mut self, kw: &str) -> Result<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.mismatched(&format!("K_{}", kw.to_ascii_uppercase())))
        }
    }

    /// Whether the token `n` ahead can be a name: a non-reserved word or a quoted name.
    pub fn is_name_at(&self, n: usize) -> bool {
        match self.peek_at(n) {
            TokenKind::Ident(w) => !is_reserved(w),
            TokenKind::QuotedIdent(_) => true,
            _ => false,
        }
    }

    /// A column, keyspace, table, field or property name.
    pub fn name(&mut self) -> Result<String> {
        if !self.is_name_at(0) {
            if self.at(&TokenKind::QMark) || self.at(&TokenKind::Colon) {
                return Err(self.error(ParseErrorKind::BindNotAllowed("for names")));
            }
            return Err(self.mismatched("IDENT"));
        }
        match self.bump() {
            TokenKind::Ident(w) | TokenKind::QuotedIdent(w) => Ok(w),
            _ => Err(self.mismatched("IDENT")),
        }
    }

    /// `[keyspace.]name`
    pub fn qualified_name(&mut self) -> Result<QualifiedName> {
        let first = self.name()?;
        if self.eat(&TokenKind::Dot) {
            let name = self.name()?;
            Ok(QualifiedName {
                keyspace: Some(first),
                name,
            })
        } else {
            Ok(QualifiedName {
                keyspace: None,
                name: first,
            })
        }
    }

    /// `IF NOT EXISTS`, if present.
    pub fn if_not_exists(&mut self) -> Result<bool> {
        if !self.eat_kw("if") {
            return Ok(false);
        }
        self.expect_kw("not")?;
        self.expect_kw("exists")?;
        Ok(true)
    }

    /// `IF EXISTS`, if present.
    pub fn if_exists(&mut self) -> Result<bool> {
        if !self.eat_kw("if") {
            return Ok(false);
        }
        self.expect_kw("exists")?;
        Ok(true)
    }

    /// Registers the next bind marker (numbered in source order).
    pub fn new_marker(&mut self, name: Option<String>) -> BindMarker {
        let marker = BindMarker {
            index: self.markers.len(),
            name,
        };
        self.markers.push(marker.clone());
        marker
    }

    /// The markers seen since the last call (one statement's worth).
    pub fn take_markers(&mut self) -> Vec<BindMarker> {
        std::mem::take(&mut self.markers)
    }

    /// Enters one nesting level; pair with [`Cursor::leave`].
    pub fn enter(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(ParseErrorKind::TooDeep(MAX_DEPTH)));
        }
        self.depth += 1;
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `f` one nesting level down.
    pub fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.enter()?;
        let out = f(self);
        self.leave();
        out
    }

    /// The current token's source text (`<EOF>` at the end).
    pub fn current_text(&self) -> String {
        self.token_text(self.pos)
    }

    fn token_text(&self, i: usize) -> String {
        match self.tokens.get(i) {
            Some(t) if t.kind != TokenKind::Eof => {
                self.src.get(t.start..t.end).unwrap_or("").to_string()
            }
            _ => "<EOF>".to_string(),
        }
    }

    pub fn mismatched(&self, expected: &str) -> ParseError {
        self.error(ParseErrorKind::Mismatched {
            found: self.current_text(),
            expected: expected.to_string(),
        })
    }

    pub fn no_viable(&self) -> ParseError {
        self.error(ParseErrorKind::NoViableAlternative(self.current_text()))
    }

    /// An error at the current token, with Cassandra's query snippet: up to 10 tokens before
    /// and 2 after, the offending one in brackets.
    pub fn error(&self, kind: ParseErrorKind) -> ParseError {
        let at = self.pos.min(self.tokens.len().saturating_sub(1));
        let Some(tok) = self.tokens.get(at) else {
            return ParseError {
                line: 1,
                column: 0,
                kind,
                snippet: String::new(),
            };
        };
        ParseError {
            line: tok.line,
            column: tok.column,
            kind,
            snippet: self.snippet(at),
        }
    }

    fn snippet(&self, at: usize) -> String {
        let last_real = self.tokens.len().saturating_sub(2);
        if self.tokens.len() < 2 {
            return String::new();
        }
        let from = at.saturating_sub(10).min(last_real);
        let to = (at + 2).min(last_real);
        let start = self.tokens[from].start;
        let mut out = String::from(" (");
        let tok = &self.tokens[at];
        if tok.kind == TokenKind::Eof {
            out.push_str(
                self.src
                    .get(start..self.tokens[last_real].end)
                    .unwrap_or(""),
            );
            out.push_str("[]");
        } else {
            out.push_str(self.src.get(start..tok.start).unwrap_or(""));
            out.push('[');
            out.push_str(self.src.get(tok.start..tok.end).unwrap_or(""));
            out.push(']');
            out.push_str(self.src.get(tok.end..self.tokens[to].end).unwrap_or(""));
            if to < last_real {
                out.push_str("...");
            }
        }
        out.push(')');
        out
    }

    /// Skips to the end of the statement (the next `;` or the end), for statements that are
    /// only recognised.
    pub fn skip_statement(&mut self) {
        while !self.at_eof() && !self.at(&TokenKind::Semi) {
            self.bump();
        }
    }
}

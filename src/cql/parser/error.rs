//! The parser's one error type, worded like Cassandra's ANTLR messages so clients that show
//! the text (cqlsh, driver exceptions) look familiar: `line 1:7 no viable alternative at input
//! 'FOO' (SELECT [FOO]...)`.
//!
//! Most kinds are syntax errors (0x2000). A few are rules Cassandra checks after parsing and
//! answers as Invalid (0x2200); [`ParseError::is_syntax`] tells them apart so the server can pick
//! the code.

/// What went wrong, without the position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// No rule starts with this token (ANTLR's wording).
    #[error("no viable alternative at input '{0}'")]
    NoViableAlternative(String),
    /// A particular token was required here.
    #[error("mismatched input '{found}' expecting {expected}")]
    Mismatched { found: String, expected: String },
    /// Input left over after a complete statement.
    #[error("extraneous input '{0}' expecting EOF")]
    Extraneous(String),
    /// A character no token starts with.
    #[error("token recognition error at: '{0}'")]
    BadCharacter(String),
    /// A string, quoted name or comment that never ends.
    #[error("mismatched character '<EOF>' expecting {0}")]
    Unterminated(&'static str),
    /// Collections, parentheses or types nested deeper than the parser allows.
    #[error("too many nested levels (maximum {0})")]
    TooDeep(usize),
    /// `'org.apache...'` as a type: custom types need Java classes.
    #[error("Custom types are not supported: {0}")]
    CustomType(String),
    /// `WITH COMPACT STORAGE` (Cassandra 4 refuses it too).
    #[error("Compact tables are not allowed in Cassandra starting with 4.0 version.")]
    CompactStorage,
    /// More than one PRIMARY KEY clause in a table definition.
    #[error("Multiple PRIMARY KEYs specified (exactly one required)")]
    MultiplePrimaryKeys,
    /// A table definition without a PRIMARY KEY.
    #[error("No PRIMARY KEY specifed (exactly one required)")]
    MissingPrimaryKey,
    /// A bind marker where only a constant may stand (DDL properties, names).
    #[error("Bind variables are not supported {0}")]
    BindNotAllowed(&'static str),
    /// `SET a = b + 1` where `b` is not `a`.
    #[error("Only expressions of the form X = X {op} <value> are supported.")]
    ColumnOperation { op: char },
    /// A hex blob literal with an odd number of digits.
    #[error("Invalid hex blob literal 0x{0}: odd number of digits")]
    OddHex(String),
    /// `ALTER TABLE t ALTER c TYPE x`: removed in Cassandra 4.
    #[error("Altering column types is no longer supported")]
    AlterColumnType,
    /// A user type named like a reserved type name (`byte`, `enum`, ...).
    #[error("Invalid (reserved) user type name {0}")]
    ReservedTypeName(String),
}

/// A parse failure at a position. `column` is 0-based like ANTLR's `charPositionInLine`,
/// `line` 1-based.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}:{column} {kind}{snippet}")]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub kind: ParseErrorKind,
    /// ` (SELECT [FOO]...)`: the query around the offending token, or empty.
    pub snippet: String,
}

impl ParseError {
    /// Whether Cassandra reports this as a SyntaxError (0x2000) rather than Invalid (0x2200).
    pub fn is_syntax(&self) -> bool {
        matches!(
            self.kind,
            ParseErrorKind::NoViableAlternative(_)
                | ParseErrorKind::Mismatched { .. }
                | ParseErrorKind::Extraneous(_)
                | ParseErrorKind::BadCharacter(_)
                | ParseErrorKind::Unterminated(_)
                | ParseErrorKind::TooDeep(_)
                | ParseErrorKind::BindNotAllowed(_)
                | ParseErrorKind::ColumnOperation { .. }
                | ParseErrorKind::ReservedTypeName(_)
        )
    }
}

pub type Result<T> = std::result::Result<T, ParseError>;

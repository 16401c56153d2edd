//! `DESCRIBE | DESC ...`: cqlsh 6 sends these to Cassandra 4 servers instead of building the
//! output itself, so the server must at least parse them.

use super::ast::{Describe, DescribeTarget, QualifiedName};
use super::cursor::Cursor;
use super::error::Result;
use super::lexer::TokenKind;

impl Cursor<'_> {
    /// After `DESCRIBE` / `DESC`.
    pub fn describe(&mut self) -> Result<Describe> {
        let target = self.describe_target()?;
        let with_internals = self.eat_kws(&["with", "internals"]);
        Ok(Describe {
            target,
            with_internals,
        })
    }

    fn describe_target(&mut self) -> Result<DescribeTarget> {
        // Each keyword is only a keyword if no `.` follows (`DESC keyspaces.t` names a table).
        let word = |c: &Self, kw: &str| c.is_kw(kw) && !matches!(c.peek_at(1), TokenKind::Dot);
        let target = if word(self, "cluster") {
            self.bump();
            DescribeTarget::Cluster
        } else if self.eat_kws(&["full", "schema"]) {
            DescribeTarget::Schema { full: true }
        } else if self.eat_kw("schema") {
            DescribeTarget::Schema { full: false }
        } else if word(self, "keyspaces") {
            self.bump();
            DescribeTarget::Keyspaces
        } else if (self.is_kw("only") && self.is_kw_at(1, "keyspace")) || self.is_kw("keyspace") {
            let only = self.eat_kw("only");
            self.bump();
            let name = if self.is_name_at(0) {
                Some(self.name()?)
            } else {
                None
            };
            DescribeTarget::Keyspace { only, name }
        } else if word(self, "tables") {
            self.bump();
            DescribeTarget::Tables
        } else if self.eat_kw("table") || self.eat_kw("columnfamily") {
            DescribeTarget::Table(self.qualified_name()?)
        } else if self.eat_kw("index") {
            DescribeTarget::Index(self.qualified_name()?)
        } else if self.eat_kws(&["materialized", "view"]) {
            DescribeTarget::MaterializedView(self.qualified_name()?)
        } else if word(self, "types") {
            self.bump();
            DescribeTarget::Types
        } else if word(self, "type") && self.is_name_at(1) {
            self.bump();
            DescribeTarget::Type(self.qualified_name()?)
        } else if word(self, "functions") {
            self.bump();
            DescribeTarget::Functions
        } else if word(self, "function") && self.is_name_at(1) {
            self.bump();
            DescribeTarget::Function(self.qualified_name()?)
        } else if word(self, "aggregates") {
            self.bump();
            DescribeTarget::Aggregates
        } else if word(self, "aggregate") && self.is_name_at(1) {
            self.bump();
            DescribeTarget::Aggregate(self.qualified_name()?)
        } else if self.is_name_at(0) {
            let QualifiedName { keyspace, name } = self.qualified_name()?;
            DescribeTarget::Name(QualifiedName { keyspace, name })
        } else {
            return Err(self.no_viable());
        };
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::StatementKind;
    use super::super::parse_statement;
    use super::*;

    fn describe(src: &str) -> Describe {
        match parse_statement(src).map(|s| s.kind) {
            Ok(StatementKind::Describe(d)) => d,
            other => panic!("{src}: {other:?}"),
        }
    }

    fn qn(ks: Option<&str>, name: &str) -> QualifiedName {
        QualifiedName {
            keyspace: ks.map(str::to_string),
            name: name.into(),
        }
    }

    #[test]
    fn targets() {
        let cases = [
            (
                "DESCRIBE KEYSPACE shop",
                DescribeTarget::Keyspace {
                    only: false,
                    name: Some("shop".into()),
                },
            ),
            (
                "DESC KEYSPACE",
                DescribeTarget::Keyspace {
                    only: false,
                    name: None,
                },
            ),
            (
                "DESC ONLY KEYSPACE ks",
                DescribeTarget::Keyspace {
                    only: true,
                    name: Some("ks".into()),
                },
            ),
            ("DESC KEYSPACES", DescribeTarget::Keyspaces),
            ("describe cluster", DescribeTarget::Cluster),
            ("DESC SCHEMA", DescribeTarget::Schema { full: false }),
            ("DESC FULL SCHEMA", DescribeTarget::Schema { full: true }),
            ("DESC TABLES", DescribeTarget::Tables),
            (
                "DESC TABLE ks.t",
                DescribeTarget::Table(qn(Some("ks"), "t")),
            ),
            ("DESC COLUMNFAMILY t", DescribeTarget::Table(qn(None, "t"))),
            ("DESC TYPES", DescribeTarget::Types),
            (
                "DESC TYPE ks.addr",
                DescribeTarget::Type(qn(Some("ks"), "addr")),
            ),
            (
                "DESC INDEX ks.idx",
                DescribeTarget::Index(qn(Some("ks"), "idx")),
            ),
            (
                "DESC MATERIALIZED VIEW v",
                DescribeTarget::MaterializedView(qn(None, "v")),
            ),
            ("DESC FUNCTIONS", DescribeTarget::Functions),
            (
                "DESC FUNCTION ks.f",
                DescribeTarget::Function(qn(Some("ks"), "f")),
            ),
            ("DESC AGGREGATES", DescribeTarget::Aggregates),
            ("DESC AGGREGATE a", DescribeTarget::Aggregate(qn(None, "a"))),
            ("DESC ks.t", DescribeTarget::Name(qn(Some("ks"), "t"))),
            ("DESC shop", DescribeTarget::Name(qn(None, "shop"))),
            ("DESC type", DescribeTarget::Name(qn(None, "type"))),
            (
                "DESC tables.x",
                DescribeTarget::Name(qn(Some("tables"), "x")),
            ),
        ];
        for (src, want) in cases {
            assert_eq!(describe(src).target, want, "{src}");
        }
        assert!(describe("DESCRIBE TABLE t WITH INTERNALS").with_internals);
        assert!(parse_statement("DESC").is_err());
        assert!(parse_statement("DESC FULL").is_err());
    }
}

//! Schema statements: keyspaces, tables, user types and indexes, and the `WITH` properties
//! they share. Statements recognised only to be refused (views, functions, roles, ...) are
//! dispatched here too, because they share the CREATE / ALTER / DROP prefixes.

use super::ast::{
    AlterKeyspace, AlterTable, AlterTableAction, AlterType, AlterTypeAction, ColumnDef,
    CreateIndex, CreateKeyspace, CreateTable, CreateType, DropIndex, DropKeyspace, DropTable,
    DropType, IndexKind, IndexTarget, Ordering, PrimaryKey, Property, PropertyValue, StatementKind,
    UnsupportedKind,
};
use super::cursor::Cursor;
use super::error::{ParseErrorKind, Result};
use super::lexer::TokenKind;

impl Cursor<'_> {
    /// After `CREATE`.
    pub fn create(&mut self) -> Result<StatementKind> {
        if self.eat_kw("keyspace") {
            return self.create_keyspace().map(StatementKind::CreateKeyspace);
        }
        if self.eat_kw("table") || self.eat_kw("columnfamily") {
            return self.create_table().map(StatementKind::CreateTable);
        }
        if self.eat_kw("type") {
            return self.create_type().map(StatementKind::CreateType);
        }
        if self.is_kw("index") || self.is_kw("custom") {
            return self.create_index().map(StatementKind::CreateIndex);
        }
        let unsupported = if self.eat_kws(&["materialized", "view"]) {
            UnsupportedKind::CreateMaterializedView
        } else if self.eat_kws(&["or", "replace", "function"]) || self.eat_kw("function") {
            UnsupportedKind::CreateFunction
        } else if self.eat_kws(&["or", "replace", "aggregate"]) || self.eat_kw("aggregate") {
            UnsupportedKind::CreateAggregate
        } else if self.eat_kw("trigger") {
            UnsupportedKind::CreateTrigger
        } else if self.eat_kw("role") {
            UnsupportedKind::CreateRole
        } else if self.eat_kw("user") {
            UnsupportedKind::CreateUser
        } else {
            return Err(self.no_viable());
        };
        Ok(self.unsupported(unsupported))
    }

    /// After `ALTER`.
    pub fn alter(&mut self) -> Result<StatementKind> {
        if self.eat_kw("keyspace") {
            let name = self.name()?;
            self.expect_kw("with")?;
            let properties = self.properties()?;
            return Ok(StatementKind::AlterKeyspace(AlterKeyspace {
                name,
                properties,
            }));
        }
        if self.eat_kw("table") || self.eat_kw("columnfamily") {
            return self.alter_table().map(StatementKind::AlterTable);
        }
        if self.eat_kw("type") {
            return self.alter_type().map(StatementKind::AlterType);
        }
        let unsupported = if self.eat_kws(&["materialized", "view"]) {
            UnsupportedKind::AlterMaterializedView
        } else if self.eat_kw("role") {
            UnsupportedKind::AlterRole
        } else if self.eat_kw("user") {
            UnsupportedKind::AlterUser
        } else {
            return Err(self.no_viable());
        };
        Ok(self.unsupported(unsupported))
    }

    /// After `DROP`.
    pub fn drop(&mut self) -> Result<StatementKind> {
        if self.eat_kw("keyspace") {
            let if_exists = self.if_exists()?;
            let name = self.name()?;
            return Ok(StatementKind::DropKeyspace(DropKeyspace {
                name,
                if_exists,
            }));
        }
        if self.eat_kw("table") || self.eat_kw("columnfamily") {
            let if_exists = self.if_exists()?;
            let name = self.qualified_name()?;
            return Ok(StatementKind::DropTable(DropTable { name, if_exists }));
        }
        if self.eat_kw("type") {
            let if_exists = self.if_exists()?;
            let name = self.qualified_name()?;
            return Ok(StatementKind::DropType(DropType { name, if_exists }));
        }
        if self.eat_kw("index") {
            let if_exists = self.if_exists()?;
            let name = self.qualified_name()?;
            return Ok(StatementKind::DropIndex(DropIndex { name, if_exists }));
        }
        let unsupported = if self.eat_kws(&["materialized", "view"]) {
            UnsupportedKind::DropMaterializedView
        } else if self.eat_kw("function") {
            UnsupportedKind::DropFunction
        } else if self.eat_kw("aggregate") {
            UnsupportedKind::DropAggregate
        } else if self.eat_kw("trigger") {
            UnsupportedKind::DropTrigger
        } else if self.eat_kw("role") {
            UnsupportedKind::DropRole
        } else if self.eat_kw("user") {
            UnsupportedKind::DropUser
        } else {
            return Err(self.no_viable());
        };
        Ok(self.unsupported(unsupported))
    }

    /// The rest of a recognised-only statement is skipped unparsed.
    pub fn unsupported(&mut self, kind: UnsupportedKind) -> StatementKind {
        self.skip_statement();
        StatementKind::Unsupported(kind)
    }

    fn create_keyspace(&mut self) -> Result<CreateKeyspace> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.name()?;
        self.expect_kw("with")?;
        let properties = self.properties()?;
        Ok(CreateKeyspace {
            name,
            if_not_exists,
            properties,
        })
    }

    fn create_table(&mut self) -> Result<CreateTable> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.qualified_name()?;
        self.expect(&TokenKind::LParen)?;
        let mut columns = Vec::new();
        let mut primary_key: Option<PrimaryKey> = None;
        loop {
            if self.eat_kws(&["primary", "key"]) {
                let pk = self.primary_key_def()?;
                if primary_key.replace(pk).is_some() {
                    return Err(self.error(ParseErrorKind::MultiplePrimaryKeys));
                }
            } else {
                let column = self.column_def()?;
                if self.eat_kws(&["primary", "key"]) {
                    let pk = PrimaryKey {
                        partition: vec![column.name.clone()],
                        clustering: Vec::new(),
                    };
                    if primary_key.replace(pk).is_some() {
                        return Err(self.error(ParseErrorKind::MultiplePrimaryKeys));
                    }
                }
                columns.push(column);
            }
            if !self.eat(&TokenKind::Comma) || self.at(&TokenKind::RParen) {
                break;
            }
        }
        self.expect(&TokenKind::RParen)?;
        let Some(primary_key) = primary_key else {
            return Err(self.error(ParseErrorKind::MissingPrimaryKey));
        };
        let mut clustering_order = Vec::new();
        let mut properties = Vec::new();
        if self.eat_kw("with") {
            loop {
                if self.is_kw("compact") && self.is_kw_at(1, "storage") {
                    return Err(self.error(ParseErrorKind::CompactStorage));
                }
                if self.eat_kws(&["clustering", "order"]) {
                    self.expect_kw("by")?;
                    clustering_order.extend(self.ordering_list()?);
                } else {
                    properties.push(self.property()?);
                }
                if !self.eat_kw("and") {
                    break;
                }
            }
        }
        Ok(CreateTable {
            name,
            if_not_exists,
            columns,
            primary_key,
            clustering_order,
            properties,
        })
    }

    /// `(c1 ASC, c2 DESC)`
    fn ordering_list(&mut self) -> Result<Vec<Ordering>> {
        self.expect(&TokenKind::LParen)?;
        let mut out = vec![self.ordering()?];
        while self.eat(&TokenKind::Comma) {
            out.push(self.ordering()?);
        }
        self.expect(&TokenKind::RParen)?;
        Ok(out)
    }

    /// `name type [STATIC]`
    fn column_def(&mut self) -> Result<ColumnDef> {
        let name = self.name()?;
        let ty = self.type_expr()?;
        let is_static = self.eat_kw("static");
        Ok(ColumnDef {
            name,
            ty,
            is_static,
        })
    }

    /// After `PRIMARY KEY`: `((a, b), c, d)`, `(a, c)`, `((a))`.
    fn primary_key_def(&mut self) -> Result<PrimaryKey> {
        self.expect(&TokenKind::LParen)?;
        let partition = if self.at(&TokenKind::LParen) {
            self.name_tuple()?
        } else {
            vec![self.name()?]
        };
        let mut clustering = Vec::new();
        while self.eat(&TokenKind::Comma) {
            clustering.push(self.name()?);
        }
        self.expect(&TokenKind::RParen)?;
        Ok(PrimaryKey {
            partition,
            clustering,
        })
    }

    fn alter_table(&mut self) -> Result<AlterTable> {
        let name = self.qualified_name()?;
        let action = if self.eat_kw("add") {
            let mut cols = Vec::new();
            if self.eat(&TokenKind::LParen) {
                cols.push(self.column_def()?);
                while self.eat(&TokenKind::Comma) {
                    cols.push(self.column_def()?);
                }
                self.expect(&TokenKind::RParen)?;
            } else {
                cols.push(self.column_def()?);
                while self.eat(&TokenKind::Comma) {
                    cols.push(self.column_def()?);
                }
            }
            AlterTableAction::Add(cols)
        } else if self.eat_kw("drop") {
            if self.at(&TokenKind::LParen) {
                AlterTableAction::Drop(self.name_tuple()?)
            } else {
                let mut cols = vec![self.name()?];
                while self.eat(&TokenKind::Comma) {
                    cols.push(self.name()?);
                }
                AlterTableAction::Drop(cols)
            }
        } else if self.eat_kw("with") {
            if self.is_kw("compact") && self.is_kw_at(1, "storage") {
                return Err(self.error(ParseErrorKind::CompactStorage));
            }
            AlterTableAction::With(self.properties()?)
        } else if self.eat_kw("rename") {
            AlterTableAction::Rename(self.renames()?)
        } else if self.is_kw("alter") {
            return Err(self.error(ParseErrorKind::AlterColumnType));
        } else {
            return Err(self.no_viable());
        };
        Ok(AlterTable { name, action })
    }

    /// `a TO b [AND c TO d ...]`
    fn renames(&mut self) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        loop {
            let from = self.name()?;
            self.expect_kw("to")?;
            out.push((from, self.name()?));
            if !self.eat_kw("and") {
                return Ok(out);
            }
        }
    }

    fn create_type(&mut self) -> Result<CreateType> {
        let if_not_exists = self.if_not_exists()?;
        let name = self.user_type_name()?;
        self.expect(&TokenKind::LParen)?;
        let mut fields = Vec::new();
        loop {
            let field = self.name()?;
            fields.push((field, self.type_expr()?));
            if !self.eat(&TokenKind::Comma) || self.at(&TokenKind::RParen) {
                break;
            }
        }
        self.expect(&TokenKind::RParen)?;
        Ok(CreateType {
            name,
            if_not_exists,
            fields,
        })
    }

    fn alter_type(&mut self) -> Result<AlterType> {
        let name = self.qualified_name()?;
        let action = if self.eat_kw("add") {
            let field = self.name()?;
            AlterTypeAction::Add(field, self.type_expr()?)
        } else if self.eat_kw("rename") {
            AlterTypeAction::Rename(self.renames()?)
        } else if self.is_kw("alter") {
            return Err(self.error(ParseErrorKind::AlterColumnType));
        } else {
            return Err(self.no_viable());
        };
        Ok(AlterType { name, action })
    }

    /// `[CUSTOM] INDEX [IF NOT EXISTS] [name] ON t (targets) [USING 'class'] [WITH ...]`
    fn create_index(&mut self) -> Result<CreateIndex> {
        let custom = self.eat_kw("custom");
        self.expect_kw("index")?;
        let if_not_exists = self.if_not_exists()?;
        let name = if self.is_kw("on") {
            None
        } else {
            Some(self.name()?)
        };
        self.expect_kw("on")?;
        let table = self.qualified_name()?;
        let targets = self.call_args(Self::index_target)?;
        let using = if self.eat_kw("using") {
            match self.bump() {
                TokenKind::Str(s) => Some(s),
                _ => return Err(self.mismatched("STRING_LITERAL")),
            }
        } else {
            None
        };
        let properties = if self.eat_kw("with") {
            self.properties()?
        } else {
            Vec::new()
        };
        Ok(CreateIndex {
            name,
            table,
            if_not_exists,
            custom,
            targets,
            using,
            properties,
        })
    }

    fn index_target(&mut self) -> Result<IndexTarget> {
        let kind = if matches!(self.peek_at(1), TokenKind::LParen) {
            [
                ("keys", IndexKind::Keys),
                ("values", IndexKind::Values),
                ("entries", IndexKind::Entries),
                ("full", IndexKind::Full),
            ]
            .into_iter()
            .find(|(kw, _)| self.is_kw(kw))
            .map(|(_, kind)| kind)
        } else {
            None
        };
        match kind {
            Some(kind) => {
                self.bump();
                self.expect(&TokenKind::LParen)?;
                let column = self.name()?;
                self.expect(&TokenKind::RParen)?;
                Ok(IndexTarget { column, kind })
            }
            None => Ok(IndexTarget {
                column: self.name()?,
                kind: IndexKind::Simple,
            }),
        }
    }

    /// `p = v AND p = v ...`
    pub fn properties(&mut self) -> Result<Vec<Property>> {
        let mut out = vec![self.property()?];
        while self.eat_kw("and") {
            out.push(self.property()?);
        }
        Ok(out)
    }

    fn property(&mut self) -> Result<Property> {
        let name = self.name()?;
        self.expect(&TokenKind::Eq)?;
        let value = if self.eat(&TokenKind::LBrace) {
            let mut entries = Vec::new();
            if !self.eat(&TokenKind::RBrace) {
                loop {
                    let key = self.property_constant()?;
                    self.expect(&TokenKind::Colon)?;
                    entries.push((key, self.property_constant()?));
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(&TokenKind::RBrace)?;
            }
            PropertyValue::Map(entries)
        } else {
            PropertyValue::Simple(self.property_constant()?)
        };
        Ok(Property { name, value })
    }

    /// A constant's raw text (string content, number digits, `true`) or a bare word.
    fn property_constant(&mut self) -> Result<String> {
        let negative = matches!(self.peek(), TokenKind::Minus)
            && matches!(
                self.peek_at(1),
                TokenKind::Integer(_) | TokenKind::Float(_) | TokenKind::Duration(_)
            );
        if negative {
            self.bump();
        }
        let text = match self.peek() {
            TokenKind::Str(s) => s.clone(),
            TokenKind::Integer(s)
            | TokenKind::Float(s)
            | TokenKind::Duration(s)
            | TokenKind::Uuid(s) => s.clone(),
            TokenKind::Hex(h) => format!("0x{h}"),
            TokenKind::Ident(w) if matches!(w.as_str(), "true" | "false" | "nan" | "infinity") => {
                w.clone()
            }
            TokenKind::Ident(_) if self.is_name_at(0) => return self.name(),
            TokenKind::QMark | TokenKind::Colon => {
                return Err(self.error(ParseErrorKind::BindNotAllowed("in DDL queries")))
            }
            _ => return Err(self.no_viable()),
        };
        self.bump();
        Ok(if negative { format!("-{text}") } else { text })
    }
}

#[cfg(test)]
mod tests {
    use crate::command::table::value::CqlType;

    use super::super::ast::{Order, QualifiedName, Statement};
    use super::super::parse_statement;
    use super::super::types::TypeExpr;
    use super::*;

    fn parse(src: &str) -> Statement {
        match parse_statement(src) {
            Ok(s) => s,
            Err(e) => panic!("{src}: {e}"),
        }
    }

    fn table(src: &str) -> CreateTable {
        match parse(src).kind {
            StatementKind::CreateTable(t) => t,
            other => panic!("{other:?}"),
        }
    }

    fn prop(name: &str, value: &str) -> Property {
        Property {
            name: name.into(),
            value: PropertyValue::Simple(value.into()),
        }
    }

    fn names(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keyspaces() {
        let s = parse("CREATE KEYSPACE shop WITH replication = {'class':'SimpleStrategy','replication_factor':1}");
        assert_eq!(
            s.kind,
            StatementKind::CreateKeyspace(CreateKeyspace {
                name: "shop".into(),
                if_not_exists: false,
                properties: vec![Property {
                    name: "replication".into(),
                    value: PropertyValue::Map(vec![
                        ("class".into(), "SimpleStrategy".into()),
                        ("replication_factor".into(), "1".into())
                    ])
                }]
            })
        );
        let s = parse("CREATE KEYSPACE IF NOT EXISTS \"Ks\" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3} AND durable_writes = false");
        let StatementKind::CreateKeyspace(k) = s.kind else {
            panic!("ks")
        };
        assert!(k.if_not_exists);
        assert_eq!(k.name, "Ks");
        assert_eq!(k.properties[1], prop("durable_writes", "false"));
        assert!(matches!(
            parse("ALTER KEYSPACE ks WITH durable_writes = true").kind,
            StatementKind::AlterKeyspace(_)
        ));
        assert_eq!(
            parse("DROP KEYSPACE IF EXISTS ks").kind,
            StatementKind::DropKeyspace(DropKeyspace {
                name: "ks".into(),
                if_exists: true
            })
        );
        let err = parse_statement("CREATE KEYSPACE k WITH replication = {'class': ?}");
        assert!(matches!(err, Err(e) if matches!(e.kind, ParseErrorKind::BindNotAllowed(_))));
    }

    #[test]
    fn table_from_the_issue() {
        let t = table("CREATE TABLE shop.orders (user text, ts timestamp, id uuid, total decimal, PRIMARY KEY ((user), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)");
        assert_eq!(
            t.name,
            QualifiedName {
                keyspace: Some("shop".into()),
                name: "orders".into()
            }
        );
        assert_eq!(t.columns.len(), 4);
        assert_eq!(t.columns[3].ty, TypeExpr::Native(CqlType::Decimal));
        assert_eq!(
            t.primary_key,
            PrimaryKey {
                partition: names(&["user"]),
                clustering: names(&["ts", "id"])
            }
        );
        assert_eq!(
            t.clustering_order,
            vec![
                Ordering {
                    column: "ts".into(),
                    order: Order::Desc
                },
                Ordering {
                    column: "id".into(),
                    order: Order::Asc
                }
            ]
        );
    }

    #[test]
    fn cqlengine_table() {
        let t = table("CREATE TABLE IF NOT EXISTS ks.model (\"id\" uuid, \"name\" text, \"ts\" timestamp, PRIMARY KEY ((\"id\"), \"ts\")) WITH CLUSTERING ORDER BY (\"ts\" DESC) AND default_time_to_live = 0");
        assert!(t.if_not_exists);
        assert_eq!(t.primary_key.partition, names(&["id"]));
        assert_eq!(t.properties, vec![prop("default_time_to_live", "0")]);
        let t = table("CREATE TABLE IF NOT EXISTS ks.model (\"id\" uuid, \"name\" text, PRIMARY KEY ((\"id\")))");
        assert_eq!(t.primary_key.partition, names(&["id"]));
        assert!(t.primary_key.clustering.is_empty());
    }

    #[test]
    fn table_forms_and_options() {
        let t = table("CREATE TABLE t (k int PRIMARY KEY, s text STATIC, m map<text, frozen<list<int>>>, u ks.addr,) WITH comment = 'it''s' AND gc_grace_seconds = 10 AND compaction = {'class': 'LeveledCompactionStrategy'} AND speculative_retry = '99PERCENTILE' AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'} AND bloom_filter_fp_chance = 0.01");
        assert_eq!(t.primary_key.partition, names(&["k"]));
        assert!(t.columns[1].is_static);
        assert_eq!(
            t.columns[3].ty,
            TypeExpr::Udt {
                keyspace: Some("ks".into()),
                name: "addr".into()
            }
        );
        assert_eq!(t.properties[0], prop("comment", "it's"));
        assert_eq!(t.properties[5], prop("bloom_filter_fp_chance", "0.01"));
        let t = table("CREATE COLUMNFAMILY t (a int, b int, c int, PRIMARY KEY (a, b, c))");
        assert_eq!(t.primary_key.clustering, names(&["b", "c"]));
        let t = table(
            "CREATE TABLE t (key text, type int, ttl int, user text, count int, PRIMARY KEY (key))",
        );
        assert_eq!(t.columns.len(), 5);
    }

    #[test]
    fn table_errors() {
        let kind = |src: &str| parse_statement(src).err().map(|e| e.kind);
        assert_eq!(
            kind("CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))"),
            Some(ParseErrorKind::MultiplePrimaryKeys)
        );
        assert_eq!(
            kind("CREATE TABLE t (a int)"),
            Some(ParseErrorKind::MissingPrimaryKey)
        );
        assert_eq!(
            kind("CREATE TABLE t (a int PRIMARY KEY) WITH COMPACT STORAGE"),
            Some(ParseErrorKind::CompactStorage)
        );
        assert!(matches!(
            kind("CREATE TABLE t (a 'org.apache.cassandra.db.marshal.UTF8Type' PRIMARY KEY)"),
            Some(ParseErrorKind::CustomType(_))
        ));
    }

    #[test]
    fn alter_table() {
        let action = |src: &str| match parse(src).kind {
            StatementKind::AlterTable(a) => a.action,
            other => panic!("{other:?}"),
        };
        assert!(
            matches!(action("ALTER TABLE ks.t ADD c int"), AlterTableAction::Add(c) if c.len() == 1)
        );
        assert!(
            matches!(action("ALTER TABLE t ADD c int, d text STATIC"), AlterTableAction::Add(c) if c.len() == 2 && c[1].is_static)
        );
        assert!(
            matches!(action("ALTER TABLE t ADD (c int, d set<text>)"), AlterTableAction::Add(c) if c.len() == 2)
        );
        assert_eq!(
            action("ALTER TABLE t DROP c"),
            AlterTableAction::Drop(names(&["c"]))
        );
        assert_eq!(
            action("ALTER TABLE t DROP (a, b)"),
            AlterTableAction::Drop(names(&["a", "b"]))
        );
        assert_eq!(
            action("ALTER TABLE t WITH comment = 'x'"),
            AlterTableAction::With(vec![prop("comment", "x")])
        );
        assert_eq!(
            action("ALTER TABLE t RENAME a TO b AND c TO d"),
            AlterTableAction::Rename(vec![("a".into(), "b".into()), ("c".into(), "d".into())])
        );
        let err = parse_statement("ALTER TABLE t ALTER c TYPE text");
        assert!(matches!(err, Err(e) if e.kind == ParseErrorKind::AlterColumnType));
    }

    #[test]
    fn drop_and_truncate() {
        assert_eq!(
            parse("DROP TABLE IF EXISTS ks.t").kind,
            StatementKind::DropTable(DropTable {
                name: QualifiedName {
                    keyspace: Some("ks".into()),
                    name: "t".into()
                },
                if_exists: true
            })
        );
        for src in ["TRUNCATE t", "TRUNCATE TABLE t", "truncate columnfamily t"] {
            assert!(matches!(parse(src).kind, StatementKind::Truncate(n) if n.name == "t"));
        }
    }

    #[test]
    fn user_types() {
        let s = parse(
            "CREATE TYPE IF NOT EXISTS ks.address (street text, zip int, tags frozen<set<text>>)",
        );
        let StatementKind::CreateType(t) = s.kind else {
            panic!("type")
        };
        assert!(t.if_not_exists);
        assert_eq!(t.fields.len(), 3);
        assert!(matches!(
            parse("ALTER TYPE address ADD country text").kind,
            StatementKind::AlterType(AlterType { action: AlterTypeAction::Add(f, _), .. }) if f == "country"
        ));
        assert!(matches!(
            parse("ALTER TYPE address RENAME zip TO postcode").kind,
            StatementKind::AlterType(AlterType { action: AlterTypeAction::Rename(r), .. }) if r.len() == 1
        ));
        let err = parse_statement("CREATE TYPE ks.int (a int)")
            .err()
            .map(|e| e.kind);
        assert_eq!(err, Some(ParseErrorKind::ReservedTypeName("int".into())));
        assert!(parse_statement("CREATE TYPE byte (a int)").is_err());
        assert!(matches!(
            parse("DROP TYPE IF EXISTS ks.address").kind,
            StatementKind::DropType(DropType {
                if_exists: true,
                ..
            })
        ));
    }

    #[test]
    fn indexes() {
        let s = parse("CREATE INDEX IF NOT EXISTS idx ON ks.t (keys(m))");
        let StatementKind::CreateIndex(i) = s.kind else {
            panic!("index")
        };
        assert_eq!(i.name.as_deref(), Some("idx"));
        assert!(i.if_not_exists);
        assert_eq!(
            i.targets,
            vec![IndexTarget {
                column: "m".into(),
                kind: IndexKind::Keys
            }]
        );
        let s = parse("CREATE CUSTOM INDEX ON t (v) USING 'org.apache.cassandra.index.sasi.SASIIndex' WITH OPTIONS = {'mode': 'CONTAINS'}");
        let StatementKind::CreateIndex(i) = s.kind else {
            panic!("index")
        };
        assert!(i.custom && i.name.is_none());
        assert_eq!(
            i.using.as_deref(),
            Some("org.apache.cassandra.index.sasi.SASIIndex")
        );
        assert_eq!(i.properties[0].name, "options");
        for (src, kind) in [
            ("CREATE INDEX ON t (values(s))", IndexKind::Values),
            ("CREATE INDEX ON t (entries(m))", IndexKind::Entries),
            ("CREATE INDEX ON t (full(l))", IndexKind::Full),
            ("CREATE INDEX ON t (values)", IndexKind::Simple),
        ] {
            assert!(
                matches!(parse(src).kind, StatementKind::CreateIndex(i) if i.targets[0].kind == kind),
                "{src}"
            );
        }
        assert!(matches!(
            parse("DROP INDEX IF EXISTS ks.idx").kind,
            StatementKind::DropIndex(DropIndex { if_exists: true, name }) if name.keyspace.as_deref() == Some("ks")
        ));
    }
}

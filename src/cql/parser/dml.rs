//! INSERT, UPDATE, DELETE and BATCH.

use super::ast::{
    Assignment, Batch, BatchKind, BatchStatement, Delete, DeleteTarget, Insert, InsertValues,
    JsonDefault, Literal, Term, Update, Using,
};
use super::cursor::Cursor;
use super::error::{ParseErrorKind, Result};
use super::lexer::TokenKind;

impl Cursor<'_> {
    /// `INSERT INTO t (cols) VALUES (terms) | JSON v [DEFAULT NULL|UNSET]
    /// [IF NOT EXISTS] [USING ...]`
    pub fn insert(&mut self) -> Result<Insert> {
        self.expect_kw("insert")?;
        self.expect_kw("into")?;
        let table = self.qualified_name()?;
        let values = if self.eat_kw("json") {
            let value = match self.marker()? {
                Some(m) => Term::Bind(m),
                None => match self.peek() {
                    TokenKind::Str(s) => {
                        let s = s.clone();
                        self.bump();
                        Term::Literal(Literal::String(s))
                    }
                    _ => return Err(self.mismatched("STRING_LITERAL")),
                },
            };
            let default = if self.eat_kw("default") {
                if self.eat_kw("unset") {
                    JsonDefault::Unset
                } else {
                    self.expect_kw("null")?;
                    JsonDefault::Null
                }
            } else {
                JsonDefault::Null
            };
            InsertValues::Json { value, default }
        } else {
            let columns = self.name_tuple()?;
            self.expect_kw("values")?;
            self.expect(&TokenKind::LParen)?;
            let mut values = vec![self.term()?];
            while self.eat(&TokenKind::Comma) {
                values.push(self.term()?);
            }
            self.expect(&TokenKind::RParen)?;
            InsertValues::Columns { columns, values }
        };
        let if_not_exists = self.if_not_exists()?;
        let using = self.using()?;
        Ok(Insert {
            table,
            values,
            if_not_exists,
            using,
        })
    }

    /// `[USING TTL x AND TIMESTAMP y]`
    fn using(&mut self) -> Result<Using> {
        let mut using = Using::default();
        if !self.eat_kw("using") {
            return Ok(using);
        }
        loop {
            if self.eat_kw("ttl") {
                using.ttl = Some(self.int_value()?);
            } else if self.eat_kw("timestamp") {
                using.timestamp = Some(self.int_value()?);
            } else {
                return Err(self.mismatched("K_TIMESTAMP"));
            }
            if !self.eat_kw("and") {
                return Ok(using);
            }
        }
    }

    /// `UPDATE t [USING ...] SET a, ... WHERE ... [IF EXISTS | IF conditions]`
    pub fn update(&mut self) -> Result<Update> {
        self.expect_kw("update")?;
        let table = self.qualified_name()?;
        let using = self.using()?;
        self.expect_kw("set")?;
        let mut assignments = vec![self.assignment()?];
        while self.eat(&TokenKind::Comma) {
            assignments.push(self.assignment()?);
        }
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let if_clause = self.if_clause()?;
        Ok(Update {
            table,
            using,
            assignments,
            where_clause,
            if_clause,
        })
    }

    fn assignment(&mut self) -> Result<Assignment> {
        let column = self.name()?;
        if self.eat(&TokenKind::LBracket) {
            let key = self.term()?;
            self.expect(&TokenKind::RBracket)?;
            self.expect(&TokenKind::Eq)?;
            let value = self.term()?;
            return Ok(Assignment::SetElement { column, key, value });
        }
        if self.eat(&TokenKind::Dot) {
            let field = self.name()?;
            self.expect(&TokenKind::Eq)?;
            let value = self.term()?;
            return Ok(Assignment::SetField {
                column,
                field,
                value,
            });
        }
        if self.eat(&TokenKind::PlusEq) {
            let value = self.term()?;
            return Ok(Assignment::Add { column, value });
        }
        if self.eat(&TokenKind::MinusEq) {
            let value = self.term()?;
            return Ok(Assignment::Subtract { column, value });
        }
        self.expect(&TokenKind::Eq)?;
        // `c = c + t` / `c = c - t`
        let column_first = self.is_name_at(0)
            && !self.function_call_at(0)
            && matches!(self.peek_at(1), TokenKind::Plus | TokenKind::Minus);
        if column_first {
            let other = self.name()?;
            let add = matches!(self.bump(), TokenKind::Plus);
            if other != column {
                let op = if add { '+' } else { '-' };
                return Err(self.error(ParseErrorKind::ColumnOperation { op }));
            }
            let value = self.term()?;
            return Ok(if add {
                Assignment::Add { column, value }
            } else {
                Assignment::Subtract { column, value }
            });
        }
        let value = self.term()?;
        // `c = t + c`: list prepend.
        if matches!(self.peek(), TokenKind::Plus) && self.is_name_at(1) {
            self.bump();
            let other = self.name()?;
            if other != column {
                return Err(self.error(ParseErrorKind::ColumnOperation { op: '+' }));
            }
            return Ok(Assignment::Prepend { column, value });
        }
        Ok(Assignment::Set { column, value })
    }

    /// `DELETE [targets] FROM t [USING TIMESTAMP x] WHERE ... [IF ...]`
    pub fn delete(&mut self) -> Result<Delete> {
        self.expect_kw("delete")?;
        let mut targets = Vec::new();
        if !self.is_kw("from") {
            targets.push(self.delete_target()?);
            while self.eat(&TokenKind::Comma) {
                targets.push(self.delete_target()?);
            }
        }
        self.expect_kw("from")?;
        let table = self.qualified_name()?;
        let timestamp = if self.eat_kw("using") {
            self.expect_kw("timestamp")?;
            Some(self.int_value()?)
        } else {
            None
        };
        self.expect_kw("where")?;
        let where_clause = self.where_clause()?;
        let if_clause = self.if_clause()?;
        Ok(Delete {
            targets,
            table,
            timestamp,
            where_clause,
            if_clause,
        })
    }

    fn delete_target(&mut self) -> Result<DeleteTarget> {
        let column = self.name()?;
        if self.eat(&TokenKind::LBracket) {
            let key = self.term()?;
            self.expect(&TokenKind::RBracket)?;
            return Ok(DeleteTarget::Element(column, key));
        }
        if self.eat(&TokenKind::Dot) {
            let field = self.name()?;
            return Ok(DeleteTarget::Field(column, field));
        }
        Ok(DeleteTarget::Column(column))
    }

    /// `BEGIN [UNLOGGED|COUNTER] BATCH [USING TIMESTAMP x] stmt; ... APPLY BATCH`
    pub fn batch(&mut self) -> Result<Batch> {
        self.expect_kw("begin")?;
        let kind = if self.eat_kw("unlogged") {
            BatchKind::Unlogged
        } else if self.eat_kw("counter") {
            BatchKind::Counter
        } else {
            BatchKind::Logged
        };
        self.expect_kw("batch")?;
        let using = self.using()?;
        let mut statements = Vec::new();
        while !self.is_kw("apply") {
            let stmt = if self.is_kw("insert") {
                BatchStatement::Insert(self.insert()?)
            } else if self.is_kw("update") {
                BatchStatement::Update(self.update()?)
            } else if self.is_kw("delete") {
                BatchStatement::Delete(self.delete()?)
            } else {
                return Err(self.mismatched("K_APPLY"));
            };
            statements.push(stmt);
            while self.eat(&TokenKind::Semi) {}
        }
        self.expect_kw("apply")?;
        self.expect_kw("batch")?;
        Ok(Batch {
            kind,
            using,
            statements,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::{
        BindMarker, Condition, ConditionTarget, ConditionTest, IfClause, Operator, QualifiedName,
        Statement, StatementKind,
    };
    use super::super::parse_statement;
    use super::*;

    fn parse(src: &str) -> Statement {
        match parse_statement(src) {
            Ok(s) => s,
            Err(e) => panic!("{src}: {e}"),
        }
    }

    fn int(s: &str) -> Term {
        Term::Literal(Literal::Integer(s.into()))
    }

    fn marker(index: usize) -> Term {
        Term::Bind(BindMarker { index, name: None })
    }

    fn update(src: &str) -> Update {
        match parse(src).kind {
            StatementKind::Update(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn insert_with_markers_and_ttl() {
        let s = parse("INSERT INTO ks.t (\"a\", \"b\") VALUES (?, ?) USING TTL ?");
        assert_eq!(s.bind_markers.len(), 3);
        let StatementKind::Insert(i) = s.kind else {
            panic!("insert")
        };
        assert_eq!(
            i.values,
            InsertValues::Columns {
                columns: vec!["a".into(), "b".into()],
                values: vec![marker(0), marker(1)]
            }
        );
        assert_eq!(i.using.ttl, Some(marker(2)));
    }

    #[test]
    fn insert_from_the_issue() {
        let s = parse("INSERT INTO shop.orders (user, ts, id, total) VALUES ('ann', toTimestamp(now()), uuid(), 12.50)");
        let StatementKind::Insert(i) = s.kind else {
            panic!("insert")
        };
        assert_eq!(
            i.table,
            QualifiedName {
                keyspace: Some("shop".into()),
                name: "orders".into()
            }
        );
        let InsertValues::Columns { columns, values } = i.values else {
            panic!("columns")
        };
        assert_eq!(columns, vec!["user", "ts", "id", "total"]);
        assert_eq!(values[3], Term::Literal(Literal::Float("12.50".into())));
        assert!(matches!(&values[1], Term::Function { args, .. } if args.len() == 1));
    }

    #[test]
    fn insert_json_and_lwt() {
        let s = parse("INSERT INTO t JSON '{\"a\": 1}' DEFAULT UNSET IF NOT EXISTS USING TIMESTAMP 5 AND TTL 10");
        let StatementKind::Insert(i) = s.kind else {
            panic!("insert")
        };
        assert!(i.if_not_exists);
        assert_eq!(
            i.values,
            InsertValues::Json {
                value: Term::Literal(Literal::String("{\"a\": 1}".into())),
                default: JsonDefault::Unset
            }
        );
        assert_eq!(i.using.timestamp, Some(int("5")));
        assert_eq!(i.using.ttl, Some(int("10")));
        let s = parse("INSERT INTO t JSON :j");
        assert_eq!(s.bind_markers[0].name.as_deref(), Some("j"));
    }

    #[test]
    fn assignments() {
        let u = update("UPDATE t USING TTL 5 SET a = 1, c = c + 1, d = d - 2, l = [1] + l, m['k'] = 'v', u.f = 3, s += {1}, s -= {2}, l = l + [1] WHERE k = 0 IF EXISTS");
        assert_eq!(u.using.ttl, Some(int("5")));
        assert_eq!(
            u.assignments,
            vec![
                Assignment::Set {
                    column: "a".into(),
                    value: int("1")
                },
                Assignment::Add {
                    column: "c".into(),
                    value: int("1")
                },
                Assignment::Subtract {
                    column: "d".into(),
                    value: int("2")
                },
                Assignment::Prepend {
                    column: "l".into(),
                    value: Term::List(vec![int("1")])
                },
                Assignment::SetElement {
                    column: "m".into(),
                    key: Term::Literal(Literal::String("k".into())),
                    value: Term::Literal(Literal::String("v".into()))
                },
                Assignment::SetField {
                    column: "u".into(),
                    field: "f".into(),
                    value: int("3")
                },
                Assignment::Add {
                    column: "s".into(),
                    value: Term::Set(vec![int("1")])
                },
                Assignment::Subtract {
                    column: "s".into(),
                    value: Term::Set(vec![int("2")])
                },
                Assignment::Add {
                    column: "l".into(),
                    value: Term::List(vec![int("1")])
                },
            ]
        );
        assert_eq!(u.if_clause, IfClause::Exists);
    }

    #[test]
    fn column_operation_must_name_the_same_column() {
        let err = parse_statement("UPDATE t SET a = b + 1 WHERE k = 0");
        assert!(matches!(err, Err(e) if e.kind == ParseErrorKind::ColumnOperation { op: '+' }));
        let err = parse_statement("UPDATE t SET a = [1] + b WHERE k = 0");
        assert!(err.is_err());
    }

    #[test]
    fn conditions() {
        let u = update("UPDATE t SET a = 1 WHERE k = 0 IF a = 2 AND m['x'] IN (1, 2) AND u.f > 3");
        let IfClause::Conditions(conds) = u.if_clause else {
            panic!("conditions")
        };
        assert_eq!(
            conds[0],
            Condition {
                column: "a".into(),
                target: ConditionTarget::Column,
                test: ConditionTest::Compare(Operator::Eq, int("2"))
            }
        );
        assert!(matches!(conds[1].target, ConditionTarget::Element(_)));
        assert!(matches!(conds[1].test, ConditionTest::In(_)));
        assert_eq!(conds[2].target, ConditionTarget::Field("f".into()));
    }

    #[test]
    fn deletes() {
        let s = parse("DELETE a, m['k'], u.f FROM ks.t USING TIMESTAMP 10 WHERE k = ? IF a = ?");
        assert_eq!(s.bind_markers.len(), 2);
        let StatementKind::Delete(d) = s.kind else {
            panic!("delete")
        };
        assert_eq!(
            d.targets,
            vec![
                DeleteTarget::Column("a".into()),
                DeleteTarget::Element("m".into(), Term::Literal(Literal::String("k".into()))),
                DeleteTarget::Field("u".into(), "f".into())
            ]
        );
        assert_eq!(d.timestamp, Some(int("10")));
        let s = parse("DELETE FROM t WHERE k IN (1, 2)");
        assert!(matches!(s.kind, StatementKind::Delete(d) if d.targets.is_empty()));
    }

    #[test]
    fn batches_number_markers_across_statements() {
        let s = parse("BEGIN UNLOGGED BATCH USING TIMESTAMP 1 INSERT INTO t (a) VALUES (?); UPDATE t SET b = ? WHERE a = ?; DELETE FROM t WHERE a = :x APPLY BATCH;");
        assert_eq!(
            s.bind_markers.iter().map(|m| m.index).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(s.bind_markers[3].name.as_deref(), Some("x"));
        let StatementKind::Batch(b) = s.kind else {
            panic!("batch")
        };
        assert_eq!(b.kind, BatchKind::Unlogged);
        assert_eq!(b.statements.len(), 3);
        let s = parse("BEGIN COUNTER BATCH UPDATE t SET c = c + 1 WHERE k = 1 APPLY BATCH");
        assert!(matches!(s.kind, StatementKind::Batch(b) if b.kind == BatchKind::Counter));
        assert!(parse_statement("BEGIN BATCH SELECT * FROM t APPLY BATCH").is_err());
    }
}

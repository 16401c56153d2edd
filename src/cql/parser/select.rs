//! `SELECT [JSON] [DISTINCT] selectors FROM t [WHERE ...] [GROUP BY ...] [ORDER BY ...]
//! [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING]` and its selectors.

use super::ast::{ArithmeticOp, Order, Ordering, Select, SelectItem, Selection, Selector};
use super::cursor::Cursor;
use super::error::Result;
use super::lexer::TokenKind;

impl Cursor<'_> {
    pub fn select(&mut self) -> Result<Select> {
        self.expect_kw("select")?;
        let json = self.modifier("json");
        let distinct = self.modifier("distinct");
        let selection = if self.eat(&TokenKind::Star) {
            Selection::Wildcard
        } else {
            let mut items = vec![self.select_item()?];
            while self.eat(&TokenKind::Comma) {
                items.push(self.select_item()?);
            }
            Selection::Items(items)
        };
        self.expect_kw("from")?;
        let table = self.qualified_name()?;
        let where_clause = if self.eat_kw("where") {
            self.where_clause()?
        } else {
            Vec::new()
        };
        let mut group_by = Vec::new();
        if self.eat_kws(&["group", "by"]) {
            group_by.push(self.name()?);
            while self.eat(&TokenKind::Comma) {
                group_by.push(self.name()?);
            }
        }
        let mut order_by = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            order_by.push(self.ordering()?);
            while self.eat(&TokenKind::Comma) {
                order_by.push(self.ordering()?);
            }
        }
        let per_partition_limit = if self.eat_kws(&["per", "partition"]) {
            self.expect_kw("limit")?;
            Some(self.int_value()?)
        } else {
            None
        };
        let limit = if self.eat_kw("limit") {
            Some(self.int_value()?)
        } else {
            None
        };
        let allow_filtering = self.eat_kw("allow");
        if allow_filtering {
            self.expect_kw("filtering")?;
        }
        Ok(Select {
            json,
            distinct,
            selection,
            table,
            where_clause,
            group_by,
            order_by,
            per_partition_limit,
            limit,
            allow_filtering,
        })
    }

    /// `JSON` / `DISTINCT` are also valid column names: they are modifiers only when a
    /// selector (or `*`) follows rather than what follows a column (`,`, `FROM`, `AS`, ...).
    fn modifier(&mut self, kw: &str) -> bool {
        if !self.is_kw(kw) {
            return false;
        }
        let column_follows = matches!(
            self.peek_at(1),
            TokenKind::Comma
                | TokenKind::Dot
                | TokenKind::LParen
                | TokenKind::LBracket
                | TokenKind::Plus
                | TokenKind::Minus
                | TokenKind::Slash
                | TokenKind::Percent
                | TokenKind::Eof
        ) || self.is_kw_at(1, "from")
            || self.is_kw_at(1, "as");
        if !column_follows {
            self.bump();
        }
        !column_follows
    }

    /// `c [ASC|DESC]`
    pub fn ordering(&mut self) -> Result<Ordering> {
        let column = self.name()?;
        let order = if self.eat_kw("desc") {
            Order::Desc
        } else {
            self.eat_kw("asc");
            Order::Asc
        };
        Ok(Ordering { column, order })
    }

    fn select_item(&mut self) -> Result<SelectItem> {
        let selector = self.selector()?;
        let alias = if self.eat_kw("as") {
            Some(self.name()?)
        } else {
            None
        };
        Ok(SelectItem { selector, alias })
    }

    fn selector(&mut self) -> Result<Selector> {
        self.nested(|c| c.selector_add())
    }

    fn selector_add(&mut self) -> Result<Selector> {
        let mut lhs = self.selector_mul()?;
        loop {
            let op = match self.peek() {
                TokenKind::Plus => ArithmeticOp::Add,
                TokenKind::Minus => ArithmeticOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.selector_mul()?;
            lhs = Selector::Arithmetic(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn selector_mul(&mut self) -> Result<Selector> {
        let mut lhs = self.selector_unary()?;
        loop {
            let op = match self.peek() {
                TokenKind::Star => ArithmeticOp::Mul,
                TokenKind::Slash => ArithmeticOp::Div,
                TokenKind::Percent => ArithmeticOp::Mod,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.selector_unary()?;
            lhs = Selector::Arithmetic(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn selector_unary(&mut self) -> Result<Selector> {
        if matches!(self.peek(), TokenKind::Minus) {
            let number = matches!(
                self.peek_at(1),
                TokenKind::Integer(_) | TokenKind::Float(_) | TokenKind::Duration(_)
            );
            if number {
                return Ok(Selector::Term(self.term_unary()?));
            }
            self.bump();
            let inner = self.nested(|c| c.selector_unary())?;
            return Ok(Selector::Negate(Box::new(inner)));
        }
        let mut sel = self.selector_primary()?;
        loop {
            if self.eat(&TokenKind::Dot) {
                sel = Selector::Field(Box::new(sel), self.name()?);
            } else if self.eat(&TokenKind::LBracket) {
                let key = self.term()?;
                self.expect(&TokenKind::RBracket)?;
                sel = Selector::Element(Box::new(sel), key);
            } else {
                return Ok(sel);
            }
        }
    }

    fn selector_primary(&mut self) -> Result<Selector> {
        let call = matches!(self.peek_at(1), TokenKind::LParen);
        if call && self.is_kw("count") {
            let star = matches!(self.peek_at(2), TokenKind::Star);
            let one = matches!(self.peek_at(2), TokenKind::Integer(s) if s == "1");
            if (star || one) && matches!(self.peek_at(3), TokenKind::RParen) {
                for _ in 0..4 {
                    self.bump();
                }
                return Ok(Selector::CountRows);
            }
        }
        if call {
            for (kw, make) in [
                ("writetime", Selector::WriteTime as fn(String) -> Selector),
                ("maxwritetime", Selector::MaxWriteTime),
                ("ttl", Selector::Ttl),
            ] {
                if self.eat_kw(kw) {
                    self.expect(&TokenKind::LParen)?;
                    let column = self.name()?;
                    self.expect(&TokenKind::RParen)?;
                    return Ok(make(column));
                }
            }
            if self.eat_kw("cast") {
                self.expect(&TokenKind::LParen)?;
                let inner = self.selector()?;
                self.expect_kw("as")?;
                let ty = self.type_expr()?;
                self.expect(&TokenKind::RParen)?;
                return Ok(Selector::Cast(Box::new(inner), ty));
            }
        }
        if self.function_call_at(0) {
            let name = self.function_name()?;
            let args = self.nested(|c| c.call_args(Self::selector))?;
            return Ok(Selector::Function { name, args });
        }
        if self.is_name_at(0) {
            return Ok(Selector::Column(self.name()?));
        }
        if self.starts_term_at(0) {
            return Ok(Selector::Term(self.simple_term()?));
        }
        Err(self.no_viable())
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::{Literal, QualifiedName, Relation, StatementKind, Term};
    use super::super::parse_statement;
    use super::*;

    fn select(src: &str) -> Select {
        match parse_statement(src).map(|s| s.kind) {
            Ok(StatementKind::Select(s)) => s,
            other => panic!("{src}: {other:?}"),
        }
    }

    fn col(name: &str) -> SelectItem {
        SelectItem {
            selector: Selector::Column(name.into()),
            alias: None,
        }
    }

    #[test]
    fn system_queries_from_drivers() {
        let s = select("SELECT * FROM system.local WHERE key='local'");
        assert_eq!(s.selection, Selection::Wildcard);
        assert_eq!(
            s.table,
            QualifiedName {
                keyspace: Some("system".into()),
                name: "local".into()
            }
        );
        assert_eq!(
            s.where_clause,
            vec![Relation::Compare {
                column: "key".into(),
                op: super::super::ast::Operator::Eq,
                value: Term::Literal(Literal::String("local".into()))
            }]
        );
        let s = select("SELECT peer, data_center, host_id, preferred_ip, rack, release_version, rpc_address, schema_version, tokens FROM system.peers");
        assert_eq!(
            s.selection,
            Selection::Items(
                [
                    "peer",
                    "data_center",
                    "host_id",
                    "preferred_ip",
                    "rack",
                    "release_version",
                    "rpc_address",
                    "schema_version",
                    "tokens"
                ]
                .into_iter()
                .map(col)
                .collect()
            )
        );
        let s = select(
            "SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'",
        );
        assert_eq!(s.where_clause.len(), 2);
    }

    #[test]
    fn clauses() {
        let s = select(
            "SELECT a FROM t WHERE a = 1 GROUP BY a, b ORDER BY b DESC, c PER PARTITION LIMIT 2 LIMIT ? ALLOW FILTERING",
        );
        assert_eq!(s.group_by, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(
            s.order_by,
            vec![
                Ordering {
                    column: "b".into(),
                    order: Order::Desc
                },
                Ordering {
                    column: "c".into(),
                    order: Order::Asc
                }
            ]
        );
        assert_eq!(
            s.per_partition_limit,
            Some(Term::Literal(Literal::Integer("2".into())))
        );
        assert!(matches!(s.limit, Some(Term::Bind(_))));
        assert!(s.allow_filtering);
    }

    #[test]
    fn json_and_distinct_are_modifiers_or_columns() {
        let s = select("SELECT JSON DISTINCT a FROM t");
        assert!(s.json && s.distinct);
        assert_eq!(s.selection, Selection::Items(vec![col("a")]));
        let s = select("SELECT json FROM t");
        assert!(!s.json);
        assert_eq!(s.selection, Selection::Items(vec![col("json")]));
        let s = select("SELECT json, distinct FROM t");
        assert!(!s.json && !s.distinct);
        let s = select("SELECT JSON * FROM t");
        assert!(s.json);
        assert_eq!(s.selection, Selection::Wildcard);
    }

    #[test]
    fn selectors() {
        let s = select("SELECT COUNT(*), count(1), count(a) AS n, WRITETIME(b), TTL(b), token(a, b), toJson(x), CAST(a AS text), u.street, m['k'], 1, dateOf(now()) FROM t");
        let Selection::Items(items) = s.selection else {
            panic!("items")
        };
        let sels: Vec<_> = items.iter().map(|i| &i.selector).collect();
        assert_eq!(sels[0], &Selector::CountRows);
        assert_eq!(sels[1], &Selector::CountRows);
        assert!(
            matches!(sels[2], Selector::Function { name, args } if name.name == "count" && args.len() == 1)
        );
        assert_eq!(items[2].alias.as_deref(), Some("n"));
        assert_eq!(sels[3], &Selector::WriteTime("b".into()));
        assert_eq!(sels[4], &Selector::Ttl("b".into()));
        assert!(
            matches!(sels[5], Selector::Function { name, args } if name.name == "token" && args.len() == 2)
        );
        assert!(matches!(sels[6], Selector::Function { name, .. } if name.name == "tojson"));
        assert!(matches!(sels[7], Selector::Cast(..)));
        assert_eq!(
            sels[8],
            &Selector::Field(Box::new(Selector::Column("u".into())), "street".into())
        );
        assert!(matches!(sels[9], Selector::Element(..)));
        assert!(matches!(sels[10], Selector::Term(_)));
        assert!(
            matches!(sels[11], Selector::Function { args, .. } if matches!(args[0], Selector::Function { .. }))
        );
    }

    #[test]
    fn token_ranges_from_drivers() {
        let s = select(
            "SELECT token(\"k\"), \"k\" FROM ks.t WHERE token(\"k\") > ? AND token(\"k\") <= ?",
        );
        assert_eq!(s.where_clause.len(), 2);
        assert!(
            matches!(&s.where_clause[0], Relation::Token { columns, .. } if columns == &["k".to_string()])
        );
    }

    #[test]
    fn errors_point_at_the_token() {
        let err = parse_statement("SELECT FOO").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("line 1:10 mismatched input '<EOF>' expecting K_FROM (SELECT FOO[])".into())
        );
        let err = parse_statement("SELECT * FROM t WHERE").map_err(|e| e.to_string());
        assert!(
            matches!(err, Err(ref m) if m.starts_with("line 1:21 ")),
            "{err:?}"
        );
        let err = parse_statement("SELECT a FROM t LIMIT x").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err(
                "line 1:22 mismatched input 'x' expecting INTEGER (SELECT a FROM t LIMIT [x])"
                    .into()
            )
        );
    }
}

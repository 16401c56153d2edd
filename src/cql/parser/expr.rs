//! Terms (values), WHERE relations and IF conditions: the expression grammar every DML
//! statement shares.
//!
//! A bare name is never a term (CQL terms cannot reference columns), which is what lets
//! `SET c = c + 1`, `SET l = [1] + l` and `{field: 1}` be told apart without backtracking.

use super::ast::{
    ArithmeticOp, BindMarker, Condition, ConditionTarget, ConditionTest, IfClause, InValues,
    Literal, Operator, QualifiedName, Relation, Term,
};
use super::cursor::Cursor;
use super::error::{ParseErrorKind, Result};
use super::lexer::TokenKind;

impl Cursor<'_> {
    /// A full term, with arithmetic.
    pub fn term(&mut self) -> Result<Term> {
        self.nested(|c| c.term_add())
    }

    fn term_add(&mut self) -> Result<Term> {
        let mut lhs = self.term_mul()?;
        loop {
            let op = match self.peek() {
                TokenKind::Plus => ArithmeticOp::Add,
                TokenKind::Minus => ArithmeticOp::Sub,
                _ => return Ok(lhs),
            };
            // `[1] + l` (list prepend) ends the term at `+`: `l` is a column, not a term.
            if !self.starts_term_at(1) {
                return Ok(lhs);
            }
            self.bump();
            let rhs = self.term_mul()?;
            lhs = Term::Arithmetic(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term_mul(&mut self) -> Result<Term> {
        let mut lhs = self.term_unary()?;
        loop {
            let op = match self.peek() {
                TokenKind::Star => ArithmeticOp::Mul,
                TokenKind::Slash => ArithmeticOp::Div,
                TokenKind::Percent => ArithmeticOp::Mod,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.term_unary()?;
            lhs = Term::Arithmetic(op, Box::new(lhs), Box::new(rhs));
        }
    }

    /// `-x` (folded into number literals) or a simple term.
    pub fn term_unary(&mut self) -> Result<Term> {
        if !self.eat(&TokenKind::Minus) {
            return self.simple_term();
        }
        let negative = |s: &str| format!("-{s}");
        let lit = match self.peek() {
            TokenKind::Integer(s) => Some(Literal::Integer(negative(s))),
            TokenKind::Float(s) => Some(Literal::Float(negative(s))),
            TokenKind::Duration(s) => Some(Literal::Duration(negative(s))),
            TokenKind::Ident(w) if w == "nan" => Some(Literal::Float("-NaN".into())),
            TokenKind::Ident(w) if w == "infinity" => Some(Literal::Float("-Infinity".into())),
            _ => None,
        };
        if let Some(lit) = lit {
            self.bump();
            return Ok(Term::Literal(lit));
        }
        let inner = self.nested(|c| c.term_unary())?;
        Ok(Term::Negate(Box::new(inner)))
    }

    /// Whether a term can start `n` tokens ahead.
    pub fn starts_term_at(&self, n: usize) -> bool {
        match self.peek_at(n) {
            TokenKind::Str(_)
            | TokenKind::Integer(_)
            | TokenKind::Float(_)
            | TokenKind::Hex(_)
            | TokenKind::Uuid(_)
            | TokenKind::Duration(_)
            | TokenKind::QMark
            | TokenKind::LBracket
            | TokenKind::LBrace
            | TokenKind::LParen
            | TokenKind::Minus => true,
            TokenKind::Colon => self.is_name_at(n + 1),
            TokenKind::Ident(w)
                if matches!(w.as_str(), "true" | "false" | "null" | "nan" | "infinity") =>
            {
                true
            }
            _ => self.function_call_at(n),
        }
    }

    /// Whether `f(` or `ks.f(` (or `token(`) starts `n` tokens ahead.
    pub fn function_call_at(&self, n: usize) -> bool {
        let callee = self.is_name_at(n) || self.is_kw_at(n, "token");
        callee
            && match self.peek_at(n + 1) {
                TokenKind::LParen => true,
                TokenKind::Dot => {
                    self.is_name_at(n + 2) && matches!(self.peek_at(n + 3), TokenKind::LParen)
                }
                _ => false,
            }
    }

    /// A function's `[ks.]name` (the caller checked [`Cursor::function_call_at`]).
    pub fn function_name(&mut self) -> Result<QualifiedName> {
        if self.eat_kw("token") {
            return Ok(QualifiedName {
                keyspace: None,
                name: "token".into(),
            });
        }
        self.qualified_name()
    }

    /// `?` or `:name`, if next.
    pub fn marker(&mut self) -> Result<Option<BindMarker>> {
        if self.eat(&TokenKind::QMark) {
            return Ok(Some(self.new_marker(None)));
        }
        if matches!(self.peek(), TokenKind::Colon) && self.is_name_at(1) {
            self.bump();
            let name = self.name()?;
            return Ok(Some(self.new_marker(Some(name))));
        }
        Ok(None)
    }

    /// A constant, marker, collection, tuple, type hint or function call.
    pub fn simple_term(&mut self) -> Result<Term> {
        if let Some(m) = self.marker()? {
            return Ok(Term::Bind(m));
        }
        if let Some(lit) = self.literal()? {
            return Ok(Term::Literal(lit));
        }
        match self.peek() {
            TokenKind::LBracket => self.nested(|c| c.list_literal()),
            TokenKind::LBrace => self.nested(|c| c.brace_literal()),
            TokenKind::LParen => self.nested(|c| c.paren_term()),
            _ if self.function_call_at(0) => {
                let name = self.function_name()?;
                let args = self.nested(|c| c.call_args(Self::term))?;
                Ok(Term::Function { name, args })
            }
            _ => Err(self.no_viable()),
        }
    }

    /// `( [x, ...] )`, each item parsed by `item`.
    pub fn call_args<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        self.expect(&TokenKind::LParen)?;
        let mut args = Vec::new();
        if !self.eat(&TokenKind::RParen) {
            args.push(item(self)?);
            while self.eat(&TokenKind::Comma) {
                args.push(item(self)?);
            }
            self.expect(&TokenKind::RParen)?;
        }
        Ok(args)
    }

    /// A constant token (not `-` prefixed), if next.
    pub fn literal(&mut self) -> Result<Option<Literal>> {
        let lit = match self.peek() {
            TokenKind::Str(s) => Literal::String(s.clone()),
            TokenKind::Integer(s) => Literal::Integer(s.clone()),
            TokenKind::Float(s) => Literal::Float(s.clone()),
            TokenKind::Duration(s) => Literal::Duration(s.clone()),
            TokenKind::Hex(h) => match decode_hex(h) {
                Some(bytes) => Literal::Blob(bytes),
                None => return Err(self.error(ParseErrorKind::OddHex(h.clone()))),
            },
            TokenKind::Uuid(u) => Literal::Uuid(decode_uuid(u)),
            TokenKind::Ident(w) => match w.as_str() {
                "true" => Literal::Boolean(true),
                "false" => Literal::Boolean(false),
                "null" => Literal::Null,
                "nan" => Literal::Float("NaN".into()),
                "infinity" => Literal::Float("Infinity".into()),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(lit))
    }

    fn list_literal(&mut self) -> Result<Term> {
        self.expect(&TokenKind::LBracket)?;
        let mut items = Vec::new();
        if !self.eat(&TokenKind::RBracket) {
            items.push(self.term()?);
            while self.eat(&TokenKind::Comma) {
                items.push(self.term()?);
            }
            self.expect(&TokenKind::RBracket)?;
        }
        Ok(Term::List(items))
    }

    /// `{}`, `{k: v, ...}`, `{a, b}` or `{field: v, ...}`.
    fn brace_literal(&mut self) -> Result<Term> {
        self.expect(&TokenKind::LBrace)?;
        if self.eat(&TokenKind::RBrace) {
            return Ok(Term::EmptyBraces);
        }
        if self.is_name_at(0) && matches!(self.peek_at(1), TokenKind::Colon) {
            let mut fields = Vec::new();
            loop {
                let field = self.name()?;
                self.expect(&TokenKind::Colon)?;
                fields.push((field, self.term()?));
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            self.expect(&TokenKind::RBrace)?;
            return Ok(Term::Udt(fields));
        }
        let first = self.term()?;
        if self.eat(&TokenKind::Colon) {
            let mut entries = vec![(first, self.term()?)];
            while self.eat(&TokenKind::Comma) {
                let key = self.term()?;
                self.expect(&TokenKind::Colon)?;
                entries.push((key, self.term()?));
            }
            self.expect(&TokenKind::RBrace)?;
            return Ok(Term::Map(entries));
        }
        let mut items = vec![first];
        while self.eat(&TokenKind::Comma) {
            items.push(self.term()?);
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(Term::Set(items))
    }

    /// `(type) term` or `(t1, t2, ...)`.
    fn paren_term(&mut self) -> Result<Term> {
        let start = self.position();
        self.expect(&TokenKind::LParen)?;
        // The one backtrack: `(int) ?` is a type hint, `(1, 2)` a tuple. Types create no
        // markers, so rewinding loses nothing.
        if let Ok(ty) = self.type_expr() {
            if self.eat(&TokenKind::RParen) && self.starts_term_at(0) {
                let value = self.term_unary()?;
                return Ok(Term::TypeHint(ty, Box::new(value)));
            }
        }
        self.rewind(start + 1);
        let mut items = vec![self.term()?];
        while self.eat(&TokenKind::Comma) {
            items.push(self.term()?);
        }
        self.expect(&TokenKind::RParen)?;
        Ok(Term::Tuple(items))
    }

    /// LIMIT / TTL / TIMESTAMP values: an integer or a marker.
    pub fn int_value(&mut self) -> Result<Term> {
        if let Some(m) = self.marker()? {
            return Ok(Term::Bind(m));
        }
        let negative = matches!(self.peek(), TokenKind::Minus)
            && matches!(self.peek_at(1), TokenKind::Integer(_));
        if negative {
            self.bump();
        }
        match self.peek() {
            TokenKind::Integer(s) => {
                let text = if negative { format!("-{s}") } else { s.clone() };
                self.bump();
                Ok(Term::Literal(Literal::Integer(text)))
            }
            _ => Err(self.mismatched("INTEGER")),
        }
    }

    /// `rel AND rel ...` after WHERE.
    pub fn where_clause(&mut self) -> Result<Vec<Relation>> {
        let mut out = vec![self.relation()?];
        while self.eat_kw("and") {
            out.push(self.relation()?);
        }
        Ok(out)
    }

    fn relation(&mut self) -> Result<Relation> {
        self.nested(|c| c.relation_inner())
    }

    fn relation_inner(&mut self) -> Result<Relation> {
        if self.is_kw("token") && matches!(self.peek_at(1), TokenKind::LParen) {
            self.bump();
            let columns = self.name_tuple()?;
            let op = self.relation_op()?;
            let value = self.term()?;
            return Ok(Relation::Token { columns, op, value });
        }
        if self.at(&TokenKind::LParen) {
            let tuple = self.is_name_at(1)
                && matches!(self.peek_at(2), TokenKind::Comma | TokenKind::RParen);
            if !tuple {
                self.bump();
                let inner = self.relation()?;
                self.expect(&TokenKind::RParen)?;
                return Ok(inner);
            }
            let columns = self.name_tuple()?;
            if self.eat_kw("in") {
                let values = self.in_values()?;
                return Ok(Relation::MultiIn { columns, values });
            }
            let op = self.relation_op()?;
            let value = self.term()?;
            return Ok(Relation::MultiCompare { columns, op, value });
        }
        let column = self.name()?;
        if self.eat(&TokenKind::LBracket) {
            let key = self.term()?;
            self.expect(&TokenKind::RBracket)?;
            let op = self.relation_op()?;
            let value = self.term()?;
            return Ok(Relation::MapElement {
                column,
                key,
                op,
                value,
            });
        }
        if self.eat_kw("in") {
            let values = self.in_values()?;
            return Ok(Relation::In { column, values });
        }
        if self.eat_kw("is") {
            self.expect_kw("not")?;
            self.expect_kw("null")?;
            return Ok(Relation::IsNotNull { column });
        }
        let op = self.operator()?;
        let value = self.term()?;
        Ok(Relation::Compare { column, op, value })
    }

    /// A comparison or CONTAINS [KEY] / LIKE.
    fn operator(&mut self) -> Result<Operator> {
        if self.eat_kw("contains") {
            return Ok(if self.eat_kw("key") {
                Operator::ContainsKey
            } else {
                Operator::Contains
            });
        }
        if self.eat_kw("like") {
            return Ok(Operator::Like);
        }
        self.relation_op()
    }

    /// `= < <= > >= !=`
    pub fn relation_op(&mut self) -> Result<Operator> {
        let op = match self.peek() {
            TokenKind::Eq => Operator::Eq,
            TokenKind::Neq => Operator::Neq,
            TokenKind::Lt => Operator::Lt,
            TokenKind::Lte => Operator::Lte,
            TokenKind::Gt => Operator::Gt,
            TokenKind::Gte => Operator::Gte,
            _ => return Err(self.no_viable()),
        };
        self.bump();
        Ok(op)
    }

    /// `(a, b, ...)` of names.
    pub fn name_tuple(&mut self) -> Result<Vec<String>> {
        self.expect(&TokenKind::LParen)?;
        let mut names = vec![self.name()?];
        while self.eat(&TokenKind::Comma) {
            names.push(self.name()?);
        }
        self.expect(&TokenKind::RParen)?;
        Ok(names)
    }

    /// After IN: `(t, ...)`, `()` or a marker for the whole list.
    fn in_values(&mut self) -> Result<InValues> {
        if let Some(m) = self.marker()? {
            return Ok(InValues::Marker(m));
        }
        self.expect(&TokenKind::LParen)?;
        let mut items = Vec::new();
        if !self.eat(&TokenKind::RParen) {
            items.push(self.term()?);
            while self.eat(&TokenKind::Comma) {
                items.push(self.term()?);
            }
            self.expect(&TokenKind::RParen)?;
        }
        Ok(InValues::List(items))
    }

    /// `[IF EXISTS | IF cond AND cond ...]` of UPDATE and DELETE.
    pub fn if_clause(&mut self) -> Result<IfClause> {
        if !self.eat_kw("if") {
            return Ok(IfClause::None);
        }
        if self.eat_kw("exists") {
            return Ok(IfClause::Exists);
        }
        let mut conds = vec![self.condition()?];
        while self.eat_kw("and") {
            conds.push(self.condition()?);
        }
        Ok(IfClause::Conditions(conds))
    }

    fn condition(&mut self) -> Result<Condition> {
        let column = self.name()?;
        let target = if self.eat(&TokenKind::LBracket) {
            let key = self.term()?;
            self.expect(&TokenKind::RBracket)?;
            ConditionTarget::Element(key)
        } else if self.eat(&TokenKind::Dot) {
            ConditionTarget::Field(self.name()?)
        } else {
            ConditionTarget::Column
        };
        let test = if self.eat_kw("in") {
            ConditionTest::In(self.in_values()?)
        } else {
            let op = self.operator()?;
            ConditionTest::Compare(op, self.term()?)
        };
        Ok(Condition {
            column,
            target,
            test,
        })
    }
}

fn decode_hex(digits: &str) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| Some((hex_val(pair[0])? << 4) | hex_val(*pair.get(1)?)?))
        .collect()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The lexer checked the shape; this only packs the 32 digits.
fn decode_uuid(text: &str) -> [u8; 16] {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    let mut out = [0u8; 16];
    for (slot, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let hi = pair.first().copied().and_then(hex_val).unwrap_or(0);
        let lo = pair.get(1).copied().and_then(hex_val).unwrap_or(0);
        *slot = (hi << 4) | lo;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn term(src: &str) -> Result<Term> {
        let tokens = tokenize(src)?;
        let mut c = Cursor::new(src, tokens);
        let t = c.term()?;
        if !c.at_eof() {
            return Err(c.no_viable());
        }
        Ok(t)
    }

    fn int(s: &str) -> Term {
        Term::Literal(Literal::Integer(s.into()))
    }

    fn string(s: &str) -> Term {
        Term::Literal(Literal::String(s.into()))
    }

    #[test]
    fn constants() {
        assert_eq!(term("-12"), Ok(int("-12")));
        assert_eq!(
            term("-Infinity"),
            Ok(Term::Literal(Literal::Float("-Infinity".into())))
        );
        assert_eq!(term("NaN"), Ok(Term::Literal(Literal::Float("NaN".into()))));
        assert_eq!(
            term("0xcafe"),
            Ok(Term::Literal(Literal::Blob(vec![0xca, 0xfe])))
        );
        assert_eq!(term("TRUE"), Ok(Term::Literal(Literal::Boolean(true))));
        assert_eq!(term("null"), Ok(Term::Literal(Literal::Null)));
        assert_eq!(
            term("-1h30m"),
            Ok(Term::Literal(Literal::Duration("-1h30m".into())))
        );
        let uuid = term("00000000-0000-0000-0000-0000000000ff");
        let mut bytes = [0u8; 16];
        bytes[15] = 0xff;
        assert_eq!(uuid, Ok(Term::Literal(Literal::Uuid(bytes))));
        assert!(term("0xabc").is_err());
    }

    #[test]
    fn collections_and_udts() {
        assert_eq!(term("[1, 2]"), Ok(Term::List(vec![int("1"), int("2")])));
        assert_eq!(term("{}"), Ok(Term::EmptyBraces));
        assert_eq!(
            term("{'a', 'b'}"),
            Ok(Term::Set(vec![string("a"), string("b")]))
        );
        assert_eq!(
            term("{'a': 1, 'b': [2]}"),
            Ok(Term::Map(vec![
                (string("a"), int("1")),
                (string("b"), Term::List(vec![int("2")]))
            ]))
        );
        assert_eq!(
            term("{street: 'x', \"Zip\": 1}"),
            Ok(Term::Udt(vec![
                ("street".into(), string("x")),
                ("Zip".into(), int("1"))
            ]))
        );
        assert_eq!(
            term("(1, 'a')"),
            Ok(Term::Tuple(vec![int("1"), string("a")]))
        );
    }

    #[test]
    fn markers_functions_and_hints() {
        assert_eq!(
            term("{:k : ?}"),
            Ok(Term::Map(vec![(
                Term::Bind(BindMarker {
                    index: 0,
                    name: Some("k".into())
                }),
                Term::Bind(BindMarker {
                    index: 1,
                    name: None
                })
            )]))
        );
        let call = |name: &str, args| Term::Function {
            name: QualifiedName {
                keyspace: None,
                name: name.into(),
            },
            args,
        };
        assert_eq!(
            term("toTimestamp(now())"),
            Ok(call("totimestamp", vec![call("now", vec![])]))
        );
        assert_eq!(
            term("token(?)"),
            Ok(call(
                "token",
                vec![Term::Bind(BindMarker {
                    index: 0,
                    name: None
                })]
            ))
        );
        assert!(matches!(term("(int) ?"), Ok(Term::TypeHint(_, _))));
        assert!(matches!(term("(list<int>) [1]"), Ok(Term::TypeHint(_, _))));
        assert_eq!(
            term("1 + 2 * 3"),
            Ok(Term::Arithmetic(
                ArithmeticOp::Add,
                Box::new(int("1")),
                Box::new(Term::Arithmetic(
                    ArithmeticOp::Mul,
                    Box::new(int("2")),
                    Box::new(int("3"))
                ))
            ))
        );
    }

    #[test]
    fn bare_names_are_not_terms() {
        assert!(term("col").is_err());
        assert!(term("[1, col]").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        for deep in [
            format!("{}1{}", "[".repeat(500), "]".repeat(500)),
            format!("{}1{}", "(".repeat(500), ")".repeat(500)),
            format!("{}1", "- ".repeat(500)),
            format!("{}{}", "f(".repeat(500), ")".repeat(500)),
        ] {
            let err = term(&deep);
            assert!(
                matches!(&err, Err(e) if matches!(e.kind, ParseErrorKind::TooDeep(_))),
                "{err:?}"
            );
        }
    }
}

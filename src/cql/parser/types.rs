//! CQL type syntax (`frozen<map<text, list<int>>>`, `ks.address`) as the parser sees it: user
//! types are only names here, because resolving them needs the schema. [`TypeExpr::resolve`]
//! turns one into the table model's [`CqlType`] given a lookup; `Display` writes it back as CQL
//! (schema tables store types as text and read them with [`super::parse_type`]).

use std::fmt;

use crate::command::table::value::{CqlType, UdtType};

use super::ast::QualifiedName;
use super::cursor::{is_reserved, Cursor};
use super::error::{ParseErrorKind, Result};
use super::lexer::TokenKind;

/// A type as written. `Native` only ever holds a scalar [`CqlType`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeExpr {
    Native(CqlType),
    List(Box<TypeExpr>),
    Set(Box<TypeExpr>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    Tuple(Vec<TypeExpr>),
    Frozen(Box<TypeExpr>),
    Udt {
        keyspace: Option<String>,
        name: String,
    },
}

/// A user type name that the lookup given to [`TypeExpr::resolve`] did not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Unknown type {}{name}", keyspace.as_deref().map(|k| format!("{k}.")).unwrap_or_default())]
pub struct UnknownType {
    pub keyspace: Option<String>,
    pub name: String,
}

impl TypeExpr {
    /// The table model's type, with user types looked up by `(keyspace, name)` (keyspace `None`
    /// when the statement did not qualify it).
    pub fn resolve<F>(&self, lookup: &mut F) -> std::result::Result<CqlType, UnknownType>
    where
        F: FnMut(Option<&str>, &str) -> Option<UdtType>,
    {
        Ok(match self {
            TypeExpr::Native(t) => t.clone(),
            TypeExpr::List(e) => CqlType::List(Box::new(e.resolve(lookup)?)),
            TypeExpr::Set(e) => CqlType::Set(Box::new(e.resolve(lookup)?)),
            TypeExpr::Map(k, v) => {
                CqlType::Map(Box::new(k.resolve(lookup)?), Box::new(v.resolve(lookup)?))
            }
            TypeExpr::Tuple(items) => CqlType::Tuple(
                items
                    .iter()
                    .map(|t| t.resolve(lookup))
                    .collect::<std::result::Result<_, _>>()?,
            ),
            TypeExpr::Frozen(inner) => CqlType::Frozen(Box::new(inner.resolve(lookup)?)),
            TypeExpr::Udt { keyspace, name } => match lookup(keyspace.as_deref(), name) {
                Some(udt) => CqlType::Udt(Box::new(udt)),
                None => {
                    return Err(UnknownType {
                        keyspace: keyspace.clone(),
                        name: name.clone(),
                    })
                }
            },
        })
    }
}

/// The scalar type a word names, if any (`varchar` is `text`).
pub fn native_type(word: &str) -> Option<CqlType> {
    Some(match word {
        "ascii" => CqlType::Ascii,
        "bigint" => CqlType::BigInt,
        "blob" => CqlType::Blob,
        "boolean" => CqlType::Boolean,
        "counter" => CqlType::Counter,
        "date" => CqlType::Date,
        "decimal" => CqlType::Decimal,
        "double" => CqlType::Double,
        "duration" => CqlType::Duration,
        "float" => CqlType::Float,
        "inet" => CqlType::Inet,
        "int" => CqlType::Int,
        "smallint" => CqlType::SmallInt,
        "text" | "varchar" => CqlType::Text,
        "time" => CqlType::Time,
        "timestamp" => CqlType::Timestamp,
        "timeuuid" => CqlType::TimeUuid,
        "tinyint" => CqlType::TinyInt,
        "uuid" => CqlType::Uuid,
        "varint" => CqlType::VarInt,
        _ => return None,
    })
}

fn native_name(t: &CqlType) -> &'static str {
    match t {
        CqlType::Ascii => "ascii",
        CqlType::Text => "text",
        CqlType::Boolean => "boolean",
        CqlType::TinyInt => "tinyint",
        CqlType::SmallInt => "smallint",
        CqlType::Int => "int",
        CqlType::BigInt => "bigint",
        CqlType::VarInt => "varint",
        CqlType::Float => "float",
        CqlType::Double => "double",
        CqlType::Decimal => "decimal",
        CqlType::Uuid => "uuid",
        CqlType::TimeUuid => "timeuuid",
        CqlType::Timestamp => "timestamp",
        CqlType::Date => "date",
        CqlType::Time => "time",
        CqlType::Duration => "duration",
        CqlType::Blob => "blob",
        CqlType::Inet => "inet",
        CqlType::Counter => "counter",
        // Not scalars; `Native` never holds them.
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(..)
        | CqlType::Tuple(_)
        | CqlType::Udt(_)
        | CqlType::Frozen(_) => "?",
    }
}

/// Words Cassandra keeps free for future type names.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "byte",
    "complex",
    "enum",
    "date",
    "interval",
    "macaddr",
    "bitstring",
];

/// `name` as CQL text: bare when it reads back as the same name, else double-quoted.
pub fn quote_name(name: &str) -> String {
    let bare = name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !is_reserved(name);
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

impl fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Native(t) => f.write_str(native_name(t)),
            TypeExpr::List(e) => write!(f, "list<{e}>"),
            TypeExpr::Set(e) => write!(f, "set<{e}>"),
            TypeExpr::Map(k, v) => write!(f, "map<{k}, {v}>"),
            TypeExpr::Tuple(items) => {
                f.write_str("tuple<")?;
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(">")
            }
            TypeExpr::Frozen(inner) => write!(f, "frozen<{inner}>"),
            TypeExpr::Udt { keyspace, name } => {
                if let Some(ks) = keyspace {
                    write!(f, "{}.", quote_name(ks))?;
                }
                // A user type named like a native type must stay quoted to read back as itself.
                if native_type(name).is_some() || RESERVED_TYPE_NAMES.contains(&name.as_str()) {
                    write!(f, "\"{name}\"")
                } else {
                    f.write_str(&quote_name(name))
                }
            }
        }
    }
}

impl Cursor<'_> {
    /// A type: native, collection, tuple, `frozen<...>` or a (possibly qualified) user type.
    pub fn type_expr(&mut self) -> Result<TypeExpr> {
        self.nested(|c| c.type_inner())
    }

    fn type_inner(&mut self) -> Result<TypeExpr> {
        if let TokenKind::Str(class) = self.peek() {
            let class = class.clone();
            return Err(self.error(ParseErrorKind::CustomType(class)));
        }
        let word = match self.peek() {
            TokenKind::Ident(w) => Some(w.clone()),
            _ => None,
        };
        let generic = matches!(self.peek_at(1), TokenKind::Lt);
        match word.as_deref() {
            Some(w) if native_type(w).is_some() && !matches!(self.peek_at(1), TokenKind::Dot) => {
                self.bump();
                Ok(TypeExpr::Native(native_type(w).unwrap_or(CqlType::Blob)))
            }
            Some("list") if generic => {
                self.bump();
                let inner = self.angle_args(1)?;
                Ok(TypeExpr::List(Box::new(one(inner))))
            }
            Some("set") if generic => {
                self.bump();
                let inner = self.angle_args(1)?;
                Ok(TypeExpr::Set(Box::new(one(inner))))
            }
            Some("frozen") if generic => {
                self.bump();
                let inner = self.angle_args(1)?;
                Ok(TypeExpr::Frozen(Box::new(one(inner))))
            }
            Some("map") if generic => {
                self.bump();
                let mut kv = self.angle_args(2)?.into_iter();
                match (kv.next(), kv.next()) {
                    (Some(k), Some(v)) => Ok(TypeExpr::Map(Box::new(k), Box::new(v))),
                    _ => Err(self.no_viable()),
                }
            }
            Some("tuple") if generic => {
                self.bump();
                let items = self.angle_args(0)?;
                Ok(TypeExpr::Tuple(items))
            }
            _ if self.is_name_at(0) => self.udt_name(),
            _ => Err(self.no_viable()),
        }
    }

    /// `<t, ...>` with exactly `count` types, or one or more when `count` is 0.
    fn angle_args(&mut self, count: usize) -> Result<Vec<TypeExpr>> {
        self.expect(&TokenKind::Lt)?;
        let mut out = vec![self.type_expr()?];
        while out.len() != count && self.eat(&TokenKind::Comma) {
            out.push(self.type_expr()?);
        }
        self.expect(&TokenKind::Gt)?;
        Ok(out)
    }

    fn udt_name(&mut self) -> Result<TypeExpr> {
        let name = self.user_type_name()?;
        Ok(TypeExpr::Udt {
            keyspace: name.keyspace,
            name: name.name,
        })
    }

    /// `[ks.]name` of a user type: not a native type's name nor one Cassandra reserves.
    pub fn user_type_name(&mut self) -> Result<QualifiedName> {
        let quoted = matches!(
            self.peek_at(if matches!(self.peek_at(1), TokenKind::Dot) {
                2
            } else {
                0
            }),
            TokenKind::QuotedIdent(_)
        );
        let name = self.qualified_name()?;
        let reserved =
            RESERVED_TYPE_NAMES.contains(&name.name.as_str()) || native_type(&name.name).is_some();
        if reserved && !quoted {
            return Err(self.error(ParseErrorKind::ReservedTypeName(name.name)));
        }
        Ok(name)
    }
}

/// The single element `angle_args(1)` returns.
fn one(mut items: Vec<TypeExpr>) -> TypeExpr {
    items.pop().unwrap_or(TypeExpr::Native(CqlType::Blob))
}

#[cfg(test)]
mod tests {
    use super::super::parse_type;
    use super::*;

    fn native(t: CqlType) -> TypeExpr {
        TypeExpr::Native(t)
    }

    #[test]
    fn natives() {
        assert_eq!(parse_type("VARCHAR"), Ok(native(CqlType::Text)));
        assert_eq!(parse_type("timeuuid"), Ok(native(CqlType::TimeUuid)));
        for name in [
            "ascii",
            "bigint",
            "blob",
            "boolean",
            "counter",
            "date",
            "decimal",
            "double",
            "duration",
            "float",
            "inet",
            "int",
            "smallint",
            "text",
            "time",
            "timestamp",
            "timeuuid",
            "tinyint",
            "uuid",
            "varint",
        ] {
            let t = parse_type(name);
            assert!(matches!(t, Ok(TypeExpr::Native(_))), "{name}");
            assert_eq!(t.map(|t| t.to_string()).as_deref(), Ok(name));
        }
    }

    #[test]
    fn nested_collections_split_closing_angles() {
        let t = parse_type("map<text, frozen<list<frozen<set<int>>>>>");
        assert_eq!(
            t,
            Ok(TypeExpr::Map(
                Box::new(native(CqlType::Text)),
                Box::new(TypeExpr::Frozen(Box::new(TypeExpr::List(Box::new(
                    TypeExpr::Frozen(Box::new(TypeExpr::Set(Box::new(native(CqlType::Int)))))
                )))))
            ))
        );
    }

    #[test]
    fn tuples_and_udts() {
        assert_eq!(
            parse_type("tuple<int, ks.\"Addr\", text>"),
            Ok(TypeExpr::Tuple(vec![
                native(CqlType::Int),
                TypeExpr::Udt {
                    keyspace: Some("ks".into()),
                    name: "Addr".into()
                },
                native(CqlType::Text)
            ]))
        );
        assert_eq!(
            parse_type("frozen<address>"),
            Ok(TypeExpr::Frozen(Box::new(TypeExpr::Udt {
                keyspace: None,
                name: "address".into()
            })))
        );
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "map<text, frozen<list<int>>>",
            "tuple<int, text, ks.\"Addr\">",
            "frozen<address>",
            "set<timeuuid>",
            "frozen<\"int\">",
        ] {
            let t = parse_type(text);
            assert_eq!(t.as_ref().map(|t| t.to_string()).as_deref(), Ok(text));
        }
    }

    #[test]
    fn rejects_custom_and_malformed_types() {
        let err = parse_type("'org.apache.cassandra.db.marshal.UTF8Type'");
        assert!(matches!(err, Err(e) if matches!(e.kind, ParseErrorKind::CustomType(_))));
        for bad in [
            "map<int>", "list<int", "list<>", "tuple<>", "frozen<>", "int int", "byte", "<",
        ] {
            assert!(parse_type(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}int{}", "list<".repeat(200), ">".repeat(200));
        let err = parse_type(&deep);
        assert!(matches!(err, Err(e) if matches!(e.kind, ParseErrorKind::TooDeep(_))));
    }

    #[test]
    fn resolve_looks_up_user_types() {
        let t = parse_type("frozen<list<addr>>").unwrap_or(native(CqlType::Int));
        let udt = UdtType {
            keyspace: "ks".into(),
            name: "addr".into(),
            fields: vec![("street".into(), CqlType::Text)],
        };
        let resolved = t.resolve(&mut |_, name| (name == "addr").then(|| udt.clone()));
        assert_eq!(
            resolved,
            Ok(CqlType::Frozen(Box::new(CqlType::List(Box::new(
                CqlType::Udt(Box::new(udt.clone()))
            )))))
        );
        let missing = t.resolve(&mut |_, _| None);
        assert_eq!(
            missing.map_err(|e| e.to_string()),
            Err("Unknown type addr".into())
        );
    }
}

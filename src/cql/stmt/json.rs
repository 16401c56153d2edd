//! `INSERT INTO t JSON '...'`: the JSON object turned into the column names and value terms of
//! an ordinary INSERT, as Cassandra reads it. Keys are column names (case-insensitive unless
//! written with double quotes inside the key), values follow each column's type: strings for
//! text, uuids, timestamps, dates, times, inets, durations and `0x...` blobs, numbers (or strings
//! holding them) for numeric types, arrays for lists, sets and tuples, objects for maps (keys as
//! strings) and user types. Numbers are taken as written (a decimal keeps its scale), so the
//! JSON is read with raw values rather than through f64.

use serde_json::value::RawValue;

use crate::command::table::schema::{ColumnKind, TableDef};
use crate::command::table::value::CqlType;
use crate::cql::frame::ErrorResponse;
use crate::cql::parser::ast::{JsonDefault, Literal, Term};

type R<T> = Result<T, ErrorResponse>;

fn invalid(msg: impl Into<String>) -> ErrorResponse {
    ErrorResponse::invalid(msg)
}

/// The columns and terms an INSERT JSON stands for. With `DEFAULT NULL` every column the
/// object leaves out is written as null; with `DEFAULT UNSET` it is left alone.
pub fn insert_columns(
    table: &TableDef,
    text: &str,
    default: JsonDefault,
) -> R<(Vec<String>, Vec<Term>)> {
    // Each value kept as its raw text, so a number keeps the digits it was written with.
    let object: std::collections::BTreeMap<String, Box<RawValue>> = serde_json::from_str(text)
        .map_err(|e| {
            invalid(format!(
                "Could not decode JSON string as a map: {e}. (String was: {text})"
            ))
        })?;
    let mut columns = Vec::with_capacity(table.columns.len());
    let mut terms = Vec::with_capacity(table.columns.len());
    for (key, raw) in &object {
        let name = column_name(key);
        let col = table.column(&name).ok_or_else(|| {
            invalid(format!(
                "JSON values map contains unrecognized column: {name}"
            ))
        })?;
        if columns.contains(&col.name) {
            return Err(invalid(format!(
                "JSON values map contains column {name} twice"
            )));
        }
        let term = term(raw, &col.ty)
            .map_err(|why| invalid(format!("Error decoding JSON value for {}: {why}", col.name)))?;
        columns.push(col.name.clone());
        terms.push(term);
    }
    if default == JsonDefault::Null {
        for col in &table.columns {
            let keyed = matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering);
            if !keyed && !columns.contains(&col.name) {
                columns.push(col.name.clone());
                terms.push(Term::Literal(Literal::Null));
            }
        }
    }
    Ok((columns, terms))
}

/// A JSON key as a column name: quoted names keep their case, others are lowercased.
fn column_name(key: &str) -> String {
    match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => key.to_lowercase(),
    }
}

/// One JSON value as a term of type `ty`; the error says why not.
fn term(raw: &RawValue, ty: &CqlType) -> Result<Term, String> {
    let text = raw.get().trim();
    let ty = ty.unfrozen();
    let first = text.chars().next().unwrap_or(' ');
    if text == "null" {
        return Ok(Term::Literal(Literal::Null));
    }
    let string = || serde_json::from_str::<String>(text).map_err(|e| e.to_string());
    let kind = match first {
        '"' => "String",
        '[' => "Array",
        '{' => "Object",
        't' | 'f' => "Boolean",
        _ => "Number",
    };
    let wrong = || {
        format!(
            "Unexpected JSON {kind} for a value of type {}",
            type_name(ty)
        )
    };
    match ty {
        CqlType::Text | CqlType::Ascii => match first {
            '"' => Ok(Term::Literal(Literal::String(string()?))),
            _ => Err(wrong()),
        },
        CqlType::TinyInt
        | CqlType::SmallInt
        | CqlType::Int
        | CqlType::BigInt
        | CqlType::VarInt
        | CqlType::Counter => match first {
            '"' => Ok(Term::Literal(Literal::Integer(
                string()?.trim().to_string(),
            ))),
            '-' | '0'..='9' if !text.contains(['.', 'e', 'E']) => {
                Ok(Term::Literal(Literal::Integer(text.to_string())))
            }
            _ => Err(wrong()),
        },
        CqlType::Float | CqlType::Double | CqlType::Decimal => match first {
            '"' => Ok(Term::Literal(Literal::Float(string()?.trim().to_string()))),
            '-' | '0'..='9' => Ok(Term::Literal(Literal::Float(text.to_string()))),
            _ => Err(wrong()),
        },
        CqlType::Boolean => match text {
            "true" | "\"true\"" => Ok(Term::Literal(Literal::Boolean(true))),
            "false" | "\"false\"" => Ok(Term::Literal(Literal::Boolean(false))),
            _ => Err(wrong()),
        },
        CqlType::Blob => match first {
            '"' => {
                let s = string()?;
                let hex = s
                    .strip_prefix("0x")
                    .or_else(|| s.strip_prefix("0X"))
                    .ok_or_else(|| format!("Value '{s}' is not a valid blob representation: String representation of blob is missing 0x prefix"))?;
                decode_hex(hex)
                    .map(|b| Term::Literal(Literal::Blob(b)))
                    .ok_or_else(|| format!("Value '{s}' is not a valid blob representation"))
            }
            _ => Err(wrong()),
        },
        CqlType::Duration => match first {
            '"' => Ok(Term::Literal(Literal::Duration(string()?))),
            _ => Err(wrong()),
        },
        CqlType::Timestamp | CqlType::Date | CqlType::Time => match first {
            '"' => Ok(Term::Literal(Literal::String(string()?))),
            '-' | '0'..='9' if !text.contains(['.', 'e', 'E']) => {
                Ok(Term::Literal(Literal::Integer(text.to_string())))
            }
            _ => Err(wrong()),
        },
        CqlType::Uuid | CqlType::TimeUuid | CqlType::Inet => match first {
            '"' => Ok(Term::Literal(Literal::String(string()?))),
            _ => Err(wrong()),
        },
        CqlType::List(elem) | CqlType::Set(elem) => {
            let items = array(text, &wrong)?;
            let terms = items
                .iter()
                .map(|x| term(x, elem))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                CqlType::Set(_) => Term::Set(terms),
                _ => Term::List(terms),
            })
        }
        CqlType::Tuple(types) => {
            let items = array(text, &wrong)?;
            if items.len() > types.len() {
                return Err(format!(
                    "Tuple contains extra items (expected {})",
                    types.len()
                ));
            }
            Ok(Term::Tuple(
                items
                    .iter()
                    .zip(types)
                    .map(|(x, t)| term(x, t))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        }
        CqlType::Map(kt, vt) => {
            let entries = object(text, &wrong)?;
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in &entries {
                out.push((map_key(k, kt)?, term(v, vt)?));
            }
            Ok(Term::Map(out))
        }
        CqlType::Udt(udt) => {
            let entries = object(text, &wrong)?;
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in &entries {
                let name = column_name(k);
                let (_, fty) = udt.fields.iter().find(|(f, _)| *f == name).ok_or_else(|| {
                    format!(
                        "Unknown field '{name}' in value of user defined type {}",
                        udt.name
                    )
                })?;
                out.push((name, term(v, fty)?));
            }
            Ok(Term::Udt(out))
        }
        CqlType::Frozen(_) => Err(wrong()),
    }
}

/// A map's key, which JSON writes as a string: the string itself for types written as strings,
/// else the JSON the string holds (`"1"` for an int key).
fn map_key(key: &str, ty: &CqlType) -> Result<Term, String> {
    let quoted = serde_json::to_string(key).map_err(|e| e.to_string())?;
    let as_string = RawValue::from_string(quoted).map_err(|e| e.to_string())?;
    match ty.unfrozen() {
        CqlType::Text
        | CqlType::Ascii
        | CqlType::Uuid
        | CqlType::TimeUuid
        | CqlType::Inet
        | CqlType::Timestamp
        | CqlType::Date
        | CqlType::Time
        | CqlType::Duration
        | CqlType::Blob
        | CqlType::TinyInt
        | CqlType::SmallInt
        | CqlType::Int
        | CqlType::BigInt
        | CqlType::VarInt
        | CqlType::Float
        | CqlType::Double
        | CqlType::Decimal
        | CqlType::Boolean => term(&as_string, ty),
        other => {
            let inner = RawValue::from_string(key.to_string())
                .map_err(|e| format!("Could not decode JSON map key {key:?}: {e}"))?;
            term(&inner, other)
        }
    }
}

fn array(text: &str, wrong: &dyn Fn() -> String) -> Result<Vec<Box<RawValue>>, String> {
    if !text.starts_with('[') {
        return Err(wrong());
    }
    serde_json::from_str(text).map_err(|e| e.to_string())
}

fn object(text: &str, wrong: &dyn Fn() -> String) -> Result<Vec<(String, Box<RawValue>)>, String> {
    if !text.starts_with('{') {
        return Err(wrong());
    }
    let map: std::collections::BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(map.into_iter().collect())
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn type_name(ty: &CqlType) -> String {
    crate::cql::codec::type_name(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).expect("json")
    }

    #[test]
    fn numbers_keep_their_text_and_strings_may_hold_them() {
        assert_eq!(
            term(&raw("12.50"), &CqlType::Decimal),
            Ok(Term::Literal(Literal::Float("12.50".into())))
        );
        assert_eq!(
            term(&raw("\"7\""), &CqlType::Int),
            Ok(Term::Literal(Literal::Integer("7".into())))
        );
        assert!(term(&raw("1.5"), &CqlType::Int).is_err());
        assert!(term(&raw("5"), &CqlType::Text).is_err());
    }

    #[test]
    fn collections_and_map_keys() {
        let ty = CqlType::Map(Box::new(CqlType::Int), Box::new(CqlType::Text));
        assert_eq!(
            term(&raw("{\"1\": \"a\"}"), &ty),
            Ok(Term::Map(vec![(
                Term::Literal(Literal::Integer("1".into())),
                Term::Literal(Literal::String("a".into()))
            )]))
        );
        assert_eq!(
            term(&raw("\"0x0aff\""), &CqlType::Blob),
            Ok(Term::Literal(Literal::Blob(vec![0x0a, 0xff])))
        );
        assert!(term(&raw("\"0aff\""), &CqlType::Blob).is_err());
    }

    #[test]
    fn quoted_keys_keep_their_case() {
        assert_eq!(column_name("\"MyCol\""), "MyCol");
        assert_eq!(column_name("MyCol"), "mycol");
    }
}

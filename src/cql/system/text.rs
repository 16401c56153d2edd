//! The small textual forms the schema tables and DESCRIBE share, spelled as Cassandra's
//! `CqlBuilder` and Java's `Double.toString` spell them, plus a lenient reader for the option
//! values the DDL path keeps as text (`TableOptions::other`).
//!
//! It knows nothing of tables or keyspaces: callers pass strings and maps.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `'it''s'`: a string literal, as `CqlBuilder.appendWithSingleQuotes` writes it.
pub fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `{'a': 'x', 'b': 'y'}` in key order (Cassandra prints maps through a `TreeMap`); `{}` when
/// empty. With `quote_values` false the values are written as they are (extensions' blobs).
pub fn map_literal<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    quote_values: bool,
) -> String {
    let sorted: BTreeMap<&str, &str> = entries.into_iter().collect();
    let mut s = String::from("{");
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&quoted(k));
        s.push_str(": ");
        if quote_values {
            s.push_str(&quoted(v));
        } else {
            s.push_str(v);
        }
    }
    s.push('}');
    s
}

/// A double as Java's `Double.toString` prints it (DESCRIBE shows `0.01`, `1.0`, `1.0E-5`), so
/// the text matches what a Cassandra node answers.
pub fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = f.abs();
    if (1e-3..1e7).contains(&a) {
        // `{:?}` is the shortest round-trip form and keeps a `.0` on whole numbers.
        return format!("{f:?}");
    }
    // Java: one digit before the point, at least one after, `E` and the exponent.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let mut out = String::with_capacity(sci.len() + 2);
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    let _ = write!(out, "E{exp}");
    out
}

/// The map an option like `compaction` was given as: the DDL path keeps it as
/// `{'k': 'v', ...}`, values quoted or bare, quotes possibly doubled. `None` when the text is
/// not a map at all.
pub fn parse_map(text: &str) -> Option<Vec<(String, String)>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut chars = inner.chars().peekable();
    let mut out = Vec::new();
    loop {
        skip_ws(&mut chars);
        if chars.peek().is_none() {
            return Some(out);
        }
        let key = read_atom(&mut chars)?;
        skip_ws(&mut chars);
        if chars.next()? != ':' {
            return None;
        }
        skip_ws(&mut chars);
        let value = read_atom(&mut chars)?;
        out.push((key, value));
        skip_ws(&mut chars);
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_ws(chars: &mut Chars<'_>) {
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
}

/// A quoted string (`''` inside is one quote) or a bare word/number up to `:`, `,` or space.
fn read_atom(chars: &mut Chars<'_>) -> Option<String> {
    let mut s = String::new();
    if chars.peek() == Some(&'\'') {
        chars.next();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    s.push('\'');
                }
                '\'' => return Some(s),
                c => s.push(c),
            }
        }
    }
    while let Some(&c) = chars.peek() {
        if c == ':' || c == ',' || c.is_whitespace() {
            break;
        }
        s.push(c);
        chars.next();
    }
    (!s.is_empty()).then_some(s)
}

/// An option value that may still carry its quotes (`'99p'`) or not (`99p`).
pub fn unquote(text: &str) -> String {
    let t = text.trim();
    match t.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => t.to_string(),
    }
}

/// Hex as Cassandra writes blobs (`0xcafe`).
pub fn hex_blob(b: &[u8]) -> String {
    let mut s = String::with_capacity(2 + b.len() * 2);
    s.push_str("0x");
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(0.01), "0.01");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.1), "0.1");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1e-5), "1.0E-5");
        assert_eq!(java_double(1.5e7), "1.5E7");
    }

    #[test]
    fn maps_sort_and_quote() {
        assert_eq!(
            map_literal([("rows_per_partition", "NONE"), ("keys", "ALL")], true),
            "{'keys': 'ALL', 'rows_per_partition': 'NONE'}"
        );
        assert_eq!(map_literal([], true), "{}");
        assert_eq!(map_literal([("a", "0x01")], false), "{'a': 0x01}");
        assert_eq!(quoted("it's"), "'it''s'");
    }

    #[test]
    fn option_maps_parse_leniently() {
        assert_eq!(
            parse_map("{'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': 160}"),
            Some(vec![
                ("class".into(), "LeveledCompactionStrategy".into()),
                ("sstable_size_in_mb".into(), "160".into())
            ])
        );
        assert_eq!(parse_map("{}"), Some(vec![]));
        assert_eq!(
            parse_map("{'a': 'it''s'}"),
            Some(vec![("a".into(), "it's".into())])
        );
        assert_eq!(parse_map("99p"), None);
        assert_eq!(parse_map("{'a' 'b'}"), None);
        assert_eq!(unquote("'99p'"), "99p");
        assert_eq!(unquote("99p"), "99p");
    }
}

//! Hash commands: fields and values under one key.

use bytes::Bytes;

use super::{wrong_arity, Action, Ctx, Spec, R, RF, WF, WFAST};
use crate::command::hash::{Command, Part, Query};
use crate::command::{CommandError, Response};
use crate::resp::parse::Args;
use crate::shared::float::{check_increment, FloatError};
use crate::shared::limits::MAX_KEY_LEN;
use crate::shared::number::parse_i64;

/// The `field value [field value ...]` tail of HSET and HMSET; an odd count is an arity error.
fn key_and_pairs(a: &mut Args, name: &str) -> Result<(Bytes, Vec<(Bytes, Bytes)>), CommandError> {
    let key = a.next_key()?;
    if a.is_empty() || !a.remaining().is_multiple_of(2) {
        return Err(wrong_arity(name));
    }
    let mut rest = a.rest().into_iter();
    let mut pairs = Vec::with_capacity(rest.len() / 2);
    while let (Some(field), Some(value)) = (rest.next(), rest.next()) {
        pairs.push((field_name(field)?, value));
    }
    Ok((key, pairs))
}

/// A field to write, refused if longer than the store's keys may be.
fn field_name(field: Bytes) -> Result<Bytes, CommandError> {
    if field.len() > MAX_KEY_LEN {
        return Err(CommandError::KeyTooLong(MAX_KEY_LEN));
    }
    Ok(field)
}

/// `HSET key field value [field value ...]`
fn hset(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, pairs) = key_and_pairs(a, "hset")?;
    Ok(Action::write(Command::Set {
        db: c.db,
        key,
        pairs,
        only_new: false,
    }))
}

/// `HMSET key field value [field value ...]`
fn hmset(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, pairs) = key_and_pairs(a, "hmset")?;
    let cmd = Command::Set {
        db: c.db,
        key,
        pairs,
        only_new: false,
    };
    // The same write as HSET, answered OK instead of the number of new fields.
    Ok(Action::WriteThen(cmd.into(), |r| match r {
        Response::Int(_) => Response::Ok,
        other => other,
    }))
}

/// `HSETNX key field value`
fn hsetnx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let (field, value) = (field_name(a.next_bytes()?)?, a.next_bytes()?);
    Ok(Action::write(Command::Set {
        db: c.db,
        key,
        pairs: vec![(field, value)],
        only_new: true,
    }))
}

/// `HGET key field`
fn hget(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Get {
        db: c.db,
        key: a.next_key()?,
        field: a.next_bytes()?,
    }))
}

/// `HMGET key field [field ...]`
fn hmget(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::read(Query::MGet {
        db: c.db,
        key,
        fields: a.rest(),
    }))
}

/// `HDEL key field [field ...]`
fn hdel(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::write(Command::Del {
        db: c.db,
        key,
        fields: a.rest(),
    }))
}

/// `HEXISTS key field`
fn hexists(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Exists {
        db: c.db,
        key: a.next_key()?,
        field: a.next_bytes()?,
    }))
}

/// `HLEN key`
fn hlen(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Len {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `HSTRLEN key field`
fn hstrlen(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::StrLen {
        db: c.db,
        key: a.next_key()?,
        field: a.next_bytes()?,
    }))
}

fn all(a: &mut Args, c: &Ctx, part: Part) -> Result<Action, CommandError> {
    Ok(Action::read(Query::All {
        db: c.db,
        key: a.next_key()?,
        part,
    }))
}

/// `HKEYS key`
fn hkeys(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    all(a, c, Part::Fields)
}

/// `HVALS key`
fn hvals(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    all(a, c, Part::Values)
}

/// `HGETALL key`
fn hgetall(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    all(a, c, Part::Both)
}

/// `HINCRBY key field increment`
fn hincrby(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, field) = (a.next_key()?, field_name(a.next_bytes()?)?);
    Ok(Action::write(Command::IncrBy {
        db: c.db,
        key,
        field,
        delta: a.next_int()?,
    }))
}

/// `HINCRBYFLOAT key field increment`
fn hincrbyfloat(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, field) = (a.next_key()?, field_name(a.next_bytes()?)?);
    let delta = a.next_bytes()?;
    // Redis refuses a bad increment before it looks at the key, an infinite one in its own
    // words (INCRBYFLOAT, which checks only the sum, words it differently).
    check_increment(&delta).map_err(|e| match e {
        FloatError::NanOrInfinity => CommandError::Other("ERR value is NaN or Infinity".into()),
        _ => CommandError::NotFloat,
    })?;
    Ok(Action::write(Command::IncrByFloat {
        db: c.db,
        key,
        field,
        delta,
    }))
}

/// `HRANDFIELD key [count [WITHVALUES]]`
fn hrandfield(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let (mut count, mut with_values) = (None, false);
    if !a.is_empty() {
        let n = parse_i64(&a.next_bytes()?).ok_or(CommandError::NotInteger)?;
        if n == i64::MIN {
            return Err(CommandError::Other(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807".into(),
            ));
        }
        if !a.is_empty() {
            if a.remaining() > 1 || a.next_keyword()? != "WITHVALUES" {
                return Err(CommandError::Syntax);
            }
            // Redis's guard against `2 * count` overflowing.
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
                return Err(CommandError::Other("ERR value is out of range".into()));
            }
            with_values = true;
        }
        count = Some(n);
    }
    Ok(Action::read(Query::RandField {
        db: c.db,
        key,
        count,
        with_values,
    }))
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`
///
/// Redis parses the options only once it has found the hash, so a missing key answers an empty
/// page whatever they are; malformed options reach the engine as COUNT 0, which it refuses as a
/// syntax error for a hash only. (A COUNT that is not an integer is refused here, whatever the
/// key.)
fn hscan(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let cursor = std::str::from_utf8(&a.next_bytes()?)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| CommandError::Other("ERR invalid cursor".into()))?;
    let (mut pattern, mut count) = (None, 10u64);
    let mut options = || -> Result<(), CommandError> {
        while !a.is_empty() {
            match a.next_keyword()?.as_str() {
                "MATCH" if a.remaining() >= 1 => {
                    pattern = Some(a.next_bytes()?).filter(|p| p.as_ref() != b"*");
                }
                "COUNT" if a.remaining() >= 1 => {
                    let n = a.next_int()?;
                    if n < 1 {
                        return Err(CommandError::Syntax);
                    }
                    count = n as u64;
                }
                _ => return Err(CommandError::Syntax),
            }
        }
        Ok(())
    };
    match options() {
        Ok(()) => {}
        Err(CommandError::Syntax) => count = 0,
        Err(e) => return Err(e),
    }
    Ok(Action::read(Query::Scan {
        db: c.db,
        key,
        cursor,
        pattern,
        count,
    }))
}

#[rustfmt::skip]
pub const COMMANDS: &[Spec] = specs!["hash";
    ("hset", -4, WF, (1, 1, 1), "Creates or modifies the value of a field in a hash.", hset),
    ("hsetnx", 4, WF, (1, 1, 1), "Sets the value of a field in a hash only when the field doesn't exist.", hsetnx),
    ("hmset", -4, WF, (1, 1, 1), "Sets the values of multiple fields.", hmset),
    ("hget", 3, RF, (1, 1, 1), "Returns the value of a field in a hash.", hget),
    ("hmget", -3, RF, (1, 1, 1), "Returns the values of all fields in a hash.", hmget),
    ("hdel", -3, WFAST, (1, 1, 1), "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.", hdel),
    ("hexists", 3, RF, (1, 1, 1), "Determines whether a field exists in a hash.", hexists),
    ("hlen", 2, RF, (1, 1, 1), "Returns the number of fields in a hash.", hlen),
    ("hkeys", 2, R, (1, 1, 1), "Returns all fields in a hash.", hkeys),
    ("hvals", 2, R, (1, 1, 1), "Returns all values in a hash.", hvals),
    ("hgetall", 2, R, (1, 1, 1), "Returns all fields and values in a hash.", hgetall),
    ("hincrby", 4, WF, (1, 1, 1), "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.", hincrby),
    ("hincrbyfloat", 4, WF, (1, 1, 1), "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.", hincrbyfloat),
    ("hstrlen", 3, RF, (1, 1, 1), "Returns the length of the value of a field.", hstrlen),
    ("hrandfield", -2, R, (1, 1, 1), "Returns one or more random fields from a hash.", hrandfield),
    ("hscan", -3, R, (1, 1, 1), "Iterates over fields and values of a hash.", hscan),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command as Any;
    use crate::command::Query as AnyQuery;

    fn args(words: &[&str]) -> Args {
        Args::new(
            words
                .iter()
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect(),
        )
    }

    fn parse(words: &[&str]) -> Result<Action, CommandError> {
        let spec = COMMANDS
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(words[0]))
            .expect("a hash command");
        if !spec.arity_ok(words.len()) {
            return Err(wrong_arity(spec.name));
        }
        (spec.parse)(&mut args(words), &Ctx { db: 0 })
    }

    fn err(words: &[&str]) -> String {
        match parse(words) {
            Err(e) => crate::resp::error::text(&e).into_owned(),
            Ok(_) => panic!("{words:?} parsed"),
        }
    }

    fn query(words: &[&str]) -> Query {
        match parse(words) {
            Ok(Action::Read(AnyQuery::Hash(q))) => q,
            _ => panic!("{words:?} is not a hash query"),
        }
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn hset_and_hmset_take_pairs_and_refuse_odd_counts() {
        match parse(&["HSET", "h", "f", "1", "g", "2"]) {
            Ok(Action::Write(Any::Hash(Command::Set {
                pairs, only_new, ..
            }))) => {
                assert_eq!(pairs, vec![(b("f"), b("1")), (b("g"), b("2"))]);
                assert!(!only_new);
            }
            _ => panic!("HSET"),
        }
        for cmd in ["hset", "hmset"] {
            let arity = format!("ERR wrong number of arguments for '{cmd}' command");
            assert_eq!(err(&[cmd, "h", "f"]), arity);
            assert_eq!(err(&[cmd, "h", "f", "v", "g"]), arity);
        }
        let Ok(Action::WriteThen(_, reshape)) = parse(&["HMSET", "h", "f", "1"]) else {
            panic!("HMSET")
        };
        assert_eq!(reshape(Response::Int(1)), Response::Ok);
        let wrong = Response::Error(CommandError::WrongType);
        assert_eq!(reshape(wrong.clone()), wrong);
    }

    #[test]
    fn hsetnx_is_a_set_of_one_new_pair() {
        match parse(&["HSETNX", "h", "f", "v"]) {
            Ok(Action::Write(Any::Hash(Command::Set {
                pairs, only_new, ..
            }))) => {
                assert_eq!(pairs, vec![(b("f"), b("v"))]);
                assert!(only_new);
            }
            _ => panic!("HSETNX"),
        }
    }

    #[test]
    fn increments_are_checked_before_the_key() {
        let not_int = "ERR value is not an integer or out of range";
        for bad in [
            "x",
            "1.5",
            "",
            " 5",
            "+5",
            "-0",
            "9223372036854775808",
            "0x10",
        ] {
            assert_eq!(err(&["HINCRBY", "h", "f", bad]), not_int, "{bad:?}");
        }
        let not_float = "ERR value is not a valid float";
        for bad in ["abc", "", "nan", " 5", "5 ", "1e5000"] {
            assert_eq!(err(&["HINCRBYFLOAT", "h", "f", bad]), not_float, "{bad:?}");
        }
        for inf in ["inf", "-inf", "+Infinity"] {
            assert_eq!(
                err(&["HINCRBYFLOAT", "h", "f", inf]),
                "ERR value is NaN or Infinity"
            );
        }
        assert!(parse(&["HINCRBYFLOAT", "h", "f", "1e400"]).is_ok());
    }

    #[test]
    fn hrandfield_arguments_as_redis_checks_them() {
        assert_eq!(
            query(&["HRANDFIELD", "h"]),
            Query::RandField {
                db: 0,
                key: b("h"),
                count: None,
                with_values: false
            }
        );
        assert_eq!(
            query(&["HRANDFIELD", "h", "-5", "withvalues"]),
            Query::RandField {
                db: 0,
                key: b("h"),
                count: Some(-5),
                with_values: true
            }
        );
        let not_int = "ERR value is not an integer or out of range";
        assert_eq!(err(&["HRANDFIELD", "h", "x"]), not_int);
        assert_eq!(err(&["HRANDFIELD", "h", "WITHVALUES"]), not_int);
        assert_eq!(err(&["HRANDFIELD", "h", "1", "2"]), "ERR syntax error");
        assert_eq!(
            err(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
            "ERR syntax error"
        );
        assert_eq!(
            err(&["HRANDFIELD", "h", "-9223372036854775808"]),
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        );
        assert_eq!(
            err(&["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"]),
            "ERR value is out of range"
        );
        assert!(parse(&["HRANDFIELD", "h", "-9223372036854775807"]).is_ok());
    }

    #[test]
    fn hscan_cursor_and_options() {
        let scan = |words: &[&str]| match query(words) {
            Query::Scan {
                cursor,
                pattern,
                count,
                ..
            } => (cursor, pattern, count),
            other => panic!("{other:?}"),
        };
        assert_eq!(scan(&["HSCAN", "h", "0"]), (0, None, 10));
        assert_eq!(
            scan(&["HSCAN", "h", "7", "match", "f*", "COUNT", "3"]),
            (7, Some(b("f*")), 3)
        );
        assert_eq!(scan(&["HSCAN", "h", "0", "MATCH", "*"]), (0, None, 10));
        // Malformed options: COUNT 0, for the engine to refuse if the key is a hash.
        for bad in [
            &["HSCAN", "h", "0", "COUNT", "0"][..],
            &["HSCAN", "h", "0", "COUNT", "-1"],
            &["HSCAN", "h", "0", "MATCH"],
            &["HSCAN", "h", "0", "COUNT"],
            &["HSCAN", "h", "0", "BOGUS", "1"],
            &["HSCAN", "h", "0", "TYPE", "string"],
        ] {
            assert_eq!(scan(bad).2, 0, "{bad:?}");
        }
        assert_eq!(
            err(&["HSCAN", "h", "0", "COUNT", "x"]),
            "ERR value is not an integer or out of range"
        );
        for bad in ["abc", "18446744073709551616", "-1", ""] {
            assert_eq!(err(&["HSCAN", "h", bad]), "ERR invalid cursor", "{bad:?}");
        }
    }

    #[test]
    fn arities_match_redis() {
        for words in [
            &["HSET", "h"][..],
            &["HGET", "h"],
            &["HGET", "h", "f", "g"],
            &["HMGET", "h"],
            &["HDEL", "h"],
            &["HLEN"],
            &["HLEN", "h", "x"],
            &["HSETNX", "h", "f"],
            &["HINCRBYFLOAT", "h", "f"],
            &["HRANDFIELD"],
            &["HSCAN", "h"],
        ] {
            let name = words[0].to_ascii_lowercase();
            assert_eq!(
                err(words),
                format!("ERR wrong number of arguments for '{name}' command")
            );
        }
    }
}

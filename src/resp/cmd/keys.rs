//! Commands on keys of any type: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY, and time to live.

use super::{Action, Ctx, Spec, R, RF, W, WF, WR};
use crate::command::keys::{Command, Query, Sort};
use crate::command::{CommandError, ExpireCond, KeyType, Response, TtlKind};
use crate::node::now_ms;
use crate::resp::parse::Args;
use crate::shared::limits::DATABASES;

/// `DEL key [key ...]` and `UNLINK key [key ...]` (both O(1) per key here).
fn del(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Del {
        db: c.db,
        keys: a.rest_keys()?,
    }))
}

/// `EXISTS key [key ...]` and `TOUCH key [key ...]`
fn exists(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Exists {
        db: c.db,
        keys: a.rest_keys()?,
    }))
}

/// `TYPE key`
fn type_(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Type {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `OBJECT REFCOUNT key` and `OBJECT HELP`. A value is never shared between keys here (each
/// key owns its records), so an existing key's reference count is 1, truthfully. ENCODING,
/// IDLETIME and FREQ name Redis internals trident does not have, and are refused.
fn object(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    match sub.to_ascii_lowercase().as_slice() {
        b"refcount" => {
            let key = a.next_key()?;
            a.finish()?;
            let q = Query::Exists {
                db: c.db,
                keys: vec![key],
            };
            Ok(Action::Async(Box::new(
                move |node: std::sync::Arc<crate::node::Node>| {
                    Box::pin(async move {
                        match node.query(&q.into(), false).await {
                            Response::Int(1) => Response::Int(1),
                            Response::Int(_) => Response::Nil,
                            other => other,
                        }
                    })
                },
            )))
        }
        b"help" => Ok(Action::Reply(Response::Array(
            [
                "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    key (always 1: values are never shared).",
                "HELP",
                "    Print this help.",
            ]
            .into_iter()
            .map(|l| Response::Text(l.into()))
            .collect(),
        ))),
        _ => Err(super::unknown_subcommand(&sub, "object")),
    }
}

/// `KEYS pattern`
fn keys(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Keys {
        db: c.db,
        pattern: a.next_bytes()?,
    }))
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
fn scan(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let cursor = std::str::from_utf8(&a.next_bytes()?)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| CommandError::Other("ERR invalid cursor".into()))?;
    let (mut pattern, mut count, mut key_type) = (None, 10u64, None);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "MATCH" => pattern = Some(a.next_bytes()?).filter(|p| p.as_ref() != b"*"),
            "COUNT" => {
                let n = a.next_int()?;
                if n < 1 {
                    return Err(CommandError::Syntax);
                }
                count = n as u64;
            }
            "TYPE" => key_type = Some(KeyType::from_name(&a.next_bytes()?)),
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Action::read(Query::Scan {
        db: c.db,
        cursor,
        pattern,
        count,
        key_type,
    }))
}

/// `RANDOMKEY`
fn randomkey(_: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::RandomKey { db: c.db }))
}

fn rename_with(a: &mut Args, c: &Ctx, if_absent: bool) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Rename {
        db: c.db,
        src: a.next_key()?,
        dst: a.next_key()?,
        if_absent,
    }))
}

/// `RENAME key newkey`
fn rename(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    rename_with(a, c, false)
}

/// `RENAMENX key newkey`
fn renamenx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    rename_with(a, c, true)
}

/// Parses a database index as SELECT, COPY and MOVE take it.
pub fn db_index(raw: &[u8]) -> Result<u8, CommandError> {
    let n = crate::shared::number::parse_i64(raw).ok_or(CommandError::NotInteger)?;
    if !(0..DATABASES as i64).contains(&n) {
        return Err(CommandError::Other("ERR DB index is out of range".into()));
    }
    Ok(n as u8)
}

/// `COPY source destination [DB destination-db] [REPLACE]`
/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]`: a read, or with STORE a write.
fn sort(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    sort_with(a, c, true)
}

/// `SORT_RO`: SORT without STORE.
fn sort_ro(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    sort_with(a, c, false)
}

fn sort_with(a: &mut Args, c: &Ctx, may_store: bool) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let mut sort = Sort::default();
    let mut dst = None;
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "ASC" => sort.desc = false,
            "DESC" => sort.desc = true,
            "ALPHA" => sort.alpha = true,
            "BY" => sort.by = Some(a.next_bytes()?),
            "GET" => sort.get.push(a.next_bytes()?),
            "LIMIT" => {
                let offset = a.next_int()?;
                sort.limit = Some((offset, a.next_int()?));
            }
            "STORE" if may_store => dst = Some(a.next_key()?),
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(match dst {
        Some(dst) => Action::write(Command::SortStore {
            db: c.db,
            key,
            sort,
            dst,
        }),
        None => Action::read(Query::Sort {
            db: c.db,
            key,
            sort,
        }),
    })
}

fn copy(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (src, dst) = (a.next_key()?, a.next_key()?);
    let (mut dst_db, mut replace) = (c.db, false);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "DB" => dst_db = db_index(&a.next_bytes()?)?,
            "REPLACE" => replace = true,
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Action::write(Command::Copy {
        db: c.db,
        src,
        dst_db,
        dst,
        replace,
    }))
}

/// `MOVE key db`
fn move_(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let dst_db = db_index(&a.next_bytes()?)?;
    Ok(Action::write(Command::Move {
        db: c.db,
        key,
        dst_db,
    }))
}

/// `SWAPDB index1 index2`
fn swapdb(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let index = |raw: &[u8]| {
        crate::shared::number::parse_i64(raw)
            .ok_or_else(|| CommandError::Other("ERR invalid first DB index".into()))
    };
    let first = index(&a.next_bytes()?)?;
    let second = crate::shared::number::parse_i64(&a.next_bytes()?)
        .ok_or_else(|| CommandError::Other("ERR invalid second DB index".into()))?;
    let range = 0..DATABASES as i64;
    if !range.contains(&first) || !range.contains(&second) {
        return Err(CommandError::Other("ERR DB index is out of range".into()));
    }
    Ok(Action::write(Command::SwapDb {
        a: first as u8,
        b: second as u8,
    }))
}

/// `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT key time [NX|XX|GT|LT]`. A time already past
/// deletes the key, as in Redis.
fn expire_with(
    a: &mut Args,
    c: &Ctx,
    unit_ms: i64,
    absolute: bool,
    name: &str,
) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let amount = a.next_int()?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "NX" => nx = true,
            "XX" => xx = true,
            "GT" => gt = true,
            "LT" => lt = true,
            other => {
                return Err(CommandError::Other(format!(
                    "ERR Unsupported option {other}"
                )));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CommandError::Other(
            "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
        ));
    }
    if gt && lt {
        return Err(CommandError::Other(
            "ERR GT and LT options at the same time are not compatible".into(),
        ));
    }
    // A key without a TTL counts as never expiring, so `XX GT` is `GT`; `XX LT` is not `LT`.
    let cond = match (nx, xx, gt, lt) {
        (true, ..) => ExpireCond::Nx,
        (_, _, true, _) => ExpireCond::Gt,
        (_, true, _, true) => ExpireCond::XxLt,
        (_, _, _, true) => ExpireCond::Lt,
        (_, true, ..) => ExpireCond::Xx,
        _ => ExpireCond::Always,
    };
    let invalid = || CommandError::Other(format!("ERR invalid expire time in '{name}' command"));
    let ms = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    let at_ms = if absolute {
        ms
    } else {
        ms.checked_add(now_ms()).ok_or_else(invalid)?
    };
    Ok(Action::write(Command::Expire {
        db: c.db,
        key,
        at_ms,
        cond,
    }))
}

fn expire(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    expire_with(a, c, 1000, false, "expire")
}

fn pexpire(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    expire_with(a, c, 1, false, "pexpire")
}

fn expireat(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    expire_with(a, c, 1000, true, "expireat")
}

fn pexpireat(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    expire_with(a, c, 1, true, "pexpireat")
}

fn ttl_with(a: &mut Args, c: &Ctx, kind: TtlKind) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Ttl {
        db: c.db,
        key: a.next_key()?,
        kind,
    }))
}

/// `TTL key`
fn ttl(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    ttl_with(a, c, TtlKind::Seconds)
}

/// `PTTL key`
fn pttl(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    ttl_with(a, c, TtlKind::Millis)
}

/// `EXPIRETIME key`
fn expiretime(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    ttl_with(a, c, TtlKind::AtSeconds)
}

/// `PEXPIRETIME key`
fn pexpiretime(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    ttl_with(a, c, TtlKind::AtMillis)
}

/// `PERSIST key`
fn persist(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Persist {
        db: c.db,
        key: a.next_key()?,
    }))
}

pub const COMMANDS: &[Spec] = specs!["generic";
    ("del", -2, WR, (1, -1, 1), "Deletes one or more keys.", del),
    ("unlink", -2, WF, (1, -1, 1), "Asynchronously deletes one or more keys.", del),
    ("exists", -2, RF, (1, -1, 1), "Determines whether one or more keys exist.", exists),
    ("touch", -2, RF, (1, -1, 1), "Returns the number of existing keys out of those specified after updating the time they were last accessed.", exists),
    ("type", 2, RF, (1, 1, 1), "Determines the type of value stored at a key.", type_),
    ("keys", 2, R, (0, 0, 0), "Returns all key names that match a pattern.", keys),
    ("object", -2, R, (2, 2, 1), "A container for object introspection commands.", object),
    ("scan", -2, R, (0, 0, 0), "Iterates over the key names in the database.", scan),
    ("randomkey", 1, R, (0, 0, 0), "Returns a random key name from the database.", randomkey),
    ("rename", 3, WR, (1, 2, 1), "Renames a key and overwrites the destination.", rename),
    ("renamenx", 3, WF, (1, 2, 1), "Renames a key only when the target key name doesn't exist.", renamenx),
    ("move", 3, WF, (1, 1, 1), "Moves a key to another database.", move_),
    ("swapdb", 3, &["write", "fast"], (0, 0, 0), "Swaps two Redis databases.", swapdb),
    ("sort", -2, &["write", "denyoom"], (1, 1, 1), "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", sort),
    ("sort_ro", -2, R, (1, 1, 1), "Returns the sorted elements of a list, a set, or a sorted set.", sort_ro),
    ("copy", -3, W, (1, 2, 1), "Copies the value of a key to a new key.", copy),
    ("expire", -3, WF, (1, 1, 1), "Sets the expiration time of a key in seconds.", expire),
    ("pexpire", -3, WF, (1, 1, 1), "Sets the expiration time of a key in milliseconds.", pexpire),
    ("expireat", -3, WF, (1, 1, 1), "Sets the expiration time of a key to a Unix timestamp.", expireat),
    ("pexpireat", -3, WF, (1, 1, 1), "Sets the expiration time of a key to a Unix milliseconds timestamp.", pexpireat),
    ("ttl", 2, RF, (1, 1, 1), "Returns the expiration time in seconds of a key.", ttl),
    ("pttl", 2, RF, (1, 1, 1), "Returns the expiration time in milliseconds of a key.", pttl),
    ("expiretime", 2, RF, (1, 1, 1), "Returns the expiration time of a key as a Unix timestamp.", expiretime),
    ("pexpiretime", 2, RF, (1, 1, 1), "Returns the expiration time of a key as a Unix milliseconds timestamp.", pexpiretime),
    ("persist", 2, WF, (1, 1, 1), "Removes the expiration time of a key.", persist),
];

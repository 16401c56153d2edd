//! String commands: GET, SET and its relatives, counters, ranges.

use super::{deadline, Action, Ctx, Spec, R, RF, W, WF, WFAST};
use crate::command::kv::{Command, Query};
use crate::command::{CommandError, Expiry, Response, SetCond};
use crate::resp::parse::Args;

/// `GET key`
fn get(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Get {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]`
fn set(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let value = a.next_bytes()?;
    let mut expiry = Expiry::Persist;
    let mut cond = SetCond::Always;
    let mut get = false;
    let mut expiry_set = false;
    while !a.is_empty() {
        let opt = a.next_keyword()?;
        match opt.as_str() {
            "NX" if cond == SetCond::Always => cond = SetCond::IfAbsent,
            "XX" if cond == SetCond::Always => cond = SetCond::IfPresent,
            "GET" => get = true,
            "KEEPTTL" if !expiry_set => {
                expiry = Expiry::Keep;
                expiry_set = true;
            }
            "EX" | "PX" | "EXAT" | "PXAT" if !expiry_set => {
                let amount = a.next_int()?;
                let (unit, absolute) = match opt.as_str() {
                    "EX" => (1000, false),
                    "PX" => (1, false),
                    "EXAT" => (1000, true),
                    _ => (1, true),
                };
                expiry = Expiry::At(deadline(amount, unit, absolute, "set")?);
                expiry_set = true;
            }
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Action::write(Command::Set {
        db: c.db,
        key,
        value,
        expiry,
        cond,
        get,
    }))
}

/// `SETNX key value`
fn setnx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, value) = (a.next_key()?, a.next_bytes()?);
    Ok(Action::write_then(
        Command::Set {
            db: c.db,
            key,
            value,
            expiry: Expiry::Persist,
            cond: SetCond::IfAbsent,
            get: false,
        },
        |r| match r {
            Response::Ok => Response::Int(1),
            Response::Nil => Response::Int(0),
            other => other,
        },
    ))
}

/// `SETEX key seconds value` and `PSETEX key milliseconds value`
fn setex_with(a: &mut Args, c: &Ctx, unit: i64, name: &str) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let amount = a.next_int()?;
    let value = a.next_bytes()?;
    Ok(Action::write(Command::Set {
        db: c.db,
        key,
        value,
        expiry: Expiry::At(deadline(amount, unit, false, name)?),
        cond: SetCond::Always,
        get: false,
    }))
}

fn setex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    setex_with(a, c, 1000, "setex")
}

fn psetex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    setex_with(a, c, 1, "psetex")
}

/// `GETSET key value`
fn getset(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Set {
        db: c.db,
        key: a.next_key()?,
        value: a.next_bytes()?,
        expiry: Expiry::Persist,
        cond: SetCond::Always,
        get: true,
    }))
}

/// `GETDEL key`
fn getdel(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::GetDel {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]`
fn getex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let mut expiry = Expiry::Keep;
    if !a.is_empty() {
        let opt = a.next_keyword()?;
        expiry = match opt.as_str() {
            "PERSIST" => Expiry::Persist,
            "EX" => Expiry::At(deadline(a.next_int()?, 1000, false, "getex")?),
            "PX" => Expiry::At(deadline(a.next_int()?, 1, false, "getex")?),
            "EXAT" => Expiry::At(deadline(a.next_int()?, 1000, true, "getex")?),
            "PXAT" => Expiry::At(deadline(a.next_int()?, 1, true, "getex")?),
            _ => return Err(CommandError::Syntax),
        };
        a.finish()?;
    }
    if expiry == Expiry::Keep {
        // A plain read needs no trip through the log.
        return Ok(Action::read(Query::Get { db: c.db, key }));
    }
    Ok(Action::write(Command::GetEx {
        db: c.db,
        key,
        expiry,
    }))
}

/// `MGET key [key ...]`
fn mget(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::MGet {
        db: c.db,
        keys: a.rest_keys()?,
    }))
}

fn mset_with(
    a: &mut Args,
    c: &Ctx,
    if_none_exist: bool,
    name: &str,
) -> Result<Action, CommandError> {
    if !a.remaining().is_multiple_of(2) {
        return Err(super::wrong_arity(name));
    }
    let mut pairs = Vec::with_capacity(a.remaining() / 2);
    while !a.is_empty() {
        pairs.push((a.next_key()?, a.next_bytes()?));
    }
    Ok(Action::write(Command::MSet {
        db: c.db,
        pairs,
        if_none_exist,
    }))
}

/// `MSET key value [key value ...]`
fn mset(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    mset_with(a, c, false, "mset")
}

/// `MSETNX key value [key value ...]`
fn msetnx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    mset_with(a, c, true, "msetnx")
}

/// `APPEND key value`
fn append(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Append {
        db: c.db,
        key: a.next_key()?,
        value: a.next_bytes()?,
    }))
}

/// `STRLEN key`
fn strlen(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::StrLen {
        db: c.db,
        key: a.next_key()?,
    }))
}

fn incr_by(c: &Ctx, key: bytes::Bytes, delta: i64) -> Action {
    Action::write(Command::IncrBy {
        db: c.db,
        key,
        delta,
    })
}

/// `INCR key`
fn incr(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(incr_by(c, a.next_key()?, 1))
}

/// `DECR key`
fn decr(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(incr_by(c, a.next_key()?, -1))
}

/// `INCRBY key increment`
fn incrby(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(incr_by(c, key, a.next_int()?))
}

/// `DECRBY key decrement`
fn decrby(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let delta = a.next_int()?;
    Ok(incr_by(
        c,
        key,
        delta
            .checked_neg()
            .ok_or_else(|| CommandError::Other("ERR decrement would overflow".into()))?,
    ))
}

/// `INCRBYFLOAT key increment`
fn incrbyfloat(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    // Parsed when applied: Redis checks the key's type and value before the increment.
    let delta = a.next_bytes()?;
    Ok(Action::write(Command::IncrByFloat {
        db: c.db,
        key,
        delta,
    }))
}

/// `GETRANGE key start end` (and its old name `SUBSTR`)
fn getrange(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::GetRange {
        db: c.db,
        key: a.next_key()?,
        start: a.next_int()?,
        end: a.next_int()?,
    }))
}

/// `SETRANGE key offset value`
fn setrange(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let offset = a.next_int()?;
    if offset < 0 {
        return Err(CommandError::Other("ERR offset is out of range".into()));
    }
    Ok(Action::write(Command::SetRange {
        db: c.db,
        key,
        offset: offset as u64,
        value: a.next_bytes()?,
    }))
}

/// The largest SETBIT/GETBIT offset: the last bit of a 512 MiB string (Redis's default
/// proto-max-bulk-len, which bounds it there).
const MAX_BIT_OFFSET: i64 = 512 * 1024 * 1024 * 8 - 1;

/// A SETBIT/GETBIT offset.
fn bit_offset(a: &mut Args) -> Result<u64, CommandError> {
    let raw = a.next_bytes()?;
    crate::shared::number::parse_i64(&raw)
        .filter(|o| (0..=MAX_BIT_OFFSET).contains(o))
        .map(|o| o as u64)
        .ok_or_else(|| {
            CommandError::Other("ERR bit offset is not an integer or out of range".into())
        })
}

/// `SETBIT key offset value`
fn setbit(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let offset = bit_offset(a)?;
    let on = match crate::shared::number::parse_i64(&a.next_bytes()?) {
        Some(0) => false,
        Some(1) => true,
        _ => {
            return Err(CommandError::Other(
                "ERR bit is not an integer or out of range".into(),
            ))
        }
    };
    Ok(Action::write(Command::SetBit {
        db: c.db,
        key,
        offset,
        on,
    }))
}

/// `GETBIT key offset`
fn getbit(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::read(Query::GetBit {
        db: c.db,
        key,
        offset: bit_offset(a)?,
    }))
}

/// `BITCOUNT key [start end [BYTE|BIT]]`
fn bitcount(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::read(Query::BitCount {
        db: c.db,
        key,
        args: a.rest(),
    }))
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
fn lcs(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (ka, kb) = (a.next_key()?, a.next_key()?);
    Ok(Action::read(Query::Lcs {
        db: c.db,
        a: ka,
        b: kb,
        args: a.rest(),
    }))
}

pub const COMMANDS: &[Spec] = specs!["string";
    ("get", 2, RF, (1, 1, 1), "Returns the string value of a key.", get),
    ("set", -3, W, (1, 1, 1), "Sets the string value of a key, ignoring its type.", set),
    ("setnx", 3, WF, (1, 1, 1), "Set the string value of a key only when the key doesn't exist.", setnx),
    ("setex", 4, W, (1, 1, 1), "Sets the string value and expiration time of a key.", setex),
    ("psetex", 4, W, (1, 1, 1), "Sets both string value and expiration time in milliseconds of a key.", psetex),
    ("getset", 3, WF, (1, 1, 1), "Returns the previous string value of a key after setting it to a new value.", getset),
    ("getdel", 2, WFAST, (1, 1, 1), "Returns the string value of a key after deleting the key.", getdel),
    ("getex", -2, WFAST, (1, 1, 1), "Returns the string value of a key after setting its expiration time.", getex),
    ("mget", -2, RF, (1, -1, 1), "Atomically returns the string values of one or more keys.", mget),
    ("mset", -3, W, (1, -1, 2), "Atomically creates or modifies the string values of one or more keys.", mset),
    ("msetnx", -3, W, (1, -1, 2), "Atomically modifies the string values of one or more keys only when all keys don't exist.", msetnx),
    ("append", 3, WF, (1, 1, 1), "Appends a string to the value of a key. Creates the key if it doesn't exist.", append),
    ("strlen", 2, RF, (1, 1, 1), "Returns the length of a string value.", strlen),
    ("incr", 2, WF, (1, 1, 1), "Increments the integer value of a key by one.", incr),
    ("decr", 2, WF, (1, 1, 1), "Decrements the integer value of a key by one.", decr),
    ("incrby", 3, WF, (1, 1, 1), "Increments the integer value of a key by a number.", incrby),
    ("decrby", 3, WF, (1, 1, 1), "Decrements a number from the integer value of a key.", decrby),
    ("incrbyfloat", 3, WF, (1, 1, 1), "Increment the floating point value of a key by a number.", incrbyfloat),
    ("getrange", 4, R, (1, 1, 1), "Returns a substring of the string stored at a key.", getrange),
    ("substr", 4, R, (1, 1, 1), "Returns a substring from a string value.", getrange),
    ("setrange", 4, W, (1, 1, 1), "Overwrites a part of a string value with another by an offset.", setrange),
    ("setbit", 4, W, (1, 1, 1), "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", setbit),
    ("getbit", 3, RF, (1, 1, 1), "Returns a bit value by offset.", getbit),
    ("bitcount", -2, R, (1, 1, 1), "Counts the number of set bits (population counting) in a string.", bitcount),
    ("lcs", -3, R, (1, 2, 1), "Finds the longest common substring.", lcs),
];

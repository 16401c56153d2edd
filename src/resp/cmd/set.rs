//! Set commands: members, random pops and picks, moves, intersections, unions and differences
//! (with their STORE forms), and SSCAN.

use super::{Action, Ctx, Spec, R, RF, W, WF, WFAST};
use crate::command::set::{Combine, Command, Query};
use crate::command::CommandError;
use crate::resp::parse::Args;

fn other(msg: &str) -> CommandError {
    CommandError::Other(msg.into())
}

/// `SADD key member [member ...]`
fn sadd(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::write(Command::Add {
        db: c.db,
        key,
        members: a.rest(),
    }))
}

/// `SREM key member [member ...]`
fn srem(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::write(Command::Rem {
        db: c.db,
        key,
        members: a.rest(),
    }))
}

/// `SISMEMBER key member`
fn sismember(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::IsMember {
        db: c.db,
        key: a.next_key()?,
        member: a.next_bytes()?,
    }))
}

/// `SMISMEMBER key member [member ...]`
fn smismember(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::read(Query::MIsMember {
        db: c.db,
        key,
        members: a.rest(),
    }))
}

/// `SMEMBERS key`
fn smembers(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Members {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `SCARD key`
fn scard(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Card {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `SPOP key [count]`
fn spop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    if a.remaining() > 2 {
        return Err(CommandError::Syntax);
    }
    let key = a.next_key()?;
    let count = if a.is_empty() {
        None
    } else {
        let positive = || other("ERR value is out of range, must be positive");
        let n = a.next_int().map_err(|_| positive())?;
        if n < 0 {
            return Err(positive());
        }
        Some(n as u64)
    };
    Ok(Action::write(Command::Pop {
        db: c.db,
        key,
        count,
        // Chosen here, so that every replica pops the same members.
        seed: rand::random(),
    }))
}

/// `SRANDMEMBER key [count]`
fn srandmember(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    if a.remaining() > 2 {
        return Err(CommandError::Syntax);
    }
    let key = a.next_key()?;
    let count = if a.is_empty() {
        None
    } else {
        let n = a.next_int()?;
        if n == i64::MIN {
            return Err(other("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
        }
        Some(n)
    };
    Ok(Action::read(Query::RandMember {
        db: c.db,
        key,
        count,
    }))
}

/// `SMOVE source destination member`
fn smove(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::Move {
        db: c.db,
        src: a.next_key()?,
        dst: a.next_key()?,
        member: a.next_bytes()?,
    }))
}

fn combine_with(a: &mut Args, c: &Ctx, op: Combine) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Combine {
        db: c.db,
        op,
        keys: a.rest_keys()?,
    }))
}

/// `SINTER key [key ...]`
fn sinter(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Inter)
}

/// `SUNION key [key ...]`
fn sunion(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Union)
}

/// `SDIFF key [key ...]`
fn sdiff(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Diff)
}

fn store_with(a: &mut Args, c: &Ctx, op: Combine) -> Result<Action, CommandError> {
    let dst = a.next_key()?;
    Ok(Action::write(Command::Store {
        db: c.db,
        op,
        dst,
        keys: a.rest_keys()?,
    }))
}

/// `SINTERSTORE destination key [key ...]`
fn sinterstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Inter)
}

/// `SUNIONSTORE destination key [key ...]`
fn sunionstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Union)
}

/// `SDIFFSTORE destination key [key ...]`
fn sdiffstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Diff)
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
fn sintercard(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let numkeys = a
        .next_int()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| other("ERR numkeys should be greater than 0"))?;
    if numkeys as u64 > a.remaining() as u64 {
        return Err(other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut keys = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        keys.push(a.next_key()?);
    }
    let mut limit = 0u64;
    while !a.is_empty() {
        if a.next_keyword()? != "LIMIT" || a.is_empty() {
            return Err(CommandError::Syntax);
        }
        limit = a
            .next_int()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| other("ERR LIMIT can't be negative"))? as u64;
    }
    Ok(Action::read(Query::InterCard {
        db: c.db,
        keys,
        limit,
    }))
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`
fn sscan(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let cursor = std::str::from_utf8(&a.next_bytes()?)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| other("ERR invalid cursor"))?;
    let (mut pattern, mut count) = (None, 10u64);
    // Redis looks the key up before it reads the options: a missing key answers an empty scan
    // and another type WRONGTYPE whatever follows. A count of 0 tells the engine that the
    // options are malformed, to be reported as a syntax error once the key is found.
    while !a.is_empty() {
        let option = a.next_keyword()?;
        if a.is_empty() {
            count = 0;
            break;
        }
        match option.as_str() {
            "COUNT" => {
                let n = a.next_int()?;
                if n < 1 {
                    count = 0;
                    break;
                }
                count = n as u64;
            }
            "MATCH" => pattern = Some(a.next_bytes()?).filter(|p| p.as_ref() != b"*"),
            _ => {
                count = 0;
                break;
            }
        }
    }
    Ok(Action::read(Query::Scan {
        db: c.db,
        key,
        cursor,
        pattern,
        count,
    }))
}

pub const COMMANDS: &[Spec] = specs!["set";
    ("sadd", -3, WF, (1, 1, 1), "Adds one or more members to a set. Creates the key if it doesn't exist.", sadd),
    ("srem", -3, WFAST, (1, 1, 1), "Removes one or more members from a set. Deletes the set if the last member was removed.", srem),
    ("sismember", 3, RF, (1, 1, 1), "Determines whether a member belongs to a set.", sismember),
    ("smismember", -3, RF, (1, 1, 1), "Determines whether multiple members belong to a set.", smismember),
    ("smembers", 2, R, (1, 1, 1), "Returns all members of a set.", smembers),
    ("scard", 2, RF, (1, 1, 1), "Returns the number of members in a set.", scard),
    ("spop", -2, WFAST, (1, 1, 1), "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.", spop),
    ("srandmember", -2, R, (1, 1, 1), "Get one or multiple random members from a set", srandmember),
    ("smove", 4, WFAST, (1, 2, 1), "Moves a member from one set to another.", smove),
    ("sinter", -2, R, (1, -1, 1), "Returns the intersect of multiple sets.", sinter),
    ("sintercard", -3, R, (0, 0, 0), "Returns the number of members of the intersect of multiple sets.", sintercard),
    ("sinterstore", -3, W, (1, -1, 1), "Stores the intersect of multiple sets in a key.", sinterstore),
    ("sunion", -2, R, (1, -1, 1), "Returns the union of multiple sets.", sunion),
    ("sunionstore", -3, W, (1, -1, 1), "Stores the union of multiple sets in a key.", sunionstore),
    ("sdiff", -2, R, (1, -1, 1), "Returns the difference of multiple sets.", sdiff),
    ("sdiffstore", -3, W, (1, -1, 1), "Stores the difference of multiple sets in a key.", sdiffstore),
    ("sscan", -3, R, (1, 1, 1), "Iterates over members of a set.", sscan),
];

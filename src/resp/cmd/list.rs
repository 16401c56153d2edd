//! List commands, queues included: pushes, pops, ranges, and the blocking pops.

use bytes::Bytes;

use super::{block_timeout, Action, Block, Ctx, Spec, R, RF, W, WF, WR};
use crate::command::list::{Command, Query};
use crate::command::{CommandError, End};
use crate::resp::parse::Args;

fn end(a: &mut Args) -> Result<End, CommandError> {
    match a.next_keyword()?.as_str() {
        "LEFT" => Ok(End::Left),
        "RIGHT" => Ok(End::Right),
        _ => Err(CommandError::Syntax),
    }
}

fn push_with(
    a: &mut Args,
    c: &Ctx,
    end: End,
    only_if_exists: bool,
) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::write(Command::Push {
        db: c.db,
        key,
        end,
        values: a.rest(),
        only_if_exists,
    }))
}

/// `LPUSH key element [element ...]`
fn lpush(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    push_with(a, c, End::Left, false)
}

/// `RPUSH key element [element ...]`
fn rpush(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    push_with(a, c, End::Right, false)
}

/// `LPUSHX key element [element ...]`
fn lpushx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    push_with(a, c, End::Left, true)
}

/// `RPUSHX key element [element ...]`
fn rpushx(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    push_with(a, c, End::Right, true)
}

fn pop_with(a: &mut Args, c: &Ctx, end: End, name: &str) -> Result<Action, CommandError> {
    if a.remaining() > 2 {
        return Err(super::wrong_arity(name));
    }
    let key = a.next_key()?;
    let count = if a.is_empty() {
        None
    } else {
        let n = a.next_int().map_err(|_| positive_error())?;
        if n < 0 {
            return Err(positive_error());
        }
        Some(n as u64)
    };
    a.finish()?;
    Ok(Action::write(Command::Pop {
        db: c.db,
        key,
        end,
        count,
    }))
}

fn positive_error() -> CommandError {
    CommandError::Other("ERR value is out of range, must be positive".into())
}

/// `LPOP key [count]`
fn lpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    pop_with(a, c, End::Left, "lpop")
}

/// `RPOP key [count]`
fn rpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    pop_with(a, c, End::Right, "rpop")
}

/// `LLEN key`
fn llen(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::LLen {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `LRANGE key start stop`
fn lrange(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::LRange {
        db: c.db,
        key: a.next_key()?,
        start: a.next_int()?,
        stop: a.next_int()?,
    }))
}

/// `LINDEX key index`
fn lindex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::LIndex {
        db: c.db,
        key: a.next_key()?,
        index: a.next_int()?,
    }))
}

/// `LSET key index element`
fn lset(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::LSet {
        db: c.db,
        key: a.next_key()?,
        index: a.next_int()?,
        value: a.next_bytes()?,
    }))
}

/// `LREM key count element`
fn lrem(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::LRem {
        db: c.db,
        key: a.next_key()?,
        count: a.next_int()?,
        value: a.next_bytes()?,
    }))
}

/// `LTRIM key start stop`
fn ltrim(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::LTrim {
        db: c.db,
        key: a.next_key()?,
        start: a.next_int()?,
        stop: a.next_int()?,
    }))
}

/// `LINSERT key BEFORE|AFTER pivot element`
fn linsert(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let before = match a.next_keyword()?.as_str() {
        "BEFORE" => true,
        "AFTER" => false,
        _ => return Err(CommandError::Syntax),
    };
    Ok(Action::write(Command::LInsert {
        db: c.db,
        key,
        before,
        pivot: a.next_bytes()?,
        value: a.next_bytes()?,
    }))
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
fn lpos(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (key, element) = (a.next_key()?, a.next_bytes()?);
    let (mut rank, mut count, mut max_len) = (1i64, None, 0u64);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "RANK" => {
                rank = a.next_int()?;
                if rank == i64::MIN {
                    return Err(CommandError::Other("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807".into()));
                }
                if rank == 0 {
                    return Err(CommandError::Other("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into()));
                }
            }
            "COUNT" => {
                let negative = || CommandError::Other("ERR COUNT can't be negative".into());
                let n = a.next_int().map_err(|_| negative())?;
                if n < 0 {
                    return Err(negative());
                }
                count = Some(n as u64);
            }
            "MAXLEN" => {
                let negative = || CommandError::Other("ERR MAXLEN can't be negative".into());
                let n = a.next_int().map_err(|_| negative())?;
                if n < 0 {
                    return Err(negative());
                }
                max_len = n as u64;
            }
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Action::read(Query::LPos {
        db: c.db,
        key,
        element,
        rank,
        count,
        max_len,
    }))
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
fn lmove(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (src, dst) = (a.next_key()?, a.next_key()?);
    let (from, to) = (end(a)?, end(a)?);
    Ok(Action::write(Command::LMove {
        db: c.db,
        src,
        dst,
        from,
        to,
    }))
}

/// `RPOPLPUSH source destination`
fn rpoplpush(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::write(Command::LMove {
        db: c.db,
        src: a.next_key()?,
        dst: a.next_key()?,
        from: End::Right,
        to: End::Left,
    }))
}

/// The `numkeys key [key ...] LEFT|RIGHT [COUNT count]` tail shared by LMPOP and BLMPOP.
fn mpop_args(a: &mut Args) -> Result<(Vec<Bytes>, End, u64), CommandError> {
    let numkeys = a.next_int().map_err(|_| numkeys_error())?;
    if numkeys <= 0 {
        return Err(numkeys_error());
    }
    if numkeys as usize > a.remaining() {
        return Err(CommandError::Syntax);
    }
    let mut keys = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        keys.push(a.next_key()?);
    }
    let end = end(a)?;
    let mut count = 1u64;
    if !a.is_empty() {
        if a.next_keyword()? != "COUNT" {
            return Err(CommandError::Syntax);
        }
        let bad_count = || CommandError::Other("ERR count should be greater than 0".into());
        let n = a.next_int().map_err(|_| bad_count())?;
        if n <= 0 {
            return Err(CommandError::Other(
                "ERR count should be greater than 0".into(),
            ));
        }
        count = n as u64;
        a.finish()?;
    }
    Ok((keys, end, count))
}

fn numkeys_error() -> CommandError {
    CommandError::Other("ERR numkeys should be greater than 0".into())
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
fn lmpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (keys, end, count) = mpop_args(a)?;
    Ok(Action::write(Command::MPop {
        db: c.db,
        keys,
        end,
        count,
    }))
}

fn bpop_with(a: &mut Args, c: &Ctx, end: End) -> Result<Action, CommandError> {
    let mut keys = a.rest();
    let timeout = block_timeout(&keys.pop().ok_or(CommandError::Syntax)?)?;
    for k in &keys {
        if k.len() > crate::shared::limits::MAX_KEY_LEN {
            return Err(CommandError::KeyTooLong(crate::shared::limits::MAX_KEY_LEN));
        }
    }
    Ok(Action::Block(Block {
        db: c.db,
        attempt: Command::PopFirst {
            db: c.db,
            keys: keys.clone(),
            end,
        }
        .into(),
        keys,
        timeout,
    }))
}

/// `BLPOP key [key ...] timeout`
fn blpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    bpop_with(a, c, End::Left)
}

/// `BRPOP key [key ...] timeout`
fn brpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    bpop_with(a, c, End::Right)
}

fn blocking_move(
    c: &Ctx,
    src: Bytes,
    dst: Bytes,
    from: End,
    to: End,
    raw_timeout: &[u8],
) -> Result<Action, CommandError> {
    Ok(Action::Block(Block {
        db: c.db,
        keys: vec![src.clone()],
        attempt: Command::LMove {
            db: c.db,
            src,
            dst,
            from,
            to,
        }
        .into(),
        timeout: block_timeout(raw_timeout)?,
    }))
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
fn blmove(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (src, dst) = (a.next_key()?, a.next_key()?);
    let (from, to) = (end(a)?, end(a)?);
    blocking_move(c, src, dst, from, to, &a.next_bytes()?)
}

/// `BRPOPLPUSH source destination timeout`
fn brpoplpush(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (src, dst) = (a.next_key()?, a.next_key()?);
    blocking_move(c, src, dst, End::Right, End::Left, &a.next_bytes()?)
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
fn blmpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let timeout = block_timeout(&a.next_bytes()?)?;
    let (keys, end, count) = mpop_args(a)?;
    Ok(Action::Block(Block {
        db: c.db,
        attempt: Command::MPop {
            db: c.db,
            keys: keys.clone(),
            end,
            count,
        }
        .into(),
        keys,
        timeout,
    }))
}

const BLOCKING: &[&str] = &["write", "blocking"];

pub const COMMANDS: &[Spec] = specs!["list";
    ("lpush", -3, WF, (1, 1, 1), "Prepends one or more elements to a list. Creates the key if it doesn't exist.", lpush),
    ("rpush", -3, WF, (1, 1, 1), "Appends one or more elements to a list. Creates the key if it doesn't exist.", rpush),
    ("lpushx", -3, WF, (1, 1, 1), "Prepends one or more elements to a list only when the list exists.", lpushx),
    ("rpushx", -3, WF, (1, 1, 1), "Appends an element to a list only when the list exists.", rpushx),
    ("lpop", -2, WF, (1, 1, 1), "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", lpop),
    ("rpop", -2, WF, (1, 1, 1), "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", rpop),
    ("llen", 2, RF, (1, 1, 1), "Returns the length of a list.", llen),
    ("lrange", 4, R, (1, 1, 1), "Returns a range of elements from a list.", lrange),
    ("lindex", 3, R, (1, 1, 1), "Returns an element from a list by its index.", lindex),
    ("lset", 4, W, (1, 1, 1), "Sets the value of an element in a list by its index.", lset),
    ("lrem", 4, WR, (1, 1, 1), "Removes elements from a list. Deletes the list if the last element was removed.", lrem),
    ("ltrim", 4, WR, (1, 1, 1), "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", ltrim),
    ("linsert", 5, W, (1, 1, 1), "Inserts an element before or after another element in a list.", linsert),
    ("lpos", -3, R, (1, 1, 1), "Returns the index of matching elements in a list.", lpos),
    ("lmove", 5, W, (1, 2, 1), "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", lmove),
    ("rpoplpush", 3, W, (1, 2, 1), "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", rpoplpush),
    ("lmpop", -4, WR, (0, 0, 0), "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", lmpop),
    ("blpop", -3, BLOCKING, (1, -2, 1), "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blpop),
    ("brpop", -3, BLOCKING, (1, -2, 1), "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", brpop),
    ("blmove", 6, BLOCKING, (1, 2, 1), "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", blmove),
    ("brpoplpush", 4, BLOCKING, (1, 2, 1), "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", brpoplpush),
    ("blmpop", -5, BLOCKING, (0, 0, 0), "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", blmpop),
];

//! Sorted set commands: adds and removals, scores, ranks, the ZRANGE family, pops (blocking ones
//! included), random members, and the set operations.

use bytes::Bytes;

use super::{block_timeout, Action, Block, Ctx, Spec, R, RF, W, WF, WFAST, WR};
use crate::command::zset::{
    AddFlags, Aggregate, Combine, Command, Inputs, LexBound, Query, Range, ScoreBound, Select, Side,
};
use crate::command::CommandError;
use crate::resp::parse::Args;
use crate::shared::limits::MAX_KEY_LEN;
use crate::shared::number::parse_float;

/// A member to store: its records' keys hold it whole, so it is held to the limit of a key name.
fn member(m: Bytes) -> Result<Bytes, CommandError> {
    if m.len() > MAX_KEY_LEN {
        return Err(CommandError::KeyTooLong(MAX_KEY_LEN));
    }
    Ok(m)
}

fn other(msg: &str) -> CommandError {
    CommandError::Other(msg.into())
}

fn positive_error() -> CommandError {
    other("ERR value is out of range, must be positive")
}

/// A float as Redis reads scores, increments and weights: like [`parse_float`], but a finite
/// number too big or too small for a double (`1e400`, `1e-400`) is refused, where `strtod`
/// reports a range error.
fn strict_float(raw: &[u8]) -> Option<f64> {
    let v = parse_float(raw)?;
    let mantissa = raw.split(|&c| c == b'e' || c == b'E').next().unwrap_or(raw);
    let overflow = v.is_infinite() && !raw.iter().any(|c| c.eq_ignore_ascii_case(&b'i'));
    let underflow = v == 0.0 && mantissa.iter().any(|c| (b'1'..=b'9').contains(c));
    (!overflow && !underflow).then_some(v)
}

/// A score or increment (`ERR value is not a valid float` otherwise).
fn score(raw: &[u8]) -> Result<f64, CommandError> {
    strict_float(raw).ok_or(CommandError::NotFloat)
}

/// One end of a score range: `1.5`, `(1.5`, `-inf`, `+inf`.
fn score_bound(raw: &[u8]) -> Option<ScoreBound> {
    let (exclusive, num) = match raw.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, raw),
    };
    Some(ScoreBound {
        value: parse_float(num)?,
        exclusive,
    })
}

fn score_range(min: &[u8], max: &[u8]) -> Result<Range, CommandError> {
    match (score_bound(min), score_bound(max)) {
        (Some(min), Some(max)) => Ok(Range::Score { min, max }),
        _ => Err(other("ERR min or max is not a float")),
    }
}

/// One end of a lex range: `-`, `+`, `[member`, `(member`.
fn lex_bound(raw: &Bytes) -> Option<LexBound> {
    match raw.first()? {
        b'-' if raw.len() == 1 => Some(LexBound::Min),
        b'+' if raw.len() == 1 => Some(LexBound::Max),
        b'[' => Some(LexBound::Inclusive(raw.slice(1..))),
        b'(' => Some(LexBound::Exclusive(raw.slice(1..))),
        _ => None,
    }
}

fn lex_range(min: &Bytes, max: &Bytes) -> Result<Range, CommandError> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(min), Some(max)) => Ok(Range::Lex { min, max }),
        _ => Err(other("ERR min or max not valid string range item")),
    }
}

fn rank_range(start: &[u8], stop: &[u8]) -> Result<Range, CommandError> {
    let int = |b: &[u8]| crate::shared::number::parse_i64(b).ok_or(CommandError::NotInteger);
    Ok(Range::Rank {
        start: int(start)?,
        stop: int(stop)?,
    })
}

/// What a ZRANGE-family command fixes before its options are read.
#[derive(Clone, Copy, PartialEq)]
enum By {
    /// `ZRANGE`/`ZRANGESTORE`: BYSCORE or BYLEX may say, else by rank.
    Auto,
    Rank,
    Score,
    Lex,
}

/// The `min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]` tail of the ZRANGE
/// family, checked as Redis does: options first, then their conflicts, then the bounds.
/// `rev` is `None` where REV is an option (ZRANGE), else fixed by the command.
fn range_args(
    a: &mut Args,
    store: bool,
    mut by: By,
    rev: Option<bool>,
) -> Result<(Select, bool), CommandError> {
    let (first, second) = (a.next_bytes()?, a.next_bytes()?);
    let mut with_scores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut reverse = rev.unwrap_or(false);
    while !a.is_empty() {
        let opt = a.next_keyword()?;
        match opt.as_str() {
            "WITHSCORES" if !store => with_scores = true,
            "LIMIT" if a.remaining() >= 2 => {
                let offset = a.next_int()?;
                let count = a.next_int()?;
                limit = Some((offset, count));
            }
            "REV" if rev.is_none() => reverse = true,
            "BYLEX" if by == By::Auto => by = By::Lex,
            "BYSCORE" if by == By::Auto => by = By::Score,
            _ => return Err(CommandError::Syntax),
        }
    }
    if by == By::Auto {
        by = By::Rank;
    }
    if by == By::Rank && limit.is_some_and(|(_, count)| count != -1) {
        return Err(other(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && by == By::Lex {
        return Err(other(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    // In reverse, score and lex ranges are given high end first.
    let (min, max) = if reverse && by != By::Rank {
        (&second, &first)
    } else {
        (&first, &second)
    };
    let range = match by {
        By::Score => score_range(min, max)?,
        By::Lex => lex_range(min, max)?,
        _ => {
            limit = None;
            rank_range(min, max)?
        }
    };
    Ok((
        Select {
            range,
            rev: reverse,
            limit,
        },
        with_scores,
    ))
}

fn range_with(
    a: &mut Args,
    c: &super::Ctx,
    by: By,
    rev: Option<bool>,
) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let (select, with_scores) = range_args(a, false, by, rev)?;
    Ok(Action::read(Query::Range {
        db: c.db,
        key,
        select,
        with_scores,
    }))
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
fn zadd(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let mut rest = a.rest();
    let mut flags = AddFlags::default();
    let mut at = 0;
    while let Some(opt) = rest.get(at) {
        let opt = opt.to_ascii_uppercase();
        match opt.as_slice() {
            b"NX" => flags.nx = true,
            b"XX" => flags.xx = true,
            b"GT" => flags.gt = true,
            b"LT" => flags.lt = true,
            b"CH" => flags.ch = true,
            b"INCR" => flags.incr = true,
            _ => break,
        }
        at += 1;
    }
    let elements = rest.len() - at;
    if elements == 0 || !elements.is_multiple_of(2) {
        return Err(CommandError::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(other(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if ((flags.gt || flags.lt) && flags.nx) || (flags.gt && flags.lt) {
        return Err(other(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if flags.incr && elements > 2 {
        return Err(other(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    let mut items = rest.drain(at..);
    while let (Some(s), Some(m)) = (items.next(), items.next()) {
        pairs.push((score(&s)?, member(m)?));
    }
    Ok(Action::write(Command::Add {
        db: c.db,
        key,
        flags,
        pairs,
    }))
}

/// `ZINCRBY key increment member`
fn zincrby(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let delta = score(&a.next_bytes()?)?;
    Ok(Action::write(Command::IncrBy {
        db: c.db,
        key,
        delta,
        member: member(a.next_bytes()?)?,
    }))
}

/// `ZREM key member [member ...]`
fn zrem(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::write(Command::Rem {
        db: c.db,
        key,
        members: a.rest(),
    }))
}

/// `ZSCORE key member`
fn zscore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Score {
        db: c.db,
        key: a.next_key()?,
        member: a.next_bytes()?,
    }))
}

/// `ZMSCORE key member [member ...]`
fn zmscore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    Ok(Action::read(Query::MScore {
        db: c.db,
        key,
        members: a.rest(),
    }))
}

/// `ZCARD key`
fn zcard(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Card {
        db: c.db,
        key: a.next_key()?,
    }))
}

/// `ZCOUNT key min max`
fn zcount(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let range = score_range(&a.next_bytes()?, &a.next_bytes()?)?;
    Ok(Action::read(Query::Count {
        db: c.db,
        key,
        range,
    }))
}

/// `ZLEXCOUNT key min max`
fn zlexcount(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let range = lex_range(&a.next_bytes()?, &a.next_bytes()?)?;
    Ok(Action::read(Query::Count {
        db: c.db,
        key,
        range,
    }))
}

fn rank_with(a: &mut Args, c: &Ctx, rev: bool) -> Result<Action, CommandError> {
    Ok(Action::read(Query::Rank {
        db: c.db,
        key: a.next_key()?,
        member: a.next_bytes()?,
        rev,
    }))
}

/// `ZRANK key member`
fn zrank(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    rank_with(a, c, false)
}

/// `ZREVRANK key member`
fn zrevrank(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    rank_with(a, c, true)
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
fn zrange(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Auto, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
fn zrevrange(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Rank, Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
fn zrangebyscore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Score, Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
fn zrevrangebyscore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Score, Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
fn zrangebylex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Lex, Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
fn zrevrangebylex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    range_with(a, c, By::Lex, Some(true))
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
fn zrangestore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (dst, src) = (a.next_key()?, a.next_key()?);
    let (select, _) = range_args(a, true, By::Auto, None)?;
    Ok(Action::write(Command::RangeStore {
        db: c.db,
        dst,
        src,
        select,
    }))
}

fn remrange_with(a: &mut Args, c: &Ctx, by: By) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let (min, max) = (a.next_bytes()?, a.next_bytes()?);
    let range = match by {
        By::Score => score_range(&min, &max)?,
        By::Lex => lex_range(&min, &max)?,
        _ => rank_range(&min, &max)?,
    };
    Ok(Action::write(Command::RemRange {
        db: c.db,
        key,
        range,
    }))
}

/// `ZREMRANGEBYRANK key start stop`
fn zremrangebyrank(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    remrange_with(a, c, By::Rank)
}

/// `ZREMRANGEBYSCORE key min max`
fn zremrangebyscore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    remrange_with(a, c, By::Score)
}

/// `ZREMRANGEBYLEX key min max`
fn zremrangebylex(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    remrange_with(a, c, By::Lex)
}

fn pop_with(a: &mut Args, c: &Ctx, side: Side) -> Result<Action, CommandError> {
    if a.remaining() > 2 {
        return Err(CommandError::Syntax);
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
    Ok(Action::write(Command::Pop {
        db: c.db,
        key,
        side,
        count,
    }))
}

/// `ZPOPMIN key [count]`
fn zpopmin(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    pop_with(a, c, Side::Min)
}

/// `ZPOPMAX key [count]`
fn zpopmax(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    pop_with(a, c, Side::Max)
}

/// The `numkeys key [key ...] MIN|MAX [COUNT count]` tail shared by ZMPOP and BZMPOP.
fn mpop_args(a: &mut Args) -> Result<(Vec<Bytes>, Side, u64), CommandError> {
    let numkeys_error = || other("ERR numkeys should be greater than 0");
    let numkeys = a.next_int().map_err(|_| numkeys_error())?;
    if numkeys <= 0 {
        return Err(numkeys_error());
    }
    // The keys and the MIN|MAX after them.
    if numkeys as u64 >= a.remaining() as u64 {
        return Err(CommandError::Syntax);
    }
    let mut keys = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        keys.push(a.next_key()?);
    }
    let side = match a.next_keyword()?.as_str() {
        "MIN" => Side::Min,
        "MAX" => Side::Max,
        _ => return Err(CommandError::Syntax),
    };
    let mut count = None;
    while !a.is_empty() {
        if count.is_some() || a.next_keyword()? != "COUNT" || a.is_empty() {
            return Err(CommandError::Syntax);
        }
        let bad_count = || other("ERR count should be greater than 0");
        let n = a.next_int().map_err(|_| bad_count())?;
        if n <= 0 {
            return Err(bad_count());
        }
        count = Some(n as u64);
    }
    Ok((keys, side, count.unwrap_or(1)))
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
fn zmpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let (keys, side, count) = mpop_args(a)?;
    Ok(Action::write(Command::MPop {
        db: c.db,
        keys,
        side,
        count,
    }))
}

fn bpop_with(a: &mut Args, c: &Ctx, side: Side) -> Result<Action, CommandError> {
    let mut keys = a.rest();
    let timeout = block_timeout(&keys.pop().ok_or(CommandError::Syntax)?)?;
    for k in &keys {
        if k.len() > MAX_KEY_LEN {
            return Err(CommandError::KeyTooLong(MAX_KEY_LEN));
        }
    }
    Ok(Action::Block(Block {
        db: c.db,
        attempt: Command::PopFirst {
            db: c.db,
            keys: keys.clone(),
            side,
        }
        .into(),
        keys,
        timeout,
    }))
}

/// `BZPOPMIN key [key ...] timeout`
fn bzpopmin(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    bpop_with(a, c, Side::Min)
}

/// `BZPOPMAX key [key ...] timeout`
fn bzpopmax(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    bpop_with(a, c, Side::Max)
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`
fn bzmpop(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let timeout = block_timeout(&a.next_bytes()?)?;
    let (keys, side, count) = mpop_args(a)?;
    Ok(Action::Block(Block {
        db: c.db,
        attempt: Command::MPop {
            db: c.db,
            keys: keys.clone(),
            side,
            count,
        }
        .into(),
        keys,
        timeout,
    }))
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`
fn zrandmember(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let mut count = None;
    let mut with_scores = false;
    if !a.is_empty() {
        let n = a.next_int()?;
        if n == i64::MIN {
            return Err(other("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"));
        }
        match a.remaining() {
            0 => {}
            1 if a.next_keyword()? == "WITHSCORES" => {
                if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&n) {
                    return Err(other("ERR value is out of range"));
                }
                with_scores = true;
            }
            _ => return Err(CommandError::Syntax),
        }
        count = Some(n);
    }
    Ok(Action::read(Query::RandMember {
        db: c.db,
        key,
        count,
        with_scores,
    }))
}

/// Which set operation, and which of its options a command takes.
#[derive(Clone, Copy)]
struct SetOp {
    op: Combine,
    name: &'static str,
    store: bool,
}

/// The `numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]` tail
/// of ZUNION, ZINTER, ZDIFF and their STORE forms.
fn inputs_args(a: &mut Args, s: SetOp) -> Result<(Inputs, bool), CommandError> {
    let numkeys = a.next_int()?;
    if numkeys < 1 {
        return Err(other(&format!(
            "ERR at least 1 input key is needed for '{}' command",
            s.name
        )));
    }
    if numkeys as u64 > a.remaining() as u64 {
        return Err(CommandError::Syntax);
    }
    let n = numkeys as usize;
    let mut keys = Vec::with_capacity(n);
    for _ in 0..n {
        keys.push(a.next_key()?);
    }
    let mut weights = vec![1.0; n];
    let mut aggregate = Aggregate::Sum;
    let mut with_scores = false;
    let combines = s.op != Combine::Diff;
    while !a.is_empty() {
        let opt = a.next_keyword()?;
        match opt.as_str() {
            "WEIGHTS" if combines && a.remaining() >= n => {
                for w in weights.iter_mut() {
                    *w = strict_float(&a.next_bytes()?)
                        .ok_or_else(|| other("ERR weight value is not a float"))?;
                }
            }
            "AGGREGATE" if combines && !a.is_empty() => {
                aggregate = match a.next_keyword()?.as_str() {
                    "SUM" => Aggregate::Sum,
                    "MIN" => Aggregate::Min,
                    "MAX" => Aggregate::Max,
                    _ => return Err(CommandError::Syntax),
                };
            }
            "WITHSCORES" if !s.store => with_scores = true,
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok((
        Inputs {
            op: s.op,
            keys,
            weights,
            aggregate,
        },
        with_scores,
    ))
}

fn store_with(
    a: &mut Args,
    c: &Ctx,
    op: Combine,
    name: &'static str,
) -> Result<Action, CommandError> {
    let dst = a.next_key()?;
    let (inputs, _) = inputs_args(
        a,
        SetOp {
            op,
            name,
            store: true,
        },
    )?;
    Ok(Action::write(Command::Store {
        db: c.db,
        dst,
        inputs,
    }))
}

fn combine_with(
    a: &mut Args,
    c: &Ctx,
    op: Combine,
    name: &'static str,
) -> Result<Action, CommandError> {
    let (inputs, with_scores) = inputs_args(
        a,
        SetOp {
            op,
            name,
            store: false,
        },
    )?;
    Ok(Action::read(Query::Combine {
        db: c.db,
        inputs,
        with_scores,
    }))
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]`
fn zunionstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Union, "zunionstore")
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]`
fn zinterstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Inter, "zinterstore")
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
fn zdiffstore(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    store_with(a, c, Combine::Diff, "zdiffstore")
}

/// `ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
fn zunion(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Union, "zunion")
}

/// `ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
fn zinter(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Inter, "zinter")
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
fn zdiff(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    combine_with(a, c, Combine::Diff, "zdiff")
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
fn zintercard(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let numkeys = a.next_int()?;
    if numkeys < 1 {
        return Err(other(
            "ERR at least 1 input key is needed for 'zintercard' command",
        ));
    }
    if numkeys as u64 > a.remaining() as u64 {
        return Err(CommandError::Syntax);
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
        let negative = || other("ERR LIMIT can't be negative");
        let n = a.next_int().map_err(|_| negative())?;
        if n < 0 {
            return Err(negative());
        }
        limit = n as u64;
    }
    Ok(Action::read(Query::InterCard {
        db: c.db,
        keys,
        limit,
    }))
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
fn zscan(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let key = a.next_key()?;
    let cursor = std::str::from_utf8(&a.next_bytes()?)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| other("ERR invalid cursor"))?;
    let (mut pattern, mut count) = (None, 10u64);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "MATCH" if !a.is_empty() => {
                pattern = Some(a.next_bytes()?).filter(|p| p.as_ref() != b"*")
            }
            "COUNT" if !a.is_empty() => {
                let n = a.next_int()?;
                if n < 1 {
                    return Err(CommandError::Syntax);
                }
                count = n as u64;
            }
            _ => return Err(CommandError::Syntax),
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

const BLOCKING: &[&str] = &["write", "blocking"];

pub const COMMANDS: &[Spec] = specs!["sorted-set";
    ("zadd", -4, WF, (1, 1, 1), "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.", zadd),
    ("zincrby", 4, WF, (1, 1, 1), "Increments the score of a member in a sorted set.", zincrby),
    ("zrem", -3, WFAST, (1, 1, 1), "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.", zrem),
    ("zscore", 3, RF, (1, 1, 1), "Returns the score of a member in a sorted set.", zscore),
    ("zmscore", -3, RF, (1, 1, 1), "Returns the score of one or more members in a sorted set.", zmscore),
    ("zcard", 2, RF, (1, 1, 1), "Returns the number of members in a sorted set.", zcard),
    ("zcount", 4, RF, (1, 1, 1), "Returns the count of members in a sorted set that have scores within a range.", zcount),
    ("zlexcount", 4, RF, (1, 1, 1), "Returns the number of members in a sorted set within a lexicographical range.", zlexcount),
    ("zrank", 3, RF, (1, 1, 1), "Returns the index of a member in a sorted set ordered by ascending scores.", zrank),
    ("zrevrank", 3, RF, (1, 1, 1), "Returns the index of a member in a sorted set ordered by descending scores.", zrevrank),
    ("zrange", -4, R, (1, 1, 1), "Returns members in a sorted set within a range of indexes.", zrange),
    ("zrevrange", -4, R, (1, 1, 1), "Returns members in a sorted set within a range of indexes in reverse order.", zrevrange),
    ("zrangebyscore", -4, R, (1, 1, 1), "Returns members in a sorted set within a range of scores.", zrangebyscore),
    ("zrevrangebyscore", -4, R, (1, 1, 1), "Returns members in a sorted set within a range of scores in reverse order.", zrevrangebyscore),
    ("zrangebylex", -4, R, (1, 1, 1), "Returns members in a sorted set within a lexicographical range.", zrangebylex),
    ("zrevrangebylex", -4, R, (1, 1, 1), "Returns members in a sorted set within a lexicographical range in reverse order.", zrevrangebylex),
    ("zrangestore", -5, W, (1, 2, 1), "Stores a range of members from sorted set in a key.", zrangestore),
    ("zremrangebyrank", 4, WR, (1, 1, 1), "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.", zremrangebyrank),
    ("zremrangebyscore", 4, WR, (1, 1, 1), "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.", zremrangebyscore),
    ("zremrangebylex", 4, WR, (1, 1, 1), "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.", zremrangebylex),
    ("zpopmin", -2, WFAST, (1, 1, 1), "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", zpopmin),
    ("zpopmax", -2, WFAST, (1, 1, 1), "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.", zpopmax),
    ("zmpop", -4, WR, (0, 0, 0), "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.", zmpop),
    ("bzpopmin", -3, BLOCKING, (1, -2, 1), "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", bzpopmin),
    ("bzpopmax", -3, BLOCKING, (1, -2, 1), "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise. Deletes the sorted set if the last element was popped.", bzpopmax),
    ("bzmpop", -5, BLOCKING, (0, 0, 0), "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.", bzmpop),
    ("zrandmember", -2, R, (1, 1, 1), "Returns one or more random members from a sorted set.", zrandmember),
    ("zunionstore", -4, W, (1, 1, 1), "Stores the union of multiple sorted sets in a key.", zunionstore),
    ("zinterstore", -4, W, (1, 1, 1), "Stores the intersect of multiple sorted sets in a key.", zinterstore),
    ("zdiffstore", -4, W, (1, 1, 1), "Stores the difference of multiple sorted sets in a key.", zdiffstore),
    ("zunion", -3, R, (0, 0, 0), "Returns the union of multiple sorted sets.", zunion),
    ("zinter", -3, R, (0, 0, 0), "Returns the intersect of multiple sorted sets.", zinter),
    ("zdiff", -3, R, (0, 0, 0), "Returns the difference between multiple sorted sets.", zdiff),
    ("zintercard", -3, R, (0, 0, 0), "Returns the number of members of the intersect of multiple sorted sets.", zintercard),
    ("zscan", -3, R, (1, 1, 1), "Iterates over members and scores of a sorted set.", zscan),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Args {
        Args::new(
            std::iter::once("cmd")
                .chain(words.iter().copied())
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect(),
        )
    }

    fn parse(f: super::super::ParseFn, words: &[&str]) -> Result<Action, CommandError> {
        f(&mut args(words), &Ctx { db: 0 })
    }

    fn err(f: super::super::ParseFn, words: &[&str]) -> String {
        match parse(f, words) {
            Err(CommandError::Other(m)) => m,
            Err(e) => format!("{e:?}"),
            Ok(_) => "ok".into(),
        }
    }

    fn write(f: super::super::ParseFn, words: &[&str]) -> Command {
        match parse(f, words) {
            Ok(Action::Write(crate::command::Command::ZSet(c))) => c,
            Ok(_) => panic!("not a sorted set write"),
            Err(e) => panic!("{e:?}"),
        }
    }

    fn read(f: super::super::ParseFn, words: &[&str]) -> Query {
        match parse(f, words) {
            Ok(Action::Read(crate::command::Query::ZSet(q))) => q,
            Ok(_) => panic!("not a sorted set read"),
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn zadd_checks_like_redis() {
        assert_eq!(
            err(zadd, &["z", "NX", "XX", "1", "a"]),
            "ERR XX and NX options at the same time are not compatible"
        );
        assert_eq!(
            err(zadd, &["z", "GT", "LT", "x", "a"]),
            "ERR GT, LT, and/or NX options at the same time are not compatible"
        );
        assert_eq!(
            err(zadd, &["z", "INCR", "x", "a", "y", "b"]),
            "ERR INCR option supports a single increment-element pair"
        );
        assert_eq!(err(zadd, &["z", "NX", "XX", "1", "a", "2"]), "Syntax");
        assert_eq!(err(zadd, &["z", "1", "a", "INCR", "1"]), "NotFloat");
        assert_eq!(err(zadd, &["z", "nan", "a"]), "NotFloat");
        assert_eq!(err(zadd, &["z", "1e400", "a"]), "NotFloat");
        assert_eq!(err(zadd, &["z", "1e-400", "a"]), "NotFloat");
        assert!(parse(zadd, &["z", "0e5", "a", "-Infinity", "b"]).is_ok());
        let Command::Add { flags, pairs, .. } =
            write(zadd, &["z", "ch", "gt", "1.5", "a", "-inf", "b"])
        else {
            panic!()
        };
        assert!(flags.ch && flags.gt && !flags.nx);
        assert_eq!(
            pairs,
            vec![
                (1.5, Bytes::from("a")),
                (f64::NEG_INFINITY, Bytes::from("b"))
            ]
        );
    }

    #[test]
    fn members_too_long_for_a_record_key_are_refused() {
        let long = "m".repeat(MAX_KEY_LEN + 1);
        assert_eq!(
            err(zadd, &["z", "1", &long]),
            format!("{:?}", CommandError::KeyTooLong(MAX_KEY_LEN))
        );
        assert_eq!(
            err(zincrby, &["z", "1", &long]),
            format!("{:?}", CommandError::KeyTooLong(MAX_KEY_LEN))
        );
    }

    #[test]
    fn score_and_lex_bounds() {
        assert_eq!(
            score_bound(b"(1.5"),
            Some(ScoreBound {
                value: 1.5,
                exclusive: true
            })
        );
        assert_eq!(
            score_bound(b"-inf"),
            Some(ScoreBound {
                value: f64::NEG_INFINITY,
                exclusive: false
            })
        );
        assert_eq!(score_bound(b"[1"), None);
        assert_eq!(score_bound(b"nan"), None);
        assert_eq!(lex_bound(&Bytes::from("-")), Some(LexBound::Min));
        assert_eq!(lex_bound(&Bytes::from("+")), Some(LexBound::Max));
        assert_eq!(
            lex_bound(&Bytes::from("[a")),
            Some(LexBound::Inclusive(Bytes::from("a")))
        );
        assert_eq!(
            lex_bound(&Bytes::from("(")),
            Some(LexBound::Exclusive(Bytes::new()))
        );
        assert_eq!(lex_bound(&Bytes::from("-a")), None);
        assert_eq!(lex_bound(&Bytes::from("a")), None);
        assert_eq!(lex_bound(&Bytes::new()), None);
    }

    #[test]
    fn zrange_options_and_conflicts() {
        let Query::Range {
            select,
            with_scores,
            ..
        } = read(
            zrange,
            &[
                "z",
                "+inf",
                "(1",
                "BYSCORE",
                "REV",
                "LIMIT",
                "1",
                "2",
                "WITHSCORES",
            ],
        )
        else {
            panic!()
        };
        assert!(with_scores && select.rev);
        assert_eq!(select.limit, Some((1, 2)));
        assert_eq!(
            select.range,
            Range::Score {
                min: ScoreBound {
                    value: 1.0,
                    exclusive: true
                },
                max: ScoreBound {
                    value: f64::INFINITY,
                    exclusive: false
                },
            }
        );
        assert_eq!(
            err(zrange, &["z", "0", "-1", "LIMIT", "0", "1"]),
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        );
        assert_eq!(
            err(zrange, &["z", "-", "+", "BYLEX", "WITHSCORES"]),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
        );
        assert_eq!(err(zrange, &["z", "0", "1", "BYSCORE", "BYLEX"]), "Syntax");
        assert_eq!(
            err(zrange, &["z", "0", "-1", "BYSCORE", "LIMIT", "0"]),
            "Syntax"
        );
        assert_eq!(err(zrange, &["z", "0", "1.5"]), "NotInteger");
        assert_eq!(err(zrangebyscore, &["z", "0", "1", "REV"]), "Syntax");
        assert_eq!(err(zrevrange, &["z", "0", "1", "BYSCORE"]), "Syntax");
        assert_eq!(
            err(zrangebylex, &["z", "-", "+", "WITHSCORES"]),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
        );
        assert_eq!(
            err(zrangestore, &["d", "z", "0", "-1", "WITHSCORES"]),
            "Syntax"
        );
        let Query::Range { select, .. } = read(zrevrangebylex, &["z", "[e", "(b"]) else {
            panic!()
        };
        assert_eq!(
            select.range,
            Range::Lex {
                min: LexBound::Exclusive(Bytes::from("b")),
                max: LexBound::Inclusive(Bytes::from("e"))
            }
        );
        assert!(select.rev);
    }

    #[test]
    fn pops_and_blocking_pops() {
        assert_eq!(
            err(zpopmin, &["z", "-1"]),
            "ERR value is out of range, must be positive"
        );
        assert_eq!(err(zpopmin, &["z", "1", "2"]), "Syntax");
        assert_eq!(
            err(zmpop, &["x", "z", "MIN"]),
            "ERR numkeys should be greater than 0"
        );
        assert_eq!(err(zmpop, &["2", "z", "MIN"]), "Syntax");
        assert_eq!(
            err(zmpop, &["1", "z", "MIN", "COUNT", "0"]),
            "ERR count should be greater than 0"
        );
        assert_eq!(
            err(zmpop, &["1", "z", "MAX", "COUNT", "1", "COUNT", "2"]),
            "Syntax"
        );
        assert_eq!(
            write(zmpop, &["1", "z", "max", "COUNT", "3"]),
            Command::MPop {
                db: 0,
                keys: vec![Bytes::from("z")],
                side: Side::Max,
                count: 3
            }
        );
        match parse(bzpopmin, &["a", "b", "0.5"]) {
            Ok(Action::Block(b)) => {
                assert_eq!(b.keys, vec![Bytes::from("a"), Bytes::from("b")]);
                assert_eq!(b.timeout, Some(std::time::Duration::from_millis(500)));
                let want = Command::PopFirst {
                    db: 0,
                    keys: b.keys.clone(),
                    side: Side::Min,
                };
                assert_eq!(b.attempt, crate::command::Command::from(want));
            }
            _ => panic!(),
        }
        assert_eq!(
            err(bzmpop, &["-1", "1", "z", "MIN"]),
            "ERR timeout is negative"
        );
    }

    #[test]
    fn set_operation_arguments() {
        assert_eq!(
            err(zunionstore, &["d", "0", "z"]),
            "ERR at least 1 input key is needed for 'zunionstore' command"
        );
        assert_eq!(err(zinter, &["x", "z"]), "NotInteger");
        assert_eq!(err(zdiff, &["2", "z"]), "Syntax");
        assert_eq!(
            err(zdiffstore, &["d", "2", "a", "b", "WEIGHTS", "1", "1"]),
            "Syntax"
        );
        assert_eq!(
            err(zinterstore, &["d", "2", "a", "b", "WEIGHTS", "1"]),
            "Syntax"
        );
        assert_eq!(
            err(zinterstore, &["d", "2", "a", "b", "WEIGHTS", "1", "nan"]),
            "ERR weight value is not a float"
        );
        assert_eq!(err(zunionstore, &["d", "1", "a", "WITHSCORES"]), "Syntax");
        assert_eq!(
            err(zintercard, &["2", "a", "b", "LIMIT", "x"]),
            "ERR LIMIT can't be negative"
        );
        let Query::Combine {
            inputs,
            with_scores,
            ..
        } = read(
            zunion,
            &[
                "2",
                "a",
                "b",
                "WEIGHTS",
                "2",
                "0.5",
                "AGGREGATE",
                "max",
                "WITHSCORES",
            ],
        )
        else {
            panic!()
        };
        assert!(with_scores);
        assert_eq!(inputs.weights, vec![2.0, 0.5]);
        assert_eq!(inputs.aggregate, Aggregate::Max);
    }

    #[test]
    fn zrandmember_and_zscan_arguments() {
        assert_eq!(err(zrandmember, &["z", "WITHSCORES"]), "NotInteger");
        assert_eq!(err(zrandmember, &["z", "1", "FOO"]), "Syntax");
        assert_eq!(err(zrandmember, &["z", "1", "WITHSCORES", "FOO"]), "Syntax");
        assert_eq!(err(zscan, &["z", "x"]), "ERR invalid cursor");
        assert_eq!(err(zscan, &["z", "0", "COUNT", "0"]), "Syntax");
        assert_eq!(err(zscan, &["z", "0", "MATCH"]), "Syntax");
    }
}

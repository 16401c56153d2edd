//! Sorted sets: two records per member under the collection's version (see `keys::zset`): the
//! member's score record (ZSCORE, ZADD's lookup) and its entry in the score index, ordered by
//! score then member (ranges, ranks, pops). Every write keeps the two in step and the header's
//! `len` exact.
//!
//! Score and lexicographic ranges are range scans of the index. Ranks are counted by scanning the
//! index from one end: O(rank), which is acceptable for now (an order-statistics index would
//! make them O(log n)).

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use rand::Rng;

use super::coll::{coll_at, live_coll, or_new, repeats, store, CollAt};
use super::header::{CollMeta, Header, Value};
use super::overlay::ScanRange;
use super::scan::{coll_scan, scan_page, try_walk, CollScan};
use super::space::Space;
use super::strings::clamp_range;
use super::{corrupt, keys, ApplyContext, Txn};
use crate::command::zset::{
    AddFlags, Aggregate, Combine, Command, Inputs, LexBound, Query, Range, ScoreBound, Select, Side,
};
use crate::command::{CommandError, Db, KeyType, Response};

/// Index entries read per step of a walk.
const CHUNK: usize = 1024;
/// A sorted set this small is scanned in one ZSCAN step (as Redis does for a listpack).
const SMALL_ZSET: u64 = 128;

/// A member and its score.
type Scored = (Bytes, f64);

fn zset_at(txn: &Txn<'_>, db: Db, key: &[u8], now: i64) -> Result<CollAt, CommandError> {
    coll_at(txn, db, key, now, KeyType::ZSet)
}

fn live_zset(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    now: i64,
) -> Result<Option<CollMeta>, CommandError> {
    live_coll(txn, db, key, now, KeyType::ZSet)
}

fn decode_score(v: &[u8]) -> Result<f64, CommandError> {
    let b: [u8; 8] = v.try_into().map_err(|_| corrupt())?;
    Ok(keys::unordered_f64(b))
}

/// A member's score, if it is one.
fn score_of(txn: &Txn<'_>, version: u64, member: &[u8]) -> Result<Option<f64>, CommandError> {
    match txn.get(Space::ZSets, &keys::score_record(version, member))? {
        None => Ok(None),
        Some(v) => decode_score(&v).map(Some),
    }
}

/// Where the live entries of a sorted set's score index begin and end, as far as the writer
/// knows: a pop leaves a tombstone at the end it took from, and an LSM scan from the end skips
/// every tombstone before the first live entry, so a queue drained by ZPOPMIN would cost more
/// with every pop (200k pops: minutes). Each pop remembers where it stopped and the next starts
/// there.
///
/// A hint is only ever a bound every live entry respects (a pop moves it past what it removed,
/// an insertion beyond it moves it back), so it changes where a scan starts, never what it
/// finds: replicas that hold different hints (or none, after a restart) pop the same members.
/// Only the writer uses them; queries read views that may be older than a hint.
#[derive(Default)]
pub struct PopHints {
    by_version: std::collections::HashMap<u64, Bounds>,
}

/// Every live index entry `e` of the version has `lo <= e < hi`.
#[derive(Clone)]
struct Bounds {
    lo: Vec<u8>,
    hi: Vec<u8>,
}

/// Versions whose bounds are kept, at most; past it they are all forgotten (a scan from the
/// true end is always correct, only slower).
const MAX_HINTS: usize = 4096;

impl PopHints {
    pub fn clear(&mut self) {
        self.by_version.clear();
    }

    fn get(&self, version: u64) -> Option<Bounds> {
        self.by_version.get(&version).cloned()
    }

    fn set(&mut self, version: u64, bounds: Bounds) {
        if self.by_version.len() >= MAX_HINTS && !self.by_version.contains_key(&version) {
            self.by_version.clear();
        }
        self.by_version.insert(version, bounds);
    }

    /// An entry was written: the bounds widen to cover it.
    fn cover(&mut self, version: u64, entry: &[u8]) {
        if let Some(b) = self.by_version.get_mut(&version) {
            if entry < b.lo.as_slice() {
                b.lo = entry.to_vec();
            }
            if entry >= b.hi.as_slice() {
                let mut next = entry.to_vec();
                next.push(0);
                b.hi = next;
            }
        }
    }
}

/// Gives a member the score `new` (it had `old`), in the score record and the index.
fn put_member(txn: &mut Txn<'_>, version: u64, member: &[u8], old: Option<f64>, new: f64) {
    txn.engine
        .pop_hints
        .lock()
        .cover(version, &keys::score_entry(version, new, member));
    if let Some(old) = old {
        txn.delete_record(Space::ZSets, keys::score_entry(version, old, member));
    }
    txn.put_record(
        Space::ZSets,
        keys::score_record(version, member),
        keys::ordered_f64(new).to_vec(),
    );
    txn.put_record(
        Space::ZSets,
        keys::score_entry(version, new, member),
        Vec::new(),
    );
}

fn remove_member(txn: &mut Txn<'_>, version: u64, member: &[u8], score: f64) {
    txn.delete_record(Space::ZSets, keys::score_record(version, member));
    txn.delete_record(Space::ZSets, keys::score_entry(version, score, member));
}

/// The smallest key greater than every key that starts with `k`.
fn past(mut k: Vec<u8>) -> Vec<u8> {
    while let Some(last) = k.pop() {
        if last < u8::MAX {
            k.push(last + 1);
            return k;
        }
    }
    k
}

/// A half-open interval `lo..hi` of score-index keys.
#[derive(Clone)]
struct Span {
    lo: Vec<u8>,
    hi: Vec<u8>,
}

impl Span {
    fn all(version: u64) -> Span {
        let prefix = keys::score_index_prefix(version).to_vec();
        Span {
            hi: past(prefix.clone()),
            lo: prefix,
        }
    }

    fn scores(version: u64, min: &ScoreBound, max: &ScoreBound) -> Span {
        let at = |v: f64, after: bool| {
            let k = keys::score_entry(version, v, &[]);
            if after {
                past(k)
            } else {
                k
            }
        };
        Span {
            lo: at(min.value, min.exclusive),
            hi: at(max.value, !max.exclusive),
        }
    }

    /// Members between two lex bounds, among those with the lowest score: like Redis, a lex
    /// range assumes every member has the same score. `None`: the set is empty.
    fn lex(
        txn: &Txn<'_>,
        version: u64,
        min: &LexBound,
        max: &LexBound,
    ) -> Result<Option<Span>, CommandError> {
        let mut first = None;
        walk_index(txn, version, &Span::all(version), false, 1, |s, _| {
            first = Some(s);
            false
        })?;
        let Some(score) = first else {
            return Ok(None);
        };
        let base = keys::score_entry(version, score, &[]);
        let at = |b: &LexBound, upper: bool| -> Vec<u8> {
            let with = |m: &[u8], nul: bool| {
                let mut k = base.clone();
                k.extend_from_slice(m);
                if nul {
                    k.push(0);
                }
                k
            };
            match b {
                LexBound::Min => base.clone(),
                LexBound::Max => past(base.clone()),
                LexBound::Inclusive(m) => with(m, upper),
                LexBound::Exclusive(m) => with(m, !upper),
            }
        };
        Ok(Some(Span {
            lo: at(min, false),
            hi: at(max, true),
        }))
    }
}

/// Visits the index entries of `version` in `span`, ascending or descending, until `visit`
/// returns false; reads `first_chunk` entries first (a caller that needs few), then bigger
/// chunks.
fn walk_index(
    txn: &Txn<'_>,
    version: u64,
    span: &Span,
    rev: bool,
    first_chunk: usize,
    mut visit: impl FnMut(f64, &[u8]) -> bool,
) -> Result<(), CommandError> {
    if span.lo >= span.hi {
        return Ok(());
    }
    let prefix = keys::score_index_prefix(version);
    let (mut lo, mut hi) = (span.lo.clone(), span.hi.clone());
    let mut chunk = first_chunk.clamp(1, CHUNK);
    loop {
        let range = ScanRange {
            prefix: &prefix,
            from: &lo,
            to: Some(&hi),
            reverse: rev,
            limit: chunk,
        };
        let records = txn.scan(Space::ZSets, &range)?;
        for (k, _) in &records {
            let (score, member) = keys::decode_score_entry(k).ok_or_else(corrupt)?;
            if !visit(score, member) {
                return Ok(());
            }
        }
        if records.len() < chunk {
            return Ok(());
        }
        let Some((last, _)) = records.into_iter().next_back() else {
            return Ok(());
        };
        if rev {
            hi = last;
        } else {
            lo = last;
            lo.push(0);
        }
        chunk = CHUNK;
    }
}

/// Where a range is in the index, how many of its entries to skip and how many to take.
struct Plan {
    span: Span,
    skip: u64,
    take: u64,
}

/// The plan for a range of a live sorted set (`None`: it names nothing). A rank range skips
/// from the end it counts from: O(rank).
fn plan(
    txn: &Txn<'_>,
    meta: &CollMeta,
    range: &Range,
    limit: Option<(i64, i64)>,
) -> Result<Option<Plan>, CommandError> {
    let v = meta.version;
    let (span, skip, take) = match range {
        Range::Rank { start, stop } => {
            let len = i64::try_from(meta.len).unwrap_or(i64::MAX);
            let Some((s, e)) = clamp_range(*start, *stop, len) else {
                return Ok(None);
            };
            (Span::all(v), s as u64, (e - s + 1) as u64)
        }
        Range::Score { min, max } => {
            let Some((skip, take)) = limit_of(limit) else {
                return Ok(None);
            };
            (Span::scores(v, min, max), skip, take)
        }
        Range::Lex { min, max } => {
            let Some((skip, take)) = limit_of(limit) else {
                return Ok(None);
            };
            let Some(span) = Span::lex(txn, v, min, max)? else {
                return Ok(None);
            };
            (span, skip, take)
        }
    };
    Ok((take > 0).then_some(Plan { span, skip, take }))
}

/// `LIMIT offset count` as (skip, take): a negative offset names nothing, a negative count
/// everything after the offset.
fn limit_of(limit: Option<(i64, i64)>) -> Option<(u64, u64)> {
    match limit {
        None => Some((0, u64::MAX)),
        Some((offset, _)) if offset < 0 => None,
        Some((offset, count)) => Some((offset as u64, u64::try_from(count).unwrap_or(u64::MAX))),
    }
}

/// Runs a plan: the members it names, in its order, with their scores.
fn run(
    txn: &Txn<'_>,
    meta: &CollMeta,
    plan: &Plan,
    rev: bool,
) -> Result<Vec<Scored>, CommandError> {
    let mut out = Vec::new();
    let mut skipped = 0u64;
    let need = plan.skip.saturating_add(plan.take).min(CHUNK as u64) as usize;
    walk_index(txn, meta.version, &plan.span, rev, need, |score, m| {
        if skipped < plan.skip {
            skipped += 1;
            return true;
        }
        out.push((Bytes::copy_from_slice(m), score));
        (out.len() as u64) < plan.take
    })?;
    Ok(out)
}

/// The members a selection names, in its order.
pub(super) fn select(
    txn: &Txn<'_>,
    meta: &CollMeta,
    sel: &Select,
) -> Result<Vec<Scored>, CommandError> {
    match plan(txn, meta, &sel.range, sel.limit)? {
        None => Ok(Vec::new()),
        Some(p) => run(txn, meta, &p, sel.rev),
    }
}

/// How many members a range names.
fn count(txn: &Txn<'_>, meta: &CollMeta, range: &Range) -> Result<u64, CommandError> {
    let Some(p) = plan(txn, meta, range, None)? else {
        return Ok(0);
    };
    let mut n = 0u64;
    walk_index(txn, meta.version, &p.span, false, CHUNK, |_, _| {
        n += 1;
        n < p.skip.saturating_add(p.take)
    })?;
    Ok(n.saturating_sub(p.skip))
}

/// `[member, score, ...]`, flat in every protocol (ZPOPMIN without a count).
fn flat_pairs(items: Vec<Scored>) -> Response {
    let mut out = Vec::with_capacity(items.len() * 2);
    for (m, s) in items {
        out.push(Response::Bulk(m));
        out.push(Response::Double(s));
    }
    Response::Array(out)
}

/// Members with their scores where Redis answers a flat array in RESP2 and `[member, score]`
/// pairs in RESP3 (WITHSCORES, ZPOPMIN with a count).
fn score_pairs(items: Vec<Scored>) -> Response {
    Response::Pairs(
        items
            .into_iter()
            .map(|(m, s)| (Response::Bulk(m), Response::Double(s)))
            .collect(),
    )
}

/// Members alone, or with their scores ([`score_pairs`]).
fn scored_reply(items: Vec<Scored>, with_scores: bool) -> Response {
    if with_scores {
        return score_pairs(items);
    }
    Response::Array(items.into_iter().map(|(m, _)| Response::Bulk(m)).collect())
}

/// `[[member, score], ...]`, the same in every protocol (ZMPOP).
fn nested_pairs(items: Vec<Scored>) -> Response {
    Response::Array(
        items
            .into_iter()
            .map(|(m, s)| Response::Array(vec![Response::Bulk(m), Response::Double(s)]))
            .collect(),
    )
}

/// What `ZADD` did.
struct Added {
    added: i64,
    updated: i64,
    /// Members not skipped by NX/XX/GT/LT, and the last one's new score.
    processed: i64,
    score: f64,
}

/// `ZADD` and `ZINCRBY`: refuses a NaN increment before writing anything.
fn add(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    flags: &AddFlags,
    pairs: &[(f64, Bytes)],
    ctx: &ApplyContext,
) -> Result<Added, CommandError> {
    let (raw, live) = zset_at(txn, db, key, ctx.now_ms)?;
    let mut out = Added {
        added: 0,
        updated: 0,
        processed: 0,
        score: 0.0,
    };
    if live.is_none() && flags.xx {
        return Ok(out);
    }
    let (expire_at, mut meta) = or_new(&live, ctx);
    for (score, member) in pairs {
        let current = score_of(txn, meta.version, member)?;
        match current {
            Some(cur) => {
                if flags.nx {
                    continue;
                }
                let new = if flags.incr { cur + score } else { *score };
                if new.is_nan() {
                    return Err(CommandError::ScoreNan);
                }
                if (flags.lt && new >= cur) || (flags.gt && new <= cur) {
                    continue;
                }
                out.processed += 1;
                out.score = new;
                if new != cur {
                    put_member(txn, meta.version, member, Some(cur), new);
                    out.updated += 1;
                }
            }
            None => {
                if flags.xx {
                    continue;
                }
                out.processed += 1;
                out.score = *score;
                put_member(txn, meta.version, member, None, *score);
                meta.len += 1;
                out.added += 1;
            }
        }
    }
    if out.added + out.updated > 0 {
        store(txn, db, key, raw.as_ref(), expire_at, meta, KeyType::ZSet);
    }
    Ok(out)
}

/// Removes `items` (members of the live set `meta` under `key`) and stores what is left.
#[allow(clippy::too_many_arguments)]
fn remove_all(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    raw: Option<&Header>,
    expire_at: Option<i64>,
    mut meta: CollMeta,
    items: &[Scored],
) {
    if items.is_empty() {
        return;
    }
    for (m, s) in items {
        remove_member(txn, meta.version, m, *s);
    }
    meta.len = meta.len.saturating_sub(items.len() as u64);
    store(txn, db, key, raw, expire_at, meta, KeyType::ZSet);
}

/// Pops up to `n` members from one end of the sorted set under `key`, if it is live.
fn pop(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    side: Side,
    n: u64,
    now: i64,
) -> Result<Option<Vec<Scored>>, CommandError> {
    let (raw, live) = zset_at(txn, db, key, now)?;
    let Some((h, meta)) = live else {
        return Ok(None);
    };
    let all = Span::all(meta.version);
    let known = txn.engine.pop_hints.lock().get(meta.version);
    let span = match &known {
        Some(b) => Span {
            lo: b.lo.clone().max(all.lo.clone()),
            hi: b.hi.clone().min(all.hi.clone()),
        },
        None => all.clone(),
    };
    let plan = Plan {
        span,
        skip: 0,
        take: n.min(meta.len),
    };
    if plan.take == 0 {
        return Ok(Some(Vec::new()));
    }
    let items = run(txn, &meta, &plan, side == Side::Max)?;
    if let Some((m, s)) = items.last() {
        // Every live entry is now past the last one taken, at this end.
        let last = keys::score_entry(meta.version, *s, m);
        let mut b = known.unwrap_or(Bounds {
            lo: all.lo,
            hi: all.hi,
        });
        match side {
            // The key right after it (a member that extends this one sorts in between).
            Side::Min => {
                let mut next = last;
                next.push(0);
                b.lo = next;
            }
            Side::Max => b.hi = last,
        }
        txn.engine.pop_hints.lock().set(meta.version, b);
    }
    remove_all(txn, db, key, raw.as_ref(), h.expire_at, meta, &items);
    Ok(Some(items))
}

/// One input of ZUNION and friends, in member order: a plain set's members score 1.
fn read_input(txn: &Txn<'_>, db: Db, key: &[u8], now: i64) -> Result<Vec<Scored>, CommandError> {
    let Some(h) = txn.live(db, key, now)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    match h.value {
        Value::ZSet(c) => {
            let prefix = keys::score_record_prefix(c.version);
            try_walk(txn, Space::ZSets, &prefix, prefix.to_vec(), |k, v| {
                let m = keys::decode_score_record(k).ok_or_else(corrupt)?;
                out.push((Bytes::copy_from_slice(m), decode_score(v)?));
                Ok(true)
            })?;
        }
        Value::Set(c) => {
            let prefix = keys::version_prefix(c.version);
            try_walk(txn, Space::Sets, &prefix, prefix.to_vec(), |k, _| {
                let m = keys::decode_member(k).ok_or_else(corrupt)?;
                out.push((Bytes::copy_from_slice(m), 1.0));
                Ok(true)
            })?;
        }
        _ => return Err(CommandError::WrongType),
    }
    Ok(out)
}

fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            // +inf plus -inf: Redis makes it 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// Score order: by score, then member bytes.
fn sort_scored(items: &mut [Scored]) {
    items.sort_by(|(ma, sa), (mb, sb)| {
        keys::ordered_f64(*sa)
            .cmp(&keys::ordered_f64(*sb))
            .then_with(|| ma.cmp(mb))
    });
}

/// The result of ZUNION/ZINTER/ZDIFF, in score order. Every input is read (and type-checked)
/// first, as Redis does.
fn combine(txn: &Txn<'_>, db: Db, inputs: &Inputs, now: i64) -> Result<Vec<Scored>, CommandError> {
    let mut sets = Vec::with_capacity(inputs.keys.len());
    for key in &inputs.keys {
        sets.push(read_input(txn, db, key, now)?);
    }
    let weight = |i: usize| inputs.weights.get(i).copied().unwrap_or(1.0);
    let weighted = |s: f64, w: f64| {
        let x = s * w;
        if x.is_nan() {
            0.0
        } else {
            x
        }
    };
    // Smallest inputs first, as Redis orders them (which decides where inf - inf turns to 0).
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_by_key(|&i| sets[i].len());
    let mut out: Vec<Scored> = match inputs.op {
        Combine::Union => {
            let mut acc: HashMap<Bytes, f64> = HashMap::new();
            for &i in &order {
                let w = weight(i);
                for (m, s) in &sets[i] {
                    let x = weighted(*s, w);
                    acc.entry(m.clone())
                        .and_modify(|t| aggregate(t, x, inputs.aggregate))
                        .or_insert(x);
                }
            }
            acc.into_iter().collect()
        }
        Combine::Inter => {
            let Some((&first, rest)) = order.split_first() else {
                return Ok(Vec::new());
            };
            let maps: Vec<(usize, HashMap<&[u8], f64>)> = rest
                .iter()
                .map(|&j| (j, sets[j].iter().map(|(m, s)| (m.as_ref(), *s)).collect()))
                .collect();
            let mut out = Vec::new();
            'members: for (m, s) in &sets[first] {
                let mut score = weighted(*s, weight(first));
                for (j, map) in &maps {
                    match map.get(m.as_ref()) {
                        Some(v) => aggregate(&mut score, v * weight(*j), inputs.aggregate),
                        None => continue 'members,
                    }
                }
                out.push((m.clone(), score));
            }
            out
        }
        Combine::Diff => {
            let Some((first, rest)) = sets.split_first() else {
                return Ok(Vec::new());
            };
            let others: HashSet<&[u8]> = rest
                .iter()
                .flat_map(|s| s.iter().map(|(m, _)| m.as_ref()))
                .collect();
            first
                .iter()
                .filter(|(m, _)| !others.contains(m.as_ref()))
                .cloned()
                .collect()
        }
    };
    sort_scored(&mut out);
    Ok(out)
}

/// Replaces whatever `dst` holds with a new sorted set of `items` (no TTL), or deletes it when
/// `items` is empty; replies with the stored size.
fn store_new(
    txn: &mut Txn<'_>,
    db: Db,
    dst: &[u8],
    items: &[Scored],
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let (raw, _) = txn.header(db, dst, ctx.now_ms)?;
    let meta = CollMeta::new(ctx.index, items.len() as u64);
    for (m, s) in items {
        put_member(txn, meta.version, m, None, *s);
    }
    store(txn, db, dst, raw.as_ref(), None, meta, KeyType::ZSet);
    Ok(Response::Int(items.len() as i64))
}

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    match cmd {
        Command::Add {
            db,
            key,
            flags,
            pairs,
        } => {
            let r = add(txn, *db, key, flags, pairs, ctx)?;
            Ok(if flags.incr {
                if r.processed > 0 {
                    Response::Double(r.score)
                } else {
                    Response::Nil
                }
            } else if flags.ch {
                Response::Int(r.added + r.updated)
            } else {
                Response::Int(r.added)
            })
        }
        Command::IncrBy {
            db,
            key,
            delta,
            member,
        } => {
            let flags = AddFlags {
                incr: true,
                ..AddFlags::default()
            };
            let r = add(txn, *db, key, &flags, &[(*delta, member.clone())], ctx)?;
            Ok(Response::Double(r.score))
        }
        Command::Rem { db, key, members } => {
            let (raw, live) = zset_at(txn, *db, key, now)?;
            let Some((h, meta)) = live else {
                return Ok(Response::Int(0));
            };
            let mut gone: Vec<Scored> = Vec::new();
            let mut seen: HashSet<&Bytes> = HashSet::new();
            for m in members {
                if !seen.insert(m) {
                    continue;
                }
                if let Some(s) = score_of(txn, meta.version, m)? {
                    gone.push((m.clone(), s));
                }
            }
            remove_all(txn, *db, key, raw.as_ref(), h.expire_at, meta, &gone);
            Ok(Response::Int(gone.len() as i64))
        }
        Command::RemRange { db, key, range } => {
            let (raw, live) = zset_at(txn, *db, key, now)?;
            let Some((h, meta)) = live else {
                return Ok(Response::Int(0));
            };
            let sel = Select {
                range: range.clone(),
                rev: false,
                limit: None,
            };
            let items = select(txn, &meta, &sel)?;
            remove_all(txn, *db, key, raw.as_ref(), h.expire_at, meta, &items);
            Ok(Response::Int(items.len() as i64))
        }
        Command::Pop {
            db,
            key,
            side,
            count,
        } => {
            let items = pop(txn, *db, key, *side, count.unwrap_or(1), now)?.unwrap_or_default();
            Ok(match count {
                None => flat_pairs(items),
                Some(_) => score_pairs(items),
            })
        }
        Command::MPop {
            db,
            keys,
            side,
            count,
        } => {
            for key in keys {
                if let Some(items) = pop(txn, *db, key, *side, *count, now)? {
                    return Ok(Response::Array(vec![
                        Response::Bulk(key.clone()),
                        nested_pairs(items),
                    ]));
                }
            }
            Ok(Response::NilArray)
        }
        Command::PopFirst { db, keys, side } => {
            for key in keys {
                if let Some(items) = pop(txn, *db, key, *side, 1, now)? {
                    if let Some((m, s)) = items.into_iter().next() {
                        return Ok(Response::Array(vec![
                            Response::Bulk(key.clone()),
                            Response::Bulk(m),
                            Response::Double(s),
                        ]));
                    }
                }
            }
            Ok(Response::NilArray)
        }
        Command::Store { db, dst, inputs } => {
            let items = combine(txn, *db, inputs, now)?;
            store_new(txn, *db, dst, &items, ctx)
        }
        Command::RangeStore {
            db,
            dst,
            src,
            select: sel,
        } => {
            let items = match live_zset(txn, *db, src, now)? {
                None => Vec::new(),
                Some(meta) => select(txn, &meta, sel)?,
            };
            store_new(txn, *db, dst, &items, ctx)
        }
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    match q {
        Query::Score { db, key, member } => {
            let Some(meta) = live_zset(txn, *db, key, now)? else {
                return Ok(Response::Nil);
            };
            Ok(score_of(txn, meta.version, member)?.map_or(Response::Nil, Response::Double))
        }
        Query::MScore { db, key, members } => {
            let meta = live_zset(txn, *db, key, now)?;
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                let s = match &meta {
                    Some(meta) => score_of(txn, meta.version, m)?,
                    None => None,
                };
                out.push(s.map_or(Response::Nil, Response::Double));
            }
            Ok(Response::Array(out))
        }
        Query::Card { db, key } => {
            let len = live_zset(txn, *db, key, now)?.map_or(0, |m| m.len);
            Ok(Response::Int(len as i64))
        }
        Query::Count { db, key, range } => {
            let n = match live_zset(txn, *db, key, now)? {
                None => 0,
                Some(meta) => count(txn, &meta, range)?,
            };
            Ok(Response::Int(n as i64))
        }
        Query::Rank {
            db,
            key,
            member,
            rev,
        } => {
            let Some(meta) = live_zset(txn, *db, key, now)? else {
                return Ok(Response::Nil);
            };
            let Some(score) = score_of(txn, meta.version, member)? else {
                return Ok(Response::Nil);
            };
            // O(rank): counts the entries before the member's.
            let span = Span {
                lo: keys::score_index_prefix(meta.version).to_vec(),
                hi: keys::score_entry(meta.version, score, member),
            };
            let mut rank = 0u64;
            walk_index(txn, meta.version, &span, false, CHUNK, |_, _| {
                rank += 1;
                true
            })?;
            let rank = if *rev {
                meta.len.saturating_sub(rank + 1)
            } else {
                rank
            };
            Ok(Response::Int(rank as i64))
        }
        Query::Range {
            db,
            key,
            select: sel,
            with_scores,
        } => {
            let items = match live_zset(txn, *db, key, now)? {
                None => Vec::new(),
                Some(meta) => select(txn, &meta, sel)?,
            };
            Ok(scored_reply(items, *with_scores))
        }
        Query::RandMember {
            db,
            key,
            count,
            with_scores,
        } => rand_member(txn, *db, key, *count, *with_scores, now),
        Query::Combine {
            db,
            inputs,
            with_scores,
        } => Ok(scored_reply(combine(txn, *db, inputs, now)?, *with_scores)),
        Query::InterCard { db, keys, limit } => {
            let inputs = Inputs {
                op: Combine::Inter,
                keys: keys.clone(),
                weights: vec![1.0; keys.len()],
                aggregate: Aggregate::Sum,
            };
            let n = combine(txn, *db, &inputs, now)?.len() as u64;
            Ok(Response::Int(
                if *limit > 0 { n.min(*limit) } else { n } as i64
            ))
        }
        Query::Scan {
            db,
            key,
            cursor,
            pattern,
            count,
        } => scan(txn, *db, key, *cursor, pattern.as_deref(), *count, now),
    }
}

/// `ZRANDMEMBER`. Members are found by rank, so one index walk serves any number of them.
fn rand_member(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    count: Option<i64>,
    with_scores: bool,
    now: i64,
) -> Result<Response, CommandError> {
    let meta = live_zset(txn, db, key, now)?;
    let Some(count) = count else {
        let Some(meta) = meta else {
            return Ok(Response::Nil);
        };
        let rank = rand::rng().random_range(0..meta.len.max(1));
        let picked = at_ranks(txn, &meta, &[rank])?;
        return Ok(picked
            .into_iter()
            .next()
            .map_or(Response::Nil, |(m, _)| Response::Bulk(m)));
    };
    let n_repeats = if count < 0 { repeats(count)? } else { 0 };
    let Some(meta) = meta else {
        return Ok(Response::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Response::Array(Vec::new()));
    }
    let len = meta.len;
    let mut rng = rand::rng();
    let items = if count > 0 {
        let n = count as u64;
        if n >= len {
            // All of them, in score order.
            run(
                txn,
                &meta,
                &Plan {
                    span: Span::all(meta.version),
                    skip: 0,
                    take: len,
                },
                false,
            )?
        } else {
            let mut ranks: Vec<u64> = rand::seq::index::sample(&mut rng, len as usize, n as usize)
                .into_iter()
                .map(|i| i as u64)
                .collect();
            ranks.sort_unstable();
            let mut items = at_ranks(txn, &meta, &ranks)?;
            // Not in score order: shuffle them as Redis's hash order would.
            use rand::seq::SliceRandom;
            items.shuffle(&mut rng);
            items
        }
    } else {
        let draws: Vec<u64> = (0..n_repeats).map(|_| rng.random_range(0..len)).collect();
        let mut ranks = draws.clone();
        ranks.sort_unstable();
        ranks.dedup();
        let found = at_ranks(txn, &meta, &ranks)?;
        let by_rank: HashMap<u64, &Scored> = ranks.iter().copied().zip(found.iter()).collect();
        draws
            .iter()
            .filter_map(|r| by_rank.get(r).map(|&x| x.clone()))
            .collect()
    };
    Ok(scored_reply(items, with_scores))
}

/// The members at ascending `ranks`, in one walk of the index.
fn at_ranks(txn: &Txn<'_>, meta: &CollMeta, ranks: &[u64]) -> Result<Vec<Scored>, CommandError> {
    let mut out = Vec::with_capacity(ranks.len());
    let mut rank = 0u64;
    let mut next = 0usize;
    if ranks.is_empty() {
        return Ok(out);
    }
    walk_index(
        txn,
        meta.version,
        &Span::all(meta.version),
        false,
        CHUNK,
        |s, m| {
            while next < ranks.len() && ranks[next] == rank {
                out.push((Bytes::copy_from_slice(m), s));
                next += 1;
            }
            rank += 1;
            next < ranks.len()
        },
    )?;
    Ok(out)
}

/// One `ZSCAN` step, in member order: `[cursor, [member, score, ...]]` with the scores as text.
fn scan(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
    now: i64,
) -> Result<Response, CommandError> {
    let Some(meta) = live_zset(txn, db, key, now)? else {
        return Ok(scan_page(0, Vec::new()));
    };
    let at = CollScan {
        space: Space::ZSets,
        prefix: &keys::score_record_prefix(meta.version),
        len: meta.len,
        whole_up_to: SMALL_ZSET,
        name: keys::decode_score_record,
    };
    coll_scan(txn, &at, cursor, pattern, count, |m, v, out| {
        let score = decode_score(v)?;
        out.push(Response::Bulk(Bytes::copy_from_slice(m)));
        out.push(Response::bulk(super::float::format_double(score)));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{kv, set, Expiry, SetCond};
    use crate::engine::testing::{b, TestStore};

    fn zadd(t: &mut TestStore, key: &str, pairs: &[(f64, &str)]) -> Response {
        zadd_with(t, key, AddFlags::default(), pairs)
    }

    fn zadd_with(t: &mut TestStore, key: &str, flags: AddFlags, pairs: &[(f64, &str)]) -> Response {
        t.apply(Command::Add {
            db: 0,
            key: b(key),
            flags,
            pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
        })
    }

    fn score(t: &TestStore, key: &str, member: &str) -> Response {
        t.query(Query::Score {
            db: 0,
            key: b(key),
            member: b(member),
        })
    }

    fn card(t: &TestStore, key: &str) -> Response {
        t.query(Query::Card { db: 0, key: b(key) })
    }

    fn range(
        t: &TestStore,
        key: &str,
        range: Range,
        rev: bool,
        limit: Option<(i64, i64)>,
    ) -> Vec<String> {
        members(&t.query(Query::Range {
            db: 0,
            key: b(key),
            select: Select { range, rev, limit },
            with_scores: false,
        }))
    }

    fn all(t: &TestStore, key: &str) -> Response {
        t.query(Query::Range {
            db: 0,
            key: b(key),
            select: Select {
                range: Range::Rank { start: 0, stop: -1 },
                rev: false,
                limit: None,
            },
            with_scores: true,
        })
    }

    fn members(r: &Response) -> Vec<String> {
        match r {
            Response::Array(items) => items
                .iter()
                .map(|i| match i {
                    Response::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    /// Members with scores as WITHSCORES answers them.
    fn flat(pairs: &[(&str, f64)]) -> Response {
        Response::Pairs(
            pairs
                .iter()
                .map(|(m, s)| (Response::bulk(b(m)), Response::Double(*s)))
                .collect(),
        )
    }

    /// One member and its score as ZPOPMIN without a count answers them: flat in every protocol.
    fn one(m: &str, s: f64) -> Response {
        Response::Array(vec![Response::bulk(b(m)), Response::Double(s)])
    }

    fn sb(value: f64, exclusive: bool) -> ScoreBound {
        ScoreBound { value, exclusive }
    }

    fn set_string(t: &mut TestStore, key: &str) {
        t.apply(kv::Command::Set {
            db: 0,
            key: b(key),
            value: b("v"),
            cond: SetCond::Always,
            expiry: Expiry::Persist,
            get: false,
        });
    }

    fn five(t: &mut TestStore) {
        zadd(
            t,
            "z",
            &[(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")],
        );
    }

    #[test]
    fn zadd_counts_new_members_and_orders_by_score_then_member() {
        let mut t = TestStore::new();
        assert_eq!(
            zadd(&mut t, "z", &[(1.0, "b"), (1.0, "a"), (0.5, "c")]),
            Response::Int(3)
        );
        assert_eq!(
            zadd(&mut t, "z", &[(2.0, "a"), (3.0, "d")]),
            Response::Int(1)
        );
        assert_eq!(card(&t, "z"), Response::Int(4));
        assert_eq!(score(&t, "z", "a"), Response::Double(2.0));
        assert_eq!(score(&t, "z", "x"), Response::Nil);
        assert_eq!(score(&t, "missing", "a"), Response::Nil);
        assert_eq!(
            all(&t, "z"),
            flat(&[("c", 0.5), ("b", 1.0), ("a", 2.0), ("d", 3.0)])
        );
    }

    #[test]
    fn zadd_repeating_a_member_keeps_the_last_score() {
        let mut t = TestStore::new();
        assert_eq!(
            zadd(&mut t, "z", &[(1.0, "a"), (5.0, "a")]),
            Response::Int(1)
        );
        assert_eq!(all(&t, "z"), flat(&[("a", 5.0)]));
        assert_eq!(card(&t, "z"), Response::Int(1));
    }

    #[test]
    fn zadd_nx_xx_gt_lt_ch() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(5.0, "a")]);
        let nx = AddFlags {
            nx: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", nx, &[(9.0, "a"), (1.0, "b")]),
            Response::Int(1)
        );
        assert_eq!(score(&t, "z", "a"), Response::Double(5.0));
        let xx = AddFlags {
            xx: true,
            ch: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", xx, &[(7.0, "a"), (1.0, "c")]),
            Response::Int(1)
        );
        assert_eq!(score(&t, "z", "c"), Response::Nil);
        let gt = AddFlags {
            gt: true,
            ch: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", gt, &[(6.0, "a"), (3.0, "b")]),
            Response::Int(1)
        );
        assert_eq!(score(&t, "z", "a"), Response::Double(7.0));
        let lt = AddFlags {
            lt: true,
            ch: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", lt, &[(6.0, "a"), (1.0, "n")]),
            Response::Int(2)
        );
        assert_eq!(score(&t, "z", "a"), Response::Double(6.0));
        let ch = AddFlags {
            ch: true,
            ..AddFlags::default()
        };
        assert_eq!(zadd_with(&mut t, "z", ch, &[(6.0, "a")]), Response::Int(0));
        let xx = AddFlags {
            xx: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "missing", xx, &[(1.0, "a")]),
            Response::Int(0)
        );
        assert_eq!(card(&t, "missing"), Response::Int(0));
    }

    #[test]
    fn zadd_incr_replies_with_the_score_or_nil() {
        let mut t = TestStore::new();
        let incr = AddFlags {
            incr: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", incr, &[(2.5, "a")]),
            Response::Double(2.5)
        );
        assert_eq!(
            zadd_with(&mut t, "z", incr, &[(0.5, "a")]),
            Response::Double(3.0)
        );
        let nx = AddFlags { nx: true, ..incr };
        assert_eq!(zadd_with(&mut t, "z", nx, &[(1.0, "a")]), Response::Nil);
        let gt = AddFlags { gt: true, ..incr };
        assert_eq!(zadd_with(&mut t, "z", gt, &[(-1.0, "a")]), Response::Nil);
        let xx = AddFlags { xx: true, ..incr };
        assert_eq!(zadd_with(&mut t, "nope", xx, &[(1.0, "a")]), Response::Nil);
    }

    #[test]
    fn nan_scores_are_refused_and_change_nothing() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(f64::INFINITY, "a")]);
        let incr = AddFlags {
            incr: true,
            ..AddFlags::default()
        };
        assert_eq!(
            zadd_with(&mut t, "z", incr, &[(f64::NEG_INFINITY, "a")]),
            Response::Error(CommandError::ScoreNan)
        );
        assert_eq!(
            t.apply(Command::IncrBy {
                db: 0,
                key: b("z"),
                delta: f64::NEG_INFINITY,
                member: b("a")
            }),
            Response::Error(CommandError::ScoreNan)
        );
        assert_eq!(score(&t, "z", "a"), Response::Double(f64::INFINITY));
    }

    #[test]
    fn zincrby_creates_and_adds() {
        let mut t = TestStore::new();
        let incr = |t: &mut TestStore, d: f64| {
            t.apply(Command::IncrBy {
                db: 0,
                key: b("z"),
                delta: d,
                member: b("a"),
            })
        };
        assert_eq!(incr(&mut t, 1.0), Response::Double(1.0));
        assert_eq!(incr(&mut t, 2.5), Response::Double(3.5));
        assert_eq!(incr(&mut t, -3.5), Response::Double(0.0));
        assert_eq!(card(&t, "z"), Response::Int(1));
        assert_eq!(all(&t, "z"), flat(&[("a", 0.0)]));
    }

    #[test]
    fn unchanged_writes_do_not_touch_the_key() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(1.0, "a")]);
        let stamp = |t: &TestStore| {
            let txn = t.engine.begin();
            txn.raw_header(0, b"z").unwrap().map(|h| h.stamp)
        };
        let before = stamp(&t);
        zadd(&mut t, "z", &[(1.0, "a")]);
        let nx = AddFlags {
            nx: true,
            ..AddFlags::default()
        };
        zadd_with(&mut t, "z", nx, &[(3.0, "a")]);
        t.apply(Command::Rem {
            db: 0,
            key: b("z"),
            members: vec![b("x")],
        });
        t.apply(Command::IncrBy {
            db: 0,
            key: b("z"),
            delta: 0.0,
            member: b("a"),
        });
        t.apply(Command::RemRange {
            db: 0,
            key: b("z"),
            range: Range::Score {
                min: sb(5.0, false),
                max: sb(6.0, false),
            },
        });
        assert_eq!(stamp(&t), before);
        zadd(&mut t, "z", &[(2.0, "a")]);
        assert_ne!(stamp(&t), before);
    }

    #[test]
    fn zrem_removes_and_deletes_the_empty_key() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(1.0, "a"), (2.0, "b")]);
        let rem = |t: &mut TestStore, ms: &[&str]| {
            t.apply(Command::Rem {
                db: 0,
                key: b("z"),
                members: ms.iter().map(|m| b(m)).collect(),
            })
        };
        assert_eq!(rem(&mut t, &["a", "a", "x"]), Response::Int(1));
        assert_eq!(all(&t, "z"), flat(&[("b", 2.0)]));
        assert_eq!(rem(&mut t, &["b"]), Response::Int(1));
        assert_eq!(card(&t, "z"), Response::Int(0));
        assert_eq!(
            t.query(crate::command::keys::Query::Exists {
                db: 0,
                keys: vec![b("z")]
            }),
            Response::Int(0)
        );
    }

    #[test]
    fn wrong_type_is_refused() {
        let mut t = TestStore::new();
        set_string(&mut t, "s");
        assert_eq!(
            zadd(&mut t, "s", &[(1.0, "a")]),
            Response::Error(CommandError::WrongType)
        );
        assert_eq!(
            score(&t, "s", "a"),
            Response::Error(CommandError::WrongType)
        );
        assert_eq!(card(&t, "s"), Response::Error(CommandError::WrongType));
        let r = t.apply(Command::Pop {
            db: 0,
            key: b("s"),
            side: Side::Min,
            count: None,
        });
        assert_eq!(r, Response::Error(CommandError::WrongType));
    }

    #[test]
    fn rank_ranges_count_from_either_end() {
        let mut t = TestStore::new();
        five(&mut t);
        let rank = |s, e| Range::Rank { start: s, stop: e };
        assert_eq!(range(&t, "z", rank(1, 2), false, None), ["b", "c"]);
        assert_eq!(range(&t, "z", rank(-2, -1), false, None), ["d", "e"]);
        assert_eq!(
            range(&t, "z", rank(-100, 100), false, None),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(
            range(&t, "z", rank(3, 1), false, None),
            Vec::<String>::new()
        );
        assert_eq!(range(&t, "z", rank(0, 1), true, None), ["e", "d"]);
        assert_eq!(
            range(&t, "missing", rank(0, -1), false, None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn score_ranges_honour_exclusive_bounds_rev_and_limit() {
        let mut t = TestStore::new();
        five(&mut t);
        let score = |a, ax, b, bx| Range::Score {
            min: sb(a, ax),
            max: sb(b, bx),
        };
        assert_eq!(
            range(&t, "z", score(2.0, false, 4.0, false), false, None),
            ["b", "c", "d"]
        );
        assert_eq!(
            range(&t, "z", score(2.0, true, 4.0, true), false, None),
            ["c"]
        );
        assert_eq!(
            range(&t, "z", score(4.0, false, 2.0, false), false, None),
            Vec::<String>::new()
        );
        assert_eq!(
            range(&t, "z", score(2.0, false, 2.0, true), false, None),
            Vec::<String>::new()
        );
        let inf = score(f64::NEG_INFINITY, false, f64::INFINITY, false);
        assert_eq!(range(&t, "z", inf.clone(), true, Some((0, 2))), ["e", "d"]);
        assert_eq!(
            range(&t, "z", inf.clone(), false, Some((3, -1))),
            ["d", "e"]
        );
        assert_eq!(
            range(&t, "z", inf.clone(), false, Some((-1, 2))),
            Vec::<String>::new()
        );
        assert_eq!(
            range(&t, "z", inf, false, Some((1, 0))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn lex_ranges_and_counts() {
        let mut t = TestStore::new();
        zadd(
            &mut t,
            "l",
            &[(0.0, "a"), (0.0, "b"), (0.0, "bb"), (0.0, "c"), (0.0, "d")],
        );
        let lex = |a: LexBound, b: LexBound| Range::Lex { min: a, max: b };
        let inc = |s: &str| LexBound::Inclusive(b(s));
        let exc = |s: &str| LexBound::Exclusive(b(s));
        assert_eq!(
            range(&t, "l", lex(LexBound::Min, LexBound::Max), false, None),
            ["a", "b", "bb", "c", "d"]
        );
        assert_eq!(
            range(&t, "l", lex(inc("b"), exc("c")), false, None),
            ["b", "bb"]
        );
        assert_eq!(
            range(&t, "l", lex(exc("b"), inc("c")), false, None),
            ["bb", "c"]
        );
        assert_eq!(range(&t, "l", lex(inc("b"), inc("b")), false, None), ["b"]);
        assert_eq!(
            range(&t, "l", lex(LexBound::Max, LexBound::Min), false, None),
            Vec::<String>::new()
        );
        assert_eq!(
            range(
                &t,
                "l",
                lex(LexBound::Min, LexBound::Max),
                true,
                Some((1, 2))
            ),
            ["c", "bb"]
        );
        let count = |t: &TestStore, r| {
            t.query(Query::Count {
                db: 0,
                key: b("l"),
                range: r,
            })
        };
        assert_eq!(count(&t, lex(inc("b"), exc("d"))), Response::Int(3));
        assert_eq!(count(&t, lex(exc("a"), exc("b"))), Response::Int(0));
    }

    #[test]
    fn zcount_counts_a_score_range() {
        let mut t = TestStore::new();
        five(&mut t);
        let count = |t: &TestStore, lo: f64, lx: bool, hi: f64, hx: bool| {
            t.query(Query::Count {
                db: 0,
                key: b("z"),
                range: Range::Score {
                    min: sb(lo, lx),
                    max: sb(hi, hx),
                },
            })
        };
        assert_eq!(count(&t, 2.0, false, 4.0, false), Response::Int(3));
        assert_eq!(count(&t, 2.0, true, 4.0, true), Response::Int(1));
        assert_eq!(
            count(&t, f64::NEG_INFINITY, false, f64::INFINITY, false),
            Response::Int(5)
        );
        assert_eq!(count(&t, 5.0, false, 1.0, false), Response::Int(0));
    }

    #[test]
    fn ranks_from_either_end() {
        let mut t = TestStore::new();
        five(&mut t);
        let rank = |t: &TestStore, m: &str, rev| {
            t.query(Query::Rank {
                db: 0,
                key: b("z"),
                member: b(m),
                rev,
            })
        };
        assert_eq!(rank(&t, "a", false), Response::Int(0));
        assert_eq!(rank(&t, "d", false), Response::Int(3));
        assert_eq!(rank(&t, "d", true), Response::Int(1));
        assert_eq!(rank(&t, "x", false), Response::Nil);
    }

    #[test]
    fn big_sets_cross_scan_chunks() {
        let mut t = TestStore::new();
        let pairs: Vec<(f64, String)> = (0..2500).map(|i| (i as f64, format!("m{i:05}"))).collect();
        t.apply(Command::Add {
            db: 0,
            key: b("big"),
            flags: AddFlags::default(),
            pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
        });
        assert_eq!(card(&t, "big"), Response::Int(2500));
        let rank = t.query(Query::Rank {
            db: 0,
            key: b("big"),
            member: b("m02100"),
            rev: false,
        });
        assert_eq!(rank, Response::Int(2100));
        let r = range(
            &t,
            "big",
            Range::Rank {
                start: 2047,
                stop: 2049,
            },
            false,
            None,
        );
        assert_eq!(r, ["m02047", "m02048", "m02049"]);
        let r = range(
            &t,
            "big",
            Range::Rank {
                start: 1500,
                stop: 1500,
            },
            true,
            None,
        );
        assert_eq!(r, ["m00999"]);
        let count = t.query(Query::Count {
            db: 0,
            key: b("big"),
            range: Range::Score {
                min: sb(10.0, true),
                max: sb(2400.0, false),
            },
        });
        assert_eq!(count, Response::Int(2390));
        let removed = t.apply(Command::RemRange {
            db: 0,
            key: b("big"),
            range: Range::Rank {
                start: 0,
                stop: 1999,
            },
        });
        assert_eq!(removed, Response::Int(2000));
        assert_eq!(card(&t, "big"), Response::Int(500));
    }

    #[test]
    fn remrange_by_score_lex_and_rank() {
        let mut t = TestStore::new();
        five(&mut t);
        let rem = |t: &mut TestStore, r| {
            t.apply(Command::RemRange {
                db: 0,
                key: b("z"),
                range: r,
            })
        };
        assert_eq!(
            rem(
                &mut t,
                Range::Score {
                    min: sb(3.0, true),
                    max: sb(f64::INFINITY, false)
                }
            ),
            Response::Int(2)
        );
        assert_eq!(
            rem(
                &mut t,
                Range::Rank {
                    start: -1,
                    stop: -1
                }
            ),
            Response::Int(1)
        );
        assert_eq!(all(&t, "z"), flat(&[("a", 1.0), ("b", 2.0)]));
        assert_eq!(
            rem(
                &mut t,
                Range::Lex {
                    min: LexBound::Min,
                    max: LexBound::Max
                }
            ),
            Response::Int(1)
        );
        assert_eq!(
            rem(&mut t, Range::Rank { start: 0, stop: -1 }),
            Response::Int(1)
        );
        assert_eq!(card(&t, "z"), Response::Int(0));
    }

    #[test]
    fn pops_after_pops_and_inserts_find_every_member() {
        // Members that extend one another under one score, pops from both ends, and inserts
        // on either side of where earlier pops stopped.
        let mut t = TestStore::new();
        zadd(
            &mut t,
            "q",
            &[
                (1.0, "a"),
                (1.0, "ab"),
                (1.0, "abc"),
                (2.0, "b"),
                (3.0, "c"),
            ],
        );
        let pop = |t: &mut TestStore, side| {
            t.apply(Command::Pop {
                db: 0,
                key: b("q"),
                side,
                count: None,
            })
        };
        assert_eq!(pop(&mut t, Side::Min), one("a", 1.0));
        assert_eq!(pop(&mut t, Side::Min), one("ab", 1.0));
        assert_eq!(pop(&mut t, Side::Max), one("c", 3.0));
        zadd(&mut t, "q", &[(0.5, "early"), (9.0, "late"), (1.0, "abcd")]);
        assert_eq!(pop(&mut t, Side::Min), one("early", 0.5));
        assert_eq!(pop(&mut t, Side::Max), one("late", 9.0));
        assert_eq!(pop(&mut t, Side::Min), one("abc", 1.0));
        assert_eq!(pop(&mut t, Side::Min), one("abcd", 1.0));
        assert_eq!(pop(&mut t, Side::Min), one("b", 2.0));
        assert_eq!(card(&t, "q"), Response::Int(0));
    }

    #[test]
    fn pops_take_from_either_end_and_delete_the_empty_key() {
        let mut t = TestStore::new();
        five(&mut t);
        let pop = |t: &mut TestStore, side, count| {
            t.apply(Command::Pop {
                db: 0,
                key: b("z"),
                side,
                count,
            })
        };
        assert_eq!(pop(&mut t, Side::Min, None), one("a", 1.0));
        assert_eq!(
            pop(&mut t, Side::Max, Some(2)),
            flat(&[("e", 5.0), ("d", 4.0)])
        );
        assert_eq!(pop(&mut t, Side::Min, Some(0)), flat(&[]));
        assert_eq!(
            pop(&mut t, Side::Min, Some(10)),
            flat(&[("b", 2.0), ("c", 3.0)])
        );
        assert_eq!(card(&t, "z"), Response::Int(0));
        assert_eq!(pop(&mut t, Side::Min, None), Response::Array(vec![]));
    }

    #[test]
    fn mpop_and_popfirst_take_from_the_first_non_empty_key() {
        let mut t = TestStore::new();
        zadd(&mut t, "z2", &[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        let keys = vec![b("z1"), b("z2")];
        let r = t.apply(Command::MPop {
            db: 0,
            keys: keys.clone(),
            side: Side::Max,
            count: 2,
        });
        assert_eq!(
            r,
            Response::Array(vec![
                Response::bulk("z2"),
                Response::Array(vec![
                    Response::Array(vec![Response::bulk("c"), Response::Double(3.0)]),
                    Response::Array(vec![Response::bulk("b"), Response::Double(2.0)]),
                ]),
            ])
        );
        let r = t.apply(Command::PopFirst {
            db: 0,
            keys: keys.clone(),
            side: Side::Min,
        });
        assert_eq!(
            r,
            Response::Array(vec![
                Response::bulk("z2"),
                Response::bulk("a"),
                Response::Double(1.0)
            ])
        );
        assert_eq!(
            t.apply(Command::PopFirst {
                db: 0,
                keys: keys.clone(),
                side: Side::Min
            }),
            Response::NilArray
        );
        assert_eq!(
            t.apply(Command::MPop {
                db: 0,
                keys,
                side: Side::Min,
                count: 1
            }),
            Response::NilArray
        );
        set_string(&mut t, "s");
        let r = t.apply(Command::PopFirst {
            db: 0,
            keys: vec![b("nope"), b("s")],
            side: Side::Min,
        });
        assert_eq!(r, Response::Error(CommandError::WrongType));
    }

    fn inputs(op: Combine, keys: &[&str], weights: &[f64], aggregate: Aggregate) -> Inputs {
        Inputs {
            op,
            keys: keys.iter().map(|k| b(k)).collect(),
            weights: if weights.is_empty() {
                vec![1.0; keys.len()]
            } else {
                weights.to_vec()
            },
            aggregate,
        }
    }

    fn two(t: &mut TestStore) {
        zadd(t, "z1", &[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        zadd(t, "z2", &[(10.0, "b"), (20.0, "c"), (30.0, "d")]);
        t.apply(set::Command::Add {
            db: 0,
            key: b("s"),
            members: vec![b("a"), b("d"), b("x")],
        });
    }

    #[test]
    fn union_inter_diff_with_weights_and_aggregates() {
        let mut t = TestStore::new();
        two(&mut t);
        let q = |t: &TestStore, i| {
            t.query(Query::Combine {
                db: 0,
                inputs: i,
                with_scores: true,
            })
        };
        assert_eq!(
            q(
                &t,
                inputs(Combine::Union, &["z1", "z2"], &[], Aggregate::Sum)
            ),
            flat(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Union, &["z1", "z2"], &[2.0, 0.5], Aggregate::Sum)
            ),
            flat(&[("a", 2.0), ("b", 9.0), ("d", 15.0), ("c", 16.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Inter, &["z1", "z2"], &[], Aggregate::Max)
            ),
            flat(&[("b", 10.0), ("c", 20.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Inter, &["z1", "z2"], &[3.0, 1.0], Aggregate::Min)
            ),
            flat(&[("b", 6.0), ("c", 9.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Diff, &["z1", "z2"], &[], Aggregate::Sum)
            ),
            flat(&[("a", 1.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Inter, &["z1", "missing"], &[], Aggregate::Sum)
            ),
            flat(&[])
        );
    }

    #[test]
    fn plain_sets_count_as_score_one() {
        let mut t = TestStore::new();
        two(&mut t);
        let q = |t: &TestStore, i| {
            t.query(Query::Combine {
                db: 0,
                inputs: i,
                with_scores: true,
            })
        };
        assert_eq!(
            q(
                &t,
                inputs(Combine::Union, &["z1", "s"], &[], Aggregate::Sum)
            ),
            flat(&[("d", 1.0), ("x", 1.0), ("a", 2.0), ("b", 2.0), ("c", 3.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Inter, &["z1", "s"], &[1.0, 5.0], Aggregate::Sum)
            ),
            flat(&[("a", 6.0)])
        );
        let n = t.query(Query::InterCard {
            db: 0,
            keys: vec![b("s"), b("z2")],
            limit: 0,
        });
        assert_eq!(n, Response::Int(1));
        set_string(&mut t, "str");
        let r = q(
            &t,
            inputs(Combine::Union, &["z1", "str"], &[], Aggregate::Sum),
        );
        assert_eq!(r, Response::Error(CommandError::WrongType));
    }

    #[test]
    fn infinities_sum_to_zero() {
        let mut t = TestStore::new();
        zadd(&mut t, "zi", &[(f64::INFINITY, "a")]);
        zadd(&mut t, "zn", &[(f64::NEG_INFINITY, "a")]);
        let q = |t: &TestStore, i| {
            t.query(Query::Combine {
                db: 0,
                inputs: i,
                with_scores: true,
            })
        };
        assert_eq!(
            q(
                &t,
                inputs(Combine::Union, &["zi", "zn"], &[], Aggregate::Sum)
            ),
            flat(&[("a", 0.0)])
        );
        assert_eq!(
            q(&t, inputs(Combine::Union, &["zi"], &[0.0], Aggregate::Sum)),
            flat(&[("a", 0.0)])
        );
        assert_eq!(
            q(
                &t,
                inputs(Combine::Inter, &["zi", "zn"], &[], Aggregate::Min)
            ),
            flat(&[("a", f64::NEG_INFINITY)])
        );
    }

    #[test]
    fn intercard_stops_at_the_limit() {
        let mut t = TestStore::new();
        two(&mut t);
        let n = |t: &TestStore, limit| {
            t.query(Query::InterCard {
                db: 0,
                keys: vec![b("z1"), b("z2")],
                limit,
            })
        };
        assert_eq!(n(&t, 0), Response::Int(2));
        assert_eq!(n(&t, 1), Response::Int(1));
        assert_eq!(n(&t, 9), Response::Int(2));
    }

    #[test]
    fn stores_replace_the_destination_and_an_empty_result_deletes_it() {
        let mut t = TestStore::new();
        two(&mut t);
        set_string(&mut t, "out");
        let store = |t: &mut TestStore, i| {
            t.apply(Command::Store {
                db: 0,
                dst: b("out"),
                inputs: i,
            })
        };
        assert_eq!(
            store(
                &mut t,
                inputs(Combine::Inter, &["z1", "z2"], &[], Aggregate::Sum)
            ),
            Response::Int(2)
        );
        assert_eq!(all(&t, "out"), flat(&[("b", 12.0), ("c", 23.0)]));
        // The destination may be an input.
        assert_eq!(
            store(
                &mut t,
                inputs(Combine::Union, &["out", "z1"], &[], Aggregate::Sum)
            ),
            Response::Int(3)
        );
        assert_eq!(
            all(&t, "out"),
            flat(&[("a", 1.0), ("b", 14.0), ("c", 26.0)])
        );
        assert_eq!(
            store(
                &mut t,
                inputs(Combine::Diff, &["z1", "z1"], &[], Aggregate::Sum)
            ),
            Response::Int(0)
        );
        assert_eq!(card(&t, "out"), Response::Int(0));
    }

    #[test]
    fn rangestore_stores_a_selection() {
        let mut t = TestStore::new();
        five(&mut t);
        let rs = |t: &mut TestStore, src: &str, range, rev, limit| {
            t.apply(Command::RangeStore {
                db: 0,
                dst: b("dst"),
                src: b(src),
                select: Select { range, rev, limit },
            })
        };
        let inf = Range::Score {
            min: sb(f64::NEG_INFINITY, false),
            max: sb(f64::INFINITY, false),
        };
        assert_eq!(rs(&mut t, "z", inf, true, Some((0, 2))), Response::Int(2));
        assert_eq!(all(&t, "dst"), flat(&[("d", 4.0), ("e", 5.0)]));
        assert_eq!(
            rs(
                &mut t,
                "dst",
                Range::Rank { start: 0, stop: 0 },
                false,
                None
            ),
            Response::Int(1)
        );
        assert_eq!(all(&t, "dst"), flat(&[("d", 4.0)]));
        assert_eq!(
            rs(
                &mut t,
                "missing",
                Range::Rank { start: 0, stop: -1 },
                false,
                None
            ),
            Response::Int(0)
        );
        assert_eq!(card(&t, "dst"), Response::Int(0));
    }

    #[test]
    fn mscore_and_randmember() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(1.0, "a"), (2.5, "b"), (3.0, "c")]);
        let r = t.query(Query::MScore {
            db: 0,
            key: b("z"),
            members: vec![b("a"), b("x"), b("b")],
        });
        assert_eq!(
            r,
            Response::Array(vec![
                Response::Double(1.0),
                Response::Nil,
                Response::Double(2.5)
            ])
        );
        let rm = |t: &TestStore, key: &str, count, with_scores| {
            t.query(Query::RandMember {
                db: 0,
                key: b(key),
                count,
                with_scores,
            })
        };
        assert!(matches!(rm(&t, "z", None, false), Response::Bulk(_)));
        assert_eq!(rm(&t, "missing", None, false), Response::Nil);
        assert_eq!(rm(&t, "missing", Some(3), false), Response::Array(vec![]));
        assert_eq!(rm(&t, "z", Some(0), false), Response::Array(vec![]));
        let mut got = members(&rm(&t, "z", Some(10), false));
        got.sort();
        assert_eq!(got, ["a", "b", "c"]);
        let got = members(&rm(&t, "z", Some(2), false));
        assert_eq!(got.len(), 2);
        assert_ne!(got[0], got[1]);
        let got = members(&rm(&t, "z", Some(-10), false));
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
        match rm(&t, "z", Some(-4), true) {
            Response::Pairs(items) => {
                assert_eq!(items.len(), 4);
                for (m, s) in items {
                    let want = match &m {
                        Response::Bulk(m) if m.as_ref() == b"a" => 1.0,
                        Response::Bulk(m) if m.as_ref() == b"b" => 2.5,
                        _ => 3.0,
                    };
                    assert_eq!(s, Response::Double(want));
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zrandmember_refuses_more_repeats_than_it_would_build_rather_than_answer_short() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(1.0, "a")]);
        let too_many = -(crate::engine::coll::MAX_RANDOM_REPEATS as i64) - 1;
        for key in ["z", "missing"] {
            let r = t.query(Query::RandMember {
                db: 0,
                key: b(key),
                count: Some(too_many),
                with_scores: false,
            });
            assert_eq!(r, Response::Error(CommandError::NotInteger), "{key}");
        }
    }

    #[test]
    fn zscan_returns_members_with_scores_as_text() {
        let mut t = TestStore::new();
        zadd(
            &mut t,
            "z",
            &[(1.0, "a"), (2.5, "b"), (3.0, "ab"), (1e20, "c")],
        );
        let scan = |t: &TestStore, cursor, pattern: Option<&str>, count| {
            t.query(Query::Scan {
                db: 0,
                key: b("z"),
                cursor,
                pattern: pattern.map(b),
                count,
            })
        };
        assert_eq!(
            scan(&t, 0, None, 10),
            Response::Array(vec![
                Response::bulk("0"),
                Response::Array(
                    ["a", "1", "ab", "3", "b", "2.5", "c", "1e+20"]
                        .iter()
                        .map(|s| Response::bulk(b(s)))
                        .collect()
                ),
            ])
        );
        assert_eq!(
            scan(&t, 0, Some("a*"), 10),
            Response::Array(vec![
                Response::bulk("0"),
                Response::Array(
                    ["a", "1", "ab", "3"]
                        .iter()
                        .map(|s| Response::bulk(b(s)))
                        .collect()
                ),
            ])
        );
    }

    #[test]
    fn big_zscan_visits_every_member_once() {
        let mut t = TestStore::new();
        let pairs: Vec<(f64, String)> = (0..500).map(|i| (i as f64, format!("m{i}"))).collect();
        t.apply(Command::Add {
            db: 0,
            key: b("big"),
            flags: AddFlags::default(),
            pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
        });
        let mut seen = HashSet::new();
        let mut cursor = 0u64;
        for _ in 0..1000 {
            let r = t.query(Query::Scan {
                db: 0,
                key: b("big"),
                cursor,
                pattern: None,
                count: 50,
            });
            let Response::Array(parts) = r else { panic!() };
            let Response::Bulk(c) = &parts[0] else {
                panic!()
            };
            let items = members(&parts[1]);
            for p in items.chunks(2) {
                assert!(seen.insert(p[0].clone()), "{} twice", p[0]);
            }
            cursor = std::str::from_utf8(c).unwrap().parse().unwrap();
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 500);
    }

    #[test]
    fn scores_print_as_redis_prints_them() {
        for (v, s) in [
            (1.0, "1"),
            (3.0, "3"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (1000.0, "1000"),
            (12345678.0, "12345678"),
            (1e20, "1e+20"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(crate::engine::float::format_double(v), s, "{v}");
        }
    }

    #[test]
    fn expired_zsets_read_as_absent_and_are_replaced() {
        let mut t = TestStore::new();
        zadd(&mut t, "z", &[(1.0, "a")]);
        t.apply(crate::command::keys::Command::Expire {
            db: 0,
            key: b("z"),
            at_ms: 2_000,
            cond: crate::command::ExpireCond::Always,
        });
        assert_eq!(
            t.query_at(Query::Card { db: 0, key: b("z") }, 3_000),
            Response::Int(0)
        );
        let r = t.apply_at(
            Command::Add {
                db: 0,
                key: b("z"),
                flags: AddFlags::default(),
                pairs: vec![(2.0, b("b"))],
            },
            3_000,
        );
        assert_eq!(r, Response::Int(1));
        assert_eq!(
            t.query_at(
                Query::Range {
                    db: 0,
                    key: b("z"),
                    select: Select {
                        range: Range::Rank { start: 0, stop: -1 },
                        rev: false,
                        limit: None
                    },
                    with_scores: true,
                },
                3_000
            ),
            flat(&[("b", 2.0)])
        );
    }

    #[test]
    fn a_transactions_later_step_sees_earlier_writes() {
        // The overlay serves reads of records written earlier in the same batch.
        let t = TestStore::new();
        let mut txn = t.engine.begin();
        let ctx = |i: u64| ApplyContext {
            index: (1 << 24) + i,
            now_ms: 1_000,
            reply: true,
        };
        let add = Command::Add {
            db: 0,
            key: b("z"),
            flags: AddFlags::default(),
            pairs: vec![(1.0, b("a")), (2.0, b("b"))],
        };
        assert_eq!(apply(&mut txn, &add, &ctx(1)).unwrap(), Response::Int(2));
        let pop = Command::Pop {
            db: 0,
            key: b("z"),
            side: Side::Min,
            count: None,
        };
        assert_eq!(apply(&mut txn, &pop, &ctx(2)).unwrap(), one("a", 1.0));
        let q = Query::Card { db: 0, key: b("z") };
        assert_eq!(query(&txn, &q, 1_000).unwrap(), Response::Int(1));
    }
}

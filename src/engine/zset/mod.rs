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

use crate::command::zset::{
    AddFlags, Aggregate, Combine, Command, Inputs, LexBound, Query, Range, ScoreBound, Select, Side,
};
use crate::command::{CommandError, Db, KeyType, Response};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::coll::{coll_at, live_coll, or_new, repeats, store, CollAt};
use crate::engine::store::header::{CollMeta, Header, Value};
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::scan::{coll_scan, scan_page, try_walk, CollScan};
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::number::clamp_range;

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
        out.push(Response::bulk(crate::shared::float::format_double(score)));
        Ok(())
    })
}

#[cfg(test)]
mod tests;

//! Sets: a header with the set's version and cardinality, and one empty record per member
//! (`version member` in the `sets` keyspace), so membership is one lookup, SCARD reads only the
//! header and DEL is O(1).
//!
//! Random picks (SPOP, SRANDMEMBER) have no index of ranks to use. A set small next to the number
//! of members wanted is read once and sampled exactly; otherwise each pick seeks (see
//! [`Seeker`]), which costs a bounded number of reads whatever the set's size. SPOP draws from
//! the seed the command carries, so every replica pops the same members.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::coll::{coll_at, live_coll, or_new, repeats, store};
use super::header::CollMeta;
use super::overlay::ScanRange;
use super::scan::{coll_scan, scan_page, try_walk, walk, CollScan};
use super::space::Space;
use super::{corrupt, keys, ApplyContext, Txn};
use crate::command::set::{Combine, Command, Query};
use crate::command::{CommandError, Db, KeyType, Response};

/// Members a seeking pick reads on each side of a random position.
const WINDOW: usize = 16;
/// A set at most this many times the number of distinct members wanted is sampled in one pass
/// over it rather than by seeking.
const STREAM_FACTOR: u64 = 64;
/// A set this small comes in one SSCAN step whatever the COUNT, as Redis returns its compact
/// (listpack) sets.
const SMALL_SET: u64 = 128;

/// SplitMix64: small, fast and the same on every platform and release, which is what a
/// replicated pick needs (rand's generators promise no stable output across versions).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `0..n` (`0` when `n` is 0), for the `n` below 2^100 positions make: the
    /// modulo's bias is under 2^-28.
    fn below_u128(&mut self, n: u128) -> u128 {
        if n == 0 {
            return 0;
        }
        let r = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        r % n
    }
}

fn member_record(version: u64, member: &[u8]) -> Vec<u8> {
    keys::member(version, member)
}

fn has(txn: &Txn<'_>, version: u64, member: &[u8]) -> Result<bool, CommandError> {
    Ok(txn
        .get(Space::Sets, &member_record(version, member))?
        .is_some())
}

/// The member of a record key, copied out.
fn member_of(record: &[u8]) -> Result<Bytes, CommandError> {
    keys::decode_member(record)
        .map(Bytes::copy_from_slice)
        .ok_or_else(corrupt)
}

/// Visits the members of a set version in order until `visit` says stop.
fn each_member(
    txn: &Txn<'_>,
    version: u64,
    visit: impl FnMut(&[u8]) -> Result<bool, CommandError>,
) -> Result<(), CommandError> {
    let prefix = keys::version_prefix(version);
    each_record_from(txn, version, prefix.to_vec(), visit)
}

/// Visits the members of a set version from record key `start` on.
fn each_record_from(
    txn: &Txn<'_>,
    version: u64,
    start: Vec<u8>,
    mut visit: impl FnMut(&[u8]) -> Result<bool, CommandError>,
) -> Result<(), CommandError> {
    let prefix = keys::version_prefix(version);
    try_walk(txn, Space::Sets, &prefix, start, |k, _| {
        visit(keys::decode_member(k).ok_or_else(corrupt)?)
    })
}

pub(super) fn all_members(txn: &Txn<'_>, version: u64) -> Result<Vec<Bytes>, CommandError> {
    let mut out = Vec::new();
    each_member(txn, version, |m| {
        out.push(Bytes::copy_from_slice(m));
        Ok(true)
    })?;
    Ok(out)
}

fn bulks(members: Vec<Bytes>) -> Vec<Response> {
    members.into_iter().map(Response::Bulk).collect()
}

/// The live sets under `keys` (`None` for a missing key); WRONGTYPE if any key, wherever it
/// is in the list, holds another type.
fn sources(
    txn: &Txn<'_>,
    db: Db,
    keys: &[Bytes],
    now: i64,
) -> Result<Vec<Option<CollMeta>>, CommandError> {
    keys.iter()
        .map(|k| live_coll(txn, db, k, now, KeyType::Set))
        .collect()
}

/// Emits the members of the intersection, at most `limit` of them (0: no limit); returns how
/// many. Walks the smallest set and looks each member up in the others.
fn inter(
    txn: &Txn<'_>,
    sets: &[Option<CollMeta>],
    limit: u64,
    mut emit: impl FnMut(&[u8]),
) -> Result<u64, CommandError> {
    let Some(mut sets) = sets.iter().copied().collect::<Option<Vec<CollMeta>>>() else {
        return Ok(0);
    };
    sets.sort_by_key(|c| c.len);
    let Some((smallest, others)) = sets.split_first() else {
        return Ok(0);
    };
    let others: Vec<u64> = others
        .iter()
        .map(|c| c.version)
        .filter(|v| *v != smallest.version)
        .collect();
    let mut n = 0u64;
    each_member(txn, smallest.version, |m| {
        for v in &others {
            if !has(txn, *v, m)? {
                return Ok(true);
            }
        }
        emit(m);
        n += 1;
        Ok(limit == 0 || n < limit)
    })?;
    Ok(n)
}

/// The members of the first set that none of the others hold.
fn diff(txn: &Txn<'_>, sets: &[Option<CollMeta>]) -> Result<Vec<Bytes>, CommandError> {
    let Some((Some(first), others)) = sets.split_first() else {
        return Ok(Vec::new());
    };
    let others: Vec<u64> = others.iter().flatten().map(|c| c.version).collect();
    if others.contains(&first.version) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    each_member(txn, first.version, |m| {
        for v in &others {
            if has(txn, *v, m)? {
                return Ok(true);
            }
        }
        out.push(Bytes::copy_from_slice(m));
        Ok(true)
    })?;
    Ok(out)
}

/// The members of the union, the intersection or the difference of `sets`.
fn combine(
    txn: &Txn<'_>,
    op: Combine,
    sets: &[Option<CollMeta>],
) -> Result<Vec<Bytes>, CommandError> {
    match op {
        Combine::Inter => {
            let mut out = Vec::new();
            inter(txn, sets, 0, |m| out.push(Bytes::copy_from_slice(m)))?;
            Ok(out)
        }
        Combine::Diff => diff(txn, sets),
        Combine::Union => {
            let present: Vec<CollMeta> = sets.iter().flatten().copied().collect();
            if let [only] = present[..] {
                return all_members(txn, only.version);
            }
            let mut out = BTreeSet::new();
            for c in present {
                each_member(txn, c.version, |m| {
                    if !out.contains(m) {
                        out.insert(Bytes::copy_from_slice(m));
                    }
                    Ok(true)
                })?;
            }
            Ok(out.into_iter().collect())
        }
    }
}

/// Picks members of one set version at random by seeking, without an index of ranks.
///
/// A member record's *position* is the number its first [`POS_BYTES`] bytes after the prefix
/// that the first and last members share spell. A uniform position lands on member `j` with a
/// probability in proportion to the gap before it, and gaps are uneven. So a try draws a
/// position, reads the [`WINDOW`] members from there and the ones before it, and takes a
/// candidate at a uniform offset into the window: the chance of candidate `j` is then in
/// proportion to the span `S_j` of the `WINDOW` gaps before it, which the try accepts with
/// probability `min(1, c / S_j)` (`c`: half the average span). Members whose span is at least
/// `c` are picked exactly uniformly, ones packed tighter less often. A try costs two reads of
/// `WINDOW` records; after [`MAX_TRIES`] rejected tries a member near a random position is
/// taken (not uniform).
///
/// Member records are keyed by a hash of the member first (`version hash member`, see
/// `keys::set`), so positions are evenly spread whatever the members look like: about two
/// tries do and the picks are uniform.
struct Seeker {
    prefix: [u8; 8],
    /// The first member record.
    first: Vec<u8>,
    /// How long the first and last records' common prefix is (at least the version).
    common: usize,
    /// The positions of the first and last members.
    lo: u128,
    hi: u128,
    len: u64,
}

/// Bytes of a member that make its position (12: positions and their sums fit an `i128`).
const POS_BYTES: usize = 12;
/// Tries at an exactly uniform pick before settling for a nearby one.
const MAX_TRIES: usize = 8;

impl Seeker {
    fn new(txn: &Txn<'_>, meta: CollMeta) -> Result<Option<Seeker>, CommandError> {
        let prefix = keys::version_prefix(meta.version);
        let ends = |reverse| -> Result<Option<Vec<u8>>, CommandError> {
            let range = ScanRange {
                reverse,
                ..ScanRange::prefix(&prefix, 1)
            };
            Ok(txn
                .scan(Space::Sets, &range)?
                .into_iter()
                .next()
                .map(|(k, _)| k))
        };
        let (Some(first), Some(last)) = (ends(false)?, ends(true)?) else {
            return Ok(None);
        };
        let common = first.iter().zip(&last).take_while(|(a, b)| a == b).count();
        let mut s = Seeker {
            prefix,
            first,
            common,
            lo: 0,
            hi: 0,
            len: meta.len,
        };
        s.lo = s.pos(&s.first);
        s.hi = s.pos(&last);
        Ok(Some(s))
    }

    fn pos(&self, record: &[u8]) -> u128 {
        let tail = record.get(self.common..).unwrap_or_default();
        let mut b = [0u8; 16];
        let n = tail.len().min(POS_BYTES);
        b[16 - POS_BYTES..16 - POS_BYTES + n].copy_from_slice(&tail[..n]);
        u128::from_be_bytes(b)
    }

    /// The smallest record key whose position is `p`.
    fn key_at(&self, p: u128) -> Vec<u8> {
        let bytes = p.to_be_bytes();
        let bytes = &bytes[16 - POS_BYTES..];
        let used = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        let mut key = self.first[..self.common].to_vec();
        key.extend_from_slice(&bytes[..used]);
        key
    }

    fn scan(
        &self,
        txn: &Txn<'_>,
        from: &[u8],
        to: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, CommandError> {
        let range = ScanRange {
            prefix: &self.prefix,
            from,
            to,
            reverse,
            limit,
        };
        Ok(txn
            .scan(Space::Sets, &range)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// One member record chosen at random, not one of `taken`; `None` if every member is.
    fn pick(
        &self,
        txn: &Txn<'_>,
        rng: &mut Rng,
        taken: &BTreeSet<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, CommandError> {
        if self.hi > self.lo {
            for _ in 0..MAX_TRIES {
                if let Some(record) = self.try_pick(txn, rng, taken)? {
                    return Ok(Some(record));
                }
            }
        }
        self.nearby(txn, rng, taken)
    }

    /// One try at a uniform pick (see [`Seeker`]); `None` if it was rejected.
    fn try_pick(
        &self,
        txn: &Txn<'_>,
        rng: &mut Rng,
        taken: &BTreeSet<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, CommandError> {
        let n = u128::from(self.len.max(2));
        let range = self.hi - self.lo;
        // The first member has no gap before it: it gets an average one.
        let first_gap = (range / (n - 1)).max(1);
        let span = range + first_gap;
        let u = rng.below_u128(span);
        let target = if u < first_gap {
            self.prefix.to_vec()
        } else {
            self.key_at(self.lo + 1 + (u - first_gap))
        };
        let ahead = self.scan(txn, &target, None, false, WINDOW)?;
        let offset = rng.below(WINDOW as u64) as usize;
        let Some(candidate) = ahead.get(offset) else {
            return Ok(None);
        };
        if taken.contains(candidate) {
            return Ok(None);
        }
        // The record `WINDOW` places before the candidate, or where it would be past the first.
        let back = WINDOW - offset;
        let before = if u < first_gap {
            Vec::new()
        } else {
            self.scan(txn, &self.prefix, Some(&target), true, back)?
        };
        let from = match before.get(back - 1) {
            Some(r) => self.pos(r) as i128,
            None => self.lo as i128 - (back - before.len()) as i128 * first_gap as i128,
        };
        let spanned = (self.pos(candidate) as i128 - from).max(1) as u128;
        let bar = span * WINDOW as u128 / (2 * n);
        if spanned > bar && rng.below_u128(spanned) >= bar {
            return Ok(None);
        }
        Ok(Some(candidate.clone()))
    }

    /// A member near a random position (not uniform), not one of `taken`.
    fn nearby(
        &self,
        txn: &Txn<'_>,
        rng: &mut Rng,
        taken: &BTreeSet<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, CommandError> {
        let mut from = if self.hi > self.lo {
            self.key_at(self.lo + rng.below_u128(self.hi - self.lo + 1))
        } else {
            self.prefix.to_vec()
        };
        let mut seen = 0u64;
        loop {
            let mut window = self.scan(txn, &from, None, false, WINDOW)?;
            if window.len() < WINDOW {
                let wrapped =
                    self.scan(txn, &self.prefix, Some(&from), false, WINDOW - window.len())?;
                window.extend(wrapped);
            }
            let free: Vec<&Vec<u8>> = window.iter().filter(|k| !taken.contains(*k)).collect();
            if !free.is_empty() {
                let i = rng.below(free.len() as u64) as usize;
                return Ok(free.get(i).map(|k| (*k).clone()));
            }
            seen += window.len() as u64;
            let Some(last) = window.last() else {
                return Ok(None);
            };
            if seen > self.len + WINDOW as u64 {
                return Ok(None);
            }
            from = last.clone();
            from.push(0);
        }
    }
}

/// `k` distinct member records to pop from a set of more than `k` members: each the first live
/// record at or after a random point of the hash space (`keys::set` keys members by their hash).
/// A member's chance is in proportion to the hash gap before it: near uniform, as Redis's own
/// SPOP is (it too favours some members, by hashtable bucket), and one seek per member. The
/// exactly uniform sampler that SRANDMEMBER uses costs a few windowed reads per member, and
/// after many pops each of those reads walks over the tombstones the pops left: a set drained by
/// SPOP got slower with every pop (200k pops: 2k/s). A small set is still sampled exactly.
fn pop_candidates(
    txn: &Txn<'_>,
    meta: CollMeta,
    k: u64,
    rng: &mut Rng,
) -> Result<Vec<Vec<u8>>, CommandError> {
    if meta.len <= k.saturating_mul(STREAM_FACTOR) {
        return sample_distinct(txn, meta, k, rng);
    }
    let prefix = keys::version_prefix(meta.version);
    let mut taken = BTreeSet::new();
    let mut out = Vec::with_capacity(k.min(1024) as usize);
    while (out.len() as u64) < k {
        let mut from = prefix.to_vec();
        from.extend_from_slice(&rng.next_u64().to_be_bytes());
        let mut wrapped = false;
        // Only members already taken are skipped: with none taken one record does, and every
        // record read past the first walks the tombstones before it.
        let window = (taken.len() + 1).min(WINDOW);
        let found = loop {
            let range = ScanRange {
                from: &from,
                ..ScanRange::prefix(&prefix, window)
            };
            let records: Vec<Vec<u8>> = txn
                .scan(Space::Sets, &range)?
                .into_iter()
                .map(|(key, _)| key)
                .collect();
            if let Some(free) = records.iter().find(|key| !taken.contains(*key)) {
                break Some(free.clone());
            }
            match records.last() {
                // Only members already taken here: on past them.
                Some(last) if records.len() == window => {
                    from = last.clone();
                    from.push(0);
                }
                // The end of the set: once round from its start.
                _ if !wrapped => {
                    wrapped = true;
                    from = prefix.to_vec();
                }
                _ => break None,
            }
        };
        let Some(record) = found else { break };
        taken.insert(record.clone());
        out.push(record);
    }
    Ok(out)
}

/// `k` distinct member records chosen at random from a set of more than `k` members.
fn sample_distinct(
    txn: &Txn<'_>,
    meta: CollMeta,
    k: u64,
    rng: &mut Rng,
) -> Result<Vec<Vec<u8>>, CommandError> {
    let mut out = Vec::with_capacity(k.min(1024) as usize);
    if meta.len <= k.saturating_mul(STREAM_FACTOR) {
        // Selection sampling (Knuth's algorithm S): one pass, exactly uniform.
        let (mut remaining, mut needed) = (meta.len, k);
        let prefix = keys::version_prefix(meta.version);
        walk(txn, Space::Sets, &prefix, prefix.to_vec(), |key, _| {
            if needed == 0 {
                return false;
            }
            if rng.below(remaining.max(1)) < needed {
                out.push(key.to_vec());
                needed -= 1;
            }
            remaining = remaining.saturating_sub(1);
            true
        })?;
        return Ok(out);
    }
    let Some(seeker) = Seeker::new(txn, meta)? else {
        return Ok(out);
    };
    let mut taken = BTreeSet::new();
    for _ in 0..k {
        match seeker.pick(txn, rng, &taken)? {
            Some(record) => {
                taken.insert(record.clone());
                out.push(record);
            }
            None => break,
        }
    }
    Ok(out)
}

/// `n` members chosen at random, each independently (members may repeat).
fn sample_repeats(
    txn: &Txn<'_>,
    meta: CollMeta,
    n: u64,
    rng: &mut Rng,
) -> Result<Vec<Bytes>, CommandError> {
    let mut out = Vec::with_capacity(n.min(1024) as usize);
    if meta.len <= n.saturating_mul(4).max(WINDOW as u64) {
        let all = all_members(txn, meta.version)?;
        if all.is_empty() {
            return Ok(out);
        }
        for _ in 0..n {
            let i = rng.below(all.len() as u64) as usize;
            if let Some(m) = all.get(i) {
                out.push(m.clone());
            }
        }
        return Ok(out);
    }
    let Some(seeker) = Seeker::new(txn, meta)? else {
        return Ok(out);
    };
    let none = BTreeSet::new();
    for _ in 0..n {
        match seeker.pick(txn, rng, &none)? {
            Some(record) => out.push(member_of(&record)?),
            None => break,
        }
    }
    Ok(out)
}

/// Tombstones a set version may hold per live member before it is copied to a fresh version.
const DEAD_PER_LIVE: u64 = 4;
/// Fewer tombstones than this are never worth a copy.
const MIN_DEAD_TO_COMPACT: u64 = 4096;

/// Every deleted member left a tombstone under the set's version that range reads (SPOP's seek,
/// SSCAN, SMEMBERS) walk over until compaction drops it: draining a 200k-member set with SPOP
/// went from 33k pops/s to under 200/s as they piled up. Once they outnumber the live members
/// [`DEAD_PER_LIVE`] times, the live ones are copied to a new version (this command's log
/// position) and the old one goes to the collector, whose reads nobody makes again. The copy
/// costs one pass over what is left, paid for by the deletions before it (one in five).
fn compact_if_sparse(
    txn: &mut Txn<'_>,
    meta: CollMeta,
    ctx: &ApplyContext,
) -> Result<CollMeta, CommandError> {
    let sparse = meta.dead >= MIN_DEAD_TO_COMPACT
        && meta.dead / DEAD_PER_LIVE >= meta.len
        && meta.version != ctx.index;
    if !sparse || meta.len == 0 {
        return Ok(meta);
    }
    let fresh = super::generic::copy_elements(txn, Space::Sets, &meta, ctx.index)?;
    txn.discard_version((Space::Sets, meta.version));
    Ok(fresh)
}

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    match cmd {
        Command::Add { db, key, members } => {
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Set)?;
            // A member is part of its record's key, which the store bounds.
            if members.iter().any(|m| m.len() > keys::MAX_KEY_LEN) {
                return Err(CommandError::KeyTooLong(keys::MAX_KEY_LEN));
            }
            let (expire_at, mut meta) = or_new(&live, ctx);
            let mut added = 0u64;
            for m in members {
                let record = member_record(meta.version, m);
                if txn.get(Space::Sets, &record)?.is_none() {
                    txn.put_record(Space::Sets, record, Vec::new());
                    added += 1;
                }
            }
            if added > 0 {
                meta.len += added;
                store(txn, *db, key, raw.as_ref(), expire_at, meta, KeyType::Set);
            }
            Ok(Response::Int(added as i64))
        }
        Command::Rem { db, key, members } => {
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Set)?;
            let Some((h, meta)) = live else {
                return Ok(Response::Int(0));
            };
            let mut removed = 0u64;
            for m in members {
                let record = member_record(meta.version, m);
                if txn.get(Space::Sets, &record)?.is_some() {
                    txn.delete_record(Space::Sets, record);
                    removed += 1;
                }
            }
            if removed > 0 {
                let meta = compact_if_sparse(txn, meta.without(removed), ctx)?;
                store(txn, *db, key, raw.as_ref(), h.expire_at, meta, KeyType::Set);
            }
            Ok(Response::Int(removed as i64))
        }
        Command::Pop {
            db,
            key,
            count,
            seed,
        } => {
            let (raw, live) = coll_at(txn, *db, key, now, KeyType::Set)?;
            let Some((h, meta)) = live else {
                return Ok(match count {
                    None => Response::Nil,
                    Some(_) => Response::Set(Vec::new()),
                });
            };
            let k = count.unwrap_or(1);
            if k == 0 {
                return Ok(Response::Set(Vec::new()));
            }
            if k >= meta.len {
                // Everything goes: the key is dropped whole and the collector takes the records.
                let popped = if ctx.reply || count.is_none() {
                    all_members(txn, meta.version)?
                } else {
                    Vec::new()
                };
                txn.remove(*db, key, &h);
                return Ok(match count {
                    None => Response::bulk_or_nil(popped.into_iter().next()),
                    Some(_) => Response::Set(bulks(popped)),
                });
            }
            let mut rng = Rng::new(*seed);
            let picked = pop_candidates(txn, meta, k, &mut rng)?;
            let mut popped = Vec::with_capacity(picked.len());
            for record in picked {
                popped.push(member_of(&record)?);
                txn.delete_record(Space::Sets, record);
            }
            if !popped.is_empty() {
                let meta = compact_if_sparse(txn, meta.without(popped.len() as u64), ctx)?;
                store(txn, *db, key, raw.as_ref(), h.expire_at, meta, KeyType::Set);
            }
            Ok(match count {
                None => Response::bulk_or_nil(popped.into_iter().next()),
                Some(_) => Response::Set(bulks(popped)),
            })
        }
        Command::Move {
            db,
            src,
            dst,
            member,
        } => {
            let (src_raw, src_live) = coll_at(txn, *db, src, now, KeyType::Set)?;
            let Some((src_h, src_meta)) = src_live else {
                return Ok(Response::Int(0));
            };
            let (dst_raw, dst_live) = coll_at(txn, *db, dst, now, KeyType::Set)?;
            if src == dst {
                return Ok(Response::Int(i64::from(has(
                    txn,
                    src_meta.version,
                    member,
                )?)));
            }
            let record = member_record(src_meta.version, member);
            if txn.get(Space::Sets, &record)?.is_none() {
                return Ok(Response::Int(0));
            }
            txn.delete_record(Space::Sets, record);
            let src_meta = compact_if_sparse(txn, src_meta.without(1), ctx)?;
            let expire_at = src_h.expire_at;
            store(
                txn,
                *db,
                src,
                src_raw.as_ref(),
                expire_at,
                src_meta,
                KeyType::Set,
            );
            let (expire_at, mut dst_meta) = or_new(&dst_live, ctx);
            let record = member_record(dst_meta.version, member);
            if txn.get(Space::Sets, &record)?.is_none() {
                txn.put_record(Space::Sets, record, Vec::new());
                dst_meta.len += 1;
                store(
                    txn,
                    *db,
                    dst,
                    dst_raw.as_ref(),
                    expire_at,
                    dst_meta,
                    KeyType::Set,
                );
            }
            Ok(Response::Int(1))
        }
        Command::Store { db, op, dst, keys } => {
            let sets = sources(txn, *db, keys, now)?;
            let members = combine(txn, *op, &sets)?;
            // Whatever `dst` held is replaced (or deleted, for no members), its TTL too.
            let (raw, _) = txn.header(*db, dst, now)?;
            let meta = CollMeta::new(ctx.index, members.len() as u64);
            for m in &members {
                txn.put_record(Space::Sets, member_record(meta.version, m), Vec::new());
            }
            store(txn, *db, dst, raw.as_ref(), None, meta, KeyType::Set);
            Ok(Response::Int(meta.len as i64))
        }
    }
}

pub(super) fn query(txn: &Txn<'_>, q: &Query, now: i64) -> Result<Response, CommandError> {
    let set = |db: Db, key: &[u8]| live_coll(txn, db, key, now, KeyType::Set);
    match q {
        Query::IsMember { db, key, member } => Ok(Response::Int(match set(*db, key)? {
            Some(c) => i64::from(has(txn, c.version, member)?),
            None => 0,
        })),
        Query::MIsMember { db, key, members } => {
            let meta = set(*db, key)?;
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                let yes = match meta {
                    Some(c) => has(txn, c.version, m)?,
                    None => false,
                };
                out.push(Response::Int(i64::from(yes)));
            }
            Ok(Response::Array(out))
        }
        Query::Members { db, key } => Ok(Response::Set(match set(*db, key)? {
            Some(c) => bulks(all_members(txn, c.version)?),
            None => Vec::new(),
        })),
        Query::Card { db, key } => Ok(Response::Int(set(*db, key)?.map_or(0, |c| c.len as i64))),
        Query::RandMember { db, key, count } => {
            let meta = set(*db, key)?;
            let mut rng = Rng::new(rand::random());
            let Some(count) = *count else {
                let Some(meta) = meta else {
                    return Ok(Response::Nil);
                };
                let picked = sample_distinct(txn, meta, 1, &mut rng)?;
                return Ok(match picked.first() {
                    Some(record) => Response::Bulk(member_of(record)?),
                    None => Response::Nil,
                });
            };
            let n = if count < 0 { repeats(count)? } else { 0 };
            let Some(meta) = meta else {
                return Ok(Response::Array(Vec::new()));
            };
            let out = if count >= 0 {
                let k = count as u64;
                if k >= meta.len {
                    all_members(txn, meta.version)?
                } else {
                    sample_distinct(txn, meta, k, &mut rng)?
                        .iter()
                        .map(|r| member_of(r))
                        .collect::<Result<_, _>>()?
                }
            } else {
                sample_repeats(txn, meta, n, &mut rng)?
            };
            Ok(Response::Array(bulks(out)))
        }
        Query::Combine { db, op, keys } => {
            let sets = sources(txn, *db, keys, now)?;
            Ok(Response::Set(bulks(combine(txn, *op, &sets)?)))
        }
        Query::InterCard { db, keys, limit } => {
            let sets = sources(txn, *db, keys, now)?;
            Ok(Response::Int(inter(txn, &sets, *limit, |_| {})? as i64))
        }
        Query::Scan {
            db,
            key,
            cursor,
            pattern,
            count,
        } => {
            let Some(meta) = set(*db, key)? else {
                return Ok(scan_page(0, Vec::new()));
            };
            sscan(txn, meta, *cursor, pattern.as_deref(), *count)
        }
    }
}

/// One SSCAN step: `[cursor, [member, ...]]`, members in the order of their hashes.
fn sscan(
    txn: &Txn<'_>,
    meta: CollMeta,
    cursor: u64,
    pattern: Option<&[u8]>,
    count: u64,
) -> Result<Response, CommandError> {
    let at = CollScan {
        space: Space::Sets,
        prefix: &keys::version_prefix(meta.version),
        len: meta.len,
        whole_up_to: SMALL_SET,
        name: keys::decode_member,
    };
    coll_scan(txn, &at, cursor, pattern, count, |m, _, out| {
        out.push(Response::Bulk(Bytes::copy_from_slice(m)));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{keys as generic, kv, Expiry, SetCond};
    use crate::engine::testing::{b, TestStore};
    use std::collections::HashSet;

    fn bs(items: &[&str]) -> Vec<Bytes> {
        items.iter().map(|s| b(s)).collect()
    }

    fn add(t: &mut TestStore, key: &str, members: &[&str]) -> Response {
        t.apply(Command::Add {
            db: 0,
            key: b(key),
            members: bs(members),
        })
    }

    fn rem(t: &mut TestStore, key: &str, members: &[&str]) -> Response {
        t.apply(Command::Rem {
            db: 0,
            key: b(key),
            members: bs(members),
        })
    }

    fn card(t: &TestStore, key: &str) -> Response {
        t.query(Query::Card { db: 0, key: b(key) })
    }

    fn sorted(r: Response) -> Vec<String> {
        let items = match r {
            Response::Set(v) | Response::Array(v) => v,
            other => panic!("not an aggregate: {other:?}"),
        };
        let mut out: Vec<String> = items
            .into_iter()
            .map(|i| match i {
                Response::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect();
        out.sort();
        out
    }

    fn members(t: &TestStore, key: &str) -> Vec<String> {
        sorted(t.query(Query::Members { db: 0, key: b(key) }))
    }

    fn strs(items: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    fn set_string(t: &mut TestStore, key: &str, expiry: Expiry) {
        t.apply(kv::Command::Set {
            db: 0,
            key: b(key),
            value: b("v"),
            expiry,
            cond: SetCond::Always,
            get: false,
        });
    }

    fn stamp(t: &TestStore, key: &str) -> Response {
        t.query(generic::Query::Stamps {
            db: 0,
            keys: vec![b(key)],
        })
    }

    fn exists(t: &TestStore, key: &str) -> bool {
        t.query(generic::Query::Exists {
            db: 0,
            keys: vec![b(key)],
        }) == Response::Int(1)
    }

    fn ttl(t: &TestStore, key: &str) -> Response {
        t.query(generic::Query::Ttl {
            db: 0,
            key: b(key),
            kind: crate::command::TtlKind::Millis,
        })
    }

    fn pop(t: &mut TestStore, key: &str, count: Option<u64>, seed: u64) -> Response {
        t.apply(Command::Pop {
            db: 0,
            key: b(key),
            count,
            seed,
        })
    }

    fn store_cmd(t: &mut TestStore, op: Combine, dst: &str, keys: &[&str]) -> Response {
        t.apply(Command::Store {
            db: 0,
            op,
            dst: b(dst),
            keys: bs(keys),
        })
    }

    fn combine_q(t: &TestStore, op: Combine, keys: &[&str]) -> Response {
        t.query(Query::Combine {
            db: 0,
            op,
            keys: bs(keys),
        })
    }

    fn numbered(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}")).collect()
    }

    fn add_many(t: &mut TestStore, key: &str, members: &[String]) {
        for chunk in members.chunks(500) {
            t.apply(Command::Add {
                db: 0,
                key: b(key),
                members: chunk.iter().map(|s| b(s)).collect(),
            });
        }
    }

    #[test]
    fn sadd_counts_new_members_only() {
        let mut t = TestStore::new();
        assert_eq!(add(&mut t, "s", &["a"]), Response::Int(1));
        assert_eq!(add(&mut t, "s", &["a", "b", "c", "b"]), Response::Int(2));
        assert_eq!(card(&t, "s"), Response::Int(3));
        assert_eq!(card(&t, "missing"), Response::Int(0));
        assert_eq!(members(&t, "s"), strs(&["a", "b", "c"]));
        assert_eq!(add(&mut t, "e", &[""]), Response::Int(1));
        assert_eq!(
            t.query(Query::IsMember {
                db: 0,
                key: b("e"),
                member: b("")
            }),
            Response::Int(1)
        );
    }

    #[test]
    fn sadd_of_existing_members_is_not_a_change() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b"]);
        let before = stamp(&t, "s");
        assert_eq!(add(&mut t, "s", &["a", "b"]), Response::Int(0));
        assert_eq!(stamp(&t, "s"), before);
        assert_eq!(rem(&mut t, "s", &["zz"]), Response::Int(0));
        assert_eq!(stamp(&t, "s"), before);
        assert_eq!(add(&mut t, "s", &["c"]), Response::Int(1));
        assert_ne!(stamp(&t, "s"), before);
    }

    #[test]
    fn srem_removes_and_deletes_the_emptied_key() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b", "c"]);
        assert_eq!(rem(&mut t, "s", &["a", "a", "zz"]), Response::Int(1));
        assert_eq!(card(&t, "s"), Response::Int(2));
        assert_eq!(rem(&mut t, "missing", &["a"]), Response::Int(0));
        assert!(!exists(&t, "missing"));
        assert_eq!(rem(&mut t, "s", &["b", "c"]), Response::Int(2));
        assert!(!exists(&t, "s"));
        assert_eq!(add(&mut t, "s", &["new"]), Response::Int(1));
        assert_eq!(members(&t, "s"), strs(&["new"]));
    }

    #[test]
    fn membership_queries() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b"]);
        let is = |t: &TestStore, key: &str, m: &str| {
            t.query(Query::IsMember {
                db: 0,
                key: b(key),
                member: b(m),
            })
        };
        assert_eq!(is(&t, "s", "a"), Response::Int(1));
        assert_eq!(is(&t, "s", "zz"), Response::Int(0));
        assert_eq!(is(&t, "missing", "a"), Response::Int(0));
        let mis = t.query(Query::MIsMember {
            db: 0,
            key: b("s"),
            members: bs(&["a", "zz", "b", "a"]),
        });
        let ints = |v: &[i64]| Response::Array(v.iter().map(|i| Response::Int(*i)).collect());
        assert_eq!(mis, ints(&[1, 0, 1, 1]));
        let mis = t.query(Query::MIsMember {
            db: 0,
            key: b("missing"),
            members: bs(&["a", "b"]),
        });
        assert_eq!(mis, ints(&[0, 0]));
        assert_eq!(
            t.query(Query::Members {
                db: 0,
                key: b("missing")
            }),
            Response::Set(Vec::new())
        );
    }

    #[test]
    fn wrong_type_is_refused_everywhere() {
        let mut t = TestStore::new();
        set_string(&mut t, "str", Expiry::Persist);
        add(&mut t, "a", &["1"]);
        let wrong = Response::Error(CommandError::WrongType);
        assert_eq!(add(&mut t, "str", &["x"]), wrong);
        assert_eq!(rem(&mut t, "str", &["x"]), wrong);
        assert_eq!(pop(&mut t, "str", Some(0), 1), wrong);
        assert_eq!(pop(&mut t, "str", None, 1), wrong);
        assert_eq!(card(&t, "str"), wrong);
        assert_eq!(
            t.query(Query::RandMember {
                db: 0,
                key: b("str"),
                count: Some(0)
            }),
            wrong
        );
        for keys in [&["a", "str"][..], &["missing", "str"], &["str", "missing"]] {
            for op in [Combine::Inter, Combine::Union, Combine::Diff] {
                assert_eq!(combine_q(&t, op, keys), wrong, "{op:?} {keys:?}");
                assert_eq!(store_cmd(&mut t, op, "d", keys), wrong, "{op:?} {keys:?}");
            }
            assert_eq!(
                t.query(Query::InterCard {
                    db: 0,
                    keys: bs(keys),
                    limit: 0
                }),
                wrong
            );
        }
        assert!(!exists(&t, "d"));
        let scan = |count| {
            t.query(Query::Scan {
                db: 0,
                key: b("str"),
                cursor: 0,
                pattern: None,
                count,
            })
        };
        assert_eq!(scan(10), wrong);
        assert_eq!(scan(0), wrong);
    }

    #[test]
    fn spop_single_pops_each_member_once() {
        let mut t = TestStore::new();
        assert_eq!(pop(&mut t, "missing", None, 1), Response::Nil);
        add(&mut t, "s", &["a", "b", "c"]);
        let mut seen = HashSet::new();
        for seed in 0..3 {
            match pop(&mut t, "s", None, seed) {
                Response::Bulk(m) => assert!(seen.insert(m)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen.len(), 3);
        assert!(!exists(&t, "s"));
        assert_eq!(pop(&mut t, "s", None, 9), Response::Nil);
    }

    #[test]
    fn spop_count_replies_a_set_and_empties_the_key() {
        let mut t = TestStore::new();
        assert_eq!(
            pop(&mut t, "missing", Some(3), 1),
            Response::Set(Vec::new())
        );
        assert_eq!(
            pop(&mut t, "missing", Some(0), 1),
            Response::Set(Vec::new())
        );
        let all = numbered(20);
        add_many(&mut t, "s", &all);
        let before = stamp(&t, "s");
        assert_eq!(pop(&mut t, "s", Some(0), 1), Response::Set(Vec::new()));
        assert_eq!(stamp(&t, "s"), before, "a pop of nothing changes nothing");
        let first = sorted(pop(&mut t, "s", Some(5), 7));
        assert_eq!(first.len(), 5);
        assert_eq!(first.iter().collect::<HashSet<_>>().len(), 5);
        assert_eq!(card(&t, "s"), Response::Int(15));
        let rest = members(&t, "s");
        assert!(first.iter().all(|m| !rest.contains(m)));
        let last = sorted(pop(&mut t, "s", Some(100), 8));
        assert_eq!(last, rest);
        assert!(!exists(&t, "s"));
    }

    #[test]
    fn spop_is_deterministic_for_a_seed() {
        let run = |seed| {
            let mut t = TestStore::new();
            add_many(&mut t, "s", &numbered(5000));
            let one = pop(&mut t, "s", None, seed);
            let few = sorted(pop(&mut t, "s", Some(10), seed));
            let many = sorted(pop(&mut t, "s", Some(2000), seed));
            (one, few, many, members(&t, "s"))
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42).1, run(43).1);
    }

    #[test]
    fn spop_count_on_a_large_set_pops_distinct_members() {
        let mut t = TestStore::new();
        let all = numbered(3000);
        add_many(&mut t, "s", &all);
        let mut got = HashSet::new();
        // Small counts seek, large ones take one pass.
        for (seed, n) in [(1, 1), (2, 10), (3, 40), (4, 1000), (5, 1500)] {
            let batch = sorted(pop(&mut t, "s", Some(n), seed));
            assert_eq!(batch.len(), n as usize);
            for m in batch {
                assert!(got.insert(m));
            }
        }
        assert_eq!(card(&t, "s"), Response::Int(3000 - 2551));
        let rest = members(&t, "s");
        assert_eq!(rest.len(), 449);
        assert!(rest.iter().all(|m| !got.contains(m)));
        assert_eq!(got.len() + rest.len(), all.len());
    }

    #[test]
    fn seeking_picks_are_uniform_when_members_spread_evenly() {
        let mut t = TestStore::new();
        let mut r = Rng::new(99);
        let all: Vec<Bytes> = (0..3000)
            .map(|i| {
                let mut m = r.next_u64().to_be_bytes().to_vec();
                m.extend_from_slice(format!("m{i}").as_bytes());
                Bytes::from(m)
            })
            .collect();
        for chunk in all.chunks(500) {
            t.apply(Command::Add {
                db: 0,
                key: b("s"),
                members: chunk.to_vec(),
            });
        }
        let txn = t.engine.begin();
        let meta = live_coll(&txn, 0, b"s", 1_000, KeyType::Set)
            .expect("read")
            .expect("a set");
        let seeker = Seeker::new(&txn, meta).expect("read").expect("members");
        let (mut rng, none) = (Rng::new(5), BTreeSet::new());
        let mut hits = std::collections::HashMap::new();
        for _ in 0..6000 {
            let pick = seeker.pick(&txn, &mut rng, &none).expect("read");
            *hits.entry(pick.expect("a member")).or_insert(0u32) += 1;
        }
        // Two picks per member on average: uniform picks (Poisson) miss e^-2 of them and
        // pick none more than about 9 times.
        let expected = 3000.0 * (1.0 - (-2.0f64).exp());
        assert!(
            hits.len() as f64 > expected * 0.95,
            "{} distinct",
            hits.len()
        );
        assert!(hits.values().all(|h| *h <= 12), "{:?}", hits.values().max());
    }

    #[test]
    fn seeking_picks_reach_clustered_members_and_skip_taken_ones() {
        let mut t = TestStore::new();
        add_many(&mut t, "s", &numbered(2000));
        let txn = t.engine.begin();
        let meta = live_coll(&txn, 0, b"s", 1_000, KeyType::Set)
            .expect("read")
            .expect("a set");
        let seeker = Seeker::new(&txn, meta).expect("read").expect("members");
        let (mut rng, mut taken) = (Rng::new(1), BTreeSet::new());
        for _ in 0..1990 {
            let pick = seeker.pick(&txn, &mut rng, &taken).expect("read");
            assert!(taken.insert(pick.expect("a member left")));
        }
        assert_eq!(taken.len(), 1990);
    }

    fn set_meta(t: &TestStore, key: &str) -> CollMeta {
        use crate::engine::header::{Header, Value};
        let txn = Txn::direct_reader(&t.engine);
        match txn.live(0, key.as_bytes(), 1_000).expect("read") {
            Some(Header {
                value: Value::Set(c),
                ..
            }) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_set_drained_by_pops_moves_to_a_fresh_version_once_mostly_tombstones() {
        let mut t = TestStore::new();
        let all = numbered(6000);
        add_many(&mut t, "s", &all);
        let first = set_meta(&t, "s").version;
        srem_and_check(&mut t, &all[..100]);
        let mut popped: HashSet<String> = all[..100].iter().cloned().collect();
        let mut versions = vec![first];
        for seed in 0..5800 {
            match pop(&mut t, "s", None, seed) {
                Response::Bulk(m) => {
                    assert!(popped.insert(String::from_utf8(m.to_vec()).expect("utf8")))
                }
                other => panic!("{other:?}"),
            }
            let meta = set_meta(&t, "s");
            assert!(meta.dead <= MIN_DEAD_TO_COMPACT.max(meta.len * DEAD_PER_LIVE) + 1);
            if versions.last() != Some(&meta.version) {
                assert_eq!(meta.dead, 0, "a fresh version has no tombstones");
                versions.push(meta.version);
            }
            assert_eq!(meta.len as usize, 6000 - popped.len());
        }
        assert_eq!(
            versions.len(),
            2,
            "copied once, when 4096 of 6000 were gone: {versions:?}"
        );
        // What is left is exactly what was never popped, under the new version.
        let rest: HashSet<String> = members(&t, "s").into_iter().collect();
        assert_eq!(rest.len(), 100);
        assert!(rest.iter().all(|m| !popped.contains(m)));
        assert_eq!(rest.len() + popped.len(), all.len());
        // The old version went to the collector.
        let txn = Txn::direct_reader(&t.engine);
        let garbage = txn.get(Space::Meta, &keys::garbage(first)).expect("read");
        assert!(garbage.is_some(), "old version handed to the collector");
    }

    fn srem_and_check(t: &mut TestStore, ms: &[String]) {
        let ms: Vec<&str> = ms.iter().map(String::as_str).collect();
        assert_eq!(rem(t, "s", &ms), Response::Int(ms.len() as i64));
    }

    #[test]
    fn spop_keeps_the_ttl() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b", "c"]);
        t.apply(generic::Command::Expire {
            db: 0,
            key: b("s"),
            at_ms: 100_000,
            cond: crate::command::ExpireCond::Always,
        });
        pop(&mut t, "s", Some(1), 3);
        rem(&mut t, "s", &["zz"]);
        add(&mut t, "s", &["d"]);
        assert_eq!(ttl(&t, "s"), Response::Int(99_000));
    }

    #[test]
    fn srandmember_refuses_more_repeats_than_it_would_build_rather_than_answer_short() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b"]);
        let too_many = -(crate::engine::coll::MAX_RANDOM_REPEATS as i64) - 1;
        for key in ["s", "missing"] {
            let r = t.query(Query::RandMember {
                db: 0,
                key: b(key),
                count: Some(too_many),
            });
            assert_eq!(r, Response::Error(CommandError::NotInteger), "{key}");
        }
    }

    #[test]
    fn srandmember_leaves_the_set_alone() {
        let mut t = TestStore::new();
        let rand = |t: &TestStore, key: &str, count| {
            t.query(Query::RandMember {
                db: 0,
                key: b(key),
                count,
            })
        };
        assert_eq!(rand(&t, "missing", None), Response::Nil);
        assert_eq!(rand(&t, "missing", Some(3)), Response::Array(Vec::new()));
        assert_eq!(rand(&t, "missing", Some(-3)), Response::Array(Vec::new()));
        add(&mut t, "s", &["a", "b", "c", "d", "e"]);
        for _ in 0..20 {
            match rand(&t, "s", None) {
                Response::Bulk(m) => assert!(b"abcde".contains(&m[0])),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(rand(&t, "s", Some(0)), Response::Array(Vec::new()));
        for n in [1, 3, 5] {
            let got = sorted(rand(&t, "s", Some(n)));
            assert_eq!(got.len(), n as usize);
            assert_eq!(got.iter().collect::<HashSet<_>>().len(), n as usize);
        }
        assert_eq!(
            sorted(rand(&t, "s", Some(100))),
            strs(&["a", "b", "c", "d", "e"])
        );
        let repeats = sorted(rand(&t, "s", Some(-50)));
        assert_eq!(repeats.len(), 50);
        assert!(matches!(rand(&t, "s", Some(2)), Response::Array(_)));
        assert_eq!(card(&t, "s"), Response::Int(5));
    }

    #[test]
    fn srandmember_on_large_sets() {
        let mut t = TestStore::new();
        let all = numbered(3000);
        add_many(&mut t, "s", &all);
        let rand = |count| {
            sorted(t.query(Query::RandMember {
                db: 0,
                key: b("s"),
                count: Some(count),
            }))
        };
        for n in [2, 10, 100, 2999] {
            let got = rand(n);
            assert_eq!(got.len(), n as usize);
            assert_eq!(got.iter().collect::<HashSet<_>>().len(), n as usize);
            assert!(got.iter().all(|m| all.contains(m)));
        }
        // Few repeats from a big set seek; many read the set once.
        for n in [5, 100, 10_000] {
            let got = rand(-n);
            assert_eq!(got.len(), n as usize);
            assert!(got.iter().all(|m| all.contains(m)));
        }
    }

    #[test]
    fn smove_moves_one_member() {
        let mut t = TestStore::new();
        add(&mut t, "a", &["1", "2", "3"]);
        add(&mut t, "b", &["3", "4"]);
        let mv = |t: &mut TestStore, src: &str, dst: &str, m: &str| {
            t.apply(Command::Move {
                db: 0,
                src: b(src),
                dst: b(dst),
                member: b(m),
            })
        };
        assert_eq!(mv(&mut t, "a", "b", "1"), Response::Int(1));
        assert_eq!(mv(&mut t, "a", "b", "1"), Response::Int(0));
        let b_stamp = stamp(&t, "b");
        assert_eq!(mv(&mut t, "a", "b", "3"), Response::Int(1));
        assert_eq!(
            stamp(&t, "b"),
            b_stamp,
            "already there: the destination is unchanged"
        );
        assert_eq!(members(&t, "a"), strs(&["2"]));
        assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
        assert_eq!(mv(&mut t, "missing", "b", "1"), Response::Int(0));
        assert!(!exists(&t, "missing"));
        assert_eq!(mv(&mut t, "a", "new", "2"), Response::Int(1));
        assert!(!exists(&t, "a"));
        assert_eq!(members(&t, "new"), strs(&["2"]));
        let before = stamp(&t, "b");
        assert_eq!(mv(&mut t, "b", "b", "4"), Response::Int(1));
        assert_eq!(mv(&mut t, "b", "b", "zz"), Response::Int(0));
        assert_eq!(stamp(&t, "b"), before);
        assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
        // Wrong types: the destination's even when the member is absent, but a missing
        // source answers 0 first.
        set_string(&mut t, "str", Expiry::Persist);
        let wrong = Response::Error(CommandError::WrongType);
        assert_eq!(mv(&mut t, "b", "str", "1"), wrong);
        assert_eq!(mv(&mut t, "b", "str", "99"), wrong);
        assert_eq!(mv(&mut t, "str", "b", "v"), wrong);
        assert_eq!(mv(&mut t, "missing", "str", "1"), Response::Int(0));
        assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
    }

    #[test]
    fn inter_union_diff() {
        let mut t = TestStore::new();
        add(&mut t, "a", &["1", "2", "3", "4"]);
        add(&mut t, "b", &["3", "4", "5"]);
        add(&mut t, "c", &["4", "5", "6", "x"]);
        let q = |op, keys: &[&str]| sorted(combine_q(&t, op, keys));
        assert_eq!(q(Combine::Inter, &["a"]), strs(&["1", "2", "3", "4"]));
        assert_eq!(q(Combine::Inter, &["a", "b"]), strs(&["3", "4"]));
        assert_eq!(q(Combine::Inter, &["a", "b", "c"]), strs(&["4"]));
        assert_eq!(q(Combine::Inter, &["a", "missing"]), strs(&[]));
        assert_eq!(q(Combine::Inter, &["missing", "a"]), strs(&[]));
        assert_eq!(q(Combine::Inter, &["a", "a"]), strs(&["1", "2", "3", "4"]));
        assert_eq!(
            q(Combine::Union, &["a", "b", "c", "missing"]),
            strs(&["1", "2", "3", "4", "5", "6", "x"])
        );
        assert_eq!(q(Combine::Union, &["missing"]), strs(&[]));
        assert_eq!(q(Combine::Diff, &["a", "b"]), strs(&["1", "2"]));
        assert_eq!(q(Combine::Diff, &["a", "b", "c"]), strs(&["1", "2"]));
        assert_eq!(q(Combine::Diff, &["c", "a"]), strs(&["5", "6", "x"]));
        assert_eq!(
            q(Combine::Diff, &["a", "missing"]),
            strs(&["1", "2", "3", "4"])
        );
        assert_eq!(q(Combine::Diff, &["a", "a"]), strs(&[]));
        assert_eq!(q(Combine::Diff, &["missing", "a"]), strs(&[]));
        assert!(matches!(
            combine_q(&t, Combine::Inter, &["a", "b"]),
            Response::Set(_)
        ));
    }

    #[test]
    fn sintercard_stops_at_the_limit() {
        let mut t = TestStore::new();
        add(&mut t, "a", &["1", "2", "3", "4"]);
        add(&mut t, "b", &["2", "3", "4", "5"]);
        let card = |keys: &[&str], limit| {
            t.query(Query::InterCard {
                db: 0,
                keys: bs(keys),
                limit,
            })
        };
        assert_eq!(card(&["a"], 0), Response::Int(4));
        assert_eq!(card(&["a", "b"], 0), Response::Int(3));
        assert_eq!(card(&["a", "b"], 1), Response::Int(1));
        assert_eq!(card(&["a", "b"], 10), Response::Int(3));
        assert_eq!(card(&["a", "missing"], 0), Response::Int(0));
    }

    #[test]
    fn store_variants_overwrite_the_destination() {
        let mut t = TestStore::new();
        add(&mut t, "a", &["1", "2", "3", "4"]);
        add(&mut t, "b", &["3", "4", "5"]);
        assert_eq!(
            store_cmd(&mut t, Combine::Inter, "d", &["a", "b"]),
            Response::Int(2)
        );
        assert_eq!(members(&t, "d"), strs(&["3", "4"]));
        assert_eq!(
            store_cmd(&mut t, Combine::Union, "d", &["a", "b"]),
            Response::Int(5)
        );
        assert_eq!(card(&t, "d"), Response::Int(5));
        assert_eq!(
            store_cmd(&mut t, Combine::Diff, "d", &["a", "b"]),
            Response::Int(2)
        );
        assert_eq!(members(&t, "d"), strs(&["1", "2"]));
        // The destination may be a source.
        assert_eq!(
            store_cmd(&mut t, Combine::Inter, "a", &["a", "b"]),
            Response::Int(2)
        );
        assert_eq!(members(&t, "a"), strs(&["3", "4"]));
        // Any type, and its TTL goes.
        set_string(&mut t, "str", Expiry::At(100_000));
        assert_eq!(
            store_cmd(&mut t, Combine::Union, "str", &["a"]),
            Response::Int(2)
        );
        assert_eq!(members(&t, "str"), strs(&["3", "4"]));
        assert_eq!(ttl(&t, "str"), Response::Int(-1));
        // A copy: later changes to the source do not show.
        add(&mut t, "a", &["new"]);
        assert_eq!(members(&t, "str"), strs(&["3", "4"]));
    }

    #[test]
    fn store_of_an_empty_result_deletes_the_destination() {
        let mut t = TestStore::new();
        add(&mut t, "a", &["1", "2"]);
        add(&mut t, "b", &["3"]);
        for (op, keys) in [
            (Combine::Inter, &["a", "b"][..]),
            (Combine::Diff, &["a", "a"]),
            (Combine::Union, &["missing"]),
        ] {
            add(&mut t, "d", &["old"]);
            assert_eq!(store_cmd(&mut t, op, "d", keys), Response::Int(0));
            assert!(!exists(&t, "d"));
            set_string(&mut t, "d", Expiry::At(100_000));
            assert_eq!(store_cmd(&mut t, op, "d", keys), Response::Int(0));
            assert!(!exists(&t, "d"));
            assert_eq!(store_cmd(&mut t, op, "never", keys), Response::Int(0));
            assert!(!exists(&t, "never"));
        }
        assert_eq!(members(&t, "a"), strs(&["1", "2"]));
    }

    #[test]
    fn expired_sets_read_as_absent_and_are_recreated() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b"]);
        t.apply(generic::Command::Expire {
            db: 0,
            key: b("s"),
            at_ms: 2_000,
            cond: crate::command::ExpireCond::Always,
        });
        assert_eq!(
            t.query_at(Query::Card { db: 0, key: b("s") }, 3_000),
            Response::Int(0)
        );
        assert_eq!(
            t.apply_at(
                Command::Add {
                    db: 0,
                    key: b("s"),
                    members: bs(&["new"])
                },
                3_000
            ),
            Response::Int(1)
        );
        assert_eq!(
            sorted(t.query_at(Query::Members { db: 0, key: b("s") }, 3_000)),
            strs(&["new"])
        );
        assert_eq!(t.query_at(ttl_q("s"), 3_000), Response::Int(-1));
    }

    fn ttl_q(key: &str) -> generic::Query {
        generic::Query::Ttl {
            db: 0,
            key: b(key),
            kind: crate::command::TtlKind::Millis,
        }
    }

    fn scan_all(t: &TestStore, key: &str, pattern: Option<&str>, count: u64) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = 0u64;
        for _ in 0..100_000 {
            let r = t.query(Query::Scan {
                db: 0,
                key: b(key),
                cursor,
                pattern: pattern.map(b),
                count,
            });
            let Response::Array(parts) = r else {
                panic!("{r:?}")
            };
            let [Response::Bulk(next), page] = &parts[..] else {
                panic!("{parts:?}")
            };
            out.extend(sorted(page.clone()));
            cursor = std::str::from_utf8(next).unwrap().parse().unwrap();
            if cursor == 0 {
                out.sort();
                return out;
            }
        }
        panic!("SSCAN did not terminate");
    }

    #[test]
    fn sscan_walks_the_whole_set() {
        let mut t = TestStore::new();
        let all = numbered(600);
        add_many(&mut t, "s", &all);
        let mut want = all.clone();
        want.sort();
        for count in [1, 5, 10, 100, 1000] {
            assert_eq!(scan_all(&t, "s", None, count), want, "count {count}");
        }
        let mut tens: Vec<String> = (10..20).map(|i| format!("m{i}")).collect();
        tens.sort();
        assert_eq!(scan_all(&t, "s", Some("m1?"), 20), tens);
        assert_eq!(scan_all(&t, "s", Some("zz*"), 10), Vec::<String>::new());
        assert_eq!(
            t.query(Query::Scan {
                db: 0,
                key: b("missing"),
                cursor: 0,
                pattern: None,
                count: 0,
            }),
            scan_page(0, Vec::new())
        );
        assert_eq!(
            t.query(Query::Scan {
                db: 0,
                key: b("s"),
                cursor: 0,
                pattern: None,
                count: 0,
            }),
            Response::Error(CommandError::Syntax)
        );
    }

    fn scan_step(t: &TestStore, key: &str, cursor: u64, count: u64) -> (u64, usize) {
        let r = t.query(Query::Scan {
            db: 0,
            key: b(key),
            cursor,
            pattern: None,
            count,
        });
        let Response::Array(parts) = r else {
            panic!("{r:?}")
        };
        let [Response::Bulk(next), Response::Array(items)] = &parts[..] else {
            panic!("{parts:?}")
        };
        let next = std::str::from_utf8(next).unwrap().parse().unwrap();
        (next, items.len())
    }

    #[test]
    fn sscan_returns_a_set_of_up_to_128_members_whole() {
        let mut t = TestStore::new();
        add_many(&mut t, "s", &numbered(128));
        assert_eq!(scan_step(&t, "s", 0, 1), (0, 128));
        add(&mut t, "s", &["one more"]);
        assert_eq!(scan_step(&t, "s", 0, 1).1, 1);
    }

    #[test]
    fn sscan_ends_on_cursor_0_and_restarts_on_another_sets_cursor() {
        let mut t = TestStore::new();
        add_many(&mut t, "s", &numbered(300));
        add_many(&mut t, "other", &numbered(300));
        // 300 members in steps of 100: the third step is the last, and says so.
        let (c1, n) = scan_step(&t, "s", 0, 100);
        assert!(c1 != 0 && n == 100);
        let (c2, _) = scan_step(&t, "s", c1, 100);
        assert_eq!(scan_step(&t, "s", c2, 100), (0, 100));
        // A cursor of another set's scan starts this one over (repeats, never skips).
        let (theirs, _) = scan_step(&t, "other", 0, 250);
        assert_eq!(scan_step(&t, "s", theirs, 300), (0, 300));
    }

    #[test]
    fn sscan_of_a_small_set_in_one_step() {
        let mut t = TestStore::new();
        add(&mut t, "s", &["a", "b", "c"]);
        let r = t.query(Query::Scan {
            db: 0,
            key: b("s"),
            cursor: 0,
            pattern: None,
            count: 10,
        });
        // One step, cursor 0; members in the set's own (hash) order.
        let Response::Array(mut parts) = r else {
            panic!("not a scan reply: {r:?}");
        };
        let Some(Response::Array(mut items)) = parts.pop() else {
            panic!("no items");
        };
        assert_eq!(parts, [Response::bulk("0")]);
        items.sort_by_key(|i| format!("{i:?}"));
        assert_eq!(
            items,
            [
                Response::bulk("a"),
                Response::bulk("b"),
                Response::bulk("c")
            ]
        );
    }

    #[test]
    fn spop_one_at_a_time_drains_a_big_set_exactly_once() {
        let mut t = TestStore::new();
        let all = numbered(1000);
        add_many(&mut t, "s", &all);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..1000u64 {
            let r = t.apply(Command::Pop {
                db: 0,
                key: b("s"),
                count: None,
                seed,
            });
            let Response::Bulk(m) = r else {
                panic!("pop {seed}: {r:?}")
            };
            assert!(seen.insert(m), "popped twice");
        }
        assert_eq!(seen.len(), 1000);
        let r = t.apply(Command::Pop {
            db: 0,
            key: b("s"),
            count: None,
            seed: 7,
        });
        assert_eq!(r, Response::Nil);
    }

    #[test]
    fn del_of_a_set_is_o1_and_recreation_starts_empty() {
        let mut t = TestStore::new();
        add_many(&mut t, "s", &numbered(2000));
        assert_eq!(
            t.apply(generic::Command::Del {
                db: 0,
                keys: vec![b("s")]
            }),
            Response::Int(1)
        );
        assert_eq!(card(&t, "s"), Response::Int(0));
        add(&mut t, "s", &["x"]);
        assert_eq!(members(&t, "s"), strs(&["x"]));
    }

    #[test]
    fn rng_is_stable() {
        // The picks of a replicated SPOP depend on these numbers: they must never change.
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut r = Rng::new(7);
        for n in [1u64, 2, 10, 1 << 40] {
            assert!(r.below(n) < n);
        }
        assert_eq!(r.below(0), 0);
    }
}

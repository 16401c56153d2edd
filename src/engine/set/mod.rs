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

use crate::command::set::{Combine, Command, Query};
use crate::command::{CommandError, Db, KeyType, Response};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::coll::{coll_at, live_coll, or_new, repeats, store};
use crate::engine::store::header::CollMeta;
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::scan::{coll_scan, scan_page, try_walk, walk, CollScan};
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;

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
    let fresh = crate::engine::store::coll::copy_elements(txn, Space::Sets, &meta, ctx.index)?;
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
mod tests;

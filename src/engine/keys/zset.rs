//! `zsets` keyspace, two records per member under the version:
//! - `version:u64 00 member` → score (f64, order-preserving bytes): ZSCORE, ZADD's lookup;
//! - `version:u64 01 score:8 (order-preserving) member` → empty: the order by score, then member,
//!   so score and rank ranges are range scans.

use super::split_version;

const BY_MEMBER: u8 = 0;
const BY_SCORE: u8 = 1;

/// An f64 as 8 bytes whose byte order is the numeric order (-inf < ... < -0 = 0 < ... < inf).
pub fn ordered_f64(v: f64) -> [u8; 8] {
    // -0.0 and 0.0 are the same score.
    let v = if v == 0.0 { 0.0 } else { v };
    let bits = v.to_bits();
    let flipped = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    flipped.to_be_bytes()
}

pub fn unordered_f64(b: [u8; 8]) -> f64 {
    let bits = u64::from_be_bytes(b);
    f64::from_bits(if bits >> 63 == 1 {
        bits & !(1 << 63)
    } else {
        !bits
    })
}

/// `version 00 member`: the member's score record.
pub fn score_record(version: u64, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + member.len());
    k.extend_from_slice(&version.to_be_bytes());
    k.push(BY_MEMBER);
    k.extend_from_slice(member);
    k
}

/// The prefix of every score record of a version (members in byte order).
pub fn score_record_prefix(version: u64) -> [u8; 9] {
    let mut k = [BY_MEMBER; 9];
    k[..8].copy_from_slice(&version.to_be_bytes());
    k
}

/// The member of a score record.
pub fn decode_score_record(k: &[u8]) -> Option<&[u8]> {
    match split_version(k)? {
        (_, [BY_MEMBER, member @ ..]) => Some(member),
        _ => None,
    }
}

/// `version 01 score member`: the member's place in score order.
pub fn score_entry(version: u64, score: f64, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(17 + member.len());
    k.extend_from_slice(&version.to_be_bytes());
    k.push(BY_SCORE);
    k.extend_from_slice(&ordered_f64(score));
    k.extend_from_slice(member);
    k
}

/// The prefix of the score order of a version.
pub fn score_index_prefix(version: u64) -> [u8; 9] {
    let mut k = [BY_SCORE; 9];
    k[..8].copy_from_slice(&version.to_be_bytes());
    k
}

/// The score and member of a score entry.
pub fn decode_score_entry(k: &[u8]) -> Option<(f64, &[u8])> {
    match split_version(k)? {
        (_, [BY_SCORE, rest @ ..]) => {
            let (score, member) = rest.split_first_chunk::<8>()?;
            Some((unordered_f64(*score), member))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_sort_numerically() {
        let scores = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            3.0,
            f64::INFINITY,
        ];
        for w in scores.windows(2) {
            assert!(ordered_f64(w[0]) <= ordered_f64(w[1]), "{} {}", w[0], w[1]);
        }
        for s in scores {
            assert_eq!(
                unordered_f64(ordered_f64(s)),
                if s == 0.0 { 0.0 } else { s }
            );
        }
        assert_eq!(ordered_f64(-0.0), ordered_f64(0.0));
    }

    #[test]
    fn entries_sort_by_score_then_member() {
        let a = score_entry(1, 1.0, b"b");
        let b = score_entry(1, 1.0, b"c");
        let c = score_entry(1, 2.0, b"a");
        assert!(a < b && b < c);
        assert_eq!(decode_score_entry(&c), Some((2.0, &b"a"[..])));
        assert!(c.starts_with(&score_index_prefix(1)));
        let r = score_record(1, b"m");
        assert_eq!(decode_score_record(&r), Some(&b"m"[..]));
        assert!(r.starts_with(&score_record_prefix(1)));
        assert_eq!(decode_score_record(&c), None);
    }
}

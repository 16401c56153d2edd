//! Partition tokens as Cassandra's Murmur3Partitioner computes them: the first 64 bits of
//! MurmurHash3 x64/128 (seed 0) of the partition key as CQL serializes it, with Cassandra's
//! sign extension of the tail bytes kept, so drivers' token-aware routing and `token()` agree.

use crate::command::table::value::{CqlType, Value};
use crate::cql::codec::{encode_value, ValueError};

/// The token of a partition key (`types` and `values` in key order).
pub fn token(types: &[&CqlType], values: &[Value]) -> Result<i64, ValueError> {
    Ok(token_of_bytes(&partition_key_bytes(types, values)?))
}

/// The partition key as Cassandra hashes it: one column's serialized value, or for a
/// composite key each component as `u16 length | bytes | 00`.
pub fn partition_key_bytes(types: &[&CqlType], values: &[Value]) -> Result<Vec<u8>, ValueError> {
    if let ([ty], [v]) = (types, values) {
        let mut out = Vec::new();
        encode_value(ty, v, &mut out)?;
        return Ok(out);
    }
    let mut out = Vec::new();
    for (ty, v) in types.iter().zip(values) {
        let mut one = Vec::new();
        encode_value(ty, v, &mut one)?;
        out.extend_from_slice(&(one.len() as u16).to_be_bytes());
        out.extend_from_slice(&one);
        out.push(0);
    }
    Ok(out)
}

pub fn token_of_bytes(key: &[u8]) -> i64 {
    let h = murmur3_h1(key) as i64;
    if h == i64::MIN {
        i64::MAX
    } else {
        h
    }
}

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    k
}

fn murmur3_h1(data: &[u8]) -> u64 {
    const C1: u64 = 0x87c37b91114253d5;
    const C2: u64 = 0x4cf5ad432745937f;
    let (mut h1, mut h2) = (0u64, 0u64);
    let blocks = data.len() / 16;
    for i in 0..blocks {
        let b = &data[i * 16..i * 16 + 16];
        let mut k1 = u64::from_le_bytes(b[0..8].try_into().unwrap_or([0; 8]));
        let mut k2 = u64::from_le_bytes(b[8..16].try_into().unwrap_or([0; 8]));
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dce729);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x38495ab5);
    }
    let tail = &data[blocks * 16..];
    // Cassandra reads tail bytes as signed Java bytes: sign-extended before shifting.
    let byte = |i: usize| tail[i] as i8 as i64 as u64;
    let (mut k1, mut k2) = (0u64, 0u64);
    let n = tail.len();
    for i in (8..n).rev() {
        k2 ^= byte(i) << ((i - 8) * 8);
    }
    if n > 8 {
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
    }
    for i in (0..n.min(8)).rev() {
        k1 ^= byte(i) << (i * 8);
    }
    if n > 0 {
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1.wrapping_add(h2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_cassandra() {
        // `SELECT token(k) FROM t` on Cassandra for text keys (and the Python driver's
        // murmur3 for the same bytes).
        assert_eq!(token_of_bytes(b"123"), -7468325962851647638);
        assert_eq!(token_of_bytes(b""), 0);
    }
}

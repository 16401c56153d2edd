//! `sets` keyspace: `version:u64 hash:u64 member` → empty.
//!
//! The member's xxh3 hash comes before it, so a set's records are spread evenly over the key
//! range whatever its members look like (`user:1`, `user:2`, ... bunch up in a few byte
//! values): seeking to a random point then picks members uniformly, which SPOP and SRANDMEMBER
//! rely on. Sets promise no order, so nothing is lost.

use super::split_version;

/// `version hash member`: one member of a set version.
pub fn member(version: u64, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(16 + member.len());
    k.extend_from_slice(&version.to_be_bytes());
    k.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(member).to_be_bytes());
    k.extend_from_slice(member);
    k
}

/// The member of a member key.
pub fn decode_member(k: &[u8]) -> Option<&[u8]> {
    let (_, rest) = split_version(k)?;
    rest.get(8..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip_and_stay_under_their_version() {
        for m in [&b"x"[..], b"", b"user:1000"] {
            let k = member(9, m);
            assert_eq!(decode_member(&k), Some(m));
            assert!(k.starts_with(&9u64.to_be_bytes()));
        }
        assert_eq!(decode_member(&[0; 12]), None);
    }
}

//! `sets` keyspace: `version:u64 member` → empty.

use super::split_version;

/// `version member`: one member of a set version.
pub fn member(version: u64, member: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + member.len());
    k.extend_from_slice(&version.to_be_bytes());
    k.extend_from_slice(member);
    k
}

/// The member of a member key.
pub fn decode_member(k: &[u8]) -> Option<&[u8]> {
    split_version(k).map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_round_trip() {
        assert_eq!(decode_member(&member(9, b"x")), Some(&b"x"[..]));
        assert!(member(9, b"a") < member(9, b"b"));
    }
}

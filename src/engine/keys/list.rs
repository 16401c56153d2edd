//! `lists` keyspace: `version:u64 index:i64 (order-preserving)` → element.

use super::{ordered, unordered};

/// `version index`: one element of a list version.
pub fn element(version: u64, index: i64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&version.to_be_bytes());
    k[8..].copy_from_slice(&ordered(index));
    k
}

/// The version and index of an element key.
pub fn decode_element(k: &[u8]) -> Option<(u64, i64)> {
    if k.len() != 16 {
        return None;
    }
    let version = u64::from_be_bytes(k[..8].try_into().ok()?);
    Some((version, unordered(k[8..].try_into().ok()?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::keys::version_prefix;

    #[test]
    fn elements_sort_by_signed_index() {
        let a = element(7, -3);
        let b = element(7, 0);
        let c = element(7, 2);
        assert!(a < b && b < c);
        assert_eq!(decode_element(&a), Some((7, -3)));
        assert!(a.starts_with(&version_prefix(7)));
    }
}

//! `hashes` keyspace: `version:u64 field` → value.

use super::split_version;

/// `version field`: one field of a hash version.
pub fn field(version: u64, field: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + field.len());
    k.extend_from_slice(&version.to_be_bytes());
    k.extend_from_slice(field);
    k
}

/// The field name of a field key.
pub fn decode_field(k: &[u8]) -> Option<&[u8]> {
    split_version(k).map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_sort_by_name() {
        assert_eq!(decode_field(&field(3, b"name")), Some(&b"name"[..]));
        assert!(field(3, b"a") < field(3, b"b") && field(3, b"zz") < field(4, b"a"));
        assert_eq!(decode_field(&field(3, b"")), Some(&b""[..]));
    }
}

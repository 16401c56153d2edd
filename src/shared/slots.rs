//! Redis Cluster's hash slots: CLUSTER KEYSLOT answers with them, and the store keeps every key
//! under its slot so that a slot range is a key range when the key space is split into shards.

/// Redis Cluster's number of hash slots.
pub const SLOTS: u16 = 16384;

/// Slice-by-16 tables: a typical key (`user:1000:profile`) is one or two steps instead of one per
/// byte, and every key write and every cluster-aware read computes it.
static CRC16: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_XMODEM);

/// The hash slot of a key, with `{tag}` hash tags, exactly as Redis Cluster computes it.
pub fn slot(key: &[u8]) -> u16 {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    CRC16.checksum(hashed) % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_matches_redis_cluster() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"bar"), 5061);
        assert_eq!(slot(b"{user1000}.following"), slot(b"user1000"));
        // An empty tag hashes the whole key.
        assert_eq!(slot(b"{}x"), CRC16.checksum(b"{}x") % SLOTS);
    }

    /// The table-driven CRC agrees with Redis's bit-by-bit definition (CRC16-XMODEM) at every
    /// length, across the 16-byte steps of the table and their remainders.
    #[test]
    fn slot_agrees_with_the_bitwise_crc_at_every_length() {
        fn bitwise(data: &[u8]) -> u16 {
            let mut crc: u16 = 0;
            for &b in data {
                crc ^= u16::from(b) << 8;
                for _ in 0..8 {
                    crc = if crc & 0x8000 != 0 {
                        (crc << 1) ^ 0x1021
                    } else {
                        crc << 1
                    };
                }
            }
            crc
        }
        let key: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37) | 0x80).collect();
        for len in 0..key.len() {
            assert_eq!(
                slot(&key[..len]),
                bitwise(&key[..len]) % SLOTS,
                "length {len}"
            );
        }
        assert_eq!(bitwise(b"123456789"), 0x31C3);
    }
}

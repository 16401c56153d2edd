//! `kafka_groups` keyspace:
//! - `'G' group` → the group (generation, members, assignments).
//! - `'O' len:u16 group topic_len:u16 topic partition:u32` → a committed offset. Lengths come
//!   first so that one group's offsets are one prefix, whatever bytes its name holds.

const GROUP: u8 = b'G';
const OFFSET: u8 = b'O';

pub const GROUPS: &[u8] = &[GROUP];

pub fn group(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(GROUP);
    k.extend_from_slice(name.as_bytes());
    k
}

/// The prefix of every committed offset of a group.
pub fn offsets(group: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + group.len());
    k.push(OFFSET);
    k.extend_from_slice(&(group.len() as u16).to_be_bytes());
    k.extend_from_slice(group.as_bytes());
    k
}

pub fn offset(group: &str, topic: &str, partition: i32) -> Vec<u8> {
    let mut k = offsets(group);
    k.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    k.extend_from_slice(topic.as_bytes());
    k.extend_from_slice(&(partition as u32).to_be_bytes());
    k
}

/// The topic and partition of an offset key.
pub fn decode_offset(k: &[u8]) -> Option<(&str, i32)> {
    let glen = u16::from_be_bytes(k.get(1..3)?.try_into().ok()?) as usize;
    let rest = k.get(3 + glen..)?;
    let tlen = u16::from_be_bytes(rest.get(0..2)?.try_into().ok()?) as usize;
    let topic = std::str::from_utf8(rest.get(2..2 + tlen)?).ok()?;
    let p: [u8; 4] = rest.get(2 + tlen..6 + tlen)?.try_into().ok()?;
    Some((topic, u32::from_be_bytes(p) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_keys_round_trip_and_stay_under_their_group() {
        let k = offset("g", "orders", 3);
        assert_eq!(decode_offset(&k), Some(("orders", 3)));
        assert!(k.starts_with(&offsets("g")));
        assert!(!offset("g2", "orders", 3).starts_with(&offsets("g")));
    }
}

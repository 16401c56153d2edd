//! The protocol's notation (section 3 of the v4 spec): `[int]`, `[string]`, `[bytes]`, `[value]`,
//! maps and lists. Reading is a bounds-checked cursor over one frame body; writing appends to a
//! `BufMut`. Nothing here knows about opcodes.
//!
//! Every length the reader takes from the wire is held against the bytes that remain before it is
//! used, and a count only sizes a `Vec` as far as the remaining bytes could possibly fill it, so a
//! hostile count costs nothing.

use bytes::{BufMut, Bytes};

/// A body that does not hold what its opcode says it should. Answered with a Protocol error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("Not enough bytes to read {what}: needed {needed}, {remaining} left in the frame")]
    Truncated {
        what: &'static str,
        needed: usize,
        remaining: usize,
    },
    #[error("Invalid UTF-8 in {what}")]
    InvalidUtf8 { what: &'static str },
    #[error("Invalid length {len} for {what}")]
    InvalidLength { what: &'static str, len: i32 },
}

/// A `[value]`: a bound variable as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundValue {
    /// Length -1.
    Null,
    /// Length -2: leave the column as it is (v4's "not set").
    Unset,
    /// The serialized value, a zero-copy slice of the frame body.
    Bytes(Bytes),
}

/// A cursor over one frame body. Slices it hands out share the body's buffer.
#[derive(Debug, Clone)]
pub struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    pub fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// What is left, without consuming it.
    pub fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// A capacity for `count` items of at least `min_item` bytes each that the remaining bytes
    /// could actually hold: a count from the wire never sizes an allocation on its own.
    pub fn capacity_for(&self, count: usize, min_item: usize) -> usize {
        count.min(self.remaining() / min_item.max(1))
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&[u8], WireError> {
        if self.remaining() < n {
            return Err(WireError::Truncated {
                what,
                needed: n,
                remaining: self.remaining(),
            });
        }
        let start = self.pos;
        self.pos += n;
        Ok(&self.buf[start..start + n])
    }

    fn take_bytes(&mut self, n: usize, what: &'static str) -> Result<Bytes, WireError> {
        self.take(n, what)?;
        Ok(self.buf.slice(self.pos - n..self.pos))
    }

    pub fn byte(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }

    /// A `[short]`: unsigned.
    pub fn short(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn int(&mut self, what: &'static str) -> Result<i32, WireError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn long(&mut self, what: &'static str) -> Result<i64, WireError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    fn utf8(&mut self, n: usize, what: &'static str) -> Result<String, WireError> {
        let b = self.take(n, what)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| WireError::InvalidUtf8 { what })
    }

    /// A `[string]`.
    pub fn string(&mut self, what: &'static str) -> Result<String, WireError> {
        let n = self.short(what)? as usize;
        self.utf8(n, what)
    }

    /// A `[long string]`.
    pub fn long_string(&mut self, what: &'static str) -> Result<String, WireError> {
        let n = self.int(what)?;
        if n < 0 {
            return Err(WireError::InvalidLength { what, len: n });
        }
        self.utf8(n as usize, what)
    }

    /// A `[bytes]`: `None` for a negative length.
    pub fn bytes(&mut self, what: &'static str) -> Result<Option<Bytes>, WireError> {
        let n = self.int(what)?;
        if n < 0 {
            return Ok(None);
        }
        self.take_bytes(n as usize, what).map(Some)
    }

    /// A `[short bytes]`.
    pub fn short_bytes(&mut self, what: &'static str) -> Result<Bytes, WireError> {
        let n = self.short(what)? as usize;
        self.take_bytes(n, what)
    }

    /// A `[value]`: -1 is null, -2 is unset, anything below is an error.
    pub fn value(&mut self, what: &'static str) -> Result<BoundValue, WireError> {
        match self.int(what)? {
            -1 => Ok(BoundValue::Null),
            -2 => Ok(BoundValue::Unset),
            n if n < 0 => Err(WireError::InvalidLength { what, len: n }),
            n => self.take_bytes(n as usize, what).map(BoundValue::Bytes),
        }
    }

    /// A `[string list]`.
    pub fn string_list(&mut self, what: &'static str) -> Result<Vec<String>, WireError> {
        let n = self.short(what)? as usize;
        let mut out = Vec::with_capacity(self.capacity_for(n, 2));
        for _ in 0..n {
            out.push(self.string(what)?);
        }
        Ok(out)
    }

    /// A `[string map]`, in wire order.
    pub fn string_map(&mut self, what: &'static str) -> Result<Vec<(String, String)>, WireError> {
        let n = self.short(what)? as usize;
        let mut out = Vec::with_capacity(self.capacity_for(n, 4));
        for _ in 0..n {
            let k = self.string(what)?;
            let v = self.string(what)?;
            out.push((k, v));
        }
        Ok(out)
    }

    /// A `[bytes map]`, in wire order.
    pub fn bytes_map(
        &mut self,
        what: &'static str,
    ) -> Result<Vec<(String, Option<Bytes>)>, WireError> {
        let n = self.short(what)? as usize;
        let mut out = Vec::with_capacity(self.capacity_for(n, 6));
        for _ in 0..n {
            let k = self.string(what)?;
            let v = self.bytes(what)?;
            out.push((k, v));
        }
        Ok(out)
    }
}

/// Appends a `[string]`. Strings longer than a `[short]` can say are cut at a character boundary
/// rather than corrupting the frame: only server-made text (messages, names) goes through here.
pub fn put_string(out: &mut impl BufMut, s: &str) {
    let mut end = s.len().min(u16::MAX as usize);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.put_u16(end as u16);
    out.put_slice(&s.as_bytes()[..end]);
}

/// Appends a `[long string]`.
pub fn put_long_string(out: &mut impl BufMut, s: &str) {
    out.put_i32(s.len() as i32);
    out.put_slice(s.as_bytes());
}

/// Appends a `[bytes]`; `None` is null (length -1).
pub fn put_bytes(out: &mut impl BufMut, b: Option<&[u8]>) {
    match b {
        Some(b) => {
            out.put_i32(b.len() as i32);
            out.put_slice(b);
        }
        None => out.put_i32(-1),
    }
}

/// Appends a `[short bytes]`.
pub fn put_short_bytes(out: &mut impl BufMut, b: &[u8]) {
    out.put_u16(b.len() as u16);
    out.put_slice(b);
}

/// Appends a `[string list]`.
pub fn put_string_list<S: AsRef<str>>(out: &mut impl BufMut, list: &[S]) {
    out.put_u16(list.len() as u16);
    for s in list {
        put_string(out, s.as_ref());
    }
}

/// Appends a `[string multimap]`.
pub fn put_string_multimap<K: AsRef<str>, V: AsRef<str>>(
    out: &mut impl BufMut,
    map: &[(K, Vec<V>)],
) {
    out.put_u16(map.len() as u16);
    for (k, vs) in map {
        put_string(out, k.as_ref());
        put_string_list(out, vs);
    }
}

/// Appends an `[inet]`: address size, address bytes, port as an `[int]`.
pub fn put_inet(out: &mut impl BufMut, addr: &std::net::SocketAddr) {
    match addr.ip() {
        std::net::IpAddr::V4(ip) => {
            out.put_u8(4);
            out.put_slice(&ip.octets());
        }
        std::net::IpAddr::V6(ip) => {
            out.put_u8(16);
            out.put_slice(&ip.octets());
        }
    }
    out.put_i32(i32::from(addr.port()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(b: &[u8]) -> Reader {
        Reader::new(Bytes::copy_from_slice(b))
    }

    #[test]
    fn strings_and_lists_round_trip() {
        let mut out = Vec::new();
        put_string(&mut out, "héllo");
        put_long_string(&mut out, "SELECT 1");
        put_string_list(&mut out, &["a", "bc"]);
        put_bytes(&mut out, Some(b"xyz"));
        put_bytes(&mut out, None);
        put_short_bytes(&mut out, &[1, 2]);
        let mut r = reader(&out);
        assert_eq!(r.string("s").unwrap(), "héllo");
        assert_eq!(r.long_string("q").unwrap(), "SELECT 1");
        assert_eq!(r.string_list("l").unwrap(), vec!["a", "bc"]);
        assert_eq!(r.bytes("b").unwrap().as_deref(), Some(&b"xyz"[..]));
        assert_eq!(r.bytes("b").unwrap(), None);
        assert_eq!(&r.short_bytes("sb").unwrap()[..], &[1, 2]);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn lengths_past_the_end_are_errors() {
        // [string] claiming 5 bytes with 2 present.
        assert!(matches!(
            reader(&[0, 5, b'a', b'b']).string("s"),
            Err(WireError::Truncated { needed: 5, .. })
        ));
        // [bytes] claiming i32::MAX.
        assert!(reader(&[0x7f, 0xff, 0xff, 0xff]).bytes("b").is_err());
        // [value] with length -3.
        assert_eq!(
            reader(&[0xff, 0xff, 0xff, 0xfd]).value("v"),
            Err(WireError::InvalidLength { what: "v", len: -3 })
        );
        // A string list announcing 65535 entries in a 4-byte body.
        assert!(reader(&[0xff, 0xff, 0, 0]).string_list("l").is_err());
        // Truncated header fields.
        assert!(reader(&[0]).short("s").is_err());
        assert!(reader(&[0, 0, 0]).int("i").is_err());
        assert!(reader(&[0; 7]).long("l").is_err());
    }

    #[test]
    fn value_variants() {
        let mut r = reader(&[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1, 9,
        ]);
        assert_eq!(r.value("v").unwrap(), BoundValue::Null);
        assert_eq!(r.value("v").unwrap(), BoundValue::Unset);
        assert_eq!(
            r.value("v").unwrap(),
            BoundValue::Bytes(Bytes::from_static(&[9]))
        );
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        assert_eq!(
            reader(&[0, 1, 0xff]).string("name"),
            Err(WireError::InvalidUtf8 { what: "name" })
        );
    }

    #[test]
    fn capacity_is_bounded_by_remaining_bytes() {
        let r = reader(&[0; 10]);
        assert_eq!(r.capacity_for(1_000_000, 4), 2);
        assert_eq!(r.capacity_for(1, 4), 1);
    }
}

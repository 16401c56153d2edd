//! Encodes [`Response`]s for a client speaking RESP2 or RESP3, straight into the connection's
//! single output buffer.
//!
//! Written here rather than through redis-protocol's frame encoders (which the decoder side
//! still follows): those format a RESP3 double with Rust's shortest `Display` form (`1e20` as
//! `100000000000000000000`), where clients and Redis's own tests expect Redis's `%.17g`-style
//! text (`1e+20`), and they need a frame tree built per reply first, one allocation per element,
//! on the hottest path of the server. The format itself is a dozen lines.

use bytes::{BufMut, BytesMut};

use crate::command::Response;
use crate::shared::float::format_double;

/// Appends one reply in the client's protocol version.
pub fn encode(out: &mut BytesMut, resp: Response, proto: u8) {
    Encoder {
        out,
        resp3: proto >= 3,
    }
    .reply(resp);
}

struct Encoder<'a> {
    out: &'a mut BytesMut,
    resp3: bool,
}

impl Encoder<'_> {
    fn reply(&mut self, resp: Response) {
        match resp {
            Response::Ok => self.out.put_slice(b"+OK\r\n"),
            Response::Status(s) => self.simple(b'+', s.as_bytes()),
            Response::Text(s) => self.simple(b'+', s.as_bytes()),
            Response::Type(t) => self.simple(b'+', t.map_or("none", |t| t.name()).as_bytes()),
            Response::Int(i) => self.int(b':', i),
            // Never asked for by a RESP command.
            Response::Log(_) | Response::Group(_) | Response::Table(_) => {
                self.simple(b'-', b"ERR reply of another protocol")
            }
            Response::Bulk(b) => self.bulk(&b),
            Response::Nil if self.resp3 => self.out.put_slice(b"_\r\n"),
            Response::Nil => self.out.put_slice(b"$-1\r\n"),
            Response::NilArray if self.resp3 => self.out.put_slice(b"_\r\n"),
            Response::NilArray => self.out.put_slice(b"*-1\r\n"),
            Response::Array(items) => self.aggregate(b'*', items),
            Response::Set(items) => {
                let kind = if self.resp3 { b'~' } else { b'*' };
                self.aggregate(kind, items)
            }
            Response::Map(pairs) => {
                if self.resp3 {
                    self.int(b'%', pairs.len() as i64);
                } else {
                    self.int(b'*', 2 * pairs.len() as i64);
                }
                for (k, v) in pairs {
                    self.reply(k);
                    self.reply(v);
                }
            }
            Response::Pairs(pairs) if self.resp3 => {
                self.int(b'*', pairs.len() as i64);
                for (a, b) in pairs {
                    self.out.put_slice(b"*2\r\n");
                    self.reply(a);
                    self.reply(b);
                }
            }
            Response::Pairs(pairs) => {
                self.int(b'*', 2 * pairs.len() as i64);
                for (a, b) in pairs {
                    self.reply(a);
                    self.reply(b);
                }
            }
            Response::Push(items) => {
                let kind = if self.resp3 { b'>' } else { b'*' };
                self.aggregate(kind, items)
            }
            Response::Double(d) => {
                let text = format_double(d);
                if self.resp3 {
                    self.simple(b',', text.as_bytes());
                } else {
                    self.bulk(text.as_bytes());
                }
            }
            Response::Bool(b) if self.resp3 => {
                self.out.put_slice(if b { b"#t\r\n" } else { b"#f\r\n" })
            }
            Response::Bool(b) => self.int(b':', i64::from(b)),
            Response::Verbatim(s) if self.resp3 => {
                self.int(b'=', s.len() as i64 + 4);
                self.out.put_slice(b"txt:");
                self.out.put_slice(s.as_bytes());
                self.out.put_slice(b"\r\n");
            }
            Response::Verbatim(s) => self.bulk(s.as_bytes()),
            Response::Error(e) => {
                // A newline would end the error line early and desynchronise the client.
                let text = super::error::text(&e).replace(['\r', '\n'], " ");
                self.simple(b'-', text.as_bytes());
            }
        }
    }

    fn simple(&mut self, kind: u8, text: &[u8]) {
        self.out.reserve(text.len() + 3);
        self.out.put_u8(kind);
        // Status lines come from our own code or, sanitised, from errors.
        self.out.put_slice(text);
        self.out.put_slice(b"\r\n");
    }

    fn int(&mut self, kind: u8, i: i64) {
        self.out.put_u8(kind);
        // Formatting into the buffer itself: no allocation.
        let _ = std::fmt::Write::write_fmt(self.out, format_args!("{i}\r\n"));
    }

    fn bulk(&mut self, b: &[u8]) {
        self.out.reserve(b.len() + 16);
        self.int(b'$', b.len() as i64);
        self.out.put_slice(b);
        self.out.put_slice(b"\r\n");
    }

    fn aggregate(&mut self, kind: u8, items: Vec<Response>) {
        self.int(kind, items.len() as i64);
        for item in items {
            self.reply(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::CommandError;

    fn wire(r: Response, proto: u8) -> String {
        let mut out = BytesMut::new();
        encode(&mut out, r, proto);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn replies_encode_in_both_protocols() {
        let r = || {
            Response::Array(vec![
                Response::Int(-3),
                Response::bulk("x"),
                Response::Nil,
                Response::Double(1e20),
                Response::Map(vec![(Response::bulk("f"), Response::bulk("v"))]),
                Response::Set(vec![Response::bulk("m")]),
                Response::Error(CommandError::WrongType),
                Response::Type(None),
            ])
        };
        assert_eq!(
            wire(r(), 2),
            "*8\r\n:-3\r\n$1\r\nx\r\n$-1\r\n$5\r\n1e+20\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*1\r\n$1\r\nm\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+none\r\n"
        );
        assert_eq!(
            wire(r(), 3),
            "*8\r\n:-3\r\n$1\r\nx\r\n_\r\n,1e+20\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n~1\r\n$1\r\nm\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+none\r\n"
        );
        assert_eq!(wire(Response::NilArray, 2), "*-1\r\n");
        assert_eq!(wire(Response::NilArray, 3), "_\r\n");
        assert_eq!(wire(Response::Verbatim("hi".into()), 3), "=6\r\ntxt:hi\r\n");
        assert_eq!(wire(Response::Bool(true), 3), "#t\r\n");
        let pairs = || Response::Pairs(vec![(Response::bulk("m"), Response::Double(1.5))]);
        assert_eq!(wire(pairs(), 2), "*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n");
        assert_eq!(wire(pairs(), 3), "*1\r\n*2\r\n$1\r\nm\r\n,1.5\r\n");
    }
}

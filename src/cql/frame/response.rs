//! The responses a server sends, as one enum that encodes itself into a frame. Rows results are
//! not here: they are streamed by [`super::rows::RowsWriter`].

use bytes::{BufMut, BytesMut};

use super::error::ErrorResponse;
use super::event::Event;
use super::result::ResultBody;
use super::wire::{put_bytes, put_string, put_string_multimap};
use super::writer::{FrameOptions, FrameWriter};
use super::{
    OPCODE_AUTHENTICATE, OPCODE_AUTH_CHALLENGE, OPCODE_AUTH_SUCCESS, OPCODE_ERROR, OPCODE_EVENT,
    OPCODE_READY, OPCODE_RESULT, OPCODE_SUPPORTED,
};

/// Stream id of every EVENT frame.
pub const EVENT_STREAM: i16 = -1;

/// A response to encode.
#[derive(Debug, Clone)]
pub enum Response<'a> {
    Error(ErrorResponse),
    Ready,
    /// The authenticator's class name, e.g.
    /// `org.apache.cassandra.auth.PasswordAuthenticator`.
    Authenticate(&'a str),
    /// STARTUP options and their supported values.
    Supported(&'a [(String, Vec<String>)]),
    AuthChallenge(Option<&'a [u8]>),
    AuthSuccess(Option<&'a [u8]>),
    Result(ResultBody<'a>),
    Event(&'a Event),
}

impl Response<'_> {
    pub fn opcode(&self) -> u8 {
        match self {
            Response::Error(_) => OPCODE_ERROR,
            Response::Ready => OPCODE_READY,
            Response::Authenticate(_) => OPCODE_AUTHENTICATE,
            Response::Supported(_) => OPCODE_SUPPORTED,
            Response::AuthChallenge(_) => OPCODE_AUTH_CHALLENGE,
            Response::AuthSuccess(_) => OPCODE_AUTH_SUCCESS,
            Response::Result(_) => OPCODE_RESULT,
            Response::Event(_) => OPCODE_EVENT,
        }
    }

    pub fn encode_body(&self, out: &mut impl BufMut) {
        match self {
            Response::Error(e) => e.encode_body(out),
            Response::Ready => {}
            Response::Authenticate(class) => put_string(out, class),
            Response::Supported(options) => put_string_multimap(out, options),
            Response::AuthChallenge(token) | Response::AuthSuccess(token) => put_bytes(out, *token),
            Response::Result(r) => r.encode(out),
            Response::Event(e) => e.encode_body(out),
        }
    }

    /// Appends the whole frame to `out`; returns its length. EVENTs always go on stream -1,
    /// whatever `stream` says.
    pub fn encode_frame(&self, out: &mut BytesMut, stream: i16, opts: FrameOptions<'_>) -> usize {
        let stream = if matches!(self, Response::Event(_)) {
            EVENT_STREAM
        } else {
            stream
        };
        let mut w = FrameWriter::begin_with(out, stream, self.opcode(), opts);
        self.encode_body(w.buf());
        w.finish()
    }
}

/// The SUPPORTED options Cassandra 4 advertises, less the versions we do not speak.
pub fn default_supported() -> Vec<(String, Vec<String>)> {
    vec![
        ("CQL_VERSION".to_string(), vec!["3.4.5".to_string()]),
        (
            "COMPRESSION".to_string(),
            vec!["lz4".to_string(), "snappy".to_string()],
        ),
        ("PROTOCOL_VERSIONS".to_string(), vec!["4/v4".to_string()]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::frame::event::{ChangeType, SchemaChange, SchemaTarget};

    fn frame(r: &Response<'_>, stream: i16) -> Vec<u8> {
        let mut out = BytesMut::new();
        r.encode_frame(&mut out, stream, FrameOptions::default());
        out.to_vec()
    }

    #[test]
    fn ready_and_authenticate() {
        assert_eq!(frame(&Response::Ready, 3), [0x84, 0, 0, 3, 2, 0, 0, 0, 0]);
        let f = frame(&Response::Authenticate("a.B"), 0);
        assert_eq!(f, [0x84, 0, 0, 0, 3, 0, 0, 0, 5, 0, 3, b'a', b'.', b'B']);
    }

    #[test]
    fn auth_success_may_be_null() {
        let f = frame(&Response::AuthSuccess(None), 1);
        assert_eq!(&f[9..], &[0xff, 0xff, 0xff, 0xff]);
        let f = frame(&Response::AuthSuccess(Some(b"ok")), 1);
        assert_eq!(&f[9..], &[0, 0, 0, 2, b'o', b'k']);
    }

    #[test]
    fn supported_multimap() {
        let opts = vec![("COMPRESSION".to_string(), vec!["lz4".to_string()])];
        let f = frame(&Response::Supported(&opts), 0);
        let mut body = vec![0, 1, 0, 11];
        body.extend_from_slice(b"COMPRESSION");
        body.extend_from_slice(&[0, 1, 0, 3, b'l', b'z', b'4']);
        assert_eq!(&f[9..], &body[..]);
    }

    #[test]
    fn events_use_stream_minus_one() {
        let ev = Event::SchemaChange(SchemaChange {
            change: ChangeType::Updated,
            target: SchemaTarget::Keyspace("ks".into()),
        });
        let f = frame(&Response::Event(&ev), 12);
        assert_eq!(&f[..5], &[0x84, 0, 0xff, 0xff, 0x0c]);
    }

    #[test]
    fn void_result() {
        let f = frame(&Response::Result(ResultBody::Void), 4);
        assert_eq!(f, [0x84, 0, 0, 4, 8, 0, 0, 0, 4, 0, 0, 0, 1]);
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Frames this encoder produced that the DataStax Python driver 3.30.1 decodes
    /// (`ProtocolHandler.decode_message`) into the expected messages; pinned so the bytes stay.
    #[test]
    fn bytes_the_python_driver_decodes() {
        let sc = SchemaChange {
            change: ChangeType::Created,
            target: SchemaTarget::Function {
                keyspace: "ks".into(),
                name: "f".into(),
                arg_types: vec!["int".into()],
            },
        };
        assert_eq!(
            frame(&Response::Result(ResultBody::SchemaChange(&sc)), 9),
            unhex(concat!(
                "84000009080000002500000005000743524541544544000846554e4354494f4e00026b73",
                "00016600010003696e74"
            ))
        );
        let ev = Event::TopologyChange {
            change: crate::cql::frame::event::TopologyChange::NewNode,
            node: "[::1]:9042".parse().unwrap(),
        };
        assert_eq!(
            frame(&Response::Event(&ev), 0),
            unhex(concat!(
                "8400ffff0c00000030000f544f504f4c4f47595f4348414e474500084e45575f4e4f4445",
                "100000000000000000000000000000000100002352"
            ))
        );
        assert_eq!(
            frame(&Response::Supported(&default_supported()), 1),
            unhex(concat!(
                "84000001060000004f0003000b43514c5f56455253494f4e00010005332e342e35000b",
                "434f4d5052455353494f4e000200036c7a340006736e61707079001150524f544f434f",
                "4c5f56455253494f4e5300010004342f7634"
            ))
        );
    }
}

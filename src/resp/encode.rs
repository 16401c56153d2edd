//! Encodes [`Response`]s for a client speaking RESP2 or RESP3, with redis-protocol's encoders,
//! into the connection's single output buffer.

use bytes::{Bytes, BytesMut};
use redis_protocol::resp2::types::BytesFrame as Frame2;
use redis_protocol::resp3::types::{
    BytesFrame as Frame3, FrameMap, FrameSet, VerbatimStringFormat,
};

use crate::command::Response;

/// Appends one reply in the client's protocol version.
pub fn encode(out: &mut BytesMut, resp: Response, proto: u8) {
    if proto < 3 && resp == Response::NilArray {
        // redis-protocol's RESP2 frame has a single null, written as a null bulk string.
        out.extend_from_slice(b"*-1\r\n");
        return;
    }
    let result = if proto >= 3 {
        redis_protocol::resp3::encode::complete::extend_encode(out, &to_resp3(resp), false)
    } else {
        redis_protocol::resp2::encode::extend_encode(out, &to_resp2(resp), false)
    };
    if let Err(e) = result {
        // Only reachable for frames we built wrongly; the client still gets a reply.
        tracing::error!(error = %e, "reply encoding failed");
        out.extend_from_slice(b"-ERR internal error encoding reply\r\n");
    }
}

fn error_text(e: &crate::command::CommandError) -> String {
    // A newline would end the error line early and desynchronise the client.
    e.to_string().replace(['\r', '\n'], " ")
}

fn to_resp2(resp: Response) -> Frame2 {
    match resp {
        Response::Ok => Frame2::SimpleString(Bytes::from_static(b"OK")),
        Response::Status(s) => Frame2::SimpleString(Bytes::from_static(s.as_bytes())),
        Response::Text(s) => Frame2::SimpleString(Bytes::from(s)),
        Response::Int(i) => Frame2::Integer(i),
        Response::Bulk(b) => Frame2::BulkString(b),
        Response::Nil => Frame2::Null,
        Response::NilArray => Frame2::Null,
        Response::Array(items) | Response::Set(items) => {
            Frame2::Array(items.into_iter().map(to_resp2).collect())
        }
        Response::Map(pairs) => Frame2::Array(
            pairs
                .into_iter()
                .flat_map(|(k, v)| [to_resp2(k), to_resp2(v)])
                .collect(),
        ),
        Response::Double(d) => Frame2::BulkString(Bytes::from(format_double(d))),
        Response::Bool(b) => Frame2::Integer(i64::from(b)),
        Response::Verbatim(s) => Frame2::BulkString(Bytes::from(s)),
        Response::Error(e) => Frame2::Error(error_text(&e).into()),
    }
}

fn to_resp3(resp: Response) -> Frame3 {
    match resp {
        Response::Ok => Frame3::SimpleString {
            data: Bytes::from_static(b"OK"),
            attributes: None,
        },
        Response::Status(s) => Frame3::SimpleString {
            data: Bytes::from_static(s.as_bytes()),
            attributes: None,
        },
        Response::Text(s) => Frame3::SimpleString {
            data: Bytes::from(s),
            attributes: None,
        },
        Response::Int(i) => Frame3::Number {
            data: i,
            attributes: None,
        },
        Response::Bulk(b) => Frame3::BlobString {
            data: b,
            attributes: None,
        },
        Response::Nil | Response::NilArray => Frame3::Null,
        Response::Array(items) => Frame3::Array {
            data: items.into_iter().map(to_resp3).collect(),
            attributes: None,
        },
        Response::Set(items) => Frame3::Set {
            data: items.into_iter().map(to_resp3).collect::<FrameSet<_>>(),
            attributes: None,
        },
        Response::Map(pairs) => Frame3::Map {
            data: pairs
                .into_iter()
                .map(|(k, v)| (to_resp3(k), to_resp3(v)))
                .collect::<FrameMap<_, _>>(),
            attributes: None,
        },
        Response::Double(d) => Frame3::Double {
            data: d,
            attributes: None,
        },
        Response::Bool(b) => Frame3::Boolean {
            data: b,
            attributes: None,
        },
        Response::Verbatim(s) => Frame3::VerbatimString {
            data: Bytes::from(s),
            format: VerbatimStringFormat::Text,
            attributes: None,
        },
        Response::Error(e) => Frame3::SimpleError {
            data: error_text(&e).into(),
            attributes: None,
        },
    }
}

/// Formats a double as Redis does in RESP2 replies.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        if d > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        crate::engine::format_float(d)
    }
}

//! Request bodies (spec 4.1) decoded into [`Request`]: STARTUP, AUTH_RESPONSE, OPTIONS, QUERY,
//! PREPARE, EXECUTE, BATCH and REGISTER. Query strings are copied out (they go to the parser as
//! `&str`); prepared ids and bound values stay zero-copy slices of the frame body.

use bytes::Bytes;

use super::batch::Batch;
use super::compression::{Compression, CompressionError};
use super::consistency::UnknownConsistency;
use super::error::ErrorResponse;
use super::event::EventType;
use super::query::QueryParameters;
use super::wire::{Reader, WireError};
use super::{
    Frame, FLAG_CUSTOM_PAYLOAD, FLAG_TRACING, OPCODE_AUTH_RESPONSE, OPCODE_BATCH, OPCODE_EXECUTE,
    OPCODE_OPTIONS, OPCODE_PREPARE, OPCODE_QUERY, OPCODE_REGISTER, OPCODE_STARTUP,
};

/// A request body that cannot be decoded. Answered with a Protocol error on the frame's stream
/// ([`RequestError::to_response`]); whether to keep the connection is the caller's call
/// (Cassandra keeps it for body errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error(transparent)]
    Consistency(#[from] UnknownConsistency),
    #[error(transparent)]
    Compression(#[from] CompressionError),
    #[error("Received a compressed frame but no compression was negotiated")]
    UnexpectedCompression,
    #[error("Unknown opcode {0}")]
    UnknownOpcode(u8),
    #[error("{0}")]
    Protocol(String),
}

impl RequestError {
    pub fn to_response(&self) -> ErrorResponse {
        ErrorResponse::protocol(self.to_string())
    }
}

/// STARTUP's options, in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Startup {
    pub options: Vec<(String, String)>,
}

impl Startup {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The requested body compression; an unknown algorithm is a Protocol error.
    pub fn compression(&self) -> Result<Option<Compression>, RequestError> {
        match self.get("COMPRESSION") {
            None => Ok(None),
            Some(name) => Compression::from_name(name).map(Some).ok_or_else(|| {
                RequestError::Protocol(format!("Unknown compression algorithm: {name}"))
            }),
        }
    }
}

/// A decoded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Startup(Startup),
    /// The SASL token; `None` when the client sent a null `[bytes]`.
    AuthResponse(Option<Bytes>),
    Options,
    Query {
        query: String,
        params: QueryParameters,
    },
    Prepare {
        query: String,
    },
    Execute {
        id: Bytes,
        params: QueryParameters,
    },
    Batch(Batch),
    Register(Vec<EventType>),
}

/// A request with what its frame header and envelope said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFrame {
    pub stream: i16,
    /// The client asked for tracing (honoured for QUERY, PREPARE and EXECUTE).
    pub tracing: bool,
    /// The custom payload (flag 0x04), ignored by Cassandra's default query handler.
    pub custom_payload: Option<Vec<(String, Option<Bytes>)>>,
    pub request: Request,
}

/// Decodes a request frame. `compression` is what STARTUP negotiated (`None` before STARTUP
/// and when none was asked for); `max_len` bounds the decompressed body.
pub fn decode_request(
    frame: &Frame,
    compression: Option<Compression>,
    max_len: usize,
) -> Result<RequestFrame, RequestError> {
    let h = &frame.header;
    let body = if h.is_compressed() {
        let c = compression.ok_or(RequestError::UnexpectedCompression)?;
        c.decompress(&frame.body, max_len)?
    } else {
        frame.body.clone()
    };
    let mut r = Reader::new(body);
    let custom_payload = if h.flags & FLAG_CUSTOM_PAYLOAD != 0 {
        Some(r.bytes_map("custom payload")?)
    } else {
        None
    };
    let request = decode_body(h.opcode, &mut r)?;
    Ok(RequestFrame {
        stream: h.stream,
        tracing: h.flags & FLAG_TRACING != 0,
        custom_payload,
        request,
    })
}

/// Decodes the body of a request with `opcode`. Trailing bytes are ignored, as the spec asks of
/// implementations so that optional fields can be added without a new version.
pub fn decode_body(opcode: u8, r: &mut Reader) -> Result<Request, RequestError> {
    Ok(match opcode {
        OPCODE_STARTUP => Request::Startup(Startup {
            options: r.string_map("startup options")?,
        }),
        OPCODE_AUTH_RESPONSE => Request::AuthResponse(r.bytes("auth token")?),
        OPCODE_OPTIONS => Request::Options,
        OPCODE_QUERY => {
            let query = r.long_string("query")?;
            let params = QueryParameters::decode(r)?;
            Request::Query { query, params }
        }
        OPCODE_PREPARE => Request::Prepare {
            query: r.long_string("query")?,
        },
        OPCODE_EXECUTE => {
            let id = r.short_bytes("prepared id")?;
            let params = QueryParameters::decode(r)?;
            Request::Execute { id, params }
        }
        OPCODE_BATCH => Request::Batch(Batch::decode(r)?),
        OPCODE_REGISTER => {
            let names = r.string_list("event types")?;
            let mut events = Vec::with_capacity(names.len());
            for name in names {
                match EventType::from_name(&name) {
                    Some(t) => events.push(t),
                    None => {
                        return Err(RequestError::Protocol(format!(
                            "Invalid value '{name}' for Type"
                        )))
                    }
                }
            }
            Request::Register(events)
        }
        other => return Err(RequestError::UnknownOpcode(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::frame::batch::{BatchQuery, BatchType};
    use crate::cql::frame::consistency::Consistency;
    use crate::cql::frame::header::decode_frame;
    use crate::cql::frame::wire::BoundValue;
    use bytes::BytesMut;

    const MAX: usize = 1 << 20;

    // Frames encoded by the DataStax Python driver 3.30.1
    // (`ProtocolHandler.encode_message(msg, stream, 4, compressor, False)`).
    const PY_STARTUP_LZ4: &str = concat!(
        "0400000001000000650004000b434f4d5052455353494f4e00036c7a34000b4452495645525f4e41",
        "4d450016446174615374617820507974686f6e20447269766572000e4452495645525f5645525349",
        "4f4e0006332e33302e31000b43514c5f56455253494f4e0005332e302e30",
    );
    const PY_OPTIONS: &str = "040000010500000000";
    const PY_REGISTER: &str = concat!(
        "040000020b000000310003000f544f504f4c4f47595f4348414e4745000d5354415455535f434841",
        "4e4745000d534348454d415f4348414e4745",
    );
    const PY_PREPARE: &str = concat!(
        "0400000309000000220000001e53454c454354202a2046524f4d206b732e74205748455245206b20",
        "3d203f",
    );
    const PY_AUTH_RESPONSE: &str =
        "040000040f00000018000000140063617373616e6472610063617373616e647261";
    const PY_QUERY_PAGED: &str = concat!(
        "04000005070000002e0000001253454c454354202a2046524f4d206b732e7400063c000013880000",
        "0003010203000900060a24181e4000",
    );
    const PY_QUERY_VALUES: &str = concat!(
        "0400000607000000470000002b494e5345525420494e544f206b732e7420286b2c20762c20772920",
        "56414c55455320283f2c203f2c203f290001010003000000040000002a0000000368c3a9ffffffff",
    );
    const PY_EXECUTE: &str = concat!(
        "040000070a000000270010deadbeefdeadbeefdeadbeefdeadbeef00040500020000000400000007",
        "ffffffff00000064",
    );
    const PY_BATCH: &str = concat!(
        "040000080d0000005f010002000000001f494e5345525420494e544f206b732e7420286b29205641",
        "4c55455320283f2900010000000400000001010010abababababababababababababababab000200",
        "00000400000002ffffffff000130000800000000499602d2",
    );
    const PY_QUERY_LZ4: &str = concat!(
        "0401000907000000c700000128f1060000011d53454c45435420636f6c302c20636f6c3106001132",
        "06001133060011340600113506001136060011370600113806001139060013313d00023e0012313f",
        "00123140001231410012314200123143001231440012314500123146001232460012324600123246",
        "00213233620012324600123246001232460012324600123246001232460012334600123346001233",
        "4600123346002133344d0012334600123346001233460012334600f00433392046524f4d206b732e",
        "7400010400001388",
    );
    const PY_QUERY_SNAPPY: &str = concat!(
        "0401000a07000000c0a8023c0000011d53454c45435420636f6c302c010600310506003205060033",
        "050600340506003505060036050600370506003805060039050600310d3d093e0031093f04313309",
        "1c094100310942003109430031094400310945003109460032094600320946003209460032094604",
        "3234054d003209460032094600320946003209460032094600330946003309460033094600330946",
        "00330946043335054d0033094600330946003309464833392046524f4d206b732e74000104000013",
        "88",
    );
    const PY_QUERY_BIG_PLAIN: &str = concat!(
        "0400000907000001280000011d53454c45435420636f6c302c20636f6c312c20636f6c322c20636f",
        "6c332c20636f6c342c20636f6c352c20636f6c362c20636f6c372c20636f6c382c20636f6c392c20",
        "636f6c31302c20636f6c31312c20636f6c31322c20636f6c31332c20636f6c31342c20636f6c3135",
        "2c20636f6c31362c20636f6c31372c20636f6c31382c20636f6c31392c20636f6c32302c20636f6c",
        "32312c20636f6c32322c20636f6c32332c20636f6c32342c20636f6c32352c20636f6c32362c2063",
        "6f6c32372c20636f6c32382c20636f6c32392c20636f6c33302c20636f6c33312c20636f6c33322c",
        "20636f6c33332c20636f6c33342c20636f6c33352c20636f6c33362c20636f6c33372c20636f6c33",
        "382c20636f6c33392046524f4d206b732e7400010400001388",
    );

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn frame_of(hexed: &str) -> Frame {
        let mut buf = BytesMut::from(&unhex(hexed)[..]);
        let f = decode_frame(&mut buf, MAX).unwrap().unwrap();
        assert!(buf.is_empty(), "one whole frame");
        f
    }

    fn decode(hexed: &str, c: Option<Compression>) -> RequestFrame {
        decode_request(&frame_of(hexed), c, MAX).unwrap()
    }

    fn int(v: i32) -> BoundValue {
        BoundValue::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
    }

    #[test]
    fn startup_with_compression() {
        let r = decode(PY_STARTUP_LZ4, None);
        assert_eq!(r.stream, 0);
        let Request::Startup(s) = r.request else {
            panic!("{:?}", r.request)
        };
        assert_eq!(s.get("CQL_VERSION"), Some("3.0.0"));
        assert_eq!(s.get("DRIVER_NAME"), Some("DataStax Python Driver"));
        assert_eq!(s.compression().unwrap(), Some(Compression::Lz4));
        let bad = Startup {
            options: vec![("COMPRESSION".into(), "zstd".into())],
        };
        assert_eq!(
            bad.compression().unwrap_err().to_string(),
            "Unknown compression algorithm: zstd"
        );
    }

    #[test]
    fn options_register_prepare_auth() {
        assert_eq!(decode(PY_OPTIONS, None).request, Request::Options);
        assert_eq!(
            decode(PY_REGISTER, None).request,
            Request::Register(vec![
                EventType::TopologyChange,
                EventType::StatusChange,
                EventType::SchemaChange
            ])
        );
        assert_eq!(
            decode(PY_PREPARE, None).request,
            Request::Prepare {
                query: "SELECT * FROM ks.t WHERE k = ?".into()
            }
        );
        assert_eq!(
            decode(PY_AUTH_RESPONSE, None).request,
            Request::AuthResponse(Some(Bytes::from_static(b"\0cassandra\0cassandra")))
        );
    }

    #[test]
    fn query_with_paging_serial_and_timestamp() {
        let r = decode(PY_QUERY_PAGED, None);
        assert_eq!(r.stream, 5);
        let Request::Query { query, params } = r.request else {
            panic!()
        };
        assert_eq!(query, "SELECT * FROM ks.t");
        assert_eq!(params.consistency, Consistency::LocalQuorum);
        assert_eq!(params.page_size, Some(5000));
        assert_eq!(params.paging_state.as_deref(), Some(&[1u8, 2, 3][..]));
        assert_eq!(params.serial_consistency, Some(Consistency::LocalSerial));
        assert_eq!(params.timestamp, Some(1_700_000_000_000_000));
        assert!(params.values.is_empty());
        assert!(!params.skip_metadata);
    }

    #[test]
    fn query_with_values() {
        let Request::Query { query, params } = decode(PY_QUERY_VALUES, None).request else {
            panic!()
        };
        assert_eq!(query, "INSERT INTO ks.t (k, v, w) VALUES (?, ?, ?)");
        assert_eq!(params.consistency, Consistency::One);
        assert_eq!(
            params.values,
            vec![
                int(42),
                BoundValue::Bytes(Bytes::from("hé")),
                BoundValue::Null
            ]
        );
        assert_eq!(params.names, None);
    }

    #[test]
    fn execute() {
        let r = decode(PY_EXECUTE, None);
        let Request::Execute { id, params } = r.request else {
            panic!()
        };
        assert_eq!(&id[..], &[0xde, 0xad, 0xbe, 0xef].repeat(4)[..]);
        assert_eq!(params.consistency, Consistency::Quorum);
        assert_eq!(params.values, vec![int(7), BoundValue::Null]);
        assert_eq!(params.page_size, Some(100));
    }

    #[test]
    fn batch() {
        let Request::Batch(b) = decode(PY_BATCH, None).request else {
            panic!()
        };
        assert_eq!(b.batch_type, BatchType::Unlogged);
        assert_eq!(b.statements.len(), 2);
        assert_eq!(
            b.statements[0].query,
            BatchQuery::Query("INSERT INTO ks.t (k) VALUES (?)".into())
        );
        assert_eq!(b.statements[0].values, vec![int(1)]);
        assert_eq!(
            b.statements[1].query,
            BatchQuery::Prepared(Bytes::from(vec![0xab; 16]))
        );
        assert_eq!(b.statements[1].values, vec![int(2), BoundValue::Null]);
        assert_eq!(b.consistency, Consistency::One);
        assert_eq!(b.serial_consistency, Some(Consistency::Serial));
        assert_eq!(b.timestamp, Some(1_234_567_890));
    }

    #[test]
    fn compressed_queries() {
        let plain = decode(PY_QUERY_BIG_PLAIN, None).request;
        assert_eq!(decode(PY_QUERY_LZ4, Some(Compression::Lz4)).request, plain);
        assert_eq!(
            decode(PY_QUERY_SNAPPY, Some(Compression::Snappy)).request,
            plain
        );
        // Compressed without negotiation, or with the other algorithm.
        let f = frame_of(PY_QUERY_LZ4);
        assert_eq!(
            decode_request(&f, None, MAX),
            Err(RequestError::UnexpectedCompression)
        );
        assert!(decode_request(&f, Some(Compression::Snappy), MAX).is_err());
        // Inflating past the limit.
        assert!(matches!(
            decode_request(&f, Some(Compression::Lz4), 100),
            Err(RequestError::Compression(CompressionError::TooLarge { .. }))
        ));
    }

    #[test]
    fn every_truncation_of_every_body_is_an_error_not_a_panic() {
        for hexed in [
            PY_STARTUP_LZ4,
            PY_REGISTER,
            PY_PREPARE,
            PY_AUTH_RESPONSE,
            PY_QUERY_PAGED,
            PY_QUERY_VALUES,
            PY_EXECUTE,
            PY_BATCH,
        ] {
            let f = frame_of(hexed);
            for cut in 0..f.body.len() {
                let short = Frame {
                    header: f.header,
                    body: f.body.slice(..cut),
                };
                assert!(
                    decode_request(&short, None, MAX).is_err(),
                    "opcode {} cut at {cut}",
                    f.header.opcode
                );
            }
        }
    }

    #[test]
    fn counts_running_past_the_body_are_errors() {
        let h = |opcode: u8, body: &[u8]| Frame {
            header: crate::cql::frame::FrameHeader {
                version: 4,
                flags: 0,
                stream: 1,
                opcode,
                length: body.len() as u32,
            },
            body: Bytes::copy_from_slice(body),
        };
        // QUERY: empty query, ONE, values flag, 65535 values, none present.
        let f = h(OPCODE_QUERY, &[0, 0, 0, 0, 0, 1, 1, 0xff, 0xff]);
        assert!(matches!(
            decode_request(&f, None, MAX),
            Err(RequestError::Wire(WireError::Truncated { .. }))
        ));
        // BATCH with 65535 statements announced.
        let f = h(OPCODE_BATCH, &[0, 0xff, 0xff]);
        assert!(decode_request(&f, None, MAX).is_err());
        // A [value] of length -3.
        let f = h(
            OPCODE_QUERY,
            &[0, 0, 0, 0, 0, 1, 1, 0, 1, 0xff, 0xff, 0xff, 0xfd],
        );
        assert!(decode_request(&f, None, MAX).is_err());
        // A [long string] of negative length.
        let f = h(OPCODE_PREPARE, &[0x80, 0, 0, 0]);
        assert!(decode_request(&f, None, MAX).is_err());
        // Unknown consistency, batch type, batch kind, event, opcode.
        let f = h(OPCODE_QUERY, &[0, 0, 0, 0, 0, 0x63, 0]);
        assert_eq!(
            decode_request(&f, None, MAX).unwrap_err().to_string(),
            "Unknown code 99 for a consistency level"
        );
        assert!(decode_request(&h(OPCODE_BATCH, &[7, 0, 0, 0, 1, 0]), None, MAX).is_err());
        assert!(decode_request(&h(OPCODE_BATCH, &[0, 0, 1, 2]), None, MAX).is_err());
        let mut reg = vec![0, 1, 0, 3];
        reg.extend_from_slice(b"FOO");
        assert_eq!(
            decode_request(&h(OPCODE_REGISTER, &reg), None, MAX)
                .unwrap_err()
                .to_string(),
            "Invalid value 'FOO' for Type"
        );
        let e = decode_request(&h(0x04, &[]), None, MAX).unwrap_err();
        assert_eq!(e, RequestError::UnknownOpcode(4));
        assert_eq!(e.to_response().kind.code(), 0x000A);
        // READY is a response, not a request.
        assert!(decode_request(&h(0x02, &[]), None, MAX).is_err());
    }

    #[test]
    fn named_values_and_skip_metadata() {
        let mut body = vec![0, 0, 0, 1, b'?', 0, 4, 0x01 | 0x02 | 0x40, 0, 1, 0, 1, b'k'];
        body.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 9]);
        let f = Frame {
            header: crate::cql::frame::FrameHeader {
                version: 4,
                flags: 0,
                stream: 1,
                opcode: OPCODE_QUERY,
                length: body.len() as u32,
            },
            body: Bytes::from(body),
        };
        let Request::Query { params, .. } = decode_request(&f, None, MAX).unwrap().request else {
            panic!()
        };
        assert!(params.skip_metadata);
        assert_eq!(params.names, Some(vec!["k".to_string()]));
        assert_eq!(params.values, vec![int(9)]);
    }

    #[test]
    fn custom_payload_and_tracing_flags() {
        let mut body = vec![0, 1, 0, 1, b'x', 0, 0, 0, 1, 7];
        body.extend_from_slice(&[0, 0, 0, 0]); // PREPARE ""
        let f = Frame {
            header: crate::cql::frame::FrameHeader {
                version: 4,
                flags: FLAG_CUSTOM_PAYLOAD | FLAG_TRACING,
                stream: 1,
                opcode: OPCODE_PREPARE,
                length: body.len() as u32,
            },
            body: Bytes::from(body),
        };
        let r = decode_request(&f, None, MAX).unwrap();
        assert!(r.tracing);
        assert_eq!(
            r.custom_payload,
            Some(vec![("x".to_string(), Some(Bytes::from_static(&[7])))])
        );
        assert_eq!(
            r.request,
            Request::Prepare {
                query: String::new()
            }
        );
    }
}

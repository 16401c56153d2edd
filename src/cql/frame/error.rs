//! ERROR (opcode 0x00): an `[int]` code, a `[string]` message, then the fields that code carries
//! (spec section 9). Every failure the CQL front-end reports to a client becomes one of these.

use bytes::{BufMut, Bytes, BytesMut};

use super::compression::Compression;
use super::consistency::Consistency;
use super::wire::{put_short_bytes, put_string, put_string_list};
use super::writer::FrameWriter;
use super::OPCODE_ERROR;

/// An ERROR response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub kind: ErrorKind,
    pub message: String,
}

/// The error code and its extra fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 0x0000: a server-side bug.
    Server,
    /// 0x000A: the client broke the protocol.
    Protocol,
    /// 0x0100: authentication failed.
    BadCredentials,
    /// 0x1000.
    Unavailable {
        consistency: Consistency,
        required: i32,
        alive: i32,
    },
    /// 0x1001.
    Overloaded,
    /// 0x1002.
    IsBootstrapping,
    /// 0x1003.
    Truncate,
    /// 0x1100.
    WriteTimeout {
        consistency: Consistency,
        received: i32,
        block_for: i32,
        write_type: WriteType,
    },
    /// 0x1200.
    ReadTimeout {
        consistency: Consistency,
        received: i32,
        block_for: i32,
        data_present: bool,
    },
    /// 0x1300.
    ReadFailure {
        consistency: Consistency,
        received: i32,
        block_for: i32,
        num_failures: i32,
        data_present: bool,
    },
    /// 0x1400.
    FunctionFailure {
        keyspace: String,
        function: String,
        arg_types: Vec<String>,
    },
    /// 0x1500.
    WriteFailure {
        consistency: Consistency,
        received: i32,
        block_for: i32,
        num_failures: i32,
        write_type: WriteType,
    },
    /// 0x2000.
    Syntax,
    /// 0x2100.
    Unauthorized,
    /// 0x2200: syntactically valid but invalid (also bad bound values).
    Invalid,
    /// 0x2300.
    Config,
    /// 0x2400: `table` is empty when a keyspace already exists.
    AlreadyExists { keyspace: String, table: String },
    /// 0x2500: EXECUTE of an id this node does not know; the driver re-prepares.
    Unprepared { id: Bytes },
}

/// The `<writeType>` of write timeouts and failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteType {
    Simple,
    Batch,
    UnloggedBatch,
    Counter,
    BatchLog,
    Cas,
}

impl WriteType {
    pub fn name(self) -> &'static str {
        match self {
            WriteType::Simple => "SIMPLE",
            WriteType::Batch => "BATCH",
            WriteType::UnloggedBatch => "UNLOGGED_BATCH",
            WriteType::Counter => "COUNTER",
            WriteType::BatchLog => "BATCH_LOG",
            WriteType::Cas => "CAS",
        }
    }
}

impl ErrorKind {
    pub fn code(&self) -> i32 {
        match self {
            ErrorKind::Server => 0x0000,
            ErrorKind::Protocol => 0x000A,
            ErrorKind::BadCredentials => 0x0100,
            ErrorKind::Unavailable { .. } => 0x1000,
            ErrorKind::Overloaded => 0x1001,
            ErrorKind::IsBootstrapping => 0x1002,
            ErrorKind::Truncate => 0x1003,
            ErrorKind::WriteTimeout { .. } => 0x1100,
            ErrorKind::ReadTimeout { .. } => 0x1200,
            ErrorKind::ReadFailure { .. } => 0x1300,
            ErrorKind::FunctionFailure { .. } => 0x1400,
            ErrorKind::WriteFailure { .. } => 0x1500,
            ErrorKind::Syntax => 0x2000,
            ErrorKind::Unauthorized => 0x2100,
            ErrorKind::Invalid => 0x2200,
            ErrorKind::Config => 0x2300,
            ErrorKind::AlreadyExists { .. } => 0x2400,
            ErrorKind::Unprepared { .. } => 0x2500,
        }
    }
}

impl ErrorResponse {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ErrorResponse {
            kind,
            message: message.into(),
        }
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Server, message)
    }

    pub fn syntax(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Syntax, message)
    }

    pub fn encode_body(&self, out: &mut impl BufMut) {
        out.put_i32(self.kind.code());
        put_string(out, &self.message);
        match &self.kind {
            ErrorKind::Unavailable {
                consistency,
                required,
                alive,
            } => {
                out.put_u16(consistency.code());
                out.put_i32(*required);
                out.put_i32(*alive);
            }
            ErrorKind::WriteTimeout {
                consistency,
                received,
                block_for,
                write_type,
            } => {
                out.put_u16(consistency.code());
                out.put_i32(*received);
                out.put_i32(*block_for);
                put_string(out, write_type.name());
            }
            ErrorKind::ReadTimeout {
                consistency,
                received,
                block_for,
                data_present,
            } => {
                out.put_u16(consistency.code());
                out.put_i32(*received);
                out.put_i32(*block_for);
                out.put_u8(u8::from(*data_present));
            }
            ErrorKind::ReadFailure {
                consistency,
                received,
                block_for,
                num_failures,
                data_present,
            } => {
                out.put_u16(consistency.code());
                out.put_i32(*received);
                out.put_i32(*block_for);
                out.put_i32(*num_failures);
                out.put_u8(u8::from(*data_present));
            }
            ErrorKind::FunctionFailure {
                keyspace,
                function,
                arg_types,
            } => {
                put_string(out, keyspace);
                put_string(out, function);
                put_string_list(out, arg_types);
            }
            ErrorKind::WriteFailure {
                consistency,
                received,
                block_for,
                num_failures,
                write_type,
            } => {
                out.put_u16(consistency.code());
                out.put_i32(*received);
                out.put_i32(*block_for);
                out.put_i32(*num_failures);
                put_string(out, write_type.name());
            }
            ErrorKind::AlreadyExists { keyspace, table } => {
                put_string(out, keyspace);
                put_string(out, table);
            }
            ErrorKind::Unprepared { id } => put_short_bytes(out, id),
            ErrorKind::Server
            | ErrorKind::Protocol
            | ErrorKind::BadCredentials
            | ErrorKind::Overloaded
            | ErrorKind::IsBootstrapping
            | ErrorKind::Truncate
            | ErrorKind::Syntax
            | ErrorKind::Unauthorized
            | ErrorKind::Invalid
            | ErrorKind::Config => {}
        }
    }

    /// Appends a whole ERROR frame on `stream`.
    pub fn encode_frame(&self, out: &mut BytesMut, stream: i16, compression: Option<Compression>) {
        let mut w = FrameWriter::begin(out, stream, OPCODE_ERROR, compression);
        self.encode_body(w.buf());
        w.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: &ErrorResponse) -> Vec<u8> {
        let mut v = Vec::new();
        e.encode_body(&mut v);
        v
    }

    #[test]
    fn plain_codes() {
        let e = ErrorResponse::syntax("line 1:0 no viable alternative");
        let b = body(&e);
        assert_eq!(&b[..4], &[0, 0, 0x20, 0]);
        assert_eq!(&b[4..6], &[0, 30]);
        assert_eq!(b.len(), 6 + 30);
        for (kind, code) in [
            (ErrorKind::Server, 0i32),
            (ErrorKind::Protocol, 0x0a),
            (ErrorKind::BadCredentials, 0x100),
            (ErrorKind::Overloaded, 0x1001),
            (ErrorKind::IsBootstrapping, 0x1002),
            (ErrorKind::Truncate, 0x1003),
            (ErrorKind::Unauthorized, 0x2100),
            (ErrorKind::Invalid, 0x2200),
            (ErrorKind::Config, 0x2300),
        ] {
            assert_eq!(
                body(&ErrorResponse::new(kind, ""))[..],
                [&code.to_be_bytes()[..], &[0, 0]].concat()[..]
            );
        }
    }

    #[test]
    fn extra_fields() {
        let b = body(&ErrorResponse::new(
            ErrorKind::Unavailable {
                consistency: Consistency::Quorum,
                required: 2,
                alive: 1,
            },
            "x",
        ));
        assert_eq!(b, [0, 0, 0x10, 0, 0, 1, b'x', 0, 4, 0, 0, 0, 2, 0, 0, 0, 1]);
        let b = body(&ErrorResponse::new(
            ErrorKind::ReadTimeout {
                consistency: Consistency::One,
                received: 0,
                block_for: 1,
                data_present: false,
            },
            "",
        ));
        assert_eq!(b, [0, 0, 0x12, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        let b = body(&ErrorResponse::new(
            ErrorKind::WriteTimeout {
                consistency: Consistency::All,
                received: 1,
                block_for: 3,
                write_type: WriteType::Simple,
            },
            "",
        ));
        assert_eq!(&b[6..8], &[0, 5]);
        assert_eq!(&b[16..], &[0, 6, b'S', b'I', b'M', b'P', b'L', b'E']);
        let b = body(&ErrorResponse::new(
            ErrorKind::AlreadyExists {
                keyspace: "ks".into(),
                table: "t".into(),
            },
            "",
        ));
        assert_eq!(b, [0, 0, 0x24, 0, 0, 0, 0, 2, b'k', b's', 0, 1, b't']);
        let b = body(&ErrorResponse::new(
            ErrorKind::Unprepared {
                id: Bytes::from_static(&[0xab, 0xcd]),
            },
            "",
        ));
        assert_eq!(b, [0, 0, 0x25, 0, 0, 0, 0, 2, 0xab, 0xcd]);
    }
}

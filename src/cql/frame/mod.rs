//! The CQL native protocol v4 framing, sans-io: cutting frames off the input buffer
//! ([`header`]), decoding request bodies ([`request`], [`query`], [`batch`]), and encoding
//! responses straight into the output buffer ([`writer`], [`response`], [`error`], [`result`],
//! [`rows`], [`event`]), compressed when the connection negotiated it ([`compression`]).
//!
//! Nothing here does I/O or knows about statements or storage: the connection task feeds bytes
//! in and writes bytes out, and the statement layer turns [`Request`]s into commands. Values
//! inside frames stay serialized; `cql::codec` converts them given their types.

pub mod batch;
pub mod compression;
pub mod consistency;
pub mod error;
pub mod event;
pub mod header;
pub mod query;
pub mod request;
pub mod response;
pub mod result;
pub mod rows;
pub mod wire;
pub mod writer;

use bytes::Bytes;

pub use batch::{Batch, BatchQuery, BatchStatement, BatchType};
pub use compression::{Compression, CompressionError};
pub use consistency::{Consistency, UnknownConsistency};
pub use error::{ErrorKind, ErrorResponse, WriteType};
pub use event::{
    ChangeType, Event, EventType, SchemaChange, SchemaTarget, StatusChange, TopologyChange,
};
pub use header::{check_frame, decode_frame, FrameCheck, FrameDecoder, FrameError, FrameHeader};
pub use query::QueryParameters;
pub use request::{decode_request, Request, RequestError, RequestFrame, Startup};
pub use response::{default_supported, Response, EVENT_STREAM};
pub use result::{ColumnSpec, Columns, EncodedColumnSpecs, Prepared, ResultBody, RowsMetadata};
pub use rows::RowsWriter;
pub use wire::{BoundValue, WireError};
pub use writer::{FrameOptions, FrameWriter};

/// Version byte of a v4 request.
pub const VERSION: u8 = 0x04;
/// Version byte of a v4 response.
pub const RESPONSE_VERSION: u8 = 0x84;

pub const FLAG_COMPRESSION: u8 = 0x01;
pub const FLAG_TRACING: u8 = 0x02;
pub const FLAG_CUSTOM_PAYLOAD: u8 = 0x04;
pub const FLAG_WARNING: u8 = 0x08;

pub const OPCODE_ERROR: u8 = 0x00;
pub const OPCODE_STARTUP: u8 = 0x01;
pub const OPCODE_READY: u8 = 0x02;
pub const OPCODE_AUTHENTICATE: u8 = 0x03;
pub const OPCODE_OPTIONS: u8 = 0x05;
pub const OPCODE_SUPPORTED: u8 = 0x06;
pub const OPCODE_QUERY: u8 = 0x07;
pub const OPCODE_RESULT: u8 = 0x08;
pub const OPCODE_PREPARE: u8 = 0x09;
pub const OPCODE_EXECUTE: u8 = 0x0A;
pub const OPCODE_REGISTER: u8 = 0x0B;
pub const OPCODE_EVENT: u8 = 0x0C;
pub const OPCODE_BATCH: u8 = 0x0D;
pub const OPCODE_AUTH_CHALLENGE: u8 = 0x0E;
pub const OPCODE_AUTH_RESPONSE: u8 = 0x0F;
pub const OPCODE_AUTH_SUCCESS: u8 = 0x10;

/// One whole frame as received: the header, and the body (still compressed if the header says
/// so) as a slice of the connection's input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub header: FrameHeader,
    pub body: Bytes,
}

use bytes::Bytes;

use super::CommandError;

/// A reply, in the shapes the protocols share. Front-ends encode it; RESP2 flattens maps and sets
/// into arrays and both nils into its null forms.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// `+OK`.
    Ok,
    /// A short status line.
    Status(&'static str),
    /// A status line built at run time.
    Text(String),
    Int(i64),
    Bulk(Bytes),
    /// A missing value (a null bulk string in RESP2).
    Nil,
    /// A missing aggregate (a null array in RESP2), e.g. a BLPOP that timed out.
    NilArray,
    Array(Vec<Response>),
    Map(Vec<(Response, Response)>),
    Set(Vec<Response>),
    Double(f64),
    Bool(bool),
    /// Human-readable text (INFO, CLIENT LIST): a verbatim string in RESP3, bulk in RESP2.
    Verbatim(String),
    Error(CommandError),
}

impl Response {
    pub fn bulk(b: impl Into<Bytes>) -> Response {
        Response::Bulk(b.into())
    }

    pub fn bulk_or_nil(b: Option<impl Into<Bytes>>) -> Response {
        b.map_or(Response::Nil, |b| Response::Bulk(b.into()))
    }

    pub fn error(msg: impl Into<String>) -> Response {
        Response::Error(CommandError::Other(msg.into()))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Response::Nil | Response::NilArray)
    }
}

impl From<CommandError> for Response {
    fn from(e: CommandError) -> Self {
        Response::Error(e)
    }
}

impl From<Result<Response, CommandError>> for Response {
    fn from(r: Result<Response, CommandError>) -> Self {
        r.unwrap_or_else(Response::Error)
    }
}

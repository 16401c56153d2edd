use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{CommandError, KeyType};

/// A reply, in the shapes the protocols share. Front-ends encode it; RESP2 flattens maps and sets
/// into arrays and both nils into its null forms. `Status` and `Text` are built by front-ends
/// only; the engine answers with data.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// The type of a key (`None`: no such key).
    Type(Option<KeyType>),
    /// Pairs that are not a map (`WITHSCORES`, `HRANDFIELD ... WITHVALUES`: members may repeat,
    /// order matters): flat in RESP2, an array of two-element arrays in RESP3.
    Pairs(Vec<(Response, Response)>),
    /// Out of band: a pub/sub message or (un)subscription (RESP3's push type).
    Push(Vec<Response>),
    /// What the partitioned logs answer (Kafka's front-end encodes it).
    Log(super::log::Reply),
    /// What the consumer groups answer.
    Group(super::group::Reply),
    /// What CQL's tables answer.
    Table(super::table::Reply),
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

/// [`Response`] as it crosses between nodes: the same variants in the same order, with the
/// static status text owned (it comes back as [`Response::Text`], which encodes the same).
#[derive(Deserialize)]
enum WireResponse {
    Ok,
    Status(String),
    Text(String),
    Int(i64),
    Bulk(Bytes),
    Nil,
    NilArray,
    Array(Vec<Response>),
    Map(Vec<(Response, Response)>),
    Set(Vec<Response>),
    Double(f64),
    Bool(bool),
    Verbatim(String),
    Error(CommandError),
    Type(Option<KeyType>),
    Pairs(Vec<(Response, Response)>),
    /// Out of band: a pub/sub message or (un)subscription (RESP3's push type).
    Push(Vec<Response>),
    Log(super::log::Reply),
    Group(super::group::Reply),
    Table(super::table::Reply),
}

impl<'de> Deserialize<'de> for Response {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        WireResponse::deserialize(d).map(Response::from)
    }
}

impl From<WireResponse> for Response {
    fn from(w: WireResponse) -> Self {
        match w {
            WireResponse::Ok => Response::Ok,
            WireResponse::Status(s) | WireResponse::Text(s) => Response::Text(s),
            WireResponse::Int(i) => Response::Int(i),
            WireResponse::Bulk(b) => Response::Bulk(b),
            WireResponse::Nil => Response::Nil,
            WireResponse::NilArray => Response::NilArray,
            WireResponse::Array(a) => Response::Array(a),
            WireResponse::Map(m) => Response::Map(m),
            WireResponse::Set(s) => Response::Set(s),
            WireResponse::Double(d) => Response::Double(d),
            WireResponse::Bool(b) => Response::Bool(b),
            WireResponse::Verbatim(v) => Response::Verbatim(v),
            WireResponse::Error(e) => Response::Error(e),
            WireResponse::Type(t) => Response::Type(t),
            WireResponse::Pairs(p) => Response::Pairs(p),
            WireResponse::Push(p) => Response::Push(p),
            WireResponse::Log(r) => Response::Log(r),
            WireResponse::Group(r) => Response::Group(r),
            WireResponse::Table(r) => Response::Table(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_stay_small() {
        // Moved around by the million on the RESP hot path: big replies are boxed.
        assert!(std::mem::size_of::<Response>() <= 40);
    }

    #[test]
    fn responses_survive_the_wire() {
        let r = Response::Array(vec![
            Response::Status("PONG"),
            Response::Int(-3),
            Response::bulk("x"),
            Response::Nil,
            Response::Error(CommandError::WrongType),
        ]);
        let back: Response = bincode::deserialize(&bincode::serialize(&r).unwrap()).unwrap();
        assert_eq!(
            back,
            Response::Array(vec![
                Response::Text("PONG".into()),
                Response::Int(-3),
                Response::bulk("x"),
                Response::Nil,
                Response::Error(CommandError::WrongType),
            ])
        );
    }
}

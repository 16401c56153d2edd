//! Typed refusals and node failures in Redis's own words: the only place they become text.

use std::borrow::Cow;

use crate::command::{CommandError, NodeError};

/// The error line a Redis client expects for `e` (without the leading `-`).
pub fn text(e: &CommandError) -> Cow<'static, str> {
    Cow::Borrowed(match e {
        CommandError::WrongType => {
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        }
        CommandError::NotInteger => "ERR value is not an integer or out of range",
        CommandError::NotFloat => "ERR value is not a valid float",
        CommandError::Overflow => "ERR increment or decrement would overflow",
        CommandError::NanOrInfinity => "ERR increment would produce NaN or Infinity",
        CommandError::NoSuchKey => "ERR no such key",
        CommandError::IndexOutOfRange => "ERR index out of range",
        CommandError::Syntax => "ERR syntax error",
        CommandError::StringTooLong => {
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
        }
        CommandError::HashNotInteger => "ERR hash value is not an integer",
        CommandError::HashNotFloat => "ERR hash value is not a float",
        CommandError::ScoreNan => "ERR resulting score is not a number (NaN)",
        CommandError::LcsNotStrings => "ERR The specified keys must contain string values",
        CommandError::LcsLenAndIdx => {
            "ERR If you want both the length and indexes, please just use IDX."
        }
        CommandError::LcsTooLong => "ERR String too long for LCS",
        CommandError::LcsTooMuchMemory => {
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        }
        CommandError::SameObject => "ERR source and destination objects are the same",
        CommandError::SortNotNumber => "ERR One or more scores can't be converted into double",
        CommandError::KeyTooLong(max) => {
            return Cow::Owned(format!("ERR key is too long (at most {max} bytes)"))
        }
        CommandError::Other(s) => return Cow::Owned(s.clone()),
        CommandError::Storage(why) => return Cow::Owned(format!("ERR storage error: {why}")),
        CommandError::Node(n) => return Cow::Owned(node_text(n)),
        CommandError::Log(e) => return Cow::Owned(format!("ERR {e}")),
        CommandError::Group(e) => return Cow::Owned(format!("ERR {e}")),
        CommandError::Table(e) => return Cow::Owned(format!("ERR {e}")),
    })
}

/// Cluster conditions as Redis Cluster names them: `CLUSTERDOWN` when nothing can be done now,
/// `TRYAGAIN` when the client should retry (a write that may or may not have applied included).
fn node_text(e: &NodeError) -> String {
    match e {
        NodeError::NoLeader => "CLUSTERDOWN The cluster is down (no leader)".into(),
        NodeError::MayHaveApplied(why) => {
            format!("TRYAGAIN {why}; the write may or may not have been applied")
        }
        NodeError::Unavailable(why) => format!("TRYAGAIN {why}"),
        NodeError::UnknownMember(id) => format!("ERR Unknown node {id:040x}"),
        NodeError::Stopped(why) => format!("CLUSTERDOWN this node stopped applying writes: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_errors_read_as_redis_words_them() {
        assert_eq!(
            text(&CommandError::WrongType),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        assert_eq!(
            text(&CommandError::Overflow),
            "ERR increment or decrement would overflow"
        );
        assert!(text(&NodeError::NoLeader.into()).starts_with("CLUSTERDOWN "));
        assert!(text(&NodeError::MayHaveApplied("x".into()).into()).starts_with("TRYAGAIN "));
    }
}

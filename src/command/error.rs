use thiserror::Error;

/// Why a command or query was refused. The messages are Redis's own, since that is what clients
/// and their test suites compare against; other front-ends map the variants to their own codes.
#[derive(Clone, Debug, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CommandError {
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    #[error("ERR no such key")]
    NoSuchKey,
    #[error("ERR index out of range")]
    IndexOutOfRange,
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    #[error("ERR key is too long (at most {0} bytes)")]
    KeyTooLong(usize),
    /// Any other refusal, already worded as the protocol expects (`ERR ...`).
    #[error("{0}")]
    Other(String),
    /// The store failed; nothing of the command was applied.
    #[error("ERR storage error: {0}")]
    Storage(String),
}

impl From<fjall::Error> for CommandError {
    fn from(e: fjall::Error) -> Self {
        CommandError::Storage(e.to_string())
    }
}

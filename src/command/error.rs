use thiserror::Error;

/// Why a command or query was refused, as a type each front-end maps to its own protocol's error
/// (RESP: `resp::error`). The messages here are for logs, not for clients.
#[derive(Clone, Debug, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CommandError {
    #[error("the key holds another type")]
    WrongType,
    #[error("the value is not an integer or out of range")]
    NotInteger,
    #[error("the value is not a valid float")]
    NotFloat,
    #[error("the increment or decrement would overflow")]
    Overflow,
    #[error("the increment would produce NaN or infinity")]
    NanOrInfinity,
    #[error("no such key")]
    NoSuchKey,
    #[error("index out of range")]
    IndexOutOfRange,
    #[error("syntax error")]
    Syntax,
    #[error("the string would exceed the maximum size")]
    StringTooLong,
    #[error("the key is longer than {0} bytes")]
    KeyTooLong(usize),
    /// A hash field that an integer increment met holds no integer.
    #[error("the hash value is not an integer")]
    HashNotInteger,
    /// A hash field that a float increment met holds no float.
    #[error("the hash value is not a float")]
    HashNotFloat,
    /// A score computation gave NaN (`+inf` plus `-inf`).
    #[error("the resulting score is not a number")]
    ScoreNan,
    /// LCS of keys that are not strings.
    #[error("LCS needs string values")]
    LcsNotStrings,
    /// LCS asked for both LEN and IDX.
    #[error("LCS takes LEN or IDX, not both")]
    LcsLenAndIdx,
    /// LCS of strings too long for its index type.
    #[error("a string is too long for LCS")]
    LcsTooLong,
    /// LCS would need more memory for its table than a reply may take.
    #[error("LCS would need too much memory")]
    LcsTooMuchMemory,
    /// COPY onto itself.
    #[error("source and destination are the same")]
    SameObject,
    /// The node could not take the command (no leader, timed out, ...).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A front-end's own refusal, already worded in its protocol. The engine and the node never
    /// return it.
    #[error("{0}")]
    Other(String),
    /// A read of the store failed. (A failure while applying a write is never a reply: it stops
    /// the state machine.)
    #[error("storage error: {0}")]
    Storage(String),
    /// SORT without ALPHA met a value that is not a number.
    #[error("a value to sort by is not a number")]
    SortNotNumber,
    /// The partitioned logs refused (Kafka error codes).
    #[error(transparent)]
    Log(#[from] super::log::LogError),
    /// A consumer group refused.
    #[error(transparent)]
    Group(#[from] super::group::GroupError),
    /// CQL's tables refused (boxed: `Response` carries this error and stays small).
    #[error(transparent)]
    Table(Box<super::table::TableError>),
}

/// Why the node could not run a command, whatever the protocol.
#[derive(Clone, Debug, Error, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum NodeError {
    /// No leader is known, nor was one elected in time.
    #[error("the cluster is down (no leader)")]
    NoLeader,
    /// The write was handed to the log but its outcome is unknown (the leader changed or went
    /// away meanwhile): it may or may not have been applied.
    #[error("{0}; the write may or may not have been applied")]
    MayHaveApplied(String),
    /// A read could not be confirmed as up to date; nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// No cluster member has this id.
    #[error("no member {0}")]
    UnknownMember(u64),
    /// The state machine stopped (a storage failure): this node takes no more writes.
    #[error("the state machine stopped: {0}")]
    Stopped(String),
}

impl From<fjall::Error> for CommandError {
    fn from(e: fjall::Error) -> Self {
        CommandError::Storage(e.to_string())
    }
}

impl From<super::table::TableError> for CommandError {
    fn from(e: super::table::TableError) -> Self {
        CommandError::Table(Box::new(e))
    }
}

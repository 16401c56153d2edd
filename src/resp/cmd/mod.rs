//! The RESP command table. Each family file parses its commands' arguments into a [`Command`], a
//! [`Query`] or a connection-level action, and ends with its part of the table (name, arity,
//! flags, key positions, parse function). Arity is checked here, once, for every command.

/// Builds a family's part of the table: `specs!["group"; (name, arity, flags, keys, summary, parse), ...]`.
macro_rules! specs {
    ($group:literal; $(($name:literal, $arity:expr, $flags:expr, $keys:expr, $summary:literal, $parse:expr)),* $(,)?) => {
        &[$(crate::resp::cmd::Spec {
            name: $name,
            arity: $arity,
            flags: $flags,
            keys: $keys,
            group: $group,
            summary: $summary,
            parse: $parse,
        }),*]
    };
}

mod cluster;
mod connection;
mod hash;
mod keys;
mod list;
mod pubsub;
mod scripting;
mod server;
mod set;
mod string;
pub mod transaction;
mod zset;

pub use keys::db_index;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;

use super::parse::Args;
use super::session::{Server, Session};
use crate::command::{Command, CommandError, Db, Query, Response, Step};

/// Flag sets shared by the families' tables, as COMMAND INFO reports them.
pub const W: &[&str] = &["write", "denyoom"];
pub const WF: &[&str] = &["write", "denyoom", "fast"];
pub const WR: &[&str] = &["write"];
pub const WFAST: &[&str] = &["write", "fast"];
pub const R: &[&str] = &["readonly"];
pub const RF: &[&str] = &["readonly", "fast"];

/// What a parsed request asks the connection to do.
pub enum Action {
    /// A state change through the write path.
    Write(Command),
    /// A state change whose reply is reshaped (`SETNX` answers 1/0 where `SET NX` answers OK/nil).
    WriteThen(Command, fn(Response) -> Response),
    /// A read of local state.
    Read(Query),
    /// Answered without touching data.
    Reply(Response),
    /// A blocking pop: `attempt` is retried whenever a key is pushed to, until `timeout`.
    Block(Block),
    /// Needs the connection's session or the server (HELLO, SELECT, CLIENT, INFO, ...).
    Session(SessionFn),
    /// Makes everything acknowledged durable, then replies OK (SAVE, BGSAVE).
    Save(Response),
    /// Work on the node that takes time (cluster membership changes).
    Async(AsyncFn),
    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH: handled by the connection, which owns the queue.
    Txn(transaction::TxnOp),
    /// EVAL and its kin (see `resp::script`).
    Script(crate::resp::script::Call),
    /// SUBSCRIBE and friends: handled by the connection, which owns the subscriptions and
    /// sends one reply per channel.
    PubSub(crate::resp::pubsub::Op),
    /// SYNC, PSYNC: the connection becomes a Redis replica's feed (see `resp::replica`).
    Replicate(crate::resp::replica::Handshake),
}

impl Action {
    /// A state change of any model.
    pub fn write(c: impl Into<Command>) -> Action {
        Action::Write(c.into())
    }

    /// A read of any model.
    pub fn read(q: impl Into<Query>) -> Action {
        Action::Read(q.into())
    }

    /// A state change whose reply is reshaped.
    pub fn write_then(c: impl Into<Command>, reshape: fn(Response) -> Response) -> Action {
        Action::WriteThen(c.into(), reshape)
    }

    /// What this action is when it runs inside a transaction or a script: a data step (with
    /// its reply's reshaping), or something else. Blocking commands never block there: they
    /// are their one non-blocking attempt.
    pub fn into_step(self) -> Stepped {
        match self {
            Action::Write(c) => Stepped::Step(Step::Write(c), None),
            Action::WriteThen(c, f) => Stepped::Step(Step::Write(c), Some(f)),
            Action::Read(q) => Stepped::Step(Step::Read(q), None),
            Action::Block(b) => Stepped::Step(Step::Write(b.attempt), None),
            other => Stepped::Other(other),
        }
    }
}

/// How a reply is reshaped (`SETNX` from `SET NX`'s).
pub type Reshape = fn(Response) -> Response;

/// See [`Action::into_step`].
pub enum Stepped {
    Step(Step, Option<Reshape>),
    Other(Action),
}

pub type AsyncFn = Box<
    dyn FnOnce(
            std::sync::Arc<crate::node::Node>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>
        + Send,
>;

pub type SessionFn = Box<dyn FnOnce(&mut Session, &Server) -> Response + Send>;

pub struct Block {
    pub db: Db,
    pub keys: Vec<Bytes>,
    pub attempt: Command,
    /// `None` blocks until an element arrives.
    pub timeout: Option<Duration>,
}

/// What the parse function of a command sees besides the arguments.
pub struct Ctx {
    pub db: Db,
}

pub type ParseFn = fn(&mut Args, &Ctx) -> Result<Action, CommandError>;

/// One command: what `COMMAND INFO` reports and how to parse it.
#[derive(Clone, Copy)]
pub struct Spec {
    /// Lower-case wire name.
    pub name: &'static str,
    /// Redis convention: exact argument count including the name, or minimum when negative.
    pub arity: i32,
    pub flags: &'static [&'static str],
    /// First key, last key (negative: from the end), step.
    pub keys: (i32, i32, i32),
    pub group: &'static str,
    pub summary: &'static str,
    pub parse: ParseFn,
}

impl Spec {
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// Commands a client may send before AUTH.
    pub fn allowed_unauthenticated(&self) -> bool {
        matches!(self.name, "auth" | "hello" | "quit" | "reset")
    }

    pub fn is_write(&self) -> bool {
        self.flags.contains(&"write")
    }
}

/// The whole table, in family order.
pub fn table() -> &'static [Spec] {
    static TABLE: OnceLock<Vec<Spec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Vec::new();
        for family in [
            connection::COMMANDS,
            server::COMMANDS,
            string::COMMANDS,
            keys::COMMANDS,
            list::COMMANDS,
            hash::COMMANDS,
            set::COMMANDS,
            zset::COMMANDS,
            transaction::COMMANDS,
            scripting::COMMANDS,
            pubsub::COMMANDS,
            cluster::COMMANDS,
        ] {
            t.extend_from_slice(family);
        }
        t
    })
}

/// Finds a command by wire name, case-insensitively; returns its index in [`table`].
pub fn lookup(name: &[u8]) -> Option<usize> {
    static INDEX: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        table()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name, i))
            .collect()
    });
    let mut lower = [0u8; 32];
    if name.len() > lower.len() {
        return None;
    }
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let name = std::str::from_utf8(&lower[..name.len()]).ok()?;
    index.get(name).copied()
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' ` exactly as Redis words it.
pub fn unknown_command(args: &[Bytes]) -> CommandError {
    let name = args
        .first()
        .map(|n| String::from_utf8_lossy(n))
        .unwrap_or_default();
    let mut msg = format!(
        "ERR unknown command '{}', with args beginning with: ",
        truncate(&name)
    );
    for a in args.iter().skip(1).take(20) {
        msg.push_str(&format!("'{}' ", truncate(&String::from_utf8_lossy(a))));
    }
    CommandError::Other(msg)
}

/// `ERR wrong number of arguments for 'x' command`.
pub fn wrong_arity(name: &str) -> CommandError {
    CommandError::Other(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// `ERR unknown subcommand 'x'. Try CLIENT HELP.`
pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> CommandError {
    CommandError::Other(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        truncate(&String::from_utf8_lossy(sub)),
        cmd.to_ascii_uppercase()
    ))
}

fn truncate(s: &str) -> String {
    s.chars().take(128).collect()
}

/// A relative or absolute expiry option value turned into an absolute unix time in ms; Redis
/// refuses non-positive relative times and values that would overflow.
pub fn deadline(amount: i64, unit_ms: i64, absolute: bool, cmd: &str) -> Result<i64, CommandError> {
    let invalid = || CommandError::Other(format!("ERR invalid expire time in '{cmd}' command"));
    if amount <= 0 && !absolute {
        return Err(invalid());
    }
    if absolute && amount <= 0 {
        return Err(invalid());
    }
    let ms = amount.checked_mul(unit_ms).ok_or_else(invalid)?;
    if absolute {
        Ok(ms)
    } else {
        ms.checked_add(crate::node::now_ms()).ok_or_else(invalid)
    }
}

/// A blocking timeout in seconds (a float), `0` meaning forever.
/// Like Redis (which reads it with `strtold`), hexadecimal integers such as `0x10` are accepted;
/// a timeout whose deadline in milliseconds would not fit a signed 64-bit integer is refused.
pub fn block_timeout(raw: &[u8]) -> Result<Option<Duration>, CommandError> {
    let secs = parse_timeout(raw)
        .filter(|s| !s.is_nan())
        .ok_or_else(|| CommandError::Other("ERR timeout is not a float or out of range".into()))?;
    if secs < 0.0 {
        return Err(CommandError::Other("ERR timeout is negative".into()));
    }
    if secs == 0.0 {
        return Ok(None);
    }
    let out_of_range = || CommandError::Other("ERR timeout is out of range".into());
    let ms = secs * 1000.0;
    if !ms.is_finite() || ms + crate::node::now_ms() as f64 >= i64::MAX as f64 {
        return Err(out_of_range());
    }
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| out_of_range())
}

fn parse_timeout(raw: &[u8]) -> Option<f64> {
    let (negative, digits) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, raw),
    };
    match digits {
        [b'0', b'x' | b'X', hex @ ..] if !hex.is_empty() => {
            let v = u128::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()? as f64;
            Some(if negative { -v } else { v })
        }
        _ => crate::shared::number::parse_float(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_found_case_insensitively() {
        for s in table() {
            assert_eq!(
                lookup(s.name.as_bytes()).map(|i| table()[i].name),
                Some(s.name)
            );
            assert_eq!(
                lookup(s.name.to_ascii_uppercase().as_bytes()).map(|i| table()[i].name),
                Some(s.name)
            );
        }
        assert!(lookup(b"nosuchcommand").is_none());
    }

    #[test]
    fn names_are_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for s in table() {
            assert!(seen.insert(s.name), "{} twice", s.name);
            assert_eq!(s.name, s.name.to_ascii_lowercase());
        }
    }

    #[test]
    fn block_timeouts_parse_like_redis() {
        assert_eq!(block_timeout(b"0"), Ok(None));
        assert_eq!(block_timeout(b"0.5"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(block_timeout(b"0x10"), Ok(Some(Duration::from_secs(16))));
        let out = Err(CommandError::Other("ERR timeout is out of range".into()));
        assert_eq!(block_timeout(b"1e19"), out);
        assert_eq!(block_timeout(b"9223372036854776"), out);
        assert_eq!(block_timeout(b"0x7FFFFFFFFFFFFF"), out);
        assert_eq!(block_timeout(b"inf"), out);
        assert_eq!(
            block_timeout(b"-1"),
            Err(CommandError::Other("ERR timeout is negative".into()))
        );
        assert!(block_timeout(b"abc").is_err());
    }

    #[test]
    fn unknown_command_matches_redis_wording() {
        let e = unknown_command(&[Bytes::from_static(b"foo"), Bytes::from_static(b"a")]);
        assert_eq!(
            e.to_string(),
            "ERR unknown command 'foo', with args beginning with: 'a' "
        );
    }
}

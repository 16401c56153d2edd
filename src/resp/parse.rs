//! A cursor over a request's arguments that turns them into typed values with Redis's errors.

use bytes::Bytes;

use crate::command::CommandError;
use crate::shared::limits::MAX_KEY_LEN;
use crate::shared::number::{parse_float, parse_i64};

pub struct Args {
    args: Vec<Bytes>,
    pos: usize,
}

impl Args {
    /// `args[0]` is the command name; the cursor starts after it.
    pub fn new(args: Vec<Bytes>) -> Args {
        Args { args, pos: 1 }
    }

    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.pos)
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument, taken out of the request rather than cloned: a clone and the drop of
    /// the original are two atomic updates of the input buffer's reference count, and with ten
    /// or twenty arguments per command (MSET) those were a tenth of the server's CPU.
    pub fn next_bytes(&mut self) -> Result<Bytes, CommandError> {
        let b = self
            .args
            .get_mut(self.pos)
            .map(std::mem::take)
            .ok_or(CommandError::Syntax)?;
        self.pos += 1;
        Ok(b)
    }

    /// A key name, refused if longer than the store accepts.
    pub fn next_key(&mut self) -> Result<Bytes, CommandError> {
        let k = self.next_bytes()?;
        if k.len() > MAX_KEY_LEN {
            return Err(CommandError::KeyTooLong(MAX_KEY_LEN));
        }
        Ok(k)
    }

    pub fn next_int(&mut self) -> Result<i64, CommandError> {
        parse_i64(&self.next_bytes()?).ok_or(CommandError::NotInteger)
    }

    pub fn next_float(&mut self) -> Result<f64, CommandError> {
        parse_float(&self.next_bytes()?).ok_or(CommandError::NotFloat)
    }

    /// The next argument upper-cased, for keyword options.
    pub fn next_keyword(&mut self) -> Result<String, CommandError> {
        Ok(String::from_utf8_lossy(&self.next_bytes()?).to_ascii_uppercase())
    }

    /// The next argument as text (names, config values).
    pub fn next_string(&mut self) -> Result<String, CommandError> {
        Ok(String::from_utf8_lossy(&self.next_bytes()?).into_owned())
    }

    /// Every remaining argument as keys.
    pub fn rest_keys(&mut self) -> Result<Vec<Bytes>, CommandError> {
        let mut out = Vec::with_capacity(self.remaining());
        while !self.is_empty() {
            out.push(self.next_key()?);
        }
        Ok(out)
    }

    pub fn rest(&mut self) -> Vec<Bytes> {
        let out = self.args.split_off(self.pos.min(self.args.len()));
        self.pos = self.args.len();
        out
    }

    /// Refuses leftover arguments with `ERR syntax error`.
    pub fn finish(&self) -> Result<(), CommandError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CommandError::Syntax)
        }
    }
}

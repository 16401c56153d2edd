//! What an applied command did, as the Redis commands a replica replays: the stream of writes
//! that follows the RDB file after `SYNC`.
//!
//! Whatever a replica could not work out the same way is replaced by its outcome, as Redis
//! itself propagates it: the members an SPOP chose become an SREM, an INCRBYFLOAT becomes the
//! SET of the value it computed, a relative expiry is already absolute (PEXPIREAT), the key an
//! LMPOP or BLPOP took from is named. Conditions that held (NX, XX, GT, ...) are kept where
//! they decide per member (ZADD), and dropped where the command applied as a whole.

use bytes::Bytes;

use crate::command::zset::{self, Aggregate, LexBound, Range, ScoreBound, Side};
use crate::command::{hash, keys, kv, list, node, set, Command, Db, End, Expiry, Response, Step};
use crate::node::Applied;

/// One command for the replica, in the database it runs in (`None`: any, as MULTI).
#[derive(Debug, PartialEq)]
pub struct Effect {
    pub db: Option<Db>,
    pub argv: Vec<Bytes>,
}

/// The commands that reproduce `applied` on a replica holding the state before it.
pub fn effects(applied: &Applied) -> Vec<Effect> {
    let mut out = Vec::new();
    for (db, key) in &applied.expired_over {
        out.push(Effect {
            db: Some(*db),
            argv: vec![word("DEL"), key.clone()],
        });
    }
    let mut e = Effects {
        out: &mut out,
        now_ms: applied.now_ms,
    };
    match &applied.command {
        Command::Exec(exec) => {
            let replies = match &applied.reply {
                Response::Array(r) => r.as_slice(),
                _ => &[],
            };
            let mut steps = Vec::new();
            let mut inner = Effects {
                out: &mut steps,
                now_ms: applied.now_ms,
            };
            for (i, step) in exec.steps.iter().enumerate() {
                let (Step::Write(cmd), Some(true)) = (step, applied.steps_wrote.get(i)) else {
                    continue;
                };
                inner.command(cmd, replies.get(i).unwrap_or(&Response::Nil));
            }
            // One command needs no transaction around it, as Redis propagates it.
            if steps.len() > 1 {
                e.any(&["MULTI"]);
                e.out.append(&mut steps);
                e.any(&["EXEC"]);
            } else {
                e.out.append(&mut steps);
            }
        }
        cmd => e.command(cmd, &applied.reply),
    }
    out
}

fn word(w: &str) -> Bytes {
    Bytes::copy_from_slice(w.as_bytes())
}

fn int(i: impl std::fmt::Display) -> Bytes {
    Bytes::from(i.to_string())
}

/// A score as Redis parses it back exactly (shortest round trip; `inf`, `-inf`).
fn score(s: f64) -> Bytes {
    if s.is_infinite() {
        return word(if s > 0.0 { "inf" } else { "-inf" });
    }
    Bytes::from(format!("{s:?}"))
}

fn score_bound(b: &ScoreBound) -> Bytes {
    let s = score(b.value);
    if b.exclusive {
        let mut v = b"(".to_vec();
        v.extend_from_slice(&s);
        Bytes::from(v)
    } else {
        s
    }
}

fn lex_bound(b: &LexBound) -> Bytes {
    let (mark, value): (&[u8], &[u8]) = match b {
        LexBound::Min => (b"-", b""),
        LexBound::Max => (b"+", b""),
        LexBound::Inclusive(v) => (b"[", v),
        LexBound::Exclusive(v) => (b"(", v),
    };
    Bytes::from([mark, value].concat())
}

fn side(s: End) -> &'static str {
    match s {
        End::Left => "LEFT",
        End::Right => "RIGHT",
    }
}

/// The bulk strings of a reply (an array or set of them, or one).
fn bulks(r: &Response) -> Vec<Bytes> {
    match r {
        Response::Bulk(b) => vec![b.clone()],
        Response::Array(v) | Response::Set(v) => v
            .iter()
            .filter_map(|r| match r {
                Response::Bulk(b) => Some(b.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The key a pop of the first non-empty key took from, and how many elements it took.
fn popped_from(r: &Response) -> Option<(Bytes, usize)> {
    let Response::Array(parts) = r else {
        return None;
    };
    let Some(Response::Bulk(key)) = parts.first() else {
        return None;
    };
    let n = match parts.get(1) {
        Some(Response::Array(items)) => items.len(),
        _ => 1,
    };
    Some((key.clone(), n))
}

struct Effects<'a> {
    out: &'a mut Vec<Effect>,
    now_ms: i64,
}

impl Effects<'_> {
    fn push(&mut self, db: Db, argv: Vec<Bytes>) {
        self.out.push(Effect { db: Some(db), argv });
    }

    fn any(&mut self, argv: &[&str]) {
        self.out.push(Effect {
            db: None,
            argv: argv.iter().map(|w| word(w)).collect(),
        });
    }

    /// `name key args...`
    fn keyed(&mut self, db: Db, name: &str, key: &Bytes, args: impl IntoIterator<Item = Bytes>) {
        let mut argv = vec![word(name), key.clone()];
        argv.extend(args);
        self.push(db, argv);
    }

    fn del(&mut self, db: Db, key: &Bytes) {
        self.keyed(db, "DEL", key, []);
    }

    /// A deadline: past ones delete the key, as applying did.
    fn expire_at(&mut self, db: Db, key: &Bytes, at_ms: i64) {
        if at_ms <= self.now_ms {
            self.del(db, key);
        } else {
            self.keyed(db, "PEXPIREAT", key, [int(at_ms)]);
        }
    }

    fn command(&mut self, cmd: &Command, reply: &Response) {
        match cmd {
            Command::Kv(c) => self.kv(c, reply),
            Command::Keys(c) => self.keys(c),
            Command::List(c) => self.list(c, reply),
            Command::Hash(c) => self.hash(c, reply),
            Command::Set(c) => self.set(c, reply),
            Command::ZSet(c) => self.zset(c, reply),
            Command::Node(node::Command::Block { attempt, .. }) => self.command(attempt, reply),
            Command::Node(node::Command::Publish {
                db,
                channel,
                message,
            }) => self.push(*db, vec![word("PUBLISH"), channel.clone(), message.clone()]),
            // Deleting expired keys is told by `expired_over`; the rest changes no data.
            Command::Node(_) => {}
            // A transaction inside a transaction does not parse; see `effects` for one.
            Command::Exec(_) => {}
            // Kafka's logs and groups have no Redis form: a Redis replica holds keys only.
            Command::Log(_) | Command::Group(_) | Command::Table(_) => {}
        }
    }

    fn kv(&mut self, c: &kv::Command, reply: &Response) {
        match c {
            kv::Command::Set {
                db,
                key,
                value,
                expiry,
                ..
            } => match expiry {
                Expiry::At(at) if *at <= self.now_ms => self.del(*db, key),
                Expiry::At(at) => {
                    self.keyed(*db, "SET", key, [value.clone(), word("PXAT"), int(at)])
                }
                Expiry::Keep => self.keyed(*db, "SET", key, [value.clone(), word("KEEPTTL")]),
                Expiry::Persist => self.keyed(*db, "SET", key, [value.clone()]),
            },
            kv::Command::MSet { db, pairs, .. } => {
                let mut argv = vec![word("MSET")];
                for (k, v) in pairs {
                    argv.extend([k.clone(), v.clone()]);
                }
                self.push(*db, argv);
            }
            kv::Command::GetDel { db, key } => self.del(*db, key),
            kv::Command::GetEx { db, key, expiry } => match expiry {
                Expiry::At(at) => self.expire_at(*db, key, *at),
                Expiry::Persist => self.keyed(*db, "PERSIST", key, []),
                Expiry::Keep => {}
            },
            kv::Command::Append { db, key, value } => {
                self.keyed(*db, "APPEND", key, [value.clone()])
            }
            kv::Command::IncrBy { db, key, delta } => match delta {
                1 => self.keyed(*db, "INCR", key, []),
                -1 => self.keyed(*db, "DECR", key, []),
                d => self.keyed(*db, "INCRBY", key, [int(d)]),
            },
            // The value computed, so that no replica computes it differently.
            kv::Command::IncrByFloat { db, key, .. } => {
                if let Response::Bulk(v) = reply {
                    self.keyed(*db, "SET", key, [v.clone(), word("KEEPTTL")]);
                }
            }
            kv::Command::SetRange {
                db,
                key,
                offset,
                value,
            } => self.keyed(*db, "SETRANGE", key, [int(offset), value.clone()]),
            kv::Command::SetBit {
                db,
                key,
                offset,
                on,
            } => self.keyed(*db, "SETBIT", key, [int(offset), int(u8::from(*on))]),
        }
    }

    fn keys(&mut self, c: &keys::Command) {
        match c {
            keys::Command::Del { db, keys } => {
                let mut argv = vec![word("DEL")];
                argv.extend(keys.iter().cloned());
                self.push(*db, argv);
            }
            keys::Command::Rename { db, src, dst, .. } => {
                self.keyed(*db, "RENAME", src, [dst.clone()])
            }
            keys::Command::Copy {
                db,
                src,
                dst_db,
                dst,
                replace,
            } => {
                let mut args = vec![dst.clone(), word("DB"), int(dst_db)];
                if *replace {
                    args.push(word("REPLACE"));
                }
                self.keyed(*db, "COPY", src, args);
            }
            keys::Command::Expire { db, key, at_ms, .. } => self.expire_at(*db, key, *at_ms),
            keys::Command::Persist { db, key } => self.keyed(*db, "PERSIST", key, []),
            keys::Command::FlushDb { db } => self.push(*db, vec![word("FLUSHDB")]),
            keys::Command::FlushAll => self.any(&["FLUSHALL"]),
            keys::Command::Move { db, key, dst_db } => self.keyed(*db, "MOVE", key, [int(dst_db)]),
            keys::Command::SortStore { db, key, sort, dst } => {
                let mut args = Vec::new();
                if let Some(by) = &sort.by {
                    args.extend([word("BY"), by.clone()]);
                }
                if let Some((offset, count)) = sort.limit {
                    args.extend([word("LIMIT"), int(offset), int(count)]);
                }
                for g in &sort.get {
                    args.extend([word("GET"), g.clone()]);
                }
                if sort.desc {
                    args.push(word("DESC"));
                }
                if sort.alpha {
                    args.push(word("ALPHA"));
                }
                args.extend([word("STORE"), dst.clone()]);
                self.keyed(*db, "SORT", key, args);
            }
            keys::Command::SwapDb { a, b } => self.out.push(Effect {
                db: None,
                argv: vec![word("SWAPDB"), int(a), int(b)],
            }),
        }
    }

    fn list(&mut self, c: &list::Command, reply: &Response) {
        let pop = |end: End| match end {
            End::Left => "LPOP",
            End::Right => "RPOP",
        };
        match c {
            list::Command::Push {
                db,
                key,
                end,
                values,
                ..
            } => {
                let name = match end {
                    End::Left => "LPUSH",
                    End::Right => "RPUSH",
                };
                self.keyed(*db, name, key, values.iter().cloned());
            }
            list::Command::Pop {
                db,
                key,
                end,
                count,
            } => self.keyed(*db, pop(*end), key, count.map(int)),
            list::Command::MPop { db, end, .. } => {
                if let Some((key, n)) = popped_from(reply) {
                    self.keyed(*db, pop(*end), &key, [int(n)]);
                }
            }
            list::Command::PopFirst { db, end, .. } => {
                if let Some((key, _)) = popped_from(reply) {
                    self.keyed(*db, pop(*end), &key, []);
                }
            }
            list::Command::LSet {
                db,
                key,
                index,
                value,
            } => self.keyed(*db, "LSET", key, [int(index), value.clone()]),
            list::Command::LRem {
                db,
                key,
                count,
                value,
            } => self.keyed(*db, "LREM", key, [int(count), value.clone()]),
            list::Command::LTrim {
                db,
                key,
                start,
                stop,
            } => self.keyed(*db, "LTRIM", key, [int(start), int(stop)]),
            list::Command::LInsert {
                db,
                key,
                before,
                pivot,
                value,
            } => {
                let at = word(if *before { "BEFORE" } else { "AFTER" });
                self.keyed(*db, "LINSERT", key, [at, pivot.clone(), value.clone()]);
            }
            list::Command::LMove {
                db,
                src,
                dst,
                from,
                to,
            } => self.keyed(
                *db,
                "LMOVE",
                src,
                [dst.clone(), word(side(*from)), word(side(*to))],
            ),
        }
    }

    fn hash(&mut self, c: &hash::Command, reply: &Response) {
        match c {
            hash::Command::Set { db, key, pairs, .. } => {
                let args = pairs.iter().flat_map(|(f, v)| [f.clone(), v.clone()]);
                self.keyed(*db, "HSET", key, args);
            }
            hash::Command::Del { db, key, fields } => {
                self.keyed(*db, "HDEL", key, fields.iter().cloned())
            }
            hash::Command::IncrBy {
                db,
                key,
                field,
                delta,
            } => self.keyed(*db, "HINCRBY", key, [field.clone(), int(delta)]),
            hash::Command::IncrByFloat { db, key, field, .. } => {
                if let Response::Bulk(v) = reply {
                    self.keyed(*db, "HSET", key, [field.clone(), v.clone()]);
                }
            }
        }
    }

    fn set(&mut self, c: &set::Command, reply: &Response) {
        match c {
            set::Command::Add { db, key, members } => {
                self.keyed(*db, "SADD", key, members.iter().cloned())
            }
            set::Command::Rem { db, key, members } => {
                self.keyed(*db, "SREM", key, members.iter().cloned())
            }
            // The members it chose at random.
            set::Command::Pop { db, key, .. } => {
                let popped = bulks(reply);
                if !popped.is_empty() {
                    self.keyed(*db, "SREM", key, popped);
                }
            }
            set::Command::Move {
                db,
                src,
                dst,
                member,
            } => self.keyed(*db, "SMOVE", src, [dst.clone(), member.clone()]),
            set::Command::Store { db, op, dst, keys } => {
                let name = match op {
                    set::Combine::Inter => "SINTERSTORE",
                    set::Combine::Union => "SUNIONSTORE",
                    set::Combine::Diff => "SDIFFSTORE",
                };
                self.keyed(*db, name, dst, keys.iter().cloned());
            }
        }
    }

    fn zset(&mut self, c: &zset::Command, reply: &Response) {
        let pop = |s: Side| match s {
            Side::Min => "ZPOPMIN",
            Side::Max => "ZPOPMAX",
        };
        match c {
            zset::Command::Add {
                db,
                key,
                flags,
                pairs,
            } => {
                let mut args = Vec::new();
                for (on, name) in [
                    (flags.nx, "NX"),
                    (flags.xx, "XX"),
                    (flags.gt, "GT"),
                    (flags.lt, "LT"),
                    (flags.incr, "INCR"),
                ] {
                    if on {
                        args.push(word(name));
                    }
                }
                for (s, m) in pairs {
                    args.extend([score(*s), m.clone()]);
                }
                self.keyed(*db, "ZADD", key, args);
            }
            zset::Command::Rem { db, key, members } => {
                self.keyed(*db, "ZREM", key, members.iter().cloned())
            }
            zset::Command::IncrBy {
                db,
                key,
                delta,
                member,
            } => self.keyed(*db, "ZINCRBY", key, [score(*delta), member.clone()]),
            zset::Command::RemRange { db, key, range } => {
                let (name, args) = match range {
                    Range::Rank { start, stop } => ("ZREMRANGEBYRANK", [int(start), int(stop)]),
                    Range::Score { min, max } => {
                        ("ZREMRANGEBYSCORE", [score_bound(min), score_bound(max)])
                    }
                    Range::Lex { min, max } => ("ZREMRANGEBYLEX", [lex_bound(min), lex_bound(max)]),
                };
                self.keyed(*db, name, key, args);
            }
            zset::Command::Pop {
                db,
                key,
                side,
                count,
            } => self.keyed(*db, pop(*side), key, count.map(int)),
            zset::Command::MPop { db, side, .. } => {
                if let Some((key, n)) = popped_from(reply) {
                    self.keyed(*db, pop(*side), &key, [int(n)]);
                }
            }
            zset::Command::PopFirst { db, side, .. } => {
                if let Some((key, _)) = popped_from(reply) {
                    self.keyed(*db, pop(*side), &key, []);
                }
            }
            zset::Command::Store { db, dst, inputs } => {
                let name = match inputs.op {
                    zset::Combine::Union => "ZUNIONSTORE",
                    zset::Combine::Inter => "ZINTERSTORE",
                    zset::Combine::Diff => "ZDIFFSTORE",
                };
                let mut args = vec![int(inputs.keys.len())];
                args.extend(inputs.keys.iter().cloned());
                if inputs.op != zset::Combine::Diff {
                    args.push(word("WEIGHTS"));
                    args.extend(inputs.weights.iter().map(|w| score(*w)));
                    args.push(word("AGGREGATE"));
                    args.push(word(match inputs.aggregate {
                        Aggregate::Sum => "SUM",
                        Aggregate::Min => "MIN",
                        Aggregate::Max => "MAX",
                    }));
                }
                self.keyed(*db, name, dst, args);
            }
            zset::Command::RangeStore {
                db,
                dst,
                src,
                select,
            } => {
                let mut args = vec![src.clone()];
                // In reverse, score and lex ranges are given high end first.
                let (lo, hi, by) = match &select.range {
                    Range::Rank { start, stop } => (int(start), int(stop), None),
                    Range::Score { min, max } => {
                        (score_bound(min), score_bound(max), Some("BYSCORE"))
                    }
                    Range::Lex { min, max } => (lex_bound(min), lex_bound(max), Some("BYLEX")),
                };
                if select.rev && by.is_some() {
                    args.extend([hi, lo]);
                } else {
                    args.extend([lo, hi]);
                }
                args.extend(by.map(word));
                if select.rev {
                    args.push(word("REV"));
                }
                if let Some((offset, count)) = select.limit {
                    args.extend([word("LIMIT"), int(offset), int(count)]);
                }
                self.keyed(*db, "ZRANGESTORE", dst, args);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Exec, SetCond};

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn applied(command: Command, reply: Response) -> Applied {
        Applied {
            entry: 1,
            now_ms: 1_000,
            command,
            reply,
            expired_over: Vec::new(),
            steps_wrote: Vec::new(),
        }
    }

    fn argv(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .map(|e| {
                let words: Vec<String> = e
                    .argv
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                words.join(" ")
            })
            .collect()
    }

    fn set(key: &str, value: &str, expiry: Expiry) -> Command {
        Command::Kv(kv::Command::Set {
            db: 0,
            key: b(key),
            value: b(value),
            expiry,
            cond: SetCond::IfAbsent,
            get: false,
        })
    }

    #[test]
    fn a_set_drops_the_condition_that_held_and_keeps_an_absolute_deadline() {
        let e = effects(&applied(set("k", "v", Expiry::At(5_000)), Response::Ok));
        assert_eq!(argv(&e), ["SET k v PXAT 5000"]);
        assert_eq!(e[0].db, Some(0));
        let e = effects(&applied(set("k", "v", Expiry::At(500)), Response::Ok));
        assert_eq!(argv(&e), ["DEL k"]);
    }

    #[test]
    fn random_and_float_outcomes_are_propagated_as_their_results() {
        let pop = Command::Set(set::Command::Pop {
            db: 2,
            key: b("s"),
            count: Some(2),
            seed: 7,
        });
        let reply = Response::Set(vec![Response::bulk("a"), Response::bulk("c")]);
        assert_eq!(argv(&effects(&applied(pop, reply))), ["SREM s a c"]);
        let incr = Command::Kv(kv::Command::IncrByFloat {
            db: 0,
            key: b("f"),
            delta: b("0.1"),
        });
        let e = effects(&applied(incr, Response::bulk("3.1")));
        assert_eq!(argv(&e), ["SET f 3.1 KEEPTTL"]);
    }

    #[test]
    fn a_transaction_is_wrapped_only_when_more_than_one_step_wrote() {
        let exec = |steps_wrote: Vec<bool>| {
            let steps = vec![
                Step::Write(set("a", "1", Expiry::Persist)),
                Step::Write(set("b", "2", Expiry::Persist)),
            ];
            let mut a = applied(
                Command::Exec(Exec {
                    watches: Vec::new(),
                    steps,
                }),
                Response::Array(vec![Response::Ok, Response::Ok]),
            );
            a.steps_wrote = steps_wrote;
            argv(&effects(&a))
        };
        assert_eq!(
            exec(vec![true, true]),
            ["MULTI", "SET a 1", "SET b 2", "EXEC"]
        );
        assert_eq!(exec(vec![false, true]), ["SET b 2"]);
        assert!(exec(vec![false, false]).is_empty());
    }

    #[test]
    fn keys_that_had_expired_are_deleted_first_and_pops_name_the_key_they_took_from() {
        let mut a = applied(
            Command::List(list::Command::MPop {
                db: 0,
                keys: vec![b("x"), b("y")],
                end: End::Right,
                count: 5,
            }),
            Response::Array(vec![
                Response::bulk("y"),
                Response::Array(vec![Response::bulk("1"), Response::bulk("2")]),
            ]),
        );
        a.expired_over = vec![(0, b("x"))];
        assert_eq!(argv(&effects(&a)), ["DEL x", "RPOP y 2"]);
    }

    #[test]
    fn ranges_read_back_as_the_client_wrote_them() {
        let select = zset::Select {
            range: Range::Score {
                min: ScoreBound {
                    value: 1.5,
                    exclusive: true,
                },
                max: ScoreBound {
                    value: f64::INFINITY,
                    exclusive: false,
                },
            },
            rev: true,
            limit: Some((0, 3)),
        };
        let c = Command::ZSet(zset::Command::RangeStore {
            db: 0,
            dst: b("d"),
            src: b("s"),
            select,
        });
        assert_eq!(
            argv(&effects(&applied(c, Response::Int(3)))),
            ["ZRANGESTORE d s inf (1.5 BYSCORE REV LIMIT 0 3"]
        );
    }
}

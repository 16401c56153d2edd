//! Reading out the whole data set at one point of the history, key by key and element by
//! element, for a front-end that writes it in its own format (an RDB file for a Redis replica).
//! Elements are read in chunks (see `scan::walk`), so a huge collection never sits in memory
//! whole.

use crate::command::{CommandError, Db};
use crate::engine::corrupt;
use crate::engine::keys;
use crate::engine::store::header::{Header, Value};
use crate::engine::store::scan::try_walk_with;
use crate::engine::store::space::Space;
use crate::engine::Engine;
use crate::engine::Txn;

/// List elements read per step.
const CHUNK: usize = 1024;

/// What a key holds, with the number of elements a collection has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape<'a> {
    String(&'a [u8]),
    List(u64),
    Hash(u64),
    Set(u64),
    ZSet(u64),
}

/// One element of a collection, in the collection's order (a list's, or a sorted set's by
/// score then member).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Element<'a> {
    /// A list's element or a set's member.
    Item(&'a [u8]),
    Field(&'a [u8], &'a [u8]),
    Scored(&'a [u8], f64),
}

/// Told every live key, then each of its elements; an error stops the walk.
pub trait Visitor {
    type Error: From<CommandError>;
    fn key(
        &mut self,
        db: Db,
        key: &[u8],
        expire_at: Option<i64>,
        shape: Shape<'_>,
    ) -> Result<(), Self::Error>;
    fn element(&mut self, element: Element<'_>) -> Result<(), Self::Error>;
}

/// The data set as it was when the view was taken: every key, and how far the history had got.
pub struct DatasetView<'a> {
    txn: Txn<'a>,
}

impl Engine {
    pub fn dataset_view(&self) -> DatasetView<'_> {
        DatasetView {
            txn: Txn::read_only(self),
        }
    }
}

impl DatasetView<'_> {
    /// The index of the last log entry the view holds.
    pub fn applied(&self) -> Result<u64, CommandError> {
        let Some(raw) = self.txn.get(Space::Meta, keys::APPLIED)? else {
            return Ok(0);
        };
        let bytes: [u8; 8] = raw.as_slice().try_into().map_err(|_| corrupt())?;
        Ok(u64::from_be_bytes(bytes))
    }

    /// Walks every key live at `now_ms`, database by database.
    pub fn walk<V: Visitor>(&self, now_ms: i64, v: &mut V) -> Result<(), V::Error> {
        chunked(
            &self.txn,
            Space::Meta,
            &keys::all_keys_prefix(),
            |k, val| {
                let Some((db, _, key)) = keys::decode_key_record(k) else {
                    return Ok(());
                };
                let h = Header::decode(val).ok_or_else(corrupt)?;
                if h.is_expired(now_ms) {
                    return Ok(());
                }
                self.key(db, key, &h, v)
            },
        )
    }

    fn key<V: Visitor>(&self, db: Db, key: &[u8], h: &Header, v: &mut V) -> Result<(), V::Error> {
        let txn = &self.txn;
        match &h.value {
            Value::String(s) => v.key(db, key, h.expire_at, Shape::String(s)),
            Value::List(l) => {
                v.key(db, key, h.expire_at, Shape::List(l.len().max(0) as u64))?;
                let mut from = l.head;
                while from < l.tail {
                    let chunk = txn.elements_limited(l.version, from, l.tail, false, CHUNK)?;
                    let Some((last, _)) = chunk.last() else { break };
                    from = last + 1;
                    for (_, e) in &chunk {
                        v.element(Element::Item(e))?;
                    }
                }
                Ok(())
            }
            Value::Hash(c) => {
                v.key(db, key, h.expire_at, Shape::Hash(c.len))?;
                chunked(
                    txn,
                    Space::Hashes,
                    &keys::version_prefix(c.version),
                    |k, val| {
                        v.element(Element::Field(
                            keys::decode_field(k).ok_or_else(corrupt)?,
                            val,
                        ))
                    },
                )
            }
            Value::Set(c) => {
                v.key(db, key, h.expire_at, Shape::Set(c.len))?;
                chunked(
                    txn,
                    Space::Sets,
                    &keys::version_prefix(c.version),
                    |k, _| v.element(Element::Item(keys::decode_member(k).ok_or_else(corrupt)?)),
                )
            }
            Value::ZSet(c) => {
                v.key(db, key, h.expire_at, Shape::ZSet(c.len))?;
                let prefix = keys::score_index_prefix(c.version);
                chunked(txn, Space::ZSets, &prefix, |k, _| {
                    let (score, member) = keys::decode_score_entry(k).ok_or_else(corrupt)?;
                    v.element(Element::Scored(member, score))
                })
            }
        }
    }
}

/// Calls `f` for every record under `prefix`, in order, a chunk at a time.
fn chunked<E: From<CommandError>>(
    txn: &Txn<'_>,
    space: Space,
    prefix: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    try_walk_with(txn, space, prefix, prefix.to_vec(), |k, v| {
        f(k, v).map(|()| true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{hash, kv, list, set, zset, End, Expiry, SetCond};
    use crate::engine::testing::{b, TestStore};

    /// Writes down what a walk sees.
    #[derive(Default)]
    struct Seen(Vec<String>);

    impl Visitor for Seen {
        type Error = CommandError;
        fn key(
            &mut self,
            db: Db,
            key: &[u8],
            expire_at: Option<i64>,
            shape: Shape<'_>,
        ) -> Result<(), CommandError> {
            let key = String::from_utf8_lossy(key);
            self.0.push(format!("{db}:{key} {expire_at:?} {shape:?}"));
            Ok(())
        }
        fn element(&mut self, e: Element<'_>) -> Result<(), CommandError> {
            self.0.push(match e {
                Element::Item(i) => format!("  {}", String::from_utf8_lossy(i)),
                Element::Field(f, v) => format!(
                    "  {}={}",
                    String::from_utf8_lossy(f),
                    String::from_utf8_lossy(v)
                ),
                Element::Scored(m, s) => format!("  {}@{s}", String::from_utf8_lossy(m)),
            });
            Ok(())
        }
    }

    #[test]
    fn a_walk_sees_every_live_key_with_its_elements_in_order() {
        let mut t = TestStore::new();
        let set_string = |key: &str, expiry| kv::Command::Set {
            db: 0,
            key: b(key),
            value: b("v"),
            expiry,
            cond: SetCond::Always,
            get: false,
        };
        t.apply(set_string("s", Expiry::At(5_000)));
        t.apply(set_string("gone", Expiry::At(500)));
        let values: Vec<Bytes> = (0..2500).map(|i| b(&format!("e{i}"))).collect();
        t.apply(list::Command::Push {
            db: 1,
            key: b("l"),
            end: End::Right,
            values: values.clone(),
            only_if_exists: false,
        });
        t.apply(hash::Command::Set {
            db: 0,
            key: b("h"),
            pairs: vec![(b("f"), b("1"))],
            only_new: false,
        });
        t.apply(set::Command::Add {
            db: 0,
            key: b("m"),
            members: vec![b("x")],
        });
        t.apply(zset::Command::Add {
            db: 0,
            key: b("z"),
            flags: zset::AddFlags::default(),
            pairs: vec![(2.0, b("b")), (1.0, b("a"))],
        });
        let view = t.engine.dataset_view();
        let mut seen = Seen::default();
        view.walk(1_000, &mut seen).expect("walk");
        let lines = seen.0;
        assert!(lines.contains(&"0:s Some(5000) String([118])".to_string()));
        assert!(!lines.iter().any(|l| l.contains("gone")));
        let at = lines.iter().position(|l| l == "1:l None List(2500)");
        let at = at.expect("the list");
        let items: Vec<&String> = lines[at + 1..at + 2501].iter().collect();
        assert_eq!(items[0], "  e0");
        assert_eq!(items[2499], "  e2499");
        let z = lines
            .iter()
            .position(|l| l == "0:z None ZSet(2)")
            .expect("zset");
        assert_eq!(
            lines[z + 1..z + 3],
            ["  a@1".to_string(), "  b@2".to_string()]
        );
        assert!(lines.contains(&"  f=1".to_string()));
        assert!(lines.contains(&"  x".to_string()));
    }

    use bytes::Bytes;
}

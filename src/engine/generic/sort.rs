//! `SORT`: the elements of a list, set or sorted set, ordered by their own value or by values
//! other keys hold, optionally replaced by what those keys hold, and optionally stored as a list.
//!
//! Redis's rules, kept exactly: numbers compare as doubles with ties broken by the elements'
//! bytes (so the order is the same on every replica); a `BY` pattern without `*` does not sort
//! (lists and sorted sets keep their order, reversed by DESC); a missing `BY` value counts as 0,
//! or sorts first with ALPHA; a set sorted with a constant `BY` into STORE is sorted by its
//! members anyway, so that what is stored does not depend on the set's internal order.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::command::keys::Sort;
use crate::command::zset::{Range, Select};
use crate::command::{CommandError, Db, KeyType, Response};
use crate::engine::keys;
use crate::engine::store::header::{Header, ListMeta, Value};
use crate::engine::store::space::Space;
use crate::engine::ApplyContext;
use crate::engine::Txn;
use crate::shared::number::parse_float;

/// The sorted (and picked) elements of `key`: one per element, or one per element and GET
/// pattern, `None` where a pattern names nothing.
pub(super) fn sorted(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    sort: &Sort,
    store: bool,
    now: i64,
) -> Result<Vec<Option<Bytes>>, CommandError> {
    let Some(h) = txn.live(db, key, now)? else {
        return Ok(Vec::new());
    };
    let kind = h.key_type();
    if !matches!(kind, KeyType::List | KeyType::Set | KeyType::ZSet) {
        return Err(CommandError::WrongType);
    }
    let mut by = sort.by.as_deref();
    let mut alpha = sort.alpha;
    let mut dontsort = by.is_some_and(|p| !p.contains(&b'*'));
    if dontsort && kind == KeyType::Set && store {
        (dontsort, alpha, by) = (false, true, None);
    }
    let mut items = elements(txn, &h)?;
    if dontsort && sort.desc && kind != KeyType::Set {
        items.reverse();
    }
    if !dontsort {
        items = order(txn, db, items, by, alpha, sort.desc, now)?;
    }
    let (start, end) = window(items.len(), sort.limit);
    let picked = items.get(start..end).unwrap_or_default();
    if sort.get.is_empty() {
        return Ok(picked.iter().cloned().map(Some).collect());
    }
    let mut out = Vec::with_capacity(picked.len() * sort.get.len());
    for item in picked {
        for pattern in &sort.get {
            out.push(lookup(txn, db, pattern, item, now)?);
        }
    }
    Ok(out)
}

/// `SORT`'s reply.
pub(super) fn query(
    txn: &Txn<'_>,
    db: Db,
    key: &[u8],
    sort: &Sort,
    now: i64,
) -> Result<Response, CommandError> {
    let items = sorted(txn, db, key, sort, false, now)?;
    Ok(Response::Array(
        items.into_iter().map(Response::bulk_or_nil).collect(),
    ))
}

/// `SORT ... STORE dst`.
pub(super) fn store(
    txn: &mut Txn<'_>,
    db: Db,
    key: &[u8],
    sort: &Sort,
    dst: &[u8],
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let items = sorted(txn, db, key, sort, true, ctx.now_ms)?;
    let (raw, _) = txn.header(db, dst, ctx.now_ms)?;
    if items.is_empty() {
        if let Some(raw) = raw {
            txn.remove(db, dst, &raw);
        }
        return Ok(Response::Int(0));
    }
    let meta = ListMeta {
        version: ctx.index,
        head: 0,
        tail: items.len() as i64,
    };
    for (i, v) in items.iter().enumerate() {
        txn.put_element(meta.version, i as i64, v.as_deref().unwrap_or_default());
    }
    txn.put(db, dst, raw.as_ref(), Header::new(Value::List(meta), None));
    Ok(Response::Int(items.len() as i64))
}

/// Redis's LIMIT arithmetic: `start..end` of `len` elements.
fn window(len: usize, limit: Option<(i64, i64)>) -> (usize, usize) {
    let Some((offset, count)) = limit else {
        return (0, len);
    };
    let start = offset.max(0) as u64;
    let end = if count < 0 {
        len as u64
    } else {
        start.saturating_add(count as u64)
    };
    let len = len as u64;
    (
        start.min(len) as usize,
        end.min(len).max(start.min(len)) as usize,
    )
}

/// Every element of a list (in order), set or sorted set (by score).
fn elements(txn: &Txn<'_>, h: &Header) -> Result<Vec<Bytes>, CommandError> {
    match &h.value {
        Value::List(l) => crate::engine::list::all_elements(txn, l),
        Value::Set(c) => crate::engine::set::all_members(txn, c.version),
        Value::ZSet(c) => {
            let all = Select {
                range: Range::Rank { start: 0, stop: -1 },
                rev: false,
                limit: None,
            };
            let scored = crate::engine::zset::select(txn, c, &all)?;
            Ok(scored.into_iter().map(|(member, _)| member).collect())
        }
        Value::String(_) | Value::Hash(_) => Err(CommandError::WrongType),
    }
}

/// What an element sorts by.
enum SortKey {
    Number(f64),
    Text(Option<Bytes>),
}

fn order(
    txn: &Txn<'_>,
    db: Db,
    items: Vec<Bytes>,
    by: Option<&[u8]>,
    alpha: bool,
    desc: bool,
    now: i64,
) -> Result<Vec<Bytes>, CommandError> {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let value = match by {
            Some(pattern) => lookup(txn, db, pattern, &item, now)?,
            None => Some(item.clone()),
        };
        let key = if alpha {
            SortKey::Text(value)
        } else {
            let n = match value {
                None => 0.0,
                Some(v) => parse_float(&v)
                    .filter(|n| !n.is_nan())
                    .ok_or(CommandError::SortNotNumber)?,
            };
            SortKey::Number(n)
        };
        keyed.push((key, item));
    }
    keyed.sort_by(|(ka, a), (kb, b)| {
        let cmp = match (ka, kb) {
            (SortKey::Number(x), SortKey::Number(y)) => x
                .partial_cmp(y)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.cmp(b)),
            // A missing value sorts first.
            (SortKey::Text(x), SortKey::Text(y)) => x.cmp(y),
            _ => Ordering::Equal,
        };
        if desc {
            cmp.reverse()
        } else {
            cmp
        }
    });
    Ok(keyed.into_iter().map(|(_, item)| item).collect())
}

/// What `pattern` names for `item`: `#` is the item; the first `*` is replaced by it, and a
/// `->field` after it reads that field of a hash. Anything missing or of another type is `None`.
fn lookup(
    txn: &Txn<'_>,
    db: Db,
    pattern: &[u8],
    item: &[u8],
    now: i64,
) -> Result<Option<Bytes>, CommandError> {
    if pattern == b"#" {
        return Ok(Some(Bytes::copy_from_slice(item)));
    }
    let Some(star) = pattern.iter().position(|&b| b == b'*') else {
        return Ok(None);
    };
    let after = &pattern[star + 1..];
    let (tail, field) = match after.windows(2).position(|w| w == b"->") {
        Some(at) if at + 2 < after.len() => (&after[..at], Some(&after[at + 2..])),
        _ => (after, None),
    };
    let name = [&pattern[..star], item, tail].concat();
    if name.len() > keys::MAX_KEY_LEN {
        return Ok(None);
    }
    let Some(h) = txn.live(db, &name, now)? else {
        return Ok(None);
    };
    match (&h.value, field) {
        (Value::String(v), None) => Ok(Some(v.clone())),
        (Value::Hash(c), Some(field)) => Ok(txn
            .get(Space::Hashes, &keys::field(c.version, field))?
            .map(Bytes::from)),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::keys::{Command, Query};
    use crate::command::{hash, kv, list, set, End, Expiry, SetCond};
    use crate::engine::testing::{b, TestStore};

    fn strings(r: Response) -> Vec<Option<String>> {
        let Response::Array(items) = r else {
            panic!("not an array: {r:?}");
        };
        items
            .into_iter()
            .map(|i| match i {
                Response::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                _ => None,
            })
            .collect()
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    fn sort(t: &TestStore, key: &str, s: Sort) -> Response {
        t.query(Query::Sort {
            db: 0,
            key: b(key),
            sort: s,
        })
    }

    fn setup() -> TestStore {
        let mut t = TestStore::new();
        t.apply(list::Command::Push {
            db: 0,
            key: b("l"),
            end: End::Right,
            values: ["3", "1", "10", "2"].map(b).to_vec(),
            only_if_exists: false,
        });
        for (k, v) in [("w_1", "30"), ("w_2", "20"), ("w_3", "10")] {
            t.apply(kv::Command::Set {
                db: 0,
                key: b(k),
                value: b(v),
                expiry: Expiry::Persist,
                cond: SetCond::Always,
                get: false,
            });
        }
        t.apply(hash::Command::Set {
            db: 0,
            key: b("h_1"),
            pairs: vec![(b("name"), b("one"))],
            only_new: false,
        });
        t
    }

    #[test]
    fn numbers_sort_as_numbers_and_text_as_bytes() {
        let t = setup();
        assert_eq!(
            strings(sort(&t, "l", Sort::default())),
            some(&["1", "2", "3", "10"])
        );
        let alpha = Sort {
            alpha: true,
            desc: true,
            ..Sort::default()
        };
        assert_eq!(strings(sort(&t, "l", alpha)), some(&["3", "2", "10", "1"]));
        let limit = Sort {
            limit: Some((1, 2)),
            ..Sort::default()
        };
        assert_eq!(strings(sort(&t, "l", limit)), some(&["2", "3"]));
        assert_eq!(strings(sort(&t, "missing", Sort::default())), some(&[]));
    }

    #[test]
    fn by_and_get_patterns_read_other_keys_and_hash_fields() {
        let t = setup();
        let by = Sort {
            by: Some(b("w_*")),
            get: vec![b("#"), b("h_*->name"), b("w_*")],
            ..Sort::default()
        };
        // 10 has no weight: 0, first; then w_3=10, w_2=20, w_1=30.
        let got = strings(sort(&t, "l", by));
        assert_eq!(
            got,
            vec![
                Some("10".into()),
                None,
                None,
                Some("3".into()),
                None,
                Some("10".into()),
                Some("2".into()),
                None,
                Some("20".into()),
                Some("1".into()),
                Some("one".into()),
                Some("30".into()),
            ]
        );
        let nosort = Sort {
            by: Some(b("nosort")),
            desc: true,
            ..Sort::default()
        };
        assert_eq!(strings(sort(&t, "l", nosort)), some(&["2", "10", "1", "3"]));
    }

    #[test]
    fn text_that_is_not_a_number_is_refused_unless_alpha() {
        let mut t = setup();
        t.apply(set::Command::Add {
            db: 0,
            key: b("s"),
            members: vec![b("a"), b("1")],
        });
        assert_eq!(
            sort(&t, "s", Sort::default()),
            Response::Error(CommandError::SortNotNumber)
        );
        assert_eq!(
            sort(&t, "w_1", Sort::default()),
            Response::Error(CommandError::WrongType)
        );
    }

    #[test]
    fn store_writes_a_list_or_deletes_the_destination() {
        let mut t = setup();
        let stored = t.apply(Command::SortStore {
            db: 0,
            key: b("l"),
            sort: Sort {
                get: vec![b("h_*->name")],
                ..Sort::default()
            },
            dst: b("out"),
        });
        assert_eq!(stored, Response::Int(4));
        let range = t.query(list::Query::LRange {
            db: 0,
            key: b("out"),
            start: 0,
            stop: -1,
        });
        assert_eq!(strings(range), some(&["one", "", "", ""]));
        let emptied = t.apply(Command::SortStore {
            db: 0,
            key: b("missing"),
            sort: Sort::default(),
            dst: b("out"),
        });
        assert_eq!(emptied, Response::Int(0));
        let exists = t.query(Query::Exists {
            db: 0,
            keys: vec![b("out")],
        });
        assert_eq!(exists, Response::Int(0));
    }

    #[test]
    fn limits_follow_redis_arithmetic() {
        assert_eq!(window(4, None), (0, 4));
        assert_eq!(window(4, Some((-3, 2))), (0, 2));
        assert_eq!(window(4, Some((1, -1))), (1, 4));
        assert_eq!(window(4, Some((9, 2))), (4, 4));
        assert_eq!(window(4, Some((2, i64::MAX))), (2, 4));
        assert_eq!(window(0, Some((0, 1))), (0, 0));
    }
}

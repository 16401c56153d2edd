use super::*;
use crate::command::keys as generic;
use crate::command::kv;
use crate::engine::testing::{b, TestStore};

fn bulk(s: &str) -> Response {
    Response::bulk(b(s))
}

fn hset(t: &mut TestStore, key: &str, pairs: &[(&str, &str)]) -> Response {
    t.apply(Command::Set {
        db: 0,
        key: b(key),
        pairs: pairs.iter().map(|(f, v)| (b(f), b(v))).collect(),
        only_new: false,
    })
}

fn hsetnx(t: &mut TestStore, key: &str, f: &str, v: &str) -> Response {
    t.apply(Command::Set {
        db: 0,
        key: b(key),
        pairs: vec![(b(f), b(v))],
        only_new: true,
    })
}

fn hget(t: &TestStore, key: &str, f: &str) -> Response {
    t.query(Query::Get {
        db: 0,
        key: b(key),
        field: b(f),
    })
}

fn hdel(t: &mut TestStore, key: &str, fields: &[&str]) -> Response {
    t.apply(Command::Del {
        db: 0,
        key: b(key),
        fields: fields.iter().map(|f| b(f)).collect(),
    })
}

fn hlen(t: &TestStore, key: &str) -> Response {
    t.query(Query::Len { db: 0, key: b(key) })
}

fn incr(t: &mut TestStore, key: &str, f: &str, delta: i64) -> Response {
    t.apply(Command::IncrBy {
        db: 0,
        key: b(key),
        field: b(f),
        delta,
    })
}

fn incr_float(t: &mut TestStore, key: &str, f: &str, delta: &str) -> Response {
    t.apply(Command::IncrByFloat {
        db: 0,
        key: b(key),
        field: b(f),
        delta: b(delta),
    })
}

fn all(t: &TestStore, key: &str, part: Part) -> Response {
    t.query(Query::All {
        db: 0,
        key: b(key),
        part,
    })
}

fn pairs(r: Response) -> Vec<(Bytes, Bytes)> {
    match r {
        Response::Map(m) => m
            .into_iter()
            .map(|(f, v)| match (f, v) {
                (Response::Bulk(f), Response::Bulk(v)) => (f, v),
                other => panic!("not a pair of bulks: {other:?}"),
            })
            .collect(),
        other => panic!("not a map: {other:?}"),
    }
}

fn bulks(r: Response) -> Vec<Bytes> {
    match r {
        Response::Pairs(p) => bulks(Response::Array(
            p.into_iter().flat_map(|(a, b)| [a, b]).collect(),
        )),
        Response::Array(a) => a
            .into_iter()
            .map(|x| match x {
                Response::Bulk(b) => b,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn stamp(t: &TestStore, key: &str) -> Response {
    t.query(generic::Query::Stamps {
        db: 0,
        keys: vec![b(key)],
    })
}

fn set_string(t: &mut TestStore, key: &str, v: &str) {
    t.apply(kv::Command::Set {
        db: 0,
        key: b(key),
        value: b(v),
        expiry: crate::command::Expiry::Persist,
        cond: crate::command::SetCond::Always,
        get: false,
    });
}

fn fill(t: &mut TestStore, key: &str, n: usize) {
    let owned: Vec<(String, String)> = (0..n)
        .map(|i| (format!("f{i:04}"), format!("v{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = owned.iter().map(|(f, v)| (&f[..], &v[..])).collect();
    hset(t, key, &refs);
}

#[test]
fn hset_counts_new_fields_and_the_last_value_wins() {
    let mut t = TestStore::new();
    assert_eq!(hset(&mut t, "h", &[("f", "1")]), Response::Int(1));
    assert_eq!(hset(&mut t, "h", &[("f", "2")]), Response::Int(0));
    assert_eq!(
        hset(&mut t, "h", &[("g", "3"), ("f", "4"), ("k", "5")]),
        Response::Int(2)
    );
    assert_eq!(
        hset(&mut t, "h", &[("d", "x"), ("d", "y")]),
        Response::Int(1)
    );
    assert_eq!(hget(&t, "h", "d"), bulk("y"));
    assert_eq!(hget(&t, "h", "f"), bulk("4"));
    assert_eq!(hget(&t, "h", "nope"), Response::Nil);
    assert_eq!(hget(&t, "missing", "f"), Response::Nil);
    assert_eq!(hlen(&t, "h"), Response::Int(4));
    assert_eq!(
        hset(&mut t, "h", &[("", "e"), ("ev", "")]),
        Response::Int(2)
    );
    assert_eq!(hget(&t, "h", ""), bulk("e"));
    assert_eq!(hget(&t, "h", "ev"), bulk(""));
    assert_eq!(
        t.query(generic::Query::Type { db: 0, key: b("h") }),
        Response::Type(Some(KeyType::Hash))
    );
}

#[test]
fn hsetnx_sets_only_missing_fields_and_changes_nothing_otherwise() {
    let mut t = TestStore::new();
    assert_eq!(hsetnx(&mut t, "h", "f", "1"), Response::Int(1));
    let before = stamp(&t, "h");
    assert_eq!(hsetnx(&mut t, "h", "f", "2"), Response::Int(0));
    assert_eq!(hget(&t, "h", "f"), bulk("1"));
    assert_eq!(stamp(&t, "h"), before, "a refused HSETNX is no change");
    assert_eq!(hsetnx(&mut t, "h", "g", "3"), Response::Int(1));
    assert_ne!(stamp(&t, "h"), before);
    assert_eq!(hlen(&t, "h"), Response::Int(2));
}

#[test]
fn hset_of_the_same_value_is_a_change_as_in_redis() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("f", "1")]);
    let before = stamp(&t, "h");
    assert_eq!(hset(&mut t, "h", &[("f", "1")]), Response::Int(0));
    assert_ne!(stamp(&t, "h"), before);
}

#[test]
fn hmget_answers_nil_for_missing_fields_and_keys() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("a", "1"), ("b", "2")]);
    let q = |key: &str| Query::MGet {
        db: 0,
        key: b(key),
        fields: vec![b("a"), b("nope"), b("b"), b("a")],
    };
    assert_eq!(
        t.query(q("h")),
        Response::Array(vec![bulk("1"), Response::Nil, bulk("2"), bulk("1")])
    );
    assert_eq!(
        t.query(q("missing")),
        Response::Array(vec![Response::Nil; 4])
    );
}

#[test]
fn hdel_counts_removed_fields_and_the_last_one_removes_the_key() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("a", "1"), ("b", "2"), ("c", "3")]);
    let before = stamp(&t, "h");
    assert_eq!(hdel(&mut t, "h", &["nope"]), Response::Int(0));
    assert_eq!(stamp(&t, "h"), before, "deleting nothing is no change");
    assert_eq!(hdel(&mut t, "h", &["a", "a", "nope"]), Response::Int(1));
    assert_eq!(hlen(&t, "h"), Response::Int(2));
    assert_eq!(hdel(&mut t, "h", &["b", "c"]), Response::Int(2));
    assert_eq!(
        t.query(generic::Query::Type { db: 0, key: b("h") }),
        Response::Type(None)
    );
    assert_eq!(hlen(&t, "h"), Response::Int(0));
    assert_eq!(hdel(&mut t, "missing", &["a"]), Response::Int(0));
    assert_eq!(hset(&mut t, "h", &[("z", "1")]), Response::Int(1));
    assert_eq!(
        pairs(all(&t, "h", Part::Both)),
        vec![(b("z"), b("1"))],
        "a recreated hash starts empty"
    );
}

#[test]
fn fields_too_long_to_store_are_refused_before_any_write() {
    let mut t = TestStore::new();
    let long = "x".repeat(keys::MAX_KEY_LEN + 1);
    let too_long = Response::Error(CommandError::KeyTooLong(keys::MAX_KEY_LEN));
    assert_eq!(hset(&mut t, "h", &[("a", "1"), (&long, "2")]), too_long);
    assert_eq!(hlen(&t, "h"), Response::Int(0));
    assert_eq!(hget(&t, "h", "a"), Response::Nil);
    assert_eq!(incr(&mut t, "h", &long, 1), too_long);
    assert_eq!(incr_float(&mut t, "h", &long, "1"), too_long);
    hset(&mut t, "h", &[("a", "1")]);
    assert_eq!(hget(&t, "h", &long), Response::Nil);
    assert_eq!(hdel(&mut t, "h", &[&long]), Response::Int(0));
    let longest = "y".repeat(keys::MAX_KEY_LEN);
    assert_eq!(hset(&mut t, "h", &[(&longest, "v")]), Response::Int(1));
    assert_eq!(hget(&t, "h", &longest), bulk("v"));
}

#[test]
fn hexists_and_hstrlen() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("s", "hello"), ("e", "")]);
    let exists = |t: &TestStore, key: &str, f: &str| {
        t.query(Query::Exists {
            db: 0,
            key: b(key),
            field: b(f),
        })
    };
    let strlen = |t: &TestStore, key: &str, f: &str| {
        t.query(Query::StrLen {
            db: 0,
            key: b(key),
            field: b(f),
        })
    };
    assert_eq!(exists(&t, "h", "s"), Response::Int(1));
    assert_eq!(exists(&t, "h", "e"), Response::Int(1));
    assert_eq!(exists(&t, "h", "nope"), Response::Int(0));
    assert_eq!(exists(&t, "missing", "s"), Response::Int(0));
    assert_eq!(strlen(&t, "h", "s"), Response::Int(5));
    assert_eq!(strlen(&t, "h", "e"), Response::Int(0));
    assert_eq!(strlen(&t, "h", "nope"), Response::Int(0));
    assert_eq!(strlen(&t, "missing", "s"), Response::Int(0));
}

#[test]
fn hkeys_hvals_hgetall_agree_in_order() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("b", "2"), ("a", "1"), ("c", "3")]);
    let keys = bulks(all(&t, "h", Part::Fields));
    let vals = bulks(all(&t, "h", Part::Values));
    let both = pairs(all(&t, "h", Part::Both));
    assert_eq!(keys, vec![b("a"), b("b"), b("c")]);
    assert_eq!(vals, vec![b("1"), b("2"), b("3")]);
    assert_eq!(both, keys.into_iter().zip(vals).collect::<Vec<_>>());
    assert_eq!(all(&t, "missing", Part::Fields), Response::Array(vec![]));
    assert_eq!(all(&t, "missing", Part::Both), Response::Map(vec![]));
}

#[test]
fn large_hashes_read_whole_across_scan_chunks() {
    let mut t = TestStore::new();
    fill(&mut t, "h", 3000);
    assert_eq!(hlen(&t, "h"), Response::Int(3000));
    assert_eq!(pairs(all(&t, "h", Part::Both)).len(), 3000);
    let fields: Vec<String> = (0..2999).map(|i| format!("f{i:04}")).collect();
    let fields: Vec<&str> = fields.iter().map(|s| &s[..]).collect();
    assert_eq!(hdel(&mut t, "h", &fields), Response::Int(2999));
    assert_eq!(
        pairs(all(&t, "h", Part::Both)),
        vec![(b("f2999"), b("v2999"))]
    );
}

#[test]
fn hincrby_creates_adds_and_refuses_overflow_and_non_integers() {
    let mut t = TestStore::new();
    assert_eq!(incr(&mut t, "h", "n", 5), Response::Int(5));
    assert_eq!(incr(&mut t, "h", "n", -10), Response::Int(-5));
    assert_eq!(hget(&t, "h", "n"), bulk("-5"));
    assert_eq!(hlen(&t, "h"), Response::Int(1));
    hset(
        &mut t,
        "h",
        &[
            ("max", "9223372036854775807"),
            ("s", "abc"),
            ("f", "1.5"),
            ("sp", " 1"),
            ("z", "-0"),
        ],
    );
    let err = |e| Response::Error(e);
    assert_eq!(incr(&mut t, "h", "max", 1), err(CommandError::Overflow));
    assert_eq!(incr(&mut t, "h", "max", -1), Response::Int(i64::MAX - 1));
    for f in ["s", "f", "sp", "z"] {
        assert_eq!(
            incr(&mut t, "h", f, 1),
            err(CommandError::HashNotInteger),
            "{f}"
        );
    }
    assert_eq!(incr(&mut t, "h", "min", i64::MIN), Response::Int(i64::MIN));
    assert_eq!(incr(&mut t, "h", "min", -1), err(CommandError::Overflow));
    assert_eq!(hget(&t, "h", "min"), bulk("-9223372036854775808"));
}

#[test]
fn hincrbyfloat_is_redis_long_double_arithmetic() {
    let mut t = TestStore::new();
    assert_eq!(incr_float(&mut t, "h", "f", "10.5"), bulk("10.5"));
    assert_eq!(incr_float(&mut t, "h", "f", "0.1"), bulk("10.6"));
    assert_eq!(hget(&t, "h", "f"), bulk("10.6"));
    assert_eq!(incr_float(&mut t, "h", "f", "-5"), bulk("5.6"));
    hset(&mut t, "h", &[("e", "5.0e3"), ("a", "0.1"), ("i", "7")]);
    assert_eq!(incr_float(&mut t, "h", "e", "2.0e2"), bulk("5200"));
    assert_eq!(incr_float(&mut t, "h", "a", "0.2"), bulk("0.3"));
    assert_eq!(incr_float(&mut t, "h", "i", "0.5"), bulk("7.5"));
    assert_eq!(incr_float(&mut t, "h", "i", "-0.5"), bulk("7"));
    assert_eq!(incr(&mut t, "h", "i", 1), Response::Int(8));
    assert_eq!(incr_float(&mut t, "h", "new", "3"), bulk("3"));
    assert_eq!(incr_float(&mut t, "h", "new", "-3"), bulk("0"));
    assert_eq!(hlen(&t, "h"), Response::Int(5));
}

#[test]
fn hincrbyfloat_refusals_in_redis_order() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("s", "abc"), ("n", "1"), ("big", "1e4932")]);
    set_string(&mut t, "str", "v");
    let err = |e| Response::Error(e);
    assert_eq!(
        incr_float(&mut t, "h", "s", "1"),
        err(CommandError::HashNotFloat)
    );
    assert_eq!(
        incr_float(&mut t, "h", "n", "abc"),
        err(CommandError::NotFloat)
    );
    assert_eq!(
        incr_float(&mut t, "h", "n", "nan"),
        err(CommandError::NotFloat)
    );
    assert_eq!(
        incr_float(&mut t, "h", "n", "inf"),
        err(CommandError::NanOrInfinity)
    );
    assert_eq!(
        incr_float(&mut t, "h", "big", "1e4932"),
        err(CommandError::NanOrInfinity)
    );
    // The increment is checked before the key's type.
    assert_eq!(
        incr_float(&mut t, "str", "n", "x"),
        err(CommandError::NotFloat)
    );
    assert_eq!(
        incr_float(&mut t, "str", "n", "1"),
        err(CommandError::WrongType)
    );
    assert_eq!(hget(&t, "h", "n"), bulk("1"));
    assert_eq!(
        incr_float(&mut t, "missing", "n", "abc"),
        err(CommandError::NotFloat)
    );
    assert_eq!(hlen(&t, "missing"), Response::Int(0));
}

#[test]
fn other_types_are_refused_and_hashes_refused_by_them() {
    let mut t = TestStore::new();
    set_string(&mut t, "s", "v");
    let wrong = Response::Error(CommandError::WrongType);
    assert_eq!(hset(&mut t, "s", &[("a", "b")]), wrong);
    assert_eq!(hsetnx(&mut t, "s", "a", "b"), wrong);
    assert_eq!(hdel(&mut t, "s", &["a"]), wrong);
    assert_eq!(incr(&mut t, "s", "a", 1), wrong);
    assert_eq!(hget(&t, "s", "a"), wrong);
    assert_eq!(hlen(&t, "s"), wrong);
    assert_eq!(all(&t, "s", Part::Both), wrong);
    for count in [None, Some(0), Some(2)] {
        let q = Query::RandField {
            db: 0,
            key: b("s"),
            count,
            with_values: false,
        };
        assert_eq!(t.query(q), wrong);
    }
    let scan = |count| Query::Scan {
        db: 0,
        key: b("s"),
        cursor: 0,
        pattern: None,
        count,
    };
    assert_eq!(t.query(scan(10)), wrong);
    assert_eq!(t.query(scan(0)), wrong);
    hset(&mut t, "h", &[("a", "1")]);
    assert_eq!(t.query(kv::Query::Get { db: 0, key: b("h") }), wrong);
}

#[test]
fn expired_hashes_read_as_absent_and_are_replaced_whole() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("a", "1"), ("b", "2")]);
    let at = t.apply(generic::Command::Expire {
        db: 0,
        key: b("h"),
        at_ms: 2_000,
        cond: crate::command::ExpireCond::Always,
    });
    assert_eq!(at, Response::Int(1));
    // Field writes keep the key's TTL.
    t.apply_at(
        Command::Set {
            db: 0,
            key: b("h"),
            pairs: vec![(b("c"), b("3"))],
            only_new: false,
        },
        1_500,
    );
    assert_eq!(
        t.query_at(
            generic::Query::Ttl {
                db: 0,
                key: b("h"),
                kind: crate::command::TtlKind::AtMillis
            },
            1_500
        ),
        Response::Int(2_000)
    );
    let get_at = |t: &TestStore, now| {
        t.query_at(
            Query::Get {
                db: 0,
                key: b("h"),
                field: b("a"),
            },
            now,
        )
    };
    assert_eq!(get_at(&t, 1_999), bulk("1"));
    assert_eq!(get_at(&t, 2_000), Response::Nil);
    let r = t.apply_at(
        Command::Set {
            db: 0,
            key: b("h"),
            pairs: vec![(b("new"), b("1"))],
            only_new: false,
        },
        3_000,
    );
    assert_eq!(r, Response::Int(1));
    assert_eq!(
        pairs(t.query_at(
            Query::All {
                db: 0,
                key: b("h"),
                part: Part::Both
            },
            3_000
        )),
        vec![(b("new"), b("1"))]
    );
}

fn rand(t: &TestStore, key: &str, count: Option<i64>, with_values: bool) -> Response {
    t.query(Query::RandField {
        db: 0,
        key: b(key),
        count,
        with_values,
    })
}

#[test]
fn hrandfield_without_count_is_one_field_or_nil() {
    let mut t = TestStore::new();
    assert_eq!(rand(&t, "missing", None, false), Response::Nil);
    hset(&mut t, "h", &[("a", "1"), ("b", "2"), ("c", "3")]);
    for _ in 0..20 {
        let r = rand(&t, "h", None, false);
        assert!([bulk("a"), bulk("b"), bulk("c")].contains(&r), "{r:?}");
    }
}

#[test]
fn hrandfield_positive_counts_are_distinct_and_capped() {
    let mut t = TestStore::new();
    assert_eq!(rand(&t, "missing", Some(3), false), Response::Array(vec![]));
    assert_eq!(rand(&t, "missing", Some(-3), true), Response::Array(vec![]));
    fill(&mut t, "h", 300);
    assert_eq!(rand(&t, "h", Some(0), false), Response::Array(vec![]));
    for n in [1usize, 10, 150, 299] {
        let got = bulks(rand(&t, "h", Some(n as i64), false));
        let distinct: std::collections::BTreeSet<_> = got.iter().collect();
        assert_eq!((got.len(), distinct.len()), (n, n));
    }
    assert_eq!(bulks(rand(&t, "h", Some(1000), false)).len(), 300);
}

#[test]
fn hrandfield_negative_counts_repeat_and_are_bounded() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("a", "1"), ("b", "2")]);
    let got = bulks(rand(&t, "h", Some(-50), false));
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|f| f == "a" || f == "b"));
    let flat = bulks(rand(&t, "h", Some(-9), true));
    let got: Vec<_> = flat
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(got.len(), 9);
    assert!(got
        .iter()
        .all(|(f, v)| (f == "a" && v == "1") || (f == "b" && v == "2")));
    assert_eq!(
        rand(
            &t,
            "h",
            Some(-(crate::engine::store::coll::MAX_RANDOM_REPEATS as i64) - 1),
            false
        ),
        Response::Error(CommandError::NotInteger)
    );
}

fn scan_step(
    t: &TestStore,
    key: &str,
    cursor: u64,
    pattern: Option<&str>,
    count: u64,
) -> (u64, Vec<(Bytes, Bytes)>) {
    let r = t.query(Query::Scan {
        db: 0,
        key: b(key),
        cursor,
        pattern: pattern.map(b),
        count,
    });
    let Response::Array(mut parts) = r else {
        panic!("not a scan page: {r:?}")
    };
    let items = bulks(parts.pop().expect("items"));
    let Some(Response::Bulk(c)) = parts.pop() else {
        panic!("no cursor")
    };
    let cursor = std::str::from_utf8(&c).expect("utf8").parse().expect("u64");
    let pairs = items
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    (cursor, pairs)
}

fn scan_all(t: &TestStore, key: &str, pattern: Option<&str>, count: u64) -> Vec<String> {
    let (mut cursor, mut out, mut rounds) = (0, Vec::new(), 0);
    loop {
        let (next, page) = scan_step(t, key, cursor, pattern, count);
        out.extend(
            page.into_iter()
                .map(|(f, _)| String::from_utf8_lossy(&f).into_owned()),
        );
        rounds += 1;
        assert!(rounds < 10_000);
        if next == 0 {
            out.sort();
            out.dedup();
            return out;
        }
        cursor = next;
    }
}

#[test]
fn hscan_small_hashes_come_whole() {
    let mut t = TestStore::new();
    hset(&mut t, "h", &[("a", "1"), ("b", "2"), ("c", "3")]);
    let (cursor, page) = scan_step(&t, "h", 0, None, 1);
    assert_eq!(cursor, 0);
    assert_eq!(page.len(), 3);
    assert_eq!(scan_all(&t, "h", Some("b*"), 10), vec!["b"]);
    assert!(scan_all(&t, "h", Some("zz*"), 10).is_empty());
    assert_eq!(scan_step(&t, "missing", 0, None, 10), (0, vec![]));
    // COUNT 0 is refused for a hash, not for a missing key.
    assert_eq!(scan_step(&t, "missing", 0, None, 0), (0, vec![]));
    assert_eq!(
        t.query(Query::Scan {
            db: 0,
            key: b("h"),
            cursor: 0,
            pattern: None,
            count: 0
        }),
        Response::Error(CommandError::Syntax)
    );
}

#[test]
fn hscan_large_hashes_page_to_completion() {
    let mut t = TestStore::new();
    fill(&mut t, "h", 500);
    let (cursor, page) = scan_step(&t, "h", 0, None, 10);
    assert_ne!(cursor, 0);
    assert_eq!(page.len(), 10);
    let every: Vec<String> = (0..500).map(|i| format!("f{i:04}")).collect();
    for count in [7, 100, 1000] {
        assert_eq!(scan_all(&t, "h", None, count), every, "{count}");
    }
    let tens: Vec<String> = (10..20).map(|i| format!("f{i:04}")).collect();
    assert_eq!(scan_all(&t, "h", Some("f001?"), 20), tens);
    // Fields deleted and added between steps: every field there throughout comes back.
    let (cursor, page) = scan_step(&t, "h", 0, None, 100);
    hdel(&mut t, "h", &["f0000", "f0499"]);
    hset(&mut t, "h", &[("f0250x", "new")]);
    let (mut cursor, mut seen) = (cursor, page.len());
    while cursor != 0 {
        let (next, page) = scan_step(&t, "h", cursor, None, 100);
        seen += page.len();
        cursor = next;
    }
    assert_eq!(seen, 500);
}

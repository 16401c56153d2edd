use super::*;
use crate::command::{hash, kv, list, set, zset, End, Expiry, SetCond};
use crate::engine::testing::{b, TestStore};

fn digests(t: &TestStore, keys: &[&str]) -> Vec<Response> {
    let Response::Array(out) = t.query(Query::Digest {
        db: 0,
        keys: Some(keys.iter().map(|k| b(k)).collect()),
    }) else {
        panic!("not an array")
    };
    out
}

fn digest(t: &TestStore, key: &str) -> String {
    match digests(t, &[key]).remove(0) {
        Response::Bulk(d) => String::from_utf8_lossy(&d).into_owned(),
        other => panic!("{other:?}"),
    }
}

fn all(t: &TestStore) -> String {
    match t.query(Query::Digest { db: 0, keys: None }) {
        Response::Bulk(d) => String::from_utf8_lossy(&d).into_owned(),
        other => panic!("{other:?}"),
    }
}

fn copy(t: &mut TestStore, src: &str, dst: &str) {
    let r = t.apply(Command::Copy {
        db: 0,
        src: b(src),
        dst_db: 0,
        dst: b(dst),
        replace: true,
    });
    assert_eq!(r, Response::Int(1));
}

const ZERO: &str = "0000000000000000000000000000000000000000";

fn set_string(t: &mut TestStore, key: &str, v: &str) {
    t.apply(kv::Command::Set {
        db: 0,
        key: b(key),
        value: b(v),
        expiry: Expiry::Persist,
        cond: SetCond::Always,
        get: false,
    });
}

#[test]
fn del_of_an_expired_key_removes_it_without_counting_it() {
    let mut t = TestStore::new();
    t.apply_at(
        kv::Command::Set {
            db: 0,
            key: b("gone"),
            value: b("v"),
            expiry: Expiry::At(1_500),
            cond: SetCond::Always,
            get: false,
        },
        1_000,
    );
    assert_eq!(t.engine.key_counts(0), (1, 1));
    let del = Command::Del {
        db: 0,
        keys: vec![b("gone"), b("never")],
    };
    assert_eq!(t.apply_at(del, 2_000), Response::Int(0));
    assert_eq!(t.engine.key_counts(0), (0, 0));
}

#[test]
fn missing_keys_and_an_empty_dataset_digest_to_zeros() {
    let mut t = TestStore::new();
    assert_eq!(digest(&t, "nope"), ZERO);
    assert_eq!(all(&t), ZERO);
    set_string(&mut t, "k", "v");
    assert_ne!(all(&t), ZERO);
    assert_eq!(digest(&t, "k").len(), 40);
    assert_eq!(digests(&t, &["k", "nope"]).len(), 2);
    t.apply(Command::FlushAll);
    assert_eq!(all(&t), ZERO);
}

#[test]
fn strings_digest_their_content() {
    let mut t = TestStore::new();
    set_string(&mut t, "a", "hello");
    set_string(&mut t, "b", "hello");
    set_string(&mut t, "c", "hellp");
    assert_eq!(digest(&t, "a"), digest(&t, "b"));
    assert_ne!(digest(&t, "a"), digest(&t, "c"));
    // The same bytes as a list element are another value.
    t.apply(list::Command::Push {
        db: 0,
        key: b("l"),
        end: End::Right,
        values: vec![b("hello")],
        only_if_exists: false,
    });
    assert_ne!(digest(&t, "a"), digest(&t, "l"));
    // A time to live is part of it, as in Redis.
    let before = digest(&t, "a");
    t.apply(Command::Expire {
        db: 0,
        key: b("a"),
        at_ms: 1_000_000,
        cond: ExpireCond::Always,
    });
    assert_ne!(digest(&t, "a"), before);
}

#[test]
fn every_type_digests_the_same_after_copy_and_differently_after_a_change() {
    let mut t = TestStore::new();
    set_string(&mut t, "s", "value");
    t.apply(list::Command::Push {
        db: 0,
        key: b("l"),
        end: End::Right,
        values: vec![b("a"), b("b"), b("c")],
        only_if_exists: false,
    });
    t.apply(hash::Command::Set {
        db: 0,
        key: b("h"),
        pairs: vec![(b("f1"), b("v1")), (b("f2"), b("v2"))],
        only_new: false,
    });
    t.apply(set::Command::Add {
        db: 0,
        key: b("t"),
        members: vec![b("x"), b("y"), b("z")],
    });
    t.apply(zset::Command::Add {
        db: 0,
        key: b("z"),
        flags: zset::AddFlags::default(),
        pairs: vec![(1.0, b("one")), (2.0, b("two"))],
    });
    let whole = all(&t);
    for key in ["s", "l", "h", "t", "z"] {
        let copied = format!("{key}-copy");
        copy(&mut t, key, &copied);
        assert_eq!(digest(&t, key), digest(&t, &copied), "{key}");
        assert_ne!(digest(&t, key), ZERO);
    }
    assert_ne!(all(&t), whole);
    let before: Vec<String> = ["s", "l", "h", "t", "z"]
        .iter()
        .map(|k| digest(&t, k))
        .collect();
    // Reading changes nothing.
    assert_eq!(before[0], digest(&t, "s"));
    set_string(&mut t, "s", "valuf");
    t.apply(list::Command::LSet {
        db: 0,
        key: b("l"),
        index: 1,
        value: b("B"),
    });
    t.apply(hash::Command::Set {
        db: 0,
        key: b("h"),
        pairs: vec![(b("f2"), b("v3"))],
        only_new: false,
    });
    t.apply(set::Command::Add {
        db: 0,
        key: b("t"),
        members: vec![b("w")],
    });
    t.apply(zset::Command::Add {
        db: 0,
        key: b("z"),
        flags: zset::AddFlags::default(),
        pairs: vec![(3.0, b("two"))],
    });
    for (i, key) in ["s", "l", "h", "t", "z"].iter().enumerate() {
        assert_ne!(digest(&t, key), before[i], "{key}");
    }
}

#[test]
fn list_order_matters_and_set_order_does_not() {
    let mut t = TestStore::new();
    for (key, values) in [("l1", ["a", "b"]), ("l2", ["b", "a"])] {
        t.apply(list::Command::Push {
            db: 0,
            key: b(key),
            end: End::Right,
            values: values.iter().map(|v| b(v)).collect(),
            only_if_exists: false,
        });
    }
    assert_ne!(digest(&t, "l1"), digest(&t, "l2"));
    for (key, members) in [("s1", ["a", "b"]), ("s2", ["b", "a"])] {
        t.apply(set::Command::Add {
            db: 0,
            key: b(key),
            members: members.iter().map(|v| b(v)).collect(),
        });
    }
    assert_eq!(digest(&t, "s1"), digest(&t, "s2"));
    // Field and value boundaries count: {"ab": "c"} is not {"a": "bc"}.
    for (key, f, v) in [("h1", "ab", "c"), ("h2", "a", "bc")] {
        t.apply(hash::Command::Set {
            db: 0,
            key: b(key),
            pairs: vec![(b(f), b(v))],
            only_new: false,
        });
    }
    assert_ne!(digest(&t, "h1"), digest(&t, "h2"));
    // The dataset digest depends on key names too.
    let whole = all(&t);
    t.apply(Command::Rename {
        db: 0,
        src: b("s1"),
        dst: b("s3"),
        if_absent: false,
    });
    assert_ne!(all(&t), whole);
}

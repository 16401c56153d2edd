use super::*;
use crate::command::{keys as generic, kv, Expiry, SetCond};
use crate::engine::testing::{b, TestStore};
use std::collections::HashSet;

fn bs(items: &[&str]) -> Vec<Bytes> {
    items.iter().map(|s| b(s)).collect()
}

fn add(t: &mut TestStore, key: &str, members: &[&str]) -> Response {
    t.apply(Command::Add {
        db: 0,
        key: b(key),
        members: bs(members),
    })
}

fn rem(t: &mut TestStore, key: &str, members: &[&str]) -> Response {
    t.apply(Command::Rem {
        db: 0,
        key: b(key),
        members: bs(members),
    })
}

fn card(t: &TestStore, key: &str) -> Response {
    t.query(Query::Card { db: 0, key: b(key) })
}

fn sorted(r: Response) -> Vec<String> {
    let items = match r {
        Response::Set(v) | Response::Array(v) => v,
        other => panic!("not an aggregate: {other:?}"),
    };
    let mut out: Vec<String> = items
        .into_iter()
        .map(|i| match i {
            Response::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect();
    out.sort();
    out
}

fn members(t: &TestStore, key: &str) -> Vec<String> {
    sorted(t.query(Query::Members { db: 0, key: b(key) }))
}

fn strs(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn set_string(t: &mut TestStore, key: &str, expiry: Expiry) {
    t.apply(kv::Command::Set {
        db: 0,
        key: b(key),
        value: b("v"),
        expiry,
        cond: SetCond::Always,
        get: false,
    });
}

fn stamp(t: &TestStore, key: &str) -> Response {
    t.query(generic::Query::Stamps {
        db: 0,
        keys: vec![b(key)],
    })
}

fn exists(t: &TestStore, key: &str) -> bool {
    t.query(generic::Query::Exists {
        db: 0,
        keys: vec![b(key)],
    }) == Response::Int(1)
}

fn ttl(t: &TestStore, key: &str) -> Response {
    t.query(generic::Query::Ttl {
        db: 0,
        key: b(key),
        kind: crate::command::TtlKind::Millis,
    })
}

fn pop(t: &mut TestStore, key: &str, count: Option<u64>, seed: u64) -> Response {
    t.apply(Command::Pop {
        db: 0,
        key: b(key),
        count,
        seed,
    })
}

fn store_cmd(t: &mut TestStore, op: Combine, dst: &str, keys: &[&str]) -> Response {
    t.apply(Command::Store {
        db: 0,
        op,
        dst: b(dst),
        keys: bs(keys),
    })
}

fn combine_q(t: &TestStore, op: Combine, keys: &[&str]) -> Response {
    t.query(Query::Combine {
        db: 0,
        op,
        keys: bs(keys),
    })
}

fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("m{i}")).collect()
}

fn add_many(t: &mut TestStore, key: &str, members: &[String]) {
    for chunk in members.chunks(500) {
        t.apply(Command::Add {
            db: 0,
            key: b(key),
            members: chunk.iter().map(|s| b(s)).collect(),
        });
    }
}

#[test]
fn sadd_counts_new_members_only() {
    let mut t = TestStore::new();
    assert_eq!(add(&mut t, "s", &["a"]), Response::Int(1));
    assert_eq!(add(&mut t, "s", &["a", "b", "c", "b"]), Response::Int(2));
    assert_eq!(card(&t, "s"), Response::Int(3));
    assert_eq!(card(&t, "missing"), Response::Int(0));
    assert_eq!(members(&t, "s"), strs(&["a", "b", "c"]));
    assert_eq!(add(&mut t, "e", &[""]), Response::Int(1));
    assert_eq!(
        t.query(Query::IsMember {
            db: 0,
            key: b("e"),
            member: b("")
        }),
        Response::Int(1)
    );
}

#[test]
fn sadd_of_existing_members_is_not_a_change() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b"]);
    let before = stamp(&t, "s");
    assert_eq!(add(&mut t, "s", &["a", "b"]), Response::Int(0));
    assert_eq!(stamp(&t, "s"), before);
    assert_eq!(rem(&mut t, "s", &["zz"]), Response::Int(0));
    assert_eq!(stamp(&t, "s"), before);
    assert_eq!(add(&mut t, "s", &["c"]), Response::Int(1));
    assert_ne!(stamp(&t, "s"), before);
}

#[test]
fn srem_removes_and_deletes_the_emptied_key() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b", "c"]);
    assert_eq!(rem(&mut t, "s", &["a", "a", "zz"]), Response::Int(1));
    assert_eq!(card(&t, "s"), Response::Int(2));
    assert_eq!(rem(&mut t, "missing", &["a"]), Response::Int(0));
    assert!(!exists(&t, "missing"));
    assert_eq!(rem(&mut t, "s", &["b", "c"]), Response::Int(2));
    assert!(!exists(&t, "s"));
    assert_eq!(add(&mut t, "s", &["new"]), Response::Int(1));
    assert_eq!(members(&t, "s"), strs(&["new"]));
}

#[test]
fn membership_queries() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b"]);
    let is = |t: &TestStore, key: &str, m: &str| {
        t.query(Query::IsMember {
            db: 0,
            key: b(key),
            member: b(m),
        })
    };
    assert_eq!(is(&t, "s", "a"), Response::Int(1));
    assert_eq!(is(&t, "s", "zz"), Response::Int(0));
    assert_eq!(is(&t, "missing", "a"), Response::Int(0));
    let mis = t.query(Query::MIsMember {
        db: 0,
        key: b("s"),
        members: bs(&["a", "zz", "b", "a"]),
    });
    let ints = |v: &[i64]| Response::Array(v.iter().map(|i| Response::Int(*i)).collect());
    assert_eq!(mis, ints(&[1, 0, 1, 1]));
    let mis = t.query(Query::MIsMember {
        db: 0,
        key: b("missing"),
        members: bs(&["a", "b"]),
    });
    assert_eq!(mis, ints(&[0, 0]));
    assert_eq!(
        t.query(Query::Members {
            db: 0,
            key: b("missing")
        }),
        Response::Set(Vec::new())
    );
}

#[test]
fn wrong_type_is_refused_everywhere() {
    let mut t = TestStore::new();
    set_string(&mut t, "str", Expiry::Persist);
    add(&mut t, "a", &["1"]);
    let wrong = Response::Error(CommandError::WrongType);
    assert_eq!(add(&mut t, "str", &["x"]), wrong);
    assert_eq!(rem(&mut t, "str", &["x"]), wrong);
    assert_eq!(pop(&mut t, "str", Some(0), 1), wrong);
    assert_eq!(pop(&mut t, "str", None, 1), wrong);
    assert_eq!(card(&t, "str"), wrong);
    assert_eq!(
        t.query(Query::RandMember {
            db: 0,
            key: b("str"),
            count: Some(0)
        }),
        wrong
    );
    for keys in [&["a", "str"][..], &["missing", "str"], &["str", "missing"]] {
        for op in [Combine::Inter, Combine::Union, Combine::Diff] {
            assert_eq!(combine_q(&t, op, keys), wrong, "{op:?} {keys:?}");
            assert_eq!(store_cmd(&mut t, op, "d", keys), wrong, "{op:?} {keys:?}");
        }
        assert_eq!(
            t.query(Query::InterCard {
                db: 0,
                keys: bs(keys),
                limit: 0
            }),
            wrong
        );
    }
    assert!(!exists(&t, "d"));
    let scan = |count| {
        t.query(Query::Scan {
            db: 0,
            key: b("str"),
            cursor: 0,
            pattern: None,
            count,
        })
    };
    assert_eq!(scan(10), wrong);
    assert_eq!(scan(0), wrong);
}

#[test]
fn spop_single_pops_each_member_once() {
    let mut t = TestStore::new();
    assert_eq!(pop(&mut t, "missing", None, 1), Response::Nil);
    add(&mut t, "s", &["a", "b", "c"]);
    let mut seen = HashSet::new();
    for seed in 0..3 {
        match pop(&mut t, "s", None, seed) {
            Response::Bulk(m) => assert!(seen.insert(m)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen.len(), 3);
    assert!(!exists(&t, "s"));
    assert_eq!(pop(&mut t, "s", None, 9), Response::Nil);
}

#[test]
fn spop_count_replies_a_set_and_empties_the_key() {
    let mut t = TestStore::new();
    assert_eq!(
        pop(&mut t, "missing", Some(3), 1),
        Response::Set(Vec::new())
    );
    assert_eq!(
        pop(&mut t, "missing", Some(0), 1),
        Response::Set(Vec::new())
    );
    let all = numbered(20);
    add_many(&mut t, "s", &all);
    let before = stamp(&t, "s");
    assert_eq!(pop(&mut t, "s", Some(0), 1), Response::Set(Vec::new()));
    assert_eq!(stamp(&t, "s"), before, "a pop of nothing changes nothing");
    let first = sorted(pop(&mut t, "s", Some(5), 7));
    assert_eq!(first.len(), 5);
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), 5);
    assert_eq!(card(&t, "s"), Response::Int(15));
    let rest = members(&t, "s");
    assert!(first.iter().all(|m| !rest.contains(m)));
    let last = sorted(pop(&mut t, "s", Some(100), 8));
    assert_eq!(last, rest);
    assert!(!exists(&t, "s"));
}

#[test]
fn spop_is_deterministic_for_a_seed() {
    let run = |seed| {
        let mut t = TestStore::new();
        add_many(&mut t, "s", &numbered(5000));
        let one = pop(&mut t, "s", None, seed);
        let few = sorted(pop(&mut t, "s", Some(10), seed));
        let many = sorted(pop(&mut t, "s", Some(2000), seed));
        (one, few, many, members(&t, "s"))
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42).1, run(43).1);
}

#[test]
fn spop_count_on_a_large_set_pops_distinct_members() {
    let mut t = TestStore::new();
    let all = numbered(3000);
    add_many(&mut t, "s", &all);
    let mut got = HashSet::new();
    // Small counts seek, large ones take one pass.
    for (seed, n) in [(1, 1), (2, 10), (3, 40), (4, 1000), (5, 1500)] {
        let batch = sorted(pop(&mut t, "s", Some(n), seed));
        assert_eq!(batch.len(), n as usize);
        for m in batch {
            assert!(got.insert(m));
        }
    }
    assert_eq!(card(&t, "s"), Response::Int(3000 - 2551));
    let rest = members(&t, "s");
    assert_eq!(rest.len(), 449);
    assert!(rest.iter().all(|m| !got.contains(m)));
    assert_eq!(got.len() + rest.len(), all.len());
}

#[test]
fn seeking_picks_are_uniform_when_members_spread_evenly() {
    let mut t = TestStore::new();
    let mut r = Rng::new(99);
    let all: Vec<Bytes> = (0..3000)
        .map(|i| {
            let mut m = r.next_u64().to_be_bytes().to_vec();
            m.extend_from_slice(format!("m{i}").as_bytes());
            Bytes::from(m)
        })
        .collect();
    for chunk in all.chunks(500) {
        t.apply(Command::Add {
            db: 0,
            key: b("s"),
            members: chunk.to_vec(),
        });
    }
    let txn = t.engine.begin();
    let meta = live_coll(&txn, 0, b"s", 1_000, KeyType::Set)
        .expect("read")
        .expect("a set");
    let seeker = Seeker::new(&txn, meta).expect("read").expect("members");
    let (mut rng, none) = (Rng::new(5), BTreeSet::new());
    let mut hits = std::collections::HashMap::new();
    for _ in 0..6000 {
        let pick = seeker.pick(&txn, &mut rng, &none).expect("read");
        *hits.entry(pick.expect("a member")).or_insert(0u32) += 1;
    }
    // Two picks per member on average: uniform picks (Poisson) miss e^-2 of them and
    // pick none more than about 9 times.
    let expected = 3000.0 * (1.0 - (-2.0f64).exp());
    assert!(
        hits.len() as f64 > expected * 0.95,
        "{} distinct",
        hits.len()
    );
    assert!(hits.values().all(|h| *h <= 12), "{:?}", hits.values().max());
}

#[test]
fn seeking_picks_reach_clustered_members_and_skip_taken_ones() {
    let mut t = TestStore::new();
    add_many(&mut t, "s", &numbered(2000));
    let txn = t.engine.begin();
    let meta = live_coll(&txn, 0, b"s", 1_000, KeyType::Set)
        .expect("read")
        .expect("a set");
    let seeker = Seeker::new(&txn, meta).expect("read").expect("members");
    let (mut rng, mut taken) = (Rng::new(1), BTreeSet::new());
    for _ in 0..1990 {
        let pick = seeker.pick(&txn, &mut rng, &taken).expect("read");
        assert!(taken.insert(pick.expect("a member left")));
    }
    assert_eq!(taken.len(), 1990);
}

fn set_meta(t: &TestStore, key: &str) -> CollMeta {
    use crate::engine::store::header::{Header, Value};
    let txn = Txn::direct_reader(&t.engine);
    match txn.live(0, key.as_bytes(), 1_000).expect("read") {
        Some(Header {
            value: Value::Set(c),
            ..
        }) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_set_drained_by_pops_moves_to_a_fresh_version_once_mostly_tombstones() {
    let mut t = TestStore::new();
    let all = numbered(6000);
    add_many(&mut t, "s", &all);
    let first = set_meta(&t, "s").version;
    srem_and_check(&mut t, &all[..100]);
    let mut popped: HashSet<String> = all[..100].iter().cloned().collect();
    let mut versions = vec![first];
    for seed in 0..5800 {
        match pop(&mut t, "s", None, seed) {
            Response::Bulk(m) => {
                assert!(popped.insert(String::from_utf8(m.to_vec()).expect("utf8")))
            }
            other => panic!("{other:?}"),
        }
        let meta = set_meta(&t, "s");
        assert!(meta.dead <= MIN_DEAD_TO_COMPACT.max(meta.len * DEAD_PER_LIVE) + 1);
        if versions.last() != Some(&meta.version) {
            assert_eq!(meta.dead, 0, "a fresh version has no tombstones");
            versions.push(meta.version);
        }
        assert_eq!(meta.len as usize, 6000 - popped.len());
    }
    assert_eq!(
        versions.len(),
        2,
        "copied once, when 4096 of 6000 were gone: {versions:?}"
    );
    // What is left is exactly what was never popped, under the new version.
    let rest: HashSet<String> = members(&t, "s").into_iter().collect();
    assert_eq!(rest.len(), 100);
    assert!(rest.iter().all(|m| !popped.contains(m)));
    assert_eq!(rest.len() + popped.len(), all.len());
    // The old version went to the collector.
    let txn = Txn::direct_reader(&t.engine);
    let garbage = txn.get(Space::Meta, &keys::garbage(first)).expect("read");
    assert!(garbage.is_some(), "old version handed to the collector");
}

fn srem_and_check(t: &mut TestStore, ms: &[String]) {
    let ms: Vec<&str> = ms.iter().map(String::as_str).collect();
    assert_eq!(rem(t, "s", &ms), Response::Int(ms.len() as i64));
}

#[test]
fn spop_keeps_the_ttl() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b", "c"]);
    t.apply(generic::Command::Expire {
        db: 0,
        key: b("s"),
        at_ms: 100_000,
        cond: crate::command::ExpireCond::Always,
    });
    pop(&mut t, "s", Some(1), 3);
    rem(&mut t, "s", &["zz"]);
    add(&mut t, "s", &["d"]);
    assert_eq!(ttl(&t, "s"), Response::Int(99_000));
}

#[test]
fn srandmember_refuses_more_repeats_than_it_would_build_rather_than_answer_short() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b"]);
    let too_many = -(crate::engine::store::coll::MAX_RANDOM_REPEATS as i64) - 1;
    for key in ["s", "missing"] {
        let r = t.query(Query::RandMember {
            db: 0,
            key: b(key),
            count: Some(too_many),
        });
        assert_eq!(r, Response::Error(CommandError::NotInteger), "{key}");
    }
}

#[test]
fn srandmember_leaves_the_set_alone() {
    let mut t = TestStore::new();
    let rand = |t: &TestStore, key: &str, count| {
        t.query(Query::RandMember {
            db: 0,
            key: b(key),
            count,
        })
    };
    assert_eq!(rand(&t, "missing", None), Response::Nil);
    assert_eq!(rand(&t, "missing", Some(3)), Response::Array(Vec::new()));
    assert_eq!(rand(&t, "missing", Some(-3)), Response::Array(Vec::new()));
    add(&mut t, "s", &["a", "b", "c", "d", "e"]);
    for _ in 0..20 {
        match rand(&t, "s", None) {
            Response::Bulk(m) => assert!(b"abcde".contains(&m[0])),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(rand(&t, "s", Some(0)), Response::Array(Vec::new()));
    for n in [1, 3, 5] {
        let got = sorted(rand(&t, "s", Some(n)));
        assert_eq!(got.len(), n as usize);
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), n as usize);
    }
    assert_eq!(
        sorted(rand(&t, "s", Some(100))),
        strs(&["a", "b", "c", "d", "e"])
    );
    let repeats = sorted(rand(&t, "s", Some(-50)));
    assert_eq!(repeats.len(), 50);
    assert!(matches!(rand(&t, "s", Some(2)), Response::Array(_)));
    assert_eq!(card(&t, "s"), Response::Int(5));
}

#[test]
fn srandmember_on_large_sets() {
    let mut t = TestStore::new();
    let all = numbered(3000);
    add_many(&mut t, "s", &all);
    let rand = |count| {
        sorted(t.query(Query::RandMember {
            db: 0,
            key: b("s"),
            count: Some(count),
        }))
    };
    for n in [2, 10, 100, 2999] {
        let got = rand(n);
        assert_eq!(got.len(), n as usize);
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), n as usize);
        assert!(got.iter().all(|m| all.contains(m)));
    }
    // Few repeats from a big set seek; many read the set once.
    for n in [5, 100, 10_000] {
        let got = rand(-n);
        assert_eq!(got.len(), n as usize);
        assert!(got.iter().all(|m| all.contains(m)));
    }
}

#[test]
fn smove_moves_one_member() {
    let mut t = TestStore::new();
    add(&mut t, "a", &["1", "2", "3"]);
    add(&mut t, "b", &["3", "4"]);
    let mv = |t: &mut TestStore, src: &str, dst: &str, m: &str| {
        t.apply(Command::Move {
            db: 0,
            src: b(src),
            dst: b(dst),
            member: b(m),
        })
    };
    assert_eq!(mv(&mut t, "a", "b", "1"), Response::Int(1));
    assert_eq!(mv(&mut t, "a", "b", "1"), Response::Int(0));
    let b_stamp = stamp(&t, "b");
    assert_eq!(mv(&mut t, "a", "b", "3"), Response::Int(1));
    assert_eq!(
        stamp(&t, "b"),
        b_stamp,
        "already there: the destination is unchanged"
    );
    assert_eq!(members(&t, "a"), strs(&["2"]));
    assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
    assert_eq!(mv(&mut t, "missing", "b", "1"), Response::Int(0));
    assert!(!exists(&t, "missing"));
    assert_eq!(mv(&mut t, "a", "new", "2"), Response::Int(1));
    assert!(!exists(&t, "a"));
    assert_eq!(members(&t, "new"), strs(&["2"]));
    let before = stamp(&t, "b");
    assert_eq!(mv(&mut t, "b", "b", "4"), Response::Int(1));
    assert_eq!(mv(&mut t, "b", "b", "zz"), Response::Int(0));
    assert_eq!(stamp(&t, "b"), before);
    assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
    // Wrong types: the destination's even when the member is absent, but a missing
    // source answers 0 first.
    set_string(&mut t, "str", Expiry::Persist);
    let wrong = Response::Error(CommandError::WrongType);
    assert_eq!(mv(&mut t, "b", "str", "1"), wrong);
    assert_eq!(mv(&mut t, "b", "str", "99"), wrong);
    assert_eq!(mv(&mut t, "str", "b", "v"), wrong);
    assert_eq!(mv(&mut t, "missing", "str", "1"), Response::Int(0));
    assert_eq!(members(&t, "b"), strs(&["1", "3", "4"]));
}

#[test]
fn inter_union_diff() {
    let mut t = TestStore::new();
    add(&mut t, "a", &["1", "2", "3", "4"]);
    add(&mut t, "b", &["3", "4", "5"]);
    add(&mut t, "c", &["4", "5", "6", "x"]);
    let q = |op, keys: &[&str]| sorted(combine_q(&t, op, keys));
    assert_eq!(q(Combine::Inter, &["a"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(q(Combine::Inter, &["a", "b"]), strs(&["3", "4"]));
    assert_eq!(q(Combine::Inter, &["a", "b", "c"]), strs(&["4"]));
    assert_eq!(q(Combine::Inter, &["a", "missing"]), strs(&[]));
    assert_eq!(q(Combine::Inter, &["missing", "a"]), strs(&[]));
    assert_eq!(q(Combine::Inter, &["a", "a"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(
        q(Combine::Union, &["a", "b", "c", "missing"]),
        strs(&["1", "2", "3", "4", "5", "6", "x"])
    );
    assert_eq!(q(Combine::Union, &["missing"]), strs(&[]));
    assert_eq!(q(Combine::Diff, &["a", "b"]), strs(&["1", "2"]));
    assert_eq!(q(Combine::Diff, &["a", "b", "c"]), strs(&["1", "2"]));
    assert_eq!(q(Combine::Diff, &["c", "a"]), strs(&["5", "6", "x"]));
    assert_eq!(
        q(Combine::Diff, &["a", "missing"]),
        strs(&["1", "2", "3", "4"])
    );
    assert_eq!(q(Combine::Diff, &["a", "a"]), strs(&[]));
    assert_eq!(q(Combine::Diff, &["missing", "a"]), strs(&[]));
    assert!(matches!(
        combine_q(&t, Combine::Inter, &["a", "b"]),
        Response::Set(_)
    ));
}

#[test]
fn sintercard_stops_at_the_limit() {
    let mut t = TestStore::new();
    add(&mut t, "a", &["1", "2", "3", "4"]);
    add(&mut t, "b", &["2", "3", "4", "5"]);
    let card = |keys: &[&str], limit| {
        t.query(Query::InterCard {
            db: 0,
            keys: bs(keys),
            limit,
        })
    };
    assert_eq!(card(&["a"], 0), Response::Int(4));
    assert_eq!(card(&["a", "b"], 0), Response::Int(3));
    assert_eq!(card(&["a", "b"], 1), Response::Int(1));
    assert_eq!(card(&["a", "b"], 10), Response::Int(3));
    assert_eq!(card(&["a", "missing"], 0), Response::Int(0));
}

#[test]
fn store_variants_overwrite_the_destination() {
    let mut t = TestStore::new();
    add(&mut t, "a", &["1", "2", "3", "4"]);
    add(&mut t, "b", &["3", "4", "5"]);
    assert_eq!(
        store_cmd(&mut t, Combine::Inter, "d", &["a", "b"]),
        Response::Int(2)
    );
    assert_eq!(members(&t, "d"), strs(&["3", "4"]));
    assert_eq!(
        store_cmd(&mut t, Combine::Union, "d", &["a", "b"]),
        Response::Int(5)
    );
    assert_eq!(card(&t, "d"), Response::Int(5));
    assert_eq!(
        store_cmd(&mut t, Combine::Diff, "d", &["a", "b"]),
        Response::Int(2)
    );
    assert_eq!(members(&t, "d"), strs(&["1", "2"]));
    // The destination may be a source.
    assert_eq!(
        store_cmd(&mut t, Combine::Inter, "a", &["a", "b"]),
        Response::Int(2)
    );
    assert_eq!(members(&t, "a"), strs(&["3", "4"]));
    // Any type, and its TTL goes.
    set_string(&mut t, "str", Expiry::At(100_000));
    assert_eq!(
        store_cmd(&mut t, Combine::Union, "str", &["a"]),
        Response::Int(2)
    );
    assert_eq!(members(&t, "str"), strs(&["3", "4"]));
    assert_eq!(ttl(&t, "str"), Response::Int(-1));
    // A copy: later changes to the source do not show.
    add(&mut t, "a", &["new"]);
    assert_eq!(members(&t, "str"), strs(&["3", "4"]));
}

#[test]
fn store_of_an_empty_result_deletes_the_destination() {
    let mut t = TestStore::new();
    add(&mut t, "a", &["1", "2"]);
    add(&mut t, "b", &["3"]);
    for (op, keys) in [
        (Combine::Inter, &["a", "b"][..]),
        (Combine::Diff, &["a", "a"]),
        (Combine::Union, &["missing"]),
    ] {
        add(&mut t, "d", &["old"]);
        assert_eq!(store_cmd(&mut t, op, "d", keys), Response::Int(0));
        assert!(!exists(&t, "d"));
        set_string(&mut t, "d", Expiry::At(100_000));
        assert_eq!(store_cmd(&mut t, op, "d", keys), Response::Int(0));
        assert!(!exists(&t, "d"));
        assert_eq!(store_cmd(&mut t, op, "never", keys), Response::Int(0));
        assert!(!exists(&t, "never"));
    }
    assert_eq!(members(&t, "a"), strs(&["1", "2"]));
}

#[test]
fn expired_sets_read_as_absent_and_are_recreated() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b"]);
    t.apply(generic::Command::Expire {
        db: 0,
        key: b("s"),
        at_ms: 2_000,
        cond: crate::command::ExpireCond::Always,
    });
    assert_eq!(
        t.query_at(Query::Card { db: 0, key: b("s") }, 3_000),
        Response::Int(0)
    );
    assert_eq!(
        t.apply_at(
            Command::Add {
                db: 0,
                key: b("s"),
                members: bs(&["new"])
            },
            3_000
        ),
        Response::Int(1)
    );
    assert_eq!(
        sorted(t.query_at(Query::Members { db: 0, key: b("s") }, 3_000)),
        strs(&["new"])
    );
    assert_eq!(t.query_at(ttl_q("s"), 3_000), Response::Int(-1));
}

fn ttl_q(key: &str) -> generic::Query {
    generic::Query::Ttl {
        db: 0,
        key: b(key),
        kind: crate::command::TtlKind::Millis,
    }
}

fn scan_all(t: &TestStore, key: &str, pattern: Option<&str>, count: u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = 0u64;
    for _ in 0..100_000 {
        let r = t.query(Query::Scan {
            db: 0,
            key: b(key),
            cursor,
            pattern: pattern.map(b),
            count,
        });
        let Response::Array(parts) = r else {
            panic!("{r:?}")
        };
        let [Response::Bulk(next), page] = &parts[..] else {
            panic!("{parts:?}")
        };
        out.extend(sorted(page.clone()));
        cursor = std::str::from_utf8(next).unwrap().parse().unwrap();
        if cursor == 0 {
            out.sort();
            return out;
        }
    }
    panic!("SSCAN did not terminate");
}

#[test]
fn sscan_walks_the_whole_set() {
    let mut t = TestStore::new();
    let all = numbered(600);
    add_many(&mut t, "s", &all);
    let mut want = all.clone();
    want.sort();
    for count in [1, 5, 10, 100, 1000] {
        assert_eq!(scan_all(&t, "s", None, count), want, "count {count}");
    }
    let mut tens: Vec<String> = (10..20).map(|i| format!("m{i}")).collect();
    tens.sort();
    assert_eq!(scan_all(&t, "s", Some("m1?"), 20), tens);
    assert_eq!(scan_all(&t, "s", Some("zz*"), 10), Vec::<String>::new());
    assert_eq!(
        t.query(Query::Scan {
            db: 0,
            key: b("missing"),
            cursor: 0,
            pattern: None,
            count: 0,
        }),
        scan_page(0, Vec::new())
    );
    assert_eq!(
        t.query(Query::Scan {
            db: 0,
            key: b("s"),
            cursor: 0,
            pattern: None,
            count: 0,
        }),
        Response::Error(CommandError::Syntax)
    );
}

fn scan_step(t: &TestStore, key: &str, cursor: u64, count: u64) -> (u64, usize) {
    let r = t.query(Query::Scan {
        db: 0,
        key: b(key),
        cursor,
        pattern: None,
        count,
    });
    let Response::Array(parts) = r else {
        panic!("{r:?}")
    };
    let [Response::Bulk(next), Response::Array(items)] = &parts[..] else {
        panic!("{parts:?}")
    };
    let next = std::str::from_utf8(next).unwrap().parse().unwrap();
    (next, items.len())
}

#[test]
fn sscan_returns_a_set_of_up_to_128_members_whole() {
    let mut t = TestStore::new();
    add_many(&mut t, "s", &numbered(128));
    assert_eq!(scan_step(&t, "s", 0, 1), (0, 128));
    add(&mut t, "s", &["one more"]);
    assert_eq!(scan_step(&t, "s", 0, 1).1, 1);
}

#[test]
fn sscan_ends_on_cursor_0_and_restarts_on_another_sets_cursor() {
    let mut t = TestStore::new();
    add_many(&mut t, "s", &numbered(300));
    add_many(&mut t, "other", &numbered(300));
    // 300 members in steps of 100: the third step is the last, and says so.
    let (c1, n) = scan_step(&t, "s", 0, 100);
    assert!(c1 != 0 && n == 100);
    let (c2, _) = scan_step(&t, "s", c1, 100);
    assert_eq!(scan_step(&t, "s", c2, 100), (0, 100));
    // A cursor of another set's scan starts this one over (repeats, never skips).
    let (theirs, _) = scan_step(&t, "other", 0, 250);
    assert_eq!(scan_step(&t, "s", theirs, 300), (0, 300));
}

#[test]
fn sscan_of_a_small_set_in_one_step() {
    let mut t = TestStore::new();
    add(&mut t, "s", &["a", "b", "c"]);
    let r = t.query(Query::Scan {
        db: 0,
        key: b("s"),
        cursor: 0,
        pattern: None,
        count: 10,
    });
    // One step, cursor 0; members in the set's own (hash) order.
    let Response::Array(mut parts) = r else {
        panic!("not a scan reply: {r:?}");
    };
    let Some(Response::Array(mut items)) = parts.pop() else {
        panic!("no items");
    };
    assert_eq!(parts, [Response::bulk("0")]);
    items.sort_by_key(|i| format!("{i:?}"));
    assert_eq!(
        items,
        [
            Response::bulk("a"),
            Response::bulk("b"),
            Response::bulk("c")
        ]
    );
}

#[test]
fn spop_one_at_a_time_drains_a_big_set_exactly_once() {
    let mut t = TestStore::new();
    let all = numbered(1000);
    add_many(&mut t, "s", &all);
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..1000u64 {
        let r = t.apply(Command::Pop {
            db: 0,
            key: b("s"),
            count: None,
            seed,
        });
        let Response::Bulk(m) = r else {
            panic!("pop {seed}: {r:?}")
        };
        assert!(seen.insert(m), "popped twice");
    }
    assert_eq!(seen.len(), 1000);
    let r = t.apply(Command::Pop {
        db: 0,
        key: b("s"),
        count: None,
        seed: 7,
    });
    assert_eq!(r, Response::Nil);
}

#[test]
fn del_of_a_set_is_o1_and_recreation_starts_empty() {
    let mut t = TestStore::new();
    add_many(&mut t, "s", &numbered(2000));
    assert_eq!(
        t.apply(generic::Command::Del {
            db: 0,
            keys: vec![b("s")]
        }),
        Response::Int(1)
    );
    assert_eq!(card(&t, "s"), Response::Int(0));
    add(&mut t, "s", &["x"]);
    assert_eq!(members(&t, "s"), strs(&["x"]));
}

#[test]
fn rng_is_stable() {
    // The picks of a replicated SPOP depend on these numbers: they must never change.
    let mut r = Rng::new(0);
    assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    let mut r = Rng::new(7);
    for n in [1u64, 2, 10, 1 << 40] {
        assert!(r.below(n) < n);
    }
    assert_eq!(r.below(0), 0);
}

use super::*;
use crate::command::{kv, set, Expiry, SetCond};
use crate::engine::testing::{b, TestStore};

fn zadd(t: &mut TestStore, key: &str, pairs: &[(f64, &str)]) -> Response {
    zadd_with(t, key, AddFlags::default(), pairs)
}

fn zadd_with(t: &mut TestStore, key: &str, flags: AddFlags, pairs: &[(f64, &str)]) -> Response {
    t.apply(Command::Add {
        db: 0,
        key: b(key),
        flags,
        pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
    })
}

fn score(t: &TestStore, key: &str, member: &str) -> Response {
    t.query(Query::Score {
        db: 0,
        key: b(key),
        member: b(member),
    })
}

fn card(t: &TestStore, key: &str) -> Response {
    t.query(Query::Card { db: 0, key: b(key) })
}

fn range(
    t: &TestStore,
    key: &str,
    range: Range,
    rev: bool,
    limit: Option<(i64, i64)>,
) -> Vec<String> {
    members(&t.query(Query::Range {
        db: 0,
        key: b(key),
        select: Select { range, rev, limit },
        with_scores: false,
    }))
}

fn all(t: &TestStore, key: &str) -> Response {
    t.query(Query::Range {
        db: 0,
        key: b(key),
        select: Select {
            range: Range::Rank { start: 0, stop: -1 },
            rev: false,
            limit: None,
        },
        with_scores: true,
    })
}

fn members(r: &Response) -> Vec<String> {
    match r {
        Response::Array(items) => items
            .iter()
            .map(|i| match i {
                Response::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => format!("{other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// Members with scores as WITHSCORES answers them.
fn flat(pairs: &[(&str, f64)]) -> Response {
    Response::Pairs(
        pairs
            .iter()
            .map(|(m, s)| (Response::bulk(b(m)), Response::Double(*s)))
            .collect(),
    )
}

/// One member and its score as ZPOPMIN without a count answers them: flat in every protocol.
fn one(m: &str, s: f64) -> Response {
    Response::Array(vec![Response::bulk(b(m)), Response::Double(s)])
}

fn sb(value: f64, exclusive: bool) -> ScoreBound {
    ScoreBound { value, exclusive }
}

fn set_string(t: &mut TestStore, key: &str) {
    t.apply(kv::Command::Set {
        db: 0,
        key: b(key),
        value: b("v"),
        cond: SetCond::Always,
        expiry: Expiry::Persist,
        get: false,
    });
}

fn five(t: &mut TestStore) {
    zadd(
        t,
        "z",
        &[(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d"), (5.0, "e")],
    );
}

#[test]
fn zadd_counts_new_members_and_orders_by_score_then_member() {
    let mut t = TestStore::new();
    assert_eq!(
        zadd(&mut t, "z", &[(1.0, "b"), (1.0, "a"), (0.5, "c")]),
        Response::Int(3)
    );
    assert_eq!(
        zadd(&mut t, "z", &[(2.0, "a"), (3.0, "d")]),
        Response::Int(1)
    );
    assert_eq!(card(&t, "z"), Response::Int(4));
    assert_eq!(score(&t, "z", "a"), Response::Double(2.0));
    assert_eq!(score(&t, "z", "x"), Response::Nil);
    assert_eq!(score(&t, "missing", "a"), Response::Nil);
    assert_eq!(
        all(&t, "z"),
        flat(&[("c", 0.5), ("b", 1.0), ("a", 2.0), ("d", 3.0)])
    );
}

#[test]
fn zadd_repeating_a_member_keeps_the_last_score() {
    let mut t = TestStore::new();
    assert_eq!(
        zadd(&mut t, "z", &[(1.0, "a"), (5.0, "a")]),
        Response::Int(1)
    );
    assert_eq!(all(&t, "z"), flat(&[("a", 5.0)]));
    assert_eq!(card(&t, "z"), Response::Int(1));
}

#[test]
fn zadd_nx_xx_gt_lt_ch() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(5.0, "a")]);
    let nx = AddFlags {
        nx: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", nx, &[(9.0, "a"), (1.0, "b")]),
        Response::Int(1)
    );
    assert_eq!(score(&t, "z", "a"), Response::Double(5.0));
    let xx = AddFlags {
        xx: true,
        ch: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", xx, &[(7.0, "a"), (1.0, "c")]),
        Response::Int(1)
    );
    assert_eq!(score(&t, "z", "c"), Response::Nil);
    let gt = AddFlags {
        gt: true,
        ch: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", gt, &[(6.0, "a"), (3.0, "b")]),
        Response::Int(1)
    );
    assert_eq!(score(&t, "z", "a"), Response::Double(7.0));
    let lt = AddFlags {
        lt: true,
        ch: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", lt, &[(6.0, "a"), (1.0, "n")]),
        Response::Int(2)
    );
    assert_eq!(score(&t, "z", "a"), Response::Double(6.0));
    let ch = AddFlags {
        ch: true,
        ..AddFlags::default()
    };
    assert_eq!(zadd_with(&mut t, "z", ch, &[(6.0, "a")]), Response::Int(0));
    let xx = AddFlags {
        xx: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "missing", xx, &[(1.0, "a")]),
        Response::Int(0)
    );
    assert_eq!(card(&t, "missing"), Response::Int(0));
}

#[test]
fn zadd_incr_replies_with_the_score_or_nil() {
    let mut t = TestStore::new();
    let incr = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", incr, &[(2.5, "a")]),
        Response::Double(2.5)
    );
    assert_eq!(
        zadd_with(&mut t, "z", incr, &[(0.5, "a")]),
        Response::Double(3.0)
    );
    let nx = AddFlags { nx: true, ..incr };
    assert_eq!(zadd_with(&mut t, "z", nx, &[(1.0, "a")]), Response::Nil);
    let gt = AddFlags { gt: true, ..incr };
    assert_eq!(zadd_with(&mut t, "z", gt, &[(-1.0, "a")]), Response::Nil);
    let xx = AddFlags { xx: true, ..incr };
    assert_eq!(zadd_with(&mut t, "nope", xx, &[(1.0, "a")]), Response::Nil);
}

#[test]
fn nan_scores_are_refused_and_change_nothing() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(f64::INFINITY, "a")]);
    let incr = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    assert_eq!(
        zadd_with(&mut t, "z", incr, &[(f64::NEG_INFINITY, "a")]),
        Response::Error(CommandError::ScoreNan)
    );
    assert_eq!(
        t.apply(Command::IncrBy {
            db: 0,
            key: b("z"),
            delta: f64::NEG_INFINITY,
            member: b("a")
        }),
        Response::Error(CommandError::ScoreNan)
    );
    assert_eq!(score(&t, "z", "a"), Response::Double(f64::INFINITY));
}

#[test]
fn zincrby_creates_and_adds() {
    let mut t = TestStore::new();
    let incr = |t: &mut TestStore, d: f64| {
        t.apply(Command::IncrBy {
            db: 0,
            key: b("z"),
            delta: d,
            member: b("a"),
        })
    };
    assert_eq!(incr(&mut t, 1.0), Response::Double(1.0));
    assert_eq!(incr(&mut t, 2.5), Response::Double(3.5));
    assert_eq!(incr(&mut t, -3.5), Response::Double(0.0));
    assert_eq!(card(&t, "z"), Response::Int(1));
    assert_eq!(all(&t, "z"), flat(&[("a", 0.0)]));
}

#[test]
fn unchanged_writes_do_not_touch_the_key() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(1.0, "a")]);
    let stamp = |t: &TestStore| {
        let txn = t.engine.begin();
        txn.raw_header(0, b"z").unwrap().map(|h| h.stamp)
    };
    let before = stamp(&t);
    zadd(&mut t, "z", &[(1.0, "a")]);
    let nx = AddFlags {
        nx: true,
        ..AddFlags::default()
    };
    zadd_with(&mut t, "z", nx, &[(3.0, "a")]);
    t.apply(Command::Rem {
        db: 0,
        key: b("z"),
        members: vec![b("x")],
    });
    t.apply(Command::IncrBy {
        db: 0,
        key: b("z"),
        delta: 0.0,
        member: b("a"),
    });
    t.apply(Command::RemRange {
        db: 0,
        key: b("z"),
        range: Range::Score {
            min: sb(5.0, false),
            max: sb(6.0, false),
        },
    });
    assert_eq!(stamp(&t), before);
    zadd(&mut t, "z", &[(2.0, "a")]);
    assert_ne!(stamp(&t), before);
}

#[test]
fn zrem_removes_and_deletes_the_empty_key() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(1.0, "a"), (2.0, "b")]);
    let rem = |t: &mut TestStore, ms: &[&str]| {
        t.apply(Command::Rem {
            db: 0,
            key: b("z"),
            members: ms.iter().map(|m| b(m)).collect(),
        })
    };
    assert_eq!(rem(&mut t, &["a", "a", "x"]), Response::Int(1));
    assert_eq!(all(&t, "z"), flat(&[("b", 2.0)]));
    assert_eq!(rem(&mut t, &["b"]), Response::Int(1));
    assert_eq!(card(&t, "z"), Response::Int(0));
    assert_eq!(
        t.query(crate::command::keys::Query::Exists {
            db: 0,
            keys: vec![b("z")]
        }),
        Response::Int(0)
    );
}

#[test]
fn wrong_type_is_refused() {
    let mut t = TestStore::new();
    set_string(&mut t, "s");
    assert_eq!(
        zadd(&mut t, "s", &[(1.0, "a")]),
        Response::Error(CommandError::WrongType)
    );
    assert_eq!(
        score(&t, "s", "a"),
        Response::Error(CommandError::WrongType)
    );
    assert_eq!(card(&t, "s"), Response::Error(CommandError::WrongType));
    let r = t.apply(Command::Pop {
        db: 0,
        key: b("s"),
        side: Side::Min,
        count: None,
    });
    assert_eq!(r, Response::Error(CommandError::WrongType));
}

#[test]
fn rank_ranges_count_from_either_end() {
    let mut t = TestStore::new();
    five(&mut t);
    let rank = |s, e| Range::Rank { start: s, stop: e };
    assert_eq!(range(&t, "z", rank(1, 2), false, None), ["b", "c"]);
    assert_eq!(range(&t, "z", rank(-2, -1), false, None), ["d", "e"]);
    assert_eq!(
        range(&t, "z", rank(-100, 100), false, None),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        range(&t, "z", rank(3, 1), false, None),
        Vec::<String>::new()
    );
    assert_eq!(range(&t, "z", rank(0, 1), true, None), ["e", "d"]);
    assert_eq!(
        range(&t, "missing", rank(0, -1), false, None),
        Vec::<String>::new()
    );
}

#[test]
fn score_ranges_honour_exclusive_bounds_rev_and_limit() {
    let mut t = TestStore::new();
    five(&mut t);
    let score = |a, ax, b, bx| Range::Score {
        min: sb(a, ax),
        max: sb(b, bx),
    };
    assert_eq!(
        range(&t, "z", score(2.0, false, 4.0, false), false, None),
        ["b", "c", "d"]
    );
    assert_eq!(
        range(&t, "z", score(2.0, true, 4.0, true), false, None),
        ["c"]
    );
    assert_eq!(
        range(&t, "z", score(4.0, false, 2.0, false), false, None),
        Vec::<String>::new()
    );
    assert_eq!(
        range(&t, "z", score(2.0, false, 2.0, true), false, None),
        Vec::<String>::new()
    );
    let inf = score(f64::NEG_INFINITY, false, f64::INFINITY, false);
    assert_eq!(range(&t, "z", inf.clone(), true, Some((0, 2))), ["e", "d"]);
    assert_eq!(
        range(&t, "z", inf.clone(), false, Some((3, -1))),
        ["d", "e"]
    );
    assert_eq!(
        range(&t, "z", inf.clone(), false, Some((-1, 2))),
        Vec::<String>::new()
    );
    assert_eq!(
        range(&t, "z", inf, false, Some((1, 0))),
        Vec::<String>::new()
    );
}

#[test]
fn lex_ranges_and_counts() {
    let mut t = TestStore::new();
    zadd(
        &mut t,
        "l",
        &[(0.0, "a"), (0.0, "b"), (0.0, "bb"), (0.0, "c"), (0.0, "d")],
    );
    let lex = |a: LexBound, b: LexBound| Range::Lex { min: a, max: b };
    let inc = |s: &str| LexBound::Inclusive(b(s));
    let exc = |s: &str| LexBound::Exclusive(b(s));
    assert_eq!(
        range(&t, "l", lex(LexBound::Min, LexBound::Max), false, None),
        ["a", "b", "bb", "c", "d"]
    );
    assert_eq!(
        range(&t, "l", lex(inc("b"), exc("c")), false, None),
        ["b", "bb"]
    );
    assert_eq!(
        range(&t, "l", lex(exc("b"), inc("c")), false, None),
        ["bb", "c"]
    );
    assert_eq!(range(&t, "l", lex(inc("b"), inc("b")), false, None), ["b"]);
    assert_eq!(
        range(&t, "l", lex(LexBound::Max, LexBound::Min), false, None),
        Vec::<String>::new()
    );
    assert_eq!(
        range(
            &t,
            "l",
            lex(LexBound::Min, LexBound::Max),
            true,
            Some((1, 2))
        ),
        ["c", "bb"]
    );
    let count = |t: &TestStore, r| {
        t.query(Query::Count {
            db: 0,
            key: b("l"),
            range: r,
        })
    };
    assert_eq!(count(&t, lex(inc("b"), exc("d"))), Response::Int(3));
    assert_eq!(count(&t, lex(exc("a"), exc("b"))), Response::Int(0));
}

#[test]
fn zcount_counts_a_score_range() {
    let mut t = TestStore::new();
    five(&mut t);
    let count = |t: &TestStore, lo: f64, lx: bool, hi: f64, hx: bool| {
        t.query(Query::Count {
            db: 0,
            key: b("z"),
            range: Range::Score {
                min: sb(lo, lx),
                max: sb(hi, hx),
            },
        })
    };
    assert_eq!(count(&t, 2.0, false, 4.0, false), Response::Int(3));
    assert_eq!(count(&t, 2.0, true, 4.0, true), Response::Int(1));
    assert_eq!(
        count(&t, f64::NEG_INFINITY, false, f64::INFINITY, false),
        Response::Int(5)
    );
    assert_eq!(count(&t, 5.0, false, 1.0, false), Response::Int(0));
}

#[test]
fn ranks_from_either_end() {
    let mut t = TestStore::new();
    five(&mut t);
    let rank = |t: &TestStore, m: &str, rev| {
        t.query(Query::Rank {
            db: 0,
            key: b("z"),
            member: b(m),
            rev,
        })
    };
    assert_eq!(rank(&t, "a", false), Response::Int(0));
    assert_eq!(rank(&t, "d", false), Response::Int(3));
    assert_eq!(rank(&t, "d", true), Response::Int(1));
    assert_eq!(rank(&t, "x", false), Response::Nil);
}

#[test]
fn big_sets_cross_scan_chunks() {
    let mut t = TestStore::new();
    let pairs: Vec<(f64, String)> = (0..2500).map(|i| (i as f64, format!("m{i:05}"))).collect();
    t.apply(Command::Add {
        db: 0,
        key: b("big"),
        flags: AddFlags::default(),
        pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
    });
    assert_eq!(card(&t, "big"), Response::Int(2500));
    let rank = t.query(Query::Rank {
        db: 0,
        key: b("big"),
        member: b("m02100"),
        rev: false,
    });
    assert_eq!(rank, Response::Int(2100));
    let r = range(
        &t,
        "big",
        Range::Rank {
            start: 2047,
            stop: 2049,
        },
        false,
        None,
    );
    assert_eq!(r, ["m02047", "m02048", "m02049"]);
    let r = range(
        &t,
        "big",
        Range::Rank {
            start: 1500,
            stop: 1500,
        },
        true,
        None,
    );
    assert_eq!(r, ["m00999"]);
    let count = t.query(Query::Count {
        db: 0,
        key: b("big"),
        range: Range::Score {
            min: sb(10.0, true),
            max: sb(2400.0, false),
        },
    });
    assert_eq!(count, Response::Int(2390));
    let removed = t.apply(Command::RemRange {
        db: 0,
        key: b("big"),
        range: Range::Rank {
            start: 0,
            stop: 1999,
        },
    });
    assert_eq!(removed, Response::Int(2000));
    assert_eq!(card(&t, "big"), Response::Int(500));
}

#[test]
fn remrange_by_score_lex_and_rank() {
    let mut t = TestStore::new();
    five(&mut t);
    let rem = |t: &mut TestStore, r| {
        t.apply(Command::RemRange {
            db: 0,
            key: b("z"),
            range: r,
        })
    };
    assert_eq!(
        rem(
            &mut t,
            Range::Score {
                min: sb(3.0, true),
                max: sb(f64::INFINITY, false)
            }
        ),
        Response::Int(2)
    );
    assert_eq!(
        rem(
            &mut t,
            Range::Rank {
                start: -1,
                stop: -1
            }
        ),
        Response::Int(1)
    );
    assert_eq!(all(&t, "z"), flat(&[("a", 1.0), ("b", 2.0)]));
    assert_eq!(
        rem(
            &mut t,
            Range::Lex {
                min: LexBound::Min,
                max: LexBound::Max
            }
        ),
        Response::Int(1)
    );
    assert_eq!(
        rem(&mut t, Range::Rank { start: 0, stop: -1 }),
        Response::Int(1)
    );
    assert_eq!(card(&t, "z"), Response::Int(0));
}

#[test]
fn pops_after_pops_and_inserts_find_every_member() {
    // Members that extend one another under one score, pops from both ends, and inserts
    // on either side of where earlier pops stopped.
    let mut t = TestStore::new();
    zadd(
        &mut t,
        "q",
        &[
            (1.0, "a"),
            (1.0, "ab"),
            (1.0, "abc"),
            (2.0, "b"),
            (3.0, "c"),
        ],
    );
    let pop = |t: &mut TestStore, side| {
        t.apply(Command::Pop {
            db: 0,
            key: b("q"),
            side,
            count: None,
        })
    };
    assert_eq!(pop(&mut t, Side::Min), one("a", 1.0));
    assert_eq!(pop(&mut t, Side::Min), one("ab", 1.0));
    assert_eq!(pop(&mut t, Side::Max), one("c", 3.0));
    zadd(&mut t, "q", &[(0.5, "early"), (9.0, "late"), (1.0, "abcd")]);
    assert_eq!(pop(&mut t, Side::Min), one("early", 0.5));
    assert_eq!(pop(&mut t, Side::Max), one("late", 9.0));
    assert_eq!(pop(&mut t, Side::Min), one("abc", 1.0));
    assert_eq!(pop(&mut t, Side::Min), one("abcd", 1.0));
    assert_eq!(pop(&mut t, Side::Min), one("b", 2.0));
    assert_eq!(card(&t, "q"), Response::Int(0));
}

#[test]
fn pops_take_from_either_end_and_delete_the_empty_key() {
    let mut t = TestStore::new();
    five(&mut t);
    let pop = |t: &mut TestStore, side, count| {
        t.apply(Command::Pop {
            db: 0,
            key: b("z"),
            side,
            count,
        })
    };
    assert_eq!(pop(&mut t, Side::Min, None), one("a", 1.0));
    assert_eq!(
        pop(&mut t, Side::Max, Some(2)),
        flat(&[("e", 5.0), ("d", 4.0)])
    );
    assert_eq!(pop(&mut t, Side::Min, Some(0)), flat(&[]));
    assert_eq!(
        pop(&mut t, Side::Min, Some(10)),
        flat(&[("b", 2.0), ("c", 3.0)])
    );
    assert_eq!(card(&t, "z"), Response::Int(0));
    assert_eq!(pop(&mut t, Side::Min, None), Response::Array(vec![]));
}

#[test]
fn mpop_and_popfirst_take_from_the_first_non_empty_key() {
    let mut t = TestStore::new();
    zadd(&mut t, "z2", &[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
    let keys = vec![b("z1"), b("z2")];
    let r = t.apply(Command::MPop {
        db: 0,
        keys: keys.clone(),
        side: Side::Max,
        count: 2,
    });
    assert_eq!(
        r,
        Response::Array(vec![
            Response::bulk("z2"),
            Response::Array(vec![
                Response::Array(vec![Response::bulk("c"), Response::Double(3.0)]),
                Response::Array(vec![Response::bulk("b"), Response::Double(2.0)]),
            ]),
        ])
    );
    let r = t.apply(Command::PopFirst {
        db: 0,
        keys: keys.clone(),
        side: Side::Min,
    });
    assert_eq!(
        r,
        Response::Array(vec![
            Response::bulk("z2"),
            Response::bulk("a"),
            Response::Double(1.0)
        ])
    );
    assert_eq!(
        t.apply(Command::PopFirst {
            db: 0,
            keys: keys.clone(),
            side: Side::Min
        }),
        Response::NilArray
    );
    assert_eq!(
        t.apply(Command::MPop {
            db: 0,
            keys,
            side: Side::Min,
            count: 1
        }),
        Response::NilArray
    );
    set_string(&mut t, "s");
    let r = t.apply(Command::PopFirst {
        db: 0,
        keys: vec![b("nope"), b("s")],
        side: Side::Min,
    });
    assert_eq!(r, Response::Error(CommandError::WrongType));
}

fn inputs(op: Combine, keys: &[&str], weights: &[f64], aggregate: Aggregate) -> Inputs {
    Inputs {
        op,
        keys: keys.iter().map(|k| b(k)).collect(),
        weights: if weights.is_empty() {
            vec![1.0; keys.len()]
        } else {
            weights.to_vec()
        },
        aggregate,
    }
}

fn two(t: &mut TestStore) {
    zadd(t, "z1", &[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
    zadd(t, "z2", &[(10.0, "b"), (20.0, "c"), (30.0, "d")]);
    t.apply(set::Command::Add {
        db: 0,
        key: b("s"),
        members: vec![b("a"), b("d"), b("x")],
    });
}

#[test]
fn union_inter_diff_with_weights_and_aggregates() {
    let mut t = TestStore::new();
    two(&mut t);
    let q = |t: &TestStore, i| {
        t.query(Query::Combine {
            db: 0,
            inputs: i,
            with_scores: true,
        })
    };
    assert_eq!(
        q(
            &t,
            inputs(Combine::Union, &["z1", "z2"], &[], Aggregate::Sum)
        ),
        flat(&[("a", 1.0), ("b", 12.0), ("c", 23.0), ("d", 30.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Union, &["z1", "z2"], &[2.0, 0.5], Aggregate::Sum)
        ),
        flat(&[("a", 2.0), ("b", 9.0), ("d", 15.0), ("c", 16.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Inter, &["z1", "z2"], &[], Aggregate::Max)
        ),
        flat(&[("b", 10.0), ("c", 20.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Inter, &["z1", "z2"], &[3.0, 1.0], Aggregate::Min)
        ),
        flat(&[("b", 6.0), ("c", 9.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Diff, &["z1", "z2"], &[], Aggregate::Sum)
        ),
        flat(&[("a", 1.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Inter, &["z1", "missing"], &[], Aggregate::Sum)
        ),
        flat(&[])
    );
}

#[test]
fn plain_sets_count_as_score_one() {
    let mut t = TestStore::new();
    two(&mut t);
    let q = |t: &TestStore, i| {
        t.query(Query::Combine {
            db: 0,
            inputs: i,
            with_scores: true,
        })
    };
    assert_eq!(
        q(
            &t,
            inputs(Combine::Union, &["z1", "s"], &[], Aggregate::Sum)
        ),
        flat(&[("d", 1.0), ("x", 1.0), ("a", 2.0), ("b", 2.0), ("c", 3.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Inter, &["z1", "s"], &[1.0, 5.0], Aggregate::Sum)
        ),
        flat(&[("a", 6.0)])
    );
    let n = t.query(Query::InterCard {
        db: 0,
        keys: vec![b("s"), b("z2")],
        limit: 0,
    });
    assert_eq!(n, Response::Int(1));
    set_string(&mut t, "str");
    let r = q(
        &t,
        inputs(Combine::Union, &["z1", "str"], &[], Aggregate::Sum),
    );
    assert_eq!(r, Response::Error(CommandError::WrongType));
}

#[test]
fn infinities_sum_to_zero() {
    let mut t = TestStore::new();
    zadd(&mut t, "zi", &[(f64::INFINITY, "a")]);
    zadd(&mut t, "zn", &[(f64::NEG_INFINITY, "a")]);
    let q = |t: &TestStore, i| {
        t.query(Query::Combine {
            db: 0,
            inputs: i,
            with_scores: true,
        })
    };
    assert_eq!(
        q(
            &t,
            inputs(Combine::Union, &["zi", "zn"], &[], Aggregate::Sum)
        ),
        flat(&[("a", 0.0)])
    );
    assert_eq!(
        q(&t, inputs(Combine::Union, &["zi"], &[0.0], Aggregate::Sum)),
        flat(&[("a", 0.0)])
    );
    assert_eq!(
        q(
            &t,
            inputs(Combine::Inter, &["zi", "zn"], &[], Aggregate::Min)
        ),
        flat(&[("a", f64::NEG_INFINITY)])
    );
}

#[test]
fn intercard_stops_at_the_limit() {
    let mut t = TestStore::new();
    two(&mut t);
    let n = |t: &TestStore, limit| {
        t.query(Query::InterCard {
            db: 0,
            keys: vec![b("z1"), b("z2")],
            limit,
        })
    };
    assert_eq!(n(&t, 0), Response::Int(2));
    assert_eq!(n(&t, 1), Response::Int(1));
    assert_eq!(n(&t, 9), Response::Int(2));
}

#[test]
fn stores_replace_the_destination_and_an_empty_result_deletes_it() {
    let mut t = TestStore::new();
    two(&mut t);
    set_string(&mut t, "out");
    let store = |t: &mut TestStore, i| {
        t.apply(Command::Store {
            db: 0,
            dst: b("out"),
            inputs: i,
        })
    };
    assert_eq!(
        store(
            &mut t,
            inputs(Combine::Inter, &["z1", "z2"], &[], Aggregate::Sum)
        ),
        Response::Int(2)
    );
    assert_eq!(all(&t, "out"), flat(&[("b", 12.0), ("c", 23.0)]));
    // The destination may be an input.
    assert_eq!(
        store(
            &mut t,
            inputs(Combine::Union, &["out", "z1"], &[], Aggregate::Sum)
        ),
        Response::Int(3)
    );
    assert_eq!(
        all(&t, "out"),
        flat(&[("a", 1.0), ("b", 14.0), ("c", 26.0)])
    );
    assert_eq!(
        store(
            &mut t,
            inputs(Combine::Diff, &["z1", "z1"], &[], Aggregate::Sum)
        ),
        Response::Int(0)
    );
    assert_eq!(card(&t, "out"), Response::Int(0));
}

#[test]
fn rangestore_stores_a_selection() {
    let mut t = TestStore::new();
    five(&mut t);
    let rs = |t: &mut TestStore, src: &str, range, rev, limit| {
        t.apply(Command::RangeStore {
            db: 0,
            dst: b("dst"),
            src: b(src),
            select: Select { range, rev, limit },
        })
    };
    let inf = Range::Score {
        min: sb(f64::NEG_INFINITY, false),
        max: sb(f64::INFINITY, false),
    };
    assert_eq!(rs(&mut t, "z", inf, true, Some((0, 2))), Response::Int(2));
    assert_eq!(all(&t, "dst"), flat(&[("d", 4.0), ("e", 5.0)]));
    assert_eq!(
        rs(
            &mut t,
            "dst",
            Range::Rank { start: 0, stop: 0 },
            false,
            None
        ),
        Response::Int(1)
    );
    assert_eq!(all(&t, "dst"), flat(&[("d", 4.0)]));
    assert_eq!(
        rs(
            &mut t,
            "missing",
            Range::Rank { start: 0, stop: -1 },
            false,
            None
        ),
        Response::Int(0)
    );
    assert_eq!(card(&t, "dst"), Response::Int(0));
}

#[test]
fn mscore_and_randmember() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(1.0, "a"), (2.5, "b"), (3.0, "c")]);
    let r = t.query(Query::MScore {
        db: 0,
        key: b("z"),
        members: vec![b("a"), b("x"), b("b")],
    });
    assert_eq!(
        r,
        Response::Array(vec![
            Response::Double(1.0),
            Response::Nil,
            Response::Double(2.5)
        ])
    );
    let rm = |t: &TestStore, key: &str, count, with_scores| {
        t.query(Query::RandMember {
            db: 0,
            key: b(key),
            count,
            with_scores,
        })
    };
    assert!(matches!(rm(&t, "z", None, false), Response::Bulk(_)));
    assert_eq!(rm(&t, "missing", None, false), Response::Nil);
    assert_eq!(rm(&t, "missing", Some(3), false), Response::Array(vec![]));
    assert_eq!(rm(&t, "z", Some(0), false), Response::Array(vec![]));
    let mut got = members(&rm(&t, "z", Some(10), false));
    got.sort();
    assert_eq!(got, ["a", "b", "c"]);
    let got = members(&rm(&t, "z", Some(2), false));
    assert_eq!(got.len(), 2);
    assert_ne!(got[0], got[1]);
    let got = members(&rm(&t, "z", Some(-10), false));
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|m| ["a", "b", "c"].contains(&m.as_str())));
    match rm(&t, "z", Some(-4), true) {
        Response::Pairs(items) => {
            assert_eq!(items.len(), 4);
            for (m, s) in items {
                let want = match &m {
                    Response::Bulk(m) if m.as_ref() == b"a" => 1.0,
                    Response::Bulk(m) if m.as_ref() == b"b" => 2.5,
                    _ => 3.0,
                };
                assert_eq!(s, Response::Double(want));
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn zrandmember_refuses_more_repeats_than_it_would_build_rather_than_answer_short() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(1.0, "a")]);
    let too_many = -(crate::engine::store::coll::MAX_RANDOM_REPEATS as i64) - 1;
    for key in ["z", "missing"] {
        let r = t.query(Query::RandMember {
            db: 0,
            key: b(key),
            count: Some(too_many),
            with_scores: false,
        });
        assert_eq!(r, Response::Error(CommandError::NotInteger), "{key}");
    }
}

#[test]
fn zscan_returns_members_with_scores_as_text() {
    let mut t = TestStore::new();
    zadd(
        &mut t,
        "z",
        &[(1.0, "a"), (2.5, "b"), (3.0, "ab"), (1e20, "c")],
    );
    let scan = |t: &TestStore, cursor, pattern: Option<&str>, count| {
        t.query(Query::Scan {
            db: 0,
            key: b("z"),
            cursor,
            pattern: pattern.map(b),
            count,
        })
    };
    assert_eq!(
        scan(&t, 0, None, 10),
        Response::Array(vec![
            Response::bulk("0"),
            Response::Array(
                ["a", "1", "ab", "3", "b", "2.5", "c", "1e+20"]
                    .iter()
                    .map(|s| Response::bulk(b(s)))
                    .collect()
            ),
        ])
    );
    assert_eq!(
        scan(&t, 0, Some("a*"), 10),
        Response::Array(vec![
            Response::bulk("0"),
            Response::Array(
                ["a", "1", "ab", "3"]
                    .iter()
                    .map(|s| Response::bulk(b(s)))
                    .collect()
            ),
        ])
    );
}

#[test]
fn big_zscan_visits_every_member_once() {
    let mut t = TestStore::new();
    let pairs: Vec<(f64, String)> = (0..500).map(|i| (i as f64, format!("m{i}"))).collect();
    t.apply(Command::Add {
        db: 0,
        key: b("big"),
        flags: AddFlags::default(),
        pairs: pairs.iter().map(|(s, m)| (*s, b(m))).collect(),
    });
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    for _ in 0..1000 {
        let r = t.query(Query::Scan {
            db: 0,
            key: b("big"),
            cursor,
            pattern: None,
            count: 50,
        });
        let Response::Array(parts) = r else { panic!() };
        let Response::Bulk(c) = &parts[0] else {
            panic!()
        };
        let items = members(&parts[1]);
        for p in items.chunks(2) {
            assert!(seen.insert(p[0].clone()), "{} twice", p[0]);
        }
        cursor = std::str::from_utf8(c).unwrap().parse().unwrap();
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), 500);
}

#[test]
fn scores_print_as_redis_prints_them() {
    for (v, s) in [
        (1.0, "1"),
        (3.0, "3"),
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (1000.0, "1000"),
        (12345678.0, "12345678"),
        (1e20, "1e+20"),
        (0.1, "0.1"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (1e16, "10000000000000000"),
        (1e17, "1e+17"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (0.0, "0"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ] {
        assert_eq!(crate::shared::float::format_double(v), s, "{v}");
    }
}

#[test]
fn expired_zsets_read_as_absent_and_are_replaced() {
    let mut t = TestStore::new();
    zadd(&mut t, "z", &[(1.0, "a")]);
    t.apply(crate::command::keys::Command::Expire {
        db: 0,
        key: b("z"),
        at_ms: 2_000,
        cond: crate::command::ExpireCond::Always,
    });
    assert_eq!(
        t.query_at(Query::Card { db: 0, key: b("z") }, 3_000),
        Response::Int(0)
    );
    let r = t.apply_at(
        Command::Add {
            db: 0,
            key: b("z"),
            flags: AddFlags::default(),
            pairs: vec![(2.0, b("b"))],
        },
        3_000,
    );
    assert_eq!(r, Response::Int(1));
    assert_eq!(
        t.query_at(
            Query::Range {
                db: 0,
                key: b("z"),
                select: Select {
                    range: Range::Rank { start: 0, stop: -1 },
                    rev: false,
                    limit: None
                },
                with_scores: true,
            },
            3_000
        ),
        flat(&[("b", 2.0)])
    );
}

#[test]
fn a_transactions_later_step_sees_earlier_writes() {
    // The overlay serves reads of records written earlier in the same batch.
    let t = TestStore::new();
    let mut txn = t.engine.begin();
    let ctx = |i: u64| ApplyContext {
        index: (1 << 24) + i,
        now_ms: 1_000,
        reply: true,
    };
    let add = Command::Add {
        db: 0,
        key: b("z"),
        flags: AddFlags::default(),
        pairs: vec![(1.0, b("a")), (2.0, b("b"))],
    };
    assert_eq!(apply(&mut txn, &add, &ctx(1)).unwrap(), Response::Int(2));
    let pop = Command::Pop {
        db: 0,
        key: b("z"),
        side: Side::Min,
        count: None,
    };
    assert_eq!(apply(&mut txn, &pop, &ctx(2)).unwrap(), one("a", 1.0));
    let q = Query::Card { db: 0, key: b("z") };
    assert_eq!(query(&txn, &q, 1_000).unwrap(), Response::Int(1));
}

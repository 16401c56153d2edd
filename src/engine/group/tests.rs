use super::*;
use crate::engine::testing::TestStore;

fn join(s: &mut TestStore, member: &str, new_id: &str) -> Response {
    s.apply(Command::Join(Join {
        group: "g".into(),
        member_id: member.into(),
        new_member_id: new_id.into(),
        instance_id: None,
        client_id: "c".into(),
        client_host: "h".into(),
        protocol_type: "consumer".into(),
        protocols: vec![("range".into(), Bytes::from_static(b"m"))],
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        require_known_member: true,
        initial_delay_ms: 0,
    }))
}

fn generation(r: &Response) -> Generation {
    match r {
        Response::Group(Reply::Joined(g)) => (**g).clone(),
        other => panic!("not joined: {other:?}"),
    }
}

#[test]
fn members_join_sync_and_rebalance_when_one_leaves() {
    let mut s = TestStore::new();
    // A new member is told its id first.
    assert_eq!(
        join(&mut s, "", "a"),
        Response::Group(Reply::MemberIdRequired("a".into()))
    );
    let g1 = generation(&join(&mut s, "a", "unused"));
    assert_eq!(
        (g1.generation, g1.leader.as_str(), g1.members.len()),
        (1, "a", 1)
    );
    let r = s.apply(Command::Assign {
        group: "g".into(),
        member_id: "a".into(),
        generation: 1,
        assignments: vec![("a".into(), Bytes::from_static(b"all"))],
        instance_id: None,
    });
    assert_eq!(
        r,
        Response::Group(Reply::Assignment(Bytes::from_static(b"all")))
    );
    // b joins: a rebalance starts, and completes once a joins again.
    join(&mut s, "", "b");
    assert!(matches!(
        join(&mut s, "b", "unused"),
        Response::Group(Reply::JoinPending { .. })
    ));
    let hb = s.query(Query::Heartbeat {
        group: "g".into(),
        member_id: "a".into(),
        generation: 1,
        instance_id: None,
    });
    assert_eq!(hb, Response::Error(GroupError::RebalanceInProgress.into()));
    let g2 = generation(&join(&mut s, "a", "unused"));
    assert_eq!((g2.generation, g2.members.len()), (2, 2));
    let b_view = s.query(Query::JoinResult {
        group: "g".into(),
        member_id: "b".into(),
    });
    assert_eq!(generation(&b_view).generation, 2);
    // b waits for the leader's assignment.
    let pending = s.query(Query::Assignment {
        group: "g".into(),
        member_id: "b".into(),
        generation: 2,
        instance_id: None,
    });
    assert_eq!(pending, Response::Group(Reply::AssignmentPending));
    // A commit from an old generation is refused.
    let stale = s.apply(Command::Commit {
        group: "g".into(),
        member_id: "a".into(),
        generation: 1,
        offsets: Vec::new(),
        now_ms: 0,
        instance_id: None,
    });
    assert_eq!(stale, Response::Error(GroupError::IllegalGeneration.into()));
    // b leaves: a alone completes generation 3 as soon as it joins again.
    s.apply(Command::Leave {
        group: "g".into(),
        members: vec!["b".into()],
    });
    assert_eq!(generation(&join(&mut s, "a", "unused")).generation, 3);
}

#[test]
fn a_new_group_waits_for_more_members_before_its_first_generation() {
    let mut s = TestStore::new();
    let join_at = |s: &mut TestStore, member: &str, new_id: &str, now: i64| {
        s.apply_at(
            Command::Join(Join {
                group: "g".into(),
                member_id: member.into(),
                new_member_id: new_id.into(),
                instance_id: None,
                client_id: "c".into(),
                client_host: "h".into(),
                protocol_type: "consumer".into(),
                protocols: vec![("range".into(), Bytes::new())],
                session_timeout_ms: 10_000,
                rebalance_timeout_ms: 60_000,
                require_known_member: false,
                initial_delay_ms: 3_000,
            }),
            now,
        )
    };
    assert!(matches!(
        join_at(&mut s, "", "a", 1_000),
        Response::Group(Reply::JoinPending { .. })
    ));
    // b arrives within the wait and restarts it.
    assert!(matches!(
        join_at(&mut s, "", "b", 2_000),
        Response::Group(Reply::JoinPending { .. })
    ));
    let early = Command::CompleteRebalance {
        group: "g".into(),
        generation: 0,
    };
    s.apply_at(early.clone(), 4_500);
    let a = Query::JoinResult {
        group: "g".into(),
        member_id: "a".into(),
    };
    assert!(matches!(
        s.query(a.clone()),
        Response::Group(Reply::JoinPending { .. })
    ));
    s.apply_at(early, 5_000);
    let g = generation(&s.query(a));
    assert_eq!((g.generation, g.members.len()), (1, 2));
}

#[test]
fn a_rebalance_that_times_out_drops_the_members_that_did_not_join() {
    let mut s = TestStore::new();
    join(&mut s, "", "a");
    join(&mut s, "a", "x");
    join(&mut s, "", "b");
    join(&mut s, "b", "x");
    s.apply(Command::CompleteRebalance {
        group: "g".into(),
        generation: 1,
    });
    let Response::Group(Reply::Group(Some(g))) = s.query(Query::Describe { group: "g".into() })
    else {
        panic!("no group");
    };
    assert_eq!(g.generation, 2);
    assert_eq!(g.members.len(), 1);
    assert_eq!(g.members[0].member_id, "b");
}

#[test]
fn committed_offsets_are_read_back_and_deleted_with_the_group() {
    let mut s = TestStore::new();
    let c = Committed {
        topic: "t".into(),
        partition: 2,
        offset: 42,
        leader_epoch: -1,
        metadata: Some("m".into()),
    };
    let r = s.apply(Command::Commit {
        group: "solo".into(),
        member_id: String::new(),
        generation: -1,
        offsets: vec![c.clone()],
        now_ms: 0,
        instance_id: None,
    });
    assert_eq!(r, Response::Group(Reply::Done));
    let q = Query::Offsets {
        group: "solo".into(),
        partitions: Some(vec![("t".into(), 2), ("t".into(), 3)]),
    };
    assert_eq!(
        s.query(q.clone()),
        Response::Group(Reply::Offsets(vec![
            ("t".into(), 2, Some(c)),
            ("t".into(), 3, None)
        ]))
    );
    s.apply(Command::Delete {
        group: "solo".into(),
    });
    assert_eq!(
        s.query(Query::Offsets {
            group: "solo".into(),
            partitions: None
        }),
        Response::Group(Reply::Offsets(Vec::new()))
    );
}

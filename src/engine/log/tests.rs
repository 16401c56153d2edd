use super::*;
use crate::engine::testing::TestStore;
use crate::shared::record_batch::tests::build;

fn create(s: &mut TestStore, name: &str, partitions: i32) {
    let r = s.apply(Command::CreateTopic {
        name: name.into(),
        id: [1; 16],
        partitions,
        configs: Vec::new(),
    });
    assert!(matches!(r, Response::Log(Reply::Created(_))), "{r:?}");
}

fn append(s: &mut TestStore, topic: &str, batch: Vec<u8>) -> Response {
    s.apply(Command::Append {
        topic: topic.into(),
        partition: 0,
        batches: Bytes::from(batch),
        create: None,
    })
}

fn base(r: &Response) -> i64 {
    match r {
        Response::Log(Reply::Appended { base_offset, .. }) => *base_offset,
        other => panic!("not appended: {other:?}"),
    }
}

fn fetch(s: &TestStore, offset: i64, max_bytes: u32) -> (Bytes, i64) {
    match s.query(Query::Fetch {
        topic: "t".into(),
        partition: 0,
        offset,
        max_bytes,
        at_least_one: true,
    }) {
        Response::Log(Reply::Fetched(f)) => (f.records, f.high_watermark),
        other => panic!("not fetched: {other:?}"),
    }
}

#[test]
fn appends_take_consecutive_offsets_and_fetch_returns_whole_batches() {
    let mut s = TestStore::new();
    create(&mut s, "t", 1);
    assert_eq!(
        base(&append(&mut s, "t", build(&[b"a", b"b"], 10, (-1, -1, -1)))),
        0
    );
    assert_eq!(
        base(&append(&mut s, "t", build(&[b"c"], 20, (-1, -1, -1)))),
        2
    );
    // From the middle of the first batch: that whole batch comes back, then the next.
    let (records, hw) = fetch(&s, 1, 1 << 20);
    assert_eq!(hw, 3);
    let first = Batch::first(&records).expect("a batch");
    assert_eq!((first.base_offset(), first.record_count()), (0, 2));
    assert!(first.validate().is_ok(), "the producer's CRC still holds");
    let second = Batch::first(&records[first.len()..]).expect("a second batch");
    assert_eq!(second.base_offset(), 2);
    // A limit smaller than one batch still returns one; at the end, nothing.
    let (one, _) = fetch(&s, 0, 1);
    assert_eq!(one.len(), first.len());
    assert!(fetch(&s, 3, 1 << 20).0.is_empty());
    let past = s.query(Query::Fetch {
        topic: "t".into(),
        partition: 0,
        offset: 4,
        max_bytes: 100,
        at_least_one: true,
    });
    assert_eq!(past, Response::Error(LogError::OffsetOutOfRange.into()));
}

#[test]
fn an_idempotent_retry_is_acknowledged_once_and_gaps_are_refused() {
    let mut s = TestStore::new();
    create(&mut s, "t", 1);
    let b0 = build(&[b"a", b"b"], 10, (7, 0, 0));
    assert_eq!(base(&append(&mut s, "t", b0.clone())), 0);
    // The same batch again (a retry): the original offset, nothing appended.
    assert_eq!(base(&append(&mut s, "t", b0)), 0);
    assert_eq!(fetch(&s, 0, 1 << 20).1, 2);
    // Sequence 3 after 0..=1 skips 2.
    let gap = append(&mut s, "t", build(&[b"x"], 10, (7, 0, 3)));
    assert_eq!(gap, Response::Error(LogError::OutOfOrderSequence.into()));
    assert_eq!(base(&append(&mut s, "t", build(&[b"c"], 10, (7, 0, 2)))), 2);
    // A newer epoch starts again at 0; the older one is fenced from then on.
    assert_eq!(base(&append(&mut s, "t", build(&[b"d"], 10, (7, 1, 0)))), 3);
    let fenced = append(&mut s, "t", build(&[b"e"], 10, (7, 0, 3)));
    assert_eq!(
        fenced,
        Response::Error(LogError::InvalidProducerEpoch.into())
    );
}

#[test]
fn delete_records_drops_whole_batches_and_moves_the_log_start() {
    let mut s = TestStore::new();
    create(&mut s, "t", 1);
    for i in 0..3 {
        append(&mut s, "t", build(&[b"a", b"b"], 100 * i, (-1, -1, -1)));
    }
    let r = s.apply(Command::DeleteRecords {
        topic: "t".into(),
        partition: 0,
        before: 3,
    });
    assert_eq!(r, Response::Log(Reply::LogStart(3)));
    // The batch 2..4 holds offset 3: it stays; 0..2 is gone.
    let (records, _) = fetch(&s, 3, 1 << 20);
    assert_eq!(Batch::first(&records).map(|b| b.base_offset()), Some(2));
    let gone = s.query(Query::Fetch {
        topic: "t".into(),
        partition: 0,
        offset: 1,
        max_bytes: 100,
        at_least_one: true,
    });
    assert_eq!(gone, Response::Error(LogError::OffsetOutOfRange.into()));
    let point = s.query(Query::RetentionPoint {
        topic: "t".into(),
        partition: 0,
        older_than: Some(150),
        keep_bytes: None,
    });
    // Batches end at timestamps 1, 101, 201: the one of 101 is the last too old.
    assert_eq!(
        point,
        Response::Log(Reply::Offset {
            offset: 4,
            timestamp: -1
        })
    );
}

#[test]
fn log_append_time_topics_stamp_the_broker_time() {
    let mut s = TestStore::new();
    s.apply(Command::CreateTopic {
        name: "t".into(),
        id: [2; 16],
        partitions: 1,
        configs: vec![("message.timestamp.type".into(), "LogAppendTime".into())],
    });
    let r = s.apply_at(
        Command::Append {
            topic: "t".into(),
            partition: 0,
            batches: Bytes::from(build(&[b"a"], 10, (-1, -1, -1))),
            create: None,
        },
        777,
    );
    assert!(matches!(
        r,
        Response::Log(Reply::Appended {
            append_time: 777,
            ..
        })
    ));
    let (records, _) = fetch(&s, 0, 1 << 20);
    let b = Batch::first(&records).expect("batch");
    assert_eq!(b.max_timestamp(), 777);
    assert!(b.validate().is_ok());
}

#[test]
fn a_refused_append_creates_no_topic() {
    let mut s = TestStore::new();
    let r = s.apply(Command::Append {
        topic: "auto".into(),
        partition: 5,
        batches: Bytes::from(build(&[b"a"], 10, (-1, -1, -1))),
        create: Some(NewTopic {
            id: [3; 16],
            partitions: 1,
        }),
    });
    assert_eq!(r, Response::Error(LogError::UnknownTopicOrPartition.into()));
    assert_eq!(
        s.query(Query::Topics { names: None }),
        Response::Log(Reply::Topics(Vec::new()))
    );
}

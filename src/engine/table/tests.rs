use super::*;
use crate::command::table::schema::{ColumnDef, ColumnKind, KeyspaceDef, Order, TableDef};
use crate::command::table::value::{CqlType, Value};
use crate::command::table::{
    Bound, CellOp, ClusteringRange, Condition, Mutation, RowOp, Select, TableError, TableRef,
};
use crate::engine::testing::TestStore;

fn col(
    id: u32,
    name: &str,
    ty: CqlType,
    kind: ColumnKind,
    position: i32,
    order: Order,
) -> ColumnDef {
    ColumnDef {
        id,
        name: name.into(),
        ty,
        kind,
        position,
        order,
    }
}

/// `ks.t (k text, c int, v text, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)`.
fn setup(order: Order) -> (TestStore, TableRef) {
    let mut s = TestStore::new();
    let r = s.apply(Command::CreateKeyspace {
        keyspace: KeyspaceDef {
            name: "ks".into(),
            replication: vec![],
            durable_writes: true,
        },
        if_not_exists: false,
    });
    assert_eq!(r, Response::Table(Reply::SchemaChanged(true)));
    let table = TableDef {
        keyspace: "ks".into(),
        name: "t".into(),
        id: [7; 16],
        version: 0,
        columns: vec![
            col(
                0,
                "k",
                CqlType::Text,
                ColumnKind::PartitionKey,
                0,
                Order::Asc,
            ),
            col(1, "c", CqlType::Int, ColumnKind::Clustering, 0, order),
            col(2, "v", CqlType::Text, ColumnKind::Regular, -1, Order::Asc),
        ],
        options: Default::default(),
        indexes: vec![],
        next_column: 3,
    };
    s.apply(Command::CreateTable {
        table: Box::new(table),
        if_not_exists: false,
    });
    let Response::Table(Reply::Schema(schema)) = s.query(Query::Schema) else {
        panic!("schema");
    };
    let t = schema.table("ks", "t").expect("table");
    (
        s,
        TableRef {
            id: t.id,
            version: t.version,
        },
    )
}

fn put(table: TableRef, c: i32, v: &str, ts: i64) -> Command {
    Command::Write(vec![Mutation {
        table,
        partition: vec![Value::Text("a".into())],
        token: 5,
        clustering: vec![Value::Int(c)],
        timestamp: ts,
        ttl: None,
        op: RowOp::Upsert {
            marker: true,
            cells: vec![(2, CellOp::Set(Some(Value::Text(v.into()))))],
            statics: vec![],
        },
    }])
}

fn select(
    s: &TestStore,
    table: TableRef,
    range: ClusteringRange,
    reverse: bool,
) -> Vec<(i32, String)> {
    let q = Query::Select(Box::new(Select {
        table,
        partition: Some((5, vec![Value::Text("a".into())])),
        tokens: (None, None),
        range,
        reverse,
        limit: 100,
        after: None,
        now_ms: 1_000,
    }));
    let Response::Table(Reply::Rows(rows)) = s.query(q) else {
        panic!("rows");
    };
    rows.rows
        .iter()
        .map(|r| {
            let Value::Int(c) = r.clustering[0] else {
                panic!()
            };
            let v = match &r.cells.first().map(|c| &c.value) {
                Some(Value::Text(t)) => t.clone(),
                _ => String::new(),
            };
            (c, v)
        })
        .collect()
}

#[test]
fn rows_come_back_in_clustering_order_and_ranges_hold() {
    for order in [Order::Asc, Order::Desc] {
        let (mut s, t) = setup(order);
        for c in [3, 1, 2, 5, 4] {
            s.apply(put(t, c, &format!("v{c}"), 10));
        }
        let all: Vec<i32> = select(&s, t, ClusteringRange::all(), false)
            .into_iter()
            .map(|r| r.0)
            .collect();
        let expect = if order == Order::Asc {
            vec![1, 2, 3, 4, 5]
        } else {
            vec![5, 4, 3, 2, 1]
        };
        assert_eq!(all, expect);
        // c > 2 AND c <= 4, whichever way the column is stored.
        let range = ClusteringRange {
            start: Bound::Excluded(vec![Value::Int(2)]),
            end: Bound::Included(vec![Value::Int(4)]),
        };
        let mut got: Vec<i32> = select(&s, t, range, false)
            .into_iter()
            .map(|r| r.0)
            .collect();
        got.sort();
        assert_eq!(got, vec![3, 4], "{order:?}");
    }
}

#[test]
fn the_newest_write_wins_whatever_order_writes_arrive_in() {
    let (mut s, t) = setup(Order::Asc);
    s.apply(put(t, 1, "new", 20));
    s.apply(put(t, 1, "old", 10));
    assert_eq!(
        select(&s, t, ClusteringRange::all(), false),
        vec![(1, "new".into())]
    );
    // A deletion hides older writes, not newer ones.
    s.apply(Command::Write(vec![Mutation {
        table: t,
        partition: vec![Value::Text("a".into())],
        token: 5,
        clustering: vec![Value::Int(1)],
        timestamp: 30,
        ttl: None,
        op: RowOp::DeleteRows,
    }]));
    s.apply(put(t, 1, "older", 25));
    assert!(select(&s, t, ClusteringRange::all(), false).is_empty());
    // Newer than anything written: stored without reading the row (the deletion at 30 it
    // would have kept is older than every cell it writes), with the same outcome.
    s.apply(put(t, 1, "newer", 35));
    assert_eq!(
        select(&s, t, ClusteringRange::all(), false),
        vec![(1, "newer".into())]
    );
    s.apply(put(t, 1, "between", 28));
    assert_eq!(
        select(&s, t, ClusteringRange::all(), false),
        vec![(1, "newer".into())]
    );
}

#[test]
fn insert_if_not_exists_applies_once() {
    let (mut s, t) = setup(Order::Asc);
    let Command::Write(mut m) = put(t, 1, "x", 10) else {
        panic!()
    };
    let m = m.remove(0);
    let lwt = |m: Mutation| Command::Conditional {
        mutation: m,
        condition: Condition::NotExists,
    };
    assert!(matches!(
        s.apply(lwt(m.clone())),
        Response::Table(Reply::Applied { applied: true, .. })
    ));
    assert!(matches!(
        s.apply(lwt(m)),
        Response::Table(Reply::Applied {
            applied: false,
            row: Some(_)
        })
    ));
}

#[test]
fn truncate_starts_a_new_version_and_stale_writes_are_refused() {
    let (mut s, t) = setup(Order::Asc);
    s.apply(put(t, 1, "x", 10));
    s.apply(Command::Truncate {
        keyspace: "ks".into(),
        name: "t".into(),
    });
    assert_eq!(
        s.apply(put(t, 2, "y", 10)),
        Response::Error(TableError::Stale.into())
    );
}

#[test]
fn a_whole_primary_key_reads_one_row() {
    let (mut s, t) = setup(Order::Desc);
    for c in 1..=5 {
        s.apply(put(t, c, &format!("v{c}"), 10));
    }
    let one = ClusteringRange::prefix(vec![Value::Int(3)]);
    assert_eq!(select(&s, t, one, false), vec![(3, "v3".into())]);
    let absent = ClusteringRange::prefix(vec![Value::Int(9)]);
    assert!(select(&s, t, absent, false).is_empty());
}

#[test]
fn a_truncated_table_is_read_and_written_at_its_new_version() {
    let (mut s, t) = setup(Order::Asc);
    s.apply(put(t, 1, "x", 10));
    assert_eq!(select(&s, t, ClusteringRange::all(), false).len(), 1);
    s.apply(Command::Truncate {
        keyspace: "ks".into(),
        name: "t".into(),
    });
    let Response::Table(Reply::Schema(schema)) = s.query(Query::Schema) else {
        panic!("schema");
    };
    let def = schema.table("ks", "t").expect("table");
    let now = TableRef {
        id: def.id,
        version: def.version,
    };
    assert_ne!(now.version, t.version);
    assert!(select(&s, now, ClusteringRange::all(), false).is_empty());
    s.apply(put(now, 2, "y", 10));
    assert_eq!(
        select(&s, now, ClusteringRange::all(), false),
        vec![(2, "y".into())]
    );
}

/// Records left under a table version, as the store holds them.
fn stored_rows(s: &TestStore, t: TableRef) -> usize {
    use crate::engine::store::{overlay::ScanRange, space::Space};
    let txn = s.engine.begin();
    let prefix = crate::engine::keys::table::table_rows(&t.id, t.version);
    txn.scan(Space::CqlRows, &ScanRange::prefix(&prefix, 1000))
        .expect("scan")
        .len()
}

#[test]
fn truncated_and_dropped_rows_are_left_to_the_collector_and_collected() {
    let (mut s, t) = setup(Order::Asc);
    for c in 0..300 {
        s.apply(put(t, c, "x", 10));
    }
    assert_eq!(stored_rows(&s, t), 300);
    s.apply(Command::Truncate {
        keyspace: "ks".into(),
        name: "t".into(),
    });
    // TRUNCATE itself removes nothing: the old version waits for the collector.
    assert_eq!(stored_rows(&s, t), 300);
    assert!(s.engine.has_garbage());
    let collect = || crate::command::node::Command::CollectGarbage { budget: 128 };
    assert_eq!(s.apply(collect()), Response::Int(128));
    assert_eq!(stored_rows(&s, t), 172);
    while s.engine.has_garbage() {
        s.apply(collect());
    }
    assert_eq!(stored_rows(&s, t), 0);

    let Response::Table(Reply::Schema(schema)) = s.query(Query::Schema) else {
        panic!("schema");
    };
    let def = schema.table("ks", "t").expect("table");
    let now = TableRef {
        id: def.id,
        version: def.version,
    };
    s.apply(put(now, 1, "y", 10));
    s.apply(Command::DropTable {
        keyspace: "ks".into(),
        name: "t".into(),
        if_exists: false,
    });
    assert_eq!(stored_rows(&s, now), 1);
    while s.engine.has_garbage() {
        s.apply(collect());
    }
    assert_eq!(stored_rows(&s, now), 0);
}

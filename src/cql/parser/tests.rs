//! Whole statements as real clients send them (cqlsh, the DataStax python driver, cqlengine),
//! relations, scripts, and a no-panic sweep over mangled input.

use super::*;

fn parse(src: &str) -> Statement {
    match parse_statement(src) {
        Ok(s) => s,
        Err(e) => panic!("{src}: {e}"),
    }
}

fn relations(src: &str) -> Vec<Relation> {
    match parse(src).kind {
        StatementKind::Select(s) => s.where_clause,
        other => panic!("{other:?}"),
    }
}

fn int(s: &str) -> Term {
    Term::Literal(Literal::Integer(s.into()))
}

/// Statements seen from drivers and tools, plus the issue's examples: all must parse.
const CLIENT_STATEMENTS: &[&str] = &[
    "SELECT * FROM system.local WHERE key='local'",
    "SELECT peer, data_center, host_id, preferred_ip, rack, release_version, rpc_address, schema_version, tokens FROM system.peers",
    "SELECT * FROM system.peers_v2",
    "SELECT * FROM system_schema.keyspaces",
    "SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'",
    "SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'",
    "SELECT schema_version FROM system.local WHERE key='local'",
    "SELECT cluster_name, release_version FROM system.local",
    "CREATE TABLE IF NOT EXISTS ks.model (\"id\" uuid, \"name\" text, PRIMARY KEY ((\"id\")))",
    "CREATE TABLE IF NOT EXISTS ks.model (\"id\" uuid, \"ts\" timeuuid, \"name\" text, PRIMARY KEY ((\"id\"), \"ts\")) WITH CLUSTERING ORDER BY (\"ts\" DESC)",
    "SELECT \"id\", \"name\" FROM ks.model WHERE \"id\" = 5b6962dd-3f90-4c93-8f61-eabfa4a803e2 LIMIT 10000",
    "SELECT token(\"k\"), \"k\" FROM ks.t WHERE token(\"k\") > ? AND token(\"k\") <= ?",
    "INSERT INTO ks.t (\"a\", \"b\") VALUES (?, ?) USING TTL ?",
    "UPDATE ks.model SET \"name\" = 'x' WHERE \"id\" = ?",
    "DELETE FROM ks.model WHERE \"id\" = ?",
    "SELECT COUNT(*) FROM ks.model LIMIT 10000",
    "CREATE KEYSPACE shop WITH replication = {'class':'SimpleStrategy','replication_factor':1}",
    "CREATE TABLE shop.orders (user text, ts timestamp, id uuid, total decimal, PRIMARY KEY ((user), ts, id)) WITH CLUSTERING ORDER BY (ts DESC, id ASC)",
    "INSERT INTO shop.orders (user, ts, id, total) VALUES ('ann', toTimestamp(now()), uuid(), 12.50)",
    "SELECT * FROM shop.orders WHERE user='ann' LIMIT 10",
    "DESCRIBE KEYSPACE shop",
    "DESCRIBE KEYSPACES;",
    "USE shop;",
    "select * from t where a in ? and b contains 1 and c contains key 'k' and d like 'x%' allow filtering",
    "SELECT * FROM t WHERE a = 1 AND (b, c) >= (1, 2) AND (b, c) < (3, 4)",
    "SELECT * FROM t WHERE a = 1 AND (b, c) IN ((1, 2), (3, 4))",
    "SELECT * FROM t WHERE m['k'] = 1 ALLOW FILTERING",
    "SELECT * FROM t WHERE ts > minTimeuuid('2013-02-02 10:00+0000') AND ts < maxTimeuuid('2013-02-03')",
    "SELECT * FROM t WHERE d = 1h30m AND e = P1D AND f = 12mo",
    "INSERT INTO t (a, b, c, d, e, f) VALUES (0xcafe, -1.5e10, NaN, -Infinity, true, null)",
    "INSERT INTO t (a, b) VALUES ((int) ?, currentTimestamp()) IF NOT EXISTS",
    "INSERT INTO t (a, b) VALUES ({street: 'x', zip: 1}, {'a': {1, 2}})",
    "INSERT INTO t (a) VALUES ($$a 'quoted' string$$)",
    "SELECT * FROM ks.\"Mixed\" WHERE \"Key\" = :k",
];

#[test]
fn client_statements_parse() {
    for src in CLIENT_STATEMENTS {
        parse(src);
    }
}

#[test]
fn relations_cover_every_form() {
    let rels = relations("SELECT * FROM t WHERE a IN (1, 2) AND b IN ? AND (c, d) > (1, ?) AND (c, d) IN (?, ?) AND (c) IN () AND m['k'] >= 3 AND token(a, b) > token(1, 2) AND x IS NOT NULL AND l CONTAINS KEY 'k' AND (y != 1)");
    assert_eq!(
        rels[0],
        Relation::In {
            column: "a".into(),
            values: InValues::List(vec![int("1"), int("2")])
        }
    );
    assert!(matches!(&rels[1], Relation::In { values: InValues::Marker(m), .. } if m.index == 0));
    assert!(
        matches!(&rels[2], Relation::MultiCompare { columns, op: Operator::Gt, value: Term::Tuple(v) } if columns.len() == 2 && v.len() == 2)
    );
    assert!(
        matches!(&rels[3], Relation::MultiIn { values: InValues::List(v), .. } if v.len() == 2)
    );
    assert!(
        matches!(&rels[4], Relation::MultiIn { values: InValues::List(v), .. } if v.is_empty())
    );
    assert!(matches!(
        &rels[5],
        Relation::MapElement {
            op: Operator::Gte,
            ..
        }
    ));
    assert!(
        matches!(&rels[6], Relation::Token { columns, value: Term::Function { .. }, .. } if columns.len() == 2)
    );
    assert_eq!(rels[7], Relation::IsNotNull { column: "x".into() });
    assert!(matches!(
        &rels[8],
        Relation::Compare {
            op: Operator::ContainsKey,
            ..
        }
    ));
    assert!(matches!(
        &rels[9],
        Relation::Compare {
            op: Operator::Neq,
            ..
        }
    ));
}

#[test]
fn markers_are_numbered_in_source_order() {
    let s = parse("UPDATE t USING TTL ? SET a = ?, b[:k] = ? WHERE c = ? AND d IN ? IF e = ?");
    let got: Vec<_> = s
        .bind_markers
        .iter()
        .map(|m| (m.index, m.name.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, None),
            (1, None),
            (2, Some("k".to_string())),
            (3, None),
            (4, None),
            (5, None),
            (6, None)
        ]
    );
}

#[test]
fn unsupported_statements_are_recognised() {
    let cases = [
        ("CREATE MATERIALIZED VIEW v AS SELECT * FROM t WHERE a IS NOT NULL PRIMARY KEY (a)", UnsupportedKind::CreateMaterializedView),
        ("DROP MATERIALIZED VIEW v", UnsupportedKind::DropMaterializedView),
        ("ALTER MATERIALIZED VIEW v WITH comment = 'x'", UnsupportedKind::AlterMaterializedView),
        ("CREATE OR REPLACE FUNCTION f (a int) CALLED ON NULL INPUT RETURNS int LANGUAGE java AS $$ return a; $$", UnsupportedKind::CreateFunction),
        ("CREATE FUNCTION f (a int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS 'return a;'", UnsupportedKind::CreateFunction),
        ("DROP FUNCTION f", UnsupportedKind::DropFunction),
        ("CREATE AGGREGATE a (int) SFUNC f STYPE int", UnsupportedKind::CreateAggregate),
        ("DROP AGGREGATE a", UnsupportedKind::DropAggregate),
        ("CREATE ROLE r WITH PASSWORD = 'p' AND LOGIN = true", UnsupportedKind::CreateRole),
        ("ALTER ROLE r WITH SUPERUSER = false", UnsupportedKind::AlterRole),
        ("DROP ROLE r", UnsupportedKind::DropRole),
        ("CREATE USER u WITH PASSWORD 'p' SUPERUSER", UnsupportedKind::CreateUser),
        ("ALTER USER u WITH PASSWORD 'q'", UnsupportedKind::AlterUser),
        ("DROP USER u", UnsupportedKind::DropUser),
        ("GRANT SELECT ON KEYSPACE ks TO r", UnsupportedKind::Grant),
        ("REVOKE ALL ON ALL KEYSPACES FROM r", UnsupportedKind::Revoke),
        ("LIST ROLES", UnsupportedKind::ListRoles),
        ("LIST USERS", UnsupportedKind::ListUsers),
        ("LIST ALL PERMISSIONS OF r", UnsupportedKind::ListPermissions),
        ("CREATE TRIGGER tr ON t USING 'cls'", UnsupportedKind::CreateTrigger),
        ("DROP TRIGGER tr ON t", UnsupportedKind::DropTrigger),
    ];
    for (src, kind) in cases {
        assert_eq!(parse(src).kind, StatementKind::Unsupported(kind), "{src}");
    }
}

#[test]
fn scripts_split_on_semicolons() {
    let stmts =
        parse_statements("USE ks; ; SELECT * FROM t WHERE a = ?;\nINSERT INTO t (a) VALUES (?);");
    let stmts = stmts.unwrap_or_default();
    assert_eq!(stmts.len(), 3);
    assert_eq!(stmts[0].kind, StatementKind::Use("ks".into()));
    // Each statement numbers its markers from 0.
    assert_eq!(stmts[2].bind_markers[0].index, 0);
    assert_eq!(parse_statements("").map(|v| v.len()), Ok(0));
    assert!(parse_statement("USE a; USE b").is_err());
}

#[test]
fn error_messages_look_like_cassandras() {
    let msg = |src: &str| parse_statement(src).err().map(|e| e.to_string());
    assert_eq!(
        msg("SELECT * FROM t WHERE FOO"),
        Some(
            "line 1:25 no viable alternative at input '<EOF>' (SELECT * FROM t WHERE FOO[])".into()
        )
    );
    assert_eq!(
        msg("SELECT a, b, c, d, e, f, g, h, i, j, k FROM t WHERE x = 1 AND y = 2 FOO AND z = 3"),
        Some("line 1:68 extraneous input 'FOO' expecting EOF (FROM t WHERE x = 1 AND y = 2 [FOO] AND z...)".into())
    );
    assert_eq!(
        msg("INSERT INTO t (a) VALUES (1"),
        Some(
            "line 1:27 mismatched input '<EOF>' expecting ')' (INSERT INTO t (a) VALUES (1[])"
                .into()
        )
    );
    assert_eq!(
        msg("FOO BAR"),
        Some("line 1:0 no viable alternative at input 'FOO' ([FOO] BAR)".into())
    );
    assert_eq!(
        msg("SELECT * FORM t"),
        Some("line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM] t)".into())
    );
    assert_eq!(
        msg("SELECT *\nFROM t WHERE a = 1 b"),
        Some(
            "line 2:19 extraneous input 'b' expecting EOF (SELECT *\nFROM t WHERE a = 1 [b])"
                .into()
        )
    );
    let long = msg("SELECT a, b, c, d, e, f, g FROM t WHERE x ! 1 AND y = 2 AND z = 3");
    assert!(long.is_some_and(|m| m.starts_with("line 1:42 token recognition error at: '!'")));
    let err = parse_statement("select * from t where a = 1 and").err();
    assert!(err.is_some_and(|e| e.is_syntax()));
}

/// A small deterministic PRNG (xorshift) so the sweep needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const NOISE: &[&str] = &[
    "(", ")", "[", "]", "{", "}", ",", ";", ".", ":", "?", "=", "<", ">", ">=", "-", "+", "*", "'",
    "\"", "$$", "/*", "--", "0x", "1", "-1", "1.5e", "e", "SELECT", "FROM", "WHERE", "AND", "IN",
    "token", "frozen<", "map<", "µ", "é", "\n", " ", "1h", "P", "abc", "NULL", "IF",
];

#[test]
fn mangled_input_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let corpus: Vec<&str> = CLIENT_STATEMENTS
        .iter()
        .copied()
        .chain([
            "BEGIN BATCH INSERT INTO t (a) VALUES (1); UPDATE t SET l = [1] + l, c = c - 1 WHERE k = 0 IF EXISTS APPLY BATCH",
            "CREATE TYPE ks.a (f frozen<map<text, tuple<int, list<frozen<b>>>>>)",
            "ALTER TABLE t ADD (a int, b set<text>) ",
            "CREATE CUSTOM INDEX IF NOT EXISTS i ON t (keys(m)) USING 'c' WITH OPTIONS = {'a': 'b'}",
            "SELECT JSON DISTINCT CAST(a AS text), b.c[1], -d * 2 FROM t GROUP BY a ORDER BY b PER PARTITION LIMIT 1",
        ])
        .collect();
    for _ in 0..20_000 {
        let base = corpus[rng.below(corpus.len())];
        let mut text = String::from(base);
        match rng.below(4) {
            // Truncate at a char boundary.
            0 => {
                let mut cut = rng.below(text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            // Insert noise.
            1 => {
                for _ in 0..=rng.below(3) {
                    let mut at = rng.below(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    text.insert_str(at, NOISE[rng.below(NOISE.len())]);
                }
            }
            // Delete a byte range at char boundaries.
            2 => {
                let mut a = rng.below(text.len() + 1);
                while !text.is_char_boundary(a) {
                    a -= 1;
                }
                let mut b = (a + rng.below(8)).min(text.len());
                while !text.is_char_boundary(b) {
                    b -= 1;
                }
                text.replace_range(a..b, "");
            }
            // Pure noise.
            _ => {
                text.clear();
                for _ in 0..rng.below(30) {
                    text.push_str(NOISE[rng.below(NOISE.len())]);
                    text.push(' ');
                }
            }
        }
        let _ = parse_statement(&text);
        let _ = parse_statements(&text);
        let _ = parse_type(&text);
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    for depth in [65, 1_000, 100_000] {
        let src = format!(
            "SELECT * FROM t WHERE a = {}1{}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let err = parse_statement(&src).err().map(|e| e.kind);
        assert_eq!(err, Some(ParseErrorKind::TooDeep(cursor::MAX_DEPTH)));
        let src = format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let err = parse_statement(&src).err().map(|e| e.kind);
        assert_eq!(err, Some(ParseErrorKind::TooDeep(cursor::MAX_DEPTH)));
        let src = format!("SELECT {}a{} FROM t", "f(".repeat(depth), ")".repeat(depth));
        let err = parse_statement(&src).err().map(|e| e.kind);
        assert_eq!(err, Some(ParseErrorKind::TooDeep(cursor::MAX_DEPTH)));
    }
}

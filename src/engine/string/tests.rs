use super::*;
use crate::shared::number::clamp_range;

#[test]
fn getrange_bounds_match_redis() {
    // "hello": `GETRANGE k 0 -6` is the first byte in Redis, as is `0 -100`.
    assert_eq!(getrange_bounds(0, -6, 5), Some((0, 0)));
    assert_eq!(getrange_bounds(0, -100, 5), Some((0, 0)));
    assert_eq!(getrange_bounds(-1, -5, 5), None);
    assert_eq!(getrange_bounds(0, -1, 5), Some((0, 4)));
    assert_eq!(getrange_bounds(2, 100, 5), Some((2, 4)));
    assert_eq!(getrange_bounds(4, 2, 5), None);
    assert_eq!(getrange_bounds(0, 0, 0), None);
    assert_eq!(getrange_bounds(-100, -100, 5), Some((0, 0)));
}

#[test]
fn ranges_clamp_like_lrange() {
    assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
    assert_eq!(clamp_range(-3, -1, 5), Some((2, 4)));
    assert_eq!(clamp_range(3, 100, 5), Some((3, 4)));
    assert_eq!(clamp_range(4, 2, 5), None);
    assert_eq!(clamp_range(0, -1, 0), None);
    assert_eq!(clamp_range(-100, -90, 5), None);
    assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
    assert_eq!(clamp_range(i64::MIN, i64::MIN, 5), None);
}

use crate::engine::testing::TestStore;

fn key(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn setbit(t: &mut TestStore, k: &str, offset: u64, on: bool) -> Response {
    t.apply(Command::SetBit {
        db: 0,
        key: key(k),
        offset,
        on,
    })
}

fn get(t: &TestStore, k: &str) -> Response {
    t.query(Query::Get { db: 0, key: key(k) })
}

#[test]
fn setbit_grows_the_string_and_replies_with_the_old_bit() {
    let mut t = TestStore::new();
    assert_eq!(setbit(&mut t, "k", 1, true), Response::Int(0));
    assert_eq!(get(&t, "k"), Response::bulk(&b"\x40"[..]));
    assert_eq!(setbit(&mut t, "k", 1, true), Response::Int(1));
    assert_eq!(setbit(&mut t, "k", 1, false), Response::Int(1));
    assert_eq!(setbit(&mut t, "k", 23, true), Response::Int(0));
    assert_eq!(get(&t, "k"), Response::bulk(&b"\x00\x00\x01"[..]));
    // Clearing a bit past the end still grows the string, as Redis does.
    assert_eq!(setbit(&mut t, "k", 39, false), Response::Int(0));
    assert_eq!(get(&t, "k"), Response::bulk(&b"\x00\x00\x01\x00\x00"[..]));
    let got = |t: &TestStore, offset| {
        t.query(Query::GetBit {
            db: 0,
            key: key("k"),
            offset,
        })
    };
    assert_eq!(got(&t, 23), Response::Int(1));
    assert_eq!(got(&t, 22), Response::Int(0));
    assert_eq!(got(&t, 1 << 30), Response::Int(0));
    t.apply(crate::command::hash::Command::Set {
        db: 0,
        key: key("h"),
        pairs: vec![(key("f"), key("v"))],
        only_new: false,
    });
    assert_eq!(
        setbit(&mut t, "h", 0, true),
        Response::Error(CommandError::WrongType)
    );
    let r = t.query(Query::GetBit {
        db: 0,
        key: key("h"),
        offset: 0,
    });
    assert_eq!(r, Response::Error(CommandError::WrongType));
}

#[test]
fn bitcount_ranges_like_redis() {
    let v = b"foobar";
    assert_eq!(bit_count(v, None), 26);
    assert_eq!(bit_count(v, Some((0, 0, false))), 4);
    assert_eq!(bit_count(v, Some((1, 1, false))), 6);
    assert_eq!(bit_count(v, Some((1, 1, true))), 1);
    assert_eq!(bit_count(v, Some((5, 30, true))), 17);
    assert_eq!(bit_count(v, Some((-2, -1, false))), 7);
    assert_eq!(bit_count(v, Some((-1, -2, false))), 0);
    assert_eq!(bit_count(v, Some((0, 1000, false))), 26);
    assert_eq!(bit_count(v, Some((0, -1000, false))), 4);
    assert_eq!(bit_count(v, Some((i64::MIN, i64::MAX, true))), 26);
    assert_eq!(bit_count(b"", None), 0);
    assert_eq!(bit_count(b"", Some((0, -1, true))), 0);
    assert_eq!(bit_count(b"\xff", Some((3, 3, true))), 1);
}

fn lcs_ok(a: &str, b: &str, reply: LcsReply) -> Response {
    lcs(a.as_bytes(), b.as_bytes(), reply).unwrap()
}

fn range(s: i64, e: i64) -> Response {
    Response::Array(vec![Response::Int(s), Response::Int(e)])
}

#[test]
fn lcs_replies_like_redis() {
    assert_eq!(
        lcs_ok("ohmytext", "mynewtext", LcsReply::String),
        Response::bulk("mytext")
    );
    assert_eq!(
        lcs_ok("ohmytext", "mynewtext", LcsReply::Len),
        Response::Int(6)
    );
    assert_eq!(lcs_ok("", "abc", LcsReply::String), Response::bulk(""));
    let idx = |min_match_len, with_match_len| LcsReply::Idx {
        min_match_len,
        with_match_len,
    };
    // redis.io's example: `LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN`.
    assert_eq!(
        lcs_ok("ohmytext", "mynewtext", idx(4, true)),
        Response::Map(vec![
            (
                Response::bulk("matches"),
                Response::Array(vec![Response::Array(vec![
                    range(4, 7),
                    range(5, 8),
                    Response::Int(4)
                ])])
            ),
            (Response::bulk("len"), Response::Int(6)),
        ])
    );
    assert_eq!(
        lcs_ok("ohmytext", "mynewtext", idx(0, false)),
        Response::Map(vec![
            (
                Response::bulk("matches"),
                Response::Array(vec![
                    Response::Array(vec![range(4, 7), range(5, 8)]),
                    Response::Array(vec![range(2, 3), range(0, 1)]),
                ])
            ),
            (Response::bulk("len"), Response::Int(6)),
        ])
    );
}

#[test]
fn bitcount_and_lcs_arguments_parse_like_redis() {
    let args = |a: &[&str]| a.iter().map(|s| key(s)).collect::<Vec<_>>();
    assert_eq!(bit_count_range(&args(&[])), Ok(None));
    assert_eq!(
        bit_count_range(&args(&["1", "-1", "bIt"])),
        Ok(Some((1, -1, true)))
    );
    assert_eq!(
        bit_count_range(&args(&["1", "2", "byte"])),
        Ok(Some((1, 2, false)))
    );
    for bad in [&["0"][..], &["0", "1", "2", "3"], &["0", "1", "foo"]] {
        assert_eq!(bit_count_range(&args(bad)), Err(CommandError::Syntax));
    }
    assert_eq!(
        bit_count_range(&args(&["a", "1"])),
        Err(CommandError::NotInteger)
    );
    assert_eq!(lcs_reply(&args(&[])), Ok(LcsReply::String));
    assert_eq!(lcs_reply(&args(&["len"])), Ok(LcsReply::Len));
    assert_eq!(
        lcs_reply(&args(&["IDX", "minmatchlen", "-3", "WITHMATCHLEN"])),
        Ok(LcsReply::Idx {
            min_match_len: 0,
            with_match_len: true
        })
    );
    assert_eq!(
        lcs_reply(&args(&["minmatchlen"])),
        Err(CommandError::Syntax)
    );
    assert_eq!(
        lcs_reply(&args(&["minmatchlen", "x"])),
        Err(CommandError::NotInteger)
    );
    assert_eq!(
        lcs_reply(&args(&["len", "idx"])),
        Err(CommandError::LcsLenAndIdx)
    );
}

#[test]
fn lcs_bounds_its_table() {
    let big = vec![b'a'; 20_000];
    assert_eq!(
        lcs(&big, &big, LcsReply::Len),
        Err(CommandError::LcsTooMuchMemory)
    );
}

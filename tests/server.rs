//! The server started in-process on ephemeral ports, driven by the `redis` client crate.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{cmd, Value};
use trident::command::Response;
use trident::config::{Config, Fsync};

struct TestServer {
    running: trident::Running,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        Self::start_with(Fsync::Everysec).await
    }

    async fn start_with(fsync: Fsync) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.storage.data_dir = dir.path().to_path_buf();
        config.storage.fsync = fsync;
        config.resp.addr = "127.0.0.1:0".parse().expect("addr");
        config.admin.addr = "127.0.0.1:0".parse().expect("addr");
        config.kafka.addr = "127.0.0.1:0".parse().expect("addr");
        config.cql.addr = "127.0.0.1:0".parse().expect("addr");
        config.cluster.raft_addr = "127.0.0.1:0".parse().expect("addr");
        let running = trident::start(config).await.expect("server starts");
        TestServer { running, _dir: dir }
    }

    fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://{}/", self.running.resp_addr)).expect("client")
    }

    async fn conn(&self) -> MultiplexedConnection {
        self.client()
            .get_multiplexed_async_connection()
            .await
            .expect("connects")
    }
}

async fn q<T: redis::FromRedisValue>(
    c: &mut MultiplexedConnection,
    args: &[&str],
) -> redis::RedisResult<T> {
    let mut command = cmd(args[0]);
    for a in &args[1..] {
        command.arg(*a);
    }
    command.query_async(c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strings_round_trip_with_expiry() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let ok: String = q(&mut c, &["SET", "greeting", "hello", "EX", "60"])
        .await
        .unwrap();
    assert_eq!(ok, "OK");
    let v: String = q(&mut c, &["GET", "greeting"]).await.unwrap();
    assert_eq!(v, "hello");
    let ttl: i64 = q(&mut c, &["TTL", "greeting"]).await.unwrap();
    assert!((59..=60).contains(&ttl));
    let _: () = q(&mut c, &["SET", "short", "x", "PX", "50"]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let gone: Option<String> = q(&mut c, &["GET", "short"]).await.unwrap();
    assert_eq!(gone, None);
    let err = q::<i64>(&mut c, &["INCR", "greeting"]).await.unwrap_err();
    assert!(err.to_string().contains("not an integer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_are_all_counted() {
    // Under `always` concurrent clients share fsyncs; every INCR must still count once.
    let s = TestServer::start_with(Fsync::Always).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = s.client();
        tasks.push(tokio::spawn(async move {
            let mut c = client.get_multiplexed_async_connection().await.unwrap();
            for _ in 0..100 {
                let _: i64 = q(&mut c, &["INCR", "counter"]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut c = s.conn().await;
    let n: i64 = q(&mut c, &["GET", "counter"]).await.unwrap();
    assert_eq!(n, 800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_writes_then_reads_keep_order() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let mut p = redis::pipe();
    for i in 0..500 {
        p.cmd("RPUSH").arg("q").arg(i);
        p.cmd("LLEN").arg("q");
    }
    let replies: Vec<i64> = p.query_async(&mut c).await.unwrap();
    for (i, pair) in replies.chunks(2).enumerate() {
        assert_eq!(pair, [i as i64 + 1, i as i64 + 1]);
    }
    let range: Vec<String> = q(&mut c, &["LRANGE", "q", "0", "2"]).await.unwrap();
    assert_eq!(range, ["0", "1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_pop_is_woken_by_a_push_from_another_client() {
    let s = TestServer::start().await;
    let client = s.client();
    let waiter = tokio::spawn(async move {
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let v: Option<(String, String)> = q(&mut c, &["BLPOP", "jobs", "5"]).await.unwrap();
        v
    });
    // Wait until the waiter is registered as blocked.
    let mut c = s.conn().await;
    for _ in 0..100 {
        if s.running.node.blocking.blocked_clients() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.running.node.blocking.blocked_clients(), 1);
    let _: i64 = q(&mut c, &["RPUSH", "jobs", "job-1"]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Some(("jobs".to_string(), "job-1".to_string())));
    let len: i64 = q(&mut c, &["LLEN", "jobs"]).await.unwrap();
    assert_eq!(len, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_pop_times_out_with_nil() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let started = std::time::Instant::now();
    let v: Value = q(&mut c, &["BRPOP", "empty", "0.2"]).await.unwrap();
    assert_eq!(v, Value::Nil);
    assert!(started.elapsed() >= Duration::from_millis(190));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resp3_hello_returns_a_map() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let v: Value = q(&mut c, &["HELLO", "3"]).await.unwrap();
    let Value::Map(pairs) = v else {
        panic!("expected a map, got {v:?}")
    };
    assert!(pairs
        .iter()
        .any(|(k, v)| *k == Value::BulkString(b"proto".to_vec()) && *v == Value::Int(3)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_large_list_is_collected_in_the_background() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let mut p = redis::pipe();
    for i in 0..5000 {
        p.cmd("RPUSH").arg("big").arg(i).ignore();
    }
    let _: () = p.query_async(&mut c).await.unwrap();
    let n: i64 = q(&mut c, &["DEL", "big"]).await.unwrap();
    assert_eq!(n, 1);
    let _: i64 = q(&mut c, &["RPUSH", "big", "fresh"]).await.unwrap();
    let items: Vec<String> = q(&mut c, &["LRANGE", "big", "0", "-1"]).await.unwrap();
    assert_eq!(items, ["fresh"]);
    let engine = s.running.node.engine();
    for _ in 0..100 {
        if !engine.has_garbage() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!engine.has_garbage(), "old list version was not collected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_keys_are_swept_without_being_touched() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    for i in 0..20 {
        let _: () = q(&mut c, &["SET", &format!("k{i}"), "v", "PX", "30"])
            .await
            .unwrap();
    }
    let _: () = q(&mut c, &["SET", "stays", "v"]).await.unwrap();
    let mut size = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        size = q(&mut c, &["DBSIZE"]).await.unwrap();
        if size == 1 {
            break;
        }
    }
    assert_eq!(size, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_keep_the_connection_usable() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let e = q::<String>(&mut c, &["NOSUCHCMD", "a"]).await.unwrap_err();
    assert!(e.to_string().contains("unknown command"), "{e}");
    let e = q::<String>(&mut c, &["GET"]).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("wrong number of arguments for 'get' command"),
        "{e}"
    );
    let _: i64 = q(&mut c, &["LPUSH", "l", "x"]).await.unwrap();
    let e = q::<String>(&mut c, &["GET", "l"]).await.unwrap_err();
    assert!(e.to_string().contains("WRONGTYPE"), "{e}");
    let pong: String = q(&mut c, &["PING"]).await.unwrap();
    assert_eq!(pong, "PONG");
}

/// A storage failure while applying is never a reply: the write it hit is not acknowledged, the
/// node stops applying (so it cannot diverge from replicas that applied it), refuses further
/// writes and reports unhealthy; what was acknowledged before is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_failure_during_apply_stops_writes_and_acknowledges_nothing() {
    let s = TestServer::start().await;
    let mut c = s.conn().await;
    let _: () = q(&mut c, &["SET", "before", "1"]).await.unwrap();
    s.running.node.engine().inject_apply_failure();
    let hit = q::<String>(&mut c, &["SET", "hit", "2"]).await;
    assert!(
        hit.is_err(),
        "a write the store failed on was acknowledged: {hit:?}"
    );
    let after = q::<String>(&mut c, &["SET", "after", "3"]).await;
    assert!(
        after.is_err(),
        "a stopped node acknowledged a write: {after:?}"
    );
    assert!(s.running.node.failure().is_some());
    let health = tokio::net::TcpStream::connect(s.running.admin_addr).await;
    let mut health = health.expect("admin listens");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    health
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    health.read_to_string(&mut body).await.unwrap();
    assert!(body.starts_with("HTTP/1.1 503"), "{body}");
    assert!(body.contains("stopped applying"), "{body}");
    // What was acknowledged is in the store; nothing of the failed writes is.
    let get = |key: &str| {
        let q = trident::command::kv::Query::Get {
            db: 0,
            key: bytes::Bytes::copy_from_slice(key.as_bytes()),
        };
        s.running.node.engine().query(&q.into(), 0)
    };
    assert_eq!(get("before"), Response::bulk("1"));
    assert_eq!(get("hit"), Response::Nil);
    assert_eq!(get("after"), Response::Nil);
}

//! cql-load: the CQL load tool of bench/cql, on the scylla crate (the ScyllaDB Rust driver,
//! which speaks Cassandra's native protocol too).
//!
//!   cql-load insert --addr HOST:PORT[,HOST:PORT...] [--count 1000000] [--keys 1000000]
//!                   [--concurrency 256] [--value-size 100] [--table kv] [--timeout-s 120]
//!   cql-load select --addr HOST:PORT[,HOST:PORT...] [--count 1000000] [--keys 1000000]
//!                   [--concurrency 256] [--value-size 100] [--table kv] [--timeout-s 120]
//!
//! Every command prints one JSON object on stdout (the result) and progress/errors on stderr;
//! the exit code is non-zero when the run did not complete (errors, misses, a timeout: its JSON
//! still says how far it got). RUST_LOG (default `warn`) sets the driver's log level on stderr.
//!
//! The driver runs with its defaults (token-aware routing over every node it discovers through
//! system.local / system.peers, one connection per node, consistency LOCAL_QUORUM); `--addr`
//! gives the contact points. Both commands connect and prepare their statement before the clock
//! starts.
//!
//! insert: creates keyspace `bench` (SimpleStrategy, replication_factor 1) and table
//!   `bench.<table> (k bigint PRIMARY KEY, v blob)` if missing, prepares
//!   `INSERT INTO bench.<table> (k, v) VALUES (?, ?)` and runs `count` inserts with
//!   `concurrency` requests in flight (that many worker tasks). Insert i writes key
//!   (i * M) mod keys, M coprime to keys: distinct keys spread over 0..keys while
//!   count <= keys, every key once when count == keys. The value is `value-size` bytes: the
//!   key (8 bytes, little endian) then filler.
//! select: prepares `SELECT v FROM bench.<table> WHERE k = ?` and runs `count` point selects of
//!   random keys in 0..keys, same concurrency. Every key is expected to be there (run it after
//!   an insert of `keys` rows): a select without a row counts as a miss, a row whose value is
//!   not the one insert wrote as a mismatch.
//!
//! Latency: per request, from the call into the driver to its answer (µs); percentiles over
//! every request of the run. ops_per_s counts successful requests over the run's wall clock.
//! by_node: requests per coordinator (the node that answered), as the driver routed them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;

type Args = HashMap<String, String>;

fn parse(argv: &[String]) -> Result<Args, String> {
    let mut out = HashMap::new();
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        let Some(k) = a.strip_prefix("--") else {
            return Err(format!("unexpected argument {a}"));
        };
        if let Some((k, v)) = k.split_once('=') {
            out.insert(k.to_string(), v.to_string());
        } else {
            let v = it.next().ok_or_else(|| format!("--{k} needs a value"))?;
            out.insert(k.to_string(), v.clone());
        }
    }
    Ok(out)
}

fn get<T: std::str::FromStr>(a: &Args, k: &str, default: Option<T>) -> Result<T, String> {
    match a.get(k) {
        Some(v) => v.parse().map_err(|_| format!("--{k}: bad value {v:?}")),
        None => default.ok_or_else(|| format!("--{k} is required")),
    }
}

fn log(msg: &str) {
    eprintln!("cql-load: {msg}");
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A multiplier coprime to `keys`, near keys * 0.618: consecutive inserts land far apart.
fn spread_multiplier(keys: u64) -> u64 {
    if keys <= 2 {
        return 1;
    }
    let mut m = ((keys as f64) * 0.618_033_988_75) as u64 | 1;
    while gcd(m, keys) != 1 {
        m += 2;
    }
    m
}

/// The value insert writes for `key`: the key (little endian) then filler.
fn value_for(key: i64, size: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let k = key.to_le_bytes();
    let n = size.min(8);
    v[..n].copy_from_slice(&k[..n]);
    v
}

struct Settings {
    addrs: Vec<String>,
    count: u64,
    keys: u64,
    concurrency: usize,
    value_size: usize,
    table: String,
    timeout: Duration,
}

fn settings(a: &Args) -> Result<Settings, String> {
    let addr: String = get(a, "addr", None)?;
    let addrs: Vec<String> = addr.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    if addrs.is_empty() {
        return Err("--addr: no address".into());
    }
    let s = Settings {
        addrs,
        count: get(a, "count", Some(1_000_000))?,
        keys: get(a, "keys", Some(1_000_000))?,
        concurrency: get(a, "concurrency", Some(256))?,
        value_size: get(a, "value-size", Some(100))?,
        table: get(a, "table", Some("kv".to_string()))?,
        timeout: Duration::from_secs(get(a, "timeout-s", Some(120))?),
    };
    if s.keys == 0 || s.concurrency == 0 {
        return Err("--keys and --concurrency must be positive".into());
    }
    if !s.table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("--table: bad name {:?}", s.table));
    }
    Ok(s)
}

async fn connect(s: &Settings) -> Result<Session, String> {
    let t0 = Instant::now();
    let session = SessionBuilder::new()
        .known_nodes(&s.addrs)
        .build()
        .await
        .map_err(|e| format!("connecting to {}: {e}", s.addrs.join(",")))?;
    let state = session.get_cluster_state();
    let nodes: Vec<String> = state
        .get_nodes_info()
        .iter()
        .map(|n| {
            format!(
                "{} (host_id {}, dc {}, connected {})",
                n.address,
                n.host_id,
                n.datacenter.as_deref().unwrap_or("?"),
                n.is_connected()
            )
        })
        .collect();
    log(&format!(
        "connected in {:.2}s; the driver knows {} node(s): {}",
        t0.elapsed().as_secs_f64(),
        nodes.len(),
        nodes.join("; ")
    ));
    Ok(session)
}

fn describe_prepared(p: &PreparedStatement) {
    log(&format!(
        "prepared {:?}: token aware {}, partitioner {:?}",
        p.get_statement(),
        p.is_token_aware(),
        p.get_partitioner_name()
    ));
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Insert,
    Select,
}

#[derive(Default)]
struct WorkerOut {
    lat_us: Vec<u32>,
    ok: u64,
    errors: u64,
    misses: u64,
    mismatches: u64,
    first_error: Option<String>,
    by_node: HashMap<SocketAddr, u64>,
}

/// xorshift64*: random keys without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

async fn worker(
    op: Op,
    id: usize,
    session: Arc<Session>,
    stmt: Arc<PreparedStatement>,
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    count: u64,
    keys: u64,
    mult: u64,
    value_size: usize,
    deadline: Instant,
) -> WorkerOut {
    let mut out = WorkerOut {
        lat_us: Vec::with_capacity((count as usize / 256).max(16)),
        ..Default::default()
    };
    let seed = 0x9e37_79b9_7f4a_7c15u64 ^ ((id as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
    let mut rng = Rng(seed | 1);
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count {
            break;
        }
        if i % 1024 == 0 && Instant::now() > deadline {
            stop.store(true, Ordering::Relaxed);
            break;
        }
        let key = match op {
            Op::Insert => ((i as u128 * mult as u128) % keys as u128) as i64,
            Op::Select => (rng.next() % keys) as i64,
        };
        let t0 = Instant::now();
        let res = match op {
            Op::Insert => session.execute_unpaged(&stmt, (key, value_for(key, value_size))).await,
            Op::Select => session.execute_unpaged(&stmt, (key,)).await,
        };
        let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
        match res {
            Ok(r) => {
                out.lat_us.push(us);
                *out.by_node.entry(r.request_coordinator().connection_address()).or_default() += 1;
                if op == Op::Select {
                    match r.into_rows_result() {
                        Ok(rows) => match rows.maybe_first_row::<(Vec<u8>,)>() {
                            Ok(Some((v,))) => {
                                out.ok += 1;
                                if v != value_for(key, value_size) {
                                    out.mismatches += 1;
                                }
                            }
                            Ok(None) => {
                                out.ok += 1;
                                out.misses += 1;
                            }
                            Err(e) => {
                                out.errors += 1;
                                out.first_error.get_or_insert_with(|| format!("row of key {key}: {e}"));
                            }
                        },
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert_with(|| format!("result of key {key}: {e}"));
                        }
                    }
                } else {
                    out.ok += 1;
                }
            }
            Err(e) => {
                out.errors += 1;
                if out.first_error.is_none() {
                    let msg = format!("key {key}: {e}");
                    log(&format!("worker {id}: first error: {msg}"));
                    out.first_error = Some(msg);
                }
            }
        }
    }
    out
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "null".into()
    }
}

async fn run(op: Op, a: &Args) -> Result<bool, String> {
    let s = settings(a)?;
    let session = Arc::new(connect(&s).await?);
    let table = format!("bench.{}", s.table);
    let stmt = match op {
        Op::Insert => {
            session
                .query_unpaged(
                    "CREATE KEYSPACE IF NOT EXISTS bench WITH replication = \
                     {'class': 'SimpleStrategy', 'replication_factor': 1}",
                    &[],
                )
                .await
                .map_err(|e| format!("CREATE KEYSPACE: {e}"))?;
            session
                .query_unpaged(
                    format!("CREATE TABLE IF NOT EXISTS {table} (k bigint PRIMARY KEY, v blob)"),
                    &[],
                )
                .await
                .map_err(|e| format!("CREATE TABLE: {e}"))?;
            session
                .prepare(format!("INSERT INTO {table} (k, v) VALUES (?, ?)"))
                .await
                .map_err(|e| format!("prepare INSERT: {e}"))?
        }
        Op::Select => session
            .prepare(format!("SELECT v FROM {table} WHERE k = ?"))
            .await
            .map_err(|e| format!("prepare SELECT: {e}"))?,
    };
    describe_prepared(&stmt);
    let stmt = Arc::new(stmt);
    let mult = if op == Op::Insert { spread_multiplier(s.keys) } else { 1 };
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let deadline = start + s.timeout;
    let tasks: Vec<_> = (0..s.concurrency)
        .map(|id| {
            tokio::spawn(worker(
                op,
                id,
                session.clone(),
                stmt.clone(),
                next.clone(),
                stop.clone(),
                s.count,
                s.keys,
                mult,
                s.value_size,
                deadline,
            ))
        })
        .collect();
    let mut total = WorkerOut::default();
    for t in tasks {
        let w = t.await.map_err(|e| format!("worker task: {e}"))?;
        total.lat_us.extend_from_slice(&w.lat_us);
        total.ok += w.ok;
        total.errors += w.errors;
        total.misses += w.misses;
        total.mismatches += w.mismatches;
        if total.first_error.is_none() {
            total.first_error = w.first_error;
        }
        for (k, v) in w.by_node {
            *total.by_node.entry(k).or_default() += v;
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let timed_out = stop.load(Ordering::Relaxed);
    let mut lat = total.lat_us;
    lat.sort_unstable();
    let mean = if lat.is_empty() {
        f64::NAN
    } else {
        lat.iter().map(|&x| x as f64).sum::<f64>() / lat.len() as f64
    };
    let mut by_node: Vec<_> = total.by_node.into_iter().collect();
    by_node.sort();
    let by_node = by_node
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_str(&k.to_string())))
        .collect::<Vec<_>>()
        .join(",");
    let name = if op == Op::Insert { "insert" } else { "select" };
    println!(
        "{{\"op\":\"{name}\",\"count\":{},\"ok\":{},\"errors\":{},\"misses\":{},\"mismatches\":{},\
         \"keys\":{},\"concurrency\":{},\"value_size\":{},\"table\":{},\"secs\":{secs:.6},\
         \"ops_per_s\":{:.1},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p999_us\":{},\
         \"max_us\":{},\"mean_us\":{},\"timed_out\":{timed_out},\"by_node\":{{{by_node}}},\
         \"error\":{}}}",
        s.count,
        total.ok,
        total.errors,
        total.misses,
        total.mismatches,
        s.keys,
        s.concurrency,
        s.value_size,
        json_str(&table),
        total.ok as f64 / secs,
        num(pct(&lat, 50.0)),
        num(pct(&lat, 90.0)),
        num(pct(&lat, 99.0)),
        num(pct(&lat, 99.9)),
        num(lat.last().map(|&x| x as f64).unwrap_or(f64::NAN)),
        num(mean),
        total.first_error.as_deref().map(json_str).unwrap_or_else(|| "null".into()),
    );
    if total.errors > 0 {
        log(&format!(
            "{} requests failed, first: {}",
            total.errors,
            total.first_error.as_deref().unwrap_or("?")
        ));
    }
    if total.misses > 0 || total.mismatches > 0 {
        log(&format!("{} selects found no row, {} a wrong value", total.misses, total.mismatches));
    }
    Ok(total.ok == s.count && total.errors == 0 && total.misses == 0 && total.mismatches == 0
        && !timed_out)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: cql-load insert|select --addr HOST:PORT[,...] [--count N] [--keys N] \
                 [--concurrency 256] [--value-size 100] [--table kv] [--timeout-s 120]";
    let Some(cmd) = argv.first().cloned() else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    if cmd == "-h" || cmd == "--help" {
        println!("{usage}");
        println!("see the top of bench/cql-load/src/main.rs for the details");
        return ExitCode::SUCCESS;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let args = match parse(&argv[1..]) {
        Ok(a) => a,
        Err(e) => {
            log(&e);
            return ExitCode::from(2);
        }
    };
    let op = match cmd.as_str() {
        "insert" => Op::Insert,
        "select" => Op::Select,
        other => {
            log(&format!("unknown command {other}"));
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            log(&format!("tokio runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(op, &args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            log(&e);
            ExitCode::from(2)
        }
    }
}

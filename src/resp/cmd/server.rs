//! Server commands: COMMAND, INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, TIME, SAVE, BGSAVE, LASTSAVE,
//! SHUTDOWN.

use std::sync::atomic::Ordering;

use super::connection::REDIS_VERSION;
use super::{table, unknown_subcommand, wrong_arity, Action, Ctx, Spec, R, WR};
use crate::command::keys::{Command, Query};
use crate::command::{CommandError, Response};
use crate::config::Fsync;
use crate::resp::parse::Args;
use crate::resp::replica::Handshake;
use crate::resp::session::{Server, Session};
use crate::shared::glob::glob_match;
use crate::shared::limits::DATABASES;

/// `COMMAND`, `COMMAND COUNT`, `COMMAND INFO [name ...]`, `COMMAND DOCS [name ...]`,
/// `COMMAND LIST`
fn command(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    if a.is_empty() {
        return Ok(Action::Reply(Response::Array(
            table().iter().map(info_entry).collect(),
        )));
    }
    let sub = a.next_bytes()?;
    let names: Vec<String> = a
        .rest()
        .iter()
        .map(|n| String::from_utf8_lossy(n).to_ascii_lowercase())
        .collect();
    let find = |n: &str| table().iter().find(|s| s.name == n);
    let reply = match String::from_utf8_lossy(&sub).to_ascii_lowercase().as_str() {
        "count" => Response::Int(table().len() as i64),
        "list" => Response::Array(table().iter().map(|s| Response::bulk(s.name)).collect()),
        "info" if names.is_empty() => Response::Array(table().iter().map(info_entry).collect()),
        "info" => Response::Array(
            names
                .iter()
                .map(|n| find(n).map_or(Response::Nil, info_entry))
                .collect(),
        ),
        "docs" => {
            let specs: Vec<&Spec> = if names.is_empty() {
                table().iter().collect()
            } else {
                names.iter().filter_map(|n| find(n)).collect()
            };
            Response::Map(
                specs
                    .into_iter()
                    .map(|s| (Response::bulk(s.name), docs_entry(s)))
                    .collect(),
            )
        }
        _ => return Err(unknown_subcommand(&sub, "command")),
    };
    Ok(Action::Reply(reply))
}

/// One `COMMAND INFO` entry: name, arity, flags, first key, last key, step, ACL categories,
/// tips, key specs, subcommands.
fn info_entry(s: &Spec) -> Response {
    Response::Array(vec![
        Response::bulk(s.name),
        Response::Int(i64::from(s.arity)),
        Response::Set(s.flags.iter().map(|f| Response::Status(f)).collect()),
        Response::Int(i64::from(s.keys.0)),
        Response::Int(i64::from(s.keys.1)),
        Response::Int(i64::from(s.keys.2)),
        Response::Set(vec![Response::Text(format!("@{}", s.group))]),
        Response::Array(Vec::new()),
        Response::Array(Vec::new()),
        Response::Array(Vec::new()),
    ])
}

fn docs_entry(s: &Spec) -> Response {
    Response::Map(vec![
        (Response::bulk("summary"), Response::bulk(s.summary)),
        (Response::bulk("since"), Response::bulk("1.0.0")),
        (Response::bulk("group"), Response::bulk(s.group)),
    ])
}

/// `INFO [section ...]`
fn info(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sections: Vec<String> = a
        .rest()
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    Ok(Action::Session(Box::new(
        move |s: &mut Session, server: &Server| Response::Verbatim(info_text(s, server, &sections)),
    )))
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}G", b / 1024.0 / 1024.0 / 1024.0)
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.2}M", b / 1024.0 / 1024.0)
    } else {
        format!("{:.2}K", b / 1024.0)
    }
}

/// INFO replication as Redis words it: the leader is the master, the other members replicas.
fn replication_fields(node: &crate::node::Node) -> Vec<(&'static str, String)> {
    let s = node.cluster_status();
    let offset = s.applied_index.to_string();
    let mut f: Vec<(&'static str, String)> = Vec::new();
    if s.leader == Some(s.node_id) {
        f.push(("role", "master".into()));
        let replicas: Vec<_> = s.members.iter().filter(|m| m.id != s.node_id).collect();
        f.push(("connected_slaves", replicas.len().to_string()));
        for (i, m) in replicas.iter().enumerate() {
            let (ip, port) = m
                .resp_addr
                .rsplit_once(':')
                .unwrap_or((m.resp_addr.as_str(), "0"));
            let name: &'static str = match i {
                0 => "slave0",
                1 => "slave1",
                2 => "slave2",
                3 => "slave3",
                4 => "slave4",
                5 => "slave5",
                _ => continue,
            };
            f.push((
                name,
                format!(
                    "ip={ip},port={port},state=online,offset={},lag={}",
                    m.matched_index.unwrap_or(0),
                    // Redis's lag: seconds since the replica last acknowledged.
                    m.acked_ms_ago.map_or(0, |ms| ms / 1000)
                ),
            ));
        }
    } else {
        f.push(("role", "slave".into()));
        let leader = s.leader.and_then(|l| s.members.iter().find(|m| m.id == l));
        let (host, port) = leader
            .and_then(|m| m.resp_addr.rsplit_once(':'))
            .map_or(("", ""), |(h, p)| (h, p));
        f.push(("master_host", host.to_string()));
        f.push(("master_port", port.to_string()));
        f.push((
            "master_link_status",
            if leader.is_some() { "up" } else { "down" }.into(),
        ));
        f.push(("master_last_io_seconds_ago", "0".into()));
        f.push(("master_sync_in_progress", "0".into()));
        f.push(("slave_repl_offset", offset.clone()));
        f.push(("slave_read_only", "1".into()));
        f.push(("connected_slaves", "0".into()));
    }
    f.push(("master_replid", format!("{:040x}", s.term)));
    f.push(("master_repl_offset", offset));
    f
}

fn info_text(_: &Session, server: &Server, sections: &[String]) -> String {
    let node = &server.node;
    let stats = &node.stats;
    let all = sections.is_empty()
        || sections
            .iter()
            .any(|s| s == "all" || s == "everything" || s == "default");
    let want = |name: &str| all || sections.iter().any(|s| s == name);
    let mut out = String::new();
    let mut section = |name: &str, fields: Vec<(&str, String)>| {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        out.push_str(&format!("# {name}\r\n"));
        for (k, v) in fields {
            out.push_str(&format!("{k}:{v}\r\n"));
        }
    };
    let uptime = node.uptime().as_secs();
    if want("server") {
        section(
            "Server",
            vec![
                ("redis_version", REDIS_VERSION.into()),
                ("trident_version", env!("CARGO_PKG_VERSION").into()),
                ("redis_mode", "standalone".into()),
                ("os", std::env::consts::OS.into()),
                ("arch_bits", "64".into()),
                ("multiplexing_api", "epoll".into()),
                ("process_id", std::process::id().to_string()),
                ("tcp_port", node.config.resp.addr.port().to_string()),
                ("uptime_in_seconds", uptime.to_string()),
                ("uptime_in_days", (uptime / 86400).to_string()),
                (
                    "executable",
                    std::env::current_exe()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                ),
            ],
        );
    }
    if want("clients") {
        section(
            "Clients",
            vec![
                ("connected_clients", server.clients.len().to_string()),
                (
                    "blocked_clients",
                    node.blocking.blocked_clients().to_string(),
                ),
                ("maxclients", node.config.resp.max_clients.to_string()),
            ],
        );
    }
    if want("memory") {
        let rss = crate::resp::session::used_memory();
        section(
            "Memory",
            vec![
                ("used_memory", rss.to_string()),
                ("used_memory_human", human(rss)),
                ("used_memory_rss", rss.to_string()),
                ("used_memory_rss_human", human(rss)),
                (
                    "maxmemory",
                    server.maxmemory.load(Ordering::Relaxed).to_string(),
                ),
                ("maxmemory_human", "0B".into()),
                ("maxmemory_policy", "noeviction".into()),
                ("mem_allocator", "libc".into()),
            ],
        );
    }
    if want("persistence") {
        section(
            "Persistence",
            vec![
                ("loading", "0".into()),
                (
                    "rdb_changes_since_last_save",
                    stats.changes_since_save.load(Ordering::Relaxed).to_string(),
                ),
                ("rdb_bgsave_in_progress", "0".into()),
                (
                    "rdb_last_save_time",
                    stats.last_save_unix.load(Ordering::Relaxed).to_string(),
                ),
                ("rdb_last_bgsave_status", "ok".into()),
                ("aof_enabled", "1".into()),
                ("aof_rewrite_in_progress", "0".into()),
                ("aof_last_write_status", "ok".into()),
                (
                    "trident_fsync",
                    format!("{:?}", node.config.storage.fsync).to_ascii_lowercase(),
                ),
                ("trident_disk_bytes", node.disk_space().to_string()),
            ],
        );
    }
    if want("stats") {
        section(
            "Stats",
            vec![
                (
                    "total_connections_received",
                    stats
                        .connections_received
                        .load(Ordering::Relaxed)
                        .to_string(),
                ),
                (
                    "total_commands_processed",
                    stats.commands_processed.load(Ordering::Relaxed).to_string(),
                ),
                ("instantaneous_ops_per_sec", "0".into()),
                (
                    "rejected_connections",
                    stats
                        .rejected_connections
                        .load(Ordering::Relaxed)
                        .to_string(),
                ),
                ("expired_keys", node.expired_keys().to_string()),
                ("evicted_keys", "0".into()),
                ("keyspace_hits", "0".into()),
                ("keyspace_misses", "0".into()),
            ],
        );
    }
    if want("replication") {
        section("Replication", replication_fields(node));
    }
    if want("keyspace") {
        let mut fields = Vec::new();
        let names: Vec<String> = (0..DATABASES).map(|d| format!("db{d}")).collect();
        for (db, name) in names.iter().enumerate() {
            let (keys, expires) = node.key_counts(db as u8);
            if keys > 0 {
                fields.push((
                    name.as_str(),
                    format!("keys={keys},expires={expires},avg_ttl=0"),
                ));
            }
        }
        section("Keyspace", fields);
    }
    out
}

/// `CONFIG GET parameter [parameter ...]`, `CONFIG SET parameter value [...]`, `CONFIG RESETSTAT`
fn config(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    let name = String::from_utf8_lossy(&sub).to_ascii_lowercase();
    match name.as_str() {
        "get" => {
            if a.is_empty() {
                return Err(wrong_arity("config|get"));
            }
            let patterns: Vec<_> = a.rest();
            Ok(Action::Session(Box::new(move |_, server: &Server| {
                let config = server.config.read();
                let mut pairs = Vec::new();
                for (k, v) in config.iter() {
                    if patterns
                        .iter()
                        .any(|p| glob_match(&p.to_ascii_lowercase(), k.as_bytes()))
                    {
                        pairs.push((Response::bulk(k.clone()), Response::bulk(v.clone())));
                    }
                }
                Response::Map(pairs)
            })))
        }
        "set" => {
            if a.is_empty() || !a.remaining().is_multiple_of(2) {
                return Err(wrong_arity("config|set"));
            }
            let mut pairs = Vec::new();
            while !a.is_empty() {
                pairs.push((a.next_string()?.to_ascii_lowercase(), a.next_string()?));
            }
            Ok(Action::Session(Box::new(move |_, server: &Server| {
                let mut config = server.config.write();
                for (k, v) in &pairs {
                    let Some(current) = config.get(k) else {
                        return Response::error(format!(
                            "ERR Unknown option or number of arguments for CONFIG SET - '{k}'"
                        ));
                    };
                    if let Err(why) = check_config_value(k, current, v) {
                        return Response::error(format!(
                            "ERR CONFIG SET failed (possibly related to argument '{k}') - {why}"
                        ));
                    }
                }
                for (k, v) in pairs {
                    if k == "appendfsync" {
                        server.node.set_fsync(match v.as_str() {
                            "always" => Fsync::Always,
                            "no" => Fsync::Never,
                            _ => Fsync::Everysec,
                        });
                    }
                    if let Some(which) = k
                        .strip_prefix("min-replicas-")
                        .or_else(|| k.strip_prefix("min-slaves-"))
                    {
                        let n = v.parse::<u64>().unwrap_or(0);
                        match which {
                            "to-write" => server.min_replicas.store(n, Ordering::Relaxed),
                            _ => server.min_replicas_max_lag.store(n, Ordering::Relaxed),
                        }
                    }
                    if k == "maxmemory" {
                        let bytes = parse_memory(&v.to_ascii_lowercase()).unwrap_or(0);
                        server
                            .maxmemory
                            .store(bytes.max(0) as u64, Ordering::Relaxed);
                    }
                    if let Some(alias) = Server::config_alias(&k) {
                        config.insert(alias, v.clone());
                    }
                    config.insert(k, v);
                }
                Response::Ok
            })))
        }
        "resetstat" => {
            if !a.is_empty() {
                return Err(wrong_arity("config|resetstat"));
            }
            Ok(Action::Session(Box::new(|_, server: &Server| {
                let stats = &server.node.stats;
                stats.commands_processed.store(0, Ordering::Relaxed);
                stats.connections_received.store(0, Ordering::Relaxed);
                stats.rejected_connections.store(0, Ordering::Relaxed);
                server.node.reset_expired_keys();
                Response::Ok
            })))
        }
        "rewrite" => Ok(Action::Reply(Response::error(
            "ERR The server is running without a config file",
        ))),
        _ => Err(unknown_subcommand(&sub, "config")),
    }
}

/// Refuses a CONFIG SET value of the wrong shape, judged by the parameter's kind.
fn check_config_value(name: &str, current: &str, value: &str) -> Result<(), String> {
    let v = value.to_ascii_lowercase();
    match name {
        "appendfsync" if !matches!(v.as_str(), "always" | "everysec" | "no") => {
            Err("argument(s) must be one of the following: always, everysec, no".into())
        }
        "maxmemory-policy"
            if !matches!(
                v.as_str(),
                "noeviction" | "allkeys-lru" | "volatile-lru" | "allkeys-lfu" | "volatile-lfu"
                    | "allkeys-random" | "volatile-random" | "volatile-ttl"
            ) =>
        {
            Err("argument(s) must be one of the following: volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction".into())
        }
        _ if matches!(current, "yes" | "no") && !matches!(v.as_str(), "yes" | "no") => {
            Err("argument must be 'yes' or 'no'".into())
        }
        _ if current.parse::<i64>().is_ok() && parse_memory(&v).is_none() => {
            Err("argument couldn't be parsed into an integer".into())
        }
        _ => Ok(()),
    }
}

/// An integer with Redis's optional memory unit (`100mb`, `1gb`).
fn parse_memory(v: &str) -> Option<i64> {
    let (digits, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => v.split_at(i),
        None => (v, ""),
    };
    let n: i64 = digits.parse().ok()?;
    let mul = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// `DBSIZE`
fn dbsize(_: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::read(Query::DbSize { db: c.db }))
}

/// The optional `ASYNC|SYNC` of FLUSHDB and FLUSHALL; both flush at once here.
fn flush_mode(a: &mut Args) -> Result<(), CommandError> {
    if !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "ASYNC" | "SYNC" => {}
            _ => return Err(CommandError::Syntax),
        }
    }
    a.finish()
}

/// `FLUSHDB [ASYNC|SYNC]`
fn flushdb(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    flush_mode(a)?;
    Ok(Action::write(Command::FlushDb { db: c.db }))
}

/// `FLUSHALL [ASYNC|SYNC]`
fn flushall(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    flush_mode(a)?;
    Ok(Action::write(Command::FlushAll))
}

/// `TIME`
fn time(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Action::Reply(Response::Array(vec![
        Response::bulk(now.as_secs().to_string()),
        Response::bulk(now.subsec_micros().to_string()),
    ])))
}

/// `SAVE`: everything acknowledged is made durable (the store is always the snapshot).
fn save(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Save(Response::Ok))
}

/// `BGSAVE [SCHEDULE]`
fn bgsave(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Save(Response::Status("Background saving started")))
}

/// `LASTSAVE`
fn lastsave(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Session(Box::new(|_, server: &Server| {
        Response::Int(server.node.stats.last_save_unix.load(Ordering::Relaxed))
    })))
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: syncs and stops; the client gets no reply.
fn shutdown(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    for opt in a.rest() {
        let opt = String::from_utf8_lossy(&opt).to_ascii_uppercase();
        match opt.as_str() {
            "NOSAVE" | "SAVE" | "NOW" | "FORCE" => {}
            "ABORT" => {
                return Ok(Action::Reply(Response::error(
                    "ERR No shutdown in progress.",
                )))
            }
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Action::Session(Box::new(
        |s: &mut Session, server: &Server| {
            s.closing = true;
            s.silent = true;
            server.node.request_shutdown();
            Response::Ok
        },
    )))
}

/// DEBUG's refusal of a subcommand it does not know, or of one given the wrong arguments, in
/// Redis's words (which differ from the other containers' `unknown subcommand`).
fn unknown_debug(sub: &[u8]) -> CommandError {
    CommandError::Other(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(sub)
    ))
}

/// Reads digests (the engine answers them as bulk hex) and replies with them as status lines,
/// as Redis's DEBUG DIGEST does.
fn digest_action(q: Query) -> Action {
    fn status(r: Response) -> Response {
        match r {
            Response::Bulk(b) => Response::Text(String::from_utf8_lossy(&b).into_owned()),
            Response::Array(items) => Response::Array(items.into_iter().map(status).collect()),
            other => other,
        }
    }
    Action::Async(Box::new(move |node: std::sync::Arc<crate::node::Node>| {
        Box::pin(async move { status(node.query(&q.into(), false).await) })
    }))
}

/// `DEBUG LOG msg|SLEEP secs|SET-ACTIVE-EXPIRE 0|1|RELOAD|DIGEST|DIGEST-VALUE key...|HELP`: the
/// subcommands with a
/// truthful answer here. Encoding internals (OBJECT, QUICKLIST-PACKED-THRESHOLD, ...) have none:
/// trident has one representation per type.
fn debug(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    let name = String::from_utf8_lossy(&sub).to_ascii_lowercase();
    let arity = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(wrong_arity(&format!("debug|{name}")))
        }
    };
    match name.as_str() {
        "log" => {
            arity(a.remaining() == 1)?;
            let msg = a.next_string()?;
            tracing::info!(target: "debug_log", "DEBUG LOG: {msg}");
            Ok(Action::Reply(Response::Ok))
        }
        "sleep" => {
            arity(a.remaining() == 1)?;
            let secs = crate::shared::number::parse_float(&a.next_bytes()?)
                .filter(|s| s.is_finite())
                .ok_or(CommandError::NotFloat)?;
            // Only this connection sleeps: there is no single event loop to hold up.
            let pause = std::time::Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or_default();
            Ok(Action::Async(Box::new(move |_| {
                Box::pin(async move {
                    tokio::time::sleep(pause).await;
                    Response::Ok
                })
            })))
        }
        "set-active-expire" => {
            arity(a.remaining() == 1)?;
            let on = a.next_int()? != 0;
            Ok(Action::Session(Box::new(move |_, server: &Server| {
                server.node.set_active_expire(on);
                Response::Ok
            })))
        }
        "digest" => {
            if !a.is_empty() {
                return Err(unknown_debug(&sub));
            }
            Ok(digest_action(Query::Digest {
                db: c.db,
                keys: None,
            }))
        }
        "digest-value" => Ok(digest_action(Query::Digest {
            db: c.db,
            keys: Some(a.rest_keys()?),
        })),
        // The store is the snapshot: reloading it yields what is there, once made durable.
        "reload" => Ok(Action::Save(Response::Ok)),
        "help" => Ok(Action::Reply(Response::Array(
            [
                "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "LOG <message>",
                "SLEEP <seconds>",
                "SET-ACTIVE-EXPIRE <0|1>",
                "RELOAD",
                "DIGEST",
                "DIGEST-VALUE <key> [<key> ...]",
                "HELP",
            ]
            .into_iter()
            .map(Response::Status)
            .collect(),
        ))),
        _ => Err(unknown_debug(&sub)),
    }
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`, `FUNCTION LIST`: trident runs no functions, so there are none
/// to list or flush.
fn function(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    match String::from_utf8_lossy(&sub).to_ascii_lowercase().as_str() {
        "flush" => {
            flush_mode(a)?;
            Ok(Action::Reply(Response::Ok))
        }
        "list" => Ok(Action::Reply(Response::Array(Vec::new()))),
        _ => Err(unknown_subcommand(&sub, "function")),
    }
}

/// `MEMORY USAGE key [SAMPLES count]`
fn memory(a: &mut Args, c: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    match String::from_utf8_lossy(&sub).to_ascii_lowercase().as_str() {
        "usage" => {
            if a.is_empty() {
                return Err(wrong_arity("memory|usage"));
            }
            let key = a.next_key()?;
            // Redis's default: five sampled elements.
            let mut samples = 5;
            while !a.is_empty() {
                match a.next_keyword()?.as_str() {
                    "SAMPLES" => {
                        let n = a.next_int()?;
                        if n < 0 {
                            return Err(CommandError::Syntax);
                        }
                        samples = n as u64;
                    }
                    _ => return Err(CommandError::Syntax),
                }
            }
            Ok(Action::read(Query::MemoryUsage {
                db: c.db,
                key,
                samples,
            }))
        }
        _ => Err(unknown_subcommand(&sub, "memory")),
    }
}

const ADMIN: &[&str] = &["admin", "noscript"];

/// `SYNC`: an RDB file of the data set, then the stream of changes (see `resp::replica`).
fn sync(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Replicate(Handshake::Sync))
}

/// `PSYNC replicationid offset`: always a full resynchronisation.
fn psync(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    a.next_bytes()?;
    a.next_bytes()?;
    a.finish()?;
    Ok(Action::Replicate(Handshake::Psync))
}

/// `REPLICAOF host port` / `REPLICAOF NO ONE` (and `SLAVEOF`). A trident node is always a
/// master to Redis replicas, and replicates with its own kind only through Raft: so NO ONE
/// holds already, and following a Redis master is refused when it runs (inside MULTI, at EXEC).
fn replicaof(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let host = a.next_string()?;
    let port = a.next_string()?;
    a.finish()?;
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(Action::Reply(Response::Ok));
    }
    if port.parse::<u16>().is_err() {
        return Err(CommandError::Other("ERR Invalid master port".into()));
    }
    Ok(Action::Reply(Response::error(
        "ERR trident cannot follow a Redis master: its nodes replicate through Raft (start a node with --join to add it to a cluster)",
    )))
}

/// `REPLCONF option value ...`: what a replica tells about itself before PSYNC (its port, its
/// capabilities). Nothing of it changes what it gets.
fn replconf(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    if !a.remaining().is_multiple_of(2) {
        return Err(CommandError::Syntax);
    }
    Ok(Action::Reply(Response::Ok))
}

pub const COMMANDS: &[Spec] = specs!["server";
    ("command", -1, &["loading", "stale"], (0, 0, 0), "Returns detailed information about all commands.", command),
    ("info", -1, &["loading", "stale"], (0, 0, 0), "Returns information and statistics about the server.", info),
    ("config", -2, ADMIN, (0, 0, 0), "A container for server configuration commands.", config),
    ("dbsize", 1, R, (0, 0, 0), "Returns the number of keys in the database.", dbsize),
    ("flushdb", -1, WR, (0, 0, 0), "Remove all keys from the current database.", flushdb),
    ("flushall", -1, WR, (0, 0, 0), "Removes all keys from all databases.", flushall),
    ("time", 1, &["loading", "stale", "fast"], (0, 0, 0), "Returns the server time.", time),
    ("save", 1, ADMIN, (0, 0, 0), "Synchronously saves the database(s) to disk.", save),
    ("bgsave", -1, ADMIN, (0, 0, 0), "Asynchronously saves the database(s) to disk.", bgsave),
    ("lastsave", 1, &["loading", "stale", "fast"], (0, 0, 0), "Returns the Unix timestamp of the last successful save to disk.", lastsave),
    ("debug", -2, ADMIN, (0, 0, 0), "A container for debugging commands.", debug),
    ("memory", -2, R, (0, 0, 0), "A container for memory diagnostics commands.", memory),
    ("function", -2, &["noscript"], (0, 0, 0), "A container for function commands.", function),
    ("sync", 1, &["admin", "noscript", "no_multi"], (0, 0, 0), "An internal command used in replication.", sync),
    ("psync", 3, &["admin", "noscript", "no_multi"], (0, 0, 0), "An internal command used in replication.", psync),
    ("replicaof", 3, &["admin", "noscript", "stale"], (0, 0, 0), "Configures a server as replica of another, or promotes it to a master.", replicaof),
    ("slaveof", 3, &["admin", "noscript", "stale"], (0, 0, 0), "Sets a Redis server as a replica of another, or promotes it to being a master.", replicaof),
    ("replconf", -1, &["admin", "noscript", "loading", "stale", "allow_busy"], (0, 0, 0), "An internal command for configuring the replication stream.", replconf),
    ("shutdown", -1, ADMIN, (0, 0, 0), "Synchronously saves the database(s) to disk and shuts down the Redis server.", shutdown),
];

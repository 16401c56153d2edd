//! Lua scripts (EVAL, EVALSHA, SCRIPT): Redis's scripting, on Lua 5.1 as Redis embeds it.
//!
//! A script runs on the node it was sent to, in a blocking thread, against a speculation of the
//! engine (see `engine::speculation`): each `redis.call` is parsed by the same command table as
//! the wire and applied to a view with the script's own writes over it. When the script returns,
//! its writes go through the write path as one `Exec` that watches every key it touched, so
//! every replica applies all of them at one place in the log or none; if a watched key changed
//! meanwhile the script runs again on the newer state. Replicas never run Lua: what they apply
//! is the script's effects, as Redis 7 replicates them. Scripts of one node run one at a time,
//! as in Redis, so they conflict only with plain writes and with scripts on other nodes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use mlua::{HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Value, VmState};
use parking_lot::Mutex;
use redis_protocol::resp2::decode::decode_bytes;
use redis_protocol::resp2::types::BytesFrame;

use super::cmd::{self, Action, Ctx, Stepped};
use super::parse::Args;
use crate::command::{Command, Db, Exec, Response, Step};
use crate::node::Node;
use crate::node::Speculation;

/// Runs of one script before a stream of conflicting writes is reported instead of retried.
const MAX_ATTEMPTS: usize = 64;
/// Lua instructions between checks for SCRIPT KILL and the busy threshold.
const HOOK_EVERY: u32 = 10_000;
/// Most bytes of script bodies the cache keeps (SCRIPT LOAD and EVAL add to it).
const MAX_CACHED_BYTES: usize = 64 << 20;

pub const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/// The node's scripts: the body cache by SHA1, and the state of the script running now.
#[derive(Default)]
pub struct Scripts {
    bodies: Mutex<HashMap<String, Bytes>>,
    cached_bytes: AtomicU64,
    /// One script at a time, as in Redis.
    serial: tokio::sync::Mutex<()>,
    running: AtomicBool,
    /// Set once the running script passed `busy-reply-threshold`: other clients get BUSY.
    busy: AtomicBool,
    kill: AtomicBool,
}

/// What EVAL and its kin ask for.
pub struct Call {
    pub script: Source,
    pub keys: Vec<Bytes>,
    pub args: Vec<Bytes>,
    /// EVAL_RO / EVALSHA_RO: writes are refused.
    pub read_only: bool,
}

pub enum Source {
    Body(Bytes),
    Sha(String),
}

pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

impl Scripts {
    /// Whether clients other than the script's must be told BUSY.
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// Caches a body (compiled first, so that a script that cannot compile is refused here).
    pub fn load(&self, body: Bytes) -> Result<String, Response> {
        compile_check(&body)?;
        let sha = sha1_hex(&body);
        self.remember(&sha, body);
        Ok(sha)
    }

    fn remember(&self, sha: &str, body: Bytes) {
        let mut bodies = self.bodies.lock();
        if bodies.contains_key(sha) {
            return;
        }
        let used = self.cached_bytes.load(Ordering::Relaxed) as usize;
        if used + body.len() > MAX_CACHED_BYTES {
            // A client generating scripts must not grow the cache forever; EVALSHA of a
            // dropped one answers NOSCRIPT and clients (redis-py's Script) send EVAL again.
            bodies.clear();
            self.cached_bytes.store(0, Ordering::Relaxed);
        }
        self.cached_bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        bodies.insert(sha.to_string(), body);
    }

    pub fn exists(&self, sha: &str) -> bool {
        self.bodies.lock().contains_key(&sha.to_ascii_lowercase())
    }

    pub fn flush(&self) {
        self.bodies.lock().clear();
        self.cached_bytes.store(0, Ordering::Relaxed);
    }

    /// SCRIPT KILL: the running script stops at its next check. It never wrote (its writes
    /// apply only when it returns), so it can always be killed.
    pub fn kill(&self) -> Response {
        if !self.running.load(Ordering::Relaxed) {
            return Response::error("NOTBUSY No scripts in execution right now.");
        }
        self.kill.store(true, Ordering::Relaxed);
        Response::Ok
    }
}

/// Runs a script to completion, its writes applied through the log, and answers its reply.
pub async fn eval(
    node: Arc<Node>,
    scripts: Arc<Scripts>,
    busy_after_ms: u64,
    db: Db,
    call: Call,
) -> Response {
    let (sha, body) = match call.script {
        Source::Body(body) => {
            let sha = sha1_hex(&body);
            scripts.remember(&sha, body.clone());
            (sha, body)
        }
        Source::Sha(sha) => {
            let sha = sha.to_ascii_lowercase();
            match scripts.bodies.lock().get(&sha) {
                Some(body) => (sha, body.clone()),
                None => return Response::error("NOSCRIPT No matching script. Please use EVAL."),
            }
        }
    };
    let _one_at_a_time = scripts.serial.lock().await;
    let job = Arc::new(Job {
        sha,
        body,
        keys: call.keys,
        args: call.args,
        read_only: call.read_only,
        db,
        busy_after_ms,
    });
    for _ in 0..MAX_ATTEMPTS {
        if let Err(e) = node.linearize().await {
            return Response::Error(e);
        }
        let (n, s, j) = (node.clone(), scripts.clone(), job.clone());
        let run = tokio::task::spawn_blocking(move || {
            s.running.store(true, Ordering::Relaxed);
            let out = j.run(&mut n.speculate(), &s);
            s.running.store(false, Ordering::Relaxed);
            s.busy.store(false, Ordering::Relaxed);
            s.kill.store(false, Ordering::Relaxed);
            out
        });
        let Ok(outcome) = run.await else {
            return Response::error("ERR the script's thread failed");
        };
        if outcome.writes.is_empty() {
            return outcome.reply;
        }
        let exec = Command::Exec(Exec {
            watches: outcome.touched,
            steps: outcome.writes.into_iter().map(Step::Write).collect(),
        });
        match node.execute(exec).await {
            Response::Array(_) => return outcome.reply,
            // A key the script touched changed before its writes applied: run it again.
            Response::NilArray => continue,
            other => return other,
        }
    }
    Response::error("ERR the script's keys kept changing under it; try again")
}

struct Job {
    sha: String,
    body: Bytes,
    keys: Vec<Bytes>,
    args: Vec<Bytes>,
    read_only: bool,
    db: Db,
    busy_after_ms: u64,
}

struct Outcome {
    reply: Response,
    writes: Vec<Command>,
    touched: Vec<(Db, Bytes, Option<u64>)>,
}

/// The state `redis.call` works on during one run.
struct Calls<'s, 'e> {
    spec: &'s mut Speculation<'e>,
    writes: Vec<Command>,
    db: Db,
    read_only: bool,
}

/// Lua's globals are read-only to scripts, as in Redis: a typo'd variable is an error, not a
/// new global shared by the next script.
const PROTECT_GLOBALS: &str = r#"
setmetatable(_G, {
  __newindex = function(_, name)
    error("Attempt to modify a readonly table", 2)
  end,
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
})
"#;

impl Job {
    fn run(&self, spec: &mut Speculation<'_>, scripts: &Arc<Scripts>) -> Outcome {
        let mut calls = Calls {
            spec,
            writes: Vec::new(),
            db: self.db,
            read_only: self.read_only,
        };
        let reply = self
            .run_lua(&mut calls, scripts)
            .unwrap_or_else(|failure| failure);
        let failed = matches!(reply, Response::Error(_));
        Outcome {
            reply,
            // A script that fails still applies what it wrote before failing, as in Redis.
            writes: if failed && scripts.kill.load(Ordering::Relaxed) {
                Vec::new()
            } else {
                std::mem::take(&mut calls.writes)
            },
            touched: calls.spec.touched(),
        }
    }

    fn run_lua(
        &self,
        calls: &mut Calls<'_, '_>,
        scripts: &Arc<Scripts>,
    ) -> Result<Response, Response> {
        let lua = new_lua().map_err(|e| script_error(&self.sha, &e))?;
        let started = Instant::now();
        let busy_after = self.busy_after_ms;
        let state = scripts.clone();
        lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            move |_, _| {
                if state.kill.load(Ordering::Relaxed) {
                    return Err(mlua::Error::runtime(
                        "ERR Script killed by user with SCRIPT KILL...",
                    ));
                }
                if started.elapsed().as_millis() as u64 >= busy_after {
                    state.busy.store(true, Ordering::Relaxed);
                }
                Ok(VmState::Continue)
            },
        )
        .map_err(|e| script_error(&self.sha, &e))?;
        let g = lua.globals();
        let table = |items: &[Bytes]| -> mlua::Result<mlua::Table> {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, v) in items.iter().enumerate() {
                t.raw_set(i + 1, lua.create_string(v.as_ref())?)?;
            }
            Ok(t)
        };
        let setup = || -> mlua::Result<()> {
            g.raw_set("KEYS", table(&self.keys)?)?;
            g.raw_set("ARGV", table(&self.args)?)?;
            Ok(())
        };
        setup().map_err(|e| script_error(&self.sha, &e))?;
        let f = lua
            .load(self.body.as_ref())
            .set_name("@user_script")
            .into_function()
            .map_err(|e| compile_error(&e))?;
        lua.load(PROTECT_GLOBALS)
            .exec()
            .map_err(|e| script_error(&self.sha, &e))?;
        let calls = std::cell::RefCell::new(calls);
        let result = lua.scope(|scope| {
            let redis: mlua::Table = g.raw_get("redis")?;
            let pcall = scope.create_function(|lua, args: MultiValue| {
                let r = calls.borrow_mut().call(args);
                to_lua(lua, r)
            })?;
            redis.raw_set("pcall", pcall)?;
            let run: mlua::Function = lua.load(WRAP).set_name("=wrapper").call(f)?;
            let out = run.call::<Value>(());
            redis.raw_set("pcall", Value::Nil)?;
            redis.raw_set("call", Value::Nil)?;
            out
        });
        match result {
            Ok(v) => Ok(from_lua(&v, &self.sha)),
            Err(e) => Err(script_error(&self.sha, &e)),
        }
    }
}

/// Binds `redis.call` to `redis.pcall` (an error reply is raised, as the table Redis raises) and
/// runs the script under `pcall`, so that a raised error reply becomes the script's reply.
const WRAP: &str = r#"
local f = ...
local pcall_impl = redis.pcall
rawset(redis, "call", function(...)
  local r = pcall_impl(...)
  if type(r) == "table" and r.err then
    r.from_call = true
    error(r)
  end
  return r
end)
return function()
  local ok, r = pcall(f)
  if ok then return r end
  if type(r) == "table" and r.err then return r end
  error(r, 0)
end
"#;

impl Calls<'_, '_> {
    /// One `redis.call`: parsed by the wire's command table, applied to the speculation.
    fn call(&mut self, args: MultiValue) -> Response {
        let mut argv = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
                Value::Integer(i) => argv.push(Bytes::from(i.to_string())),
                Value::Number(n) => argv.push(Bytes::from(lua_number(n))),
                _ => {
                    return Response::error(
                        "ERR Lua redis lib command arguments must be strings or integers",
                    )
                }
            }
        }
        let Some(name) = argv.first() else {
            return Response::error(
                "ERR Please specify at least one argument for this redis lib call",
            );
        };
        let Some(index) = cmd::lookup(name) else {
            return Response::error("ERR Unknown Redis command called from script");
        };
        let spec = &cmd::table()[index];
        if spec.flags.contains(&"noscript") {
            return Response::error("ERR This Redis command is not allowed from script");
        }
        if !spec.arity_ok(argv.len()) {
            return Response::error("ERR Wrong number of args calling Redis command from script");
        }
        if self.read_only && spec.is_write() {
            return Response::error("ERR Write commands are not allowed from read-only scripts.");
        }
        if spec.name == "select" {
            return self.select(&argv);
        }
        let ctx = Ctx { db: self.db };
        let action = match (spec.parse)(&mut Args::new(argv), &ctx) {
            Ok(a) => a,
            Err(e) => return Response::Error(e),
        };
        match action.into_step() {
            Stepped::Step(Step::Write(c), reshape) => match self.write(c) {
                Response::Error(e) => Response::Error(e),
                r => match reshape {
                    Some(f) => f(r),
                    None => r,
                },
            },
            Stepped::Step(Step::Read(q), _) => self.spec.query(&q),
            Stepped::Other(Action::Reply(r)) => r,
            Stepped::Other(_) => {
                Response::error("ERR This Redis command is not allowed from script")
            }
        }
    }

    fn write(&mut self, c: Command) -> Response {
        let r = self.spec.apply(&c);
        // A refused write changed nothing and would be refused again: it is not replayed.
        if !matches!(r, Response::Error(_)) {
            self.writes.push(c);
        }
        r
    }

    fn select(&mut self, argv: &[Bytes]) -> Response {
        match cmd::db_index(&argv[1]) {
            Ok(db) => {
                self.db = db;
                Response::Ok
            }
            Err(e) => Response::Error(e),
        }
    }
}

/// Lua prints numbers with `%.14g`; Redis passes them to commands that way.
fn lua_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A Lua state as Redis sets one up: the base, table, string and math libraries, and the
/// `redis` table (`call` and `pcall` are bound for each run).
fn new_lua() -> mlua::Result<Lua> {
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )?;
    let g = lua.globals();
    for unsafe_fn in [
        "dofile",
        "loadfile",
        "load",
        "loadstring",
        "require",
        "module",
    ] {
        g.raw_set(unsafe_fn, Value::Nil)?;
    }
    let redis = lua.create_table()?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, msg: mlua::LuaString| {
            let t = lua.create_table()?;
            t.raw_set("err", msg)?;
            Ok(t)
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, msg: mlua::LuaString| {
            let t = lua.create_table()?;
            t.raw_set("ok", msg)?;
            Ok(t)
        })?,
    )?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|_, s: mlua::LuaString| Ok(sha1_hex(&s.as_bytes())))?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|_, (level, msg): (i64, mlua::LuaString)| {
            tracing::info!(level, "script: {}", msg.to_string_lossy());
            Ok(())
        })?,
    )?;
    for (name, level) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
    ] {
        redis.raw_set(name, level)?;
    }
    // Effects are what replicas apply whatever a script asks: these are accepted and ignored.
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("set_repl", lua.create_function(|_, _: Value| Ok(()))?)?;
    for (name, v) in [
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        redis.raw_set(name, v)?;
    }
    // Valkey's name for the same table.
    g.raw_set("server", redis.clone())?;
    g.raw_set("redis", redis)?;
    Ok(lua)
}

fn compile_check(body: &[u8]) -> Result<(), Response> {
    let lua = new_lua().map_err(|e| Response::error(format!("ERR {e}")))?;
    lua.load(body)
        .set_name("@user_script")
        .into_function()
        .map(|_| ())
        .map_err(|e| compile_error(&e))
}

fn compile_error(e: &mlua::Error) -> Response {
    Response::error(format!(
        "ERR Error compiling script (new function): {}",
        lua_message(e)
    ))
}

/// A script's failure that is not an error reply it raised: a Lua error, or SCRIPT KILL.
fn script_error(sha: &str, e: &mlua::Error) -> Response {
    let text = lua_message(e);
    if let Some(killed) = text.find("ERR Script killed by user") {
        return Response::error(text[killed..].to_string());
    }
    Response::error(format!("ERR {text} script: {sha}"))
}

/// The first line of a Lua error, without mlua's decorations.
fn lua_message(e: &mlua::Error) -> String {
    let text = match e {
        mlua::Error::CallbackError { cause, .. } => return lua_message(cause),
        mlua::Error::RuntimeError(s) | mlua::Error::SyntaxError { message: s, .. } => s.clone(),
        other => other.to_string(),
    };
    let line = text.lines().next().unwrap_or_default();
    line.replace("[string \"user_script\"]", "user_script")
        .trim_start_matches("runtime error: ")
        .to_string()
}

/// A reply as the script sees it: Redis's RESP2-to-Lua conversion. The reply is encoded as
/// RESP2 first, so scripts see exactly what a RESP2 client would.
fn to_lua(lua: &Lua, r: Response) -> mlua::Result<Value> {
    let mut buf = BytesMut::new();
    super::encode::encode(&mut buf, r, 2);
    let bytes = buf.freeze();
    match decode_bytes(&bytes) {
        Ok(Some((frame, _))) => frame_to_lua(lua, frame),
        _ => Err(mlua::Error::runtime("ERR reply could not be converted")),
    }
}

fn frame_to_lua(lua: &Lua, f: BytesFrame) -> mlua::Result<Value> {
    Ok(match f {
        BytesFrame::Integer(i) => Value::Number(i as f64),
        BytesFrame::BulkString(b) => Value::String(lua.create_string(b.as_ref())?),
        BytesFrame::Null => Value::Boolean(false),
        BytesFrame::SimpleString(s) => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(s.as_ref())?)?;
            Value::Table(t)
        }
        BytesFrame::Error(e) => {
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(e.as_bytes())?)?;
            Value::Table(t)
        }
        BytesFrame::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                t.raw_set(i + 1, frame_to_lua(lua, item)?)?;
            }
            Value::Table(t)
        }
    })
}

/// Deepest nesting of tables a script's reply may have: a table that contains itself must not
/// recurse until the thread's stack runs out.
const MAX_REPLY_DEPTH: usize = 256;

/// A script's return value as a reply: Redis's Lua-to-RESP conversion.
fn from_lua(v: &Value, sha: &str) -> Response {
    from_lua_at(v, sha, 0)
}

fn from_lua_at(v: &Value, sha: &str, depth: usize) -> Response {
    if depth > MAX_REPLY_DEPTH {
        return Response::error("ERR reached lua stack limit");
    }
    match v {
        Value::Nil => Response::Nil,
        Value::Boolean(true) => Response::Int(1),
        Value::Boolean(false) => Response::Nil,
        Value::Integer(i) => Response::Int(*i),
        // Lua numbers become integers, truncated, as in Redis.
        Value::Number(n) => Response::Int(*n as i64),
        Value::String(s) => Response::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Table(t) => {
            if let Ok(e) = t.raw_get::<mlua::LuaString>("err") {
                let mut text = e.to_string_lossy();
                if !text.contains(' ') && !text.starts_with('-') {
                    // A bare word would read as the error code.
                    text = format!("ERR {text}");
                }
                if matches!(t.raw_get::<Value>("from_call"), Ok(Value::Boolean(true))) {
                    text = format!("{text} script: {sha}");
                }
                return Response::error(text.trim_start_matches('-').to_string());
            }
            if let Ok(s) = t.raw_get::<mlua::LuaString>("ok") {
                return Response::Text(s.to_string_lossy());
            }
            let mut out = Vec::new();
            // An array ends at its first nil, as Redis reads it.
            for i in 1.. {
                match t.raw_get::<Value>(i) {
                    Ok(Value::Nil) | Err(_) => break,
                    Ok(item) => out.push(from_lua_at(&item, sha, depth + 1)),
                }
            }
            Response::Array(out)
        }
        _ => Response::Nil,
    }
}

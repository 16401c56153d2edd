//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, CLIENT.

use bytes::Bytes;

use super::keys::db_index;
use super::{unknown_subcommand, wrong_arity, Action, Ctx, Spec};
use crate::command::{CommandError, Response};
use crate::resp::parse::Args;
use crate::resp::session::{Server, Session};

/// The Redis version we answer to: the command set and replies follow Redis 7.2.
pub const REDIS_VERSION: &str = "7.2.4";

/// `PING [message]`
fn ping(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    match a.remaining() {
        0 => Ok(Action::Reply(Response::Status("PONG"))),
        1 => Ok(Action::Reply(Response::Bulk(a.next_bytes()?))),
        _ => Err(wrong_arity("ping")),
    }
}

/// `ECHO message`
fn echo(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Reply(Response::Bulk(a.next_bytes()?)))
}

fn wrongpass() -> Response {
    Response::error("WRONGPASS invalid username-password pair or user is disabled.")
}

/// Checks credentials against `requirepass` for the only user, `default`.
fn check_auth(server: &Server, user: &[u8], pass: &[u8]) -> Result<(), Response> {
    let required = server.requirepass();
    if required.is_empty() {
        // With no password, Redis accepts AUTH default <anything> in HELLO and refuses plain AUTH.
        return if user == b"default" {
            Ok(())
        } else {
            Err(wrongpass())
        };
    }
    if user == b"default" && pass == required.as_bytes() {
        Ok(())
    } else {
        Err(wrongpass())
    }
}

/// `AUTH [username] password`
fn auth(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let named_user = a.remaining() == 2;
    let (user, pass) = match a.remaining() {
        1 => (Bytes::from_static(b"default"), a.next_bytes()?),
        2 => (a.next_bytes()?, a.next_bytes()?),
        _ => return Err(CommandError::Syntax),
    };
    Ok(Action::Session(Box::new(
        move |s: &mut Session, server: &Server| {
            if server.requirepass().is_empty() && !named_user {
                return Response::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            }
            match check_auth(server, &user, &pass) {
                Ok(()) => {
                    s.authenticated = true;
                    Response::Ok
                }
                Err(e) => e,
            }
        },
    )))
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
fn hello(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let mut proto = None;
    if !a.is_empty() {
        let raw = a.next_bytes()?;
        match crate::shared::number::parse_i64(&raw) {
            Some(v @ 2..=3) => proto = Some(v as u8),
            Some(_) => {
                return Ok(Action::Reply(Response::error(
                    "NOPROTO unsupported protocol version",
                )))
            }
            None => {
                return Err(CommandError::Other(
                    "ERR Protocol version is not an integer or out of range".into(),
                ))
            }
        }
    }
    let (mut creds, mut name) = (None, None);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "AUTH" if a.remaining() >= 2 => creds = Some((a.next_bytes()?, a.next_bytes()?)),
            "SETNAME" if !a.is_empty() => name = Some(a.next_bytes()?),
            other => {
                return Err(CommandError::Other(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    other.to_ascii_lowercase()
                )))
            }
        }
    }
    Ok(Action::Session(Box::new(
        move |s: &mut Session, server: &Server| {
            if let Some((user, pass)) = creds {
                if let Err(e) = check_auth(server, &user, &pass) {
                    return e;
                }
                s.authenticated = true;
            }
            if !s.authenticated {
                return Response::error(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
            );
            }
            if let Some(name) = name {
                if let Err(e) = valid_name(&name) {
                    return e.into();
                }
                s.handle.meta.lock().name = String::from_utf8_lossy(&name).into_owned();
            }
            if let Some(p) = proto {
                s.set_proto(p);
            }
            Response::Map(vec![
                (Response::bulk("server"), Response::bulk("redis")),
                (Response::bulk("version"), Response::bulk(REDIS_VERSION)),
                (Response::bulk("proto"), Response::Int(i64::from(s.proto))),
                (Response::bulk("id"), Response::Int(s.handle.id as i64)),
                (Response::bulk("mode"), Response::bulk("standalone")),
                (Response::bulk("role"), Response::bulk("master")),
                (Response::bulk("modules"), Response::Array(Vec::new())),
            ])
        },
    )))
}

/// `SELECT index`
fn select(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let db = db_index(&a.next_bytes()?)?;
    Ok(Action::Session(Box::new(
        move |s: &mut Session, _: &Server| {
            s.select(db);
            Response::Ok
        },
    )))
}

/// `QUIT`: replies OK, then the connection closes.
fn quit(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Session(Box::new(|s: &mut Session, _: &Server| {
        s.closing = true;
        Response::Ok
    })))
}

/// `RESET`: back to a fresh connection's state.
fn reset(_: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    Ok(Action::Session(Box::new(
        |s: &mut Session, server: &Server| {
            s.select(0);
            s.set_proto(2);
            s.authenticated = server.requirepass().is_empty();
            s.handle.meta.lock().name.clear();
            s.multi = None;
            s.watches.clear();
            s.subscriptions.clear(&server.node.pubsub, s.handle.id);
            s.handle.meta.lock().subscriptions = (0, 0);
            Response::Status("RESET")
        },
    )))
}

/// Client names may not contain spaces or control characters.
fn valid_name(name: &[u8]) -> Result<(), CommandError> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(CommandError::Other(
            "ERR Client names cannot contain spaces, newlines or special characters.".into(),
        ));
    }
    Ok(())
}

/// `CLIENT ID|SETNAME|GETNAME|SETINFO|INFO|LIST|KILL|NO-EVICT|NO-TOUCH|HELP`
fn client(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_bytes()?;
    let name = String::from_utf8_lossy(&sub).to_ascii_lowercase();
    let arity = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(wrong_arity(&format!("client|{name}")))
        }
    };
    let f: super::SessionFn = match name.as_str() {
        "id" => {
            arity(a.is_empty())?;
            Box::new(|s, _| Response::Int(s.handle.id as i64))
        }
        "getname" => {
            arity(a.is_empty())?;
            Box::new(|s, _| {
                let n = s.handle.meta.lock().name.clone();
                if n.is_empty() {
                    Response::Nil
                } else {
                    Response::bulk(n)
                }
            })
        }
        "setname" => {
            arity(a.remaining() == 1)?;
            let n = a.next_bytes()?;
            valid_name(&n)?;
            Box::new(move |s, _| {
                s.handle.meta.lock().name = String::from_utf8_lossy(&n).into_owned();
                Response::Ok
            })
        }
        "setinfo" => {
            arity(a.remaining() == 2)?;
            let attr = a.next_keyword()?;
            let value = a.next_bytes()?;
            valid_name(&value)?;
            let value = String::from_utf8_lossy(&value).into_owned();
            match attr.as_str() {
                "LIB-NAME" => Box::new(move |s, _| {
                    s.handle.meta.lock().lib_name = value;
                    Response::Ok
                }),
                "LIB-VER" => Box::new(move |s, _| {
                    s.handle.meta.lock().lib_ver = value;
                    Response::Ok
                }),
                _ => {
                    return Err(CommandError::Other(format!(
                        "ERR Unrecognized option '{}'",
                        attr.to_ascii_lowercase()
                    )))
                }
            }
        }
        "info" => {
            arity(a.is_empty())?;
            Box::new(|s, _| Response::Verbatim(format!("{}\n", s.handle.describe())))
        }
        "list" => {
            let mut ids: Option<Vec<u64>> = None;
            while !a.is_empty() {
                match a.next_keyword()?.as_str() {
                    "TYPE" => {
                        let t = a.next_keyword()?;
                        if !matches!(t.as_str(), "NORMAL" | "MASTER" | "REPLICA" | "PUBSUB") {
                            return Err(CommandError::Other(format!(
                                "ERR Unknown client type '{}'",
                                t.to_ascii_lowercase()
                            )));
                        }
                    }
                    "ID" => {
                        let mut v = Vec::new();
                        while !a.is_empty() {
                            let id = a.next_int()?;
                            if id <= 0 {
                                return Err(CommandError::Other("ERR Invalid client ID".into()));
                            }
                            v.push(id as u64);
                        }
                        ids = Some(v);
                    }
                    _ => return Err(CommandError::Syntax),
                }
            }
            Box::new(move |_, server| {
                let mut out = String::new();
                for c in server.clients.all() {
                    if ids.as_ref().is_none_or(|ids| ids.contains(&c.id)) {
                        out.push_str(&c.describe());
                        out.push('\n');
                    }
                }
                Response::Verbatim(out)
            })
        }
        "kill" => client_kill(a)?,
        "unblock" => {
            arity((1..=2).contains(&a.remaining()))?;
            let id = a.next_int()?;
            let with_error = match a.is_empty() {
                true => false,
                false => match a.next_keyword()?.as_str() {
                    "TIMEOUT" => false,
                    "ERROR" => true,
                    _ => {
                        return Err(CommandError::Other(
                            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into(),
                        ))
                    }
                },
            };
            Box::new(move |_, server| {
                let unblocked =
                    u64::try_from(id).is_ok_and(|id| server.clients.unblock(id, with_error));
                Response::Int(i64::from(unblocked))
            })
        }
        "no-evict" | "no-touch" => {
            arity(a.remaining() == 1)?;
            match a.next_keyword()?.as_str() {
                "ON" | "OFF" => Box::new(|_, _| Response::Ok),
                _ => return Err(CommandError::Syntax),
            }
        }
        "help" => Box::new(|_, _| {
            Response::Array(
                [
                    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "ID",
                    "INFO",
                    "LIST [TYPE <type>] [ID <id> ...]",
                    "KILL <ip:port>",
                    "KILL <option> <value> [<option> <value> [...]]",
                    "GETNAME",
                    "SETNAME <name>",
                    "SETINFO <LIB-NAME|LIB-VER> <value>",
                    "NO-EVICT (ON|OFF)",
                    "NO-TOUCH (ON|OFF)",
                    "HELP",
                ]
                .into_iter()
                .map(Response::Status)
                .collect(),
            )
        }),
        _ => return Err(unknown_subcommand(&sub, "client")),
    };
    Ok(Action::Session(f))
}

/// `CLIENT KILL ip:port` or `CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [USER u] [SKIPME yes/no]`
fn client_kill(a: &mut Args) -> Result<super::SessionFn, CommandError> {
    if a.remaining() == 1 {
        let addr = a.next_string()?;
        return Ok(Box::new(move |_, server: &Server| {
            match server
                .clients
                .all()
                .into_iter()
                .find(|c| c.addr.to_string() == addr)
            {
                Some(c) => {
                    server.clients.kill(c.id);
                    Response::Ok
                }
                None => Response::error("ERR No such client"),
            }
        }));
    }
    if a.is_empty() || !a.remaining().is_multiple_of(2) {
        return Err(CommandError::Syntax);
    }
    let (mut id, mut addr, mut laddr, mut skipme) = (None, None, None, true);
    while !a.is_empty() {
        match a.next_keyword()?.as_str() {
            "ID" => {
                let v = a.next_int()?;
                if v <= 0 {
                    return Err(CommandError::Other(
                        "ERR client-id should be greater than 0".into(),
                    ));
                }
                id = Some(v as u64);
            }
            "ADDR" => addr = Some(a.next_string()?),
            "LADDR" => laddr = Some(a.next_string()?),
            "USER" => {
                a.next_bytes()?;
            }
            "SKIPME" => {
                skipme = match a.next_keyword()?.as_str() {
                    "YES" => true,
                    "NO" => false,
                    _ => return Err(CommandError::Syntax),
                }
            }
            "TYPE" | "MAXAGE" => {
                a.next_bytes()?;
            }
            _ => return Err(CommandError::Syntax),
        }
    }
    Ok(Box::new(move |s, server| {
        let mut killed = 0;
        for c in server.clients.all() {
            if (skipme && c.id == s.handle.id)
                || id.is_some_and(|id| id != c.id)
                || addr.as_ref().is_some_and(|a| *a != c.addr.to_string())
                || laddr
                    .as_ref()
                    .is_some_and(|a| *a != c.local_addr.to_string())
            {
                continue;
            }
            if server.clients.kill(c.id) {
                killed += 1;
            }
        }
        Response::Int(killed)
    }))
}

const CONN: &[&str] = &["fast", "loading", "stale"];
const NOAUTH: &[&str] = &["noscript", "loading", "stale", "fast", "no_auth"];

pub const COMMANDS: &[Spec] = specs!["connection";
    ("ping", -1, CONN, (0, 0, 0), "Returns the server's liveliness response.", ping),
    ("echo", 2, CONN, (0, 0, 0), "Returns the given string.", echo),
    ("hello", -1, NOAUTH, (0, 0, 0), "Handshakes with the Redis server.", hello),
    ("auth", -2, NOAUTH, (0, 0, 0), "Authenticates the connection.", auth),
    ("select", 2, CONN, (0, 0, 0), "Changes the selected database.", select),
    ("quit", -1, NOAUTH, (0, 0, 0), "Closes the connection.", quit),
    ("reset", 1, NOAUTH, (0, 0, 0), "Resets the connection.", reset),
    ("client", -2, &["sentinel"], (0, 0, 0), "A container for client connection commands.", client),
];

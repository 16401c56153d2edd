//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. Scripts run in `resp::script`;
//! here their arguments are checked.

use bytes::Bytes;

use super::{unknown_subcommand, wrong_arity, Action, Ctx, Spec};
use crate::command::{CommandError, Response};
use crate::resp::parse::Args;
use crate::resp::script::{Call, Source};

/// `EVAL script numkeys [key ...] [arg ...]` and its kin.
fn call(a: &mut Args, by_sha: bool, read_only: bool) -> Result<Action, CommandError> {
    let script = a.next_bytes()?;
    let numkeys = a.next_int()?;
    if numkeys < 0 {
        return Err(CommandError::Other(
            "ERR Number of keys can't be negative".into(),
        ));
    }
    if numkeys as usize > a.remaining() {
        return Err(CommandError::Other(
            "ERR Number of keys can't be greater than number of args".into(),
        ));
    }
    let mut rest = a.rest();
    let args = rest.split_off(numkeys as usize);
    let script = if by_sha {
        Source::Sha(String::from_utf8_lossy(&script).into_owned())
    } else {
        Source::Body(script)
    };
    Ok(Action::Script(Call {
        script,
        keys: rest,
        args,
        read_only,
    }))
}

fn eval(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    call(a, false, false)
}

fn evalsha(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    call(a, true, false)
}

fn eval_ro(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    call(a, false, true)
}

fn evalsha_ro(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    call(a, true, true)
}

/// `SCRIPT LOAD | EXISTS | FLUSH | KILL | HELP`
fn script(a: &mut Args, _: &Ctx) -> Result<Action, CommandError> {
    let sub = a.next_keyword()?;
    match sub.as_str() {
        "LOAD" => {
            let body = a.next_bytes()?;
            a.finish().map_err(|_| wrong_arity("script|load"))?;
            Ok(Action::Session(Box::new(move |_, server| {
                match server.scripts.load(body) {
                    Ok(sha) => Response::bulk(sha),
                    Err(e) => e,
                }
            })))
        }
        "EXISTS" => {
            let shas: Vec<Bytes> = a.rest();
            if shas.is_empty() {
                return Err(wrong_arity("script|exists"));
            }
            Ok(Action::Session(Box::new(move |_, server| {
                Response::Array(
                    shas.iter()
                        .map(|s| {
                            let s = String::from_utf8_lossy(s);
                            Response::Int(i64::from(server.scripts.exists(&s)))
                        })
                        .collect(),
                )
            })))
        }
        "FLUSH" => {
            if a.remaining() > 1 {
                return Err(wrong_arity("script|flush"));
            }
            if !a.is_empty() {
                let mode = a.next_keyword()?;
                if mode != "ASYNC" && mode != "SYNC" {
                    return Err(CommandError::Other(
                        "ERR SCRIPT FLUSH only support SYNC|ASYNC option".into(),
                    ));
                }
            }
            Ok(Action::Session(Box::new(|_, server| {
                server.scripts.flush();
                Response::Ok
            })))
        }
        "KILL" => {
            a.finish().map_err(|_| wrong_arity("script|kill"))?;
            Ok(Action::Session(Box::new(|_, server| server.scripts.kill())))
        }
        "HELP" => Ok(Action::Reply(Response::Array(
            [
                "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
                "HELP",
                "    Print this help.",
            ]
            .iter()
            .map(|l| Response::Text((*l).to_string()))
            .collect(),
        ))),
        _ => Err(unknown_subcommand(sub.as_bytes(), "script")),
    }
}

const SCRIPT: &[&str] = &[
    "noscript",
    "stale",
    "skip_monitor",
    "may_replicate",
    "no_mandatory_keys",
];
const SCRIPT_RO: &[&str] = &[
    "noscript",
    "stale",
    "skip_monitor",
    "no_mandatory_keys",
    "readonly",
];

pub const COMMANDS: &[Spec] = specs!["scripting";
    ("eval", -3, SCRIPT, (0, 0, 0), "Executes a server-side Lua script.", eval),
    ("evalsha", -3, SCRIPT, (0, 0, 0), "Executes a server-side Lua script by SHA1 digest.", evalsha),
    ("eval_ro", -3, SCRIPT_RO, (0, 0, 0), "Executes a read-only server-side Lua script.", eval_ro),
    ("evalsha_ro", -3, SCRIPT_RO, (0, 0, 0), "Executes a read-only server-side Lua script by SHA1 digest.", evalsha_ro),
    ("script", -2, &["noscript", "allow_busy"], (0, 0, 0), "A container for Lua scripts management commands.", script),
];

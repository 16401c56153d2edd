//! Node-to-node messages on `--raft-addr`: Raft's own RPCs plus what a follower asks of the
//! leader on behalf of its clients (forwarded writes and blocking pops, read barriers, joins).
//!
//! Framing: `len:u32 | id:u64 | bincode payload` both ways. A connection carries many requests
//! at once; replies name the request they answer, so a follower's forwarded writes never wait
//! behind one another. Raft's RPCs on one connection are handled in order, which is what makes
//! pipelined AppendEntries safe.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::Arc;

use bytes::Bytes;
use openraft::errors::RaftError;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::raft_types::{NodeId, NodeInfo, SnapshotMeta, TypeConfig, Vote};
use super::state_machine::SnapshotData;
use super::Node;
use crate::command::{Command, CommandError, Db, Response};
use crate::engine::store::snapshot::Record;

/// Largest frame accepted from a peer: a batch of entries or a snapshot chunk.
pub const MAX_FRAME: usize = 1 << 30;

#[derive(Serialize, Deserialize)]
pub enum Request {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<TypeConfig>),
    /// Starts spooling a snapshot on this connection.
    SnapshotBegin,
    SnapshotChunk(Vec<Record>),
    SnapshotEnd {
        vote: Vote,
        meta: SnapshotMeta,
    },
    /// Client writes forwarded by a follower (each client's commands): the leader proposes them
    /// and returns each client's replies.
    Write(Vec<Vec<Command>>),
    /// A blocking pop forwarded by a follower, answered once served or timed out.
    Block {
        db: Db,
        keys: Vec<Bytes>,
        attempt: Command,
        timeout_ms: Option<u64>,
    },
    /// The client of the forwarded `Block` with this request id has gone.
    Cancel(u64),
    /// Confirms leadership and returns the log index a linearizable read must wait for.
    ReadIndex,
    Join {
        id: NodeId,
        info: NodeInfo,
    },
    Remove {
        id: NodeId,
    },
}

#[derive(Serialize, Deserialize)]
pub enum Reply {
    Append(Result<AppendEntriesResponse<TypeConfig>, RaftError<TypeConfig>>),
    Vote(Result<VoteResponse<TypeConfig>, RaftError<TypeConfig>>),
    Ack,
    Snapshot(Result<SnapshotResponse<TypeConfig>, String>),
    Responses(Vec<Vec<Response>>),
    Response(Response),
    Index(u64),
    /// Refused, with the reason as text (for logs and for peers that only pass it on).
    Failed(String),
    /// Refused, with a reason the asking node's clients are told in their own protocol.
    Refused(CommandError),
}

pub async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut W,
    id: u64,
    payload: &[u8],
) -> io::Result<()> {
    w.write_u32(payload.len() as u32 + 8).await?;
    w.write_u64(id).await?;
    w.write_all(payload).await
}

/// The next frame, or `None` at a clean end of stream.
pub async fn read_frame<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
) -> io::Result<Option<(u64, Vec<u8>)>> {
    let len = match r.read_u32().await {
        Ok(n) => n as usize,
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    if !(8..=MAX_FRAME).contains(&len) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad frame length {len}"),
        ));
    }
    let id = r.read_u64().await?;
    let mut buf = vec![0; len - 8];
    r.read_exact(&mut buf).await?;
    Ok(Some((id, buf)))
}

pub fn encode<T: Serialize>(v: &T) -> io::Result<Vec<u8>> {
    bincode::serialize(v).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

pub fn decode<T: serde::de::DeserializeOwned>(b: &[u8]) -> io::Result<T> {
    bincode::deserialize(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Appends one chunk of records to a spooled snapshot file.
fn write_chunk(f: &mut std::fs::File, records: &[Record]) -> io::Result<()> {
    let b = encode(&records)?;
    f.write_all(&(b.len() as u32).to_be_bytes())?;
    f.write_all(&b)
}

/// Reads the next chunk of a spooled snapshot file (`None` at its end).
pub fn read_chunk(r: &mut impl Read) -> io::Result<Option<Vec<Record>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad snapshot chunk",
        ));
    }
    let mut buf = vec![0; len];
    r.read_exact(&mut buf)?;
    decode(&buf).map(Some)
}

/// Accepts peers' connections for as long as the node runs.
pub async fn serve(node: Arc<Node>, listener: TcpListener) {
    let mut conn_no = 0u64;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                conn_no += 1;
                let node = node.clone();
                let n = conn_no;
                tokio::spawn(async move {
                    if let Err(e) = serve_conn(node, stream, n).await {
                        tracing::debug!(error = %e, "raft connection closed");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "raft accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_conn(node: Arc<Node>, stream: TcpStream, conn_no: u64) -> io::Result<()> {
    let (r, w) = stream.into_split();
    let mut r = BufReader::with_capacity(256 * 1024, r);
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        let mut w = BufWriter::with_capacity(256 * 1024, w);
        while let Some((id, payload)) = rx.recv().await {
            write_frame(&mut w, id, &payload).await?;
            while let Ok((id, payload)) = rx.try_recv() {
                write_frame(&mut w, id, &payload).await?;
            }
            w.flush().await?;
        }
        Ok::<_, io::Error>(())
    });
    // Forwarded blocking pops: their tasks, and how to end their wait (see `Cancel`).
    let mut blocked: HashMap<u64, (tokio::task::AbortHandle, Arc<tokio::sync::Notify>)> =
        HashMap::new();
    let mut spool: Option<(std::fs::File, std::path::PathBuf)> = None;
    let send = |id: u64, reply: Reply, tx: &mpsc::UnboundedSender<(u64, Vec<u8>)>| {
        if let Ok(b) = encode(&reply) {
            let _ = tx.send((id, b));
        }
    };
    let result = loop {
        let (id, payload) = match read_frame(&mut r).await {
            Ok(Some(f)) => f,
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        let req: Request = match decode(&payload) {
            Ok(r) => r,
            Err(e) => break Err(e),
        };
        blocked.retain(|_, (h, _)| !h.is_finished());
        match req {
            Request::Append(rpc) => {
                let r = node.raft.append_entries(rpc).await;
                send(id, Reply::Append(r), &tx);
            }
            Request::Vote(rpc) => {
                let r = node.raft.vote(rpc).await;
                send(id, Reply::Vote(r), &tx);
            }
            Request::SnapshotBegin => {
                let path = node.spool_dir().join(format!("incoming-{conn_no}.snap"));
                match std::fs::File::create(&path) {
                    Ok(f) => {
                        spool = Some((f, path));
                        send(id, Reply::Ack, &tx);
                    }
                    Err(e) => send(id, Reply::Failed(e.to_string()), &tx),
                }
            }
            Request::SnapshotChunk(records) => match spool.as_mut() {
                Some((f, _)) => match write_chunk(f, &records) {
                    Ok(()) => send(id, Reply::Ack, &tx),
                    Err(e) => send(id, Reply::Failed(e.to_string()), &tx),
                },
                None => send(id, Reply::Failed("no snapshot started".into()), &tx),
            },
            Request::SnapshotEnd { vote, meta } => {
                let reply = match spool.take() {
                    None => Reply::Snapshot(Err("no snapshot started".into())),
                    Some((f, path)) => {
                        drop(f);
                        let snapshot = openraft::Snapshot {
                            meta,
                            snapshot: SnapshotData::File(path),
                        };
                        let r = node.raft.install_full_snapshot(vote, snapshot).await;
                        Reply::Snapshot(r.map_err(|e| e.to_string()))
                    }
                };
                send(id, reply, &tx);
            }
            // The follower's client left or was unblocked: the wait ends as a timeout would,
            // and the reply (nil, or what served it meanwhile) goes back.
            Request::Cancel(target) => {
                if let Some((_, cut)) = blocked.remove(&target) {
                    cut.notify_one();
                }
            }
            Request::Block {
                db,
                keys,
                attempt,
                timeout_ms,
            } => {
                let node = node.clone();
                let tx = tx.clone();
                let cut = Arc::new(tokio::sync::Notify::new());
                let cut_here = cut.clone();
                let task = tokio::spawn(async move {
                    let deadline = timeout_ms.and_then(|ms| {
                        tokio::time::Instant::now()
                            .checked_add(std::time::Duration::from_millis(ms))
                    });
                    let cancelled = cut_here.notified();
                    let r = node
                        .run_blocking(
                            db,
                            &keys,
                            attempt,
                            deadline,
                            std::future::pending(),
                            cancelled,
                        )
                        .await;
                    let reply = match r {
                        Ok(r) => Reply::Response(r),
                        Err(_) => return,
                    };
                    send(id, reply, &tx);
                });
                blocked.insert(id, (task.abort_handle(), cut));
            }
            other => {
                let node = node.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let reply = node.handle_peer_request(other).await;
                    send(id, reply, &tx);
                });
            }
        }
    };
    // The follower is gone: its blocked clients stop waiting here.
    for (_, (h, _)) in blocked {
        h.abort();
    }
    if let Some((_, path)) = spool {
        let _ = std::fs::remove_file(path);
    }
    drop(tx);
    let _ = writer.await;
    result
}

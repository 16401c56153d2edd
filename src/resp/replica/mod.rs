//! Redis replicas of trident: `SYNC`, `PSYNC` (what `replicaof <trident>` sends) and the tools
//! that attach the same way. The replica gets an RDB file of the data set at one point of the
//! history, then every change applied after that point as the Redis commands that reproduce it
//! (see [`effects`]), with a `PING` every `repl-ping-replica-period` seconds.
//!
//! This is a way out of trident, not into it: trident's own replicas follow the Raft log, and a
//! Redis replica never writes back. Every `PSYNC` is answered with a full resynchronisation:
//! there is no backlog to continue from.

pub mod effects;
pub mod rdb;

use std::io::{self, Seek};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::broadcast::error::RecvError;

use super::session::{ClientHandle, Server};
use crate::command::Db;
use crate::node::history::Changes;
use crate::node::{now_ms, Node};

/// How the replica asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handshake {
    /// `SYNC`: the RDB file, then the stream.
    Sync,
    /// `PSYNC replid offset`: `+FULLRESYNC replid offset` first.
    Psync,
}

/// Serves a replica until it goes away, is killed, or falls too far behind.
pub async fn serve(
    server: &Server,
    how: Handshake,
    client: &ClientHandle,
    reader: &mut OwnedReadHalf,
    writer: &mut OwnedWriteHalf,
) -> io::Result<()> {
    let node = server.node.clone();
    let mut changes = node.follow_history().await.map_err(io::Error::other)?;
    let job = tokio::task::spawn_blocking(move || write_rdb(&node));
    tokio::pin!(job);
    let (mut file, len, applied) = loop {
        tokio::select! {
            done = &mut job => break done.map_err(io::Error::other)??,
            // A replica waiting for the file counts newlines as signs of life.
            _ = tokio::time::sleep(Duration::from_secs(1)) => writer.write_all(b"\n").await?,
        }
    };
    tracing::info!(client = client.id, bytes = len, applied, "replica attached");
    if how == Handshake::Psync {
        let line = format!("+FULLRESYNC {} {applied}\r\n", server.replication_id);
        writer.write_all(line.as_bytes()).await?;
    }
    writer.write_all(format!("${len}\r\n").as_bytes()).await?;
    file.rewind()?;
    tokio::io::copy(&mut tokio::fs::File::from_std(file), writer).await?;

    let mut stream = Stream {
        db: None,
        out: BytesMut::new(),
    };
    let mut input = vec![0u8; 4096];
    loop {
        let ping_every = Duration::from_secs(server.repl_ping_period_secs().max(1));
        tokio::select! {
            batch = changes.recv() => match batch {
                Ok(batch) => {
                    if !stream.add(&batch, applied) {
                        tracing::warn!(client = client.id, "replica missed changes; closing");
                        return Ok(());
                    }
                    writer.write_all(&stream.out).await?;
                    stream.out.clear();
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(client = client.id, batches = n, "replica fell behind; closing");
                    return Ok(());
                }
                Err(RecvError::Closed) => return Ok(()),
            },
            // REPLCONF ACK and the like: nothing the stream depends on.
            n = reader.read(&mut input) => if n? == 0 { return Ok(()) },
            _ = tokio::time::sleep(ping_every) => {
                stream.command(None, &[Bytes::from_static(b"PING")]);
                writer.write_all(&stream.out).await?;
                stream.out.clear();
            }
            _ = client.kill.notified() => return Ok(()),
        }
    }
}

/// Writes the RDB file to an unnamed file in the data directory; returns it, its length and
/// the last log entry it holds.
fn write_rdb(node: &Node) -> io::Result<(std::fs::File, u64, u64)> {
    let dir = &node.config.storage.data_dir;
    let file = if dir.is_dir() {
        tempfile::tempfile_in(dir)?
    } else {
        tempfile::tempfile()?
    };
    let view = node.dataset_view();
    let applied = view.applied().map_err(io::Error::other)?;
    let mut w = rdb::RdbWriter::new(io::BufWriter::new(file)).map_err(io::Error::other)?;
    view.walk(now_ms(), &mut w).map_err(io::Error::other)?;
    let mut file = w
        .finish()
        .map_err(io::Error::other)?
        .into_inner()
        .map_err(|e| e.into_error())?;
    let len = file.stream_position()?;
    Ok((file, len, applied))
}

/// The command stream, and the database its last command ran in.
struct Stream {
    db: Option<Db>,
    out: BytesMut,
}

impl Stream {
    /// Adds a batch's changes past `applied` (what the RDB file holds); false if the batch
    /// should have been in it or recorded and was neither.
    fn add(&mut self, batch: &Changes, applied: u64) -> bool {
        if batch.last_entry <= applied {
            return true;
        }
        if !batch.recorded {
            return false;
        }
        for a in batch.applied.iter().filter(|a| a.entry > applied) {
            for e in effects::effects(a) {
                // A command of no database (FLUSHALL, SWAPDB) still comes after a SELECT in a
                // stream that has none yet, as Redis's stream always starts with one; a
                // transaction's MULTI does not (its first command selects).
                let db = match (e.db, self.db, e.argv.first().map(|a| &a[..])) {
                    (None, None, Some(b"FLUSHALL" | b"SWAPDB")) => Some(0),
                    (db, _, _) => db,
                };
                self.command(db, &e.argv);
            }
        }
        true
    }

    fn command(&mut self, db: Option<Db>, argv: &[Bytes]) {
        if let Some(db) = db {
            if self.db != Some(db) {
                self.array(&[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())]);
                self.db = Some(db);
            }
        }
        self.array(argv);
    }

    fn array(&mut self, argv: &[Bytes]) {
        let out = &mut self.out;
        out.put_slice(format!("*{}\r\n", argv.len()).as_bytes());
        for a in argv {
            out.put_slice(format!("${}\r\n", a.len()).as_bytes());
            out.put_slice(a);
            out.put_slice(b"\r\n");
        }
    }
}

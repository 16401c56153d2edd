//! The CQL front-end (Cassandra native protocol v4): the listener and the connection loop.
//!
//! `frame/` is the sans-io codec of frames and bodies, `codec` the serialized form of values,
//! `parser/` the language, `stmt/` turns statements into the table model's commands and
//! queries and their replies into results, `system/` synthesizes the system tables drivers
//! read. A connection serves its requests concurrently (drivers keep many in flight on one
//! connection, each on its own stream id) and writes each response as it is ready, so
//! responses may leave out of order, as the protocol allows.

pub mod codec;
pub mod frame;
pub mod parser;
mod session;
mod stmt;
pub mod system;
pub mod token;
mod topology;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};

use crate::node::Node;
use frame::{decode_request, FrameDecoder};
use session::{Server, Session};

/// Accepts CQL connections until the node shuts down.
pub async fn serve(node: Arc<Node>, listener: TcpListener) {
    let server = Arc::new(Server::new(node));
    server.watch_schema();
    topology::watch(&server);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a CQL connection");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(server, stream).await {
                tracing::debug!(%peer, error = %e, "CQL connection closed");
            }
        });
    }
}

/// Responses of requests answered at once go out in pieces of about this size, each followed
/// by a yield so that the writer sends it while the rest of the read is served: the client
/// then gets to work on its answers (and to send more requests) while the server works too.
/// Holding every response of a read until the whole read was served put client and server in
/// lockstep, each idle while the other worked (measured with bench/cql, 1M rows, 256 requests
/// in flight: point selects 48k/s with the server at 0.73 of a core, 75-86k/s at 0.97 with
/// 2 KiB; 512 B and 4 KiB measured lower, 16 KiB no better than unbounded).
const READY_FLUSH_BYTES: usize = 2 << 10;

async fn connection(server: Arc<Server>, stream: TcpStream) -> anyhow::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let max = server.node.config.cql.max_frame_bytes;
    let session = Arc::new(Session::new(server.clone()));
    let (out_tx, mut out_rx) = mpsc::channel::<BytesMut>(1024);
    // The writer: every response (and event) as it comes, several per syscall when ready.
    let writer = tokio::spawn(async move {
        while let Some(first) = out_rx.recv().await {
            // Requests that finish together (a group commit wakes hundreds) are woken one
            // after another; letting them run first sends their responses in one write
            // instead of one each.
            tokio::task::yield_now().await;
            let mut buf = first;
            while let Ok(more) = out_rx.try_recv() {
                buf.extend_from_slice(&more);
                if buf.len() > 1 << 20 {
                    break;
                }
            }
            if wr.write_all(&buf).await.is_err() {
                return;
            }
        }
    });
    let in_flight = Arc::new(Semaphore::new(server.node.config.cql.max_in_flight));
    let mut decoder = FrameDecoder::new(max);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    // Responses of requests answered at once (reads served from local state), sent in pieces
    // of READY_FLUSH_BYTES and before the next read from the socket.
    let mut ready = BytesMut::new();
    let result = loop {
        let frame = match decoder.decode(&mut buf) {
            Ok(Some(f)) => f,
            Ok(None) => {
                if !ready.is_empty() && out_tx.send(ready.split()).await.is_err() {
                    break Ok(());
                }
                if rd.read_buf(&mut buf).await? == 0 {
                    break Ok(());
                }
                continue;
            }
            Err(e) => {
                if let Some(reply) = e.reply() {
                    let _ = out_tx.send(reply).await;
                }
                if e.closes_connection() {
                    break Ok(());
                }
                continue;
            }
        };
        let request = match decode_request(&frame, session.compression(), max) {
            Ok(r) => r,
            Err(e) => {
                let mut out = BytesMut::new();
                e.to_response()
                    .encode_frame(&mut out, frame.header.stream, session.compression());
                let _ = out_tx.send(out).await;
                // A body that does not decode leaves the stream in an unknown state.
                break Ok(());
            }
        };
        if session.is_ordered(&request.request) {
            // STARTUP, REGISTER and USE change what later requests see: served in place.
            let out = session.handle(request, &out_tx).await;
            if out_tx.send(out).await.is_err() {
                break Ok(());
            }
            continue;
        }
        let permit = in_flight.clone().acquire_owned().await?;
        let session = session.clone();
        let task_tx = out_tx.clone();
        let mut request = Box::pin(async move { session.handle(request, &task_tx).await });
        // Polled once here: a request that needs nothing from elsewhere (most reads) is
        // answered without a task of its own; one that waits (a write's commit) becomes one.
        // Its next poll, in the task, registers the task's waker.
        let polled = request
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        match polled {
            Poll::Ready(out) => {
                ready.extend_from_slice(&out);
                drop(permit);
                if ready.len() >= READY_FLUSH_BYTES {
                    if out_tx.send(ready.split()).await.is_err() {
                        break Ok(());
                    }
                    tokio::task::yield_now().await;
                }
            }
            Poll::Pending => {
                let out_tx = out_tx.clone();
                tokio::spawn(async move {
                    let out = request.await;
                    let _ = out_tx.send(out).await;
                    drop(permit);
                });
            }
        }
    };
    if !ready.is_empty() {
        let _ = out_tx.send(ready.split()).await;
    }
    drop(out_tx);
    session.close();
    let _ = writer.await;
    result
}

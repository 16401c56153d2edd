//! The Kafka front-end: the listener, the connection loop and the request framing. Each API has
//! its own file (named after it) that turns the decoded request into [`Command`]s and
//! [`Query`]s for the node and its replies into the API's response; [`registry`] lists the APIs
//! and the versions advertised.
//!
//! A connection answers its requests in order, one at a time, as a Kafka broker does, with one
//! exception: Produce requests are put on the write path as they arrive, so a producer that
//! pipelines them (librdkafka keeps up to five in flight per connection) shares log entries and
//! fsyncs instead of waiting a commit per request. Their replies are still written in order.
//!
//! [`Command`]: crate::command::Command
//! [`Query`]: crate::command::Query

mod api_versions;
mod coordinator;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod error;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod produce;
mod registry;
mod retention;
mod sync_group;
mod topic_configs;
mod topics;

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::stream::{FuturesOrdered, StreamExt};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::node::Node;

/// Produce requests of one connection on their way through the log at once, at most.
const MAX_PIPELINED: usize = 16;

/// What every handler sees: the node and who is asking.
pub struct Ctx {
    pub node: Arc<Node>,
    pub coordinator: Arc<coordinator::Coordinator>,
    pub client_id: String,
    pub client_host: String,
}

/// Accepts Kafka connections until the node shuts down.
pub async fn serve(node: Arc<Node>, listener: TcpListener) {
    let coordinator = coordinator::Coordinator::start(node.clone());
    retention::start(node.clone());
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a Kafka connection");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let node = node.clone();
        let coordinator = coordinator.clone();
        tokio::spawn(async move {
            metrics::gauge!("trident_kafka_connections").increment(1);
            if let Err(e) = Connection::new(node, coordinator, peer).run(stream).await {
                tracing::debug!(%peer, error = %e, "Kafka connection closed");
            }
            metrics::gauge!("trident_kafka_connections").decrement(1);
        });
    }
}

/// The reply to one request: the encoded response frame, or nothing (Produce with acks=0).
type Reply = Option<Bytes>;
type Pending = Pin<Box<dyn Future<Output = Reply> + Send>>;

struct Connection {
    node: Arc<Node>,
    coordinator: Arc<coordinator::Coordinator>,
    peer: SocketAddr,
    max_request: usize,
}

/// A request as read off the wire: its header and the undecoded body.
pub struct Frame {
    pub header: RequestHeader,
    pub api: ApiKey,
    pub body: Bytes,
}

impl Connection {
    fn new(node: Arc<Node>, coordinator: Arc<coordinator::Coordinator>, peer: SocketAddr) -> Self {
        let max_request = node.config.kafka.max_request_bytes;
        Connection {
            node,
            coordinator,
            peer,
            max_request,
        }
    }

    async fn run(self, stream: TcpStream) -> anyhow::Result<()> {
        let (mut rd, mut wr) = stream.into_split();
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let mut inflight: FuturesOrdered<Pending> = FuturesOrdered::new();
        let mut out = Outgoing::default();
        let mut frames: VecDeque<Bytes> = VecDeque::new();
        let mut eof = false;
        loop {
            // Every complete frame buffered, oldest first.
            while let Some(frame) = self.split_frame(&mut buf)? {
                frames.push_back(frame);
            }
            if let Some(raw) = frames.pop_front() {
                let frame = match parse_frame(raw) {
                    Ok(f) => f,
                    Err(e) => {
                        // A header we cannot read has no correlation id to answer with.
                        anyhow::bail!("unreadable request header: {e}");
                    }
                };
                let ctx = Ctx {
                    node: self.node.clone(),
                    coordinator: self.coordinator.clone(),
                    client_id: frame
                        .header
                        .client_id
                        .as_ref()
                        .map(|c| c.as_str().to_string())
                        .unwrap_or_default(),
                    client_host: self.peer.ip().to_string(),
                };
                if frame.api == ApiKey::Produce && inflight.len() < MAX_PIPELINED {
                    // Queued on the write path now, answered in order later.
                    inflight.push_back(produce::start(ctx, frame).await?);
                    continue;
                }
                // Anything else runs after what is in flight, alone.
                while let Some(reply) = inflight.next().await {
                    queue_reply(&mut out, reply);
                }
                flush(&mut wr, &mut out).await?;
                if frame.api == ApiKey::Produce {
                    inflight.push_back(produce::start(ctx, frame).await?);
                    continue;
                }
                let reply = registry::dispatch(&ctx, frame).await?;
                queue_reply(&mut out, reply);
                flush(&mut wr, &mut out).await?;
                continue;
            }
            if eof {
                while let Some(reply) = inflight.next().await {
                    queue_reply(&mut out, reply);
                }
                flush(&mut wr, &mut out).await?;
                return Ok(());
            }
            tokio::select! {
                n = rd.read_buf(&mut buf) => {
                    if n? == 0 {
                        eof = true;
                    }
                }
                Some(reply) = inflight.next(), if !inflight.is_empty() => {
                    queue_reply(&mut out, reply);
                    // Gather the others that are ready too, for one write.
                    while let Some(Some(reply)) = futures_util::FutureExt::now_or_never(inflight.next()) {
                        queue_reply(&mut out, reply);
                    }
                    flush(&mut wr, &mut out).await?;
                }
            }
        }
    }

    /// Takes one whole frame (without its size prefix) off the buffer, once it is all there.
    /// A size over the limit closes the connection before anything is allocated for it.
    fn split_frame(&self, buf: &mut BytesMut) -> anyhow::Result<Option<Bytes>> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let size = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let Ok(size) = usize::try_from(size) else {
            anyhow::bail!("negative request size {size}");
        };
        if size > self.max_request {
            anyhow::bail!(
                "request of {size} bytes is over socket.request.max.bytes ({})",
                self.max_request
            );
        }
        if buf.len() < 4 + size {
            buf.reserve(4 + size - buf.len());
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(size).freeze()))
    }
}

/// Replies at least this big are written as they are instead of being copied into the buffer
/// that gathers small ones (a fetch response of many megabytes is copied enough already).
const GATHER_MAX: usize = 32 * 1024;

/// Replies waiting to be written, in order.
#[derive(Default)]
struct Outgoing {
    chunks: Vec<Bytes>,
    small: BytesMut,
}

fn queue_reply(out: &mut Outgoing, reply: Reply) {
    let Some(r) = reply else {
        return;
    };
    if r.len() < GATHER_MAX {
        out.small.extend_from_slice(&r);
        return;
    }
    if !out.small.is_empty() {
        out.chunks.push(out.small.split().freeze());
    }
    out.chunks.push(r);
}

async fn flush(
    wr: &mut tokio::net::tcp::OwnedWriteHalf,
    out: &mut Outgoing,
) -> std::io::Result<()> {
    if !out.small.is_empty() {
        out.chunks.push(out.small.split().freeze());
    }
    for c in out.chunks.drain(..) {
        wr.write_all(&c).await?;
    }
    Ok(())
}

/// Reads a request's header; the body stays undecoded until its API's handler reads it.
fn parse_frame(mut raw: Bytes) -> anyhow::Result<Frame> {
    if raw.len() < 8 {
        anyhow::bail!("request shorter than a header");
    }
    let key = i16::from_be_bytes([raw[0], raw[1]]);
    let version = i16::from_be_bytes([raw[2], raw[3]]);
    let Ok(api) = ApiKey::try_from(key) else {
        anyhow::bail!("unknown API key {key}");
    };
    // A version past what the crate knows still has a readable header (ApiVersions must be
    // answered whatever its version): read it as the newest header version.
    let header_version = api.request_header_version(version.clamp(0, api.valid_versions().max));
    let header = RequestHeader::decode(&mut raw, header_version)?;
    Ok(Frame {
        header,
        api,
        body: raw,
    })
}

/// Encodes a response frame: size, header (the version the API's response takes) and body.
pub fn encode_response<R: Encodable>(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &R,
) -> Reply {
    let header_version = if api == ApiKey::ApiVersions {
        0
    } else {
        api.response_header_version(version)
    };
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    // Sized up front: a fetch response is mostly its records, copied in once.
    let size = body.compute_size(version).unwrap_or(0);
    let mut out = BytesMut::with_capacity(size + 16);
    out.put_i32(0);
    if let Err(e) = header
        .encode(&mut out, header_version)
        .and_then(|()| body.encode(&mut out, version))
    {
        tracing::error!(?api, version, error = %e, "encoding a Kafka response");
        return None;
    }
    let size = (out.len() - 4) as i32;
    out[0..4].copy_from_slice(&size.to_be_bytes());
    Some(out.freeze())
}

/// Everything the front-end reads of a request before acting on it: the header, the body of
/// its API and version and, for Produce, the record batches' framing and CRCs. An error is a
/// request the connection refuses. (The fuzz target's entry point.)
pub fn parse_request(raw: Bytes) -> anyhow::Result<()> {
    let frame = parse_frame(raw)?;
    let version = frame.header.request_api_version;
    let mut body = frame.body.clone();
    let request = kafka_protocol::messages::RequestKind::decode(frame.api, &mut body, version)?;
    if let kafka_protocol::messages::RequestKind::Produce(p) = request {
        for t in &p.topic_data {
            for part in &t.partition_data {
                if let Some(records) = &part.records {
                    let _ = crate::shared::record_batch::split(records);
                }
            }
        }
    }
    Ok(())
}

/// Decodes a request body of the version its header names.
pub fn decode_body<R: Decodable>(frame: &Frame) -> anyhow::Result<R> {
    let mut body = frame.body.clone();
    R::decode(&mut body, frame.header.request_api_version)
}

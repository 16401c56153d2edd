//! The Redis protocol front-end: parses RESP into Commands and Queries, encodes Responses. It
//! reaches data only through [`crate::node::Node`]; it never sees fjall.

pub mod cmd;
mod connection;
pub mod encode;
pub mod error;
pub mod frame;
pub mod parse;
pub mod pubsub;
pub mod replica;
pub mod script;
pub mod session;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

pub use session::Server;

/// Accepts RESP connections until the process ends; over `max_clients`, a connection is told so
/// and closed, as Redis does.
pub async fn serve(server: Arc<Server>, listener: TcpListener) {
    let max_clients = server.node.config.resp.max_clients;
    loop {
        let (mut stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let stats = &server.node.stats;
        stats.connections_received.fetch_add(1, Ordering::Relaxed);
        if server.clients.len() >= max_clients {
            stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let _ = stream
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
            });
            continue;
        }
        tokio::spawn(connection::serve(server.clone(), stream));
    }
}

//! trident: one server, three wire protocols, one replicated store.
//!
//! Front-ends (`resp`, later `kafka` and `cql`) parse their wire into [`command::Command`]s and
//! [`command::Query`]s and reach data only through [`node::Node`]; the [`engine`] applies them on
//! fjall and never sees a wire format.

pub mod admin;
pub mod alloc;
pub mod command;
pub mod config;
pub mod cql;
pub mod engine;
pub mod kafka;
pub mod node;
pub mod resp;
pub mod shared;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use config::Config;
use node::Node;

/// A running server: its node and the addresses it actually listens on (ports may have been 0).
pub struct Running {
    pub node: Arc<Node>,
    pub resp_addr: SocketAddr,
    pub kafka_addr: SocketAddr,
    pub cql_addr: SocketAddr,
    pub admin_addr: SocketAddr,
}

/// Opens the store, binds every listener and starts serving in the current tokio runtime.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let metrics = admin::recorder()?;
    let resp_listener = TcpListener::bind(config.resp.addr)
        .await
        .with_context(|| format!("binding RESP on {}", config.resp.addr))?;
    let kafka_listener = TcpListener::bind(config.kafka.addr)
        .await
        .with_context(|| format!("binding Kafka on {}", config.kafka.addr))?;
    let cql_listener = TcpListener::bind(config.cql.addr)
        .await
        .with_context(|| format!("binding CQL on {}", config.cql.addr))?;
    let admin_listener = TcpListener::bind(config.admin.addr)
        .await
        .with_context(|| format!("binding admin HTTP on {}", config.admin.addr))?;
    // Members advertise the addresses actually bound (a port may have been 0).
    let mut config = config;
    config.resp.addr = resp_listener.local_addr()?;
    config.admin.addr = admin_listener.local_addr()?;
    config.kafka.addr = kafka_listener.local_addr()?;
    config.cql.addr = cql_listener.local_addr()?;
    let node = Node::start(config).await?;
    let running = Running {
        resp_addr: resp_listener.local_addr()?,
        kafka_addr: kafka_listener.local_addr()?,
        cql_addr: cql_listener.local_addr()?,
        admin_addr: admin_listener.local_addr()?,
        node: node.clone(),
    };
    let server = Arc::new(resp::Server::new(node.clone()));
    tokio::spawn(resp::serve(server, resp_listener));
    tokio::spawn(kafka::serve(node.clone(), kafka_listener));
    tokio::spawn(cql::serve(node.clone(), cql_listener));
    tokio::spawn(admin::serve(node, metrics, admin_listener));
    Ok(running)
}

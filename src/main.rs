//! The `trident` binary: `trident serve` and `trident version`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Requests allocate many small buffers; mimalloc's thread-local free lists beat glibc's here.
#[global_allocator]
static GLOBAL: trident::alloc::Guarded = trident::alloc::Guarded;
use trident::config::{Config, Fsync, StorageMode};

#[derive(Parser)]
#[command(
    name = "trident",
    version,
    about = "One server for Redis, Kafka and Cassandra clients"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Starts the server (defaults: data in ./data, RESP on 127.0.0.1:6379, admin on :8080).
    Serve(Box<ServeArgs>),
    /// Prints the version.
    Version,
}

/// Flags override the config file; they are a stable interface for scripts.
#[derive(clap::Args)]
struct ServeArgs {
    /// TOML configuration file (see config/trident.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory of the store.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// RESP (Redis protocol) listen address.
    #[arg(long)]
    resp_addr: Option<SocketAddr>,
    /// Kafka protocol listen address.
    #[arg(long)]
    kafka_addr: Option<SocketAddr>,
    /// CQL (Cassandra native protocol) listen address.
    #[arg(long)]
    cql_addr: Option<SocketAddr>,
    /// Admin HTTP listen address (/metrics, /health).
    #[arg(long)]
    admin_addr: Option<SocketAddr>,
    /// When to fsync the journal.
    #[arg(long, value_enum)]
    fsync: Option<Fsync>,
    /// Persist nothing: a cache.
    #[arg(long)]
    memory: bool,
    /// Password clients must AUTH with.
    #[arg(long)]
    requirepass: Option<String>,
    /// Password CQL clients must log in with (PasswordAuthenticator), as `--cql-user`.
    #[arg(long)]
    cql_password: Option<String>,
    /// The CQL user that `--cql-password` belongs to (default cassandra).
    #[arg(long)]
    cql_user: Option<String>,
    /// This node's id in the cluster (unique, not 0).
    #[arg(long)]
    node_id: Option<u64>,
    /// Node-to-node (Raft) RPC listen address.
    #[arg(long)]
    raft_addr: Option<SocketAddr>,
    /// Raft address of any member of a cluster to join (used when the data directory is empty).
    #[arg(long)]
    join: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Version => {
            println!("trident {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Cmd::Serve(args) => serve(*args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(d) = args.data_dir {
        config.storage.data_dir = d;
    }
    if let Some(a) = args.resp_addr {
        config.resp.addr = a;
    }
    if let Some(a) = args.kafka_addr {
        config.kafka.addr = a;
    }
    if let Some(a) = args.cql_addr {
        config.cql.addr = a;
    }
    if let Some(a) = args.admin_addr {
        config.admin.addr = a;
    }
    if let Some(f) = args.fsync {
        config.storage.fsync = f;
    }
    if args.memory {
        config.storage.mode = StorageMode::Memory;
    }
    if let Some(p) = args.requirepass {
        config.resp.requirepass = p;
    }
    if let Some(p) = args.cql_password {
        config.cql.password = p;
    }
    if let Some(u) = args.cql_user {
        config.cql.username = u;
    }
    if let Some(id) = args.node_id {
        config.cluster.node_id = id;
    }
    if let Some(a) = args.raft_addr {
        config.cluster.raft_addr = a;
    }
    if let Some(j) = args.join {
        config.cluster.join = j;
    }
    if config.cluster.node_id == 0 {
        anyhow::bail!("--node-id must not be 0");
    }
    // fjall and lsm-tree narrate every flush at info; keep them to warnings unless asked.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().or_else(|_| {
        tracing_subscriber::EnvFilter::try_new(format!(
            "{},fjall=warn,lsm_tree=warn,openraft=error",
            config.log.level
        ))
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let running = trident::start(config).await?;
        tracing::info!(
            resp = %running.resp_addr,
            kafka = %running.kafka_addr,
            cql = %running.cql_addr,
            admin = %running.admin_addr,
            data_dir = %running.node.config.storage.data_dir.display(),
            fsync = ?running.node.config.storage.fsync,
            mode = ?running.node.config.storage.mode,
            "trident ready"
        );
        let node = running.node;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupted"),
            _ = terminate() => tracing::info!("terminated"),
            _ = node.shutdown_requested() => tracing::info!("SHUTDOWN requested"),
        }
        // Everything acknowledged becomes durable before the process goes.
        if let Err(e) = node.save().await {
            tracing::error!(error = %e, "final fsync failed");
        }
        tracing::info!("bye");
        anyhow::Ok(())
    })?;
    // Connection tasks and the writer thread end with the process.
    std::process::exit(0)
}

async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

//! Admin HTTP: `/metrics` for Prometheus, `/health` for load balancers and orchestrators, and
//! `/cluster` (JSON) for operators.

use std::convert::Infallible;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::node::Node;

/// Latency buckets (seconds) shared by every timing histogram, so they aggregate across nodes.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// Installs the process-wide Prometheus recorder once; later calls return the same handle.
pub fn recorder() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut slot = HANDLE.lock();
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full("trident_group_commit_batch_size".into()),
            BATCH_BUCKETS,
        )?
        .install_recorder()?;
    // Histograms are drained into their buckets periodically, whether or not anyone scrapes.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("trident-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        })?;
    *slot = Some(handle.clone());
    Ok(handle)
}

/// Serves the admin endpoints until the process ends.
pub async fn serve(node: Arc<Node>, handle: PrometheusHandle, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (node, handle) = (node.clone(), handle.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let (node, handle) = (node.clone(), handle.clone());
                async move { Ok::<_, Infallible>(route(&node, &handle, &req)) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

fn route(node: &Node, handle: &PrometheusHandle, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    match req.uri().path() {
        "/metrics" => {
            refresh_gauges(node);
            reply(StatusCode::OK, "text/plain; version=0.0.4", handle.render())
        }
        // Healthy means able to serve: a node that knows no leader can neither write nor read
        // linearizably.
        "/health" => match (node.failure(), node.leader_id()) {
            (Some(why), _) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("stopped applying the log: {why}\n"),
            ),
            (None, Some(_)) => reply(StatusCode::OK, "text/plain", "ok\n".into()),
            (None, None) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                "no leader\n".into(),
            ),
        },
        "/cluster" => match serde_json::to_string_pretty(&node.cluster_status()) {
            Ok(body) => reply(StatusCode::OK, "application/json", body + "\n"),
            Err(e) => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                e.to_string(),
            ),
        },
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

/// Gauges read from the node at scrape time.
fn refresh_gauges(node: &Node) {
    metrics::gauge!("trident_blocked_clients").set(node.blocking.blocked_clients() as f64);
    metrics::gauge!("trident_disk_bytes").set(node.disk_space() as f64);
    metrics::gauge!("trident_applied_index").set(node.applied_index() as f64);
    metrics::gauge!("trident_expired_keys_total").set(node.expired_keys() as f64);
    let (hits, misses, entries, bytes) = node.record_cache_stats();
    metrics::gauge!("trident_record_cache_hits_total").set(hits as f64);
    metrics::gauge!("trident_record_cache_misses_total").set(misses as f64);
    metrics::gauge!("trident_record_cache_entries").set(entries as f64);
    metrics::gauge!("trident_record_cache_bytes").set(bytes as f64);
    for db in 0..crate::shared::limits::DATABASES as u8 {
        let (keys, expires) = node.key_counts(db);
        if keys > 0 {
            let label = db.to_string();
            metrics::gauge!("trident_keys", "db" => label.clone()).set(keys as f64);
            metrics::gauge!("trident_keys_with_ttl", "db" => label).set(expires as f64);
        }
    }
}

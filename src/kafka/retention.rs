//! Retention (`retention.ms`, `retention.bytes`, `cleanup.policy=delete`): on the leader, every
//! `[kafka] retention_check_ms` (Kafka's `log.retention.check.interval.ms`), a background task
//! finds, per partition, the leading batches that are too old or beyond the
//! byte budget, and deletes them with a DeleteRecords command through the log, so every replica
//! drops the same batches. Whole batches only, as Kafka drops whole segments.

use std::sync::Arc;
use std::time::Duration;

use super::topic_configs;
use crate::command::log::{self, TopicInfo};
use crate::command::{Query, Response};
use crate::node::{now_ms, Node};

pub fn start(node: Arc<Node>) {
    tokio::spawn(async move {
        let every = Duration::from_millis(node.config.kafka.retention_check_ms.max(10));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = node.notices.logs();
        // Whether the last look found any records: an idle node with no topics does nothing
        // until a log changes.
        let mut any = true;
        loop {
            tick.tick().await;
            if node.is_shutting_down() {
                return;
            }
            if !node.is_leader() {
                any = true;
                continue;
            }
            if !any && !changes.has_changed().unwrap_or(false) {
                continue;
            }
            changes.borrow_and_update();
            any = enforce(&node).await;
        }
    });
}

/// A topic's limits: (retention.ms, retention.bytes), `None` where unlimited.
fn limits(t: &TopicInfo, max_message: usize) -> (Option<i64>, Option<u64>) {
    let num = |name| {
        topic_configs::value(&t.configs, name, max_message)
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
    };
    (
        num("retention.ms"),
        num("retention.bytes").map(|b| b as u64),
    )
}

/// One look at every partition; answers whether any holds records.
async fn enforce(node: &Node) -> bool {
    let topics = match node
        .query(&Query::Log(log::Query::Topics { names: None }), true)
        .await
    {
        Response::Log(log::Reply::Topics(t)) => t,
        _ => return true,
    };
    let any = topics
        .iter()
        .any(|t| t.partitions.iter().any(|p| p.log_start < p.high_watermark));
    let max_message = node.config.kafka.message_max_bytes;
    for t in topics {
        let (ms, bytes) = limits(&t, max_message);
        if ms.is_none() && bytes.is_none() {
            continue;
        }
        let older_than = ms.map(|ms| now_ms().saturating_sub(ms));
        for (p, info) in t.partitions.iter().enumerate() {
            if info.log_start == info.high_watermark {
                continue;
            }
            let over_bytes = bytes.is_some_and(|b| info.bytes > b);
            if older_than.is_none() && !over_bytes {
                continue;
            }
            let q = Query::Log(log::Query::RetentionPoint {
                topic: t.name.clone(),
                partition: p as i32,
                older_than,
                keep_bytes: bytes,
            });
            let Response::Log(log::Reply::Offset { offset, .. }) = node.query(&q, true).await
            else {
                continue;
            };
            if offset > info.log_start {
                node.execute(
                    log::Command::DeleteRecords {
                        topic: t.name.clone(),
                        partition: p as i32,
                        before: offset,
                    }
                    .into(),
                )
                .await;
                metrics::counter!("trident_kafka_retention_deletions_total").increment(1);
            }
        }
    }
    any
}

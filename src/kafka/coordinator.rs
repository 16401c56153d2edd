//! The group coordinator's clock. Group state is replicated; liveness is not: the leader (the
//! coordinator of every group) remembers when it last heard from each member, and a sweeper
//! removes members whose session timed out and completes rebalances that waited long enough,
//! each as a command through the log (as the expiry sweeper deletes keys). A new leader starts
//! every member's clock afresh, so a failover costs a member at most one more session timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::command::group::{self, GroupState};
use crate::command::{Query, Response};
use crate::node::{now_ms, Node};

/// How often the sweeper looks at the groups.
const SWEEP_EVERY: Duration = Duration::from_millis(100);

pub struct Coordinator {
    node: Arc<Node>,
    /// (group, member) → when this node last heard from it.
    seen: Mutex<HashMap<(String, String), Instant>>,
}

impl Coordinator {
    pub fn start(node: Arc<Node>) -> Arc<Coordinator> {
        let c = Arc::new(Coordinator {
            node,
            seen: Mutex::new(HashMap::new()),
        });
        tokio::spawn(c.clone().sweep());
        c
    }

    /// A member showed it is alive (any group request of it).
    pub fn heard(&self, group: &str, member: &str) {
        if !member.is_empty() {
            self.seen
                .lock()
                .insert((group.to_string(), member.to_string()), Instant::now());
        }
    }

    pub fn forget(&self, group: &str, member: &str) {
        self.seen
            .lock()
            .remove(&(group.to_string(), member.to_string()));
    }

    async fn sweep(self: Arc<Self>) {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = self.node.notices.groups();
        // Whether the last sweep met a group with members: until then, and until a group
        // changes, there is nothing to time out and the sweeper does nothing.
        let mut active = true;
        loop {
            tick.tick().await;
            if self.node.is_shutting_down() {
                return;
            }
            if !self.node.is_leader() {
                self.seen.lock().clear();
                active = true;
                continue;
            }
            let changed = changes.has_changed().unwrap_or(false);
            if !active && !changed {
                continue;
            }
            changes.borrow_and_update();
            match self.sweep_once().await {
                Ok(a) => active = a,
                Err(e) => tracing::debug!(error = %e, "group sweep"),
            }
        }
    }

    /// One look at every group; answers whether any has members.
    async fn sweep_once(&self) -> anyhow::Result<bool> {
        let groups = match self
            .node
            .query(&Query::Group(group::Query::List), true)
            .await
        {
            Response::Group(group::Reply::Groups(g)) => g,
            other => anyhow::bail!("listing groups: {other:?}"),
        };
        let max_rebalance = self.node.config.kafka.max_rebalance_ms as i64;
        let mut active = false;
        for (name, _, state) in groups {
            if matches!(state, GroupState::Empty | GroupState::Dead) {
                continue;
            }
            active = true;
            let q = Query::Group(group::Query::Describe {
                group: name.clone(),
            });
            let Response::Group(group::Reply::Group(Some(g))) = self.node.query(&q, true).await
            else {
                continue;
            };
            let now = Instant::now();
            let expired: Vec<String> = {
                let mut seen = self.seen.lock();
                g.members
                    .iter()
                    .filter(|m| {
                        let last = *seen
                            .entry((name.clone(), m.member_id.clone()))
                            .or_insert(now);
                        now.duration_since(last)
                            >= Duration::from_millis(m.session_timeout_ms.max(0) as u64)
                    })
                    .map(|m| m.member_id.clone())
                    .collect()
            };
            if !expired.is_empty() {
                tracing::info!(group = %name, members = ?expired, "session timed out");
                for m in &expired {
                    self.forget(&name, m);
                }
                self.node
                    .execute(
                        group::Command::Leave {
                            group: name.clone(),
                            members: expired,
                        }
                        .into(),
                    )
                    .await;
                continue;
            }
            if g.state == GroupState::PreparingRebalance {
                let now = now_ms();
                // A new group's wait for more members is over, or the members that have not
                // joined again have had their rebalance timeout.
                let initial_over = g.initial_until_ms > 0 && now >= g.initial_until_ms;
                let timeout = g
                    .members
                    .iter()
                    .map(|m| i64::from(m.rebalance_timeout_ms))
                    .max()
                    .unwrap_or(0)
                    .min(max_rebalance);
                if initial_over || now - g.rebalance_since_ms > timeout {
                    self.node
                        .execute(
                            group::Command::CompleteRebalance {
                                group: name.clone(),
                                generation: g.generation,
                            }
                            .into(),
                        )
                        .await;
                }
            }
        }
        Ok(active)
    }
}

/// Asks `q` until its answer is no longer `pending`, waking on the groups' change notice, and
/// keeps the member alive while it waits (a member waiting for a rebalance is not silent).
/// Past `deadline` the last answer is returned as it is.
pub async fn wait_until(
    ctx: &super::Ctx,
    group: &str,
    member: &str,
    q: Query,
    deadline: tokio::time::Instant,
    pending: impl Fn(&Response) -> bool,
) -> Response {
    let mut notices = ctx.node.notices.groups();
    loop {
        notices.borrow_and_update();
        ctx.coordinator.heard(group, member);
        let r = ctx.node.query(&q, true).await;
        if !pending(&r) || tokio::time::Instant::now() >= deadline {
            return r;
        }
        let tick = tokio::time::Instant::now() + Duration::from_secs(1);
        tokio::select! {
            changed = notices.changed() => {
                if changed.is_err() {
                    return r;
                }
            }
            _ = tokio::time::sleep_until(tick.min(deadline)) => {}
        }
        if !ctx.node.is_leader() {
            return Response::Error(crate::command::NodeError::NoLeader.into());
        }
    }
}

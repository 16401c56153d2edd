//! TOPOLOGY_CHANGE and STATUS_CHANGE events: what this node knows of the other members, as the
//! events drivers use to add and drop hosts and to reconnect to a host that came back, instead
//! of waiting out their reconnection back-off.
//!
//! Membership is the Raft configuration every node applies, so every node reports NEW_NODE and
//! REMOVED_NODE. Liveness is what Raft tells this node: a leader hears from every member (one
//! that has not acknowledged anything for [`down_after_ms`] is down), a follower hears only from
//! the leader (down once no leader has been known for as long). A follower has no news of the
//! other followers and says nothing about them, as a Cassandra node reports only what its own
//! gossip saw.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cql::frame::event::{Event, StatusChange, TopologyChange};
use crate::node::{ClusterStatus, NodeId};

use super::session::Server;

/// A member as this node last saw it: where clients reach its CQL port, and whether it is up
/// (`None`: nothing known either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub addr: SocketAddr,
    pub up: Option<bool>,
}

/// The other members and what is known of them.
pub type View = BTreeMap<NodeId, Seen>;

/// How long a member may stay silent before it is reported down: several election timeouts, so
/// that a member slowed by load is not reported down and up again.
pub fn down_after_ms(election_timeout_ms: u64) -> u64 {
    (election_timeout_ms * 4).max(2000)
}

/// How long this node has been in its present state, which decides what silence means.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tenure {
    /// Leading for this long (a member never heard from since is down past the limit).
    pub leading_for: Option<Duration>,
    /// Without a known leader for this long (then `last_leader` is down past the limit).
    pub leaderless_for: Option<Duration>,
    pub last_leader: Option<NodeId>,
}

/// One look at the cluster.
pub fn observe(status: &ClusterStatus, down_after_ms: u64, tenure: Tenure) -> View {
    let leading = status.role == "leader";
    let longer = |d: Option<Duration>| d.is_some_and(|d| d.as_millis() as u64 > down_after_ms);
    status
        .members
        .iter()
        .filter(|m| m.id != status.node_id)
        .filter_map(|m| {
            let addr: SocketAddr = m.cql_addr.parse().ok()?;
            let up = if leading {
                match m.acked_ms_ago {
                    Some(ms) => Some(ms <= down_after_ms),
                    None if longer(tenure.leading_for) => Some(false),
                    None => None,
                }
            } else if status.leader == Some(m.id) {
                Some(true)
            } else if tenure.last_leader == Some(m.id) && longer(tenure.leaderless_for) {
                Some(false)
            } else {
                None
            };
            Some((m.id, Seen { addr, up }))
        })
        .collect()
}

/// The events that take a client from `before` to `now`, and the view to compare with next
/// time (what is not known now keeps what was known before).
pub fn changes(before: &View, now: &View) -> (Vec<Event>, View) {
    let mut events = Vec::new();
    let mut next = View::new();
    for (id, seen) in now {
        match before.get(id) {
            Some(old) if old.addr == seen.addr => {
                let up = seen.up.or(old.up);
                if let (Some(was), Some(is)) = (old.up, up) {
                    if was != is {
                        let change = if is {
                            StatusChange::Up
                        } else {
                            StatusChange::Down
                        };
                        events.push(Event::StatusChange {
                            change,
                            node: seen.addr,
                        });
                    }
                }
                next.insert(*id, Seen { up, ..*seen });
            }
            old => {
                if let Some(old) = old {
                    events.push(Event::TopologyChange {
                        change: TopologyChange::RemovedNode,
                        node: old.addr,
                    });
                }
                events.push(Event::TopologyChange {
                    change: TopologyChange::NewNode,
                    node: seen.addr,
                });
                // A member just added is taken as up until heard otherwise: drivers connect to
                // a NEW_NODE at once anyway.
                next.insert(
                    *id,
                    Seen {
                        up: seen.up.or(Some(true)),
                        ..*seen
                    },
                );
            }
        }
    }
    for (id, old) in before {
        if !now.contains_key(id) {
            events.push(Event::TopologyChange {
                change: TopologyChange::RemovedNode,
                node: old.addr,
            });
        }
    }
    (events, next)
}

/// How often the cluster is looked at: a fraction of the time after which a member is down.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// Starts the task that follows the cluster and tells registered clients of what changed.
pub fn watch(server: &Arc<Server>) {
    let server = server.clone();
    tokio::spawn(async move {
        let node = server.node.clone();
        let down_after = down_after_ms(node.config.cluster.election_timeout_ms);
        let mut last_leader = None;
        let mut leaderless_since: Option<Instant> = None;
        let mut leading_since: Option<Instant> = None;
        let mut view: Option<View> = None;
        let mut tick = tokio::time::interval(LOOK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let status = node.cluster_status();
            if status.role == "leader" {
                leading_since.get_or_insert_with(Instant::now);
            } else {
                leading_since = None;
            }
            match status.leader {
                Some(l) => {
                    last_leader = Some(l);
                    leaderless_since = None;
                }
                None => {
                    leaderless_since.get_or_insert_with(Instant::now);
                }
            }
            let tenure = Tenure {
                leading_for: leading_since.map(|t| t.elapsed()),
                leaderless_for: leaderless_since.map(|t| t.elapsed()),
                last_leader,
            };
            let now = observe(&status, down_after, tenure);
            // The first look is the baseline: a client connecting later reads the same nodes
            // from system.peers.
            let Some(before) = &view else {
                view = Some(now);
                continue;
            };
            let (events, next) = changes(before, &now);
            for e in events {
                tracing::info!(event = ?e, "cql cluster event");
                server.send_event(e);
            }
            view = Some(next);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::MemberStatus;

    fn member(id: NodeId, port: u16, acked: Option<u64>) -> MemberStatus {
        MemberStatus {
            id,
            raft_addr: String::new(),
            resp_addr: String::new(),
            admin_addr: String::new(),
            kafka_addr: String::new(),
            cql_addr: format!("127.0.0.1:{port}"),
            voter: true,
            matched_index: None,
            lag: None,
            acked_ms_ago: acked,
        }
    }

    fn status(
        me: NodeId,
        role: &'static str,
        leader: Option<NodeId>,
        m: Vec<MemberStatus>,
    ) -> ClusterStatus {
        ClusterStatus {
            node_id: me,
            role,
            leader,
            term: 1,
            commit_index: 0,
            applied_index: 0,
            last_log_index: 0,
            snapshot_index: None,
            purged_index: None,
            members: m,
        }
    }

    fn gone(d: Duration, leader: NodeId) -> Tenure {
        Tenure {
            leaderless_for: Some(d),
            last_leader: Some(leader),
            ..Tenure::default()
        }
    }

    fn addr(port: u16) -> SocketAddr {
        format!("127.0.0.1:{port}").parse().expect("addr")
    }

    #[test]
    fn a_leader_reports_members_down_and_up_by_their_acks() {
        let three = |acked2, acked3| {
            status(
                1,
                "leader",
                Some(1),
                vec![
                    member(1, 9001, None),
                    member(2, 9002, acked2),
                    member(3, 9003, acked3),
                ],
            )
        };
        let v = observe(&three(Some(10), Some(10)), 2000, Tenure::default());
        assert_eq!(v.len(), 2, "the node itself is not among its peers");
        let (e, v) = changes(
            &v,
            &observe(&three(Some(10), Some(2500)), 2000, Tenure::default()),
        );
        assert_eq!(
            e,
            vec![Event::StatusChange {
                change: StatusChange::Down,
                node: addr(9003)
            }]
        );
        let (e, v) = changes(
            &v,
            &observe(&three(Some(10), Some(2600)), 2000, Tenure::default()),
        );
        assert!(e.is_empty(), "told once: {e:?}");
        let (e, _) = changes(
            &v,
            &observe(&three(Some(10), Some(5)), 2000, Tenure::default()),
        );
        assert_eq!(
            e,
            vec![Event::StatusChange {
                change: StatusChange::Up,
                node: addr(9003)
            }]
        );
    }

    #[test]
    fn a_new_leader_reports_a_member_it_never_heard_from_once_it_led_long_enough() {
        let s = status(
            2,
            "leader",
            Some(2),
            vec![member(1, 9001, None), member(2, 9002, None)],
        );
        let was = View::from([(
            1,
            Seen {
                addr: addr(9001),
                up: Some(true),
            },
        )]);
        let just = Tenure {
            leading_for: Some(Duration::from_millis(300)),
            ..Tenure::default()
        };
        let (e, v) = changes(&was, &observe(&s, 2000, just));
        assert!(e.is_empty(), "{e:?}");
        let long = Tenure {
            leading_for: Some(Duration::from_secs(3)),
            ..Tenure::default()
        };
        let (e, _) = changes(&v, &observe(&s, 2000, long));
        assert_eq!(
            e,
            vec![Event::StatusChange {
                change: StatusChange::Down,
                node: addr(9001)
            }]
        );
    }

    #[test]
    fn a_follower_reports_only_the_leader() {
        let members = || {
            vec![
                member(1, 9001, None),
                member(2, 9002, None),
                member(3, 9003, None),
            ]
        };
        let v = observe(
            &status(2, "follower", Some(1), members()),
            2000,
            Tenure::default(),
        );
        assert_eq!(v[&1].up, Some(true));
        assert_eq!(v[&3].up, None);
        // The leader gone, briefly: nothing said.
        let brief = observe(
            &status(2, "follower", None, members()),
            2000,
            gone(Duration::from_millis(500), 1),
        );
        let (e, v) = changes(&v, &brief);
        assert!(e.is_empty(), "{e:?}");
        // Gone for longer than a member may be silent: down.
        let long = observe(
            &status(2, "follower", None, members()),
            2000,
            gone(Duration::from_secs(3), 1),
        );
        let (e, v) = changes(&v, &long);
        assert_eq!(
            e,
            vec![Event::StatusChange {
                change: StatusChange::Down,
                node: addr(9001)
            }]
        );
        // Node 3 now leads; node 1 stays down until something is heard of it.
        let (e, v) = changes(
            &v,
            &observe(
                &status(2, "follower", Some(3), members()),
                2000,
                Tenure {
                    last_leader: Some(3),
                    ..Tenure::default()
                },
            ),
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(v[&1].up, Some(false));
        assert_eq!(v[&3].up, Some(true));
    }

    #[test]
    fn members_joining_and_leaving_are_new_and_removed_nodes() {
        let s = |m| status(1, "leader", Some(1), m);
        let v = observe(
            &s(vec![member(1, 9001, None), member(2, 9002, Some(1))]),
            2000,
            Tenure::default(),
        );
        let grown = observe(
            &s(vec![
                member(1, 9001, None),
                member(2, 9002, Some(1)),
                member(4, 9004, None),
            ]),
            2000,
            Tenure::default(),
        );
        let (e, v) = changes(&v, &grown);
        assert_eq!(
            e,
            vec![Event::TopologyChange {
                change: TopologyChange::NewNode,
                node: addr(9004)
            }]
        );
        let shrunk = observe(
            &s(vec![member(1, 9001, None), member(4, 9004, Some(1))]),
            2000,
            Tenure::default(),
        );
        let (e, _) = changes(&v, &shrunk);
        assert_eq!(
            e,
            vec![Event::TopologyChange {
                change: TopologyChange::RemovedNode,
                node: addr(9002)
            }]
        );
    }
}

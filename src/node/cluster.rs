//! Forming and changing the cluster, and what the node tells the world about it (INFO
//! replication, CLUSTER ..., /cluster, /health, metrics).

use openraft::async_runtime::WatchReceiver;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use openraft::{ChangeMembers, ReadPolicy, ServerState, SnapshotPolicy};
use serde::Serialize;

use super::raft_types::{NodeId, NodeInfo};
use super::rpc::{Reply, Request};
use super::{writer, Node};
use crate::command::{CommandError, NodeError};
use crate::config::ClusterConfig;

pub fn raft_config(c: &ClusterConfig) -> anyhow::Result<openraft::Config> {
    let config = openraft::Config {
        cluster_name: "trident".into(),
        heartbeat_interval: c.heartbeat_ms,
        election_timeout_min: c.election_timeout_ms,
        // A voter refuses other candidates for `election_timeout_max` after it last heard the
        // leader (the leader lease), so a narrow window makes the first election after a crash
        // succeed instead of the early candidates being turned away.
        election_timeout_max: c.election_timeout_ms * 3 / 2,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(c.snapshot_logs.max(1)),
        max_in_snapshot_log_to_keep: (c.snapshot_logs / 2).min(1000),
        install_snapshot_timeout: 10_000,
        // A member whose data directory was wiped comes back with an empty log. openraft treats
        // a follower's log going backwards as a bug and stops replicating to it; for us it is an
        // operation (wipe and rejoin), so the leader starts that member over from scratch.
        allow_log_reversion: Some(true),
        ..Default::default()
    };
    Ok(config.validate()?)
}

/// On first start: forms the configured cluster, or a cluster of one, or joins through
/// `join`. A node with state of its own (a restart) does none of that.
pub async fn form(node: &Arc<Node>) -> anyhow::Result<()> {
    let c = &node.config.cluster;
    if node.raft.is_initialized().await? {
        return wait_sole_leader(node).await;
    }
    if !c.join.is_empty() {
        tokio::spawn(join(node.clone(), c.join.clone()));
        return Ok(());
    }
    let members: BTreeMap<NodeId, NodeInfo> = if c.members.is_empty() {
        BTreeMap::from([(node.id, node.info.clone())])
    } else {
        c.members
            .iter()
            .map(|m| {
                let info = if m.id == node.id {
                    node.info.clone()
                } else {
                    NodeInfo {
                        format: crate::engine::FORMAT_VERSION,
                        raft_addr: m.raft_addr.clone(),
                        admin_addr: m.admin_addr.clone(),
                        listeners: [
                            (super::raft_types::RESP.to_string(), m.resp_addr.clone()),
                            (super::raft_types::KAFKA.to_string(), m.kafka_addr.clone()),
                            (super::raft_types::CQL.to_string(), m.cql_addr.clone()),
                        ]
                        .into_iter()
                        .filter(|(_, a)| !a.is_empty())
                        .collect(),
                    }
                };
                (m.id, info)
            })
            .collect()
    };
    if !members.contains_key(&node.id) {
        anyhow::bail!("node {} is not among [[cluster.members]]", node.id);
    }
    // Every member initializes with the same membership; whichever gets there first wins and
    // the others' attempts are refused harmlessly.
    if let Err(e) = node.raft.initialize(members).await {
        tracing::info!(error = %e, "cluster already being formed");
    }
    wait_sole_leader(node).await
}

/// A group of one leads at once; wait for that (and for its log to be applied) so that the
/// first client already sees everything acknowledged before a restart.
async fn wait_sole_leader(node: &Arc<Node>) -> anyhow::Result<()> {
    let m = node.raft.metrics().borrow_watched().clone();
    let voters: Vec<_> = m.membership_config.membership().voter_ids().collect();
    if voters != [node.id] {
        return Ok(());
    }
    let m = node
        .raft
        .wait(Some(Duration::from_secs(30)))
        .state(ServerState::Leader, "single node leads")
        .await?;
    node.raft
        .wait(Some(Duration::from_secs(60)))
        .applied_index_at_least(m.last_log_index, "single node applied its log")
        .await?;
    refresh(node);
    Ok(())
}

/// Asks a member to add this node: as a learner, then as a voter once it has caught up.
async fn join(node: Arc<Node>, via: String) {
    let peer = node.peer(&via);
    let req = Request::Join {
        id: node.id,
        info: node.info.clone(),
    };
    loop {
        match peer.call(&req, Some(Duration::from_secs(300))).await {
            Ok(Reply::Ack) => {
                tracing::info!(via = %via, "joined the cluster");
                return;
            }
            Ok(Reply::Failed(e)) => tracing::warn!(error = %e, "join refused; retrying"),
            Ok(_) => tracing::warn!("unexpected reply to join; retrying"),
            Err(e) => tracing::warn!(error = %e, "cannot reach {via} to join; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl Node {
    /// Serves what a peer asks on behalf of its clients.
    pub(super) async fn handle_peer_request(self: &Arc<Self>, req: Request) -> Reply {
        match req {
            Request::Write(requests) => Reply::Responses(self.submit_all(requests, true).await),
            Request::ReadIndex => {
                if !self.is_leader() {
                    return Reply::Failed("not the leader".into());
                }
                match self.raft.get_read_linearizer(ReadPolicy::LeaseRead).await {
                    Ok(l) => Reply::Index(l.read_log_id().index()),
                    Err(e) => Reply::Failed(writer::try_again(e).to_string()),
                }
            }
            Request::Join { id, info } => match self.add_member(id, info).await {
                Ok(()) => Reply::Ack,
                Err(e) => Reply::Failed(e.to_string()),
            },
            Request::Remove { id } => match self.remove_member(id).await {
                Ok(()) => Reply::Ack,
                Err(e) => Reply::Refused(e),
            },
            _ => Reply::Failed("unexpected request".into()),
        }
    }

    /// Adds a node as a learner and, once it has caught up, as a voter (on the leader; other
    /// members pass the request on).
    pub async fn add_member(
        self: &Arc<Self>,
        id: NodeId,
        info: NodeInfo,
    ) -> Result<(), CommandError> {
        if !self.is_leader() {
            return self.ask_leader(Request::Join { id, info }).await;
        }
        let voters: BTreeSet<NodeId> = self
            .raft
            .metrics()
            .borrow_watched()
            .membership_config
            .membership()
            .voter_ids()
            .collect();
        if voters.contains(&id) {
            // A member asks to join only with an empty data directory: its data was wiped. Its
            // log going back to nothing would otherwise stop replication to it as a bug; here it
            // is expected, so it is caught up from scratch (log or snapshot).
            return match self.raft.trigger().allow_next_revert(&id, true).await {
                Ok(_) => Ok(()),
                Err(e) => Err(writer::unavailable(format!("rejoining node {id}: {e}"))),
            };
        }
        self.raft
            .add_learner(id, info, true)
            .await
            .map_err(|e| writer::unavailable(format!("adding node {id}: {e}")))?;
        self.raft
            .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
            .await
            .map_err(|e| writer::unavailable(format!("promoting node {id}: {e}")))?;
        Ok(())
    }

    /// Removes a node from the cluster (CLUSTER FORGET).
    pub async fn remove_member(self: &Arc<Self>, id: NodeId) -> Result<(), CommandError> {
        if !self.is_leader() {
            return self.ask_leader(Request::Remove { id }).await;
        }
        let m = self
            .raft
            .metrics()
            .borrow_watched()
            .membership_config
            .clone();
        if m.membership().get_node(&id).is_none() {
            return Err(NodeError::UnknownMember(id).into());
        }
        let change = if m.membership().voter_ids().any(|v| v == id) {
            ChangeMembers::RemoveVoters(BTreeSet::from([id]))
        } else {
            ChangeMembers::RemoveNodes(BTreeSet::from([id]))
        };
        self.raft
            .change_membership(change, false)
            .await
            .map_err(|e| writer::unavailable(format!("removing node {id}: {e}")))?;
        Ok(())
    }

    async fn ask_leader(&self, req: Request) -> Result<(), CommandError> {
        let peer = match self.find_leader(Duration::from_secs(2)).await {
            super::Leader::Peer(p) => p,
            super::Leader::Me => return Err(writer::unavailable("leadership moved here; retry")),
            super::Leader::Unknown => return Err(writer::cluster_down()),
        };
        match peer.call(&req, Some(Duration::from_secs(300))).await {
            Ok(Reply::Ack) => Ok(()),
            Ok(Reply::Refused(e)) => Err(e),
            Ok(Reply::Failed(e)) => Err(writer::unavailable(e)),
            Ok(_) => Err(writer::unavailable("unexpected reply from the leader")),
            Err(e) => Err(writer::try_again(e)),
        }
    }

    /// How many other members acknowledged this node, as leader, within `max_ms`
    /// (`min-replicas-to-write`); none when it does not lead.
    pub fn replicas_acked_within(&self, max_ms: u64) -> usize {
        // Read in place: a write checks this, and the metrics are a large clone.
        let m = self.raft.metrics();
        let acked = acked_ms_ago(&m.borrow_watched());
        acked
            .into_iter()
            .filter(|(id, ms)| *id != self.id && *ms <= max_ms)
            .count()
    }

    /// A picture of the cluster as this node sees it.
    pub fn cluster_status(&self) -> ClusterStatus {
        let m = self.raft.metrics().borrow_watched().clone();
        let membership = m.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let matched: BTreeMap<NodeId, Option<u64>> = m
            .replication
            .as_ref()
            .map(|r| {
                r.iter()
                    .map(|(id, l)| (*id, l.as_ref().map(|l| l.index)))
                    .collect()
            })
            .unwrap_or_default();
        let last = m.last_log_index.unwrap_or(0);
        let acked = acked_ms_ago(&m);
        let members = membership
            .nodes()
            .map(|(id, info)| {
                let matched_index = matched.get(id).copied().flatten();
                MemberStatus {
                    id: *id,
                    raft_addr: info.raft_addr.clone(),
                    resp_addr: info.resp_addr().to_string(),
                    admin_addr: info.admin_addr.clone(),
                    kafka_addr: info
                        .listener(super::raft_types::KAFKA)
                        .unwrap_or_default()
                        .to_string(),
                    cql_addr: info
                        .listener(super::raft_types::CQL)
                        .unwrap_or_default()
                        .to_string(),
                    voter: voters.contains(id),
                    matched_index,
                    lag: if m.state == ServerState::Leader {
                        Some(last.saturating_sub(matched_index.unwrap_or(0)))
                    } else {
                        None
                    },
                    acked_ms_ago: acked.get(id).copied(),
                }
            })
            .collect();
        ClusterStatus {
            node_id: self.id,
            role: role_name(m.state, voters.contains(&self.id)),
            // From the same metrics as the role (see `effective_leader`).
            leader: effective_leader(self, &m).0,
            term: m.current_term,
            commit_index: m.cluster_committed.as_ref().map_or(0, |l| l.index),
            applied_index: m.last_applied.as_ref().map_or(0, |l| l.index),
            last_log_index: last,
            snapshot_index: m.snapshot.as_ref().map(|l| l.index),
            purged_index: m.purged.as_ref().map(|l| l.index),
            members,
        }
    }
}

/// On the leader: how long ago each member last acknowledged a heartbeat or entries.
fn acked_ms_ago(m: &openraft::RaftMetrics<super::raft_types::TypeConfig>) -> BTreeMap<NodeId, u64> {
    m.heartbeat
        .as_ref()
        .map(|h| {
            h.iter()
                .filter_map(|(id, t)| {
                    let at = **t.as_ref()?;
                    Some((*id, openraft::Instant::elapsed(&at).as_millis() as u64))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn role_name(state: ServerState, voter: bool) -> &'static str {
    match state {
        ServerState::Leader => "leader",
        ServerState::Candidate => "candidate",
        ServerState::Shutdown => "shutdown",
        _ if !voter => "learner",
        _ => "follower",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ClusterStatus {
    pub node_id: NodeId,
    pub role: &'static str,
    pub leader: Option<NodeId>,
    pub term: u64,
    pub commit_index: u64,
    pub applied_index: u64,
    pub last_log_index: u64,
    pub snapshot_index: Option<u64>,
    pub purged_index: Option<u64>,
    pub members: Vec<MemberStatus>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberStatus {
    pub id: NodeId,
    pub raft_addr: String,
    pub resp_addr: String,
    pub admin_addr: String,
    /// Where Kafka clients reach this member (empty: unknown).
    pub kafka_addr: String,
    /// Where CQL clients reach this member (empty: unknown).
    pub cql_addr: String,
    pub voter: bool,
    pub matched_index: Option<u64>,
    pub lag: Option<u64>,
    /// On the leader: how long ago this member last acknowledged a heartbeat or entries.
    pub acked_ms_ago: Option<u64>,
}

/// Copies what the hot paths need out of openraft's metrics (who leads, whether we are alone).
fn refresh(node: &Node) -> openraft::RaftMetrics<super::raft_types::TypeConfig> {
    let m = node.raft.metrics().borrow_watched().clone();
    let (leader, sole) = effective_leader(node, &m);
    node.leader.store(leader.unwrap_or(0), Ordering::Release);
    node.sole_voter.store(sole, Ordering::Release);
    m
}

/// Who leads according to one snapshot of openraft's metrics, and whether this node is the only
/// voter. Everything that reports a leader (`/cluster`, INFO, CLUSTER NODES) derives it from the
/// same snapshot as the role it reports beside it, never from a cache refreshed at another time:
/// a leader frozen by SIGSTOP and thawed after a new election would otherwise report itself as
/// leader in the new term for up to a refresh interval.
fn effective_leader(
    node: &Node,
    m: &openraft::RaftMetrics<super::raft_types::TypeConfig>,
) -> (Option<NodeId>, bool) {
    let voters: Vec<NodeId> = m.membership_config.membership().voter_ids().collect();
    let sole = voters == [node.id];
    // Only a node in the leader state may name itself.
    if m.current_leader == Some(node.id) && m.state != ServerState::Leader {
        return (None, sole);
    }
    // A leader that has not heard from a quorum for a lease can no longer commit anything
    // (openraft refuses its proposals): it does not count as a leader here, so clients get
    // CLUSTERDOWN at once and /health fails, instead of waiting on it.
    let lease = node.config.cluster.election_timeout_ms * 3 / 2;
    let cut_off = m.state == ServerState::Leader
        && !sole
        && m.last_quorum_acked
            .as_ref()
            .is_none_or(|at| openraft::Instant::elapsed(&**at) > Duration::from_millis(lease));
    (if cut_off { None } else { m.current_leader }, sole)
}

/// Follows openraft's metrics: keeps the cached leader current and exports the gauges. It wakes
/// on a change of leader, state or membership (openraft's server metrics, which do not change
/// with every entry) and on a timer, never once per log entry.
pub async fn watch_metrics(node: Arc<Node>) {
    let mut rx = node.raft.server_metrics();
    let mut last_leader = None;
    for c in [
        "trident_raft_leader_changes_total",
        "trident_raft_snapshots_built_total",
        "trident_raft_snapshots_installed_total",
    ] {
        metrics::counter!(c).increment(0);
    }
    loop {
        let m = refresh(&node);
        if m.current_leader != last_leader {
            if m.current_leader.is_some() {
                metrics::counter!("trident_raft_leader_changes_total").increment(1);
            }
            tracing::info!(leader = ?m.current_leader, term = m.current_term, "leader changed");
            last_leader = m.current_leader;
        }
        metrics::gauge!("trident_raft_term").set(m.current_term as f64);
        metrics::gauge!("trident_raft_is_leader").set(if m.state == ServerState::Leader {
            1.0
        } else {
            0.0
        });
        metrics::gauge!("trident_raft_commit_index")
            .set(m.cluster_committed.as_ref().map_or(0, |l| l.index) as f64);
        metrics::gauge!("trident_raft_applied_index")
            .set(m.last_applied.as_ref().map_or(0, |l| l.index) as f64);
        metrics::gauge!("trident_raft_last_log_index").set(m.last_log_index.unwrap_or(0) as f64);
        // Also on a timer: indexes move, and a leader's quorum lease runs out, without any
        // server metric changing.
        tokio::select! {
            r = rx.changed() => if r.is_err() { return },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

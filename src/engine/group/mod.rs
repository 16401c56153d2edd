//! Consumer groups (Kafka's classic protocol) and committed offsets on fjall (see
//! `keys::group`). A group is one record, rewritten by every membership change; a rebalance
//! completes as soon as every member has joined again, or when the leader's timer says it has
//! waited long enough (`CompleteRebalance`).

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::command::group::{
    Command, Committed, Generation, GroupError, GroupInfo, GroupState, Join, MemberInfo, Query,
    Reply,
};
use crate::command::{CommandError, Response};
use crate::engine::corrupt;
use crate::engine::keys::group as keys;
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::store::txn::Txn;
use crate::engine::ApplyContext;
use crate::engine::Engine;

/// Kafka's `group.min.session.timeout.ms` and `group.max.session.timeout.ms`.
const MIN_SESSION_MS: i32 = 1_000;
const MAX_SESSION_MS: i32 = 1_800_000;
/// Kafka's `group.max.size` has no default limit; this bounds one group record.
const MAX_MEMBERS: usize = 1_000;
/// Member ids handed out to new members that have not joined with them yet.
const MAX_PENDING: usize = 1_000;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Group {
    state: GroupState,
    generation: i32,
    protocol_type: String,
    protocol: String,
    leader: String,
    members: Vec<Member>,
    pending: Vec<String>,
    rebalance_since_ms: i64,
    /// A new group's first rebalance waits until then for more members (Kafka's
    /// `group.initial.rebalance.delay.ms`); 0: no wait.
    initial_until_ms: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Member {
    id: String,
    instance_id: Option<String>,
    client_id: String,
    client_host: String,
    protocols: Vec<(String, Bytes)>,
    session_timeout_ms: i32,
    rebalance_timeout_ms: i32,
    assignment: Bytes,
    /// Whether the member has joined the rebalance in progress (or the current generation).
    joined: bool,
}

impl Group {
    fn new() -> Group {
        Group {
            state: GroupState::Empty,
            generation: 0,
            protocol_type: String::new(),
            protocol: String::new(),
            leader: String::new(),
            members: Vec::new(),
            pending: Vec::new(),
            rebalance_since_ms: 0,
            initial_until_ms: 0,
        }
    }

    fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    fn member_mut(&mut self, id: &str) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    fn start_rebalance(&mut self, now_ms: i64) {
        if self.state != GroupState::PreparingRebalance {
            self.state = GroupState::PreparingRebalance;
            self.rebalance_since_ms = now_ms;
            for m in &mut self.members {
                m.joined = false;
            }
        }
    }

    /// Completes the rebalance if every member has joined (and a new group's first wait for
    /// more members is over).
    fn maybe_complete(&mut self, now_ms: i64) {
        if self.state == GroupState::PreparingRebalance
            && now_ms >= self.initial_until_ms
            && self.members.iter().all(|m| m.joined)
        {
            self.complete();
        }
    }

    /// Drops the members that did not join and starts the next generation with the others.
    fn complete(&mut self) {
        self.initial_until_ms = 0;
        self.members.retain(|m| m.joined);
        self.generation = self.generation.wrapping_add(1).max(1);
        for m in &mut self.members {
            m.assignment = Bytes::new();
        }
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader.clear();
            self.protocol.clear();
            return;
        }
        self.protocol = choose_protocol(&self.members);
        if self.member(&self.leader).is_none() {
            self.leader = self.members[0].id.clone();
        }
        self.state = GroupState::CompletingRebalance;
    }

    fn generation_for(&self, member_id: &str) -> Option<Generation> {
        let m = self.member(member_id)?;
        let complete = matches!(
            self.state,
            GroupState::CompletingRebalance | GroupState::Stable
        );
        if !complete || !m.joined {
            return None;
        }
        let members = if self.leader == member_id {
            self.members.iter().map(|m| self.member_info(m)).collect()
        } else {
            Vec::new()
        };
        Some(Generation {
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            member_id: member_id.to_string(),
            members,
        })
    }

    fn member_info(&self, m: &Member) -> MemberInfo {
        let metadata = m
            .protocols
            .iter()
            .find(|(n, _)| *n == self.protocol)
            .map(|(_, md)| md.clone())
            .unwrap_or_default();
        MemberInfo {
            member_id: m.id.clone(),
            instance_id: m.instance_id.clone(),
            client_id: m.client_id.clone(),
            client_host: m.client_host.clone(),
            metadata,
            assignment: m.assignment.clone(),
            session_timeout_ms: m.session_timeout_ms,
            rebalance_timeout_ms: m.rebalance_timeout_ms,
        }
    }

    fn info(&self, name: &str) -> GroupInfo {
        GroupInfo {
            group: name.to_string(),
            state: self.state,
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self.members.iter().map(|m| self.member_info(m)).collect(),
            rebalance_since_ms: self.rebalance_since_ms,
            initial_until_ms: self.initial_until_ms,
        }
    }

    /// Removes members; the others must join again.
    fn remove(&mut self, ids: &[String], now_ms: i64) -> Vec<(String, bool)> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let before = self.members.len();
            self.members.retain(|m| &m.id != id);
            out.push((id.clone(), self.members.len() < before));
        }
        if out.iter().any(|(_, was)| *was) {
            if self.member(&self.leader).is_none() {
                self.leader.clear();
            }
            match self.state {
                GroupState::Stable | GroupState::CompletingRebalance => {
                    self.start_rebalance(now_ms);
                    self.maybe_complete(now_ms);
                }
                GroupState::PreparingRebalance => self.maybe_complete(now_ms),
                _ => {}
            }
        }
        out
    }
}

/// The protocol every member supports that most members prefer (ties: the leader's order).
fn choose_protocol(members: &[Member]) -> String {
    let supported = |name: &str| {
        members
            .iter()
            .all(|m| m.protocols.iter().any(|(n, _)| n == name))
    };
    let candidates: Vec<&str> = members[0]
        .protocols
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| supported(n))
        .collect();
    let mut votes = vec![0usize; candidates.len()];
    for m in members {
        if let Some(i) = m
            .protocols
            .iter()
            .find_map(|(n, _)| candidates.iter().position(|c| c == n))
        {
            votes[i] += 1;
        }
    }
    let best = votes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i);
    candidates
        .get(best)
        .map_or_else(String::new, |s| s.to_string())
}

fn load(txn: &Txn<'_>, name: &str) -> Result<Option<Group>, CommandError> {
    txn.get(Space::KafkaGroups, &keys::group(name))?
        .map(|v| bincode::deserialize(&v).map_err(|_| corrupt()))
        .transpose()
}

fn store(txn: &mut Txn<'_>, name: &str, g: &Group) {
    txn.put_record(
        Space::KafkaGroups,
        keys::group(name),
        bincode::serialize(g).unwrap_or_default(),
    );
}

pub fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let now = ctx.now_ms;
    let reply = match cmd {
        Command::Join(j) => join(txn, j, now)?,
        Command::Assign {
            group,
            member_id,
            generation,
            assignments,
            instance_id,
        } => {
            let mut g = load(txn, group)?.ok_or(GroupError::UnknownMemberId)?;
            check_member(&g, member_id, *generation, instance_id.as_deref())?;
            match g.state {
                GroupState::PreparingRebalance => {
                    return Err(GroupError::RebalanceInProgress.into())
                }
                GroupState::CompletingRebalance if g.leader == *member_id => {
                    for (id, a) in assignments {
                        if let Some(m) = g.member_mut(id) {
                            m.assignment = a.clone();
                        }
                    }
                    g.state = GroupState::Stable;
                    store(txn, group, &g);
                }
                _ => {}
            }
            if g.state == GroupState::Stable {
                let a = g.member(member_id).map(|m| m.assignment.clone());
                Reply::Assignment(a.unwrap_or_default())
            } else {
                Reply::AssignmentPending
            }
        }
        Command::Leave { group, members } => {
            let Some(mut g) = load(txn, group)? else {
                return Ok(Response::Group(Reply::Left(
                    members.iter().map(|m| (m.clone(), false)).collect(),
                )));
            };
            let left = g.remove(members, now);
            store(txn, group, &g);
            Reply::Left(left)
        }
        Command::CompleteRebalance { group, generation } => {
            if let Some(mut g) = load(txn, group)? {
                if g.state == GroupState::PreparingRebalance
                    && g.generation == *generation
                    && now >= g.initial_until_ms
                {
                    g.complete();
                    store(txn, group, &g);
                }
            }
            Reply::Done
        }
        Command::Commit {
            group,
            member_id,
            generation,
            offsets,
            now_ms: _,
            instance_id,
        } => {
            let g = load(txn, group)?;
            match &g {
                Some(g) if *generation >= 0 || !member_id.is_empty() => {
                    check_member(g, member_id, *generation, instance_id.as_deref())?;
                    if g.state == GroupState::CompletingRebalance {
                        return Err(GroupError::RebalanceInProgress.into());
                    }
                }
                Some(g) if !g.members.is_empty() => {
                    return Err(GroupError::IllegalGeneration.into())
                }
                Some(_) => {}
                None if *generation >= 0 => return Err(GroupError::IllegalGeneration.into()),
                None => {
                    store(txn, group, &Group::new());
                }
            }
            for c in offsets {
                txn.put_record(
                    Space::KafkaGroups,
                    keys::offset(group, &c.topic, c.partition),
                    bincode::serialize(c).unwrap_or_default(),
                );
            }
            Reply::Done
        }
        Command::Delete { group } => {
            let g = load(txn, group)?.ok_or(GroupError::NoSuchGroup)?;
            if !g.members.is_empty() {
                return Err(GroupError::NotEmpty.into());
            }
            txn.delete_prefix(Space::KafkaGroups, &keys::offsets(group))?;
            txn.delete_record(Space::KafkaGroups, keys::group(group));
            Reply::Done
        }
        Command::DeleteOffsets { group, partitions } => {
            load(txn, group)?.ok_or(GroupError::NoSuchGroup)?;
            for (t, p) in partitions {
                txn.delete_record(Space::KafkaGroups, keys::offset(group, t, *p));
            }
            Reply::Done
        }
    };
    txn.note_group_change();
    Ok(Response::Group(reply))
}

fn check_member(
    g: &Group,
    member_id: &str,
    generation: i32,
    instance_id: Option<&str>,
) -> Result<(), GroupError> {
    // A static member whose place another instance of it took is fenced, not told to join
    // again: the two would take the place from each other forever.
    if let Some(inst) = instance_id {
        if g.members
            .iter()
            .any(|m| m.instance_id.as_deref() == Some(inst) && m.id != member_id)
        {
            return Err(GroupError::FencedInstanceId);
        }
    }
    if g.member(member_id).is_none() {
        return Err(GroupError::UnknownMemberId);
    }
    if generation != g.generation {
        return Err(GroupError::IllegalGeneration);
    }
    Ok(())
}

fn join(txn: &mut Txn<'_>, j: &Join, now: i64) -> Result<Reply, CommandError> {
    if j.group.is_empty() {
        return Err(GroupError::InvalidGroupId.into());
    }
    if j.session_timeout_ms < MIN_SESSION_MS || j.session_timeout_ms > MAX_SESSION_MS {
        return Err(GroupError::InvalidSessionTimeout.into());
    }
    let mut g = load(txn, &j.group)?.unwrap_or_else(Group::new);
    if !g.members.is_empty() {
        let common = j.protocols.iter().any(|(n, _)| {
            g.members
                .iter()
                .all(|m| m.protocols.iter().any(|(mn, _)| mn == n))
        });
        if g.protocol_type != j.protocol_type || !common {
            return Err(GroupError::InconsistentProtocol.into());
        }
    }
    // Who the member is: known, a static member coming back, or new.
    let mut id = j.member_id.clone();
    let mut new = false;
    let mut rejoined = false;
    if let Some(inst) = &j.instance_id {
        if let Some(m) = g
            .members
            .iter_mut()
            .find(|m| m.instance_id.as_ref() == Some(inst))
        {
            if id.is_empty() {
                // A static member restarted: it takes its old place under a new id.
                let old = std::mem::replace(&mut m.id, j.new_member_id.clone());
                id = m.id.clone();
                rejoined = true;
                if g.leader == old {
                    g.leader = id.clone();
                }
            } else if m.id != id {
                return Err(GroupError::FencedInstanceId.into());
            }
        } else if id.is_empty() {
            id = j.new_member_id.clone();
            new = true;
        } else {
            return Err(GroupError::UnknownMemberId.into());
        }
    } else if id.is_empty() {
        if j.require_known_member {
            if g.pending.len() >= MAX_PENDING {
                g.pending.remove(0);
            }
            g.pending.push(j.new_member_id.clone());
            store(txn, &j.group, &g);
            return Ok(Reply::MemberIdRequired(j.new_member_id.clone()));
        }
        id = j.new_member_id.clone();
        new = true;
    } else if g.member(&id).is_none() {
        match g.pending.iter().position(|p| *p == id) {
            Some(i) => {
                g.pending.remove(i);
                new = true;
            }
            None => return Err(GroupError::UnknownMemberId.into()),
        }
    }
    if new && g.members.len() >= MAX_MEMBERS {
        return Err(GroupError::GroupMaxSizeReached.into());
    }
    // A static member coming back carries new metadata (what it owned before its restart
    // is gone): it changes the group only if the protocol chosen would change.
    let changed = match g.member(&id) {
        Some(_) if rejoined => {
            let names =
                |p: &[(String, Bytes)]| p.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            let same = g
                .member(&id)
                .is_some_and(|m| names(&m.protocols) == names(&j.protocols));
            if same {
                if let Some(m) = g.member_mut(&id) {
                    m.protocols = j.protocols.clone();
                }
            }
            !same
        }
        Some(m) => m.protocols != j.protocols,
        None => true,
    };
    if new {
        g.members.push(Member {
            id: id.clone(),
            instance_id: j.instance_id.clone(),
            client_id: j.client_id.clone(),
            client_host: j.client_host.clone(),
            protocols: j.protocols.clone(),
            session_timeout_ms: j.session_timeout_ms,
            rebalance_timeout_ms: j.rebalance_timeout_ms,
            assignment: Bytes::new(),
            joined: false,
        });
    }
    if g.members.len() == 1 || g.protocol_type.is_empty() {
        g.protocol_type = j.protocol_type.clone();
    }
    let stable = matches!(
        g.state,
        GroupState::Stable | GroupState::CompletingRebalance
    );
    if stable && !changed && (g.leader != id || rejoined) {
        // Nothing changed for the group: the member gets the current generation back.
        store(txn, &j.group, &g);
        return Ok(match g.generation_for(&id) {
            Some(gen) => Reply::Joined(Box::new(gen)),
            None => Reply::JoinPending { member_id: id },
        });
    }
    let was_empty = g.state == GroupState::Empty;
    g.start_rebalance(now);
    if j.initial_delay_ms > 0 && (was_empty || (new && g.initial_until_ms > now)) {
        // More members of a starting group are on their way: wait for them, each newcomer
        // restarting the wait, up to the rebalance timeout, as Kafka does.
        let cap = g.rebalance_since_ms + i64::from(j.rebalance_timeout_ms.max(0));
        g.initial_until_ms = (now + j.initial_delay_ms).min(cap.max(now));
    }
    if let Some(m) = g.member_mut(&id) {
        m.protocols = j.protocols.clone();
        m.session_timeout_ms = j.session_timeout_ms;
        m.rebalance_timeout_ms = j.rebalance_timeout_ms;
        m.client_id = j.client_id.clone();
        m.client_host = j.client_host.clone();
        m.joined = true;
    }
    g.maybe_complete(now);
    store(txn, &j.group, &g);
    Ok(match g.generation_for(&id) {
        Some(gen) => Reply::Joined(Box::new(gen)),
        None => Reply::JoinPending { member_id: id },
    })
}

pub fn query(engine: &Engine, q: &Query) -> Result<Response, CommandError> {
    let txn = Txn::read_only(engine);
    let reply = match q {
        Query::JoinResult { group, member_id } => {
            let g = load(&txn, group)?.ok_or(GroupError::UnknownMemberId)?;
            if g.member(member_id).is_none() {
                return Err(GroupError::UnknownMemberId.into());
            }
            match g.generation_for(member_id) {
                Some(gen) => Reply::Joined(Box::new(gen)),
                None => Reply::JoinPending {
                    member_id: member_id.clone(),
                },
            }
        }
        Query::Assignment {
            group,
            member_id,
            generation,
            instance_id,
        } => {
            let g = load(&txn, group)?.ok_or(GroupError::UnknownMemberId)?;
            check_member(&g, member_id, *generation, instance_id.as_deref())?;
            match g.state {
                GroupState::PreparingRebalance => {
                    return Err(GroupError::RebalanceInProgress.into())
                }
                GroupState::Stable => Reply::Assignment(
                    g.member(member_id)
                        .map(|m| m.assignment.clone())
                        .unwrap_or_default(),
                ),
                _ => Reply::AssignmentPending,
            }
        }
        Query::Heartbeat {
            group,
            member_id,
            generation,
            instance_id,
        } => {
            let g = load(&txn, group)?.ok_or(GroupError::UnknownMemberId)?;
            check_member(&g, member_id, *generation, instance_id.as_deref())?;
            if g.state == GroupState::PreparingRebalance {
                return Err(GroupError::RebalanceInProgress.into());
            }
            Reply::Done
        }
        Query::Offsets { group, partitions } => {
            let mut out = Vec::new();
            match partitions {
                Some(ps) => {
                    for (t, p) in ps {
                        let c = txn
                            .get(Space::KafkaGroups, &keys::offset(group, t, *p))?
                            .map(|v| bincode::deserialize::<Committed>(&v).map_err(|_| corrupt()))
                            .transpose()?;
                        out.push((t.clone(), *p, c));
                    }
                }
                None => {
                    let prefix = keys::offsets(group);
                    for (k, v) in
                        txn.scan(Space::KafkaGroups, &ScanRange::prefix(&prefix, usize::MAX))?
                    {
                        if let Some((t, p)) = keys::decode_offset(&k) {
                            let c: Committed = bincode::deserialize(&v).map_err(|_| corrupt())?;
                            out.push((t.to_string(), p, Some(c)));
                        }
                    }
                }
            }
            Reply::Offsets(out)
        }
        Query::Describe { group } => {
            Reply::Group(load(&txn, group)?.map(|g| Box::new(g.info(group))))
        }
        Query::List => {
            let mut out = Vec::new();
            for (k, v) in txn.scan(
                Space::KafkaGroups,
                &ScanRange::prefix(keys::GROUPS, usize::MAX),
            )? {
                let name = String::from_utf8_lossy(&k[1..]).into_owned();
                let g: Group = bincode::deserialize(&v).map_err(|_| corrupt())?;
                out.push((name, g.protocol_type, g.state));
            }
            Reply::Groups(out)
        }
    };
    Ok(Response::Group(reply))
}

#[cfg(test)]
mod tests;

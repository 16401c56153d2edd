//! Consumer groups (Kafka's classic group protocol) and their committed offsets.
//!
//! Membership changes, generations, assignments and offsets are replicated commands, so a group
//! survives a restart or a failover. Liveness is not: heartbeats are answered from local state
//! and only the leader keeps the time each member was last heard from; when a member's session
//! or a rebalance times out, the leader issues the removal as a command, as the expiry sweeper
//! does for keys.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A state change of a group. Variants and fields may be added, never reordered: this is part
/// of the log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// JoinGroup. `member_id` empty: a new member, which gets `new_member_id` (chosen by the
    /// front-end); with `require_known_member` it is told to join again with it
    /// ([`GroupError::MemberIdRequired`]).
    Join(Join),
    /// SyncGroup from the leader: stores every member's assignment.
    Assign {
        group: String,
        member_id: String,
        generation: i32,
        assignments: Vec<(String, Bytes)>,
        /// A static member's `group.instance.id`: a member id it no longer owns is fenced.
        instance_id: Option<String>,
    },
    /// LeaveGroup, and the leader's removal of members whose session timed out.
    Leave { group: String, members: Vec<String> },
    /// Issued by the leader when a rebalance has waited long enough: members that did not join
    /// again are dropped and the generation completes with those that did.
    CompleteRebalance { group: String, generation: i32 },
    /// OffsetCommit: `generation` -1 is a commit from outside the group's membership.
    Commit {
        group: String,
        member_id: String,
        generation: i32,
        offsets: Vec<Committed>,
        now_ms: i64,
        instance_id: Option<String>,
    },
    /// DeleteGroups (only of groups without members).
    Delete { group: String },
    /// OffsetDelete.
    DeleteOffsets {
        group: String,
        partitions: Vec<(String, i32)>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Join {
    pub group: String,
    pub member_id: String,
    pub new_member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub require_known_member: bool,
    /// How long a new group's first rebalance waits for more members.
    pub initial_delay_ms: i64,
}

/// One committed offset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Committed {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
}

/// A read of the groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Query {
    /// What a joining member waits for: the generation it belongs to, once complete.
    JoinResult {
        group: String,
        member_id: String,
    },
    /// What a syncing member waits for: its assignment in `generation`.
    Assignment {
        group: String,
        member_id: String,
        generation: i32,
        instance_id: Option<String>,
    },
    /// A heartbeat's answer.
    Heartbeat {
        group: String,
        member_id: String,
        generation: i32,
        instance_id: Option<String>,
    },
    /// Committed offsets of a group (`None`: all of them).
    Offsets {
        group: String,
        partitions: Option<Vec<(String, i32)>>,
    },
    Describe {
        group: String,
    },
    List,
}

/// A group's state, as DescribeGroups names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// A member as DescribeGroups and the join's leader see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// The metadata of the generation's protocol (what the leader assigns from).
    pub metadata: Bytes,
    pub assignment: Bytes,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
}

/// A completed generation, as JoinGroup answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    /// Every member with its metadata, for the leader only.
    pub members: Vec<MemberInfo>,
}

/// A group as DescribeGroups and the leader's timers see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    pub group: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    pub leader: String,
    pub members: Vec<MemberInfo>,
    /// While preparing a rebalance: the leader's clock when it started.
    pub rebalance_since_ms: i64,
    /// A new group's first rebalance completes no sooner than this (0: no wait).
    pub initial_until_ms: i64,
}

/// What a command or query of the groups answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The generation is complete and the member is in it.
    Joined(Box<Generation>),
    /// The member is part of a rebalance that has not completed yet: wait for the group to
    /// change, then ask again with [`Query::JoinResult`].
    JoinPending {
        member_id: String,
    },
    /// A new member must join again with this id (Kafka's MEMBER_ID_REQUIRED): the id is kept
    /// as pending, so it is a reply rather than a refusal, which would write nothing.
    MemberIdRequired(String),
    /// The member's assignment.
    Assignment(Bytes),
    /// The leader has not assigned yet: wait and ask again.
    AssignmentPending,
    /// Per partition: the committed offset (-1: none), its leader epoch and metadata.
    Offsets(Vec<(String, i32, Option<Committed>)>),
    Group(Option<Box<GroupInfo>>),
    /// Every group with its protocol type and state.
    Groups(Vec<(String, String, GroupState)>),
    /// Per member left: whether it was a member.
    Left(Vec<(String, bool)>),
    Done,
}

/// Why a group refused a request; each is one Kafka error code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum GroupError {
    #[error("unknown member id")]
    UnknownMemberId,
    #[error("illegal generation")]
    IllegalGeneration,
    #[error("rebalance in progress")]
    RebalanceInProgress,
    #[error("inconsistent group protocol")]
    InconsistentProtocol,
    #[error("invalid session timeout")]
    InvalidSessionTimeout,
    #[error("the group is not empty")]
    NotEmpty,
    #[error("no such group")]
    NoSuchGroup,
    #[error("fenced instance id")]
    FencedInstanceId,
    #[error("invalid group id")]
    InvalidGroupId,
    #[error("the group has reached its maximum size")]
    GroupMaxSizeReached,
}

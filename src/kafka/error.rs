//! Typed refusals of the engine and the node as Kafka error codes.

use kafka_protocol::ResponseError as E;

use crate::command::group::GroupError;
use crate::command::log::LogError;
use crate::command::{CommandError, NodeError, Response};

/// The code for a refusal of a log (topic, partition, produce, fetch) request.
pub fn code(e: &CommandError) -> i16 {
    let e = match e {
        CommandError::Log(l) => match l {
            LogError::UnknownTopicOrPartition => E::UnknownTopicOrPartition,
            LogError::TopicExists => E::TopicAlreadyExists,
            LogError::InvalidPartitions => E::InvalidPartitions,
            LogError::OffsetOutOfRange => E::OffsetOutOfRange,
            LogError::OutOfOrderSequence => E::OutOfOrderSequenceNumber,
            LogError::InvalidProducerEpoch => E::InvalidProducerEpoch,
            LogError::UnknownProducerId => E::UnknownProducerId,
            LogError::CorruptMessage => E::CorruptMessage,
            LogError::InvalidConfig(_) => E::InvalidConfig,
        },
        CommandError::Group(g) => match g {
            GroupError::UnknownMemberId => E::UnknownMemberId,
            GroupError::IllegalGeneration => E::IllegalGeneration,
            GroupError::RebalanceInProgress => E::RebalanceInProgress,
            GroupError::InconsistentProtocol => E::InconsistentGroupProtocol,
            GroupError::InvalidSessionTimeout => E::InvalidSessionTimeout,
            GroupError::NotEmpty => E::NonEmptyGroup,
            GroupError::NoSuchGroup => E::GroupIdNotFound,
            GroupError::FencedInstanceId => E::FencedInstanceId,
            GroupError::InvalidGroupId => E::InvalidGroupId,
            GroupError::GroupMaxSizeReached => E::GroupMaxSizeReached,
        },
        // Clients refresh metadata and retry on these: the leader moved or is being elected.
        CommandError::Node(NodeError::NoLeader | NodeError::Unavailable(_)) => {
            E::NotLeaderOrFollower
        }
        CommandError::Node(NodeError::MayHaveApplied(_)) => E::RequestTimedOut,
        CommandError::Node(NodeError::Stopped(_)) | CommandError::Storage(_) => {
            E::KafkaStorageError
        }
        _ => E::UnknownServerError,
    };
    e.code()
}

/// The same for group requests: the node's failures mean "find the coordinator again".
pub fn group_code(e: &CommandError) -> i16 {
    match e {
        CommandError::Node(NodeError::NoLeader | NodeError::Unavailable(_)) => {
            E::NotCoordinator.code()
        }
        CommandError::Node(NodeError::MayHaveApplied(_)) => E::CoordinatorNotAvailable.code(),
        _ => code(e),
    }
}

/// The error code of a reply, 0 if it is no refusal.
pub fn of(r: &Response) -> i16 {
    match r {
        Response::Error(e) => code(e),
        _ => 0,
    }
}

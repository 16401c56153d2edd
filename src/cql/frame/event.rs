//! EVENT (opcode 0x0C) bodies, and the schema change description that a Schema_change RESULT
//! shares with the SCHEMA_CHANGE event (spec 4.2.5.5 and 4.2.6).

use std::net::SocketAddr;

use bytes::BufMut;

use super::wire::{put_inet, put_string, put_string_list};

/// What REGISTER can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    TopologyChange,
    StatusChange,
    SchemaChange,
}

impl EventType {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "TOPOLOGY_CHANGE" => Some(EventType::TopologyChange),
            "STATUS_CHANGE" => Some(EventType::StatusChange),
            "SCHEMA_CHANGE" => Some(EventType::SchemaChange),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            EventType::TopologyChange => "TOPOLOGY_CHANGE",
            EventType::StatusChange => "STATUS_CHANGE",
            EventType::SchemaChange => "SCHEMA_CHANGE",
        }
    }
}

/// A pushed event. Always sent on stream -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    TopologyChange {
        change: TopologyChange,
        node: SocketAddr,
    },
    StatusChange {
        change: StatusChange,
        node: SocketAddr,
    },
    SchemaChange(SchemaChange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyChange {
    NewNode,
    RemovedNode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Up,
    Down,
}

/// `<change_type><target><options>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChange {
    pub change: ChangeType,
    pub target: SchemaTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Created,
    Updated,
    Dropped,
}

/// What changed. Index changes are reported as changes to their table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaTarget {
    Keyspace(String),
    Table {
        keyspace: String,
        name: String,
    },
    Type {
        keyspace: String,
        name: String,
    },
    /// `arg_types` are CQL type names, as `codec::type_name` renders them.
    Function {
        keyspace: String,
        name: String,
        arg_types: Vec<String>,
    },
    Aggregate {
        keyspace: String,
        name: String,
        arg_types: Vec<String>,
    },
}

impl ChangeType {
    pub fn name(self) -> &'static str {
        match self {
            ChangeType::Created => "CREATED",
            ChangeType::Updated => "UPDATED",
            ChangeType::Dropped => "DROPPED",
        }
    }
}

impl SchemaChange {
    pub fn encode(&self, out: &mut impl BufMut) {
        put_string(out, self.change.name());
        match &self.target {
            SchemaTarget::Keyspace(ks) => {
                put_string(out, "KEYSPACE");
                put_string(out, ks);
            }
            SchemaTarget::Table { keyspace, name } | SchemaTarget::Type { keyspace, name } => {
                let target = if matches!(self.target, SchemaTarget::Table { .. }) {
                    "TABLE"
                } else {
                    "TYPE"
                };
                put_string(out, target);
                put_string(out, keyspace);
                put_string(out, name);
            }
            SchemaTarget::Function {
                keyspace,
                name,
                arg_types,
            }
            | SchemaTarget::Aggregate {
                keyspace,
                name,
                arg_types,
            } => {
                let target = if matches!(self.target, SchemaTarget::Function { .. }) {
                    "FUNCTION"
                } else {
                    "AGGREGATE"
                };
                put_string(out, target);
                put_string(out, keyspace);
                put_string(out, name);
                put_string_list(out, arg_types);
            }
        }
    }
}

impl Event {
    pub fn event_type(&self) -> EventType {
        match self {
            Event::TopologyChange { .. } => EventType::TopologyChange,
            Event::StatusChange { .. } => EventType::StatusChange,
            Event::SchemaChange(_) => EventType::SchemaChange,
        }
    }

    pub fn encode_body(&self, out: &mut impl BufMut) {
        put_string(out, self.event_type().name());
        match self {
            Event::TopologyChange { change, node } => {
                put_string(
                    out,
                    match change {
                        TopologyChange::NewNode => "NEW_NODE",
                        TopologyChange::RemovedNode => "REMOVED_NODE",
                    },
                );
                put_inet(out, node);
            }
            Event::StatusChange { change, node } => {
                put_string(
                    out,
                    match change {
                        StatusChange::Up => "UP",
                        StatusChange::Down => "DOWN",
                    },
                );
                put_inet(out, node);
            }
            Event::SchemaChange(sc) => sc.encode(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Vec<u8> {
        let mut v = (x.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(x.as_bytes());
        v
    }

    #[test]
    fn schema_change_bodies() {
        let mut out = Vec::new();
        SchemaChange {
            change: ChangeType::Created,
            target: SchemaTarget::Table {
                keyspace: "ks".into(),
                name: "t".into(),
            },
        }
        .encode(&mut out);
        assert_eq!(out, [s("CREATED"), s("TABLE"), s("ks"), s("t")].concat());

        let mut out = Vec::new();
        SchemaChange {
            change: ChangeType::Dropped,
            target: SchemaTarget::Function {
                keyspace: "ks".into(),
                name: "f".into(),
                arg_types: vec!["int".into(), "text".into()],
            },
        }
        .encode(&mut out);
        assert_eq!(
            out,
            [
                s("DROPPED"),
                s("FUNCTION"),
                s("ks"),
                s("f"),
                vec![0, 2],
                s("int"),
                s("text")
            ]
            .concat()
        );
    }

    #[test]
    fn status_change_has_inet() {
        let mut out = Vec::new();
        Event::StatusChange {
            change: StatusChange::Up,
            node: "127.0.0.1:9042".parse().unwrap(),
        }
        .encode_body(&mut out);
        assert_eq!(
            out,
            [
                s("STATUS_CHANGE"),
                s("UP"),
                vec![4, 127, 0, 0, 1, 0, 0, 0x23, 0x52]
            ]
            .concat()
        );
    }
}

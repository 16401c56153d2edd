//! Temporary: the interface of `system/` until it lands.
use crate::command::table::schema::Schema;
use crate::command::table::value::{CqlType, Value};
use std::net::IpAddr;
pub struct NodeFacts { pub cluster_name: String, pub release_version: String, pub cql_version: String, pub native_protocol_version: String, pub partitioner: String, pub data_center: String, pub rack: String, pub host_id: [u8;16], pub address: IpAddr, pub port: u16, pub tokens: Vec<String>, pub peers: Vec<PeerFacts> }
pub struct PeerFacts { pub address: IpAddr, pub port: u16, pub host_id: [u8;16], pub tokens: Vec<String>, pub data_center: String, pub rack: String }
pub struct SystemRows { pub keyspace: String, pub table: String, pub columns: Vec<(String, CqlType)>, pub rows: Vec<Vec<Option<Value>>> }
#[derive(Debug, thiserror::Error)]
pub enum SystemError { #[error("{0}")] Invalid(String) }
pub enum DescribeTarget { Keyspaces, Keyspace{name: Option<String>, only: bool}, Tables, Table{keyspace: Option<String>, name: String}, Types, Type{keyspace: Option<String>, name: String}, Cluster, Schema{full: bool}, Index{keyspace: Option<String>, name: String}, Functions, Aggregates, Name{keyspace: Option<String>, name: String} }
pub fn select(_: &str, _: &str, _: &Schema, _: &NodeFacts, _: &[(String, Value)]) -> Option<Result<SystemRows, SystemError>> { None }
pub fn columns(_: &str, _: &str) -> Option<Vec<(String, CqlType)>> { None }
pub fn describe(_: &DescribeTarget, _: Option<&str>, _: &Schema, _: &NodeFacts) -> Result<SystemRows, SystemError> { Err(SystemError::Invalid("x".into())) }

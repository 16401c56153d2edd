//! What the front-ends and the engine both need and neither owns: Redis's number rules and glob
//! patterns, Kafka's record batch format, and the size limits. Nothing here reads the store or a
//! socket.

pub mod float;
pub mod glob;
pub mod limits;
pub mod number;
pub mod record_batch;
pub mod slots;

//! Sizes both the front-ends and the engine enforce: a front-end refuses what is too big before
//! it becomes a command, and the engine relies on it never arriving.

/// Number of logical databases (`SELECT 0..15`).
pub const DATABASES: usize = 16;

/// Longest key name accepted: fjall keys are at most 64 KiB and the header adds four bytes.
pub const MAX_KEY_LEN: usize = 65_000;

/// Most steps one transaction may hold: each takes a log position, and an entry has 2^24.
pub const MAX_STEPS: usize = 1 << 20;

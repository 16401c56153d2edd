//! Table and keyspace options as Cassandra 4.1 reports them: every table option with its
//! default, overridden by what the table was created with, and replication with its strategy
//! class spelled out. Both `system_schema.tables` and DESCRIBE read them from here, so the two
//! never disagree.
//!
//! The options are shown, not enforced: storage ignores compaction, caching and the like.

use std::collections::BTreeMap;

use crate::command::table::schema::TableOptions;

use super::text::{java_double, map_literal, parse_map, quoted, unquote};

const LOCATOR: &str = "org.apache.cassandra.locator.";
const COMPACTION: &str = "org.apache.cassandra.db.compaction.";
const COMPRESS: &str = "org.apache.cassandra.io.compress.";

/// Replication as Cassandra stores it: `class` expanded to the full Java class name for the
/// strategies that ship with Cassandra (`SimpleStrategy` becomes
/// `org.apache.cassandra.locator.SimpleStrategy`), entries in key order, a repeated key's last
/// value kept. The DDL path can store this; the schema tables and DESCRIBE apply it anyway, so
/// keyspaces stored as written still read back the way drivers expect.
pub fn normalize_replication(replication: &[(String, String)]) -> Vec<(String, String)> {
    let mut map = BTreeMap::new();
    for (k, v) in replication {
        let v = if k == "class" {
            expand_class(v, LOCATOR, LOCATOR_CLASSES)
        } else {
            v.clone()
        };
        map.insert(k.clone(), v);
    }
    map.into_iter().collect()
}

const LOCATOR_CLASSES: &[&str] = &[
    "SimpleStrategy",
    "NetworkTopologyStrategy",
    "LocalStrategy",
    "EverywhereStrategy",
    "OldNetworkTopologyStrategy",
];

const COMPACTION_CLASSES: &[&str] = &[
    "SizeTieredCompactionStrategy",
    "LeveledCompactionStrategy",
    "TimeWindowCompactionStrategy",
    "DateTieredCompactionStrategy",
];

const COMPRESS_CLASSES: &[&str] = &[
    "LZ4Compressor",
    "SnappyCompressor",
    "DeflateCompressor",
    "ZstdCompressor",
    "NoopCompressor",
];

/// A short class name Cassandra resolves inside `package` becomes the full name; anything else
/// (already qualified, or a custom class) is kept.
fn expand_class(name: &str, package: &str, known: &[&str]) -> String {
    if known.contains(&name) {
        format!("{package}{name}")
    } else {
        name.to_string()
    }
}

/// Every option of a table, resolved: the value Cassandra 4.1 would hold for it.
#[derive(Clone, Debug, PartialEq)]
pub struct TableParams {
    pub additional_write_policy: String,
    pub bloom_filter_fp_chance: f64,
    pub caching: BTreeMap<String, String>,
    pub cdc: bool,
    pub comment: String,
    pub compaction: BTreeMap<String, String>,
    pub compression: BTreeMap<String, String>,
    pub memtable: String,
    pub crc_check_chance: f64,
    pub default_time_to_live: i32,
    /// Extension name to blob; nothing here ever sets one.
    pub extensions: BTreeMap<String, Vec<u8>>,
    pub gc_grace_seconds: i32,
    pub max_index_interval: i32,
    pub memtable_flush_period_in_ms: i32,
    pub min_index_interval: i32,
    pub read_repair: String,
    pub speculative_retry: String,
}

fn string_map(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl TableParams {
    /// The options of a table created with `options`: Cassandra's defaults, then each option
    /// that was given. A value that does not read as its option's type keeps the default
    /// (the DDL path is where a bad value is refused).
    pub fn of(options: &TableOptions) -> Self {
        let mut p = TableParams {
            additional_write_policy: "99p".into(),
            bloom_filter_fp_chance: 0.01,
            caching: string_map(&[("keys", "ALL"), ("rows_per_partition", "NONE")]),
            cdc: false,
            comment: options.comment.clone(),
            compaction: normalize_compaction(&[(
                "class".into(),
                "SizeTieredCompactionStrategy".into(),
            )]),
            compression: normalize_compression(&[]),
            memtable: "default".into(),
            crc_check_chance: 1.0,
            default_time_to_live: options.default_time_to_live,
            extensions: BTreeMap::new(),
            gc_grace_seconds: 864_000,
            max_index_interval: 2048,
            memtable_flush_period_in_ms: 0,
            min_index_interval: 128,
            read_repair: "BLOCKING".into(),
            speculative_retry: "99p".into(),
        };
        let mut bloom_given = false;
        for (name, text) in &options.other {
            let plain = unquote(text);
            match name.as_str() {
                "additional_write_policy" => p.additional_write_policy = retry_policy(&plain),
                "bloom_filter_fp_chance" => {
                    bloom_given |= set_parsed(&mut p.bloom_filter_fp_chance, &plain)
                }
                "caching" => {
                    if let Some(m) = parse_map(text) {
                        p.caching.extend(m);
                    }
                }
                "cdc" => {
                    set_parsed(&mut p.cdc, &plain.to_ascii_lowercase());
                }
                "comment" => p.comment = plain,
                "compaction" => {
                    if let Some(m) = parse_map(text) {
                        p.compaction = normalize_compaction(&m);
                    }
                }
                "compression" => {
                    if let Some(m) = parse_map(text) {
                        p.compression = normalize_compression(&m);
                    }
                }
                "memtable" => p.memtable = plain,
                "crc_check_chance" => {
                    set_parsed(&mut p.crc_check_chance, &plain);
                }
                "default_time_to_live" => {
                    set_parsed(&mut p.default_time_to_live, &plain);
                }
                "gc_grace_seconds" => {
                    set_parsed(&mut p.gc_grace_seconds, &plain);
                }
                "max_index_interval" => {
                    set_parsed(&mut p.max_index_interval, &plain);
                }
                "memtable_flush_period_in_ms" => {
                    set_parsed(&mut p.memtable_flush_period_in_ms, &plain);
                }
                "min_index_interval" => {
                    set_parsed(&mut p.min_index_interval, &plain);
                }
                "read_repair" => p.read_repair = plain.to_ascii_uppercase(),
                "speculative_retry" => p.speculative_retry = retry_policy(&plain),
                _ => {}
            }
        }
        // Cassandra's default false-positive chance follows the compaction strategy.
        if !bloom_given
            && p.compaction.get("class").map(String::as_str)
                == Some("org.apache.cassandra.db.compaction.LeveledCompactionStrategy")
        {
            p.bloom_filter_fp_chance = 0.1;
        }
        p
    }

    /// The `WITH` options of `CREATE TABLE` as `TableParams.appendCqlTo` writes them: in
    /// Cassandra 4.1's order (alphabetical but for `memtable`), one per line, each line after
    /// the first indented and led by `AND `, no trailing semicolon.
    pub fn append_cql(&self, out: &mut String) {
        let caching = map_literal(str_entries(&self.caching), true);
        let compaction = map_literal(str_entries(&self.compaction), true);
        let compression = map_literal(str_entries(&self.compression), true);
        let hex: Vec<(&str, String)> = self
            .extensions
            .iter()
            .map(|(k, v)| (k.as_str(), super::text::hex_blob(v)))
            .collect();
        let extensions = map_literal(hex.iter().map(|(k, v)| (*k, v.as_str())), false);
        let lines: [(&str, String); 17] = [
            (
                "additional_write_policy",
                quoted(&self.additional_write_policy),
            ),
            (
                "bloom_filter_fp_chance",
                java_double(self.bloom_filter_fp_chance),
            ),
            ("caching", caching),
            ("cdc", self.cdc.to_string()),
            ("comment", quoted(&self.comment)),
            ("compaction", compaction),
            ("compression", compression),
            ("memtable", quoted(&self.memtable)),
            ("crc_check_chance", java_double(self.crc_check_chance)),
            (
                "default_time_to_live",
                self.default_time_to_live.to_string(),
            ),
            ("extensions", extensions),
            ("gc_grace_seconds", self.gc_grace_seconds.to_string()),
            ("max_index_interval", self.max_index_interval.to_string()),
            (
                "memtable_flush_period_in_ms",
                self.memtable_flush_period_in_ms.to_string(),
            ),
            ("min_index_interval", self.min_index_interval.to_string()),
            ("read_repair", quoted(&self.read_repair)),
            ("speculative_retry", quoted(&self.speculative_retry)),
        ];
        for (i, (name, value)) in lines.iter().enumerate() {
            if i > 0 {
                out.push_str("\n    AND ");
            }
            out.push_str(name);
            out.push_str(" = ");
            out.push_str(value);
        }
    }
}

pub fn str_entries(m: &BTreeMap<String, String>) -> impl Iterator<Item = (&str, &str)> {
    m.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Parses `text` into `slot`; whether it did.
fn set_parsed<T: std::str::FromStr>(slot: &mut T, text: &str) -> bool {
    match text.trim().parse() {
        Ok(v) => {
            *slot = v;
            true
        }
        Err(_) => false,
    }
}

/// Compaction as `CompactionParams.asMap` has it: the class in full and the thresholds every
/// strategy carries (`min_threshold` 4, `max_threshold` 32) unless given.
fn normalize_compaction(given: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = given.iter().cloned().collect();
    let class = m
        .get("class")
        .cloned()
        .unwrap_or_else(|| "SizeTieredCompactionStrategy".into());
    m.insert(
        "class".into(),
        expand_class(&class, COMPACTION, COMPACTION_CLASSES),
    );
    m.entry("max_threshold".into())
        .or_insert_with(|| "32".into());
    m.entry("min_threshold".into())
        .or_insert_with(|| "4".into());
    m
}

/// Compression as `CompressionParams.asMap` has it: the class in full and
/// `chunk_length_in_kb` (16 by default); `{'enabled': 'false'}` stays just that.
fn normalize_compression(given: &[(String, String)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = given.iter().cloned().collect();
    if m.get("enabled").map(|v| v.eq_ignore_ascii_case("false")) == Some(true) {
        return string_map(&[("enabled", "false")]);
    }
    m.remove("enabled");
    if let Some(legacy) = m.remove("sstable_compression") {
        m.entry("class".into()).or_insert(legacy);
    }
    if let Some(legacy) = m.remove("chunk_length_kb") {
        m.entry("chunk_length_in_kb".into()).or_insert(legacy);
    }
    let class = m
        .get("class")
        .cloned()
        .unwrap_or_else(|| "LZ4Compressor".into());
    m.insert(
        "class".into(),
        expand_class(&class, COMPRESS, COMPRESS_CLASSES),
    );
    m.entry("chunk_length_in_kb".into())
        .or_insert_with(|| "16".into());
    m
}

/// A speculative-retry or additional-write policy as `SpeculativeRetryPolicy.toString` prints
/// it: `99PERCENTILE` and `99P` become `99p`, `50MS` becomes `50ms`, `always`/`none` go upper
/// case; anything else (the `MIN(..)`/`MAX(..)` hybrids) is kept.
fn retry_policy(text: &str) -> String {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    if upper == "ALWAYS" || upper == "NONE" {
        return upper;
    }
    let percentile = upper
        .strip_suffix("PERCENTILE")
        .or_else(|| upper.strip_suffix('P'));
    if let Some(n) = percentile.and_then(|n| n.trim().parse::<f64>().ok()) {
        return format!("{}p", decimal4(n));
    }
    if let Some(n) = upper
        .strip_suffix("MS")
        .and_then(|n| n.trim().parse::<f64>().ok())
    {
        return format!("{}ms", decimal4(n));
    }
    t.to_string()
}

/// Java's `DecimalFormat("#.####")`: at most four decimals, none when whole.
fn decimal4(n: f64) -> String {
    let s = format!("{n:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_class_is_expanded_and_sorted() {
        let r = normalize_replication(&[
            ("replication_factor".into(), "1".into()),
            ("class".into(), "SimpleStrategy".into()),
        ]);
        assert_eq!(
            r,
            vec![
                (
                    "class".to_string(),
                    "org.apache.cassandra.locator.SimpleStrategy".to_string()
                ),
                ("replication_factor".to_string(), "1".to_string())
            ]
        );
        let custom = normalize_replication(&[("class".into(), "com.example.Mine".into())]);
        assert_eq!(custom[0].1, "com.example.Mine");
    }

    #[test]
    fn defaults_print_like_cassandra_41() {
        let mut s = String::new();
        TableParams::of(&TableOptions::default()).append_cql(&mut s);
        assert_eq!(
            s,
            "additional_write_policy = '99p'\n    \
             AND bloom_filter_fp_chance = 0.01\n    \
             AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}\n    \
             AND cdc = false\n    \
             AND comment = ''\n    \
             AND compaction = {'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}\n    \
             AND compression = {'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}\n    \
             AND memtable = 'default'\n    \
             AND crc_check_chance = 1.0\n    \
             AND default_time_to_live = 0\n    \
             AND extensions = {}\n    \
             AND gc_grace_seconds = 864000\n    \
             AND max_index_interval = 2048\n    \
             AND memtable_flush_period_in_ms = 0\n    \
             AND min_index_interval = 128\n    \
             AND read_repair = 'BLOCKING'\n    \
             AND speculative_retry = '99p'"
        );
    }

    #[test]
    fn given_options_override_defaults() {
        let o = TableOptions {
            default_time_to_live: 60,
            comment: "it's".into(),
            other: vec![
                ("gc_grace_seconds".into(), "100".into()),
                (
                    "compaction".into(),
                    "{'class': 'LeveledCompactionStrategy'}".into(),
                ),
                ("compression".into(), "{'enabled': 'false'}".into()),
                ("speculative_retry".into(), "95PERCENTILE".into()),
                ("caching".into(), "{'keys': 'NONE'}".into()),
                ("crc_check_chance".into(), "not a number".into()),
            ],
        };
        let p = TableParams::of(&o);
        assert_eq!(p.gc_grace_seconds, 100);
        assert_eq!(p.default_time_to_live, 60);
        assert_eq!(p.bloom_filter_fp_chance, 0.1);
        assert_eq!(
            p.compaction.get("class").map(String::as_str),
            Some("org.apache.cassandra.db.compaction.LeveledCompactionStrategy")
        );
        assert_eq!(
            p.compaction.get("min_threshold").map(String::as_str),
            Some("4")
        );
        assert_eq!(p.compression, string_map(&[("enabled", "false")]));
        assert_eq!(p.speculative_retry, "95p");
        assert_eq!(p.caching.get("keys").map(String::as_str), Some("NONE"));
        assert_eq!(p.crc_check_chance, 1.0);
        assert_eq!(p.comment, "it's");
    }

    #[test]
    fn retry_policies_normalize() {
        assert_eq!(retry_policy("99PERCENTILE"), "99p");
        assert_eq!(retry_policy("99.5p"), "99.5p");
        assert_eq!(retry_policy("50MS"), "50ms");
        assert_eq!(retry_policy("always"), "ALWAYS");
        assert_eq!(retry_policy("MIN(99p,50ms)"), "MIN(99p,50ms)");
    }
}

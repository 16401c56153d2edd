//! Topic configs: the ones trident knows, their defaults and how their values are checked.
//! CreateTopics and IncrementalAlterConfigs refuse the rest with INVALID_CONFIG, so a client
//! never believes a setting took effect when it did not.

/// (name, default). `max.message.bytes` defaults to the broker's `message.max.bytes`.
pub const KNOWN: &[(&str, &str)] = &[
    ("cleanup.policy", "delete"),
    ("retention.ms", "604800000"),
    ("retention.bytes", "-1"),
    ("message.timestamp.type", "CreateTime"),
    ("compression.type", "producer"),
    ("max.message.bytes", ""),
    ("min.insync.replicas", "1"),
    ("segment.bytes", "1073741824"),
    ("segment.ms", "604800000"),
];

/// Why a config cannot be set, if it cannot.
pub fn check(name: &str, value: Option<&str>) -> Result<(), String> {
    if !KNOWN.iter().any(|(k, _)| *k == name) {
        return Err(format!("unknown or unsupported config {name}"));
    }
    let Some(v) = value else {
        return Ok(());
    };
    let integer = |min: i64| match v.parse::<i64>() {
        Ok(n) if n >= min => Ok(()),
        _ => Err(format!("{name} must be an integer of at least {min}")),
    };
    match name {
        "cleanup.policy" if v != "delete" => {
            Err("only cleanup.policy=delete is supported (no compaction)".into())
        }
        "retention.ms" | "retention.bytes" => integer(-1),
        "max.message.bytes" | "segment.bytes" | "segment.ms" | "min.insync.replicas" => integer(1),
        "message.timestamp.type" if v != "CreateTime" && v != "LogAppendTime" => {
            Err("message.timestamp.type is CreateTime or LogAppendTime".into())
        }
        "compression.type"
            if ![
                "producer",
                "none",
                "gzip",
                "snappy",
                "lz4",
                "zstd",
                "uncompressed",
            ]
            .contains(&v) =>
        {
            Err(format!("unknown compression.type {v}"))
        }
        _ => Ok(()),
    }
}

/// A topic's value of a config: its own, else the default.
pub fn value(configs: &[(String, String)], name: &str, message_max_bytes: usize) -> String {
    if let Some((_, v)) = configs.iter().find(|(k, _)| k == name) {
        return v.clone();
    }
    match name {
        "max.message.bytes" => message_max_bytes.to_string(),
        _ => KNOWN
            .iter()
            .find(|(k, _)| *k == name)
            .map_or_else(String::new, |(_, v)| v.to_string()),
    }
}

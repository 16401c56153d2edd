//! Redis's number rules, which the RESP parser and the engine must agree on: what an integer or a
//! float looks like, how INCRBYFLOAT prints, how a negative range counts from the end.

/// Parses an integer the way Redis does: no spaces, no leading `+`, no leading zeros.
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 20 || b[0] == b'+' {
        return None;
    }
    let digits = if b[0] == b'-' { &b[1..] } else { b };
    if digits.is_empty()
        || (digits.len() > 1 && digits[0] == b'0')
        || (b[0] == b'-' && digits == b"0")
    {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Parses a float the way Redis does: finite decimal or exponent forms, `inf`, no spaces.
pub fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let v: f64 = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ if lower.contains("nan") || lower.contains("inf") => return None,
        _ => s.parse().ok()?,
    };
    Some(v)
}

/// Formats a float as INCRBYFLOAT does: shortest exact form, no exponent, no trailing zeros.
pub fn format_float(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e17 {
        return format!("{}", v as i64);
    }
    let s = format!("{v}");
    if s.contains('e') {
        format!("{v:.17}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        s
    }
}

/// Clamps Redis-style inclusive `start..=end` (negative from the end) to `0..len`.
pub fn clamp_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let start = if start < 0 {
        len.saturating_add(start).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        len.saturating_add(end)
    } else {
        end.min(len - 1)
    };
    (start <= end && start < len && end >= 0).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_like_redis() {
        assert_eq!(parse_i64(b"10"), Some(10));
        assert_eq!(parse_i64(b"-7"), Some(-7));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"1.0",
            b"9223372036854775808",
            b"abc",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn floats_format_like_redis() {
        assert_eq!(format_float(10.5), "10.5");
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(5.0e3), "5000");
        assert_eq!(parse_float(b"1e3"), Some(1000.0));
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b" 1"), None);
    }
}

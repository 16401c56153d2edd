//! Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): the engine's scans and the
//! node's pub/sub both match with them.

/// Redis's glob matching (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes), byte-wise.
pub fn glob_match(pattern: &[u8], s: &[u8]) -> bool {
    if too_nested(pattern) {
        return false;
    }
    let (mut p, mut i) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, string index it matched to).
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    star = Some((p, i));
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_match(pattern, p, s[i]) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == s[i] {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[i] {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Redis's matcher recurses once per `*` group and, as a guard against abusive patterns, fails
/// any match that must go on past its 1001st group (a trailing group matches at once, without
/// recursing). So such a pattern matches nothing there, and nothing here.
fn too_nested(pattern: &[u8]) -> bool {
    const MAX_NESTING: usize = 1000;
    let mut groups = 0;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' => i += 1,
            b'*' => {
                while i + 1 < pattern.len() && pattern[i + 1] == b'*' {
                    i += 1;
                }
                groups += 1;
                if groups > MAX_NESTING && i + 1 < pattern.len() {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Matches `c` against the class starting at `pattern[start] == '['`; returns whether it matched
/// and the index after the class.
fn class_match(pattern: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut p = start + 1;
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        let &pc = pattern.get(p)?;
        match pc {
            b']' => break,
            b'\\' if p + 1 < pattern.len() => {
                if pattern[p + 1] == c {
                    matched = true;
                }
                p += 2;
            }
            _ if pattern.get(p + 1) == Some(&b'-')
                && p + 2 < pattern.len()
                && pattern[p + 2] != b']' =>
            {
                let (lo, hi) = (pc.min(pattern[p + 2]), pc.max(pattern[p + 2]));
                if (lo..=hi).contains(&c) {
                    matched = true;
                }
                p += 3;
            }
            _ => {
                if pc == c {
                    matched = true;
                }
                p += 1;
            }
        }
    }
    Some((matched != negate, p + 1))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs_match_like_redis() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("*", "", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hallo", false),
            ("key:*:x", "key:12:x", true),
            ("key:*:x", "key:12:y", false),
            ("*a*b", "xxaxxb", true),
            ("a*", "b", false),
            ("[abc", "a", false),
        ];
        for (p, s, want) in cases {
            assert_eq!(glob_match(p.as_bytes(), s.as_bytes()), *want, "{p} vs {s}");
        }
        let long = "a".repeat(5000);
        // As Redis: a trailing 1001st group still matches, anything past it does not.
        assert!(glob_match("a*".repeat(1001).as_bytes(), long.as_bytes()));
        assert!(!glob_match("*?".repeat(1001).as_bytes(), long.as_bytes()));
        assert!(glob_match("*?".repeat(1000).as_bytes(), long.as_bytes()));
        assert!(glob_match("a**".repeat(1000).as_bytes(), long.as_bytes()));
    }
}

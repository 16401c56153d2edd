//! CQL text -> tokens with positions. Keywords are not tokens of their own: an unquoted word is
//! an [`TokenKind::Ident`] (lowercased, as CQL folds unquoted names), and the parser decides
//! whether it is a keyword where it looks for one. That keeps the long list of non-reserved
//! keywords (`key`, `ttl`, `user`, ...) usable as names without a special case each.
//!
//! `-` is always its own token (Cassandra glues it to the digits); the parser folds `-` + number
//! into a negative literal, so `c = c - 1` needs no special rule.

use super::error::{ParseError, ParseErrorKind, Result};

/// One token. `start..end` are byte offsets into the statement text.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    pub line: u32,
    /// 0-based, in characters.
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// An unquoted word, lowercased: a name or a keyword.
    Ident(String),
    /// `"Name"`, case kept, `""` unescaped.
    QuotedIdent(String),
    /// `'...'` or `$$...$$`, unescaped.
    Str(String),
    /// Digits only; the sign is a separate [`TokenKind::Minus`].
    Integer(String),
    /// `1.5`, `1e3`, `2.5E-4` (NaN and Infinity are words).
    Float(String),
    /// The digits of `0x...`, without the prefix.
    Hex(String),
    /// `8-4-4-4-12` hex digits.
    Uuid(String),
    /// `1h30m`, `12mo`, `P1DT2H`.
    Duration(String),
    QMark,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Dot,
    Colon,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    PlusEq,
    MinusEq,
    Eof,
}

impl TokenKind {
    /// How an expected token is named in "expecting ..." messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TokenKind::Ident(_) | TokenKind::QuotedIdent(_) => "IDENT",
            TokenKind::Str(_) => "STRING_LITERAL",
            TokenKind::Integer(_) => "INTEGER",
            TokenKind::Float(_) => "FLOAT",
            TokenKind::Hex(_) => "HEXNUMBER",
            TokenKind::Uuid(_) => "UUID",
            TokenKind::Duration(_) => "DURATION",
            TokenKind::QMark => "QMARK",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::LBrace => "'{'",
            TokenKind::RBrace => "'}'",
            TokenKind::Comma => "','",
            TokenKind::Semi => "';'",
            TokenKind::Dot => "'.'",
            TokenKind::Colon => "':'",
            TokenKind::Eq => "'='",
            TokenKind::Neq => "'!='",
            TokenKind::Lt => "'<'",
            TokenKind::Lte => "'<='",
            TokenKind::Gt => "'>'",
            TokenKind::Gte => "'>='",
            TokenKind::Plus => "'+'",
            TokenKind::Minus => "'-'",
            TokenKind::Star => "'*'",
            TokenKind::Slash => "'/'",
            TokenKind::Percent => "'%'",
            TokenKind::PlusEq => "'+='",
            TokenKind::MinusEq => "'-='",
            TokenKind::Eof => "EOF",
        }
    }
}

/// Splits `src` into tokens, ending with one [`TokenKind::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token>> {
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        line: 1,
        line_start: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<()> {
        loop {
            self.skip_trivia()?;
            let start = self.pos;
            let (line, column) = (self.line, self.column_of(start));
            let Some(&b) = self.bytes.get(self.pos) else {
                self.push(TokenKind::Eof, start, line, column);
                return Ok(());
            };
            let kind = self.token(b, line, column)?;
            self.push(kind, start, line, column);
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize, line: u32, column: u32) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.pos,
            line,
            column,
        });
    }

    fn column_of(&self, offset: usize) -> u32 {
        let chars = self
            .src
            .get(self.line_start..offset)
            .map_or(0, |s| s.chars().count());
        u32::try_from(chars).unwrap_or(u32::MAX)
    }

    fn error(&self, kind: ParseErrorKind, line: u32, column: u32) -> ParseError {
        ParseError {
            line,
            column,
            kind,
            snippet: String::new(),
        }
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Moves past `n` bytes, counting newlines for positions.
    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.bytes.len());
        for i in self.pos..end {
            if self.bytes[i] == b'\n' {
                self.line += 1;
                self.line_start = i + 1;
            }
        }
        self.pos = end;
    }

    fn skip_trivia(&mut self) -> Result<()> {
        loop {
            match (self.peek_at(0), self.peek_at(1)) {
                (Some(b), _) if b.is_ascii_whitespace() => self.advance(1),
                (Some(b'-'), Some(b'-')) | (Some(b'/'), Some(b'/')) => {
                    let rest = &self.bytes[self.pos..];
                    let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                    self.advance(len);
                }
                (Some(b'/'), Some(b'*')) => {
                    let (line, column) = (self.line, self.column_of(self.pos));
                    let Some(len) = find(&self.bytes[self.pos + 2..], b"*/") else {
                        return Err(self.error(ParseErrorKind::Unterminated("'*/'"), line, column));
                    };
                    self.advance(len + 4);
                }
                _ => return Ok(()),
            }
        }
    }

    fn token(&mut self, b: u8, line: u32, column: u32) -> Result<TokenKind> {
        let two = |k2: TokenKind, k1: TokenKind, this: &Self| {
            if this.peek_at(1) == Some(b'=') {
                (k2, 2)
            } else {
                (k1, 1)
            }
        };
        let (kind, len) = match b {
            b'\'' => return self.quoted(b'\'', line, column).map(TokenKind::Str),
            b'"' => return self.quoted(b'"', line, column).map(TokenKind::QuotedIdent),
            b'$' if self.peek_at(1) == Some(b'$') => return self.dollar_string(line, column),
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => return Ok(self.word()),
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b'[' => (TokenKind::LBracket, 1),
            b']' => (TokenKind::RBracket, 1),
            b'{' => (TokenKind::LBrace, 1),
            b'}' => (TokenKind::RBrace, 1),
            b',' => (TokenKind::Comma, 1),
            b';' => (TokenKind::Semi, 1),
            b'.' => (TokenKind::Dot, 1),
            b':' => (TokenKind::Colon, 1),
            b'?' => (TokenKind::QMark, 1),
            b'=' => (TokenKind::Eq, 1),
            b'*' => (TokenKind::Star, 1),
            b'/' => (TokenKind::Slash, 1),
            b'%' => (TokenKind::Percent, 1),
            b'<' => two(TokenKind::Lte, TokenKind::Lt, self),
            b'>' => two(TokenKind::Gte, TokenKind::Gt, self),
            b'+' => two(TokenKind::PlusEq, TokenKind::Plus, self),
            b'-' => two(TokenKind::MinusEq, TokenKind::Minus, self),
            b'!' if self.peek_at(1) == Some(b'=') => (TokenKind::Neq, 2),
            _ => {
                let ch = self.src[self.pos..].chars().next().unwrap_or('?');
                return Err(self.error(ParseErrorKind::BadCharacter(ch.to_string()), line, column));
            }
        };
        self.advance(len);
        Ok(kind)
    }

    /// `'it''s'` or `"Quoted""Name"`: the doubled quote is the only escape.
    fn quoted(&mut self, quote: u8, line: u32, column: u32) -> Result<String> {
        let mut out = String::new();
        let mut i = self.pos + 1;
        loop {
            let rest = &self.bytes[i..];
            let Some(at) = rest.iter().position(|&c| c == quote) else {
                let what = if quote == b'\'' { "'''" } else { "'\"'" };
                return Err(self.error(ParseErrorKind::Unterminated(what), line, column));
            };
            out.push_str(&self.src[i..i + at]);
            i += at + 1;
            if self.bytes.get(i) == Some(&quote) {
                out.push(quote as char);
                i += 1;
            } else {
                break;
            }
        }
        self.advance(i - self.pos);
        Ok(out)
    }

    /// `$$ ... $$`: no escapes at all (function bodies, strings full of quotes).
    fn dollar_string(&mut self, line: u32, column: u32) -> Result<TokenKind> {
        let body_start = self.pos + 2;
        let Some(len) = find(&self.bytes[body_start..], b"$$") else {
            return Err(self.error(ParseErrorKind::Unterminated("'$$'"), line, column));
        };
        let body = self.src[body_start..body_start + len].to_string();
        self.advance(len + 4);
        Ok(TokenKind::Str(body))
    }

    /// Anything starting with a letter or digit: uuid, hex blob, duration, number or word.
    fn word(&mut self) -> TokenKind {
        let rest = &self.src[self.pos..];
        if let Some(uuid) = uuid_prefix(rest) {
            self.advance(36);
            return TokenKind::Uuid(uuid.to_string());
        }
        let b = rest.as_bytes();
        if b[0] == b'0' && matches!(b.get(1), Some(b'x' | b'X')) {
            let digits = rest[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
            self.advance(2 + digits);
            return TokenKind::Hex(rest[2..2 + digits].to_string());
        }
        let word_len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == 'µ'))
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..word_len];
        if is_duration(word) {
            self.advance(word_len);
            return TokenKind::Duration(word.to_string());
        }
        if b[0].is_ascii_digit() {
            return self.number(rest);
        }
        // Identifiers are ASCII letters, digits and '_' (a 'µ' inside is not one).
        let len = rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
            .count();
        self.advance(len);
        TokenKind::Ident(rest[..len].to_ascii_lowercase())
    }

    fn number(&mut self, rest: &str) -> TokenKind {
        let b = rest.as_bytes();
        let digits = |from: usize| {
            b[from.min(b.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        let mut len = digits(0);
        let mut float = false;
        if b.get(len) == Some(&b'.') {
            float = true;
            len += 1 + digits(len + 1);
        }
        if matches!(b.get(len), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
            let exp = digits(len + 1 + sign);
            if exp > 0 {
                float = true;
                len += 1 + sign + exp;
            }
        }
        self.advance(len);
        let text = rest[..len].to_string();
        if float {
            TokenKind::Float(text)
        } else {
            TokenKind::Integer(text)
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The uuid at the start of `s`, if there is one not followed by more of a word.
fn uuid_prefix(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() < 36 {
        return None;
    }
    let shape_ok = b[..36].iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    });
    let ends = b
        .get(36)
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
    (shape_ok && ends).then(|| &s[..36])
}

/// `1h30m`-style (number + unit, repeated) or ISO 8601 `P...` durations.
fn is_duration(word: &str) -> bool {
    let lower = word.to_lowercase();
    if let Some(iso) = lower.strip_prefix('p') {
        return is_iso_duration(iso);
    }
    let mut rest = lower.as_str();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        if !matches!(
            unit,
            "y" | "mo" | "w" | "d" | "h" | "m" | "s" | "ms" | "us" | "µs" | "ns"
        ) {
            return false;
        }
        rest = &rest[unit_len..];
    }
    true
}

/// The part after `P`: `nY nM nW nD` then optionally `T nH nM nS`, at least one component.
fn is_iso_duration(s: &str) -> bool {
    let (date, time) = match s.split_once('t') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let components = |part: &str, units: &[u8]| -> Option<usize> {
        let mut rest = part.as_bytes();
        let mut allowed = units;
        let mut count = 0;
        while !rest.is_empty() {
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            let unit = *rest.get(digits)?;
            let at = allowed.iter().position(|&u| u == unit)?;
            if digits == 0 {
                return None;
            }
            allowed = &allowed[at + 1..];
            rest = &rest[digits + 1..];
            count += 1;
        }
        Some(count)
    };
    let Some(date_count) = components(date, b"ymwd") else {
        return false;
    };
    match time {
        None => date_count > 0,
        Some(t) => components(t, b"hms").is_some_and(|n| n > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src)
            .map(|t| t.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    fn ident(s: &str) -> TokenKind {
        TokenKind::Ident(s.to_string())
    }

    #[test]
    fn words_are_lowercased_and_quoted_names_kept() {
        assert_eq!(
            kinds(r#"SELECT "MyCol""x" FROM ks.T"#),
            vec![
                ident("select"),
                TokenKind::QuotedIdent("MyCol\"x".into()),
                ident("from"),
                ident("ks"),
                TokenKind::Dot,
                ident("t"),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn strings_and_dollar_strings() {
        assert_eq!(
            kinds("'it''s' $$a'b;$$"),
            vec![
                TokenKind::Str("it's".into()),
                TokenKind::Str("a'b;".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("12 1.5 1e3 2.5E-4 1. -3"),
            vec![
                TokenKind::Integer("12".into()),
                TokenKind::Float("1.5".into()),
                TokenKind::Float("1e3".into()),
                TokenKind::Float("2.5E-4".into()),
                TokenKind::Float("1.".into()),
                TokenKind::Minus,
                TokenKind::Integer("3".into()),
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn uuids_hex_and_durations() {
        assert_eq!(
            kinds("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 123e4567-e89b-12d3-a456-426614174000 0xCAFE 0x 1h30m 12mo P1DT2H pt1m 3µs"),
            vec![
                TokenKind::Uuid("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".into()),
                TokenKind::Uuid("123e4567-e89b-12d3-a456-426614174000".into()),
                TokenKind::Hex("CAFE".into()),
                TokenKind::Hex(String::new()),
                TokenKind::Duration("1h30m".into()),
                TokenKind::Duration("12mo".into()),
                TokenKind::Duration("P1DT2H".into()),
                TokenKind::Duration("pt1m".into()),
                TokenKind::Duration("3µs".into()),
                TokenKind::Eof
            ]
        );
        // Not durations: a plain word starting with p, a number followed by a word.
        assert_eq!(kinds("p1x"), vec![ident("p1x"), TokenKind::Eof]);
        assert_eq!(
            kinds("1abc"),
            vec![TokenKind::Integer("1".into()), ident("abc"), TokenKind::Eof]
        );
    }

    #[test]
    fn operators_and_comments() {
        assert_eq!(
            kinds("a>=1 -- c\n// d\n/* e\n */ b!=2 c+=1 d-=1 <>"),
            vec![
                ident("a"),
                TokenKind::Gte,
                TokenKind::Integer("1".into()),
                ident("b"),
                TokenKind::Neq,
                TokenKind::Integer("2".into()),
                ident("c"),
                TokenKind::PlusEq,
                TokenKind::Integer("1".into()),
                ident("d"),
                TokenKind::MinusEq,
                TokenKind::Integer("1".into()),
                TokenKind::Lt,
                TokenKind::Gt,
                TokenKind::Eof
            ]
        );
    }

    #[test]
    fn positions_are_line_and_zero_based_column() {
        let toks = tokenize("SELECT\n  x FROM").unwrap_or_default();
        assert_eq!((toks[1].line, toks[1].column), (2, 2));
        assert_eq!((toks[2].line, toks[2].column), (2, 4));
    }

    #[test]
    fn unterminated_things_are_errors() {
        for bad in ["'abc", "\"abc", "$$abc", "/* abc", "a ! b", "é"] {
            assert!(tokenize(bad).is_err(), "{bad}");
        }
    }
}

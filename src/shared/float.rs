//! The float increments of `INCRBYFLOAT` and `HINCRBYFLOAT`, bit for bit as Redis computes them.
//!
//! Redis reads both numbers with `strtold` (refusing leading spaces, trailing characters, NaN,
//! overflow and underflow to zero), adds them in x87 80-bit `long double` (64-bit significand,
//! 15-bit exponent), and prints the sum with `%.17Lf`, trimming trailing zeros and the point. So
//! `0.1 + 0.2` is `0.3`, not the `0.30000000000000004` of an `f64` sum, and values up to about
//! `1.19e4932` are accepted. The arithmetic is emulated in software (`rustc_apfloat`, LLVM's
//! APFloat), so every replica, whatever its CPU, computes the same digits.

use bytes::Bytes;
use rustc_apfloat::ieee::X87DoubleExtended as LongDouble;
use rustc_apfloat::{Float, Round, Status};

/// Why an increment was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FloatError {
    #[error("the current value is not a float")]
    CurrentNotFloat,
    #[error("the increment is not a float")]
    DeltaNotFloat,
    /// The sum (or, for [`check_increment`], the increment itself) is infinite or NaN.
    #[error("the result would be NaN or infinite")]
    NanOrInfinity,
}

/// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` refuses text this long or longer.
const MAX_CHARS: usize = 5 * 1024;

/// `current + delta` as Redis's INCRBYFLOAT/HINCRBYFLOAT computes and prints it; a missing
/// current value counts as 0. The current value is checked before the increment.
pub fn incr_by_float(current: Option<&[u8]>, delta: &[u8]) -> Result<Bytes, FloatError> {
    let value = match current {
        None => LongDouble::ZERO,
        Some(c) => parse(c).ok_or(FloatError::CurrentNotFloat)?,
    };
    let incr = parse(delta).ok_or(FloatError::DeltaNotFloat)?;
    let sum = value.add_r(incr, Round::NearestTiesToEven).value;
    if !sum.is_finite() {
        return Err(FloatError::NanOrInfinity);
    }
    Ok(Bytes::from(format_human(sum)))
}

/// HINCRBYFLOAT's check of its increment, made before it looks at the key: a float
/// ([`FloatError::DeltaNotFloat`] if not), and finite ([`FloatError::NanOrInfinity`] if not).
pub fn check_increment(delta: &[u8]) -> Result<(), FloatError> {
    match parse(delta) {
        None => Err(FloatError::DeltaNotFloat),
        Some(v) if v.is_infinite() => Err(FloatError::NanOrInfinity),
        Some(_) => Ok(()),
    }
}

/// `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis's `string2ld`: `strtold` over the whole text, in the C locale. Redis copies the text
/// into a C string and refuses it unless `strtold` read all of it, so a NUL byte anywhere (where
/// `strtold` stops) refuses it ("string to double with null terminator").
fn parse(s: &[u8]) -> Option<LongDouble> {
    if s.is_empty() || s.len() >= MAX_CHARS || s.contains(&0) {
        return None;
    }
    let first = s[0];
    if is_c_space(first) {
        return None;
    }
    let (negative, body) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        LongDouble::INFINITY
    } else if let Some(hex) = body
        .strip_prefix(b"0x")
        .or_else(|| body.strip_prefix(b"0X"))
    {
        let exponent = hex_float_shape(hex)?;
        let text = std::str::from_utf8(body).ok()?;
        let text = if exponent {
            text.to_owned()
        } else {
            // APFloat wants the binary exponent that C makes optional.
            format!("{text}p0")
        };
        finite(LongDouble::from_str_r(&text, Round::NearestTiesToEven).ok()?)?
    } else {
        // NaN in any spelling is refused, and so is anything else that is not a decimal float.
        if !decimal_float_shape(body) {
            return None;
        }
        let text = std::str::from_utf8(body).ok()?;
        finite(LongDouble::from_str_r(text, Round::NearestTiesToEven).ok()?)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// A converted literal, refused as `strtold` reports ERANGE for it: overflow to infinity, or
/// underflow all the way to zero (a denormal result is kept).
fn finite(r: rustc_apfloat::StatusAnd<LongDouble>) -> Option<LongDouble> {
    if r.status.contains(Status::OVERFLOW) || r.value.is_infinite() {
        return None;
    }
    if r.value.is_zero() && r.status.contains(Status::UNDERFLOW) {
        return None;
    }
    Some(r.value)
}

/// Splits off the leading digits: the rest, and how many there were.
fn digits(s: &[u8], is_digit: fn(&u8) -> bool) -> (&[u8], usize) {
    let n = s.iter().take_while(|b| is_digit(b)).count();
    (&s[n..], n)
}

/// The mantissa `digits [. digits]` (at least one digit) and the rest of the text.
fn mantissa(s: &[u8], is_digit: fn(&u8) -> bool) -> Option<&[u8]> {
    let (rest, int_digits) = digits(s, is_digit);
    let (rest, frac_digits) = match rest.strip_prefix(b".") {
        Some(r) => digits(r, is_digit),
        None => (rest, 0),
    };
    (int_digits + frac_digits > 0).then_some(rest)
}

/// Whether the rest of a literal is empty or exactly one exponent `marker [+-] digits`.
fn exponent_only(rest: &[u8], markers: [u8; 2]) -> Option<bool> {
    match rest.split_first() {
        None => Some(false),
        Some((m, e)) if markers.contains(m) => {
            let e = e
                .strip_prefix(b"+")
                .or_else(|| e.strip_prefix(b"-"))
                .unwrap_or(e);
            (!e.is_empty() && e.iter().all(u8::is_ascii_digit)).then_some(true)
        }
        Some(_) => None,
    }
}

/// Whether the text (sign removed) is exactly a C decimal floating literal:
/// `digits [. digits] [e [+-] digits]` with at least one mantissa digit.
fn decimal_float_shape(s: &[u8]) -> bool {
    mantissa(s, u8::is_ascii_digit)
        .and_then(|rest| exponent_only(rest, [b'e', b'E']))
        .is_some()
}

/// Whether the text after `0x` is exactly a C hexadecimal floating literal; returns whether it
/// has a `p` exponent.
fn hex_float_shape(s: &[u8]) -> Option<bool> {
    let rest = mantissa(s, u8::is_ascii_hexdigit)?;
    exponent_only(rest, [b'p', b'P'])
}

const TEN_POW_17: u128 = 100_000_000_000_000_000;

/// `%.17Lf` with trailing zeros (and then the point) removed, and `-0` printed as `0`: Redis's
/// `ld2string(.., LD_STR_HUMAN)`. The value is finite.
fn format_human(v: LongDouble) -> String {
    let bits = v.to_bits();
    let negative = (bits >> 79) & 1 == 1;
    let biased = ((bits >> 64) & 0x7fff) as i32;
    // The significand includes the integer bit (explicit in this format); denormals have the
    // exponent of the smallest normal.
    let sig = bits as u64;
    let exp = biased.max(1) - 16383 - 63;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp >= 0 {
        // An integer (at least 2^63): no fractional digits to print.
        out.push_str(&shifted_decimal(sig, exp as u32));
    } else {
        // round(|v| * 10^17), halfway cases to even, as glibc's printf rounds.
        let shift = (-exp) as u32;
        let scaled = u128::from(sig) * TEN_POW_17; // < 2^121
        let n = if shift >= 128 {
            0
        } else {
            let q = scaled >> shift;
            let rem = scaled & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        let (int, frac) = (n / TEN_POW_17, n % TEN_POW_17);
        out.push_str(&int.to_string());
        if frac != 0 {
            let frac = format!("{frac:017}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
    }
    if out == "-0" {
        out.remove(0);
    }
    out
}

/// The decimal digits of `sig * 2^shift`.
fn shifted_decimal(sig: u64, mut shift: u32) -> String {
    const BASE: u64 = 1_000_000_000;
    // Little-endian base-10^9 limbs.
    let mut limbs: Vec<u64> = Vec::new();
    let mut m = sig;
    while m > 0 {
        limbs.push(m % BASE);
        m /= BASE;
    }
    while shift > 0 {
        let step = shift.min(32);
        shift -= step;
        let mut carry = 0u64;
        for limb in limbs.iter_mut() {
            // < 10^9 * 2^32 + carry (< 2^33): fits in 64 bits.
            let x = (*limb << step) + carry;
            *limb = x % BASE;
            carry = x / BASE;
        }
        while carry > 0 {
            limbs.push(carry % BASE);
            carry /= BASE;
        }
    }
    let mut out = String::with_capacity(limbs.len() * 9);
    match limbs.split_last() {
        None => out.push('0'),
        Some((top, rest)) => {
            out.push_str(&top.to_string());
            for limb in rest.iter().rev() {
                out.push_str(&format!("{limb:09}"));
            }
        }
    }
    out
}

/// Formats a double as Redis does in replies (scores, RESP3 doubles): `%.17g`'s shape (plain
/// digits from 1e-4 up to 1e17, an exponent of at least two digits beyond), with the shortest
/// digits that read back as the same double, as Redis 7.2 prints them (7.0 printed 17
/// significant digits: `0.1` as `0.10000000000000001`).
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `d.ddde±x`.
    let sci = format!("{d:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..17).contains(&exp) {
        d.to_string()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_format_like_redis() {
        for (d, want) in [
            (3.0, "3"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (0.5, "0.5"),
            (1000.0, "1000"),
            (12345678.0, "12345678"),
            (1e20, "1e+20"),
            (1e-20, "1e-20"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.1, "0.1"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
        ] {
            assert_eq!(format_double(d), want, "{d}");
        }
    }

    fn incr(current: Option<&str>, delta: &str) -> Result<String, FloatError> {
        incr_by_float(current.map(str::as_bytes), delta.as_bytes())
            .map(|b| String::from_utf8(b.to_vec()).expect("ascii"))
    }

    fn ok(current: &str, delta: &str) -> String {
        incr(Some(current), delta).expect("a float")
    }

    #[test]
    fn sums_are_long_double_sums() {
        assert_eq!(ok("0.1", "0.2"), "0.3");
        assert_eq!(ok("1.1", "2.2"), "3.3");
        assert_eq!(ok("9223372036854775806", "1.5"), "9223372036854775807.5");
        assert_eq!(ok("10.5", "-1.1"), "9.4");
        assert_eq!(ok("10.50", "0.1"), "10.6");
        assert_eq!(ok("10.6", "-5"), "5.6");
        assert_eq!(ok("7", "0.5"), "7.5");
        assert_eq!(ok("7.5", "-0.5"), "7");
        assert_eq!(ok("100", "1.5e-3"), "100.0015");
    }

    #[test]
    fn a_missing_value_counts_as_zero() {
        assert_eq!(incr(None, "3"), Ok("3".into()));
        assert_eq!(incr(None, "1.25"), Ok("1.25".into()));
        assert_eq!(incr(None, "-0"), Ok("0".into()));
    }

    #[test]
    fn exponent_forms_read_and_print_plainly() {
        assert_eq!(ok("1e3", "0"), "1000");
        assert_eq!(ok("5.0e3", "2.0e2"), "5200");
        assert_eq!(ok("0", "1E2"), "100");
        assert_eq!(ok("0", "1.e2"), "100");
        assert_eq!(ok("0", ".5"), "0.5");
        assert_eq!(ok("0", "5."), "5");
        assert_eq!(ok("0", "+2.5e+1"), "25");
        assert_eq!(ok("0", "-2.5e-1"), "-0.25");
        assert_eq!(ok("0", "0x10"), "16");
        assert_eq!(ok("0", "0x1.8p1"), "3");
        assert_eq!(ok("0", "0X.8"), "0.5");
    }

    #[test]
    fn infinities_and_nans_are_refused() {
        assert_eq!(incr(Some("1"), "inf"), Err(FloatError::NanOrInfinity));
        assert_eq!(incr(Some("1"), "-Infinity"), Err(FloatError::NanOrInfinity));
        assert_eq!(incr(Some("inf"), "1"), Err(FloatError::NanOrInfinity));
        assert_eq!(incr(Some("inf"), "-inf"), Err(FloatError::NanOrInfinity));
        for nan in ["nan", "NaN", "-nan", "nan(1)", "infin", "+-1"] {
            assert_eq!(
                incr(Some("1"), nan),
                Err(FloatError::DeltaNotFloat),
                "{nan}"
            );
        }
        assert_eq!(check_increment(b"inf"), Err(FloatError::NanOrInfinity));
        assert_eq!(check_increment(b"-INF"), Err(FloatError::NanOrInfinity));
        assert_eq!(check_increment(b"nan"), Err(FloatError::DeltaNotFloat));
        assert_eq!(check_increment(b"1e4000"), Ok(()));
    }

    #[test]
    fn malformed_text_is_refused_current_first() {
        for bad in [
            "",
            " 1",
            "1 ",
            "\t1",
            "abc",
            "1e",
            "1e+",
            "e5",
            ".",
            "-",
            "0x",
            "0x1p",
            "1,5",
            "--1",
            "1e5000",
            "-1e5000",
            "1e-5000",
            "0x1p-16500",
        ] {
            assert_eq!(
                incr(Some("1"), bad),
                Err(FloatError::DeltaNotFloat),
                "{bad:?}"
            );
            assert_eq!(
                incr(Some(bad), "1"),
                Err(FloatError::CurrentNotFloat),
                "{bad:?}"
            );
        }
        assert_eq!(incr(Some("x"), "y"), Err(FloatError::CurrentNotFloat));
        assert_eq!(
            incr(Some("1"), &"1".repeat(MAX_CHARS)),
            Err(FloatError::DeltaNotFloat)
        );
    }

    #[test]
    fn a_nul_byte_anywhere_is_refused() {
        // `SET foo 1` then `SETRANGE foo 2 2`: "1\02".
        let refused = [&b"1\x002"[..], b"2\0junk", b"\0", b"1\0", b"\x001"];
        for bad in refused {
            assert_eq!(
                incr_by_float(Some(bad), b"1"),
                Err(FloatError::CurrentNotFloat)
            );
            assert_eq!(
                incr_by_float(Some(b"1"), bad),
                Err(FloatError::DeltaNotFloat)
            );
            assert_eq!(check_increment(bad), Err(FloatError::DeltaNotFloat));
        }
        assert_eq!(incr_by_float(Some(b"1"), b"1"), Ok(Bytes::from("2")));
    }

    #[test]
    fn big_and_small_magnitudes() {
        // Past f64's range, within long double's.
        assert_eq!(ok("1e400", "-1e400"), "0");
        let big = ok("1e400", "1");
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("10000000000000000000281880683947586514586453"));
        assert_eq!(
            incr(Some("1e4932"), "1e4932"),
            Err(FloatError::NanOrInfinity)
        );
        assert_eq!(ok("18446744073709551615", "0"), "18446744073709551615");
        assert_eq!(ok("-9223372036854775808", "-1"), "-9223372036854775809");
        // Below 10^-17 everything prints as 0, and -0 as 0.
        assert_eq!(ok("1e-18", "0"), "0");
        assert_eq!(ok("-1e-30", "0"), "0");
        assert_eq!(ok("-0", "-0"), "0");
        assert_eq!(ok("0x1p-16445", "0"), "0"); // the smallest denormal is a float
        assert_eq!(ok("1e-17", "0"), "0.00000000000000001");
        assert_eq!(ok("6e-18", "0"), "0.00000000000000001");
        assert_eq!(ok("5e-18", "0"), "0"); // a hair under 5e-18 in long double
                                           // An exact tie at the 17th decimal rounds to even, as glibc's printf does.
        assert_eq!(ok("0.000003814697265625", "0"), "0.00000381469726562");
    }

    /// Inputs drawn at random (decimal, hexadecimal, huge, tiny, malformed), with the answers
    /// of a C program running Redis's `string2ld` and `ld2string` on x86-64 glibc.
    #[test]
    fn matches_glibc_long_double_on_sampled_inputs() {
        let cases: &[(Option<&str>, &str, Result<&str, FloatError>)] = &[
            (
                Some("nan"),
                "+69313146.493085008173252",
                Err(FloatError::CurrentNotFloat),
            ),
            (
                Some("+0xec9Ae922B8f60.fffp-3"),
                "+-568320.7316410126",
                Err(FloatError::DeltaNotFloat),
            ),
            (None, "1.5 ", Err(FloatError::DeltaNotFloat)),
            (
                Some("+665672.6905135612"),
                "-0xe0FAeEB79p+100",
                Ok("-76556796678978588943307206283729834082304"),
            ),
            (None, "+398.0213999330", Ok("398.02139993300000001")),
            (
                Some("-8788174951160420526"),
                "2531.54179397967565675113",
                Ok("-8788174951160417994.5"),
            ),
            (None, "1.61", Ok("1.61")),
            (
                Some("3.522507e-3750"),
                "+5729526784.323056240145",
                Ok("5729526784.32305624010041356"),
            ),
            (
                None,
                "-996297081009964.384636",
                Ok("-996297081009964.3846435546875"),
            ),
            (
                Some("13986683180721116814"),
                "+353183241.9640189725734493",
                Ok("13986683181074300056"),
            ),
            (
                Some("+0xf4CAe91076d8db7a0ce8.8"),
                "2065521344889251649",
                Ok("1156002523698111882592256"),
            ),
            (None, "961.00000001", Ok("961.00000000999999999")),
            (
                Some("--17081602756637089936"),
                "6112042388852401716",
                Err(FloatError::CurrentNotFloat),
            ),
            (
                Some("+343.810971078193690"),
                "+672.1816811073496644233",
                Ok("1015.99265218554335444"),
            ),
            (
                Some("0xFA0E66f6ACEBP-16440"),
                "-0.000003814697265625",
                Ok("-0.00000381469726562"),
            ),
            (
                Some("+66.8186525027"),
                "538.0000000003145409097",
                Ok("604.8186525030145409"),
            ),
            (
                Some("-0.1"),
                "373763250545520.5650953845",
                Ok("373763250545520.465087890625"),
            ),
            (
                Some("96651862422397917790.9"),
                "1.672121e-3931",
                Ok("96651862422397917792"),
            ),
            (
                Some("18.91157230430048797634909"),
                "--12760673717140670538",
                Err(FloatError::DeltaNotFloat),
            ),
            (
                Some("6690945649261966666"),
                "5.537493e-2084",
                Ok("6690945649261966666"),
            ),
            (
                Some("+15885328544889616065"),
                "-3.3",
                Ok("15885328544889616062"),
            ),
            (
                Some("11780321621037155301"),
                "+-413570.8590589358",
                Err(FloatError::DeltaNotFloat),
            ),
            (
                Some("3.534823e-4687"),
                "123.000000466222",
                Ok("123.000000466222"),
            ),
            (Some("+3.105057e-875"), "-5.581290e-4832", Ok("0")),
            (
                Some("-0xab"),
                "-317450.48853959795",
                Ok("-317621.48853959794999469"),
            ),
            (None, "7040.0", Ok("7040")),
            (
                Some("-529830.565199089"),
                "-17978962427425316630",
                Ok("-17978962427425846461"),
            ),
            (
                Some("-707094.9226137358"),
                "-187.1624609135344954",
                Ok("-707282.08507464933450137"),
            ),
            (
                None,
                "4226429487835.9553743",
                Ok("4226429487835.95537424087524414"),
            ),
            (
                Some("3.805777e-2004"),
                "+1.5e-17",
                Ok("0.00000000000000002"),
            ),
            (
                Some("-0xD0A0E8e77cBBcd72761"),
                "0x392BF64.fffp-3",
                Ok("-61576280625522629988352"),
            ),
            (
                Some("--11324537338936953034"),
                "-393.00830530",
                Err(FloatError::CurrentNotFloat),
            ),
            (None, "+8.442247e-785", Ok("0")),
            (
                Some("+-14370159756382276059"),
                "571300859543840684.687E+12",
                Err(FloatError::CurrentNotFloat),
            ),
            (Some("2.756091e-2540"), "83.", Ok("83")),
            (
                Some("+-4948834026373459138"),
                "0x3478016D7962FP-16440",
                Err(FloatError::CurrentNotFloat),
            ),
            (
                Some("78328795383.290459144127433"),
                "-3.566208e-1656",
                Ok("78328795383.29045914113521576"),
            ),
            (
                Some("-0xdcbAa3Ec22BCD4DdA.fffp-3"),
                "-585701.4673906052",
                Ok("-31810410537206061474"),
            ),
            (
                Some("+8512201188652989644"),
                "-245.2902037917750164",
                Ok("8512201188652989398.5"),
            ),
            (None, "-6961319711329374766", Ok("-6961319711329374766")),
        ];
        for (current, delta, want) in cases {
            let got = incr(*current, delta);
            assert_eq!(got.as_deref(), want.as_deref(), "{current:?} + {delta:?}");
        }
    }
}

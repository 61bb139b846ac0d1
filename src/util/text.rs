//! Text helpers with C semantics but no locale: case-insensitive comparison of ASCII
//! protocol text, and `strtoll`-style integer parsing.

use std::cmp::Ordering;

/// One byte as a C `char` on this platform, lower-cased in ASCII only. Comparisons use
/// this value so that bytes above 0x7f order as libevent's do where `char` is signed.
fn folded(byte: u8) -> std::ffi::c_char {
    byte.to_ascii_lowercase() as std::ffi::c_char
}

/// Compares two C strings (given without their NUL) ignoring ASCII case; at most `limit`
/// bytes when given. Returns -1, 0 or 1.
fn casecmp(a: &[u8], b: &[u8], limit: Option<usize>) -> i32 {
    // A string's end reads as its terminating NUL, as in C.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    loop {
        if limit.is_some_and(|n| i >= n) {
            return 0;
        }
        let (x, y) = (folded(at(a, i)), folded(at(b, i)));
        match x.cmp(&y) {
            Ordering::Less => return -1,
            Ordering::Greater => return 1,
            Ordering::Equal if x == 0 => return 0,
            Ordering::Equal => i += 1,
        }
    }
}

/// `strcasecmp` in the C locale: -1, 0 or 1. `a` and `b` end at their first NUL, if any.
pub fn ascii_casecmp(a: &[u8], b: &[u8]) -> i32 {
    casecmp(a, b, None)
}

/// `strncasecmp` in the C locale: compares at most `n` bytes; -1, 0 or 1.
pub fn ascii_ncasecmp(a: &[u8], b: &[u8], n: usize) -> i32 {
    casecmp(a, b, Some(n))
}

/// The outcome of [`parse_c_integer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedInteger {
    /// The value, clamped to `i64::MIN`/`i64::MAX` on overflow; 0 when nothing parsed.
    pub value: i64,
    /// How many bytes were used: what `*endptr - s` is in C; 0 when nothing parsed.
    pub consumed: usize,
    /// The number did not fit (C reports `ERANGE`).
    pub overflowed: bool,
}

/// The base given to [`parse_c_integer`] is not 0 or 2..=36 (C reports `EINVAL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidBase;

/// C's whitespace in the "C" locale.
pub fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn digit_value(byte: u8) -> Option<u32> {
    match byte {
        b'0'..=b'9' => Some(u32::from(byte - b'0')),
        b'a'..=b'z' => Some(u32::from(byte - b'a') + 10),
        b'A'..=b'Z' => Some(u32::from(byte - b'A') + 10),
        _ => None,
    }
}

/// Parses an integer as C's `strtoll` does in the "C" locale: leading whitespace, an
/// optional sign, a `0x` prefix for base 16 or 0, a leading `0` meaning octal for base 0.
pub fn parse_c_integer(text: &[u8], base: u32) -> Result<ParsedInteger, InvalidBase> {
    if base == 1 || base > 36 {
        return Err(InvalidBase);
    }
    let nothing = ParsedInteger {
        value: 0,
        consumed: 0,
        overflowed: false,
    };
    let (mut pos, negative) = skip_space_and_sign(text);
    let mut base = base;
    // Where a bare "0x" ends if no hex digit follows: the "0" is then the number.
    let mut zero_before_x = None;
    if text.get(pos) == Some(&b'0') {
        if (base == 0 || base == 16) && matches!(text.get(pos + 1), Some(b'x' | b'X')) {
            zero_before_x = Some(pos + 1);
            pos += 2;
            base = 16;
        } else if base == 0 {
            base = 8;
        }
    } else if base == 0 {
        base = 10;
    }

    let digits_start = pos;
    let mut magnitude: u64 = 0;
    let mut too_big = false;
    while let Some(digit) = text
        .get(pos)
        .and_then(|&b| digit_value(b))
        .filter(|&d| d < base)
    {
        match magnitude
            .checked_mul(u64::from(base))
            .and_then(|m| m.checked_add(u64::from(digit)))
        {
            Some(m) => magnitude = m,
            None => too_big = true,
        }
        pos += 1;
    }
    if pos == digits_start {
        return Ok(match zero_before_x {
            Some(end) => ParsedInteger {
                consumed: end,
                ..nothing
            },
            None => nothing,
        });
    }

    let limit = if negative {
        i64::MIN.unsigned_abs()
    } else {
        i64::MAX as u64
    };
    if too_big || magnitude > limit {
        let value = if negative { i64::MIN } else { i64::MAX };
        return Ok(ParsedInteger {
            value,
            consumed: pos,
            overflowed: true,
        });
    }
    let value = if negative {
        (magnitude as i64).wrapping_neg()
    } else {
        magnitude as i64
    };
    Ok(ParsedInteger {
        value,
        consumed: pos,
        overflowed: false,
    })
}

/// Where the digits of a C number start after leading white space and an optional
/// sign, and whether the sign was '-'.
fn skip_space_and_sign(text: &[u8]) -> (usize, bool) {
    let pos = text.iter().take_while(|&&b| is_c_space(b)).count();
    match text.get(pos) {
        Some(b'-') => (pos + 1, true),
        Some(b'+') => (pos + 1, false),
        _ => (pos, false),
    }
}

/// Parses like C's `strtoul` and keeps the low 32 bits, as storing the result in an
/// `unsigned int` does (`sscanf("%u")`, `(unsigned)strtoul(...)`): a minus sign negates
/// modulo 2^64, and values beyond `u64::MAX` saturate.
pub fn parse_c_unsigned_u32(text: &[u8]) -> Option<(u32, usize)> {
    let (mut pos, negative) = skip_space_and_sign(text);
    let digits_start = pos;
    let mut magnitude: u64 = 0;
    let mut saturated = false;
    while let Some(&b) = text.get(pos).filter(|b| b.is_ascii_digit()) {
        match magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(b - b'0')))
        {
            Some(m) => magnitude = m,
            None => saturated = true,
        }
        pos += 1;
    }
    if pos == digits_start {
        return None;
    }
    let value = if saturated {
        u64::MAX
    } else if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    Some((value as u32, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casecmp_orders_like_c() {
        assert_eq!(ascii_casecmp(b"ABC", b"abc"), 0);
        assert_eq!(ascii_casecmp(b"ABC", b"abcd"), -1);
        assert_eq!(ascii_casecmp(b"ABC", b"abb"), 1);
        assert_eq!(ascii_casecmp(b"", b""), 0);
        // Bytes above 0x7f are negative chars, below NUL and ASCII.
        assert_eq!(ascii_casecmp(b"\x80", b"a"), -1);
        assert_eq!(ascii_casecmp(b"\xc4", b"\xe4"), -1);
        assert_eq!(ascii_ncasecmp(b"Libevent", b"LibEXXXX", 4), 0);
        assert_eq!(ascii_ncasecmp(b"Lib", b"LibEvEnT", 4), -1);
        assert_eq!(ascii_ncasecmp(b"Z", b"qrst", 1), 1);
        assert_eq!(ascii_ncasecmp(b"abc", b"xyz", 0), 0);
    }

    fn parse(text: &str, base: u32) -> (i64, usize, bool) {
        let r = parse_c_integer(text.as_bytes(), base).unwrap();
        (r.value, r.consumed, r.overflowed)
    }

    #[test]
    fn integers_parse_like_strtoll() {
        assert_eq!(parse("5000000000", 10), (5_000_000_000, 10, false));
        assert_eq!(parse("-5000000000", 10), (-5_000_000_000, 11, false));
        assert_eq!(parse(" 99999stuff", 10), (99999, 6, false));
        assert_eq!(parse("foo", 10), (0, 0, false));
        assert_eq!(parse("  -", 10), (0, 0, false));
        assert_eq!(parse("0x1f", 0), (31, 4, false));
        assert_eq!(parse("0x1f", 16), (31, 4, false));
        assert_eq!(parse("0xg", 16), (0, 1, false));
        assert_eq!(parse("0x", 0), (0, 1, false));
        assert_eq!(parse("017", 0), (15, 3, false));
        assert_eq!(parse("z", 36), (35, 1, false));
        assert_eq!(parse("9223372036854775807", 10), (i64::MAX, 19, false));
        assert_eq!(parse("9223372036854775808", 10), (i64::MAX, 19, true));
        assert_eq!(parse("-9223372036854775808", 10), (i64::MIN, 20, false));
        assert_eq!(parse("-9223372036854775809", 10), (i64::MIN, 20, true));
        assert_eq!(parse("99999999999999999999999x", 10), (i64::MAX, 23, true));
        assert_eq!(parse_c_integer(b"1", 1), Err(InvalidBase));
        assert_eq!(parse_c_integer(b"1", 37), Err(InvalidBase));
    }

    #[test]
    fn unsigned_u32_wraps_like_scanf() {
        assert_eq!(parse_c_unsigned_u32(b"12."), Some((12, 2)));
        assert_eq!(parse_c_unsigned_u32(b" +7"), Some((7, 3)));
        assert_eq!(parse_c_unsigned_u32(b"-1"), Some((u32::MAX, 2)));
        assert_eq!(parse_c_unsigned_u32(b"4294967297"), Some((1, 10)));
        assert_eq!(
            parse_c_unsigned_u32(b"99999999999999999999"),
            Some((u32::MAX, 20))
        );
        assert_eq!(parse_c_unsigned_u32(b"x"), None);
        assert_eq!(parse_c_unsigned_u32(b""), None);
    }
}

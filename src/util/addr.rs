//! Internet addresses as text and as socket addresses.
//!
//! The parsers accept exactly what libevent accepts, lenient corners included (numbers
//! read the way C's `scanf("%u")` and `strtol` read them), so that configuration text
//! which works with libevent works here too. The printers write libevent's forms.

use std::ffi::CString;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::text::{parse_c_integer, parse_c_unsigned_u32};

/// Reads four dot-separated numbers filling the whole of `text` (each read as
/// `scanf("%u")` reads it: optional leading blanks and sign) and checks that each is a
/// byte.
fn parse_dotted_quad(text: &[u8]) -> Option<[u8; 4]> {
    let mut numbers = [0u32; 4];
    let mut pos = 0;
    for (i, number) in numbers.iter_mut().enumerate() {
        if i > 0 {
            if text.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let (value, used) = parse_c_unsigned_u32(&text[pos..])?;
        *number = value;
        pos += used;
    }
    if pos != text.len() {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, number) in octets.iter_mut().zip(numbers) {
        *octet = u8::try_from(number).ok()?;
    }
    Some(octets)
}

/// Parses an IPv4 address in dotted-quad form ("1.2.3.4"); no shorthand forms.
pub fn parse_ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    parse_dotted_quad(text).map(Ipv4Addr::from)
}

/// One group of an IPv6 address, read as `strtol(.., 16)` reads it (a "0x" prefix
/// included): its value and length in bytes. `text` starts with a hex digit.
fn hex_group(text: &[u8]) -> (u64, usize) {
    let hex_run = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count()
    };
    let prefixed = text.len() > 2
        && text[0] == b'0'
        && matches!(text[1], b'x' | b'X')
        && text[2].is_ascii_hexdigit();
    let (start, digits) = if prefixed {
        (2, hex_run(2))
    } else {
        (0, hex_run(0))
    };
    let value = text[start..start + digits].iter().fold(0u64, |acc, &b| {
        let digit = (b as char).to_digit(16).map_or(0, u64::from);
        acc.saturating_mul(16).saturating_add(digit)
    });
    (value, start + digits)
}

/// Parses an IPv6 address: up to eight hex groups, at most one "::", optionally ending
/// in a dotted quad ("::ffff:1.2.3.4").
pub fn parse_ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    let mut words = [0u16; 8];
    let mut words_set = 0usize;
    let dot = text.iter().position(|&b| b == b'.');
    let groups_end = match dot {
        Some(0) => return None,
        None => text.len(),
        Some(dot) => {
            // The dotted quad starts at the run of decimal digits before the first dot.
            let start = text[..dot]
                .iter()
                .rposition(|b| !b.is_ascii_digit())
                .map_or(0, |p| p + 1);
            let [a, b, c, d] = parse_dotted_quad(&text[start..])?;
            words[6] = u16::from_be_bytes([a, b]);
            words[7] = u16::from_be_bytes([c, d]);
            words_set += 2;
            start
        }
    };

    let mut groups = 0usize;
    let mut gap: Option<usize> = None;
    let mut pos = 0;
    while pos < groups_end {
        if groups > 7 {
            return None;
        }
        let byte = text[pos];
        if byte.is_ascii_hexdigit() {
            let (value, used) = hex_group(&text[pos..]);
            if used > 4 || value > 0xffff {
                return None;
            }
            // With a dotted quad, groups 6 and 7 overwrite it; the count check rejects that.
            words[groups] = value as u16;
            groups += 1;
            words_set += 1;
            pos += used;
            if pos != groups_end && text.get(pos) != Some(&b':') {
                return None;
            }
            pos += 1;
        } else if byte == b':' && groups > 0 && gap.is_none() {
            gap = Some(groups);
            pos += 1;
        } else if byte == b':' && groups == 0 && text.get(pos + 1) == Some(&b':') && gap.is_none() {
            gap = Some(0);
            pos += 2;
        } else {
            return None;
        }
    }

    match (words_set, gap) {
        (9.., _) | (8, Some(_)) => return None,
        (0..=7, None) => return None,
        _ => {}
    }
    if let Some(gap) = gap {
        let to_move = groups - gap;
        let gap_len = 8 - words_set;
        words.copy_within(gap..gap + to_move, gap + gap_len);
        words[gap..gap + gap_len].fill(0);
    }
    Some(Ipv6Addr::from(words))
}

/// The index of the network interface named `name`, if there is one.
fn interface_index(name: &[u8]) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string for the duration of the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}

/// Parses an IPv6 address with an optional zone ("fe80::1%eth0", "fe80::1%2").
///
/// Returns the address (None if malformed) and the zone's interface index (0 without a
/// zone). A zone that names no interface and is not a number makes the whole text
/// invalid; an address that fails to parse still reports its zone's index, as libevent
/// does.
pub fn parse_ipv6_scoped(text: &[u8]) -> (Option<Ipv6Addr>, u32) {
    let Some(percent) = text.iter().position(|&b| b == b'%') else {
        return (parse_ipv6(text), 0);
    };
    let zone = &text[percent + 1..];
    let index = match interface_index(zone) {
        Some(index) => index,
        // Not an interface name: a decimal index (read as strtoul reads it), or nothing.
        None => match parse_c_unsigned_u32(zone) {
            Some((index, used)) if used == zone.len() => index,
            None if zone.is_empty() => 0,
            _ => return (None, 0),
        },
    };
    (parse_ipv6(&text[..percent]), index)
}

/// libevent's text form of an IPv4 address.
pub fn format_ipv4(addr: Ipv4Addr) -> String {
    addr.to_string()
}

/// libevent's text form of an IPv6 address: lower-case hex, the longest run of two or
/// more zero groups (the first such, on a tie) as "::", and IPv4-compatible or
/// IPv4-mapped addresses with a dotted quad ("::1.2.3.4", "::ffff:1.2.3.4").
pub fn format_ipv6(addr: Ipv6Addr) -> String {
    let words = addr.segments();
    let [.., a, b, c, d] = addr.octets();
    if words[..5].iter().all(|&w| w == 0) {
        if words[5] == 0 && words[6] != 0 && words[7] != 0 {
            return format!("::{a}.{b}.{c}.{d}");
        }
        if words[5] == 0xffff {
            return format!("::ffff:{a}.{b}.{c}.{d}");
        }
    }

    // The first longest run of zero groups.
    let (mut best_start, mut best_len) = (0, 0);
    let mut i = 0;
    while i < 8 {
        let run = words[i..].iter().take_while(|&&w| w == 0).count();
        if run > best_len {
            (best_start, best_len) = (i, run);
        }
        i += run.max(1);
    }

    let mut out = String::with_capacity(40);
    let mut i = 0;
    while i < 8 {
        if best_len > 1 && i == best_start {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{:x}", words[i]);
        if i != 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// Parses "[ipv6]:port", "[ipv6]", "ipv6", "ipv4:port" or "ipv4" (an IPv6 address may
/// carry a zone). Without a port the port is 0; a given port must be 1..=65535.
pub fn parse_sockaddr_port(text: &[u8]) -> Option<SocketAddr> {
    // libevent copies the address part into a 128-byte buffer and refuses longer ones.
    const MAX_ADDRESS_PART: usize = 127;
    let first_colon = text.iter().position(|&b| b == b':');
    let (address, port, is_ipv6) = if text.first() == Some(&b'[') {
        let close = text.iter().position(|&b| b == b']')?;
        let inner = &text[1..close];
        if inner.len() > MAX_ADDRESS_PART {
            return None;
        }
        // Anything after "]" other than ":port" is ignored, as libevent does.
        let port = (text.get(close + 1) == Some(&b':')).then(|| &text[close + 2..]);
        (inner, port, true)
    } else {
        match first_colon {
            Some(colon) if text[colon + 1..].contains(&b':') => (text, None, true),
            Some(colon) if colon > MAX_ADDRESS_PART => return None,
            Some(colon) => (&text[..colon], Some(&text[colon + 1..]), false),
            None => (text, None, false),
        }
    };

    let port = match port {
        None => 0,
        Some(port) => {
            // atoi: strtol truncated to int, trailing junk ignored.
            let value = parse_c_integer(port, 10).map_or(0, |p| p.value as i32);
            u16::try_from(value).ok().filter(|&p| p != 0)?
        }
    };

    if is_ipv6 {
        let (ip, scope_id) = parse_ipv6_scoped(address);
        Some(SocketAddr::V6(SocketAddrV6::new(ip?, port, 0, scope_id)))
    } else {
        Some(SocketAddr::V4(SocketAddrV4::new(
            parse_ipv4(address)?,
            port,
        )))
    }
}

/// A socket address to compare with [`compare_sockaddrs`]: IPv4, IPv6, or another
/// family known only by its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockaddrView {
    V4(SocketAddrV4),
    V6(SocketAddrV6),
    Other { family: i32 },
}

impl SockaddrView {
    fn family(&self) -> i32 {
        match self {
            SockaddrView::V4(_) => libc::AF_INET,
            SockaddrView::V6(_) => libc::AF_INET6,
            SockaddrView::Other { family } => *family,
        }
    }
}

impl From<SocketAddr> for SockaddrView {
    fn from(addr: SocketAddr) -> Self {
        match addr {
            SocketAddr::V4(a) => SockaddrView::V4(a),
            SocketAddr::V6(a) => SockaddrView::V6(a),
        }
    }
}

/// A port as the integer its network-order bytes make in memory, which is what
/// libevent subtracts.
fn port_in_memory(port: u16) -> i32 {
    i32::from(u16::from_ne_bytes(port.to_be_bytes()))
}

/// Orders two socket addresses as libevent does: 0 when equal, negative or positive
/// otherwise (by family, then address, then port if `include_port`). Families other
/// than IPv4 and IPv6 never compare equal (the answer is 1). The flow label and zone of
/// IPv6 addresses are not compared.
pub fn compare_sockaddrs(a: &SockaddrView, b: &SockaddrView, include_port: bool) -> i32 {
    let by_family = a.family() - b.family();
    if by_family != 0 {
        return by_family;
    }
    let (by_address, ports) = match (a, b) {
        (SockaddrView::V4(x), SockaddrView::V4(y)) => {
            // The 32-bit address as it sits in memory, compared as an integer.
            let (x_bits, y_bits) = (
                u32::from_ne_bytes(x.ip().octets()),
                u32::from_ne_bytes(y.ip().octets()),
            );
            (x_bits.cmp(&y_bits) as i32, (x.port(), y.port()))
        }
        (SockaddrView::V6(x), SockaddrView::V6(y)) => {
            // memcmp's answer: the difference of the first differing bytes.
            let first_difference = x
                .ip()
                .octets()
                .iter()
                .zip(y.ip().octets())
                .map(|(&p, q)| i32::from(p) - i32::from(q))
                .find(|&d| d != 0)
                .unwrap_or(0);
            (first_difference, (x.port(), y.port()))
        }
        _ => return 1,
    };
    if by_address != 0 {
        return by_address;
    }
    if include_port {
        port_in_memory(ports.0) - port_in_memory(ports.1)
    } else {
        0
    }
}

/// A `sockaddr_in` read from C memory as a Rust address.
pub fn from_sockaddr_in(raw: &libc::sockaddr_in) -> SocketAddrV4 {
    SocketAddrV4::new(
        Ipv4Addr::from(raw.sin_addr.s_addr.to_ne_bytes()),
        u16::from_be(raw.sin_port),
    )
}

/// A `sockaddr_in6` read from C memory as a Rust address.
pub fn from_sockaddr_in6(raw: &libc::sockaddr_in6) -> SocketAddrV6 {
    SocketAddrV6::new(
        Ipv6Addr::from(raw.sin6_addr.s6_addr),
        u16::from_be(raw.sin6_port),
        u32::from_be(raw.sin6_flowinfo),
        raw.sin6_scope_id,
    )
}

/// Sets a socket address's length field (`sin_len`, `sin6_len`) on the systems that
/// have one (the BSDs and macOS), as libevent sets it there; nothing elsewhere.
macro_rules! set_sockaddr_len {
    ($field:expr, $sockaddr:ty) => {
        #[cfg(any(
            target_vendor = "apple",
            target_os = "freebsd",
            target_os = "dragonfly",
            target_os = "netbsd",
            target_os = "openbsd"
        ))]
        {
            $field = size_of::<$sockaddr>() as u8;
        }
    };
}

/// The `sockaddr_in` for an IPv4 socket address (unused bytes zero; on the BSDs with
/// `sin_len` set, as libevent sets it where the field exists).
pub fn to_sockaddr_in(addr: &SocketAddrV4) -> libc::sockaddr_in {
    // SAFETY: all-zero is a valid sockaddr_in, and the bytes not set below must be zero.
    let mut raw: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    raw.sin_family = libc::AF_INET as libc::sa_family_t;
    raw.sin_port = addr.port().to_be();
    raw.sin_addr.s_addr = u32::from_ne_bytes(addr.ip().octets());
    set_sockaddr_len!(raw.sin_len, libc::sockaddr_in);
    raw
}

/// The `sockaddr_in6` for an IPv6 socket address (`sin6_len` set as above).
pub fn to_sockaddr_in6(addr: &SocketAddrV6) -> libc::sockaddr_in6 {
    // SAFETY: all-zero is a valid sockaddr_in6; every field that means something is
    // set below.
    let mut raw: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    raw.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    raw.sin6_port = addr.port().to_be();
    raw.sin6_flowinfo = addr.flowinfo().to_be();
    raw.sin6_addr.s6_addr = addr.ip().octets();
    raw.sin6_scope_id = addr.scope_id();
    set_sockaddr_len!(raw.sin6_len, libc::sockaddr_in6);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> Option<String> {
        parse_ipv4(text.as_bytes()).map(format_ipv4)
    }

    fn v6(text: &str) -> Option<String> {
        parse_ipv6(text.as_bytes()).map(format_ipv6)
    }

    #[test]
    fn ipv4_text() {
        assert_eq!(v4("1.2.3.4").as_deref(), Some("1.2.3.4"));
        assert_eq!(v4("255.255.255.255").as_deref(), Some("255.255.255.255"));
        assert_eq!(v4("01.02.03.004").as_deref(), Some("1.2.3.4"));
        // scanf reads blanks and signs before each number.
        assert_eq!(v4(" 1. 2.3.+4").as_deref(), Some("1.2.3.4"));
        for bad in [
            "256.0.0.0",
            "ABC",
            "1.2.3.4.5",
            "1.2.3",
            "1.2.3.4 ",
            "",
            "1..2.3",
            "-1.2.3.4",
        ] {
            assert_eq!(v4(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipv6_text() {
        let same = [
            "::",
            "::1",
            "::1.2.3.4",
            "ffff:1::",
            "ffff::1234",
            "::9:c0a8:1:1",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:7:8",
            "1::8",
        ];
        for text in same {
            assert_eq!(v6(text).as_deref(), Some(text));
        }
        let normalised = [
            ("0:0:0:0:0:0:0:0", "::"),
            ("ffff:0000::", "ffff::"),
            ("0102::1.2.3.4", "102::102:304"),
            ("FFFF::", "ffff::"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7:8"),
            ("0x1::", "1::"),
            ("::0.1.0.0", "::1:0"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ];
        for (text, printed) in normalised {
            assert_eq!(v6(text).as_deref(), Some(printed), "{text}");
        }
        let bad = [
            "foobar.",
            "foobar",
            "fo:obar",
            "ffff",
            "fffff::",
            "::1.0.1.1000",
            "1:2:33333:4::",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":::1",
            ":",
            "",
            ":1::",
            ".1.2.3.4",
            "::0xffff:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:6:7:8::",
            "::ffff1.2.3.4",
            "fe80::1%lo",
        ];
        for text in bad {
            assert_eq!(v6(text), None, "{text}");
        }
    }

    #[test]
    fn ipv6_zones() {
        let db8 = Some("2001:db8::".parse().unwrap());
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::"), (db8, 0));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%0"), (db8, 0));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%1"), (db8, 1));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%"), (db8, 0));
        assert_eq!(parse_ipv6_scoped(b"2001:DB8::%does-not-exist"), (None, 0));
        assert_eq!(parse_ipv6_scoped(b"bogus%7"), (None, 7));
        let lo = interface_index(b"lo").unwrap();
        assert_eq!(
            parse_ipv6_scoped(b"fe80::1%lo"),
            (Some("fe80::1".parse().unwrap()), lo)
        );
    }

    fn sockaddr(text: &str) -> Option<String> {
        parse_sockaddr_port(text.as_bytes()).map(|a| a.to_string())
    }

    #[test]
    fn sockaddr_port_text() {
        assert_eq!(
            sockaddr("[ffff::1]:1000").as_deref(),
            Some("[ffff::1]:1000")
        );
        assert_eq!(sockaddr("[ffff::1]").as_deref(), Some("[ffff::1]:0"));
        assert_eq!(sockaddr("::1").as_deref(), Some("[::1]:0"));
        assert_eq!(sockaddr("1:2::1").as_deref(), Some("[1:2::1]:0"));
        assert_eq!(
            sockaddr("192.168.0.1:50").as_deref(),
            Some("192.168.0.1:50")
        );
        assert_eq!(sockaddr("1.2.3.4").as_deref(), Some("1.2.3.4:0"));
        assert_eq!(sockaddr("1.2.3.4:80abc").as_deref(), Some("1.2.3.4:80"));
        assert_eq!(sockaddr("[::1]junk").as_deref(), Some("[::1]:0"));
        assert_eq!(
            sockaddr("[fe80::1%1]:80").as_deref(),
            Some("[fe80::1%1]:80")
        );
        // atoi truncates to int: 2^32 + 81 reads as 81.
        assert_eq!(
            sockaddr("1.2.3.4:4294967377").as_deref(),
            Some("1.2.3.4:81")
        );
        let bad = [
            "[ffff::1",
            "[ffff::1]:65599",
            "[ffff::1]:0",
            "[ffff::1]:-1",
            "[::1]:",
            "1.2.3.4:",
            "1.2.3.4:0",
            "1.2.3.4:99999",
            "1.2.3.4:80:90",
            "[]",
            "",
            "x",
        ];
        for text in bad {
            assert_eq!(sockaddr(text), None, "{text}");
        }
        let long = format!("{}1.2.3.4:80", " ".repeat(130));
        assert_eq!(sockaddr(&long), None);
        let long = format!("[{}]", "1:".repeat(70));
        assert_eq!(sockaddr(&long), None);
    }

    #[test]
    fn sockaddr_order() {
        let view = |s: &str| SockaddrView::from(s.parse::<SocketAddr>().unwrap());
        let cmp = |a: &str, b: &str, port| compare_sockaddrs(&view(a), &view(b), port);
        assert_eq!(cmp("1.2.3.4:80", "1.2.3.4:80", true), 0);
        assert_eq!(cmp("1.2.3.4:80", "1.2.3.4:81", false), 0);
        assert_ne!(cmp("1.2.3.4:80", "1.2.3.4:81", true), 0);
        assert!(cmp("1.2.3.4:80", "1.2.3.5:80", true) < 0);
        assert!(cmp("[::1]:80", "[::2]:80", true) < 0);
        assert!(cmp("[::1]:80", "1.2.3.4:80", true) > 0);
        assert_eq!(cmp("[::1]:80", "[::1]:80", true), 0);
        let unix = SockaddrView::Other {
            family: libc::AF_UNIX,
        };
        assert_eq!(compare_sockaddrs(&unix, &unix, true), 1);
    }

    #[test]
    fn raw_round_trip() {
        let a: SocketAddrV6 = "[fe80::1%3]:443".parse().unwrap();
        assert_eq!(from_sockaddr_in6(&to_sockaddr_in6(&a)), a);
        let b: SocketAddrV4 = "10.0.0.1:8080".parse().unwrap();
        assert_eq!(from_sockaddr_in(&to_sockaddr_in(&b)), b);
    }
}

//! resolv.conf(5) as libevent's evdns reads it: one directive a line, the first token
//! naming it; `nameserver`, `domain`, `search` and `options` understood, every other
//! line skipped. What each directive does (and which DNS_OPTION_* flag allows it) is
//! the resolver's business.

use crate::wire::WireError;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// One understood line.
#[derive(Debug, PartialEq, Eq)]
pub enum Directive {
    /// `nameserver ADDR`: the address text as written (see [`parse_nameserver`]).
    Nameserver(Vec<u8>),
    /// `domain NAME`: the search list becomes NAME alone.
    Domain(Vec<u8>),
    /// `search NAME...`: the search list becomes these names, in order (libevent
    /// clears the list even when none follow).
    Search(Vec<Vec<u8>>),
    /// One token of an `options` line: `ndots:2` gives name "ndots", value "2";
    /// `rotate` gives an empty value.
    Option { name: Vec<u8>, value: Vec<u8> },
}

/// Bytes that separate tokens. libevent splits on space and tab only; a carriage
/// return is taken as a blank too, so that a file with CRLF line ends does not
/// leave "\r" at the end of an address or name.
pub(crate) fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r')
}

/// The text as a C program sees it: up to the first NUL byte (libevent reads the
/// file as a string).
pub(crate) fn up_to_nul(text: &[u8]) -> &[u8] {
    match text.iter().position(|&byte| byte == 0) {
        Some(nul) => &text[..nul],
        None => text,
    }
}

/// The tokens of a line, up to a comment: a token that starts with `#` or `;` ends
/// the line. (libevent has no comment syntax of its own: comment lines are simply
/// not directives, but a `#` after `search` domains would be taken as a domain.)
fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&byte| is_blank(byte))
        .filter(|token| !token.is_empty())
        .take_while(|token| !matches!(token[0], b'#' | b';'))
}

/// The directives of a resolv.conf text in order, as libevent reads them (comments
/// with # and ;, unknown lines skipped, tokens split on blanks).
///
/// Directive names are case-sensitive; extra tokens after a `nameserver` or
/// `domain` value are ignored; a `nameserver` or `domain` line without a value is
/// skipped.
pub fn parse(text: &[u8]) -> Vec<Directive> {
    try_parse(text).unwrap_or_else(|_| panic!("out of memory"))
}

/// [`parse`] that reports running out of memory (`WireError::OutOfMemory`) instead
/// of aborting: the program's allocator may fail.
pub fn try_parse(text: &[u8]) -> Result<Vec<Directive>, WireError> {
    let mut directives = Vec::new();
    for line in up_to_nul(text).split(|&byte| byte == b'\n') {
        let mut words = tokens(line);
        let Some(keyword) = words.next() else {
            continue;
        };
        match keyword {
            b"nameserver" => {
                if let Some(address) = words.next() {
                    push(&mut directives, Directive::Nameserver(copy(address)?))?;
                }
            }
            b"domain" => {
                if let Some(domain) = words.next() {
                    push(&mut directives, Directive::Domain(copy(domain)?))?;
                }
            }
            b"search" => {
                let mut domains = Vec::new();
                for word in words {
                    push(&mut domains, copy(word)?)?;
                }
                push(&mut directives, Directive::Search(domains))?;
            }
            b"options" => {
                for option in words {
                    let (name, value) = match option.iter().position(|&byte| byte == b':') {
                        Some(colon) => (&option[..colon], &option[colon + 1..]),
                        None => (option, &b""[..]),
                    };
                    let option = Directive::Option {
                        name: copy(name)?,
                        value: copy(value)?,
                    };
                    push(&mut directives, option)?;
                }
            }
            _ => {}
        }
    }
    Ok(directives)
}

/// A copy of `bytes`, or `OutOfMemory`.
pub(crate) fn copy(bytes: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut copy = Vec::new();
    copy.try_reserve_exact(bytes.len())
        .map_err(|_| WireError::OutOfMemory)?;
    copy.extend_from_slice(bytes);
    Ok(copy)
}

/// Appends `value`, or answers `OutOfMemory`.
pub(crate) fn push<T>(vec: &mut Vec<T>, value: T) -> Result<(), WireError> {
    vec.try_reserve(1).map_err(|_| WireError::OutOfMemory)?;
    vec.push(value);
    Ok(())
}

/// A nameserver address as evdns_base_nameserver_ip_add reads it: `1.2.3.4`,
/// `1.2.3.4:5353`, an IPv6 address, `[::1]` or `[::1]:5353`; port 53 when none is
/// given. A port must be 1..=65535 and all digits (libevent's atoi would take
/// "53x"). An IPv6 zone may be given as a number (`fe80::1%2`); a zone given as an
/// interface name needs the system to resolve it, so it is refused here.
pub fn parse_nameserver(text: &[u8]) -> Option<SocketAddr> {
    let text = std::str::from_utf8(text).ok()?;
    let (address, port) = split_address_port(text)?;
    let port = match port {
        None => 53,
        Some(port) => parse_port(port)?,
    };
    if let Some(inner) = address.strip_prefix('[') {
        return ipv6_with_zone(inner, port);
    }
    if address.contains(':') {
        return ipv6_with_zone(address, port);
    }
    Some(SocketAddr::new(IpAddr::V4(address.parse().ok()?), port))
}

/// Splits `text` into an address and an optional port, following
/// evutil_parse_sockaddr_port: a bracketed IPv6 address may have `:port` after it,
/// a bare IPv6 address (two colons or more) has none, an IPv4 address may.
/// The address of a bracketed form keeps its `[` to say so.
fn split_address_port(text: &str) -> Option<(&str, Option<&str>)> {
    if text.starts_with('[') {
        let close = text.find(']')?;
        let rest = &text[close + 1..];
        let port = match rest.strip_prefix(':') {
            Some(port) => Some(port),
            None if rest.is_empty() => None,
            // libevent ignores what follows the bracket; refuse it instead.
            None => return None,
        };
        return Some((&text[..close], port));
    }
    match text.find(':') {
        Some(colon) if !text[colon + 1..].contains(':') => {
            Some((&text[..colon], Some(&text[colon + 1..])))
        }
        _ => Some((text, None)),
    }
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&port| port != 0)
}

fn ipv6_with_zone(text: &str, port: u16) -> Option<SocketAddr> {
    let (address, scope_id) = match text.split_once('%') {
        Some((address, zone)) => (address, parse_zone(zone)?),
        None => (text, 0),
    };
    let address: Ipv6Addr = address.parse().ok()?;
    Some(SocketAddr::V6(SocketAddrV6::new(
        address, port, 0, scope_id,
    )))
}

fn parse_zone(zone: &str) -> Option<u32> {
    if zone.is_empty() || !zone.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    zone.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, value: &str) -> Directive {
        Directive::Option {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn typical_file() {
        let text = b"# Generated by NetworkManager\n\
            ; another comment\n\
            \n\
            domain corp.example\n\
            search corp.example lab.example\texample.org   eu.example\n\
            nameserver 192.0.2.53\n\
            nameserver\t2001:db8::53\n\
            \tnameserver [::1]:5353  # local cache\n\
            nameserver 192.0.2.1:53\n\
            options ndots:2 timeout:1.5 rotate attempts:3 edns0\n\
            sortlist 130.155.160.0/255.255.240.0\n\
            lookup file bind\n";
        assert_eq!(
            parse(text),
            vec![
                Directive::Domain(b"corp.example".to_vec()),
                Directive::Search(vec![
                    b"corp.example".to_vec(),
                    b"lab.example".to_vec(),
                    b"example.org".to_vec(),
                    b"eu.example".to_vec(),
                ]),
                Directive::Nameserver(b"192.0.2.53".to_vec()),
                Directive::Nameserver(b"2001:db8::53".to_vec()),
                Directive::Nameserver(b"[::1]:5353".to_vec()),
                Directive::Nameserver(b"192.0.2.1:53".to_vec()),
                option("ndots", "2"),
                option("timeout", "1.5"),
                option("rotate", ""),
                option("attempts", "3"),
                option("edns0", ""),
            ]
        );
    }

    #[test]
    fn comments_blank_lines_and_odd_lines() {
        let text = b"#nameserver 1.1.1.1\n;nameserver 2.2.2.2\n   \n\t\nNAMESERVER 3.3.3.3\n\
            nameserver\nnameserver 4.4.4.4 5.5.5.5\ndomain\ndomain a.example b.example\n\
            search a.example # b.example\nsearch\noptions\noptions ndots: :5 a:b:c\r\n\
            nameserver 6.6.6.6\r\n   # indented comment";
        assert_eq!(
            parse(text),
            vec![
                Directive::Nameserver(b"4.4.4.4".to_vec()),
                Directive::Domain(b"a.example".to_vec()),
                Directive::Search(vec![b"a.example".to_vec()]),
                Directive::Search(Vec::new()),
                option("ndots", ""),
                option("", "5"),
                option("a", "b:c"),
                Directive::Nameserver(b"6.6.6.6".to_vec()),
            ]
        );
        assert_eq!(parse(b""), Vec::new());
        // A NUL ends the text, as for libevent's string.
        assert_eq!(
            parse(b"nameserver 1.2.3.4\n\0nameserver 5.6.7.8\n"),
            vec![Directive::Nameserver(b"1.2.3.4".to_vec())]
        );
        // No newline at the end.
        assert_eq!(parse(b"domain x"), vec![Directive::Domain(b"x".to_vec())]);
    }

    #[test]
    fn nameserver_addresses() {
        let parse_ok = |text: &str| parse_nameserver(text.as_bytes()).map(|addr| addr.to_string());
        assert_eq!(parse_ok("192.0.2.1").as_deref(), Some("192.0.2.1:53"));
        assert_eq!(
            parse_ok("192.0.2.1:5353").as_deref(),
            Some("192.0.2.1:5353")
        );
        assert_eq!(parse_ok("::1").as_deref(), Some("[::1]:53"));
        assert_eq!(parse_ok("2001:db8::1").as_deref(), Some("[2001:db8::1]:53"));
        assert_eq!(parse_ok("[::1]").as_deref(), Some("[::1]:53"));
        assert_eq!(parse_ok("[::1]:53").as_deref(), Some("[::1]:53"));
        assert_eq!(
            parse_ok("[2001:db8::2]:1053").as_deref(),
            Some("[2001:db8::2]:1053")
        );
        assert_eq!(parse_ok("fe80::1%3").as_deref(), Some("[fe80::1%3]:53"));
        assert_eq!(
            parse_ok("::ffff:192.0.2.1").as_deref(),
            Some("[::ffff:192.0.2.1]:53")
        );
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4:",
            "1.2.3.4:0",
            "1.2.3.4:65536",
            "1.2.3.4:53x",
            "256.1.1.1",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[1.2.3.4]",
            "fe80::1%eth0",
            "example.com",
            "1.2.3.4 ",
            "::1:53:",
            "[::1]:-1",
        ] {
            assert_eq!(parse_ok(bad), None, "{bad:?}");
        }
        assert_eq!(parse_nameserver(b"\xff"), None);
    }
}

//! hosts(5) as libevent's evdns reads it: an address, then names; `#` starts a
//! comment anywhere on a line.

use std::net::IpAddr;

use crate::resolv_conf::{copy, is_blank, push, up_to_nul};
use crate::wire::WireError;

/// One line: an address and its names (the canonical name first, then aliases).
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub addr: IpAddr,
    pub names: Vec<Vec<u8>>,
}

/// The entries of a hosts(5) text as libevent reads them.
///
/// A line whose address does not parse is skipped, as is a line without names
/// (libevent adds nothing for it). A name is cut at a `#`, which ends the line.
/// Addresses are what evutil_parse_sockaddr_port takes without a port: dotted IPv4,
/// IPv6, or IPv6 in brackets. libevent would also take an IPv6 address with an
/// interface zone; a zone cannot be kept in an `IpAddr`, so such lines are skipped
/// rather than turned into a different, zone-less address.
pub fn parse(text: &[u8]) -> Vec<Entry> {
    try_parse(text).unwrap_or_else(|_| panic!("out of memory"))
}

/// [`parse`] that reports running out of memory (`WireError::OutOfMemory`) instead
/// of aborting: the program's allocator may fail.
pub fn try_parse(text: &[u8]) -> Result<Vec<Entry>, WireError> {
    let mut entries = Vec::new();
    for line in up_to_nul(text).split(|&byte| byte == b'\n') {
        let mut words = line
            .split(|&byte| is_blank(byte))
            .filter(|word| !word.is_empty());
        let Some(address) = words.next() else {
            continue;
        };
        if address[0] == b'#' {
            continue;
        }
        let Some(addr) = parse_address(address) else {
            continue;
        };
        let mut names = Vec::new();
        for word in words {
            match word.iter().position(|&byte| byte == b'#') {
                Some(0) => break,
                Some(hash) => {
                    push(&mut names, copy(&word[..hash])?)?;
                    break;
                }
                None => push(&mut names, copy(word)?)?,
            }
        }
        if !names.is_empty() {
            push(&mut entries, Entry { addr, names })?;
        }
    }
    Ok(entries)
}

fn parse_address(text: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(text).ok()?;
    if let Some(inner) = text.strip_prefix('[') {
        return inner.strip_suffix(']')?.parse().ok().map(IpAddr::V6);
    }
    // "1.2.3.4:port" reads as an address with a port in libevent, refused in a hosts
    // file; the IPv4 parser refuses it here just the same.
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(addr: &str, names: &[&str]) -> Entry {
        Entry {
            addr: addr.parse().unwrap(),
            names: names.iter().map(|name| name.as_bytes().to_vec()).collect(),
        }
    }

    #[test]
    fn typical_file() {
        let text = b"# /etc/hosts\n\
            127.0.0.1\tlocalhost\n\
            127.0.1.1  myhost.example   myhost\n\
            \n\
            # The following lines are desirable for IPv6 capable hosts\n\
            ::1     localhost ip6-localhost ip6-loopback\n\
            ff02::1 ip6-allnodes\n\
            192.0.2.10 web.example www # the web server\n\
            192.0.2.11 mail.example#comment right after a name\n\
            192.0.2.12 #only a comment\n\
            [2001:db8::5] bracketed.example\n";
        assert_eq!(
            parse(text),
            vec![
                entry("127.0.0.1", &["localhost"]),
                entry("127.0.1.1", &["myhost.example", "myhost"]),
                entry("::1", &["localhost", "ip6-localhost", "ip6-loopback"]),
                entry("ff02::1", &["ip6-allnodes"]),
                entry("192.0.2.10", &["web.example", "www"]),
                entry("192.0.2.11", &["mail.example"]),
                entry("2001:db8::5", &["bracketed.example"]),
            ]
        );
    }

    #[test]
    fn bad_addresses_are_skipped() {
        let text = b"300.1.1.1 bad1\n1.2.3 bad2\nexample.com bad3\n1.2.3.4:80 bad4\n\
            1.2.3.4:0 bad5\nfe80::1%eth0 bad6\n[::1 bad7\n::1] bad8\n1.2.3.4#x bad9\n\
            \xff bad10\n10.0.0.1 good\r\n  \t 10.0.0.2\tindented\n10.0.0.3\n";
        assert_eq!(
            parse(text),
            vec![
                entry("10.0.0.1", &["good"]),
                entry("10.0.0.2", &["indented"])
            ]
        );
        assert_eq!(parse(b""), Vec::new());
        assert_eq!(
            parse(b"1.1.1.1 a\0\n2.2.2.2 b"),
            vec![entry("1.1.1.1", &["a"])]
        );
    }
}

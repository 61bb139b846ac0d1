//! Configuration: `evdns_base_set_option`, resolv.conf, the hosts file, the search
//! list from the host name, and the log function of `evdns_set_log_fn`.

use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use evrs_dns_proto::resolv_conf::{self, Directive};
use evrs_dns_proto::{hosts, resolv_conf::parse_nameserver};
use evrs_sibling::log::{Severity, StackText};

use super::engine::{Inner, DNS_QUERY_IGNTC, DNS_QUERY_USEVC};
use super::fallible::{self, Lossy};

pub const DNS_OPTION_SEARCH: c_int = 1;
pub const DNS_OPTION_NAMESERVERS: c_int = 2;
pub const DNS_OPTION_MISC: c_int = 4;
pub const DNS_OPTION_HOSTSFILE: c_int = 8;
pub const DNS_OPTIONS_ALL: c_int =
    DNS_OPTION_SEARCH | DNS_OPTION_NAMESERVERS | DNS_OPTION_MISC | DNS_OPTION_HOSTSFILE;
pub const DNS_OPTION_NAMESERVERS_NO_DEFAULT: c_int = 16;

pub const EVDNS_ERROR_NONE: c_int = 0;
pub const EVDNS_ERROR_FAILED_TO_OPEN_FILE: c_int = 1;
pub const EVDNS_ERROR_FAILED_TO_STAT_FILE: c_int = 2;
pub const EVDNS_ERROR_FILE_TOO_LARGE: c_int = 3;
pub const EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED: c_int = 6;

/// Configuration files larger than this are refused (libevent reads any size).
const MAX_FILE_SIZE: u64 = 16 << 20;

/// `evdns_debug_log_fn_type`.
pub type LogFn = unsafe extern "C" fn(c_int, *const c_char);

/// The function of `evdns_set_log_fn`, 0 for none (then the core's log is used).
static LOG_FN: AtomicUsize = AtomicUsize::new(0);

pub fn set_log_fn(log_fn: Option<LogFn>) {
    LOG_FN.store(log_fn.map_or(0, |f| f as usize), Ordering::Release);
}

/// Writes one message of the resolver: to the program's evdns log function
/// (is_warning set for anything above debug), else to the core's log.
pub fn emit_log(severity: Severity, message: impl std::fmt::Display) {
    let raw = LOG_FN.load(Ordering::Acquire);
    if raw == 0 {
        evrs_sibling::log::emit(severity, format_args!("{message}"));
        return;
    }
    // SAFETY: only `set_log_fn` stores non-zero values, and they are `LogFn`s.
    let log_fn: LogFn = unsafe { std::mem::transmute::<usize, LogFn>(raw) };
    // On the stack, so that messages still go out when memory has run out (libevent
    // formats into a fixed buffer too).
    let mut text = StackText::format(format_args!("{message}"));
    // SAFETY: the program's log function, called with a NUL-terminated message that
    // outlives the call; no lock or reference of ours is held here.
    unsafe {
        log_fn(
            c_int::from(severity != Severity::Debug),
            text.as_c_str().as_ptr(),
        )
    };
}

/// `evdns_err_to_string`.
pub fn err_to_cstr(err: c_int) -> &'static CStr {
    match err {
        0 => c"no error",
        1 => c"misformatted query",
        2 => c"server failed",
        3 => c"name does not exist",
        4 => c"query not implemented",
        5 => c"refused",
        65 => c"reply truncated or ill-formed",
        66 => c"unknown",
        67 => c"request timed out",
        68 => c"dns subsystem shut down",
        69 => c"dns request canceled",
        70 => c"no records in the reply",
        _ => c"[Unknown error code]",
    }
}

pub fn err_to_str(err: c_int) -> &'static str {
    err_to_cstr(err).to_str().unwrap_or("")
}

/// strtol in base 10 that must use the whole text (libevent's strtoint): leading
/// blanks and a sign allowed; the empty text is 0; -1 on error. Out of range values
/// saturate (strtol's LONG_MIN/MAX, then cut to int as libevent does... here clamped).
fn strtoint(text: &[u8]) -> c_int {
    let Ok(text) = std::str::from_utf8(text) else {
        return -1;
    };
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if text.is_empty() {
        return 0;
    }
    let (negative, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return -1;
    }
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
    let value = if negative { -magnitude } else { magnitude };
    value.clamp(i64::from(c_int::MIN), i64::from(c_int::MAX)) as c_int
}

fn strtoint_clipped(text: &[u8], min: c_int, max: c_int) -> c_int {
    match strtoint(text) {
        -1 => -1,
        value => value.clamp(min, max),
    }
}

/// Seconds as a decimal number (libevent's evdns_strtotimeval): at least 1 ms.
fn strtotimeval(text: &[u8]) -> Option<Duration> {
    let text = std::str::from_utf8(text).ok()?;
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let value = value.min(f64::from(i32::MAX));
    let duration = Duration::from_micros((value.fract() * 1e6) as u64)
        + Duration::from_secs(value.trunc() as u64);
    if duration < Duration::from_millis(1) {
        return None;
    }
    Some(duration)
}

/// libevent's option-name match: "name", "name:" or "name:anything".
fn option_is(option: &[u8], name: &str) -> bool {
    let name = name.as_bytes();
    match option.strip_prefix(name) {
        Some(rest) => rest.is_empty() || rest[0] == b':',
        None => false,
    }
}

impl Inner {
    /// `evdns_base_set_option` with the option classes `flags` allows: a bad value is
    /// -1, an option of a class not allowed (or unknown) is ignored with 0.
    pub fn set_option(&mut self, option: &[u8], value: Option<&[u8]>, flags: c_int) -> c_int {
        let misc = flags & DNS_OPTION_MISC != 0;
        let mut name = option;
        while let Some(rest) = name.strip_suffix(b":") {
            name = rest;
        }
        let name = Lossy(name);
        // use-vc and ignore-tc take no value; every other option needs one.
        if option_is(option, "use-vc") || option_is(option, "ignore-tc") {
            if !misc {
                return 0;
            }
            if value.is_some_and(|v| !v.is_empty()) {
                return -1;
            }
            let flag = if option_is(option, "use-vc") {
                DNS_QUERY_USEVC
            } else {
                DNS_QUERY_IGNTC
            };
            self.options.tcp_flags |= flag;
            self.log(Severity::Debug, format_args!("Setting {name} option"));
            return 0;
        }
        let Some(value) = value else {
            // libevent reads the value unchecked; a missing one is an error here.
            return -1;
        };
        if option_is(option, "ndots") {
            let ndots = strtoint(value);
            if ndots == -1 {
                return -1;
            }
            if flags & DNS_OPTION_SEARCH == 0 {
                return 0;
            }
            self.search_ndots_set(ndots);
        } else if option_is(option, "timeout") {
            let Some(timeout) = strtotimeval(value) else {
                return -1;
            };
            if misc {
                self.options.timeout = timeout;
            }
        } else if option_is(option, "getaddrinfo-allow-skew") {
            let Some(skew) = strtotimeval(value) else {
                return -1;
            };
            if misc {
                self.options.getaddrinfo_allow_skew = skew;
            }
        } else if option_is(option, "max-timeouts") {
            let max = strtoint_clipped(value, 1, 255);
            if max == -1 {
                return -1;
            }
            if misc {
                self.options.max_timeouts = max as u32;
            }
        } else if option_is(option, "max-inflight") {
            let max = strtoint_clipped(value, 1, 65000);
            if max == -1 {
                return -1;
            }
            if misc {
                self.set_max_inflight(max as usize);
            }
        } else if option_is(option, "attempts") {
            let attempts = strtoint(value);
            if attempts == -1 {
                return -1;
            }
            if misc {
                // libevent keeps a negative count, which then fails at once; 0 here.
                self.options.attempts = attempts.clamp(0, 255) as u32;
            }
        } else if option_is(option, "randomize-case") {
            let randomize = strtoint(value);
            if randomize == -1 {
                return -1;
            }
            if misc {
                self.options.randomize_case = randomize != 0;
            }
        } else if option_is(option, "bind-to") {
            if flags & DNS_OPTION_NAMESERVERS == 0 {
                return 0;
            }
            // Applies to servers added afterwards, as in libevent.
            let text = std::str::from_utf8(value).unwrap_or("");
            match super::net::parse_sockaddr_port(text) {
                Some(addr) => self.options.bind_to = Some(addr),
                None => return -1,
            }
        } else if option_is(option, "initial-probe-timeout") {
            let Some(mut timeout) = strtotimeval(value) else {
                return -1;
            };
            if timeout.as_secs() > 3600 {
                timeout = Duration::new(3600, timeout.subsec_nanos());
            }
            if misc {
                self.options.initial_probe_timeout = timeout;
            }
        } else if option_is(option, "max-probe-timeout") {
            let max = strtoint_clipped(value, 1, 3600);
            if max == -1 {
                return -1;
            }
            if misc {
                self.options.max_probe_timeout_secs = max as u64;
                if self.options.initial_probe_timeout.as_secs() > max as u64 {
                    self.options.initial_probe_timeout = Duration::from_secs(max as u64);
                }
            }
        } else if option_is(option, "probe-backoff-factor") {
            let factor = strtoint_clipped(value, 1, 10);
            if factor == -1 {
                return -1;
            }
            if misc {
                self.options.probe_backoff_factor = factor as u32;
            }
        } else if option_is(option, "so-rcvbuf") || option_is(option, "so-sndbuf") {
            let size = strtoint(value);
            if size == -1 {
                return -1;
            }
            if misc {
                if option_is(option, "so-rcvbuf") {
                    self.options.so_rcvbuf = size;
                } else {
                    self.options.so_sndbuf = size;
                }
            }
        } else if option_is(option, "tcp-idle-timeout") {
            let Some(timeout) = strtotimeval(value) else {
                return -1;
            };
            if misc {
                self.options.tcp_idle_timeout = timeout;
            }
        } else if option_is(option, "edns-udp-size") {
            let size = strtoint_clipped(value, 512, 65535);
            if size == -1 {
                return -1;
            }
            if misc {
                self.options.max_udp_size = size as usize;
            }
        } else {
            // Unknown options (such as resolv.conf's "rotate") are ignored, as in
            // libevent.
            return 0;
        }
        self.log(
            Severity::Debug,
            format_args!("Setting {name} to {}", Lossy(value)),
        );
        0
    }

    /// `evdns_base_nameserver_ip_add`: 0, 3 (duplicate), 4 (not an address), or the
    /// socket error codes.
    pub fn add_server_text(&mut self, text: &[u8]) -> c_int {
        match parse_nameserver(text) {
            Some(addr) => self.add_server(addr),
            None => {
                self.log(
                    Severity::Warn,
                    format_args!("Unable to parse nameserver address {}", Lossy(text)),
                );
                4
            }
        }
    }

    /// The search list from the host name's domain (what follows its first dot).
    pub fn search_from_hostname(&mut self) {
        self.search_list_clear();
        let mut name = [0u8; 256];
        // SAFETY: `name` is writable for its length minus the byte kept for a NUL.
        if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len() - 1) } != 0 {
            return;
        }
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let host = &name[..end];
        if let Some(dot) = host.iter().position(|&b| b == b'.') {
            let domain = host[dot..].to_vec();
            self.search_list_add(&domain);
        }
    }

    fn resolv_defaults(&mut self, flags: c_int) {
        if flags & DNS_OPTION_SEARCH != 0 {
            self.search_from_hostname();
        }
        if flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0 {
            self.add_server_text(b"127.0.0.1");
        }
    }

    /// `evdns_base_resolv_conf_parse`.
    pub fn resolv_conf_parse(&mut self, flags: c_int, filename: Option<&CStr>) -> c_int {
        if flags & DNS_OPTION_HOSTSFILE != 0 {
            self.load_hosts(Some(c"/etc/hosts"));
        }
        let Some(filename) = filename else {
            self.resolv_defaults(flags);
            return EVDNS_ERROR_FAILED_TO_OPEN_FILE;
        };
        let text = match read_file(filename) {
            Ok(text) => text,
            Err(EVDNS_ERROR_FAILED_TO_OPEN_FILE) => {
                self.resolv_defaults(flags);
                return EVDNS_ERROR_FAILED_TO_OPEN_FILE;
            }
            Err(code) => return code,
        };
        let Ok(directives) = resolv_conf::try_parse(&text) else {
            // Out of memory: what reading the file would have answered.
            return EVDNS_ERROR_FAILED_TO_STAT_FILE;
        };
        for directive in directives {
            match directive {
                Directive::Nameserver(address) => {
                    if flags & DNS_OPTION_NAMESERVERS != 0 {
                        self.add_server_text(&address);
                    }
                }
                Directive::Domain(domain) => {
                    if flags & DNS_OPTION_SEARCH != 0 {
                        self.search_list_clear();
                        self.search_list_add(&domain);
                    }
                }
                Directive::Search(domains) => {
                    if flags & DNS_OPTION_SEARCH != 0 {
                        self.search_list_clear();
                        for domain in domains {
                            self.search_list_append(&domain);
                        }
                    }
                }
                Directive::Option { name, value } => {
                    self.set_option(&name, Some(&value), flags);
                }
            }
        }
        let mut result = EVDNS_ERROR_NONE;
        let add_default =
            flags & DNS_OPTION_NAMESERVERS != 0 && flags & DNS_OPTION_NAMESERVERS_NO_DEFAULT == 0;
        if self.ring.is_empty() && add_default {
            self.add_server_text(b"127.0.0.1");
            result = EVDNS_ERROR_NO_NAMESERVERS_CONFIGURED;
        }
        if flags & DNS_OPTION_SEARCH != 0 && self.search.domains.is_empty() {
            self.search_from_hostname();
        }
        result
    }

    /// `evdns_base_load_hosts`: the file's entries are added; with no file (NULL, or
    /// one that cannot be read) only localhost is, as in libevent.
    pub fn load_hosts(&mut self, filename: Option<&CStr>) -> c_int {
        let text = match filename {
            Some(filename) => read_file(filename).ok(),
            None => None,
        };
        let Some(text) = text else {
            // Out of memory, these are left out too: the answer is -1 either way.
            for addr in [
                std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ] {
                if let Ok(name) = fallible::to_vec(b"localhost") {
                    let _ = fallible::push(&mut self.hosts, (name, addr));
                }
            }
            return if filename.is_some() { -1 } else { 0 };
        };
        let Ok(entries) = hosts::try_parse(&text) else {
            return -1;
        };
        for entry in entries {
            for name in entry.names {
                if fallible::push(&mut self.hosts, (name, entry.addr)).is_err() {
                    return -1;
                }
            }
        }
        0
    }
}

/// A whole configuration file, or the EVDNS_ERROR_* code of the failure.
fn read_file(filename: &CStr) -> Result<Vec<u8>, c_int> {
    use std::io::Read;
    use std::os::unix::ffi::OsStrExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(filename.to_bytes()));
    let file = std::fs::File::open(path).map_err(|_| EVDNS_ERROR_FAILED_TO_OPEN_FILE)?;
    let size = file
        .metadata()
        .map_err(|_| EVDNS_ERROR_FAILED_TO_STAT_FILE)?
        .len();
    if size > MAX_FILE_SIZE {
        return Err(EVDNS_ERROR_FILE_TOO_LARGE);
    }
    // Reserved up front; a failing allocation is reported (as libevent's file
    // reader does) rather than ending the process.
    let mut text = Vec::new();
    text.try_reserve_exact(size as usize + 1)
        .map_err(|_| EVDNS_ERROR_FAILED_TO_STAT_FILE)?;
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut text)
        .map_err(|_| EVDNS_ERROR_FAILED_TO_STAT_FILE)?;
    if text.len() as u64 > MAX_FILE_SIZE {
        return Err(EVDNS_ERROR_FILE_TOO_LARGE);
    }
    Ok(text)
}

//! Names for the groups of systems that share a poller, so that `cfg` attributes say
//! `has_kqueue` instead of repeating the list of systems.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_kqueue)");
    println!("cargo::rustc-check-cfg=cfg(has_event_ports)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let vendor = std::env::var("CARGO_CFG_TARGET_VENDOR").unwrap_or_default();
    if matches!(os.as_str(), "freebsd" | "dragonfly" | "netbsd" | "openbsd") || vendor == "apple" {
        println!("cargo::rustc-cfg=has_kqueue");
    }
    // illumos and Solaris: event ports and /dev/poll.
    if matches!(os.as_str(), "illumos" | "solaris") {
        println!("cargo::rustc-cfg=has_event_ports");
    }
}

//! Every poller through the same checks, on Unix socketpairs.

use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use evrs_backends::{AnyPoller, Interest, Options, Readiness, METHODS};

fn pollers() -> Vec<AnyPoller> {
    let mut all: Vec<AnyPoller> = METHODS
        .iter()
        .map(|(name, _)| AnyPoller::new(name, &Options::default()).unwrap())
        .collect();
    let changelist = Options {
        use_changelist: true,
        ..Options::default()
    };
    #[cfg(target_os = "linux")]
    all.push(AnyPoller::new("epoll", &changelist).unwrap());
    all
}

fn ready(poller: &mut AnyPoller, timeout: Duration) -> Vec<(RawFd, Readiness)> {
    let mut out = Vec::new();
    poller
        .wait(Some(timeout), |fd, r| out.push((fd, r)))
        .unwrap();
    out
}

#[test]
fn reports_readable_and_writable() {
    for mut p in pollers() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let fd = b.as_raw_fd();
        p.change(fd, Interest::NONE, Interest::READ).unwrap();
        assert!(
            ready(&mut p, Duration::ZERO).is_empty(),
            "{}: idle",
            p.name()
        );
        a.write_all(b"x").unwrap();
        let got = ready(&mut p, Duration::from_secs(1));
        assert_eq!(got, vec![(fd, Readiness::READ)], "{}", p.name());
        // Level-triggered: still readable.
        assert_eq!(ready(&mut p, Duration::ZERO).len(), 1, "{}", p.name());
        p.change(fd, Interest::READ, Interest::READ | Interest::WRITE)
            .unwrap();
        let got = ready(&mut p, Duration::ZERO);
        assert_eq!(
            got,
            vec![(fd, Readiness::READ | Readiness::WRITE)],
            "{}",
            p.name()
        );
        p.change(fd, Interest::READ | Interest::WRITE, Interest::NONE)
            .unwrap();
        assert!(
            ready(&mut p, Duration::ZERO).is_empty(),
            "{}: removed",
            p.name()
        );
    }
}

#[test]
fn honours_timeouts() {
    for mut p in pollers() {
        let start = Instant::now();
        assert!(ready(&mut p, Duration::from_millis(30)).is_empty());
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(29),
            "{}: {waited:?}",
            p.name()
        );
        assert!(waited < Duration::from_secs(2), "{}: {waited:?}", p.name());
    }
}

#[test]
fn hangup_reads_as_read_and_write() {
    for mut p in pollers() {
        let (a, b) = UnixStream::pair().unwrap();
        let fd = b.as_raw_fd();
        p.change(fd, Interest::NONE, Interest::READ).unwrap();
        drop(a);
        let got = ready(&mut p, Duration::from_secs(1));
        assert_eq!(got.len(), 1, "{}", p.name());
        assert!(got[0].1.contains(Readiness::READ), "{}", p.name());
    }
}

#[test]
fn edge_and_closed_support_follow_features() {
    for mut p in pollers() {
        let (_a, b) = UnixStream::pair().unwrap();
        let fd = b.as_raw_fd();
        let edge = p.change(fd, Interest::NONE, Interest::READ | Interest::EDGE);
        assert_eq!(
            edge.is_ok(),
            p.features().contains(evrs_backends::Features::ET),
            "{}",
            p.name()
        );
        let _ = p.change(fd, Interest::READ | Interest::EDGE, Interest::NONE);
    }
}

#[test]
fn negative_fd_is_refused() {
    for mut p in pollers() {
        assert!(
            p.change(-1, Interest::NONE, Interest::READ).is_err(),
            "{}",
            p.name()
        );
    }
}

#[test]
fn select_watches_fds_above_fd_setsize() {
    // SAFETY: plain getrlimit/setrlimit calls on a local struct.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        if limit.rlim_max < 1600 {
            return;
        }
        limit.rlim_cur = limit.rlim_max.min(4096);
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    let (mut a, b) = UnixStream::pair().unwrap();
    // SAFETY: duplicates a live descriptor onto an unused number, closed below.
    let high = unsafe { libc::dup2(b.as_raw_fd(), 1500) };
    assert_eq!(high, 1500);
    let mut p = AnyPoller::new("select", &Options::default()).unwrap();
    p.change(high, Interest::NONE, Interest::READ).unwrap();
    a.write_all(b"y").unwrap();
    assert_eq!(
        ready(&mut p, Duration::from_secs(1)),
        vec![(high, Readiness::READ)]
    );
    // SAFETY: closes the descriptor made above.
    unsafe { libc::close(high) };
}

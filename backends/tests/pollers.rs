//! Every poller through the same checks: each check is a generic function, run against
//! `Epoll` (with and without a changelist), `Uring`, `Poll` and `Select` through the
//! `Poller` trait, and against each of them again through `AnyPoller` by name; the
//! pollers of other systems run on their simulated kernels (`evrs_backends::sim`).

use std::io::{self, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use evrs_backends::devpoll::Devpoll;
use evrs_backends::epoll::Epoll;
use evrs_backends::evport::Evport;
use evrs_backends::iocp::Afd;
use evrs_backends::kqueue::Kqueue;
use evrs_backends::poll::Poll;
use evrs_backends::select::Select;
use evrs_backends::sim::afd::SimAfd;
use evrs_backends::sim::devpoll::SimDevpoll;
use evrs_backends::sim::evport::SimPort;
use evrs_backends::sim::kqueue::SimKqueue;
use evrs_backends::uring::Uring;
use evrs_backends::{AnyPoller, Features, Interest, Options, Poller, Readiness, METHODS};

mod support;

use support::{
    connect_loopback, dup_onto, dup_private, interrupted, nonblocking_tcp_socket, pair, pipe, NONE,
    READ, READ_WRITE, WRITE,
};

/// What the checks need of a poller: the `Poller` trait, or `AnyPoller`'s methods.
trait Subject {
    fn name(&self) -> &'static str;
    fn features(&self) -> Features;
    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()>;
    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()>;
}

macro_rules! subject_through_poller_trait {
    ($($poller:ty),*) => {$(
        impl Subject for $poller {
            fn name(&self) -> &'static str {
                <$poller as Poller>::NAME
            }
            fn features(&self) -> Features {
                <$poller as Poller>::FEATURES
            }
            fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
                Poller::change(self, fd, old, new)
            }
            // Through `wait`, while `AnyPoller` goes through `wait_into`.
            fn wait_into(
                &mut self,
                timeout: Option<Duration>,
                ready: &mut Vec<(RawFd, Readiness)>,
            ) -> io::Result<()> {
                Poller::wait(self, timeout, |fd, readiness| ready.push((fd, readiness)))
            }
        }
    )*};
}

subject_through_poller_trait!(Epoll, Uring, Poll, Select, Afd<SimAfd>);
subject_through_poller_trait!(Kqueue<SimKqueue>);
subject_through_poller_trait!(Evport<SimPort>, Devpoll<SimDevpoll>);

impl Subject for AnyPoller {
    fn name(&self) -> &'static str {
        AnyPoller::name(self)
    }
    fn features(&self) -> Features {
        AnyPoller::features(self)
    }
    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        AnyPoller::change(self, fd, old, new)
    }
    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        AnyPoller::wait_into(self, timeout, ready)
    }
}

/// A poller under test.
struct Case<P> {
    poller: P,
    /// Changes are applied at the next wait (epoll with a changelist).
    batched: bool,
}

impl<P: Subject> Case<P> {
    fn name(&self) -> String {
        let suffix = if self.batched { " (changelist)" } else { "" };
        format!("{}{suffix}", self.poller.name())
    }

    fn has(&self, feature: Features) -> bool {
        self.poller.features().contains(feature)
    }

    fn try_watch(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        self.poller.change(fd, old, new)
    }

    fn watch(&mut self, fd: RawFd, old: Interest, new: Interest) {
        if let Err(err) = self.poller.change(fd, old, new) {
            panic!("{}: change({fd}, {old:?}, {new:?}): {err}", self.name());
        }
    }

    /// All reports of one wait, sorted by fd; no fd may come twice.
    fn try_ready(&mut self, timeout: Option<Duration>) -> io::Result<Vec<(RawFd, Readiness)>> {
        let mut ready = Vec::new();
        self.poller.wait_into(timeout, &mut ready)?;
        ready.sort_by_key(|&(fd, _)| fd);
        let mut fds: Vec<RawFd> = ready.iter().map(|&(fd, _)| fd).collect();
        fds.dedup();
        assert_eq!(
            fds.len(),
            ready.len(),
            "{}: an fd reported twice: {ready:?}",
            self.name()
        );
        Ok(ready)
    }

    fn ready(&mut self, timeout: Duration) -> Vec<(RawFd, Readiness)> {
        self.try_ready(Some(timeout))
            .unwrap_or_else(|err| panic!("{}: wait: {err}", self.name()))
    }

    /// Reports of a wait that should find something at once.
    fn ready_now(&mut self) -> Vec<(RawFd, Readiness)> {
        self.ready(Duration::from_secs(5))
    }

    /// Reports of a wait that does not block.
    fn idle(&mut self) -> Vec<(RawFd, Readiness)> {
        self.ready(Duration::ZERO)
    }
}

fn epoll(batched: bool) -> Case<Epoll> {
    let options = Options {
        use_changelist: batched,
        ..Options::default()
    };
    Case {
        poller: Epoll::new(&options).unwrap(),
        batched,
    }
}

fn sim_kqueue(batched: bool) -> Case<Kqueue<SimKqueue>> {
    let options = Options {
        use_changelist: batched,
        ..Options::default()
    };
    Case {
        poller: Kqueue::new(&options).unwrap(),
        batched,
    }
}

/// Skips an io_uring check on a kernel that refuses io_uring.
fn io_uring_unavailable(err: io::Error) {
    support::io_uring_refused(&err);
}

fn by_name(name: &str, batched: bool) -> Case<AnyPoller> {
    let options = Options {
        use_changelist: batched,
        ..Options::default()
    };
    Case {
        poller: AnyPoller::new(name, &options).unwrap(),
        batched,
    }
}

/// A file that is certainly a regular one: this test's own executable.
fn regular_file() -> std::fs::File {
    std::fs::File::open(std::env::current_exe().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// The checks.

fn readable_after_write<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ);
    assert_eq!(case.idle(), vec![], "{}: nothing written yet", case.name());
    a.write_all(b"x").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}",
        case.name()
    );
}

fn writable_immediately<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, WRITE);
    assert_eq!(case.idle(), vec![(fd, Readiness::WRITE)], "{}", case.name());
}

fn one_report_per_fd_with_all_bits<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let (_c, d) = pair();
    case.watch(b.as_raw_fd(), NONE, READ | WRITE);
    case.watch(d.as_raw_fd(), NONE, READ | WRITE);
    a.write_all(b"x").unwrap();
    let mut expected = vec![
        (b.as_raw_fd(), READ_WRITE),
        (d.as_raw_fd(), Readiness::WRITE),
    ];
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(case.ready_now(), expected, "{}", case.name());
}

fn level_triggered_repeats<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ);
    a.write_all(b"x").unwrap();
    for round in 0..3 {
        assert_eq!(
            case.ready_now(),
            vec![(fd, Readiness::READ)],
            "{}: round {round}",
            case.name()
        );
    }
}

fn edge_triggered_reports_once<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    let edge = READ | Interest::EDGE;
    if !case.has(Features::ET) {
        let err = case.try_watch(fd, NONE, edge).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{}", case.name());
        return;
    }
    case.watch(fd, NONE, edge);
    assert_eq!(case.idle(), vec![], "{}", case.name());
    a.write_all(b"x").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}",
        case.name()
    );
    // Still readable, but no new edge.
    assert_eq!(case.idle(), vec![], "{}: edge reported twice", case.name());
    a.write_all(b"y").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}",
        case.name()
    );
    case.watch(fd, edge, NONE);
}

fn none_stops_reports<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ | WRITE);
    a.write_all(b"x").unwrap();
    assert_eq!(case.ready_now(), vec![(fd, READ_WRITE)], "{}", case.name());
    case.watch(fd, READ | WRITE, WRITE);
    assert_eq!(case.idle(), vec![(fd, Readiness::WRITE)], "{}", case.name());
    case.watch(fd, WRITE, NONE);
    assert_eq!(case.idle(), vec![], "{}: removed", case.name());
    // Removing what is not watched is harmless.
    case.watch(fd, NONE, NONE);
    assert_eq!(case.idle(), vec![], "{}", case.name());
}

fn removing_one_fd_keeps_the_others<P: Subject>(case: &mut Case<P>) {
    let pairs: Vec<_> = (0..5).map(|_| pair()).collect();
    let fd = |i: usize| pairs[i].1.as_raw_fd();
    for i in 0..pairs.len() {
        case.watch(fd(i), NONE, WRITE);
    }
    // From the middle and the end (poll moves its last entry into the gap; select
    // lowers its highest fd).
    case.watch(fd(1), WRITE, NONE);
    case.watch(fd(4), WRITE, NONE);
    let mut expected: Vec<_> = [0, 2, 3].map(|i| (fd(i), Readiness::WRITE)).to_vec();
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(case.idle(), expected, "{}", case.name());
    case.watch(fd(2), WRITE, NONE);
    expected.retain(|&(other, _)| other != fd(2));
    assert_eq!(case.idle(), expected, "{}", case.name());
    case.watch(fd(4), NONE, WRITE);
    expected.push((fd(4), Readiness::WRITE));
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(case.idle(), expected, "{}", case.name());
}

fn readd_after_reopen<P: Subject>(case: &mut Case<P>) {
    // Told about the close: remove, then add the new file under the same number.
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ);
    case.idle();
    let (mut c, d) = pair();
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    case.watch(fd, READ, NONE);
    case.watch(fd, NONE, READ);
    c.write_all(b"x").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}: told",
        case.name()
    );

    // Not told: the next change just modifies what the fd is watched for.
    let (mut e, f) = pair();
    dup_onto(f.as_raw_fd(), fd);
    drop(f);
    case.watch(fd, READ, READ | WRITE);
    assert_eq!(
        case.idle(),
        vec![(fd, Readiness::WRITE)],
        "{}: not told",
        case.name()
    );
    e.write_all(b"x").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, READ_WRITE)],
        "{}: not told",
        case.name()
    );
}

fn readd_after_dup_of_the_same_file<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let fd = high.as_raw_fd();
    case.watch(fd, NONE, READ);
    case.idle();
    // Closed while `b` keeps the file open (epoll keeps its registration), then the
    // same file comes back under the same number.
    drop(high);
    case.watch(fd, READ, NONE);
    case.idle();
    dup_onto(b.as_raw_fd(), fd);
    // SAFETY: `fd` is this test's own descriptor again.
    let _high = unsafe { OwnedFd::from_raw_fd(fd) };
    // Asks for more than before, so the old registration alone cannot pass.
    case.watch(fd, NONE, READ | WRITE);
    a.write_all(b"x").unwrap();
    assert_eq!(case.ready_now(), vec![(fd, READ_WRITE)], "{}", case.name());
}

fn peer_shutdown_reports_closed<P: Subject>(case: &mut Case<P>) {
    let (a, b) = pair();
    let fd = b.as_raw_fd();
    if !case.has(Features::EARLY_CLOSE) {
        let err = case.try_watch(fd, NONE, Interest::CLOSED).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{}", case.name());
        return;
    }
    case.watch(fd, NONE, Interest::CLOSED);
    assert_eq!(case.idle(), vec![], "{}", case.name());
    a.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::CLOSED)],
        "{}",
        case.name()
    );
    case.watch(fd, Interest::CLOSED, READ | Interest::CLOSED);
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ | Readiness::CLOSED)],
        "{}",
        case.name()
    );
}

fn hangup_reads_as_read_and_write<P: Subject>(case: &mut Case<P>) {
    let (a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ);
    drop(a);
    // select can only answer for the sets it was given.
    let expected = if case.poller.name() == "select" {
        Readiness::READ
    } else {
        READ_WRITE
    };
    assert_eq!(case.ready_now(), vec![(fd, expected)], "{}", case.name());
}

fn error_reads_as_read_and_write<P: Subject>(case: &mut Case<P>) {
    // Writing to a pipe nobody can read from is an error (EPIPE).
    let (reader, writer) = pipe();
    let fd = writer.as_raw_fd();
    match case.try_watch(fd, NONE, WRITE) {
        Ok(()) => {}
        // A socket-only mechanism (AFD): `connect_failure_reads_as_read_and_write`
        // checks its errors.
        Err(err) if !case.has(Features::FDS) && err.raw_os_error() == Some(libc::ENOTSOCK) => {
            return
        }
        Err(err) => panic!("{}: {err}", case.name()),
    }
    drop(reader);
    let expected = if case.poller.name() == "select" {
        Readiness::WRITE
    } else {
        READ_WRITE
    };
    assert_eq!(case.ready_now(), vec![(fd, expected)], "{}", case.name());
}

fn connect_failure_reads_as_read_and_write<P: Subject>(case: &mut Case<P>) {
    // A port nobody listens on: the listener that had it is gone.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let socket = nonblocking_tcp_socket();
    let fd = socket.as_raw_fd();
    case.watch(fd, NONE, WRITE);
    let err = connect_loopback(fd, port).unwrap_err().raw_os_error();
    assert!(
        matches!(err, Some(libc::EINPROGRESS | libc::ECONNREFUSED)),
        "{err:?}"
    );
    let expected = if case.poller.name() == "select" {
        Readiness::WRITE
    } else {
        READ_WRITE
    };
    assert_eq!(case.ready_now(), vec![(fd, expected)], "{}", case.name());
    case.watch(fd, WRITE, NONE);
}

fn timeout_is_honoured<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    case.watch(b.as_raw_fd(), NONE, READ);
    for timeout in [Duration::from_millis(50), Duration::from_micros(1500)] {
        let start = Instant::now();
        assert_eq!(case.ready(timeout), vec![], "{}", case.name());
        let waited = start.elapsed();
        assert!(
            waited >= timeout,
            "{}: woke after {waited:?} of {timeout:?}",
            case.name()
        );
        assert!(
            waited < timeout + Duration::from_secs(2),
            "{}: {waited:?}",
            case.name()
        );
    }
}

fn zero_timeout_does_not_block<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    case.watch(b.as_raw_fd(), NONE, READ);
    let start = Instant::now();
    for _ in 0..100 {
        assert_eq!(case.idle(), vec![], "{}", case.name());
    }
    let waited = start.elapsed();
    assert!(
        waited < Duration::from_secs(1),
        "{}: {waited:?}",
        case.name()
    );
}

fn huge_or_no_timeout_returns_when_ready<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, WRITE);
    for timeout in [
        None,
        Some(Duration::MAX),
        Some(Duration::from_secs(u64::MAX / 2)),
    ] {
        let got = case.try_ready(timeout);
        assert_eq!(
            got.unwrap(),
            vec![(fd, Readiness::WRITE)],
            "{}: {timeout:?}",
            case.name()
        );
    }
}

fn fd_above_fd_setsize<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    drop(b);
    let fd = high.as_raw_fd();
    assert!(fd > 1024);
    case.watch(fd, NONE, READ);
    assert_eq!(case.idle(), vec![], "{}", case.name());
    a.write_all(b"y").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}",
        case.name()
    );
    case.watch(fd, READ, NONE);
    assert_eq!(case.idle(), vec![], "{}", case.name());
}

fn bad_fds_are_refused<P: Subject>(case: &mut Case<P>) {
    for fd in [-1, RawFd::MIN] {
        let err = case.try_watch(fd, NONE, READ).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::InvalidInput,
            "{}: {fd}",
            case.name()
        );
        assert!(
            case.try_watch(fd, READ, NONE).is_err(),
            "{}: {fd}",
            case.name()
        );
    }
    // Never open: refused at once, without a table sized for it.
    for fd in [1 << 20, 1 << 30, RawFd::MAX] {
        let err = case.try_watch(fd, NONE, READ).unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EBADF),
            "{}: {fd}",
            case.name()
        );
        // Nothing was watched, so removing it again is fine.
        case.watch(fd, NONE, NONE);
    }
    assert_eq!(case.idle(), vec![], "{}", case.name());
}

fn fd_closed_while_watched<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    // The only reference to the file, so closing it ends epoll's registration.
    drop(b);
    let fd = high.as_raw_fd();
    case.watch(fd, NONE, READ);
    a.write_all(b"x").unwrap();
    drop(high);
    let got = case.try_ready(Some(Duration::ZERO));
    match case.poller.name() {
        // The kernel dropped the registration with the file (kqueue: the file's notes;
        // event ports: the association; AFD: the request completed with LOCAL_CLOSE, or
        // the next one was refused; io_uring: the request failed when submitted).
        "epoll" | "kqueue" | "evport" | "wepoll" | "io_uring" => {
            assert_eq!(got.unwrap(), vec![], "{}", case.name())
        }
        // POLLNVAL.
        "poll" | "devpoll" => assert_eq!(got.unwrap(), vec![(fd, READ_WRITE)], "{}", case.name()),
        _ => assert_eq!(
            got.unwrap_err().raw_os_error(),
            Some(libc::EBADF),
            "{}",
            case.name()
        ),
    }
    case.watch(fd, READ, NONE);
    assert_eq!(case.idle(), vec![], "{}", case.name());
}

fn add_then_remove_before_wait<P: Subject>(case: &mut Case<P>) {
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    a.write_all(b"x").unwrap();
    case.watch(fd, NONE, READ);
    case.watch(fd, READ, READ | WRITE);
    case.watch(fd, READ | WRITE, NONE);
    assert_eq!(case.idle(), vec![], "{}", case.name());
    // Changes fold into the last one.
    case.watch(fd, NONE, READ);
    case.watch(fd, READ, WRITE);
    assert_eq!(case.idle(), vec![(fd, Readiness::WRITE)], "{}", case.name());
}

fn remove_and_readd_of_a_reopened_fd_before_wait<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    case.watch(fd, NONE, READ);
    assert_eq!(case.idle(), vec![], "{}", case.name());
    // Folded into one change from READ to READ, which must still reach the new file.
    case.watch(fd, READ, NONE);
    let (mut c, d) = pair();
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    case.watch(fd, NONE, READ);
    c.write_all(b"x").unwrap();
    assert_eq!(
        case.ready_now(),
        vec![(fd, Readiness::READ)],
        "{}",
        case.name()
    );
}

fn signal_interrupts_the_wait<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    case.watch(b.as_raw_fd(), NONE, READ);
    let start = Instant::now();
    let got = interrupted(|| case.try_ready(Some(Duration::from_secs(10))));
    assert_eq!(got.unwrap(), vec![], "{}", case.name());
    assert!(start.elapsed() < Duration::from_secs(5), "{}", case.name());
}

fn unsupported_interest_is_refused<P: Subject>(case: &mut Case<P>) {
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    for (interest, feature) in [
        (Interest::EDGE, Features::ET),
        (Interest::CLOSED, Features::EARLY_CLOSE),
    ] {
        let result = case.try_watch(fd, NONE, READ | interest);
        if case.has(feature) {
            result.unwrap();
            case.watch(fd, READ | interest, NONE);
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{}", case.name());
        }
    }
    assert_eq!(case.idle(), vec![], "{}", case.name());
}

// ---------------------------------------------------------------------------------------
// Every check against every poller.

macro_rules! checks_for {
    ($module:ident, $make:expr, [$($check:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[test]
                fn $check() {
                    let mut case = $make;
                    super::$check(&mut case);
                }
            )*
        }
    };
}

macro_rules! all_checks {
    ($($module:ident => $make:expr),* $(,)?) => {$(
        checks_for!($module, $make, [
            readable_after_write,
            writable_immediately,
            one_report_per_fd_with_all_bits,
            level_triggered_repeats,
            edge_triggered_reports_once,
            none_stops_reports,
            removing_one_fd_keeps_the_others,
            readd_after_reopen,
            readd_after_dup_of_the_same_file,
            peer_shutdown_reports_closed,
            hangup_reads_as_read_and_write,
            error_reads_as_read_and_write,
            connect_failure_reads_as_read_and_write,
            timeout_is_honoured,
            zero_timeout_does_not_block,
            huge_or_no_timeout_returns_when_ready,
            fd_above_fd_setsize,
            bad_fds_are_refused,
            fd_closed_while_watched,
            add_then_remove_before_wait,
            remove_and_readd_of_a_reopened_fd_before_wait,
            signal_interrupts_the_wait,
            unsupported_interest_is_refused,
        ]);
    )*};
}

all_checks! {
    epoll => epoll(false),
    epoll_changelist => epoll(true),
    poll => Case { poller: Poll::new(&Options::default()).unwrap(), batched: false },
    select => Case { poller: Select::new(&Options::default()).unwrap(), batched: false },
    uring => match Uring::new(&Options::default()) {
        Ok(poller) => Case { poller, batched: false },
        Err(err) => return io_uring_unavailable(err),
    },
    any_epoll => by_name("epoll", false),
    any_epoll_changelist => by_name("epoll", true),
    any_uring => match AnyPoller::new("io_uring", &Options::default()) {
        Ok(poller) => Case { poller, batched: false },
        Err(err) => return io_uring_unavailable(err),
    },
    any_poll => by_name("poll", false),
    any_select => by_name("select", false),
    sim_kqueue => sim_kqueue(false),
    sim_kqueue_changelist => sim_kqueue(true),
    // Associations are made (and changes applied) right before the wait.
    sim_evport => Case { poller: Evport::<SimPort>::new(&Options::default()).unwrap(), batched: true },
    // Changes are always written in one batch before the wait.
    sim_devpoll => Case { poller: Devpoll::<SimDevpoll>::new(&Options::default()).unwrap(), batched: true },
    sim_wepoll => Case { poller: Afd::<SimAfd>::new(&Options::default()).unwrap(), batched: false },
}

// ---------------------------------------------------------------------------------------
// Checks for one poller.

#[test]
fn any_poller_knows_every_method() {
    let names: Vec<&str> = METHODS.iter().map(|&(name, _)| name).collect();
    assert_eq!(names, ["epoll", "poll", "select", "io_uring"]);
    for &(name, features) in METHODS {
        let poller = match AnyPoller::new(name, &Options::default()) {
            Err(err) if name == "io_uring" => {
                io_uring_unavailable(err);
                continue;
            }
            made => made.unwrap(),
        };
        assert_eq!(poller.name(), name);
        assert_eq!(poller.features(), features);
    }
    let err = AnyPoller::new("kqueue", &Options::default()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
}

#[test]
fn features_match_libevent() {
    let all = |features: &[Features]| {
        Features::from_bits(features.iter().fold(0, |acc, f| acc | f.bits()))
    };
    assert_eq!(
        Epoll::FEATURES,
        all(&[Features::ET, Features::O1, Features::EARLY_CLOSE])
    );
    assert_eq!(Poll::FEATURES, all(&[Features::FDS, Features::EARLY_CLOSE]));
    assert_eq!(Select::FEATURES, Features::FDS);
    assert_eq!(
        Kqueue::<SimKqueue>::FEATURES,
        all(&[Features::ET, Features::O1, Features::FDS])
    );
    assert_eq!(<Evport<SimPort>>::FEATURES, Features::NONE);
    assert_eq!(
        <Devpoll<SimDevpoll>>::FEATURES,
        all(&[Features::FDS, Features::O1])
    );
    // libevent 2.2.1's "wepoll": no EV_FEATURE_ET.
    assert_eq!(<Afd<SimAfd>>::NAME, "wepoll");
    assert_eq!(
        <Afd<SimAfd>>::FEATURES,
        all(&[Features::O1, Features::EARLY_CLOSE])
    );
}

/// A wait that fills the report buffer doubles it: 32, then 64, then all 100.
#[test]
fn epoll_report_buffer_grows() {
    for batched in [false, true] {
        let mut case = epoll(batched);
        let pairs: Vec<_> = (0..100).map(|_| pair()).collect();
        for (_, b) in &pairs {
            case.watch(b.as_raw_fd(), NONE, WRITE);
        }
        let counts: Vec<usize> = (0..4).map(|_| case.idle().len()).collect();
        assert_eq!(counts, [32, 64, 100, 100], "{}", case.name());
    }
}

/// With a changelist, a change that fails when applied is dropped, as in libevent: the
/// caller was already told it succeeded.
#[test]
fn epoll_changelist_drops_failing_changes() {
    let mut case = epoll(true);
    let (_a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let fd = high.as_raw_fd();
    // Grows the changelist's table past `fd`, then forgets it.
    case.watch(fd, NONE, READ);
    case.watch(fd, READ, NONE);
    drop(high);
    case.watch(fd, NONE, READ);
    assert_eq!(case.idle(), vec![]);
    // epoll cannot watch regular files at all (EPERM).
    let file = regular_file();
    case.watch(file.as_raw_fd(), NONE, READ);
    assert_eq!(case.idle(), vec![]);
}

#[test]
fn epoll_refuses_what_it_cannot_watch() {
    let mut case = epoll(false);
    let file = regular_file();
    let err = case.try_watch(file.as_raw_fd(), NONE, READ).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    // Closed (at a number nothing else reuses meanwhile): EBADF.
    let (_a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let fd = high.as_raw_fd();
    drop(high);
    let err = case.try_watch(fd, NONE, READ).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
}

/// poll and select watch regular files, which are always ready.
#[test]
fn poll_and_select_watch_regular_files() {
    let file = regular_file();
    let fd = file.as_raw_fd();
    for name in ["poll", "select"] {
        let mut case = by_name(name, false);
        case.watch(fd, NONE, READ | WRITE);
        assert_eq!(case.idle(), vec![(fd, READ_WRITE)], "{name}");
    }
}

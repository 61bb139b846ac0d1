//! The simulated event port against port_associate(3C) and port_get(3C), and the
//! evport poller on it where event-port pollers go wrong: re-association after each
//! event, closed and reused fds, duplicate registrations, changes that fail halfway.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use evrs_backends::evport::{
    Evport, PortEvent, PortSystem, POLLHUP, POLLIN, POLLOUT, PORT_SOURCE_FD,
};
use evrs_backends::sim::evport::SimPort;
use evrs_backends::{Options, Poller, Readiness};

mod support;
use support::{
    dup_onto, idle, interrupted, pair, private, ready, ready_now, NONE, READ, READ_WRITE, WRITE,
};

fn errno(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(0)
}

/// Reads everything `stream` (non-blocking) holds.
fn drain(stream: &mut UnixStream) {
    stream.set_nonblocking(true).unwrap();
    let mut buf = [0; 64];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

fn port() -> SimPort {
    SimPort::create().unwrap()
}

/// One port_getn of up to `max` events, wanting `nget`; the events and the result.
fn getn(
    port: &mut SimPort,
    max: usize,
    nget: u32,
    timeout: Option<Duration>,
) -> (Vec<PortEvent>, io::Result<()>) {
    let mut list = vec![PortEvent::default(); max];
    let mut got = nget;
    let result = port.getn(&mut list, &mut got, timeout);
    list.truncate(got as usize);
    (list, result)
}

fn poller() -> Evport<SimPort> {
    Evport::new(&Options::default()).unwrap()
}

// ---------------------------------------------------------------------------------------
// The simulation against the manual.

/// "if data is available at the time the port_associate() function is called, an
/// event is immediately sent to the port"; the event carries the object, the source,
/// the events and the user value.
#[test]
fn associating_a_ready_fd_sends_an_event_at_once() {
    let mut port = port();
    let (mut a, b) = pair();
    a.write_all(b"x").unwrap();
    port.associate(b.as_raw_fd(), POLLIN, 77).unwrap();
    let (events, result) = getn(&mut port, 4, 1, Some(Duration::ZERO));
    result.unwrap();
    assert_eq!(
        events,
        [PortEvent {
            events: POLLIN,
            source: PORT_SOURCE_FD,
            pad: 0,
            object: b.as_raw_fd() as usize,
            user: 77,
        }]
    );
}

/// "When an event for a PORT_SOURCE_FD object is retrieved, the object no longer has an
/// association with the port": a still-readable fd sends nothing more.
#[test]
fn retrieving_the_event_ends_the_association() {
    let mut port = port();
    let (mut a, b) = pair();
    a.write_all(b"x").unwrap();
    port.associate(b.as_raw_fd(), POLLIN, 0).unwrap();
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0.len(), 1);
    assert_eq!(port.associations(), 0);
    let (events, result) = getn(&mut port, 4, 1, Some(Duration::ZERO));
    assert_eq!(events, []);
    assert_eq!(errno(&result.unwrap_err()), libc::ETIME);
    // Dissociating it now finds nothing.
    assert_eq!(
        errno(&port.dissociate(b.as_raw_fd()).unwrap_err()),
        libc::ENOENT
    );
    // Associated again, the still-ready fd fires again.
    port.associate(b.as_raw_fd(), POLLIN, 0).unwrap();
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0.len(), 1);
}

/// "At most one event notification will be generated per associated file
/// descriptor", however long it stays ready before the event is retrieved.
#[test]
fn one_event_per_association() {
    let mut port = port();
    let (mut a, b) = pair();
    port.associate(b.as_raw_fd(), POLLIN, 0).unwrap();
    a.write_all(b"x").unwrap();
    a.write_all(b"y").unwrap();
    let mut count = 0;
    port.getn(&mut [], &mut count, None).unwrap();
    assert_eq!(count, 1, "max 0 counts the queued events");
    let (events, _) = getn(&mut port, 4, 1, Some(Duration::ZERO));
    assert_eq!(events.len(), 1);
}

/// "If the specified object is already associated with the specified port, the
/// port_associate() function serves to update the events and user arguments."
#[test]
fn associating_again_replaces_events_and_user() {
    let mut port = port();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    // Not readable: nothing fires.
    port.associate(fd, POLLIN, 1).unwrap();
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0, []);
    port.associate(fd, POLLOUT, 2).unwrap();
    port.associate(fd, POLLOUT, 3).unwrap();
    let (events, result) = getn(&mut port, 4, 1, Some(Duration::ZERO));
    result.unwrap();
    assert_eq!(events.len(), 1, "one association, one event: {events:?}");
    assert_eq!((events[0].events, events[0].user), (POLLOUT, 3));
}

#[test]
fn dissociate_errors_follow_the_manual() {
    let mut port = port();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    // Not associated: ENOENT.
    assert_eq!(errno(&port.dissociate(fd).unwrap_err()), libc::ENOENT);
    port.associate(fd, POLLIN, 0).unwrap();
    port.dissociate(fd).unwrap();
    assert_eq!(port.associations(), 0);
    assert_eq!(errno(&port.dissociate(fd).unwrap_err()), libc::ENOENT);
    // Not a valid fd: EBADFD, for both calls.
    let closed = {
        let (c, _d) = pair();
        let Some(c) = private(c) else {
            return;
        };
        c.as_raw_fd()
    };
    assert_eq!(errno(&port.dissociate(closed).unwrap_err()), libc::EBADFD);
    assert_eq!(
        errno(&port.associate(closed, POLLIN, 0).unwrap_err()),
        libc::EBADFD
    );
    assert_eq!(
        errno(&port.associate(-1, POLLIN, 0).unwrap_err()),
        libc::EBADFD
    );
}

/// A dissociation withdraws an event already queued.
#[test]
fn dissociating_withdraws_the_queued_event() {
    let mut port = port();
    let (_a, b) = pair();
    port.associate(b.as_raw_fd(), POLLOUT, 0).unwrap();
    port.dissociate(b.as_raw_fd()).unwrap();
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0, []);
}

/// Closing an fd ends its association and withdraws its queued event; a reused number
/// is not associated.
#[test]
fn close_ends_the_association() {
    let mut port = port();
    let (mut a, b) = pair();
    a.write_all(b"x").unwrap();
    let fd = b.as_raw_fd();
    port.associate(fd, POLLIN, 0).unwrap();
    drop(b);
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0, []);
    assert_eq!(port.associations(), 0);

    // Associated, closed, and the number reused for another (ready) file.
    let (_c, d) = pair();
    let fd = d.as_raw_fd();
    port.associate(fd, POLLIN, 0).unwrap();
    let (mut e, f) = pair();
    e.write_all(b"x").unwrap();
    dup_onto(f.as_raw_fd(), fd);
    // `d` owns the number, now `f`'s file.
    drop(f);
    assert_eq!(errno(&port.dissociate(fd).unwrap_err()), libc::ENOENT);
    assert_eq!(getn(&mut port, 4, 1, Some(Duration::ZERO)).0, []);
    drop(d);
}

/// Errors and hang-ups fire whatever was asked, as in poll(2).
#[test]
fn hangup_fires_unasked() {
    let mut port = port();
    let (a, b) = pair();
    // No events asked for at all.
    port.associate(b.as_raw_fd(), 0, 0).unwrap();
    drop(a);
    let (events, result) = getn(&mut port, 4, 1, Some(Duration::from_secs(5)));
    result.unwrap();
    assert_eq!(events.len(), 1);
    assert_ne!(events[0].events & POLLHUP, 0, "{events:?}");
}

/// "EINVAL ... the content of nget is > max and max is > 0."
#[test]
fn nget_above_max_is_invalid() {
    let mut port = port();
    let (_, result) = getn(&mut port, 2, 3, Some(Duration::ZERO));
    assert_eq!(errno(&result.unwrap_err()), libc::EINVAL);
}

/// "ETIME The time interval expired before the expected number of events have been
/// posted to the port (original value in nget), or nget is updated with the number of
/// returned port_event_t structures in list[]."
#[test]
fn timeout_returns_the_events_there_are_with_etime() {
    let mut port = port();
    let (_a, b) = pair();
    port.associate(b.as_raw_fd(), POLLOUT, 0).unwrap();
    let start = Instant::now();
    let (events, result) = getn(&mut port, 4, 2, Some(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(errno(&result.unwrap_err()), libc::ETIME);
    assert_eq!(events.len(), 1, "retrieved all the same");
    assert_eq!(port.associations(), 0);
}

/// port_getn blocks until `*nget` events are there, and returns up to `max`.
#[test]
fn getn_waits_for_nget_and_returns_up_to_max() {
    let mut port = port();
    let pairs: Vec<_> = (0..3).map(|_| pair()).collect();
    for (_, b) in &pairs {
        port.associate(b.as_raw_fd(), POLLOUT, 0).unwrap();
    }
    let (events, result) = getn(&mut port, 2, 1, None);
    result.unwrap();
    assert_eq!(events.len(), 2, "up to max");
    let (events, result) = getn(&mut port, 4, 1, None);
    result.unwrap();
    assert_eq!(events.len(), 1, "the one left");

    // Blocks until an fd becomes ready.
    let (mut a, b) = pair();
    port.associate(b.as_raw_fd(), POLLIN, 9).unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        a.write_all(b"x").unwrap();
        a
    });
    let start = Instant::now();
    let (events, result) = getn(&mut port, 4, 1, Some(Duration::from_secs(10)));
    result.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(40));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user, 9);
    drop(writer.join().unwrap());

    // Wanting none returns at once.
    let start = Instant::now();
    let (events, result) = getn(&mut port, 4, 0, None);
    result.unwrap();
    assert_eq!(events, []);
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// "EINTR A signal was caught during the execution of the function."
#[test]
fn a_signal_interrupts_getn() {
    let mut port = port();
    let (_a, b) = pair();
    port.associate(b.as_raw_fd(), POLLIN, 0).unwrap();
    let start = Instant::now();
    let (events, result) = interrupted(|| getn(&mut port, 4, 1, Some(Duration::from_secs(10))));
    assert_eq!(events, []);
    assert_eq!(errno(&result.unwrap_err()), libc::EINTR);
    assert!(start.elapsed() < Duration::from_secs(5));
    // Still associated.
    assert_eq!(port.associations(), 1);
}

// ---------------------------------------------------------------------------------------
// The poller on the simulation.

/// Each wait's events end their associations; the poller associates them again, so
/// a still-ready fd is reported at every wait and a drained one stops.
#[test]
fn fds_are_associated_again_after_each_event() {
    let mut poller = poller();
    let (mut a, mut b) = pair();
    let (mut c, d) = pair();
    poller.change(b.as_raw_fd(), NONE, READ).unwrap();
    poller.change(d.as_raw_fd(), NONE, READ).unwrap();
    a.write_all(b"x").unwrap();
    c.write_all(b"x").unwrap();
    let both = {
        let mut both = vec![
            (b.as_raw_fd(), Readiness::READ),
            (d.as_raw_fd(), Readiness::READ),
        ];
        both.sort_by_key(|&(fd, _)| fd);
        both
    };
    for _ in 0..3 {
        assert_eq!(ready_now(&mut poller), both);
        assert_eq!(poller.system().associations(), 0, "all retrieved");
    }
    drain(&mut b);
    assert_eq!(ready_now(&mut poller), [(d.as_raw_fd(), Readiness::READ)]);
    // `b` is associated again, and reported when data comes.
    assert_eq!(poller.system().associations(), 1);
    a.write_all(b"y").unwrap();
    assert_eq!(ready_now(&mut poller), both);
}

/// A change between a report and the next wait is what gets associated.
#[test]
fn change_after_a_report_is_associated() {
    let mut poller = poller();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, READ).unwrap();
    a.write_all(b"x").unwrap();
    assert_eq!(ready_now(&mut poller), [(fd, Readiness::READ)]);
    poller.change(fd, READ, WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::WRITE)]);
    poller.change(fd, WRITE, NONE).unwrap();
    assert_eq!(idle(&mut poller), []);
    assert_eq!(poller.system().associations(), 0);
}

/// Adding the same fd twice makes one association and one report.
#[test]
fn duplicate_registrations_report_once() {
    let mut poller = poller();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, WRITE).unwrap();
    poller.change(fd, NONE, WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::WRITE)]);
    poller.change(fd, NONE, WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::WRITE)]);
    assert_eq!(poller.system().associations(), 0, "its one event retrieved");
}

/// A watched fd that is closed loses its association, and its reused number is not
/// watched until the caller changes it; a removal afterwards is harmless.
#[test]
fn closed_and_reused_fds() {
    let mut poller = poller();
    let (_a, b) = pair();
    let Some(b) = private(b) else {
        return;
    };
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut poller), []);
    // Reused, not told: the association went with the old file.
    let (mut c, d) = pair();
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    c.write_all(b"x").unwrap();
    assert_eq!(idle(&mut poller), []);
    // Told, by any change: watched again, on the new file.
    poller.change(fd, READ, READ).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::READ)]);
    // Reported, then closed before the next wait: the association again fails quietly.
    let (e, f) = pair();
    dup_onto(f.as_raw_fd(), fd);
    drop((e, f));
    drop(b);
    assert_eq!(idle(&mut poller), []);
    poller.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut poller), []);
    assert_eq!(poller.system().associations(), 0);
}

/// A new watch of a closed fd is refused at once, though associations wait for the
/// wait.
#[test]
fn watching_a_closed_fd_is_refused() {
    let mut poller = poller();
    let (a, b) = pair();
    let Some(b) = private(b) else {
        return;
    };
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, READ).unwrap();
    poller.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut poller), []);
    drop((a, b));
    let err = poller.change(fd, NONE, READ).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    assert_eq!(idle(&mut poller), []);
}

/// One closed fd among changes applied together: the others take effect.
#[test]
fn a_closed_fd_among_changes_spoils_nothing() {
    let mut poller = poller();
    let (_a, b) = pair();
    let (c, d) = pair();
    let Some(d) = private(d) else {
        return;
    };
    let (_e, f) = pair();
    for fd in [b.as_raw_fd(), d.as_raw_fd(), f.as_raw_fd()] {
        poller.change(fd, NONE, WRITE).unwrap();
    }
    let closed = d.as_raw_fd();
    drop((c, d));
    let mut expected = vec![
        (b.as_raw_fd(), Readiness::WRITE),
        (f.as_raw_fd(), Readiness::WRITE),
    ];
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(idle(&mut poller), expected);
    assert_eq!(idle(&mut poller), expected);
    poller.change(closed, WRITE, NONE).unwrap();
    assert_eq!(idle(&mut poller), expected);
}

// A port that refuses associations of one fd, or answers ETIME with its events.
thread_local! {
    static REFUSED_FD: Cell<RawFd> = const { Cell::new(-1) };
    static ETIME_WITH_EVENTS: Cell<bool> = const { Cell::new(false) };
}

#[derive(Debug)]
struct FaultyPort(SimPort);

impl PortSystem for FaultyPort {
    fn create() -> io::Result<Self> {
        SimPort::create().map(FaultyPort)
    }
    fn associate(&mut self, fd: RawFd, events: i32, user: usize) -> io::Result<()> {
        if REFUSED_FD.get() == fd {
            // The port's association limit (process.max-port-events).
            return Err(io::Error::from_raw_os_error(libc::EAGAIN));
        }
        self.0.associate(fd, events, user)
    }
    fn dissociate(&mut self, fd: RawFd) -> io::Result<()> {
        self.0.dissociate(fd)
    }
    fn getn(
        &mut self,
        list: &mut [PortEvent],
        nget: &mut u32,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        self.0.getn(list, nget, timeout)?;
        if ETIME_WITH_EVENTS.get() {
            return Err(io::Error::from_raw_os_error(libc::ETIME));
        }
        Ok(())
    }
}

/// An association refused for a reason other than a close reads as ready and is tried
/// again at every wait, while the other fds go on as usual.
#[test]
fn a_refused_association_reads_as_ready_until_it_holds() {
    let mut poller: Evport<FaultyPort> = Evport::new(&Options::default()).unwrap();
    let (mut a, b) = pair();
    let (_c, d) = pair();
    poller.change(b.as_raw_fd(), NONE, READ).unwrap();
    poller.change(d.as_raw_fd(), NONE, WRITE).unwrap();
    REFUSED_FD.set(b.as_raw_fd());
    let mut expected = vec![
        (b.as_raw_fd(), READ_WRITE),
        (d.as_raw_fd(), Readiness::WRITE),
    ];
    expected.sort_by_key(|&(fd, _)| fd);
    // Reported without waiting for the timeout.
    let start = Instant::now();
    assert_eq!(ready(&mut poller, Duration::from_secs(10)), expected);
    assert_eq!(ready(&mut poller, Duration::from_secs(10)), expected);
    assert!(start.elapsed() < Duration::from_secs(5));
    REFUSED_FD.set(-1);
    assert_eq!(idle(&mut poller), [(d.as_raw_fd(), Readiness::WRITE)]);
    a.write_all(b"x").unwrap();
    assert_eq!(idle(&mut poller), expected_read(&b, &d));
}

fn expected_read(b: &UnixStream, d: &UnixStream) -> Vec<(RawFd, Readiness)> {
    let mut expected = vec![
        (b.as_raw_fd(), Readiness::READ),
        (d.as_raw_fd(), Readiness::WRITE),
    ];
    expected.sort_by_key(|&(fd, _)| fd);
    expected
}

/// port_getn may fail with ETIME having retrieved events: they are reported, or their
/// fds would never be associated again.
#[test]
fn events_that_come_with_etime_are_reported() {
    let mut poller: Evport<FaultyPort> = Evport::new(&Options::default()).unwrap();
    let (_a, b) = pair();
    poller.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    ETIME_WITH_EVENTS.set(true);
    assert_eq!(idle(&mut poller), [(b.as_raw_fd(), Readiness::WRITE)]);
    assert_eq!(idle(&mut poller), [(b.as_raw_fd(), Readiness::WRITE)]);
    ETIME_WITH_EVENTS.set(false);
    assert_eq!(idle(&mut poller), [(b.as_raw_fd(), Readiness::WRITE)]);
}

/// A wait that fills the report buffer doubles it, from libevent's 8.
#[test]
fn report_buffer_grows() {
    let mut poller = poller();
    let pairs: Vec<_> = (0..100).map(|_| pair()).collect();
    for (_, b) in &pairs {
        poller.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    }
    let counts: Vec<usize> = (0..6).map(|_| idle(&mut poller).len()).collect();
    assert_eq!(counts, [8, 16, 32, 64, 100, 100]);
}

/// A regular file can be associated (always ready), as poll(2) answers for it.
#[test]
fn regular_files_are_always_ready() {
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let fd = file.as_raw_fd();
    let mut poller = poller();
    poller.change(fd, NONE, READ | WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, READ_WRITE)]);
}

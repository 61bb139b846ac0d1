//! The simulated /dev/poll against poll(4D), and the devpoll poller on it where
//! /dev/poll pollers go wrong: OR-ed events and POLLREMOVE, closed and reused fds,
//! duplicate registrations, a batch of changes that fails halfway.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use evrs_backends::devpoll::{
    Devpoll, DevpollSystem, PollFd, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLREMOVE,
};
use evrs_backends::sim::devpoll::SimDevpoll;
use evrs_backends::{Options, Poller, Readiness};

mod support;
use support::{
    dup_onto, idle, interrupted, pair, private, ready, ready_now, NONE, READ, READ_WRITE, WRITE,
};

fn entry(fd: RawFd, events: i16) -> PollFd {
    PollFd {
        fd,
        events,
        revents: 0,
    }
}

fn device() -> SimDevpoll {
    SimDevpoll::open().unwrap()
}

/// One DP_POLL with room for `room` reports: (fd, revents) of each.
fn dp_poll(device: &mut SimDevpoll, room: usize, timeout_ms: i32) -> Vec<(RawFd, i16)> {
    let mut results = vec![PollFd::default(); room];
    let n = device.dp_poll(&mut results, timeout_ms).unwrap();
    results[..n].iter().map(|r| (r.fd, r.revents)).collect()
}

fn sorted(mut reports: Vec<(RawFd, Readiness)>) -> Vec<(RawFd, Readiness)> {
    reports.sort_by_key(|&(fd, _)| fd);
    reports
}

// ---------------------------------------------------------------------------------------
// The simulation against the manual.

/// "If a pollfd array contains multiple pollfd entries with the same fd field, the
/// events field in each pollfd entry is OR'ed"; so are later writes. "Write returns the
/// number of bytes written successfully."
#[test]
fn writes_or_events_into_the_cache() {
    let mut device = device();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    let batch = [entry(fd, POLLIN), entry(fd, POLLOUT)];
    assert_eq!(
        device.write_pollfds(&batch).unwrap(),
        std::mem::size_of_val(&batch)
    );
    assert_eq!(device.cached(fd), Some(POLLIN | POLLOUT));
    device.write_pollfds(&[entry(fd, POLLOUT)]).unwrap();
    assert_eq!(device.cached(fd), Some(POLLIN | POLLOUT));
    // Writing fewer events takes none away.
    device.write_pollfds(&[entry(fd, POLLIN)]).unwrap();
    assert_eq!(device.cached(fd), Some(POLLIN | POLLOUT));
    assert_eq!(dp_poll(&mut device, 4, 0), [(fd, POLLOUT)]);
}

/// "A special POLLREMOVE event in the events field of the pollfd structure removes the
/// fd from the monitored set"; fewer events are a removal and an addition.
#[test]
fn pollremove_removes_every_event() {
    let mut device = device();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    device
        .write_pollfds(&[entry(fd, POLLIN | POLLOUT)])
        .unwrap();
    device.write_pollfds(&[entry(fd, POLLREMOVE)]).unwrap();
    assert_eq!(device.cached(fd), None);
    assert_eq!(dp_poll(&mut device, 4, 0), []);
    // Removing what is not cached does nothing.
    device.write_pollfds(&[entry(fd, POLLREMOVE)]).unwrap();
    // Remove then re-add with fewer events, in one write.
    device
        .write_pollfds(&[entry(fd, POLLIN | POLLOUT)])
        .unwrap();
    device
        .write_pollfds(&[entry(fd, POLLREMOVE), entry(fd, POLLIN)])
        .unwrap();
    assert_eq!(device.cached(fd), Some(POLLIN));
    assert_eq!(dp_poll(&mut device, 4, 0), []);
}

/// A bad fd does not fail the write: a closed one is cached and reports POLLNVAL, a
/// negative or impossible one is skipped; the good entries take effect.
#[test]
fn bad_fds_in_a_write_spoil_nothing() {
    let mut device = device();
    let (_a, b) = pair();
    let (_c, d) = pair();
    let closed = {
        let (e, _f) = pair();
        let Some(e) = private(e) else {
            return;
        };
        e.as_raw_fd()
    };
    let batch = [
        entry(b.as_raw_fd(), POLLOUT),
        entry(closed, POLLIN),
        entry(-1, POLLIN),
        entry(RawFd::MAX, POLLIN),
        entry(d.as_raw_fd(), POLLOUT),
    ];
    assert_eq!(
        device.write_pollfds(&batch).unwrap(),
        std::mem::size_of_val(&batch)
    );
    assert_eq!(device.cached(-1), None);
    assert_eq!(device.cached(RawFd::MAX), None);
    let mut expected = vec![
        (b.as_raw_fd(), POLLOUT),
        (closed, POLLNVAL),
        (d.as_raw_fd(), POLLOUT),
    ];
    expected.sort();
    let mut got = dp_poll(&mut device, 8, 0);
    got.sort();
    assert_eq!(got, expected);
}

/// "Failure to do so may result in a POLLNVAL revents being returned for the closed
/// file descriptor. When a file descriptor is closed but not removed from the monitored
/// set, and is reused in subsequent open of a different device, you will be polling the
/// device associated with the reused file descriptor."
#[test]
fn the_cache_outlives_a_close() {
    let mut device = device();
    let (_a, b) = pair();
    let Some(b) = private(b) else {
        return;
    };
    let fd = b.as_raw_fd();
    device.write_pollfds(&[entry(fd, POLLIN)]).unwrap();
    let (mut c, d) = pair();
    drop(b);
    for _ in 0..2 {
        assert_eq!(dp_poll(&mut device, 4, 0), [(fd, POLLNVAL)]);
    }
    // Reused for another file, which is polled with the cached events.
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    assert_eq!(dp_poll(&mut device, 4, 0), []);
    c.write_all(b"x").unwrap();
    assert_eq!(dp_poll(&mut device, 4, 0), [(fd, POLLIN)]);
    // SAFETY: `fd` is this test's own descriptor now.
    unsafe { libc::close(fd) };
}

/// Each report carries the fd, the cached events and what happened; hang-ups come
/// unasked.
#[test]
fn reports_carry_the_cached_events() {
    let mut device = device();
    let (a, b) = pair();
    let fd = b.as_raw_fd();
    device.write_pollfds(&[entry(fd, POLLIN)]).unwrap();
    drop(a);
    let mut results = [PollFd::default(); 2];
    assert_eq!(device.dp_poll(&mut results, 0).unwrap(), 1);
    assert_eq!((results[0].fd, results[0].events), (fd, POLLIN));
    assert_ne!(results[0].revents & POLLHUP, 0);
}

/// "dp_nfds ... indicates the maximum number of file descriptors from which poll
/// information can be obtained"; the next poll resumes after the last one reported.
#[test]
fn dp_nfds_limits_reports_and_scans_resume() {
    let mut device = device();
    let pairs: Vec<_> = (0..4).map(|_| pair()).collect();
    let mut fds: Vec<RawFd> = pairs.iter().map(|(_, b)| b.as_raw_fd()).collect();
    fds.sort();
    let batch: Vec<_> = fds.iter().map(|&fd| entry(fd, POLLOUT)).collect();
    device.write_pollfds(&batch).unwrap();
    let first: Vec<RawFd> = dp_poll(&mut device, 2, 0).iter().map(|r| r.0).collect();
    let second: Vec<RawFd> = dp_poll(&mut device, 2, 0).iter().map(|r| r.0).collect();
    assert_eq!(first, fds[..2]);
    assert_eq!(second, fds[2..]);
    assert_eq!(dp_poll(&mut device, 8, 0).len(), 4);
}

/// "If dp_timeout is 0, the ioctl call returns immediately"; otherwise it waits that
/// many milliseconds, or until a cached fd is ready.
#[test]
fn dp_timeout_is_honoured() {
    let mut device = device();
    let (mut a, b) = pair();
    device
        .write_pollfds(&[entry(b.as_raw_fd(), POLLIN)])
        .unwrap();
    let start = Instant::now();
    assert_eq!(dp_poll(&mut device, 4, 0), []);
    assert!(start.elapsed() < Duration::from_secs(1));
    let start = Instant::now();
    assert_eq!(dp_poll(&mut device, 4, 30), []);
    assert!(start.elapsed() >= Duration::from_millis(30));
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        a.write_all(b"x").unwrap();
        a
    });
    let start = Instant::now();
    assert_eq!(dp_poll(&mut device, 4, -1), [(b.as_raw_fd(), POLLIN)]);
    assert!(start.elapsed() >= Duration::from_millis(40));
    drop(writer.join().unwrap());
}

/// "EINTR A signal was caught during the execution of the ioctl(2) function."
#[test]
fn a_signal_interrupts_dp_poll() {
    let mut device = device();
    let (_a, b) = pair();
    device
        .write_pollfds(&[entry(b.as_raw_fd(), POLLIN)])
        .unwrap();
    let start = Instant::now();
    let mut results = [PollFd::default(); 4];
    let result = interrupted(|| device.dp_poll(&mut results, 10_000));
    assert_eq!(result.unwrap_err().raw_os_error(), Some(libc::EINTR));
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// A write of more entries than the process may have fds fails with EINVAL and
/// changes nothing.
#[test]
fn oversized_writes_are_invalid() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit to fill in.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur > 1 << 22 {
        eprintln!("RLIMIT_NOFILE too high to write that many entries: skipped");
        return;
    }
    let mut device = device();
    let (_a, b) = pair();
    let batch = vec![entry(b.as_raw_fd(), POLLOUT); limit.rlim_cur as usize + 1];
    let err = device.write_pollfds(&batch).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(device.cached(b.as_raw_fd()), None);
}

// ---------------------------------------------------------------------------------------
// The poller on a device that records its writes and can fail them.

thread_local! {
    /// Every entry written, in order.
    static WRITTEN: RefCell<Vec<(RawFd, i16)>> = const { RefCell::new(Vec::new()) };
    /// A write holding an entry of this fd fails with EIO, before any entry of it.
    static FAILING_FD: Cell<RawFd> = const { Cell::new(-1) };
}

fn written() -> Vec<(RawFd, i16)> {
    WRITTEN.with_borrow_mut(std::mem::take)
}

#[derive(Debug)]
struct RecordingDevice(SimDevpoll);

impl DevpollSystem for RecordingDevice {
    fn open() -> io::Result<Self> {
        SimDevpoll::open().map(RecordingDevice)
    }
    fn write_pollfds(&mut self, entries: &[PollFd]) -> io::Result<usize> {
        let failing = FAILING_FD.get();
        if let Some(at) = entries.iter().position(|e| e.fd == failing) {
            // As the driver does on a VOP_POLL error: the entries before took effect.
            self.0.write_pollfds(&entries[..at])?;
            WRITTEN.with_borrow_mut(|w| w.extend(entries[..at].iter().map(|e| (e.fd, e.events))));
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        WRITTEN.with_borrow_mut(|w| w.extend(entries.iter().map(|e| (e.fd, e.events))));
        self.0.write_pollfds(entries)
    }
    fn dp_poll(&mut self, results: &mut [PollFd], timeout_ms: i32) -> io::Result<usize> {
        self.0.dp_poll(results, timeout_ms)
    }
}

fn poller() -> Devpoll<RecordingDevice> {
    written();
    FAILING_FD.set(-1);
    Devpoll::new(&Options::default()).unwrap()
}

/// Changes are written in one batch at the wait, folded per fd; fewer events are a
/// POLLREMOVE and the remaining events.
#[test]
fn pollremove_then_readd_with_fewer_events() {
    let mut poller = poller();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, READ | WRITE).unwrap();
    assert_eq!(written(), [], "nothing before the wait");
    a.write_all(b"x").unwrap();
    assert_eq!(ready_now(&mut poller), [(fd, READ_WRITE)]);
    assert_eq!(written(), [(fd, POLLIN | POLLOUT)]);
    poller.change(fd, READ | WRITE, READ).unwrap();
    assert_eq!(ready_now(&mut poller), [(fd, Readiness::READ)]);
    assert_eq!(written(), [(fd, POLLREMOVE), (fd, POLLIN)]);
    assert_eq!(poller.system().0.cached(fd), Some(POLLIN));
    // More events: OR-ed in, no removal.
    poller.change(fd, READ, READ | WRITE).unwrap();
    assert_eq!(ready_now(&mut poller), [(fd, READ_WRITE)]);
    assert_eq!(written(), [(fd, POLLIN | POLLOUT)]);
    poller.change(fd, READ | WRITE, NONE).unwrap();
    assert_eq!(idle(&mut poller), []);
    assert_eq!(written(), [(fd, POLLREMOVE)]);
    assert_eq!(poller.system().0.cached(fd), None);
}

/// Changes that cancel out write nothing; adding an fd twice writes it once.
#[test]
fn folded_and_duplicate_changes() {
    let mut poller = poller();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    poller.change(fd, NONE, WRITE).unwrap();
    poller.change(fd, NONE, WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::WRITE)]);
    assert_eq!(written(), [(fd, POLLOUT)]);
    poller.change(fd, NONE, WRITE).unwrap();
    poller.change(fd, WRITE, NONE).unwrap();
    poller.change(fd, NONE, WRITE).unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::WRITE)]);
    assert_eq!(written(), []);
}

/// A closed fd reports POLLNVAL, read as ready, at every wait until it is removed; a
/// reused number is polled on its new file with the old events.
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
    let (mut c, d) = pair();
    drop(b);
    assert_eq!(idle(&mut poller), [(fd, READ_WRITE)]);
    assert_eq!(idle(&mut poller), [(fd, READ_WRITE)]);
    // Reused, not told: the new file is watched for READ.
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    assert_eq!(idle(&mut poller), []);
    c.write_all(b"x").unwrap();
    assert_eq!(idle(&mut poller), [(fd, Readiness::READ)]);
    // Told by removal: nothing more.
    poller.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut poller), []);
    // SAFETY: `fd` is this test's own descriptor now.
    unsafe { libc::close(fd) };
}

/// A closed fd among the changes of one batch: the write succeeds, the others take
/// effect, the closed one reads as ready (POLLNVAL).
#[test]
fn a_closed_fd_in_the_batch_spoils_nothing() {
    let mut poller = poller();
    let (_a, b) = pair();
    let (c, d) = pair();
    let Some(d) = private(d) else {
        return;
    };
    let (_e, f) = pair();
    let closed = d.as_raw_fd();
    for fd in [b.as_raw_fd(), closed, f.as_raw_fd()] {
        poller.change(fd, NONE, WRITE).unwrap();
    }
    drop((c, d));
    let expected = sorted(vec![
        (b.as_raw_fd(), Readiness::WRITE),
        (closed, READ_WRITE),
        (f.as_raw_fd(), Readiness::WRITE),
    ]);
    assert_eq!(idle(&mut poller), expected);
    assert_eq!(written().len(), 3, "one write of three entries");
}

/// A write that fails halfway is retried fd by fd: the good changes take effect, and
/// the refused fd reads as ready and is retried at every wait until it holds.
#[test]
fn a_batch_that_fails_halfway() {
    let mut poller = poller();
    let (_a, b) = pair();
    let (mut c, d) = pair();
    let (_e, f) = pair();
    let refused = d.as_raw_fd();
    poller.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    poller.change(refused, NONE, READ).unwrap();
    poller.change(f.as_raw_fd(), NONE, WRITE).unwrap();
    FAILING_FD.set(refused);
    let expected = sorted(vec![
        (b.as_raw_fd(), Readiness::WRITE),
        (refused, READ_WRITE),
        (f.as_raw_fd(), Readiness::WRITE),
    ]);
    let start = Instant::now();
    assert_eq!(ready(&mut poller, Duration::from_secs(10)), expected);
    assert_eq!(ready(&mut poller, Duration::from_secs(10)), expected);
    assert!(start.elapsed() < Duration::from_secs(5), "reported at once");
    assert_eq!(poller.system().0.cached(refused), None);
    FAILING_FD.set(-1);
    written();
    let writable = sorted(vec![
        (b.as_raw_fd(), Readiness::WRITE),
        (f.as_raw_fd(), Readiness::WRITE),
    ]);
    assert_eq!(idle(&mut poller), writable);
    // Whether the failed write cached anything is unknown: removed first.
    assert_eq!(written(), [(refused, POLLREMOVE), (refused, POLLIN)]);
    c.write_all(b"x").unwrap();
    let mut all = writable.clone();
    all.push((refused, Readiness::READ));
    assert_eq!(idle(&mut poller), sorted(all));
    // Removed while refused: nothing is reported for it.
    FAILING_FD.set(refused);
    poller.change(refused, READ, READ | WRITE).unwrap();
    assert!(idle(&mut poller).contains(&(refused, READ_WRITE)));
    poller.change(refused, READ | WRITE, NONE).unwrap();
    FAILING_FD.set(-1);
    assert_eq!(idle(&mut poller), writable);
}

/// A wait that fills the report buffer doubles it: 32, then 64, then all 100.
#[test]
fn report_buffer_grows() {
    let mut poller = poller();
    let pairs: Vec<_> = (0..100).map(|_| pair()).collect();
    for (_, b) in &pairs {
        poller.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    }
    let counts: Vec<usize> = (0..4).map(|_| idle(&mut poller).len()).collect();
    assert_eq!(counts, [32, 64, 100, 100]);
}

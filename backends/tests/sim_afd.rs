//! The wepoll poller on the simulated AFD driver: the requests it makes, cancellation,
//! closed and reused sockets, duplicate registrations; and the simulation itself
//! against what wepoll and mio document of `IOCTL_AFD_POLL`.
#![cfg(target_os = "linux")]

use std::cell::RefCell;
use std::io::{self, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use evrs_backends::iocp::{
    Afd, AfdPollHandleInfo, AfdPollInfo, AfdSystem, Completion, IoStatusBlock, PollRequest,
    AFD_POLL_ABORT, AFD_POLL_ACCEPT, AFD_POLL_CONNECT_FAIL, AFD_POLL_DISCONNECT,
    AFD_POLL_LOCAL_CLOSE, AFD_POLL_RECEIVE, AFD_POLL_SEND, STATUS_CANCELLED, STATUS_PENDING,
    STATUS_SUCCESS,
};
use evrs_backends::sim::afd::SimAfd;
use evrs_backends::{Interest, Options, Poller, Readiness};

mod support;
use support::{
    connect_loopback, dup_onto, idle, nonblocking_tcp_socket, pair, pipe, ready_now, NONE, READ,
    READ_WRITE, WRITE,
};

const ALWAYS: u32 = AFD_POLL_LOCAL_CLOSE | AFD_POLL_ABORT | AFD_POLL_CONNECT_FAIL;

fn poller() -> Afd<SimAfd> {
    Afd::new(&Options::default()).unwrap()
}

// ---------------------------------------------------------------------------------------
// What the poller asks of the driver, seen through a recording stand-in.

/// What the recording stand-in saw, per test thread.
#[derive(Default)]
struct Log {
    /// Copies of the submitted requests.
    submitted: Vec<PollRequest>,
    cancels: usize,
    /// An error for the next submission.
    refuse_next: Option<i32>,
    /// Requests the driver held when the poller was dropped.
    in_flight_at_drop: Option<usize>,
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::default();
}

/// The simulation, recording what the poller does.
struct Recording(SimAfd);

impl AfdSystem for Recording {
    fn open() -> io::Result<Self> {
        SimAfd::open().map(Recording)
    }
    fn base_handle(&mut self, socket: RawFd) -> io::Result<usize> {
        self.0.base_handle(socket)
    }
    unsafe fn submit_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<()> {
        // SAFETY: not in flight yet, so reading it races with nothing.
        let copy = unsafe { *request.as_ptr() };
        let refusal = LOG.with_borrow_mut(|log| {
            log.submitted.push(copy);
            log.refuse_next.take()
        });
        if let Some(errno) = refusal {
            return Err(io::Error::from_raw_os_error(errno));
        }
        // SAFETY: passed on under the caller's guarantee.
        unsafe { self.0.submit_poll(request) }
    }
    unsafe fn cancel_poll(&mut self, request: NonNull<PollRequest>) -> io::Result<bool> {
        LOG.with_borrow_mut(|log| log.cancels += 1);
        // SAFETY: passed on under the caller's guarantee.
        unsafe { self.0.cancel_poll(request) }
    }
    fn get_completions(
        &mut self,
        entries: &mut [Completion],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        self.0.get_completions(entries, timeout)
    }
    fn is_closed_handle(err: &io::Error) -> bool {
        SimAfd::is_closed_handle(err)
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let left = self.0.requests_in_flight();
        LOG.with_borrow_mut(|log| log.in_flight_at_drop = Some(left));
    }
}

fn submitted() -> Vec<PollRequest> {
    LOG.with_borrow_mut(|log| std::mem::take(&mut log.submitted))
}

fn cancels() -> usize {
    LOG.with_borrow(|log| log.cancels)
}

#[test]
fn requests_are_one_socket_with_wepolls_events() {
    let mut afd = Afd::<Recording>::new(&Options::default()).unwrap();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    for (interest, expected) in [
        (
            READ,
            AFD_POLL_RECEIVE | AFD_POLL_ACCEPT | AFD_POLL_DISCONNECT,
        ),
        (WRITE, AFD_POLL_SEND),
        (Interest::CLOSED, AFD_POLL_DISCONNECT),
    ] {
        afd.change(fd, NONE, interest).unwrap();
        afd.wait(Some(Duration::ZERO), |_, _| ()).unwrap();
        let requests = submitted();
        let request = requests.last().expect("a request");
        assert_eq!(
            request.info,
            AfdPollInfo {
                timeout: i64::MAX,
                number_of_handles: 1,
                exclusive: 0,
                handles: [AfdPollHandleInfo {
                    handle: fd as usize,
                    events: ALWAYS | expected,
                    status: 0,
                }],
            },
            "{interest:?}"
        );
        assert_eq!(request.socket, fd);
        assert_eq!(request.io_status.status, STATUS_PENDING);
        afd.change(fd, interest, NONE).unwrap();
        afd.wait(Some(Duration::ZERO), |_, _| ()).unwrap();
    }
    assert_eq!(afd.sockets_known(), 0);
}

#[test]
fn a_narrower_interest_keeps_the_request_a_wider_one_replaces_it() {
    let mut afd = Afd::<Recording>::new(&Options::default()).unwrap();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(submitted().len(), 1);
    // READ asks for DISCONNECT already, so CLOSED is covered, and so is less.
    afd.change(fd, READ, READ | Interest::CLOSED).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    afd.change(fd, READ | Interest::CLOSED, Interest::CLOSED)
        .unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!((cancels(), submitted().len()), (0, 0), "covered: kept");
    // SEND was not asked for: cancelled and asked again.
    afd.change(fd, Interest::CLOSED, WRITE).unwrap();
    assert_eq!(idle(&mut afd), vec![(fd, Readiness::WRITE)]);
    assert_eq!(cancels(), 1);
    let requests = submitted();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].info.handles[0].events, ALWAYS | AFD_POLL_SEND);
    // Data nobody watches now is not reported.
    a.write_all(b"x").unwrap();
    afd.change(fd, WRITE, Interest::CLOSED).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
}

#[test]
fn a_refused_request_reads_as_an_error_a_closed_socket_is_forgotten() {
    let mut afd = Afd::<Recording>::new(&Options::default()).unwrap();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    LOG.with_borrow_mut(|log| log.refuse_next = Some(libc::ENOMEM));
    assert_eq!(idle(&mut afd), vec![(fd, READ_WRITE)]);
    assert_eq!(afd.sockets_known(), 0);
    // Watched again by the caller: a new entry.
    afd.change(fd, READ, READ | WRITE).unwrap();
    assert_eq!(idle(&mut afd), vec![(fd, Readiness::WRITE)]);
    // Closed before the request went out: silently forgotten.
    afd.change(fd, READ | WRITE, READ).unwrap();
    LOG.with_borrow_mut(|log| log.refuse_next = Some(libc::EBADF));
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.sockets_known(), 0);
}

#[test]
fn dropping_the_poller_takes_every_request_back() {
    let pairs: Vec<_> = (0..4).map(|_| pair()).collect();
    {
        let mut afd = Afd::<Recording>::new(&Options::default()).unwrap();
        for (_, b) in &pairs {
            afd.change(b.as_raw_fd(), NONE, READ).unwrap();
        }
        assert_eq!(idle(&mut afd), vec![]);
        assert_eq!(afd.requests_in_flight(), 4);
        // One removed, its cancellation not yet dequeued.
        afd.change(pairs[0].1.as_raw_fd(), READ, NONE).unwrap();
    }
    assert_eq!(LOG.with_borrow(|log| log.in_flight_at_drop), Some(0));
}

// ---------------------------------------------------------------------------------------
// Cancellation, closes and duplicates through the poller.

#[test]
fn remove_then_readd_before_the_cancelled_completion_arrives() {
    let mut afd = poller();
    afd.system().delay_cancellations = true;
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    afd.change(fd, READ, NONE).unwrap();
    // The cancellation goes out; its completion is not back yet.
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.system().cancelled, 1);
    assert_eq!(afd.requests_in_flight(), 1);
    assert_eq!(
        afd.sockets_known(),
        1,
        "kept until the kernel gives it back"
    );
    afd.change(fd, NONE, READ).unwrap();
    a.write_all(b"x").unwrap();
    assert_eq!(ready_now(&mut afd), vec![(fd, Readiness::READ)]);
    assert_eq!(
        afd.system().most_per_socket,
        1,
        "never a second request on one socket"
    );
    // And removed for good.
    afd.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.sockets_known(), 0);
    assert_eq!(afd.requests_in_flight(), 0);
}

#[test]
fn a_change_while_a_request_is_out_cancels_and_resubmits() {
    let mut afd = poller();
    afd.system().delay_cancellations = true;
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    afd.change(fd, READ, READ | WRITE).unwrap();
    // Cancelled now, completed next time, then asked again with SEND: writable.
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(idle(&mut afd), vec![(fd, Readiness::WRITE)]);
    a.write_all(b"x").unwrap();
    assert_eq!(ready_now(&mut afd), vec![(fd, READ_WRITE)]);
    assert_eq!(afd.system().cancelled, 1);
    assert_eq!(afd.system().most_per_socket, 1);
}

#[test]
fn a_closed_socket_completes_with_local_close_and_is_forgotten() {
    let mut afd = poller();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.requests_in_flight(), 1);
    drop(b);
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.requests_in_flight(), 0);
    assert_eq!(afd.sockets_known(), 0);
    // The caller's removal afterwards is fine.
    afd.change(fd, READ, NONE).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
}

#[test]
fn a_reused_socket_number_ends_the_old_request() {
    let mut afd = poller();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    // Another socket takes the number, readable at once; not told.
    let (mut c, d) = pair();
    c.write_all(b"x").unwrap();
    dup_onto(d.as_raw_fd(), fd);
    drop(d);
    // Like epoll, the registration ended with the file it was for.
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.sockets_known(), 0);
    // Told: watched again.
    afd.change(fd, READ, NONE).unwrap();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![(fd, Readiness::READ)]);
}

#[test]
fn duplicate_registrations() {
    let mut afd = poller();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    // Added twice: one entry, one request.
    afd.change(fd, NONE, READ).unwrap();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    assert_eq!(afd.sockets_known(), 1);
    assert_eq!(afd.requests_in_flight(), 1);
    // A second descriptor of the same socket is a socket of its own to AFD.
    // SAFETY: dup of a descriptor this test owns; the result is checked.
    let copy = unsafe { libc::dup(fd) };
    assert!(copy >= 0);
    // SAFETY: a new descriptor owned by nothing else.
    let copy = unsafe { OwnedFd::from_raw_fd(copy) };
    afd.change(copy.as_raw_fd(), NONE, READ).unwrap();
    a.write_all(b"x").unwrap();
    let mut expected = vec![(fd, Readiness::READ), (copy.as_raw_fd(), Readiness::READ)];
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(ready_now(&mut afd), expected);
    assert_eq!(afd.requests_in_flight(), 0);
}

#[test]
fn non_sockets_and_bad_numbers_are_refused() {
    let mut afd = poller();
    let (reader, _writer) = pipe();
    let err = afd.change(reader.as_raw_fd(), NONE, READ).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOTSOCK));
    let err = afd.change(-1, NONE, READ).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let (_a, b) = pair();
    let err = afd
        .change(b.as_raw_fd(), NONE, READ | Interest::EDGE)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert_eq!(afd.sockets_known(), 0);
}

#[test]
fn a_listening_socket_reports_a_connection_to_accept() {
    let mut afd = poller();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let fd = listener.as_raw_fd();
    afd.change(fd, NONE, READ).unwrap();
    assert_eq!(idle(&mut afd), vec![]);
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_eq!(ready_now(&mut afd), vec![(fd, Readiness::READ)]);
}

// ---------------------------------------------------------------------------------------
// The simulation against the documented driver.

fn request_for(fd: RawFd, events: u32) -> NonNull<PollRequest> {
    let request = Box::new(PollRequest {
        io_status: IoStatusBlock::default(),
        info: AfdPollInfo {
            timeout: i64::MAX,
            number_of_handles: 1,
            exclusive: 0,
            handles: [AfdPollHandleInfo {
                handle: fd as usize,
                events,
                status: 0,
            }],
        },
        socket: fd,
    });
    NonNull::from(Box::leak(request))
}

/// The request back from the driver, freed.
fn take(request: NonNull<PollRequest>) -> PollRequest {
    // SAFETY: made by `request_for`, and the driver handed it back.
    *unsafe { Box::from_raw(request.as_ptr()) }
}

fn submit(afd: &mut SimAfd, request: NonNull<PollRequest>) -> io::Result<()> {
    // SAFETY: the test does not touch the request until its completion is dequeued.
    unsafe { afd.submit_poll(request) }
}

fn dequeue(afd: &mut SimAfd, room: usize, timeout: Duration) -> Vec<Completion> {
    let mut entries = vec![Completion::default(); room];
    let n = afd.get_completions(&mut entries, Some(timeout)).unwrap();
    entries.truncate(n);
    entries
}

#[test]
fn sim_a_ready_socket_completes_at_once_with_only_the_events_asked_for() {
    let mut afd = SimAfd::open().unwrap();
    let (mut a, b) = pair();
    a.write_all(b"x").unwrap();
    let request = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE | AFD_POLL_LOCAL_CLOSE);
    submit(&mut afd, request).unwrap();
    assert_eq!(afd.queued_completions(), 1);
    let completions = dequeue(&mut afd, 8, Duration::ZERO);
    assert_eq!(completions.len(), 1);
    assert_eq!(completions[0].key, 0);
    assert_eq!(completions[0].request, request.as_ptr() as usize);
    let done = take(request);
    assert_eq!(done.io_status.status, STATUS_SUCCESS);
    assert_eq!(done.info.number_of_handles, 1);
    // Writable too, but SEND was not asked for.
    assert_eq!(done.info.handles[0].events, AFD_POLL_RECEIVE);
}

#[test]
fn sim_a_request_waits_for_its_event() {
    let mut afd = SimAfd::open().unwrap();
    let (mut a, b) = pair();
    let request = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE);
    submit(&mut afd, request).unwrap();
    assert_eq!(dequeue(&mut afd, 8, Duration::ZERO), vec![]);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        a.write_all(b"x").unwrap();
        a
    });
    let completions = dequeue(&mut afd, 8, Duration::from_secs(5));
    assert_eq!(completions.len(), 1);
    assert_eq!(take(request).info.handles[0].events, AFD_POLL_RECEIVE);
    drop(writer.join().unwrap());
}

#[test]
fn sim_cancelling() {
    let mut afd = SimAfd::open().unwrap();
    let (_a, b) = pair();
    let request = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE);
    submit(&mut afd, request).unwrap();
    // SAFETY: in flight.
    assert!(unsafe { afd.cancel_poll(request) }.unwrap());
    let completions = dequeue(&mut afd, 8, Duration::ZERO);
    assert_eq!(completions.len(), 1);
    let done = take(request);
    assert_eq!(done.io_status.status, STATUS_CANCELLED);
    assert_eq!(done.io_status.information, 0);
    // The output was not written.
    assert_eq!(done.info.handles[0].events, AFD_POLL_RECEIVE);

    // Completed already: STATUS_NOT_FOUND, and the completion still comes.
    let request = request_for(b.as_raw_fd(), AFD_POLL_SEND);
    submit(&mut afd, request).unwrap();
    // SAFETY: submitted, not dequeued.
    assert!(!unsafe { afd.cancel_poll(request) }.unwrap());
    assert_eq!(dequeue(&mut afd, 8, Duration::ZERO).len(), 1);
    let done = take(request);
    assert_eq!(done.io_status.status, STATUS_SUCCESS);
    assert_eq!(done.info.handles[0].events, AFD_POLL_SEND);
}

#[test]
fn sim_two_requests_on_one_socket_both_complete() {
    let mut afd = SimAfd::open().unwrap();
    let (mut a, b) = pair();
    let first = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE);
    let second = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE | AFD_POLL_DISCONNECT);
    submit(&mut afd, first).unwrap();
    submit(&mut afd, second).unwrap();
    assert_eq!(afd.most_per_socket, 2);
    a.write_all(b"x").unwrap();
    let mut done: Vec<usize> = dequeue(&mut afd, 8, Duration::from_secs(5))
        .iter()
        .map(|c| c.request)
        .collect();
    done.sort();
    let mut expected = vec![first.as_ptr() as usize, second.as_ptr() as usize];
    expected.sort();
    assert_eq!(done, expected);
    assert_eq!(take(first).info.handles[0].events, AFD_POLL_RECEIVE);
    assert_eq!(take(second).info.handles[0].events, AFD_POLL_RECEIVE);
}

#[test]
fn sim_closing_the_socket_completes_with_local_close() {
    let mut afd = SimAfd::open().unwrap();
    let (_a, b) = pair();
    let asked = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE | AFD_POLL_LOCAL_CLOSE);
    let not_asked = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE);
    submit(&mut afd, asked).unwrap();
    submit(&mut afd, not_asked).unwrap();
    drop(b);
    assert_eq!(dequeue(&mut afd, 8, Duration::ZERO).len(), 2);
    let done = take(asked);
    assert_eq!(done.io_status.status, STATUS_SUCCESS);
    assert_eq!(done.info.number_of_handles, 1);
    assert_eq!(done.info.handles[0].events, AFD_POLL_LOCAL_CLOSE);
    // Not asked for: completes without events.
    assert_eq!(take(not_asked).info.number_of_handles, 0);
}

#[test]
fn sim_a_reused_number_is_a_close() {
    let mut afd = SimAfd::open().unwrap();
    let (_a, b) = pair();
    let request = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE | AFD_POLL_LOCAL_CLOSE);
    submit(&mut afd, request).unwrap();
    let (_c, d) = pair();
    dup_onto(d.as_raw_fd(), b.as_raw_fd());
    assert_eq!(dequeue(&mut afd, 8, Duration::ZERO).len(), 1);
    assert_eq!(take(request).info.handles[0].events, AFD_POLL_LOCAL_CLOSE);
}

#[test]
fn sim_refusals() {
    let mut afd = SimAfd::open().unwrap();
    let (_a, b) = pair();
    let (reader, _writer) = pipe();
    assert_eq!(
        afd.base_handle(reader.as_raw_fd())
            .unwrap_err()
            .raw_os_error(),
        Some(libc::ENOTSOCK)
    );
    assert_eq!(
        afd.base_handle(1 << 20).unwrap_err().raw_os_error(),
        Some(libc::EBADF)
    );
    assert_eq!(
        afd.base_handle(b.as_raw_fd()).unwrap(),
        b.as_raw_fd() as usize
    );
    for (fd, errno) in [(reader.as_raw_fd(), libc::ENOTSOCK), (1 << 20, libc::EBADF)] {
        let request = request_for(fd, AFD_POLL_RECEIVE);
        let err = submit(&mut afd, request).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(errno));
        take(request);
    }
    let request = request_for(b.as_raw_fd(), AFD_POLL_RECEIVE);
    // SAFETY: not submitted yet, so the test may still write it.
    unsafe { (*request.as_ptr()).info.number_of_handles = 0 };
    assert_eq!(
        submit(&mut afd, request).unwrap_err().raw_os_error(),
        Some(libc::EINVAL)
    );
    take(request);
    assert_eq!(afd.requests_in_flight(), 0);
    assert_eq!(dequeue(&mut afd, 8, Duration::ZERO), vec![]);
}

#[test]
fn sim_dequeues_at_most_the_room_given_in_order() {
    let mut afd = SimAfd::open().unwrap();
    let pairs: Vec<_> = (0..3).map(|_| pair()).collect();
    let requests: Vec<_> = pairs
        .iter()
        .map(|(_, b)| request_for(b.as_raw_fd(), AFD_POLL_SEND))
        .collect();
    for &request in &requests {
        submit(&mut afd, request).unwrap();
    }
    let first = dequeue(&mut afd, 2, Duration::ZERO);
    let second = dequeue(&mut afd, 2, Duration::ZERO);
    let order: Vec<usize> = first.iter().chain(&second).map(|c| c.request).collect();
    let expected: Vec<usize> = requests.iter().map(|r| r.as_ptr() as usize).collect();
    assert_eq!(order, expected);
    assert_eq!((first.len(), second.len()), (2, 1));
    for request in requests {
        take(request);
    }
    let mut none: [Completion; 0] = [];
    assert!(afd
        .get_completions(&mut none, Some(Duration::ZERO))
        .is_err());
}

#[test]
fn sim_an_empty_port_waits_for_the_timeout() {
    let mut afd = SimAfd::open().unwrap();
    let start = Instant::now();
    assert_eq!(dequeue(&mut afd, 4, Duration::from_millis(30)), vec![]);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn sim_events_of_connections() {
    let mut afd = SimAfd::open().unwrap();
    let all = AFD_POLL_RECEIVE
        | AFD_POLL_SEND
        | AFD_POLL_DISCONNECT
        | AFD_POLL_ABORT
        | AFD_POLL_CONNECT_FAIL
        | AFD_POLL_ACCEPT
        | AFD_POLL_LOCAL_CLOSE;
    let mut events_now = |fd: RawFd, events: u32| {
        let request = request_for(fd, events);
        submit(&mut afd, request).unwrap();
        let got = dequeue(&mut afd, 1, Duration::from_secs(5));
        assert_eq!(got.len(), 1);
        take(request).info.handles[0].events
    };

    // A graceful close by the peer, nothing left to read: DISCONNECT, no RECEIVE.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        events_now(server.as_raw_fd(), all),
        AFD_POLL_DISCONNECT | AFD_POLL_SEND
    );
    // Closed with data still to read: RECEIVE as well.
    (&server).write_all(b"x").unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        events_now(client.as_raw_fd(), AFD_POLL_RECEIVE | AFD_POLL_DISCONNECT),
        AFD_POLL_RECEIVE | AFD_POLL_DISCONNECT
    );

    // A listener with a connection waiting: ACCEPT.
    let _waiting = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_eq!(events_now(listener.as_raw_fd(), all), AFD_POLL_ACCEPT);

    // A connect refused: CONNECT_FAIL.
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let socket = nonblocking_tcp_socket();
    // Refused at once or in progress: either way the failure is what is polled for.
    let _ = connect_loopback(socket.as_raw_fd(), port);
    let events = events_now(socket.as_raw_fd(), AFD_POLL_CONNECT_FAIL | AFD_POLL_ABORT);
    assert_ne!(events & AFD_POLL_CONNECT_FAIL, 0, "{events:#x}");
}

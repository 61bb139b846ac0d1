//! kqueue: first the simulated kernel against FreeBSD's kqueue(2) page, so that it can
//! be trusted, then the poller on it in the cases kqueue users are known to get wrong:
//! closed and reused fds, duplicate registrations, change lists that fail halfway,
//! deletes after close, widowed pipes, edge/level switches.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use evrs_backends::kqueue::{
    KEvent, Kqueue, KqueueSystem, EVFILT_READ, EVFILT_WRITE, EV_ADD, EV_CLEAR, EV_DELETE,
    EV_DISABLE, EV_DISPATCH, EV_ENABLE, EV_EOF, EV_ERROR, EV_ONESHOT, EV_RECEIPT,
};
use evrs_backends::sim::kqueue::SimKqueue;
use evrs_backends::{Interest, Options, Poller, Readiness};

mod support;
use support::{
    dup_onto, dup_private, idle, pair, pipe, ready, ready_now, NONE, READ, READ_WRITE, WRITE,
};

fn change(fd: RawFd, filter: i16, flags: u16) -> KEvent {
    KEvent {
        ident: fd as usize,
        filter,
        flags,
        ..KEvent::default()
    }
}

fn queue() -> SimKqueue {
    SimKqueue::kqueue().unwrap()
}

/// Applies `changes` with receipts, so that no event is drained; returns the
/// receipts of the changes that failed.
fn apply(kq: &mut SimKqueue, changes: &[KEvent]) -> Vec<KEvent> {
    let with_receipts: Vec<KEvent> = changes
        .iter()
        .map(|c| KEvent {
            flags: c.flags | EV_RECEIPT,
            ..*c
        })
        .collect();
    let mut out = vec![KEvent::default(); changes.len()];
    let n = kq.kevent(&with_receipts, &mut out, None).unwrap();
    assert_eq!(n, changes.len(), "one receipt per change");
    out.retain(|entry| errno_of(entry) != 0);
    out
}

/// Reports of one call without changes, after at most `timeout`.
fn reports(kq: &mut SimKqueue, timeout: Duration) -> Vec<KEvent> {
    let mut out = vec![KEvent::default(); 16];
    let n = kq.kevent(&[], &mut out, Some(timeout)).unwrap();
    out.truncate(n);
    out
}

fn now(kq: &mut SimKqueue) -> Vec<KEvent> {
    reports(kq, Duration::ZERO)
}

fn soon(kq: &mut SimKqueue) -> Vec<KEvent> {
    reports(kq, Duration::from_secs(5))
}

/// (ident, filter) of each report.
fn keys(events: &[KEvent]) -> Vec<(usize, i16)> {
    events.iter().map(|e| (e.ident, e.filter)).collect()
}

fn errno_of(entry: &KEvent) -> i32 {
    assert_ne!(entry.flags & EV_ERROR, 0, "{entry:?}");
    entry.data as i32
}

// ---------------------------------------------------------------------------------------
// The simulation against the manual page.

/// "EV_ADD: Adds the event to the kqueue. Re-adding an existing event will modify the
/// parameters of the original event, and not result in a duplicate entry."
#[test]
fn add_twice_modifies_without_duplicate() {
    let mut kq = queue();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    let mut first = change(fd, EVFILT_READ, EV_ADD);
    first.udata = 7;
    let mut second = first;
    second.udata = 8;
    assert_eq!(apply(&mut kq, &[first, second]), vec![]);
    assert_eq!(kq.note_count(), 1);
    a.write_all(b"abc").unwrap();
    let got = soon(&mut kq);
    assert_eq!(keys(&got), vec![(fd as usize, EVFILT_READ)]);
    assert_eq!(got[0].udata, 8, "the second add updated the note");
    // "data: Returns the number of bytes in the socket buffer."
    assert_eq!(got[0].data, 3);
}

/// "EV_DELETE: Removes the event from the kqueue." Deleting what is not there: ENOENT.
#[test]
fn delete_removes_and_missing_is_enoent() {
    let mut kq = queue();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ADD)]);
    assert_eq!(keys(&now(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
    assert_eq!(
        apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_DELETE)]),
        vec![]
    );
    assert_eq!(now(&mut kq), vec![]);
    let answer = apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_DELETE)]);
    assert_eq!(answer.len(), 1);
    assert_eq!(errno_of(&answer[0]), libc::ENOENT);
    assert_eq!(answer[0].ident, fd as usize);
    assert_eq!(answer[0].filter, EVFILT_WRITE);
    // "Otherwise, -1 will be returned": no room for the error.
    let err = kq
        .kevent(&[change(fd, EVFILT_WRITE, EV_DELETE)], &mut [], None)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
}

/// "EV_RECEIPT ... useful for making bulk changes to a kqueue without draining any
/// pending events. When passed as input, it forces EV_ERROR to always be returned.
/// When a filter is successfully added the data field will be zero."
#[test]
fn receipts_answer_every_change_and_drain_nothing() {
    let mut kq = queue();
    let (_a, b) = pair();
    let (_c, d) = pair();
    apply(&mut kq, &[change(b.as_raw_fd(), EVFILT_WRITE, EV_ADD)]);
    let changes = [
        change(d.as_raw_fd(), EVFILT_WRITE, EV_ADD | EV_RECEIPT),
        change(d.as_raw_fd(), EVFILT_READ, EV_DELETE | EV_RECEIPT),
        change(d.as_raw_fd(), EVFILT_READ, EV_ADD | EV_RECEIPT),
    ];
    let mut answer = [KEvent::default(); 8];
    assert_eq!(kq.kevent(&changes, &mut answer, None).unwrap(), 3);
    let errnos: Vec<i32> = answer[..3].iter().map(errno_of).collect();
    assert_eq!(errnos, [0, libc::ENOENT, 0]);
    // `b` was writable all along, yet nothing was drained: both report now.
    let mut expected = vec![
        (b.as_raw_fd() as usize, EVFILT_WRITE),
        (d.as_raw_fd() as usize, EVFILT_WRITE),
    ];
    expected.sort();
    assert_eq!(keys(&now(&mut kq)), expected);
}

/// A failed change is answered in place and the wait is skipped; without receipts a
/// successful change is not answered, and the call goes on to wait.
#[test]
fn errors_skip_the_wait_successes_do_not() {
    let mut kq = queue();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    let mut out = vec![KEvent::default(); 4];
    let n = kq
        .kevent(&[change(fd, EVFILT_WRITE, EV_ADD)], &mut out, None)
        .unwrap();
    assert_eq!(keys(&out[..n]), vec![(fd as usize, EVFILT_WRITE)]);
    assert_eq!(out[0].flags & EV_ERROR, 0);
    let start = Instant::now();
    let n = kq
        .kevent(&[change(fd, EVFILT_READ, EV_DELETE)], &mut out, None)
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(errno_of(&out[0]), libc::ENOENT);
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// "If an error occurs while processing an element of the changelist and there is
/// enough room in the eventlist, then the event will be placed in the eventlist with
/// EV_ERROR set": the other changes take effect.
#[test]
fn one_bad_change_among_good_ones() {
    let (_a, b) = pair();
    let (_c, d) = pair();
    let Some(closed) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let bad = closed.as_raw_fd();
    drop(closed);
    let batch = [
        change(b.as_raw_fd(), EVFILT_WRITE, EV_ADD),
        change(bad, EVFILT_WRITE, EV_ADD),
        change(d.as_raw_fd(), EVFILT_WRITE, EV_ADD),
    ];

    let mut kq = queue();
    let mut answer = [KEvent::default(); 3];
    // Only the failure is answered, and the call does not wait.
    assert_eq!(kq.kevent(&batch, &mut answer, None).unwrap(), 1);
    assert_eq!(answer[0].ident, bad as usize);
    assert_eq!(errno_of(&answer[0]), libc::EBADF);
    assert!(kq.has_note(b.as_raw_fd(), EVFILT_WRITE));
    assert!(kq.has_note(d.as_raw_fd(), EVFILT_WRITE));
    assert_eq!(kq.note_count(), 2);

    // No room: the call fails with the error, the changes before it took effect and
    // those after it did not (FreeBSD stops at the failing one).
    let mut kq = queue();
    let err = kq.kevent(&batch, &mut [], None).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    assert!(kq.has_note(b.as_raw_fd(), EVFILT_WRITE));
    assert!(!kq.has_note(d.as_raw_fd(), EVFILT_WRITE));
}

/// "EV_ONESHOT: Causes the event to return only the first occurrence of the filter
/// being triggered. After the user retrieves the event from the kqueue, it is deleted."
#[test]
fn oneshot_reports_once_then_is_gone() {
    let mut kq = queue();
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_READ, EV_ADD | EV_ONESHOT)]);
    assert_eq!(now(&mut kq), vec![]);
    a.write_all(b"x").unwrap();
    let got = soon(&mut kq);
    assert_eq!(keys(&got), vec![(fd as usize, EVFILT_READ)]);
    assert_ne!(got[0].flags & EV_ONESHOT, 0);
    assert!(!kq.has_note(fd, EVFILT_READ));
    assert_eq!(now(&mut kq), vec![], "still readable, but deleted");
    let answer = apply(&mut kq, &[change(fd, EVFILT_READ, EV_DELETE)]);
    assert_eq!(errno_of(&answer[0]), libc::ENOENT);
}

/// "EV_CLEAR: After the event is retrieved by the user, its state is reset." Each new
/// arrival is one report, even one that leaves the byte count where it was.
#[test]
fn clear_reports_each_new_event_once() {
    let mut kq = queue();
    let (mut a, mut b) = pair();
    let fd = b.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_READ, EV_ADD | EV_CLEAR)]);
    assert_eq!(now(&mut kq), vec![]);
    a.write_all(b"x").unwrap();
    assert_eq!(soon(&mut kq)[0].data, 1);
    assert_eq!(now(&mut kq), vec![], "no new event");
    // Read one, write one: the count is the same, the event is new.
    let mut byte = [0u8; 1];
    b.read_exact(&mut byte).unwrap();
    a.write_all(b"y").unwrap();
    let got = soon(&mut kq);
    assert_eq!(keys(&got), vec![(fd as usize, EVFILT_READ)]);
    assert_eq!(got[0].data, 1);
    assert_eq!(now(&mut kq), vec![]);
    // Consumed before anyone looked: the condition is gone, so is the event.
    a.write_all(b"z").unwrap();
    b.read_exact(&mut byte).unwrap();
    b.read_exact(&mut byte).unwrap();
    assert_eq!(now(&mut kq), vec![]);
    // Data present when the note is made is reported at once.
    let (mut c, d) = pair();
    c.write_all(b"early").unwrap();
    apply(
        &mut kq,
        &[change(d.as_raw_fd(), EVFILT_READ, EV_ADD | EV_CLEAR)],
    );
    assert_eq!(
        keys(&now(&mut kq)),
        vec![(d.as_raw_fd() as usize, EVFILT_READ)]
    );
    assert_eq!(now(&mut kq), vec![]);
    // A second EV_ADD evaluates the note again.
    apply(&mut kq, &[change(d.as_raw_fd(), EVFILT_READ, EV_ADD)]);
    assert_eq!(
        keys(&now(&mut kq)),
        vec![(d.as_raw_fd() as usize, EVFILT_READ)]
    );
    // ... and kept EV_CLEAR: no level reports.
    assert_eq!(now(&mut kq), vec![]);
}

/// Writes are edges too: room freed by the reader is a new event.
#[test]
fn clear_on_writes_reports_freed_room() {
    let mut kq = queue();
    let (mut a, b) = pair();
    a.set_nonblocking(true).unwrap();
    let fd = a.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ADD | EV_CLEAR)]);
    assert_eq!(keys(&now(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
    assert_eq!(now(&mut kq), vec![]);
    // Fill the buffer, then let the reader take it all.
    let chunk = [0u8; 4096];
    while a.write(&chunk).is_ok() {}
    assert_eq!(now(&mut kq), vec![]);
    let mut reader = b;
    reader.set_nonblocking(true).unwrap();
    let mut sink = vec![0u8; 1 << 16];
    while reader.read(&mut sink).map(|n| n > 0).unwrap_or(false) {}
    assert_eq!(keys(&soon(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
}

/// "EV_DISABLE: Disable the event so kevent() will not return it. The filter itself is
/// not disabled." "EV_ENABLE: Permit kevent() to return the event if it is triggered."
/// "EV_DISPATCH: Disable the event source immediately after delivery of an event."
#[test]
fn disable_enable_dispatch() {
    let mut kq = queue();
    let (_a, b) = pair();
    let fd = b.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ADD | EV_DISABLE)]);
    assert!(kq.has_note(fd, EVFILT_WRITE));
    assert_eq!(now(&mut kq), vec![]);
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ENABLE)]);
    assert_eq!(keys(&now(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_DISABLE)]);
    assert_eq!(now(&mut kq), vec![]);
    // Enabling a note that does not exist: ENOENT.
    let answer = apply(&mut kq, &[change(fd, EVFILT_READ, EV_ENABLE)]);
    assert_eq!(errno_of(&answer[0]), libc::ENOENT);

    let (_c, d) = pair();
    let fd = d.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ADD | EV_DISPATCH)]);
    assert_eq!(keys(&now(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
    assert_eq!(now(&mut kq), vec![], "disabled after delivery");
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ENABLE)]);
    assert_eq!(keys(&now(&mut kq)), vec![(fd as usize, EVFILT_WRITE)]);
}

/// "Calling close() on a file descriptor will remove any kevents that reference the
/// descriptor." A change naming a closed fd: EBADF. A reused number is a new file.
#[test]
fn close_drops_notes_and_reuse_is_a_new_file() {
    let mut kq = queue();
    let (mut a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let fd = high.as_raw_fd();
    apply(
        &mut kq,
        &[
            change(fd, EVFILT_READ, EV_ADD),
            change(fd, EVFILT_WRITE, EV_ADD),
        ],
    );
    assert_eq!(kq.note_count(), 2);
    drop(high);
    a.write_all(b"x").unwrap();
    // `b` keeps the file open, but this fd's notes went with the fd.
    assert_eq!(now(&mut kq), vec![]);
    assert_eq!(kq.note_count(), 0);
    for (filter, flags) in [(EVFILT_READ, EV_DELETE), (EVFILT_WRITE, EV_ADD)] {
        let answer = apply(&mut kq, &[change(fd, filter, flags)]);
        assert_eq!(errno_of(&answer[0]), libc::EBADF);
    }
    // Another file under the same number: nothing is registered for it.
    let (_c, d) = pair();
    dup_onto(d.as_raw_fd(), fd);
    // SAFETY: `fd` is this test's own descriptor again.
    let _reused = unsafe { OwnedFd::from_raw_fd(fd) };
    assert_eq!(now(&mut kq), vec![]);
    let answer = apply(&mut kq, &[change(fd, EVFILT_READ, EV_DELETE)]);
    assert_eq!(errno_of(&answer[0]), libc::ENOENT);
}

/// Same number, other file, between two calls: the old notes are gone even though the
/// number is open again.
#[test]
fn notes_of_a_replaced_file_are_gone() {
    let mut kq = queue();
    let (_a, b) = pair();
    let Some(high) = dup_private(b.as_raw_fd()) else {
        return;
    };
    let fd = high.as_raw_fd();
    apply(&mut kq, &[change(fd, EVFILT_WRITE, EV_ADD)]);
    let (reader, _writer) = pipe();
    // dup2 closes the old file under the number and puts the pipe's reader there.
    dup_onto(reader.as_raw_fd(), fd);
    assert_eq!(now(&mut kq), vec![], "a pipe's reader is not writable");
    assert!(!kq.has_note(fd, EVFILT_WRITE));
    drop(high);
}

/// EV_EOF: "If the read direction of the socket has shutdown, then the filter also
/// sets EV_EOF in flags"; a pipe's writer whose reader is gone is at EOF too, and its
/// write filter cannot be added any more (EPIPE).
#[test]
fn eof_and_widowed_pipes() {
    let mut kq = queue();
    let (a, b) = pair();
    apply(&mut kq, &[change(b.as_raw_fd(), EVFILT_READ, EV_ADD)]);
    a.shutdown(std::net::Shutdown::Write).unwrap();
    let got = soon(&mut kq);
    assert_eq!(keys(&got), vec![(b.as_raw_fd() as usize, EVFILT_READ)]);
    assert_ne!(got[0].flags & EV_EOF, 0);

    let (reader, writer) = pipe();
    apply(&mut kq, &[change(writer.as_raw_fd(), EVFILT_WRITE, EV_ADD)]);
    drop(reader);
    let got = soon(&mut kq);
    let mine: Vec<&KEvent> = got
        .iter()
        .filter(|e| e.ident == writer.as_raw_fd() as usize)
        .collect();
    assert_eq!(mine.len(), 1);
    assert_ne!(mine[0].flags & EV_EOF, 0);
    apply(
        &mut kq,
        &[change(writer.as_raw_fd(), EVFILT_WRITE, EV_DELETE)],
    );
    let answer = apply(&mut kq, &[change(writer.as_raw_fd(), EVFILT_WRITE, EV_ADD)]);
    assert_eq!(errno_of(&answer[0]), libc::EPIPE);
}

#[test]
fn unknown_filters_and_idents() {
    let mut kq = queue();
    let (_a, b) = pair();
    let answer = apply(&mut kq, &[change(b.as_raw_fd(), -9, EV_ADD)]);
    assert_eq!(errno_of(&answer[0]), libc::EINVAL);
    let answer = apply(&mut kq, &[change(-1i32 as RawFd, EVFILT_READ, EV_ADD)]);
    assert_eq!(answer[0].ident, usize::MAX);
    assert_eq!(errno_of(&answer[0]), libc::EBADF);
}

/// A wait with nothing to report ends at its timeout, not before.
#[test]
fn wait_times_out() {
    let mut kq = queue();
    let (_a, b) = pair();
    apply(&mut kq, &[change(b.as_raw_fd(), EVFILT_READ, EV_ADD)]);
    let start = Instant::now();
    assert_eq!(reports(&mut kq, Duration::from_millis(30)), vec![]);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

// ---------------------------------------------------------------------------------------
// The poller on the simulation.

fn poller(batched: bool) -> Kqueue<SimKqueue> {
    let options = Options {
        use_changelist: batched,
        ..Options::default()
    };
    Kqueue::new(&options).unwrap()
}

/// Closed and replaced by another file without the poller being told: the next change
/// (which only adds a direction) must bring back the read note the kernel dropped.
#[test]
fn closed_and_reused_fd_gets_all_its_notes_back() {
    for batched in [false, true] {
        let mut kq = poller(batched);
        let (_a, b) = pair();
        let Some(high) = dup_private(b.as_raw_fd()) else {
            return;
        };
        let fd = high.as_raw_fd();
        kq.change(fd, NONE, READ).unwrap();
        assert_eq!(idle(&mut kq), vec![]);
        let (mut c, d) = pair();
        dup_onto(d.as_raw_fd(), fd);
        drop(d);
        kq.change(fd, READ, READ | WRITE).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::WRITE)], "{batched}");
        assert!(kq.system().has_note(fd, EVFILT_READ), "{batched}");
        c.write_all(b"x").unwrap();
        assert_eq!(ready_now(&mut kq), vec![(fd, READ_WRITE)], "{batched}");
        drop(high);
    }
}

/// The caller says "not watched" twice: the second add finds the note and updates it.
#[test]
fn duplicate_registration_is_one_note() {
    for batched in [false, true] {
        let mut kq = poller(batched);
        let (mut a, b) = pair();
        let fd = b.as_raw_fd();
        kq.change(fd, NONE, READ).unwrap();
        kq.change(fd, NONE, READ).unwrap();
        a.write_all(b"x").unwrap();
        assert_eq!(ready_now(&mut kq), vec![(fd, Readiness::READ)]);
        assert_eq!(kq.system().note_count(), 1);
        kq.change(fd, READ, NONE).unwrap();
        assert_eq!(idle(&mut kq), vec![]);
        assert_eq!(kq.system().note_count(), 0);
    }
}

/// Batched changes where one fd was closed before the wait: the others take effect,
/// the wait still waits, and the caller's later changes to the bad fd succeed.
#[test]
fn batch_with_one_bad_fd() {
    let mut kq = poller(true);
    let (_a, b) = pair();
    let (_c, d) = pair();
    let (mut e, f) = pair();
    let Some(high) = dup_private(d.as_raw_fd()) else {
        return;
    };
    let bad = high.as_raw_fd();
    kq.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    kq.change(bad, NONE, READ | WRITE).unwrap();
    kq.change(f.as_raw_fd(), NONE, READ).unwrap();
    drop(high);
    e.write_all(b"x").unwrap();
    let mut expected = vec![
        (b.as_raw_fd(), Readiness::WRITE),
        (f.as_raw_fd(), Readiness::READ),
    ];
    expected.sort_by_key(|&(fd, _)| fd);
    assert_eq!(idle(&mut kq), expected);
    assert_eq!(kq.system().note_count(), 2);
    kq.change(bad, READ | WRITE, NONE).unwrap();
    assert_eq!(idle(&mut kq), expected);

    // Only a failing change: the kernel answers without waiting; the poller waits.
    kq.change(b.as_raw_fd(), WRITE, NONE).unwrap();
    kq.change(f.as_raw_fd(), READ, NONE).unwrap();
    let (_g, h) = pair();
    let Some(high) = dup_private(h.as_raw_fd()) else {
        return;
    };
    let bad = high.as_raw_fd();
    kq.change(bad, NONE, READ).unwrap();
    drop(high);
    let start = Instant::now();
    assert_eq!(ready(&mut kq, Duration::from_millis(50)), vec![]);
    assert!(start.elapsed() >= Duration::from_millis(50));
}

/// Without batching, a change that fails halfway is undone: the error means nothing
/// changed, and the caller's tracking (still `old`) stays right.
#[test]
fn failed_change_is_rolled_back() {
    let mut kq = poller(false);
    let (mut a, b) = pair();
    let fd = b.as_raw_fd();
    a.write_all(b"x").unwrap();
    kq.system_mut()
        .refuse_new_notes(Some((EVFILT_WRITE, libc::ENOMEM)));

    // NONE -> READ | WRITE: the read note made first is removed again.
    let err = kq.change(fd, NONE, READ | WRITE).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
    assert_eq!(kq.system().note_count(), 0);
    assert_eq!(idle(&mut kq), vec![]);

    // READ -> READ | WRITE: the read note stays.
    kq.change(fd, NONE, READ).unwrap();
    assert!(kq.change(fd, READ, READ | WRITE).is_err());
    assert!(kq.system().has_note(fd, EVFILT_READ));
    assert!(!kq.system().has_note(fd, EVFILT_WRITE));
    assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)]);

    // READ -> WRITE: the read note, deleted first, comes back.
    assert!(kq.change(fd, READ, WRITE).is_err());
    assert!(kq.system().has_note(fd, EVFILT_READ));
    assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)]);

    kq.system_mut().refuse_new_notes(None);
    kq.change(fd, READ, WRITE).unwrap();
    assert_eq!(idle(&mut kq), vec![(fd, Readiness::WRITE)]);
}

/// libevent adds its deletes for closed fds to the change list; the kernel says EBADF
/// (or ENOENT once the number is reused), which means the goal is reached.
#[test]
fn delete_after_close() {
    for batched in [false, true] {
        let mut kq = poller(batched);
        let (_a, b) = pair();
        let Some(high) = dup_private(b.as_raw_fd()) else {
            return;
        };
        let fd = high.as_raw_fd();
        kq.change(fd, NONE, READ | WRITE).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::WRITE)]);
        drop(high);
        kq.change(fd, READ | WRITE, NONE).unwrap();
        assert_eq!(idle(&mut kq), vec![]);
        // Reused before the delete.
        let (_c, d) = pair();
        let Some(high) = dup_private(d.as_raw_fd()) else {
            return;
        };
        let fd = high.as_raw_fd();
        kq.change(fd, NONE, WRITE).unwrap();
        drop(high);
        dup_onto(b.as_raw_fd(), fd);
        // SAFETY: `fd` is this test's own descriptor again.
        let _reused = unsafe { OwnedFd::from_raw_fd(fd) };
        kq.change(fd, WRITE, NONE).unwrap();
        assert_eq!(idle(&mut kq), vec![]);
    }
}

/// Watching the writer of a pipe whose reader is gone: the kernel refuses the note
/// (EPIPE); the poller reports the fd at each wait so that a write meets the error,
/// and stops when the fd is no longer watched.
#[test]
fn widowed_pipe_is_reported() {
    for batched in [false, true] {
        let mut kq = poller(batched);
        let (reader, writer) = pipe();
        drop(reader);
        let fd = writer.as_raw_fd();
        kq.change(fd, NONE, WRITE).unwrap();
        for _ in 0..2 {
            assert_eq!(idle(&mut kq), vec![(fd, READ_WRITE)], "{batched}");
        }
        kq.change(fd, WRITE, NONE).unwrap();
        assert_eq!(idle(&mut kq), vec![], "{batched}");
        // Edge-triggered: once.
        let edge = WRITE | Interest::EDGE;
        kq.change(fd, NONE, edge).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, READ_WRITE)], "{batched}");
        assert_eq!(idle(&mut kq), vec![], "{batched}");
    }
}

/// Level to edge and back on a watched fd: delete and add, so the note really changes.
#[test]
fn switching_between_level_and_edge() {
    for batched in [false, true] {
        let mut kq = poller(batched);
        let (mut a, b) = pair();
        let fd = b.as_raw_fd();
        a.write_all(b"x").unwrap();
        kq.change(fd, NONE, READ).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)]);
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)]);
        let edge = READ | Interest::EDGE;
        kq.change(fd, READ, edge).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)], "{batched}");
        assert_eq!(idle(&mut kq), vec![], "{batched}: edge");
        kq.change(fd, edge, READ).unwrap();
        assert_eq!(idle(&mut kq), vec![(fd, Readiness::READ)], "{batched}");
        assert_eq!(
            idle(&mut kq),
            vec![(fd, Readiness::READ)],
            "{batched}: level"
        );
    }
}

/// More ready fds than the report buffer holds: every one is reported over the next
/// waits, and the buffer grows.
#[test]
fn many_ready_fds() {
    let mut kq = poller(false);
    let pairs: Vec<_> = (0..150).map(|_| pair()).collect();
    for (_, b) in &pairs {
        kq.change(b.as_raw_fd(), NONE, WRITE).unwrap();
    }
    let counts: Vec<usize> = (0..3).map(|_| idle(&mut kq).len()).collect();
    assert_eq!(counts, [64, 128, 150]);
}

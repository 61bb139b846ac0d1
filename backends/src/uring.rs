//! Linux io_uring(7), for readiness only: poll requests on the caller's fds.
//!
//! A poll request is a kernel object that holds its own reference to the file, so it
//! is tied to the *file* the fd named when it was submitted, and survives a close of
//! the fd. Callers only know fd numbers. So a change that asks for more than the fd's
//! request watches cancels it (`POLL_REMOVE` by tag) and submits a new one on whatever
//! the number names now, and so does adding an fd again after removing it: that is how
//! a closed and reopened fd, or one `dup2`'ed over, gets watched again. A request
//! watches for everything asked since it was submitted, so interest going back and
//! forth within that (a write event added and deleted, as bufferevents do all the
//! time) needs no new request: the next wait checks the fd's state instead. A change
//! that stops watching an fd cancels its request at once (see below).
//!
//! Each request carries a tag (`user_data`): the fd and a per-fd generation, bumped for
//! every new request, so completions of cancelled or replaced requests are recognised
//! and ignored; a wait woken only by such completions waits on for the rest of its
//! time.
//!
//! Every request is multishot (`IORING_POLL_ADD_MULTI`): it reports the fd's state at
//! once if it is ready, then once per wakeup, and stays armed; it is re-armed when the
//! kernel ends it (a completion without `IORING_CQE_F_MORE`: an error, or a completion
//! queue too full to take more). That is edge triggering (`Interest::EDGE`). For level
//! triggering (libevent's default) an fd reported by one wait must be reported by the
//! next one too while it stays ready, though no new wakeup comes: so the next wait
//! first checks the fds that the previous one reported with one poll(2) call, without
//! blocking, and does not block itself when one of them is still ready. (A one-shot
//! request re-armed after each report would do the same check, but costs the kernel
//! a new request, a file reference and a wait-queue entry per report.) The kernel
//! always adds POLLRDHUP to what a request waits for; unasked for, it is not reported.
//!
//! Changes are recorded by [`Poller::change`] and submitted by the next wait, in the
//! same `io_uring_enter` that waits, with the timeout as its `EXT_ARG`; only a change
//! that stops watching an fd cancels its request at once, because the caller may close
//! the fd next and the request would keep the file open (a peer would not see the
//! close) until a wait that may never come. So every poll request is submitted by the
//! thread that waits: the kernel completes a poll request through task work of the
//! thread that submitted it, and a request left with another thread would depend on
//! that thread entering the kernel. When the waiting thread changes, every request is
//! submitted again from the new one. A child process after `fork` gets a ring of its
//! own at its first wait, because the parent's is shared memory (libevent asks for
//! `event_reinit`, which replaces the poller anyway).
//!
//! What differs from epoll: adding a closed fd is not refused at once (the request
//! fails when submitted and the fd is then silently not watched, as with epoll's
//! changelist); an fd closed without telling the poller keeps its file open until the
//! caller removes that fd, because the request holds a reference; and an fd `dup2`'ed
//! over without telling stays watched on its old file until a change asks for more
//! than its request watches (libevent asks for `event_del` before either).

use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use io_uring::{cqueue, opcode, squeue, types, IoUring};

use crate::poll::{fd_table_len, grow_table};
use crate::{Features, Interest, Options, Poller, Readiness};

/// Submission queue entries: changes beyond this are submitted in several calls.
const SUBMISSION_ENTRIES: u32 = 128;
/// Completion queue entries. More completions than this between two waits go to the
/// kernel's overflow list (nothing is lost), and multishot requests end and are
/// re-armed.
const COMPLETION_ENTRIES: u32 = 1024;
/// The tag of `POLL_REMOVE` requests, whose own completions are ignored. No request of
/// an fd has it: its fd half would be 0xffff_ffff, and fds are below 2^31.
const REMOVE_TAG: u64 = u64::MAX;
/// The longest single wait, in seconds: the kernel adds the timeout to the current time
/// without checking for overflow, so a larger one could end the wait at once. A wait
/// that ends after 68 years with nothing to report just makes the caller wait again.
const MAX_WAIT_SECS: u64 = i32::MAX as u64;
/// `IORING_ENTER_GETEVENTS`.
const ENTER_GETEVENTS: u32 = 1;

/// `Slot::flags`: a request is in the kernel under the slot's generation.
const LIVE: u8 = 1;
/// `Slot::flags`: the fd is in `Uring::queued`, to be re-armed at the next wait.
const QUEUED: u8 = 2;
/// `Slot::flags`: the fd is in `Uring::recheck`.
const RECHECK: u8 = 4;
/// What a request can watch for.
const WATCHABLE: Interest =
    Interest::from_bits(Interest::READ.bits() | Interest::WRITE.bits() | Interest::CLOSED.bits());

/// What the poller knows of one fd number.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    /// What the caller wants now.
    interest: Interest,
    /// What the live (or next) request watches for: everything the caller asked for
    /// since it was submitted, so that interest going back and forth within it (a
    /// write event added and deleted again) needs no new request.
    armed: Interest,
    /// Found by this wait's completions and not yet reported.
    ready: Readiness,
    flags: u8,
    /// Bumped for every request submitted for this fd.
    generation: u32,
}

impl Slot {
    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Incremented in every child process right after `fork`, so a poller can tell that
/// it now runs in a child (reading it costs nothing, unlike `getpid`).
static FORKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_fork_in_child() {
    // Async-signal-safe: one atomic add.
    FORKS.fetch_add(1, Ordering::Relaxed);
}

fn watch_forks() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: the handler only adds to an atomic, which is safe in a child after
        // fork; registration failing (ENOMEM) only loses the fork detection.
        unsafe { libc::pthread_atfork(None, None, Some(count_fork_in_child)) };
    });
}

/// The calling thread, compared with the one whose requests are in the kernel.
fn this_thread() -> libc::pthread_t {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    unsafe { libc::pthread_self() }
}

/// A poller on one io_uring instance.
pub struct Uring {
    ring: IoUring,
    /// Per fd number.
    slots: Vec<Slot>,
    /// fds whose request must be replaced (or dropped) at the next wait.
    queued: Vec<RawFd>,
    /// fds with readiness in their slot, in the order found.
    reported: Vec<RawFd>,
    /// Level-triggered fds reported by the last wait, and fds whose interest changed
    /// within what their request watches: the next wait checks their state.
    recheck: Vec<RawFd>,
    /// The poll(2) array of that check (kept for its capacity).
    pollfds: Vec<libc::pollfd>,
    /// `POLL_REMOVE` completions can be skipped when successful (kernel 5.17).
    skip_success: bool,
    /// The thread that submitted the live requests.
    submitter: libc::pthread_t,
    /// `FORKS` when the ring was made.
    forks: u64,
}

impl fmt::Debug for Uring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Uring")
            .field("slots", &self.slots.len())
            .field("queued", &self.queued.len())
            .finish_non_exhaustive()
    }
}

/// The poll(2) mask asking for `interest`, as a poll request takes it.
fn poll_mask(interest: Interest) -> u32 {
    // The bits are those of a `short`; the request's field is 32 bits wide.
    u32::from(crate::poll::poll_events(interest) as u16)
}

/// What a completed poll's `mask` means to a caller watching for `interest`; empty
/// when it woke only for what the caller does not want now (POLLRDHUP, which the
/// kernel adds on its own, or what the request watches beyond the interest).
///
/// As with epoll, an error or hang-up reads as `READ | WRITE`, so that whoever watches
/// the fd tries it and meets the error.
fn readiness(mask: u32, interest: Interest) -> Readiness {
    let has = |bit: libc::c_short| mask & bit as u16 as u32 != 0;
    let mut ready = Readiness::NONE;
    if has(libc::POLLERR) || has(libc::POLLHUP) || has(libc::POLLNVAL) {
        ready = Readiness::READ | Readiness::WRITE;
    }
    if has(libc::POLLIN) && interest.contains(Interest::READ) {
        ready |= Readiness::READ;
    }
    if has(libc::POLLOUT) && interest.contains(Interest::WRITE) {
        ready |= Readiness::WRITE;
    }
    if has(libc::POLLRDHUP) && interest.contains(Interest::CLOSED) {
        ready |= Readiness::CLOSED;
    }
    ready
}

/// True when `interest` needs a kernel request (EDGE alone watches nothing).
fn watches(interest: Interest) -> bool {
    interest.intersects(Interest::READ | Interest::WRITE | Interest::CLOSED)
}

fn tag(fd: RawFd, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(fd as u32)
}

/// The fd and generation of a request's tag.
fn untag(user_data: u64) -> (usize, u32) {
    ((user_data & 0xffff_ffff) as usize, (user_data >> 32) as u32)
}

/// A new ring, with the kernel features the poller needs; an error when io_uring is
/// missing, refused (ENOSYS; EPERM from `kernel.io_uring_disabled` or seccomp) or too
/// old, so that the caller moves on to the next method.
fn new_ring() -> io::Result<IoUring> {
    // Cooperative task running spares interrupting the loop while it runs callbacks
    // (kernel 5.19); submit-all keeps a batch going past a request that fails (5.18).
    // Older kernels refuse the flags: then without them.
    let mut builder = IoUring::builder();
    builder
        .setup_cqsize(COMPLETION_ENTRIES)
        .setup_coop_taskrun()
        .setup_submit_all();
    let ring = match builder.build(SUBMISSION_ENTRIES) {
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => IoUring::builder()
            .setup_cqsize(COMPLETION_ENTRIES)
            .build(SUBMISSION_ENTRIES)?,
        other => other?,
    };
    let params = ring.params();
    // Timeouts ride on the wait (EXT_ARG, kernel 5.11). Multishot poll came with
    // kernel 5.13, which announced nothing for it; resource tagging, new in the same
    // release, stands for it.
    if !params.is_feature_ext_arg()
        || !params.is_feature_resource_tagging()
        || !params.is_feature_nodrop()
    {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    Ok(ring)
}

impl Uring {
    /// Has the next wait check `fd`'s state.
    fn mark_for_check(recheck: &mut Vec<RawFd>, slot: &mut Slot, fd: RawFd) {
        if !slot.has(RECHECK) {
            slot.flags |= RECHECK;
            recheck.push(fd);
        }
    }

    /// Queues `fd` to have its request replaced at the next wait.
    fn queue(queued: &mut Vec<RawFd>, slot: &mut Slot, fd: RawFd) {
        if !slot.has(QUEUED) {
            slot.flags |= QUEUED;
            queued.push(fd);
        }
    }

    /// Puts one entry in the submission queue, submitting what is there when it is
    /// full.
    fn push(&mut self, entry: &squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: poll add and remove entries point to no memory of ours.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return Ok(());
            }
            match self.ring.submit() {
                Ok(_) => {}
                // Completions are backing up (old kernels): take them in first.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {
                    self.take_completions();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The entry that cancels the request tagged `tag`.
    fn remove_entry(&self, tag: u64) -> squeue::Entry {
        let remove = opcode::PollRemove::new(tag).build().user_data(REMOVE_TAG);
        if self.skip_success {
            remove.flags(squeue::Flags::SKIP_SUCCESS)
        } else {
            remove
        }
    }

    /// Cancels the request tagged `tag` now rather than at the next wait.
    fn remove_now(&mut self, tag: u64) -> io::Result<()> {
        let remove = self.remove_entry(tag);
        self.push(&remove)?;
        loop {
            match self.ring.submit() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Left in the queue: the next wait submits it.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {
                    return Ok(())
                }
                other => return other.map(drop),
            }
        }
    }

    /// Replaces the request of every queued fd by one for its current interest.
    fn submit_changes(&mut self) -> io::Result<()> {
        let mut position = 0;
        while position < self.queued.len() {
            let fd = self.queued[position];
            position += 1;
            let slot = self.slots[fd as usize];
            if slot.has(LIVE) {
                let remove = self.remove_entry(tag(fd, slot.generation));
                self.push(&remove)?;
            }
            let slot = &mut self.slots[fd as usize];
            slot.flags &= !(LIVE | QUEUED);
            if !watches(slot.interest) {
                continue;
            }
            slot.generation = slot.generation.wrapping_add(1);
            slot.flags |= LIVE;
            let add = opcode::PollAdd::new(types::Fd(fd), poll_mask(slot.armed))
                .multi(true)
                .build()
                .user_data(tag(fd, slot.generation));
            self.push(&add)?;
        }
        self.queued.clear();
        Ok(())
    }

    /// Takes every completion into the slots; fds found ready go to `reported`.
    fn take_completions(&mut self) {
        let Uring {
            ring,
            slots,
            queued,
            reported,
            ..
        } = self;
        for cqe in ring.completion() {
            let user_data = cqe.user_data();
            if user_data == REMOVE_TAG {
                continue;
            }
            let (fd, generation) = untag(user_data);
            let Some(slot) = slots.get_mut(fd) else {
                continue;
            };
            // A request cancelled or replaced since: its completions are stale.
            if !slot.has(LIVE) || slot.generation != generation {
                continue;
            }
            let ended = !cqueue::more(cqe.flags());
            if ended {
                slot.flags &= !LIVE;
            }
            let result = cqe.result();
            if result < 0 {
                // Cancelled by the kernel itself: ask again. Any other error (EBADF for
                // an fd closed before its request was submitted, EINVAL...) would fail
                // again; the fd stays unwatched until the caller changes it.
                if result == -libc::ECANCELED && ended {
                    Self::queue(queued, slot, fd as RawFd);
                }
                continue;
            }
            let ready = readiness(result as u32, slot.interest);
            if !ready.is_empty() {
                if slot.ready.is_empty() {
                    reported.push(fd as RawFd);
                }
                slot.ready |= ready;
            }
            if ended {
                Self::queue(queued, slot, fd as RawFd);
            }
        }
    }

    /// Checks, without blocking, whether the level-triggered fds that the last wait
    /// reported, and those whose interest changed within what their request watches,
    /// are ready; those that are go to `reported`. True if any did.
    fn check_levels(&mut self) -> io::Result<bool> {
        self.pollfds.clear();
        for &fd in &self.recheck {
            let slot = &mut self.slots[fd as usize];
            slot.flags &= !RECHECK;
            // A queued fd gets a new request, which reports its state by itself.
            if slot.has(LIVE) && !slot.has(QUEUED) && watches(slot.interest) {
                self.pollfds.push(libc::pollfd {
                    fd,
                    events: poll_mask(slot.interest) as libc::c_short,
                    revents: 0,
                });
            }
        }
        self.recheck.clear();
        if self.pollfds.is_empty() {
            return Ok(false);
        }
        // SAFETY: `pollfds` holds that many initialised entries.
        let n = unsafe {
            libc::poll(
                self.pollfds.as_mut_ptr(),
                self.pollfds.len() as libc::nfds_t,
                0,
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(err)
            };
        }
        let mut found = false;
        for entry in &self.pollfds {
            // POLLNVAL: closed without telling; its request holds the old file, whose
            // own wakeups still come through it.
            if entry.revents == 0 || entry.revents & libc::POLLNVAL != 0 {
                continue;
            }
            let slot = &mut self.slots[entry.fd as usize];
            let ready = readiness(entry.revents as u16 as u32, slot.interest);
            if !ready.is_empty() {
                if slot.ready.is_empty() {
                    self.reported.push(entry.fd);
                }
                slot.ready |= ready;
                found = true;
            }
        }
        Ok(found)
    }

    /// Submits the queued changes and waits for a completion or the timeout. True when
    /// the kernel said the wait ended without one (timeout, signal); it cannot say so
    /// when the same call submitted something.
    fn enter(&mut self, timeout: Option<Duration>) -> io::Result<bool> {
        let result = match timeout {
            None => self.ring.submitter().submit_and_wait(1),
            Some(t) if t.is_zero() => {
                let pending = self.ring.submission().len() as u32;
                // GETEVENTS with nothing to wait for still runs the task work that
                // posts completions, and flushes an overflow.
                // SAFETY: no argument is passed, and the flags are valid for enter.
                unsafe {
                    self.ring
                        .submitter()
                        .enter::<libc::sigset_t>(pending, 0, ENTER_GETEVENTS, None)
                }
            }
            Some(t) => {
                let spec = types::Timespec::new()
                    .sec(t.as_secs().min(MAX_WAIT_SECS))
                    .nsec(t.subsec_nanos());
                let args = types::SubmitArgs::new().timespec(&spec);
                self.ring.submitter().submit_with_args(1, &args)
            }
        };
        match result {
            Ok(_) => Ok(false),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME | libc::EINTR)) => Ok(true),
            // Completions are backing up (old kernels): they are taken in next.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Takes every completion, flushing the kernel's overflow list as it goes.
    fn take_all_completions(&mut self) -> io::Result<()> {
        self.take_completions();
        // Bounded: each round frees the whole queue for the overflow list.
        for _ in 0..64 {
            if !self.ring.submission().cq_overflow() {
                break;
            }
            match self.ring.submitter().submit_and_wait(0) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {}
                Err(e) => return Err(e),
            }
            self.take_completions();
        }
        Ok(())
    }

    /// After a fork, a ring of the child's own; after a change of waiting thread,
    /// every request submitted again by this one.
    fn adopt(&mut self) -> io::Result<()> {
        let forks = FORKS.load(Ordering::Relaxed);
        let me = this_thread();
        let new_process = forks != self.forks;
        // SAFETY: comparing two thread ids has no preconditions.
        let new_thread = unsafe { libc::pthread_equal(me, self.submitter) } == 0;
        if !new_process && !new_thread {
            return Ok(());
        }
        if new_process {
            // The parent's requests stay the parent's; dropping the shared ring only
            // unmaps it here and closes this process's descriptor.
            self.ring = new_ring()?;
            self.forks = forks;
        }
        self.submitter = me;
        for fd in 0..self.slots.len() {
            let slot = &mut self.slots[fd];
            if new_process {
                slot.flags &= !LIVE;
            }
            if slot.has(LIVE) || watches(slot.interest) {
                Self::queue(&mut self.queued, slot, fd as RawFd);
            }
        }
        Ok(())
    }

    /// Submits changes, waits, and leaves the ready fds in `reported`.
    fn wait_ready(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.adopt()?;
        let deadline = timeout
            .filter(|t| !t.is_zero())
            .and_then(|t| Instant::now().checked_add(t));
        let mut timeout = timeout;
        if !self.recheck.is_empty() && self.check_levels()? {
            timeout = Some(Duration::ZERO);
        }
        loop {
            if !self.queued.is_empty() {
                self.submit_changes()?;
            }
            let ended_empty = self.enter(timeout)?;
            self.take_all_completions()?;
            if !self.reported.is_empty() || ended_empty || timeout == Some(Duration::ZERO) {
                return Ok(());
            }
            // Woken only by completions of cancelled requests, or for POLLRDHUP
            // alone: wait for the rest of the time. (A signal during a wait that
            // also submitted is not seen here; the next one is.)
            if let Some(deadline) = deadline {
                let now = Instant::now();
                if now >= deadline {
                    return Ok(());
                }
                timeout = Some(deadline - now);
            }
        }
    }
}

impl Poller for Uring {
    const NAME: &'static str = "io_uring";
    // As epoll's: edge triggering and early close.
    const FEATURES: Features = Features::from_bits(
        Features::ET.bits() | Features::O1.bits() | Features::EARLY_CLOSE.bits(),
    );

    fn new(_options: &Options) -> io::Result<Self> {
        watch_forks();
        let ring = new_ring()?;
        let skip_success = ring.params().is_feature_skip_cqe_on_success();
        Ok(Uring {
            ring,
            slots: Vec::new(),
            queued: Vec::new(),
            reported: Vec::new(),
            recheck: Vec::new(),
            pollfds: Vec::new(),
            skip_success,
            submitter: this_thread(),
            forks: FORKS.load(Ordering::Relaxed),
        })
    }

    fn change(&mut self, fd: RawFd, _old: Interest, new: Interest) -> io::Result<()> {
        let index =
            usize::try_from(fd).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        if index >= self.slots.len() {
            if !watches(new) {
                // Never watched here: nothing to stop.
                return Ok(());
            }
            let len = fd_table_len(fd, self.slots.len(), index + 1)?;
            grow_table(&mut self.slots, len, Slot::default())?;
        }
        let slot = &mut self.slots[index];
        slot.interest = new;
        if !watches(new) && slot.has(LIVE) {
            // The caller may close the fd next, and until its request is cancelled the
            // file would stay open (a peer would not see the close), perhaps for good
            // if no wait comes: cancelled now, by itself (a queued change, if any,
            // then has nothing to do).
            slot.flags &= !LIVE;
            let live = tag(fd, slot.generation);
            if FORKS.load(Ordering::Relaxed) != self.forks {
                // A child after fork: the ring and the request are the parent's.
                return Ok(());
            }
            return self.remove_now(live);
        }
        if !watches(new) {
            return Ok(());
        }
        let wanted = Interest::from_bits(new.bits() & WATCHABLE.bits());
        if !slot.has(LIVE) {
            slot.armed = wanted;
        } else if !slot.has(QUEUED) && slot.armed.contains(wanted) {
            // The request watches for all of it already: only the next wait's check of
            // the fd's state, for what is wanted now (as epoll re-checks on a change).
            // So an fd closed or dup2'ed over without telling (libevent asks for
            // event_del first) stays watched on its old file until a change asks for
            // more or goes through NONE.
            Self::mark_for_check(&mut self.recheck, slot, fd);
            return Ok(());
        } else {
            slot.armed |= wanted;
        }
        Self::queue(&mut self.queued, slot, fd);
        Ok(())
    }

    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        self.wait_ready(timeout)?;
        for &fd in &self.reported {
            let slot = &mut self.slots[fd as usize];
            let ready = std::mem::take(&mut slot.ready);
            if !slot.interest.contains(Interest::EDGE) {
                Self::mark_for_check(&mut self.recheck, slot, fd);
            }
            on_ready(fd, ready);
        }
        self.reported.clear();
        Ok(())
    }

    fn wait_into(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut Vec<(RawFd, Readiness)>,
    ) -> io::Result<()> {
        self.wait_ready(timeout)?;
        let Uring {
            slots,
            reported,
            recheck,
            ..
        } = self;
        ready.extend(reported.drain(..).map(|fd| {
            let slot = &mut slots[fd as usize];
            if !slot.interest.contains(Interest::EDGE) {
                Self::mark_for_check(recheck, slot, fd);
            }
            (fd, std::mem::take(&mut slot.ready))
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_as_epoll_does() {
        let bits = |masks: &[libc::c_short]| masks.iter().fold(0u32, |acc, m| acc | *m as u32);
        let read_write = Readiness::READ | Readiness::WRITE;
        let all = Interest::READ | Interest::WRITE | Interest::CLOSED;
        assert_eq!(readiness(bits(&[libc::POLLIN]), all), Readiness::READ);
        assert_eq!(readiness(bits(&[libc::POLLOUT]), all), Readiness::WRITE);
        assert_eq!(readiness(bits(&[libc::POLLRDHUP]), all), Readiness::CLOSED);
        assert_eq!(readiness(bits(&[libc::POLLERR]), all), read_write);
        assert_eq!(readiness(bits(&[libc::POLLHUP]), all), read_write);
        assert_eq!(
            readiness(bits(&[libc::POLLHUP, libc::POLLRDHUP, libc::POLLIN]), all),
            read_write | Readiness::CLOSED
        );
        // The kernel adds POLLRDHUP to every request, and a request may watch for
        // more than is wanted now: unasked for, it is no report.
        assert_eq!(
            readiness(bits(&[libc::POLLRDHUP]), Interest::WRITE),
            Readiness::NONE
        );
        assert_eq!(
            readiness(bits(&[libc::POLLIN, libc::POLLOUT]), Interest::WRITE),
            Readiness::WRITE
        );
        assert_eq!(
            readiness(bits(&[libc::POLLHUP]), Interest::WRITE),
            read_write
        );
    }

    #[test]
    fn masks_ask_for_the_interest() {
        let all = Interest::READ | Interest::WRITE | Interest::CLOSED | Interest::EDGE;
        let expected = libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP;
        assert_eq!(poll_mask(all), expected as u32);
        assert_eq!(poll_mask(Interest::NONE), 0);
    }

    #[test]
    fn tags_carry_fd_and_generation() {
        assert_eq!(untag(tag(7, 3)), (7, 3));
        assert_eq!(
            untag(tag(RawFd::MAX, u32::MAX)),
            (RawFd::MAX as usize, u32::MAX)
        );
        assert_ne!(tag(RawFd::MAX, u32::MAX), REMOVE_TAG);
    }
}

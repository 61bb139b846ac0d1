//! A scripted poller for tests (cargo feature `mock`): it reports what the test says
//! is ready and makes no system call, so the reactor above it can run under Miri.
//!
//! It is never listed in [`crate::METHODS`] and [`crate::AnyPoller::new`] does not know
//! its name: a base gets it only when a test hands it over.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::{Features, Interest, Options, Poller, Readiness};

/// What a test scripted and what the poller saw.
#[derive(Debug, Default)]
struct Script {
    /// What each fd is ready for, as the test set it.
    ready: BTreeMap<RawFd, Readiness>,
    /// Fds set ready since their last report: an edge-triggered registration reports
    /// only these.
    fresh: BTreeMap<RawFd, bool>,
    /// What the caller asked each fd to be watched for.
    registrations: BTreeMap<RawFd, Interest>,
    /// Fds whose registration fails, with the errno to fail with.
    refused: BTreeMap<RawFd, i32>,
    /// Changes whose `old` did not match the registration (a caller's bookkeeping bug).
    mismatches: Vec<(RawFd, Interest, Interest)>,
    waits: usize,
    last_timeout: Option<Option<Duration>>,
}

/// The test's handle on a [`Mock`]: clone it before handing the poller over.
#[derive(Clone, Debug, Default)]
pub struct MockControl {
    script: Arc<Mutex<Script>>,
}

impl MockControl {
    pub fn new() -> MockControl {
        MockControl::default()
    }

    /// A poller that this handle scripts.
    pub fn poller(&self) -> Mock {
        Mock {
            control: self.clone(),
        }
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `fd` is ready for `readiness` until [`MockControl::clear`] (an edge-triggered
    /// registration reports it once).
    pub fn set_ready(&self, fd: RawFd, readiness: Readiness) {
        let mut s = self.script();
        s.ready.insert(fd, readiness);
        s.fresh.insert(fd, true);
    }

    /// `fd` is ready for nothing.
    pub fn clear(&self, fd: RawFd) {
        let mut s = self.script();
        s.ready.remove(&fd);
        s.fresh.remove(&fd);
    }

    /// What `fd` is watched for (`Interest::NONE` when it is not).
    pub fn interest(&self, fd: RawFd) -> Interest {
        self.script()
            .registrations
            .get(&fd)
            .copied()
            .unwrap_or_default()
    }

    /// Every watched fd and what it is watched for.
    pub fn registrations(&self) -> BTreeMap<RawFd, Interest> {
        self.script().registrations.clone()
    }

    /// From now on, watching `fd` fails with `errno`.
    pub fn refuse(&self, fd: RawFd, errno: i32) {
        self.script().refused.insert(fd, errno);
    }

    /// Changes whose `old` was not the registration the poller had, as
    /// `(fd, old, new)`.
    pub fn mismatches(&self) -> Vec<(RawFd, Interest, Interest)> {
        self.script().mismatches.clone()
    }

    /// How many times the poller was waited on.
    pub fn waits(&self) -> usize {
        self.script().waits
    }

    /// The timeout of the last wait (None before the first).
    pub fn last_timeout(&self) -> Option<Option<Duration>> {
        self.script().last_timeout
    }
}

/// The scripted poller.
#[derive(Debug)]
pub struct Mock {
    control: MockControl,
}

impl Mock {
    /// The handle that scripts this poller.
    pub fn control(&self) -> MockControl {
        self.control.clone()
    }
}

/// The part of `readiness` that `interest` asks for.
fn wanted(interest: Interest, readiness: Readiness) -> Readiness {
    let mut out = Readiness::NONE;
    for (i, r) in [
        (Interest::READ, Readiness::READ),
        (Interest::WRITE, Readiness::WRITE),
        (Interest::CLOSED, Readiness::CLOSED),
    ] {
        if interest.contains(i) && readiness.contains(r) {
            out |= r;
        }
    }
    out
}

impl Poller for Mock {
    const NAME: &'static str = "mock";
    const FEATURES: Features = Features::from_bits(
        Features::ET.bits()
            | Features::O1.bits()
            | Features::FDS.bits()
            | Features::EARLY_CLOSE.bits(),
    );

    fn new(_options: &Options) -> io::Result<Mock> {
        Ok(MockControl::new().poller())
    }

    fn change(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        let mut s = self.control.script();
        if !new.is_empty() {
            if let Some(&errno) = s.refused.get(&fd) {
                return Err(io::Error::from_raw_os_error(errno));
            }
        }
        let current = s.registrations.get(&fd).copied().unwrap_or_default();
        if current != old {
            s.mismatches.push((fd, old, new));
        }
        if new.is_empty() {
            s.registrations.remove(&fd);
        } else {
            s.registrations.insert(fd, new);
        }
        Ok(())
    }

    /// Reports the ready fds in ascending order. With nothing to report it sleeps for
    /// the timeout; without a timeout it fails instead of blocking for ever, since no
    /// other thread of a test will make an fd ready.
    fn wait<F: FnMut(RawFd, Readiness)>(
        &mut self,
        timeout: Option<Duration>,
        mut on_ready: F,
    ) -> io::Result<()> {
        let reports = {
            let mut guard = self.control.script();
            let s = &mut *guard;
            s.waits += 1;
            s.last_timeout = Some(timeout);
            let mut reports = Vec::new();
            for (&fd, &interest) in &s.registrations {
                let Some(&readiness) = s.ready.get(&fd) else {
                    continue;
                };
                let report = wanted(interest, readiness);
                if report.is_empty() {
                    continue;
                }
                if interest.contains(Interest::EDGE) {
                    let fresh = s.fresh.get_mut(&fd).expect("set with ready");
                    if !*fresh {
                        continue;
                    }
                    *fresh = false;
                }
                reports.push((fd, report));
            }
            reports
        };
        if reports.is_empty() {
            match timeout {
                Some(t) if !t.is_zero() => std::thread::sleep(t),
                Some(_) => {}
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "mock poller: nothing is ready and the wait has no timeout",
                    ))
                }
            }
        }
        for (fd, readiness) in reports {
            on_ready(fd, readiness);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(mock: &mut Mock, timeout: Option<Duration>) -> Vec<(RawFd, Readiness)> {
        let mut out = Vec::new();
        mock.wait_into(timeout, &mut out).expect("wait");
        out
    }

    #[test]
    fn reports_only_what_is_watched() {
        let control = MockControl::new();
        let mut mock = control.poller();
        control.set_ready(3, Readiness::READ | Readiness::WRITE);
        control.set_ready(4, Readiness::READ);
        assert_eq!(reported(&mut mock, Some(Duration::ZERO)), []);
        mock.change(3, Interest::NONE, Interest::WRITE).unwrap();
        assert_eq!(control.interest(3), Interest::WRITE);
        assert_eq!(
            reported(&mut mock, Some(Duration::ZERO)),
            [(3, Readiness::WRITE)]
        );
        // Level-triggered: reported again until cleared.
        assert_eq!(
            reported(&mut mock, Some(Duration::ZERO)),
            [(3, Readiness::WRITE)]
        );
        control.clear(3);
        assert_eq!(reported(&mut mock, Some(Duration::ZERO)), []);
        mock.change(3, Interest::WRITE, Interest::NONE).unwrap();
        assert!(control.registrations().is_empty());
        assert_eq!(control.waits(), 4);
        assert!(control.mismatches().is_empty());
    }

    #[test]
    fn edge_registrations_report_once_per_set() {
        let control = MockControl::new();
        let mut mock = control.poller();
        mock.change(5, Interest::NONE, Interest::READ | Interest::EDGE)
            .unwrap();
        control.set_ready(5, Readiness::READ);
        assert_eq!(
            reported(&mut mock, Some(Duration::ZERO)),
            [(5, Readiness::READ)]
        );
        assert_eq!(reported(&mut mock, Some(Duration::ZERO)), []);
        control.set_ready(5, Readiness::READ);
        assert_eq!(
            reported(&mut mock, Some(Duration::ZERO)),
            [(5, Readiness::READ)]
        );
    }

    #[test]
    fn idle_waits_sleep_or_fail() {
        let control = MockControl::new();
        let mut mock = control.poller();
        assert_eq!(reported(&mut mock, Some(Duration::from_micros(50))), []);
        assert_eq!(
            control.last_timeout(),
            Some(Some(Duration::from_micros(50)))
        );
        assert!(mock.wait_into(None, &mut Vec::new()).is_err());
    }

    #[test]
    fn refusals_and_mismatches_are_recorded() {
        let control = MockControl::new();
        let mut mock = control.poller();
        control.refuse(7, libc::EPERM);
        let err = mock.change(7, Interest::NONE, Interest::READ).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert_eq!(control.interest(7), Interest::NONE);
        mock.change(8, Interest::READ, Interest::WRITE).unwrap();
        assert_eq!(control.mismatches(), [(8, Interest::READ, Interest::WRITE)]);
    }

    #[test]
    fn never_chosen_by_name() {
        assert!(crate::METHODS.iter().all(|&(name, _)| name != Mock::NAME));
        assert!(crate::AnyPoller::new(Mock::NAME, &Options::default()).is_err());
    }
}

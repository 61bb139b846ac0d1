//! Small bit sets shared by every poller.

use std::ops::{BitOr, BitOrAssign};

macro_rules! bit_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Debug)]
        pub struct $name(u8);

        impl $name {
            /// The empty set.
            pub const NONE: $name = $name(0);
            $($(#[$fdoc])* pub const $flag: $name = $name($value);)*

            /// The raw bits.
            #[inline]
            pub const fn bits(self) -> u8 {
                self.0
            }
            /// The set with these raw bits (unknown bits are kept).
            #[inline]
            pub const fn from_bits(bits: u8) -> $name {
                $name(bits)
            }
            /// True when every flag of `other` is in `self`.
            #[inline]
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }
            /// True when `self` and `other` share a flag.
            #[inline]
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }
            /// True for the empty set.
            #[inline]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// `self` without the flags of `other`.
            #[inline]
            pub const fn without(self, other: $name) -> $name {
                $name(self.0 & !other.0)
            }
        }

        impl BitOr for $name {
            type Output = $name;
            #[inline]
            fn bitor(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl BitOrAssign for $name {
            #[inline]
            fn bitor_assign(&mut self, other: $name) {
                self.0 |= other.0;
            }
        }
    };
}

bit_set!(
    /// What an fd is watched for.
    Interest {
        /// Readable (or at end of file).
        READ = 1,
        /// Writable.
        WRITE = 2,
        /// The peer closed its end (needs `Features::EARLY_CLOSE`).
        CLOSED = 4,
        /// Report edges, not levels (needs `Features::ET`).
        EDGE = 8,
    }
);

bit_set!(
    /// What a poller found an fd ready for. Errors and hang-ups are reported as
    /// `READ | WRITE`, so that whoever watches the fd tries it and sees the error.
    /// The values are libevent's `EV_READ`, `EV_WRITE` and `EV_CLOSED`, so a report
    /// needs no translation on the hot path.
    Readiness {
        /// Readable.
        READ = 0x02,
        /// Writable.
        WRITE = 0x04,
        /// The peer closed its end.
        CLOSED = 0x80,
    }
);

bit_set!(
    /// A poller's abilities; the values are libevent's `EV_FEATURE_*`.
    Features {
        /// Edge-triggered reports.
        ET = 0x01,
        /// O(1) add, delete and report of one ready fd.
        O1 = 0x02,
        /// Any kind of fd, not only sockets.
        FDS = 0x04,
        /// Reports a closed peer without reading (`Interest::CLOSED`).
        EARLY_CLOSE = 0x08,
    }
);

/// The poll(2) bits that ask for `interest`'s reading and writing; the caller adds any
/// others it supports. poll, /dev/poll and event ports all take these bits.
#[cfg(unix)]
pub(crate) fn poll_events(interest: Interest) -> libc::c_short {
    let mut events = 0;
    if interest.contains(Interest::READ) {
        events |= libc::POLLIN;
    }
    if interest.contains(Interest::WRITE) {
        events |= libc::POLLOUT;
    }
    events
}

/// What poll(2)-style `revents` mean to the caller, for the bits every Unix has. An
/// error, hang-up or closed fd (POLLNVAL) reads as `READ | WRITE`, so that whoever
/// watches the fd tries it and meets the error. (libevent's devpoll ignores POLLNVAL
/// alone, so a closed fd that stays watched makes every DP_POLL return at once without
/// a report: a busy loop.)
#[cfg(unix)]
pub(crate) fn poll_readiness(revents: libc::c_short) -> Readiness {
    let mut ready = Readiness::NONE;
    if revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0 {
        ready = Readiness::READ | Readiness::WRITE;
    }
    if revents & libc::POLLIN != 0 {
        ready |= Readiness::READ;
    }
    if revents & libc::POLLOUT != 0 {
        ready |= Readiness::WRITE;
    }
    ready
}

//! Microsecond time values as libevent keeps them (`struct timeval`), and the encoding
//! of common timeouts inside `tv_usec`.

use std::time::Duration;

/// A point or span of time with microsecond resolution.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Hash)]
pub struct Tv {
    pub sec: i64,
    pub usec: i64,
}

const USEC_PER_SEC: i64 = 1_000_000;

impl Tv {
    pub const ZERO: Tv = Tv { sec: 0, usec: 0 };

    /// From a C timeval as given: nothing is normalised, so a common-timeout tag in
    /// `tv_usec` survives. The one place a C timeval becomes a `Tv`.
    #[inline]
    #[allow(
        clippy::useless_conversion,
        reason = "time_t and suseconds_t are i64 on 64-bit Linux, suseconds_t i32 on macOS"
    )]
    pub fn from_timeval_raw(tv: &libc::timeval) -> Tv {
        Tv {
            sec: i64::from(tv.tv_sec),
            usec: i64::from(tv.tv_usec),
        }
    }

    /// To a C timeval as is (a common-timeout tag stays in `tv_usec`). The one place a
    /// `Tv` becomes a C timeval.
    #[inline]
    pub fn to_timeval_raw(self) -> libc::timeval {
        libc::timeval {
            tv_sec: self.sec as libc::time_t,
            tv_usec: self.usec as libc::suseconds_t,
        }
    }

    /// The same time with microseconds in [0, 1s).
    pub fn normalize(self) -> Tv {
        Tv::normalized(self.sec, self.usec)
    }

    #[inline]
    pub fn normalized(sec: i64, usec: i64) -> Tv {
        // Sums and differences of normalised values are at most one second off; only
        // other input needs a division.
        if (0..USEC_PER_SEC).contains(&usec) {
            Tv { sec, usec }
        } else if (USEC_PER_SEC..2 * USEC_PER_SEC).contains(&usec) {
            Tv {
                sec: sec.saturating_add(1),
                usec: usec - USEC_PER_SEC,
            }
        } else if (-USEC_PER_SEC..0).contains(&usec) {
            Tv {
                sec: sec.saturating_sub(1),
                usec: usec + USEC_PER_SEC,
            }
        } else {
            Tv {
                sec: sec.saturating_add(usec.div_euclid(USEC_PER_SEC)),
                usec: usec.rem_euclid(USEC_PER_SEC),
            }
        }
    }

    pub fn from_duration(d: Duration) -> Tv {
        Tv {
            sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            usec: i64::from(d.subsec_micros()),
        }
    }

    /// The span as a Duration; negative spans are zero.
    pub fn to_duration(self) -> Duration {
        if self.sec < 0 {
            Duration::ZERO
        } else {
            Duration::new(self.sec as u64, (self.usec * 1000) as u32)
        }
    }

    pub fn plus(self, other: Tv) -> Tv {
        Tv::normalized(self.sec.saturating_add(other.sec), self.usec + other.usec)
    }

    pub fn minus(self, other: Tv) -> Tv {
        Tv::normalized(self.sec.saturating_sub(other.sec), self.usec - other.usec)
    }

    pub fn is_negative(self) -> bool {
        self.sec < 0
    }
}

/// Common timeouts: `tv_usec` = MAGIC | (queue index << 20) | microseconds.
pub mod common {
    pub const MICROSECONDS_MASK: i64 = 0x000f_ffff;
    pub const INDEX_MASK: i64 = 0x0ff0_0000;
    pub const INDEX_SHIFT: u32 = 20;
    pub const MASK: i64 = 0xf000_0000;
    pub const MAGIC: i64 = 0x5000_0000;
    /// At most this many distinct common durations per base.
    pub const MAX_QUEUES: usize = 256;

    /// The queue index a timeval names, if it is a common timeout.
    #[inline]
    pub fn queue_index(usec: i64) -> Option<usize> {
        if usec & MASK == MAGIC {
            Some(((usec & INDEX_MASK) >> INDEX_SHIFT) as usize)
        } else {
            None
        }
    }

    /// The tag for queue `index` with `micros` microseconds.
    #[inline]
    pub fn encode(index: usize, micros: i64) -> i64 {
        MAGIC | ((index as i64) << INDEX_SHIFT) | (micros & MICROSECONDS_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_subtracts() {
        assert_eq!(
            Tv::normalized(1, 1_500_000),
            Tv {
                sec: 2,
                usec: 500_000
            }
        );
        assert_eq!(
            Tv::normalized(1, -1),
            Tv {
                sec: 0,
                usec: 999_999
            }
        );
        let a = Tv { sec: 5, usec: 100 };
        let b = Tv { sec: 3, usec: 200 };
        assert_eq!(
            a.minus(b),
            Tv {
                sec: 1,
                usec: 999_900
            }
        );
        assert!(b.minus(a).is_negative());
        assert_eq!(b.minus(a).to_duration(), Duration::ZERO);
    }

    #[test]
    fn timevals_convert_as_given() {
        let tagged = libc::timeval {
            tv_sec: 3,
            tv_usec: common::encode(7, 250_000) as libc::suseconds_t,
        };
        let tv = Tv::from_timeval_raw(&tagged);
        assert_eq!(common::queue_index(tv.usec), Some(7));
        let back = tv.to_timeval_raw();
        assert_eq!((back.tv_sec, back.tv_usec), (tagged.tv_sec, tagged.tv_usec));
        assert_eq!(
            Tv { sec: 1, usec: -1 }.normalize(),
            Tv {
                sec: 0,
                usec: 999_999
            }
        );
    }

    #[test]
    fn common_timeout_tags_round_trip() {
        let tag = common::encode(7, 250_000);
        assert_eq!(common::queue_index(tag), Some(7));
        assert_eq!(tag & common::MICROSECONDS_MASK, 250_000);
        assert_eq!(common::queue_index(999_999), None);
    }
}

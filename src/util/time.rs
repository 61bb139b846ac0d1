//! Clocks and dates: the monotonic clock the event loop and `evutil_gettime_monotonic`
//! read, and RFC 1123 dates for HTTP.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where a [`MonotonicClock`] reads the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockSource {
    /// `CLOCK_MONOTONIC_COARSE`: cheap, advancing once per kernel tick (1-4 ms).
    Coarse,
    /// `CLOCK_MONOTONIC`.
    Precise,
    /// The wall clock, held back so that it never runs backwards.
    Fallback,
}

/// The fallback clock's memory: the last answer, and how far the wall clock has been
/// found to step back in total.
#[derive(Debug, Default)]
struct Ratchet {
    last: Duration,
    correction: Duration,
}

/// A clock that never runs backwards. Its readings measure elapsed time; they are not
/// related to the calendar.
#[derive(Debug)]
pub struct MonotonicClock {
    source: ClockSource,
    ratchet: Mutex<Ratchet>,
}

/// The cheap monotonic clock where the system has one (`CLOCK_MONOTONIC_COARSE`; on
/// FreeBSD an alias of `CLOCK_MONOTONIC_FAST`); macOS has none.
#[cfg(not(target_vendor = "apple"))]
const COARSE_CLOCK: Option<libc::clockid_t> = Some(libc::CLOCK_MONOTONIC_COARSE);
#[cfg(target_vendor = "apple")]
const COARSE_CLOCK: Option<libc::clockid_t> = None;

fn read_clock(id: libc::clockid_t) -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(ts.tv_sec).ok()?,
        u32::try_from(ts.tv_nsec).ok()?,
    ))
}

impl MonotonicClock {
    /// The coarse clock unless `precise`, falling back to the precise one and then to the
    /// ratcheted wall clock where a clock is missing.
    pub fn new(precise: bool) -> Self {
        Self::with_options(precise, false)
    }

    /// As libevent configures its timers: `precise` avoids the coarse clock, and
    /// `fallback` uses the ratcheted wall clock only.
    pub fn with_options(precise: bool, fallback: bool) -> Self {
        let source = if !precise && !fallback && COARSE_CLOCK.and_then(read_clock).is_some() {
            ClockSource::Coarse
        } else if !fallback && read_clock(libc::CLOCK_MONOTONIC).is_some() {
            ClockSource::Precise
        } else {
            ClockSource::Fallback
        };
        MonotonicClock {
            source,
            ratchet: Mutex::new(Ratchet::default()),
        }
    }

    pub fn source(&self) -> ClockSource {
        self.source
    }

    /// The current reading.
    pub fn now(&self) -> Duration {
        let reading = match self.source {
            ClockSource::Coarse => COARSE_CLOCK.and_then(read_clock),
            ClockSource::Precise => read_clock(libc::CLOCK_MONOTONIC),
            ClockSource::Fallback => None,
        };
        reading.unwrap_or_else(|| self.ratcheted_wall_clock())
    }

    /// The current reading as whole seconds and microseconds, the resolution the event
    /// loop keeps, without going through `Duration`.
    #[inline]
    pub fn now_micros(&self) -> (i64, i64) {
        let id = match self.source {
            // Chosen only where the coarse clock exists.
            ClockSource::Coarse => COARSE_CLOCK.unwrap_or(libc::CLOCK_MONOTONIC),
            ClockSource::Precise => libc::CLOCK_MONOTONIC,
            ClockSource::Fallback => {
                let now = self.ratcheted_wall_clock();
                return (now.as_secs() as i64, i64::from(now.subsec_micros()));
            }
        };
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write.
        if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
            let now = self.ratcheted_wall_clock();
            return (now.as_secs() as i64, i64::from(now.subsec_micros()));
        }
        (ts.tv_sec, ts.tv_nsec / 1000)
    }

    fn ratcheted_wall_clock(&self) -> Duration {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut guard = self.ratchet.lock().unwrap_or_else(|e| e.into_inner());
        let ratchet = &mut *guard;
        let mut now = wall + ratchet.correction;
        if now < ratchet.last {
            // The wall clock stepped back: absorb the step from now on.
            ratchet.correction += ratchet.last - now;
            now = ratchet.last;
        }
        ratchet.last = now;
        now
    }
}

/// A moment of the Gregorian calendar in UTC, as `struct tm` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarTime {
    /// The full year (2024, not 124).
    pub year: i64,
    /// 0 = January.
    pub month: i32,
    /// 1..=31.
    pub day: i32,
    pub hour: i32,
    pub minute: i32,
    pub second: i32,
    /// 0 = Sunday.
    pub weekday: i32,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl CalendarTime {
    /// The calendar time of `seconds` after the Unix epoch (negative: before it).
    pub fn from_unix_seconds(seconds: i64) -> Self {
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        // Days to a civil date, counting in 400-year eras that start on 1 March.
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 2
        } else {
            month_from_march - 10
        };
        let year = year_of_era + era * 400 + i64::from(month <= 1);
        CalendarTime {
            year,
            month: month as i32,
            day: day as i32,
            hour: (of_day / 3600) as i32,
            minute: (of_day / 60 % 60) as i32,
            second: (of_day % 60) as i32,
            // 1 January 1970 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as i32,
        }
    }

    /// The current time in UTC.
    pub fn now_utc() -> Self {
        let seconds = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        Self::from_unix_seconds(seconds)
    }
}

/// The date in RFC 1123 form, "Sun, 06 Nov 1994 08:49:37 GMT", from the fields as given
/// (like `printf("%02d")`, no normalising). None when the weekday or month is out of
/// range, as there is no name to print.
pub fn rfc1123_date(time: &CalendarTime) -> Option<String> {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = DAYS.get(usize::try_from(time.weekday).ok()?)?;
    let month = MONTHS.get(usize::try_from(time.month).ok()?)?;
    Some(format!(
        "{weekday}, {:02} {month} {:4} {:02}:{:02}:{:02} GMT",
        time.day, time.year, time.hour, time.minute, time.second
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (946_684_799, "Fri, 31 Dec 1999 23:59:59 GMT"),
            (946_684_800, "Sat, 01 Jan 2000 00:00:00 GMT"),
            (981_072_000, "Fri, 02 Feb 2001 00:00:00 GMT"),
            (1_015_113_600, "Sun, 03 Mar 2002 00:00:00 GMT"),
            (1_083_715_200, "Wed, 05 May 2004 00:00:00 GMT"),
            (1_456_704_000, "Mon, 29 Feb 2016 00:00:00 GMT"),
            (1_481_866_376, "Fri, 16 Dec 2016 05:32:56 GMT"),
            (4_294_967_296, "Sun, 07 Feb 2106 06:28:16 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        ];
        for (seconds, text) in cases {
            let time = CalendarTime::from_unix_seconds(seconds);
            assert_eq!(rfc1123_date(&time).as_deref(), Some(text), "{seconds}");
        }
        let odd = CalendarTime {
            year: 999,
            month: 0,
            day: -1,
            hour: 7,
            minute: 0,
            second: 60,
            weekday: 6,
        };
        assert_eq!(
            rfc1123_date(&odd).as_deref(),
            Some("Sat, -1 Jan  999 07:00:60 GMT")
        );
        assert_eq!(rfc1123_date(&CalendarTime { weekday: 7, ..odd }), None);
        assert_eq!(rfc1123_date(&CalendarTime { month: -1, ..odd }), None);
    }

    #[test]
    fn clocks_never_run_backwards() {
        for (precise, fallback, source) in [
            (false, false, ClockSource::Coarse),
            (true, false, ClockSource::Precise),
            (false, true, ClockSource::Fallback),
            (true, true, ClockSource::Fallback),
        ] {
            let clock = MonotonicClock::with_options(precise, fallback);
            assert_eq!(clock.source(), source);
            let mut last = clock.now();
            for _ in 0..1000 {
                let now = clock.now();
                assert!(now >= last);
                last = now;
            }
        }
        assert_eq!(MonotonicClock::new(true).source(), ClockSource::Precise);
    }

    #[test]
    fn ratchet_absorbs_steps_back() {
        let clock = MonotonicClock::with_options(false, true);
        let first = clock.now();
        // Pretend the last answer was an hour ahead of the wall clock.
        clock.ratchet.lock().unwrap().last = first + Duration::from_secs(3600);
        let held = clock.now();
        assert_eq!(held, first + Duration::from_secs(3600));
        assert!(clock.now() >= held);
    }
}

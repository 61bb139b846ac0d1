//! The Date header value (RFC 1123, as libevent writes it), formatted once a second.

use std::cell::Cell;

thread_local! {
    static CACHE: Cell<(i64, [u8; 29])> = const { Cell::new((i64::MIN, [0; 29])) };
}

/// "Sun, 06 Nov 1994 08:49:37 GMT" for the current time.
pub fn now_rfc1123() -> [u8; 29] {
    // SAFETY: time(NULL) only reads the clock.
    let now = unsafe { libc::time(std::ptr::null_mut()) } as i64;
    let (cached_at, text) = CACHE.with(Cell::get);
    if cached_at == now {
        return text;
    }
    let text = format_rfc1123(now);
    CACHE.with(|c| c.set((now, text)));
    text
}

fn format_rfc1123(seconds: i64) -> [u8; 29] {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let text = format!(
        "{weekday}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    let mut out = [b' '; 29];
    let bytes = text.as_bytes();
    let n = bytes.len().min(29);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

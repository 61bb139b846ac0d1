//! Bufferevent pairs: two bufferevents whose outputs feed each other's inputs directly,
//! moving chunks and never touching a socket. Their callbacks are always deferred.

use std::cell::Cell;
use std::ffi::{c_int, c_short};
use std::ptr::NonNull;

use super::raw::KindTag;
use super::{options, what, BevResult, Bufferevent, FlushMode, Kind};
use crate::buffer::{CallbackInfo, ChangeHandler, OnChange};
use crate::event::raw::ev;
use crate::event::Base;
use crate::util::errno;

static PAIR_TAG: KindTag = KindTag { name: c"pair_elt" };

pub(super) struct PairPart {
    /// The other end; None once either end was freed.
    pub(super) partner: Cell<Option<NonNull<Bufferevent>>>,
}

impl Bufferevent {
    /// `bufferevent_pair_new`. With `BEV_OPT_THREADSAFE` both ends share one lock.
    pub fn pair_new(base: &Base, options: u32) -> Option<[NonNull<Bufferevent>; 2]> {
        let options = options | options::DEFER_CALLBACKS;
        let first = new_end(base, options, None)?;
        // SAFETY: just made.
        let lock = unsafe { first.as_ref() }.lock_handle();
        let Some(second) = new_end(base, options & !options::THREADSAFE, lock) else {
            // SAFETY: just made
            unsafe { first.as_ref() }.free();
            return None;
        };
        // SAFETY: both just made, not shared yet.
        let (a, b) = unsafe { (first.as_ref(), second.as_ref()) };
        for (end, other) in [(a, second), (b, first)] {
            if let Kind::Pair(p) = &end.kind {
                p.partner.set(Some(other));
            }
            end.input().freeze(false);
            end.output().freeze(true);
        }
        Some([first, second])
    }
}

fn new_end(
    base: &Base,
    options: u32,
    lock: Option<std::sync::Arc<crate::thread::Lock>>,
) -> Option<NonNull<Bufferevent>> {
    let part = PairPart {
        partner: Cell::new(None),
    };
    let ptr = Bufferevent::new_common(base, Kind::Pair(part), &PAIR_TAG, options, lock)?;
    // SAFETY: just made.
    let bev = unsafe { ptr.as_ref() };
    bev.assign_generic_timeouts();
    if bev
        .output()
        .add_handler(OnChange::new::<OutputAdded>(ptr))
        .is_none()
    {
        bev.free();
        return None;
    }
    Some(ptr)
}

fn partner_of(bev: &Bufferevent) -> Option<&Bufferevent> {
    match &bev.kind {
        // SAFETY: a linked partner is live: unlinking clears both sides first.
        Kind::Pair(p) => p.partner.get().map(|b| unsafe { &*b.as_ptr() }),
        _ => None,
    }
}

/// Moves `src`'s output into `dst`'s input, up to `dst`'s read high-watermark unless
/// `ignore_watermark`.
fn transfer(src: &Bufferevent, dst: &Bufferevent, ignore_watermark: bool) {
    let (out, input) = (src.output(), dst.input());
    out.unfreeze(true);
    input.unfreeze(false);
    let high = dst.raw_ref().wm_read.high;
    let room = if high == 0 {
        None
    } else {
        high.checked_sub(input.len()).filter(|&r| r > 0)
    };
    let moved = match room {
        Some(room) => out.remove_buffer(input, room).unwrap_or(0),
        None if high != 0 && !ignore_watermark => {
            out.freeze(true);
            input.freeze(false);
            return;
        }
        None => {
            let n = out.len();
            let _ = input.add_buffer(out);
            n
        }
    };
    if moved > 0 {
        dst.reset_generic_read_timeout();
        if dst.output().is_empty() {
            dst.del_generic_timeout(dst.ev_write());
        } else {
            dst.reset_generic_write_timeout();
        }
    }
    dst.trigger_nolock(ev::READ, 0);
    src.trigger_nolock(ev::WRITE, 0);
    out.freeze(true);
    input.freeze(false);
}

/// Whether `src` has data for `dst` and both ends want it moved.
fn wants_to_talk(src: &Bufferevent, dst: &Bufferevent) -> bool {
    src.enabled_bits() & ev::WRITE != 0
        && dst.enabled_bits() & ev::READ != 0
        && dst.read_suspended.get() == 0
        && !src.output().is_empty()
}

/// Data added to one end's output crosses at once if the other end reads.
struct OutputAdded;

impl ChangeHandler for OutputAdded {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, info: &CallbackInfo) {
        // SAFETY: registered on the end's own output, which goes with it.
        let bev = unsafe { bev.as_ref() };
        let _hold = bev.hold();
        if info.n_added > info.n_deleted {
            if let Some(partner) = partner_of(bev) {
                if wants_to_talk(bev, partner) {
                    transfer(bev, partner, false);
                }
            }
        }
    }
}

pub(super) fn enable(bev: &Bufferevent, _part: &PairPart, events: c_short) -> BevResult {
    let _hold = bev.hold();
    if events & ev::READ != 0 {
        bev.reset_generic_read_timeout();
    }
    if events & ev::WRITE != 0 && !bev.output().is_empty() {
        bev.reset_generic_write_timeout();
    }
    if let Some(partner) = partner_of(bev) {
        if events & ev::READ != 0 && wants_to_talk(partner, bev) {
            transfer(partner, bev, false);
        }
        if events & ev::WRITE != 0 && wants_to_talk(bev, partner) {
            transfer(bev, partner, false);
        }
    }
    Ok(())
}

pub(super) fn disable(bev: &Bufferevent, events: c_short) {
    if events & ev::READ != 0 {
        bev.del_generic_timeout(bev.ev_read());
    }
    if events & ev::WRITE != 0 {
        bev.del_generic_timeout(bev.ev_write());
    }
}

/// The end is going: neither side refers to the other any more. No EOF is sent.
pub(super) fn unlink(part: &PairPart) {
    if let Some(partner) = part.partner.take() {
        // SAFETY: linked partners are live.
        if let Kind::Pair(p) = &unsafe { partner.as_ref() }.kind {
            p.partner.set(None);
        }
    }
}

/// `bufferevent_flush` on a pair: moves data regardless of watermarks, and with
/// `BEV_FINISHED` tells the partner the stream ended.
pub(super) fn flush(
    bev: &Bufferevent,
    _part: &PairPart,
    iotype: c_short,
    mode: FlushMode,
) -> c_int {
    let Some(partner) = partner_of(bev) else {
        return -1;
    };
    if mode == FlushMode::Normal {
        return 0;
    }
    let _hold = bev.hold();
    if iotype & ev::READ != 0 {
        transfer(partner, bev, true);
    }
    if iotype & ev::WRITE != 0 {
        transfer(bev, partner, true);
    }
    if mode == FlushMode::Finished {
        let mut report = what::EOF;
        if iotype & ev::READ != 0 {
            report |= what::WRITING;
        }
        if iotype & ev::WRITE != 0 {
            report |= what::READING;
        }
        partner.run_eventcb(report, 0, errno::get());
    }
    0
}

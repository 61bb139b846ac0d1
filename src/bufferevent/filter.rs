//! Filtering bufferevents: a bufferevent on top of another (the underlying one) whose
//! data passes through the program's input and output filter functions.

use std::cell::Cell;
use std::ffi::{c_int, c_short, c_void};
use std::ptr::NonNull;

use super::raw::KindTag;
use super::{options, suspend, BevResult, Bufferevent, FlushMode, Kind};
use crate::buffer::{CallbackEntry, CallbackInfo, ChangeHandler, Evbuffer, OnChange, CB_ENABLED};
use crate::event::raw::ev;
use crate::log;

static FILTER_TAG: KindTag = KindTag { name: c"filter" };

/// `bufferevent_filter_cb`: moves data from `src` to `dst` (at most `dst_limit` bytes
/// when it is not negative) and says how it went (`BEV_OK`, `BEV_NEED_MORE`,
/// `BEV_ERROR`).
pub type FilterFn =
    unsafe extern "C" fn(*mut Evbuffer, *mut Evbuffer, isize, c_int, *mut c_void) -> c_int;
/// The function that frees a filter's context.
pub type FreeContextFn = unsafe extern "C" fn(*mut c_void);

const FILTER_OK: c_int = 0;

pub(super) struct FilterPart {
    pub(super) underlying: NonNull<Bufferevent>,
    input_filter: Option<FilterFn>,
    output_filter: Option<FilterFn>,
    free_context: Option<FreeContextFn>,
    context: *mut c_void,
    /// Runs the input filter again once the program drains a full input.
    input_entry: Cell<Option<NonNull<CallbackEntry>>>,
    /// Runs the output filter when the program adds output.
    output_entry: Cell<Option<NonNull<CallbackEntry>>>,
}

impl Bufferevent {
    /// `bufferevent_filter_new`: takes over the underlying bufferevent's callbacks (the
    /// program's are cleared, as libevent replaces them) and keeps a reference on it. A
    /// missing filter passes data through unchanged.
    pub fn filter_new(
        underlying: &Bufferevent,
        input_filter: Option<FilterFn>,
        output_filter: Option<FilterFn>,
        options: u32,
        free_context: Option<FreeContextFn>,
        context: *mut c_void,
    ) -> Option<NonNull<Bufferevent>> {
        let part = FilterPart {
            underlying: NonNull::from(underlying),
            input_filter,
            output_filter,
            free_context,
            context,
            input_entry: Cell::new(None),
            output_entry: Cell::new(None),
        };
        let lock = if options & options::THREADSAFE != 0 {
            match underlying.lock_handle() {
                Some(lock) => Some(lock),
                None => Some(std::sync::Arc::new(crate::thread::Lock::new(true)?)),
            }
        } else {
            None
        };
        let shared_down = lock.is_some() && underlying.lock_ref().is_none();
        let ptr = Bufferevent::new_common(
            underlying.base(),
            Kind::Filter(Box::new(part)),
            &FILTER_TAG,
            options & !options::THREADSAFE,
            lock,
        )?;
        // SAFETY: just made.
        let bev = unsafe { ptr.as_ref() };
        if shared_down {
            if let Some(lock) = bev.lock_handle() {
                underlying.install_lock(lock);
            }
        }
        underlying.hand_over_to(ptr);
        let Kind::Filter(part) = &bev.kind else {
            unreachable!("made as a filter")
        };
        let input_entry = bev.input().add_handler(OnChange::new::<InputDrained>(ptr));
        if let Some(entry) = input_entry {
            bev.input().update_callback_flags(entry, 0, CB_ENABLED);
        }
        part.input_entry.set(input_entry);
        part.output_entry
            .set(bev.output().add_handler(OnChange::new::<OutputAdded>(ptr)));
        if part.input_entry.get().is_none() || part.output_entry.get().is_none() {
            log::warn(format_args!(
                "bufferevent_filter_new: out of memory; data moves only when the \
                 underlying bufferevent calls back"
            ));
        }
        bev.assign_generic_timeouts();
        underlying.incref();
        let _ = underlying.enable(ev::READ | ev::WRITE);
        underlying.suspend_read(suspend::FILTER_READ);
        Some(ptr)
    }

    /// Gives this bufferevent's callbacks to `filter`; the program's are cleared.
    fn hand_over_to(&self, filter: NonNull<Bufferevent>) {
        let _held = self.held();
        self.set_callbacks(None, None, None, std::ptr::null_mut());
        self.filter_above.set(Some(filter));
    }

    /// Ends `filter`'s hold on this bufferevent's callbacks, if it still has it (the
    /// program may have set callbacks of its own since, which ended it).
    fn take_back_from(&self, filter: &Bufferevent) {
        let _held = self.held();
        if self.filter_above.get() == Some(NonNull::from(filter)) {
            self.filter_above.set(None);
        }
    }
}

fn filter_of(bev: &Bufferevent) -> &FilterPart {
    match &bev.kind {
        Kind::Filter(f) => f,
        _ => unreachable!("a filter callback on a bufferevent that is not a filter"),
    }
}

fn underlying_of(part: &FilterPart) -> &Bufferevent {
    // SAFETY: the filter holds a reference on its underlying bufferevent.
    unsafe { part.underlying.as_ref() }
}

/// Runs a filter; a missing one moves up to `limit` bytes unchanged.
fn run_filter(
    filter: Option<FilterFn>,
    src: &Evbuffer,
    dst: &Evbuffer,
    limit: isize,
    mode: FlushMode,
    context: *mut c_void,
) -> c_int {
    match filter {
        // SAFETY: the program's filter, given the two live buffers.
        Some(f) => unsafe { f(src_ptr(src), src_ptr(dst), limit, mode as c_int, context) },
        None => {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            match src.remove_buffer(dst, limit) {
                Ok(_) => FILTER_OK,
                Err(_) => 2,
            }
        }
    }
}

fn src_ptr(buf: &Evbuffer) -> *mut Evbuffer {
    (buf as *const Evbuffer).cast_mut()
}

/// The filter's input is at its high-watermark (normal mode only).
fn input_full(bev: &Bufferevent, mode: FlushMode) -> bool {
    let high = bev.raw_ref().wm_read.high;
    mode == FlushMode::Normal && high != 0 && bev.input().len() >= high
}

/// The underlying output is at its high-watermark (normal mode only).
fn underlying_output_full(part: &FilterPart, mode: FlushMode) -> bool {
    let u = underlying_of(part);
    let high = u.raw_ref().wm_write.high;
    mode == FlushMode::Normal && high != 0 && u.output().len() >= high
}

fn limit_below(high: usize, len: usize) -> isize {
    if high == 0 {
        -1
    } else {
        isize::try_from(high.saturating_sub(len)).unwrap_or(isize::MAX)
    }
}

/// Filters underlying input into the filter's input; sets `processed` when the filter
/// returned `BEV_OK` at least once.
fn process_input(
    bev: &Bufferevent,
    part: &FilterPart,
    mode: FlushMode,
    processed: &mut bool,
) -> c_int {
    if mode == FlushMode::Normal && (bev.enabled_bits() & ev::READ == 0 || input_full(bev, mode)) {
        return FILTER_OK;
    }
    let underlying = underlying_of(part);
    let mut result;
    loop {
        let limit = if mode == FlushMode::Normal {
            limit_below(bev.raw_ref().wm_read.high, bev.input().len())
        } else {
            -1
        };
        result = run_filter(
            part.input_filter,
            underlying.input(),
            bev.input(),
            limit,
            mode,
            part.context,
        );
        if result == FILTER_OK {
            *processed = true;
        }
        let more = result == FILTER_OK
            && bev.enabled_bits() & ev::READ != 0
            && !underlying.input().is_empty()
            && !input_full(bev, mode);
        if !more {
            break;
        }
    }
    if *processed {
        bev.reset_generic_read_timeout();
    }
    result
}

/// Filters the filter's output into the underlying output.
fn process_output(
    bev: &Bufferevent,
    part: &FilterPart,
    mode: FlushMode,
    processed: &mut bool,
) -> c_int {
    if mode == FlushMode::Normal
        && (bev.enabled_bits() & ev::WRITE == 0
            || underlying_output_full(part, mode)
            || bev.output().is_empty())
    {
        return FILTER_OK;
    }
    let underlying = underlying_of(part);
    let entry = part.output_entry.get();
    // Our own draining of the output must not call us again.
    if let Some(entry) = entry {
        bev.output().update_callback_flags(entry, 0, CB_ENABLED);
    }
    let more = |result: c_int| {
        result == FILTER_OK
            && bev.enabled_bits() & ev::WRITE != 0
            && !bev.output().is_empty()
            && !underlying_output_full(part, mode)
    };
    let mut result;
    loop {
        let mut round_processed = false;
        loop {
            let limit = if mode == FlushMode::Normal {
                limit_below(
                    underlying.raw_ref().wm_write.high,
                    underlying.output().len(),
                )
            } else {
                -1
            };
            result = run_filter(
                part.output_filter,
                bev.output(),
                underlying.output(),
                limit,
                mode,
                part.context,
            );
            if result == FILTER_OK {
                round_processed = true;
                *processed = true;
            }
            if !more(result) {
                break;
            }
        }
        if !round_processed {
            break;
        }
        bev.trigger_nolock(ev::WRITE, 0);
        if !more(result) {
            break;
        }
    }
    if let Some(entry) = entry {
        bev.output().update_callback_flags(entry, CB_ENABLED, 0);
    }
    if *processed {
        bev.reset_generic_write_timeout();
    }
    result
}

/// Runs the input filter on what the underlying bufferevent has read.
fn read_from_underlying(bev: &Bufferevent) {
    if bev.refs.get() == 0 {
        return;
    }
    let part = filter_of(bev);
    let mut processed = false;
    process_input(bev, part, FlushMode::Normal, &mut processed);
    if processed {
        bev.trigger_nolock(ev::READ, 0);
        if !underlying_of(part).input().is_empty() && input_full(bev, FlushMode::Normal) {
            if let Some(entry) = part.input_entry.get() {
                bev.input().update_callback_flags(entry, CB_ENABLED, 0);
            }
        }
    }
}

/// The filter that holds an underlying bufferevent's callbacks.
///
/// # Safety
/// `filter` is the bufferevent's `filter_above`: the filter gives its hold up in
/// [`unlink`], before it goes.
unsafe fn holder<'a>(filter: NonNull<Bufferevent>) -> &'a Bufferevent {
    // SAFETY: guaranteed by the caller.
    unsafe { filter.as_ref() }
}

/// The underlying bufferevent's read callback: it has read data. Out of line, like the
/// other two, so that the common path (a program's callback) stays short.
#[inline(never)]
pub(super) fn underlying_read(filter: NonNull<Bufferevent>) {
    // SAFETY: called for the bufferevent's `filter_above`.
    let bev = unsafe { holder(filter) };
    let _held = bev.held();
    read_from_underlying(bev);
}

/// The underlying bufferevent's write callback: its output went down to the mark.
#[inline(never)]
pub(super) fn underlying_write(filter: NonNull<Bufferevent>) {
    // SAFETY: called for the bufferevent's `filter_above`
    let bev = unsafe { holder(filter) };
    let _held = bev.held();
    if bev.refs.get() > 0 {
        let mut processed = false;
        process_output(bev, filter_of(bev), FlushMode::Normal, &mut processed);
    }
}

/// The underlying bufferevent's event callback: passed on to the filter's program.
#[inline(never)]
pub(super) fn underlying_event(filter: NonNull<Bufferevent>, events: c_short, error: c_int) {
    // SAFETY: called for the bufferevent's `filter_above`
    let bev = unsafe { holder(filter) };
    let _held = bev.held();
    if bev.refs.get() > 0 {
        bev.run_eventcb(events, 0, error);
    }
}

/// The program drained a full input: filter what waits below.
struct InputDrained;

impl ChangeHandler for InputDrained {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _info: &CallbackInfo) {
        // SAFETY: registered on the filter's own input, removed in `destruct`.
        let bev = unsafe { bev.as_ref() };
        let _held = bev.held();
        let part = filter_of(bev);
        if !input_full(bev, FlushMode::Normal) {
            if let Some(entry) = part.input_entry.get() {
                bev.input().update_callback_flags(entry, 0, CB_ENABLED);
            }
            if !underlying_of(part).input().is_empty() {
                read_from_underlying(bev);
            }
        }
    }
}

/// The program added output: filter it down.
struct OutputAdded;

impl ChangeHandler for OutputAdded {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, info: &CallbackInfo) {
        // SAFETY: registered on the filter's own output, removed in `destruct`.
        let bev = unsafe { bev.as_ref() };
        if info.n_added > 0 {
            let _hold = bev.hold();
            let mut processed = false;
            process_output(bev, filter_of(bev), FlushMode::Normal, &mut processed);
        }
    }
}

pub(super) fn enable(bev: &Bufferevent, part: &FilterPart, events: c_short) -> BevResult {
    if events & ev::WRITE != 0 {
        bev.reset_generic_write_timeout();
    }
    if events & ev::READ != 0 {
        bev.reset_generic_read_timeout();
        underlying_of(part).unsuspend_read(suspend::FILTER_READ);
    }
    Ok(())
}

pub(super) fn disable(bev: &Bufferevent, part: &FilterPart, events: c_short) {
    if events & ev::WRITE != 0 {
        bev.del_generic_timeout(bev.ev_write());
    }
    if events & ev::READ != 0 {
        bev.del_generic_timeout(bev.ev_read());
        underlying_of(part).suspend_read(suspend::FILTER_READ);
    }
}

/// The filter is going: it gives up its hold on the underlying bufferevent's
/// callbacks, then frees it with `BEV_OPT_CLOSE_ON_FREE` or hands it back to the
/// program (no callbacks, reading resumed).
pub(super) fn unlink(bev: &Bufferevent, part: &FilterPart) {
    let underlying = underlying_of(part);
    underlying.take_back_from(bev);
    if bev.options.get() & options::CLOSE_ON_FREE != 0 {
        if underlying.refs.get() < 2 {
            log::warn(format_args!(
                "BEV_OPT_CLOSE_ON_FREE set on an bufferevent with too few references"
            ));
        } else {
            underlying.free();
        }
    } else {
        underlying.unsuspend_read(suspend::FILTER_READ);
    }
}

pub(super) fn destruct(bev: &Bufferevent, part: &FilterPart) {
    if let Some(free) = part.free_context {
        // SAFETY: the program's function for its own context.
        unsafe { free(part.context) };
    }
    if let Some(entry) = part.input_entry.take() {
        bev.input().remove_callback_entry(entry);
    }
    if let Some(entry) = part.output_entry.take() {
        bev.output().remove_callback_entry(entry);
    }
}

/// `bufferevent_flush` on a filter: 1 when a filter call returned `BEV_OK`.
pub(super) fn flush(
    bev: &Bufferevent,
    part: &FilterPart,
    iotype: c_short,
    mode: FlushMode,
) -> c_int {
    let _hold = bev.hold();
    let mut processed = false;
    if iotype & ev::READ != 0 {
        process_input(bev, part, mode, &mut processed);
    }
    if iotype & ev::WRITE != 0 {
        process_output(bev, part, mode, &mut processed);
    }
    underlying_of(part).flush(iotype, mode);
    c_int::from(processed)
}

//! `event2/event.h` and `event2/event_compat.h`: bases, events, the loop, and the
//! libevent 1.x calls that work on the "current" base.

use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use evrs::event::raw::{list, EventFinalizeFn};
use evrs::event::Features;
use evrs::event::{self as core, Base, Config, DelMode, Tv};
use evrs::log;

use crate::ffi::{borrow, borrow_mut, cstr, write_out};

/// `struct event_base` (opaque to C).
pub type event_base = Base;
/// `struct event`, with libevent's public layout.
pub type event = evrs::event::raw::Event;
/// `struct event_config` (opaque to C).
pub type event_config = Config;
/// `struct timeval`.
pub type timeval = libc::timeval;
/// `event_callback_fn`.
pub type event_callback_fn = Option<unsafe extern "C" fn(c_int, c_short, *mut c_void)>;
/// `event_finalize_callback_fn`.
pub type event_finalize_callback_fn = Option<EventFinalizeFn>;
/// `event_log_cb`.
pub type event_log_cb = Option<unsafe extern "C" fn(c_int, *const c_char)>;
/// `event_fatal_cb`.
pub type event_fatal_cb = Option<unsafe extern "C" fn(c_int)>;
/// `event_base_foreach_event_cb`.
pub type event_base_foreach_event_cb =
    Option<unsafe extern "C" fn(*const event_base, *const event, *mut c_void) -> c_int>;

/// The base of the libevent 1.x API (`event_init`), also used by calls given NULL.
static CURRENT_BASE: AtomicPtr<Base> = AtomicPtr::new(ptr::null_mut());

/// The debug-logging mask, exported under libevent's name for code that reads it.
#[no_mangle]
pub static event_debug_logging_mask_: AtomicU32 = AtomicU32::new(0);

/// The address `event_self_cbarg()` returns.
static SELF_CBARG: u8 = 0;

fn self_cbarg() -> *mut c_void {
    ptr::addr_of!(SELF_CBARG) as *mut c_void
}

/// The base a call names, or the current base for NULL.
///
/// # Safety
/// `base` is NULL or a live base from this library.
pub(crate) unsafe fn base_or_current<'a>(base: *const event_base) -> Option<&'a Base> {
    let base = if base.is_null() {
        CURRENT_BASE.load(Ordering::Acquire).cast_const()
    } else {
        base
    };
    // SAFETY: a live base from this library or NULL (crate contract).
    unsafe { borrow(base) }
}

/// A timeout argument as given, without normalising (common timeouts carry a tag).
///
/// # Safety
/// `tv` is NULL or points to a readable timeval.
unsafe fn timeout_arg(tv: *const timeval) -> Option<Tv> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow(tv) }.map(|tv| Tv {
        sec: tv.tv_sec,
        usec: tv.tv_usec,
    })
}

fn result(r: Result<(), core::EventError>) -> c_int {
    if r.is_ok() {
        0
    } else {
        -1
    }
}

static VERSION_C: &CStr = c"2.2.1-alpha";

/// `const char *event_get_version(void)`
#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    ffi_boundary!("event_get_version", { VERSION_C.as_ptr() })
}

/// `ev_uint32_t event_get_version_number(void)`
#[no_mangle]
pub extern "C" fn event_get_version_number() -> u32 {
    ffi_boundary!("event_get_version_number", {
        evrs::version::VERSION_NUMBER
    })
}

// ----- configuration ------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_config_new() -> *mut event_config {
    ffi_boundary!("event_config_new", { Box::into_raw(Box::default()) })
}

/// # Safety
/// `cfg` is NULL or from `event_config_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn event_config_free(cfg: *mut event_config) {
    ffi_boundary!("event_config_free", {
        if !cfg.is_null() {
            // SAFETY: from event_config_new (crate contract).
            drop(unsafe { Box::from_raw(cfg) });
        }
    })
}

/// # Safety
/// `cfg` is NULL or a live config; `method` NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn event_config_avoid_method(
    cfg: *mut event_config,
    method: *const c_char,
) -> c_int {
    ffi_boundary!("event_config_avoid_method", {
        // SAFETY: crate contract.
        let (Some(cfg), Some(method)) = (unsafe { borrow_mut(cfg) }, unsafe { cstr(method) })
        else {
            return -1;
        };
        cfg.avoid_method(&method.to_string_lossy());
        0
    })
}

/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn event_config_require_features(
    cfg: *mut event_config,
    features: c_int,
) -> c_int {
    ffi_boundary!("event_config_require_features", {
        // SAFETY: crate contract.
        let Some(cfg) = (unsafe { borrow_mut(cfg) }) else {
            return -1;
        };
        cfg.required_features = Features::from_bits(features as u8);
        0
    })
}

/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn event_config_set_flag(cfg: *mut event_config, flag: c_int) -> c_int {
    ffi_boundary!("event_config_set_flag", {
        // SAFETY: crate contract.
        let Some(cfg) = (unsafe { borrow_mut(cfg) }) else {
            return -1;
        };
        if cfg.set_flag(flag as u32).is_ok() {
            0
        } else {
            -1
        }
    })
}

/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn event_config_set_num_cpus_hint(
    cfg: *mut event_config,
    cpus: c_int,
) -> c_int {
    ffi_boundary!("event_config_set_num_cpus_hint", {
        // SAFETY: crate contract.
        let Some(cfg) = (unsafe { borrow_mut(cfg) }) else {
            return -1;
        };
        // A hint for IOCP thread pools; recorded, and meaningless for the Unix backends.
        cfg.num_cpus_hint = cpus;
        0
    })
}

/// # Safety
/// `cfg` is NULL or a live config; `max_interval` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut event_config,
    max_interval: *const timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    ffi_boundary!("event_config_set_max_dispatch_interval", {
        // SAFETY: crate contract.
        let Some(cfg) = (unsafe { borrow_mut(cfg) }) else {
            return -1;
        };
        // SAFETY: crate contract.
        let interval = unsafe { borrow(max_interval) }.map(|tv| Tv::from_timeval(tv).to_duration());
        if cfg
            .set_max_dispatch_interval(interval, max_callbacks, min_priority)
            .is_ok()
        {
            0
        } else {
            -1
        }
    })
}

// ----- bases ----------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_base_new() -> *mut event_base {
    ffi_boundary!("event_base_new", {
        Base::new(&Config::default()).map_or(ptr::null_mut(), Box::into_raw)
    })
}

/// # Safety
/// `cfg` is NULL or a live config.
#[no_mangle]
pub unsafe extern "C" fn event_base_new_with_config(cfg: *const event_config) -> *mut event_base {
    ffi_boundary!("event_base_new_with_config", {
        let default = Config::default();
        // SAFETY: crate contract.
        let cfg = unsafe { borrow(cfg) }.unwrap_or(&default);
        Base::new(cfg).map_or(ptr::null_mut(), Box::into_raw)
    })
}

/// Frees `base` (or the current base for NULL).
///
/// # Safety
/// `base` is NULL or a live base, not used afterwards.
unsafe fn free_base(base: *mut event_base, run_finalizers: bool) {
    let base = if base.is_null() {
        CURRENT_BASE.load(Ordering::Acquire)
    } else {
        base
    };
    if base.is_null() {
        log::warn(format_args!("event_base_free: no base to free"));
        return;
    }
    let _ =
        CURRENT_BASE.compare_exchange(base, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    // SAFETY: a live base from Box::into_raw (crate contract).
    unsafe { Base::free(NonNull::new_unchecked(base), run_finalizers) };
}

/// # Safety
/// `base` is NULL or a live base, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn event_base_free(base: *mut event_base) {
    // SAFETY: crate contract.
    ffi_boundary!("event_base_free", { unsafe { free_base(base, true) } })
}

/// # Safety
/// `base` is NULL or a live base, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn event_base_free_nofinalize(base: *mut event_base) {
    // SAFETY: crate contract.
    ffi_boundary!("event_base_free_nofinalize", {
        unsafe { free_base(base, false) }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_reinit(base: *mut event_base) -> c_int {
    ffi_boundary!("event_reinit", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) => result(base.reinit()),
            None => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_method(base: *const event_base) -> *const c_char {
    ffi_boundary!("event_base_get_method", {
        // SAFETY: crate contract.
        unsafe { borrow(base) }.map_or(ptr::null(), |b| method_name(b.method()))
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_signal_method(base: *const event_base) -> *const c_char {
    ffi_boundary!("event_base_get_signal_method", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { borrow(base) }) else {
            return ptr::null();
        };
        match base.signal_method() {
            "signalfd_signal" => c"signalfd_signal".as_ptr(),
            _ => c"signal".as_ptr(),
        }
    })
}

/// A pointer-array entry that may live in a static.
struct CName(*const c_char);
// SAFETY: points to immutable static C strings.
unsafe impl Sync for CName {}

static SUPPORTED_METHODS: [CName; 4] = [
    CName(c"epoll".as_ptr()),
    CName(c"poll".as_ptr()),
    CName(c"select".as_ptr()),
    CName(ptr::null()),
];

/// The static C string of a backend's name.
fn method_name(name: &str) -> *const c_char {
    SUPPORTED_METHODS
        .iter()
        .take_while(|m| !m.0.is_null())
        // SAFETY: the table holds static NUL-terminated strings.
        .find(|m| unsafe { CStr::from_ptr(m.0) }.to_bytes() == name.as_bytes())
        .map_or(ptr::null(), |m| m.0)
}

#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *mut *const c_char {
    ffi_boundary!("event_get_supported_methods", {
        // libevent returns the table as `const char **`; callers only read it.
        SUPPORTED_METHODS.as_ptr() as *mut *const c_char
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_features(base: *const event_base) -> c_int {
    ffi_boundary!("event_base_get_features", {
        // SAFETY: crate contract.
        unsafe { borrow(base) }.map_or(0, |b| c_int::from(b.features().bits()))
    })
}

/// # Safety
/// `base` is NULL or a live base; `tp` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn event_gettime_monotonic(base: *mut event_base, tp: *mut timeval) -> c_int {
    ffi_boundary!("event_gettime_monotonic", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { borrow(base) }) else {
            return -1;
        };
        // SAFETY: crate contract.
        if unsafe { write_out(tp, base.monotonic_now().to_timeval()) } {
            0
        } else {
            -1
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_num_events(base: *mut event_base, flags: c_uint) -> c_int {
    ffi_boundary!("event_base_get_num_events", {
        // SAFETY: crate contract.
        unsafe { borrow(base) }.map_or(-1, |b| saturate(b.num_events(flags)))
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_max_events(
    base: *mut event_base,
    flags: c_uint,
    clear: c_int,
) -> c_int {
    ffi_boundary!("event_base_get_max_events", {
        // SAFETY: crate contract.
        unsafe { borrow(base) }.map_or(-1, |b| saturate(b.max_events(flags, clear != 0)))
    })
}

fn saturate(n: usize) -> c_int {
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_priority_init(
    base: *mut event_base,
    npriorities: c_int,
) -> c_int {
    ffi_boundary!("event_base_priority_init", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) if base.priority_init(npriorities).is_ok() => 0,
            _ => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_npriorities(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_get_npriorities", {
        // SAFETY: crate contract.
        unsafe { base_or_current(base) }.map_or(0, |b| saturate(b.priorities()))
    })
}

// ----- the loop -------------------------------------------------------------------------

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_loop(base: *mut event_base, flags: c_int) -> c_int {
    ffi_boundary!("event_base_loop", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) => base.run(flags),
            None => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_dispatch(base: *mut event_base) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_base_dispatch", {
        unsafe { event_base_loop(base, 0) }
    })
}

/// # Safety
/// `base` is NULL or a live base; `tv` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_base_loopexit(base: *mut event_base, tv: *const timeval) -> c_int {
    ffi_boundary!("event_base_loopexit", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            // SAFETY: crate contract.
            Some(base) => result(base.loopexit(unsafe { timeout_arg(tv) })),
            None => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_loopbreak(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_loopbreak", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) => {
                base.loopbreak();
                0
            }
            None => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_loopcontinue(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_loopcontinue", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) => {
                base.loopcontinue();
                0
            }
            None => -1,
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_got_exit(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_got_exit", {
        // SAFETY: crate contract.
        unsafe { base_or_current(base) }.map_or(0, |b| c_int::from(b.got_exit()))
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_got_break(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_got_break", {
        // SAFETY: crate contract.
        unsafe { base_or_current(base) }.map_or(0, |b| c_int::from(b.got_break()))
    })
}

/// # Safety
/// `base` is NULL or a live base; `tv` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_base_once(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
    tv: *const timeval,
) -> c_int {
    ffi_boundary!("event_base_once", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            // SAFETY: crate contract.
            Some(base) => result(base.once(fd, events, callback, arg, unsafe { timeout_arg(tv) })),
            None => -1,
        }
    })
}

// ----- events ---------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    ffi_boundary!("event_self_cbarg", { self_cbarg() })
}

#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    ffi_boundary!("event_get_struct_event_size", {
        std::mem::size_of::<event>()
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_new(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> *mut event {
    ffi_boundary!("event_new", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { base_or_current(base) }) else {
            return ptr::null_mut();
        };
        core::new(base, fd, events, callback, arg, self_cbarg())
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// # Safety
/// `ev` is NULL or writable event memory; `base` NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_assign(
    ev: *mut event,
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> c_int {
    ffi_boundary!("event_assign", {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        let arg = if arg == self_cbarg() {
            ev.as_ptr().cast()
        } else {
            arg
        };
        // SAFETY: crate contract.
        let base = unsafe { base_or_current(base) };
        // SAFETY: the caller provides event memory.
        result(unsafe { core::assign(ev, base, fd, events, callback, arg) })
    })
}

/// # Safety
/// `ev` is NULL or writable event memory.
#[no_mangle]
pub unsafe extern "C" fn event_set(
    ev: *mut event,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) {
    ffi_boundary!("event_set", {
        // SAFETY: crate contract.
        unsafe { event_assign(ev, ptr::null_mut(), fd, events, callback, arg) };
    })
}

/// # Safety
/// `ev` is NULL or an event from `event_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn event_free(ev: *mut event) {
    ffi_boundary!("event_free", {
        if let Some(ev) = NonNull::new(ev) {
            // SAFETY: crate contract.
            unsafe { core::free(ev) };
        }
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_debug_unassign(ev: *mut event) {
    ffi_boundary!("event_debug_unassign", {
        if let Some(ev) = NonNull::new(ev) {
            // SAFETY: crate contract.
            unsafe { core::debug_unassign(ev) };
        }
    })
}

/// # Safety
/// `ev` is NULL or a live event.
unsafe fn finalize(
    ev: *mut event,
    callback: event_finalize_callback_fn,
    free_after: bool,
) -> c_int {
    let Some(ev) = NonNull::new(ev) else {
        return -1;
    };
    // SAFETY: crate contract.
    result(unsafe { core::finalize(ev, callback, free_after) })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_finalize(
    _flags: c_uint,
    ev: *mut event,
    callback: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_finalize", {
        unsafe { finalize(ev, callback, false) }
    })
}

/// # Safety
/// `ev` is NULL or an event from `event_new`.
#[no_mangle]
pub unsafe extern "C" fn event_free_finalize(
    _flags: c_uint,
    ev: *mut event,
    callback: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_free_finalize", {
        unsafe { finalize(ev, callback, true) }
    })
}

/// # Safety
/// `ev` is NULL or a live event; `tv` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_add(ev: *mut event, tv: *const timeval) -> c_int {
    ffi_boundary!("event_add", {
        let Some(ev) = NonNull::new(ev) else {
            log::warn(format_args!("event_add: NULL event"));
            return -1;
        };
        // SAFETY: crate contract.
        result(unsafe { core::add(ev, timeout_arg(tv)) })
    })
}

/// # Safety
/// `ev` is NULL or a live event.
unsafe fn del(ev: *mut event, mode: DelMode) -> c_int {
    let Some(ev) = NonNull::new(ev) else {
        return -1;
    };
    // SAFETY: crate contract.
    result(unsafe { core::del(ev, mode) })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_del(ev: *mut event) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_del", { unsafe { del(ev, DelMode::Auto) } })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_del_block(ev: *mut event) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_del_block", { unsafe { del(ev, DelMode::Block) } })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_del_noblock(ev: *mut event) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_del_noblock", {
        unsafe { del(ev, DelMode::NoBlock) }
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_remove_timer(ev: *mut event) -> c_int {
    ffi_boundary!("event_remove_timer", {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        // SAFETY: crate contract.
        result(unsafe { core::remove_timer(ev) })
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_active(ev: *mut event, res: c_int, ncalls: c_short) {
    ffi_boundary!("event_active", {
        if let Some(ev) = NonNull::new(ev) {
            // SAFETY: crate contract.
            unsafe { core::activate(ev, res as c_short, ncalls) };
        }
    })
}

/// # Safety
/// `ev` is NULL or a live event; `tv` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: *mut timeval,
) -> c_int {
    ffi_boundary!("event_pending", {
        let Some(ev) = NonNull::new(ev.cast_mut()) else {
            return 0;
        };
        // SAFETY: crate contract.
        let (flags, when) = unsafe { core::pending(ev, events) };
        if let Some(when) = when {
            // SAFETY: crate contract.
            unsafe { write_out(tv, when.to_timeval()) };
        }
        c_int::from(flags)
    })
}

/// # Safety
/// `base` is NULL or a live base; `ev` NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_base_set(base: *mut event_base, ev: *mut event) -> c_int {
    ffi_boundary!("event_base_set", {
        // SAFETY: crate contract.
        let (Some(base), Some(ev)) = (unsafe { borrow(base) }, NonNull::new(ev)) else {
            return -1;
        };
        // SAFETY: crate contract.
        result(unsafe { core::set_base(ev, base) })
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_priority_set(ev: *mut event, priority: c_int) -> c_int {
    ffi_boundary!("event_priority_set", {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        // SAFETY: crate contract.
        result(unsafe { core::set_priority(ev, priority) })
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_get_running_event(base: *mut event_base) -> *mut event {
    ffi_boundary!("event_base_get_running_event", {
        // SAFETY: crate contract.
        unsafe { borrow(base) }
            .and_then(Base::running_event)
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

/// Reads an event's fields for the accessors (which libevent lets run on any
/// assigned event, even a pending one).
///
/// # Safety
/// `ev` is NULL or a live event.
unsafe fn fields<'a>(ev: *const event, caller: &str) -> Option<&'a event> {
    let ev = NonNull::new(ev.cast_mut())?;
    evrs::event::debug::assert_is_setup(ev, caller);
    // SAFETY: crate contract.
    Some(unsafe { ev.as_ref() })
}

/// # Safety
/// `ev` is NULL or event memory.
#[no_mangle]
pub unsafe extern "C" fn event_initialized(ev: *const event) -> c_int {
    ffi_boundary!("event_initialized", {
        // SAFETY: crate contract.
        unsafe { borrow(ev) }.map_or(0, |e| c_int::from(e.flags() & list::INIT != 0))
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_fd(ev: *const event) -> c_int {
    // SAFETY: crate contract.
    ffi_boundary!("event_get_fd", {
        unsafe { fields(ev, "event_get_fd") }.map_or(-1, |e| e.fd)
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    ffi_boundary!("event_get_base", {
        // SAFETY: crate contract.
        unsafe { fields(ev, "event_get_base") }.map_or(ptr::null_mut(), |e| e.base.cast_mut())
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_events(ev: *const event) -> c_short {
    // SAFETY: crate contract.
    ffi_boundary!("event_get_events", {
        unsafe { fields(ev, "event_get_events") }.map_or(0, |e| e.events)
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_callback(ev: *const event) -> event_callback_fn {
    ffi_boundary!("event_get_callback", {
        // SAFETY: crate contract.
        unsafe { fields(ev, "event_get_callback") }.and_then(|e| e.callback.program_event_fn())
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_callback_arg(ev: *const event) -> *mut c_void {
    ffi_boundary!("event_get_callback_arg", {
        // SAFETY: crate contract.
        unsafe { fields(ev, "event_get_callback_arg") }.map_or(ptr::null_mut(), |e| e.callback.arg)
    })
}

/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn event_get_priority(ev: *const event) -> c_int {
    ffi_boundary!("event_get_priority", {
        // SAFETY: crate contract.
        unsafe { fields(ev, "event_get_priority") }.map_or(-1, |e| c_int::from(e.callback.priority))
    })
}

/// # Safety
/// `ev` is NULL or a live event; each out-pointer NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn event_get_assignment(
    ev: *const event,
    base_out: *mut *mut event_base,
    fd_out: *mut c_int,
    events_out: *mut c_short,
    callback_out: *mut event_callback_fn,
    arg_out: *mut *mut c_void,
) {
    ffi_boundary!("event_get_assignment", {
        // SAFETY: crate contract.
        let Some(e) = (unsafe { fields(ev, "event_get_assignment") }) else {
            return;
        };
        // SAFETY: crate contract for each out-pointer.
        unsafe {
            write_out(base_out, e.base.cast_mut());
            write_out(fd_out, e.fd);
            write_out(events_out, e.events);
            write_out(callback_out, e.callback.program_event_fn());
            write_out(arg_out, e.callback.arg);
        }
    })
}

// ----- inspection -----------------------------------------------------------------------

/// # Safety
/// `base` is NULL or a live base; `duration` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_base_init_common_timeout(
    base: *mut event_base,
    duration: *const timeval,
) -> *const timeval {
    ffi_boundary!("event_base_init_common_timeout", {
        // SAFETY: crate contract.
        let (Some(base), Some(duration)) =
            (unsafe { borrow(base) }, unsafe { timeout_arg(duration) })
        else {
            return ptr::null();
        };
        base.init_common_timeout(duration).unwrap_or(ptr::null())
    })
}

/// # Safety
/// `base` is NULL or a live base; `output` NULL or an open stdio stream.
#[no_mangle]
pub unsafe extern "C" fn event_base_dump_events(base: *mut event_base, output: *mut libc::FILE) {
    ffi_boundary!("event_base_dump_events", {
        // SAFETY: crate contract.
        let Some(base) = (unsafe { borrow(base) }) else {
            return;
        };
        if output.is_null() {
            return;
        }
        let text = CString::new(base.dump()).unwrap_or_default();
        // SAFETY: `output` is an open stream (crate contract); `text` is NUL-terminated.
        unsafe { libc::fputs(text.as_ptr(), output) };
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_fd(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
) {
    ffi_boundary!("event_base_active_by_fd", {
        // SAFETY: crate contract.
        if let Some(base) = unsafe { borrow(base) } {
            base.activate_fd(fd, events);
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_signal(base: *mut event_base, sig: c_int) {
    ffi_boundary!("event_base_active_by_signal", {
        // SAFETY: crate contract.
        if let Some(base) = unsafe { borrow(base) } {
            base.activate_signal(sig);
        }
    })
}

/// # Safety
/// `base` is NULL or a live base; `callback` must not add or delete events.
#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event(
    base: *mut event_base,
    callback: event_base_foreach_event_cb,
    arg: *mut c_void,
) -> c_int {
    ffi_boundary!("event_base_foreach_event", {
        // SAFETY: crate contract.
        let (Some(base_ref), Some(callback)) = (unsafe { borrow(base) }, callback) else {
            return -1;
        };
        // SAFETY: calling the program's callback with the base and a live event.
        base_ref.foreach_event(|ev| unsafe { callback(base, ev.as_ptr(), arg) })
    })
}

/// # Safety
/// `base` is NULL or a live base; `tv` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn event_base_gettimeofday_cached(
    base: *mut event_base,
    tv: *mut timeval,
) -> c_int {
    ffi_boundary!("event_base_gettimeofday_cached", {
        // SAFETY: crate contract.
        let now = match unsafe { base_or_current(base) } {
            Some(base) => base.gettimeofday_cached(),
            None => core::wall_clock(),
        };
        // SAFETY: crate contract.
        if unsafe { write_out(tv, now.to_timeval()) } {
            0
        } else {
            -1
        }
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn event_base_update_cache_time(base: *mut event_base) -> c_int {
    ffi_boundary!("event_base_update_cache_time", {
        // SAFETY: crate contract.
        match unsafe { base_or_current(base) } {
            Some(base) => {
                base.update_cache_time();
                0
            }
            None => -1,
        }
    })
}

// ----- global settings ------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_enable_debug_mode() {
    ffi_boundary!("event_enable_debug_mode", { evrs::event::debug::enable() })
}

#[no_mangle]
pub extern "C" fn event_enable_debug_logging(which: u32) {
    ffi_boundary!("event_enable_debug_logging", {
        event_debug_logging_mask_.store(which, Ordering::Relaxed);
        log::set_debug_mask(which);
    })
}

#[no_mangle]
pub extern "C" fn event_set_log_callback(callback: event_log_cb) {
    ffi_boundary!("event_set_log_callback", {
        log::set_handler(callback.map(|f| -> log::LogHandler {
            Box::new(move |severity, message| {
                // SAFETY: calling the program's log callback with a valid C string.
                unsafe { f(severity as c_int, message.as_ptr()) };
            })
        }));
    })
}

#[no_mangle]
pub extern "C" fn event_set_fatal_callback(callback: event_fatal_cb) {
    ffi_boundary!("event_set_fatal_callback", {
        log::set_fatal_handler(callback.map(|f| -> log::FatalHandler {
            // SAFETY: calling the program's fatal callback.
            Box::new(move |code| unsafe { f(code) })
        }));
    })
}

#[no_mangle]
pub extern "C" fn event_set_mem_functions(
    malloc_fn: Option<unsafe extern "C" fn(usize) -> *mut c_void>,
    realloc_fn: Option<unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void>,
    free_fn: Option<unsafe extern "C" fn(*mut c_void)>,
) {
    ffi_boundary!("event_set_mem_functions", {
        crate::mem::set_functions(malloc_fn, realloc_fn, free_fn)
    })
}

#[no_mangle]
pub extern "C" fn libevent_global_shutdown() {
    ffi_boundary!("libevent_global_shutdown", {
        evrs::event::debug::shutdown()
    })
}

// ----- event_compat.h -------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_init() -> *mut event_base {
    ffi_boundary!("event_init", {
        let base = event_base_new();
        if !base.is_null() {
            CURRENT_BASE.store(base, Ordering::Release);
        }
        base
    })
}

#[no_mangle]
pub extern "C" fn event_dispatch() -> c_int {
    // SAFETY: NULL selects the current base.
    ffi_boundary!("event_dispatch", {
        unsafe { event_base_loop(ptr::null_mut(), 0) }
    })
}

#[no_mangle]
pub extern "C" fn event_loop(flags: c_int) -> c_int {
    // SAFETY: NULL selects the current base.
    ffi_boundary!("event_loop", {
        unsafe { event_base_loop(ptr::null_mut(), flags) }
    })
}

/// # Safety
/// `tv` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_loopexit(tv: *const timeval) -> c_int {
    // SAFETY: NULL selects the current base; `tv` per crate contract.
    ffi_boundary!("event_loopexit", {
        unsafe { event_base_loopexit(ptr::null_mut(), tv) }
    })
}

#[no_mangle]
pub extern "C" fn event_loopbreak() -> c_int {
    // SAFETY: NULL selects the current base.
    ffi_boundary!("event_loopbreak", {
        unsafe { event_base_loopbreak(ptr::null_mut()) }
    })
}

/// # Safety
/// `tv` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn event_once(
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
    tv: *const timeval,
) -> c_int {
    ffi_boundary!("event_once", {
        // SAFETY: NULL selects the current base; `tv` per crate contract.
        unsafe { event_base_once(ptr::null_mut(), fd, events, callback, arg, tv) }
    })
}

#[no_mangle]
pub extern "C" fn event_get_method() -> *const c_char {
    ffi_boundary!("event_get_method", {
        // SAFETY: the current base is NULL or live.
        unsafe { base_or_current(ptr::null()) }.map_or(ptr::null(), |b| method_name(b.method()))
    })
}

#[no_mangle]
pub extern "C" fn event_priority_init(npriorities: c_int) -> c_int {
    // SAFETY: NULL selects the current base.
    ffi_boundary!("event_priority_init", {
        unsafe { event_base_priority_init(ptr::null_mut(), npriorities) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_version_matches_core() {
        assert_eq!(VERSION_C.to_str().unwrap(), evrs::version::VERSION);
    }

    #[test]
    fn method_table_matches_backends() {
        let names: Vec<&str> = evrs::event::METHODS.iter().map(|m| m.0).collect();
        let table: Vec<&str> = SUPPORTED_METHODS
            .iter()
            .take_while(|m| !m.0.is_null())
            // SAFETY: static C strings.
            .map(|m| unsafe { CStr::from_ptr(m.0) }.to_str().unwrap())
            .collect();
        assert_eq!(names, table);
    }
}

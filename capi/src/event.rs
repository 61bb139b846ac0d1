//! `event2/event.h` and `event2/event_compat.h`: bases, events, the loop, and the
//! libevent 1.x calls that work on the "current" base.

use std::ffi::{c_char, c_int, c_short, c_uint, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU32, Ordering};

use evrs::event::raw::{list, EventFinalizeFn};
use evrs::event::Features;
use evrs::event::{self as core, Base, Config, DelMode, Tv};
use evrs::log;

use crate::ffi::{
    borrow, cstr, leaked_box_to_mut_ptr, to_box_ptr, to_boxed_mut_ptr, to_mut_ptr, try_from,
    write_out, Status,
};

castable! {
    /// `struct event_base` (opaque to C).
    event_base => Base, OwnershipBox
}
castable! {
    /// `struct event_config` (opaque to C).
    event_config => Config, OwnershipBox
}
/// `struct event`, with libevent's public layout, in the program's memory (or from
/// `event_new`); the core takes it as `NonNull<event>`.
pub type event = evrs::event::raw::Event;
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

/// The debug-logging mask, exported under libevent's name for code that reads it.
#[no_mangle]
pub static event_debug_logging_mask_: AtomicU32 = AtomicU32::new(0);

/// The base a call names, or libevent 1.x's current base for NULL.
///
/// # Safety
/// Under the crate contract.
pub(crate) unsafe fn base_or_current<'a>(base: *const event_base) -> Option<&'a Base> {
    // SAFETY: NULL or a live base (crate contract); the current base is live while the
    // program uses it.
    unsafe { core::base_or_current(try_from(base)) }
}

/// A timeout argument as given, without normalising (common timeouts carry a tag).
///
/// # Safety
/// `tv` is NULL or points to a readable timeval.
unsafe fn timeout_arg(tv: *const timeval) -> Option<Tv> {
    // SAFETY: guaranteed by the caller.
    unsafe { borrow(tv) }.map(Tv::from_timeval_raw)
}

/// `const char *event_get_version(void)`
#[no_mangle]
pub extern "C" fn event_get_version() -> *const c_char {
    ffi_boundary!("event_get_version", { evrs::version::VERSION_C.as_ptr() })
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
    ffi_boundary!("event_config_new", { to_boxed_mut_ptr(Box::default()) })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_free(cfg: *mut event_config) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_free", unsafe { crate::ffi::free_box(cfg) })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_avoid_method(
    cfg: *mut event_config,
    method: *const c_char,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_avoid_method", unsafe {
        let cfg = try_mut_from_ptr!(cfg);
        let Some(method) = cstr(method) else {
            return -1;
        };
        cfg.avoid_method(&method.to_string_lossy());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_require_features(
    cfg: *mut event_config,
    features: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_require_features", unsafe {
        try_mut_from_ptr!(cfg).required_features = Features::from_bits(features as u8);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_flag(cfg: *mut event_config, flag: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_set_flag", unsafe {
        try_mut_from_ptr!(cfg).set_flag(flag as u32).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_num_cpus_hint(
    cfg: *mut event_config,
    cpus: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_set_num_cpus_hint", unsafe {
        // A hint for IOCP thread pools; recorded, and meaningless for the Unix backends.
        try_mut_from_ptr!(cfg).num_cpus_hint = cpus;
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_config_set_max_dispatch_interval(
    cfg: *mut event_config,
    max_interval: *const timeval,
    max_callbacks: c_int,
    min_priority: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_config_set_max_dispatch_interval", unsafe {
        let cfg = try_mut_from_ptr!(cfg);
        let interval = timeout_arg(max_interval).map(|tv| tv.normalize().to_duration());
        cfg.set_max_dispatch_interval(interval, max_callbacks, min_priority)
            .status()
    })
}

// ----- bases ----------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_base_new() -> *mut event_base {
    ffi_boundary!("event_base_new", {
        Base::new(&Config::default()).map_or(ptr::null_mut(), to_boxed_mut_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_new_with_config(cfg: *const event_config) -> *mut event_base {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_new_with_config", unsafe {
        let default = Config::default();
        let cfg = try_from(cfg).unwrap_or(&default);
        Base::new(cfg).map_or(ptr::null_mut(), to_boxed_mut_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free(base: *mut event_base) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_free", unsafe {
        core::free_base(to_box_ptr(base), true)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_free_nofinalize(base: *mut event_base) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_free_nofinalize", unsafe {
        core::free_base(to_box_ptr(base), false)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_reinit(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_reinit", unsafe {
        base_or_current(base).map_or(-1, |b| b.reinit().status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_method(base: *const event_base) -> *const c_char {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_method", unsafe {
        method_name(try_ref_from_ptr!(base).method())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_signal_method(base: *const event_base) -> *const c_char {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_signal_method", unsafe {
        match try_ref_from_ptr!(base).signal_method() {
            "signalfd_signal" => c"signalfd_signal".as_ptr(),
            _ => c"signal".as_ptr(),
        }
    })
}

/// A pointer-array entry that may live in a static.
struct CName(*const c_char);
// SAFETY: points to immutable C strings that live for the whole process.
unsafe impl Sync for CName {}
// SAFETY: as above, nothing is ever written through the pointer.
unsafe impl Send for CName {}

/// The C names of `evrs::event::METHODS`, in its order, and a terminating NULL: made
/// once from the backends' own table, so every system lists exactly the methods it has.
fn supported_methods() -> &'static [CName] {
    static TABLE: std::sync::OnceLock<Box<[CName]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        evrs::event::METHODS
            .iter()
            // Method names have no NUL byte; the strings live as long as the table.
            .filter_map(|&(name, _)| CString::new(name).ok())
            .map(|name| CName(CString::into_raw(name).cast_const()))
            .chain(std::iter::once(CName(ptr::null())))
            .collect()
    })
}

/// The C string of a backend's name, from the same table.
fn method_name(name: &str) -> *const c_char {
    supported_methods()
        .iter()
        .take_while(|m| !m.0.is_null())
        // SAFETY: the table holds NUL-terminated strings that are never freed.
        .find(|m| unsafe { CStr::from_ptr(m.0) }.to_bytes() == name.as_bytes())
        .map_or(ptr::null(), |m| m.0)
}

#[no_mangle]
pub extern "C" fn event_get_supported_methods() -> *mut *const c_char {
    ffi_boundary!("event_get_supported_methods", {
        // libevent returns the table as `const char **`; callers only read it.
        supported_methods().as_ptr().cast_mut().cast()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_features(base: *const event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_features", unsafe {
        c_int::from(try_ref_from_ptr!(base, 0).features().bits())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_gettime_monotonic(base: *mut event_base, tp: *mut timeval) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_gettime_monotonic", unsafe {
        let now = try_ref_from_ptr!(base).monotonic_now();
        write_out(tp, now.to_timeval_raw()).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_num_events(base: *mut event_base, flags: c_uint) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_num_events", unsafe {
        saturate(try_ref_from_ptr!(base).num_events(flags))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_max_events(
    base: *mut event_base,
    flags: c_uint,
    clear: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_max_events", unsafe {
        saturate(try_ref_from_ptr!(base).max_events(flags, clear != 0))
    })
}

fn saturate(n: usize) -> c_int {
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

#[no_mangle]
pub unsafe extern "C" fn event_base_priority_init(
    base: *mut event_base,
    npriorities: c_int,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_priority_init", unsafe {
        base_or_current(base).map_or(-1, |b| b.priority_init(npriorities).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_npriorities(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_npriorities", unsafe {
        base_or_current(base).map_or(0, |b| saturate(b.priorities()))
    })
}

// ----- the loop -------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_base_loop(base: *mut event_base, flags: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_loop", unsafe {
        base_or_current(base).map_or(-1, |b| b.run(flags))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_dispatch(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_dispatch", unsafe { event_base_loop(base, 0) })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopexit(base: *mut event_base, tv: *const timeval) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_loopexit", unsafe {
        base_or_current(base).map_or(-1, |b| b.loopexit(timeout_arg(tv)).status())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopbreak(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_loopbreak", unsafe {
        base_or_current(base).map_or(-1, |b| {
            b.loopbreak();
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_loopcontinue(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_loopcontinue", unsafe {
        base_or_current(base).map_or(-1, |b| {
            b.loopcontinue();
            0
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_exit(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_got_exit", unsafe {
        base_or_current(base).map_or(0, |b| c_int::from(b.got_exit()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_got_break(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_got_break", unsafe {
        base_or_current(base).map_or(0, |b| c_int::from(b.got_break()))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_once(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
    tv: *const timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_once", unsafe {
        base_or_current(base).map_or(-1, |b| {
            b.once(fd, events, callback, arg, timeout_arg(tv)).status()
        })
    })
}

// ----- events ---------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn event_self_cbarg() -> *mut c_void {
    ffi_boundary!("event_self_cbarg", { core::self_cbarg() })
}

#[no_mangle]
pub extern "C" fn event_get_struct_event_size() -> usize {
    ffi_boundary!("event_get_struct_event_size", {
        std::mem::size_of::<event>()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_new(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> *mut event {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_new", unsafe {
        base_or_current(base)
            .and_then(|b| core::new(b, fd, events, callback, arg))
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_assign(
    ev: *mut event,
    base: *mut event_base,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_assign", unsafe {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        core::assign(ev, base_or_current(base), fd, events, callback, arg).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_set(
    ev: *mut event,
    fd: c_int,
    events: c_short,
    callback: event_callback_fn,
    arg: *mut c_void,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_set", unsafe {
        event_assign(ev, ptr::null_mut(), fd, events, callback, arg);
    })
}

/// # Safety
/// `ev` came from `event_new`.
#[no_mangle]
pub unsafe extern "C" fn event_free(ev: *mut event) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_free", unsafe {
        if let Some(ev) = NonNull::new(ev) {
            core::free(ev);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_debug_unassign(ev: *mut event) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_debug_unassign", unsafe {
        if let Some(ev) = NonNull::new(ev) {
            core::debug_unassign(ev);
        }
    })
}

/// # Safety
/// `ev` is NULL or a live event (with `free_after`, one from `event_new`).
unsafe fn finalize(
    ev: *mut event,
    callback: event_finalize_callback_fn,
    free_after: bool,
) -> c_int {
    let Some(ev) = NonNull::new(ev) else {
        return -1;
    };
    // SAFETY: guaranteed by the caller.
    unsafe { core::finalize(ev, callback, free_after) }.status()
}

#[no_mangle]
pub unsafe extern "C" fn event_finalize(
    _flags: c_uint,
    ev: *mut event,
    callback: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_finalize", unsafe { finalize(ev, callback, false) })
}

/// # Safety
/// `ev` came from `event_new`.
#[no_mangle]
pub unsafe extern "C" fn event_free_finalize(
    _flags: c_uint,
    ev: *mut event,
    callback: event_finalize_callback_fn,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_free_finalize", unsafe {
        finalize(ev, callback, true)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_add(ev: *mut event, tv: *const timeval) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_add", unsafe {
        let Some(ev) = NonNull::new(ev) else {
            log::warn(format_args!("event_add: NULL event"));
            return -1;
        };
        core::add(ev, timeout_arg(tv)).status()
    })
}

/// # Safety
/// `ev` is NULL or a live event.
unsafe fn del(ev: *mut event, mode: DelMode) -> c_int {
    let Some(ev) = NonNull::new(ev) else {
        return -1;
    };
    // SAFETY: guaranteed by the caller.
    unsafe { core::del(ev, mode) }.status()
}

#[no_mangle]
pub unsafe extern "C" fn event_del(ev: *mut event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_del", unsafe { del(ev, DelMode::Auto) })
}

#[no_mangle]
pub unsafe extern "C" fn event_del_block(ev: *mut event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_del_block", unsafe { del(ev, DelMode::Block) })
}

#[no_mangle]
pub unsafe extern "C" fn event_del_noblock(ev: *mut event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_del_noblock", unsafe { del(ev, DelMode::NoBlock) })
}

#[no_mangle]
pub unsafe extern "C" fn event_remove_timer(ev: *mut event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_remove_timer", unsafe {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        core::remove_timer(ev).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_active(ev: *mut event, res: c_int, ncalls: c_short) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_active", unsafe {
        if let Some(ev) = NonNull::new(ev) {
            core::activate(ev, res as c_short, ncalls);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_pending(
    ev: *const event,
    events: c_short,
    tv: *mut timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_pending", unsafe {
        let Some(ev) = NonNull::new(ev.cast_mut()) else {
            return 0;
        };
        let (flags, when) = core::pending(ev, events);
        if let Some(when) = when {
            write_out(tv, when.to_timeval_raw());
        }
        c_int::from(flags)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_set(base: *mut event_base, ev: *mut event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_set", unsafe {
        let (Some(base), Some(ev)) = (try_from(base), NonNull::new(ev)) else {
            return -1;
        };
        core::set_base(ev, base).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_priority_set(ev: *mut event, priority: c_int) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_priority_set", unsafe {
        let Some(ev) = NonNull::new(ev) else {
            return -1;
        };
        core::set_priority(ev, priority).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_get_running_event(base: *mut event_base) -> *mut event {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_get_running_event", unsafe {
        try_ref_from_ptr!(base)
            .running_event()
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
    // SAFETY: guaranteed by the caller.
    Some(unsafe { ev.as_ref() })
}

/// # Safety
/// `ev` is NULL or readable event memory, set up or not.
#[no_mangle]
pub unsafe extern "C" fn event_initialized(ev: *const event) -> c_int {
    // SAFETY: NULL or readable (as documented above).
    ffi_boundary!("event_initialized", unsafe {
        borrow(ev).map_or(0, |e| c_int::from(e.flags() & list::INIT != 0))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_fd(ev: *const event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_fd", unsafe {
        fields(ev, "event_get_fd").map_or(-1, |e| e.fd)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_base(ev: *const event) -> *mut event_base {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_base", unsafe {
        fields(ev, "event_get_base").map_or(ptr::null_mut(), |e| to_mut_ptr(e.base))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_events(ev: *const event) -> c_short {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_events", unsafe {
        fields(ev, "event_get_events").map_or(0, |e| e.events)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback(ev: *const event) -> event_callback_fn {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_callback", unsafe {
        fields(ev, "event_get_callback").and_then(|e| e.callback.program_event_fn())
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_callback_arg(ev: *const event) -> *mut c_void {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_callback_arg", unsafe {
        fields(ev, "event_get_callback_arg").map_or(ptr::null_mut(), |e| e.callback.arg)
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_priority(ev: *const event) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_priority", unsafe {
        fields(ev, "event_get_priority").map_or(-1, |e| c_int::from(e.callback.priority))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_get_assignment(
    ev: *const event,
    base_out: *mut *mut event_base,
    fd_out: *mut c_int,
    events_out: *mut c_short,
    callback_out: *mut event_callback_fn,
    arg_out: *mut *mut c_void,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_get_assignment", unsafe {
        let Some(e) = fields(ev, "event_get_assignment") else {
            return;
        };
        write_out(base_out, to_mut_ptr(e.base));
        write_out(fd_out, e.fd);
        write_out(events_out, e.events);
        write_out(callback_out, e.callback.program_event_fn());
        write_out(arg_out, e.callback.arg);
    })
}

// ----- inspection -----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn event_base_init_common_timeout(
    base: *mut event_base,
    duration: *const timeval,
) -> *const timeval {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_init_common_timeout", unsafe {
        let (Some(base), Some(duration)) = (try_from(base), timeout_arg(duration)) else {
            return ptr::null();
        };
        base.init_common_timeout(duration).unwrap_or(ptr::null())
    })
}

/// # Safety
/// `output` is NULL or an open stdio stream.
#[no_mangle]
pub unsafe extern "C" fn event_base_dump_events(base: *mut event_base, output: *mut libc::FILE) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_dump_events", unsafe {
        let base = try_ref_from_ptr!(base);
        if output.is_null() {
            return;
        }
        let text = CString::new(base.dump()).unwrap_or_default();
        // `output` is an open stream (as documented); `text` is NUL-terminated.
        libc::fputs(text.as_ptr(), output);
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_fd(
    base: *mut event_base,
    fd: c_int,
    events: c_short,
) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_active_by_fd", unsafe {
        try_ref_from_ptr!(base).activate_fd(fd, events);
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_active_by_signal(base: *mut event_base, sig: c_int) {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_active_by_signal", unsafe {
        try_ref_from_ptr!(base).activate_signal(sig);
    })
}

/// # Safety
/// `callback` does not add or delete events.
#[no_mangle]
pub unsafe extern "C" fn event_base_foreach_event(
    base: *mut event_base,
    callback: event_base_foreach_event_cb,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_foreach_event", unsafe {
        let (Some(base_ref), Some(callback)) = (try_from(base), callback) else {
            return -1;
        };
        // Calling the program's callback with the base and a live event.
        base_ref.foreach_event(|ev| callback(base, ev.as_ptr(), arg))
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_gettimeofday_cached(
    base: *mut event_base,
    tv: *mut timeval,
) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_gettimeofday_cached", unsafe {
        let now = match base_or_current(base) {
            Some(base) => base.gettimeofday_cached(),
            None => core::wall_clock(),
        };
        write_out(tv, now.to_timeval_raw()).status()
    })
}

#[no_mangle]
pub unsafe extern "C" fn event_base_update_cache_time(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("event_base_update_cache_time", unsafe {
        base_or_current(base).map_or(-1, |b| {
            b.update_cache_time();
            0
        })
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
        core::init().map_or(ptr::null_mut(), leaked_box_to_mut_ptr)
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
    fn c_version_is_core_version() {
        // SAFETY: event_get_version returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(event_get_version()) };
        assert_eq!(version.to_str(), Ok(evrs::version::VERSION));
        assert_eq!(event_get_version_number(), evrs::version::VERSION_NUMBER);
    }

    #[test]
    fn method_table_matches_backends() {
        let names: Vec<&str> = evrs::event::METHODS.iter().map(|m| m.0).collect();
        let table: Vec<&str> = supported_methods()
            .iter()
            .take_while(|m| !m.0.is_null())
            // SAFETY: static C strings.
            .map(|m| unsafe { CStr::from_ptr(m.0) }.to_str().unwrap())
            .collect();
        assert_eq!(names, table);
    }
}

//! libevent_pthreads: `evthread_use_pthreads`, which hands pthread mutexes, condition
//! variables and `pthread_self` to libevent_core.
//!
//! This library calls the core only through its public C functions
//! (`evthread_set_lock_callbacks` and friends), as a C program would: it is linked
//! against libevent_core and so shares the core's one set of installed functions.

// The callback structs keep their C names.
#![allow(non_camel_case_types)]

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::mem::MaybeUninit;
use std::panic::catch_unwind;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

/// `EVTHREAD_LOCKTYPE_RECURSIVE`.
const LOCKTYPE_RECURSIVE: c_uint = 1;
/// `EVTHREAD_TRY`: a lock mode bit asking not to wait.
const MODE_TRY: c_uint = 0x10;
/// `EVTHREAD_PTHREAD_PRIO_INHERIT`.
const PRIO_INHERIT: c_int = 0x01;
/// `EVTHREAD_LOCK_API_VERSION` and `EVTHREAD_CONDITION_API_VERSION`.
const LOCK_API_VERSION: c_int = 1;
const CONDITION_API_VERSION: c_int = 1;

// Priority inheritance for mutexes: POSIX, but the libc crate binds the function only
// on Linux; FreeBSD's libthr and macOS's libpthread export it too.
#[cfg(target_os = "linux")]
use libc::{pthread_mutexattr_setprotocol, PTHREAD_PRIO_INHERIT};
#[cfg(not(target_os = "linux"))]
use priority::{pthread_mutexattr_setprotocol, PTHREAD_PRIO_INHERIT};

#[cfg(not(target_os = "linux"))]
mod priority {
    use std::ffi::c_int;

    extern "C" {
        pub fn pthread_mutexattr_setprotocol(
            attr: *mut libc::pthread_mutexattr_t,
            protocol: c_int,
        ) -> c_int;
    }

    #[cfg(target_vendor = "apple")]
    pub use libc::PTHREAD_PRIO_INHERIT;
    /// As FreeBSD's pthread.h defines it.
    #[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
    pub const PTHREAD_PRIO_INHERIT: c_int = 1;
}

/// `struct evthread_lock_callbacks` (event2/thread.h).
#[repr(C)]
struct evthread_lock_callbacks {
    lock_api_version: c_int,
    supported_locktypes: c_uint,
    alloc: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void, c_uint),
    lock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
    unlock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
}

/// `struct evthread_condition_callbacks` (event2/thread.h).
#[repr(C)]
struct evthread_condition_callbacks {
    condition_api_version: c_int,
    alloc_condition: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free_condition: unsafe extern "C" fn(*mut c_void),
    signal_condition: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    wait_condition: unsafe extern "C" fn(*mut c_void, *mut c_void, *const libc::timeval) -> c_int,
}

// libevent_core's entry points.
extern "C" {
    fn evthread_set_lock_callbacks(cbs: *const evthread_lock_callbacks) -> c_int;
    fn evthread_set_condition_callbacks(cbs: *const evthread_condition_callbacks) -> c_int;
    fn evthread_set_id_callback(id_fn: Option<unsafe extern "C" fn() -> c_ulong>);
}

/// The callbacks handed to the core. Static, so that installing them again passes the
/// very same function addresses and is accepted.
static LOCK_CALLBACKS: evthread_lock_callbacks = evthread_lock_callbacks {
    lock_api_version: LOCK_API_VERSION,
    supported_locktypes: LOCKTYPE_RECURSIVE,
    alloc: lock_alloc,
    free: lock_free,
    lock: lock_lock,
    unlock: lock_unlock,
};

static CONDITION_CALLBACKS: evthread_condition_callbacks = evthread_condition_callbacks {
    condition_api_version: CONDITION_API_VERSION,
    alloc_condition: cond_alloc,
    free_condition: cond_free,
    signal_condition: cond_signal,
    wait_condition: cond_wait,
};

/// Mutex attributes for every lock: plain and recursive, both with priority inheritance
/// when `EVTHREAD_PTHREAD_PRIO_INHERIT` was asked for.
struct Attributes {
    plain: libc::pthread_mutexattr_t,
    recursive: libc::pthread_mutexattr_t,
}

/// What `evthread_use_pthreads` sets up once. Plain pthread primitives rather than
/// std's, so that nothing here can panic and the library needs no unwinder.
struct Setup {
    /// Serialises `use_pthreads`.
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    /// Written under `mutex`, before `ready` is set.
    attributes: UnsafeCell<MaybeUninit<Attributes>>,
    /// Set once the callbacks are installed; later calls change nothing (as libevent).
    ready: AtomicBool,
}

// SAFETY: `mutex` is a pthread mutex, made for sharing; `attributes` is written only
// under it and before `ready` is released, and read only after `ready` is acquired.
unsafe impl Sync for Setup {}

static SETUP: Setup = Setup {
    mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    attributes: UnsafeCell::new(MaybeUninit::uninit()),
    ready: AtomicBool::new(false),
};

/// The attributes, once `use_pthreads` has set them up.
fn attributes() -> Option<&'static Attributes> {
    if !SETUP.ready.load(Ordering::Acquire) {
        return None;
    }
    // SAFETY: `ready` is set only after the attributes were written, and they are never
    // written again.
    Some(unsafe { (*SETUP.attributes.get()).assume_init_ref() })
}

/// Initialises `attr` in place (attribute objects are not moved once initialised) as
/// `kind`, with priority inheritance if `inherit`. False on failure.
fn init_mutex_attributes(attr: &mut libc::pthread_mutexattr_t, kind: c_int, inherit: bool) -> bool {
    // SAFETY: `attr` is valid, exclusively borrowed storage for an attribute object.
    unsafe {
        libc::pthread_mutexattr_init(attr) == 0
            && libc::pthread_mutexattr_settype(attr, kind) == 0
            && (!inherit || pthread_mutexattr_setprotocol(attr, PTHREAD_PRIO_INHERIT) == 0)
    }
}

unsafe extern "C" fn lock_alloc(locktype: c_uint) -> *mut c_void {
    let Some(attrs) = attributes() else {
        return ptr::null_mut();
    };
    let attr = if locktype & LOCKTYPE_RECURSIVE != 0 {
        &attrs.recursive
    } else {
        &attrs.plain
    };
    // SAFETY: a fresh block the size of a mutex, initialised before it is handed out and
    // released in `lock_free`.
    unsafe {
        let mutex =
            libc::malloc(size_of::<libc::pthread_mutex_t>()).cast::<libc::pthread_mutex_t>();
        if mutex.is_null() {
            return ptr::null_mut();
        }
        if libc::pthread_mutex_init(mutex, attr) != 0 {
            libc::free(mutex.cast());
            return ptr::null_mut();
        }
        mutex.cast()
    }
}

unsafe extern "C" fn lock_free(lock: *mut c_void, _locktype: c_uint) {
    // SAFETY: the core passes a mutex from `lock_alloc`, unlocked, once.
    unsafe {
        libc::pthread_mutex_destroy(lock.cast());
        libc::free(lock);
    }
}

unsafe extern "C" fn lock_lock(mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: the core passes a live mutex from `lock_alloc`.
    unsafe {
        if mode & MODE_TRY != 0 {
            libc::pthread_mutex_trylock(lock.cast())
        } else {
            libc::pthread_mutex_lock(lock.cast())
        }
    }
}

unsafe extern "C" fn lock_unlock(_mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: the core passes a live mutex from `lock_alloc` that this thread holds.
    unsafe { libc::pthread_mutex_unlock(lock.cast()) }
}

unsafe extern "C" fn cond_alloc(_condtype: c_uint) -> *mut c_void {
    // SAFETY: a fresh block the size of a condition variable, initialised before it is
    // handed out and released in `cond_free`.
    unsafe {
        let cond = libc::malloc(size_of::<libc::pthread_cond_t>()).cast::<libc::pthread_cond_t>();
        if cond.is_null() {
            return ptr::null_mut();
        }
        if libc::pthread_cond_init(cond, ptr::null()) != 0 {
            libc::free(cond.cast());
            return ptr::null_mut();
        }
        cond.cast()
    }
}

unsafe extern "C" fn cond_free(cond: *mut c_void) {
    // SAFETY: the core passes a condition from `cond_alloc` with no waiters, once.
    unsafe {
        libc::pthread_cond_destroy(cond.cast());
        libc::free(cond);
    }
}

unsafe extern "C" fn cond_signal(cond: *mut c_void, broadcast: c_int) -> c_int {
    // SAFETY: the core passes a live condition from `cond_alloc`.
    let result = unsafe {
        if broadcast != 0 {
            libc::pthread_cond_broadcast(cond.cast())
        } else {
            libc::pthread_cond_signal(cond.cast())
        }
    };
    if result == 0 {
        0
    } else {
        -1
    }
}

/// The absolute CLOCK_REALTIME time `timeout` from now, as pthread_cond_timedwait wants.
fn deadline_after(timeout: &libc::timeval) -> libc::timespec {
    let mut now = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `now` is valid for writes; no time zone is asked for.
    unsafe { libc::gettimeofday(&mut now, ptr::null_mut()) };
    // Summed as time_t: suseconds_t is narrower on macOS.
    let usec = now.tv_usec as libc::time_t + timeout.tv_usec as libc::time_t;
    libc::timespec {
        tv_sec: now.tv_sec + timeout.tv_sec + usec / 1_000_000,
        tv_nsec: ((usec % 1_000_000) * 1000) as libc::c_long,
    }
}

/// Waits with `lock` held: 0 when signalled, 1 on timeout, -1 on error (thread.h's
/// contract for `wait_condition`).
unsafe extern "C" fn cond_wait(
    cond: *mut c_void,
    lock: *mut c_void,
    timeout: *const libc::timeval,
) -> c_int {
    // SAFETY: `timeout` is NULL or a readable timeval, as thread.h says.
    let result = match unsafe { timeout.as_ref() } {
        // SAFETY: the core passes a live condition and a mutex it holds, both from here.
        None => unsafe { libc::pthread_cond_wait(cond.cast(), lock.cast()) },
        Some(timeout) => {
            let deadline = deadline_after(timeout);
            // SAFETY: as above; `deadline` outlives the call.
            unsafe { libc::pthread_cond_timedwait(cond.cast(), lock.cast(), &deadline) }
        }
    };
    match result {
        0 => 0,
        libc::ETIMEDOUT => 1,
        _ => -1,
    }
}

unsafe extern "C" fn thread_id() -> c_ulong {
    // SAFETY: pthread_self has no preconditions; pthread_t is an unsigned long on the
    // platforms this library is built for.
    unsafe { libc::pthread_self() as c_ulong }
}

fn use_pthreads(flags: c_int) -> c_int {
    // SAFETY: a statically initialised pthread mutex, released below on every path.
    unsafe { libc::pthread_mutex_lock(SETUP.mutex.get()) };
    let result = install_once(flags);
    // SAFETY: locked above by this thread.
    unsafe { libc::pthread_mutex_unlock(SETUP.mutex.get()) };
    result
}

/// The body of `use_pthreads`, run with `SETUP.mutex` held.
fn install_once(flags: c_int) -> c_int {
    if SETUP.ready.load(Ordering::Acquire) {
        return 0;
    }
    let inherit = flags & PRIO_INHERIT != 0;
    // SAFETY: `SETUP.mutex` is held and `ready` is not set, so nothing else reads or
    // writes the attributes; all-zero bytes are valid storage for attribute objects.
    let attrs = unsafe { (*SETUP.attributes.get()).write(std::mem::zeroed()) };
    if !init_mutex_attributes(&mut attrs.plain, libc::PTHREAD_MUTEX_DEFAULT, inherit)
        || !init_mutex_attributes(&mut attrs.recursive, libc::PTHREAD_MUTEX_RECURSIVE, inherit)
    {
        return -1;
    }
    SETUP.ready.store(true, Ordering::Release);
    // Like libevent, the answers are not checked: functions the program installed
    // earlier stay in place, and the core has warned about it.
    // SAFETY: the structs are static and their functions follow thread.h's contracts.
    unsafe {
        evthread_set_lock_callbacks(&LOCK_CALLBACKS);
        evthread_set_condition_callbacks(&CONDITION_CALLBACKS);
        evthread_set_id_callback(Some(thread_id));
    }
    0
}

/// `int evthread_use_pthreads(void)`: 0 on success, -1 on failure.
#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    catch_unwind(|| use_pthreads(0)).unwrap_or(-1)
}

/// `int evthread_use_pthreads_with_flags(int flags)`: as `evthread_use_pthreads`, with
/// `EVTHREAD_PTHREAD_PRIO_INHERIT` making every mutex priority-inheriting. Only the first
/// successful call takes effect.
#[no_mangle]
pub extern "C" fn evthread_use_pthreads_with_flags(flags: c_int) -> c_int {
    catch_unwind(|| use_pthreads(flags)).unwrap_or(-1)
}

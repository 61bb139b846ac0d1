//! libevent_pthreads: `evthread_use_pthreads`, which hands pthread mutexes, condition
//! variables and `pthread_self` to libevent_core through its public C functions
//! (this library is linked against libevent_core and shares its one set of globals).

#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::panic::catch_unwind;

/// `EVTHREAD_LOCKTYPE_RECURSIVE`.
const LOCKTYPE_RECURSIVE: c_uint = 1;
/// `EVTHREAD_PTHREAD_PRIO_INHERIT`.
const PRIO_INHERIT: c_int = 0x01;
const LOCK_API_VERSION: c_int = 1;
const CONDITION_API_VERSION: c_int = 1;

#[repr(C)]
struct evthread_lock_callbacks {
    lock_api_version: c_int,
    supported_locktypes: c_uint,
    alloc: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void, c_uint),
    lock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
    unlock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
}

#[repr(C)]
struct evthread_condition_callbacks {
    condition_api_version: c_int,
    alloc_condition: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free_condition: unsafe extern "C" fn(*mut c_void),
    signal_condition: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    wait_condition: unsafe extern "C" fn(*mut c_void, *mut c_void, *const libc::timeval) -> c_int,
}

extern "C" {
    fn evthread_set_lock_callbacks(cbs: *const evthread_lock_callbacks) -> c_int;
    fn evthread_set_condition_callbacks(cbs: *const evthread_condition_callbacks) -> c_int;
    fn evthread_set_id_callback(id_fn: Option<unsafe extern "C" fn() -> c_ulong>);
}

/// Mutex attributes for every lock: recursive or not, and with priority inheritance
/// when asked for.
struct Attributes {
    recursive: libc::pthread_mutexattr_t,
    plain: libc::pthread_mutexattr_t,
}

static mut ATTRIBUTES: Option<Attributes> = None;

/// # Safety
/// `kind` is a pthread mutex type; `inherit` asks for PTHREAD_PRIO_INHERIT.
unsafe fn make_attr(kind: c_int, inherit: bool) -> Option<libc::pthread_mutexattr_t> {
    // SAFETY: the attribute object is initialised before use and kept for the process.
    unsafe {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        if libc::pthread_mutexattr_init(&mut attr) != 0
            || libc::pthread_mutexattr_settype(&mut attr, kind) != 0
        {
            return None;
        }
        if inherit
            && libc::pthread_mutexattr_setprotocol(&mut attr, libc::PTHREAD_PRIO_INHERIT) != 0
        {
            return None;
        }
        Some(attr)
    }
}

/// The attributes installed by `evthread_use_pthreads_with_flags`.
fn attributes() -> Option<&'static Attributes> {
    // SAFETY: written once, before the callbacks that read it are installed.
    unsafe { (*std::ptr::addr_of!(ATTRIBUTES)).as_ref() }
}

unsafe extern "C" fn lock_alloc(locktype: c_uint) -> *mut c_void {
    let Some(attrs) = attributes() else {
        return std::ptr::null_mut();
    };
    let attr = if locktype & LOCKTYPE_RECURSIVE != 0 {
        &attrs.recursive
    } else {
        &attrs.plain
    };
    // SAFETY: the mutex lives in a fresh heap block until `lock_free`.
    unsafe {
        let mutex =
            libc::malloc(size_of::<libc::pthread_mutex_t>()).cast::<libc::pthread_mutex_t>();
        if mutex.is_null() {
            return mutex.cast();
        }
        if libc::pthread_mutex_init(mutex, attr) != 0 {
            libc::free(mutex.cast());
            return std::ptr::null_mut();
        }
        mutex.cast()
    }
}

unsafe extern "C" fn lock_free(lock: *mut c_void, _locktype: c_uint) {
    // SAFETY: `lock` came from `lock_alloc`.
    unsafe {
        libc::pthread_mutex_destroy(lock.cast());
        libc::free(lock);
    }
}

/// `EVTHREAD_TRY`.
const MODE_TRY: c_uint = 0x10;

unsafe extern "C" fn lock_lock(mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: `lock` came from `lock_alloc`.
    unsafe {
        if mode & MODE_TRY != 0 {
            libc::pthread_mutex_trylock(lock.cast())
        } else {
            libc::pthread_mutex_lock(lock.cast())
        }
    }
}

unsafe extern "C" fn lock_unlock(_mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: `lock` came from `lock_alloc` and is held by this thread.
    unsafe { libc::pthread_mutex_unlock(lock.cast()) }
}

unsafe extern "C" fn cond_alloc(_flags: c_uint) -> *mut c_void {
    // SAFETY: the condition lives in a fresh heap block until `cond_free`.
    unsafe {
        let cond = libc::malloc(size_of::<libc::pthread_cond_t>()).cast::<libc::pthread_cond_t>();
        if cond.is_null() {
            return cond.cast();
        }
        if libc::pthread_cond_init(cond, std::ptr::null()) != 0 {
            libc::free(cond.cast());
            return std::ptr::null_mut();
        }
        cond.cast()
    }
}

unsafe extern "C" fn cond_free(cond: *mut c_void) {
    // SAFETY: `cond` came from `cond_alloc`.
    unsafe {
        libc::pthread_cond_destroy(cond.cast());
        libc::free(cond);
    }
}

unsafe extern "C" fn cond_signal(cond: *mut c_void, broadcast: c_int) -> c_int {
    // SAFETY: `cond` came from `cond_alloc`.
    let r = unsafe {
        if broadcast != 0 {
            libc::pthread_cond_broadcast(cond.cast())
        } else {
            libc::pthread_cond_signal(cond.cast())
        }
    };
    if r == 0 {
        0
    } else {
        -1
    }
}

/// Waits; 0 when signalled, 1 on timeout, -1 on error (libevent's contract).
unsafe extern "C" fn cond_wait(
    cond: *mut c_void,
    lock: *mut c_void,
    tv: *const libc::timeval,
) -> c_int {
    // SAFETY: `cond` and `lock` came from this library; `tv` is NULL or readable.
    unsafe {
        let r = match tv.as_ref() {
            None => libc::pthread_cond_wait(cond.cast(), lock.cast()),
            Some(tv) => {
                let mut now: libc::timeval = std::mem::zeroed();
                libc::gettimeofday(&mut now, std::ptr::null_mut());
                let mut usec = now.tv_usec + tv.tv_usec;
                let mut sec = now.tv_sec + tv.tv_sec;
                sec += usec / 1_000_000;
                usec %= 1_000_000;
                let deadline = libc::timespec {
                    tv_sec: sec,
                    tv_nsec: usec * 1000,
                };
                libc::pthread_cond_timedwait(cond.cast(), lock.cast(), &deadline)
            }
        };
        match r {
            0 => 0,
            libc::ETIMEDOUT => 1,
            _ => -1,
        }
    }
}

unsafe extern "C" fn thread_id() -> c_ulong {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as c_ulong }
}

fn install(flags: c_int) -> c_int {
    let inherit = flags & PRIO_INHERIT != 0;
    // SAFETY: attribute setup, then handing libevent_core static callback tables.
    unsafe {
        let (Some(recursive), Some(plain)) = (
            make_attr(libc::PTHREAD_MUTEX_RECURSIVE, inherit),
            make_attr(libc::PTHREAD_MUTEX_DEFAULT, inherit),
        ) else {
            return -1;
        };
        if attributes().is_none() {
            *std::ptr::addr_of_mut!(ATTRIBUTES) = Some(Attributes { recursive, plain });
        }
        static LOCKS: evthread_lock_callbacks = evthread_lock_callbacks {
            lock_api_version: LOCK_API_VERSION,
            supported_locktypes: LOCKTYPE_RECURSIVE,
            alloc: lock_alloc,
            free: lock_free,
            lock: lock_lock,
            unlock: lock_unlock,
        };
        static CONDITIONS: evthread_condition_callbacks = evthread_condition_callbacks {
            condition_api_version: CONDITION_API_VERSION,
            alloc_condition: cond_alloc,
            free_condition: cond_free,
            signal_condition: cond_signal,
            wait_condition: cond_wait,
        };
        if evthread_set_lock_callbacks(&LOCKS) != 0
            || evthread_set_condition_callbacks(&CONDITIONS) != 0
        {
            return -1;
        }
        evthread_set_id_callback(Some(thread_id));
    }
    0
}

/// `int evthread_use_pthreads(void)`
#[no_mangle]
pub extern "C" fn evthread_use_pthreads() -> c_int {
    catch_unwind(|| install(0)).unwrap_or(-1)
}

/// `int evthread_use_pthreads_with_flags(int flags)`
#[no_mangle]
pub extern "C" fn evthread_use_pthreads_with_flags(flags: c_int) -> c_int {
    catch_unwind(|| install(flags)).unwrap_or(-1)
}

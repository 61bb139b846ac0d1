//! `event2/thread.h`: the program's lock, condition and thread-id functions.
//!
//! The callback structs are turned into the core's [`LockApi`] and [`ConditionApi`]
//! objects, which call the program's functions with the handles they returned.

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::time::Duration;

use evrs::event::Tv;
use evrs::thread::{self, ConditionApi, Functions, Identity, LockApi, WaitFailed};

use crate::event::{event_base, timeval};
use crate::ffi::{borrow, Status};

/// `EVTHREAD_LOCKTYPE_RECURSIVE`.
const LOCKTYPE_RECURSIVE: c_uint = 1;
/// The lock mode the core uses: a plain, blocking, exclusive lock (no `EVTHREAD_READ`
/// or `EVTHREAD_WRITE`).
const MODE_PLAIN: c_uint = 0;
/// `EVTHREAD_TRY`: fail instead of waiting.
const MODE_TRY: c_uint = 0x10;

type LockAllocFn = unsafe extern "C" fn(c_uint) -> *mut c_void;
type LockFreeFn = unsafe extern "C" fn(*mut c_void, c_uint);
type LockFn = unsafe extern "C" fn(c_uint, *mut c_void) -> c_int;
type CondAllocFn = unsafe extern "C" fn(c_uint) -> *mut c_void;
type CondFreeFn = unsafe extern "C" fn(*mut c_void);
type CondSignalFn = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
type CondWaitFn = unsafe extern "C" fn(*mut c_void, *mut c_void, *const timeval) -> c_int;

/// `struct evthread_lock_callbacks`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evthread_lock_callbacks {
    pub lock_api_version: c_int,
    pub supported_locktypes: c_uint,
    pub alloc: Option<LockAllocFn>,
    pub free: Option<LockFreeFn>,
    pub lock: Option<LockFn>,
    pub unlock: Option<LockFn>,
}

/// `struct evthread_condition_callbacks`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evthread_condition_callbacks {
    pub condition_api_version: c_int,
    pub alloc_condition: Option<CondAllocFn>,
    pub free_condition: Option<CondFreeFn>,
    pub signal_condition: Option<CondSignalFn>,
    pub wait_condition: Option<CondWaitFn>,
}

/// The program's lock functions, all four present.
struct CLocks {
    alloc: LockAllocFn,
    free: LockFreeFn,
    lock: LockFn,
    unlock: LockFn,
}

fn locktype(recursive: bool) -> c_uint {
    if recursive {
        LOCKTYPE_RECURSIVE
    } else {
        0
    }
}

// The calls below hand the program's own functions the handles they returned.
impl LockApi for CLocks {
    fn alloc(&self, recursive: bool) -> Option<usize> {
        // SAFETY: calling the program's allocation function as thread.h describes.
        let handle = unsafe { (self.alloc)(locktype(recursive)) };
        (!handle.is_null()).then_some(handle as usize)
    }
    fn free(&self, handle: usize, recursive: bool) {
        // SAFETY: `handle` came from `alloc` with this lock type.
        unsafe { (self.free)(handle as *mut c_void, locktype(recursive)) }
    }
    fn lock(&self, handle: usize) -> bool {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.lock)(MODE_PLAIN, handle as *mut c_void) == 0 }
    }
    fn unlock(&self, handle: usize) -> bool {
        // SAFETY: `handle` came from `alloc` and is held by this thread.
        unsafe { (self.unlock)(MODE_PLAIN, handle as *mut c_void) == 0 }
    }
    fn try_lock(&self, handle: usize) -> bool {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.lock)(MODE_TRY, handle as *mut c_void) == 0 }
    }
}

/// The program's condition functions, all four present.
struct CConditions {
    alloc: CondAllocFn,
    free: CondFreeFn,
    signal: CondSignalFn,
    wait: CondWaitFn,
}

impl ConditionApi for CConditions {
    fn alloc(&self) -> Option<usize> {
        // SAFETY: calling the program's allocation function (condition type 0).
        let handle = unsafe { (self.alloc)(0) };
        (!handle.is_null()).then_some(handle as usize)
    }
    fn free(&self, handle: usize) {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.free)(handle as *mut c_void) }
    }
    fn signal(&self, handle: usize, broadcast: bool) -> bool {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.signal)(handle as *mut c_void, c_int::from(broadcast)) == 0 }
    }
    fn wait(
        &self,
        handle: usize,
        lock: usize,
        timeout: Option<Duration>,
    ) -> Result<bool, WaitFailed> {
        let tv = timeout.map(|t| Tv::from_duration(t).to_timeval_raw());
        let tv_ptr = tv.as_ref().map_or(std::ptr::null(), std::ptr::from_ref);
        // SAFETY: both handles came from the program's functions; the timeval outlives
        // the call.
        match unsafe { (self.wait)(handle as *mut c_void, lock as *mut c_void, tv_ptr) } {
            0 => Ok(true),
            1 => Ok(false),
            _ => Err(WaitFailed),
        }
    }
}

/// `int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *cbs)`
///
/// NULL removes the installed functions; the same functions again return 0; others
/// after the first complete set, or a set missing a function, return -1.
#[no_mangle]
pub unsafe extern "C" fn evthread_set_lock_callbacks(cbs: *const evthread_lock_callbacks) -> c_int {
    ffi_boundary!("evthread_set_lock_callbacks", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(cbs) = (unsafe { borrow(cbs) }) else {
            return thread::set_lock_api(None).status();
        };
        let identity: Identity = [
            cbs.lock_api_version as usize,
            cbs.supported_locktypes as usize,
            cbs.alloc.map_or(0, |f| f as usize),
            cbs.free.map_or(0, |f| f as usize),
            cbs.lock.map_or(0, |f| f as usize),
            cbs.unlock.map_or(0, |f| f as usize),
        ];
        let api = match (cbs.alloc, cbs.free, cbs.lock, cbs.unlock) {
            (Some(alloc), Some(free), Some(lock), Some(unlock)) => Some(Box::new(CLocks {
                alloc,
                free,
                lock,
                unlock,
            })
                as Box<dyn LockApi>),
            _ => None,
        };
        thread::set_lock_api(Some(Functions { identity, api })).status()
    })
}

/// `int evthread_set_condition_callbacks(const struct evthread_condition_callbacks *cbs)`
///
/// As `evthread_set_lock_callbacks`, except that a set missing a function returns 0 and
/// installs nothing (libevent's behaviour).
#[no_mangle]
pub unsafe extern "C" fn evthread_set_condition_callbacks(
    cbs: *const evthread_condition_callbacks,
) -> c_int {
    ffi_boundary!("evthread_set_condition_callbacks", {
        // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
        let Some(cbs) = (unsafe { borrow(cbs) }) else {
            return thread::set_condition_api(None).status();
        };
        let identity: Identity = [
            cbs.condition_api_version as usize,
            cbs.alloc_condition.map_or(0, |f| f as usize),
            cbs.free_condition.map_or(0, |f| f as usize),
            cbs.signal_condition.map_or(0, |f| f as usize),
            cbs.wait_condition.map_or(0, |f| f as usize),
            0,
        ];
        let api = match (
            cbs.alloc_condition,
            cbs.free_condition,
            cbs.signal_condition,
            cbs.wait_condition,
        ) {
            (Some(alloc), Some(free), Some(signal), Some(wait)) => Some(Box::new(CConditions {
                alloc,
                free,
                signal,
                wait,
            })
                as Box<dyn ConditionApi>),
            _ => None,
        };
        thread::set_condition_api(Some(Functions { identity, api })).status()
    })
}

/// `void evthread_set_id_callback(unsigned long (*id_fn)(void))`; NULL removes it.
#[no_mangle]
pub extern "C" fn evthread_set_id_callback(id_fn: Option<unsafe extern "C" fn() -> c_ulong>) {
    ffi_boundary!("evthread_set_id_callback", {
        thread::set_thread_id_fn(id_fn.map(|f| -> thread::IdFn {
            // `unsigned long` is 64 bits here but 32 on some platforms.
            #[allow(clippy::useless_conversion)]
            // SAFETY: calling the program's id function, which takes no arguments.
            Box::new(move || u64::from(unsafe { f() }))
        }));
    })
}

/// `void evthread_enable_lock_debugging(void)`
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {
    ffi_boundary!("evthread_enable_lock_debugging", {
        thread::enable_lock_debugging()
    })
}

/// `void evthread_enable_lock_debuging(void)`: the old, misspelled name of
/// `evthread_enable_lock_debugging`, kept for programs that still call it.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {
    ffi_boundary!("evthread_enable_lock_debuging", {
        thread::enable_lock_debugging()
    })
}

// ---------------------------------------------------------------------------------------
// Base notification: `evthread_make_base_notifiable`, which belongs to the event loop
// rather than to the lock functions above.
// ---------------------------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evthread_make_base_notifiable(base: *mut event_base) -> c_int {
    // SAFETY: each pointer argument is NULL (checked before use) or a live object of its type, as the caller promises under libevent's contract (capi/src/lib.rs).
    ffi_boundary!("evthread_make_base_notifiable", unsafe {
        try_ref_from_ptr!(base).make_notifiable().status()
    })
}

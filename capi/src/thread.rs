//! `event2/thread.h`: the program's lock, condition and thread-id functions.

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::time::Duration;

use evrs::event::Tv;
use evrs::thread::{self, ConditionApi, LockApi};

use crate::event::{event_base, timeval};
use crate::ffi::borrow;

/// `EVTHREAD_LOCKTYPE_RECURSIVE`.
const LOCKTYPE_RECURSIVE: c_uint = 1;

/// `struct evthread_lock_callbacks`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evthread_lock_callbacks {
    pub lock_api_version: c_int,
    pub supported_locktypes: c_uint,
    pub alloc: Option<unsafe extern "C" fn(c_uint) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(*mut c_void, c_uint)>,
    pub lock: Option<unsafe extern "C" fn(c_uint, *mut c_void) -> c_int>,
    pub unlock: Option<unsafe extern "C" fn(c_uint, *mut c_void) -> c_int>,
}

/// `struct evthread_condition_callbacks`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct evthread_condition_callbacks {
    pub condition_api_version: c_int,
    pub alloc_condition: Option<unsafe extern "C" fn(c_uint) -> *mut c_void>,
    pub free_condition: Option<unsafe extern "C" fn(*mut c_void)>,
    pub signal_condition: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    pub wait_condition:
        Option<unsafe extern "C" fn(*mut c_void, *mut c_void, *const timeval) -> c_int>,
}

/// The program's lock functions, complete (all four present).
struct CLocks {
    alloc: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void, c_uint),
    lock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
    unlock: unsafe extern "C" fn(c_uint, *mut c_void) -> c_int,
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
        // SAFETY: calling the program's allocation function.
        let handle = unsafe { (self.alloc)(locktype(recursive)) };
        (!handle.is_null()).then_some(handle as usize)
    }
    fn free(&self, handle: usize, recursive: bool) {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.free)(handle as *mut c_void, locktype(recursive)) }
    }
    fn lock(&self, handle: usize) -> bool {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.lock)(0, handle as *mut c_void) == 0 }
    }
    fn unlock(&self, handle: usize) -> bool {
        // SAFETY: `handle` came from `alloc`.
        unsafe { (self.unlock)(0, handle as *mut c_void) == 0 }
    }
}

struct CConditions {
    alloc: unsafe extern "C" fn(c_uint) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void),
    signal: unsafe extern "C" fn(*mut c_void, c_int) -> c_int,
    wait: unsafe extern "C" fn(*mut c_void, *mut c_void, *const timeval) -> c_int,
}

impl ConditionApi for CConditions {
    fn alloc(&self) -> Option<usize> {
        // SAFETY: calling the program's allocation function.
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
    fn wait(&self, handle: usize, lock: usize, timeout: Option<Duration>) -> Option<bool> {
        let tv = timeout.map(|t| Tv::from_duration(t).to_timeval());
        let tv_ptr = tv
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const timeval);
        // SAFETY: handles came from the program's functions; the timeval outlives the call.
        match unsafe { (self.wait)(handle as *mut c_void, lock as *mut c_void, tv_ptr) } {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        }
    }
}

/// # Safety
/// `cbs` is NULL or a readable callbacks struct.
#[no_mangle]
pub unsafe extern "C" fn evthread_set_lock_callbacks(cbs: *const evthread_lock_callbacks) -> c_int {
    ffi_boundary!("evthread_set_lock_callbacks", {
        // SAFETY: crate contract.
        let Some(cbs) = (unsafe { borrow(cbs) }) else {
            return if thread::set_lock_api(None, Vec::new()).is_ok() {
                0
            } else {
                -1
            };
        };
        let (Some(alloc), Some(free), Some(lock), Some(unlock)) =
            (cbs.alloc, cbs.free, cbs.lock, cbs.unlock)
        else {
            return -1;
        };
        let identity = vec![
            cbs.lock_api_version as usize,
            cbs.supported_locktypes as usize,
            alloc as usize,
            free as usize,
            lock as usize,
            unlock as usize,
        ];
        let api = CLocks {
            alloc,
            free,
            lock,
            unlock,
        };
        match thread::set_lock_api(Some(Box::new(api)), identity) {
            Ok(()) => 0,
            Err(_) => -1,
        }
    })
}

/// # Safety
/// `cbs` is NULL or a readable callbacks struct.
#[no_mangle]
pub unsafe extern "C" fn evthread_set_condition_callbacks(
    cbs: *const evthread_condition_callbacks,
) -> c_int {
    ffi_boundary!("evthread_set_condition_callbacks", {
        // SAFETY: crate contract.
        let Some(cbs) = (unsafe { borrow(cbs) }) else {
            return if thread::set_condition_api(None, Vec::new()).is_ok() {
                0
            } else {
                -1
            };
        };
        let (Some(alloc), Some(free), Some(signal), Some(wait)) = (
            cbs.alloc_condition,
            cbs.free_condition,
            cbs.signal_condition,
            cbs.wait_condition,
        ) else {
            return -1;
        };
        let identity = vec![
            cbs.condition_api_version as usize,
            alloc as usize,
            free as usize,
            signal as usize,
            wait as usize,
        ];
        let api = CConditions {
            alloc,
            free,
            signal,
            wait,
        };
        match thread::set_condition_api(Some(Box::new(api)), identity) {
            Ok(()) => 0,
            Err(_) => -1,
        }
    })
}

/// `void evthread_set_id_callback(unsigned long (*id_fn)(void))`
#[no_mangle]
pub extern "C" fn evthread_set_id_callback(id_fn: Option<unsafe extern "C" fn() -> c_ulong>) {
    ffi_boundary!("evthread_set_id_callback", {
        thread::set_thread_id_fn(id_fn.map(|f| -> thread::IdFn {
            // SAFETY: calling the program's id function.
            Box::new(move || unsafe { f() })
        }));
    })
}

#[no_mangle]
pub extern "C" fn evthread_enable_lock_debugging() {
    ffi_boundary!("evthread_enable_lock_debugging", {
        thread::enable_lock_debugging()
    })
}

/// The old, misspelled name of `evthread_enable_lock_debugging`.
#[no_mangle]
pub extern "C" fn evthread_enable_lock_debuging() {
    ffi_boundary!("evthread_enable_lock_debuging", {
        thread::enable_lock_debugging()
    })
}

/// # Safety
/// `base` is NULL or a live base.
#[no_mangle]
pub unsafe extern "C" fn evthread_make_base_notifiable(base: *mut event_base) -> c_int {
    ffi_boundary!("evthread_make_base_notifiable", {
        // SAFETY: crate contract.
        match unsafe { borrow(base) } {
            Some(base) if base.make_notifiable().is_ok() => 0,
            _ => -1,
        }
    })
}

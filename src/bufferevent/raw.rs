//! `struct bufferevent` as `event2/bufferevent_struct.h` lays it out. Old programs read
//! these fields directly, so the core keeps the live values here rather than in
//! private copies.

use std::ffi::{c_short, c_void};

use super::Bufferevent;
use crate::buffer::Evbuffer;
use crate::event::raw::Event;
use crate::event::Base;

/// `bufferevent_data_cb`.
pub type DataCallbackFn = unsafe extern "C" fn(*mut Bufferevent, *mut c_void);
/// `bufferevent_event_cb`.
pub type EventCallbackFn = unsafe extern "C" fn(*mut Bufferevent, c_short, *mut c_void);

/// `struct event_watermark`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watermark {
    pub low: usize,
    /// 0 means none.
    pub high: usize,
}

/// `struct bufferevent_ops`: only its address is public (`be_ops`); it names the kind.
#[repr(C)]
pub struct KindTag {
    pub name: &'static std::ffi::CStr,
}

/// `struct bufferevent`: 376 bytes on LP64, 392 with libevent 2.1's `struct event`
/// (feature `abi-2-1`), which moves every field from `ev_write` on.
#[repr(C)]
pub struct RawBufferevent {
    pub ev_base: *const Base,
    pub be_ops: *const KindTag,
    /// The socket's read event, or the read timeout of the other kinds.
    pub ev_read: Event,
    /// The socket's write event, or the write timeout of the other kinds.
    pub ev_write: Event,
    pub input: *mut Evbuffer,
    pub output: *mut Evbuffer,
    pub wm_read: Watermark,
    pub wm_write: Watermark,
    pub readcb: Option<DataCallbackFn>,
    pub writecb: Option<DataCallbackFn>,
    pub errorcb: Option<EventCallbackFn>,
    pub cbarg: *mut c_void,
    pub timeout_read: libc::timeval,
    pub timeout_write: libc::timeval,
    pub enabled: c_short,
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Offsets of the fields from `ev_write` on, then the size: libevent 2.2's, or 2.1's
    /// (8 more per embedded event).
    #[cfg(not(feature = "abi-2-1"))]
    const FROM_EV_WRITE: [usize; 13] = [
        136, 256, 264, 272, 288, 304, 312, 320, 328, 336, 352, 368, 376,
    ];
    #[cfg(feature = "abi-2-1")]
    const FROM_EV_WRITE: [usize; 13] = [
        144, 272, 280, 288, 304, 320, 328, 336, 344, 352, 368, 384, 392,
    ];

    #[test]
    fn layout_is_libevent_2_1_or_2_2() {
        assert_eq!(offset_of!(RawBufferevent, be_ops), 8);
        assert_eq!(offset_of!(RawBufferevent, ev_read), 16);
        let actual = [
            offset_of!(RawBufferevent, ev_write),
            offset_of!(RawBufferevent, input),
            offset_of!(RawBufferevent, output),
            offset_of!(RawBufferevent, wm_read),
            offset_of!(RawBufferevent, wm_write),
            offset_of!(RawBufferevent, readcb),
            offset_of!(RawBufferevent, writecb),
            offset_of!(RawBufferevent, errorcb),
            offset_of!(RawBufferevent, cbarg),
            offset_of!(RawBufferevent, timeout_read),
            offset_of!(RawBufferevent, timeout_write),
            offset_of!(RawBufferevent, enabled),
            size_of::<RawBufferevent>(),
        ];
        assert_eq!(actual, FROM_EV_WRITE);
    }
}

//! Connection listeners (event2/listener.h): a listening socket whose read event
//! accepts every waiting connection and hands each to the program's callback.
//!
//! The program's handle and a callback in progress each hold a reference, so the
//! program may free the listener from inside its own callback; the memory goes with
//! the last reference.

use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_int, c_short, c_void};
use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;
use std::ptr::NonNull;

use crate::bufferevent::SocketAddress;
use crate::event::handler::{EventHandler, Handler};
use crate::event::raw::{ev, Event};
use crate::event::{self, Base, DelMode, EventError};
use crate::log;
use crate::thread::{Lock, MaybeHeld};
use crate::util::errno;
use crate::util::socket as sock;

/// `LEV_OPT_*`.
pub mod flags {
    pub const LEAVE_SOCKETS_BLOCKING: u32 = 1 << 0;
    pub const CLOSE_ON_FREE: u32 = 1 << 1;
    pub const CLOSE_ON_EXEC: u32 = 1 << 2;
    pub const REUSEABLE: u32 = 1 << 3;
    pub const THREADSAFE: u32 = 1 << 4;
    pub const DISABLED: u32 = 1 << 5;
    pub const DEFERRED_ACCEPT: u32 = 1 << 6;
    pub const REUSEABLE_PORT: u32 = 1 << 7;
    pub const BIND_IPV6ONLY: u32 = 1 << 8;
    pub const BIND_IPV4_AND_IPV6: u32 = 1 << 9;
}

/// `evconnlistener_cb`: the listener, the new socket, the peer's address and its
/// length, and the program's argument.
pub type AcceptFn =
    unsafe extern "C" fn(*mut Listener, RawFd, *mut libc::sockaddr, c_int, *mut c_void);
/// `evconnlistener_errorcb`.
pub type ErrorFn = unsafe extern "C" fn(*mut Listener, *mut c_void);

/// The backlog `listen` gets when the program asks for the default (a negative one).
const DEFAULT_BACKLOG: c_int = 128;

/// `struct evconnlistener`.
pub struct Listener {
    lock: Option<Lock>,
    /// The listening socket's read event.
    event: UnsafeCell<Event>,
    refs: Cell<usize>,
    enabled: Cell<bool>,
    callback: Cell<Option<AcceptFn>>,
    error_callback: Cell<Option<ErrorFn>>,
    arg: Cell<*mut c_void>,
    flags: u32,
    /// How accepted sockets start out.
    accept_flags: sock::NewFdFlags,
}

// Neither `Send` nor `Sync`: without `LEV_OPT_THREADSAFE` a listener is used by one
// thread, so other threads reach it only through its address, under libevent's rules
// (docs/ARCHITECTURE.md, "Threads").

impl Listener {
    /// `evconnlistener_new`: listens on `fd` (already bound; `backlog` 0 means it
    /// already listens, a negative one asks for the default) and, unless
    /// `LEV_OPT_DISABLED`, starts accepting.
    pub fn new(
        base: &Base,
        callback: Option<AcceptFn>,
        arg: *mut c_void,
        flags: u32,
        backlog: c_int,
        fd: RawFd,
    ) -> Option<NonNull<Listener>> {
        if backlog != 0 {
            let backlog = if backlog < 0 {
                DEFAULT_BACKLOG
            } else {
                backlog
            };
            // SAFETY: plain system call on the program's socket.
            if unsafe { libc::listen(fd, backlog) } < 0 {
                return None;
            }
        }
        let accept_flags = sock::NewFdFlags {
            nonblocking: flags & flags::LEAVE_SOCKETS_BLOCKING == 0,
            cloexec: flags & flags::CLOSE_ON_EXEC != 0,
        };
        let lock = if flags & flags::THREADSAFE != 0 {
            Lock::new(true)
        } else {
            None
        };
        let listener = NonNull::from(Box::leak(crate::util::try_box(Listener {
            lock,
            event: UnsafeCell::new(event::zeroed_event()),
            refs: Cell::new(1),
            enabled: Cell::new(false),
            callback: Cell::new(callback),
            error_callback: Cell::new(None),
            arg: Cell::new(arg),
            flags,
            accept_flags,
        })?));
        // SAFETY: just made.
        let lev = unsafe { listener.as_ref() };
        // SAFETY: the listener's own event field; the event is deleted before the
        // listener goes.
        let _ = unsafe {
            event::assign_handler(
                lev.event_ptr(),
                base,
                fd,
                ev::READ | ev::PERSIST,
                Handler::new::<Accept>(listener),
            )
        };
        if flags & flags::DISABLED == 0 {
            let _ = lev.enable();
        }
        Some(listener)
    }

    /// `evconnlistener_new_bind`: makes a socket with the options the flags ask for,
    /// binds it to `addr` (if given) and listens. As in libevent, the socket is closed
    /// with the listener only under `LEV_OPT_CLOSE_ON_FREE`.
    pub fn new_bind(
        base: &Base,
        callback: Option<AcceptFn>,
        arg: *mut c_void,
        flags: u32,
        backlog: c_int,
        addr: Option<&SocketAddress>,
    ) -> Option<NonNull<Listener>> {
        if backlog == 0 {
            return None;
        }
        let family = addr.map_or(libc::AF_UNSPEC, SocketAddress::family);
        let new_fd_flags = sock::NewFdFlags {
            nonblocking: true,
            cloexec: flags & flags::CLOSE_ON_EXEC != 0,
        };
        let fd = sock::socket(family, libc::SOCK_STREAM, 0, new_fd_flags).ok()?;
        let prepared = prepare_bound_socket(fd, flags, addr);
        let listener = prepared
            .ok()
            .and_then(|()| Listener::new(base, callback, arg, flags, backlog, fd));
        if listener.is_none() {
            let error = errno::get();
            let _ = sock::close(fd);
            if error != 0 {
                errno::set(error);
            }
        }
        listener
    }

    fn event_ptr(&self) -> NonNull<Event> {
        // SAFETY: a field of a live listener.
        unsafe { NonNull::new_unchecked(self.event.get()) }
    }

    fn held(&self) -> MaybeHeld<'_> {
        MaybeHeld::new(self.lock.as_ref())
    }

    /// The listener for one stretch of code that runs no program code.
    ///
    /// # Safety
    /// `this` is live: its read event is running (it is deleted before the listener
    /// goes), or the caller holds a reference.
    unsafe fn at<'a>(this: NonNull<Listener>) -> &'a Listener {
        // SAFETY: guaranteed by the caller.
        unsafe { this.as_ref() }
    }

    fn lock(&self) {
        if let Some(l) = &self.lock {
            l.lock();
        }
    }

    fn unlock(&self) {
        if let Some(l) = &self.lock {
            l.unlock();
        }
    }

    /// `evconnlistener_free`: no more callbacks; the memory goes now, or when a
    /// callback in progress returns.
    ///
    /// # Safety
    /// `this` came from [`Listener::new`] and the program's handle was not freed.
    pub unsafe fn free(this: NonNull<Listener>) {
        // SAFETY: live, as the caller guarantees.
        let lev = unsafe { this.as_ref() };
        lev.lock();
        lev.callback.set(None);
        lev.error_callback.set(None);
        // SAFETY: the program gives up its reference; the lock is held.
        unsafe { Self::release_and_unlock(this) };
    }

    /// Drops a reference and the lock; the last reference frees the listener.
    /// Returns whether it did.
    ///
    /// # Safety
    /// `this` is live, the caller holds its lock and owns one reference.
    unsafe fn release_and_unlock(this: NonNull<Listener>) -> bool {
        // SAFETY: live, as the caller guarantees.
        let lev = unsafe { this.as_ref() };
        let refs = lev.refs.get() - 1;
        lev.refs.set(refs);
        if refs > 0 {
            lev.unlock();
            return false;
        }
        lev.enabled.set(false);
        // Unlocked first: a run starting in the loop's thread takes the lock, finds
        // the listener disabled and returns, and `event_del` waits for that (it does
        // not wait when called from the listener's own callback).
        lev.unlock();
        let event = lev.event_ptr();
        // SAFETY: the listener's own assigned event.
        unsafe {
            let _ = event::del(event, DelMode::Auto);
            event::debug_unassign(event);
        }
        let fd = lev.fd();
        if lev.flags & flags::CLOSE_ON_FREE != 0 && fd >= 0 {
            let _ = sock::close(fd);
        }
        // SAFETY: from Box::leak in `new`; no reference is left.
        drop(unsafe { Box::from_raw(this.as_ptr()) });
        true
    }

    /// `evconnlistener_enable`. Without an accept callback the listener only records
    /// that it is wanted; `evconnlistener_set_cb` starts it.
    pub fn enable(&self) -> Result<(), EventError> {
        let _held = self.held();
        self.enabled.set(true);
        if self.callback.get().is_none() {
            return Ok(());
        }
        // SAFETY: the listener's own assigned event.
        unsafe { event::add(self.event_ptr(), None) }
    }

    /// `evconnlistener_disable`.
    pub fn disable(&self) -> Result<(), EventError> {
        let _held = self.held();
        self.enabled.set(false);
        // Without waiting: a run in progress in the loop's thread may be waiting for
        // this lock; it finds the listener disabled and stops.
        // SAFETY: the listener's own assigned event.
        unsafe { event::del(self.event_ptr(), DelMode::NoBlock) }
    }

    /// `evconnlistener_get_fd`.
    pub fn fd(&self) -> RawFd {
        // SAFETY: the event's fd never changes after `new`.
        unsafe { (*self.event.get()).fd }
    }

    /// `evconnlistener_get_base`.
    pub fn base(&self) -> &Base {
        // SAFETY: assigned to a base that outlives the listener (libevent's contract).
        unsafe { &*(*self.event.get()).base }
    }

    /// `evconnlistener_set_cb`: a first callback on an enabled listener starts it.
    pub fn set_callback(&self, callback: Option<AcceptFn>, arg: *mut c_void) {
        let _held = self.held();
        let start = self.enabled.get() && self.callback.get().is_none();
        self.callback.set(callback);
        self.arg.set(arg);
        if start {
            let _ = self.enable();
        }
    }

    /// `evconnlistener_set_error_cb`.
    pub fn set_error_callback(&self, callback: Option<ErrorFn>) {
        let _held = self.held();
        self.error_callback.set(callback);
    }
}

fn prepare_bound_socket(fd: RawFd, flags: u32, addr: Option<&SocketAddress>) -> io::Result<()> {
    let on: c_int = 1;
    // SAFETY: `on` is a live int and the length is its size.
    let status = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            (&on as *const c_int).cast(),
            size_of::<c_int>() as libc::socklen_t,
        )
    };
    if status < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & flags::REUSEABLE != 0 {
        sock::make_listen_reuseable(fd)?;
    }
    if flags & flags::REUSEABLE_PORT != 0 {
        sock::make_listen_reuseable_port(fd)?;
    }
    if flags & flags::DEFERRED_ACCEPT != 0 {
        sock::make_tcp_listen_deferred(fd)?;
    }
    if flags & flags::BIND_IPV6ONLY != 0 {
        sock::set_ipv6_only(fd, true)?;
    }
    if flags & flags::BIND_IPV4_AND_IPV6 != 0 {
        sock::set_ipv6_only(fd, false)?;
    }
    if let Some(addr) = addr {
        // SAFETY: `addr` holds `len` initialised bytes of a socket address.
        if unsafe { libc::bind(fd, addr.as_raw(), addr.len()) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn is_accept_retriable(code: c_int) -> bool {
    matches!(code, libc::EINTR | libc::EAGAIN | libc::ECONNABORTED) || code == libc::EWOULDBLOCK
}

/// The listening socket is readable: accept everything waiting.
struct Accept;

impl EventHandler for Accept {
    type Target = Listener;
    fn run(this: NonNull<Listener>, fd: RawFd, _what: c_short) {
        accept_waiting(this, fd);
    }
}

/// Accepts connections until none waits, handing each to the program. The listener is
/// reached afresh after each program call, which may have disabled or freed it.
fn accept_waiting(this: NonNull<Listener>, fd: RawFd) {
    // SAFETY (each `Listener::at` below): the read event runs while the listener is
    // live; around the program's calls a reference taken here keeps it.
    let lev = unsafe { Listener::at(this) };
    lev.lock();
    // Disabled or freed by another thread after the wake-up.
    if !lev.enabled.get() {
        lev.unlock();
        return;
    }
    let accept_flags = lev.accept_flags;
    let error = loop {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let mut peer: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len: libc::socklen_t = 0;
        let Ok(new_fd) = sock::accept(fd, &mut peer, &mut len, accept_flags) else {
            break errno::get();
        };
        let peer_ptr = (&mut peer as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
        if len == 0 {
            let _ = sock::close(new_fd);
            continue;
        }
        // SAFETY: see above.
        let lev = unsafe { Listener::at(this) };
        let Some(callback) = lev.callback.get() else {
            let _ = sock::close(new_fd);
            lev.unlock();
            return;
        };
        lev.refs.set(lev.refs.get() + 1);
        let arg = lev.arg.get();
        // SAFETY: the program's callback; the reference taken keeps the listener.
        unsafe { callback(this.as_ptr(), new_fd, peer_ptr, len as c_int, arg) };
        // SAFETY: see above.
        let lev = unsafe { Listener::at(this) };
        if lev.refs.get() == 1 {
            // Freed from inside the callback: this was the last reference.
            // SAFETY: the reference taken above; the lock is held.
            unsafe { Listener::release_and_unlock(this) };
            return;
        }
        lev.refs.set(lev.refs.get() - 1);
        if !lev.enabled.get() {
            lev.unlock();
            return;
        }
    };
    // SAFETY: see above.
    let lev = unsafe { Listener::at(this) };
    if is_accept_retriable(error) {
        lev.unlock();
        return;
    }
    match lev.error_callback.get() {
        Some(callback) => {
            lev.refs.set(lev.refs.get() + 1);
            let arg = lev.arg.get();
            errno::set(error);
            // SAFETY: the program's error callback, with `errno` still the accept
            // error; then the reference taken is given back, with the lock.
            unsafe {
                callback(this.as_ptr(), arg);
                Listener::release_and_unlock(this);
            }
        }
        None => {
            // libevent's wording, which programs match in their log callbacks.
            log::warn(format_args!(
                "Error from accept() call: {}",
                crate::util::os_error_text(error)
            ));
            lev.unlock();
        }
    }
}

//! The foreign-kind seam end to end: a kind written against `evrs_sibling::foreign`,
//! linked with the core's C layer as a sibling library is, driven through the public C
//! API (`bufferevent_enable`, `bufferevent_socket_connect`, `bufferevent_free`...).

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_short, c_void};
use std::ptr::NonNull;
use std::rc::Rc;

use evrs_sibling::foreign::{self, Direction, ForeignKind, IncrefLock, Refused};
use evrs_sibling::handler::EventHandler;
use evrs_sibling::{foreign_kind_ops, sys};

// The C layer's symbols come from its rlib, as from libevent_core in a real sibling.
use evrs_capi as _;

extern "C" {
    fn event_base_new() -> *mut sys::event_base;
    fn event_base_free(base: *mut sys::event_base);
    fn event_base_loop(base: *mut sys::event_base, flags: c_int) -> c_int;
}

const EVLOOP_ONCE: c_int = 1;
const EVLOOP_NONBLOCK: c_int = 2;

type Calls = Rc<RefCell<Vec<String>>>;

/// A kind on a socket: `set_fd` watches the socket for a connect to finish, as a TLS
/// kind's handshake event does.
struct SocketKind {
    calls: Calls,
    fd: Cell<sys::evutil_socket_t>,
    bev: Cell<Option<NonNull<sys::bufferevent>>>,
}

foreign_kind_ops!(static SOCKET_KIND_OPS: SocketKind);

impl SocketKind {
    fn note(&self, call: impl Into<String>) {
        self.calls.borrow_mut().push(call.into());
    }
}

impl Drop for SocketKind {
    fn drop(&mut self) {
        self.note("drop");
    }
}

impl ForeignKind for SocketKind {
    fn ops() -> &'static sys::evrs_sibling_bev_ops {
        &SOCKET_KIND_OPS
    }

    fn enable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused> {
        // SAFETY: the core keeps the object during the operation.
        let kind = unsafe { this.as_ref() };
        kind.note(format!("enable {events}"));
        if events & sys::EV_WRITE != 0 && kind.fd.get() >= 0 {
            // SAFETY: the core passes a live bufferevent.
            unsafe { foreign::add_event(bev, Direction::Write) }?;
        }
        Ok(())
    }

    fn disable(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        events: c_short,
    ) -> Result<(), Refused> {
        // SAFETY: the core keeps the object during the operation.
        let kind = unsafe { this.as_ref() };
        kind.note(format!("disable {events}"));
        if events & sys::EV_WRITE != 0 {
            // SAFETY: the core passes a live bufferevent.
            unsafe { foreign::del_event(bev, Direction::Write) };
        }
        Ok(())
    }

    fn unlink(this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) {
        // SAFETY: the core keeps the object during the operation.
        let kind = unsafe { this.as_ref() };
        kind.note("unlink");
    }

    fn destruct(this: NonNull<Self>, bev: NonNull<sys::bufferevent>) {
        // SAFETY: the core keeps the object until after this operation.
        let kind = unsafe { this.as_ref() };
        kind.note("destruct");
        // SAFETY: the core passes a live bufferevent.
        let close = unsafe { foreign::options(bev) } & sys::BEV_OPT_CLOSE_ON_FREE != 0;
        if close && kind.fd.get() >= 0 {
            // SAFETY: the kind's own socket, closed once.
            unsafe { sys::evutil_closesocket(kind.fd.get()) };
        }
    }

    fn fd(this: NonNull<Self>, _bev: NonNull<sys::bufferevent>) -> sys::evutil_socket_t {
        // SAFETY: the core keeps the object during the operation.
        let kind = unsafe { this.as_ref() };
        kind.fd.get()
    }

    fn set_fd(
        this: NonNull<Self>,
        bev: NonNull<sys::bufferevent>,
        fd: sys::evutil_socket_t,
    ) -> Result<(), Refused> {
        // SAFETY: the core keeps the object during the operation.
        let kind = unsafe { this.as_ref() };
        kind.note(format!("set_fd {}", fd >= 0));
        kind.fd.set(fd);
        kind.bev.set(Some(bev));
        // SAFETY: a live bufferevent; the kind object lives as long as its events.
        unsafe {
            foreign::del_event(bev, Direction::Read);
            foreign::del_event(bev, Direction::Write);
            // Both events are the kind's own from now on, as a TLS kind's are; the
            // teardown finalizes them all the same.
            foreign::assign_event::<ConnectFinished>(
                bev,
                Direction::Read,
                fd,
                sys::EV_READ | sys::EV_PERSIST | sys::EV_FINALIZE,
                this,
            )?;
            foreign::assign_event::<ConnectFinished>(
                bev,
                Direction::Write,
                fd,
                sys::EV_WRITE | sys::EV_PERSIST | sys::EV_FINALIZE,
                this,
            )
        }
    }
}

/// The socket became writable: the connect finished.
struct ConnectFinished;

impl EventHandler for ConnectFinished {
    type Target = SocketKind;
    fn fire(target: NonNull<SocketKind>, _what: c_short) {
        // SAFETY: the kind lives until its bufferevent's destruct, after its events.
        let kind = unsafe { target.as_ref() };
        let Some(bev) = kind.bev.get() else {
            return;
        };
        // SAFETY: the event is the bufferevent's own, so the bufferevent is live.
        let _hold = unsafe { IncrefLock::new(bev) };
        // SAFETY: `bev` is live (its own event fired) and held by the reference above.
        unsafe {
            foreign::del_event(bev, Direction::Write);
            if foreign::connecting(bev) {
                foreign::set_connecting(bev, false);
                foreign::run_eventcb(bev, sys::BEV_EVENT_CONNECTED, 0, 0);
            }
        }
    }
}

/// A second kind, to tell kinds apart.
struct OtherKind;

foreign_kind_ops!(static OTHER_KIND_OPS: OtherKind);

impl ForeignKind for OtherKind {
    fn ops() -> &'static sys::evrs_sibling_bev_ops {
        &OTHER_KIND_OPS
    }
    fn enable(
        _this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
        _events: c_short,
    ) -> Result<(), Refused> {
        Ok(())
    }
    fn disable(
        _this: NonNull<Self>,
        _bev: NonNull<sys::bufferevent>,
        _events: c_short,
    ) -> Result<(), Refused> {
        Ok(())
    }
}

thread_local! {
    static EVENTS: RefCell<Vec<c_short>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "C" fn note_event(_bev: *mut sys::bufferevent, what: c_short, _arg: *mut c_void) {
    EVENTS.with(|events| events.borrow_mut().push(what));
}

fn socket_kind(calls: &Calls) -> SocketKind {
    SocketKind {
        calls: Rc::clone(calls),
        fd: Cell::new(-1),
        bev: Cell::new(None),
    }
}

fn take(calls: &Calls) -> Vec<String> {
    std::mem::take(&mut *calls.borrow_mut())
}

fn new_base() -> NonNull<sys::event_base> {
    // SAFETY: a plain constructor.
    NonNull::new(unsafe { event_base_new() }).expect("base")
}

#[test]
fn a_kind_is_made_found_enabled_and_torn_down() {
    let base = new_base();
    let calls = Calls::default();
    // SAFETY: a live base.
    let bev = unsafe { foreign::new(base, 0, socket_kind(&calls), true) }.expect("made");
    // SAFETY: a live bufferevent, below until freed.
    unsafe {
        assert!(foreign::kind_of::<SocketKind>(bev).is_some());
        assert!(foreign::kind_of::<OtherKind>(bev).is_none());
        // Any library finds the table and context (what it knows of another's kind).
        let (table, ctx) = foreign::table_and_ctx(bev).unwrap();
        assert!(std::ptr::eq(table.as_ptr(), SocketKind::ops()));
        assert_eq!(
            ctx.cast::<SocketKind>(),
            foreign::kind_of::<SocketKind>(bev).unwrap()
        );
        assert_eq!(sys::bufferevent_enable(bev.as_ptr(), sys::EV_READ), 0);
        assert_eq!(sys::bufferevent_disable(bev.as_ptr(), sys::EV_READ), 0);
        assert_eq!(take(&calls), ["enable 2", "disable 2"]);
        // Suspension reaches the kind; the reasons are reported.
        foreign::set_suspended(bev, Direction::Write, sys::BEV_SUSPEND_FILT_READ, true).unwrap();
        assert!(foreign::is_suspended(bev, Direction::Write));
        foreign::set_suspended(bev, Direction::Write, sys::BEV_SUSPEND_FILT_READ, false).unwrap();
        assert!(!foreign::is_suspended(bev, Direction::Write));
        assert_eq!(take(&calls), ["disable 4", "enable 4"]);
        assert!(foreign::budget(bev, Direction::Read) > 0);
        foreign::consumed(bev, Direction::Read, 10);
        assert_eq!(sys::bufferevent_getfd(bev.as_ptr()), -1);
        sys::bufferevent_free(bev.as_ptr());
        assert_eq!(take(&calls), ["unlink"]);
        event_base_loop(base.as_ptr(), EVLOOP_NONBLOCK);
        assert_eq!(take(&calls), ["destruct", "drop"]);
        event_base_free(base.as_ptr());
    }
}

#[test]
fn connect_on_a_kind_goes_through_its_fd_and_write_event() {
    connect_on_a_kind(false);
}

#[test]
fn connect_hostname_on_a_kind_connects_as_well() {
    connect_on_a_kind(true);
}

fn connect_on_a_kind(by_name: bool) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let std::net::SocketAddr::V4(target) = listener.local_addr().expect("address") else {
        panic!("IPv4");
    };
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: target.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*target.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    let base = new_base();
    let calls = Calls::default();
    let options = sys::BEV_OPT_CLOSE_ON_FREE;
    // SAFETY: a live base.
    let bev = unsafe { foreign::new(base, options, socket_kind(&calls), true) }.expect("made");
    // SAFETY: a live bufferevent and base until freed at the end; `sin` is readable.
    unsafe {
        sys::bufferevent_setcb(
            bev.as_ptr(),
            None,
            None,
            Some(note_event),
            std::ptr::null_mut(),
        );
        let r = if by_name {
            sys::bufferevent_socket_connect_hostname(
                bev.as_ptr(),
                std::ptr::null_mut(),
                libc::AF_INET,
                c"127.0.0.1".as_ptr(),
                c_int::from(target.port()),
            )
        } else {
            sys::bufferevent_socket_connect(
                bev.as_ptr(),
                (&sin as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as c_int,
            )
        };
        assert_eq!(r, 0);
        assert_eq!(sys::bufferevent_socket_get_dns_error(bev.as_ptr()), 0);
        if by_name {
            // The lookup suspends both directions, then resumes the enabled one.
            let lookup = ["disable 4", "disable 2", "enable 4", "set_fd true"];
            assert_eq!(take(&calls), lookup);
        } else {
            assert_eq!(take(&calls), ["set_fd true"]);
        }
        assert!(sys::bufferevent_getfd(bev.as_ptr()) >= 0);
        assert!(foreign::connecting(bev));
        let write = foreign::event(bev, Direction::Write);
        assert_ne!(
            sys::event_pending(write.as_ptr(), sys::EV_WRITE, std::ptr::null_mut()),
            0
        );
        while EVENTS.with(|e| e.borrow().is_empty()) {
            event_base_loop(base.as_ptr(), EVLOOP_ONCE);
        }
        assert_eq!(EVENTS.with(|e| e.take()), [sys::BEV_EVENT_CONNECTED]);
        assert!(!foreign::connecting(bev));
        sys::bufferevent_free(bev.as_ptr());
        event_base_loop(base.as_ptr(), EVLOOP_NONBLOCK);
        assert_eq!(take(&calls), ["unlink", "destruct", "drop"]);
        event_base_free(base.as_ptr());
    }
}

unsafe extern "C" fn refuse(
    _ctx: *mut c_void,
    _bev: *mut sys::bufferevent,
    _events: c_short,
) -> c_int {
    -1
}

unsafe extern "C" fn nothing(_ctx: *mut c_void, _bev: *mut sys::bufferevent) {}

#[test]
fn the_c_functions_check_their_arguments() {
    let base = new_base();
    let full = sys::evrs_sibling_bev_ops {
        size: std::mem::size_of::<sys::evrs_sibling_bev_ops>(),
        enable: Some(refuse),
        disable: Some(refuse),
        unlink: None,
        destruct: Some(nothing),
        flush: None,
        get_fd: None,
        set_fd: None,
        get_underlying: None,
    };
    let short = sys::evrs_sibling_bev_ops { size: 8, ..full };
    let no_enable = sys::evrs_sibling_bev_ops {
        enable: None,
        ..full
    };
    let null = std::ptr::null_mut();
    // SAFETY: the base is live; the tables are readable; bufferevents freed below.
    unsafe {
        let new = |ops: *const sys::evrs_sibling_bev_ops, flags| {
            sys::evrs_sibling_bufferevent_new_foreign(base.as_ptr(), 0, ops, null, flags)
        };
        assert!(new(std::ptr::null(), 0).is_null());
        assert!(new(&short, 0).is_null());
        assert!(new(&no_enable, 0).is_null());
        assert!(new(&full, 0x100).is_null());
        // UNLOCK_CALLBACKS needs DEFER_CALLBACKS, as for every bufferevent.
        let unlock_only = sys::BEV_OPT_UNLOCK_CALLBACKS;
        assert!(sys::evrs_sibling_bufferevent_new_foreign(
            base.as_ptr(),
            unlock_only,
            &full,
            null,
            0
        )
        .is_null());

        let bev = new(&full, 0);
        assert!(!bev.is_null());
        // A refusing kind: enabling fails; missing operations answer their defaults.
        assert_eq!(sys::bufferevent_enable(bev, sys::EV_READ), -1);
        assert_eq!(sys::bufferevent_getfd(bev), -1);
        assert_eq!(sys::bufferevent_setfd(bev, 5), -1);
        assert!(sys::bufferevent_get_underlying(bev).is_null());
        assert!(sys::evrs_sibling_bufferevent_foreign_ctx(bev, &short).is_null());
        assert!(sys::evrs_sibling_bufferevent_foreign_ctx(null.cast(), &full).is_null());
        assert!(std::ptr::eq(
            sys::evrs_sibling_bufferevent_foreign_ops(bev),
            &full
        ));
        assert!(sys::evrs_sibling_bufferevent_foreign_ops(null.cast()).is_null());
        let plain = sys::bufferevent_socket_new(base.as_ptr(), -1, 0);
        assert!(sys::evrs_sibling_bufferevent_foreign_ops(plain).is_null());
        sys::bufferevent_free(plain);
        assert!(sys::evrs_sibling_bufferevent_event(bev, sys::EV_TIMEOUT).is_null());
        assert_eq!(sys::evrs_sibling_bufferevent_add_event(bev, 0), -1);
        assert_eq!(
            sys::evrs_sibling_bufferevent_suspended(bev, sys::EV_READ),
            0
        );
        assert_eq!(sys::evrs_sibling_bufferevent_suspended(bev, 0x99), -1);
        assert_eq!(
            sys::evrs_sibling_bufferevent_suspend(bev, sys::EV_READ, 0),
            -1
        );
        assert_eq!(
            sys::evrs_sibling_bufferevent_suspend(bev, sys::EV_READ, 0x20),
            -1
        );
        assert_eq!(
            sys::evrs_sibling_bufferevent_suspend(bev, sys::EV_READ, 1 << 20),
            -1
        );
        assert_eq!(
            sys::evrs_sibling_bufferevent_decrement_buckets(bev, sys::EV_READ, -1),
            -1
        );
        assert_eq!(
            sys::evrs_sibling_bufferevent_decrement_buckets(bev, 0, 1),
            -1
        );
        assert_eq!(sys::evrs_sibling_bufferevent_options(null.cast()), -1);
        assert_eq!(sys::evrs_sibling_bufferevent_connecting(null.cast()), -1);
        assert_eq!(
            sys::evrs_sibling_bufferevent_decref_and_unlock(null.cast()),
            -1
        );
        sys::evrs_sibling_bufferevent_incref_and_lock(null.cast());
        sys::evrs_sibling_bufferevent_run_eventcb(null.cast(), sys::BEV_EVENT_EOF, 0, 0);
        sys::evrs_sibling_bufferevent_incref_and_lock(bev);
        assert_eq!(sys::evrs_sibling_bufferevent_decref_and_unlock(bev), 0);
        sys::bufferevent_free(bev);
        event_base_loop(base.as_ptr(), EVLOOP_NONBLOCK);
        event_base_free(base.as_ptr());
    }
}

//! Rate limits: token buckets per bufferevent (`bufferevent_set_rate_limit`) and shared
//! by a group (`bufferevent_rate_limit_group`). A bucket starts with one tick's worth
//! of tokens, gains `rate` per tick up to `burst`, and loses what is read or written;
//! an empty bucket suspends its direction until a refill timer finds tokens again.

use std::cell::UnsafeCell;
use std::ffi::c_short;
use std::os::fd::RawFd;
use std::ptr::NonNull;

use super::{suspend, BevError, BevResult, Bufferevent};
use crate::event::handler::{EventHandler, Handler};
use crate::event::raw::{ev, Event};
use crate::event::{self, Base, DelMode, Tv};
use crate::log;
use crate::thread::Lock;
use crate::util::shared::Shared;

/// `EV_RATE_LIMIT_MAX`.
const RATE_LIMIT_MAX: usize = isize::MAX as usize;

/// `struct ev_token_bucket_cfg`: rates and bursts in bytes, and the tick length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucketCfg {
    read_rate: usize,
    read_maximum: usize,
    write_rate: usize,
    write_maximum: usize,
    tick: Tv,
    msec_per_tick: u64,
}

impl TokenBucketCfg {
    /// `ev_token_bucket_cfg_new`: None when a rate is 0, exceeds its burst, or a value
    /// exceeds `EV_RATE_LIMIT_MAX`. The tick defaults to one second.
    pub fn new(
        read_rate: usize,
        read_burst: usize,
        write_rate: usize,
        write_burst: usize,
        tick: Option<Tv>,
    ) -> Option<TokenBucketCfg> {
        if read_rate > read_burst || write_rate > write_burst || read_rate < 1 || write_rate < 1 {
            return None;
        }
        if [read_rate, read_burst, write_rate, write_burst]
            .iter()
            .any(|&v| v > RATE_LIMIT_MAX)
        {
            return None;
        }
        let tick = tick.unwrap_or(Tv { sec: 1, usec: 0 });
        let msec_per_tick = (tick.sec.max(0) as u64)
            .saturating_mul(1000)
            .saturating_add((tick.usec.max(0) as u64 & 0xfffff) / 1000);
        Some(TokenBucketCfg {
            read_rate,
            read_maximum: read_burst,
            write_rate,
            write_maximum: write_burst,
            tick,
            msec_per_tick,
        })
    }

    /// The tick number of `now`.
    fn tick_of(&self, now: Tv) -> u32 {
        let msec = (now.sec.max(0) as u64) * 1000 + (now.usec.max(0) as u64) / 1000;
        (msec / self.msec_per_tick.max(1)) as u32
    }
}

/// The tokens left in each direction (negative after an overdraft).
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    read_limit: i64,
    write_limit: i64,
    last_updated: u32,
}

impl Bucket {
    fn new(cfg: &TokenBucketCfg, tick: u32) -> Bucket {
        Bucket {
            read_limit: cfg.read_rate as i64,
            write_limit: cfg.write_rate as i64,
            last_updated: tick,
        }
    }

    /// A new configuration for a bucket in use: only clamp to the new bursts.
    fn clamp(&mut self, cfg: &TokenBucketCfg) {
        self.read_limit = self.read_limit.min(cfg.read_maximum as i64);
        self.write_limit = self.write_limit.min(cfg.write_maximum as i64);
    }

    /// Adds the tokens of the ticks since the last update.
    fn update(&mut self, cfg: &TokenBucketCfg, tick: u32) {
        let n_ticks = tick.wrapping_sub(self.last_updated);
        if n_ticks == 0 || n_ticks > i32::MAX as u32 {
            return;
        }
        let refill = |limit: i64, rate: usize, maximum: usize| {
            let gained = (rate as i64).saturating_mul(i64::from(n_ticks));
            limit.saturating_add(gained).min(maximum as i64)
        };
        self.read_limit = refill(self.read_limit, cfg.read_rate, cfg.read_maximum);
        self.write_limit = refill(self.write_limit, cfg.write_rate, cfg.write_maximum);
        self.last_updated = tick;
    }
}

/// A bufferevent's rate-limit state, made by its first limit or group.
pub(super) struct Limiter {
    cfg: Option<Shared<TokenBucketCfg>>,
    bucket: Bucket,
    group: Option<NonNull<RateLimitGroup>>,
    /// Wakes the bufferevent when its own bucket has tokens again.
    refill: UnsafeCell<Event>,
}

#[allow(clippy::mut_from_ref)]
fn limiter(bev: &Bufferevent) -> Option<&mut Limiter> {
    // SAFETY: reached under the bufferevent's lock, one access at a time.
    unsafe { (*bev.rate.get()).as_deref_mut() }
}

/// The bufferevent's limiter, made on first use; None when memory runs out.
#[allow(clippy::mut_from_ref)]
fn limiter_or_new(bev: &Bufferevent) -> Option<&mut Limiter> {
    // SAFETY: reached under the bufferevent's lock, one access at a time
    let slot = unsafe { &mut *bev.rate.get() };
    if slot.is_none() {
        *slot = Some(crate::util::try_box(Limiter {
            cfg: None,
            bucket: Bucket::default(),
            group: None,
            refill: UnsafeCell::new(event::zeroed_event()),
        })?);
    }
    let lim = slot.as_deref_mut()?;
    let refill = NonNull::from(lim.refill.get_mut());
    // SAFETY: the limiter's own event, assigned once while not pending.
    if unsafe { refill.as_ref() }.callback.flags & crate::event::raw::list::INIT == 0 {
        // SAFETY: the limiter's own event, assigned once while not pending
        let _ = unsafe {
            event::assign_handler(
                refill,
                bev.base(),
                -1,
                ev::FINALIZE,
                Handler::new::<RefillBufferevent>(bev.this()),
            )
        };
    }
    Some(lim)
}

fn refill_ptr(lim: &Limiter) -> NonNull<Event> {
    // SAFETY: a field of a live limiter.
    unsafe { NonNull::new_unchecked(lim.refill.get()) }
}

/// The refill event, if the bufferevent has one (for the teardown).
pub(super) fn refill_event(bev: &Bufferevent) -> Option<NonNull<Event>> {
    limiter(bev).map(|lim| refill_ptr(lim))
}

fn arm_refill(lim: &Limiter) -> BevResult {
    let Some(cfg) = &lim.cfg else {
        return Ok(());
    };
    // SAFETY: the limiter's own assigned event.
    unsafe { event::add(refill_ptr(lim), Some(cfg.tick)) }.map_err(|_| BevError)
}

fn disarm_refill(lim: &Limiter) {
    // SAFETY: the limiter's own assigned event
    let _ = unsafe { event::del(refill_ptr(lim), DelMode::Auto) };
}

fn current_tick(base: &Base, cfg: &TokenBucketCfg) -> u32 {
    cfg.tick_of(base.gettimeofday_cached())
}

fn update_bucket(bev: &Bufferevent, lim: &mut Limiter) {
    if let Some(cfg) = &lim.cfg {
        let tick = current_tick(bev.base(), cfg);
        if tick != lim.bucket.last_updated {
            lim.bucket.update(cfg, tick);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Read,
    Write,
}

impl Direction {
    fn of(self, bucket: &Bucket) -> i64 {
        match self {
            Direction::Read => bucket.read_limit,
            Direction::Write => bucket.write_limit,
        }
    }

    fn of_mut(self, bucket: &mut Bucket) -> &mut i64 {
        match self {
            Direction::Read => &mut bucket.read_limit,
            Direction::Write => &mut bucket.write_limit,
        }
    }

    fn suspended(self, bev: &Bufferevent) -> u16 {
        match self {
            Direction::Read => bev.read_suspended.get(),
            Direction::Write => bev.write_suspended.get(),
        }
    }

    fn suspend(self, bev: &Bufferevent, reason: u16) {
        match self {
            Direction::Read => bev.suspend_read(reason),
            Direction::Write => bev.suspend_write(reason),
        }
    }

    fn unsuspend(self, bev: &Bufferevent, reason: u16) {
        match self {
            Direction::Read => bev.unsuspend_read(reason),
            Direction::Write => bev.unsuspend_write(reason),
        }
    }

    fn other(self) -> Direction {
        match self {
            Direction::Read => Direction::Write,
            Direction::Write => Direction::Read,
        }
    }
}

/// How much may be read or written now: the per-call size, or the own bucket when
/// there is one, clamped to the group share.
fn max_to(bev: &Bufferevent, dir: Direction) -> usize {
    let single = match dir {
        Direction::Read => bev.max_single_read.get(),
        Direction::Write => bev.max_single_write.get(),
    };
    let Some(lim) = limiter(bev) else {
        return single;
    };
    let mut max = single as i64;
    if lim.cfg.is_some() {
        update_bucket(bev, lim);
        max = dir.of(&lim.bucket);
    }
    if let Some(group) = lim.group {
        // SAFETY: a group outlives its members' membership.
        let group = unsafe { group.as_ref() };
        let share = group.with(|g| {
            if g.suspended(dir) {
                None
            } else {
                let share = dir.of(&g.bucket) / g.members.len().max(1) as i64;
                Some(share.max(g.min_share as i64))
            }
        });
        let share = share.unwrap_or_else(|| {
            dir.suspend(bev, suspend::GROUP);
            0
        });
        max = max.min(share);
    }
    max.max(0) as usize
}

pub(super) fn max_to_read(bev: &Bufferevent) -> usize {
    max_to(bev, Direction::Read)
}

pub(super) fn max_to_write(bev: &Bufferevent) -> usize {
    max_to(bev, Direction::Write)
}

/// Takes `bytes` from the buckets after I/O, suspending a direction that ran dry.
fn consumed(bev: &Bufferevent, dir: Direction, bytes: usize) {
    let Some(lim) = limiter(bev) else {
        return;
    };
    let bytes = bytes as i64;
    if lim.cfg.is_some() {
        let left = dir.of_mut(&mut lim.bucket);
        *left -= bytes;
        if *left <= 0 {
            let _ = arm_refill(lim);
            dir.suspend(bev, suspend::BANDWIDTH);
        } else if dir.suspended(bev) & suspend::BANDWIDTH != 0 {
            if dir.other().suspended(bev) & suspend::BANDWIDTH == 0 {
                disarm_refill(lim);
            }
            dir.unsuspend(bev, suspend::BANDWIDTH);
        }
    }
    let group = limiter(bev).and_then(|lim| lim.group);
    if let Some(group) = group {
        // SAFETY: as in `max_to`.
        let group = unsafe { group.as_ref() };
        group.consume(dir, bytes, true);
    }
}

pub(super) fn consumed_read(bev: &Bufferevent, bytes: usize) {
    consumed(bev, Direction::Read, bytes);
}

pub(super) fn consumed_write(bev: &Bufferevent, bytes: usize) {
    consumed(bev, Direction::Write, bytes);
}

/// The own bucket's refill timer.
struct RefillBufferevent;

impl EventHandler for RefillBufferevent {
    type Target = Bufferevent;
    fn run(bev: NonNull<Bufferevent>, _fd: RawFd, _what: c_short) {
        // SAFETY: the bufferevent's own event, finalized before the bufferevent goes.
        refill_bufferevent(unsafe { bev.as_ref() });
    }
}

fn refill_bufferevent(bev: &Bufferevent) {
    let _held = bev.held();
    let Some(lim) = limiter(bev) else {
        return;
    };
    let Some(cfg) = lim.cfg.clone() else {
        return;
    };
    lim.bucket.update(&cfg, current_tick(bev.base(), &cfg));
    let (read_left, write_left) = (lim.bucket.read_limit, lim.bucket.write_limit);
    let mut again = false;
    for (dir, left) in [(Direction::Read, read_left), (Direction::Write, write_left)] {
        if dir.suspended(bev) & suspend::BANDWIDTH != 0 {
            if left > 0 {
                dir.unsuspend(bev, suspend::BANDWIDTH);
            } else {
                again = true;
            }
        }
    }
    if again {
        if let Some(lim) = limiter(bev) {
            let _ = arm_refill(lim);
        }
    }
}

/// Leaves the group, if any (`unsuspend`: resume what the group had suspended).
pub(super) fn leave_group(bev: &Bufferevent, unsuspend: bool) {
    let _held = bev.held();
    if let Some(lim) = limiter(bev) {
        if let Some(group) = lim.group.take() {
            // SAFETY: as in `max_to`.
            unsafe { group.as_ref() }.with(|g| g.members.retain(|m| m.as_ptr() != bev.as_ptr()));
        }
    }
    if unsuspend {
        bev.unsuspend_read(suspend::GROUP);
        bev.unsuspend_write(suspend::GROUP);
    }
}

impl Bufferevent {
    /// `bufferevent_set_rate_limit`: None removes the bufferevent's own limit.
    pub fn set_rate_limit(&self, cfg: Option<Shared<TokenBucketCfg>>) -> BevResult {
        let _held = self.held();
        let Some(cfg) = cfg else {
            if let Some(lim) = limiter(self) {
                lim.cfg = None;
                self.unsuspend_read(suspend::BANDWIDTH);
                self.unsuspend_write(suspend::BANDWIDTH);
                if let Some(lim) = limiter(self) {
                    disarm_refill(lim);
                }
            }
            return Ok(());
        };
        if limiter(self)
            .is_some_and(|lim| lim.cfg.as_ref().is_some_and(|c| Shared::ptr_eq(c, &cfg)))
        {
            return Ok(());
        }
        let tick = current_tick(self.base(), &cfg);
        let lim = limiter_or_new(self).ok_or(BevError)?;
        if lim.cfg.is_some() {
            lim.bucket.clamp(&cfg);
            disarm_refill(lim);
        } else {
            lim.bucket = Bucket::new(&cfg, tick);
        }
        lim.cfg = Some(cfg);
        let (read_left, write_left) = (lim.bucket.read_limit, lim.bucket.write_limit);
        let mut suspended = false;
        for (dir, left) in [(Direction::Read, read_left), (Direction::Write, write_left)] {
            if left > 0 {
                dir.unsuspend(self, suspend::BANDWIDTH);
            } else {
                dir.suspend(self, suspend::BANDWIDTH);
                suspended = true;
            }
        }
        if suspended {
            if let Some(lim) = limiter(self) {
                let _ = arm_refill(lim);
            }
        }
        Ok(())
    }

    /// `bufferevent_get_token_bucket_cfg`.
    pub fn token_bucket_cfg(&self) -> Option<Shared<TokenBucketCfg>> {
        let _held = self.held();
        limiter(self).and_then(|lim| lim.cfg.clone())
    }

    fn own_limit(&self, dir: Direction) -> isize {
        let _held = self.held();
        match limiter(self) {
            Some(lim) if lim.cfg.is_some() => {
                update_bucket(self, lim);
                dir.of(&lim.bucket) as isize
            }
            _ => isize::MAX,
        }
    }

    /// `bufferevent_get_read_limit`: `EV_SSIZE_MAX` without an own limit.
    pub fn read_limit(&self) -> isize {
        self.own_limit(Direction::Read)
    }

    /// `bufferevent_get_write_limit`.
    pub fn write_limit(&self) -> isize {
        self.own_limit(Direction::Write)
    }

    /// `bufferevent_get_max_to_read`.
    pub fn max_to_read(&self) -> isize {
        let _held = self.held();
        max_to_read(self) as isize
    }

    /// `bufferevent_get_max_to_write`.
    pub fn max_to_write(&self) -> isize {
        let _held = self.held();
        max_to_write(self) as isize
    }

    fn decrement_own(&self, dir: Direction, decr: isize) -> BevResult {
        let _held = self.held();
        let Some(lim) = limiter(self).filter(|lim| lim.cfg.is_some()) else {
            log::warn(format_args!(
                "bufferevent_decrement_{}_limit: the bufferevent has no rate limit of its own",
                if dir == Direction::Read {
                    "read"
                } else {
                    "write"
                }
            ));
            return Err(BevError);
        };
        let left = dir.of_mut(&mut lim.bucket);
        let old = *left;
        *left = old.saturating_sub(decr as i64);
        let new = *left;
        let mut result = Ok(());
        if old > 0 && new <= 0 {
            result = arm_refill(lim);
            dir.suspend(self, suspend::BANDWIDTH);
        } else if old <= 0 && new > 0 {
            if dir.other().suspended(self) & suspend::BANDWIDTH == 0 {
                disarm_refill(lim);
            }
            dir.unsuspend(self, suspend::BANDWIDTH);
        }
        result
    }

    /// `bufferevent_decrement_read_limit` (negative values add tokens).
    pub fn decrement_read_limit(&self, decr: isize) -> BevResult {
        self.decrement_own(Direction::Read, decr)
    }

    /// `bufferevent_decrement_write_limit`.
    pub fn decrement_write_limit(&self, decr: isize) -> BevResult {
        self.decrement_own(Direction::Write, decr)
    }

    /// `bufferevent_add_to_rate_limit_group`.
    pub fn add_to_group(&self, group: &RateLimitGroup) -> BevResult {
        let _held = self.held();
        let target = NonNull::from(group);
        if limiter(self).is_some_and(|lim| lim.group == Some(target)) {
            return Ok(());
        }
        // What may fail comes first, so that a failure changes nothing.
        if limiter_or_new(self).is_none() || group.with(|g| g.members.try_reserve(1)).is_err() {
            return Err(BevError);
        }
        if limiter(self).is_some_and(|lim| lim.group.is_some()) {
            leave_group(self, true);
        }
        if let Some(lim) = limiter(self) {
            lim.group = Some(target);
        }
        let (read, write) = group.with(|g| {
            g.members.insert(0, self.this());
            (g.read_suspended, g.write_suspended)
        });
        if read {
            self.suspend_read(suspend::GROUP);
        }
        if write {
            self.suspend_write(suspend::GROUP);
        }
        Ok(())
    }

    /// `bufferevent_remove_from_rate_limit_group`.
    pub fn remove_from_group(&self) -> BevResult {
        leave_group(self, true);
        Ok(())
    }
}

/// The state of a group, under its lock.
struct GroupState {
    cfg: TokenBucketCfg,
    bucket: Bucket,
    /// Newest first, as libevent keeps them.
    members: Vec<NonNull<Bufferevent>>,
    read_suspended: bool,
    write_suspended: bool,
    /// A member could not be resumed (its lock was busy); try again next tick.
    pending_unsuspend_read: bool,
    pending_unsuspend_write: bool,
    min_share: usize,
    configured_min_share: usize,
    total_read: u64,
    total_written: u64,
    /// Picks where each round of resuming starts, for fairness.
    rng_state: u32,
}

impl GroupState {
    fn suspended(&self, dir: Direction) -> bool {
        match dir {
            Direction::Read => self.read_suspended,
            Direction::Write => self.write_suspended,
        }
    }

    fn next_random(&mut self, below: usize) -> usize {
        // xorshift32: cheap, and only used to vary the starting member.
        let mut x = self.rng_state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng_state = x;
        (x as usize) % below.max(1)
    }
}

/// `struct bufferevent_rate_limit_group`.
pub struct RateLimitGroup {
    lock: Option<Lock>,
    state: UnsafeCell<GroupState>,
    /// Refills the group's bucket every tick.
    refill: UnsafeCell<Event>,
    base: NonNull<Base>,
}

// Neither `Send` nor `Sync`: without lock functions a group is used by one thread, so
// other threads reach it only through its address, under libevent's rules
// (docs/ARCHITECTURE.md, "Threads").

impl RateLimitGroup {
    /// `bufferevent_rate_limit_group_new`.
    /// None when memory runs out.
    pub fn new(base: &Base, cfg: &TokenBucketCfg) -> Option<Box<RateLimitGroup>> {
        let now = base.gettimeofday_cached();
        let tick = cfg.tick_of(now);
        let mut group = crate::util::try_box(RateLimitGroup {
            lock: Lock::new(true),
            state: UnsafeCell::new(GroupState {
                cfg: cfg.clone(),
                bucket: Bucket::new(cfg, tick),
                members: Vec::new(),
                read_suspended: false,
                write_suspended: false,
                pending_unsuspend_read: false,
                pending_unsuspend_write: false,
                min_share: 0,
                configured_min_share: 0,
                total_read: 0,
                total_written: 0,
                rng_state: 1,
            }),
            refill: UnsafeCell::new(event::zeroed_event()),
            base: NonNull::from(base),
        })?;
        let address = &*group as *const RateLimitGroup as usize;
        let seed = (now.sec as u32) ^ (now.usec as u32) ^ (address as u32);
        group.state.get_mut().rng_state = seed.max(1);
        // Both taken after the last `&mut` use of the group, so they stay valid.
        let (this, refill) = (NonNull::from(&*group), group.refill_ptr());
        // SAFETY: the group's own event, in the box that keeps its address; the event
        // is deleted before the group goes.
        unsafe {
            let _ = event::assign_handler(
                refill,
                base,
                -1,
                ev::PERSIST | ev::FINALIZE,
                Handler::new::<RefillGroup>(this),
            );
            let _ = event::add(refill, Some(cfg.tick));
        }
        let _ = group.set_min_share(64);
        Some(group)
    }

    /// Runs `f` on the state under the group's lock.
    fn with<R>(&self, f: impl FnOnce(&mut GroupState) -> R) -> R {
        if let Some(l) = &self.lock {
            l.lock();
        }
        // SAFETY: the lock is held; the borrow ends with `f`, which calls no program code.
        let result = f(unsafe { &mut *self.state.get() });
        if let Some(l) = &self.lock {
            l.unlock();
        }
        result
    }

    fn refill_ptr(&self) -> NonNull<Event> {
        // SAFETY: a field of the live group.
        unsafe { NonNull::new_unchecked(self.refill.get()) }
    }

    /// `bufferevent_rate_limit_group_set_cfg`.
    pub fn set_cfg(&self, cfg: &TokenBucketCfg) {
        let tick_changed = self.with(|g| {
            let changed = g.cfg.tick != cfg.tick;
            g.cfg = cfg.clone();
            g.bucket.clamp(cfg);
            changed
        });
        if tick_changed {
            // SAFETY: the group's own assigned event.
            let _ = unsafe { event::add(self.refill_ptr(), Some(cfg.tick)) };
        }
        let configured = self.with(|g| g.configured_min_share);
        let _ = self.set_min_share(configured);
    }

    /// `bufferevent_rate_limit_group_set_min_share`: the least a member may move per
    /// call, capped by the rates.
    pub fn set_min_share(&self, share: usize) -> BevResult {
        if share > isize::MAX as usize {
            return Err(BevError);
        }
        self.with(|g| {
            g.configured_min_share = share;
            g.min_share = share.min(g.cfg.read_rate).min(g.cfg.write_rate);
        });
        Ok(())
    }

    /// `bufferevent_rate_limit_group_free`. Members still in the group are taken out
    /// first (libevent aborts instead).
    pub fn free(self: Box<Self>) {
        let members = self.with(|g| g.members.clone());
        if !members.is_empty() {
            log::warn(format_args!(
                "bufferevent_rate_limit_group_free: the group still has {} members; \
                 removing them",
                members.len()
            ));
            for member in members {
                // SAFETY: members are live while they are in the group.
                leave_group(unsafe { member.as_ref() }, true);
            }
        }
        // SAFETY: the group's own event; it is not running (the program frees the
        // group from the loop's thread, as libevent requires).
        let _ = unsafe { event::del(self.refill_ptr(), DelMode::Auto) };
        drop(self);
    }

    /// `bufferevent_rate_limit_group_get_read_limit`.
    pub fn read_limit(&self) -> isize {
        self.with(|g| g.bucket.read_limit as isize)
    }

    /// `bufferevent_rate_limit_group_get_write_limit`.
    pub fn write_limit(&self) -> isize {
        self.with(|g| g.bucket.write_limit as isize)
    }

    /// `bufferevent_rate_limit_group_get_totals`: bytes read and written by members.
    pub fn totals(&self) -> (u64, u64) {
        self.with(|g| (g.total_read, g.total_written))
    }

    /// `bufferevent_rate_limit_group_reset_totals`.
    pub fn reset_totals(&self) {
        self.with(|g| {
            g.total_read = 0;
            g.total_written = 0;
        });
    }

    /// `bufferevent_rate_limit_group_decrement_read`.
    pub fn decrement_read(&self, decr: isize) {
        self.consume(Direction::Read, decr as i64, false);
    }

    /// `bufferevent_rate_limit_group_decrement_write`.
    pub fn decrement_write(&self, decr: isize) {
        self.consume(Direction::Write, decr as i64, false);
    }

    /// Takes `bytes` from the group bucket (counting them in the totals when they were
    /// moved by a member) and suspends or resumes the members.
    fn consume(&self, dir: Direction, bytes: i64, counted: bool) {
        enum Change {
            Suspend,
            Resume,
            None,
        }
        let change = self.with(|g| {
            let left = dir.of_mut(&mut g.bucket);
            let old = *left;
            *left = old.saturating_sub(bytes);
            let new = *left;
            if counted {
                match dir {
                    Direction::Read => g.total_read += bytes as u64,
                    Direction::Write => g.total_written += bytes as u64,
                }
                if new <= 0 {
                    Change::Suspend
                } else if g.suspended(dir) {
                    Change::Resume
                } else {
                    Change::None
                }
            } else if old > 0 && new <= 0 {
                Change::Suspend
            } else if old <= 0 && new > 0 {
                Change::Resume
            } else {
                Change::None
            }
        });
        match change {
            Change::Suspend => self.suspend_members(dir),
            Change::Resume => self.resume_members(dir),
            Change::None => {}
        }
    }

    fn suspend_members(&self, dir: Direction) {
        let members = self.with(|g| {
            match dir {
                Direction::Read => {
                    g.read_suspended = true;
                    g.pending_unsuspend_read = false;
                }
                Direction::Write => {
                    g.write_suspended = true;
                    g.pending_unsuspend_write = false;
                }
            }
            g.members.clone()
        });
        for member in members {
            // SAFETY: members are live while in the group.
            let bev = unsafe { member.as_ref() };
            // A member whose lock is busy finds out from the group when it next moves data.
            if try_lock(bev) {
                dir.suspend(bev, suspend::GROUP);
                unlock(bev);
            }
        }
    }

    fn resume_members(&self, dir: Direction) {
        let (members, start) = self.with(|g| {
            match dir {
                Direction::Read => g.read_suspended = false,
                Direction::Write => g.write_suspended = false,
            }
            let start = g.next_random(g.members.len());
            (g.members.clone(), start)
        });
        let mut busy = false;
        for i in 0..members.len() {
            // SAFETY: members are live while in the group
            let bev = unsafe { members[(start + i) % members.len()].as_ref() };
            if try_lock(bev) {
                dir.unsuspend(bev, suspend::GROUP);
                unlock(bev);
            } else {
                busy = true;
            }
        }
        self.with(|g| match dir {
            Direction::Read => g.pending_unsuspend_read = busy,
            Direction::Write => g.pending_unsuspend_write = busy,
        });
    }

    fn on_tick(&self) {
        // SAFETY: the base outlives the groups made on it (libevent's contract).
        let now = unsafe { self.base.as_ref() }.gettimeofday_cached();
        let (resume_read, resume_write) = self.with(|g| {
            let tick = g.cfg.tick_of(now);
            g.bucket.update(&g.cfg, tick);
            let min = g.min_share as i64;
            (
                g.pending_unsuspend_read || (g.read_suspended && g.bucket.read_limit >= min),
                g.pending_unsuspend_write || (g.write_suspended && g.bucket.write_limit >= min),
            )
        });
        if resume_read {
            self.resume_members(Direction::Read);
        }
        if resume_write {
            self.resume_members(Direction::Write);
        }
    }
}

fn try_lock(bev: &Bufferevent) -> bool {
    bev.lock_ref().is_none_or(Lock::try_lock)
}

fn unlock(bev: &Bufferevent) {
    if let Some(l) = bev.lock_ref() {
        l.unlock();
    }
}

/// The group's refill timer.
struct RefillGroup;

impl EventHandler for RefillGroup {
    type Target = RateLimitGroup;
    fn run(group: NonNull<RateLimitGroup>, _fd: RawFd, _what: c_short) {
        // SAFETY: the group's own event, deleted before the group goes.
        unsafe { group.as_ref() }.on_tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_checked() {
        assert!(TokenBucketCfg::new(0, 10, 1, 1, None).is_none());
        assert!(TokenBucketCfg::new(11, 10, 1, 1, None).is_none());
        assert!(TokenBucketCfg::new(1, 1, 2, 1, None).is_none());
        assert!(TokenBucketCfg::new(1, RATE_LIMIT_MAX + 1, 1, 1, None).is_none());
        let cfg = TokenBucketCfg::new(10, 100, 20, 200, None).unwrap();
        assert_eq!(cfg.msec_per_tick, 1000);
        let cfg = TokenBucketCfg::new(
            1,
            1,
            1,
            1,
            Some(Tv {
                sec: 0,
                usec: 250_000,
            }),
        )
        .unwrap();
        assert_eq!(cfg.msec_per_tick, 250);
        assert_eq!(
            cfg.tick_of(Tv {
                sec: 1,
                usec: 600_000
            }),
            6
        );
    }

    #[test]
    fn buckets_start_at_the_rate_and_refill_up_to_the_burst() {
        let cfg = TokenBucketCfg::new(10, 25, 100, 150, None).unwrap();
        let mut bucket = Bucket::new(&cfg, 7);
        assert_eq!((bucket.read_limit, bucket.write_limit), (10, 100));
        bucket.read_limit -= 30;
        bucket.update(&cfg, 8);
        assert_eq!((bucket.read_limit, bucket.write_limit), (-10, 150));
        bucket.update(&cfg, 8);
        assert_eq!(bucket.read_limit, -10);
        bucket.update(&cfg, 1_000_000);
        assert_eq!(bucket.read_limit, 25);
        // A tick from before the last update (the clock went back) adds nothing.
        bucket.update(&cfg, 5);
        assert_eq!(bucket.read_limit, 25);
    }

    #[test]
    fn a_new_configuration_clamps_a_bucket_in_use() {
        let big = TokenBucketCfg::new(100, 1000, 100, 1000, None).unwrap();
        let small = TokenBucketCfg::new(10, 50, 10, 500, None).unwrap();
        let mut bucket = Bucket::new(&big, 0);
        bucket.update(&big, 20);
        bucket.clamp(&small);
        assert_eq!((bucket.read_limit, bucket.write_limit), (50, 500));
    }
}

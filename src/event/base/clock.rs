use super::*;

/// The loop's cached time and the wall clock's offset from the monotonic one.
pub(super) struct CachedClock {
    pub(super) cached_now: Option<Tv>,
    pub(super) wall_minus_mono: Tv,
    pub(super) last_sync: i64,
}

impl Default for CachedClock {
    fn default() -> Self {
        CachedClock {
            cached_now: None,
            wall_minus_mono: Tv::ZERO,
            last_sync: i64::MIN,
        }
    }
}

impl CachedClock {
    /// The monotonic time now; refreshes the wall-clock offset now and then.
    pub(super) fn read(&mut self, clock: &MonotonicClock) -> Tv {
        let (sec, usec) = clock.now_micros();
        let now = Tv { sec, usec };
        if now.sec >= self.last_sync.saturating_add(CLOCK_SYNC_INTERVAL_SECS) {
            self.wall_minus_mono = wall_clock().minus(now);
            self.last_sync = now.sec;
        }
        now
    }

    /// The cached time while the loop has one, else the time now.
    pub(super) fn now(&mut self, clock: &MonotonicClock) -> Tv {
        match self.cached_now {
            Some(t) => t,
            None => self.read(clock),
        }
    }
}

impl Base {
    pub(super) fn update_cached_time(&self, st: &mut State) {
        st.clock.cached_now = None;
        if self.flags & flag::NO_CACHE_TIME == 0 {
            st.clock.cached_now = Some(st.clock.read(&self.clock));
        }
    }

    /// `event_base_gettimeofday_cached`.
    pub fn gettimeofday_cached(&self) -> Tv {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        match st.clock.cached_now {
            Some(mono) => mono.plus(st.clock.wall_minus_mono),
            None => wall_clock(),
        }
    }

    /// `event_base_update_cache_time`: refreshes the cached time of a running loop.
    pub fn update_cache_time(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        if st.run.running {
            self.update_cached_time(st);
        }
    }

    /// `event_gettime_monotonic`.
    pub fn monotonic_now(&self) -> Tv {
        let (sec, usec) = self.clock.now_micros();
        Tv { sec, usec }
    }
}

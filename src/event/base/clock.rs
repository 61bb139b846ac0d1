use super::*;

impl Base {
    pub(super) fn read_clock(&self, st: &mut State) -> Tv {
        let (sec, usec) = self.clock.now_micros();
        let now = Tv { sec, usec };
        if now.sec >= st.last_clock_sync.saturating_add(CLOCK_SYNC_INTERVAL_SECS) {
            st.wall_minus_mono = wall_clock().minus(now);
            st.last_clock_sync = now.sec;
        }
        now
    }

    pub(super) fn now(&self, st: &mut State) -> Tv {
        match st.cached_now {
            Some(t) => t,
            None => self.read_clock(st),
        }
    }

    pub(super) fn update_cached_time(&self, st: &mut State) {
        st.cached_now = None;
        if self.flags & flag::NO_CACHE_TIME == 0 {
            st.cached_now = Some(self.read_clock(st));
        }
    }

    /// `event_base_gettimeofday_cached`.
    pub fn gettimeofday_cached(&self) -> Tv {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        match st.cached_now {
            Some(mono) => mono.plus(st.wall_minus_mono),
            None => wall_clock(),
        }
    }

    /// `event_base_update_cache_time`: refreshes the cached time of a running loop.
    pub fn update_cache_time(&self) {
        let _held = self.held();
        // SAFETY: the lock is held for this scope.
        let st = unsafe { self.state() };
        if st.running_loop {
            self.update_cached_time(st);
        }
    }

    /// `event_gettime_monotonic`.
    pub fn monotonic_now(&self) -> Tv {
        let (sec, usec) = self.clock.now_micros();
        Tv { sec, usec }
    }
}

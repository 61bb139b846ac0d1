//! `struct event_config`: how to build a base.

use std::time::Duration;

use evrs_backends::Features;

use super::EventError;

/// `EVENT_BASE_FLAG_*` values.
pub mod flag {
    pub const NOLOCK: u32 = 0x01;
    pub const IGNORE_ENV: u32 = 0x02;
    pub const STARTUP_IOCP: u32 = 0x04;
    pub const NO_CACHE_TIME: u32 = 0x08;
    pub const EPOLL_USE_CHANGELIST: u32 = 0x10;
    pub const PRECISE_TIMER: u32 = 0x20;
    pub const EPOLL_DISALLOW_TIMERFD: u32 = 0x40;
    pub const DISALLOW_SIGNALFD: u32 = 0x80;
    pub const ALL: u32 = 0xff;
}

/// Limits on how long the loop runs callbacks before it looks for new events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DispatchLimits {
    pub max_interval: Option<Duration>,
    pub max_callbacks: usize,
    /// The limits apply to callbacks of this priority and higher numbers.
    pub from_priority: usize,
}

impl Default for DispatchLimits {
    fn default() -> Self {
        DispatchLimits {
            max_interval: None,
            max_callbacks: usize::MAX,
            from_priority: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub avoided_methods: Vec<String>,
    pub required_features: Features,
    pub flags: u32,
    pub limits: DispatchLimits,
    pub num_cpus_hint: i32,
}

impl Config {
    pub fn avoid_method(&mut self, name: &str) {
        self.avoided_methods.push(name.to_owned());
    }

    /// Sets base flags; unknown bits are refused as libevent refuses them.
    pub fn set_flag(&mut self, flags: u32) -> Result<(), EventError> {
        if flags & !flag::ALL != 0 {
            return Err(EventError::Invalid);
        }
        self.flags |= flags;
        Ok(())
    }

    pub fn set_max_dispatch_interval(
        &mut self,
        max_interval: Option<Duration>,
        max_callbacks: i32,
        from_priority: i32,
    ) -> Result<(), EventError> {
        if from_priority < 0 {
            return Err(EventError::Invalid);
        }
        self.limits = DispatchLimits {
            max_interval,
            max_callbacks: usize::try_from(max_callbacks).unwrap_or(usize::MAX),
            from_priority: from_priority as usize,
        };
        Ok(())
    }
}

//! Signal delivery: each base owns a [`SignalReceiver`] whose descriptor becomes readable
//! when a signal it watches arrives, so the loop treats signals like any other I/O.
//!
//! The mechanisms (a sigaction handler with a self-pipe, or signalfd) and the
//! process-wide bookkeeping they share live in `evrs_backends::signal`; which method a
//! base prefers is the base's choice (`EVENT_BASE_FLAG_DISALLOW_SIGNALFD`,
//! `EVENT_DISALLOW_SIGNALFD`).

pub use evrs_backends::signal::{AnySignalSource as SignalReceiver, SignalMethod};

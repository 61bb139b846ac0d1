//! Unit tests of the reactor on the scripted poller (`evrs_backends::mock`), driven
//! through the same calls as the C entry points, with the program's callbacks as
//! `extern "C"` functions. They need no system call beyond the clocks, so they run
//! under Miri too (`make miri`).

mod events;
mod lifetimes;
pub(crate) mod support;
mod timers;

//! [`EngineCell`]: an engine shared by the callbacks of one bufferevent, which may
//! come back while the engine runs (a Host method made the core or the underlying
//! bufferevent call the kind again). Such calls are queued and run, in order, when
//! the running call is over.

use super::fifo::Fifo;
use super::{Direction, Engine, EngineError, Events, Host, Notice};
use std::cell::RefCell;

/// A driving call that can wait its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Readable,
    Writable,
    Timeout(Direction),
    UnderlyingEvent { what: u16, error: i32 },
    OutputAdded { orig_len: usize },
    Enable(Events),
    Disable(Events),
}

/// An [`Engine`] with a queue of driving calls that arrived while it was busy.
pub struct EngineCell {
    engine: RefCell<Engine>,
    queued: RefCell<Fifo<Input, 2>>,
}

impl EngineCell {
    pub fn new(engine: Engine) -> EngineCell {
        EngineCell {
            engine: RefCell::new(engine),
            queued: RefCell::new(Fifo::new()),
        }
    }

    /// Runs `input`, then whatever was queued meanwhile. If the engine is already
    /// running (this is a re-entrant call), `input` is queued for that call to run
    /// and Ok is answered. Runs no program code: take the notices afterwards with
    /// [`EngineCell::next_notice`].
    pub fn drive(&self, host: &mut dyn Host, input: Input) -> Result<(), EngineError> {
        self.queued.borrow_mut().push_back(input);
        let Ok(mut engine) = self.engine.try_borrow_mut() else {
            return Ok(());
        };
        let mut result = Ok(());
        loop {
            let next = self.queued.borrow_mut().pop_front();
            let Some(input) = next else {
                break;
            };
            let r = run(&mut engine, host, input);
            // The caller's own input decides the answer; queued ones were answered
            // Ok when they arrived.
            if r.is_err() && result.is_ok() {
                result = r;
            }
        }
        result
    }

    /// Runs `f` on the engine with `host`, then what was queued meanwhile; Err(Busy)
    /// if the engine is already running. For the calls that answer something
    /// (set_fd, renegotiate, flush, unlink, the ctrl operations).
    pub fn with<R>(
        &self,
        host: &mut dyn Host,
        f: impl FnOnce(&mut Engine, &mut dyn Host) -> R,
    ) -> Result<R, EngineError> {
        let mut engine = self
            .engine
            .try_borrow_mut()
            .map_err(|_| EngineError::Busy)?;
        let result = f(&mut engine, host);
        loop {
            let next = self.queued.borrow_mut().pop_front();
            let Some(input) = next else {
                break;
            };
            let _ = run(&mut engine, host, input);
        }
        Ok(result)
    }

    /// Runs `f` on the engine without a host (flags, the error store, the
    /// session); Err(Busy) if the engine is running.
    pub fn inspect<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> Result<R, EngineError> {
        let mut engine = self
            .engine
            .try_borrow_mut()
            .map_err(|_| EngineError::Busy)?;
        Ok(f(&mut engine))
    }

    /// The next notice, None when there is none or the engine is busy (the running
    /// call's caller takes it).
    pub fn next_notice(&self) -> Option<Notice> {
        self.engine.try_borrow_mut().ok()?.next_notice()
    }

    /// The engine, for destruct.
    pub fn into_inner(self) -> Engine {
        self.engine.into_inner()
    }
}

fn run(engine: &mut Engine, host: &mut dyn Host, input: Input) -> Result<(), EngineError> {
    match input {
        Input::Readable => engine.on_readable(host),
        Input::Writable => engine.on_writable(host),
        Input::Timeout(dir) => engine.on_timeout(dir),
        Input::UnderlyingEvent { what, error } => engine.on_underlying_event(host, what, error),
        Input::OutputAdded { orig_len } => engine.on_output_added(host, orig_len),
        Input::Enable(events) => return engine.enable(host, events),
        Input::Disable(events) => engine.disable(host, events),
    }
    Ok(())
}

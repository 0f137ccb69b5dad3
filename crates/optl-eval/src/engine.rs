//! Engine selection for numeric code: each IR program (objective value and gradient,
//! Hessian-vector products, constraints, `grad(f)`) runs either compiled by the
//! Cranelift JIT or on the IR interpreter, per `--engine jit|interp|auto`. A program
//! the JIT cannot compile falls back to the interpreter, visibly: it is counted.
//! Under `auto`, a very big program (`optl_jit::AUTO_DEFER_NODES`) is interpreted on
//! its first run and compiled when it runs again, so that a one-off `grad(f)(x)` of
//! an unrolled objective does not pay a compile many times its run (both engines
//! give the same bits, so switching is invisible but for `--stats`). A deferred
//! program whose kernel is already in the cache runs compiled from the start.

use optl_ir::{Function, IrError, IrResult};
use optl_jit::{Choice, Engine, Jit, Kernel, KernelCache};
use optl_tensor::Tensor;
use std::cell::RefCell;
use std::rc::Rc;

/// How numeric code ran during a session (`optl run --stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub jit_runs: u64,
    pub interp_runs: u64,
    /// Programs compiled (cache misses that succeeded).
    pub compiled: u64,
    /// Kernel-cache hits.
    pub cache_hits: u64,
    /// Programs the JIT was asked for but could not compile.
    pub fallbacks: u64,
}

/// The engine setting, the JIT (created on first use) and its kernel cache.
pub struct Engines {
    pub engine: Engine,
    jit: Option<Jit>,
    cache: KernelCache,
    pub stats: EngineStats,
}

impl Default for Engines {
    fn default() -> Engines {
        Engines {
            engine: Engine::Auto,
            jit: None,
            cache: KernelCache::new(),
            stats: EngineStats::default(),
        }
    }
}

/// An IR program ready to run: compiled when the engine chose (and managed) to.
/// Clones share their state, so a program cached by `grad` and run through clones
/// is compiled once, when its deferred compilation comes due (`Choice::JitAfter`).
#[derive(Clone)]
pub struct Program {
    pub function: Rc<Function>,
    state: Rc<RefCell<State>>,
}

/// Which engine runs a program.
#[derive(Clone)]
enum State {
    Jit(Kernel),
    Interp,
    /// Interpreted for this many more runs, then compiled.
    Deferred(u32),
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = match &*self.state.borrow() {
            State::Jit(_) => "jit",
            State::Interp => "interp",
            State::Deferred(_) => "interp (jit later)",
        };
        write!(
            f,
            "<program on {engine}, {} nodes>",
            self.function.graph.len()
        )
    }
}

impl Engines {
    /// Chooses the engine for `f` and compiles it when that is the JIT, now or (for a
    /// very big program under `Auto`) when it runs again.
    pub fn prepare(&mut self, f: Function) -> Program {
        let state = match optl_jit::choose(self.engine, &f) {
            Choice::Interp => State::Interp,
            Choice::Jit => self.compile(&f).map_or(State::Interp, State::Jit),
            Choice::JitAfter(0) => self.compile(&f).map_or(State::Interp, State::Jit),
            // A program compiled before (the same rule with another learning rate,
            // the same problem in another trial) runs compiled at once.
            Choice::JitAfter(n) => match self.cache.lookup(&f) {
                Some(Ok(k)) => {
                    self.stats.cache_hits += 1;
                    State::Jit(k)
                }
                Some(Err(_)) => State::Interp,
                None => State::Deferred(n),
            },
        };
        Program {
            function: Rc::new(f),
            state: Rc::new(RefCell::new(state)),
        }
    }

    fn compile(&mut self, f: &Function) -> Option<Kernel> {
        if self.jit.is_none() {
            self.jit = Jit::new().ok();
        }
        let jit = self.jit.as_mut()?;
        let misses = self.cache.misses();
        let hits = self.cache.hits();
        let result = self.cache.get_or_compile(jit, f);
        self.stats.cache_hits += self.cache.hits() - hits;
        match result {
            Ok(k) => {
                self.stats.compiled += self.cache.misses() - misses;
                Some(k)
            }
            Err(_) => {
                self.stats.fallbacks += 1;
                None
            }
        }
    }

    /// Runs a program on the engine it was prepared for (compiling it first when its
    /// deferred compilation is due).
    pub fn run(&mut self, p: &Program, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        let due = matches!(*p.state.borrow(), State::Deferred(0));
        if due {
            let next = self.compile(&p.function).map_or(State::Interp, State::Jit);
            *p.state.borrow_mut() = next;
        }
        let kernel = match &mut *p.state.borrow_mut() {
            State::Jit(k) => Some(k.clone()),
            State::Interp => None,
            State::Deferred(n) => {
                *n -= 1;
                None
            }
        };
        if let Some(k) = kernel {
            self.stats.jit_runs += 1;
            return k.eval(inputs).map_err(|e| IrError::Invalid(e.to_string()));
        }
        self.stats.interp_runs += 1;
        optl_ir::eval(&p.function, inputs)
    }
}

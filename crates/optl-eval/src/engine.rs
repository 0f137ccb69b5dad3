//! Engine selection for numeric code: each IR program (objective value and gradient,
//! Hessian-vector products, constraints, `grad(f)`) runs either compiled by the
//! Cranelift JIT or on the IR interpreter, per `--engine jit|interp|auto`. A program
//! the JIT cannot compile falls back to the interpreter, visibly: it is counted.

use optl_ir::{Function, IrError, IrResult};
use optl_jit::{Choice, Engine, Jit, Kernel, KernelCache};
use optl_tensor::Tensor;
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
#[derive(Clone)]
pub struct Program {
    pub function: Rc<Function>,
    kernel: Option<Kernel>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engine = if self.kernel.is_some() {
            "jit"
        } else {
            "interp"
        };
        write!(
            f,
            "<program on {engine}, {} nodes>",
            self.function.graph.len()
        )
    }
}

impl Engines {
    /// Chooses the engine for `f` and compiles it when that is the JIT.
    pub fn prepare(&mut self, f: Function) -> Program {
        let kernel = match optl_jit::choose(self.engine, &f) {
            Choice::Interp => None,
            Choice::Jit => self.compile(&f),
        };
        Program {
            function: Rc::new(f),
            kernel,
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

    /// Runs a program on the engine it was prepared for.
    pub fn run(&mut self, p: &Program, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        if let Some(k) = &p.kernel {
            self.stats.jit_runs += 1;
            return k.eval(inputs).map_err(|e| IrError::Invalid(e.to_string()));
        }
        self.stats.interp_runs += 1;
        optl_ir::eval(&p.function, inputs)
    }
}

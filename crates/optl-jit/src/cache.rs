//! Reusing kernels and choosing an engine.
//!
//! [`KernelCache`] keys compiled kernels (and compile failures, so that an
//! unsupported function falls back to the interpreter at the cost of a lookup) by
//! [`optl_ir::structural_hash`]. [`choose`] is the `--engine` policy: `Auto` compiles
//! a function only when compiling pays for itself (see [`AUTO_MIN_NODES`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use optl_ir::Function;

use crate::{Jit, JitError, Kernel};

/// Compiled kernels by structural hash, with hit and miss counters.
#[derive(Default)]
pub struct KernelCache {
    map: HashMap<[u8; 16], Result<Kernel, JitError>>,
    hits: u64,
    misses: u64,
}

impl KernelCache {
    pub fn new() -> KernelCache {
        KernelCache::default()
    }

    /// The kernel of `f`, compiled by `jit` on the first request. A function the JIT
    /// cannot compile gives its error again without recompiling.
    pub fn get_or_compile(&mut self, jit: &mut Jit, f: &Function) -> Result<Kernel, JitError> {
        let key = optl_ir::structural_hash(f);
        if let Some(k) = self.map.get(&key) {
            self.hits += 1;
            return k.clone();
        }
        self.misses += 1;
        let k = jit.compile(f);
        self.map.insert(key, k.clone());
        k
    }

    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Lookups that compiled.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Forgets every kernel (their code stays allocated: see `jit.rs`).
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

impl fmt::Debug for KernelCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelCache")
            .field("len", &self.map.len())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish()
    }
}

/// Which engine runs numeric functions (`--engine jit|interp|auto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    Jit,
    Interp,
    #[default]
    Auto,
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Engine, String> {
        match s {
            "jit" => Ok(Engine::Jit),
            "interp" => Ok(Engine::Interp),
            "auto" => Ok(Engine::Auto),
            _ => Err(format!(
                "unknown engine `{s}` (expected jit, interp or auto)"
            )),
        }
    }
}

/// What [`choose`] decided for one function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Jit,
    Interp,
}

/// `Auto` compiles functions with at least this many live nodes...
pub const AUTO_MIN_NODES: usize = 64;
/// ...or with a tensor of at least this many elements. Measured by the `jit`
/// benchmark (break-even table): compiling costs 60–500 µs; an interpreter run of a
/// function above either threshold costs ≥ 5 µs (≥ 14 µs at 256 elements) against
/// 0.05–2 µs compiled, so the JIT pays for itself within ~20–35 calls (3 at 4,096
/// elements). Below both, interpreter runs take 1–3 µs, compiled ones 10–150 ns, and
/// compiling needs 40–120 calls to pay: a REPL line or a one-off evaluation is
/// better interpreted. Solvers, which call the same function thousands of times,
/// should ask for `Engine::Jit`.
pub const AUTO_MIN_ELEMENTS: usize = 256;

/// The engine to run `f` with. `Jit` and `Interp` are taken as asked (a JIT failure
/// still falls back to the interpreter, in the caller, counted); `Auto` picks the
/// JIT for functions big enough for compiling to pay off.
pub fn choose(engine: Engine, f: &Function) -> Choice {
    match engine {
        Engine::Jit => Choice::Jit,
        Engine::Interp => Choice::Interp,
        Engine::Auto => {
            let live = f.graph.reachable(&f.outputs);
            let nodes = live.iter().filter(|&&l| l).count();
            let big = f
                .graph
                .nodes()
                .iter()
                .zip(&live)
                .any(|(n, &l)| l && crate::plan::numel(&n.shape) >= AUTO_MIN_ELEMENTS);
            if nodes >= AUTO_MIN_NODES || big {
                Choice::Jit
            } else {
                Choice::Interp
            }
        }
    }
}

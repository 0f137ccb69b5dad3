//! Reusing kernels and choosing an engine.
//!
//! [`KernelCache`] keys compiled kernels (and compile failures, so that an
//! unsupported function falls back to the interpreter at the cost of a lookup) by
//! [`optl_ir::structural_hash`], and forgets those older than the JIT's previous code
//! generation, so that their code can be freed (see `jit.rs`). [`choose`] is the `--engine` policy: `Auto` compiles
//! a function only when compiling pays for itself (see [`AUTO_MIN_NODES`]), and a
//! very big one only when it runs a second time (see [`AUTO_DEFER_NODES`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use optl_ir::Function;

use crate::{Jit, JitError, Kernel};

/// Compiled kernels by structural hash, each with the JIT generation it was compiled
/// in, and hit and miss counters.
#[derive(Default)]
pub struct KernelCache {
    map: HashMap<[u8; 16], (u64, Result<Kernel, JitError>)>,
    /// The newest JIT generation seen: entries older than the one before it go.
    generation: u64,
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
        if let Some(k) = self.lookup_key(&key) {
            return k;
        }
        self.misses += 1;
        let k = jit.compile(f);
        let generation = jit.generation();
        if generation != self.generation {
            self.generation = generation;
            self.map.retain(|_, (g, _)| *g + 1 >= generation);
        }
        self.map.insert(key, (generation, k.clone()));
        k
    }

    /// The kernel of `f` (or its compile error) if an equal function was compiled
    /// before; never compiles.
    pub fn lookup(&mut self, f: &Function) -> Option<Result<Kernel, JitError>> {
        // An empty cache answers without hashing `f` (a one-off solve's programs).
        if self.map.is_empty() {
            return None;
        }
        self.lookup_key(&optl_ir::structural_hash(f))
    }

    fn lookup_key(&mut self, key: &[u8; 16]) -> Option<Result<Kernel, JitError>> {
        let k = self.map.get(key)?.1.clone();
        self.hits += 1;
        Some(k)
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

    /// Forgets every kernel (a kernel's code is freed once its generation is retired
    /// and no kernel of it is held elsewhere).
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
    /// Run the first `runs` calls on the interpreter, then compile (see
    /// [`AUTO_DEFER_NODES`]).
    JitAfter(u32),
}

/// `Auto` compiles functions with at least this many live nodes...
pub const AUTO_MIN_NODES: usize = 64;
/// ...or with a tensor of at least this many elements. Measured by the `jit`
/// benchmark (break-even table): compiling costs 60–500 µs; an interpreter run of a
/// function above either threshold costs ≥ 5 µs (≥ 14 µs at 256 elements) against
/// 0.05–2 µs compiled, so the JIT pays for itself within ~20–35 calls (3 at 4,096
/// elements). Below both, interpreter runs take 1–3 µs, compiled ones 10–150 ns, and
/// compiling needs 40–120 calls to pay (see [`AUTO_SMALL_RUNS`]).
pub const AUTO_MIN_ELEMENTS: usize = 256;

/// Interpreted runs of a small function (below both thresholds above) before `Auto`
/// compiles it: such a function pays for its compile only after 40–120 calls, so a
/// one-off evaluation or a short loop stays interpreted, while a solver's objective
/// (hundreds or thousands of calls) is compiled early in the solve.
pub const AUTO_SMALL_RUNS: u32 = 48;

/// `Auto` does not compile a function with at least this many live nodes before its
/// second run ([`AUTO_DEFER_RUNS`] interpreted runs first). Compiling costs about
/// 2–8 µs per node (8 ms for a 1,000-node value and gradient; 0.2–0.3 s for the
/// 9·10⁴-node gradient of a 10⁴-term unrolled sum, `benches/trace_grad.rs`), while an
/// interpreted run of mostly scalar nodes costs about 0.2–0.3 µs per node, so one
/// interpreted run is a tenth to a thirtieth of the compile. Big programs are often
/// run once (`grad(f)(x)` in a script or the REPL), and then compiling is pure loss;
/// a program that runs twice is likely to run many times (a solver, a loop), and is
/// compiled at its second run, having lost one cheap interpreted run. Below this size
/// compiling takes a few milliseconds at most and happens at once, as before.
pub const AUTO_DEFER_NODES: usize = 2048;

/// Interpreted runs of a big function (see [`AUTO_DEFER_NODES`]) before `Auto`
/// compiles it.
pub const AUTO_DEFER_RUNS: u32 = 1;

/// The engine to run `f` with. `Jit` and `Interp` are taken as asked (a JIT failure
/// still falls back to the interpreter, in the caller, counted); `Auto` picks the
/// JIT for functions big enough for compiling to pay off, and for very big ones only
/// from their second run ([`Choice::JitAfter`], see [`AUTO_DEFER_NODES`]).
pub fn choose(engine: Engine, f: &Function) -> Choice {
    match engine {
        Engine::Jit => Choice::Jit,
        Engine::Interp => Choice::Interp,
        Engine::Auto => {
            let live = f.graph.reachable(&f.outputs);
            let nodes = live.iter().filter(|&&l| l).count();
            if nodes >= AUTO_DEFER_NODES {
                return Choice::JitAfter(AUTO_DEFER_RUNS);
            }
            let big = f
                .graph
                .nodes()
                .iter()
                .zip(&live)
                .any(|(n, &l)| l && crate::plan::numel(&n.shape) >= AUTO_MIN_ELEMENTS);
            if nodes >= AUTO_MIN_NODES || big {
                Choice::Jit
            } else {
                Choice::JitAfter(AUTO_SMALL_RUNS)
            }
        }
    }
}

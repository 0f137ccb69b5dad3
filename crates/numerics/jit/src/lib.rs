//! OptL's JIT: compiles IR [`Function`](optl_ir::Function)s to native code with
//! Cranelift, agreeing bit for bit with the interpreter (`optl_ir::interp`).
//!
//! Pipeline: `validate.rs` checks the graph; `plan.rs` decides which nodes get a
//! buffer and which are fused into their consumers' loops, and `group.rs` lowers each
//! loop nest to static affine accesses (guards of unslices become loop segments);
//! `fuse.rs` merges loop nests over one domain and forwards their values in
//! registers; `codegen/` translates the plan into one Cranelift function (SIMD
//! `f64x2` for light loops, `pairwise.rs` for NumPy's summation order, `runtime.rs`
//! for the host functions it calls); `jit.rs` owns the Cranelift modules and runs
//! kernels; `cache.rs` caches kernels by structural hash and chooses an engine;
//! `explain.rs` prints plans.
//!
//! What is bitwise: everything. Elementwise arithmetic is IEEE (no FMA, no
//! reassociation, SIMD lanes do the scalar operation); transcendental functions and
//! `pow` call the interpreter's own `unary_f64`/`binary_f64`; matrix products call
//! `optl_tensor::matmul`; sums follow NumPy's pairwise schedule (contiguous lanes)
//! or left-to-right order (other lanes) exactly; max/min keep the first of equal
//! elements and the first NaN. Only NaN payloads may differ.
//!
//! **Architecture invariant:** `unsafe` appears once, in `jit::invoke`, the call
//! into compiled code; everything a kernel touches is bounds-checked when it is
//! compiled.
//!
//! ```
//! use optl_ir::{BinaryOp, Function, Graph};
//! let mut g = Graph::new();
//! let x = g.input(vec![3]);
//! let y = g.binary(BinaryOp::Mul, x, x).unwrap();
//! let s = g.sum(y, None).unwrap();
//! let f = Function { graph: g, outputs: vec![s] };
//! let mut jit = optl_jit::Jit::new().unwrap();
//! let k = jit.compile(&f).unwrap();
//! let mut out = [0.0];
//! k.call(&[&[1.0, 2.0, 3.0]], &mut [&mut out]).unwrap();
//! assert_eq!(out[0], 14.0);
//! ```

mod cache;
mod codegen;
pub mod engines;
mod explain;
mod fuse;
mod fxhash;
mod group;
mod jit;
mod pairwise;
mod plan;
mod runtime;
mod validate;

use std::fmt;

use optl_ir::Op;

pub use cache::{
    AUTO_DEFER_NODES, AUTO_DEFER_RUNS, AUTO_MIN_ELEMENTS, AUTO_MIN_NODES, AUTO_SMALL_RUNS, Choice,
    Engine, KernelCache, choose,
};
pub use jit::{GENERATION_KERNELS, Jit, Kernel, KernelStats, Planned, QUICK_WEIGHT};

/// Why a function was not compiled, or a kernel call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum JitError {
    /// An operation the JIT does not compile (today: `max`/`min` over an empty
    /// axis, and tensors above the interpreter's size limit, which the interpreter
    /// reports as errors; and the linear algebra `solve`, `logdet`, `cholesky`,
    /// `sparse_matvec`).
    /// Run the function with the interpreter.
    Unsupported(Op),
    /// A malformed function (made with `Graph::push`); the interpreter reports it.
    Invalid(String),
    /// Wrong number or lengths of arguments given to a kernel.
    Arguments(String),
    /// Cranelift rejected the generated code: a bug in the JIT.
    Codegen(String),
    /// A runtime routine failed during a call: a bug in the JIT.
    Runtime(String),
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JitError::Unsupported(op) => write!(f, "the JIT does not compile `{op:?}`"),
            JitError::Invalid(m) => write!(f, "invalid function: {m}"),
            JitError::Arguments(m) => write!(f, "bad kernel arguments: {m}"),
            JitError::Codegen(m) => write!(f, "JIT code generation failed: {m}"),
            JitError::Runtime(m) => write!(f, "JIT runtime error: {m}"),
        }
    }
}

impl std::error::Error for JitError {}

/// The compilation plan of `f` in a debugging format: its steps, loops and fused
/// expressions (not stable; for tests and `optl ir`-style inspection).
#[doc(hidden)]
pub fn explain(f: &optl_ir::Function) -> Result<String, JitError> {
    validate::validate(f)?;
    Ok(explain::text(&plan::plan(f)?))
}

//! The OptL evaluator: static checking, values, tensors, the prelude, and the
//! `Interpreter` session that embedding programs, the CLI and the REPL drive.
//!
//! **Architecture invariant:** nothing here prints; output goes to a sink chosen by
//! the host, and errors are returned as diagnostics.

pub mod builtins;
pub mod check;
pub mod convert;
pub mod discover;
pub mod env;
pub mod evaluator;
pub mod hashing;
pub mod ir_report;
pub mod json;
pub mod limits;
pub mod numeric;
pub mod progress;
pub mod rust_types;
pub mod schedules;
pub mod search;
pub mod session;
pub mod signature;
pub mod solve;
pub mod solvers;

pub mod suggest;
pub mod trace;
pub mod value;

pub use optl_tensor as tensor;
pub use optl_tensor::format;

pub use limits::{Limits, time_limit};
pub use optl_jit::Engine;
pub use optl_jit::engines::EngineStats;
pub use session::{Error, Interpreter, Stage};
pub use value::Value;

//! The `optl` command line: `run`, `check`, `parse`, `ir`, `repl` and `study show`.
//!
//! **Architecture invariant:** this is the only crate that touches the terminal; every
//! other crate returns data (values, output text, diagnostics).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod plot;
mod progress;
pub mod repl;
mod study;

pub use cli::main;

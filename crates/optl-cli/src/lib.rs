//! The `optl` command line: `run`, `check`, `parse` and `repl`.
//!
//! **Architecture invariant:** this is the only crate that touches the terminal; every
//! other crate returns data (values, output text, diagnostics).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod plot;
pub mod repl;

pub use cli::main;

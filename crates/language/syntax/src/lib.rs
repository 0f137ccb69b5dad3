//! The OptL front end: source text to a syntax tree, and the diagnostics of every phase.
//!
//! **Architecture invariant:** this crate knows nothing of values, tensors or
//! evaluation; it depends on no other OptL crate.

pub mod ast;
pub mod codes;
pub mod diag;
pub mod layout;
pub mod lexer;
pub mod parser;
pub mod print;
pub mod span;

pub use diag::{Diagnostic, Label, Severity};
pub use parser::{Parsed, parse};
pub use span::{FileId, SourceMap, Span};

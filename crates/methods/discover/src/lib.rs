//! The language-independent core of `discover` (LANGUAGE.md §9): programs of
//! optimizer rules as data (`program`), their mutations (`mutate`, in the spirit of
//! AutoML-Zero and of the program search that found Lion), simplifications that hold
//! bit for bit (`simplify`), and regularized evolution (Real et al. 2019) over
//! candidates that a caller makes, keys and scores (`evolve`).
//!
//! A rule program is a list of `state`/`let`/assignment statements over a small
//! expression language (numbers, names, unary and binary operators, calls). What a
//! binding cannot express in it stays behind opaque handles (`StmtKind::Other`,
//! `ExprKind::Other`) that the binding maps back, and every node carries an
//! [`Origin`] the binding maps back to its source position: a program converted to
//! this form and back is the one it came from.
//!
//! Determinism: all randomness is one `ChaCha8Rng`, seeded by the caller (mutations)
//! or from [`evolve::Settings::seed`] (evolution), drawn in a fixed order.
//!
//! Nothing here prints, and nothing here knows of OptL's syntax tree or values.

#![forbid(unsafe_code)]

pub mod evolve;
pub mod mutate;
pub mod program;
pub mod simplify;
#[cfg(test)]
mod testing;
pub mod traits;

pub use evolve::{Counts, Evaluation, Evolved, Failure, Scored, Search, Settings, Stop, evolve};
pub use mutate::{Child, Context, HYPER_RATE, child, mutate, scale_hyper, without_dead_code};
pub use program::{
    Arg, BinOp, Expr, ExprKind, Name, Opaque, Origin, RuleProgram, Stmt, StmtKind, UnOp,
    names_read, to_source,
};
pub use simplify::{folded, simplified, without_redundant};
pub use traits::traits;

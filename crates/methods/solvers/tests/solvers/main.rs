//! Solver tests: one test binary with a module per solver.

// Test problems index parallel arrays by hand.
#![allow(clippy::needless_range_loop)]

mod auglag;
mod lbfgs;
mod many_objective;
mod moo_suite;
mod neldermead;
mod newton;
mod nsga2;
mod problems;
mod robustness;
mod sqp;

//! OptL's native solvers, independent of the rest of the interpreter.
//!
//! A problem is anything implementing [`Nlp`] (one objective, optional
//! constraints) or [`MultiObjective`]; box bounds come separately as [`Bounds`].
//! Each solver is a configuration struct with documented defaults; the
//! single-objective ones implement [`Solver`], whose `solve` checks the start and
//! returns a [`SolveResult`] (NSGA-II's `solve` returns a [`FrontResult`]):
//!
//! - [`Lbfgs`]: L-BFGS with a Moré–Thuente line search; projected active-set
//!   variant under bounds;
//! - [`Newton`]: Newton-CG with a Steihaug–Toint trust region, using `Nlp::hvp`;
//! - [`AugLag`]: PHR augmented Lagrangian (ALGENCAN style) over L-BFGS;
//! - [`Sqp`]: sequential quadratic programming (damped BFGS, Goldfarb–Idnani QP,
//!   ℓ₁ merit) for small dense constrained problems;
//! - [`NelderMead`]: adaptive Nelder–Mead (Gao & Han 2012), derivative-free;
//! - [`Nsga2`]: NSGA-II (Deb et al. 2002) with [`hypervolume`].
//!
//! No solver panics or prints, whatever the problem returns (NaN/Inf included).

// `!(a < b)` is used on purpose throughout: unlike `a >= b` it is true when
// either side is NaN, which is exactly the case the solvers must catch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Numerical kernels walk several parallel arrays with one index.
#![allow(clippy::needless_range_loop)]

mod auglag;
mod dense;
mod hypervolume;
mod lbfgs;
mod linesearch;
mod neldermead;
mod newton;
mod nsga2;
mod problem;
mod qp;
mod sqp;

pub use auglag::AugLag;
pub use hypervolume::hypervolume;
pub use lbfgs::Lbfgs;
pub use linesearch::{LineSearch, LsParams};
pub use neldermead::NelderMead;
pub use newton::Newton;
pub use nsga2::{FrontResult, Nsga2};
pub use problem::{
    Bounds, Clock, ConstraintRef, MultiObjective, Nlp, Options, SolveResult, Solver, Status,
    UNBOUNDED_F, jacobian_by_rows,
};
pub use sqp::{SQP_MAX_SIZE, Sqp};

//! OptL's solver families, independent of the language.
//!
//! Every method implements one trait, [`Method`] (`method.rs`): its constructor's
//! [`Signature`] (parameters with defaults and domains), which problem
//! [`Structure`]s it accepts, whether `auto` picks it, and `run`. The
//! [`registry`] lists them; `solve(p, m)` and `auto` dispatch through it.
//!
//! A problem is anything implementing [`Nlp`] (one objective, optional
//! constraints) and [`MultiObjective`]; box bounds come separately as [`Bounds`]
//! (`problem.rs`, shared by all families). The families:
//!
//! - [`nlp`]: L-BFGS, Newton-CG, augmented Lagrangian, SQP, Nelder–Mead;
//! - [`multi`]: NSGA-II, NSGA-III, MOEA/D, HypE; hypervolume, IGD, IGD⁺, GD;
//! - [`transport`]: entropic optimal transport recognised in a problem, solved by
//!   Sinkhorn (optl-transport);
//! - [`splitting`]: FISTA, Frank–Wolfe and coordinate descent for a smooth part
//!   plus prox-friendly terms and vars in sets ([`facts`] describes them);
//! - [`lowrank`]: low-rank matrix completion recognised in a problem, solved by
//!   alternating minimization (optl-lowrank);
//! - [`bilevel`]: implicit differentiation, the value-function penalty and
//!   unrolled differentiation for problems with a `lower` block.
//!
//! No solver panics or prints, whatever the problem returns (NaN/Inf included).

// `!(a < b)` is used on purpose throughout: unlike `a >= b` it is true when
// either side is NaN, which is exactly the case the solvers must catch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Numerical kernels walk several parallel arrays with one index.
#![allow(clippy::needless_range_loop)]

pub mod bilevel;
pub mod facts;
pub mod lowrank;
pub mod method;
pub mod multi;
pub mod nlp;
mod problem;
pub mod registry;
pub mod splitting;
pub mod transport;

pub use facts::{
    CompletionForm, Composite, Coupling, LeastSquaresBlock, LeastSquaresForm, LinearEquality,
    ProxTerm, VarFact,
};
pub use method::{
    AutoFit, DefaultValue, Domain, Fit, Method, Model, Outcome, Param, ParamValue, Params,
    Signature, Structure,
};
pub use multi::{
    Decomposition, EXACT_HV_MAX_OBJECTIVES, FrontResult, HV_SAMPLES, Hype, Moead, Nsga2, Nsga3,
    ReferenceSurvival, auto_hypervolume, check_reference, das_dennis, directions, gd, hypervolume,
    hypervolume_mc, hypervolume_survival, igd, igd_plus, lattice_size, nondominated,
    partitions_for,
};
pub use nlp::{AugLag, Lbfgs, LineSearch, LsParams, NelderMead, Newton, SQP_MAX_SIZE, Sqp};
pub use problem::{
    Bounds, Clock, ConstraintRef, MultiObjective, Nlp, Options, SolveResult, Solver, Status,
    UNBOUNDED_F, jacobian_by_rows,
};

//! The nonlinear-programming family: smooth problems with one objective, box
//! bounds and general constraints, over the [`Nlp`](crate::Nlp) trait.
//!
//! - [`Lbfgs`]: L-BFGS with a Moré–Thuente line search; projected active-set
//!   variant under bounds;
//! - [`Newton`]: Newton-CG with a Steihaug–Toint trust region, using `Nlp::hvp`;
//! - [`AugLag`]: PHR augmented Lagrangian (ALGENCAN style) over L-BFGS;
//! - [`Sqp`]: sequential quadratic programming (damped BFGS, Goldfarb–Idnani QP,
//!   ℓ₁ merit) for small dense constrained problems;
//! - [`NelderMead`]: adaptive Nelder–Mead (Gao & Han 2012), derivative-free.
//!
//! `methods.rs` binds each to the [`Method`](crate::Method) trait.

mod auglag;
mod dense;
mod lbfgs;
mod linesearch;
pub mod methods;
mod neldermead;
mod newton;
mod qp;
mod sqp;

pub use auglag::AugLag;
pub use lbfgs::{Curvature, Lbfgs};
pub use linesearch::{LineSearch, LsParams};
pub use neldermead::NelderMead;
pub use newton::Newton;
pub use sqp::{SQP_MAX_SIZE, Sqp};

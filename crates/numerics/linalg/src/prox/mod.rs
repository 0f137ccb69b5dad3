//! Proximal operators, projections and linear minimization oracles: the per-step
//! kernels of splitting and projection-free solvers (FISTA, Frank–Wolfe, ADMM).
//!
//! - [`Penalty`]: prox-friendly penalties (ℓ1, ℓ2, group ℓ2, ℓ∞, ℓ0, ℓq) with
//!   their values and proximal maps `argmin_z ½‖z − v‖² + t·pen(z)`.
//! - [`Set`]: convex sets (simplex, ℓ1 / ℓ2 / nuclear-norm balls) with the
//!   Euclidean projection, the linear minimization oracle and a membership test.
//! - [`top_singular_pair`]: the leading singular triple of a dense row-major
//!   matrix by restarted Golub–Kahan–Lanczos bidiagonalization (the nuclear-ball
//!   oracle).
//!
//! Everything is pure, sequential and deterministic. The penalty maps never fail:
//! invalid parameters or NaN inputs give NaN outputs. The set and singular-value
//! routines return an [`Error`](crate::Error) for invalid radii, shapes,
//! tolerances or non-finite inputs. Nothing panics or prints.

mod penalty;
mod set;
mod singular;
mod threshold;

#[cfg(test)]
mod tests;

pub use penalty::Penalty;
pub use set::Set;
pub use singular::{SingularPair, top_singular_pair};

//! OptL low-rank and tensor methods, language-independent (row-major `f64` buffers
//! and tensors in, records out):
//!
//! - [`tucker`]: Tucker decomposition by HOSVD or HOOI; [`tucker_full`] rebuilds a
//!   tensor from a core (or CP weights) and factors;
//! - [`cp`]: CANDECOMP/PARAFAC by alternating least squares;
//! - [`complete`]: low-rank matrix completion from observed entries (never the dense
//!   matrix) by alternating minimization or nuclear-ball Frank–Wolfe;
//! - [`dictionary`]: dictionary learning (batch, online, orthogonal Frank–Wolfe) and
//!   sparse coding with ℓ1, ℓ0 and ℓq priors.
//!
//! Every refusal of user input is an [`Error`]; nothing panics or prints. Work is
//! split over the rayon pool in fixed blocks whose results are combined in a fixed
//! order, so the same inputs and seed give the same bits with any number of threads.

// `!(a < b)` is used on purpose: unlike `a >= b` it is true when either side is
// NaN, which is exactly the case the checks must catch.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Numerical kernels walk several parallel arrays with one index.
#![allow(clippy::needless_range_loop)]

mod complete;
mod cp;
pub(crate) mod dense;
pub mod dictionary;
mod error;
mod modes;
mod tucker;

pub use complete::{Completion, CompletionMethod, CompletionOptions, Observed, complete};
pub use cp::{CpOptions, cp};
pub use error::{Error, Result};
pub use tucker::{Decomposition, TuckerMethod, TuckerOptions, tucker, tucker_full};

/// How an iterative method ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The stopping test held.
    Converged,
    /// `max_iters` ran out first.
    MaxIters,
    /// A NaN or infinity appeared in the iteration.
    Diverged,
}

impl Status {
    /// `"converged"`, `"max_iters"`, `"diverged"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIters => "max_iters",
            Status::Diverged => "diverged",
        }
    }
}

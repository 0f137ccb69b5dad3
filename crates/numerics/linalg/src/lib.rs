//! OptL linear algebra: the language-independent numerical linear algebra on which
//! the `linalg.*` builtins and the splitting, transport, low-rank and bilevel
//! methods are built.
//!
//! - [`dense`]: NumPy-style routines over f64 tensors (`solve`, `lstsq`,
//!   `cholesky`, `qr`, `svd`, `eigh`, `det`, `slogdet`, `inv`, `pinv`, ...), batched
//!   over leading axes, on faer's factorizations.
//! - [`sparse`]: a CSR matrix ([`Csr`]) and sparse direct solves (Cholesky, LU).
//! - [`mtx`]: a Matrix Market reader.
//! - [`iterative`]: operators and Krylov/relaxation solvers (CG, GMRES, SOR).
//! - [`sequence`]: solving sequences of related systems (bandit-tuned SOR, GCRO-DR).
//! - [`prox`]: proximal operators ([`prox::Penalty`]), projections and linear
//!   minimization oracles ([`prox::Set`]) and the top singular pair
//!   ([`prox::top_singular_pair`]) for splitting and Frank–Wolfe solvers.
//!
//! Every failure on user input is an [`Error`]; nothing panics or prints, and the
//! same inputs give the same bits (parallel kernels reduce in a fixed order).

mod condest;
pub mod dense;
mod error;
pub mod iterative;
pub mod mtx;
pub mod prox;
pub mod sequence;
pub mod sparse;

pub use error::{Error, Result};

/// `x > 0`, false for NaN (reads better than `!(x > 0.0)` at the call sites).
pub(crate) fn positive(x: f64) -> bool {
    x > 0.0
}
pub use iterative::{DenseMatrix, IterResult, MatrixFree, Operator, Precond, Status};
pub use iterative::{cg, gmres, sor};
pub use sequence::{Method, SequenceResult, solve_sequence};
pub use sparse::Csr;

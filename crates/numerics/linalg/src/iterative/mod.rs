//! Iterative solvers over linear operators: [`cg`], [`gmres`] and [`sor`].
//!
//! An [`Operator`] is a square linear map `x ↦ A x`, implemented for [`Csr`],
//! [`DenseMatrix`] and matrix-free closures ([`MatrixFree`]). Every solver starts
//! from `x = 0`, stops when the relative residual `‖b − A x‖ / ‖b‖ <= tol`, and
//! returns an [`IterResult`] whose [`Status`] says why it stopped; the reported
//! residual is recomputed from `b − A x`, and a NaN is never reported as
//! converged. Errors ([`Error`]) are reserved for bad input: lengths, tolerances,
//! unavailable preconditioners.

mod cg;
mod gmres;
pub(crate) mod kernels;
mod precond;
mod sor;
mod value_indexed;

pub use cg::cg;
pub use gmres::gmres;
pub(crate) use gmres::{back_substitute, givens};
pub use precond::Precond;
pub use sor::sor;
pub(crate) use sor::{SorSystem, check_omega, sor_diagonal};

use optl_tensor::Tensor;

use crate::error::{Error, Result};
use crate::sparse::Csr;

/// A square linear operator `A` of size `n`.
///
/// `apply` is only called with slices of length `n()`. Optional capabilities (a
/// known diagonal, CSR storage, an SOR sweep) let solvers and preconditioners use
/// more than products.
pub trait Operator {
    /// The dimension `n` of the square operator.
    fn n(&self) -> usize;

    /// `y = A x`, with `x.len() == y.len() == n()`.
    fn apply(&self, x: &[f64], y: &mut [f64]);

    /// Checks that the operator can be used as a square map (e.g. a CSR matrix is square).
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// The diagonal of `A`, when known (used by the Jacobi preconditioner and SOR).
    fn diagonal(&self) -> Option<Vec<f64>> {
        None
    }

    /// The CSR storage of `A`, when it has one (used by IC(0)).
    fn as_csr(&self) -> Option<&Csr> {
        None
    }

    /// One forward SOR sweep `x ← x + ω D⁻¹ (b − A x)` row by row, using updated
    /// values as soon as they are computed; `diagonal` is `A`'s diagonal (non-zero).
    fn sor_sweep(&self, b: &[f64], x: &mut [f64], omega: f64, diagonal: &[f64]) -> Result<()> {
        let _ = (b, x, omega, diagonal);
        Err(Error::Unsupported {
            op: "sor",
            reason: "SOR needs the rows of the matrix (a Csr or a DenseMatrix)",
        })
    }

    /// `y = A x` and returns `xᵀ y` (a fused pass where the storage allows).
    fn apply_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        self.apply(x, y);
        kernels::dot(x, y)
    }
}

impl<T: Operator + ?Sized> Operator for &T {
    fn n(&self) -> usize {
        (**self).n()
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        (**self).apply(x, y)
    }
    fn validate(&self) -> Result<()> {
        (**self).validate()
    }
    fn diagonal(&self) -> Option<Vec<f64>> {
        (**self).diagonal()
    }
    fn as_csr(&self) -> Option<&Csr> {
        (**self).as_csr()
    }
    fn sor_sweep(&self, b: &[f64], x: &mut [f64], omega: f64, diagonal: &[f64]) -> Result<()> {
        (**self).sor_sweep(b, x, omega, diagonal)
    }
    fn apply_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        (**self).apply_dot(x, y)
    }
}

impl Operator for Csr {
    fn n(&self) -> usize {
        self.nrows()
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        if self.nrows() != self.ncols() || x.len() != self.ncols() || y.len() != self.nrows() {
            y.iter_mut().for_each(|v| *v = f64::NAN);
            return;
        }
        self.spmv(x, y);
    }

    fn validate(&self) -> Result<()> {
        if self.nrows() != self.ncols() {
            return Err(Error::BadShape {
                op: "operator",
                shape: vec![self.nrows(), self.ncols()],
                reason: "an operator must be square",
            });
        }
        Ok(())
    }

    fn diagonal(&self) -> Option<Vec<f64>> {
        Some(Csr::diagonal(self))
    }

    fn as_csr(&self) -> Option<&Csr> {
        Some(self)
    }

    fn sor_sweep(&self, b: &[f64], x: &mut [f64], omega: f64, diagonal: &[f64]) -> Result<()> {
        let n = self.nrows();
        if self.ncols() != n || b.len() != n || x.len() != n || diagonal.len() != n {
            return Err(Error::BadShape {
                op: "sor",
                shape: vec![self.nrows(), self.ncols()],
                reason: "the sweep needs a square matrix and vectors of its size",
            });
        }
        for i in 0..n {
            let ax = self.row_dot(i, x);
            x[i] += omega * (b[i] - ax) / diagonal[i];
        }
        Ok(())
    }

    fn apply_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        if self.nrows() != self.ncols() || x.len() != self.ncols() || y.len() != self.nrows() {
            y.iter_mut().for_each(|v| *v = f64::NAN);
            return f64::NAN;
        }
        self.spmv_dot(x, y)
    }
}

/// A dense square matrix stored row-major, as an [`Operator`].
#[derive(Debug, Clone, PartialEq)]
pub struct DenseMatrix {
    n: usize,
    data: Vec<f64>,
}

impl DenseMatrix {
    /// From a square, finite 2-D tensor.
    pub fn from_tensor(a: &Tensor) -> Result<Self> {
        const OP: &str = "dense_matrix";
        if a.ndim() != 2 || a.shape()[0] != a.shape()[1] {
            return Err(Error::BadShape {
                op: OP,
                shape: a.shape().to_vec(),
                reason: "expected a square 2-D matrix",
            });
        }
        Self::from_row_major(a.shape()[0], a.iter().copied().collect())
    }

    /// From `n · n` finite row-major entries.
    pub fn from_row_major(n: usize, data: Vec<f64>) -> Result<Self> {
        const OP: &str = "dense_matrix";
        if n.checked_mul(n) != Some(data.len()) {
            return Err(Error::BadShape {
                op: OP,
                shape: vec![data.len()],
                reason: "expected n * n entries",
            });
        }
        if !data.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: OP });
        }
        Ok(DenseMatrix { n, data })
    }

    /// Row-major entries.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }
}

impl Operator for DenseMatrix {
    fn n(&self) -> usize {
        self.n
    }

    fn apply(&self, x: &[f64], y: &mut [f64]) {
        if x.len() != self.n || y.len() != self.n {
            y.iter_mut().for_each(|v| *v = f64::NAN);
            return;
        }
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = kernels::dot(self.row(i), x);
        }
    }

    fn diagonal(&self) -> Option<Vec<f64>> {
        Some((0..self.n).map(|i| self.data[i * self.n + i]).collect())
    }

    fn sor_sweep(&self, b: &[f64], x: &mut [f64], omega: f64, diagonal: &[f64]) -> Result<()> {
        let n = self.n;
        if b.len() != n || x.len() != n || diagonal.len() != n {
            return Err(Error::BadShape {
                op: "sor",
                shape: vec![n, n],
                reason: "the sweep needs vectors of the matrix size",
            });
        }
        for i in 0..n {
            let ax = kernels::dot(self.row(i), x);
            x[i] += omega * (b[i] - ax) / diagonal[i];
        }
        Ok(())
    }
}

/// A matrix-free operator: a closure computing `y = A x`, with an optional known
/// diagonal (for Jacobi preconditioning and SOR-free use).
pub struct MatrixFree<F> {
    n: usize,
    f: F,
    diagonal: Option<Vec<f64>>,
}

impl<F: Fn(&[f64], &mut [f64])> MatrixFree<F> {
    /// An operator of size `n` applying `f(x, y)`: `y = A x`.
    pub fn new(n: usize, f: F) -> Self {
        MatrixFree {
            n,
            f,
            diagonal: None,
        }
    }

    /// Declares the diagonal of `A` (length `n`, finite).
    pub fn with_diagonal(mut self, diagonal: Vec<f64>) -> Result<Self> {
        if diagonal.len() != self.n {
            return Err(Error::Shape {
                op: "matrix_free",
                left: vec![self.n, self.n],
                right: vec![diagonal.len()],
                reason: "the diagonal must have n entries",
            });
        }
        if !diagonal.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: "matrix_free" });
        }
        self.diagonal = Some(diagonal);
        Ok(self)
    }
}

impl<F: Fn(&[f64], &mut [f64])> Operator for MatrixFree<F> {
    fn n(&self) -> usize {
        self.n
    }
    fn apply(&self, x: &[f64], y: &mut [f64]) {
        (self.f)(x, y)
    }
    fn diagonal(&self) -> Option<Vec<f64>> {
        self.diagonal.clone()
    }
}

/// Why an iterative solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `‖b − A x‖ / ‖b‖ <= tol`.
    Converged,
    /// The iteration limit was reached first.
    MaxIters,
    /// The method cannot continue (a zero or indefinite inner product, a singular
    /// Krylov least-squares problem).
    Breakdown,
    /// CG met `pᵀ A p <= 0`: the operator is not positive definite.
    NotSpd,
    /// A NaN or infinity appeared.
    NonFinite,
}

/// The outcome of an iterative solve.
#[derive(Debug, Clone, PartialEq)]
pub struct IterResult {
    /// The last iterate.
    pub x: Vec<f64>,
    /// Iterations done (CG steps, GMRES Arnoldi steps, SOR sweeps).
    pub iters: usize,
    /// The relative residual `‖b − A x‖ / ‖b‖` of `x` (absolute when `b = 0`).
    pub residual: f64,
    /// Why the solver stopped.
    pub status: Status,
    /// Number of operator applications, including residual recomputations.
    pub matvecs: usize,
}

/// Validates a system and the common arguments; returns `‖b‖`.
pub(crate) fn check_system(op: &'static str, a: &dyn Operator, b: &[f64], tol: f64) -> Result<f64> {
    a.validate()?;
    if b.len() != a.n() {
        return Err(Error::Shape {
            op,
            left: vec![a.n(), a.n()],
            right: vec![b.len()],
            reason: "b must have n entries",
        });
    }
    if !b.iter().all(|v| v.is_finite()) {
        return Err(Error::NonFinite { op });
    }
    if !(tol.is_finite() && tol >= 0.0) {
        return Err(Error::InvalidArgument {
            op,
            reason: format!("tol must be finite and non-negative, got {tol}"),
        });
    }
    Ok(kernels::norm(b))
}

/// `r = b − A x` and returns `‖r‖ / ‖b‖` (or `‖r‖` when `b = 0`); NaN stays NaN.
/// The result of a solver that stopped with `status` at `x`: the true relative
/// residual recomputed (one more product, counted), and `NonFinite` if it is not
/// finite, whatever the solver believed.
pub(crate) fn finish(
    a: &dyn Operator,
    b: &[f64],
    x: Vec<f64>,
    r: &mut [f64],
    bnorm: f64,
    counts: (usize, usize),
    status: Status,
) -> IterResult {
    let (iters, matvecs) = counts;
    let residual = true_residual(a, b, &x, r, bnorm);
    let status = if residual.is_finite() {
        status
    } else {
        Status::NonFinite
    };
    IterResult {
        x,
        iters,
        residual,
        status,
        matvecs: matvecs + 1,
    }
}

pub(crate) fn true_residual(
    a: &dyn Operator,
    b: &[f64],
    x: &[f64],
    r: &mut [f64],
    bnorm: f64,
) -> f64 {
    a.apply(x, r);
    kernels::sub_from(b, r);
    let rn = kernels::norm(r);
    if bnorm > 0.0 { rn / bnorm } else { rn }
}

/// The result for a system whose right-hand side is zero: `x = 0`, converged.
pub(crate) fn zero_solution(n: usize) -> IterResult {
    IterResult {
        x: vec![0.0; n],
        iters: 0,
        residual: 0.0,
        status: Status::Converged,
        matvecs: 0,
    }
}

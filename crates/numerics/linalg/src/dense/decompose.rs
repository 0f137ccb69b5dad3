//! Dense factorizations returning their factors: `cholesky`, `qr`, `svd`, `eigh`.
//!
//! Each is batched over the leading axes and returns factors in NumPy's layout:
//! `cholesky` the lower factor, `qr` the thin (reduced) `q` and `r`, `svd` the thin
//! `u`, descending `s` and `vt`, `eigh` ascending eigenvalues with eigenvectors as
//! columns.

use faer::Side;
use faer::linalg::solvers::{Llt, SelfAdjointEigen, Svd as FaerSvd};
use optl_tensor::Tensor;

use super::{MatBatch, check_symmetric, push_row_major, push_transposed, tensor};
use crate::error::{Error, Result};

/// Thin QR factors: `a = q r`, `q` with orthonormal columns `(..., m, k)`, `r` upper
/// triangular `(..., k, n)`, `k = min(m, n)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Qr {
    /// Orthonormal columns, shape `(..., m, k)`.
    pub q: Tensor,
    /// Upper triangular, shape `(..., k, n)`.
    pub r: Tensor,
}

/// Thin singular value decomposition `a = u diag(s) vt`.
#[derive(Debug, Clone, PartialEq)]
pub struct Svd {
    /// Left singular vectors as columns, shape `(..., m, k)`.
    pub u: Tensor,
    /// Singular values, non-negative and descending, shape `(..., k)`.
    pub s: Tensor,
    /// Right singular vectors as rows, shape `(..., k, n)`.
    pub vt: Tensor,
}

/// Symmetric eigendecomposition `a = v diag(values) vᵀ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigh {
    /// Eigenvalues in ascending order, shape `(..., n)`.
    pub values: Tensor,
    /// Orthonormal eigenvectors as columns, shape `(..., n, n)`.
    pub vectors: Tensor,
}

/// Lower Cholesky factor `L` with `L Lᵀ = A` of each symmetric positive-definite
/// matrix of `a` (`(..., n, n)`).
///
/// Matrices that are not symmetric within [`super::SYMMETRY_RTOL`] fail with
/// [`Error::NotSymmetric`], those that are not positive definite with
/// [`Error::NotPositiveDefinite`].
pub fn cholesky(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "cholesky";
    let am = MatBatch::square(OP, a)?;
    let n = am.rows;
    let mut out = Vec::with_capacity(am.count() * n * n);
    for k in 0..am.count() {
        check_symmetric(OP, am.slice(k), n)?;
        if n == 0 {
            continue;
        }
        let llt = Llt::new(am.mat(k), Side::Lower).map_err(|e| match e {
            faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index } => {
                Error::NotPositiveDefinite {
                    op: OP,
                    pivot: index,
                }
            }
        })?;
        let l = llt.L();
        for i in 0..n {
            for j in 0..n {
                out.push(if j <= i { l[(i, j)] } else { 0.0 });
            }
        }
    }
    tensor(OP, am.shape_with(&[n, n]), out)
}

/// Thin QR factorization of each matrix of `a` (`(..., m, n)`) by Householder
/// reflections.
pub fn qr(a: &Tensor) -> Result<Qr> {
    const OP: &str = "qr";
    let am = MatBatch::from_tensor(OP, a)?;
    let (m, n) = (am.rows, am.cols);
    let k = m.min(n);
    let mut q_out = Vec::with_capacity(am.count() * m * k);
    let mut r_out = Vec::with_capacity(am.count() * k * n);
    for b in 0..am.count() {
        if k == 0 {
            continue;
        }
        let f = faer::linalg::solvers::Qr::new(am.mat(b));
        push_row_major(f.compute_thin_Q().as_ref(), &mut q_out);
        let r = f.thin_R();
        for i in 0..k {
            for j in 0..n {
                r_out.push(if j >= i { r[(i, j)] } else { 0.0 });
            }
        }
    }
    Ok(Qr {
        q: tensor(OP, am.shape_with(&[m, k]), q_out)?,
        r: tensor(OP, am.shape_with(&[k, n]), r_out)?,
    })
}

/// Thin SVD of each matrix of `a` (`(..., m, n)`), singular values descending.
pub fn svd(a: &Tensor) -> Result<Svd> {
    const OP: &str = "svd";
    let am = MatBatch::from_tensor(OP, a)?;
    let (m, n) = (am.rows, am.cols);
    let k = m.min(n);
    let mut u_out = Vec::with_capacity(am.count() * m * k);
    let mut s_out = Vec::with_capacity(am.count() * k);
    let mut vt_out = Vec::with_capacity(am.count() * k * n);
    for b in 0..am.count() {
        if k == 0 {
            continue;
        }
        let f = FaerSvd::new_thin(am.mat(b)).map_err(|_| Error::NoConvergence { op: OP })?;
        push_row_major(f.U(), &mut u_out);
        s_out.extend(f.S().column_vector().iter().copied());
        push_transposed(f.V(), &mut vt_out);
    }
    Ok(Svd {
        u: tensor(OP, am.shape_with(&[m, k]), u_out)?,
        s: tensor(OP, am.shape_with(&[k]), s_out)?,
        vt: tensor(OP, am.shape_with(&[k, n]), vt_out)?,
    })
}

/// Singular values (descending) of the row-major matrix `k` of a batch.
pub(crate) fn singular_values(op: &'static str, am: &MatBatch, k: usize) -> Result<Vec<f64>> {
    if am.rows.min(am.cols) == 0 {
        return Ok(Vec::new());
    }
    am.mat(k)
        .singular_values()
        .map_err(|_| Error::NoConvergence { op })
}

/// Eigenvalues (ascending) and eigenvectors of each symmetric matrix of `a`
/// (`(..., n, n)`); asymmetric input fails with [`Error::NotSymmetric`].
pub fn eigh(a: &Tensor) -> Result<Eigh> {
    const OP: &str = "eigh";
    let am = MatBatch::square(OP, a)?;
    let n = am.rows;
    let mut values = Vec::with_capacity(am.count() * n);
    let mut vectors = Vec::with_capacity(am.count() * n * n);
    for k in 0..am.count() {
        check_symmetric(OP, am.slice(k), n)?;
        if n == 0 {
            continue;
        }
        let f = SelfAdjointEigen::new(am.mat(k), Side::Lower)
            .map_err(|_| Error::NoConvergence { op: OP })?;
        values.extend(f.S().column_vector().iter().copied());
        push_row_major(f.U(), &mut vectors);
    }
    Ok(Eigh {
        values: tensor(OP, am.shape_with(&[n]), values)?,
        vectors: tensor(OP, am.shape_with(&[n, n]), vectors)?,
    })
}

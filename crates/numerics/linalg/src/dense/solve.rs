//! LU-based dense routines: `solve`, `inv`, `det`, `slogdet`, `logdet`.
//!
//! All use faer's partial-pivot LU. `solve` and `inv` refuse matrices whose
//! reciprocal 1-norm condition estimate is below machine epsilon (LAPACK's
//! `xGESVX` warning threshold) with [`Error::Singular`], reporting the estimate.

use faer::MatMut;
use faer::linalg::solvers::{DenseSolveCore, PartialPivLu, Solve};
use optl_tensor::Tensor;

use super::{MatBatch, broadcast_batches, push_row_major, tensor};
use crate::condest::{inverse_norm1_estimate, reciprocal_condition};
use crate::error::{Error, Result};

/// Sign and natural log of the absolute value of determinants, as `numpy.linalg.slogdet`.
#[derive(Debug, Clone, PartialEq)]
pub struct Slogdet {
    /// `1`, `-1`, or `0` for a singular matrix; shape = the batch shape.
    pub sign: Tensor,
    /// `log |det|` (`-inf` for a singular matrix); shape = the batch shape.
    pub logabsdet: Tensor,
}

/// An LU factorization with its reciprocal condition estimate.
struct CheckedLu {
    lu: PartialPivLu<f64>,
    rcond: f64,
}

/// Largest absolute column sum of the row-major `n × n` matrix `a`.
fn norm1(a: &[f64], n: usize) -> f64 {
    (0..n)
        .map(|j| (0..n).map(|i| a[i * n + j].abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Factors matrix `k` of `batch` and fails if it is singular to working precision.
fn factor_nonsingular(op: &'static str, batch: &MatBatch, k: usize) -> Result<CheckedLu> {
    let n = batch.rows;
    let lu = PartialPivLu::new(batch.mat(k));
    let u = lu.U();
    let exact_zero = (0..n).any(|i| u[(i, i)] == 0.0 || !u[(i, i)].is_finite());
    let rcond = if exact_zero {
        0.0
    } else if n == 0 {
        1.0
    } else {
        let inv = inverse_norm1_estimate(
            n,
            |x| lu.solve_in_place(MatMut::from_column_major_slice_mut(x, n, 1)),
            |x| lu.solve_transpose_in_place(MatMut::from_column_major_slice_mut(x, n, 1)),
        );
        reciprocal_condition(norm1(batch.slice(k), n), inv)
    };
    if rcond < f64::EPSILON {
        return Err(Error::Singular { op, rcond });
    }
    Ok(CheckedLu { lu, rcond })
}

/// Solves `A x = b` by partial-pivot LU, batched over the leading axes of `A`.
///
/// `a` has shape `(..., n, n)`. A 1-D `b` of length `n` is one right-hand side for
/// every matrix (result `(..., n)`); otherwise `b` has shape `(..., n, k)` and its
/// batch axes broadcast against those of `a` (result `(..., n, k)`), as NumPy 2.
/// Fails with [`Error::Singular`] when the reciprocal condition estimate of a
/// matrix is below machine epsilon.
pub fn solve(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    const OP: &str = "solve";
    let am = MatBatch::square(OP, a)?;
    let n = am.rows;
    if !b.iter().all(|v| v.is_finite()) {
        return Err(Error::NonFinite { op: OP });
    }
    let mismatch = |reason| Error::Shape {
        op: OP,
        left: a.shape().to_vec(),
        right: b.shape().to_vec(),
        reason,
    };
    if b.ndim() == 0 {
        return Err(mismatch("b must be a vector or a (batch of) matrices"));
    }
    if b.ndim() == 1 {
        if b.len() != n {
            return Err(mismatch("b must have as many rows as A"));
        }
        let rhs: Vec<f64> = b.iter().copied().collect();
        let mut out = Vec::with_capacity(am.count() * n);
        for k in 0..am.count() {
            let f = factor_nonsingular(OP, &am, k)?;
            let mut x = rhs.clone();
            f.lu.solve_in_place(MatMut::from_column_major_slice_mut(&mut x, n, 1));
            out.extend_from_slice(&x);
        }
        return tensor(OP, am.shape_with(&[n]), out);
    }
    let bm = MatBatch::from_tensor(OP, b)?;
    if bm.rows != n {
        return Err(mismatch("b must have as many rows as A"));
    }
    let cols = bm.cols;
    let (batch, pairs) = broadcast_batches(OP, a.shape(), b.shape(), &am.batch, &bm.batch)?;
    let mut factors: Vec<Option<CheckedLu>> = (0..am.count()).map(|_| None).collect();
    let mut out = Vec::with_capacity(pairs.len() * n * cols);
    for &(ka, kb) in &pairs {
        if factors[ka].is_none() {
            factors[ka] = Some(factor_nonsingular(OP, &am, ka)?);
        }
        let Some(f) = factors[ka].as_ref() else {
            continue;
        };
        // faer solves column-major right-hand sides: transpose in and out.
        let src = bm.slice(kb);
        let mut x = vec![0.0; n * cols];
        for i in 0..n {
            for j in 0..cols {
                x[j * n + i] = src[i * cols + j];
            }
        }
        f.lu.solve_in_place(MatMut::from_column_major_slice_mut(&mut x, n, cols));
        for i in 0..n {
            for j in 0..cols {
                out.push(x[j * n + i]);
            }
        }
    }
    let mut shape = batch;
    shape.extend_from_slice(&[n, cols]);
    tensor(OP, shape, out)
}

/// Inverse of each matrix of `a` (`(..., n, n)`), by LU; singular → [`Error::Singular`].
pub fn inv(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "inv";
    let am = MatBatch::square(OP, a)?;
    let n = am.rows;
    let mut out = Vec::with_capacity(am.count() * n * n);
    for k in 0..am.count() {
        let f = factor_nonsingular(OP, &am, k)?;
        debug_assert!(f.rcond >= f64::EPSILON);
        push_row_major(f.lu.inverse().as_ref(), &mut out);
    }
    tensor(OP, am.shape_with(&[n, n]), out)
}

/// Parity (`1` or `-1`) of a permutation given as its forward array.
fn permutation_sign(forward: &[usize]) -> f64 {
    let mut seen = vec![false; forward.len()];
    let mut transpositions = 0usize;
    for start in 0..forward.len() {
        if seen[start] {
            continue;
        }
        let mut len = 0usize;
        let mut i = start;
        while !seen[i] {
            seen[i] = true;
            i = forward[i];
            len += 1;
        }
        transpositions += len - 1;
    }
    if transpositions.is_multiple_of(2) {
        1.0
    } else {
        -1.0
    }
}

/// Sign and `log|det|` of matrix `k` from its LU factors.
fn slogdet_one(batch: &MatBatch, k: usize) -> (f64, f64) {
    let n = batch.rows;
    if n == 0 {
        return (1.0, 0.0);
    }
    let lu = PartialPivLu::new(batch.mat(k));
    let u = lu.U();
    let mut sign = permutation_sign(lu.P().arrays().0);
    let mut log = 0.0;
    for i in 0..n {
        let d = u[(i, i)];
        if d == 0.0 {
            return (0.0, f64::NEG_INFINITY);
        }
        if d < 0.0 {
            sign = -sign;
        }
        log += d.abs().ln();
    }
    (sign, log)
}

/// Determinant of each matrix of `a` (`(..., n, n)`); the result has the batch shape.
/// The determinant of a `0 × 0` matrix is 1.
pub fn det(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "det";
    let am = MatBatch::square(OP, a)?;
    let n = am.rows;
    let mut out = Vec::with_capacity(am.count());
    for k in 0..am.count() {
        if n == 0 {
            out.push(1.0);
            continue;
        }
        let lu = PartialPivLu::new(am.mat(k));
        let u = lu.U();
        let d = (0..n).fold(permutation_sign(lu.P().arrays().0), |acc, i| {
            acc * u[(i, i)]
        });
        out.push(d);
    }
    tensor(OP, am.batch.clone(), out)
}

/// Sign and `log |det|` of each matrix of `a`, as `numpy.linalg.slogdet`
/// (a singular matrix gives sign 0 and `-inf`).
pub fn slogdet(a: &Tensor) -> Result<Slogdet> {
    const OP: &str = "slogdet";
    let am = MatBatch::square(OP, a)?;
    let (signs, logs): (Vec<f64>, Vec<f64>) = (0..am.count()).map(|k| slogdet_one(&am, k)).unzip();
    Ok(Slogdet {
        sign: tensor(OP, am.batch.clone(), signs)?,
        logabsdet: tensor(OP, am.batch.clone(), logs)?,
    })
}

/// `log det A` of each matrix; fails with [`Error::NonPositiveDeterminant`] for the
/// first matrix whose determinant is zero or negative.
pub fn logdet(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "logdet";
    let am = MatBatch::square(OP, a)?;
    let mut out = Vec::with_capacity(am.count());
    for k in 0..am.count() {
        let (sign, logabsdet) = slogdet_one(&am, k);
        if sign <= 0.0 {
            return Err(Error::NonPositiveDeterminant { sign, logabsdet });
        }
        out.push(logabsdet);
    }
    tensor(OP, am.batch.clone(), out)
}

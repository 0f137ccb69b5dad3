//! The dense kernels the methods share, on faer matrices: products, the leading
//! eigen/singular subspaces, orthonormalization, small symmetric solves, and the
//! conversions between row-major buffers (the crate's interface) and faer's
//! column-major `Mat`.
//!
//! Everything runs sequentially inside faer (the crate parallelizes over rows or
//! slices itself, in fixed blocks), so results do not depend on the thread count.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};

/// `a · b`.
pub(crate) fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    out
}

/// `aᵀ · b`.
pub(crate) fn mul_tn(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    mul(a.transpose(), b)
}

/// The row-major `[rows, cols]` buffer `data` as a matrix view.
pub(crate) fn view(data: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(data, rows, cols)
}

/// `a` as a row-major buffer.
pub(crate) fn row_major(a: MatRef<'_, f64>) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.nrows() * a.ncols());
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            out.push(a[(i, j)]);
        }
    }
    out
}

/// The `k` eigenvectors of the symmetric `g` with the largest eigenvalues, as
/// columns in descending order of eigenvalue, and those eigenvalues; `None` if
/// the eigensolver fails (NaN input).
pub(crate) fn top_eigenvectors(g: MatRef<'_, f64>, k: usize) -> Option<(Mat<f64>, Vec<f64>)> {
    let n = g.nrows();
    let e = g.self_adjoint_eigen(Side::Lower).ok()?;
    let (u, s) = (e.U(), e.S().column_vector());
    let k = k.min(n);
    let vectors = Mat::from_fn(n, k, |i, j| u[(i, n - 1 - j)]);
    let values = (0..k).map(|j| s[n - 1 - j]).collect();
    Some((vectors, values))
}

/// An orthonormal basis of the columns of `a` (thin Householder QR's `Q`).
pub(crate) fn orthonormalize(a: MatRef<'_, f64>) -> Mat<f64> {
    a.qr().compute_thin_Q()
}

/// Solves the symmetric positive (semi)definite `k × k` system `g x = b` in place
/// (`g` row-major, overwritten by its Cholesky factor), adding `ridge` to the
/// diagonal first; on a failed factorization (rank-deficient `g`) retries with
/// a ridge of `1e-10 · trace(g)/k` (at least `1e-300`). Returns false when even that
/// fails (NaN input).
pub(crate) fn spd_solve(g: &mut [f64], b: &mut [f64], k: usize, ridge: f64) -> bool {
    let original: Vec<f64> = g.to_vec();
    for i in 0..k {
        g[i * k + i] += ridge;
    }
    if cholesky_solve(g, b, k) {
        return true;
    }
    let trace: f64 = (0..k).map(|i| original[i * k + i]).sum();
    let extra = (1e-10 * trace / k.max(1) as f64).max(1e-300);
    g.copy_from_slice(&original);
    for i in 0..k {
        g[i * k + i] += ridge + extra;
    }
    cholesky_solve(g, b, k)
}

/// In-place Cholesky `g = L Lᵀ` (lower triangle of the row-major `g`) and the
/// solve of `L Lᵀ x = b`; false on a non-positive pivot. Written out because the
/// systems are `rank × rank` (≤ a few dozen) and solved once per row.
fn cholesky_solve(g: &mut [f64], b: &mut [f64], k: usize) -> bool {
    for j in 0..k {
        let mut d = g[j * k + j];
        for p in 0..j {
            d -= g[j * k + p] * g[j * k + p];
        }
        if !(d > 0.0) || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        g[j * k + j] = d;
        for i in j + 1..k {
            let mut s = g[i * k + j];
            for p in 0..j {
                s -= g[i * k + p] * g[j * k + p];
            }
            g[i * k + j] = s / d;
        }
    }
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= g[i * k + p] * b[p];
        }
        b[i] = s / g[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= g[p * k + i] * b[p];
        }
        b[i] = s / g[i * k + i];
    }
    true
}

/// The largest eigenvalue of the symmetric positive semidefinite `g` (its Lipschitz
/// constant as a quadratic's Hessian); 0 for an empty matrix.
pub(crate) fn largest_eigenvalue(g: MatRef<'_, f64>) -> f64 {
    if g.nrows() == 0 {
        return 0.0;
    }
    g.self_adjoint_eigenvalues(Side::Lower)
        .ok()
        .and_then(|v| v.last().copied())
        .unwrap_or(f64::NAN)
}

/// `‖x‖₂²`.
pub(crate) fn sq_norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spd_solve_matches_the_product() {
        let mut g = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let a = g.clone();
        let mut b = vec![1.0, 2.0, 3.0];
        let rhs = b.clone();
        assert!(spd_solve(&mut g, &mut b, 3, 0.0));
        for i in 0..3 {
            let r: f64 = (0..3).map(|j| a[i * 3 + j] * b[j]).sum();
            assert!((r - rhs[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn spd_solve_regularizes_a_singular_system() {
        let mut g = vec![1.0, 1.0, 1.0, 1.0];
        let mut b = vec![2.0, 2.0];
        assert!(spd_solve(&mut g, &mut b, 2, 0.0));
        assert!((b[0] + b[1] - 2.0).abs() < 1e-6, "{b:?}");
    }
}

//! Small dense linear algebra for the SQP solver and its QP: Cholesky factors,
//! triangular solves and Householder least squares, on row-major matrices in
//! plain `Vec<f64>`s. Sizes are the problem's variables and constraints, so
//! nothing here is blocked or parallel.

use crate::problem::dot;

/// `G = L·Lᵀ` for a symmetric `n×n` matrix `g` (only its lower triangle is read):
/// the lower-triangular `L`, or `None` when `g` is not (numerically) positive
/// definite.
pub(crate) fn cholesky(g: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s = g[i * n + j] - dot(&l[i * n..i * n + j], &l[j * n..j * n + j]);
            if i == j {
                if !(s > 0.0) || !s.is_finite() {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L·y = b` in place (`L` lower triangular, `n×n`).
pub(crate) fn solve_lower(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let s = b[i] - dot(&l[i * n..i * n + i], &b[..i]);
        b[i] = s / l[i * n + i];
    }
}

/// Solves `Lᵀ·y = b` in place (`L` lower triangular, `n×n`).
pub(crate) fn solve_upper_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// The least-squares solution `r` of `W·r ≈ w` for `W` given by its `k` columns
/// (each of length `n`, linearly independent), by Householder QR; also returns
/// the residual `w − W·r`, which is orthogonal to every column.
pub(crate) fn least_squares(cols: &[Vec<f64>], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let k = cols.len();
    let n = w.len();
    let mut a: Vec<Vec<f64>> = cols.to_vec();
    let mut b = w.to_vec();
    let mut diag = vec![0.0; k];
    // Householder vectors are stored in place below the diagonal of `a`.
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(k);
    for j in 0..k {
        let norm = dot(&a[j][j..], &a[j][j..]).sqrt();
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        let mut v = a[j][j..].to_vec();
        v[0] -= alpha;
        let vv = dot(&v, &v);
        diag[j] = alpha;
        if vv > 0.0 {
            for col in a.iter_mut().skip(j + 1) {
                let t = 2.0 * dot(&v, &col[j..]) / vv;
                col[j..].iter_mut().zip(&v).for_each(|(c, vi)| *c -= t * vi);
            }
            let t = 2.0 * dot(&v, &b[j..]) / vv;
            b[j..].iter_mut().zip(&v).for_each(|(c, vi)| *c -= t * vi);
        }
        vs.push(v);
    }
    // Back substitution with R (diagonal in `diag`, above it in `a`).
    let mut r = vec![0.0; k];
    for j in (0..k).rev() {
        let mut s = b[j];
        for i in j + 1..k {
            s -= a[i][j] * r[i];
        }
        r[j] = if diag[j] != 0.0 { s / diag[j] } else { 0.0 };
    }
    // Residual: Q·(0, …, 0, b[k..]) applied back through the reflections.
    let mut res = vec![0.0; n];
    res[k..].copy_from_slice(&b[k..]);
    for (j, v) in vs.iter().enumerate().rev() {
        let vv = dot(v, v);
        if vv > 0.0 {
            let t = 2.0 * dot(v, &res[j..]) / vv;
            res[j..].iter_mut().zip(v).for_each(|(c, vi)| *c -= t * vi);
        }
    }
    (r, res)
}

/// `y = A·x` for a row-major `n×n` matrix `a`.
pub(crate) fn mat_vec(a: &[f64], n: usize, x: &[f64], y: &mut [f64]) {
    for (yi, row) in y.iter_mut().zip(a.chunks_exact(n)) {
        *yi = dot(row, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_and_rejects_indefinite() {
        let g = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&g, 2).unwrap();
        let mut b = [2.0, 5.0];
        solve_lower(&l, 2, &mut b);
        solve_upper_t(&l, 2, &mut b);
        // G·[x] = [2, 5]: x = [-0.5, 2].
        assert!((b[0] + 0.5).abs() < 1e-14 && (b[1] - 2.0).abs() < 1e-14);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        assert!(cholesky(&[f64::NAN], 1).is_none());
    }

    #[test]
    fn least_squares_residual_is_orthogonal() {
        let cols = vec![vec![1.0, 0.0, 1.0], vec![0.0, 1.0, 1.0]];
        let w = [1.0, 2.0, 4.0];
        let (r, res) = least_squares(&cols, &w);
        for c in &cols {
            assert!(dot(c, &res).abs() < 1e-13);
        }
        for i in 0..3 {
            let fit = cols[0][i] * r[0] + cols[1][i] * r[1];
            assert!((fit + res[i] - w[i]).abs() < 1e-13);
        }
        let (r, res) = least_squares(&[], &w);
        assert!(r.is_empty() && res == w);
    }
}

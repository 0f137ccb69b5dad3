//! The leading singular triple of a dense row-major matrix by restarted
//! Golub–Kahan–Lanczos bidiagonalization with full reorthogonalization.
//!
//! Each sweep runs `k = min(rows, cols, 32)` Lanczos steps (one product with `A`
//! and one with `Aᵀ` each, plus Gram–Schmidt against the previous vectors, twice),
//! takes the SVD of the small `k × k` upper bidiagonal matrix (faer), and forms the
//! Ritz pair `v = V y`, `u = A v / ‖A v‖`. It stops when `‖Aᵀu − σv‖ ≤ tol·σ`;
//! otherwise the next sweep starts from `Aᵀu / ‖Aᵀu‖` (the best right vector after
//! one more power step, so σ never decreases between sweeps). `AᵀA` and full SVDs
//! of `A` are never formed. Breakdowns (an invariant Krylov subspace) continue
//! with a fixed-seed pseudo-random vector orthogonal to the basis, so everything
//! is deterministic.

use faer::Mat;
use faer::linalg::solvers::Svd as FaerSvd;

use super::threshold::{dot, norm2};
use crate::error::{Error, Result};

/// Lanczos steps per sweep (at most).
const MAX_STEPS: usize = 32;
/// Sweeps (restarts) before returning the best pair found.
const MAX_RESTARTS: usize = 64;

/// The leading singular value of a matrix and its unit singular vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct SingularPair {
    /// The largest singular value σ₁ ≥ 0.
    pub sigma: f64,
    /// Left singular vector (length `rows`, unit norm when `rows > 0`).
    pub u: Vec<f64>,
    /// Right singular vector (length `cols`, unit norm when `cols > 0`).
    pub v: Vec<f64>,
    /// Lanczos steps taken (each one product with `A` and one with `Aᵀ`).
    pub iters: usize,
    /// `‖Aᵀu − σv‖` at return (`A v = σ u` holds to rounding by construction); at
    /// most `tol·σ` unless the restart limit was reached first.
    pub residual: f64,
}

/// The largest singular value of the row-major `rows × cols` matrix `a` and its
/// unit singular vectors, by Golub–Kahan–Lanczos bidiagonalization with full
/// reorthogonalization (`k = min(rows, cols, 32)` steps per restart) until
/// `‖Aᵀu − σv‖ ≤ tol·σ` or 64 restarts; then the best pair found is returned (check
/// [`SingularPair::residual`]). `start` (length `cols`) warm-starts it, e.g. with
/// the previous `v` in Frank–Wolfe; without it (or if it is zero) a fixed-seed
/// pseudo-random vector is used.
///
/// A zero matrix gives `sigma = 0` with some unit vectors (an empty dimension gives
/// an empty vector). Errors: `a.len() ≠ rows·cols` or a `start` of the wrong length
/// ([`Error::Shape`]), NaN or infinite entries ([`Error::NonFinite`]), a negative or
/// non-finite `tol` ([`Error::InvalidArgument`]), a failed small SVD
/// ([`Error::NoConvergence`]).
pub fn top_singular_pair(
    a: &[f64],
    rows: usize,
    cols: usize,
    start: Option<&[f64]>,
    tol: f64,
) -> Result<SingularPair> {
    top_pair("top_singular_pair", a, rows, cols, start, tol)
}

/// [`top_singular_pair`] reporting errors under the name `op`.
pub(crate) fn top_pair(
    op: &'static str,
    a: &[f64],
    rows: usize,
    cols: usize,
    start: Option<&[f64]>,
    tol: f64,
) -> Result<SingularPair> {
    if rows.checked_mul(cols) != Some(a.len()) {
        return Err(Error::Shape {
            op,
            left: vec![a.len()],
            right: vec![rows, cols],
            reason: "the matrix must have rows*cols entries (row-major)",
        });
    }
    if !(tol.is_finite() && tol >= 0.0) {
        return Err(Error::InvalidArgument {
            op,
            reason: format!("the tolerance must be finite and non-negative, got {tol}"),
        });
    }
    if !a.iter().all(|x| x.is_finite()) {
        return Err(Error::NonFinite { op });
    }
    if let Some(s) = start {
        if s.len() != cols {
            return Err(Error::Shape {
                op,
                left: vec![rows, cols],
                right: vec![s.len()],
                reason: "the start vector must have one entry per column",
            });
        }
        if !s.iter().all(|x| x.is_finite()) {
            return Err(Error::NonFinite { op });
        }
    }
    let mut rng = SplitMix(0x5EED_0F7A_1C0D_E5EE);
    let mut v0 = match start {
        Some(s) if norm2(s) > 0.0 => s.to_vec(),
        _ => rng.vector(cols),
    };
    normalize(&mut v0);
    let amax = a.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
    if amax == 0.0 {
        let mut u = vec![1.0; rows];
        normalize(&mut u);
        return Ok(SingularPair {
            sigma: 0.0,
            u,
            v: v0,
            iters: 0,
            residual: 0.0,
        });
    }
    // Work with A / max|a| when its scale is extreme, so that no product can
    // overflow or underflow.
    let scaled: Option<Vec<f64>> = if (1e-100..=1e100).contains(&amax) {
        None
    } else {
        Some(a.iter().map(|x| x / amax).collect())
    };
    let factor = if scaled.is_some() { amax } else { 1.0 };
    let m = Matrix {
        a: scaled.as_deref().unwrap_or(a),
        rows,
        cols,
    };
    let brk = 64.0 * f64::EPSILON * norm2(m.a);
    let k = rows.min(cols).min(MAX_STEPS);

    let mut iters = 0;
    let mut best: Option<(f64, Vec<f64>, Vec<f64>, f64)> = None;
    for _ in 0..MAX_RESTARTS {
        let (y, basis) = sweep(op, &m, &v0, k, brk, &mut rng, &mut iters)?;
        // v = V y, then u = A v / ‖A v‖ and σ = ‖A v‖.
        let mut v = vec![0.0; cols];
        for (yi, vi) in y.iter().zip(&basis) {
            for (o, x) in v.iter_mut().zip(vi) {
                *o += yi * x;
            }
        }
        normalize(&mut v);
        let mut u = m.mul(&v);
        let sigma = norm2(&u);
        if sigma.is_nan() || sigma <= brk {
            // The Krylov space saw only (numerically) null directions: start afresh.
            v0 = rng.vector(cols);
            normalize(&mut v0);
            continue;
        }
        u.iter_mut().for_each(|x| *x /= sigma);
        let w = m.mul_t(&u);
        let residual = norm2(
            &w.iter()
                .zip(&v)
                .map(|(wi, vi)| wi - sigma * vi)
                .collect::<Vec<_>>(),
        );
        let converged = residual <= tol * sigma;
        // σ does not decrease between sweeps except by rounding; among equal σ
        // prefer the smaller residual.
        let close = 4.0 * f64::EPSILON * sigma;
        let improved = converged
            || best
                .as_ref()
                .is_none_or(|b| sigma > b.0 + close || (sigma >= b.0 - close && residual < b.3));
        if improved {
            best = Some((sigma, u, v, residual));
        }
        if converged {
            break;
        }
        v0 = w;
        normalize(&mut v0);
    }
    match best {
        Some((sigma, u, v, residual)) => Ok(SingularPair {
            sigma: sigma * factor,
            u,
            v,
            iters,
            residual: residual * factor,
        }),
        // Only reachable if every sweep hit a numerically zero matrix.
        None => {
            let mut u = vec![1.0; rows];
            normalize(&mut u);
            Ok(SingularPair {
                sigma: 0.0,
                u,
                v: v0,
                iters,
                residual: 0.0,
            })
        }
    }
}

/// A borrowed row-major matrix.
struct Matrix<'a> {
    a: &'a [f64],
    rows: usize,
    cols: usize,
}

impl Matrix<'_> {
    /// `A x` (length `rows`).
    fn mul(&self, x: &[f64]) -> Vec<f64> {
        self.a.chunks(self.cols).map(|row| dot(row, x)).collect()
    }

    /// `Aᵀ y` (length `cols`).
    fn mul_t(&self, y: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.cols];
        for (row, &yi) in self.a.chunks(self.cols).zip(y) {
            for (o, x) in out.iter_mut().zip(row) {
                *o += yi * x;
            }
        }
        out
    }
}

/// One Golub–Kahan–Lanczos sweep from the unit vector `v1`: builds `A V = U B`
/// with `B` upper bidiagonal, then returns the right singular vector `y` of the
/// top singular value of `B` and the right basis `V` (as many vectors as `y`).
fn sweep(
    op: &'static str,
    m: &Matrix<'_>,
    v1: &[f64],
    k: usize,
    brk: f64,
    rng: &mut SplitMix,
    iters: &mut usize,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let mut us: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut vs: Vec<Vec<f64>> = vec![v1.to_vec()];
    let mut alpha = Vec::with_capacity(k);
    let mut beta: Vec<f64> = Vec::with_capacity(k);
    for j in 0..k {
        *iters += 1;
        let mut w = m.mul(&vs[j]);
        if j > 0 {
            let b = beta[j - 1];
            for (wi, ui) in w.iter_mut().zip(&us[j - 1]) {
                *wi -= b * ui;
            }
        }
        orthogonalize(&mut w, &us);
        let mut a = norm2(&w);
        if a.is_nan() || a <= brk {
            a = 0.0;
            match fresh(&us, m.rows, rng) {
                Some(f) => w = f,
                None => break,
            }
        } else {
            w.iter_mut().for_each(|x| *x /= a);
        }
        us.push(w);
        alpha.push(a);
        if j + 1 == k {
            break;
        }
        let mut z = m.mul_t(&us[j]);
        for (zi, vi) in z.iter_mut().zip(&vs[j]) {
            *zi -= a * vi;
        }
        orthogonalize(&mut z, &vs);
        let mut b = norm2(&z);
        if b.is_nan() || b <= brk {
            b = 0.0;
            match fresh(&vs, m.cols, rng) {
                Some(f) => z = f,
                None => break,
            }
        } else {
            z.iter_mut().for_each(|x| *x /= b);
        }
        vs.push(z);
        beta.push(b);
    }
    let n = us.len();
    vs.truncate(n);
    if n == 0 {
        return Ok((Vec::new(), vs));
    }
    let mut bmat = Mat::<f64>::zeros(n, n);
    for i in 0..n {
        bmat[(i, i)] = alpha[i];
        if i + 1 < n {
            bmat[(i, i + 1)] = beta[i];
        }
    }
    let f = FaerSvd::new(bmat.as_ref()).map_err(|_| Error::NoConvergence { op })?;
    let y: Vec<f64> = f.V().col(0).iter().copied().collect();
    Ok((y, vs))
}

/// Removes from `w` its components along the orthonormal `basis` (modified
/// Gram–Schmidt, twice).
fn orthogonalize(w: &mut [f64], basis: &[Vec<f64>]) {
    for _ in 0..2 {
        for q in basis {
            let c = dot(w, q);
            for (wi, qi) in w.iter_mut().zip(q) {
                *wi -= c * qi;
            }
        }
    }
}

/// A unit pseudo-random vector of length `n` orthogonal to `basis`, or `None`
/// when the basis already spans the space.
fn fresh(basis: &[Vec<f64>], n: usize, rng: &mut SplitMix) -> Option<Vec<f64>> {
    if basis.len() >= n {
        return None;
    }
    for _ in 0..4 {
        let mut w = rng.vector(n);
        let before = norm2(&w);
        orthogonalize(&mut w, basis);
        let after = norm2(&w);
        if after > 1e-6 * before {
            w.iter_mut().for_each(|x| *x /= after);
            return Some(w);
        }
    }
    None
}

/// Scales `x` to unit norm (leaves a zero vector alone).
fn normalize(x: &mut [f64]) {
    let n = norm2(x);
    if n > 0.0 {
        x.iter_mut().for_each(|xi| *xi /= n);
    }
}

/// SplitMix64: the fixed-seed generator of start and restart vectors.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Uniform in [−1, 1).
        (z >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0
    }

    fn vector(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

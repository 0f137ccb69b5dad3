//! Restarted GMRES(m): Arnoldi with modified Gram–Schmidt, the Hessenberg
//! least-squares problem reduced by Givens rotations as it grows.
//!
//! Each cycle starts from the true residual `b − A x`; the Krylov basis (m + 1
//! vectors) is allocated once. The rotated residual estimate ends a cycle early
//! when it reaches the tolerance; convergence is then confirmed on the true
//! residual at the start of the next cycle.

use super::kernels::{axpy, dot, norm};
use super::{IterResult, Operator, Status, check_system, finish, true_residual, zero_solution};
use crate::error::{Error, Result};

/// A Givens rotation `[c s; −s c]` that zeroes `b` in `(a, b)`; returns `(c, s, r)`.
pub(crate) fn givens(a: f64, b: f64) -> (f64, f64, f64) {
    if b == 0.0 {
        return (1.0, 0.0, a);
    }
    let r = a.hypot(b);
    (a / r, b / r, r)
}

/// Solves the upper triangular `k × k` system `R y = g` stored column-wise in
/// `h` (`h[j][i]` is row `i` of column `j`); `None` when a diagonal entry is zero.
pub(crate) fn back_substitute(h: &[Vec<f64>], g: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut y = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = g[i];
        for (j, yj) in y.iter().enumerate().take(k).skip(i + 1) {
            s -= h[j][i] * yj;
        }
        let d = h[i][i];
        if d == 0.0 || !d.is_finite() {
            return None;
        }
        y[i] = s / d;
    }
    Some(y)
}

/// Solves `A x = b` by GMRES restarted every `restart` Arnoldi steps, from
/// `x = 0`, until `‖b − A x‖ / ‖b‖ <= tol` or `max_iters` Arnoldi steps in all.
///
/// A Krylov space that becomes invariant without solving the system (a
/// singular `A` with `b` outside its range) stops with [`Status::Breakdown`].
pub fn gmres(
    a: &dyn Operator,
    b: &[f64],
    restart: usize,
    tol: f64,
    max_iters: usize,
) -> Result<IterResult> {
    const OP: &str = "gmres";
    let bnorm = check_system(OP, a, b, tol)?;
    if restart == 0 {
        return Err(Error::InvalidArgument {
            op: OP,
            reason: "restart must be at least 1".into(),
        });
    }
    let n = a.n();
    if bnorm == 0.0 {
        return Ok(zero_solution(n));
    }
    let m = restart.min(n.max(1));
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut basis: Vec<Vec<f64>> = (0..=m).map(|_| vec![0.0; n]).collect();
    let mut h: Vec<Vec<f64>> = (0..m).map(|_| vec![0.0; m + 1]).collect();
    let (mut cs, mut sn) = (vec![0.0; m], vec![0.0; m]);
    let mut g = vec![0.0; m + 1];
    let mut w = vec![0.0; n];
    let mut iters = 0usize;
    let mut matvecs = 0usize;
    let mut first = true;
    let mut last_invariant = false;
    let status = loop {
        let rel = if first {
            first = false;
            1.0
        } else {
            matvecs += 1;
            true_residual(a, b, &x, &mut r, bnorm)
        };
        if !rel.is_finite() {
            break Status::NonFinite;
        }
        if rel <= tol {
            return Ok(IterResult {
                x,
                iters,
                residual: rel,
                status: Status::Converged,
                matvecs,
            });
        }
        if last_invariant {
            // The Krylov space was invariant yet did not contain the solution.
            break Status::Breakdown;
        }
        if iters >= max_iters {
            break Status::MaxIters;
        }
        let beta = norm(&r);
        for (v, ri) in basis[0].iter_mut().zip(&r) {
            *v = ri / beta;
        }
        g.iter_mut().for_each(|v| *v = 0.0);
        g[0] = beta;
        let mut k = 0;
        let mut invariant = false;
        while k < m && iters < max_iters {
            a.apply(&basis[k], &mut w);
            matvecs += 1;
            iters += 1;
            let wnorm = norm(&w);
            let col = &mut h[k];
            for (i, v) in basis.iter().enumerate().take(k + 1) {
                let hij = dot(&w, v);
                col[i] = hij;
                axpy(-hij, v, &mut w);
            }
            let hnext = norm(&w);
            for i in 0..k {
                let (c, s) = (cs[i], sn[i]);
                let (u, v) = (col[i], col[i + 1]);
                col[i] = c * u + s * v;
                col[i + 1] = -s * u + c * v;
            }
            let (c, s, rkk) = givens(col[k], hnext);
            col[k] = rkk;
            col[k + 1] = 0.0;
            cs[k] = c;
            sn[k] = s;
            g[k + 1] = -s * g[k];
            g[k] *= c;
            k += 1;
            if !hnext.is_finite() || !g[k].is_finite() {
                break;
            }
            if hnext <= f64::EPSILON * wnorm {
                invariant = true;
                break;
            }
            for (v, wi) in basis[k].iter_mut().zip(&w) {
                *v = wi / hnext;
            }
            if g[k].abs() <= tol * bnorm {
                break;
            }
        }
        let Some(y) = back_substitute(&h, &g, k) else {
            break Status::Breakdown;
        };
        if y.iter().any(|v| !v.is_finite()) {
            break Status::NonFinite;
        }
        for (j, yj) in y.iter().enumerate() {
            axpy(*yj, &basis[j], &mut x);
        }
        last_invariant = invariant;
    };
    Ok(finish(a, b, x, &mut r, bnorm, (iters, matvecs), status))
}

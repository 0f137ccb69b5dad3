//! Frank–Wolfe on `½‖P_Ω(X − M)‖²` over the nuclear-norm ball `‖X‖_* ≤ τ` (Jaggi
//! 2013): the linear oracle is `−τ u₁v₁ᵀ` for the top singular pair of the sparse
//! gradient `P_Ω(X − M)` (randomized subspace iteration, warm-started from the
//! previous step's block), the step is the exact line search of the quadratic,
//! and `X` is kept as its weighted rank-one atoms plus its values on Ω. The
//! Frank–Wolfe gap `⟨∇f, X − S⟩ ≥ f(X) − f*` is the stopping test. At the end the
//! atoms are compressed to the best rank-`rank` approximation of `X`.

use super::observed::Observed;
use super::subspace::top_svd;
use super::{Completion, CompletionMethod, CompletionOptions, balanced, relative_observed};
use crate::Status;
use crate::error::{Error, Result};

/// Block size and power rounds of the oracle's subspace iteration.
const ORACLE_BLOCK: usize = 4;
const ORACLE_POWER: usize = 3;

/// The default radius: the sum of the top-`rank` singular values of `P_Ω(M)/p`.
fn default_radius(obs: &Observed, rank: usize, seed: u64) -> Result<f64> {
    let p = obs.len() as f64 / (obs.rows as f64 * obs.cols as f64);
    let scaled: Vec<f64> = obs.values.iter().map(|v| v / p).collect();
    let top = top_svd(obs, &scaled, rank, rank + 10, 4, None, seed).ok_or(Error::Invalid {
        op: "complete",
        reason: "the SVD for the default radius failed".into(),
    })?;
    Ok(top.s.iter().sum())
}

/// `complete(..., method = "nuclear_fw")`.
pub(crate) fn nuclear_fw(obs: &Observed, o: &CompletionOptions) -> Result<Completion> {
    let tau = match o.radius {
        Some(t) => t,
        None => default_radius(obs, o.rank, o.seed)?,
    };
    let nnz = obs.len();
    let f_zero = 0.5 * crate::dense::sq_norm(&obs.values);
    let mut x = vec![0.0; nnz];
    let (mut atoms_u, mut atoms_v, mut weights): (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut warm = None;
    let (mut iters, mut status) = (0, Status::MaxIters);
    let mut g = vec![0.0; nnz];
    let mut s = vec![0.0; nnz];
    while iters < o.max_iters {
        iters += 1;
        for p in 0..nnz {
            g[p] = x[p] - obs.values[p];
        }
        let Some(top) = top_svd(
            obs,
            &g,
            1,
            ORACLE_BLOCK,
            ORACLE_POWER,
            warm.as_ref(),
            o.seed,
        ) else {
            status = Status::Diverged;
            break;
        };
        let (u1, v1): (Vec<f64>, Vec<f64>) = (
            (0..obs.rows).map(|i| -top.u[(i, 0)]).collect(),
            (0..obs.cols).map(|j| top.v[(j, 0)]).collect(),
        );
        warm = Some(top.block);
        for i in 0..obs.rows {
            for p in obs.row_ptr[i]..obs.row_ptr[i + 1] {
                s[p] = tau * u1[i] * v1[obs.col_idx[p] as usize];
            }
        }
        let (mut gap, mut gd, mut dd) = (0.0, 0.0, 0.0);
        for p in 0..nnz {
            let d = s[p] - x[p];
            gap -= g[p] * d;
            gd += g[p] * d;
            dd += d * d;
        }
        if !gap.is_finite() {
            status = Status::Diverged;
            break;
        }
        if gap <= o.tol * f_zero.max(f64::MIN_POSITIVE) {
            status = Status::Converged;
            iters -= 1;
            break;
        }
        let gamma = if dd > 0.0 {
            (-gd / dd).clamp(0.0, 1.0)
        } else {
            0.0
        };
        for p in 0..nnz {
            x[p] += gamma * (s[p] - x[p]);
        }
        weights.iter_mut().for_each(|w| *w *= 1.0 - gamma);
        atoms_u.push(u1);
        atoms_v.push(v1);
        weights.push(gamma * tau);
    }
    let t = weights.len();
    let (u, v) = if t == 0 {
        (
            faer::Mat::zeros(obs.rows, o.rank),
            faer::Mat::zeros(obs.cols, o.rank),
        )
    } else {
        let mut uw = vec![0.0; obs.rows * t];
        let mut vw = vec![0.0; obs.cols * t];
        for (a, w) in weights.iter().enumerate() {
            for i in 0..obs.rows {
                uw[i * t + a] = w * atoms_u[a][i];
            }
            for j in 0..obs.cols {
                vw[j * t + a] = atoms_v[a][j];
            }
        }
        balanced(&uw, &vw, obs.rows, obs.cols, t, o.rank)
    };
    let k = u.ncols();
    let (ur, vr) = (
        crate::dense::row_major(u.as_ref()),
        crate::dense::row_major(v.as_ref()),
    );
    let rel = relative_observed(obs, &ur, &vr, k);
    if !rel.is_finite() {
        status = Status::Diverged;
    }
    Ok(Completion::new(
        u,
        v,
        rel,
        iters,
        status,
        CompletionMethod::NuclearFw,
    ))
}

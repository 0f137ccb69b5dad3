//! Alternating minimization for matrix completion (Jain, Netrapalli & Sanghavi
//! 2013), with the robust start of the AltMin analyses: the top-`rank` singular
//! vectors of `P_Ω(M)/p`, rows of large norm scaled down to the incoherence bound
//! `2·sqrt(4·rank/m)` and re-orthonormalized.
//!
//! Each half-sweep solves one `rank × rank` least-squares problem per row of `V`
//! (then of `U`) over that row's observed entries, in parallel over fixed blocks
//! of rows (each row's solve is independent, so the bits do not depend on the
//! thread count).

use super::observed::{Observed, ROWS_PER_TASK};
use super::subspace::top_svd;
use super::{Completion, CompletionMethod, CompletionOptions, balanced, relative_observed};
use crate::Status;
use crate::dense::{orthonormalize, spd_solve};
use crate::error::{Error, Result};
use faer::Mat;
use rayon::prelude::*;

/// Extra columns of the randomized start's block, and its power rounds.
const OVERSAMPLING: usize = 10;
const POWER_ROUNDS: usize = 4;

/// One half-sweep: for each of `count` rows (entries `ptr[i]..ptr[i + 1]` of `idx`,
/// values `val(p)`), the least-squares row against the fixed factor `other`
/// (row-major, `rank` columns), ridge `ridge`.
#[allow(clippy::too_many_arguments)]
fn solve_rows(
    count: usize,
    ptr: &[usize],
    idx: &[u32],
    val: &(dyn Fn(usize) -> f64 + Sync),
    other: &[f64],
    rank: usize,
    ridge: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; count * rank];
    out.par_chunks_mut(ROWS_PER_TASK * rank)
        .enumerate()
        .for_each(|(t, block)| {
            let mut g = vec![0.0; rank * rank];
            for (r, row) in block.chunks_mut(rank).enumerate() {
                let i = t * ROWS_PER_TASK + r;
                g.fill(0.0);
                row.fill(0.0);
                for p in ptr[i]..ptr[i + 1] {
                    let o = &other[idx[p] as usize * rank..][..rank];
                    let v = val(p);
                    for a in 0..rank {
                        let oa = o[a];
                        row[a] += v * oa;
                        let ga = &mut g[a * rank..(a + 1) * rank];
                        for (gab, ob) in ga.iter_mut().zip(o) {
                            *gab += oa * ob;
                        }
                    }
                }
                if !spd_solve(&mut g, row, rank, ridge) {
                    row.fill(f64::NAN);
                }
            }
        });
    out
}

/// The start: top singular vectors of `P_Ω(M)/p`, clipped and re-orthonormalized.
fn start(obs: &Observed, rank: usize, seed: u64) -> Result<Vec<f64>> {
    let p = obs.len() as f64 / (obs.rows as f64 * obs.cols as f64);
    let scaled: Vec<f64> = obs.values.iter().map(|v| v / p).collect();
    let top = top_svd(
        obs,
        &scaled,
        rank,
        rank + OVERSAMPLING,
        POWER_ROUNDS,
        None,
        seed,
    )
    .ok_or(Error::Invalid {
        op: "complete",
        reason: "the starting SVD failed".into(),
    })?;
    let bound = 2.0 * (4.0 * rank as f64 / obs.rows as f64).sqrt();
    let mut u = top.u;
    for i in 0..u.nrows() {
        let norm = u.row(i).norm_l2();
        if norm > bound {
            for c in 0..rank {
                u[(i, c)] *= bound / norm;
            }
        }
    }
    let q = orthonormalize(u.as_ref());
    Ok(crate::dense::row_major(q.as_ref()))
}

/// `complete(..., method = "altmin")`.
pub(crate) fn altmin(obs: &Observed, o: &CompletionOptions) -> Result<Completion> {
    let r = o.rank;
    let mut u = start(obs, r, o.seed)?;
    let mut v = vec![0.0; obs.cols * r];
    let by_row = |p: usize| obs.values[p];
    let by_col = |q: usize| obs.values[obs.at[q]];
    let (mut previous, mut iters, mut status, mut rel) =
        (f64::INFINITY, 0, Status::MaxIters, f64::NAN);
    while iters < o.max_iters {
        iters += 1;
        v = solve_rows(
            obs.cols,
            &obs.col_ptr,
            &obs.row_idx,
            &by_col,
            &u,
            r,
            o.ridge,
        );
        u = solve_rows(
            obs.rows,
            &obs.row_ptr,
            &obs.col_idx,
            &by_row,
            &v,
            r,
            o.ridge,
        );
        rel = relative_observed(obs, &u, &v, r);
        if !rel.is_finite() {
            status = Status::Diverged;
            break;
        }
        if rel <= o.tol || (previous - rel).abs() <= o.tol * rel {
            status = Status::Converged;
            break;
        }
        previous = rel;
    }
    let (u, v) = if status == Status::Diverged {
        (
            Mat::from_fn(obs.rows, r, |i, c| u[i * r + c]),
            Mat::from_fn(obs.cols, r, |j, c| v[j * r + c]),
        )
    } else {
        balanced(&u, &v, obs.rows, obs.cols, r, r)
    };
    Ok(Completion::new(
        u,
        v,
        rel,
        iters,
        status,
        CompletionMethod::AltMin,
    ))
}

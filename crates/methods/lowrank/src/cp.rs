//! CANDECOMP/PARAFAC by alternating least squares (Kolda & Bader 2009, §3.4):
//! `X ≈ Σᵣ λᵣ a⁽⁰⁾ᵣ ∘ a⁽¹⁾ᵣ ∘ ⋯`.
//!
//! Each sweep updates every factor in turn from its normal equations
//! `Aₙ (∘_{m≠n} AₘᵀAₘ) = X₍ₙ₎ (⊙_{m≠n} Aₘ)` (MTTKRP on the dense tensor, one
//! `rank × rank` Cholesky) and moves the column norms into the weights. The start
//! is the leading eigenvectors of each unfolding's Gram matrix (tensorly's
//! `init = "svd"`), with seeded Gaussian columns where `rank` exceeds a mode's
//! size. The error is tracked from the Gram matrices and the last MTTKRP (no
//! reconstruction per sweep) and computed exactly at the end. Components are
//! returned by decreasing weight, each factor column signed so that its entry of
//! largest magnitude is positive (the last mode takes the compensating sign).

use crate::Status;
use crate::dense::{mul_tn, top_eigenvectors};
use crate::error::{Error, Result};
use crate::modes::Dense;
use crate::tucker::{Decomposition, data, matrix, relative, tensor, tucker_full};
use faer::{Mat, Side};

/// The settings of [`cp`].
#[derive(Clone, Copy, Debug)]
pub struct CpOptions {
    pub max_iters: usize,
    /// Stop when the relative error changes by at most this much in a sweep.
    pub tol: f64,
    pub seed: u64,
}

impl Default for CpOptions {
    fn default() -> Self {
        CpOptions {
            max_iters: 200,
            tol: 1e-10,
            seed: 0,
        }
    }
}

/// The starting factor of mode `n`: leading Gram eigenvectors, padded with seeded
/// Gaussian columns.
fn start(x: &Dense, n: usize, rank: usize, seed: u64) -> Result<Mat<f64>> {
    let dim = x.shape[n];
    let g = x.unfolding_gram(n);
    let (u, _) = top_eigenvectors(g.as_ref(), rank.min(dim)).ok_or(Error::Invalid {
        op: "cp",
        reason: "the eigensolver failed on an unfolding".into(),
    })?;
    if u.ncols() == rank {
        return Ok(u);
    }
    let noise = optl_tensor::randn(&[dim, rank], seed.wrapping_add(n as u64), usize::MAX)
        .expect("a [dim, rank] draw fits");
    Ok(Mat::from_fn(dim, rank, |i, c| {
        if c < u.ncols() {
            u[(i, c)]
        } else {
            noise[[i, c]]
        }
    }))
}

/// `Aₙ = M V⁻¹` for the symmetric positive semidefinite `V` (ridge-regularized
/// when singular); `None` on NaN.
fn solve_normal(m: &Mat<f64>, v: &Mat<f64>) -> Option<Mat<f64>> {
    let rank = v.nrows();
    let trace: f64 = (0..rank).map(|i| v[(i, i)]).sum();
    for ridge in [0.0, 1e-12 * trace / rank as f64, 1e-8 * trace / rank as f64] {
        let vr = Mat::from_fn(rank, rank, |i, j| {
            v[(i, j)] + if i == j { ridge } else { 0.0 }
        });
        if let Ok(llt) = vr.llt(Side::Lower) {
            use faer::linalg::solvers::Solve;
            let sol = llt.solve(m.transpose());
            let a = sol.transpose().to_owned();
            if a.col_iter().all(|c| c.iter().all(|x| x.is_finite())) {
                return Some(a);
            }
        }
    }
    None
}

/// The CP decomposition of `x` with `rank` components.
pub fn cp(x: &Tensor, rank: usize, o: &CpOptions) -> Result<Decomposition> {
    let x = data("cp", x)?;
    if x.shape.len() < 2 {
        return Err(Error::Shape {
            op: "cp",
            reason: format!(
                "the data of shape {:?} has one mode; CP needs at least two",
                x.shape
            ),
        });
    }
    if rank == 0 {
        return Err(Error::Rank {
            op: "cp",
            rank,
            max: usize::MAX,
            what: "the decomposition".into(),
        });
    }
    let total: usize = x.shape.iter().product();
    if rank > total {
        return Err(Error::Rank {
            op: "cp",
            rank,
            max: total,
            what: format!("a tensor of {total} entries"),
        });
    }
    if o.max_iters == 0 || !(o.tol >= 0.0) {
        return Err(Error::Invalid {
            op: "cp",
            reason: format!(
                "max_iters must be at least 1 and tol non-negative (got {} and {})",
                o.max_iters, o.tol
            ),
        });
    }
    let k = x.shape.len();
    let mut a: Vec<Mat<f64>> = Vec::with_capacity(k);
    for n in 0..k {
        a.push(start(&x, n, rank, o.seed)?);
    }
    let mut grams: Vec<Mat<f64>> = a.iter().map(|f| mul_tn(f.as_ref(), f.as_ref())).collect();
    let mut weights = vec![1.0; rank];
    let norm_x = x.sq_norm().sqrt();
    let (mut previous, mut iters, mut status) = (f64::INFINITY, 0, Status::MaxIters);
    while iters < o.max_iters {
        iters += 1;
        let mut inner = 0.0;
        for n in 0..k {
            let mut v = Mat::<f64>::from_fn(rank, rank, |_, _| 1.0);
            for (m, g) in grams.iter().enumerate() {
                if m != n {
                    v = Mat::from_fn(rank, rank, |i, j| v[(i, j)] * g[(i, j)]);
                }
            }
            let mttkrp = x.mttkrp(n, &a);
            let Some(mut an) = solve_normal(&mttkrp, &v) else {
                status = Status::Diverged;
                break;
            };
            for c in 0..rank {
                let norm = an.col(c).norm_l2();
                weights[c] = if norm > 0.0 { norm } else { 1.0 };
                for i in 0..an.nrows() {
                    an[(i, c)] /= weights[c];
                }
            }
            if n + 1 == k {
                inner = (0..rank)
                    .map(|c| {
                        weights[c]
                            * (0..an.nrows())
                                .map(|i| mttkrp[(i, c)] * an[(i, c)])
                                .sum::<f64>()
                    })
                    .sum();
            }
            grams[n] = mul_tn(an.as_ref(), an.as_ref());
            a[n] = an;
        }
        if status == Status::Diverged {
            break;
        }
        let mut norm_hat = 0.0;
        for i in 0..rank {
            for j in 0..rank {
                let g: f64 = grams.iter().map(|g| g[(i, j)]).product();
                norm_hat += weights[i] * weights[j] * g;
            }
        }
        let err2 = (norm_x * norm_x - 2.0 * inner + norm_hat).max(0.0);
        let rel = relative(norm_x, err2.sqrt());
        if !rel.is_finite() {
            status = Status::Diverged;
            break;
        }
        if (previous - rel).abs() <= o.tol {
            status = Status::Converged;
            break;
        }
        previous = rel;
    }
    finish(&x, a, weights, norm_x, iters, status)
}

/// Orders the components by weight, fixes signs, and measures the exact error.
fn finish(
    x: &Dense,
    a: Vec<Mat<f64>>,
    weights: Vec<f64>,
    norm_x: f64,
    iters: usize,
    mut status: Status,
) -> Result<Decomposition> {
    let rank = weights.len();
    let mut order: Vec<usize> = (0..rank).collect();
    order.sort_by(|&i, &j| weights[j].total_cmp(&weights[i]).then(i.cmp(&j)));
    let k = a.len();
    let mut factors: Vec<Mat<f64>> = a
        .iter()
        .map(|f| Mat::from_fn(f.nrows(), rank, |i, c| f[(i, order[c])]))
        .collect();
    for c in 0..rank {
        for n in 0..k - 1 {
            let col = factors[n].col(c);
            let big = col
                .iter()
                .fold(0.0f64, |b, &v| if v.abs() > b.abs() { v } else { b });
            if big < 0.0 {
                for i in 0..factors[n].nrows() {
                    factors[n][(i, c)] = -factors[n][(i, c)];
                }
                for i in 0..factors[k - 1].nrows() {
                    factors[k - 1][(i, c)] = -factors[k - 1][(i, c)];
                }
            }
        }
    }
    let core = tensor(&[rank], order.iter().map(|&i| weights[i]).collect());
    let factors: Vec<Tensor> = factors.iter().map(matrix).collect();
    let full = tucker_full(&core, &factors)?;
    let err = x
        .data
        .iter()
        .zip(full.iter())
        .map(|(p, q)| (p - q) * (p - q))
        .sum::<f64>()
        .sqrt();
    let rel_error = relative(norm_x, err);
    if !rel_error.is_finite() {
        status = Status::Diverged;
    }
    Ok(Decomposition {
        core,
        factors,
        rel_error,
        iters,
        status,
    })
}

use optl_tensor::Tensor;

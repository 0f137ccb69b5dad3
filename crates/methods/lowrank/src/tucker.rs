//! Tucker decomposition `X ≈ G ×₀ U₀ ×₁ U₁ ⋯` by HOSVD (De Lathauwer, De Moor &
//! Vandewalle 2000) or HOOI (higher-order orthogonal iteration, De Lathauwer et al.
//! 2000b, from the HOSVD), and the reconstruction [`tucker_full`] of a Tucker or CP
//! decomposition.
//!
//! Each factor is the leading eigenvectors of the Gram matrix of an unfolding —
//! of `X` for HOSVD, of `X` multiplied by the other factors' transposes for HOOI —
//! so no unfolding is ever copied and no SVD of a wide matrix is taken. Factor
//! columns are signed so that their entry of largest magnitude is positive
//! (reproducible factors). The relative error is tracked during HOOI as
//! `sqrt(‖X‖² − ‖G‖²)/‖X‖` (exact for orthonormal factors) and computed at the end
//! from the reconstruction, so it stays accurate when it is tiny.

use crate::Status;
use crate::dense::{row_major, top_eigenvectors};
use crate::error::{Error, Result, finite};
use crate::modes::{Dense, khatri_rao};
use faer::Mat;
use optl_tensor::Tensor;

/// How [`tucker`] computes the factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TuckerMethod {
    Hosvd,
    Hooi,
}

/// The settings of [`tucker`].
#[derive(Clone, Copy, Debug)]
pub struct TuckerOptions {
    pub method: TuckerMethod,
    pub max_iters: usize,
    /// Stop when the relative error changes by at most this much.
    pub tol: f64,
}

impl Default for TuckerOptions {
    fn default() -> Self {
        TuckerOptions {
            method: TuckerMethod::Hooi,
            max_iters: 100,
            tol: 1e-10,
        }
    }
}

/// A decomposition: for Tucker a core of shape `ranks` and orthonormal factors
/// `[Iₙ, ranks[n]]`; for CP the weights (a vector) and unit-column factors.
#[derive(Clone, Debug, PartialEq)]
pub struct Decomposition {
    pub core: Tensor,
    pub factors: Vec<Tensor>,
    /// `‖X − X̂‖ / ‖X‖` (0 for a zero tensor reconstructed exactly).
    pub rel_error: f64,
    pub iters: usize,
    pub status: Status,
}

/// Checks the data tensor: at least one mode, no empty mode, finite entries.
pub(crate) fn data(op: &'static str, x: &Tensor) -> Result<Dense> {
    if x.ndim() == 0 {
        return Err(Error::Shape {
            op,
            reason: "the data is a scalar; it needs at least one mode".into(),
        });
    }
    if x.is_empty() {
        return Err(Error::Shape {
            op,
            reason: format!("the data of shape {:?} is empty", x.shape()),
        });
    }
    let data: Vec<f64> = x.iter().copied().collect();
    finite(op, "the data", &data)?;
    Ok(Dense {
        shape: x.shape().to_vec(),
        data,
    })
}

/// Checks one rank per mode, each in `1..=Iₙ`.
fn check_ranks(x: &Dense, ranks: &[usize]) -> Result<()> {
    if ranks.len() != x.shape.len() {
        return Err(Error::Shape {
            op: "tucker",
            reason: format!(
                "{} ranks for a tensor of {} modes (shape {:?}): give one rank per mode",
                ranks.len(),
                x.shape.len(),
                x.shape
            ),
        });
    }
    for (n, (&r, &dim)) in ranks.iter().zip(&x.shape).enumerate() {
        if r == 0 || r > dim {
            return Err(Error::Rank {
                op: "tucker",
                rank: r,
                max: dim,
                what: format!("mode {n} (of size {dim})"),
            });
        }
    }
    Ok(())
}

/// Flips columns so that each one's entry of largest magnitude is positive.
pub(crate) fn fix_signs(u: &mut Mat<f64>) {
    for c in 0..u.ncols() {
        let mut best = 0.0f64;
        for i in 0..u.nrows() {
            if u[(i, c)].abs() > best.abs() {
                best = u[(i, c)];
            }
        }
        if best < 0.0 {
            for i in 0..u.nrows() {
                u[(i, c)] = -u[(i, c)];
            }
        }
    }
}

/// The leading `rank` eigenvectors of the mode-`n` unfolding Gram of `y`.
fn leading(y: &Dense, n: usize, rank: usize) -> Result<Mat<f64>> {
    let g = y.unfolding_gram(n);
    let (mut u, _) = top_eigenvectors(g.as_ref(), rank).ok_or(Error::Invalid {
        op: "tucker",
        reason: "the eigensolver failed on an unfolding (NaN in the data?)".into(),
    })?;
    fix_signs(&mut u);
    Ok(u)
}

/// `X` multiplied along every mode except `skip` by the transposed factor.
fn project_except(x: &Dense, factors: &[Mat<f64>], skip: Option<usize>) -> Dense {
    // Apply the most size-reducing products first: fewer flops in the later ones.
    let mut order: Vec<usize> = (0..factors.len()).filter(|&m| Some(m) != skip).collect();
    order.sort_by(|&a, &b| {
        let ra = factors[a].ncols() as f64 / x.shape[a] as f64;
        let rb = factors[b].ncols() as f64 / x.shape[b] as f64;
        ra.total_cmp(&rb).then(a.cmp(&b))
    });
    let mut y = x.clone();
    for m in order {
        y = y.mode_product(m, factors[m].transpose());
    }
    y
}

/// The Tucker decomposition of `x` with the given multilinear `ranks`.
pub fn tucker(x: &Tensor, ranks: &[usize], o: &TuckerOptions) -> Result<Decomposition> {
    let x = data("tucker", x)?;
    check_ranks(&x, ranks)?;
    if o.max_iters == 0 || !(o.tol >= 0.0) {
        return Err(Error::Invalid {
            op: "tucker",
            reason: format!(
                "max_iters must be at least 1 and tol non-negative (got {} and {})",
                o.max_iters, o.tol
            ),
        });
    }
    let k = ranks.len();
    let mut factors = Vec::with_capacity(k);
    for (n, &r) in ranks.iter().enumerate() {
        factors.push(leading(&x, n, r)?);
    }
    let norm_x = x.sq_norm().sqrt();
    let (mut iters, mut status) = (1, Status::Converged);
    if o.method == TuckerMethod::Hooi {
        let mut previous = f64::INFINITY;
        status = Status::MaxIters;
        iters = 0;
        while iters < o.max_iters {
            iters += 1;
            let mut core_sq = 0.0;
            for n in 0..k {
                let y = project_except(&x, &factors, Some(n));
                factors[n] = leading(&y, n, ranks[n])?;
                if n + 1 == k {
                    core_sq = y.mode_product(n, factors[n].transpose()).sq_norm();
                }
            }
            let rel = relative(norm_x, (norm_x * norm_x - core_sq).max(0.0).sqrt());
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
    }
    let core = project_except(&x, &factors, None);
    let rel_error = relative(norm_x, residual_norm(&x, &core, &factors));
    if !rel_error.is_finite() {
        status = Status::Diverged;
    }
    Ok(Decomposition {
        core: tensor(&core.shape, core.data),
        factors: factors.iter().map(matrix).collect(),
        rel_error,
        iters,
        status,
    })
}

/// `err / ‖X‖`, 0 when both are 0.
pub(crate) fn relative(norm_x: f64, err: f64) -> f64 {
    if norm_x == 0.0 {
        if err == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        err / norm_x
    }
}

/// `‖X − core ×ₙ factors‖`.
fn residual_norm(x: &Dense, core: &Dense, factors: &[Mat<f64>]) -> f64 {
    let mut y = core.clone();
    for (n, f) in factors.iter().enumerate() {
        y = y.mode_product(n, f.as_ref());
    }
    x.data
        .iter()
        .zip(&y.data)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

pub(crate) fn tensor(shape: &[usize], data: Vec<f64>) -> Tensor {
    optl_tensor::from_vec(shape, data).expect("the data fills its shape")
}

pub(crate) fn matrix(m: &Mat<f64>) -> Tensor {
    tensor(&[m.nrows(), m.ncols()], row_major(m.as_ref()))
}

/// A 2-d tensor as a faer matrix.
pub(crate) fn mat(t: &Tensor) -> Mat<f64> {
    let (r, c) = (t.shape()[0], t.shape()[1]);
    Mat::from_fn(r, c, |i, j| t[[i, j]])
}

/// Rebuilds the tensor of a decomposition: `core ×₀ F₀ ×₁ F₁ ⋯` for a Tucker core
/// with one factor per mode (`Fₙ` of shape `[Iₙ, core.shape[n]]`), or
/// `Σᵣ core[r] F₀[:, r] ∘ F₁[:, r] ∘ ⋯` when `core` is a vector of CP weights and
/// there are at least two factors of `core.len()` columns each.
pub fn tucker_full(core: &Tensor, factors: &[Tensor]) -> Result<Tensor> {
    const OP: &str = "tucker_full";
    for (n, f) in factors.iter().enumerate() {
        if f.ndim() != 2 {
            return Err(Error::Shape {
                op: OP,
                reason: format!("factor {n} has shape {:?}; factors are matrices", f.shape()),
            });
        }
    }
    let cp = core.ndim() == 1 && factors.len() >= 2;
    if cp {
        let rank = core.len();
        if let Some((n, f)) = factors
            .iter()
            .enumerate()
            .find(|(_, f)| f.shape()[1] != rank)
        {
            return Err(Error::Shape {
                op: OP,
                reason: format!(
                    "factor {n} has {} columns but the CP weights have {rank} entries",
                    f.shape()[1]
                ),
            });
        }
        let mats: Vec<Mat<f64>> = factors.iter().map(mat).collect();
        let first = Mat::from_fn(mats[0].nrows(), rank, |i, r| mats[0][(i, r)] * core[[r]]);
        let rest = khatri_rao(&mats[1..], rank);
        let full = crate::dense::mul(first.as_ref(), rest.transpose());
        let shape: Vec<usize> = mats.iter().map(|m| m.nrows()).collect();
        return Ok(tensor(&shape, row_major(full.as_ref())));
    }
    if factors.len() != core.ndim() {
        return Err(Error::Shape {
            op: OP,
            reason: format!(
                "{} factors for a core of {} modes (shape {:?}): give one factor per mode",
                factors.len(),
                core.ndim(),
                core.shape()
            ),
        });
    }
    for (n, f) in factors.iter().enumerate() {
        if f.shape()[1] != core.shape()[n] {
            return Err(Error::Shape {
                op: OP,
                reason: format!(
                    "factor {n} has shape {:?} but mode {n} of the core has size {}",
                    f.shape(),
                    core.shape()[n]
                ),
            });
        }
    }
    let mut y = Dense {
        shape: core.shape().to_vec(),
        data: core.iter().copied().collect(),
    };
    for (n, f) in factors.iter().enumerate() {
        y = y.mode_product(n, mat(f).as_ref());
    }
    Ok(tensor(&y.shape, y.data))
}

//! The leading singular triples of a sparse matrix on the observed pattern by
//! randomized subspace iteration (Halko, Martinsson & Tropp 2011, Alg. 4.4): a
//! block of `k + oversampling` seeded Gaussian (or warm-start) columns, `power`
//! rounds of orthonormalized products with `S` and `Sᵀ`, then the SVD of the small
//! projected matrix. Only products with the sparse matrix are used.

use super::observed::Observed;
use crate::dense::{mul, orthonormalize};
use faer::Mat;

/// The leading `k` singular triples `S ≈ U diag(s) Vᵀ`.
pub(crate) struct TopSvd {
    /// `[rows, k]`, orthonormal columns.
    pub u: Mat<f64>,
    /// Descending.
    pub s: Vec<f64>,
    /// `[cols, k]`, orthonormal columns.
    pub v: Mat<f64>,
    /// The whole right block of the last round (`[cols, block]`), to warm-start
    /// the next call.
    pub block: Mat<f64>,
}

/// The top `k` singular triples of the sparse matrix with pattern `obs` and
/// entries `vals`, from a block of `block ≥ k` columns (`start` if given, else
/// seeded Gaussian) and `power` rounds; `None` on a failed small SVD (NaN).
pub(crate) fn top_svd(
    obs: &Observed,
    vals: &[f64],
    k: usize,
    block: usize,
    power: usize,
    start: Option<&Mat<f64>>,
    seed: u64,
) -> Option<TopSvd> {
    let b = block.max(k).min(obs.rows.min(obs.cols)).max(1);
    let omega = match start {
        Some(s) if s.nrows() == obs.cols && s.ncols() == b => s.clone(),
        _ => {
            let g = optl_tensor::randn(&[obs.cols, b], seed, usize::MAX).ok()?;
            Mat::from_fn(obs.cols, b, |i, j| g[[i, j]])
        }
    };
    let mut q = orthonormalize(obs.mul(vals, &omega).as_ref());
    for _ in 0..power {
        let z = orthonormalize(obs.mul_t(vals, &q).as_ref());
        q = orthonormalize(obs.mul(vals, &z).as_ref());
    }
    // Sᵀ Q = W Σ Zᵀ, so S ≈ Q Qᵀ S = (Q Z) Σ Wᵀ.
    let bt = obs.mul_t(vals, &q);
    let svd = bt.thin_svd().ok()?;
    let k = k.min(svd.S().column_vector().nrows());
    let (w, z) = (svd.U(), svd.V());
    let qz = mul(q.as_ref(), z);
    let s: Vec<f64> = (0..k).map(|i| svd.S().column_vector()[i]).collect();
    if s.iter().any(|x| !x.is_finite()) {
        return None;
    }
    Some(TopSvd {
        u: Mat::from_fn(obs.rows, k, |i, j| qz[(i, j)]),
        s,
        v: Mat::from_fn(obs.cols, k, |i, j| w[(i, j)]),
        block: w.to_owned(),
    })
}

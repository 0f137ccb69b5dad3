//! Online orthogonal dictionary learning by Frank–Wolfe (Xue & Lau 2021): a square
//! orthogonal `D` maximizing `Σ_i ‖D x_i‖₃³`, which is largest when every `D x_i`
//! is sparse.
//!
//! Each step draws a mini-batch (as the online learner does), takes the gradient
//! `G = 3 Σ_i (|D x_i| ∘ D x_i) x_iᵀ`, the Frank–Wolfe vertex `S = U Vᵀ` (the
//! polar factor of `G`, from its SVD: the maximizer of `⟨G, S⟩` over the
//! spectral-norm ball, whose extreme points are the orthogonal matrices), moves
//! `D ← (1 − γ) D + γ S` with `γ = 2/(t + 2)` at step `t` (from 0), and projects
//! back onto the orthogonal matrices by the polar factor. The start is the polar
//! factor of the shared data-row initialization.
//!
//! With `D` orthogonal, `‖x − c D‖ = ‖x Dᵀ − c‖`, so the Lasso codes are exactly
//! the soft-thresholded correlations `c = soft(x Dᵀ, lam)`.

use faer::{Mat, MatRef};
use optl_linalg::prox::Penalty;
use rand::rngs::ChaCha8Rng;

use super::learn::Data;
use super::{Batches, LearnOptions, gather};
use crate::dense::{mul, mul_tn, row_major, view};

/// The polar factor `U Vᵀ` of the square `a` (`None` if the SVD fails).
fn polar(a: MatRef<'_, f64>) -> Option<Mat<f64>> {
    let svd = a.thin_svd().ok()?;
    Some(mul(svd.U(), svd.V().transpose()))
}

/// Frank–Wolfe steps on `dict` (`[d, d]`, replaced by its polar factor first);
/// returns the steps done.
pub(crate) fn learn(
    data: &Data<'_>,
    dict: &mut [f64],
    o: &LearnOptions,
    rng: &mut ChaCha8Rng,
) -> usize {
    let d = data.d;
    if let Some(p) = polar(view(dict, d, d)) {
        dict.copy_from_slice(&row_major(p.as_ref()));
    }
    let mut batches = Batches::new(data.n, o.batch);
    for t in 0..o.max_iters {
        let rows = batches.draw(rng).to_vec();
        let m = rows.len();
        let xb = gather(data.x, d, &rows);
        let xv = view(&xb, m, d);
        let y = mul(xv, view(dict, d, d).transpose());
        let w = Mat::from_fn(m, d, |i, j| 3.0 * y[(i, j)].abs() * y[(i, j)]);
        let g = mul_tn(w.as_ref(), xv);
        let zero = (0..d).all(|i| (0..d).all(|j| g[(i, j)] == 0.0));
        if zero {
            continue;
        }
        let Some(s) = polar(g.as_ref()) else {
            continue;
        };
        let gamma = 2.0 / (t as f64 + 2.0);
        let mixed = Mat::from_fn(d, d, |i, j| {
            (1.0 - gamma) * dict[i * d + j] + gamma * s[(i, j)]
        });
        if let Some(p) = polar(mixed.as_ref()) {
            dict.copy_from_slice(&row_major(p.as_ref()));
        }
    }
    o.max_iters
}

/// The exact Lasso codes `soft(X Dᵀ, lam)` for the orthogonal `dict` (`[d, d]`).
pub(crate) fn codes(data: &Data<'_>, dict: &[f64], lam: f64) -> Vec<f64> {
    let d = data.d;
    let corr = row_major(mul(view(data.x, data.n, d), view(dict, d, d).transpose()).as_ref());
    let mut codes = vec![0.0; corr.len()];
    Penalty::L1.prox(&corr, lam, &mut codes);
    codes
}

//! What certifies a point of a composite problem: the Lasso duality gap when the
//! smooth part is least squares and every coordinate carries an ℓ1 term, else the
//! prox residual (the norm of the gradient mapping, zero exactly at stationary
//! points; for convex problems a minimum).
//!
//! The Lasso gap. Writing the smooth part as `½‖Ãx − b̃‖²` with
//! `Ã = [√(2wₖ) Aₖ]`, `b̃ = [√(2wₖ) bₖ]` and `rₖ = Aₖx − bₖ`, the dual point
//! `θ = (b̃ − Ãx)/s` with `s = max(1, maxⱼ |∇f(x)ⱼ|/λⱼ)` is feasible
//! (`|Ãᵀθ|ⱼ ≤ λⱼ`, since `Ãᵀ(b̃ − Ãx) = −∇f(x)`), and
//! `P(x) − D(θ) = Σ wₖ‖rₖ‖² + Σ λⱼ|xⱼ| − Σ wₖ‖bₖ‖² + Σ wₖ‖bₖ + rₖ/s‖²`, which
//! bounds `P(x) − P*` and is zero at the optimum.

use crate::facts::{LeastSquaresForm, ProxTerm};
use optl_linalg::prox::Penalty;
use std::sync::Arc;

/// How a run is certified.
#[derive(Clone, Debug)]
pub enum Certificate {
    /// The ∞-norm of the gradient mapping; `convex` when it certifies a minimum.
    ProxResidual { convex: bool },
    /// The Lasso duality gap.
    DualityGap(LassoDual),
}

impl Certificate {
    /// The best certificate for these terms and smooth part: the duality gap for
    /// least squares with ℓ1 on every coordinate and no sets or boxes.
    pub fn for_problem(
        terms: &[ProxTerm],
        least_squares: Option<&Arc<LeastSquaresForm>>,
        n: usize,
        constrained: bool,
    ) -> Certificate {
        let convex = terms.iter().all(|t| t.penalty.is_convex());
        match least_squares {
            Some(ls) if !constrained && ls.n == n => match LassoDual::new(ls.clone(), terms) {
                Some(d) => Certificate::DualityGap(d),
                None => Certificate::ProxResidual { convex },
            },
            _ => Certificate::ProxResidual { convex },
        }
    }

    /// The certificate at `x`, where `grad` is the smooth part's gradient, `f` the
    /// objective and `residual` the prox residual.
    pub fn value(&self, x: &[f64], grad: &[f64], _f: f64, residual: f64) -> f64 {
        match self {
            Certificate::ProxResidual { .. } => residual,
            Certificate::DualityGap(d) => d.gap(x, grad),
        }
    }

    /// The Result's `certificate` name.
    pub fn name(&self) -> &'static str {
        match self {
            Certificate::ProxResidual { .. } => "prox_residual",
            Certificate::DualityGap(_) => "duality_gap",
        }
    }

    pub fn converged_message(&self) -> &'static str {
        match self {
            Certificate::ProxResidual { convex: true } => "prox residual below tol",
            Certificate::ProxResidual { convex: false } => {
                "prox residual below tol: a stationary point (nonconvex terms, not a certified minimum)"
            }
            Certificate::DualityGap(_) => "duality gap below tol",
        }
    }
}

/// The Lasso dual of a least-squares smooth part with ℓ1 weights `λ`.
#[derive(Clone, Debug)]
pub struct LassoDual {
    pub form: Arc<LeastSquaresForm>,
    /// The ℓ1 weight of each coordinate (all > 0).
    pub lambda: Vec<f64>,
}

impl LassoDual {
    /// The dual when every term is ℓ1 and every coordinate has one.
    pub fn new(form: Arc<LeastSquaresForm>, terms: &[ProxTerm]) -> Option<LassoDual> {
        let mut lambda = vec![0.0; form.n];
        for t in terms {
            if t.penalty != Penalty::L1 {
                return None;
            }
            for &i in &t.indices {
                *lambda.get_mut(i)? += t.weight;
            }
        }
        lambda
            .iter()
            .all(|&l| l > 0.0)
            .then_some(LassoDual { form, lambda })
    }

    /// `P(x) − D(θ(x))` (module docs), `grad` the smooth part's gradient at `x`.
    pub fn gap(&self, x: &[f64], grad: &[f64]) -> f64 {
        if !grad.iter().chain(x).all(|v| v.is_finite()) {
            return f64::NAN;
        }
        let s = grad
            .iter()
            .zip(&self.lambda)
            .map(|(g, l)| g.abs() / l)
            .fold(1.0f64, f64::max);
        let mut total: f64 = x.iter().zip(&self.lambda).map(|(v, l)| l * v.abs()).sum();
        for blk in &self.form.blocks {
            let r = blk.residual(x, self.form.n);
            for (k, rk) in r.iter().enumerate() {
                let bk = blk.b.as_ref().map_or(0.0, |b| b[k]);
                let shifted = bk + rk / s;
                total += blk.weight * (rk * rk - bk * bk + shifted * shifted);
            }
        }
        // Rounding can make a zero gap slightly negative; NaN stays NaN.
        if total < 0.0 { 0.0 } else { total }
    }
}

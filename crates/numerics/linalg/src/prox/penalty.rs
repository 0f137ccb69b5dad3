//! Prox-friendly penalties on a flat block of variables and their proximal maps
//! `prox_{t·pen}(v) = argmin_z ½‖z − v‖² + t·pen(z)`.
//!
//! The convex ones (ℓ1, ℓ2, group ℓ2, ℓ∞) have unique, closed-form proxes (soft,
//! block-soft and Moreau/ℓ1-ball thresholding). For the nonconvex ℓ0 and ℓq the
//! prox returns a global minimizer, chosen by comparing the objective at `z = 0`
//! with the objective at the only other candidate; on an exact tie it returns 0.
//!
//! Nothing here fails or panics: a NaN entry gives NaN in its output entry (in its
//! whole group for the non-separable penalties), and an invalid parameter
//! (`t < 0` or NaN, `size = 0`, `q ∉ (0, 1)`, `out.len() ≠ v.len()`) gives an
//! all-NaN output (and a NaN value).

use super::threshold::{norm1, norm2, simplex_theta};

/// A prox-friendly penalty on a flat block of variables (unweighted; the caller
/// scales by its weight).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Penalty {
    /// `‖x‖₁`
    L1,
    /// `‖x‖₂` of the whole block
    L2,
    /// `Σ_g ‖x_g‖₂` over consecutive groups of `size` entries (if the block length
    /// is not a multiple of `size`, the last shorter group counts as a group).
    /// `size = 0` is invalid (NaN value and prox).
    GroupL2 {
        /// Entries per group (> 0).
        size: usize,
    },
    /// `‖x‖∞`
    LInf,
    /// Number of nonzeros (ℓ0).
    L0,
    /// `Σ |x_i|^q`, `0 < q < 1`; other `q` are invalid (NaN value and prox).
    Lq {
        /// The exponent, in the open interval (0, 1).
        q: f64,
    },
    /// The nuclear norm `Σ σᵢ` of the block read as a row-major `rows × cols`
    /// matrix; its prox shrinks the singular values (one full SVD).
    Nuclear { rows: usize, cols: usize },
}

impl Penalty {
    /// Whether the parameters are in their domain.
    fn valid(&self) -> bool {
        match *self {
            Penalty::GroupL2 { size } => size > 0,
            Penalty::Lq { q } => q > 0.0 && q < 1.0,
            Penalty::Nuclear { rows, cols } => rows.checked_mul(cols).is_some(),
            _ => true,
        }
    }

    /// The penalty at `x` (0 for an empty block; NaN if `x` has a NaN entry or the
    /// parameters are invalid).
    pub fn value(&self, x: &[f64]) -> f64 {
        if !self.valid() || x.iter().any(|xi| xi.is_nan()) {
            return f64::NAN;
        }
        match *self {
            Penalty::L1 => norm1(x),
            Penalty::L2 => norm2(x),
            Penalty::GroupL2 { size } => x.chunks(size).map(norm2).sum(),
            Penalty::LInf => x.iter().fold(0.0, |m, xi| m.max(xi.abs())),
            Penalty::L0 => x.iter().filter(|xi| **xi != 0.0).count() as f64,
            Penalty::Lq { q } => x.iter().map(|xi| xi.abs().powf(q)).sum(),
            Penalty::Nuclear { rows, cols } => nuclear_value(x, rows, cols),
        }
    }

    /// `out = argmin_z ½‖z − v‖² + t·pen(z)` for `t ≥ 0` (`t = 0` copies `v`).
    ///
    /// - ℓ1: soft thresholding `sign(v)·max(|v| − t, 0)`.
    /// - ℓ2 / group ℓ2: block soft thresholding `max(0, 1 − t/‖v_g‖)·v_g`.
    /// - ℓ∞: Moreau, `v − proj_{‖·‖₁ ≤ t}(v)`, i.e. `v` clipped to `[−θ, θ]`.
    /// - ℓ0: hard thresholding, keeps `v_i` iff `½v_i² > t` (0 on the tie `v_i² = 2t`).
    /// - ℓq: per entry, the better of `z = 0` and the largest stationary point of
    ///   `½(z − |v|)² + t z^q` in `(0, |v|]` (safeguarded Newton), 0 on exact ties;
    ///   for `q = 0.5` the closed-form half thresholding of Xu et al. (2012).
    ///
    /// Invalid arguments (see the module doc) give an all-NaN `out`.
    pub fn prox(&self, v: &[f64], t: f64, out: &mut [f64]) {
        if out.len() != v.len() || !self.valid() || t.is_nan() || t < 0.0 {
            out.fill(f64::NAN);
            return;
        }
        if t == 0.0 {
            out.copy_from_slice(v);
            return;
        }
        match *self {
            Penalty::L1 => {
                for (o, &vi) in out.iter_mut().zip(v) {
                    *o = soft(vi, t);
                }
            }
            Penalty::L2 => block_soft(v, t, out),
            Penalty::GroupL2 { size } => {
                for (vg, og) in v.chunks(size).zip(out.chunks_mut(size)) {
                    block_soft(vg, t, og);
                }
            }
            Penalty::LInf => linf_prox(v, t, out),
            Penalty::L0 => {
                for (o, &vi) in out.iter_mut().zip(v) {
                    *o = if vi.is_nan() {
                        f64::NAN
                    } else if 0.5 * vi * vi > t {
                        vi
                    } else {
                        0.0
                    };
                }
            }
            Penalty::Lq { q } => {
                for (o, &vi) in out.iter_mut().zip(v) {
                    *o = if q == 0.5 {
                        half_threshold(vi, t)
                    } else {
                        lq_scalar(vi, t, q)
                    };
                }
            }
            Penalty::Nuclear { rows, cols } => nuclear_prox(v, rows, cols, t, out),
        }
    }

    /// Whether the penalty is convex (ℓ0 and ℓq are not).
    pub fn is_convex(&self) -> bool {
        !matches!(self, Penalty::L0 | Penalty::Lq { .. })
    }

    /// The penalty's name: "l1", "l2", "group_l2", "linf", "l0", "lq".
    pub fn name(&self) -> &'static str {
        match self {
            Penalty::L1 => "l1",
            Penalty::L2 => "l2",
            Penalty::GroupL2 { .. } => "group_l2",
            Penalty::LInf => "linf",
            Penalty::L0 => "l0",
            Penalty::Lq { .. } => "lq",
            Penalty::Nuclear { .. } => "nuclear",
        }
    }
}

/// `sign(v)·max(|v| − t, 0)`, NaN for NaN.
fn soft(v: f64, t: f64) -> f64 {
    let a = v.abs() - t;
    if a > 0.0 {
        a.copysign(v)
    } else if a.is_nan() {
        f64::NAN
    } else {
        0.0
    }
}

/// `out = max(0, 1 − t/‖v‖)·v` (all NaN if `v` has a NaN).
fn block_soft(v: &[f64], t: f64, out: &mut [f64]) {
    let n = norm2(v);
    if n.is_nan() {
        out.fill(f64::NAN);
    } else if n > t {
        let scale = 1.0 - t / n;
        for (o, &vi) in out.iter_mut().zip(v) {
            *o = scale * vi;
        }
    } else {
        out.fill(0.0);
    }
}

/// The prox of `t‖·‖∞`: `v − proj_{‖·‖₁ ≤ t}(v)`, which is `v` clipped to
/// `[−θ, θ]` with θ the ℓ1-ball threshold (all NaN if `v` has a NaN).
fn linf_prox(v: &[f64], t: f64, out: &mut [f64]) {
    let l1 = norm1(v);
    if l1.is_nan() {
        out.fill(f64::NAN);
        return;
    }
    if l1 <= t {
        out.fill(0.0);
        return;
    }
    if v.iter().any(|vi| vi.is_infinite()) {
        // The ℓ1 projection puts all its mass on the infinite entries: out = v.
        out.copy_from_slice(v);
        return;
    }
    let abs: Vec<f64> = v.iter().map(|vi| vi.abs()).collect();
    let theta = simplex_theta(&abs, t);
    for (o, &vi) in out.iter_mut().zip(v) {
        *o = if vi > theta {
            theta
        } else if vi < -theta {
            -theta
        } else {
            vi
        };
    }
}

/// The ℓq problem for one entry scaled to `|v| = 1`: with `z = |v|·w` the objective
/// is `|v|²·(½(w − 1)² + s·w^q)` with `s = t·|v|^{q−2}`. Returns `Err(out)` when
/// the answer is already known (NaN, zero, infinite inputs), else `Ok(s)`.
fn lq_scaled(v: f64, t: f64, q: f64) -> Result<f64, f64> {
    let a = v.abs();
    if a.is_nan() || t.is_nan() {
        return Err(f64::NAN);
    }
    if a == 0.0 {
        return Err(v);
    }
    match (a.is_infinite(), t.is_infinite()) {
        (true, true) => return Err(f64::NAN),
        (true, false) => return Err(v),
        (false, true) => return Err(0.0),
        (false, false) => {}
    }
    let s = t * a.powf(q - 2.0);
    if s.is_finite() && s > 1e-290 {
        Ok(s)
    } else {
        // Over- or underflow in the power: go through logarithms.
        Ok(((q - 2.0) * a.ln() + t.ln()).exp())
    }
}

/// The generic ℓq prox of one entry: compares `z = 0` with the largest stationary
/// point, found by safeguarded Newton on `f(w) = w − 1 + s q w^{q−1}` in
/// `[w̄, 1]`, where `w̄ = (s q (1 − q))^{1/(2−q)}` minimizes `w + s q w^{q−1}`
/// (a stationary point exists iff that minimum is ≤ 1).
pub(crate) fn lq_scalar(v: f64, t: f64, q: f64) -> f64 {
    let s = match lq_scaled(v, t, q) {
        Ok(s) => s,
        Err(out) => return out,
    };
    if s == 0.0 {
        return v;
    }
    if !s.is_finite() {
        return 0.0;
    }
    let f = |w: f64| w - 1.0 + s * q * w.powf(q - 1.0);
    let df = |w: f64| 1.0 + s * q * (q - 1.0) * w.powf(q - 2.0);
    let wbar = (s * q * (1.0 - q)).powf(1.0 / (2.0 - q));
    if wbar >= 1.0 {
        return 0.0;
    }
    let (mut lo, mut hi) = (wbar, 1.0_f64);
    if wbar > 0.0 && f(wbar) > 0.0 {
        return 0.0; // no stationary point in (0, 1]
    }
    // f is convex and increasing on [w̄, 1] with f(w̄) ≤ 0 < f(1): Newton from the
    // right decreases monotonically to the root; bisect if a step leaves the bracket.
    let mut w = hi;
    for _ in 0..200 {
        let fw = f(w);
        if fw == 0.0 {
            break;
        }
        if fw > 0.0 {
            hi = w;
        } else {
            lo = w;
        }
        let d = df(w);
        let mut next = w - fw / d;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        if (next - w).abs() <= 2.0 * f64::EPSILON * w || hi - lo <= 2.0 * f64::EPSILON * hi {
            w = next;
            break;
        }
        w = next;
    }
    let obj = 0.5 * (w - 1.0) * (w - 1.0) + s * w.powf(q);
    if obj < 0.5 {
        (v.abs() * w).copysign(v)
    } else {
        0.0
    }
}

/// Half thresholding (Xu et al. 2012), the closed-form ℓ_{1/2} prox of one entry:
/// nonzero iff `|v| > (3/2)·t^{2/3}`, then
/// `z = (2/3)|v|·(1 + cos(2π/3 − (2/3)·arccos((t/4)(|v|/3)^{−3/2})))`.
pub(crate) fn half_threshold(v: f64, t: f64) -> f64 {
    let s = match lq_scaled(v, t, 0.5) {
        Ok(s) => s,
        Err(out) => return out,
    };
    // In the scaled variables (|v| = 1) the arccos argument is c = s·3^{3/2}/4 and
    // the threshold |v| = (3/2) t^{2/3} is c = 1/√2.
    let c = s * (27.0_f64.sqrt() / 4.0);
    if c.is_nan() || c >= std::f64::consts::FRAC_1_SQRT_2 {
        return 0.0;
    }
    let phi = c.acos();
    let w = (2.0 / 3.0) * (1.0 + (2.0 * std::f64::consts::FRAC_PI_3 - (2.0 / 3.0) * phi).cos());
    (v.abs() * w).copysign(v)
}

/// The block as a `rows × cols` tensor (`None` if the sizes disagree).
fn as_matrix(x: &[f64], rows: usize, cols: usize) -> Option<optl_tensor::Tensor> {
    (rows.checked_mul(cols) == Some(x.len()))
        .then(|| {
            optl_tensor::Tensor::from_shape_vec(ndarray::IxDyn(&[rows, cols]), x.to_vec()).ok()
        })
        .flatten()
}

fn nuclear_value(x: &[f64], rows: usize, cols: usize) -> f64 {
    as_matrix(x, rows, cols)
        .and_then(|m| crate::dense::nuclear_norm(&m).ok())
        .and_then(|t| t.iter().next().copied())
        .unwrap_or(f64::NAN)
}

/// Singular value soft thresholding: `U max(Σ − t, 0) Vᵀ`.
fn nuclear_prox(v: &[f64], rows: usize, cols: usize, t: f64, out: &mut [f64]) {
    let Some(svd) = as_matrix(v, rows, cols).and_then(|m| crate::dense::svd(&m).ok()) else {
        out.fill(f64::NAN);
        return;
    };
    let k = rows.min(cols);
    let s: Vec<f64> = svd.s.iter().map(|si| (si - t).max(0.0)).collect();
    let u: Vec<f64> = svd.u.iter().copied().collect();
    let vt: Vec<f64> = svd.vt.iter().copied().collect();
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = (0..k)
                .filter(|&i| s[i] > 0.0)
                .map(|i| u[r * k + i] * s[i] * vt[i * cols + c])
                .sum();
        }
    }
}

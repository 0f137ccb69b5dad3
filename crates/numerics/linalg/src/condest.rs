//! Reciprocal condition estimation in the 1-norm (Hager's method with Higham's
//! safeguard, as LAPACK's `xLACON`), from any factorization that can solve with
//! `A` and `Aᵀ`.

/// Estimates `‖A⁻¹‖₁` using at most five pairs of solves. `solve` overwrites its
/// argument `x` with `A⁻¹ x`, `solve_transpose` with `A⁻ᵀ x`.
pub(crate) fn inverse_norm1_estimate(
    n: usize,
    mut solve: impl FnMut(&mut [f64]),
    mut solve_transpose: impl FnMut(&mut [f64]),
) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let norm1 = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>();
    let mut x = vec![1.0 / n as f64; n];
    let mut y = vec![0.0; n];
    let mut estimate = 0.0f64;
    let mut last_j = usize::MAX;
    for iteration in 0..5 {
        y.copy_from_slice(&x);
        solve(&mut y);
        let new_estimate = norm1(&y);
        if !new_estimate.is_finite() {
            return f64::INFINITY;
        }
        if iteration > 0 && new_estimate <= estimate {
            break;
        }
        estimate = new_estimate;
        let mut z: Vec<f64> = y
            .iter()
            .map(|&v| if v >= 0.0 { 1.0 } else { -1.0 })
            .collect();
        solve_transpose(&mut z);
        let (j, zmax) = z
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |(bj, bv), (i, &v)| {
                if v.abs() > bv { (i, v.abs()) } else { (bj, bv) }
            });
        let ztx: f64 = z.iter().zip(&x).map(|(a, b)| a * b).sum();
        if !zmax.is_finite() {
            return f64::INFINITY;
        }
        if iteration > 0 && (zmax <= ztx || j == last_j) {
            break;
        }
        last_j = j;
        x.iter_mut().for_each(|v| *v = 0.0);
        x[j] = 1.0;
    }
    // Higham's alternative vector catches matrices that fool the power iteration.
    let denom = if n > 1 { (n - 1) as f64 } else { 1.0 };
    for (i, v) in x.iter_mut().enumerate() {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        *v = sign * (1.0 + i as f64 / denom);
    }
    solve(&mut x);
    let alt = 2.0 * norm1(&x) / (3.0 * n as f64);
    if !alt.is_finite() {
        return f64::INFINITY;
    }
    estimate.max(alt)
}

/// `1 / (‖A‖₁ · est ‖A⁻¹‖₁)`, 0 when either is infinite or `A` is zero.
pub(crate) fn reciprocal_condition(norm1_a: f64, inverse_norm1: f64) -> f64 {
    if norm1_a == 0.0 || !inverse_norm1.is_finite() || inverse_norm1 == 0.0 {
        return 0.0;
    }
    let r = 1.0 / (norm1_a * inverse_norm1);
    if r.is_finite() { r } else { 0.0 }
}

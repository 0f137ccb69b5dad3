//! Shared scalar kernels of the prox module: an overflow-safe Euclidean norm and
//! the threshold θ of the sort-based simplex projection (Held–Wolfe–Crowder,
//! Duchi et al. 2008), used by the simplex, the ℓ1 ball, the ℓ∞ prox (Moreau)
//! and the nuclear ball.

/// `‖x‖₂` without overflow or underflow in the squares: NaN if any entry is NaN,
/// `+∞` if any is infinite, `0` for an empty slice.
pub(crate) fn norm2(x: &[f64]) -> f64 {
    let mut amax = 0.0_f64;
    for &xi in x {
        let a = xi.abs();
        if a.is_nan() {
            return f64::NAN;
        }
        if a > amax {
            amax = a;
        }
    }
    if amax == 0.0 || amax.is_infinite() {
        return amax;
    }
    if (1e-150..=1e150).contains(&amax) {
        x.iter().map(|xi| xi * xi).sum::<f64>().sqrt()
    } else {
        let inv = 1.0 / amax;
        let ssq: f64 = x.iter().map(|xi| (xi * inv) * (xi * inv)).sum();
        if inv.is_finite() {
            ssq.sqrt() * amax
        } else {
            // amax is subnormal: divide instead of multiplying by an infinite inverse.
            x.iter()
                .map(|xi| (xi / amax) * (xi / amax))
                .sum::<f64>()
                .sqrt()
                * amax
        }
    }
}

/// `Σ |x_i|`, NaN if any entry is NaN.
pub(crate) fn norm1(x: &[f64]) -> f64 {
    x.iter().map(|xi| xi.abs()).sum()
}

/// `⟨x, y⟩` over the common prefix, in index order.
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// The θ with `Σ_i max(u_i − θ, 0) = radius`, for finite `u` (non-empty) and
/// `radius > 0`: the projection of `u` onto `{x ≥ 0, Σx = radius}` is
/// `max(u − θ, 0)`. Sort-based, `O(n log n)`, with compensated prefix sums so that
/// θ is exact to a few roundings. Returns NaN for an empty slice.
pub(crate) fn simplex_theta(u: &[f64], radius: f64) -> f64 {
    if u.is_empty() {
        return f64::NAN;
    }
    let mut s = u.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    // Neumaier-compensated running sum of the sorted values.
    let (mut sum, mut comp) = (0.0_f64, 0.0_f64);
    let mut theta = f64::NAN;
    for (j, &sj) in s.iter().enumerate() {
        let t = sum + sj;
        if sum.abs() >= sj.abs() {
            comp += (sum - t) + sj;
        } else {
            comp += (sj - t) + sum;
        }
        sum = t;
        let cand = ((sum - radius) + comp) / (j + 1) as f64;
        // The condition s_j > θ_j holds exactly on a prefix of the sorted values.
        if sj > cand || j == 0 {
            theta = cand;
        } else {
            break;
        }
    }
    theta
}

//! Quality indicators of a set of objective vectors `F` (minimization), as pymoo
//! defines them:
//!
//! - [`gd`]: generational distance, the mean over `F` of the Euclidean distance to
//!   the nearest point of the reference front `Z`;
//! - [`igd`]: inverted generational distance, the mean over `Z` of the distance to
//!   the nearest point of `F`;
//! - [`igd_plus`]: IGD⁺ (Ishibuchi et al. 2015), IGD with the distance
//!   `d⁺(z, a) = ‖max(a − z, 0)‖`, which counts only where `a` is worse than `z`;
//! - [`auto_hypervolume`]: the hypervolume, exact (HSO) for at most
//!   [`EXACT_HV_MAX_OBJECTIVES`] objectives, a seeded Monte Carlo estimate above
//!   ([`hypervolume_mc`]), saying which it is.
//!
//! Empty sets give NaN distances. [`check_reference`] is the check of a reference
//! point against a front's nadir.

use super::hypervolume::hypervolume;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Up to this many objectives the hypervolume is computed exactly.
pub const EXACT_HV_MAX_OBJECTIVES: usize = 4;

/// Samples of the Monte Carlo hypervolume above [`EXACT_HV_MAX_OBJECTIVES`].
pub const HV_SAMPLES: usize = 100_000;

/// A hypervolume and whether it is exact (or a Monte Carlo estimate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hypervolume {
    pub value: f64,
    pub exact: bool,
}

fn euclid(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `d⁺(z, a)`: the distance from the reference point `z` to `a`, counting only the
/// objectives in which `a` is worse.
fn plus_distance(z: &[f64], a: &[f64]) -> f64 {
    a.iter()
        .zip(z)
        .map(|(x, y)| (x - y).max(0.0).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Mean over `from` of the distance `d(p, q)` to the nearest `q` of `to`.
fn mean_nearest(from: &[Vec<f64>], to: &[Vec<f64>], d: impl Fn(&[f64], &[f64]) -> f64) -> f64 {
    if from.is_empty() || to.is_empty() {
        return f64::NAN;
    }
    let total: f64 = from
        .iter()
        .map(|p| to.iter().map(|q| d(p, q)).fold(f64::INFINITY, f64::min))
        .sum();
    total / from.len() as f64
}

/// Generational distance of `f` to the reference front `z`.
pub fn gd(f: &[Vec<f64>], z: &[Vec<f64>]) -> f64 {
    mean_nearest(f, z, euclid)
}

/// Inverted generational distance of `f` with respect to the reference front `z`.
pub fn igd(f: &[Vec<f64>], z: &[Vec<f64>]) -> f64 {
    mean_nearest(z, f, euclid)
}

/// IGD⁺ of `f` with respect to the reference front `z`.
pub fn igd_plus(f: &[Vec<f64>], z: &[Vec<f64>]) -> f64 {
    mean_nearest(z, f, plus_distance)
}

/// Checks that `reference` has one entry per objective and is not better than the
/// front's nadir (the worst value per objective) in any objective; the message
/// names both points.
pub fn check_reference(front: &[Vec<f64>], reference: &[f64]) -> Result<(), String> {
    let m = reference.len();
    if let Some(p) = front.iter().find(|p| p.len() != m) {
        return Err(format!(
            "the reference point has {m} entries but a point of the front has {}",
            p.len()
        ));
    }
    if reference.iter().any(|r| !r.is_finite()) {
        return Err(format!("the reference point {reference:?} is not finite"));
    }
    let nadir: Vec<f64> = (0..m)
        .map(|k| front.iter().map(|p| p[k]).fold(f64::NEG_INFINITY, f64::max))
        .collect();
    if front.is_empty() || reference.iter().zip(&nadir).all(|(r, w)| r >= w) {
        return Ok(());
    }
    Err(format!(
        "the reference point {reference:?} does not dominate the front's nadir {nadir:?} \
         (every entry must be at least the nadir's)"
    ))
}

/// The hypervolume of `front` under `reference`: exact up to
/// [`EXACT_HV_MAX_OBJECTIVES`] objectives, else [`hypervolume_mc`] with
/// [`HV_SAMPLES`] samples seeded by `seed`.
pub fn auto_hypervolume(front: &[Vec<f64>], reference: &[f64], seed: u64) -> Hypervolume {
    if reference.len() <= EXACT_HV_MAX_OBJECTIVES {
        return Hypervolume {
            value: hypervolume(front, reference),
            exact: true,
        };
    }
    Hypervolume {
        value: hypervolume_mc(front, reference, HV_SAMPLES, seed),
        exact: false,
    }
}

/// A Monte Carlo estimate of the hypervolume: the fraction of `samples` uniform
/// points of the box between the front's ideal point and `reference` that some
/// point of the front dominates, times the box's volume. Deterministic for a seed
/// (ChaCha8); the standard error is about `volume·sqrt(p(1 − p)/samples)`.
/// Points that are not strictly better than `reference` everywhere, or are not
/// finite, count for nothing (as in [`hypervolume`]).
pub fn hypervolume_mc(front: &[Vec<f64>], reference: &[f64], samples: usize, seed: u64) -> f64 {
    let m = reference.len();
    if m == 0 || samples == 0 || reference.iter().any(|r| !r.is_finite()) {
        return 0.0;
    }
    let pts: Vec<&[f64]> = front
        .iter()
        .filter(|p| p.len() == m && p.iter().zip(reference).all(|(v, r)| v.is_finite() && v < r))
        .map(Vec::as_slice)
        .collect();
    if pts.is_empty() {
        return 0.0;
    }
    let ideal: Vec<f64> = (0..m)
        .map(|k| pts.iter().map(|p| p[k]).fold(f64::INFINITY, f64::min))
        .collect();
    let volume: f64 = ideal.iter().zip(reference).map(|(l, r)| r - l).product();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = vec![0.0; m];
    let mut hits = 0usize;
    for _ in 0..samples {
        for k in 0..m {
            s[k] = ideal[k] + rng.random::<f64>() * (reference[k] - ideal[k]);
        }
        if pts.iter().any(|p| p.iter().zip(&s).all(|(a, b)| a <= b)) {
            hits += 1;
        }
    }
    volume * hits as f64 / samples as f64
}

/// `nadir + 0.1·max(|nadir|, nadir − ideal)` per objective, over finite values
/// (the reference point of a front's hypervolume when none is given).
pub(crate) fn default_reference(front: &[Vec<f64>], m: usize) -> Vec<f64> {
    (0..m)
        .map(|k| {
            let vals = front.iter().map(|f| f[k]).filter(|v| v.is_finite());
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for v in vals {
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if !hi.is_finite() {
                return 0.0;
            }
            let margin = hi.abs().max(hi - lo);
            hi + 0.1 * if margin > 0.0 { margin } else { 1.0 }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed set and front; the expected values are by hand (and agree with
    /// pymoo 0.6's `GD`, `IGD`, `IGDPlus`, see `tests/solvers/indicators.rs`).
    #[test]
    fn distances_by_hand() {
        let f = vec![vec![0.0, 1.0], vec![1.0, 1.0]];
        let z = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
        // GD: (0 + 1) / 2. IGD: (0 + 1) / 2. IGD+: z=(1,0): min(d+((0,1)),
        // d+((1,1))) = min(sqrt(0+1), 1) = 1 → 0.5.
        assert_eq!(gd(&f, &z), 0.5);
        assert_eq!(igd(&f, &z), 0.5);
        assert_eq!(igd_plus(&f, &z), 0.5);
        // A point better than the front has IGD+ 0 but IGD > 0.
        let better = vec![vec![-1.0, -1.0]];
        assert_eq!(igd_plus(&better, &z), 0.0);
        assert!(igd(&better, &z) > 1.0);
        assert!(igd(&[], &z).is_nan());
    }

    #[test]
    fn monte_carlo_agrees_with_exact_and_is_seeded() {
        let front = vec![
            vec![0.0, 0.5, 0.5],
            vec![0.5, 0.0, 0.5],
            vec![0.5, 0.5, 0.0],
        ];
        let r = [1.0, 1.0, 1.0];
        let exact = hypervolume(&front, &r);
        let mc = hypervolume_mc(&front, &r, 200_000, 3);
        assert!((mc - exact).abs() < 0.005, "{mc} vs {exact}");
        assert_eq!(mc, hypervolume_mc(&front, &r, 200_000, 3));
        assert_ne!(mc, hypervolume_mc(&front, &r, 200_000, 4));
        let hv = auto_hypervolume(&front, &r, 0);
        assert!(hv.exact);
        assert_eq!(hv.value, exact);
    }

    #[test]
    fn reference_must_dominate_the_nadir() {
        let front = vec![vec![0.0, 2.0], vec![1.0, 0.0]];
        assert!(check_reference(&front, &[1.0, 2.0]).is_ok());
        let e = check_reference(&front, &[1.5, 1.5]).unwrap_err();
        assert!(e.contains("[1.5, 1.5]") && e.contains("[1.0, 2.0]"), "{e}");
        assert!(check_reference(&front, &[1.0]).is_err());
    }
}

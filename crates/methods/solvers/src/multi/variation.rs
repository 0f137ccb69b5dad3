//! Variation operators on real vectors within finite bounds, shared by the
//! evolutionary methods: simulated binary crossover and polynomial mutation, the
//! bounded variants of Deb's reference code (as in NSGA-II's `realcross` and
//! `realmutate`), and [`Variation`], the pair applied to two parents.

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// How children are bred from two parents: crossover with probability
/// `crossover_prob` (distribution index `eta_c`), then each child, with
/// probability `child_mutation_prob`, mutated per variable with probability
/// `mutation_prob` (distribution index `eta_m`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Variation {
    pub crossover_prob: f64,
    pub eta_c: f64,
    pub mutation_prob: f64,
    pub eta_m: f64,
    pub child_mutation_prob: f64,
}

impl Variation {
    /// Two children of `a` and `b` within `[lo, hi]`.
    pub fn children(
        &self,
        a: &[f64],
        b: &[f64],
        lo: &[f64],
        hi: &[f64],
        rng: &mut ChaCha8Rng,
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut c1, mut c2) = (a.to_vec(), b.to_vec());
        if rng.random::<f64>() <= self.crossover_prob {
            sbx(&mut c1, &mut c2, lo, hi, self.eta_c, rng);
        }
        for c in [&mut c1, &mut c2] {
            if self.child_mutation_prob >= 1.0 || rng.random::<f64>() < self.child_mutation_prob {
                mutate(c, lo, hi, self.mutation_prob, self.eta_m, rng);
            }
        }
        (c1, c2)
    }
}

/// Simulated binary crossover with bounds (Deb & Agrawal 1995; NSGA-II `realcross`).
pub(crate) fn sbx(
    c1: &mut [f64],
    c2: &mut [f64],
    lo: &[f64],
    hi: &[f64],
    eta: f64,
    rng: &mut ChaCha8Rng,
) {
    for i in 0..c1.len() {
        if rng.random::<f64>() > 0.5 {
            continue;
        }
        let (a, b) = (c1[i], c2[i]);
        if (a - b).abs() <= 1e-14 {
            continue;
        }
        let (y1, y2) = if a < b { (a, b) } else { (b, a) };
        let (yl, yu) = (lo[i], hi[i]);
        let u: f64 = rng.random();
        let betaq = |beta: f64| {
            let alpha = 2.0 - beta.powf(-(eta + 1.0));
            if u <= 1.0 / alpha {
                (u * alpha).powf(1.0 / (eta + 1.0))
            } else {
                (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
            }
        };
        let bq1 = betaq(1.0 + 2.0 * (y1 - yl) / (y2 - y1));
        let bq2 = betaq(1.0 + 2.0 * (yu - y2) / (y2 - y1));
        let mut n1 = 0.5 * ((y1 + y2) - bq1 * (y2 - y1));
        let mut n2 = 0.5 * ((y1 + y2) + bq2 * (y2 - y1));
        n1 = if n1.is_finite() { n1.clamp(yl, yu) } else { y1 };
        n2 = if n2.is_finite() { n2.clamp(yl, yu) } else { y2 };
        if rng.random::<f64>() <= 0.5 {
            c1[i] = n2;
            c2[i] = n1;
        } else {
            c1[i] = n1;
            c2[i] = n2;
        }
    }
}

/// Polynomial mutation with bounds (Deb & Goyal 1996; NSGA-II `realmutate`).
pub(crate) fn mutate(
    x: &mut [f64],
    lo: &[f64],
    hi: &[f64],
    pm: f64,
    eta: f64,
    rng: &mut ChaCha8Rng,
) {
    for i in 0..x.len() {
        if rng.random::<f64>() > pm {
            continue;
        }
        let (yl, yu) = (lo[i], hi[i]);
        let range = yu - yl;
        if !(range > 0.0) {
            continue;
        }
        let y = x[i];
        let d1 = (y - yl) / range;
        let d2 = (yu - y) / range;
        let r: f64 = rng.random();
        let pow = 1.0 / (eta + 1.0);
        let dq = if r <= 0.5 {
            let val = 2.0 * r + (1.0 - 2.0 * r) * (1.0 - d1).powf(eta + 1.0);
            val.powf(pow) - 1.0
        } else {
            let val = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * (1.0 - d2).powf(eta + 1.0);
            1.0 - val.powf(pow)
        };
        let v = y + dq * range;
        x[i] = if v.is_finite() { v.clamp(yl, yu) } else { y };
    }
}

//! Penalty proxes against brute force: random and grid candidates, strong
//! convexity, nested golden-section search, dense 1-D grids, closed forms.

use proptest::prelude::*;

use super::super::penalty::{half_threshold, lq_scalar};
use super::super::{Penalty, Set};
use super::{Rng, norm};

const CONVEX: [Penalty; 6] = [
    Penalty::L1,
    Penalty::L2,
    Penalty::GroupL2 { size: 1 },
    Penalty::GroupL2 { size: 2 },
    Penalty::GroupL2 { size: 3 },
    Penalty::LInf,
];

const NONCONVEX: [Penalty; 4] = [
    Penalty::L0,
    Penalty::Lq { q: 0.3 },
    Penalty::Lq { q: 0.5 },
    Penalty::Lq { q: 0.7 },
];

/// `½‖z − v‖² + t·pen(z)`.
fn objective(pen: &Penalty, z: &[f64], v: &[f64], t: f64) -> f64 {
    let d: f64 = z.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum();
    0.5 * d + t * pen.value(z)
}

fn prox(pen: &Penalty, v: &[f64], t: f64) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    pen.prox(v, t, &mut out);
    out
}

/// A random block with some zeros and repeated magnitudes (ties).
fn random_v(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut v = rng.uniforms(n, -3.0, 3.0);
    for i in 0..n {
        let p = rng.unit();
        if p < 0.12 {
            v[i] = 0.0;
        } else if p < 0.24 && i > 0 {
            let j = rng.index(i);
            v[i] = if rng.unit() < 0.5 { v[j] } else { -v[j] };
        }
    }
    v
}

fn random_t(rng: &mut Rng) -> f64 {
    match rng.index(10) {
        0 => 0.0,
        1 => rng.uniform(3.0, 12.0),
        _ => rng.uniform(0.0, 3.0),
    }
}

/// Random candidates: a box around `v`, and perturbations of `z` at several scales.
fn candidates(rng: &mut Rng, v: &[f64], z: &[f64]) -> Vec<Vec<f64>> {
    let n = v.len();
    let mut c = vec![vec![0.0; n], v.to_vec()];
    for _ in 0..600 {
        c.push(rng.uniforms(n, -4.0, 4.0));
    }
    for scale in [1e-7, 1e-5, 1e-3, 1e-2, 1e-1, 1.0] {
        for _ in 0..60 {
            let mut w = z.to_vec();
            for wi in &mut w {
                *wi += scale * rng.uniform(-1.0, 1.0);
            }
            c.push(w);
        }
    }
    // Coordinates snapped to 0 or to ±|v_i| (the kinks of the penalties).
    for _ in 0..60 {
        let w = (0..n)
            .map(|i| match rng.index(4) {
                0 => 0.0,
                1 => v[i],
                2 => -v[i],
                _ => z[i],
            })
            .collect();
        c.push(w);
    }
    c
}

/// Argmin of a convex function on `[lo, hi]` by golden-section search.
fn golden(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let r = 0.5 * (5.0_f64.sqrt() - 1.0);
    let mut x1 = hi - r * (hi - lo);
    let mut x2 = lo + r * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..90 {
        if f1 <= f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - r * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + r * (hi - lo);
            f2 = f(x2);
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn convex_prox_satisfies_strong_convexity_against_candidates() {
    // For the 1-strongly convex objective F and its minimizer z,
    // F(w) − F(z) ≥ ½‖w − z‖² for every w: a wrong z fails it near z*.
    let mut rng = Rng::new(1);
    for pen in &CONVEX {
        for trial in 0..300 {
            let n = 1 + trial % 4;
            let v = random_v(&mut rng, n);
            let t = random_t(&mut rng);
            let z = prox(pen, &v, t);
            let fz = objective(pen, &z, &v, t);
            for w in candidates(&mut rng, &v, &z) {
                let fw = objective(pen, &w, &v, t);
                let d2: f64 = w.iter().zip(&z).map(|(a, b)| (a - b) * (a - b)).sum();
                assert!(
                    fw - fz >= 0.5 * d2 - 1e-12,
                    "{pen:?} v={v:?} t={t} z={z:?} beaten by w={w:?}: {fw} vs {fz}"
                );
            }
        }
    }
}

#[test]
fn convex_prox_of_scalars_matches_fine_grid() {
    let mut rng = Rng::new(2);
    const N: usize = 40_000;
    for pen in &CONVEX {
        for _ in 0..60 {
            let v = rng.uniform(-3.0, 3.0);
            let t = random_t(&mut rng);
            let z = prox(pen, &[v], t)[0];
            let (lo, hi) = (-v.abs() - 1.0, v.abs() + 1.0);
            let h = (hi - lo) / N as f64;
            let mut best = (f64::INFINITY, 0.0);
            for i in 0..=N {
                let w = lo + h * i as f64;
                let f = objective(pen, &[w], &[v], t);
                if f < best.0 {
                    best = (f, w);
                }
            }
            // A convex function's grid minimizer brackets the true one.
            assert!(
                (z - best.1).abs() <= h * 1.0001,
                "{pen:?} v={v} t={t}: {z} vs grid {}",
                best.1
            );
            assert!(objective(pen, &[z], &[v], t) <= best.0 + 1e-12);
        }
    }
}

#[test]
fn convex_prox_of_pairs_matches_nested_golden_search() {
    // min_{z1} min_{z2} F is a convex function of z1, so nested golden-section
    // search finds the minimizer of a convex F on a box.
    let mut rng = Rng::new(3);
    for pen in &CONVEX {
        for _ in 0..120 {
            let v = random_v(&mut rng, 2);
            let t = random_t(&mut rng);
            let z = prox(pen, &v, t);
            let r = v.iter().fold(0.0_f64, |m, x| m.max(x.abs())) + 1.0;
            let inner = |z1: f64| golden(|z2| objective(pen, &[z1, z2], &v, t), -r, r);
            let z1 = golden(|z1| objective(pen, &[z1, inner(z1)], &v, t), -r, r);
            let zg = [z1, inner(z1)];
            let d = norm(&[z[0] - zg[0], z[1] - zg[1]]);
            assert!(
                d <= 1e-5,
                "{pen:?} v={v:?} t={t}: prox {z:?} vs search {zg:?}"
            );
            assert!(objective(pen, &z, &v, t) <= objective(pen, &zg, &v, t) + 1e-12);
        }
    }
}

#[test]
fn nonconvex_prox_is_a_global_minimizer_against_candidates() {
    let mut rng = Rng::new(4);
    for pen in &NONCONVEX {
        for trial in 0..400 {
            let n = 1 + trial % 4;
            let v = random_v(&mut rng, n);
            let t = random_t(&mut rng);
            let z = prox(pen, &v, t);
            let fz = objective(pen, &z, &v, t);
            for w in candidates(&mut rng, &v, &z) {
                let fw = objective(pen, &w, &v, t);
                assert!(
                    fz <= fw + 1e-12,
                    "{pen:?} v={v:?} t={t} z={z:?} beaten by {w:?}"
                );
            }
        }
    }
}

#[test]
fn l0_prox_is_hard_thresholding_at_sqrt_2t() {
    let mut rng = Rng::new(5);
    for _ in 0..500 {
        let t = rng.uniform(1e-3, 5.0);
        let thr = (2.0 * t).sqrt();
        let v = [
            thr * (1.0 + 1e-9),
            -thr * (1.0 + 1e-9),
            thr * (1.0 - 1e-9),
            -thr * (1.0 - 1e-9),
        ];
        let z = prox(&Penalty::L0, &v, t);
        assert_eq!(z, vec![v[0], v[1], 0.0, 0.0], "t = {t}");
    }
    // Exact ties v² = 2t prefer 0.
    assert_eq!(
        prox(&Penalty::L0, &[2.0, -2.0, 1.0], 2.0),
        vec![0.0, 0.0, 0.0]
    );
    assert_eq!(
        prox(&Penalty::L0, &[1.0, -1.0, 1.5], 0.5),
        vec![0.0, 0.0, 1.5]
    );
    // Exhaustive check: the optimal nonzeros equal v_i, so 2^n patterns cover all minimizers.
    for trial in 0..300 {
        let n = 1 + trial % 4;
        let v = random_v(&mut rng, n);
        let t = random_t(&mut rng);
        let z = prox(&Penalty::L0, &v, t);
        let fz = objective(&Penalty::L0, &z, &v, t);
        for mask in 0..(1u32 << n) {
            let w: Vec<f64> = (0..n)
                .map(|i| if mask >> i & 1 == 1 { v[i] } else { 0.0 })
                .collect();
            assert!(fz <= objective(&Penalty::L0, &w, &v, t) + 1e-12);
        }
    }
}

/// Objective of the scalar ℓq problem.
fn lq_obj(z: f64, v: f64, t: f64, q: f64) -> f64 {
    0.5 * (z - v) * (z - v) + t * z.abs().powf(q)
}

/// The minimum of the scalar ℓq objective over a dense grid in [−2|v|, 2|v|]
/// (plus 0), refined by golden-section search around the best grid point.
fn lq_grid_min(v: f64, t: f64, q: f64) -> f64 {
    const N: usize = 40_000;
    let r = 2.0 * v.abs();
    let h = 2.0 * r / N as f64;
    let mut best = (lq_obj(0.0, v, t, q), 0.0);
    for i in 0..=N {
        let w = -r + h * i as f64;
        let f = lq_obj(w, v, t, q);
        if f < best.0 {
            best = (f, w);
        }
    }
    let zr = golden(|z| lq_obj(z, v, t, q), best.1 - h, best.1 + h);
    best.0.min(lq_obj(zr, v, t, q))
}

#[test]
fn lq_prox_matches_dense_grid() {
    let mut rng = Rng::new(6);
    for q in [0.3, 0.5, 0.7] {
        let pen = Penalty::Lq { q };
        for trial in 0..150 {
            let t = rng.uniform(0.01, 2.0);
            let v = if trial % 3 == 0 {
                // Near the threshold τ where the minimizer jumps from 0.
                let beta = (2.0 * t * (1.0 - q)).powf(1.0 / (2.0 - q));
                let tau = beta + t * q * beta.powf(q - 1.0);
                tau * rng.uniform(0.98, 1.02) * if rng.unit() < 0.5 { -1.0 } else { 1.0 }
            } else {
                rng.uniform(-3.0, 3.0)
            };
            let reference = lq_grid_min(v, t, q);
            for (path, z) in [
                ("prox", prox(&pen, &[v], t)[0]),
                ("generic", lq_scalar(v, t, q)),
            ] {
                let f = lq_obj(z, v, t, q);
                assert!(
                    f <= reference + 1e-12 && f >= reference - 1e-9,
                    "{path} q={q} v={v} t={t}: z={z} f={f} grid {reference}"
                );
                assert!(z == 0.0 || z.signum() == v.signum());
            }
        }
    }
}

#[test]
fn lq_threshold_and_jump_match_closed_form() {
    // The minimizer jumps from 0 to β = (2t(1−q))^{1/(2−q)} at
    // |v| = τ = β + t q β^{q−1} (Marjanovic & Solo).
    for q in [0.3, 0.5, 0.7] {
        for t in [1e-3, 0.1, 1.0, 5.0, 1e3_f64] {
            let beta = (2.0 * t * (1.0 - q)).powf(1.0 / (2.0 - q));
            let tau = beta + t * q * beta.powf(q - 1.0);
            for z in [
                lq_scalar(tau * (1.0 + 1e-7), t, q),
                prox(&Penalty::Lq { q }, &[tau * (1.0 + 1e-7)], t)[0],
            ] {
                assert!(
                    (z - beta).abs() <= 1e-4 * beta,
                    "q={q} t={t}: {z} vs β={beta}"
                );
            }
            assert_eq!(lq_scalar(-tau * (1.0 - 1e-7), t, q), 0.0);
            assert_eq!(prox(&Penalty::Lq { q }, &[tau * (1.0 - 1e-7)], t)[0], 0.0);
        }
    }
}

#[test]
fn half_thresholding_agrees_with_generic_newton() {
    let mut rng = Rng::new(7);
    let mut nonzero = 0;
    for i in 0..20_000 {
        let t = 10f64.powf(rng.uniform(-4.0, 2.0));
        let v = if i % 4 == 0 {
            1.5 * t.powf(2.0 / 3.0) * rng.uniform(0.999, 1.001)
        } else {
            10f64.powf(rng.uniform(-4.0, 3.0)) * if rng.unit() < 0.5 { -1.0 } else { 1.0 }
        };
        let (h, g) = (half_threshold(v, t), lq_scalar(v, t, 0.5));
        if h != 0.0 && g != 0.0 {
            nonzero += 1;
            assert!((h - g).abs() <= 1e-12 * v.abs(), "v={v} t={t}: {h} vs {g}");
        } else if h != g {
            // Only at a numerical tie between 0 and the nonzero candidate.
            let (fh, fg) = (lq_obj(h, v, t, 0.5), lq_obj(g, v, t, 0.5));
            assert!((fh - fg).abs() <= 1e-12 * v * v, "v={v} t={t}: {h} vs {g}");
        }
    }
    assert!(nonzero > 5_000);
}

#[test]
fn values_names_and_convexity() {
    let x = [3.0, -4.0, 0.0, 1.0];
    assert_eq!(Penalty::L1.value(&x), 8.0);
    assert_eq!(Penalty::L2.value(&x), 26.0_f64.sqrt());
    assert_eq!(Penalty::GroupL2 { size: 2 }.value(&x), 6.0);
    assert_eq!(Penalty::GroupL2 { size: 3 }.value(&x), 6.0);
    assert_eq!(Penalty::LInf.value(&x), 4.0);
    assert_eq!(Penalty::L0.value(&x), 3.0);
    assert!((Penalty::Lq { q: 0.5 }.value(&x) - (3f64.sqrt() + 2.0 + 1.0)).abs() < 1e-15);
    assert_eq!(Penalty::L2.value(&[1e200, 1e200]), 2f64.sqrt() * 1e200);
    assert_eq!(Penalty::L2.value(&[3e-200, 4e-200]), 5e-200);
    let names: Vec<_> = CONVEX.iter().chain(&NONCONVEX).map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "l1", "l2", "group_l2", "group_l2", "group_l2", "linf", "l0", "lq", "lq", "lq"
        ]
    );
    assert!(CONVEX.iter().all(|p| p.is_convex()));
    assert!(NONCONVEX.iter().all(|p| !p.is_convex()));
}

#[test]
fn closed_forms_on_known_inputs() {
    let v = [3.0, -1.0, 0.5, -4.0];
    assert_eq!(prox(&Penalty::L1, &v, 1.0), vec![2.0, 0.0, 0.0, -3.0]);
    // ‖(3, −4)‖ = 5: scale 1 − 1/5; ‖(−1, 0.5)‖ < 2: zero.
    let g = prox(&Penalty::GroupL2 { size: 2 }, &[3.0, -4.0, -1.0, 0.5], 2.0);
    assert_eq!(g, vec![3.0 * 0.6, -4.0 * 0.6, 0.0, 0.0]);
    // Ragged last group (size 3 on 4 entries).
    let g = prox(&Penalty::GroupL2 { size: 3 }, &[0.0, 3.0, 4.0, -2.0], 1.0);
    assert_eq!(g, vec![0.0, 3.0 * 0.8, 4.0 * 0.8, -1.0]);
    // ℓ∞: clip at θ where the clipped mass Σ (|v_i| − θ)_+ equals t.
    assert_eq!(prox(&Penalty::LInf, &v, 1.0), vec![3.0, -1.0, 0.5, -3.0]);
    assert_eq!(prox(&Penalty::LInf, &v, 3.0), vec![2.0, -1.0, 0.5, -2.0]);
    assert_eq!(prox(&Penalty::LInf, &v, 8.5), vec![0.0; 4]);
}

#[test]
fn invalid_and_non_finite_inputs_never_panic() {
    let all: Vec<Penalty> = CONVEX.iter().chain(&NONCONVEX).copied().collect();
    for pen in &all {
        // Empty blocks.
        assert_eq!(pen.value(&[]), 0.0);
        let mut empty: [f64; 0] = [];
        pen.prox(&[], 1.0, &mut empty);
        // t = 0 copies bit for bit.
        let v = [1.5, -0.0, -2.0, 1e-300];
        let z = prox(pen, &v, 0.0);
        assert!(
            z.iter().zip(&v).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{pen:?}"
        );
        // Invalid t and a wrong output length give NaN.
        for t in [-1.0, f64::NAN, f64::NEG_INFINITY] {
            assert!(prox(pen, &v, t).iter().all(|x| x.is_nan()), "{pen:?} t={t}");
        }
        let mut short = [0.0; 3];
        pen.prox(&v, 1.0, &mut short);
        assert!(short.iter().all(|x| x.is_nan()));
        // t = ∞ maps finite inputs to 0.
        assert_eq!(prox(pen, &v, f64::INFINITY), vec![0.0; 4], "{pen:?}");
        // NaN inputs: NaN value and NaN in the output, never a panic.
        let w = [1.0, f64::NAN, -5.0];
        assert!(pen.value(&w).is_nan());
        let z = prox(pen, &w, 0.5);
        assert!(z[1].is_nan(), "{pen:?}");
        // Infinite and extreme entries.
        for x in [
            [f64::INFINITY, 1.0, -3.0],
            [1e300, -1e300, 1e-300],
            [f64::MAX, f64::MIN, 0.0],
        ] {
            let _ = prox(pen, &x, 0.5);
            let _ = prox(pen, &x, 1e300);
            let _ = pen.value(&x);
        }
    }
    // NaN stays in its entry for separable penalties, in its group otherwise.
    let w = [1.0, f64::NAN, -5.0];
    for pen in [
        Penalty::L1,
        Penalty::L0,
        Penalty::Lq { q: 0.5 },
        Penalty::Lq { q: 0.3 },
    ] {
        let z = prox(&pen, &w, 0.5);
        assert!(z[0].is_finite() && z[2].is_finite(), "{pen:?}");
    }
    assert!(prox(&Penalty::L2, &w, 0.5).iter().all(|x| x.is_nan()));
    assert!(prox(&Penalty::LInf, &w, 0.5).iter().all(|x| x.is_nan()));
    let z = prox(&Penalty::GroupL2 { size: 2 }, &w, 0.5);
    assert!(z[0].is_nan() && z[1].is_nan() && z[2] == -4.5);
    // Parameters outside their domain.
    for pen in [
        Penalty::GroupL2 { size: 0 },
        Penalty::Lq { q: 0.0 },
        Penalty::Lq { q: 1.0 },
        Penalty::Lq { q: -0.5 },
        Penalty::Lq { q: f64::NAN },
    ] {
        assert!(pen.value(&[1.0]).is_nan());
        assert!(prox(&pen, &[1.0, 2.0], 0.5).iter().all(|x| x.is_nan()));
    }
    // Infinite entries have their limits.
    assert_eq!(
        prox(&Penalty::L1, &[f64::INFINITY, 1.0], 1.0),
        vec![f64::INFINITY, 0.0]
    );
    assert_eq!(
        prox(&Penalty::LInf, &[f64::NEG_INFINITY, 1.0], 1.0),
        vec![f64::NEG_INFINITY, 1.0]
    );
    assert_eq!(
        prox(&Penalty::Lq { q: 0.3 }, &[f64::INFINITY], 1.0),
        vec![f64::INFINITY]
    );
    // No overflow in the block norm.
    let z = prox(&Penalty::L2, &[1e200, 1e200], 1e200);
    assert!((z[0] / 1e200 - (1.0 - 0.5f64.sqrt())).abs() < 1e-15);
    // The scaled ℓq problem handles magnitudes far from 1.
    for (v, t) in [
        (1e-200, 1e-300),
        (1e200, 1e250),
        (1e-150, 1e-160),
        (1e300, 1.0),
    ] {
        for q in [0.3, 0.5, 0.7] {
            let z = lq_scalar(v, t, q);
            assert!(z.is_finite() && z >= 0.0 && z <= v);
            // In the scaled variables w = z/v the objective is ½(w−1)² + s w^q.
            let (w, s) = (z / v, (t.ln() + (q - 2.0) * v.ln()).exp());
            let f = 0.5 * (w - 1.0) * (w - 1.0) + s * w.powf(q);
            assert!(f <= 0.5 && f <= s + 1e-12, "v={v} t={t} q={q}: z={z}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn convex_proxes_are_nonexpansive_and_moreau_holds(
        v in prop::collection::vec(-1e3..1e3f64, 0..8),
        dw in prop::collection::vec(-1.0..1.0f64, 8),
        t in 0.0..50.0f64,
    ) {
        let w: Vec<f64> = v.iter().zip(&dw).map(|(a, b)| a + b).collect();
        for pen in &CONVEX {
            let (pv, pw) = (prox(pen, &v, t), prox(pen, &w, t));
            prop_assert!(pv.iter().all(|x| x.is_finite()));
            let d: Vec<f64> = pv.iter().zip(&pw).map(|(a, b)| a - b).collect();
            let e: Vec<f64> = v.iter().zip(&w).map(|(a, b)| a - b).collect();
            prop_assert!(norm(&d) <= norm(&e) * (1.0 + 1e-12) + 1e-12);
        }
        for pen in &NONCONVEX {
            prop_assert!(prox(pen, &v, t).iter().all(|x| x.is_finite()));
        }
        // Moreau: prox_{t‖·‖∞}(v) + proj_{‖·‖₁ ≤ t}(v) = v.
        if t > 0.0 {
            let mut p = vec![0.0; v.len()];
            Set::L1Ball { radius: t }.project(&v, &mut p).unwrap();
            let z = prox(&Penalty::LInf, &v, t);
            for ((zi, pi), vi) in z.iter().zip(&p).zip(&v) {
                prop_assert!((zi + pi - vi).abs() <= 1e-12 * (1.0 + vi.abs()));
            }
        }
    }
}

/// The nuclear prox (singular value soft thresholding) against random candidates
/// by strong convexity, and the closed form on a diagonal matrix.
#[test]
fn nuclear_prox_shrinks_singular_values() {
    let mut rng = Rng::new(77);
    let (rows, cols) = (4, 3);
    let p = Penalty::Nuclear { rows, cols };
    for _ in 0..20 {
        let v = rng.normals(rows * cols);
        let t = rng.uniform(0.05, 1.5);
        let mut z = vec![0.0; v.len()];
        p.prox(&v, t, &mut z);
        let obj = |w: &[f64]| {
            0.5 * w
                .iter()
                .zip(&v)
                .map(|(a, b)| (a - b) * (a - b))
                .sum::<f64>()
                + t * p.value(w)
        };
        let fz = obj(&z);
        for _ in 0..50 {
            let scale = rng.uniform(1e-6, 1.0);
            let w: Vec<f64> = z.iter().map(|zi| zi + scale * rng.normal()).collect();
            let dist: f64 = w.iter().zip(&z).map(|(a, b)| (a - b) * (a - b)).sum();
            assert!(obj(&w) - fz >= 0.5 * dist - 1e-9, "not the prox");
        }
    }
    // diag(3, 1, 0.2) shrunk by 0.5: diag(2.5, 0.5, 0).
    let mut d = vec![0.0; 9];
    d[0] = 3.0;
    d[4] = 1.0;
    d[8] = 0.2;
    let mut z = vec![0.0; 9];
    Penalty::Nuclear { rows: 3, cols: 3 }.prox(&d, 0.5, &mut z);
    for (k, want) in [(0, 2.5), (4, 0.5), (8, 0.0)] {
        assert!((z[k] - want).abs() < 1e-12, "{z:?}");
    }
    assert!((Penalty::Nuclear { rows: 3, cols: 3 }.value(&d) - 4.2).abs() < 1e-12);
}

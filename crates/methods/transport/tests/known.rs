//! Known answers: closed forms for n = 1 and 2 × 2 problems, the limit of a
//! small regularization on a permutation-optimal cost, marginals and agreement
//! of the three methods on random instances, potentials reproducing the plan.

mod common;

use common::*;
use optl_transport::{Method, Status, sinkhorn};

const METHODS: [Method; 3] = [Method::Scaling, Method::Log, Method::NewtonSparse];

/// The entropic optimum of a 2 × 2 problem: `P = [[x, p − x], [q − x, 1 − p − q + x]]`
/// with `x (1 − p − q + x) / ((p − x)(q − x)) = exp(−(M00 − M01 − M10 + M11) / reg)`.
fn two_by_two(p: f64, q: f64, m: [f64; 4], reg: f64) -> [f64; 4] {
    let kappa = (-(m[0] - m[1] - m[2] + m[3]) / reg).exp();
    // (1 − κ) x² + (1 − p − q + κ (p + q)) x − κ p q = 0, root in [lo, hi].
    let (qa, qb, qc) = (1.0 - kappa, 1.0 - p - q + kappa * (p + q), -kappa * p * q);
    let lo = (p + q - 1.0).max(0.0);
    let hi = p.min(q);
    let x = if qa.abs() < 1e-14 {
        -qc / qb
    } else {
        let disc = (qb * qb - 4.0 * qa * qc).sqrt();
        let r1 = (-qb + disc) / (2.0 * qa);
        let r2 = (-qb - disc) / (2.0 * qa);
        if (lo..=hi).contains(&r1) { r1 } else { r2 }
    };
    [x, p - x, q - x, 1.0 - p - q + x]
}

#[test]
fn two_by_two_closed_form() {
    let m = [0.3, 1.0, 0.7, 0.1];
    for reg in [1.0, 0.2, 0.05] {
        let want = two_by_two(0.4, 0.65, m, reg);
        for method in METHODS {
            let t = sinkhorn(&[0.4, 0.6], &[0.65, 0.35], &m, reg, &tight(method)).unwrap();
            assert_eq!(t.status, Status::Converged, "{method:?} reg {reg}");
            for (got, want) in t.plan.iter().zip(&want) {
                assert!(
                    (got - want).abs() < 1e-11,
                    "{method:?} reg {reg}: {:?} vs {want:?}",
                    t.plan
                );
            }
            let cost: f64 = want.iter().zip(&m).map(|(p, c)| p * c).sum();
            assert!((t.cost - cost).abs() < 1e-11);
            assert!((t.objective - objective(&want, &m, reg)).abs() < 1e-11);
        }
    }
}

#[test]
fn one_row_is_the_column_histogram() {
    let b = [0.2, 0.5, 0.3];
    let m = [0.4, 0.1, 0.9];
    let reg = 0.3;
    for method in METHODS {
        let t = sinkhorn(&[1.0], &b, &m, reg, &tight(method)).unwrap();
        assert_eq!(t.status, Status::Converged);
        for (p, q) in t.plan.iter().zip(&b) {
            assert!((p - q).abs() < 1e-14);
        }
        let cost: f64 = b.iter().zip(&m).map(|(p, c)| p * c).sum();
        assert!((t.cost - cost).abs() < 1e-14);
        assert!((t.objective - objective(&b, &m, reg)).abs() < 1e-13);
        // f + g_j = M_j + reg ln b_j and the gauge a f = Σ b g give f in closed form.
        let f = b
            .iter()
            .zip(&m)
            .map(|(p, c)| p * (c + reg * p.ln()))
            .sum::<f64>()
            / 2.0;
        assert!(
            (t.f[0] - f).abs() < 1e-12,
            "{method:?}: f {} vs {f}",
            t.f[0]
        );
        for j in 0..3 {
            assert!((t.g[j] - (m[j] + reg * b[j].ln() - f)).abs() < 1e-12);
        }
    }
}

/// Random points matched to a shuffled copy of themselves: the optimal plan is
/// the permutation (zero cost), and the entropic plan tends to it as `reg`
/// decreases.
#[test]
fn small_reg_approaches_the_permutation() {
    let n = 8;
    let perm = [3usize, 0, 5, 1, 7, 4, 2, 6];
    let x = lcg(11, 2 * n);
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (dx, dy) = (x[2 * i] - x[2 * perm[j]], x[2 * i + 1] - x[2 * perm[j] + 1]);
            m[i * n + j] = dx * dx + dy * dy;
        }
    }
    let a = vec![1.0 / n as f64; n];
    let distance = |plan: &[f64]| {
        let mut d = 0.0;
        for i in 0..n {
            for j in 0..n {
                let target = if perm[j] == i { 1.0 / n as f64 } else { 0.0 };
                d += (plan[i * n + j] - target).abs();
            }
        }
        d
    };
    for method in METHODS {
        let (mut last, mut last_cost) = (f64::INFINITY, f64::INFINITY);
        for reg in [0.1, 0.02, 0.005, 0.001, 0.0002] {
            let t = sinkhorn(&a, &a, &m, reg, &tight(method)).unwrap();
            assert_eq!(t.status, Status::Converged, "{method:?} reg {reg}");
            let d = distance(&t.plan);
            assert!(
                d < last && t.cost < last_cost,
                "{method:?} reg {reg}: {d} >= {last}"
            );
            (last, last_cost) = (d, t.cost);
        }
        assert!(
            last < 1e-9 && last_cost < 1e-9,
            "{method:?}: distance {last}"
        );
    }
}

/// A chain of points where Sinkhorn crawls (a near-permutation kernel whose
/// mass must move along the chain); the Newton method solves it in a few steps.
#[test]
fn newton_solves_what_sinkhorn_crawls_on() {
    let n = 6;
    let perm = [3usize, 0, 5, 1, 4, 2];
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let y = x[perm[j]] + 0.01;
            m[i * n + j] = (x[i] - y) * (x[i] - y);
        }
    }
    let a = vec![1.0 / n as f64; n];
    let opts = |method| optl_transport::Options {
        max_iters: 2000,
        ..tight(method)
    };
    let s = sinkhorn(&a, &a, &m, 0.002, &opts(Method::Scaling)).unwrap();
    assert_eq!(s.status, Status::MaxIters);
    let t = sinkhorn(&a, &a, &m, 0.002, &opts(Method::NewtonSparse)).unwrap();
    assert_eq!(t.status, Status::Converged);
    assert!(t.iters < 50 && t.newton_steps >= 1, "{} iters", t.iters);
    assert!(t.err <= 1e-12);
}

#[test]
fn marginals_hold_for_every_method() {
    for (seed, n, k, reg) in [(1, 30, 40, 0.05), (2, 25, 25, 0.01), (3, 40, 12, 0.2)] {
        let inst = random_instance(seed, n, k);
        for method in METHODS {
            let opts = optl_transport::Options {
                tol: 1e-10,
                ..tight(method)
            };
            let t = solve(&inst, reg, &opts);
            assert_eq!(t.status, Status::Converged, "{method:?} seed {seed}");
            assert!(t.plan.iter().all(|p| p.is_finite() && *p >= 0.0));
            let (r, c) = marginals(&t.plan, n, k);
            let err: f64 = r
                .iter()
                .zip(&inst.a)
                .map(|(x, y)| (x - y).abs())
                .sum::<f64>()
                + c.iter()
                    .zip(&inst.b)
                    .map(|(x, y)| (x - y).abs())
                    .sum::<f64>();
            assert!(err <= 1e-10 * 1.01, "{method:?} seed {seed}: err {err}");
            assert!(
                (err - t.err).abs() < 1e-13,
                "reported err {} vs {err}",
                t.err
            );
        }
    }
}

#[test]
fn methods_agree_and_potentials_reproduce_the_plan() {
    for (seed, n, k, reg) in [(4, 30, 35, 0.05), (5, 40, 30, 0.01), (6, 20, 20, 0.003)] {
        let inst = random_instance(seed, n, k);
        let runs: Vec<_> = METHODS
            .iter()
            .map(|&m| solve(&inst, reg, &tight(m)))
            .collect();
        for t in &runs {
            assert_eq!(t.status, Status::Converged);
            assert!(
                rel(t.cost, runs[0].cost) < 1e-8,
                "cost {} vs {}",
                t.cost,
                runs[0].cost
            );
            assert!(rel(t.objective, runs[0].objective) < 1e-8);
            // The objective is the entropic objective of the returned plan.
            assert!(rel(t.objective, objective(&t.plan, &inst.m, reg)) < 1e-10);
            let cost: f64 = t.plan.iter().zip(&inst.m).map(|(p, c)| p * c).sum();
            assert!(rel(t.cost, cost) < 1e-12);
            // P_ij = exp((f_i + g_j − M_ij) / reg).
            for i in 0..n {
                for j in 0..k {
                    let p = ((t.f[i] + t.g[j] - inst.m[i * k + j]) / reg).exp();
                    let q = t.plan[i * k + j];
                    assert!((p - q).abs() <= 1e-9 * q + 1e-300, "({i}, {j}): {p} vs {q}");
                }
            }
            // The gauge: Σ a f = Σ b g.
            let af: f64 = inst.a.iter().zip(&t.f).map(|(x, y)| x * y).sum();
            let bg: f64 = inst.b.iter().zip(&t.g).map(|(x, y)| x * y).sum();
            assert!((af - bg).abs() < 1e-13, "gauge {af} vs {bg}");
        }
    }
}

#[test]
fn newton_takes_newton_steps_and_fewer_iterations() {
    let inst = random_instance(7, 60, 60);
    let opts = |method| optl_transport::Options {
        tol: 1e-9,
        ..optl_transport::Options::with_method(method)
    };
    let s = solve(&inst, 0.005, &opts(Method::Scaling));
    let nw = solve(&inst, 0.005, &opts(Method::NewtonSparse));
    assert_eq!(nw.status, Status::Converged);
    assert_eq!(nw.method, Method::NewtonSparse);
    assert!(nw.newton_steps > 0);
    assert!(nw.iters * 3 < s.iters, "{} vs {}", nw.iters, s.iters);
    assert!(nw.err <= 1e-9);
    assert!(rel(nw.cost, s.cost) < 1e-6);
}

#[test]
fn zero_weights_give_zero_rows_and_infinite_potentials() {
    let inst = random_instance(8, 5, 4);
    let mut a = inst.a.clone();
    a[2] = 0.0;
    let total: f64 = a.iter().sum();
    a.iter_mut().for_each(|x| *x /= total);
    let mut b = inst.b.clone();
    b[1] = 0.0;
    let total: f64 = b.iter().sum();
    b.iter_mut().for_each(|x| *x /= total);
    for method in METHODS {
        let t = sinkhorn(&a, &b, &inst.m, 0.1, &tight(method)).unwrap();
        assert_eq!(t.status, Status::Converged);
        assert!((0..4).all(|j| t.plan[2 * 4 + j] == 0.0));
        assert!((0..5).all(|i| t.plan[i * 4 + 1] == 0.0));
        assert_eq!(t.f[2], f64::NEG_INFINITY);
        assert_eq!(t.g[1], f64::NEG_INFINITY);
        assert!(t.f.iter().enumerate().all(|(i, f)| i == 2 || f.is_finite()));
        // The same as the problem without the zero row and column.
        let ra: Vec<f64> = [0, 1, 3, 4].iter().map(|&i| a[i]).collect();
        let rb: Vec<f64> = [0, 2, 3].iter().map(|&j| b[j]).collect();
        let rm: Vec<f64> = [0, 1, 3, 4]
            .iter()
            .flat_map(|&i| [0, 2, 3].map(|j| inst.m[i * 4 + j]))
            .collect();
        let r = sinkhorn(&ra, &rb, &rm, 0.1, &tight(method)).unwrap();
        assert!(rel(t.cost, r.cost) < 1e-12);
        assert!(rel(t.objective, r.objective) < 1e-12);
        assert!((t.f[3] - r.f[2]).abs() < 1e-12);
    }
}

#[test]
fn unequal_masses_within_tolerance_are_rescaled() {
    let inst = random_instance(9, 6, 7);
    let b: Vec<f64> = inst.b.iter().map(|x| x * (1.0 + 5e-10)).collect();
    let t = sinkhorn(&inst.a, &b, &inst.m, 0.1, &tight(Method::Scaling)).unwrap();
    assert_eq!(t.status, Status::Converged);
    let reference = solve(&inst, 0.1, &tight(Method::Scaling));
    assert!(rel(t.cost, reference.cost) < 1e-12);
}

#[test]
fn iteration_limit_and_pot_rule() {
    let inst = random_instance(10, 20, 20);
    let opts = optl_transport::Options {
        max_iters: 3,
        ..optl_transport::Options::default()
    };
    let t = solve(&inst, 0.01, &opts);
    assert_eq!(t.status, Status::MaxIters);
    assert_eq!(t.iters, 3);
    assert!(t.plan.iter().all(|p| p.is_finite()));
    // POT's rule tests every 10th iteration: the count is 1 mod 10.
    let pot = optl_transport::Options {
        norm: optl_transport::Norm::L2,
        ..optl_transport::Options::default()
    };
    let t = solve(&inst, 0.05, &pot);
    assert_eq!(t.status, Status::Converged);
    assert_eq!(t.iters % 10, 1);
}

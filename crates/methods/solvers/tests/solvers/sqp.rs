//! SQP tests: HS71 in few evaluations, infeasibility, unboundedness, size limit.

use crate::problems::{ConNlp, FnNlp, Hs71, contradiction};
use optl_solvers::{Bounds, Options, SQP_MAX_SIZE, Solver, Sqp, Status};

#[test]
fn hs71_in_few_evaluations() {
    let b = Bounds::uniform(4, 1.0, 5.0);
    let r = Sqp::default().solve(&mut Hs71, &Hs71::START, &b, &Options::default());
    Hs71::assert_solved(&r, 1e-8);
    assert!(r.kkt_residual <= 1e-9);
    // The augmented Lagrangian needs 56 (see auglag.rs); SLSQP 25 with differences.
    assert!(r.evals <= 15, "evals = {}", r.evals);
}

/// `x >= 1` and `x <= 0`: no point is feasible, and both constraints are named.
#[test]
fn contradiction_is_infeasible() {
    let mut p = contradiction();
    let r = Sqp::default().solve(&mut p, &[0.5], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Infeasible, "{}", r.message);
    assert_eq!(r.violated.len(), 2);
    assert!(r.max_violation >= 0.5 - 1e-12);
}

/// minimize x0 + x1 subject to x0 = x1 is unbounded along (-1, -1). A large |f|
/// must not pass for optimality: the relative KKT test alone accepts a residual of
/// 1 once |f| > 1e10.
#[test]
fn an_unbounded_problem_is_not_converged() {
    let mut p = ConNlp {
        n: 2,
        n_eq: 1,
        n_ineq: 0,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g.fill(1.0);
            }
            x[0] + x[1]
        },
        c: |x: &[f64], ce: &mut [f64], _: &mut [f64]| ce[0] = x[0] - x[1],
    };
    let r = Sqp::default().solve(
        &mut p,
        &[1.0, 1.0],
        &Bounds::unbounded(2),
        &Options::default(),
    );
    assert!(
        matches!(r.status, Status::MaxIters | Status::Unbounded),
        "{}",
        r.message
    );
    assert!(r.f < -1e10);
}

/// A problem too big for dense matrices is refused before anything is allocated.
#[test]
fn refuses_problems_too_big_for_it() {
    let n = SQP_MAX_SIZE + 1;
    let mut p = FnNlp {
        n,
        f: |_: &[f64], _: Option<&mut [f64]>| 0.0,
    };
    let r = Sqp::default().solve(
        &mut p,
        &vec![0.0; n],
        &Bounds::unbounded(n),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Error);
    assert!(r.message.contains("auglag()"), "{}", r.message);
}

/// Random convex problems (a positive definite quadratic plus `Σ exp(xᵢ)/10`, one
/// linear equality, three linear inequalities, the box [-2, 2]), feasible by
/// construction and started from a random, often infeasible, point: SQP converges,
/// to the augmented Lagrangian's optimum (a convex problem has one) where that one
/// converges, and no higher where it stalls.
#[test]
fn random_convex_problems_agree_with_auglag() {
    let mut seed = 5u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut stalled = 0;
    for case in 0..60 {
        let n = 2 + case % 5;
        let m: Vec<f64> = (0..n * n).map(|_| next()).collect();
        let mut q = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                q[i * n + j] = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>();
            }
            q[i * n + i] += 0.5;
        }
        let c: Vec<f64> = (0..n).map(|_| 2.0 * next()).collect();
        // Constraint rows a_i·x (=, <=) b_i, satisfied by a point inside the box.
        let inside: Vec<f64> = (0..n).map(|_| next()).collect();
        let rows: Vec<f64> = (0..4 * n).map(|_| next()).collect();
        let b: Vec<f64> = (0..4)
            .map(|i| {
                let v: f64 = (0..n).map(|j| rows[i * n + j] * inside[j]).sum();
                if i == 0 { v } else { v + next().abs() }
            })
            .collect();
        let (q2, c2, rows2, b2) = (q.clone(), c.clone(), rows.clone(), b.clone());
        let problem = move || ConNlp {
            n,
            n_eq: 1,
            n_ineq: 3,
            f: {
                let (q, c) = (q2.clone(), c2.clone());
                move |x: &[f64], g: Option<&mut [f64]>| {
                    let qx: Vec<f64> = (0..n)
                        .map(|i| (0..n).map(|j| q[i * n + j] * x[j]).sum::<f64>())
                        .collect();
                    if let Some(g) = g {
                        for i in 0..n {
                            g[i] = qx[i] + c[i] + x[i].exp() / 10.0;
                        }
                    }
                    (0..n)
                        .map(|i| 0.5 * x[i] * qx[i] + c[i] * x[i] + x[i].exp() / 10.0)
                        .sum()
                }
            },
            c: {
                let (rows, b) = (rows2.clone(), b2.clone());
                move |x: &[f64], ce: &mut [f64], ci: &mut [f64]| {
                    for i in 0..4 {
                        let v: f64 = (0..n).map(|j| rows[i * n + j] * x[j]).sum::<f64>() - b[i];
                        if i == 0 {
                            ce[0] = v;
                        } else {
                            ci[i - 1] = v;
                        }
                    }
                }
            },
        };
        let x0: Vec<f64> = (0..n).map(|_| 3.0 * next()).collect();
        let bounds = Bounds::uniform(n, -2.0, 2.0);
        let opts = Options::default();
        let s = Sqp::default().solve(&mut problem(), &x0, &bounds, &opts);
        let a = optl_solvers::AugLag::default().solve(&mut problem(), &x0, &bounds, &opts);
        assert_eq!(s.status, Status::Converged, "case {case}: {}", s.message);
        assert!(s.max_violation <= 1e-8, "case {case}");
        if a.status != Status::Converged {
            // The augmented Lagrangian stalls on a few (at KKT residuals near 1e-5).
            assert!(
                a.max_violation <= 1e-8 && s.f <= a.f + 1e-9,
                "case {case}: {}",
                a.message
            );
            stalled += 1;
            continue;
        }
        assert!(
            (s.f - a.f).abs() <= 1e-7 * (1.0 + a.f.abs()),
            "case {case}: sqp {} auglag {}",
            s.f,
            a.f
        );
        for (xs, xa) in s.x.iter().zip(&a.x) {
            assert!((xs - xa).abs() <= 1e-4, "case {case}: {:?} {:?}", s.x, a.x);
        }
    }
    assert!(
        stalled <= 6,
        "{stalled} cases without an augmented Lagrangian optimum"
    );
}

/// The Maratos example (Nocedal & Wright, Example 15.4): minimize
/// `2(x0² + x1² − 1) − x0` on the unit circle, from a point on it. Full SQP steps
/// leave the circle to second order and the ℓ₁ merit rejects them; the second-order
/// correction puts them back, so the solve converges fast to (1, 0).
#[test]
fn second_order_correction_beats_the_maratos_effect() {
    let mut p = ConNlp {
        n: 2,
        n_eq: 1,
        n_ineq: 0,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 4.0 * x[0] - 1.0;
                g[1] = 4.0 * x[1];
            }
            2.0 * (x[0] * x[0] + x[1] * x[1] - 1.0) - x[0]
        },
        c: |x: &[f64], ce: &mut [f64], _: &mut [f64]| ce[0] = x[0] * x[0] + x[1] * x[1] - 1.0,
    };
    let start = [0.3f64.cos(), 0.3f64.sin()];
    let r = Sqp::default().solve(&mut p, &start, &Bounds::unbounded(2), &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(
        (r.x[0] - 1.0).abs() < 1e-8 && r.x[1].abs() < 1e-8,
        "x = {:?}",
        r.x
    );
    // 4 iterations with the correction; 11 without it.
    assert!(r.iters <= 6, "{} iterations", r.iters);
}

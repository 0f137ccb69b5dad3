//! Augmented Lagrangian tests: Hock–Schittkowski problems, infeasibility,
//! unboundedness.

use crate::problems::{ConNlp, Hs71, contradiction};
use optl_solvers::{AugLag, Bounds, ConstraintRef, Options, Solver, Status};

#[test]
fn hs71() {
    let b = Bounds::uniform(4, 1.0, 5.0);
    let r = AugLag::default().solve(&mut Hs71, &Hs71::START, &b, &Options::default());
    Hs71::assert_solved(&r, 1e-6);
    assert!(r.kkt_residual <= 1e-8, "kkt = {}", r.kkt_residual);
    assert_eq!(r.violation_history.len(), r.iters + 1);
    // Each subproblem starts from the previous one's curvature pairs: 56 evaluations,
    // against 121 when every subproblem started from scratch.
    assert!(r.evals <= 80, "evals = {}", r.evals);
}

#[test]
fn hs71_finite_difference_jacobian() {
    // The same problem without an analytic Jacobian (the trait's default).
    let mut p = ConNlp {
        n: 4,
        n_eq: 1,
        n_ineq: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            use optl_solvers::Nlp;
            Hs71.objective(x, g)
        },
        c: |x: &[f64], ce: &mut [f64], ci: &mut [f64]| {
            use optl_solvers::Nlp;
            Hs71.constraints(x, ce, ci)
        },
    };
    let b = Bounds::uniform(4, 1.0, 5.0);
    let r = AugLag::default().solve(&mut p, &Hs71::START, &b, &Options::default());
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    assert!((r.f - 17.014_017_3).abs() < 1e-6, "f = {}", r.f);
    assert!(r.max_violation <= 1e-8);
}

#[test]
fn hs35_inequality() {
    let mut p = ConNlp {
        n: 3,
        n_eq: 0,
        n_ineq: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = -8.0 + 4.0 * x[0] + 2.0 * x[1] + 2.0 * x[2];
                g[1] = -6.0 + 4.0 * x[1] + 2.0 * x[0];
                g[2] = -4.0 + 2.0 * x[2] + 2.0 * x[0];
            }
            9.0 - 8.0 * x[0] - 6.0 * x[1] - 4.0 * x[2]
                + 2.0 * x[0] * x[0]
                + 2.0 * x[1] * x[1]
                + x[2] * x[2]
                + 2.0 * x[0] * x[1]
                + 2.0 * x[0] * x[2]
        },
        c: |x: &[f64], _ce: &mut [f64], ci: &mut [f64]| ci[0] = x[0] + x[1] + 2.0 * x[2] - 3.0,
    };
    let b = Bounds::new(vec![0.0; 3], vec![f64::INFINITY; 3]);
    let r = AugLag::default().solve(&mut p, &[0.5, 0.5, 0.5], &b, &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!((r.f - 1.0 / 9.0).abs() < 1e-9, "f = {}", r.f);
    let xs = [4.0 / 3.0, 7.0 / 9.0, 4.0 / 9.0];
    assert!(
        r.x.iter().zip(xs).all(|(a, b)| (a - b).abs() < 1e-7),
        "x = {:?}",
        r.x
    );
}

#[test]
fn hs21_bounds_and_inequality() {
    let mut p = ConNlp {
        n: 2,
        n_eq: 0,
        n_ineq: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 0.02 * x[0];
                g[1] = 2.0 * x[1];
            }
            0.01 * x[0] * x[0] + x[1] * x[1] - 100.0
        },
        c: |x: &[f64], _ce: &mut [f64], ci: &mut [f64]| ci[0] = 10.0 - 10.0 * x[0] + x[1],
    };
    let b = Bounds::new(vec![2.0, -50.0], vec![50.0, 50.0]);
    let r = AugLag::default().solve(&mut p, &[-1.0, -1.0], &b, &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!((r.f + 99.96).abs() < 1e-9, "f = {}", r.f);
}

#[test]
fn equality_started_infeasible() {
    // HS6: (1 - x0)^2 subject to 10 (x1 - x0^2) = 0, from (-1.2, 1).
    let mut p = ConNlp {
        n: 2,
        n_eq: 1,
        n_ineq: 0,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = -2.0 * (1.0 - x[0]);
                g[1] = 0.0;
            }
            (1.0 - x[0]).powi(2)
        },
        c: |x: &[f64], ce: &mut [f64], _ci: &mut [f64]| ce[0] = 10.0 * (x[1] - x[0] * x[0]),
    };
    let r = AugLag::default().solve(
        &mut p,
        &[-1.2, 1.0],
        &Bounds::unbounded(2),
        &Options::default(),
    );
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    assert!(
        r.f < 1e-12 && r.max_violation <= 1e-8,
        "f = {}, viol = {}",
        r.f,
        r.max_violation
    );
}

#[test]
fn infeasible_reports_violations() {
    let mut p = contradiction();
    let r = AugLag::default().solve(&mut p, &[3.0], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Infeasible, "{}", r.message);
    assert!(!r.violated.is_empty());
    assert!(r.max_violation > 0.4, "viol = {}", r.max_violation);
    for (c, v) in &r.violated {
        assert!(matches!(c, ConstraintRef::Ineq(0 | 1)));
        assert!(*v > 1e-8);
    }
    // Infeasible bounds are reported at once.
    let r = AugLag::default().solve(
        &mut p,
        &[0.0],
        &Bounds::new(vec![1.0], vec![0.0]),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Infeasible);
}

#[test]
fn unbounded_with_constraint() {
    // min x s.t. x <= 0.
    let mut p = ConNlp {
        n: 1,
        n_eq: 0,
        n_ineq: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 1.0;
            }
            x[0]
        },
        c: |x: &[f64], _ce: &mut [f64], ci: &mut [f64]| ci[0] = x[0],
    };
    let r = AugLag::default().solve(&mut p, &[0.0], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Unbounded, "{}", r.message);
}

#[test]
fn nan_objective_is_diverged() {
    let mut p = ConNlp {
        n: 1,
        n_eq: 1,
        n_ineq: 0,
        f: |x: &[f64], _g: Option<&mut [f64]>| x[0].ln(),
        c: |x: &[f64], ce: &mut [f64], _ci: &mut [f64]| ce[0] = x[0] - 1.0,
    };
    let r = AugLag::default().solve(&mut p, &[-1.0], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Diverged);
    assert!(r.message.contains("NaN"), "{}", r.message);
}

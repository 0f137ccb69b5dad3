//! SQP tests: HS71 in few evaluations, infeasibility, unboundedness, size limit.

use crate::problems::{ConNlp, FnNlp, Hs71, contradiction};
use optl_runtime::{Bounds, Options, SQP_MAX_SIZE, Sqp, Status};

#[test]
fn hs71_in_few_evaluations() {
    let b = Bounds::uniform(4, 1.0, 5.0);
    let r = Sqp::default().solve(&mut Hs71, &[1.0, 5.0, 5.0, 1.0], &b, &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!((r.f - 17.014_017_289_1).abs() < 1e-8, "f = {}", r.f);
    let xs = [1.0, 4.742_999_6, 3.821_149_9, 1.379_408_3];
    for (a, b) in r.x.iter().zip(xs) {
        assert!((a - b).abs() < 1e-6, "x = {:?}", r.x);
    }
    assert!(r.max_violation <= 1e-8 && r.kkt_residual <= 1e-9);
    assert_eq!(r.history.len(), r.iters + 1);
    assert!(r.multipliers_ineq[0] > 0.0);
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

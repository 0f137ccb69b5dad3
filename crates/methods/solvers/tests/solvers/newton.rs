//! Newton-CG tests.

use crate::problems::{FnNlp, Rosenbrock, powell};
use optl_solvers::{Bounds, Newton, Options, Solver, Status};

#[test]
fn rosenbrock_exact_hvp() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let x0 = p.start();
    let r = Newton::default().solve(&mut p, &x0, &Bounds::unbounded(2), &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.f < 1e-14, "f = {}", r.f);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7), "x = {:?}", r.x);
    assert!(r.iters < 60, "iters = {}", r.iters);
}

#[test]
fn rosenbrock_finite_difference_hvp() {
    let mut p = Rosenbrock {
        n: 20,
        exact_hvp: false,
    };
    let x0 = p.start();
    let r = Newton::default().solve(&mut p, &x0, &Bounds::unbounded(20), &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7), "x = {:?}", r.x);
}

#[test]
fn rosenbrock_with_bounds() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let x0 = p.start();
    let b = Bounds::new(vec![-2.0, -2.0], vec![0.5, 2.0]);
    let r = Newton::default().solve(&mut p, &x0, &b, &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert_eq!(r.x[0], 0.5);
    assert!((r.x[1] - 0.25).abs() < 1e-8, "x = {:?}", r.x);
}

#[test]
fn powell_singular_newton() {
    let mut p = FnNlp { n: 4, f: powell };
    let r = Newton::default().solve(
        &mut p,
        &[3.0, -1.0, 0.0, 1.0],
        &Bounds::unbounded(4),
        &Options::default(),
    );
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    assert!(r.f < 1e-14, "f = {}", r.f);
}

#[test]
fn newton_nan_start_and_unbounded() {
    let mut p = FnNlp {
        n: 1,
        f: |_x: &[f64], _g: Option<&mut [f64]>| f64::NAN,
    };
    let r = Newton::default().solve(&mut p, &[1.0], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Diverged);
    assert_eq!(r.diverged_at, Some(0));
    let mut p = FnNlp {
        n: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = -2.0 * x[0] - 1.0;
            }
            -x[0] * x[0] - x[0]
        },
    };
    let r = Newton::default().solve(&mut p, &[0.0], &Bounds::unbounded(1), &Options::default());
    assert_eq!(r.status, Status::Unbounded, "{}", r.message);
}

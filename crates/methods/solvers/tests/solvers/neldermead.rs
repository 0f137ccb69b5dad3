//! Nelder–Mead tests.

use crate::problems::{FnNlp, Rosenbrock};
use optl_solvers::{Bounds, NelderMead, Options, Solver, Status};

#[test]
fn rosenbrock_2d() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let x0 = p.start();
    let r = NelderMead::default().solve(&mut p, &x0, &Bounds::unbounded(2), &Options::default());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7), "x = {:?}", r.x);
}

#[test]
fn nonsmooth_with_bounds() {
    // |x - 2| + |y + 1| on [0, 1]²: the minimum is at the corner (1, 0).
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], _g: Option<&mut [f64]>| (x[0] - 2.0).abs() + (x[1] + 1.0).abs(),
    };
    let b = Bounds::uniform(2, 0.0, 1.0);
    let r = NelderMead::default().solve(&mut p, &[0.5, 0.5], &b, &Options::default());
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    assert!(
        (r.x[0] - 1.0).abs() < 1e-7 && r.x[1].abs() < 1e-7,
        "x = {:?}",
        r.x
    );
}

#[test]
fn nan_region_is_avoided() {
    // NaN for x < 0; minimum of (x-1)^2 + y^2 at (1, 0).
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], _g: Option<&mut [f64]>| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 1.0).powi(2) + x[1] * x[1] + x[0].sqrt() * 0.0
            }
        },
    };
    let r = NelderMead::default().solve(
        &mut p,
        &[0.01, 3.0],
        &Bounds::unbounded(2),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!((r.x[0] - 1.0).abs() < 1e-6, "x = {:?}", r.x);
    let mut q = FnNlp {
        n: 2,
        f: |_x: &[f64], _g: Option<&mut [f64]>| f64::NAN,
    };
    let r = NelderMead::default().solve(
        &mut q,
        &[0.0, 0.0],
        &Bounds::unbounded(2),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Diverged);
}

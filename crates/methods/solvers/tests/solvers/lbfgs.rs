//! L-BFGS tests: unconstrained test functions, bounds, and failure statuses.

use crate::problems::{FnNlp, Rosenbrock, powell};
use optl_solvers::{Bounds, Lbfgs, LineSearch, Nlp, Options, Solver, Status};
use std::cell::Cell;
use std::time::Duration;

fn opts() -> Options {
    Options::default()
}

#[test]
fn rosenbrock_2d_full_precision() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &Bounds::unbounded(2), &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.f < 1e-14, "f = {}", r.f);
    for v in &r.x {
        assert!((v - 1.0).abs() < 1e-7, "x = {:?}", r.x);
    }
    assert!(r.iters < 60, "iters = {}", r.iters);
    assert_eq!(r.history.len(), r.iters + 1);
    assert!(r.grad_norm <= 1e-10);
}

#[test]
fn chained_rosenbrock_100() {
    let mut p = Rosenbrock {
        n: 100,
        exact_hvp: true,
    };
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &Bounds::unbounded(100), &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.f < 1e-14, "f = {}", r.f);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7), "x = {:?}", r.x);
}

#[test]
fn rosenbrock_with_backtracking() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let solver = Lbfgs {
        line_search: LineSearch::Backtracking,
        ..Lbfgs::default()
    };
    let x0 = p.start();
    let r = solver.solve(&mut p, &x0, &Bounds::unbounded(2), &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7));
}

#[test]
fn convex_quadratic() {
    // f = 1/2 xᵀAx - bᵀx with A = diag(1..=20) + 0.5·(ones offdiag neighbours).
    let n = 20;
    let mut p = FnNlp {
        n,
        f: move |x: &[f64], g: Option<&mut [f64]>| {
            let ax: Vec<f64> = (0..n)
                .map(|i| {
                    let mut v = (i + 1) as f64 * x[i];
                    if i > 0 {
                        v += 0.5 * x[i - 1];
                    }
                    if i + 1 < n {
                        v += 0.5 * x[i + 1];
                    }
                    v
                })
                .collect();
            if let Some(g) = g {
                for i in 0..n {
                    g[i] = ax[i] - 1.0;
                }
            }
            (0..n).map(|i| 0.5 * x[i] * ax[i] - x[i]).sum()
        },
    };
    let r = Lbfgs::default().solve(&mut p, &vec![3.0; n], &Bounds::unbounded(n), &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    let mut g = vec![0.0; n];
    p.objective(&r.x, Some(&mut g));
    assert!(g.iter().all(|v| v.abs() < 1e-9), "g = {g:?}");
}

#[test]
fn powell_singular() {
    let mut p = FnNlp { n: 4, f: powell };
    let r = Lbfgs::default().solve(
        &mut p,
        &[3.0, -1.0, 0.0, 1.0],
        &Bounds::unbounded(4),
        &opts(),
    );
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    // A singular Hessian: |g| ~ |x|^3, so gradient 1e-10 means |x| ~ 1e-4.
    assert!(r.f < 1e-14, "f = {}", r.f);
    assert!(r.x.iter().all(|v| v.abs() < 1e-3), "x = {:?}", r.x);
}

#[test]
fn rosenbrock_with_active_upper_bound() {
    // The box x <= 0.5 puts the optimum on the boundary: x0 = 0.5, x1 = 0.25.
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let b = Bounds::new(vec![-2.0, -2.0], vec![0.5, 2.0]);
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &b, &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert_eq!(r.x[0], 0.5);
    assert!((r.x[1] - 0.25).abs() < 1e-8, "x = {:?}", r.x);
    assert!((r.f - 0.25).abs() < 1e-12);
}

#[test]
fn chained_rosenbrock_with_bounds_on_many_variables() {
    // Odd variables must be >= 1.5, pushing the optimum onto those bounds.
    let n = 10;
    let mut p = Rosenbrock { n, exact_hvp: true };
    let lower: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 1 { 1.5 } else { -10.0 })
        .collect();
    let b = Bounds::new(lower, vec![10.0; n]);
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &b, &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    // Check first-order optimality independently.
    let mut g = vec![0.0; n];
    p.objective(&r.x, Some(&mut g));
    for i in 0..n {
        let at_lo = r.x[i] == b.lower[i];
        let at_hi = r.x[i] == b.upper[i];
        assert!(
            (at_lo && g[i] >= -1e-8) || (at_hi && g[i] <= 1e-8) || g[i].abs() < 1e-8,
            "i = {i}, x = {}, g = {}",
            r.x[i],
            g[i]
        );
    }
    assert!(r.x.iter().enumerate().any(|(i, v)| i % 2 == 1 && *v == 1.5));
}

#[test]
fn box_quadratic_hs_style() {
    // A coupled box QP: sum (x_i - c_i)^2 + 0.1 x_i x_{i+1} (cyclic) on [0, 1]^n,
    // with c outside the box for four of the six variables.
    let c = [-1.0, 0.3, 2.0, 0.7, 5.0, -3.0];
    let n = c.len();
    let mut p = FnNlp {
        n,
        f: move |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                for i in 0..n {
                    g[i] = 2.0 * (x[i] - c[i]) + 0.1 * (x[(i + 1) % n] + x[(i + n - 1) % n]);
                }
            }
            (0..n)
                .map(|i| (x[i] - c[i]).powi(2) + 0.1 * x[i] * x[(i + 1) % n])
                .sum()
        },
    };
    let b = Bounds::uniform(n, 0.0, 1.0);
    let r = Lbfgs::default().solve(&mut p, &vec![0.5; n], &b, &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert_eq!(r.x[0], 0.0);
    assert_eq!(r.x[2], 1.0);
    assert_eq!(r.x[4], 1.0);
    assert_eq!(r.x[5], 0.0);
    assert!(r.grad_norm <= 1e-10);
}

#[test]
fn start_outside_bounds_is_projected() {
    let mut p = FnNlp {
        n: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 2.0 * (x[0] - 3.0);
            }
            (x[0] - 3.0).powi(2)
        },
    };
    let r = Lbfgs::default().solve(&mut p, &[-100.0], &Bounds::uniform(1, 1.0, 5.0), &opts());
    assert_eq!(r.status, Status::Converged);
    assert!((r.x[0] - 3.0).abs() < 1e-10);
}

#[test]
fn unbounded_linear() {
    let mut p = FnNlp {
        n: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 1.0;
            }
            x[0]
        },
    };
    let r = Lbfgs::default().solve(&mut p, &[0.0], &Bounds::unbounded(1), &opts());
    assert_eq!(r.status, Status::Unbounded, "{}", r.message);
    assert!(r.f < -1e100);
}

#[test]
fn log_barrier_line_search_backs_off() {
    // f = sum(x - 2 log x) has its minimum at x = 2; big first steps go negative.
    let n = 3;
    let mut p = FnNlp {
        n,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                for i in 0..x.len() {
                    g[i] = 1.0 - 2.0 / x[i];
                }
            }
            x.iter().map(|v| v - 2.0 * v.ln()).sum()
        },
    };
    let r = Lbfgs::default().solve(&mut p, &[0.05, 30.0, 1e-3], &Bounds::unbounded(n), &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.x.iter().all(|v| (v - 2.0).abs() < 1e-8), "x = {:?}", r.x);
}

#[test]
fn nan_at_start_is_diverged() {
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], _g: Option<&mut [f64]>| (x[0] - 1.0).sqrt(),
    };
    let r = Lbfgs::default().solve(&mut p, &[0.0, 0.0], &Bounds::unbounded(2), &opts());
    assert_eq!(r.status, Status::Diverged);
    assert_eq!(r.diverged_at, Some(0));
    assert!(r.message.contains("starting point"), "{}", r.message);
}

#[test]
fn nan_after_some_calls_is_diverged() {
    // Rosenbrock that turns NaN for good after 8 evaluations.
    let calls = Cell::new(0);
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            calls.set(calls.get() + 1);
            let f = Rosenbrock {
                n: 2,
                exact_hvp: true,
            }
            .objective(x, g);
            if calls.get() > 8 { f64::NAN } else { f }
        },
    };
    let r = Lbfgs::default().solve(&mut p, &[-1.2, 1.0], &Bounds::unbounded(2), &opts());
    assert_eq!(r.status, Status::Diverged, "{}", r.message);
    assert!(r.diverged_at.is_some());
    assert!(r.f.is_finite());
    assert!(r.message.contains("NaN"), "{}", r.message);
}

#[test]
fn inf_and_nan_never_panic() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut p = FnNlp {
            n: 2,
            f: move |x: &[f64], g: Option<&mut [f64]>| {
                if let Some(g) = g {
                    g[0] = bad;
                    g[1] = x[1];
                }
                bad
            },
        };
        let r = Lbfgs::default().solve(&mut p, &[1.0, 1.0], &Bounds::unbounded(2), &opts());
        assert_eq!(r.status, Status::Diverged);
        let b = Bounds::new(vec![f64::NAN, 0.0], vec![1.0, 1.0]);
        let r = Lbfgs::default().solve(&mut p, &[bad, 1.0], &b, &opts());
        assert_eq!(r.status, Status::Error);
    }
}

#[test]
fn max_iters_and_timeout() {
    let mut p = Rosenbrock {
        n: 2,
        exact_hvp: true,
    };
    let o = Options {
        max_iters: 3,
        ..opts()
    };
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &Bounds::unbounded(2), &o);
    assert_eq!(r.status, Status::MaxIters);
    assert_eq!(r.iters, 3);
    let o = Options {
        timeout: Some(Duration::ZERO),
        ..opts()
    };
    let x0 = p.start();
    let r = Lbfgs::default().solve(&mut p, &x0, &Bounds::unbounded(2), &o);
    assert_eq!(r.status, Status::Timeout);
}

#[test]
fn stalled_on_kink() {
    // |x| + |y|·1e-300 style kink: gradient never small, f cannot decrease below 0.
    let mut p = FnNlp {
        n: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = if x[0] >= 0.0 { 1.0 } else { -1.0 };
            }
            x[0].abs()
        },
    };
    let r = Lbfgs::default().solve(&mut p, &[1.0], &Bounds::unbounded(1), &opts());
    assert_eq!(r.status, Status::Stalled, "{}", r.message);
    assert!(r.f < 1e-6);
}

#[test]
fn hs4_corner_solution() {
    // HS4: (x0 + 1)^3 / 3 + x1 with x0 >= 1, x1 >= 0; optimum (1, 0), f = 8/3.
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = (x[0] + 1.0).powi(2);
                g[1] = 1.0;
            }
            (x[0] + 1.0).powi(3) / 3.0 + x[1]
        },
    };
    let b = Bounds::new(vec![1.0, 0.0], vec![f64::INFINITY; 2]);
    let r = Lbfgs::default().solve(&mut p, &[1.125, 0.125], &b, &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert_eq!(r.x, vec![1.0, 0.0]);
    assert!((r.f - 8.0 / 3.0).abs() < 1e-14);
}

#[test]
fn hs5_interior_solution_in_box() {
    // HS5: sin(x0 + x1) + (x0 - x1)^2 - 1.5 x0 + 2.5 x1 + 1 on [-1.5, 4] x [-3, 3].
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            let c = (x[0] + x[1]).cos();
            if let Some(g) = g {
                g[0] = c + 2.0 * (x[0] - x[1]) - 1.5;
                g[1] = c - 2.0 * (x[0] - x[1]) + 2.5;
            }
            (x[0] + x[1]).sin() + (x[0] - x[1]).powi(2) - 1.5 * x[0] + 2.5 * x[1] + 1.0
        },
    };
    let b = Bounds::new(vec![-1.5, -3.0], vec![4.0, 3.0]);
    let r = Lbfgs::default().solve(&mut p, &[0.0, 0.0], &b, &opts());
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    let pi3 = std::f64::consts::PI / 3.0;
    assert!(
        (r.x[0] - (0.5 - pi3)).abs() < 1e-8 && (r.x[1] - (-0.5 - pi3)).abs() < 1e-8,
        "x = {:?}",
        r.x
    );
    assert!(
        (r.f - (-(3.0f64.sqrt()) / 2.0 - pi3)).abs() < 1e-12,
        "f = {}",
        r.f
    );
}

//! Every solver on hostile inputs: zero variables, objectives that return
//! NaN/Inf at random, zero timeouts, odd settings. The only requirement is a
//! result with a sensible status and no panic.

use crate::problems::{ConNlp, FnNlp, Zdt1};
use optl_solvers::{
    AugLag, Bounds, Lbfgs, LineSearch, MultiObjective, NelderMead, Newton, Nlp, Nsga2, Options,
    SolveResult, Solver, Status,
};
use std::cell::Cell;
use std::time::Duration;

/// All single-objective solvers on one problem.
fn all_solvers(p: &mut dyn Nlp, x0: &[f64], b: &Bounds, o: &Options) -> Vec<SolveResult> {
    vec![
        Lbfgs::default().solve(p, x0, b, o),
        Lbfgs {
            line_search: LineSearch::Backtracking,
            m: 0,
            ..Lbfgs::default()
        }
        .solve(p, x0, b, o),
        Newton::default().solve(p, x0, b, o),
        AugLag::default().solve(p, x0, b, o),
        NelderMead::default().solve(p, x0, b, o),
    ]
}

/// A deterministic xorshift stream deciding which calls return garbage.
fn chaos(state: &Cell<u64>) -> u64 {
    let mut s = state.get();
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    state.set(s);
    s
}

#[test]
fn zero_variables() {
    let mut p = FnNlp {
        n: 0,
        f: |_x: &[f64], _g: Option<&mut [f64]>| 1.0,
    };
    for r in all_solvers(&mut p, &[], &Bounds::unbounded(0), &Options::default()) {
        assert_eq!(r.status, Status::Converged, "{}", r.message);
    }
}

#[test]
fn random_garbage_never_panics() {
    for seed in 1..=20u64 {
        let state = Cell::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut p = ConNlp {
            n: 3,
            n_eq: 1,
            n_ineq: 1,
            f: |x: &[f64], g: Option<&mut [f64]>| {
                let r = chaos(&state);
                let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][(r % 3) as usize];
                if let Some(g) = g {
                    for i in 0..3 {
                        g[i] = if r.is_multiple_of(7) { bad } else { 2.0 * x[i] };
                    }
                }
                if r.is_multiple_of(5) {
                    bad
                } else {
                    x.iter().map(|v| v * v).sum()
                }
            },
            c: |x: &[f64], ce: &mut [f64], ci: &mut [f64]| {
                let r = chaos(&state);
                ce[0] = if r.is_multiple_of(11) {
                    f64::NAN
                } else {
                    x[0] - 1.0
                };
                ci[0] = x[1] + 1.0;
            },
        };
        let o = Options {
            max_iters: 200,
            ..Options::default()
        };
        for b in [Bounds::unbounded(3), Bounds::uniform(3, -2.0, 2.0)] {
            for r in all_solvers(&mut p, &[0.5, 0.5, 0.5], &b, &o) {
                assert!(!r.message.is_empty());
                assert_eq!(r.x.len(), 3);
            }
        }
    }
}

#[test]
fn zero_timeout_everywhere() {
    let mut p = FnNlp {
        n: 2,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 2.0 * (x[0] - 1.0);
                g[1] = 2.0 * (x[1] - 1.0);
            }
            (x[0] - 1.0).powi(2) + (x[1] - 1.0).powi(2)
        },
    };
    let o = Options {
        timeout: Some(Duration::ZERO),
        ..Options::default()
    };
    for r in all_solvers(&mut p, &[5.0, 5.0], &Bounds::unbounded(2), &o) {
        assert_eq!(r.status, Status::Timeout, "{}", r.message);
    }
    let solver = Nsga2 {
        pop: 10,
        generations: 5,
        ..Nsga2::default()
    };
    let r = solver.solve(&mut Zdt1 { n: 3 }, &Bounds::uniform(3, 0.0, 1.0), &o);
    assert_eq!(r.status, Status::Timeout);
}

#[test]
fn wrong_lengths_are_errors() {
    let mut p = FnNlp {
        n: 2,
        f: |_x: &[f64], _g: Option<&mut [f64]>| 0.0,
    };
    for r in all_solvers(&mut p, &[1.0], &Bounds::unbounded(2), &Options::default()) {
        assert_eq!(r.status, Status::Error);
    }
    for r in all_solvers(
        &mut p,
        &[1.0, 2.0],
        &Bounds::unbounded(3),
        &Options::default(),
    ) {
        assert_eq!(r.status, Status::Error);
    }
    struct NoObj;
    impl MultiObjective for NoObj {
        fn n(&self) -> usize {
            1
        }
        fn n_obj(&self) -> usize {
            0
        }
        fn objectives(&mut self, _x: &[f64], _out: &mut [f64]) {}
    }
    let r = Nsga2::default().solve(
        &mut NoObj,
        &Bounds::uniform(1, 0.0, 1.0),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Error);
}

#[test]
fn odd_settings_do_not_panic() {
    let mut p = FnNlp {
        n: 1,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 2.0 * x[0];
            }
            x[0] * x[0]
        },
    };
    let b = Bounds::unbounded(1);
    let o = Options {
        tol: f64::NAN,
        ..Options::default()
    };
    let _ = Lbfgs {
        ftol: -1.0,
        gtol: 2.0,
        max_ls_evals: 0,
        ..Lbfgs::default()
    }
    .solve(&mut p, &[1.0], &b, &o);
    let _ = Newton {
        initial_radius: f64::NAN,
        max_radius: -1.0,
        ..Newton::default()
    }
    .solve(&mut p, &[1.0], &b, &o);
    let _ = AugLag {
        multiplier_max: f64::NAN,
        rho0: Some(-3.0),
        rho_factor: 0.0,
        ..AugLag::default()
    }
    .solve(&mut p, &[1.0], &b, &o);
    let _ = NelderMead {
        initial_step: f64::NAN,
        ..NelderMead::default()
    }
    .solve(&mut p, &[1.0], &b, &o);
    let _ = Nsga2 {
        pop: 0,
        generations: 2,
        crossover_prob: f64::NAN,
        eta_c: -1.0,
        eta_m: f64::NAN,
        ..Nsga2::default()
    }
    .solve(
        &mut Zdt1 { n: 2 },
        &Bounds::uniform(2, 0.0, 1.0),
        &Options::default(),
    );
}

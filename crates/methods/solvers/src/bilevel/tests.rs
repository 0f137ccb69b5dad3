//! The hypergradient against finite differences of the upper objective at the
//! solved lower problem, on a ridge-like problem with a closed-form solution, and
//! [`LowerAt`] solved by L-BFGS to that solution.

use super::*;
use crate::nlp::Lbfgs;
use crate::problem::{Bounds, Options, Solver, Status};

/// z = (x₀, x₁, y₀, y₁, y₂): lower f = ‖y − A x‖² + e^{x₀} ‖y‖² (strongly convex in y),
/// upper F = ‖y − t‖² + 0.1 x₁².
const A: [[f64; 2]; 3] = [[1.0, 0.5], [-0.3, 2.0], [0.7, -1.0]];
const T: [f64; 3] = [0.4, -1.1, 2.0];

fn levels() -> Levels {
    Levels {
        n: 5,
        lower: vec![2, 3, 4],
    }
}

struct LowerF;
struct UpperF;

fn ax(z: &[f64]) -> [f64; 3] {
    let mut o = [0.0; 3];
    for i in 0..3 {
        o[i] = A[i][0] * z[0] + A[i][1] * z[1];
    }
    o
}

impl Nlp for LowerF {
    fn n(&self) -> usize {
        5
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let a = ax(z);
        let mu = z[0].exp();
        let y = &z[2..5];
        let f: f64 = (0..3)
            .map(|i| (y[i] - a[i]).powi(2) + mu * y[i] * y[i])
            .sum();
        if let Some(g) = grad {
            g.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..3 {
                let d = 2.0 * (y[i] - a[i]);
                g[2 + i] = d + 2.0 * mu * y[i];
                g[0] += -d * A[i][0] + mu * y[i] * y[i];
                g[1] += -d * A[i][1];
            }
        }
        f
    }

    /// The exact Hessian-vector product (the default's finite differences leave
    /// a noise floor near 1e-11 that CG's true residual would meet).
    fn hvp(&mut self, z: &[f64], v: &[f64], out: &mut [f64]) {
        let mu = z[0].exp();
        let y = &z[2..5];
        out.iter_mut().for_each(|o| *o = 0.0);
        for i in 0..3 {
            let (a0, a1) = (A[i][0], A[i][1]);
            let cross0 = -2.0 * a0 + 2.0 * mu * y[i];
            out[0] += v[0] * (2.0 * a0 * a0 + mu * y[i] * y[i])
                + v[1] * 2.0 * a0 * a1
                + v[2 + i] * cross0;
            out[1] += v[0] * 2.0 * a0 * a1 + v[1] * 2.0 * a1 * a1 - v[2 + i] * 2.0 * a1;
            out[2 + i] = v[0] * cross0 - v[1] * 2.0 * a1 + v[2 + i] * 2.0 * (1.0 + mu);
        }
    }
}

impl Nlp for UpperF {
    fn n(&self) -> usize {
        5
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let y = &z[2..5];
        let f: f64 = (0..3).map(|i| (y[i] - T[i]).powi(2)).sum::<f64>() + 0.1 * z[1] * z[1];
        if let Some(g) = grad {
            g[0] = 0.0;
            g[1] = 0.2 * z[1];
            for i in 0..3 {
                g[2 + i] = 2.0 * (y[i] - T[i]);
            }
        }
        f
    }
}

/// y*(x) = A x / (1 + e^{x₀}).
fn solved(x: [f64; 2]) -> Vec<f64> {
    let mu = x[0].exp();
    let a = ax(&[x[0], x[1], 0.0, 0.0, 0.0]);
    vec![
        x[0],
        x[1],
        a[0] / (1.0 + mu),
        a[1] / (1.0 + mu),
        a[2] / (1.0 + mu),
    ]
}

#[test]
fn hypergradient_matches_finite_differences_of_the_solved_problem() {
    for x in [[0.3, -0.7], [-1.2, 0.4], [1.5, 2.0]] {
        let z = solved(x);
        let (f, g, residual) = hypergradient(&mut UpperF, &mut LowerF, &levels(), &z, 50, 1e-14);
        assert!(residual <= 1e-12, "CG residual {residual}");
        assert!((f - UpperF.objective(&z, None)).abs() < 1e-15);
        for k in 0..2 {
            let h = 1e-6;
            let (mut xp, mut xm) = (x, x);
            xp[k] += h;
            xm[k] -= h;
            let fd = (UpperF.objective(&solved(xp), None) - UpperF.objective(&solved(xm), None))
                / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "x = {x:?}, component {k}: hypergradient {} vs finite difference {fd}",
                g[k]
            );
        }
    }
}

#[test]
fn negative_curvature_gives_nan_not_a_wrong_hypergradient() {
    struct Concave;
    impl Nlp for Concave {
        fn n(&self) -> usize {
            5
        }
        fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
            if let Some(g) = grad {
                g.iter_mut().zip(z).for_each(|(g, z)| *g = -2.0 * z);
            }
            -z.iter().map(|v| v * v).sum::<f64>()
        }
    }
    let z = solved([0.1, 0.2]);
    let (_, g, residual) = hypergradient(&mut UpperF, &mut Concave, &levels(), &z, 50, 1e-12);
    assert!(residual.is_nan() && g.iter().all(|v| v.is_nan()));
}

#[test]
fn the_lower_problem_at_fixed_x_solves_to_its_closed_form() {
    let x = [0.5, -1.5];
    let want = solved(x);
    let lv = levels();
    let mut at = LowerAt {
        lower: &mut LowerF,
        levels: &lv,
        z: want.clone(),
    };
    let r = Lbfgs::default().solve(
        &mut at,
        &[0.0; 3],
        &Bounds::unbounded(3),
        &Options::default(),
    );
    assert_eq!(r.status, Status::Converged);
    for k in 0..3 {
        assert!(
            (r.x[k] - want[2 + k]).abs() < 1e-8,
            "{:?} vs {:?}",
            r.x,
            &want[2..]
        );
    }
}

/// The reduced upper objective `F(x, y*(x))` in closed form, and its gradient
/// by central differences.
fn reduced_gradient(x: [f64; 2]) -> [f64; 2] {
    let mut g = [0.0; 2];
    for k in 0..2 {
        let h = 1e-6;
        let (mut xp, mut xm) = (x, x);
        xp[k] += h;
        xm[k] -= h;
        g[k] =
            (UpperF.objective(&solved(xp), None) - UpperF.objective(&solved(xm), None)) / (2.0 * h);
    }
    g
}

/// Each method ends at a stationary point of the closed-form reduced problem,
/// with the lower variables at their closed-form solution there.
fn check_bilevel_solution(r: &SolveResult, method: &str, y_tol: f64) {
    assert_eq!(r.status, Status::Converged, "{method}: {}", r.message);
    let x = [r.x[0], r.x[1]];
    let g = reduced_gradient(x);
    assert!(
        g.iter().all(|v| v.abs() <= 1e-5),
        "{method}: reduced gradient {g:?} at {x:?}"
    );
    let want = solved(x);
    for i in 2..5 {
        assert!(
            (r.x[i] - want[i]).abs() <= y_tol,
            "{method}: y[{}] = {} vs {}",
            i - 2,
            r.x[i],
            want[i]
        );
    }
    let lower = r.lower.as_ref().expect("a lower report");
    assert_eq!(lower.status, Status::Converged);
    assert!((r.f - UpperF.objective(&want, None)).abs() <= 1e-8);
}

fn run_method(method: &str, z0: &[f64]) -> SolveResult {
    let lv = levels();
    let mut parts = Bilevel {
        upper: &mut UpperF,
        lower: &mut LowerF,
        levels: &lv,
    };
    let bounds = Bounds::unbounded(5);
    let opts = Options {
        tol: 1e-9,
        max_iters: 1000,
        ..Options::default()
    };
    match method {
        "implicit" => Implicit::default().run(&mut parts, z0, &bounds, &opts),
        "bilevel_penalty" => ValuePenalty::default().run(&mut parts, z0, &bounds, &opts),
        _ => Unrolled {
            steps: 400,
            lr: 0.1,
            momentum: 0.8,
            lower_tol: 1e-9,
        }
        .run(&mut parts, z0, &bounds, &opts),
    }
}

#[test]
fn implicit_penalty_and_unrolled_reach_the_closed_form_solution() {
    let z0 = [0.0, 0.0, 0.0, 0.0, 0.0];
    check_bilevel_solution(&run_method("implicit", &z0), "implicit", 1e-9);
    check_bilevel_solution(&run_method("unrolled", &z0), "unrolled", 1e-8);
    // From a different start the same solution (the problem has one).
    // The penalty's last round may stall on rounding (γ·(f − v) for a large γ)
    // with the value gap closed: its point is then within about 1e-4.
    let implicit = run_method("implicit", &z0);
    let r = run_method("bilevel_penalty", &z0);
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    let lower = r.lower.as_ref().expect("a lower report");
    assert!(lower.gap <= 1e-8, "gap {}", lower.gap);
    for i in 0..5 {
        assert!(
            (r.x[i] - implicit.x[i]).abs() <= 1e-4,
            "penalty z[{i}] = {} vs implicit {}",
            r.x[i],
            implicit.x[i]
        );
    }
}

#[test]
fn unrolled_gradient_matches_finite_differences_of_the_unrolled_map() {
    let lv = levels();
    let mut parts = Bilevel {
        upper: &mut UpperF,
        lower: &mut LowerF,
        levels: &lv,
    };
    let method = Unrolled {
        steps: 30,
        lr: 0.1,
        momentum: 0.7,
        lower_tol: 1e-6,
    };
    let mut u = unrolled::Unrolling::new(&mut parts, &method, vec![0.2, -0.1, 0.3]);
    for x in [[0.3, -0.7], [-1.0, 0.8]] {
        let mut g = [0.0; 2];
        u.objective(&x, Some(&mut g));
        for k in 0..2 {
            let h = 1e-6;
            let (mut xp, mut xm) = (x, x);
            xp[k] += h;
            xm[k] -= h;
            let fd = (u.objective(&xp, None) - u.objective(&xm, None)) / (2.0 * h);
            assert!(
                (g[k] - fd).abs() <= 1e-6 * fd.abs().max(1.0),
                "x = {x:?}, component {k}: reverse mode {} vs finite difference {fd}",
                g[k]
            );
        }
    }
}

/// A lower problem whose stationary point at y = 0 is a maximum for x < 0:
/// f = x·y²/2 + y⁴/4, F = (x + 0.5)² + y²/2 (MitsosBarton2006Ex317). From
/// y = 0 every lower solve stops at once, and the upper optimum of the wrong
/// reduced problem is x = -0.5; implicit must not call that converged.
#[test]
fn implicit_refuses_a_lower_stationary_point_that_is_not_a_minimum() {
    struct Lower;
    struct Upper;
    impl Nlp for Lower {
        fn n(&self) -> usize {
            2
        }
        fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
            let (x, y) = (z[0], z[1]);
            if let Some(g) = grad {
                g[0] = y * y / 2.0;
                g[1] = x * y + y * y * y;
            }
            x * y * y / 2.0 + y.powi(4) / 4.0
        }
    }
    impl Nlp for Upper {
        fn n(&self) -> usize {
            2
        }
        fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
            let (x, y) = (z[0], z[1]);
            if let Some(g) = grad {
                g[0] = 2.0 * (x + 0.5);
                g[1] = y;
            }
            (x + 0.5).powi(2) + y * y / 2.0
        }
    }
    let lv = Levels {
        n: 2,
        lower: vec![1],
    };
    let mut parts = Bilevel {
        upper: &mut Upper,
        lower: &mut Lower,
        levels: &lv,
    };
    let bounds = Bounds::new(vec![-1.0, -1.0], vec![1.0, 1.0]);
    let r = Implicit::default().run(&mut parts, &[1.0, 0.0], &bounds, &Options::default());
    assert_eq!(r.status, Status::LowerNotConverged, "{}", r.message);
    assert!(r.message.contains("curvature"), "{}", r.message);
    // The penalty from the same start meets the same saddle and says so; its
    // other starts reach the optimum F* = 0.1875 at x = -0.25, y = ±0.5.
    let once = ValuePenalty {
        starts: 1,
        ..ValuePenalty::default()
    };
    let r = once.run(&mut parts, &[1.0, 0.0], &bounds, &Options::default());
    assert_eq!(
        r.status,
        Status::LowerNotConverged,
        "{} at {:?}",
        r.message,
        r.x
    );
    let r = ValuePenalty::default().run(&mut parts, &[1.0, 0.0], &bounds, &Options::default());
    assert!(
        matches!(r.status, Status::Converged | Status::Stalled),
        "{}",
        r.message
    );
    assert!((r.f - 0.1875).abs() <= 1e-4, "F = {}", r.f);
    assert!(
        r.lower.as_ref().is_some_and(|l| l.gap <= 1e-8),
        "{:?}",
        r.lower
    );
}

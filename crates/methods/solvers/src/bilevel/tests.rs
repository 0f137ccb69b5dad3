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

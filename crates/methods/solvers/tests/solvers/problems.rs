//! Test problems with analytic gradients (and Hessian-vector products where a
//! test needs them), shared by the solver tests.

use optl_solvers::{MultiObjective, Nlp};

/// A problem from closures: objective with gradient, plus optional constraints.
pub struct FnNlp<F> {
    pub n: usize,
    pub f: F,
}

impl<F: FnMut(&[f64], Option<&mut [f64]>) -> f64> Nlp for FnNlp<F> {
    fn n(&self) -> usize {
        self.n
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        (self.f)(x, grad)
    }
}

/// Chained Rosenbrock `sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2`, with analytic hvp
/// when `exact_hvp`.
pub struct Rosenbrock {
    pub n: usize,
    pub exact_hvp: bool,
}

impl Rosenbrock {
    pub fn start(&self) -> Vec<f64> {
        (0..self.n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
            .collect()
    }
}

impl Nlp for Rosenbrock {
    fn n(&self) -> usize {
        self.n
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut f = 0.0;
        for i in 0..self.n - 1 {
            f += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        if let Some(g) = grad {
            g.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..self.n - 1 {
                let t = x[i + 1] - x[i] * x[i];
                g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i]);
                g[i + 1] += 200.0 * t;
            }
        }
        f
    }
    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        if !self.exact_hvp {
            // Fall back on the trait's finite-difference default.
            let mut plain = FnNlp {
                n: self.n,
                f: |x: &[f64], g: Option<&mut [f64]>| {
                    Rosenbrock {
                        n: x.len(),
                        exact_hvp: true,
                    }
                    .objective(x, g)
                },
            };
            plain.hvp(x, v, out);
            return;
        }
        out.iter_mut().for_each(|o| *o = 0.0);
        for i in 0..self.n - 1 {
            let (a, b) = (x[i], x[i + 1]);
            let h11 = 1200.0 * a * a - 400.0 * b + 2.0;
            let h12 = -400.0 * a;
            let h22 = 200.0;
            out[i] += h11 * v[i] + h12 * v[i + 1];
            out[i + 1] += h12 * v[i] + h22 * v[i + 1];
        }
    }
}

/// Powell singular function (n = 4), minimum 0 at the origin with a singular Hessian.
pub fn powell(x: &[f64], grad: Option<&mut [f64]>) -> f64 {
    let t1 = x[0] + 10.0 * x[1];
    let t2 = x[2] - x[3];
    let t3 = x[1] - 2.0 * x[2];
    let t4 = x[0] - x[3];
    if let Some(g) = grad {
        g[0] = 2.0 * t1 + 40.0 * t4.powi(3);
        g[1] = 20.0 * t1 + 4.0 * t3.powi(3);
        g[2] = 10.0 * t2 - 8.0 * t3.powi(3);
        g[3] = -10.0 * t2 - 40.0 * t4.powi(3);
    }
    t1 * t1 + 5.0 * t2 * t2 + t3.powi(4) + 10.0 * t4.powi(4)
}

/// A problem with constraints given as closures: `cons(x, c_eq, c_ineq)`, and
/// optionally analytic `jt(x, y_eq, y_ineq, out)`.
pub struct ConNlp<F, C> {
    pub n: usize,
    pub n_eq: usize,
    pub n_ineq: usize,
    pub f: F,
    pub c: C,
}

impl<F, C> Nlp for ConNlp<F, C>
where
    F: FnMut(&[f64], Option<&mut [f64]>) -> f64,
    C: FnMut(&[f64], &mut [f64], &mut [f64]),
{
    fn n(&self) -> usize {
        self.n
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        (self.f)(x, grad)
    }
    fn n_eq(&self) -> usize {
        self.n_eq
    }
    fn n_ineq(&self) -> usize {
        self.n_ineq
    }
    fn constraints(&mut self, x: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        (self.c)(x, c_eq, c_ineq)
    }
}

/// `minimize x²` subject to `x >= 1` and `x <= 0`: infeasible.
pub fn contradiction() -> impl optl_solvers::Nlp {
    ConNlp {
        n: 1,
        n_eq: 0,
        n_ineq: 2,
        f: |x: &[f64], g: Option<&mut [f64]>| {
            if let Some(g) = g {
                g[0] = 2.0 * x[0];
            }
            x[0] * x[0]
        },
        c: |x: &[f64], _ce: &mut [f64], ci: &mut [f64]| {
            ci[0] = 1.0 - x[0];
            ci[1] = x[0];
        },
    }
}

/// HS71 with analytic constraint Jacobian: `x0 x3 (x0+x1+x2) + x2` subject to
/// `x0 x1 x2 x3 >= 25`, `sum x^2 = 40`, `1 <= x <= 5`.
pub struct Hs71;

impl Hs71 {
    /// The published start point.
    pub const START: [f64; 4] = [1.0, 5.0, 5.0, 1.0];

    /// Checks that `r` is HS71's optimum (f within `f_tol`, x within 1e-6),
    /// feasible, with the inequality's multiplier positive and one history entry
    /// per iteration and the start.
    pub fn assert_solved(r: &optl_solvers::SolveResult, f_tol: f64) {
        assert_eq!(r.status, optl_solvers::Status::Converged, "{}", r.message);
        assert!((r.f - 17.014_017_289_1).abs() < f_tol, "f = {}", r.f);
        let xs = [1.0, 4.742_999_6, 3.821_149_9, 1.379_408_3];
        for (a, b) in r.x.iter().zip(xs) {
            assert!((a - b).abs() < 1e-6, "x = {:?}", r.x);
        }
        assert!(r.max_violation <= 1e-8);
        assert_eq!(r.history.len(), r.iters + 1);
        assert!(r.multipliers_ineq[0] > 0.0);
    }
}

impl Nlp for Hs71 {
    fn n(&self) -> usize {
        4
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if let Some(g) = grad {
            g[0] = x[3] * (2.0 * x[0] + x[1] + x[2]);
            g[1] = x[0] * x[3];
            g[2] = x[0] * x[3] + 1.0;
            g[3] = x[0] * (x[0] + x[1] + x[2]);
        }
        x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]
    }
    fn n_eq(&self) -> usize {
        1
    }
    fn n_ineq(&self) -> usize {
        1
    }
    fn constraints(&mut self, x: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        c_eq[0] = x.iter().map(|v| v * v).sum::<f64>() - 40.0;
        c_ineq[0] = 25.0 - x[0] * x[1] * x[2] * x[3];
    }
    fn constraints_jt(&mut self, x: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        let p = [
            x[1] * x[2] * x[3],
            x[0] * x[2] * x[3],
            x[0] * x[1] * x[3],
            x[0] * x[1] * x[2],
        ];
        for i in 0..4 {
            out[i] = 2.0 * x[i] * y_eq[0] - p[i] * y_ineq[0];
        }
    }
}

/// ZDT1 with `n` variables in `[0, 1]`.
pub struct Zdt1 {
    pub n: usize,
}

impl MultiObjective for Zdt1 {
    fn n(&self) -> usize {
        self.n
    }
    fn n_obj(&self) -> usize {
        2
    }
    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        let g = 1.0 + 9.0 * x[1..].iter().sum::<f64>() / (self.n - 1) as f64;
        out[0] = x[0];
        out[1] = g * (1.0 - (x[0] / g).sqrt());
    }
}

//! Unrolled differentiation: the lower problem replaced by `steps` steps of
//! gradient descent with heavy-ball momentum from the lower variables' start,
//! `y₊ = y + β(y − y₋) − α∇_y f(x, y)`, and the upper objective at the last step
//! minimized over `x` by L-BFGS-B with its exact gradient, by reverse mode
//! through the steps (one Hessian-vector product of the lower problem per step,
//! which gives both `H_yy λ` and `H_xy λ`). Memory is the trajectory, `steps × m`.

use super::{Bilevel, Levels, LowerReport};
use crate::nlp::Lbfgs;
use crate::problem::{Bounds, Nlp, Options, SolveResult, Solver, Status, all_finite, inf_norm};

/// `unrolled(steps, lr, momentum, lower_tol)`'s configuration.
#[derive(Clone, Debug)]
pub struct Unrolled {
    pub steps: usize,
    /// The step size `α`.
    pub lr: f64,
    /// The momentum `β`.
    pub momentum: f64,
    /// The relative gradient norm the last step must reach for the lower problem
    /// to count as solved.
    pub lower_tol: f64,
}

impl Default for Unrolled {
    fn default() -> Self {
        Unrolled {
            steps: 100,
            lr: 0.1,
            momentum: 0.9,
            lower_tol: 1e-6,
        }
    }
}

/// `F(x, y_T(x))` as an [`Nlp`] over `x`.
pub(super) struct Unrolling<'a, 'b> {
    parts: &'a mut Bilevel<'b>,
    method: &'a Unrolled,
    y0: Vec<f64>,
    passes: usize,
}

impl<'a, 'b> Unrolling<'a, 'b> {
    /// The unrolled map from the lower start `y0`.
    pub(super) fn new(parts: &'a mut Bilevel<'b>, method: &'a Unrolled, y0: Vec<f64>) -> Self {
        Unrolling {
            parts,
            method,
            y0,
            passes: 0,
        }
    }

    /// The trajectory `y_0 .. y_T` at `x` (as points `z`), and the lower
    /// gradient norm at the last.
    fn forward(&mut self, x: &[f64]) -> (Vec<Vec<f64>>, f64) {
        let levels: &Levels = self.parts.levels;
        let (alpha, beta) = (self.method.lr, self.method.momentum);
        let mut g = vec![0.0; levels.n];
        let mut prev = self.y0.clone();
        let mut y = self.y0.clone();
        let mut path = vec![levels.join(x, &y)];
        for _ in 0..self.method.steps {
            let z = path.last().expect("the path starts with y_0");
            self.parts.lower.objective(z, Some(&mut g));
            let next: Vec<f64> = levels
                .lower
                .iter()
                .enumerate()
                .map(|(k, &i)| y[k] + beta * (y[k] - prev[k]) - alpha * g[i])
                .collect();
            prev = std::mem::replace(&mut y, next);
            path.push(levels.join(x, &y));
        }
        let last = path.last().expect("the path starts with y_0");
        self.parts.lower.objective(last, Some(&mut g));
        let gy: Vec<f64> = levels.lower.iter().map(|&i| g[i]).collect();
        self.passes += 1;
        (path, inf_norm(&gy))
    }
}

impl Nlp for Unrolling<'_, '_> {
    fn n(&self) -> usize {
        self.parts.levels.n - self.parts.levels.lower.len()
    }

    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (path, _) = self.forward(x);
        let last = path.last().expect("the path starts with y_0");
        let Some(g) = grad else {
            return self.parts.upper.objective(last, None);
        };
        let levels: &Levels = self.parts.levels;
        let (alpha, beta) = (self.method.lr, self.method.momentum);
        let upper_idx = levels.upper();
        let n = levels.n;
        let mut gz = vec![0.0; n];
        let f = self.parts.upper.objective(last, Some(&mut gz));
        let mut gx: Vec<f64> = upper_idx.iter().map(|&i| gz[i]).collect();
        // adj[t] = dF/dy_t, filled from the end; `next` is adj[t+1], `after`
        // the momentum term −β·adj[t+2] owed to adj[t].
        let mut next: Vec<f64> = levels.lower.iter().map(|&i| gz[i]).collect();
        let mut after = vec![0.0; next.len()];
        let (mut v, mut hv) = (vec![0.0; n], vec![0.0; n]);
        for t in (0..self.method.steps).rev() {
            v.iter_mut().for_each(|e| *e = 0.0);
            for (&i, &a) in levels.lower.iter().zip(&next) {
                v[i] = a;
            }
            self.parts.lower.hvp(&path[t], &v, &mut hv);
            for (o, &i) in gx.iter_mut().zip(&upper_idx) {
                *o -= alpha * hv[i];
            }
            // y_{t+1} = (1+β)y_t − β y_{t−1} − α∇f(y_t), with y_{−1} = y_0.
            let carry = if t == 0 { 1.0 } else { 1.0 + beta };
            let adj: Vec<f64> = levels
                .lower
                .iter()
                .enumerate()
                .map(|(k, &i)| carry * next[k] - alpha * hv[i] + after[k])
                .collect();
            after = next.iter().map(|a| -beta * a).collect();
            next = adj;
        }
        g.copy_from_slice(&gx);
        f
    }
}

impl Unrolled {
    /// Minimizes the upper objective at the last unrolled step over the upper
    /// variables from `z0` (whose lower entries are the steps' start).
    pub fn run(
        &self,
        parts: &mut Bilevel,
        z0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> SolveResult {
        let levels = parts.levels;
        let (x0, y0) = levels.split(z0);
        let (bounds_x, _) = levels.split_bounds(bounds);
        let mut unrolling = Unrolling::new(parts, self, y0);
        let mut outer = Lbfgs::default().solve(&mut unrolling, &x0, &bounds_x, opts);
        let (path, residual) = unrolling.forward(&outer.x);
        let z = path.last().cloned().unwrap_or_default();
        let f_lower = unrolling.parts.lower.objective(&z, None);
        let f = unrolling.parts.upper.objective(&z, None);
        let solved = residual <= self.lower_tol * f_lower.abs().max(1.0);
        let lower_status = if solved {
            Status::Converged
        } else {
            Status::MaxIters
        };
        outer.lower = Some(LowerReport {
            f: f_lower,
            status: lower_status,
            residual,
            gap: f64::NAN,
            solves: unrolling.passes,
        });
        outer.x = z;
        outer.f = f;
        if !f.is_finite() || !all_finite(&outer.x) {
            outer.status = Status::Diverged;
            outer.message = "unrolled: the upper objective or the point is not finite".into();
        } else if !solved {
            outer.status = Status::LowerNotConverged;
            outer.message = format!(
                "unrolled: after {} steps the lower gradient norm is {residual:.3e}, above lower_tol; raise `steps` or `lr`",
                self.steps
            );
        }
        outer
    }
}

//! Sequential quadratic programming for small, dense constrained problems, in the
//! manner of Powell's VMCWD and Kraft's SLSQP: each iteration solves the QP
//!
//! minimize `½ dᵀBd + ∇fᵀd` subject to `c_eq + J_eq·d = 0`, `c_ineq + J_ineq·d <= 0`
//! and the box, shifted to `x`,
//!
//! (by [`super::qp`], Goldfarb–Idnani), takes a step along `d` that decreases the
//! ℓ₁ merit function `f + Σ νᵢ |violationᵢ|` (Armijo backtracking, Powell's penalty
//! update `νᵢ = max(|λᵢ|, ½(νᵢ + |λᵢ|))`, with one second-order correction of a
//! rejected full step against the Maratos effect), and updates `B`, a positive definite
//! approximation of the Lagrangian's Hessian, by Powell's damped BFGS formula.
//! When the linearized constraints are inconsistent, the violated ones are scaled
//! down (`θ = 0.1, 0.01, 0`) until the QP has a solution.
//!
//! The Jacobian comes row by row from `Nlp::constraints_jt`, one product per
//! constraint, so SQP suits problems with few variables and constraints, where it
//! needs far fewer evaluations than the augmented Lagrangian. It stops as the other
//! solvers do: violation `<= feas_tol` and KKT residual `<= tol·max(1, |f|)`.

use super::dense::{cholesky, mat_vec, solve_lower, solve_upper_t};
use super::qp::{Qp, QpFailure};
use crate::problem::{
    Bounds, Clock, ConstraintRef, Nlp, Options, SolveResult, Solver, Status, UNBOUNDED_F, dot,
    inf_norm, is_optimal, projected_grad_norm,
};

/// Largest number of variables, and of constraints, SQP takes: its dense matrices
/// grow with their squares (8 MB for `B` at this size, and a QP step costs up to
/// `n³` operations), and beyond it the
/// augmented Lagrangian is the solver to use.
pub const SQP_MAX_SIZE: usize = 1000;

/// SQP configuration. `Sqp::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Sqp {
    /// Largest number of iterations (default 200); `Options::max_iters` caps it too.
    pub max_iters: usize,
    /// Largest allowed constraint violation at a solution (default `1e-8`).
    pub feas_tol: f64,
}

impl Default for Sqp {
    fn default() -> Self {
        Sqp {
            max_iters: 200,
            feas_tol: 1e-8,
        }
    }
}

/// Everything known at one point: objective, gradient, constraints and Jacobian
/// (rows: equalities, then inequalities).
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
    ce: Vec<f64>,
    ci: Vec<f64>,
    jac: Vec<f64>,
}

impl Point {
    /// Objective, gradient and constraints at `x`; the Jacobian is left empty.
    fn eval(nlp: &mut dyn Nlp, x: Vec<f64>) -> Point {
        let n = x.len();
        let mut g = vec![0.0; n];
        let f = nlp.objective(&x, Some(&mut g));
        let mut ce = vec![0.0; nlp.n_eq()];
        let mut ci = vec![0.0; nlp.n_ineq()];
        nlp.constraints(&x, &mut ce, &mut ci);
        Point {
            x,
            f,
            g,
            ce,
            ci,
            jac: Vec::new(),
        }
    }

    /// Fills the Jacobian.
    fn jacobian(&mut self, nlp: &mut dyn Nlp) {
        let rows = self.ce.len() + self.ci.len();
        self.jac = vec![0.0; rows * self.x.len()];
        nlp.constraints_jacobian(&self.x, &mut self.jac);
    }

    /// Violation of each constraint (`|c_eq|`, `max(0, c_ineq)`), NaN as infinite.
    fn violations(&self) -> impl Iterator<Item = f64> + '_ {
        let finite = |v: f64| if v.is_nan() { f64::INFINITY } else { v };
        let eq = self.ce.iter().map(move |c| finite(c.abs()));
        eq.chain(self.ci.iter().map(move |c| finite(c.max(0.0))))
    }

    fn violation(&self) -> f64 {
        self.violations().fold(0.0, f64::max)
    }

    /// The ℓ₁ penalty `Σ νᵢ violationᵢ`.
    fn penalty(&self, nu: &[f64]) -> f64 {
        self.violations().zip(nu).map(|(v, w)| v * w).sum()
    }

    /// The ℓ₁ merit function with weights `nu`.
    fn merit(&self, nu: &[f64]) -> f64 {
        self.f + self.penalty(nu)
    }

    /// `∇f + Jᵀ·y` (the gradient of the Lagrangian for multipliers `y`).
    fn lagrangian_grad(&self, y: &[f64]) -> Vec<f64> {
        let n = self.x.len();
        let mut out = self.g.clone();
        for (row, yi) in self.jac.chunks_exact(n).zip(y) {
            out.iter_mut().zip(row).for_each(|(o, r)| *o += yi * r);
        }
        out
    }
}

/// The state carried through the iterations, turned into the result at the end.
struct Run {
    pt: Point,
    iters: usize,
    evals: usize,
    history: Vec<f64>,
    violation_history: Vec<f64>,
    /// Multipliers of the constraints (equalities, then inequalities) in the
    /// Lagrangian `f + yᵀc`.
    y: Vec<f64>,
    kkt: f64,
    grad_norm: f64,
}

impl Run {
    fn finish(self, status: Status, msg: String, feas_tol: f64, clock: &Clock) -> SolveResult {
        let mut r = SolveResult::new(status, self.pt.x.clone(), self.pt.f, msg);
        r.max_violation = self.pt.violation();
        if status == Status::Infeasible {
            let me = self.pt.ce.len();
            r.violated = self
                .pt
                .violations()
                .enumerate()
                .filter(|(_, v)| *v > feas_tol)
                .map(|(i, v)| match i < me {
                    true => (ConstraintRef::Eq(i), v),
                    false => (ConstraintRef::Ineq(i - me), v),
                })
                .collect();
        }
        r.iters = self.iters;
        r.inner_iters = self.iters;
        r.evals = self.evals;
        r.grad_norm = self.grad_norm;
        r.kkt_residual = self.kkt;
        r.history = self.history;
        r.violation_history = self.violation_history;
        r.multipliers_eq = self.y[..me_of(&self.pt)].to_vec();
        r.multipliers_ineq = self.y[me_of(&self.pt)..].to_vec();
        r.time_s = clock.elapsed_s();
        r
    }
}

fn me_of(pt: &Point) -> usize {
    pt.ce.len()
}

/// The QP of one iteration, shifted to `x`: rows for the linearized equalities, the
/// linearized inequalities (as `−∇cᵢᵀd >= cᵢ`, violated ones scaled by `theta`) and
/// the finite bounds.
fn subproblem(pt: &Point, bounds: &Bounds, theta: f64) -> (Vec<f64>, Vec<f64>) {
    let n = pt.x.len();
    let me = pt.ce.len();
    let mut rows = Vec::with_capacity(pt.jac.len() + 2 * n * n);
    let mut rhs = Vec::new();
    for (i, row) in pt.jac.chunks_exact(n).enumerate() {
        if i < me {
            rows.extend_from_slice(row);
            rhs.push(-theta * pt.ce[i]);
        } else {
            let c = pt.ci[i - me];
            rows.extend(row.iter().map(|v| -v));
            rhs.push(if c > 0.0 { theta * c } else { c });
        }
    }
    for i in 0..n {
        let mut unit = |sign: f64| {
            let start = rows.len();
            rows.resize(start + n, 0.0);
            rows[start + i] = sign;
        };
        if bounds.lower[i].is_finite() {
            unit(1.0);
            rhs.push(bounds.lower[i] - pt.x[i]);
        }
        if bounds.upper[i].is_finite() {
            unit(-1.0);
            rhs.push(pt.x[i] - bounds.upper[i]);
        }
    }
    (rows, rhs)
}

/// The second-order correction of a full step `d` that the merit function rejected
/// (the Maratos effect: near a solution, the curvature of the constraints undoes a
/// step's progress in feasibility): the least-norm `d̂` with `J_A·d̂ = −c_A(x + d)`
/// for the active constraints `A` (the equalities and the inequalities the QP held
/// active), with the Jacobian at `x`. `None` when no constraint is active or the
/// active gradients are dependent.
fn second_order_correction(pt: &Point, trial: &Point, active: &[usize]) -> Option<Vec<f64>> {
    let n = pt.x.len();
    let me = pt.ce.len();
    let k = active.len();
    if k == 0 {
        return None;
    }
    let row = |r: usize| &pt.jac[r * n..(r + 1) * n];
    let mut gram = vec![0.0; k * k];
    for (i, &a) in active.iter().enumerate() {
        for (j, &b) in active.iter().enumerate() {
            gram[i * k + j] = dot(row(a), row(b));
        }
    }
    let l = cholesky(&gram, k)?;
    let mut z: Vec<f64> = active
        .iter()
        .map(|&r| {
            -if r < me {
                trial.ce[r]
            } else {
                trial.ci[r - me]
            }
        })
        .collect();
    solve_lower(&l, k, &mut z);
    solve_upper_t(&l, k, &mut z);
    let mut dh = vec![0.0; n];
    for (&r, zi) in active.iter().zip(&z) {
        dh.iter_mut().zip(row(r)).for_each(|(d, g)| *d += zi * g);
    }
    dh.iter().all(|v| v.is_finite()).then_some(dh)
}

/// The `n×n` identity, the quasi-Newton matrix before any curvature is known.
fn identity(n: usize) -> Vec<f64> {
    let mut b = vec![0.0; n * n];
    (0..n).for_each(|i| b[i * n + i] = 1.0);
    b
}

/// Powell's damped BFGS update of `b` with the step `s` and the change `y` of the
/// Lagrangian's gradient; `b` stays positive definite.
fn damped_bfgs(b: &mut [f64], n: usize, s: &[f64], y: &[f64]) {
    let mut bs = vec![0.0; n];
    mat_vec(b, n, s, &mut bs);
    let sbs = dot(s, &bs);
    if !(sbs > 0.0) || !sbs.is_finite() {
        return;
    }
    let sy = dot(s, y);
    let theta = if sy >= 0.2 * sbs {
        1.0
    } else {
        0.8 * sbs / (sbs - sy)
    };
    let r: Vec<f64> = y
        .iter()
        .zip(&bs)
        .map(|(yi, bi)| theta * yi + (1.0 - theta) * bi)
        .collect();
    let sr = dot(s, &r);
    if !(sr > 0.0) || !sr.is_finite() || r.iter().any(|v| !v.is_finite()) {
        return;
    }
    for i in 0..n {
        for j in 0..n {
            b[i * n + j] += r[i] * r[j] / sr - bs[i] * bs[j] / sbs;
        }
    }
}

impl Solver for Sqp {
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        let n = nlp.n();
        let m = nlp.n_eq() + nlp.n_ineq();
        if n > SQP_MAX_SIZE || m > SQP_MAX_SIZE {
            let msg = format!(
                "sqp() takes at most {SQP_MAX_SIZE} variables and {SQP_MAX_SIZE} constraints \
                 (this problem has {n} and {m}): use auglag() for big problems"
            );
            let mut r = SolveResult::new(Status::Error, x, f64::NAN, msg);
            r.time_s = clock.elapsed_s();
            return r;
        }
        let pt = Point::eval(nlp, x);
        let viol0 = pt.violation();
        let mut run = Run {
            history: vec![pt.f],
            violation_history: vec![viol0],
            pt,
            iters: 0,
            evals: 1,
            y: vec![0.0; m],
            kkt: f64::NAN,
            grad_norm: f64::NAN,
        };
        let start = &run.pt;
        if !start.f.is_finite() || start.g.iter().any(|v| !v.is_finite()) || viol0.is_infinite() {
            let what = if start.f.is_finite() {
                "a constraint or the gradient"
            } else {
                "the objective"
            };
            let msg = format!("{what} is NaN/Inf at the starting point");
            let mut r = run.finish(Status::Diverged, msg, self.feas_tol, clock);
            r.diverged_at = Some(0);
            return r;
        }
        run.pt.jacobian(nlp);
        let mut b = identity(n);
        let mut nu = vec![0.0; m];
        let max_iters = self.max_iters.min(opts.max_iters);
        // Steps in a row accepted without a decrease of the merit function.
        let mut rounding_steps = 0;
        loop {
            if clock.expired() {
                let msg = format!("timeout after {} iterations", run.iters);
                return run.finish(Status::Timeout, msg, self.feas_tol, clock);
            }
            let pt = &run.pt;
            // The QP, relaxed when its linearized constraints are inconsistent.
            let mut solved = None;
            for theta in [1.0, 0.1, 0.01, 0.0] {
                let (rows, rhs) = subproblem(pt, bounds, theta);
                let qp = Qp {
                    n,
                    g: &b,
                    a: &pt.g,
                    rows: &rows,
                    rhs: &rhs,
                    n_eq: pt.ce.len(),
                };
                match qp.solve(&|| clock.expired()) {
                    Ok(s) => {
                        solved = Some((s, theta));
                        break;
                    }
                    Err(QpFailure::Infeasible) => continue,
                    Err(QpFailure::Expired) => {
                        let msg = format!("timeout after {} iterations", run.iters);
                        return run.finish(Status::Timeout, msg, self.feas_tol, clock);
                    }
                    Err(e) => {
                        let msg = format!("the QP subproblem failed ({e:?})");
                        return run.finish(Status::Stalled, msg, self.feas_tol, clock);
                    }
                }
            }
            let Some((qp, theta)) = solved else {
                let msg = "the linearized constraints are inconsistent".to_string();
                return run.finish(Status::Infeasible, msg, self.feas_tol, clock);
            };
            // Multipliers in `f + yᵀc` from the QP's (`Bd + ∇f = Σ uᵢ nᵢ`).
            let me = pt.ce.len();
            let y: Vec<f64> = (0..m)
                .map(|i| if i < me { -qp.u[i] } else { qp.u[i] })
                .collect();
            let d = qp.x;
            // The constraints the QP holds active: every equality, and the
            // inequalities with a positive multiplier.
            let active: Vec<usize> = (0..m).filter(|&i| i < me || qp.u[i] > 0.0).collect();
            // Optimality at the current point, with these multipliers.
            let lg = pt.lagrangian_grad(&y);
            let pg = projected_grad_norm(&pt.x, &lg, bounds);
            let compl = pt
                .ci
                .iter()
                .zip(&y[me..])
                .fold(0.0f64, |a, (c, mu)| a.max((-c).min(*mu).abs()));
            run.grad_norm = pg;
            run.kkt = pg.max(compl);
            run.y.clone_from(&y);
            let viol = pt.violation();
            // A relative KKT test can pass on a large |f| while the iterates run off
            // along an unbounded feasible direction; there the QP step stays large.
            let f_prev = run.history.len().checked_sub(2).map(|i| run.history[i]);
            let small_step = inf_norm(&d) <= 1e-4 * (1.0 + inf_norm(&pt.x));
            if viol <= self.feas_tol
                && is_optimal(run.kkt, pt.f, f_prev, opts.tol)
                && (run.kkt <= opts.tol || small_step)
            {
                let msg = format!(
                    "max violation {viol:.3e} <= {:.0e} and KKT residual {:.3e} <= tol·max(1,|f|)",
                    self.feas_tol, run.kkt
                );
                return run.finish(Status::Converged, msg, self.feas_tol, clock);
            }
            if run.iters >= max_iters {
                let msg = format!(
                    "reached {max_iters} iterations (violation {viol:.3e}, KKT residual {:.3e})",
                    run.kkt
                );
                return run.finish(Status::MaxIters, msg, self.feas_tol, clock);
            }
            if inf_norm(&d) <= 1e-15 * (1.0 + inf_norm(&pt.x)) {
                // No step: either the linearized constraints admit none that
                // reduces the violation, or the point cannot be improved.
                let (status, what) = match viol > self.feas_tol {
                    true => (
                        Status::Infeasible,
                        "no step reduces the violation of the linearized constraints",
                    ),
                    false => (Status::Stalled, "the QP step vanished"),
                };
                let msg = format!(
                    "{what} (violation {viol:.3e}, KKT residual {:.3e})",
                    run.kkt
                );
                return run.finish(status, msg, self.feas_tol, clock);
            }
            run.iters += 1;
            for (w, yi) in nu.iter_mut().zip(&y) {
                *w = yi.abs().max(0.5 * (*w + yi.abs()));
            }
            let pen = pt.penalty(&nu);
            let phi = pt.f + pen;
            let gd = dot(&pt.g, &d);
            let slope = gd - theta * pen;
            // Backtracking on the merit function. Near a solution the merit's
            // changes drown in rounding: a violation of 1e-15 weighs more than an
            // objective change of 1e-20, so a step that keeps the point feasible and
            // decreases the objective is accepted as well; and a full step whose
            // predicted change is below the rounding of the merit itself cannot be
            // judged by it, so it is taken if it stays feasible (a few times in a
            // row at most: the KKT test decides).
            let noise = 16.0 * f64::EPSILON * (phi.abs() + 1.0);
            let unjudgeable = -slope <= noise && rounding_steps < 4;
            let mut alpha = 1.0;
            let mut accepted = None;
            for _ in 0..40 {
                let mut xt: Vec<f64> = pt.x.iter().zip(&d).map(|(x, d)| x + alpha * d).collect();
                bounds.project(&mut xt);
                let trial = Point::eval(nlp, xt);
                run.evals += 1;
                let phit = trial.merit(&nu);
                let finite = trial.f.is_finite() && trial.g.iter().all(|v| v.is_finite());
                let decrease = phit <= phi + 1e-4 * alpha * slope.min(0.0);
                let feasible_descent = gd < 0.0
                    && trial.violation() <= 0.01 * self.feas_tol
                    && trial.f <= pt.f + 1e-4 * alpha * gd;
                let blind =
                    unjudgeable && alpha == 1.0 && trial.violation() <= self.feas_tol.max(viol);
                if finite && phit.is_finite() && (decrease || feasible_descent || blind) {
                    rounding_steps = if decrease { 0 } else { rounding_steps + 1 };
                    accepted = Some(trial);
                    break;
                }
                // A rejected full step gets one second-order correction.
                if alpha == 1.0
                    && finite
                    && let Some(dh) = second_order_correction(pt, &trial, &active)
                {
                    let mut xs: Vec<f64> =
                        pt.x.iter()
                            .zip(&d)
                            .zip(&dh)
                            .map(|((x, d), h)| x + d + h)
                            .collect();
                    bounds.project(&mut xs);
                    let corrected = Point::eval(nlp, xs);
                    run.evals += 1;
                    let phic = corrected.merit(&nu);
                    let fine = corrected.f.is_finite() && corrected.g.iter().all(|v| v.is_finite());
                    if fine && phic.is_finite() && phic <= phi + 1e-4 * slope.min(0.0) {
                        rounding_steps = 0;
                        accepted = Some(corrected);
                        break;
                    }
                }
                // Quadratic interpolation of the merit, kept within [0.1, 0.5]·α.
                let curv = phit - phi - alpha * slope;
                let next = if finite && curv > 0.0 && slope < 0.0 {
                    -slope * alpha * alpha / (2.0 * curv)
                } else {
                    0.1 * alpha
                };
                alpha = next.clamp(0.1 * alpha, 0.5 * alpha);
                if alpha * inf_norm(&d) <= 1e-16 * (1.0 + inf_norm(&pt.x)) {
                    break;
                }
            }
            let Some(mut next) = accepted else {
                let msg = format!(
                    "the line search found no decrease of the merit function (violation {viol:.3e}, KKT residual {:.3e})",
                    run.kkt
                );
                return run.finish(Status::Stalled, msg, self.feas_tol, clock);
            };
            next.jacobian(nlp);
            let s: Vec<f64> = next.x.iter().zip(&pt.x).map(|(a, b)| a - b).collect();
            let dl: Vec<f64> = next
                .lagrangian_grad(&y)
                .iter()
                .zip(&lg)
                .map(|(a, b)| a - b)
                .collect();
            damped_bfgs(&mut b, n, &s, &dl);
            if cholesky(&b, n).is_none() {
                // Lost definiteness to rounding: start the curvature afresh.
                b = identity(n);
            }
            run.history.push(next.f);
            run.violation_history.push(next.violation());
            run.pt = next;
            if run.pt.f < UNBOUNDED_F && run.pt.violation() <= self.feas_tol {
                let msg = format!("objective fell below {UNBOUNDED_F:e} at a feasible point");
                return run.finish(Status::Unbounded, msg, self.feas_tol, clock);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damped_update_keeps_definiteness() {
        let mut b = vec![1.0, 0.0, 0.0, 1.0];
        // Negative curvature along s: the damped update must stay positive definite.
        damped_bfgs(&mut b, 2, &[1.0, 0.0], &[-1.0, 0.5]);
        assert!(cholesky(&b, 2).is_some());
    }
}

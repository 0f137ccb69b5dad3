//! Augmented Lagrangian method for general constraints, in the style of
//! ALGENCAN (Andreani, Birgin, Martínez & Schuverdt 2007; Birgin & Martínez,
//! *Practical Augmented Lagrangian Methods*, 2014).
//!
//! Each outer iteration minimizes the Powell–Hestenes–Rockafellar function
//!
//! `L(x) = f + Σ λ_i c_i + ρ/2 Σ c_i²  +  1/(2ρ) Σ_j (max(0, μ_j + ρ g_j)² − μ_j²)`
//!
//! (equalities `c = 0`, inequalities `g <= 0`, slack-free) within the box by the
//! inner L-BFGS, then sets `λ ← λ + ρc`, `μ ← max(0, μ + ρg)` (safeguarded to
//! `±1e20`). The penalty `ρ` is multiplied by `rho_factor` whenever the
//! feasibility-complementarity measure `max(|c|, |max(g, −μ/ρ)|)` did not drop
//! by the factor `decrease`. The inner tolerance tightens from `1e-4` by `0.1`
//! per outer iteration down to `Options::tol`.
//!
//! Feasibility restoration: when two outer iterations in a row make no
//! feasibility progress (or `ρ` reaches `rho_max`), the violation
//! `½Σc² + ½Σmax(0, g)²` is minimized alone from the current point. If even
//! that leaves a violation above `feas_tol`, the problem is declared
//! (locally) infeasible and `violated` lists the offending constraints.

use super::lbfgs::{Curvature, Lbfgs};
use crate::problem::{
    Bounds, Clock, ConstraintRef, Nlp, Options, SolveResult, Solver, Status, UNBOUNDED_F, inf_norm,
};

/// Augmented Lagrangian configuration. `AugLag::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct AugLag {
    /// Solver for the bound-constrained subproblems (default `Lbfgs::default()`).
    pub inner: Lbfgs,
    /// Largest number of outer iterations (default 100).
    pub max_outer: usize,
    /// Largest allowed constraint violation at a solution (default `1e-8`).
    pub feas_tol: f64,
    /// Initial penalty; `None` uses ALGENCAN's
    /// `max(1e-8, min(10·max(1,|f|) / max(1, ½‖c‖²), 1e8))` (default `None`).
    pub rho0: Option<f64>,
    /// Factor by which the penalty grows (default 10).
    pub rho_factor: f64,
    /// Largest penalty (default `1e20`).
    pub rho_max: f64,
    /// Required reduction of the infeasibility measure per outer iteration
    /// before the penalty is left unchanged (default 0.5).
    pub decrease: f64,
    /// Bound on the magnitude of the multipliers (default `1e20`).
    pub multiplier_max: f64,
    /// Inner tolerance of the first subproblem (default `1e-4`); it is divided by
    /// 10 each outer iteration until it reaches `Options::tol`.
    pub inner_tol0: f64,
}

impl Default for AugLag {
    fn default() -> Self {
        AugLag {
            inner: Lbfgs::default(),
            max_outer: 100,
            feas_tol: 1e-8,
            rho0: None,
            rho_factor: 10.0,
            rho_max: 1e20,
            decrease: 0.5,
            multiplier_max: 1e20,
            inner_tol0: 1e-4,
        }
    }
}

/// The subproblem handed to the inner solver: the augmented Lagrangian, or in
/// restoration mode the squared violation alone.
struct Sub<'a> {
    nlp: &'a mut dyn Nlp,
    lam: Vec<f64>,
    mu: Vec<f64>,
    rho: f64,
    restoration: bool,
    ce: Vec<f64>,
    ci: Vec<f64>,
    ye: Vec<f64>,
    yi: Vec<f64>,
    jt: Vec<f64>,
}

impl Nlp for Sub<'_> {
    fn n(&self) -> usize {
        self.nlp.n()
    }

    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let want_grad = grad.is_some();
        let mut val;
        let mut grad = grad;
        if self.restoration {
            val = 0.0;
            if let Some(g) = grad.as_deref_mut() {
                g.iter_mut().for_each(|v| *v = 0.0);
            }
        } else {
            val = self.nlp.objective(x, grad.as_deref_mut());
        }
        self.nlp.constraints(x, &mut self.ce, &mut self.ci);
        let rho = self.rho;
        for i in 0..self.ce.len() {
            let c = self.ce[i];
            if self.restoration {
                val += 0.5 * c * c;
                self.ye[i] = c;
            } else {
                val += self.lam[i] * c + 0.5 * rho * c * c;
                self.ye[i] = self.lam[i] + rho * c;
            }
        }
        for j in 0..self.ci.len() {
            let c = self.ci[j];
            if self.restoration {
                let t = c.max(0.0);
                val += 0.5 * t * t;
                self.yi[j] = t;
            } else {
                let t = (self.mu[j] + rho * c).max(0.0);
                val += (t * t - self.mu[j] * self.mu[j]) / (2.0 * rho);
                self.yi[j] = t;
            }
        }
        if want_grad && let Some(g) = grad {
            self.nlp.constraints_jt(x, &self.ye, &self.yi, &mut self.jt);
            for (gi, ji) in g.iter_mut().zip(&self.jt) {
                *gi += ji;
            }
        }
        val
    }
}

/// Constraint values and derived measures at one point.
struct Point {
    f: f64,
    ce: Vec<f64>,
    ci: Vec<f64>,
}

impl Point {
    fn eval(nlp: &mut dyn Nlp, x: &[f64]) -> Point {
        let f = nlp.objective(x, None);
        let mut ce = vec![0.0; nlp.n_eq()];
        let mut ci = vec![0.0; nlp.n_ineq()];
        nlp.constraints(x, &mut ce, &mut ci);
        Point { f, ce, ci }
    }

    /// Largest violation; NaN counts as infinite.
    fn violation(&self) -> f64 {
        let mut v = 0.0f64;
        for c in &self.ce {
            v = v.max(if c.is_nan() { f64::INFINITY } else { c.abs() });
        }
        for c in &self.ci {
            v = v.max(if c.is_nan() {
                f64::INFINITY
            } else {
                c.max(0.0)
            });
        }
        v
    }

    fn violated(&self, tol: f64) -> Vec<(ConstraintRef, f64)> {
        let mut out = Vec::new();
        for (i, c) in self.ce.iter().enumerate() {
            let v = if c.is_nan() { f64::INFINITY } else { c.abs() };
            if v > tol {
                out.push((ConstraintRef::Eq(i), v));
            }
        }
        for (j, c) in self.ci.iter().enumerate() {
            let v = if c.is_nan() {
                f64::INFINITY
            } else {
                c.max(0.0)
            };
            if v > tol {
                out.push((ConstraintRef::Ineq(j), v));
            }
        }
        out
    }
}

/// Accumulated outer-loop state, turned into the result at the end.
struct Outer {
    x: Vec<f64>,
    pt: Point,
    iters: usize,
    inner_iters: usize,
    evals: usize,
    grad_norm: f64,
    kkt: f64,
    history: Vec<f64>,
    violation_history: Vec<f64>,
    lam: Vec<f64>,
    mu: Vec<f64>,
}

impl Outer {
    fn finish(self, status: Status, msg: String, feas_tol: f64, clock: &Clock) -> SolveResult {
        let mut r = SolveResult::new(status, self.x, self.pt.f, msg);
        r.max_violation = self.pt.violation();
        if status == Status::Infeasible {
            r.violated = self.pt.violated(feas_tol);
        }
        r.iters = self.iters;
        r.inner_iters = self.inner_iters;
        r.evals = self.evals;
        r.grad_norm = self.grad_norm;
        r.kkt_residual = self.kkt;
        r.history = self.history;
        r.violation_history = self.violation_history;
        r.multipliers_eq = self.lam;
        r.multipliers_ineq = self.mu;
        r.time_s = clock.elapsed_s();
        r
    }
}

impl Solver for AugLag {
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        let n = nlp.n();
        let (me, mi) = (nlp.n_eq(), nlp.n_ineq());
        let pt = Point::eval(nlp, &x);
        let viol0 = pt.violation();
        let mut o = Outer {
            x,
            history: vec![pt.f],
            violation_history: vec![viol0],
            pt,
            iters: 0,
            inner_iters: 0,
            evals: 1,
            grad_norm: f64::NAN,
            kkt: f64::NAN,
            lam: vec![0.0; me],
            mu: vec![0.0; mi],
        };
        if !o.pt.f.is_finite() || viol0.is_infinite() {
            let what = if o.pt.f.is_finite() {
                "a constraint"
            } else {
                "the objective"
            };
            let msg = format!("{what} is NaN/Inf at the starting point");
            let mut r = o.finish(Status::Diverged, msg, self.feas_tol, clock);
            r.diverged_at = Some(0);
            return r;
        }
        let half_c2: f64 = 0.5
            * (o.pt.ce.iter().map(|c| c * c).sum::<f64>()
                + o.pt.ci.iter().map(|c| c.max(0.0).powi(2)).sum::<f64>());
        let mut rho = self
            .rho0
            .filter(|r| *r > 0.0 && r.is_finite())
            .unwrap_or_else(|| (10.0 * o.pt.f.abs().max(1.0) / half_c2.max(1.0)).clamp(1e-8, 1e8));
        let rho_max = self.rho_max.max(rho);
        let mut sub = Sub {
            nlp,
            lam: vec![0.0; me],
            mu: vec![0.0; mi],
            rho,
            restoration: false,
            ce: vec![0.0; me],
            ci: vec![0.0; mi],
            ye: vec![0.0; me],
            yi: vec![0.0; mi],
            jt: vec![0.0; n],
        };
        let mut v_prev = f64::INFINITY;
        let mut viol_prev = viol0;
        let mut no_progress = 0usize;
        let mut restorations = 0usize;
        let mut inner_tol = self.inner_tol0.max(opts.tol);
        let mut unchanged = 0usize;
        // Successive subproblems differ only in multipliers and penalty: each starts
        // from the previous one's curvature pairs.
        let mut curvature = Curvature::default();
        loop {
            if o.iters >= self.max_outer {
                return self.give_up(o, sub, bounds, opts, clock);
            }
            if clock.expired() {
                let msg = format!("timeout after {} outer iterations", o.iters);
                return o.finish(Status::Timeout, msg, self.feas_tol, clock);
            }
            o.iters += 1;
            sub.lam.clone_from(&o.lam);
            sub.mu.clone_from(&o.mu);
            sub.rho = rho;
            let inner_opts = Options {
                tol: inner_tol,
                timeout: clock.remaining(),
                ..opts.clone()
            };
            let res = self
                .inner
                .solve_warm(&mut sub, &o.x, bounds, &inner_opts, &mut curvature);
            o.inner_iters += res.iters;
            o.evals += res.evals;
            match res.status {
                Status::Timeout => {
                    let msg = format!("timeout after {} outer iterations", o.iters);
                    return o.finish(Status::Timeout, msg, self.feas_tol, clock);
                }
                Status::Diverged | Status::Error => {
                    let msg = format!("subproblem {}: {}", o.iters, res.message);
                    let it = o.iters;
                    let mut r = o.finish(res.status, msg, self.feas_tol, clock);
                    r.diverged_at = Some(it);
                    return r;
                }
                Status::Unbounded => {
                    let pt = Point::eval(sub.nlp, &res.x);
                    o.evals += 1;
                    if pt.violation() <= self.feas_tol && pt.f < UNBOUNDED_F {
                        o.x = res.x;
                        o.pt = pt;
                        o.history.push(o.pt.f);
                        o.violation_history.push(o.pt.violation());
                        let msg =
                            format!("objective fell below {UNBOUNDED_F:e} at a feasible point");
                        return o.finish(Status::Unbounded, msg, self.feas_tol, clock);
                    }
                    // The penalty is too small to make the subproblem bounded.
                    rho = (rho * self.rho_factor).min(rho_max);
                    o.history.push(o.pt.f);
                    o.violation_history.push(o.pt.violation());
                    continue;
                }
                _ => {}
            }
            let dx = inf_norm(
                &o.x.iter()
                    .zip(&res.x)
                    .map(|(a, b)| a - b)
                    .collect::<Vec<_>>(),
            );
            o.x = res.x;
            o.pt = Point::eval(sub.nlp, &o.x);
            o.evals += 1;
            // Feasibility-complementarity measure with the multipliers used.
            let mut v = 0.0f64;
            for c in &o.pt.ce {
                v = v.max(c.abs());
            }
            for (c, m) in o.pt.ci.iter().zip(&o.mu) {
                v = v.max(c.max(-m / rho).abs());
            }
            let mmax = if self.multiplier_max > 0.0 {
                self.multiplier_max
            } else {
                1e20
            };
            for (l, c) in o.lam.iter_mut().zip(&o.pt.ce) {
                *l = (*l + rho * c).clamp(-mmax, mmax);
            }
            for (m, c) in o.mu.iter_mut().zip(&o.pt.ci) {
                *m = (*m + rho * c).clamp(0.0, mmax);
            }
            let viol = o.pt.violation();
            let compl =
                o.pt.ci
                    .iter()
                    .zip(&o.mu)
                    .fold(0.0f64, |a, (c, m)| a.max((-c).min(*m).abs()));
            o.grad_norm = res.grad_norm;
            o.kkt = res.grad_norm.max(compl);
            o.history.push(o.pt.f);
            o.violation_history.push(viol);
            if !o.pt.f.is_finite() || viol.is_nan() {
                let msg = format!(
                    "objective or constraints NaN/Inf at outer iteration {}",
                    o.iters
                );
                let it = o.iters;
                let mut r = o.finish(Status::Diverged, msg, self.feas_tol, clock);
                r.diverged_at = Some(it);
                return r;
            }
            let scale = o.pt.f.abs().max(1.0);
            if viol <= self.feas_tol && o.kkt <= opts.tol * scale {
                let msg = format!(
                    "max violation {viol:.3e} <= {:.0e} and KKT residual {:.3e} <= tol·max(1,|f|)",
                    self.feas_tol, o.kkt
                );
                return o.finish(Status::Converged, msg, self.feas_tol, clock);
            }
            // At the final inner tolerance, a point that no longer moves cannot
            // be improved further: report it rather than loop.
            let xs = o.x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            if inner_tol <= opts.tol && dx <= 1e-14 * xs && viol <= self.feas_tol {
                unchanged += 1;
                if unchanged >= 3 {
                    let msg = format!(
                        "feasible (violation {viol:.3e}) but the KKT residual {:.3e} stopped decreasing",
                        o.kkt
                    );
                    return o.finish(Status::Stalled, msg, self.feas_tol, clock);
                }
            } else {
                unchanged = 0;
            }
            if v > self.decrease * v_prev {
                rho = (rho * self.rho_factor).min(rho_max);
            }
            v_prev = v;
            if viol > self.feas_tol && viol > 0.9 * viol_prev {
                no_progress += 1;
            } else {
                no_progress = 0;
            }
            viol_prev = viol;
            let stuck = no_progress >= 2 || (rho >= rho_max && viol > self.feas_tol);
            if stuck && restorations < 5 {
                restorations += 1;
                no_progress = 0;
                match self.restore(&mut sub, &mut o, bounds, opts, clock) {
                    Ok(()) => viol_prev = o.pt.violation(),
                    Err(r) => return *r,
                }
            }
            inner_tol = (inner_tol * 0.1).max(opts.tol);
        }
    }
}

impl AugLag {
    /// Minimizes the violation alone from `o.x`. `Err` carries the final result
    /// when the constraints cannot be satisfied.
    fn restore(
        &self,
        sub: &mut Sub<'_>,
        o: &mut Outer,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> Result<(), Box<SolveResult>> {
        sub.restoration = true;
        let ropts = Options {
            tol: opts.tol,
            timeout: clock.remaining(),
            ..opts.clone()
        };
        let res = self.inner.solve(sub, &o.x, bounds, &ropts);
        sub.restoration = false;
        o.inner_iters += res.iters;
        o.evals += res.evals;
        let pt = Point::eval(sub.nlp, &res.x);
        o.evals += 1;
        let viol = pt.violation();
        let better = viol < o.pt.violation() && pt.f.is_finite();
        if better {
            o.x = res.x;
            o.pt = pt;
        }
        if o.pt.violation() > self.feas_tol && res.status != Status::Timeout {
            let msg = format!(
                "constraints cannot be satisfied: minimizing the violation alone left {:.3e} > {:.0e}",
                o.pt.violation(),
                self.feas_tol
            );
            let taken = std::mem::replace(o, empty_outer());
            return Err(Box::new(taken.finish(
                Status::Infeasible,
                msg,
                self.feas_tol,
                clock,
            )));
        }
        Ok(())
    }

    /// Out of outer iterations: `infeasible` if even restoration fails,
    /// `max_iters` otherwise.
    fn give_up(
        &self,
        mut o: Outer,
        mut sub: Sub<'_>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        if o.pt.violation() > self.feas_tol
            && let Err(r) = self.restore(&mut sub, &mut o, bounds, opts, clock)
        {
            return *r;
        }
        let msg = format!(
            "reached {} outer iterations (violation {:.3e}, KKT residual {:.3e})",
            self.max_outer,
            o.pt.violation(),
            o.kkt
        );
        o.finish(Status::MaxIters, msg, self.feas_tol, clock)
    }
}

fn empty_outer() -> Outer {
    Outer {
        x: Vec::new(),
        pt: Point {
            f: f64::NAN,
            ce: Vec::new(),
            ci: Vec::new(),
        },
        iters: 0,
        inner_iters: 0,
        evals: 0,
        grad_norm: f64::NAN,
        kkt: f64::NAN,
        history: Vec::new(),
        violation_history: Vec::new(),
        lam: Vec::new(),
        mu: Vec::new(),
    }
}

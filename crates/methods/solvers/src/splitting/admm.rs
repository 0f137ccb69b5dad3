//! ADMM (Boyd et al. 2011, scaled form) for problems written with a linear
//! coupling: `minimize f(x) + h(z) subject to A x + B z + c = 0`, where the vars
//! carrying prox-friendly terms are `z` (the smooth part must not read them) and the
//! others are `x`. Each `subject to` is an affine equality with at most one `z` var,
//! entering as `s·z` (so `BᵀB` is `β I` per `z` var).
//!
//! One iteration: the `x`-update minimizes `f(x) + ρ/2 ‖A x + B z + c + u‖²` by
//! L-BFGS (warm-started: its curvature pairs carry over while `ρ` stays); the
//! `z`-update is one prox per `z` var, `z = prox_{h/(ρβ)}(−Σₖ sₖ (Aₖx + cₖ + uₖ)/β)`;
//! `u += A x + B z + c`. It stops when the primal residual `‖Ax + Bz + c‖` and the
//! dual residual `ρ‖AᵀB Δz‖` are below Boyd's `ε_pri = √m·tol + tol·max(‖Ax‖,
//! ‖Bz‖, ‖c‖)` and `ε_dual = √n·tol + tol·ρ‖Aᵀu‖`. With `adaptive`, `ρ` follows
//! residual balancing (×2 or ÷2 when one residual is ten times the other).
//!
//! The iteration is a map `T` of one state, the `z`-prox input `s = A x + c + u`
//! (from `s`: `z = prox(−Σ σ s/β)`, `u = s + B z`, the `x`-update, then
//! `T(s) = A x + c + u`); it is Douglas–Rachford on the dual, so `T` is firmly
//! nonexpansive. `anchored` runs Halpern's iteration on it,
//! `s ← s₀/(k+2) + (k+1)/(k+2)·T(s)` (Lieder 2021: the fixed-point residual
//! falls as O(1/k), against o(1/√k) for plain ADMM), restarting the anchor each
//! time that residual has fallen fivefold (Lu & Yang 2022), which keeps the linear
//! rate ADMM has on well-conditioned problems.

use super::nonsmooth::Nonsmooth;
use crate::facts::{Coupling, LinearEquality, ProxTerm, VarFact};
use crate::method::Structure;
use crate::nlp::{Curvature, Lbfgs};
use crate::problem::{Bounds, Clock, Nlp, Options, SolveResult, Status, dot};

/// The method's settings.
#[derive(Clone, Copy, Debug)]
pub struct Admm {
    pub rho: f64,
    pub adaptive: bool,
    /// Halpern's anchoring of the iteration to its start (then `ρ` stays fixed).
    pub anchored: bool,
}

/// Iterations of the inner L-BFGS per `x`-update.
const INNER_ITERS: usize = 2000;
/// Residual ratio that changes `ρ`, and the factor.
const BALANCE: f64 = 10.0;
const RHO_STEP: f64 = 2.0;
/// Halpern restarts its anchor when the fixed-point residual falls below this
/// fraction of its value at the anchor.
const RESTART_FACTOR: f64 = 0.2;

/// The split of a structure into `x` and `z`, or why ADMM does not apply.
pub struct Coupled<'a> {
    vars: &'a [VarFact],
    eqs: &'a [LinearEquality],
    /// Var indices of `x` and `z`.
    x_vars: Vec<usize>,
    z_vars: Vec<usize>,
    /// Per `z` var: its `β = Σ s²` and its terms (positions relative to the var).
    z_beta: Vec<f64>,
    z_terms: Vec<Vec<ProxTerm>>,
    /// Flat positions of the `x` part, in order.
    x_positions: Vec<usize>,
}

impl<'a> Coupled<'a> {
    pub fn new(s: &'a Structure) -> Result<Coupled<'a>, String> {
        let Some(eqs) = s.linear_equalities.as_deref() else {
            return Err(format!(
                "`admm` needs every `subject to` of `{}` to be a linear equality `A @ x + B @ z == c`",
                s.name
            ));
        };
        if eqs.is_empty() {
            return Err(format!(
                "`admm` splits along a linear coupling, and `{}` has no `subject to`",
                s.name
            ));
        }
        let var_of = |i: usize| s.vars.iter().position(|v| v.range().contains(&i));
        let mut is_z = vec![false; s.vars.len()];
        for t in &s.composite.terms {
            for &i in &t.indices {
                if let Some(v) = var_of(i) {
                    is_z[v] = true;
                }
            }
        }
        if !is_z.iter().any(|z| *z) {
            return Err(format!(
                "`admm` splits off the nonsmooth terms, and `{}` has none",
                s.name
            ));
        }
        for (v, var) in s.vars.iter().enumerate() {
            if var.set.is_some() {
                return Err(format!(
                    "`admm` does not handle vars in sets (`{}`)",
                    var.name
                ));
            }
            if is_z[v] && s.composite.smooth_reads.get(v).copied().unwrap_or(true) {
                return Err(format!(
                    "`admm` needs the smooth part not to read `{}`, which carries a nonsmooth term",
                    var.name
                ));
            }
            if is_z[v] && var.boxed {
                return Err(format!(
                    "`admm` takes no bounds on `{}`, which carries a nonsmooth term",
                    var.name
                ));
            }
        }
        let z_vars: Vec<usize> = (0..s.vars.len()).filter(|&v| is_z[v]).collect();
        let x_vars: Vec<usize> = (0..s.vars.len()).filter(|&v| !is_z[v]).collect();
        let mut z_beta = vec![0.0; z_vars.len()];
        for eq in eqs {
            let zs: Vec<&(usize, Coupling)> = eq.terms.iter().filter(|(v, _)| is_z[*v]).collect();
            if zs.len() > 1 {
                return Err("`admm` needs each `subject to` to involve at most one var with nonsmooth terms".into());
            }
            if let Some((v, c)) = zs.first() {
                let Coupling::Scaled(scale) = c else {
                    return Err(format!(
                        "`admm` needs `{}` to enter each `subject to` as a multiple of itself (`A @ x - z == 0`)",
                        s.vars[*v].name
                    ));
                };
                if s.vars[*v].len != eq.rows {
                    return Err(format!(
                        "`{}` and its `subject to` differ in size",
                        s.vars[*v].name
                    ));
                }
                let k = z_vars.iter().position(|z| z == v).unwrap_or(0);
                z_beta[k] += scale * scale;
            }
        }
        if let Some(k) = z_beta.iter().position(|b| !(*b > 0.0)) {
            return Err(format!(
                "`admm` needs `{}` to appear in a `subject to`",
                s.vars[z_vars[k]].name
            ));
        }
        let z_terms = z_vars
            .iter()
            .map(|&v| {
                let r = s.vars[v].range();
                s.composite
                    .terms
                    .iter()
                    .filter(|t| t.indices.iter().all(|i| r.contains(i)))
                    .map(|t| ProxTerm {
                        indices: t.indices.iter().map(|i| i - r.start).collect(),
                        ..t.clone()
                    })
                    .collect()
            })
            .collect::<Vec<Vec<ProxTerm>>>();
        let covered: usize = z_terms.iter().flatten().count();
        if covered != s.composite.terms.len() {
            return Err("`admm` needs each nonsmooth term to act on one var".into());
        }
        let x_positions = x_vars.iter().flat_map(|&v| s.vars[v].range()).collect();
        Ok(Coupled {
            vars: &s.vars,
            eqs,
            x_vars,
            z_vars,
            z_beta,
            z_terms,
            x_positions,
        })
    }

    fn is_x(&self, v: usize) -> bool {
        self.x_vars.contains(&v)
    }

    /// `Σ_{x vars} coef · v + offset` of equality `k` (the `x` part with the offset).
    fn x_part(&self, k: usize, v: &[f64]) -> Vec<f64> {
        let eq = &self.eqs[k];
        let mut out = eq.offset.clone();
        for (var, c) in eq.terms.iter().filter(|(var, _)| self.is_x(*var)) {
            apply(c, &v[self.vars[*var].range()], &mut out, 1.0);
        }
        out
    }

    /// `s·z` of equality `k` (zero when it has no `z` var).
    fn z_part(&self, k: usize, v: &[f64]) -> Vec<f64> {
        let eq = &self.eqs[k];
        let mut out = vec![0.0; eq.rows];
        for (var, c) in eq.terms.iter().filter(|(var, _)| !self.is_x(*var)) {
            apply(c, &v[self.vars[*var].range()], &mut out, 1.0);
        }
        out
    }

    /// `Σₖ Aₖᵀ wₖ` over the `x` positions (full-length vector, zero elsewhere).
    fn x_adjoint(&self, w: &[Vec<f64>], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n];
        for (k, eq) in self.eqs.iter().enumerate() {
            for (var, c) in eq.terms.iter().filter(|(var, _)| self.is_x(*var)) {
                let r = self.vars[*var].range();
                adjoint(c, &w[k], &mut out[r]);
            }
        }
        out
    }
}

/// `out += a · C x` for a coupling coefficient.
fn apply(c: &Coupling, x: &[f64], out: &mut [f64], a: f64) {
    match c {
        Coupling::Scaled(s) => out.iter_mut().zip(x).for_each(|(o, v)| *o += a * s * v),
        Coupling::Dense(m) => {
            let n = x.len().max(1);
            for (o, row) in out.iter_mut().zip(m.chunks_exact(n)) {
                *o += a * dot(row, x);
            }
        }
    }
}

/// `out += Cᵀ w`.
fn adjoint(c: &Coupling, w: &[f64], out: &mut [f64]) {
    match c {
        Coupling::Scaled(s) => out.iter_mut().zip(w).for_each(|(o, v)| *o += s * v),
        Coupling::Dense(m) => {
            let n = out.len().max(1);
            for (row, wk) in m.chunks_exact(n).zip(w) {
                out.iter_mut().zip(row).for_each(|(o, a)| *o += a * wk);
            }
        }
    }
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// The `x`-subproblem as an `Nlp` over the `x` positions.
struct XStep<'m, 'c> {
    model: &'m mut dyn Nlp,
    coupled: &'c Coupled<'c>,
    /// The full point (the `z` part fixed).
    full: Vec<f64>,
    /// `s·z + u` per equality.
    shift: Vec<Vec<f64>>,
    rho: f64,
    evals: usize,
}

impl Nlp for XStep<'_, '_> {
    fn n(&self) -> usize {
        self.coupled.x_positions.len()
    }

    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        for (p, &i) in self.coupled.x_positions.iter().enumerate() {
            self.full[i] = x[p];
        }
        let n = self.full.len();
        let mut g_full = vec![0.0; n];
        let mut f = self.model.smooth_objective(&self.full, Some(&mut g_full));
        self.evals += 1;
        let w: Vec<Vec<f64>> = (0..self.coupled.eqs.len())
            .map(|k| {
                let mut q = self.coupled.x_part(k, &self.full);
                q.iter_mut().zip(&self.shift[k]).for_each(|(a, b)| *a += b);
                q
            })
            .collect();
        f += 0.5 * self.rho * w.iter().map(|q| dot(q, q)).sum::<f64>();
        if let Some(g) = grad {
            let at = self.coupled.x_adjoint(&w, n);
            for (p, &i) in self.coupled.x_positions.iter().enumerate() {
                g[p] = g_full[i] + self.rho * at[i];
            }
        }
        f
    }
}

impl Admm {
    pub fn run(
        &self,
        model: &mut dyn Nlp,
        coupled: &Coupled,
        x0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> SolveResult {
        let clock = Clock::new(opts.timeout);
        let n = x0.len();
        let neq = coupled.eqs.len();
        let m: usize = coupled.eqs.iter().map(|e| e.rows).sum();
        let mut v = x0.to_vec();
        let mut rho = self.rho;
        let mut curvature = Curvature::default();
        let x_bounds = Bounds {
            lower: coupled
                .x_positions
                .iter()
                .map(|&i| bounds.lower[i])
                .collect(),
            upper: coupled
                .x_positions
                .iter()
                .map(|&i| bounds.upper[i])
                .collect(),
        };
        let mut z_prox: Vec<Nonsmooth> = coupled
            .z_vars
            .iter()
            .zip(&coupled.z_terms)
            .map(|(&zv, terms)| {
                let len = coupled.vars[zv].len;
                let free = Bounds::new(vec![f64::NEG_INFINITY; len], vec![f64::INFINITY; len]);
                Nonsmooth::new(terms, &[], &free)
            })
            .collect();
        let inner = Lbfgs::default();
        let mut evals = 0;
        let mut history = Vec::new();
        let (mut status, mut message) = (Status::MaxIters, String::from("iteration limit"));
        let (mut r_pri, mut r_dual, mut fixed) = (f64::NAN, f64::NAN, f64::NAN);
        // The state: the z-prox input `s = A x + c + u` per equality (u = 0 at the start).
        let mut state: Vec<Vec<f64>> = (0..neq).map(|k| coupled.x_part(k, &v)).collect();
        let mut anchor = state.clone();
        let mut anchor_residual: Option<f64> = None;
        let mut since = 0usize;
        let mut z_prev: Option<Vec<f64>> = None;
        let mut iters = 0;
        while iters < opts.max_iters {
            if clock.expired() {
                (status, message) = (Status::Timeout, "time limit".into());
                break;
            }
            iters += 1;
            // z = prox(−Σ σ s / β) per z var, then u = s + B z.
            for (j, &zv) in coupled.z_vars.iter().enumerate() {
                let range = coupled.vars[zv].range();
                let mut target = vec![0.0; range.len()];
                for (k, eq) in coupled.eqs.iter().enumerate() {
                    for (var, c) in &eq.terms {
                        if let (true, Coupling::Scaled(sigma)) = (*var == zv, c) {
                            for (t, sk) in target.iter_mut().zip(&state[k]) {
                                *t -= sigma * sk;
                            }
                        }
                    }
                }
                let beta = coupled.z_beta[j];
                target.iter_mut().for_each(|t| *t /= beta);
                let mut out = vec![0.0; range.len()];
                if let Err(e) = z_prox[j].prox(&target, 1.0 / (rho * beta), &mut out) {
                    (status, message) = (Status::Error, e);
                    break;
                }
                v[range].copy_from_slice(&out);
            }
            if status == Status::Error {
                break;
            }
            let bz: Vec<Vec<f64>> = (0..neq).map(|k| coupled.z_part(k, &v)).collect();
            let u: Vec<Vec<f64>> = (0..neq)
                .map(|k| state[k].iter().zip(&bz[k]).map(|(a, b)| a + b).collect())
                .collect();
            // x = argmin f(x) + ρ/2 ‖A x + c + B z + u‖².
            let shift: Vec<Vec<f64>> = (0..neq)
                .map(|k| bz[k].iter().zip(&u[k]).map(|(a, b)| a + b).collect())
                .collect();
            let x_start: Vec<f64> = coupled.x_positions.iter().map(|&i| v[i]).collect();
            let mut step = XStep {
                model: &mut *model,
                coupled,
                full: v.clone(),
                shift,
                rho,
                evals: 0,
            };
            let inner_opts = Options {
                max_iters: INNER_ITERS,
                tol: 1e-12,
                timeout: clock.remaining(),
                ..Options::default()
            };
            let r = inner.solve_warm(&mut step, &x_start, &x_bounds, &inner_opts, &mut curvature);
            evals += step.evals;
            drop(step);
            if !r.f.is_finite() {
                (status, message) = (Status::Diverged, "the x-update is NaN or infinite".into());
                break;
            }
            for (p, &i) in coupled.x_positions.iter().enumerate() {
                v[i] = r.x[p];
            }
            // Residuals of (x, z), and the next state T(s) = A x + c + u.
            let q: Vec<Vec<f64>> = (0..neq).map(|k| coupled.x_part(k, &v)).collect();
            let (mut ax, mut bzn, mut cc, mut prim, mut moved) = (0.0, 0.0, 0.0, 0.0, 0.0);
            let mut next = Vec::with_capacity(neq);
            for (k, eq) in coupled.eqs.iter().enumerate() {
                for ((a, b), o) in q[k].iter().zip(&bz[k]).zip(&eq.offset) {
                    ax += (a - o) * (a - o);
                    prim += (a + b) * (a + b);
                }
                bzn += dot(&bz[k], &bz[k]);
                cc += dot(&eq.offset, &eq.offset);
                let t: Vec<f64> = q[k].iter().zip(&u[k]).map(|(a, b)| a + b).collect();
                moved += t
                    .iter()
                    .zip(&state[k])
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>();
                next.push(t);
            }
            r_pri = prim.sqrt();
            fixed = moved.sqrt();
            let dz: Vec<Vec<f64>> = match &z_prev {
                Some(prev) => (0..neq)
                    .map(|k| {
                        let p_old = coupled.z_part(k, prev);
                        bz[k].iter().zip(&p_old).map(|(a, b)| a - b).collect()
                    })
                    .collect(),
                None => bz.clone(),
            };
            z_prev = Some(v.clone());
            r_dual = rho * norm(&coupled.x_adjoint(&dz, n));
            let aty = rho * norm(&coupled.x_adjoint(&u, n));
            let eps_pri =
                (m as f64).sqrt() * opts.tol + opts.tol * ax.sqrt().max(bzn.sqrt()).max(cc.sqrt());
            let eps_dual = (coupled.x_positions.len() as f64).sqrt() * opts.tol + opts.tol * aty;
            let f = model.objective(&v, None);
            evals += 1;
            history.push(f);
            if !f.is_finite() || !r_pri.is_finite() || !r_dual.is_finite() {
                (status, message) = (Status::Diverged, "NaN or infinity in the iterates".into());
                break;
            }
            if r_pri <= eps_pri && r_dual <= eps_dual {
                (status, message) = (
                    Status::Converged,
                    "primal and dual residuals below tol".into(),
                );
                break;
            }
            if self.anchored {
                // Restart the anchor once the fixed-point residual has fallen by
                // RESTART_FACTOR since the last restart (restarted Halpern, Lu & Yang
                // 2022): linear convergence where plain ADMM has it.
                match anchor_residual {
                    None => anchor_residual = Some(fixed),
                    Some(r0) if fixed <= RESTART_FACTOR * r0 => {
                        anchor = state.clone();
                        anchor_residual = None;
                        since = 0;
                    }
                    _ => {}
                }
                since += 1;
            }
            state = if self.anchored {
                // Halpern: s ← s₀/(k+2) + (k+1)/(k+2)·T(s), k counted from the anchor.
                let lambda = 1.0 / (since as f64 + 1.0);
                next.iter()
                    .zip(&anchor)
                    .map(|(t, a)| {
                        t.iter()
                            .zip(a)
                            .map(|(t, a)| lambda * a + (1.0 - lambda) * t)
                            .collect()
                    })
                    .collect()
            } else {
                next
            };
            if self.adaptive && !self.anchored {
                let scale = if r_pri > BALANCE * r_dual {
                    RHO_STEP
                } else if r_dual > BALANCE * r_pri {
                    1.0 / RHO_STEP
                } else {
                    1.0
                };
                if scale != 1.0 {
                    // Scaled duals follow ρ: s = A x + c + u with u ← u/scale.
                    for (sk, qk) in state.iter_mut().zip(&q) {
                        for (sv, qv) in sk.iter_mut().zip(qk) {
                            *sv = qv + (*sv - qv) / scale;
                        }
                    }
                    rho *= scale;
                    curvature = Curvature::default();
                }
            }
        }
        let f = model.objective(&v, None);
        let mut r = SolveResult::new(status, v, f, message);
        r.iters = iters;
        r.inner_iters = iters;
        r.evals = evals + 1;
        r.max_violation = r_pri;
        r.grad_norm = r_dual;
        r.kkt_residual = r_pri.max(r_dual);
        r.history = history;
        r.time_s = clock.elapsed_s();
        r.certificate = "admm_residual";
        r.gap = r_pri.max(r_dual);
        if self.anchored {
            r.message = format!("{} (fixed-point residual {fixed:.3e})", r.message);
        }
        r
    }
}

//! Newton-CG (truncated Newton) with a Steihaug–Toint trust region, using only
//! Hessian-vector products (`Nlp::hvp`).
//!
//! Each iteration approximately minimizes the quadratic model
//! `g·p + ½ pᵀHp` within `‖p‖ ≤ Δ` by conjugate gradients, stopping at the
//! boundary, on negative curvature, or when the residual is below
//! `min(0.5, √‖g‖)·‖g‖` (superlinear local convergence, Nocedal & Wright
//! Alg. 7.2). Under bounds the variables sitting on a bound with an outward
//! gradient are fixed, CG runs on the free ones, and the step is projected onto
//! the box before the ratio test, which then uses the model value of the
//! projected step (one extra Hessian-vector product).

use crate::problem::{
    Bounds, Clock, Nlp, Options, SolveResult, Solver, Status, UNBOUNDED_F, all_finite, dot,
    is_optimal, norm2, projected_grad_norm,
};

/// Newton-CG configuration. `Newton::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Newton {
    /// Initial trust-region radius (default 1).
    pub initial_radius: f64,
    /// Largest trust-region radius (default `1e100`; a small cap would let an
    /// objective running off to `-inf` look converged under the relative test).
    pub max_radius: f64,
    /// Smallest ratio actual/predicted reduction that accepts a step (default `1e-4`).
    pub eta: f64,
    /// CG iterations per Newton step; `None` means `n` (default `None`).
    pub max_cg_iters: Option<usize>,
    /// Iterations in a row without relative movement of `f` and `x` before the
    /// status becomes `stalled` (default 5).
    pub stall_iters: usize,
}

impl Default for Newton {
    fn default() -> Self {
        Newton {
            initial_radius: 1.0,
            max_radius: 1e100,
            eta: 1e-4,
            max_cg_iters: None,
            stall_iters: 5,
        }
    }
}

/// Solves the trust-region subproblem on the free variables by Steihaug CG.
/// Returns the step `p` (zero on fixed variables).
#[allow(clippy::too_many_arguments)]
fn steihaug(
    nlp: &mut dyn Nlp,
    x: &[f64],
    g: &[f64],
    free: &[bool],
    radius: f64,
    max_iters: usize,
    hvps: &mut usize,
) -> Vec<f64> {
    let n = x.len();
    let mask = |v: &mut [f64]| {
        for (vi, f) in v.iter_mut().zip(free) {
            if !*f {
                *vi = 0.0;
            }
        }
    };
    let mut r: Vec<f64> = g.to_vec();
    mask(&mut r);
    let mut z = vec![0.0; n];
    let mut d: Vec<f64> = r.iter().map(|v| -v).collect();
    let gnorm = norm2(&r);
    let eps = 0.5f64.min(gnorm.sqrt()) * gnorm;
    let mut hd = vec![0.0; n];
    let to_boundary = |z: &[f64], d: &[f64]| -> Vec<f64> {
        let a = dot(d, d);
        let b = 2.0 * dot(z, d);
        let c = dot(z, z) - radius * radius;
        let disc = (b * b - 4.0 * a * c).max(0.0).sqrt();
        let tau = if a > 0.0 {
            (-b + disc) / (2.0 * a)
        } else {
            0.0
        };
        z.iter().zip(d).map(|(zi, di)| zi + tau * di).collect()
    };
    for _ in 0..max_iters.max(1) {
        nlp.hvp(x, &d, &mut hd);
        *hvps += 1;
        mask(&mut hd);
        let dhd = dot(&d, &hd);
        if !dhd.is_finite() || !all_finite(&hd) {
            // Unusable curvature information: fall back on what we have, or
            // the scaled steepest-descent step on the first iteration.
            return if dot(&z, &z) > 0.0 {
                z
            } else {
                to_boundary(&z, &d)
            };
        }
        if dhd <= 0.0 {
            return to_boundary(&z, &d);
        }
        let rr = dot(&r, &r);
        let alpha = rr / dhd;
        let z_new: Vec<f64> = z.iter().zip(&d).map(|(zi, di)| zi + alpha * di).collect();
        if norm2(&z_new) >= radius {
            return to_boundary(&z, &d);
        }
        for i in 0..n {
            r[i] += alpha * hd[i];
        }
        z = z_new;
        let rr_new = dot(&r, &r);
        if rr_new.sqrt() <= eps {
            return z;
        }
        let beta = rr_new / rr;
        for i in 0..n {
            d[i] = -r[i] + beta * d[i];
        }
    }
    z
}

/// Newton-CG ignores the constraints of `nlp`.
impl Solver for Newton {
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        mut x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        let n = nlp.n();
        let mut g = vec![0.0; n];
        let mut f = nlp.objective(&x, Some(&mut g));
        let mut evals = 1usize;
        let mut hvps = 0usize;
        let mut history = vec![f];
        let mut iters = 0usize;
        let mut radius = if self.initial_radius > 0.0 {
            self.initial_radius
        } else {
            1.0
        };
        let max_cg = self.max_cg_iters.unwrap_or(n).max(1);
        let mut free = vec![true; n];
        let mut gt = vec![0.0; n];
        let mut hs = vec![0.0; n];
        let mut f_prev = None;
        let mut stall = 0usize;
        let (status, msg, diverged_at) = 'outer: {
            if !f.is_finite() || !all_finite(&g) {
                break 'outer (
                    Status::Diverged,
                    "objective or gradient is NaN/Inf at the starting point".to_string(),
                    Some(0),
                );
            }
            loop {
                let pg = projected_grad_norm(&x, &g, bounds);
                if is_optimal(pg, f, f_prev, opts.tol) {
                    break 'outer (
                        Status::Converged,
                        format!("projected gradient norm {pg:.3e} <= tol·max(1,|f|)"),
                        None,
                    );
                }
                if f < UNBOUNDED_F {
                    break 'outer (
                        Status::Unbounded,
                        format!("objective {f:.3e} fell below -1e100"),
                        None,
                    );
                }
                if iters >= opts.max_iters {
                    break 'outer (
                        Status::MaxIters,
                        format!("reached max_iters = {}", opts.max_iters),
                        None,
                    );
                }
                if clock.expired() {
                    break 'outer (
                        Status::Timeout,
                        format!("timeout after {iters} iterations"),
                        None,
                    );
                }
                iters += 1;
                for i in 0..n {
                    let at_lo = x[i] <= bounds.lower[i] && g[i] > 0.0;
                    let at_hi = x[i] >= bounds.upper[i] && g[i] < 0.0;
                    free[i] = !(at_lo || at_hi);
                }
                let p = steihaug(nlp, &x, &g, &free, radius, max_cg, &mut hvps);
                let mut xt: Vec<f64> = x.iter().zip(&p).map(|(a, b)| a + b).collect();
                bounds.project(&mut xt);
                let s: Vec<f64> = xt.iter().zip(&x).map(|(a, b)| a - b).collect();
                let snorm = norm2(&s);
                let ft = nlp.objective(&xt, Some(&mut gt));
                evals += 1;
                if !ft.is_finite() || !all_finite(&gt) {
                    radius = 0.25 * snorm.min(radius);
                    history.push(f);
                    if radius <= 1e-300 || snorm == 0.0 {
                        break 'outer (
                            Status::Diverged,
                            format!(
                                "objective became NaN/Inf at iteration {iters} for every trial step"
                            ),
                            Some(iters),
                        );
                    }
                    continue;
                }
                nlp.hvp(&x, &s, &mut hs);
                hvps += 1;
                let pred = -(dot(&g, &s) + 0.5 * dot(&s, &hs));
                let ared = f - ft;
                let rho = if pred > 0.0 {
                    ared / pred
                } else if ared > 0.0 {
                    1.0
                } else {
                    -1.0
                };
                let gnorm_t = projected_grad_norm(&xt, &gt, bounds);
                // Near the minimizer rounding hides the decrease; accept a step that
                // keeps f equal up to rounding and reduces the projected gradient.
                let rounding = (ft - f).abs() <= 1e-13 * f.abs() && gnorm_t < pg;
                if rho < 0.25 {
                    radius = 0.25 * snorm.min(radius);
                } else if rho > 0.75 && snorm >= 0.99 * radius {
                    radius = (2.0 * radius).min(self.max_radius);
                }
                if rho > self.eta || rounding {
                    let dx = s.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    let xs = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                    if (ft - f).abs() <= 1e-15 * f.abs().max(1.0) && dx <= 1e-15 * xs {
                        stall += 1;
                    } else {
                        stall = 0;
                    }
                    x = xt;
                    g.copy_from_slice(&gt);
                    f_prev = Some(f);
                    f = ft;
                    if rounding && radius < snorm {
                        radius = snorm;
                    }
                } else {
                    stall = 0;
                }
                history.push(f);
                let xs = x.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                if stall >= self.stall_iters.max(1) || radius <= 1e-15 * xs {
                    let pg = projected_grad_norm(&x, &g, bounds);
                    if pg <= opts.tol * f.abs().max(1.0) {
                        break 'outer (
                            Status::Converged,
                            format!("projected gradient norm {pg:.3e} <= tol·max(1,|f|)"),
                            None,
                        );
                    }
                    break 'outer (
                        Status::Stalled,
                        format!(
                            "trust region collapsed or no progress at iteration {iters} (projected gradient {pg:.3e})"
                        ),
                        None,
                    );
                }
            }
        };
        let mut r = SolveResult::new(status, x, f, msg);
        r.grad_norm = projected_grad_norm(&r.x, &g, bounds);
        r.kkt_residual = r.grad_norm;
        r.iters = iters;
        r.inner_iters = iters;
        r.evals = evals + hvps;
        r.history = history;
        r.diverged_at = diverged_at;
        r.time_s = clock.elapsed_s();
        r
    }
}

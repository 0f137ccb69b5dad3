//! Sinkhorn–Newton–Sparse (Tang, Shavlovsky, Rahmanian, Tardini, Thekumparampil,
//! Xiao and Ying, "Accelerating Sinkhorn algorithm with sparse Newton
//! iterations", ICLR 2024).
//!
//! The dual `D(f, g) = ⟨f, a⟩ + ⟨g, b⟩ − reg Σ_ij exp((f_i + g_j − M_ij) / reg)`
//! is concave with gradient `(a − P 1, b − Pᵀ 1)` and Hessian
//! `−(1/reg) [[diag(P 1), P], [Pᵀ, diag(Pᵀ 1)]]`.
//!
//! 1. Warm-up: Sinkhorn iterations (at least [`WARM_MIN`]) until the marginal
//!    error is below [`WARM_REL`]` · sum(a)`. If the observed convergence rate
//!    then predicts at most [`SINKHORN_ENOUGH`] more iterations, Sinkhorn is
//!    cheaper than Newton and simply continues.
//! 2. Each Newton step keeps the entries of every row of `P` above
//!    [`KEEP_REL`] times the row's maximum (at most half the row), `P̃`, and uses
//!    the Hessian of that sparse plan, `[[diag(P̃ 1), P̃], [P̃ᵀ, diag(P̃ᵀ 1)]]`
//!    (which, unlike keeping the exact diagonals, preserves the Hessian's
//!    null vector `(1, −1)` and its slowly varying modes, the ones Sinkhorn
//!    is slow on). `Δf` is eliminated and the Schur complement
//!    `(diag(c̃) − P̃ᵀ diag(r̃)⁻¹ P̃) Δg = q − P̃ᵀ (p / r̃)` (`p = reg (a − P 1)`,
//!    `q = reg (b − Pᵀ 1)`) is solved by Jacobi-preconditioned CG
//!    ([`optl_linalg::cg`] on a [`optl_linalg::MatrixFree`] operator that reads
//!    `P̃` once per product) with `Δg_{m−1} = 0` removing the gauge's degree of
//!    freedom (a diagonally dominant M-matrix, positive definite when the
//!    sparse plan is connected), to a relative residual of `0.1 · err / mass`.
//! 3. A backtracking line search from the full step accepts the first step that
//!    increases `D` (Armijo), or, once `D`'s increase is below its rounding
//!    (near the solution), that decreases the marginal error.
//! 4. A Sinkhorn row update follows (`P 1 = a` again).
//!
//! A step that cannot improve (CG breakdown, line search exhausted) is replaced
//! by [`FALLBACK_ITERS`] Sinkhorn iterations.

use std::cell::RefCell;

use optl_linalg::{MatrixFree, Precond, Status as CgStatus, cg};

use crate::kernel::{Kernel, Target};
use crate::solve::{Problem, Run, passes, sinkhorn_loop, start};
use crate::sparse::Sparse;
use crate::{Norm, Options};

/// The warm-up stops at a marginal error of `WARM_REL · sum(a)`…
pub(crate) const WARM_REL: f64 = 3e-2;
/// …after at least this many iterations (the rate settles by then)…
pub(crate) const WARM_MIN: usize = 5;
/// …and at most this many.
const WARM_MAX: usize = 200;
/// Sinkhorn continues instead when it needs at most this many more iterations.
pub(crate) const SINKHORN_ENOUGH: f64 = 80.0;
/// Entries kept per row: those above `KEEP_REL` times the row maximum.
pub(crate) const KEEP_REL: f64 = 1e-3;
/// …but at least this many (so that the sparse plan stays connected where the
/// plan is nearly a permutation).
pub(crate) const KEEP_LEAST: usize = 4;
/// Sinkhorn iterations replacing a failed Newton step.
pub(crate) const FALLBACK_ITERS: usize = 10;
/// Armijo constant and the number of halvings of the step.
const ARMIJO: f64 = 1e-4;
const BACKTRACKS: usize = 12;
/// In log mode, scalings beyond this are absorbed before a step.
const ABSORB_AT: f64 = 1e50;

/// The Newton method; returns the kernel at the last iterate and whether it
/// converged.
pub(crate) fn solve(p: &Problem<'_>, opts: &Options, run: &mut Run) -> (Kernel, bool) {
    let mut kern = start(p, false, run);
    let warm_tol = WARM_REL * p.mass;
    let mut last = f64::INFINITY;
    let mut rate = 1.0;
    let mut it = 0;
    // The warm-up, one iteration at a time to watch the rate.
    while it < WARM_MAX.min(opts.max_iters) {
        if sinkhorn_loop(&mut kern, p, 1, 1, opts.tol, opts.norm, run) {
            return (kern, true);
        }
        let err = run.last_err;
        rate = err / last;
        last = err;
        it += 1;
        if it >= WARM_MIN && err <= warm_tol {
            break;
        }
    }
    let remaining = if rate < 1.0 {
        (opts.tol / last).ln() / rate.ln()
    } else {
        f64::INFINITY
    };
    if remaining <= SINKHORN_ENOUGH {
        let budget = opts.max_iters.saturating_sub(run.iters);
        let conv = sinkhorn_loop(
            &mut kern,
            p,
            budget,
            opts.check_every,
            opts.tol,
            opts.norm,
            run,
        );
        return (kern, conv);
    }
    let converged = newton_phase(&mut kern, p, opts, run);
    (kern, converged)
}

/// Newton steps (and fallback Sinkhorn iterations) until the test passes.
fn newton_phase(kern: &mut Kernel, p: &Problem<'_>, opts: &Options, run: &mut Run) -> bool {
    let (n, k) = (p.a.len(), p.b.len());
    let l2 = opts.norm == Norm::L2;
    kern.row_pass(None);
    let mut pot_f = vec![0.0; n];
    let mut pot_g = vec![0.0; k];
    loop {
        if passes(kern.marginal_errors(p.a, p.b, l2), opts.tol, opts.norm) {
            return true;
        }
        if run.iters >= opts.max_iters {
            return false;
        }
        if kern.log && !(within(&kern.u, ABSORB_AT) && within(&kern.v, ABSORB_AT)) {
            kern.f_into(&mut pot_f);
            kern.g_into(&mut pot_g);
            if !kern.absorb_both(p.m, &pot_f, &pot_g) {
                return false;
            }
            kern.row_pass(None);
        }
        if k >= 2 && newton_step(kern, p) {
            run.iters += 1;
            run.newton_steps += 1;
            kern.row_pass(Some(Target::exact(p.a)));
            if !kern.u_ok() {
                run.switched |= !kern.log;
                kern.g_into(&mut pot_g);
                kern.absorb_rows(p.m, Target::exact(p.a), &pot_g);
            }
        } else {
            let budget = FALLBACK_ITERS.min(opts.max_iters - run.iters);
            if sinkhorn_loop(kern, p, budget, 1, opts.tol, opts.norm, run) {
                return true;
            }
            kern.row_pass(None);
        }
    }
}

fn within(x: &[f64], bound: f64) -> bool {
    x.iter().all(|&t| (1.0 / bound..=bound).contains(&t))
}

/// `‖P 1 − a‖₁ + ‖Pᵀ 1 − b‖₁` of the kernel's last pass.
fn l1_error(kern: &Kernel, p: &Problem<'_>) -> f64 {
    let (r, c) = kern.marginal_errors(p.a, p.b, false);
    r + c
}

/// One damped Newton step from the kernel's current pass; returns whether it
/// improved (the kernel then holds the new iterate and its pass).
fn newton_step(kern: &mut Kernel, p: &Problem<'_>) -> bool {
    let (n, k, reg) = (p.a.len(), p.b.len(), p.reg);
    let r: Vec<f64> = kern.u.iter().zip(&kern.s).map(|(u, s)| u * s).collect();
    let c: Vec<f64> = kern.v.iter().zip(&kern.w).map(|(v, w)| v * w).collect();
    if r.iter().chain(&c).any(|&t| !(t > 0.0 && t.is_finite())) {
        return false;
    }
    let err0 = l1_error(kern, p);
    let Some((df, dg)) = direction(kern, p, &r, &c, err0) else {
        return false;
    };
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(s, t)| s * t).sum::<f64>();
    let gf: Vec<f64> = (0..n).map(|i| p.a[i] - r[i]).collect();
    let gg: Vec<f64> = (0..k).map(|j| p.b[j] - c[j]).collect();
    let slope = dot(&gf, &df) + dot(&gg, &dg);
    let lin = dot(p.a, &df) + dot(p.b, &dg);
    if !(slope > 0.0 && slope.is_finite()) {
        return false;
    }
    let mass0: f64 = r.iter().sum();
    // D's increase is `t · lin − reg (mass(t) − mass0)`, a difference of terms of
    // the size of `reg · mass`: below `noise` it is rounding.
    let noise = 1e-12 * reg * mass0;
    let saved = (
        kern.u.clone(),
        kern.v.clone(),
        kern.s.clone(),
        kern.w.clone(),
    );
    let mut t = 1.0;
    for _ in 0..BACKTRACKS {
        for ((u, u0), d) in kern.u.iter_mut().zip(&saved.0).zip(&df) {
            *u = u0 * (t * d / reg).exp();
        }
        for ((v, v0), d) in kern.v.iter_mut().zip(&saved.1).zip(&dg) {
            *v = v0 * (t * d / reg).exp();
        }
        if kern.u_ok() && kern.v_ok() {
            kern.row_pass(None);
            let mass: f64 = kern.u.iter().zip(&kern.s).map(|(u, s)| u * s).sum();
            let gain = t * lin - reg * (mass - mass0);
            let want = ARMIJO * t * slope;
            if gain.is_finite()
                && (gain >= want + noise || (gain >= want - noise && l1_error(kern, p) < err0))
            {
                return true;
            }
        }
        t *= 0.5;
    }
    (kern.u, kern.v, kern.s, kern.w) = saved;
    false
}

/// The Newton direction `(Δf, Δg)` with the sparse plan's Hessian, or `None` if
/// CG fails.
fn direction(
    kern: &Kernel,
    p: &Problem<'_>,
    r: &[f64],
    c: &[f64],
    err0: f64,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let (n, k, reg) = (p.a.len(), p.b.len(), p.reg);
    let kr: f64 = std::env::var("KR")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(KEEP_REL);
    let ps = Sparse::from_kernel(kern, kr, KEEP_LEAST, (k / 2).max(KEEP_LEAST));
    let mut part = ps.scratch();
    // Diagonals of the sparse plan's Hessian.
    let mut rs = vec![0.0; n];
    ps.mul(&vec![1.0; k], &mut rs);
    let mut cs = vec![0.0; k];
    ps.mul_t(&vec![1.0; n], &mut part, &mut cs);
    if !rs.iter().all(|&x| x > 0.0) {
        return None;
    }
    let inv_r: Vec<f64> = rs.iter().map(|x| 1.0 / x).collect();
    let pv: Vec<f64> = (0..n).map(|i| reg * (p.a[i] - r[i])).collect();
    let q: Vec<f64> = (0..k).map(|j| reg * (p.b[j] - c[j])).collect();
    let t: Vec<f64> = pv.iter().zip(&inv_r).map(|(x, y)| x * y).collect();
    let mut ptt = vec![0.0; k];
    ps.mul_t(&t, &mut part, &mut ptt);
    let dim = k - 1;
    let rhs: Vec<f64> = (0..dim).map(|j| q[j] - ptt[j]).collect();
    let mut sq = vec![0.0; k];
    ps.weighted_squares(&inv_r, &mut part, &mut sq);
    let diag: Vec<f64> = (0..dim).map(|j| cs[j] - sq[j]).collect();
    let scratch = RefCell::new((vec![0.0; k], vec![0.0; k], part));
    let apply = |x: &[f64], y: &mut [f64]| {
        let mut guard = scratch.borrow_mut();
        let (xf, out, part) = &mut *guard;
        xf[..dim].copy_from_slice(x);
        xf[dim] = 0.0;
        ps.gram(xf, &inv_r, part, out);
        for j in 0..dim {
            y[j] = cs[j] * xf[j] - out[j];
        }
    };
    let precond = if diag.iter().all(|&d| d > 0.0) {
        Precond::Jacobi
    } else {
        Precond::None
    };
    let op = MatrixFree::new(dim, apply).with_diagonal(diag).ok()?;
    let eta = (0.1 * err0 / p.mass).clamp(1e-10, 1e-2);
    let sol = cg(&op, &rhs, eta, 4 * dim.max(50), precond).ok()?;
    if !matches!(sol.status, CgStatus::Converged | CgStatus::MaxIters) {
        return None;
    }
    let mut dg = sol.x;
    dg.push(0.0);
    let mut pdg = vec![0.0; n];
    ps.mul(&dg, &mut pdg);
    let df: Vec<f64> = (0..n).map(|i| (pv[i] - pdg[i]) * inv_r[i]).collect();
    if df.iter().chain(&dg).all(|x| x.is_finite()) {
        Some((df, dg))
    } else {
        None
    }
}

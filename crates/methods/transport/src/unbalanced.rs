//! Unbalanced entropic transport (Chizat, Peyré, Schmitzer & Vialard, "Scaling
//! algorithms for unbalanced optimal transport problems", 2018): the marginal
//! constraints relaxed by Kullback–Leibler penalties,
//!
//! `min_{P ≥ 0} ⟨P, M⟩ + reg KL(P | a ⊗ b) + ρ₁ KL(P 1 | a) + ρ₂ KL(Pᵀ 1 | b)`
//!
//! with the generalized divergence `KL(x | y) = Σ x ln(x / y) − x + y` (POT's
//! `sinkhorn_unbalanced` with `reg_type = "kl"`). Its optimality conditions give
//! `P_ij = a_i b_j exp((f_i + g_j − M_ij) / reg)` with the generalized Sinkhorn
//! fixed point `f_i = −fi₁ · reg LSE_j(ln b_j + (g_j − M_ij) / reg)`,
//! `fi = ρ / (ρ + reg)`, and its transpose: each half-iteration moves the
//! potentials a fraction `fi` of the way of a balanced Sinkhorn update. It runs
//! on the kernel of the balanced solver ([`crate::kernel`]), with the same
//! switch from scalings to the log domain when a scaling leaves its range.
//!
//! A penalty `ρ = ∞` makes its marginal a hard constraint (`fi = 1`); both
//! infinite is the balanced problem, which [`crate::sinkhorn`] solves.

use crate::Method;
use crate::error::{Error, Result};
use crate::input::{Reduced, check_entries, check_inputs};
use crate::kernel::{Kernel, Target};

/// Options of [`sinkhorn_unbalanced`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnbalancedOptions {
    /// [`Method::Scaling`] (default; continues in the log domain on under- or
    /// overflow) or [`Method::Log`]. [`Method::NewtonSparse`] is refused: its
    /// Newton system is that of the balanced dual.
    pub method: Method,
    /// Stop when the largest change of a potential in one iteration, divided
    /// by `reg`, is at most `tol` (default `1e-9`; non-negative). For a scaling
    /// `U = exp(f / reg)` this is the relative change `|ΔU| / U` to first order,
    /// the quantity POT tests (there in the max norm relative to `max U`).
    pub tol: f64,
    /// Iteration limit (default 10 000; a row and a column update each).
    pub max_iters: usize,
}

impl Default for UnbalancedOptions {
    fn default() -> Self {
        UnbalancedOptions {
            method: Method::Scaling,
            tol: 1e-9,
            max_iters: 10_000,
        }
    }
}

/// The unbalanced plan and its duals.
#[derive(Debug, Clone, PartialEq)]
pub struct Unbalanced {
    /// The plan, `n × m` row-major: `P_ij = a_i b_j exp((f_i + g_j − M_ij) / reg)`.
    pub plan: Vec<f64>,
    /// `⟨P, M⟩` (POT's `sinkhorn_unbalanced2` with `returnCost = "linear"`).
    pub cost: f64,
    /// The objective `⟨P, M⟩ + reg KL(P | a ⊗ b) + ρ₁ KL(P 1 | a) + ρ₂ KL(Pᵀ 1 | b)`
    /// with the generalized KL (POT's `total_cost` leaves out the `− x + y`
    /// terms); an infinite `ρ` contributes nothing (its marginal is met).
    pub objective: f64,
    /// Row potentials, the dual variables of the relaxed problem: at the fixed
    /// point `P 1 = a ∘ exp(−f / ρ₁)` (POT's `reg · logu`). `−∞` where `a_i = 0`.
    pub f: Vec<f64>,
    /// Column potentials (`Pᵀ 1 = b ∘ exp(−g / ρ₂)`; `−∞` where `b_j = 0`).
    pub g: Vec<f64>,
    /// The transported mass `Σ P_ij`.
    pub mass: f64,
    /// Iterations done.
    pub iters: usize,
    /// The stopping quantity at the last iteration (see [`UnbalancedOptions::tol`]).
    pub err: f64,
    /// Why the iteration stopped.
    pub status: crate::Status,
    /// The method that produced the plan: [`Method::Log`] after a switch.
    pub method: Method,
    /// Whether a scaling solve had to continue in the log domain.
    pub switched_to_log: bool,
}

const OP: &str = "sinkhorn_unbalanced";

/// The half-iteration exponent of a marginal penalty `rho`.
fn exponent(rho: f64, reg: f64) -> f64 {
    if rho == f64::INFINITY {
        1.0
    } else {
        rho / (rho + reg)
    }
}

fn check(
    a: &[f64],
    b: &[f64],
    reg_m: [f64; 2],
    opts: &UnbalancedOptions,
    b_name: &str,
) -> Result<()> {
    for (rho, side) in reg_m.iter().zip(["a", "b"]) {
        if rho.is_nan() || *rho <= 0.0 {
            return Err(Error::InvalidArgument {
                op: OP,
                reason: format!(
                    "reg_m (the penalty on the marginal of {side}) must be positive (inf for a hard constraint), got {rho}"
                ),
            });
        }
    }
    if reg_m.iter().all(|r| r.is_infinite()) {
        return Err(Error::InvalidArgument {
            op: OP,
            reason: "both reg_m are infinite: that is balanced transport, which sinkhorn solves"
                .to_string(),
        });
    }
    if opts.method == Method::NewtonSparse {
        return Err(Error::InvalidArgument {
            op: OP,
            reason: "method newton_sparse solves balanced transport only; use scaling or log"
                .to_string(),
        });
    }
    if !(opts.tol.is_finite() && opts.tol >= 0.0) {
        return Err(Error::InvalidArgument {
            op: OP,
            reason: format!("tol must be finite and non-negative, got {}", opts.tol),
        });
    }
    for (x, name) in [(a, "a"), (b, b_name)] {
        if x.iter().sum::<f64>() == 0.0 {
            return Err(Error::InvalidArgument {
                op: OP,
                reason: format!(
                    "{name} has zero mass: the plan is zero, there is nothing to solve"
                ),
            });
        }
    }
    Ok(())
}

/// The unbalanced entropic plan between non-negative measures `a` (`n`) and
/// `b` (`m`, any masses) for the row-major cost `m` (`n × m`), regularization
/// `reg > 0` and marginal penalties `reg_m = [ρ₁, ρ₂]` (each positive or
/// `f64::INFINITY`, not both infinite).
///
/// Errors: those of [`crate::sinkhorn`] on shapes, entries and `reg` (but the
/// masses may differ), a penalty that is not positive, both penalties
/// infinite, a measure of zero mass, a negative or non-finite `tol`, or
/// [`Method::NewtonSparse`] ([`Error::InvalidArgument`]).
pub fn sinkhorn_unbalanced(
    a: &[f64],
    b: &[f64],
    m: &[f64],
    reg: f64,
    reg_m: [f64; 2],
    opts: &UnbalancedOptions,
) -> Result<Unbalanced> {
    let (n, k) = check_inputs(OP, a, (b, "b"), m, reg)?;
    check(a, b, reg_m, opts, "b")?;
    Ok(solve_checked(a, b, m, reg, reg_m, opts, (n, k)))
}

/// [`sinkhorn_unbalanced`] of one `a` against every measure of `bs` (each of
/// `len(b)` entries) with the same cost, one after the other; all inputs are
/// checked first (errors name `bs[i]`; an empty `bs` is [`Error::Empty`]).
pub fn sinkhorn_unbalanced_batch(
    a: &[f64],
    bs: &[Vec<f64>],
    m: &[f64],
    reg: f64,
    reg_m: [f64; 2],
    opts: &UnbalancedOptions,
) -> Result<Vec<Unbalanced>> {
    let Some(first) = bs.first() else {
        return Err(Error::Empty {
            op: OP,
            what: "bs".to_string(),
        });
    };
    let shape = check_inputs(OP, a, (first, "bs[0]"), m, reg)?;
    for (i, b) in bs.iter().enumerate() {
        let name = format!("bs[{i}]");
        if b.len() != shape.1 {
            return Err(Error::Shape {
                op: OP,
                reason: format!("{name} has {} entries but bs[0] has {}", b.len(), shape.1),
            });
        }
        check_entries(OP, &name, b)?;
        check(a, b, reg_m, opts, &name)?;
    }
    Ok(bs
        .iter()
        .map(|b| solve_checked(a, b, m, reg, reg_m, opts, shape))
        .collect())
}

fn solve_checked(
    a: &[f64],
    b: &[f64],
    m: &[f64],
    reg: f64,
    reg_m: [f64; 2],
    opts: &UnbalancedOptions,
    (n, k): (usize, usize),
) -> Unbalanced {
    let reduced = Reduced::scaled(a, b, m, 1.0);
    let cost = reduced.m.as_deref().unwrap_or(m);
    let t = solve_reduced(&reduced.a, &reduced.b, cost, reg, reg_m, opts);
    let (plan, f, g) = reduced.expand_parts((t.plan, t.f, t.g), n, k);
    Unbalanced { plan, f, g, ..t }
}

/// The generalized `KL(x | y)` over entries with `y > 0` (`0 ln 0 = 0`).
fn kl(x: &[f64], y: &[f64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(&xi, &yi)| {
            let t = if xi > 0.0 { xi * (xi / yi).ln() } else { 0.0 };
            t - xi + yi
        })
        .sum()
}

/// Solves a problem of positive weights.
fn solve_reduced(
    a: &[f64],
    b: &[f64],
    m: &[f64],
    reg: f64,
    reg_m: [f64; 2],
    opts: &UnbalancedOptions,
) -> Unbalanced {
    let (n, k) = (a.len(), b.len());
    let ta = Target {
        w: a,
        fi: exponent(reg_m[0], reg),
    };
    let tb = Target {
        w: b,
        fi: exponent(reg_m[1], reg),
    };
    // The start f = reg ln a, g = reg ln b (POT's u = v = 1), then a column update.
    let mut kern = Kernel::new(n, k, reg);
    let mut switched = false;
    let (mut f, mut g) = (vec![0.0; n], vec![0.0; k]);
    if opts.method == Method::Log {
        f.iter_mut().zip(a).for_each(|(fi, ai)| *fi = reg * ai.ln());
        kern.absorb_cols(m, tb, &f);
    } else {
        kern.u.copy_from_slice(a);
        kern.form_scaling(m);
        kern.update_v(tb);
        if !kern.v_ok() {
            switched = true;
            kern.f_into(&mut f);
            kern.absorb_cols(m, tb, &f);
        }
    }
    kern.f_into(&mut f);
    kern.g_into(&mut g);
    let (mut f_prev, mut g_prev) = (f.clone(), g.clone());
    let (mut iters, mut err, mut converged) = (0, f64::INFINITY, false);
    while iters < opts.max_iters {
        kern.row_pass(Some(ta));
        if !kern.u_ok() {
            switched |= !kern.log;
            kern.g_into(&mut g);
            kern.absorb_rows(m, ta, &g);
        }
        kern.update_v(tb);
        if !kern.v_ok() {
            switched |= !kern.log;
            kern.f_into(&mut f);
            kern.absorb_cols(m, tb, &f);
        }
        iters += 1;
        kern.f_into(&mut f);
        kern.g_into(&mut g);
        let change = |x: &[f64], y: &[f64]| {
            x.iter()
                .zip(y)
                .fold(0.0f64, |acc, (p, q)| acc.max((p - q).abs()))
        };
        err = change(&f, &f_prev).max(change(&g, &g_prev)) / reg;
        if !err.is_finite() {
            break;
        }
        if err <= opts.tol {
            converged = true;
            break;
        }
        std::mem::swap(&mut f, &mut f_prev);
        std::mem::swap(&mut g, &mut g_prev);
    }
    // The kernel's potentials describe P = exp((f + g − M) / reg); the duals
    // of the relaxed problem take the reference measure a ⊗ b out.
    kern.f_into(&mut f);
    kern.g_into(&mut g);
    f.iter_mut()
        .zip(a)
        .for_each(|(fi, ai)| *fi -= reg * ai.ln());
    g.iter_mut()
        .zip(b)
        .for_each(|(gj, bj)| *gj -= reg * bj.ln());
    let method = if kern.log {
        Method::Log
    } else {
        Method::Scaling
    };
    let dense = kern.into_dense(m);
    let mass: f64 = dense.rows.iter().sum();
    let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
    let dual: f64 = f.iter().zip(&dense.rows).map(|(x, r)| x * r).sum::<f64>()
        + g.iter().zip(&dense.cols).map(|(x, c)| x * c).sum::<f64>();
    // ⟨P, M⟩ + reg KL(P | a ⊗ b) with Σ P ln(P / (a ⊗ b)) = Σ P (f_i + g_j − M_ij) / reg:
    // the costs cancel.
    let mut objective = dual - reg * mass + reg * sa * sb;
    for (rho, (x, y)) in reg_m.iter().zip([(&dense.rows, a), (&dense.cols, b)]) {
        if rho.is_finite() {
            objective += rho * kl(x, y);
        }
    }
    let finite =
        mass.is_finite() && objective.is_finite() && f.iter().chain(&g).all(|t| t.is_finite());
    let status = if !finite || !err.is_finite() {
        crate::Status::Diverged
    } else if converged {
        crate::Status::Converged
    } else {
        crate::Status::MaxIters
    };
    Unbalanced {
        plan: dense.plan,
        cost: dense.cost,
        objective,
        f,
        g,
        mass,
        iters,
        err,
        status,
        method,
        switched_to_log: switched,
    }
}

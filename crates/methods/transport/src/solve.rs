//! The drivers of [`sinkhorn`] and [`sinkhorn_batch`]: argument checks, the
//! Sinkhorn loop shared by the scaling and log-domain methods (and the warm-up
//! of the Newton method), and the assembly of the [`Transport`] result.
//!
//! One Sinkhorn iteration is a row update `u = a / (K̃ v)` fused with the product
//! `w = K̃ᵀ u` (one read of the kernel), the marginal test every `check_every`
//! iterations (free: `P 1 = u ∘ (K̃ v)` and `Pᵀ 1 = v ∘ w` are at hand), and the
//! column update `v = b / w`. It starts from `u = 1/n` (scaling) or `f = 0`
//! (log), with a column update first, as POT's `sinkhorn_knopp` and
//! `sinkhorn_log` do, so both do the same iterations and stop at the same one.

use crate::error::Result;
use crate::input::{Reduced, check_problem};
use crate::kernel::{Kernel, Target};
use crate::newton;
use crate::{Method, Norm, Options, Status, Transport};

/// Counters shared by the phases of a solve.
pub(crate) struct Run {
    pub iters: usize,
    pub newton_steps: usize,
    pub switched: bool,
    /// The marginal error at the last test (in the options' norm).
    pub last_err: f64,
}

/// A reduced problem: positive weights, `b` rescaled to `sum(a)`.
pub(crate) struct Problem<'a> {
    pub a: &'a [f64],
    pub b: &'a [f64],
    pub m: &'a [f64],
    pub reg: f64,
    pub mass: f64,
}

/// Whether the marginal errors `(rows, cols)` pass the test of `norm`.
pub(crate) fn passes(errs: (f64, f64), tol: f64, norm: Norm) -> bool {
    let e = errs.0 + errs.1;
    match norm {
        Norm::L1 => e <= tol,
        Norm::L2 => e < tol,
    }
}

/// Runs Sinkhorn iterations from a kernel whose column update has been done,
/// until the test passes (checked at local iterations `0, k, 2k, ...`) or
/// `budget` iterations. Returns whether it converged.
pub(crate) fn sinkhorn_loop(
    kern: &mut Kernel,
    p: &Problem<'_>,
    budget: usize,
    check_every: usize,
    tol: f64,
    norm: Norm,
    run: &mut Run,
) -> bool {
    let mut pot = vec![0.0; p.a.len().max(p.b.len())];
    for it in 0..budget {
        kern.row_pass(Some(Target::exact(p.a)));
        if !kern.u_ok() {
            run.switched |= !kern.log;
            let g = &mut pot[..p.b.len()];
            kern.g_into(g);
            kern.absorb_rows(p.m, Target::exact(p.a), g);
        }
        run.iters += 1;
        if it % check_every == 0 {
            let errs = kern.marginal_errors(p.a, p.b, norm == Norm::L2);
            run.last_err = errs.0 + errs.1;
            if passes(errs, tol, norm) {
                return true;
            }
        }
        kern.update_v(Target::exact(p.b));
        if !kern.v_ok() {
            run.switched |= !kern.log;
            let f = &mut pot[..p.a.len()];
            kern.f_into(f);
            kern.absorb_cols(p.m, Target::exact(p.b), f);
        }
    }
    false
}

/// Forms the kernel and does the first column update of `method`.
pub(crate) fn start(p: &Problem<'_>, log: bool, run: &mut Run) -> Kernel {
    let (n, k) = (p.a.len(), p.b.len());
    let mut kern = Kernel::new(n, k, p.reg);
    if log {
        kern.absorb_cols(p.m, Target::exact(p.b), &vec![0.0; n]);
        return kern;
    }
    kern.u.fill(1.0 / n as f64);
    kern.form_scaling(p.m);
    kern.update_v(Target::exact(p.b));
    if !kern.v_ok() {
        run.switched = true;
        let mut f = vec![0.0; n];
        kern.f_into(&mut f);
        kern.absorb_cols(p.m, Target::exact(p.b), &f);
    }
    kern
}

/// Solves a reduced problem.
fn solve_reduced(p: &Problem<'_>, opts: &Options) -> Transport {
    let mut run = Run {
        iters: 0,
        newton_steps: 0,
        switched: false,
        last_err: f64::INFINITY,
    };
    let (mut kern, converged) = match opts.method {
        Method::Scaling | Method::Log => {
            let mut kern = start(p, opts.method == Method::Log, &mut run);
            let conv = sinkhorn_loop(
                &mut kern,
                p,
                opts.max_iters,
                opts.check_every,
                opts.tol,
                opts.norm,
                &mut run,
            );
            (kern, conv)
        }
        Method::NewtonSparse => newton::solve(p, opts, &mut run),
    };
    let method = match opts.method {
        Method::Scaling if kern.log => Method::Log,
        other => other,
    };
    finish(&mut kern, p, converged, method, run)
}

/// The result at the kernel's current scalings.
fn finish(
    kern: &mut Kernel,
    p: &Problem<'_>,
    converged: bool,
    method: Method,
    run: Run,
) -> Transport {
    let (n, k) = (p.a.len(), p.b.len());
    let mut f = vec![0.0; n];
    let mut g = vec![0.0; k];
    kern.f_into(&mut f);
    kern.g_into(&mut g);
    // Gauge: Σ a_i f_i = Σ b_j g_j.
    let af: f64 = p.a.iter().zip(&f).map(|(x, y)| x * y).sum();
    let bg: f64 = p.b.iter().zip(&g).map(|(x, y)| x * y).sum();
    let shift = (bg - af) / (2.0 * p.mass);
    f.iter_mut().for_each(|t| *t += shift);
    g.iter_mut().for_each(|t| *t -= shift);
    let kern = std::mem::replace(kern, Kernel::new(0, 0, p.reg));
    let dense = kern.into_dense(p.m);
    let err: f64 = dense
        .rows
        .iter()
        .zip(p.a)
        .map(|(r, a)| (r - a).abs())
        .sum::<f64>()
        + dense
            .cols
            .iter()
            .zip(p.b)
            .map(|(c, b)| (c - b).abs())
            .sum::<f64>();
    let total: f64 = dense.rows.iter().sum();
    let objective = f.iter().zip(&dense.rows).map(|(x, y)| x * y).sum::<f64>()
        + g.iter().zip(&dense.cols).map(|(x, y)| x * y).sum::<f64>()
        - p.reg * total;
    let finite =
        total.is_finite() && dense.cost.is_finite() && f.iter().chain(&g).all(|t| t.is_finite());
    let status = if !finite {
        Status::Diverged
    } else if converged {
        Status::Converged
    } else {
        Status::MaxIters
    };
    Transport {
        plan: dense.plan,
        cost: dense.cost,
        objective,
        f,
        g,
        iters: run.iters,
        newton_steps: run.newton_steps,
        err,
        status,
        method,
        switched_to_log: run.switched,
    }
}

/// The entropic optimal transport plan between histograms `a` (`n`) and `b`
/// (`m`) for the row-major cost matrix `m` (`n × m` entries) and
/// regularization `reg > 0`.
///
/// Weights may be zero (those rows and columns get a zero plan and potentials
/// `−∞`); `b` is rescaled to `sum(a)` (they may differ by `1e-9` relatively),
/// so `err` measures `Pᵀ 1` against the rescaled `b`. A solve that does not
/// converge is not an error: see [`Transport::status`].
///
/// Errors: an empty `a` or `b` ([`crate::Error::Empty`]), `m` not of
/// `len(a) · len(b)` entries ([`crate::Error::Shape`]), negative
/// ([`crate::Error::Negative`]) or NaN/infinite ([`crate::Error::NonFinite`])
/// entries, `reg` not finite and positive ([`crate::Error::InvalidReg`]),
/// `|sum(a) − sum(b)| > 1e-9 · max(sum(a), sum(b))`
/// ([`crate::Error::MassMismatch`]), both sums zero
/// ([`crate::Error::ZeroMass`]), a negative or non-finite `tol` or
/// `check_every = 0` ([`crate::Error::InvalidArgument`]).
pub fn sinkhorn(a: &[f64], b: &[f64], m: &[f64], reg: f64, opts: &Options) -> Result<Transport> {
    let (n, k) = check_problem("sinkhorn", a, (b, "b"), m, reg, opts)?;
    Ok(solve_checked(a, b, m, reg, opts, n, k))
}

fn solve_checked(
    a: &[f64],
    b: &[f64],
    m: &[f64],
    reg: f64,
    opts: &Options,
    n: usize,
    k: usize,
) -> Transport {
    let reduced = Reduced::new(a, b, m);
    let p = Problem {
        a: &reduced.a,
        b: &reduced.b,
        m: reduced.m.as_deref().unwrap_or(m),
        reg,
        mass: reduced.a.iter().sum(),
    };
    let t = solve_reduced(&p, opts);
    reduced.expand(t, n, k)
}

/// [`sinkhorn`] of one `a` against every histogram of `bs` (each of `len(b)`
/// entries, as POT accepts a matrix of `b`s), with the same cost matrix. The
/// problems are solved one after the other, each on the pool, so every result
/// is the one [`sinkhorn`] gives for it alone. All inputs are checked before
/// any is solved; the errors are those of [`sinkhorn`] (naming `bs[i]`), and an
/// empty `bs` is [`crate::Error::Empty`].
pub fn sinkhorn_batch(
    a: &[f64],
    bs: &[Vec<f64>],
    m: &[f64],
    reg: f64,
    opts: &Options,
) -> Result<Vec<Transport>> {
    const OP: &str = "sinkhorn_batch";
    let Some(first) = bs.first() else {
        return Err(crate::Error::Empty {
            op: OP,
            what: "bs".to_string(),
        });
    };
    let (n, k) = check_problem(OP, a, (first, "bs[0]"), m, reg, opts)?;
    let sum_a: f64 = a.iter().sum();
    for (i, b) in bs.iter().enumerate().skip(1) {
        if b.len() != k {
            return Err(crate::Error::Shape {
                op: OP,
                reason: format!("bs[{i}] has {} entries but bs[0] has {k}", b.len()),
            });
        }
        crate::input::check_entries(OP, &format!("bs[{i}]"), b)?;
        crate::input::check_mass(OP, sum_a, b.iter().sum())?;
    }
    Ok(bs
        .iter()
        .map(|b| solve_checked(a, b, m, reg, opts, n, k))
        .collect())
}

//! The value-function penalty (the penalty methods for nonconvex bilevel
//! problems, Shen & Chen 2023; the value-function approach of Liu et al.):
//! minimize over both levels' variables
//! `F(x, y) + γ·(f(x, y) − v(x))`, `v(x) = min_y' f(x, y')` subject to the upper
//! and the lower constraints, for a growing `γ` until the gap `f − v` is within
//! tolerance. First-order and Hessian-free: `∇v(x)` is Danskin's
//! `∇ₓf(x, y') + μᵀ∇ₓg(x, y')` at the lower solution `y'` with its multipliers
//! `μ`, so the lower problem may have constraints.

use super::{
    Bilevel, LowerReport, free_positions, negative_curvature, residual_of, solve_lower, solver_for,
};
use crate::problem::{Bounds, Clock, Nlp, Options, SolveResult, Solver, Status, all_finite};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Problems with at most this many variables get [`AUTO_STARTS`] starts when
/// `starts = 0`; larger ones one.
pub const AUTO_STARTS_MAX_SIZE: usize = 100;
/// The number of starts `starts = 0` means for small problems.
pub const AUTO_STARTS: usize = 8;

/// `bilevel_penalty(gamma, growth, rounds, gap_tol)`'s configuration.
#[derive(Clone, Debug)]
pub struct ValuePenalty {
    /// The first penalty weight.
    pub gamma: f64,
    /// The factor `γ` grows by between rounds.
    pub growth: f64,
    /// Rounds of `γ` at most.
    pub rounds: usize,
    /// Relative tolerance of the value gap `f(x, y) − v(x)`.
    pub gap_tol: f64,
    /// Relative tolerance of the lower solves.
    pub lower_tol: f64,
    /// Starts: the given one, then points drawn (seeded) in the bounds; `0` for
    /// [`AUTO_STARTS`] on small problems and one on large ones.
    pub starts: usize,
}

impl Default for ValuePenalty {
    fn default() -> Self {
        ValuePenalty {
            gamma: 10.0,
            growth: 10.0,
            rounds: 8,
            gap_tol: 1e-9,
            lower_tol: 1e-12,
            starts: 0,
        }
    }
}

/// The penalized single-level problem over `z`, with the upper and the lower
/// constraints.
struct Penalized<'a, 'b> {
    parts: &'a mut Bilevel<'b>,
    gamma: f64,
    bounds_y: Bounds,
    /// The last lower solution `y'` (the next solve's start).
    y: Vec<f64>,
    inner: Box<dyn Solver>,
    inner_opts: Options,
    is_upper: Vec<bool>,
    solves: usize,
}

impl Penalized<'_, '_> {
    /// `v(x)` at the upper variables of `z`: the lower problem solved from the
    /// lower variables of `z` and from the last lower solution, the better of the
    /// two (feasible first, then lower `f`), and its point.
    fn value(&mut self, z: &[f64]) -> (SolveResult, Vec<f64>) {
        let levels = self.parts.levels;
        let (x, y) = levels.split(z);
        let mut best: Option<SolveResult> = None;
        let warm = self.y.clone();
        let starts = if warm == y { vec![y] } else { vec![y, warm] };
        for y0 in starts {
            let start = levels.join(&x, &y0);
            let r = solve_lower(
                self.parts.lower,
                levels,
                &start,
                &y0,
                &self.bounds_y,
                &*self.inner,
                &self.inner_opts,
            );
            self.solves += 1;
            let key = |r: &SolveResult| {
                let feasible = r.max_violation <= FEASIBLE && all_finite(&r.x) && !r.f.is_nan();
                (!feasible, if r.f.is_nan() { f64::INFINITY } else { r.f })
            };
            if best.as_ref().is_none_or(|b| key(&r) < key(b)) {
                best = Some(r);
            }
        }
        let r = best.expect("at least one start");
        if all_finite(&r.x) {
            self.y.clone_from(&r.x);
        }
        let at = levels.join(&x, &r.x);
        (r, at)
    }

    fn counts(&self) -> (usize, usize) {
        (self.parts.upper.n_eq(), self.parts.upper.n_ineq())
    }
}

/// The largest lower constraint violation a lower solution may have.
const FEASIBLE: f64 = 1e-8;
/// The largest constraint violation of a result that counts as feasible.
const UPPER_FEASIBLE: f64 = 1e-6;

/// `v` with the right length (a solver without constraints returns none).
fn sized(v: &[f64], n: usize) -> Vec<f64> {
    match v.len() == n {
        true => v.to_vec(),
        false => vec![0.0; n],
    }
}

impl Nlp for Penalized<'_, '_> {
    fn n(&self) -> usize {
        self.parts.levels.n
    }

    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (r, at) = self.value(z);
        let v = r.f;
        let Some(g) = grad else {
            let upper = self.parts.upper.objective(z, None);
            let lower = self.parts.lower.objective(z, None);
            return upper + self.gamma * (lower - v);
        };
        let n = z.len();
        let (mut gu, mut gl, mut gv) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let upper = self.parts.upper.objective(z, Some(&mut gu));
        let lower = self.parts.lower.objective(z, Some(&mut gl));
        self.parts.lower.objective(&at, Some(&mut gv));
        let (me, mi) = (self.parts.lower.n_eq(), self.parts.lower.n_ineq());
        if me + mi > 0 {
            let (ye, yi) = (sized(&r.multipliers_eq, me), sized(&r.multipliers_ineq, mi));
            let mut jt = vec![0.0; n];
            self.parts.lower.constraints_jt(&at, &ye, &yi, &mut jt);
            gv.iter_mut().zip(&jt).for_each(|(a, b)| *a += b);
        }
        for i in 0..n {
            let danskin = if self.is_upper[i] { gv[i] } else { 0.0 };
            g[i] = gu[i] + self.gamma * (gl[i] - danskin);
        }
        upper + self.gamma * (lower - v)
    }

    fn n_eq(&self) -> usize {
        self.parts.upper.n_eq() + self.parts.lower.n_eq()
    }

    fn n_ineq(&self) -> usize {
        self.parts.upper.n_ineq() + self.parts.lower.n_ineq()
    }

    fn constraints(&mut self, z: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        let (ue, ui) = self.counts();
        let (upper_eq, lower_eq) = c_eq.split_at_mut(ue);
        let (upper_ineq, lower_ineq) = c_ineq.split_at_mut(ui);
        self.parts.upper.constraints(z, upper_eq, upper_ineq);
        self.parts.lower.constraints(z, lower_eq, lower_ineq);
    }

    fn constraints_jt(&mut self, z: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        let (ue, ui) = self.counts();
        let mut lower = vec![0.0; z.len()];
        self.parts
            .upper
            .constraints_jt(z, &y_eq[..ue], &y_ineq[..ui], out);
        self.parts
            .lower
            .constraints_jt(z, &y_eq[ue..], &y_ineq[ui..], &mut lower);
        out.iter_mut().zip(&lower).for_each(|(a, b)| *a += b);
    }
}

/// A start drawn in the bounds: uniform between them, and where a bound is
/// infinite, within ten times `max(1, |z0|)` of the given start.
fn draw_start(z0: &[f64], bounds: &Bounds, rng: &mut ChaCha8Rng) -> Vec<f64> {
    z0.iter()
        .zip(bounds.lower.iter().zip(&bounds.upper))
        .map(|(&c, (&lo, &hi))| {
            let reach = 10.0 * c.abs().max(1.0);
            let lo = if lo.is_finite() { lo } else { c - reach };
            let hi = if hi.is_finite() { hi } else { c + reach };
            lo + rng.random::<f64>() * (hi - lo)
        })
        .collect()
}

/// How good a result is: converged first, then stopped early but feasible,
/// then the rest; within a class by `f`.
fn rank(r: &SolveResult) -> (u8, f64) {
    let feasible = r.max_violation <= UPPER_FEASIBLE;
    let class = match r.status {
        Status::Converged if feasible => 0,
        Status::MaxIters | Status::Stalled | Status::Timeout if feasible => 1,
        _ => 2,
    };
    (class, if r.f.is_nan() { f64::INFINITY } else { r.f })
}

impl ValuePenalty {
    /// [`ValuePenalty::run_from`] from `z0` and from the further starts; the
    /// best result (converged first, then the lowest upper objective).
    pub fn run(
        &self,
        parts: &mut Bilevel,
        z0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> SolveResult {
        let starts = match self.starts {
            0 if parts.levels.n <= AUTO_STARTS_MAX_SIZE => AUTO_STARTS,
            0 => 1,
            k => k,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let clock = Clock::new(opts.timeout);
        let (mut best, mut iters, mut evals, mut solves): (Option<SolveResult>, _, _, _) =
            (None, 0, 0, 0);
        for k in 0..starts {
            let start = match k {
                0 => z0.to_vec(),
                _ => draw_start(z0, bounds, &mut rng),
            };
            let o = Options {
                timeout: clock.remaining(),
                ..opts.clone()
            };
            let r = self.run_from(parts, &start, bounds, &o);
            iters += r.iters;
            evals += r.evals;
            solves += r.lower.as_ref().map_or(0, |l| l.solves);
            let better = best.as_ref().is_none_or(|b| {
                let (a, c) = (rank(&r), rank(b));
                a.0 < c.0 || a.0 == c.0 && a.1 < c.1
            });
            if better {
                best = Some(r);
            }
            if clock.expired() {
                break;
            }
        }
        let mut best = best.unwrap_or_else(|| {
            SolveResult::new(Status::Error, z0.to_vec(), f64::NAN, "no start ran")
        });
        best.iters = iters;
        best.inner_iters = iters;
        best.evals = evals;
        if let Some(l) = best.lower.as_mut() {
            l.solves = solves;
        }
        if starts > 1 {
            best.message = format!("best of {starts} starts: {}", best.message);
        }
        best
    }

    /// Solves the penalized problem from `z0` within `bounds` for `γ = gamma,
    /// gamma·growth, ...` (each round from the last round's point) until the
    /// value gap is within `gap_tol`.
    pub fn run_from(
        &self,
        parts: &mut Bilevel,
        z0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> SolveResult {
        let levels = parts.levels;
        let (_, bounds_y) = levels.split_bounds(bounds);
        let mut is_upper = vec![false; levels.n];
        levels.upper().into_iter().for_each(|i| is_upper[i] = true);
        let inner = solver_for(&*parts.lower, levels.lower.len());
        let inner_opts = Options {
            tol: self.lower_tol,
            timeout: opts.timeout,
            ..Options::default()
        };
        let (_, y0) = levels.split(z0);
        let mut pen = Penalized {
            parts,
            gamma: self.gamma,
            bounds_y,
            y: y0,
            inner,
            inner_opts,
            is_upper,
            solves: 0,
        };
        let outer_solver = solver_for(&pen, levels.n);
        let clock = crate::problem::Clock::new(opts.timeout);
        let mut z = z0.to_vec();
        let (mut iters, mut evals) = (0, 0);
        let mut last = None;
        for _ in 0..self.rounds.max(1) {
            let round_opts = Options {
                timeout: clock.remaining(),
                ..opts.clone()
            };
            let r = outer_solver.solve(&mut pen, &z, bounds, &round_opts);
            iters += r.iters;
            evals += r.evals;
            let finite = all_finite(&r.x);
            if finite {
                z.clone_from(&r.x);
            }
            let stop =
                !finite || matches!(r.status, Status::Timeout | Status::Error | Status::Diverged);
            let (gap, f) = gap_at(&mut pen, &z);
            let closed = gap <= self.gap_tol * f.abs().max(1.0);
            last = Some(r);
            if stop || closed {
                break;
            }
            pen.gamma *= self.growth;
        }
        let mut outer = last.unwrap_or_else(|| {
            SolveResult::new(Status::Error, z.clone(), f64::NAN, "no round ran")
        });
        outer.iters = iters;
        outer.inner_iters = iters;
        outer.evals = evals;
        // The report at `z`: the lower problem re-solved from its reported `y`
        // (and from the last lower solution).
        let (lower, at) = pen.value(&z);
        // Without lower constraints, a lower solution must also be a strict local
        // minimum (a solve started at a stationary point stops there).
        let saddle = pen.parts.lower.n_eq() + pen.parts.lower.n_ineq() == 0 && {
            let free = free_positions(pen.parts.lower, levels, &pen.bounds_y, &at, self.lower_tol);
            negative_curvature(pen.parts.lower, &free, &at, 1000)
        };
        let f_lower = pen.parts.lower.objective(&z, None);
        let f = pen.parts.upper.objective(&z, None);
        let gap = f_lower - lower.f;
        let report = LowerReport {
            f: f_lower,
            status: lower.status,
            residual: residual_of(&lower),
            gap,
            solves: pen.solves,
        };
        let gamma = pen.gamma;
        outer.x = z;
        outer.f = f;
        outer.lower = Some(report);
        if !f.is_finite() || !all_finite(&outer.x) {
            outer.status = Status::Diverged;
            outer.message =
                "bilevel_penalty: the upper objective or the point is not finite".into();
        } else if saddle {
            outer.status = Status::LowerNotConverged;
            if let Some(l) = outer.lower.as_mut() {
                l.status = Status::Stalled;
            }
            outer.message = "bilevel_penalty: the lower solution at the final point is a stationary point with non-positive curvature, not a strict local minimum".into();
        } else if !(outer.max_violation <= UPPER_FEASIBLE) {
            outer.status = Status::Infeasible;
            outer.message = format!(
                "bilevel_penalty: the constraints are violated by {:.3e} at the final point ({})",
                outer.max_violation, outer.message
            );
        } else if lower.status != Status::Converged {
            outer.status = Status::LowerNotConverged;
            outer.message = format!(
                "bilevel_penalty: the lower problem at the final point stopped with status {} (residual {:.3e}): {}",
                lower.status,
                residual_of(&lower),
                lower.message
            );
        } else if !(gap <= self.gap_tol * f_lower.abs().max(1.0)) {
            if outer.status == Status::Converged {
                outer.status = Status::MaxIters;
            }
            outer.message = format!(
                "bilevel_penalty: the value gap f - v is {gap:.3e} after gamma = {gamma:.1e}; raise `rounds` or `gamma`"
            );
        } else {
            outer.message = format!(
                "bilevel_penalty: value gap {gap:.3e} at gamma = {gamma:.1e} ({})",
                outer.message
            );
        }
        outer
    }
}

/// The value gap `f(x, y) − v(x)` at `z`, and `f(x, y)`.
fn gap_at(pen: &mut Penalized, z: &[f64]) -> (f64, f64) {
    let (r, _) = pen.value(z);
    let f = pen.parts.lower.objective(z, None);
    (f - r.f, f)
}

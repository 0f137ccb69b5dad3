//! Limited-memory BFGS, unconstrained or with box bounds.
//!
//! Without bounds this is textbook L-BFGS (two-loop recursion, Nocedal 1980)
//! with the Moré–Thuente strong-Wolfe line search. With bounds it is a
//! *projected, active-set* L-BFGS rather than full L-BFGS-B:
//!
//! 1. variables sitting on a bound whose gradient pushes outward are fixed
//!    (the binding set, as in the projected-gradient stationarity test);
//! 2. the quasi-Newton direction is computed on the remaining free variables
//!    only (the two-loop recursion with `s`, `y` restricted to the free set,
//!    pairs with non-positive restricted curvature skipped);
//! 3. if the unit step stays inside the box, the Moré–Thuente search runs with
//!    `stpmax` = the distance to the nearest bound; otherwise an Armijo search
//!    runs along the projected path `P(x + t·d)`, so many variables can hit their
//!    bounds in one iteration;
//! 4. should that fail (the projected quasi-Newton path need not be a descent
//!    path), the memory is dropped and a projected-gradient step is taken, which
//!    always is; this keeps the method globally convergent.
//!
//! Compared with L-BFGS-B there is no generalized Cauchy point; active-set
//! changes come from the projected search instead.

use super::linesearch::{LineSearch, LsParams, backtracking, more_thuente};
use crate::problem::{
    Bounds, Clock, Nlp, Options, SolveResult, Solver, Status, UNBOUNDED_F, all_finite, dot,
    from_checked_start, inf_norm, is_optimal, norm2, projected_grad_norm,
};
use std::collections::VecDeque;

/// L-BFGS configuration. `Lbfgs::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Lbfgs {
    /// Number of correction pairs kept (default 10).
    pub m: usize,
    /// Line search (default `MoreThuente`).
    pub line_search: LineSearch,
    /// Sufficient-decrease constant `c1` (default `1e-4`).
    pub ftol: f64,
    /// Curvature constant `c2` of the Wolfe conditions (default `0.9`).
    pub gtol: f64,
    /// Trial evaluations per line search, NaN/Inf back-offs not counted (default 20).
    pub max_ls_evals: usize,
    /// Iterations in a row without relative movement of `f` and `x` before the
    /// status becomes `stalled` (default 5).
    pub stall_iters: usize,
    /// Relative change below which `f` and `x` count as not moving (default `1e-15`).
    pub stall_rtol: f64,
}

impl Default for Lbfgs {
    fn default() -> Self {
        Lbfgs {
            m: 10,
            line_search: LineSearch::MoreThuente,
            ftol: 1e-4,
            gtol: 0.9,
            max_ls_evals: 20,
            stall_iters: 5,
            stall_rtol: 1e-15,
        }
    }
}

/// One correction pair `s = x⁺ - x`, `y = g⁺ - g` with its inner products over all
/// variables (reused on every direction while no variable is bound).
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    /// `[s·y, y·y, s·s]`.
    products: [f64; 3],
}

/// The correction pairs of the limited-memory matrix.
struct Memory {
    pairs: VecDeque<Pair>,
    m: usize,
    /// The candidate pair of the current iteration; once kept, the oldest pair's
    /// buffers take its place, so a full memory allocates nothing.
    next: Pair,
}

impl Memory {
    fn new(m: usize, n: usize) -> Memory {
        Memory {
            pairs: VecDeque::new(),
            m,
            next: Pair {
                s: vec![0.0; n],
                y: vec![0.0; n],
                products: [0.0; 3],
            },
        }
    }

    /// Keeps the candidate pair with its `products` (`[s·y, y·y, s·s]`), dropping the
    /// oldest when the memory is full; with `m = 0` nothing is kept.
    fn keep_next(&mut self, products: [f64; 3]) {
        if self.m == 0 {
            return;
        }
        self.next.products = products;
        let n = self.next.s.len();
        let spare = match self.pairs.len() >= self.m {
            true => self.pairs.pop_front().expect("a full memory has pairs"),
            false => Pair {
                s: vec![0.0; n],
                y: vec![0.0; n],
                products: [0.0; 3],
            },
        };
        let kept = std::mem::replace(&mut self.next, spare);
        self.pairs.push_back(kept);
    }

    /// `d = -H·g` on the free variables (`d_i = 0` elsewhere), by the two-loop
    /// recursion with inner products restricted to the free set. `d` stays zero
    /// off the free set, so only the pairs' own products need the restriction.
    fn direction(&self, g: &[f64], free: &[bool], d: &mut [f64]) {
        let all_free = free.iter().all(|f| *f);
        let restricted = |p: &Pair| -> [f64; 3] {
            if all_free {
                return p.products;
            }
            let mut out = [0.0; 3];
            for i in (0..g.len()).filter(|&i| free[i]) {
                out[0] += p.s[i] * p.y[i];
                out[1] += p.y[i] * p.y[i];
                out[2] += p.s[i] * p.s[i];
            }
            out
        };
        // d += a·v on the free set.
        let axpy = |d: &mut [f64], a: f64, v: &[f64]| {
            if all_free {
                d.iter_mut().zip(v).for_each(|(di, vi)| *di += a * vi);
            } else {
                for ((di, vi), fi) in d.iter_mut().zip(v).zip(free) {
                    *di += if *fi { a * vi } else { 0.0 };
                }
            }
        };
        for ((di, gi), fi) in d.iter_mut().zip(g).zip(free) {
            *di = if *fi { *gi } else { 0.0 };
        }
        let k = self.pairs.len();
        let mut rho = vec![0.0; k];
        let mut alpha = vec![0.0; k];
        let mut gamma = 1.0;
        let mut have_gamma = false;
        for j in (0..k).rev() {
            let pair = &self.pairs[j];
            let [sy, yy, ss] = restricted(pair);
            if !(sy > 1e-12 * (ss * yy).sqrt()) || !(yy > 0.0) || !sy.is_finite() {
                continue;
            }
            if !have_gamma {
                gamma = sy / yy;
                have_gamma = true;
            }
            rho[j] = 1.0 / sy;
            alpha[j] = rho[j] * dot(&pair.s, d);
            axpy(d, -alpha[j], &pair.y);
        }
        for v in d.iter_mut() {
            *v *= gamma;
        }
        for j in 0..k {
            if rho[j] == 0.0 {
                continue;
            }
            let pair = &self.pairs[j];
            let beta = rho[j] * dot(&pair.y, d);
            axpy(d, alpha[j] - beta, &pair.s);
        }
        for v in d.iter_mut() {
            *v = -*v;
        }
    }
}

/// The running state of one solve.
struct Run {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
    iters: usize,
    evals: usize,
    history: Vec<f64>,
    clock: Clock,
}

impl Run {
    /// Ends as converged unless the point is near a bound the gradient pushes
    /// toward and the objective at that bound (the projection of `x − g`) is
    /// `-inf` or below the unboundedness threshold: `minimize log(x)` over
    /// `x ≥ 0` stops at a tiny `x` whose projected gradient is as tiny, and is
    /// unbounded, not solved.
    fn converged(self, nlp: &mut dyn Nlp, msg: String, bounds: &Bounds) -> SolveResult {
        if bounds.is_bounded() {
            let mut at_bound: Vec<f64> = self.x.iter().zip(&self.g).map(|(x, g)| x - g).collect();
            bounds.project(&mut at_bound);
            if at_bound != self.x {
                let f = nlp.objective(&at_bound, None);
                if f == f64::NEG_INFINITY || f < UNBOUNDED_F {
                    let msg = format!(
                        "the objective is {f:e} at the bounds next to the last iterate (f = {:.6e} there): unbounded below toward a bound",
                        self.f
                    );
                    return self.finish(Status::Unbounded, msg, bounds);
                }
            }
        }
        self.finish(Status::Converged, msg, bounds)
    }

    fn finish(self, status: Status, msg: String, bounds: &Bounds) -> SolveResult {
        let mut r = SolveResult::new(status, self.x, self.f, msg);
        r.grad_norm = projected_grad_norm(&r.x, &self.g, bounds);
        r.kkt_residual = r.grad_norm;
        r.iters = self.iters;
        r.inner_iters = self.iters;
        r.evals = self.evals;
        r.history = self.history;
        r.time_s = self.clock.elapsed_s();
        r
    }
}

/// The curvature pairs of one solve, handed to the next: a sequence of similar
/// problems (the augmented Lagrangian's subproblems) starts each solve with the
/// previous one's quasi-Newton model instead of a steepest-descent step.
#[derive(Default)]
pub struct Curvature(Option<Memory>);

/// L-BFGS ignores the constraints of `nlp` (use `AugLag` for them).
impl Solver for Lbfgs {
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult {
        self.run_warm(nlp, x, bounds, opts, *clock, &mut Curvature::default())
    }
}

impl Lbfgs {
    /// [`Solver::solve`] starting from the curvature pairs in `curvature` (when they
    /// have the problem's size) and leaving this solve's pairs there.
    pub fn solve_warm(
        &self,
        nlp: &mut dyn Nlp,
        x0: &[f64],
        bounds: &Bounds,
        opts: &Options,
        curvature: &mut Curvature,
    ) -> SolveResult {
        let n = nlp.n();
        from_checked_start(n, x0, bounds, opts, |x, clock| {
            self.run_warm(nlp, x, bounds, opts, clock, curvature)
        })
    }

    fn run_warm(
        &self,
        nlp: &mut dyn Nlp,
        x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: Clock,
        curvature: &mut Curvature,
    ) -> SolveResult {
        let n = nlp.n();
        let mut g = vec![0.0; n];
        let f = nlp.objective(&x, Some(&mut g));
        let run = Run {
            x,
            f,
            g,
            iters: 0,
            evals: 1,
            history: vec![f],
            clock,
        };
        if !f.is_finite() || !all_finite(&run.g) {
            let what = if f.is_finite() {
                "gradient"
            } else {
                "objective"
            };
            let mut r = run.finish(
                Status::Diverged,
                format!("{what} is NaN/Inf at the starting point"),
                bounds,
            );
            r.diverged_at = Some(0);
            return r;
        }
        let mut mem = match curvature.0.take() {
            Some(mem) if mem.m == self.m && mem.next.s.len() == n => mem,
            _ => Memory::new(self.m, n),
        };
        let result = self.iterate(nlp, run, bounds, opts, &mut mem);
        curvature.0 = Some(mem);
        result
    }

    fn iterate(
        &self,
        nlp: &mut dyn Nlp,
        mut run: Run,
        bounds: &Bounds,
        opts: &Options,
        mem: &mut Memory,
    ) -> SolveResult {
        let n = run.x.len();
        let bounded = bounds.is_bounded();
        let params = LsParams {
            ftol: self.ftol,
            gtol: self.gtol,
            xtol: 0.1,
            max_evals: self.max_ls_evals.max(1),
        };
        let mut free = vec![true; n];
        let mut d = vec![0.0; n];
        let mut xt = vec![0.0; n];
        let mut gt = vec![0.0; n];
        let mut last_step = 0.0f64;
        let mut stall = 0usize;
        let mut steepest = false;
        let mut f_prev: Option<f64> = None;
        loop {
            let pg = projected_grad_norm(&run.x, &run.g, bounds);
            if is_optimal(pg, run.f, f_prev, opts.tol) {
                let msg = format!("projected gradient norm {pg:.3e} <= tol·max(1,|f|)");
                return run.converged(nlp, msg, bounds);
            }
            if run.f < UNBOUNDED_F {
                let msg = format!("objective {:.3e} fell below {UNBOUNDED_F:e}", run.f);
                return run.finish(Status::Unbounded, msg, bounds);
            }
            if run.iters >= opts.max_iters {
                let msg = format!("reached max_iters = {}", opts.max_iters);
                return run.finish(Status::MaxIters, msg, bounds);
            }
            if run.clock.expired() {
                let msg = format!("timeout after {} iterations", run.iters);
                return run.finish(Status::Timeout, msg, bounds);
            }
            // Binding variables stay fixed; the others are free.
            if bounded {
                for i in 0..n {
                    let at_lo = run.x[i] <= bounds.lower[i] && run.g[i] > 0.0;
                    let at_hi = run.x[i] >= bounds.upper[i] && run.g[i] < 0.0;
                    free[i] = !(at_lo || at_hi);
                }
            }
            if steepest {
                mem.pairs.clear();
            }
            mem.direction(&run.g, &free, &mut d);
            let mut gd = dot(&run.g, &d);
            if !(gd < 0.0) || !all_finite(&d) {
                mem.pairs.clear();
                mem.direction(&run.g, &free, &mut d);
                gd = dot(&run.g, &d);
            }
            if !(gd < 0.0) {
                let msg = "no descent direction: free gradient is zero".to_string();
                return run.converged(nlp, msg, bounds);
            }
            let dnorm = norm2(&d);
            // Largest step keeping x + t·d inside the box.
            let mut feasible_max = f64::INFINITY;
            if bounded {
                for i in 0..n {
                    if d[i] < 0.0 && bounds.lower[i].is_finite() {
                        feasible_max = feasible_max.min((bounds.lower[i] - run.x[i]) / d[i]);
                    } else if d[i] > 0.0 && bounds.upper[i].is_finite() {
                        feasible_max = feasible_max.min((bounds.upper[i] - run.x[i]) / d[i]);
                    }
                }
                feasible_max = feasible_max.max(0.0);
            }
            let stp0 = if mem.pairs.is_empty() {
                if last_step > 0.0 {
                    last_step / dnorm
                } else {
                    1.0 / dnorm.max(1e-300)
                }
            } else {
                1.0
            }
            .clamp(1e-300, 1e300);
            let use_mt = self.line_search == LineSearch::MoreThuente && stp0 <= feasible_max;
            let f0 = run.f;
            let x = &run.x;
            let g0 = &run.g;
            let mut evals = 0usize;
            let out = if use_mt {
                let stpmax = feasible_max.min(1e150 / dnorm.max(1e-300)).max(stp0);
                let mut eval = |t: f64| {
                    evals += 1;
                    for i in 0..n {
                        xt[i] = x[i] + t * d[i];
                    }
                    if bounded {
                        bounds.project(&mut xt);
                    }
                    let ft = nlp.objective(&xt, Some(&mut gt));
                    let slope = dot(&gt, &d);
                    (ft.is_finite() && slope.is_finite() && all_finite(&gt)).then_some((ft, slope))
                };
                more_thuente(&mut eval, f0, gd, stp0, stpmax, &params)
            } else {
                let mut eval = |t: f64| {
                    evals += 1;
                    for i in 0..n {
                        xt[i] = x[i] + t * d[i];
                    }
                    bounds.project(&mut xt);
                    let ft = nlp.objective(&xt, Some(&mut gt));
                    let dec: f64 = (0..n).map(|i| g0[i] * (xt[i] - x[i])).sum();
                    (ft.is_finite() && all_finite(&gt)).then_some((ft, dec))
                };
                backtracking(&mut eval, f0, stp0, &params)
            };
            run.evals += evals;
            run.iters += 1;
            if !out.ok {
                if !steepest && (!mem.pairs.is_empty() || !use_mt) {
                    // Retry from the same point along the projected gradient.
                    steepest = true;
                    run.history.push(run.f);
                    continue;
                }
                run.history.push(run.f);
                if out.all_nonfinite {
                    let msg = format!(
                        "objective became NaN/Inf at iteration {}: every trial step, however small, gave a non-finite value",
                        run.iters
                    );
                    let it = run.iters;
                    let mut r = run.finish(Status::Diverged, msg, bounds);
                    r.diverged_at = Some(it);
                    return r;
                }
                let pg = projected_grad_norm(&run.x, &run.g, bounds);
                if pg <= opts.tol * run.f.abs().max(1.0) {
                    let msg = format!("projected gradient norm {pg:.3e} <= tol·max(1,|f|)");
                    return run.converged(nlp, msg, bounds);
                }
                let msg = format!(
                    "line search could not decrease f at iteration {} (projected gradient {:.3e})",
                    run.iters,
                    projected_grad_norm(&run.x, &run.g, bounds)
                );
                return run.finish(Status::Stalled, msg, bounds);
            }
            steepest = false;
            let f_new = if out.last_is_accepted {
                out.f
            } else {
                for i in 0..n {
                    xt[i] = run.x[i] + out.stp * d[i];
                }
                bounds.project(&mut xt);
                let ft = nlp.objective(&xt, Some(&mut gt));
                run.evals += 1;
                if !ft.is_finite() || !all_finite(&gt) {
                    steepest = true;
                    run.history.push(run.f);
                    continue;
                }
                ft
            };
            let pair = &mut mem.next;
            for (si, (a, b)) in pair.s.iter_mut().zip(xt.iter().zip(&run.x)) {
                *si = a - b;
            }
            for (yi, (a, b)) in pair.y.iter_mut().zip(gt.iter().zip(&run.g)) {
                *yi = a - b;
            }
            let x_scale = inf_norm(&run.x).max(1.0);
            let df = (f_new - run.f).abs();
            let dx = inf_norm(&pair.s);
            if df <= self.stall_rtol * run.f.abs().max(1.0) && dx <= self.stall_rtol * x_scale {
                stall += 1;
            } else {
                stall = 0;
            }
            let products = [
                dot(&pair.s, &pair.y),
                dot(&pair.y, &pair.y),
                dot(&pair.s, &pair.s),
            ];
            let [sy, yy, ss] = products;
            last_step = ss.sqrt();
            if sy > f64::EPSILON * yy && sy.is_finite() {
                mem.keep_next(products);
            }
            run.x.copy_from_slice(&xt);
            run.g.copy_from_slice(&gt);
            f_prev = Some(run.f);
            run.f = f_new;
            run.history.push(f_new);
            if stall >= self.stall_iters.max(1) {
                let msg = format!(
                    "neither f nor x moved for {} iterations (projected gradient {:.3e})",
                    stall,
                    projected_grad_norm(&run.x, &run.g, bounds)
                );
                return run.finish(Status::Stalled, msg, bounds);
            }
        }
    }
}

//! The problem interface every solver works on (`Nlp`, `MultiObjective`), box
//! bounds, solver options, and the result record (`SolveResult`, `Status`).
//!
//! The traits are deliberately small: a value with an optional gradient, a
//! Hessian-vector product, and constraint values with a transposed-Jacobian
//! product. Everything that is not provided by the implementor has a
//! finite-difference default so that a plain objective closure is enough.

use std::time::{Duration, Instant};
use wide::f64x4;

/// A smooth nonlinear program: minimize `f(x)` subject to `c_eq(x) = 0`,
/// `c_ineq(x) <= 0` and box bounds (passed separately to the solvers).
///
/// Implementations may return NaN or Inf from any method; the solvers treat
/// such values as "outside the domain" and never panic on them.
pub trait Nlp {
    /// Number of (flattened) variables.
    fn n(&self) -> usize;

    /// Objective value; fills `grad` (length `n`) when given. May return NaN/Inf.
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64;

    /// The smooth part of the objective (the objective minus the prox-friendly
    /// terms of [`Composite`](crate::facts::Composite)); fills `grad` when given.
    /// The objective itself by default, for problems without such terms.
    fn smooth_objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        self.objective(x, grad)
    }

    /// Hessian-vector product `H(x)·v` of the objective, written to `out`.
    ///
    /// The default uses central differences of the gradient with the step
    /// `h = eps^(1/3)·max(1, ‖x‖∞) / ‖v‖∞`, which costs two gradient evaluations
    /// and is accurate to about `1e-10` relative on well-scaled problems.
    fn hvp(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let n = x.len();
        let vn = inf_norm(v);
        if vn == 0.0 || !vn.is_finite() {
            out.iter_mut()
                .for_each(|o| *o = if vn == 0.0 { 0.0 } else { f64::NAN });
            return;
        }
        let h = f64::EPSILON.cbrt() * inf_norm(x).max(1.0) / vn;
        let mut xp: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + h * b).collect();
        let mut gp = vec![0.0; n];
        self.objective(&xp, Some(&mut gp));
        for ((xi, a), b) in xp.iter_mut().zip(x).zip(v) {
            *xi = a - h * b;
        }
        let mut gm = vec![0.0; n];
        self.objective(&xp, Some(&mut gm));
        for ((o, p), m) in out.iter_mut().zip(&gp).zip(&gm) {
            *o = (p - m) / (2.0 * h);
        }
    }

    /// The shapes of the variables, in order (their sizes add up to `n`); one
    /// flat vector unless the problem says otherwise. Structure analysis reads
    /// matrices from it (a transport plan `P[n, m]`).
    fn var_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.n()]]
    }

    /// Number of equality constraints `c_eq(x) = 0`.
    fn n_eq(&self) -> usize {
        0
    }

    /// Number of inequality constraints `c_ineq(x) <= 0`.
    fn n_ineq(&self) -> usize {
        0
    }

    /// Constraint values: equalities `c_eq(x) = 0` and inequalities `c_ineq(x) <= 0`.
    fn constraints(&mut self, _x: &[f64], _c_eq: &mut [f64], _c_ineq: &mut [f64]) {}

    /// `J_eqᵀ·y_eq + J_ineqᵀ·y_ineq` (the gradient of `yᵀc`), written to `out`.
    ///
    /// The default uses central differences of `yᵀc(x)` per coordinate with the
    /// step `eps^(1/3)·max(1, |x_i|)`, i.e. `2n` constraint evaluations.
    fn constraints_jt(&mut self, x: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        let (me, mi) = (self.n_eq(), self.n_ineq());
        let mut ce = vec![0.0; me];
        let mut ci = vec![0.0; mi];
        let mut xs = x.to_vec();
        let phi = |s: &mut Self, xs: &[f64], ce: &mut [f64], ci: &mut [f64]| {
            s.constraints(xs, ce, ci);
            dot(ce, y_eq) + dot(ci, y_ineq)
        };
        for i in 0..x.len() {
            let h = f64::EPSILON.cbrt() * x[i].abs().max(1.0);
            xs[i] = x[i] + h;
            let fp = phi(self, &xs, &mut ce, &mut ci);
            xs[i] = x[i] - h;
            let fm = phi(self, &xs, &mut ce, &mut ci);
            xs[i] = x[i];
            out[i] = (fp - fm) / (2.0 * h);
        }
    }

    /// The constraints' Jacobian at `x`, row-major `[n_eq + n_ineq, n]`, equality
    /// rows first. The default is [`jacobian_by_rows`].
    fn constraints_jacobian(&mut self, x: &[f64], out: &mut [f64]) {
        jacobian_by_rows(self, x, out);
    }

    /// For a bilevel problem (this `Nlp` being its upper level over all of `z`):
    /// both levels at once, and where the lower variables are. `None` (the
    /// default) for a single-level problem.
    fn bilevel(&mut self) -> Option<crate::bilevel::Bilevel<'_>> {
        None
    }
}

/// The constraints' Jacobian (as [`Nlp::constraints_jacobian`]) by one
/// [`Nlp::constraints_jt`] product per row, with a unit multiplier for that row.
pub fn jacobian_by_rows<P: Nlp + ?Sized>(nlp: &mut P, x: &[f64], out: &mut [f64]) {
    let (me, mi) = (nlp.n_eq(), nlp.n_ineq());
    let (mut ye, mut yi) = (vec![0.0; me], vec![0.0; mi]);
    for (r, row) in out.chunks_exact_mut(x.len().max(1)).enumerate() {
        if r < me {
            ye[r] = 1.0;
        } else if r - me < mi {
            yi[r - me] = 1.0;
        }
        nlp.constraints_jt(x, &ye, &yi, row);
        ye.iter_mut().chain(yi.iter_mut()).for_each(|v| *v = 0.0);
    }
}

/// Several objectives to minimize at once (solved for a Pareto front by NSGA-II),
/// optionally with constraints like [`Nlp`].
pub trait MultiObjective {
    /// Number of (flattened) variables.
    fn n(&self) -> usize;
    /// Number of objectives.
    fn n_obj(&self) -> usize;
    /// Fills `out` (length `n_obj`) with the objective values at `x`. NaN/Inf allowed.
    fn objectives(&mut self, x: &[f64], out: &mut [f64]);
    /// The objectives of many points at once: `xs` holds the points row-major
    /// (`n` values each) and `out` receives `n_obj` values per point, in the same
    /// order. The evolutionary methods evaluate each generation with one call. The
    /// default calls [`MultiObjective::objectives`] point by point; an
    /// implementation may split the rows over threads, but the values must not
    /// depend on how it splits them.
    fn objectives_batch(&mut self, xs: &[f64], out: &mut [f64]) {
        let (n, m) = (self.n(), self.n_obj());
        if n == 0 || m == 0 {
            return;
        }
        for (x, row) in xs.chunks_exact(n).zip(out.chunks_exact_mut(m)) {
            self.objectives(x, row);
        }
    }
    /// Number of equality constraints `c_eq(x) = 0`.
    fn n_eq(&self) -> usize {
        0
    }
    /// Number of inequality constraints `c_ineq(x) <= 0`.
    fn n_ineq(&self) -> usize {
        0
    }
    /// Constraint values, as in [`Nlp::constraints`].
    fn constraints(&mut self, _x: &[f64], _c_eq: &mut [f64], _c_ineq: &mut [f64]) {}
}

/// Box bounds `lower <= x <= upper`; entries may be `-inf`/`+inf`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounds {
    /// Lower bounds (length `n`).
    pub lower: Vec<f64>,
    /// Upper bounds (length `n`).
    pub upper: Vec<f64>,
}

impl Bounds {
    /// Bounds from two vectors.
    pub fn new(lower: Vec<f64>, upper: Vec<f64>) -> Self {
        Bounds { lower, upper }
    }

    /// No bounds on `n` variables.
    pub fn unbounded(n: usize) -> Self {
        Bounds {
            lower: vec![f64::NEG_INFINITY; n],
            upper: vec![f64::INFINITY; n],
        }
    }

    /// The same interval `[lo, hi]` for all `n` variables.
    pub fn uniform(n: usize, lo: f64, hi: f64) -> Self {
        Bounds {
            lower: vec![lo; n],
            upper: vec![hi; n],
        }
    }

    /// Number of variables the bounds describe.
    pub fn len(&self) -> usize {
        self.lower.len()
    }

    /// True when the bounds describe no variables.
    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// Projects `x` onto the box in place (NaN entries are left alone).
    pub fn project(&self, x: &mut [f64]) {
        for ((xi, l), u) in x.iter_mut().zip(&self.lower).zip(&self.upper) {
            if *xi < *l {
                *xi = *l;
            } else if *xi > *u {
                *xi = *u;
            }
        }
    }

    /// True when at least one bound is finite.
    pub fn is_bounded(&self) -> bool {
        self.lower.iter().chain(&self.upper).any(|b| b.is_finite())
    }

    /// True when every bound is finite (required by NSGA-II).
    pub fn is_finite(&self) -> bool {
        self.lower.iter().chain(&self.upper).all(|b| b.is_finite())
    }

    /// Checks the bounds against `n` variables: `Err((status, message))` when the
    /// lengths differ, a bound is NaN (`Status::Error`) or `lower > upper`
    /// (`Status::Infeasible`).
    pub fn validate(&self, n: usize) -> Result<(), (Status, String)> {
        if self.lower.len() != n || self.upper.len() != n {
            return Err((
                Status::Error,
                format!(
                    "bounds have lengths {} and {} but the problem has {n} variables",
                    self.lower.len(),
                    self.upper.len()
                ),
            ));
        }
        for i in 0..n {
            let (l, u) = (self.lower[i], self.upper[i]);
            if l.is_nan() || u.is_nan() {
                return Err((Status::Error, format!("bound of variable {i} is NaN")));
            }
            if l > u || l == f64::INFINITY || u == f64::NEG_INFINITY {
                return Err((
                    Status::Infeasible,
                    format!("empty bounds for variable {i}: [{l}, {u}]"),
                ));
            }
        }
        Ok(())
    }
}

/// Why a solver stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The optimality (and feasibility) tests passed.
    Converged,
    /// The iteration limit was reached first.
    MaxIters,
    /// The constraints could not be satisfied to the feasibility tolerance.
    Infeasible,
    /// The objective became NaN/Inf at an accepted point (see `diverged_at`).
    Diverged,
    /// Neither `f` nor `x` moved for several iterations, or the line search failed.
    Stalled,
    /// The objective decreased past the unboundedness threshold (`-1e100`).
    Unbounded,
    /// The wall-clock limit `Options::timeout` was reached.
    Timeout,
    /// The input was invalid (wrong lengths, NaN start or bounds, infinite
    /// bounds for NSGA-II); nothing was solved.
    Error,
    /// A bilevel method's last lower solve stopped without converging, so the
    /// upper point and its hypergradient cannot be trusted (see `SolveResult::lower`).
    LowerNotConverged,
}

impl Status {
    /// The name used in OptL's Result record.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converged => "converged",
            Status::MaxIters => "max_iters",
            Status::Infeasible => "infeasible",
            Status::Diverged => "diverged",
            Status::Stalled => "stalled",
            Status::Unbounded => "unbounded",
            Status::Timeout => "timeout",
            Status::Error => "error",
            Status::LowerNotConverged => "lower_not_converged",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names one constraint of an [`Nlp`] by its index among the equalities or the
/// inequalities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintRef {
    /// The `i`-th equality constraint.
    Eq(usize),
    /// The `i`-th inequality constraint.
    Ineq(usize),
}

/// What a solver returns. Fields that do not apply to a solver are zero/empty.
#[derive(Clone, Debug, PartialEq)]
pub struct SolveResult {
    /// Why the solver stopped.
    pub status: Status,
    /// The final point (the best accepted one).
    pub x: Vec<f64>,
    /// Objective value at `x`.
    pub f: f64,
    /// Iterations (outer iterations for the augmented Lagrangian).
    pub iters: usize,
    /// Inner iterations summed over all outer iterations (auglag); equals `iters` otherwise.
    pub inner_iters: usize,
    /// Objective evaluations (each with or without gradient counts once; for
    /// Newton-CG each Hessian-vector product counts once more).
    pub evals: usize,
    /// Infinity norm of the projected gradient (of the Lagrangian for auglag) at `x`.
    pub grad_norm: f64,
    /// Largest constraint violation at `x` (`|c_eq|`, `max(0, c_ineq)`).
    pub max_violation: f64,
    /// KKT residual: max of the projected Lagrangian gradient and complementarity.
    pub kkt_residual: f64,
    /// Objective per iteration; `history[0]` is the starting value.
    pub history: Vec<f64>,
    /// Largest violation per outer iteration (auglag); `[0]` is at the start.
    pub violation_history: Vec<f64>,
    /// The iteration at which the objective became NaN/Inf, if it did.
    pub diverged_at: Option<usize>,
    /// Human-readable reason for the status.
    pub message: String,
    /// When infeasible: the violated constraints and by how much.
    pub violated: Vec<(ConstraintRef, f64)>,
    /// Multipliers of the equality constraints (auglag).
    pub multipliers_eq: Vec<f64>,
    /// Multipliers of the inequality constraints (auglag), all `>= 0`.
    pub multipliers_ineq: Vec<f64>,
    /// Wall-clock time spent, in seconds.
    pub time_s: f64,
    /// What certifies the point: `"kkt"` (the KKT residual, every NLP solver),
    /// `"duality_gap"`, `"fw_gap"` or `"prox_residual"` (the splitting methods).
    pub certificate: &'static str,
    /// The certificate's value (for `"kkt"`, `kkt_residual`).
    pub gap: f64,
    /// The method that produced the result (set by the registry's plan).
    pub method: &'static str,
    /// For a bilevel problem: the lower problem at the final point.
    pub lower: Option<crate::bilevel::LowerReport>,
}

impl SolveResult {
    /// The invariant every path out of a solve keeps: a result whose `f` or `x`
    /// holds NaN is never `converged` (it becomes `diverged`, saying so).
    pub fn guard_nan(&mut self) {
        let nan = self.f.is_nan() || self.x.iter().any(|v| v.is_nan());
        if nan && self.status == Status::Converged {
            self.status = Status::Diverged;
            self.message = format!(
                "the point or objective holds NaN, so it is not a solution ({})",
                self.message
            );
        }
    }

    /// A result with the given status and message at point `x`; other fields empty.
    pub fn new(status: Status, x: Vec<f64>, f: f64, message: impl Into<String>) -> Self {
        SolveResult {
            status,
            x,
            f,
            iters: 0,
            inner_iters: 0,
            evals: 0,
            grad_norm: f64::NAN,
            max_violation: 0.0,
            kkt_residual: f64::NAN,
            history: Vec::new(),
            violation_history: Vec::new(),
            diverged_at: None,
            message: message.into(),
            violated: Vec::new(),
            multipliers_eq: Vec::new(),
            multipliers_ineq: Vec::new(),
            time_s: 0.0,
            certificate: "kkt",
            gap: f64::NAN,
            method: "",
            lower: None,
        }
    }
}

/// Options shared by all solvers.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Iteration limit (default 100 000: chained problems such as the n-variable
    /// Rosenbrock need O(n) L-BFGS iterations). For the augmented Lagrangian it bounds
    /// the inner iterations of each subproblem; outer iterations are `AugLag::max_outer`.
    pub max_iters: usize,
    /// Relative optimality tolerance (default `1e-10`): stop when the projected
    /// gradient infinity norm is `<= tol·max(1, |f|)`.
    pub tol: f64,
    /// Wall-clock limit (default none); on expiry the status is `Timeout`.
    pub timeout: Option<Duration>,
    /// Seed for randomized solvers (default 0).
    pub seed: u64,
    /// Whether `max_iters` and `tol` were set by the user (`solve(..., steps, tol)`)
    /// rather than left at these defaults: a method `auto` chose then keeps them
    /// instead of its own defaults (see the splitting family).
    pub max_iters_given: bool,
    pub tol_given: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_iters: 100_000,
            tol: 1e-10,
            timeout: None,
            seed: 0,
            max_iters_given: false,
            tol_given: false,
        }
    }
}

/// Objective values below this are taken as proof that the problem is unbounded.
pub const UNBOUNDED_F: f64 = -1e100;

/// A solve's clock: when it started and its deadline (from `Options::timeout`).
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Instant,
    deadline: Option<Instant>,
}

impl Clock {
    pub fn new(timeout: Option<Duration>) -> Self {
        let start = Instant::now();
        Clock {
            start,
            deadline: timeout.and_then(|t| start.checked_add(t)),
        }
    }

    /// True once the deadline has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The time left, for handing to an inner solver.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Seconds since the start.
    pub fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// Dot product.
/// Four running sums, combined in a fixed order: a quarter of the add latency of
/// one running sum, and the same result on every call. The four sums are the lanes
/// of one SIMD vector (`wide::f64x4`), so they stay independent and in order.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let mut tail = 0.0;
    for (x, y) in ac.remainder().iter().zip(bc.remainder()) {
        tail += x * y;
    }
    let lanes = |c: &[f64]| f64x4::from([c[0], c[1], c[2], c[3]]);
    let mut acc = f64x4::ZERO;
    for (p, q) in ac.zip(bc) {
        acc += lanes(p) * lanes(q);
    }
    let acc = acc.to_array();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Infinity norm (NaN if any entry is NaN).
pub(crate) fn inf_norm(a: &[f64]) -> f64 {
    // Branch-free, so that it vectorizes; NaN is remembered on the side.
    let (mut m, mut nan) = (0.0f64, false);
    for v in a {
        let x = v.abs();
        nan |= x.is_nan();
        m = if x > m { x } else { m };
    }
    if nan { f64::NAN } else { m }
}

/// Euclidean norm.
pub(crate) fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// True when every entry is finite.
pub(crate) fn all_finite(a: &[f64]) -> bool {
    a.iter().all(|v| v.is_finite())
}

/// Infinity norm of the projected gradient step `P(x - g) - x`, computed per
/// component as `min(|g_i|, distance to the bound g_i pushes towards)` so that
/// it does not cancel to 0 when `|x_i|` is huge.
pub(crate) fn projected_grad_norm(x: &[f64], g: &[f64], b: &Bounds) -> f64 {
    // Branch-free, so that it vectorizes: for g_i = 0 the second arm gives
    // min(0, u_i - x_i) <= 0, which the running max ignores.
    let (mut m, mut nan) = (0.0f64, false);
    for (((&xi, &gi), &lo), &hi) in x.iter().zip(g).zip(&b.lower).zip(&b.upper) {
        nan |= gi.is_nan();
        let (pushed, room) = if gi > 0.0 {
            (gi, xi - lo)
        } else {
            (-gi, hi - xi)
        };
        let t = if room < pushed { room } else { pushed };
        m = if t > m { t } else { m };
    }
    if nan { f64::NAN } else { m }
}

/// The optimality test `pg <= tol·max(1, |f|)`. When it only passes thanks to a
/// large `|f|` (i.e. `pg > tol`), the last iteration must also have changed `f`
/// by less than half its magnitude: otherwise an objective running off to
/// `-inf` (say `f = x`) would count as converged once `|f|` is large.
pub(crate) fn is_optimal(pg: f64, f: f64, f_prev: Option<f64>, tol: f64) -> bool {
    if !(pg <= tol * f.abs().max(1.0)) {
        return false;
    }
    pg <= tol || f_prev.is_none_or(|fp| (f - fp).abs() <= 0.5 * f.abs())
}

/// A solver of single-objective problems. Every solver checks its start the same
/// way ([`Solver::solve`]): the start must have one finite entry per variable and
/// the bounds must be consistent; the start is projected into the bounds. The
/// method itself ([`Solver::run`]) starts from there.
pub trait Solver {
    /// Runs the method from `x`, a start that [`Solver::solve`] has checked and
    /// projected into `bounds`, with the solve's `clock` already running.
    fn run(
        &self,
        nlp: &mut dyn Nlp,
        x: Vec<f64>,
        bounds: &Bounds,
        opts: &Options,
        clock: &Clock,
    ) -> SolveResult;

    /// Minimizes `nlp`'s objective from `x0` within `bounds` (and subject to `nlp`'s
    /// constraints, for the solvers that handle them).
    fn solve(&self, nlp: &mut dyn Nlp, x0: &[f64], bounds: &Bounds, opts: &Options) -> SolveResult {
        let n = nlp.n();
        from_checked_start(n, x0, bounds, opts, |x, clock| {
            self.run(nlp, x, bounds, opts, &clock)
        })
    }
}

/// Starts a solve's clock, checks and projects the start point `x0` (see [`Solver`])
/// and hands both to `run`; or returns the result that says what is wrong.
pub(crate) fn from_checked_start(
    n: usize,
    x0: &[f64],
    bounds: &Bounds,
    opts: &Options,
    run: impl FnOnce(Vec<f64>, Clock) -> SolveResult,
) -> SolveResult {
    let clock = Clock::new(opts.timeout);
    match prepare_start(n, x0, bounds, &clock) {
        Ok(x) => run(x, clock),
        Err(r) => *r,
    }
}

/// Checks a start point and bounds; returns the projected start or an error result.
fn prepare_start(
    n: usize,
    x0: &[f64],
    bounds: &Bounds,
    clock: &Clock,
) -> Result<Vec<f64>, Box<SolveResult>> {
    let fail = |status, msg: String| {
        let mut r = SolveResult::new(status, x0.to_vec(), f64::NAN, msg);
        r.time_s = clock.elapsed_s();
        Box::new(r)
    };
    if x0.len() != n {
        return Err(fail(
            Status::Error,
            format!(
                "start point has {} entries but the problem has {n} variables",
                x0.len()
            ),
        ));
    }
    if let Err((s, m)) = bounds.validate(n) {
        return Err(fail(s, m));
    }
    let mut x = x0.to_vec();
    bounds.project(&mut x);
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(fail(
            Status::Error,
            format!("start point entry {i} is {}", x[i]),
        ));
    }
    Ok(x)
}

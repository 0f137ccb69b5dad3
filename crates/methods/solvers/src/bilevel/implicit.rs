//! Implicit differentiation: the upper objective as a function of the upper
//! variables alone, `F(x, y*(x))`, minimized by L-BFGS-B; each evaluation solves
//! the lower problem to tolerance (warm-started from the last solution) and its
//! gradient is the implicit hypergradient ([`hypergradient`]), with lower
//! variables held at an active bound treated as fixed.

use super::{
    Bilevel, Levels, LowerReport, free_positions, hypergradient, negative_curvature, residual_of,
    solve_lower,
};
use crate::nlp::Lbfgs;
use crate::problem::{Bounds, Nlp, Options, SolveResult, Solver, Status, all_finite};

/// `implicit(inner, cg_iters, lower_tol, max_iters, tol)`'s configuration.
#[derive(Clone, Debug)]
pub struct Implicit {
    /// The lower problem's solver.
    pub inner: Lbfgs,
    /// Conjugate-gradient iterations per hypergradient (on `H_yy v = ∇_y F`).
    pub cg_iters: usize,
    /// Relative tolerance of the lower solves (and of CG).
    pub lower_tol: f64,
}

impl Default for Implicit {
    fn default() -> Self {
        Implicit {
            inner: Lbfgs::default(),
            cg_iters: 1000,
            lower_tol: 1e-12,
        }
    }
}

/// `F(x, y*(x))` as an [`Nlp`] over `x`.
struct Reduced<'a, 'b> {
    parts: &'a mut Bilevel<'b>,
    method: &'a Implicit,
    bounds_y: Bounds,
    /// The last lower solution (the next solve's start).
    y: Vec<f64>,
    last: Option<SolveResult>,
    /// Why the last hypergradient failed, if it did.
    failure: Option<String>,
    solves: usize,
    inner_opts: Options,
}

impl Reduced<'_, '_> {
    /// Solves the lower problem at `x`; the point `z` and the solve.
    fn lower_at(&mut self, x: &[f64]) -> (Vec<f64>, SolveResult) {
        let levels = self.parts.levels;
        let z0 = levels.join(x, &self.y);
        let r = solve_lower(
            self.parts.lower,
            levels,
            &z0,
            &self.y,
            &self.bounds_y,
            &self.method.inner,
            &self.inner_opts,
        );
        self.solves += 1;
        if all_finite(&r.x) {
            self.y.clone_from(&r.x);
        }
        (levels.join(x, &r.x), r)
    }

    fn free(&mut self, z: &[f64]) -> Levels {
        free_positions(
            self.parts.lower,
            self.parts.levels,
            &self.bounds_y,
            z,
            self.method.lower_tol,
        )
    }
}

impl Nlp for Reduced<'_, '_> {
    fn n(&self) -> usize {
        self.parts.levels.n - self.parts.levels.lower.len()
    }

    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (z, r) = self.lower_at(x);
        self.last = Some(r);
        let Some(g) = grad else {
            return self.parts.upper.objective(&z, None);
        };
        let free = self.free(&z);
        let (f, gz, residual) = hypergradient(
            self.parts.upper,
            self.parts.lower,
            &free,
            &z,
            self.method.cg_iters,
            self.method.lower_tol,
        );
        self.failure = residual.is_nan().then(|| {
            "the lower problem has non-positive curvature at the lower solution (it is not strongly convex there), so the implicit hypergradient does not hold".to_string()
        });
        // `gz` is over the upper positions of `free`, which also hold the lower
        // variables at a bound: keep the true upper ones.
        let mut is_upper = vec![false; self.parts.levels.n];
        self.parts
            .levels
            .upper()
            .into_iter()
            .for_each(|i| is_upper[i] = true);
        let picked = free
            .upper()
            .into_iter()
            .zip(gz)
            .filter(|(i, _)| is_upper[*i])
            .map(|(_, v)| v);
        for (o, v) in g.iter_mut().zip(picked) {
            *o = v;
        }
        f
    }
}

impl Implicit {
    /// Minimizes the upper objective over the upper variables from `z0`, within
    /// `bounds` (over `z`: the lower variables' bounds bind the lower problem).
    pub fn run(
        &self,
        parts: &mut Bilevel,
        z0: &[f64],
        bounds: &Bounds,
        opts: &Options,
    ) -> SolveResult {
        let levels = parts.levels;
        let (x0, y0) = levels.split(z0);
        let (bounds_x, bounds_y) = levels.split_bounds(bounds);
        let inner_opts = Options {
            tol: self.lower_tol,
            timeout: opts.timeout,
            ..Options::default()
        };
        let mut reduced = Reduced {
            parts,
            method: self,
            bounds_y,
            y: y0,
            last: None,
            failure: None,
            solves: 0,
            inner_opts,
        };
        let outer = Lbfgs::default().solve(&mut reduced, &x0, &bounds_x, opts);
        // The lower problem at the reported point, and its hypergradient there.
        let mut g = vec![0.0; x0.len()];
        let f = reduced.objective(&outer.x, Some(&mut g));
        let lower = match reduced.last.take() {
            Some(r) => r,
            None => reduced.lower_at(&outer.x).1,
        };
        let z = levels.join(&outer.x, &lower.x);
        let free = reduced.free(&z);
        let mut failure = reduced.failure.take();
        if failure.is_none() && negative_curvature(reduced.parts.lower, &free, &z, self.cg_iters) {
            failure = Some("the lower Hessian at the final lower point has non-positive curvature (a stationary point that is not a strict local minimum), so the implicit hypergradient does not hold".into());
        }
        finish(outer, z, f, &lower, failure, reduced.solves, "implicit")
    }
}

/// The bilevel Result from the outer solve over `x` and the final lower solve:
/// `x` over `z`, the lower report, and the status (`lower_not_converged` when the
/// last lower solve did not converge, or with `failure` when the lower point
/// is not a strict minimum and the hypergradient there fails; `diverged` for a
/// NaN).
pub(crate) fn finish(
    mut outer: SolveResult,
    z: Vec<f64>,
    f: f64,
    lower: &SolveResult,
    failure: Option<String>,
    solves: usize,
    method: &str,
) -> SolveResult {
    outer.lower = Some(LowerReport {
        f: lower.f,
        status: lower.status,
        residual: residual_of(lower),
        gap: 0.0,
        solves,
    });
    outer.x = z;
    outer.f = f;
    if !f.is_finite() || !all_finite(&outer.x) {
        outer.status = Status::Diverged;
        outer.message = format!("{method}: the upper objective or the point is not finite");
    } else if lower.status != Status::Converged {
        outer.status = Status::LowerNotConverged;
        outer.message = format!(
            "{method}: the lower problem at the final point stopped with status {} (residual {:.3e}): {}",
            lower.status,
            residual_of(lower),
            lower.message
        );
    } else if let Some(why) = failure {
        // Also after a converged upper solve: a lower stationary point with
        // non-positive curvature is not the lower problem's solution.
        outer.status = Status::LowerNotConverged;
        if let Some(l) = outer.lower.as_mut() {
            l.status = Status::Stalled;
        }
        outer.message = format!("{method}: {why}; `bilevel_penalty()` does not need it");
    }
    outer
}

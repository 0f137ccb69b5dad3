//! Bilevel problems: both levels of a problem ([`Bilevel`], which a model gives
//! through [`Nlp::bilevel`]), the lower problem at fixed upper variables as an
//! [`Nlp`] of the lower variables alone ([`LowerAt`]), the implicit hypergradient
//! ([`hypergradient`]), and the methods built on them (`methods.rs`): implicit
//! differentiation, the value-function penalty, and unrolled differentiation.
//!
//! Both levels are seen over one flat vector `z`, the upper variables `x` and the
//! lower variables `y` at the positions [`Levels::lower`] names; the upper and the
//! lower problem are each an [`Nlp`] over all of `z`.

use crate::problem::{Bounds, Nlp, Options, SolveResult, Solver, Status as SolveStatus, dot};
use optl_linalg::{MatrixFree, Precond, Status, cg};

mod implicit;
pub mod methods;
mod penalty;
mod unrolled;

pub use implicit::Implicit;
pub use penalty::ValuePenalty;
pub use unrolled::Unrolled;

/// Both levels of a bilevel problem over one flat vector `z`: the upper
/// objective and constraints, the lower objective and constraints, and where
/// the lower variables are.
pub struct Bilevel<'a> {
    pub upper: &'a mut dyn Nlp,
    pub lower: &'a mut dyn Nlp,
    pub levels: &'a Levels,
}

/// What the structure analysis knows of a problem's lower level.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerFact {
    /// The name of the `lower` block (`fit`).
    pub name: String,
    pub levels: Levels,
    /// Number of the lower level's `subject to` statements.
    pub constraints: usize,
    /// Number of their rows.
    pub rows: usize,
}

/// The lower problem at a bilevel method's final point.
#[derive(Clone, Debug, PartialEq)]
pub struct LowerReport {
    /// The lower objective (minimize sense) at the reported point.
    pub f: f64,
    /// How the last lower solve ended.
    pub status: SolveStatus,
    /// The lower problem's optimality residual at the reported lower variables
    /// (the projected gradient, or the KKT residual with constraints).
    pub residual: f64,
    /// The value-function gap `f(x, y) − min_y' f(x, y')` (zero up to the lower
    /// solve's accuracy for the implicit method, which solves the lower problem).
    pub gap: f64,
    /// Lower solves (or unrolled passes) the method ran.
    pub solves: usize,
}

/// The flat positions of the lower variables in `z`; the others are upper.
#[derive(Clone, Debug, PartialEq)]
pub struct Levels {
    pub n: usize,
    pub lower: Vec<usize>,
}

impl Levels {
    /// The positions of the upper variables, in order.
    pub fn upper(&self) -> Vec<usize> {
        let mut is_lower = vec![false; self.n];
        self.lower.iter().for_each(|&i| is_lower[i] = true);
        (0..self.n).filter(|&i| !is_lower[i]).collect()
    }

    fn gather(idx: &[usize], z: &[f64]) -> Vec<f64> {
        idx.iter().map(|&i| z[i]).collect()
    }

    /// `v` over the lower positions spread into a vector over `z` (zero elsewhere).
    fn spread(&self, v: &[f64]) -> Vec<f64> {
        let mut full = vec![0.0; self.n];
        for (&i, &x) in self.lower.iter().zip(v) {
            full[i] = x;
        }
        full
    }

    /// `z` split into its upper and lower entries.
    pub fn split(&self, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (Self::gather(&self.upper(), z), Self::gather(&self.lower, z))
    }

    /// The flat vector with upper entries `x` and lower entries `y`.
    pub fn join(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; self.n];
        for (&i, &v) in self.upper().iter().zip(x) {
            z[i] = v;
        }
        for (&i, &v) in self.lower.iter().zip(y) {
            z[i] = v;
        }
        z
    }

    /// Bounds over `z` split into the upper and the lower variables' bounds.
    pub fn split_bounds(&self, b: &Bounds) -> (Bounds, Bounds) {
        let (xl, yl) = self.split(&b.lower);
        let (xu, yu) = self.split(&b.upper);
        (Bounds::new(xl, xu), Bounds::new(yl, yu))
    }
}

/// The solver for a level (or a penalized problem): L-BFGS-B without constraints, SQP for small
/// constrained ones, the augmented Lagrangian for large ones.
pub(crate) fn solver_for(nlp: &dyn Nlp, n: usize) -> Box<dyn Solver> {
    let rows = nlp.n_eq() + nlp.n_ineq();
    match rows {
        0 => Box::new(crate::nlp::Lbfgs::default()),
        _ if n.max(rows) <= crate::nlp::methods::SQP_AUTO_MAX_SIZE => {
            Box::new(crate::nlp::Sqp::default())
        }
        _ => Box::new(crate::nlp::AugLag::default()),
    }
}

/// Solves the lower problem at the upper variables of `z`, from `y0`.
pub(crate) fn solve_lower(
    lower: &mut dyn Nlp,
    levels: &Levels,
    z: &[f64],
    y0: &[f64],
    bounds_y: &Bounds,
    solver: &dyn Solver,
    opts: &Options,
) -> SolveResult {
    let mut at = LowerAt {
        lower,
        levels,
        z: z.to_vec(),
    };
    solver.solve(&mut at, y0, bounds_y, opts)
}

/// A lower solve's optimality residual: its KKT residual, else its projected
/// gradient norm.
pub(crate) fn residual_of(r: &SolveResult) -> f64 {
    if r.kkt_residual.is_nan() {
        r.grad_norm
    } else {
        r.kkt_residual
    }
}

/// The lower problem with the upper variables fixed at their values in `z`: an
/// [`Nlp`] over the lower variables (gradients, Hessian-vector products and
/// constraint products of the whole-`z` lower problem, restricted to `y`).
pub struct LowerAt<'a> {
    pub lower: &'a mut dyn Nlp,
    pub levels: &'a Levels,
    /// The current point; its upper entries are the fixed `x`.
    pub z: Vec<f64>,
}

impl LowerAt<'_> {
    fn set(&mut self, y: &[f64]) {
        for (&i, &v) in self.levels.lower.iter().zip(y) {
            self.z[i] = v;
        }
    }
}

impl Nlp for LowerAt<'_> {
    fn n(&self) -> usize {
        self.levels.lower.len()
    }

    fn objective(&mut self, y: &[f64], grad: Option<&mut [f64]>) -> f64 {
        self.set(y);
        match grad {
            None => self.lower.objective(&self.z, None),
            Some(g) => {
                let mut gz = vec![0.0; self.levels.n];
                let f = self.lower.objective(&self.z, Some(&mut gz));
                for (o, &i) in g.iter_mut().zip(&self.levels.lower) {
                    *o = gz[i];
                }
                f
            }
        }
    }

    fn hvp(&mut self, y: &[f64], v: &[f64], out: &mut [f64]) {
        self.set(y);
        let vz = self.levels.spread(v);
        let mut hz = vec![0.0; self.levels.n];
        self.lower.hvp(&self.z, &vz, &mut hz);
        for (o, &i) in out.iter_mut().zip(&self.levels.lower) {
            *o = hz[i];
        }
    }

    fn n_eq(&self) -> usize {
        self.lower.n_eq()
    }

    fn n_ineq(&self) -> usize {
        self.lower.n_ineq()
    }

    fn constraints(&mut self, y: &[f64], c_eq: &mut [f64], c_ineq: &mut [f64]) {
        self.set(y);
        self.lower.constraints(&self.z, c_eq, c_ineq);
    }

    fn constraints_jt(&mut self, y: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        self.set(y);
        let mut oz = vec![0.0; self.levels.n];
        self.lower.constraints_jt(&self.z, y_eq, y_ineq, &mut oz);
        for (o, &i) in out.iter_mut().zip(&self.levels.lower) {
            *o = oz[i];
        }
    }
}

/// `H·(0, v)` over `z`, `v` over the lower positions: its lower block is
/// `H_yy v`, its upper block `H_xy v` (one Hessian-vector product of the lower
/// problem gives both).
fn lower_hvp(lower: &mut dyn Nlp, levels: &Levels, z: &[f64], v: &[f64]) -> Vec<f64> {
    let mut hz = vec![0.0; levels.n];
    lower.hvp(z, &levels.spread(v), &mut hz);
    hz
}

/// The implicit hypergradient at `z` (its `y` a solution of an unconstrained,
/// strongly convex lower problem at its `x`): `∇ₓF − H_xy v` where `H_yy v = ∇_y F`,
/// `v` by optl-linalg's conjugate gradients on Hessian-vector products of the lower
/// problem (one product over `z` gives both blocks). Returns the upper value, the
/// hypergradient over the upper positions, and CG's relative residual (NaN, and a
/// NaN hypergradient, when CG meets non-positive curvature or fails: the lower
/// problem is not strongly convex there and this formula does not hold).
pub fn hypergradient(
    upper: &mut dyn Nlp,
    lower: &mut dyn Nlp,
    levels: &Levels,
    z: &[f64],
    cg_iters: usize,
    tol: f64,
) -> (f64, Vec<f64>, f64) {
    let upper_idx = levels.upper();
    let mut gz = vec![0.0; levels.n];
    let f = upper.objective(z, Some(&mut gz));
    let b = Levels::gather(&levels.lower, &gz);
    let lower = std::cell::RefCell::new(lower);
    let hvp_z = |v: &[f64]| lower_hvp(*lower.borrow_mut(), levels, z, v);
    let h_yy = MatrixFree::new(b.len(), |v: &[f64], out: &mut [f64]| {
        let hz = hvp_z(v);
        for (o, &i) in out.iter_mut().zip(&levels.lower) {
            *o = hz[i];
        }
    });
    let solved = match cg(&h_yy, &b, tol, cg_iters, Precond::None) {
        Ok(r) if matches!(r.status, Status::Converged | Status::MaxIters) => r,
        _ => return (f, vec![f64::NAN; upper_idx.len()], f64::NAN),
    };
    let hz = hvp_z(&solved.x);
    let grad = upper_idx.iter().map(|&i| gz[i] - hz[i]).collect();
    (f, grad, solved.residual)
}

/// The lower positions at `z` not held at a bound by the lower gradient (an
/// entry at its bound with the gradient pushing outward by more than
/// `sqrt(tol)` is held): the variables the lower solution moves with `x`.
pub(crate) fn free_positions(
    lower: &mut dyn Nlp,
    levels: &Levels,
    bounds_y: &Bounds,
    z: &[f64],
    tol: f64,
) -> Levels {
    let mut g = vec![0.0; levels.n];
    lower.objective(z, Some(&mut g));
    let scale = tol.sqrt();
    let free = levels
        .lower
        .iter()
        .zip(bounds_y.lower.iter().zip(&bounds_y.upper))
        .filter(|&(&i, (&lo, &hi))| {
            let at = |b: f64| (z[i] - b).abs() <= 1e-9 * b.abs().max(1.0);
            let pushed_out = (at(lo) && g[i] > scale) || (at(hi) && g[i] < -scale);
            !pushed_out
        })
        .map(|(&i, _)| i)
        .collect();
    Levels {
        n: levels.n,
        lower: free,
    }
}

/// Whether the lower Hessian `H_yy` at `z` has a direction of negative
/// curvature among the conjugate-gradient directions for a fixed pseudo-random
/// vector (at most `iters` of them): the check that a lower stationary point is
/// a local minimum, where `∇_y F = 0` gives CG in [`hypergradient`] nothing to
/// test. Zero curvature (a linear lower problem, a flat valley) is not negative.
pub fn negative_curvature(lower: &mut dyn Nlp, levels: &Levels, z: &[f64], iters: usize) -> bool {
    let m = levels.lower.len();
    let mut h_yy = |v: &[f64]| Levels::gather(&levels.lower, &lower_hvp(lower, levels, z, v));
    // A fixed vector with entries in [0.5, 1.5), different along the positions.
    let mut r: Vec<f64> = (0..m)
        .map(|i| 0.5 + ((i as f64 + 1.0) * 0.618_033_988_749_895).fract())
        .collect();
    let mut p = r.clone();
    let mut rr = dot(&r, &r);
    for _ in 0..iters.min(2 * m) {
        let q = h_yy(&p);
        let (pq, pp) = (dot(&p, &q), dot(&p, &p));
        let scale = dot(&q, &q).sqrt() / pp.sqrt();
        if pq < -1e-8 * pp * scale.max(1.0) || pq.is_nan() {
            return true;
        }
        if pq <= 1e-14 * pp * scale.max(1.0) {
            return false;
        }
        let alpha = rr / pq;
        r.iter_mut().zip(&q).for_each(|(r, q)| *r -= alpha * q);
        let rr_next = dot(&r, &r);
        if rr_next.sqrt() <= 1e-12 {
            return false;
        }
        let beta = rr_next / rr;
        p.iter_mut().zip(&r).for_each(|(p, r)| *p = r + beta * *p);
        rr = rr_next;
    }
    false
}

#[cfg(test)]
mod tests;

//! Bilevel problems: the lower problem at fixed upper variables as an [`Nlp`] of
//! the lower variables alone ([`LowerAt`]), and the implicit hypergradient
//! ([`hypergradient`]) that the bilevel methods are built on.
//!
//! Both levels are seen over one flat vector `z`, the upper variables `x` and the
//! lower variables `y` at the positions [`Levels::lower`] names; the upper and the
//! lower problem are each an [`Nlp`] over all of `z`.

use crate::problem::Nlp;
use optl_linalg::{MatrixFree, Precond, Status, cg};

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

    fn spread(&self, v: &[f64]) -> Vec<f64> {
        let mut full = vec![0.0; self.levels.n];
        for (&i, &x) in self.levels.lower.iter().zip(v) {
            full[i] = x;
        }
        full
    }
}

impl Nlp for LowerAt<'_> {
    fn n(&self) -> usize {
        self.levels.lower.len()
    }

    fn objective(&mut self, y: &[f64], grad: Option<&mut [f64]>) -> f64 {
        self.set(y);
        match grad {
            None => self.lower.objective(&self.z.clone(), None),
            Some(g) => {
                let mut gz = vec![0.0; self.levels.n];
                let f = self.lower.objective(&self.z.clone(), Some(&mut gz));
                for (o, &i) in g.iter_mut().zip(&self.levels.lower) {
                    *o = gz[i];
                }
                f
            }
        }
    }

    fn hvp(&mut self, y: &[f64], v: &[f64], out: &mut [f64]) {
        self.set(y);
        let vz = self.spread(v);
        let mut hz = vec![0.0; self.levels.n];
        self.lower.hvp(&self.z.clone(), &vz, &mut hz);
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
        self.lower.constraints(&self.z.clone(), c_eq, c_ineq);
    }

    fn constraints_jt(&mut self, y: &[f64], y_eq: &[f64], y_ineq: &[f64], out: &mut [f64]) {
        self.set(y);
        let mut oz = vec![0.0; self.levels.n];
        self.lower
            .constraints_jt(&self.z.clone(), y_eq, y_ineq, &mut oz);
        for (o, &i) in out.iter_mut().zip(&self.levels.lower) {
            *o = oz[i];
        }
    }
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
    // `H·(0, v)` over z: its lower block is H_yy v, its upper block H_xy v.
    let hvp_z = |v: &[f64]| {
        let mut spread = vec![0.0; levels.n];
        for (&i, &x) in levels.lower.iter().zip(v) {
            spread[i] = x;
        }
        let mut hz = vec![0.0; levels.n];
        lower.borrow_mut().hvp(z, &spread, &mut hz);
        hz
    };
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

#[cfg(test)]
mod tests;

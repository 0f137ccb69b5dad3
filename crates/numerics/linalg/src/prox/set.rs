//! Convex sets with a cheap Euclidean projection, a linear minimization oracle
//! (LMO, the Frank–Wolfe step) and a membership test.
//!
//! Projections: simplex by the sort-based threshold (Held–Wolfe–Crowder / Duchi
//! et al.), ℓ1 ball by soft thresholding with the simplex threshold of `|v|`, ℓ2
//! ball by scaling, nuclear ball by a thin SVD (faer) with the singular values
//! projected onto `{σ ≥ 0, Σσ ≤ radius}`. The nuclear LMO uses only the top
//! singular pair ([`top_singular_pair`](super::top_singular_pair)).
//!
//! Errors: a radius that is not finite and positive is [`Error::InvalidArgument`],
//! mismatched lengths [`Error::Shape`], NaN or infinite input [`Error::NonFinite`]
//! (on any error `out` is filled with NaN when its length allows).

use faer::MatRef;
use faer::linalg::solvers::Svd as FaerSvd;

use super::singular::top_pair;
use super::threshold::{norm1, norm2, simplex_theta};
use crate::error::{Error, Result};

/// Residual tolerance of the top singular pair in the nuclear-ball LMO.
const LMO_TOL: f64 = 1e-10;

/// A convex set with a cheap projection and linear minimization oracle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Set {
    /// `{x ≥ 0, Σx = radius}`
    Simplex {
        /// The sum of the entries (> 0).
        radius: f64,
    },
    /// `{‖x‖₁ ≤ radius}`
    L1Ball {
        /// The radius (> 0).
        radius: f64,
    },
    /// `{‖x‖₂ ≤ radius}`
    L2Ball {
        /// The radius (> 0).
        radius: f64,
    },
    /// `{X ∈ R^{rows×cols} row-major, ‖X‖_* ≤ radius}`
    NuclearBall {
        /// The radius (> 0).
        radius: f64,
        /// Rows of the matrix.
        rows: usize,
        /// Columns of the matrix.
        cols: usize,
    },
}

/// Which operation an error comes from.
#[derive(Clone, Copy)]
enum Op {
    Project,
    Lmo,
}

impl Set {
    /// The set's name: "simplex", "l1ball", "l2ball", "nuclear_ball".
    pub fn name(&self) -> &'static str {
        match self {
            Set::Simplex { .. } => "simplex",
            Set::L1Ball { .. } => "l1ball",
            Set::L2Ball { .. } => "l2ball",
            Set::NuclearBall { .. } => "nuclear_ball",
        }
    }

    fn radius(&self) -> f64 {
        match *self {
            Set::Simplex { radius }
            | Set::L1Ball { radius }
            | Set::L2Ball { radius }
            | Set::NuclearBall { radius, .. } => radius,
        }
    }

    fn op(&self, op: Op) -> &'static str {
        match (self, op) {
            (Set::Simplex { .. }, Op::Project) => "simplex projection",
            (Set::L1Ball { .. }, Op::Project) => "l1ball projection",
            (Set::L2Ball { .. }, Op::Project) => "l2ball projection",
            (Set::NuclearBall { .. }, Op::Project) => "nuclear_ball projection",
            (Set::Simplex { .. }, Op::Lmo) => "simplex lmo",
            (Set::L1Ball { .. }, Op::Lmo) => "l1ball lmo",
            (Set::L2Ball { .. }, Op::Lmo) => "l2ball lmo",
            (Set::NuclearBall { .. }, Op::Lmo) => "nuclear_ball lmo",
        }
    }

    /// Checks the radius, the lengths (and the matrix shape) and finiteness.
    fn check(&self, op: Op, x: &[f64], out: &[f64]) -> Result<()> {
        let name = self.op(op);
        let r = self.radius();
        if !(r.is_finite() && r > 0.0) {
            return Err(Error::InvalidArgument {
                op: name,
                reason: format!("the radius must be finite and positive, got {r}"),
            });
        }
        if out.len() != x.len() {
            return Err(Error::Shape {
                op: name,
                left: vec![x.len()],
                right: vec![out.len()],
                reason: "the output must have as many entries as the input",
            });
        }
        match *self {
            Set::NuclearBall { rows, cols, .. } if rows.checked_mul(cols) != Some(x.len()) => {
                return Err(Error::Shape {
                    op: name,
                    left: vec![x.len()],
                    right: vec![rows, cols],
                    reason: "the input must have rows*cols entries (row-major)",
                });
            }
            Set::Simplex { .. } if x.is_empty() => {
                return Err(Error::BadShape {
                    op: name,
                    shape: vec![0],
                    reason: "the simplex in zero dimensions is empty",
                });
            }
            _ => {}
        }
        if !x.iter().all(|xi| xi.is_finite()) {
            return Err(Error::NonFinite { op: name });
        }
        Ok(())
    }

    /// Euclidean projection of `v` onto the set, into `out` (same length).
    ///
    /// Simplex: `max(v − θ, 0)` with the sort-based θ; ℓ1 ball: `v` if
    /// `‖v‖₁ ≤ radius`, else soft thresholding by the simplex θ of `|v|`; ℓ2 ball:
    /// `v·min(1, radius/‖v‖)`; nuclear ball: `v` if `‖V‖_* ≤ radius`, else
    /// `U diag(max(σ − θ, 0)) Vᵀ` from faer's thin SVD.
    pub fn project(&self, v: &[f64], out: &mut [f64]) -> Result<()> {
        if let Err(e) = self.check(Op::Project, v, out) {
            fill_nan(v, out);
            return Err(e);
        }
        match *self {
            Set::Simplex { radius } => {
                let theta = simplex_theta(v, radius);
                for (o, &vi) in out.iter_mut().zip(v) {
                    *o = if vi > theta { vi - theta } else { 0.0 };
                }
            }
            Set::L1Ball { radius } => {
                if norm1(v) <= radius {
                    out.copy_from_slice(v);
                } else {
                    let abs: Vec<f64> = v.iter().map(|vi| vi.abs()).collect();
                    let theta = simplex_theta(&abs, radius);
                    for (o, &vi) in out.iter_mut().zip(v) {
                        let a = vi.abs() - theta;
                        *o = if a > 0.0 { a.copysign(vi) } else { 0.0 };
                    }
                }
            }
            Set::L2Ball { radius } => {
                let n = norm2(v);
                if n <= radius {
                    out.copy_from_slice(v);
                } else {
                    // |v_i|/‖v‖ ≤ 1: no overflow, and one rounding for radius 1.
                    for (o, &vi) in out.iter_mut().zip(v) {
                        *o = vi / n * radius;
                    }
                }
            }
            Set::NuclearBall { radius, rows, cols } => {
                if let Err(e) = project_nuclear(v, rows, cols, radius, out) {
                    out.fill(f64::NAN);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// `out = argmin_{s in set} ⟨g, s⟩`, an extreme point of the set.
    ///
    /// Simplex: `radius·e_i` at the smallest `g_i` (lowest index on ties); ℓ1
    /// ball: `−radius·sign(g_i)·e_i` at the largest `|g_i|` (lowest index on ties;
    /// `g = 0` gives `−radius·e_0`); ℓ2 ball: `−radius·g/‖g‖` (`g = 0` gives 0);
    /// nuclear ball: `−radius·u₁v₁ᵀ` with the top singular pair of `G` from
    /// [`top_singular_pair`](super::top_singular_pair) (`G = 0` gives `−radius·uvᵀ` for some unit `u`, `v`).
    pub fn lmo(&self, g: &[f64], out: &mut [f64]) -> Result<()> {
        if let Err(e) = self.check(Op::Lmo, g, out) {
            fill_nan(g, out);
            return Err(e);
        }
        match *self {
            Set::Simplex { radius } => {
                let mut best = 0;
                for (i, &gi) in g.iter().enumerate() {
                    if gi < g[best] {
                        best = i;
                    }
                }
                out.fill(0.0);
                out[best] = radius;
            }
            Set::L1Ball { radius } => {
                out.fill(0.0);
                if !g.is_empty() {
                    let mut best = 0;
                    for (i, &gi) in g.iter().enumerate() {
                        if gi.abs() > g[best].abs() {
                            best = i;
                        }
                    }
                    out[best] = if g[best] < 0.0 { radius } else { -radius };
                }
            }
            Set::L2Ball { radius } => {
                let n = norm2(g);
                if n > 0.0 {
                    let scale = -radius / n;
                    for (o, &gi) in out.iter_mut().zip(g) {
                        *o = scale * gi;
                    }
                } else {
                    out.fill(0.0);
                }
            }
            Set::NuclearBall { radius, rows, cols } => {
                let pair = match top_pair(self.op(Op::Lmo), g, rows, cols, None, LMO_TOL) {
                    Ok(p) => p,
                    Err(e) => {
                        out.fill(f64::NAN);
                        return Err(e);
                    }
                };
                for (i, row) in out.chunks_mut(cols.max(1)).enumerate().take(rows) {
                    let ui = -radius * pair.u[i];
                    for (o, &vj) in row.iter_mut().zip(&pair.v) {
                        *o = ui * vj;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `x` lies in the set within `tol`: each constraint function (e.g.
    /// `‖x‖₁ − radius`, `|Σx − radius|`, `−x_i`) is at most `tol·max(1, radius)`.
    /// False for an invalid radius, a wrong length, NaN entries or a NaN `tol`.
    pub fn contains(&self, x: &[f64], tol: f64) -> bool {
        let r = self.radius();
        if !(r.is_finite() && r > 0.0) || tol.is_nan() || x.iter().any(|xi| xi.is_nan()) {
            return false;
        }
        let slack = tol * r.max(1.0);
        match *self {
            Set::Simplex { radius } => {
                let sum: f64 = x.iter().sum();
                x.iter().all(|&xi| -xi <= slack) && (sum - radius).abs() <= slack
            }
            Set::L1Ball { radius } => norm1(x) - radius <= slack,
            Set::L2Ball { radius } => norm2(x) - radius <= slack,
            Set::NuclearBall { radius, rows, cols } => {
                if rows.checked_mul(cols) != Some(x.len()) {
                    return false;
                }
                if x.is_empty() {
                    return true;
                }
                if x.iter().any(|xi| xi.is_infinite()) {
                    return false;
                }
                match MatRef::from_row_major_slice(x, rows, cols).singular_values() {
                    Ok(s) => s.iter().sum::<f64>() - radius <= slack,
                    Err(_) => false,
                }
            }
        }
    }
}

/// Fills `out` with NaN when it has the input's length (an error is being returned).
fn fill_nan(x: &[f64], out: &mut [f64]) {
    if out.len() == x.len() {
        out.fill(f64::NAN);
    }
}

/// Projection onto the nuclear ball of radius `radius` via faer's thin SVD.
fn project_nuclear(
    v: &[f64],
    rows: usize,
    cols: usize,
    radius: f64,
    out: &mut [f64],
) -> Result<()> {
    const OP: &str = "nuclear_ball projection";
    if v.is_empty() {
        return Ok(());
    }
    let f = FaerSvd::new_thin(MatRef::from_row_major_slice(v, rows, cols))
        .map_err(|_| Error::NoConvergence { op: OP })?;
    let s: Vec<f64> = f.S().column_vector().iter().copied().collect();
    if s.iter().sum::<f64>() <= radius {
        out.copy_from_slice(v);
        return Ok(());
    }
    let theta = simplex_theta(&s, radius);
    let (u, vm) = (f.U(), f.V());
    out.fill(0.0);
    for (l, &sl) in s.iter().enumerate() {
        let sp = sl - theta;
        if !crate::positive(sp) {
            continue;
        }
        for (i, row) in out.chunks_mut(cols).enumerate() {
            let ui = sp * u[(i, l)];
            for (j, o) in row.iter_mut().enumerate() {
                *o += ui * vm[(j, l)];
            }
        }
    }
    Ok(())
}

//! Successive over-relaxation (forward sweeps; `ω = 1` is Gauss–Seidel).
//!
//! One iteration is one sweep followed by the residual `b − A x` that decides
//! convergence; the residual evaluation is the iteration's one counted matvec.

use super::kernels::norm;
use super::{IterResult, Operator, Status, check_system, zero_solution};
use crate::error::{Error, Result};

/// The validated diagonal of `a` for SOR (no zero entries).
pub(crate) fn sor_diagonal(a: &dyn Operator) -> Result<Vec<f64>> {
    const OP: &str = "sor";
    let d = a.diagonal().ok_or(Error::Unsupported {
        op: OP,
        reason: "SOR needs the rows of the matrix (a Csr or a DenseMatrix)",
    })?;
    if d.len() != a.n() {
        return Err(Error::Shape {
            op: OP,
            left: vec![a.n(), a.n()],
            right: vec![d.len()],
            reason: "the operator's diagonal has the wrong length",
        });
    }
    if let Some(row) = d.iter().position(|&v| v == 0.0) {
        return Err(Error::ZeroDiagonal { op: OP, row });
    }
    Ok(d)
}

/// Checks `0 < ω < 2`.
pub(crate) fn check_omega(omega: f64) -> Result<()> {
    if !(omega > 0.0 && omega < 2.0) {
        return Err(Error::InvalidArgument {
            op: "sor",
            reason: format!("omega must be in (0, 2), got {omega}"),
        });
    }
    Ok(())
}

/// A validated system for SOR: the common part of [`sor`] and the bandit of
/// [`crate::sequence`].
pub(crate) struct SorSystem<'a> {
    pub a: &'a dyn Operator,
    pub b: &'a [f64],
    pub diagonal: Vec<f64>,
    /// `‖b‖ > 0`.
    pub bnorm: f64,
}

/// Outcome of [`SorSystem::run`].
pub(crate) struct SorRun {
    pub iters: usize,
    pub matvecs: usize,
    pub residual: f64,
    pub status: Status,
}

impl SorSystem<'_> {
    /// SOR sweeps continuing from `x` (`r` is scratch), at most `max_iters`.
    pub(crate) fn run(
        &self,
        omega: f64,
        tol: f64,
        max_iters: usize,
        x: &mut [f64],
        r: &mut [f64],
    ) -> Result<SorRun> {
        let (a, b, diagonal, bnorm) = (self.a, self.b, &self.diagonal, self.bnorm);
        let mut iters = 0usize;
        let mut residual = f64::INFINITY;
        while iters < max_iters {
            a.sor_sweep(b, x, omega, diagonal)?;
            iters += 1;
            a.apply(x, r);
            let rn = r
                .iter_mut()
                .zip(b)
                .map(|(ri, bi)| {
                    *ri = bi - *ri;
                    *ri
                })
                .fold(0.0, |acc, v| acc + v * v)
                .sqrt();
            residual = rn / bnorm;
            if !residual.is_finite() {
                return Ok(SorRun {
                    iters,
                    matvecs: iters,
                    residual,
                    status: Status::NonFinite,
                });
            }
            if residual <= tol {
                return Ok(SorRun {
                    iters,
                    matvecs: iters,
                    residual,
                    status: Status::Converged,
                });
            }
        }
        if iters == 0 {
            a.apply(x, r);
            for (ri, bi) in r.iter_mut().zip(b) {
                *ri = bi - *ri;
            }
            residual = norm(r) / bnorm;
            return Ok(SorRun {
                iters: 0,
                matvecs: 1,
                residual,
                status: Status::MaxIters,
            });
        }
        Ok(SorRun {
            iters,
            matvecs: iters,
            residual,
            status: Status::MaxIters,
        })
    }
}

/// Solves `A x = b` by SOR with relaxation `omega` in `(0, 2)` from `x = 0`, until
/// `‖b − A x‖ / ‖b‖ <= tol` or `max_iters` sweeps. Needs an operator with rows
/// (a [`crate::Csr`] or a [`super::DenseMatrix`]) and a diagonal without zeros.
pub fn sor(
    a: &dyn Operator,
    b: &[f64],
    omega: f64,
    tol: f64,
    max_iters: usize,
) -> Result<IterResult> {
    let bnorm = check_system("sor", a, b, tol)?;
    check_omega(omega)?;
    let diagonal = sor_diagonal(a)?;
    let n = a.n();
    if bnorm == 0.0 {
        return Ok(zero_solution(n));
    }
    let mut x = vec![0.0; n];
    let mut r = vec![0.0; n];
    let system = SorSystem {
        a,
        b,
        diagonal,
        bnorm,
    };
    let run = system.run(omega, tol, max_iters, &mut x, &mut r)?;
    Ok(IterResult {
        x,
        iters: run.iters,
        residual: run.residual,
        status: run.status,
        matvecs: run.matvecs,
    })
}

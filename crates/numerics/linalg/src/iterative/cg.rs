//! Preconditioned conjugate gradients for symmetric positive-definite operators.
//!
//! One iteration is one fused product-and-dot (`q = A p`, `pᵀ q`), one fused
//! update (`x += α p`, `r −= α q`, `rᵀ r`, and for Jacobi `z = D⁻¹ r`, `rᵀ z`) and
//! one direction update; nothing is allocated inside the loop. Large CSR
//! matrices with few distinct values are multiplied in value-indexed form
//! (same bits, less memory traffic). When the
//! recursive residual reaches the tolerance the true residual `b − A x` is
//! computed; if rounding made the two disagree, CG restarts from the true
//! residual instead of reporting a false convergence.

use super::kernels::{cg_step, cg_step_jacobi, dot, update_direction};
use super::precond::{Built, Setup};
use super::value_indexed::ValueIndexed;
use super::{
    IterResult, Operator, Precond, Status, check_system, finish, true_residual, zero_solution,
};
use crate::error::Result;
use crate::positive;

/// Solves `A x = b` for an SPD operator `A` by conjugate gradients from `x = 0`,
/// until `‖b − A x‖ / ‖b‖ <= tol` or `max_iters` iterations.
///
/// [`Precond::Jacobi`] needs a known diagonal (CSR, dense, or a [`super::MatrixFree`]
/// given one); [`Precond::Ic0`] needs a [`crate::Csr`]. `pᵀ A p <= 0` stops with
/// [`Status::NotSpd`]; an indefinite preconditioner (`rᵀ z <= 0`) with
/// [`Status::Breakdown`].
pub fn cg(
    a: &dyn Operator,
    b: &[f64],
    tol: f64,
    max_iters: usize,
    precond: Precond,
) -> Result<IterResult> {
    const OP: &str = "cg";
    let bnorm = check_system(OP, a, b, tol)?;
    let n = a.n();
    let built = match precond.build(a)? {
        Setup::Ready(built) => built,
        Setup::NotSpd => {
            return Ok(IterResult {
                x: vec![0.0; n],
                iters: 0,
                residual: 1.0,
                status: Status::NotSpd,
                matvecs: 0,
            });
        }
    };
    if bnorm == 0.0 {
        return Ok(zero_solution(n));
    }
    let target = tol * bnorm;
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut q = vec![0.0; n];
    let mut z = match built {
        Built::None => Vec::new(),
        _ => vec![0.0; n],
    };
    let mut matvecs = 0usize;
    let mut iters = 0usize;
    let compact = a.as_csr().and_then(ValueIndexed::new);

    // Starts (or restarts) from the residual in `r`: z = M⁻¹ r, p = z; returns (rᵀr, rᵀz).
    let precondition = |r: &[f64], z: &mut [f64]| -> (f64, f64) {
        match &built {
            Built::None => {
                let rr = dot(r, r);
                (rr, rr)
            }
            Built::Jacobi(inv) => {
                for ((zi, ri), di) in z.iter_mut().zip(r).zip(inv) {
                    *zi = ri * di;
                }
                (dot(r, r), dot(r, z))
            }
            Built::Ic0(ic) => {
                ic.apply(r, z);
                (dot(r, r), dot(r, z))
            }
        }
    };
    let (mut rr, mut rz) = precondition(&r, &mut z);
    let mut p = match built {
        Built::None => r.clone(),
        _ => z.clone(),
    };
    let status = loop {
        if !rr.is_finite() || !rz.is_finite() {
            break Status::NonFinite;
        }
        if rr.sqrt() <= target {
            let rel = true_residual(a, b, &x, &mut r, bnorm);
            matvecs += 1;
            if !rel.is_finite() {
                break Status::NonFinite;
            }
            if rel <= tol {
                return Ok(IterResult {
                    x,
                    iters,
                    residual: rel,
                    status: Status::Converged,
                    matvecs,
                });
            }
            (rr, rz) = precondition(&r, &mut z);
            match built {
                Built::None => p.copy_from_slice(&r),
                _ => p.copy_from_slice(&z),
            }
            continue;
        }
        if !positive(rz) {
            break Status::Breakdown;
        }
        if iters >= max_iters {
            break Status::MaxIters;
        }
        let pq = match &compact {
            Some(c) => c.spmv_dot(&p, &mut q),
            None => a.apply_dot(&p, &mut q),
        };
        matvecs += 1;
        if !pq.is_finite() {
            break Status::NonFinite;
        }
        if pq <= 0.0 {
            break Status::NotSpd;
        }
        let alpha = rz / pq;
        let rz_new = match &built {
            Built::None => {
                rr = cg_step(&mut x, &mut r, &p, &q, alpha);
                rr
            }
            Built::Jacobi(inv) => {
                let (a_rr, a_rz) = cg_step_jacobi(&mut x, &mut r, &mut z, &p, &q, inv, alpha);
                rr = a_rr;
                a_rz
            }
            Built::Ic0(ic) => {
                rr = cg_step(&mut x, &mut r, &p, &q, alpha);
                ic.apply(&r, &mut z);
                dot(&r, &z)
            }
        };
        iters += 1;
        if rr.sqrt() <= target || !rr.is_finite() || !rz_new.is_finite() {
            rz = rz_new;
            continue;
        }
        if !positive(rz_new) {
            break Status::Breakdown;
        }
        let beta = rz_new / rz;
        rz = rz_new;
        match &built {
            Built::None => update_direction(&mut p, &r, beta),
            _ => update_direction(&mut p, &z, beta),
        }
    };
    Ok(finish(a, b, x, &mut r, bnorm, (iters, matvecs), status))
}

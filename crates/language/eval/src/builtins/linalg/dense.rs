//! Dense `linalg` members (NumPy names): solves, determinants, factorizations.
//! A sparse `A` in `linalg.solve` is a sparse direct solve.

use super::{check, record, vector};
use crate::builtins::{Args, Entry};
use crate::convert::from_tensor;
use crate::evaluator::{EvalResult, Interp};
use crate::value::Value;
use optl_linalg::{Csr, dense, sparse};
use std::rc::Rc;

pub(super) const TABLE: &[Entry] = &[
    (
        "linalg.solve",
        "A, b",
        solve,
        "The solution of A x = b (batched; b a vector or a matrix of right-hand sides); a sparse A is solved by sparse Cholesky when symmetric, sparse LU otherwise. Traceable and differentiable.",
    ),
    (
        "linalg.lstsq",
        "A, b, rcond?",
        lstsq,
        "Least-squares solution of A x ≈ b by SVD: the record {x, residuals, rank, s}; singular values below rcond·max(s) count as zero (default machine epsilon · max(m, n)).",
    ),
    (
        "linalg.cholesky",
        "A",
        cholesky,
        "The lower-triangular L with A = L Lᵀ for a symmetric positive definite A (batched). Traceable and differentiable.",
    ),
    (
        "linalg.qr",
        "A",
        qr,
        "Thin QR factorization: the record {q, r} with A = q r, q orthonormal columns, r upper triangular (batched).",
    ),
    (
        "linalg.svd",
        "A",
        svd,
        "Thin singular value decomposition: the record {u, s, vt} with A = u diag(s) vt, s descending (batched).",
    ),
    (
        "linalg.eigh",
        "A",
        eigh,
        "Eigendecomposition of a symmetric A: the record {values, vectors}, values ascending, A vectors = vectors diag(values) (batched).",
    ),
    (
        "linalg.det",
        "A",
        det,
        "The determinant (batched); 0 for a singular matrix.",
    ),
    (
        "linalg.slogdet",
        "A",
        slogdet,
        "Sign and log of the absolute determinant: the record {sign, logabsdet} (batched).",
    ),
    (
        "linalg.logdet",
        "A",
        logdet,
        "log det A for a matrix with positive determinant (batched); an error otherwise. Traceable and differentiable.",
    ),
    (
        "linalg.inv",
        "A",
        inv,
        "The inverse of a nonsingular matrix (batched).",
    ),
    (
        "linalg.pinv",
        "A, rcond?",
        pinv,
        "The Moore–Penrose pseudo-inverse by SVD; singular values at most rcond·max(s) are dropped (default rcond 1e-15, as NumPy).",
    ),
    (
        "linalg.nuclear_norm",
        "A",
        nuclear_norm,
        "The sum of the singular values (batched).",
    ),
];

fn matrix(interp: &Interp, args: &Args, i: usize) -> EvalResult<Rc<crate::tensor::Tensor>> {
    args.tensor(i, interp)
}

fn rcond(args: &Args, i: usize) -> EvalResult<Option<f64>> {
    if args.has(i) {
        args.float(i).map(Some)
    } else {
        Ok(None)
    }
}

fn solve(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if let Value::Sparse(a) = args.value(0) {
        let b = matrix(interp, &args, 1)?;
        return sparse_solve(a, &b, &args);
    }
    let (a, b) = (matrix(interp, &args, 0)?, matrix(interp, &args, 1)?);
    Ok(from_tensor(check(dense::solve(&a, &b), &args)?))
}

/// A sparse direct solve with a vector right-hand side: Cholesky for a symmetric
/// matrix that turns out positive definite, LU otherwise.
fn sparse_solve(a: &Csr, b: &crate::tensor::Tensor, args: &Args) -> EvalResult<Value> {
    if b.ndim() != 1 {
        return Err(super::error(
            optl_linalg::Error::BadShape {
                op: "solve",
                shape: b.shape().to_vec(),
                reason: "a sparse solve takes one right-hand side vector",
            },
            args.span(1),
        ));
    }
    let rhs: Vec<f64> = b.iter().copied().collect();
    let x = if a.is_symmetric(dense::SYMMETRY_RTOL) {
        match sparse::solve_spd(a, &rhs) {
            Err(optl_linalg::Error::NotPositiveDefinite { .. }) => sparse::solve_lu(a, &rhs),
            other => other,
        }
    } else {
        sparse::solve_lu(a, &rhs)
    };
    Ok(vector(check(x, args)?))
}

fn lstsq(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (a, b) = (matrix(interp, &args, 0)?, matrix(interp, &args, 1)?);
    let r = check(dense::lstsq(&a, &b, rcond(&args, 2)?), &args)?;
    Ok(record(vec![
        ("x", from_tensor(r.x)),
        ("residuals", Value::tensor(r.residuals)),
        ("rank", Value::Int(r.rank as i64)),
        ("s", Value::tensor(r.s)),
    ]))
}

fn cholesky(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(Value::tensor(check(dense::cholesky(&a), &args)?))
}

fn qr(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    let f = check(dense::qr(&a), &args)?;
    Ok(record(vec![
        ("q", Value::tensor(f.q)),
        ("r", Value::tensor(f.r)),
    ]))
}

fn svd(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    let f = check(dense::svd(&a), &args)?;
    Ok(record(vec![
        ("u", Value::tensor(f.u)),
        ("s", Value::tensor(f.s)),
        ("vt", Value::tensor(f.vt)),
    ]))
}

fn eigh(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    let f = check(dense::eigh(&a), &args)?;
    Ok(record(vec![
        ("values", Value::tensor(f.values)),
        ("vectors", Value::tensor(f.vectors)),
    ]))
}

fn det(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(from_tensor(check(dense::det(&a), &args)?))
}

fn slogdet(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    let f = check(dense::slogdet(&a), &args)?;
    Ok(record(vec![
        ("sign", from_tensor(f.sign)),
        ("logabsdet", from_tensor(f.logabsdet)),
    ]))
}

fn logdet(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(from_tensor(check(dense::logdet(&a), &args)?))
}

fn inv(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(Value::tensor(check(dense::inv(&a), &args)?))
}

fn pinv(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(Value::tensor(check(
        dense::pinv(&a, rcond(&args, 1)?),
        &args,
    )?))
}

fn nuclear_norm(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let a = matrix(interp, &args, 0)?;
    Ok(from_tensor(check(dense::nuclear_norm(&a), &args)?))
}

//! Iterative `linalg` members (`cg`, `gmres`, `sor`) and the operators they run on:
//! a dense matrix, a sparse one, or an OptL function `x -> A x` (matrix-free).

use super::{check, record, vector};
use crate::builtins::{Args, Entry};
use crate::convert::to_tensor;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::Value;
use optl_linalg::iterative::{DenseMatrix, IterResult, MatrixFree, Operator, Precond, Status};
use optl_syntax::Diagnostic;
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::cell::RefCell;

pub(super) const TABLE: &[Entry] = &[
    (
        "linalg.cg",
        "A, b, tol?, max_iters?, precond?",
        cg,
        "Conjugate gradients for a symmetric positive definite A (dense, sparse or a function x -> A x) from x = 0 to ‖b − A x‖/‖b‖ ≤ tol (default 1e-8), at most max_iters steps (default 10·n); precond \"none\" (default), \"jacobi\" or \"ic0\" (sparse A). The record {x, iters, residual, status, matvecs}.",
    ),
    (
        "linalg.gmres",
        "A, b, restart?, tol?, max_iters?",
        gmres,
        "GMRES restarted every `restart` steps (default 20) for any nonsingular A (dense, sparse or a function), to tol (default 1e-8) within max_iters Arnoldi steps (default 10·n). The record {x, iters, residual, status, matvecs}.",
    ),
    (
        "linalg.sor",
        "A, b, omega?, tol?, max_iters?",
        sor,
        "Successive over-relaxation with omega in (0, 2) (default 1, Gauss–Seidel) for a dense or sparse A with a nonzero diagonal, to tol (default 1e-8) within max_iters sweeps (default 10000). The record {x, iters, residual, status, matvecs}.",
    ),
];

/// Default relative residual tolerance of the iterative solvers.
pub(super) const DEFAULT_TOL: f64 = 1e-8;

/// An operator taken from a value: what `A` may be in the iterative solvers.
pub(super) enum Matrix {
    Dense(DenseMatrix),
    Sparse(std::rc::Rc<optl_linalg::Csr>),
}

impl Matrix {
    /// A dense or sparse matrix value; `None` for a function (matrix-free).
    pub(super) fn of(interp: &Interp, v: &Value, span: Span) -> EvalResult<Option<Matrix>> {
        match v {
            Value::Sparse(a) => Ok(Some(Matrix::Sparse(a.clone()))),
            Value::Func(_) => Ok(None),
            other => {
                let t = to_tensor(other, span, interp.limits.max_elements)?;
                let m = DenseMatrix::from_tensor(&t).map_err(|e| super::error(e, span))?;
                Ok(Some(Matrix::Dense(m)))
            }
        }
    }

    pub(super) fn operator(&self) -> &dyn Operator {
        match self {
            Matrix::Dense(m) => m,
            Matrix::Sparse(m) => &**m,
        }
    }
}

/// The right-hand side in slot `i` as a vector.
pub(super) fn rhs(interp: &Interp, args: &Args, i: usize) -> EvalResult<Vec<f64>> {
    let t = args.tensor(i, interp)?;
    if t.ndim() != 1 {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "expected a right-hand side vector, found shape {:?}",
                t.shape()
            ),
            args.span(i),
            "not a vector",
        ));
    }
    Ok(t.iter().copied().collect())
}

/// Runs `solve` on the operator `A` of slot 0: a matrix, or an OptL function called
/// for each product (its first error stops the solve and is returned).
fn with_operator(
    interp: &mut Interp,
    args: &Args,
    n: usize,
    solve: impl FnOnce(&dyn Operator) -> optl_linalg::Result<IterResult>,
) -> EvalResult<IterResult> {
    let a = args.value(0).clone();
    if let Some(m) = Matrix::of(interp, &a, args.span(0))? {
        return check(solve(m.operator()), args);
    }
    let span = args.span(0);
    let state = RefCell::new((interp, None::<Box<Diagnostic>>));
    let product = |x: &[f64], y: &mut [f64]| {
        let (interp, failed) = &mut *state.borrow_mut();
        if failed.is_some() {
            y.fill(f64::NAN);
            return;
        }
        match apply(interp, &a, x, n, span) {
            Ok(v) => y.copy_from_slice(&v),
            Err(e) => {
                *failed = Some(e);
                y.fill(f64::NAN);
            }
        }
    };
    let result = solve(&MatrixFree::new(n, product));
    if let Some(e) = state.into_inner().1 {
        return Err(e);
    }
    check(result, args)
}

/// One product `A x` by the OptL function `f`, checked to be a vector of length `n`.
fn apply(interp: &mut Interp, f: &Value, x: &[f64], n: usize, span: Span) -> EvalResult<Vec<f64>> {
    let arg = super::vector(x.to_vec());
    let y = interp.call_positional(f, vec![arg], span)?;
    let t = match &y {
        Value::Tensor(t) if t.shape() == [n] => t.clone(),
        other => {
            return Err(err_label(
                codes::SHAPE_MISMATCH,
                format!(
                    "the operator must map a vector of length {n} to one of length {n}, it gave {}",
                    a_type(other)
                ),
                span,
                "this function is A",
            ));
        }
    };
    Ok(t.iter().copied().collect())
}

/// The solver's result as the record `{x, iters, residual, status, matvecs}`.
pub(super) fn result_record(r: IterResult) -> Value {
    record(vec![
        ("x", vector(r.x)),
        ("iters", Value::Int(r.iters as i64)),
        ("residual", Value::Float(r.residual)),
        ("status", Value::str(status_name(r.status))),
        ("matvecs", Value::Int(r.matvecs as i64)),
    ])
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Converged => "converged",
        Status::MaxIters => "max_iters",
        Status::Breakdown => "breakdown",
        Status::NotSpd => "not_spd",
        Status::NonFinite => "non_finite",
    }
}

pub(super) fn precond(args: &Args, i: usize) -> EvalResult<Precond> {
    if !args.has(i) {
        return Ok(Precond::None);
    }
    match &*args.str(i)? {
        "none" => Ok(Precond::None),
        "jacobi" => Ok(Precond::Jacobi),
        "ic0" => Ok(Precond::Ic0),
        other => Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                format!("unknown preconditioner \"{other}\""),
                args.span(i),
                "not a preconditioner",
            ))
            .hint("precond is \"none\", \"jacobi\" or \"ic0\""),
        )),
    }
}

fn cg(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let b = rhs(interp, &args, 1)?;
    let n = b.len();
    let tol = args.opt_float(2, DEFAULT_TOL)?;
    let max_iters = args.opt_positive(3, 10 * n.max(1))?;
    let precond = precond(&args, 4)?;
    let r = with_operator(interp, &args, n, |a| {
        optl_linalg::cg(a, &b, tol, max_iters, precond)
    })?;
    Ok(result_record(r))
}

fn gmres(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let b = rhs(interp, &args, 1)?;
    let n = b.len();
    let restart = args.opt_positive(2, 20)?;
    let tol = args.opt_float(3, DEFAULT_TOL)?;
    let max_iters = args.opt_positive(4, 10 * n.max(1))?;
    let r = with_operator(interp, &args, n, |a| {
        optl_linalg::gmres(a, &b, restart, tol, max_iters)
    })?;
    Ok(result_record(r))
}

fn sor(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let b = rhs(interp, &args, 1)?;
    let n = b.len();
    let omega = args.opt_float(2, 1.0)?;
    let tol = args.opt_float(3, DEFAULT_TOL)?;
    let max_iters = args.opt_positive(4, 10_000)?;
    let r = with_operator(interp, &args, n, |a| {
        optl_linalg::sor(a, &b, omega, tol, max_iters)
    })?;
    Ok(result_record(r))
}

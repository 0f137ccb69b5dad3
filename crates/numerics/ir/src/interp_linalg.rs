//! The interpreter's linear-algebra operations (`solve`, `logdet`, `cholesky`),
//! computed by `optl_linalg::dense` (faer's factorizations, bit-for-bit
//! reproducible).
//!
//! Numerical failures are errors, never NaN: a singular (or too ill-conditioned)
//! matrix for `solve` (reciprocal condition estimate below machine epsilon), a
//! determinant that is not positive for `logdet`, a matrix that is not symmetric or
//! not positive definite for `cholesky`, and NaN or infinity in any input. They are
//! [`IrError::Linalg`] carrying `optl_linalg::Error` (shape problems
//! [`IrError::Shape`]), whose text reads e.g. `solve: matrix is singular to working
//! precision (rcond = 0e0)`.

use optl_tensor::Tensor;

use crate::graph::{IrError, IrResult, Node, Op, shape_text};

/// An `optl_linalg` failure as an IR evaluation error with the same text.
pub(crate) fn linalg_error(e: optl_linalg::Error) -> IrError {
    match e {
        optl_linalg::Error::Shape { .. } | optl_linalg::Error::BadShape { .. } => {
            IrError::Shape(e.to_string())
        }
        other => IrError::Linalg(other),
    }
}

/// Whether `t` is a square matrix `[n, n]`.
fn square(t: &Tensor) -> bool {
    t.ndim() == 2 && t.shape()[0] == t.shape()[1]
}

/// Evaluates a `Solve`, `LogDet` or `Cholesky` node from its argument values. The
/// shapes are checked here too (a graph made with `Graph::push` may be malformed), so
/// that `optl_linalg`'s batching never applies.
pub(crate) fn eval(node: &Node, args: &[&Tensor], limit: usize) -> IrResult<Tensor> {
    use optl_linalg::dense;
    optl_tensor::check_limit(&node.shape, limit).map_err(|e| IrError::Invalid(e.to_string()))?;
    let bad = |what: &str| {
        let shapes: Vec<String> = args.iter().map(|a| shape_text(a.shape())).collect();
        Err(IrError::Shape(format!(
            "`{:?}` needs {what}, got {}",
            node.op,
            shapes.join(" and ")
        )))
    };
    match (&node.op, args) {
        (Op::Solve, [a, b]) => {
            let fits = square(a) && matches!(b.ndim(), 1 | 2) && b.shape()[0] == a.shape()[0];
            if !fits {
                return bad("a [n, n] matrix and a [n] or [n, k] right-hand side");
            }
            dense::solve(a, b).map_err(linalg_error)
        }
        (Op::LogDet, [a]) if square(a) => dense::logdet(a).map_err(linalg_error),
        (Op::Cholesky, [a]) if square(a) => dense::cholesky(a).map_err(linalg_error),
        (Op::LogDet | Op::Cholesky, [_]) => bad("a square matrix [n, n]"),
        (Op::NuclearNorm, [a]) if a.ndim() == 2 => dense::nuclear_norm(a).map_err(linalg_error),
        (Op::NuclearNormGrad, [a]) if a.ndim() == 2 => {
            dense::nuclear_norm_grad(a).map_err(linalg_error)
        }
        (Op::NuclearNorm | Op::NuclearNormGrad, [_]) => bad("a matrix [m, n]"),
        (op, _) => Err(IrError::Invalid(format!(
            "`{op:?}` with {} arguments",
            args.len()
        ))),
    }
}

#[cfg(test)]
#[path = "interp_linalg_tests.rs"]
mod tests;

//! Reverse-mode rules of the linear-algebra operations, built (like every adjoint in
//! `ad.rs`) from IR nodes in the value's graph, so they differentiate again (`hvp`).
//!
//! With `ȳ` the adjoint of the result:
//! - `x = solve(A, b)`: `b̄ = solve(Aᵀ, x̄)` and `Ā = −b̄ xᵀ` (an outer product, through
//!   `[n, 1] @ [1, n]`, for a vector `b`).
//! - `y = logdet(A)`: `Ā = ȳ · A⁻ᵀ`, with `A⁻ᵀ = solve(Aᵀ, I)`.
//! - `L = cholesky(A)`: `P = Φ(Lᵀ L̄)`, where `Φ` keeps the lower triangle and halves
//!   the diagonal; `S = L⁻ᵀ P L⁻¹` (two solves with `Lᵀ`); `Ā = ½ (S + Sᵀ)`.
//! - `y = sparse_matvec(indptr, indices, values, x)` (`A x`, or `Aᵀ x`): `x̄` is the
//!   product of `ȳ` with the same constant matrix in the other orientation (`Aᵀ ȳ`,
//!   or `A ȳ`); the three constants get nothing.
//!
//! **Convention for `cholesky`:** its argument is taken to be symmetric (the
//! interpreter refuses any other), so `Ā` is the *symmetric* gradient: the
//! derivative along a symmetric perturbation `E` is `sum(Ā * E)`. Perturbing `A_ij`
//! and `A_ji` together changes the value by `Ā_ij + Ā_ji` (times the step); an
//! unsymmetric perturbation is not meaningful.

use ndarray::Array2;

use crate::graph::{BinaryOp, Graph, IrError, IrResult, NodeId, UnaryOp};

/// The order `n` of a square matrix node.
fn order(g: &Graph, a: NodeId) -> IrResult<usize> {
    match g.shape(a) {
        &[n, m] if n == m => Ok(n),
        s => Err(IrError::Shape(format!(
            "expected a square matrix, got shape {}",
            crate::graph::shape_text(s)
        ))),
    }
}

/// The contributions of `x = solve(a, b)` (node `x`, adjoint `ga`) to `a` and `b`;
/// `a`'s only when `need_a`.
pub(crate) fn solve(
    g: &mut Graph,
    x: NodeId,
    a: NodeId,
    ga: NodeId,
    need_a: bool,
) -> IrResult<Vec<Option<NodeId>>> {
    let at = g.transpose(a);
    let gb = g.solve(at, ga)?;
    if !need_a {
        return Ok(vec![None, Some(gb)]);
    }
    let outer = if g.shape(x).len() == 1 {
        let n = order(g, a)?;
        let col = g.reshape(gb, &[n, 1])?;
        let row = g.reshape(x, &[1, n])?;
        g.matmul(col, row)?
    } else {
        let xt = g.transpose(x);
        g.matmul(gb, xt)?
    };
    Ok(vec![Some(g.unary(UnaryOp::Neg, outer)), Some(gb)])
}

/// The contribution of `y = logdet(a)` (adjoint `ga`, a scalar) to `a`: `ga · a⁻ᵀ`.
pub(crate) fn logdet(g: &mut Graph, a: NodeId, ga: NodeId) -> IrResult<NodeId> {
    let n = order(g, a)?;
    let eye = g.constant(Array2::<f64>::eye(n).into_dyn());
    let at = g.transpose(a);
    let inv_t = g.solve(at, eye)?;
    let gb = g.broadcast(ga, &[n, n])?;
    g.binary(BinaryOp::Mul, gb, inv_t)
}

/// The contribution of `l = cholesky(a)` (node `l`, adjoint `ga`) to `a`: the
/// symmetric gradient (see the module documentation).
pub(crate) fn cholesky(g: &mut Graph, l: NodeId, ga: NodeId) -> IrResult<NodeId> {
    let n = order(g, l)?;
    let lt = g.transpose(l);
    let p = g.matmul(lt, ga)?;
    // Φ: the lower triangle, with the diagonal halved.
    let mask = Array2::from_shape_fn((n, n), |(i, j)| match i.cmp(&j) {
        std::cmp::Ordering::Greater => 1.0,
        std::cmp::Ordering::Equal => 0.5,
        std::cmp::Ordering::Less => 0.0,
    });
    let mask = g.constant(mask.into_dyn());
    let p = g.binary(BinaryOp::Mul, p, mask)?;
    // S = L⁻ᵀ P L⁻¹ = (L⁻ᵀ (L⁻ᵀ P)ᵀ)ᵀ.
    let left = g.solve(lt, p)?;
    let left_t = g.transpose(left);
    let s_t = g.solve(lt, left_t)?;
    let s = g.transpose(s_t);
    let sum = g.binary(BinaryOp::Add, s, s_t)?;
    let half = g.full(0.5, &[n, n]);
    g.binary(BinaryOp::Mul, sum, half)
}

/// The contribution of `y = sparse_matvec(indptr, indices, values, x)` (with these
/// `args`, `ncols` and `transpose`; adjoint `ga`) to `x`: the product with the other
/// orientation of the same matrix.
pub(crate) fn sparse_matvec(
    g: &mut Graph,
    args: &[NodeId],
    ga: NodeId,
    ncols: usize,
    transpose: bool,
) -> IrResult<NodeId> {
    let &[indptr, indices, values, _] = args else {
        return Err(IrError::Invalid(format!(
            "sparse_matvec with {} arguments",
            args.len()
        )));
    };
    g.sparse_matvec(indptr, indices, values, ga, ncols, !transpose)
}

#[cfg(test)]
#[path = "ad_linalg_tests.rs"]
mod tests;

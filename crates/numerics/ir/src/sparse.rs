//! The sparse matrix–vector product `sparse_matvec` ([`Op::SparseMatVec`]): a
//! constant sparse matrix `A` `[m, ncols]` in CSR form, given as three constant
//! tensors of integers stored as `f64` (`indptr` `[m + 1]`, `indices` `[nnz]`, the
//! column of each stored entry, and `values` `[nnz]`), times a vector `x`.
//!
//! - `transpose = false`: `x` is `[ncols]` and `y_i = Σ_{k in indptr[i]..indptr[i+1]}
//!   values[k] · x[indices[k]]`, summed from `0.0` in storage order.
//! - `transpose = true`: `x` is `[m]` and `y = Aᵀ x` `[ncols]`, scattered from zeros
//!   in row order (`y[indices[k]] += values[k] · x[i]`).
//!
//! Both are the arithmetic of `optl_linalg`'s `CsrMatrix::matvec` and
//! `matvec_transpose`, so a traced product gives the same bits as an eager one. The
//! builder checks the structure (`indptr` starts at 0, does not decrease and ends at
//! `nnz`; every index is an integer below `ncols`); the interpreter checks it again
//! as it goes (a graph made with `Graph::push` may be malformed) and never panics.

use optl_tensor::Tensor;

use crate::graph::{IrError, IrResult, Node, Op, shape_text};

/// The number of rows `m` of the CSR matrix whose `indptr`, `indices` and `values`
/// have these shapes, checked to be 1-d of lengths `m + 1 ≥ 1`, `nnz` and `nnz`.
/// `x` is only named in the error.
pub(crate) fn rows(
    indptr: &[usize],
    indices: &[usize],
    values: &[usize],
    ncols: usize,
    x: &[usize],
) -> IrResult<usize> {
    match (indptr, indices, values) {
        (&[p], &[a], &[b]) if p >= 1 && a == b => Ok(p - 1),
        _ => {
            let m = match indptr {
                &[p] if p >= 1 => (p - 1).to_string(),
                _ => "?".to_string(),
            };
            Err(IrError::Shape(format!(
                "sparse_matvec: indptr, indices and values of shapes {}, {} and {} do not \
                 make a CSR matrix of shape [{m}, {ncols}] (they need [m + 1], [nnz] and \
                 [nnz]); x has shape {}",
                shape_text(indptr),
                shape_text(indices),
                shape_text(values),
                shape_text(x)
            )))
        }
    }
}

/// The shape `[len]` `x` must have, checked: `[ncols]`, or `[m]` for the transpose.
pub(crate) fn check_x(m: usize, ncols: usize, transpose: bool, x: &[usize]) -> IrResult<()> {
    let len = if transpose { m } else { ncols };
    if x == [len] {
        return Ok(());
    }
    let what = if transpose { "the transpose of " } else { "" };
    Err(IrError::Shape(format!(
        "sparse_matvec: {what}a matrix of shape [{m}, {ncols}] times x of shape {}: x must \
         have shape [{len}]",
        shape_text(x)
    )))
}

/// `indptr[i]` as an offset, checked to be an integer in `0..=nnz`.
#[inline]
fn offset(indptr: &[f64], i: usize, nnz: usize) -> IrResult<usize> {
    let v = indptr[i];
    if v >= 0.0 && v <= nnz as f64 && v.fract() == 0.0 {
        Ok(v as usize)
    } else {
        Err(bad_offset(i, v, nnz))
    }
}

#[cold]
fn bad_offset(i: usize, v: f64, nnz: usize) -> IrError {
    IrError::Invalid(format!(
        "sparse_matvec: indptr[{i}] = {v} is not an offset in 0..={nnz}"
    ))
}

/// `indices[k]` as a column, checked to be an integer in `0..ncols`.
#[inline]
fn column(indices: &[f64], k: usize, ncols: usize) -> IrResult<usize> {
    let v = indices[k];
    if v >= 0.0 && v < ncols as f64 && v.fract() == 0.0 {
        Ok(v as usize)
    } else {
        Err(bad_column(k, v, ncols))
    }
}

#[cold]
fn bad_column(k: usize, v: f64, ncols: usize) -> IrError {
    IrError::Invalid(format!(
        "sparse_matvec: indices[{k}] = {v} is not a column index in 0..{ncols}"
    ))
}

/// Walks the stored entries row by row, in storage order, checking the structure:
/// `visit(i, k, j)` for entry `k` of row `i` in column `j`. An error stops the
/// walk at the first problem found.
#[inline]
fn walk(
    indptr: &[f64],
    indices: &[f64],
    ncols: usize,
    mut visit: impl FnMut(usize, usize, usize),
) -> IrResult<()> {
    let nnz = indices.len();
    if indptr.is_empty() {
        return Err(IrError::Invalid("sparse_matvec: indptr is empty".into()));
    }
    let mut lo = offset(indptr, 0, nnz)?;
    if lo != 0 {
        return Err(IrError::Invalid(format!(
            "sparse_matvec: indptr[0] = {lo} must be 0"
        )));
    }
    for i in 1..indptr.len() {
        let hi = offset(indptr, i, nnz)?;
        if hi < lo {
            return Err(IrError::Invalid(format!(
                "sparse_matvec: indptr decreases from {lo} to {hi} at indptr[{i}]"
            )));
        }
        for k in lo..hi {
            visit(i - 1, k, column(indices, k, ncols)?);
        }
        lo = hi;
    }
    if lo != nnz {
        return Err(IrError::Invalid(format!(
            "sparse_matvec: indptr ends at {lo}, not at nnz = {nnz}"
        )));
    }
    Ok(())
}

/// Checks the contents of a CSR structure whose shapes [`rows`] accepted.
pub(crate) fn check_contents(indptr: &Tensor, indices: &Tensor, ncols: usize) -> IrResult<()> {
    let (p, j) = (
        optl_tensor::contiguous(indptr),
        optl_tensor::contiguous(indices),
    );
    walk(&p, &j, ncols, |_, _, _| {})
}

/// Evaluates a `SparseMatVec` node from its argument values, checking everything
/// (shapes, structure) on the way.
pub(crate) fn eval(node: &Node, args: &[&Tensor], limit: usize) -> IrResult<Tensor> {
    let Op::SparseMatVec { ncols, transpose } = node.op else {
        return Err(IrError::Invalid(format!("`{:?}` is not sparse", node.op)));
    };
    let &[indptr, indices, values, x] = args else {
        return Err(IrError::Invalid(format!(
            "`{:?}` with {} arguments",
            node.op,
            args.len()
        )));
    };
    let m = rows(
        indptr.shape(),
        indices.shape(),
        values.shape(),
        ncols,
        x.shape(),
    )?;
    check_x(m, ncols, transpose, x.shape())?;
    let out = if transpose { ncols } else { m };
    optl_tensor::check_limit(&[out], limit).map_err(|e| IrError::Invalid(e.to_string()))?;
    let (p, j) = (
        optl_tensor::contiguous(indptr),
        optl_tensor::contiguous(indices),
    );
    let (v, x) = (optl_tensor::contiguous(values), optl_tensor::contiguous(x));
    let mut y = vec![0.0; out];
    // Indices are in range once `walk` hands them over: i < m, k < nnz, j < ncols.
    if transpose {
        walk(&p, &j, ncols, |i, k, col| y[col] += v[k] * x[i])?;
    } else {
        walk(&p, &j, ncols, |i, k, col| y[i] += v[k] * x[col])?;
    }
    optl_tensor::from_vec(&[out], y).map_err(|e| IrError::Invalid(e.to_string()))
}

#[cfg(test)]
#[path = "sparse_tests.rs"]
mod tests;

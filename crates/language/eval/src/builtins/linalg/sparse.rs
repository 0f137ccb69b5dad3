//! Sparse matrices in the prelude: `sparse` (CSR from triplets, duplicates
//! summed), `load_mtx` (Matrix Market) and `todense`.

use super::check;
use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_linalg::{Csr, mtx};
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

pub(in crate::builtins) const TABLE: &[Entry] = &[
    (
        "sparse",
        "rows, cols, vals, shape",
        sparse,
        "A sparse matrix (CSR) of `shape` [m, n] with vals[k] at (rows[k], cols[k]); entries given twice are summed (as scipy.sparse).",
    ),
    (
        "load_mtx",
        "path",
        load_mtx,
        "A Matrix Market file (coordinate or array; real, integer or pattern; general, symmetric or skew-symmetric) as a sparse matrix.",
    ),
    (
        "todense",
        "A",
        todense,
        "A sparse matrix as a dense 2-d tensor (a tensor is returned as it is).",
    ),
];

/// Non-negative indices from slot `i`.
fn indices(args: &Args, i: usize) -> EvalResult<Vec<usize>> {
    args.int_list(i)?
        .into_iter()
        .map(|k| {
            usize::try_from(k).map_err(|_| {
                err_label(
                    codes::INDEX_OUT_OF_BOUNDS,
                    format!("sparse indices start at 0, found {k}"),
                    args.span(i),
                    "a negative index",
                )
            })
        })
        .collect()
}

fn sparse(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (rows, cols) = (indices(&args, 0)?, indices(&args, 1)?);
    let vals: Vec<f64> = args.tensor(2, interp)?.iter().copied().collect();
    let shape = args.shape(3)?;
    let &[m, n] = shape.as_slice() else {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!("a sparse matrix has a 2-d shape, found {shape:?}"),
            args.span(3),
            "not [rows, cols]",
        ));
    };
    if rows.len() != cols.len() || rows.len() != vals.len() {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "rows, cols and vals must have one length, found {}, {} and {}",
                rows.len(),
                cols.len(),
                vals.len()
            ),
            args.span,
            "one entry per (row, col, val)",
        ));
    }
    let a = Csr::from_triplets(&rows, &cols, &vals, (m, n)).map_err(|e| match e {
        optl_linalg::Error::IndexOutOfBounds {
            row, col, shape, ..
        } => optl_linalg::Error::IndexOutOfBounds {
            op: "sparse",
            row,
            col,
            shape,
        },
        other => other,
    });
    Ok(Value::Sparse(Rc::new(check(a, &args)?)))
}

fn load_mtx(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (path, bytes) = crate::builtins::data::read(interp, &args)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        err_label(
            codes::FILE_ERROR,
            format!("`{}` is not a text file", path.display()),
            args.span(0),
            "this file",
        )
    })?;
    let parsed = mtx::read_matrix_market(&text).and_then(|m| m.to_csr());
    let a = parsed.map_err(|e| {
        let d = super::error(e, args.span(0));
        Box::new((*d).hint(format!("while reading `{}`", path.display())))
    })?;
    Ok(Value::Sparse(Rc::new(a)))
}

fn todense(_: &mut Interp, args: Args) -> EvalResult<Value> {
    match args.value(0) {
        Value::Sparse(a) => Ok(Value::tensor(a.to_dense())),
        Value::Tensor(t) => Ok(Value::Tensor(t.clone())),
        other => Err(args.expected(0, "a sparse matrix", other)),
    }
}

/// `A @ x` for a sparse `A` and a vector or matrix `x` (ordinary values).
pub(crate) fn matmul(a: &Csr, x: &crate::tensor::Tensor, span: Span) -> EvalResult<Value> {
    let (m, n) = a.shape();
    let shape_error = || {
        err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "`@` of a sparse {m}x{n} matrix and a tensor of shape {:?}: the tensor needs {n} rows",
                x.shape()
            ),
            span,
            "shapes do not fit",
        )
    };
    match x.shape() {
        [len] if *len == n => {
            let v: Vec<f64> = x.iter().copied().collect();
            let y = a.matvec(&v).map_err(|e| super::error(e, span))?;
            Ok(super::vector(y))
        }
        [rows, k] if *rows == n => {
            let k = *k;
            let xs: Vec<f64> = x.iter().copied().collect();
            let mut out = vec![0.0; m * k];
            for i in 0..m {
                let (js, vs) = a.row(i);
                let row = &mut out[i * k..(i + 1) * k];
                for (&j, &v) in js.iter().zip(vs) {
                    let src = &xs[j as usize * k..(j as usize + 1) * k];
                    for (o, s) in row.iter_mut().zip(src) {
                        *o += v * s;
                    }
                }
            }
            let t = crate::tensor::from_vec(&[m, k], out)
                .map_err(|e| crate::convert::tensor_error(e, span))?;
            Ok(Value::tensor(t))
        }
        _ => Err(shape_error()),
    }
}

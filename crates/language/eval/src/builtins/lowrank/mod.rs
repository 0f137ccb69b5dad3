//! The low-rank builtins (`tucker`, `tucker_full`, `cp`, `complete`, `dict_learn`,
//! `sparse_code`): the language's binding of optl-lowrank. Arguments are converted
//! here; every check of shapes, ranks and values is optl-lowrank's, whose errors
//! become coded diagnostics in [`error`].

use super::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_lowrank::{
    CompletionMethod, CompletionOptions, CpOptions, Decomposition, Error, Observed, TuckerMethod,
    TuckerOptions,
};
use optl_syntax::Diagnostic;
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

mod dictionary;

/// The low-rank builtins.
pub(in crate::builtins) const TABLE: &[Entry] = &[
    (
        "tucker",
        "X, ranks, method?, max_iters?, tol?",
        tucker,
        "The Tucker decomposition of tensor X with one rank per mode: the record {core, factors, rel_error, iters, status}; method \"hooi\" (default, from the HOSVD) or \"hosvd\"; max_iters (default 100), tol on the change of rel_error (default 1e-10).",
    ),
    (
        "tucker_full",
        "core, factors",
        tucker_full,
        "The tensor core ×₁ F₁ ⋯ ×ₖ Fₖ of a Tucker core and its factors; a vector core with two or more factors is read as CP weights.",
    ),
    (
        "cp",
        "X, rank, max_iters?, tol?, seed?",
        cp,
        "The CP (CANDECOMP/PARAFAC) decomposition of X with rank components by alternating least squares: the record {core (the weights), factors (unit columns), rel_error, iters, status}; max_iters (default 200), tol (default 1e-10), seed (default 0).",
    ),
    (
        "complete",
        "M, mask?, rank?, method?, max_iters?, tol?, seed?, lam?, radius?",
        complete,
        "Low-rank completion of M from the entries where mask is nonzero (or the stored entries of a sparse M, mask left out): the record {u, v, rel_error_observed, iters, status, method} with M ≈ u @ transpose(v); method \"altmin\" (default) or \"nuclear_fw\"; max_iters (default 200), tol (default 1e-9), seed (default 0), lam (altmin ridge, default 0), radius (nuclear_fw ball).",
    ),
    (
        "dict_learn",
        "X, atoms, lam, method?, max_iters?, batch?, seed?",
        dictionary::dict_learn,
        "A dictionary of atoms unit rows for the rows of X with ℓ1-sparse codes: the record {dictionary, codes, objective, iters}; method \"online\" (default), \"batch\" or \"orthogonal_fw\"; max_iters (default 100), batch (default 256), seed (default 0).",
    ),
    (
        "sparse_code",
        "X, D, prior?, lam?, q?, max_iters?, tol?",
        dictionary::sparse_code,
        "The codes C minimizing ½‖X − C D‖² + lam·R(C) for a dictionary D [atoms, d]: the record {codes, objective, iters, status}; prior \"l1\" (default, FISTA), \"l0\" (iterative hard thresholding) or \"lq\" (ℓq prox, q default 0.5); lam (default 1.0), max_iters (default 1000), tol (default 1e-8).",
    ),
];

/// An optl-lowrank error as a coded diagnostic at `span`.
pub(crate) fn error(e: Error, span: Span) -> Box<Diagnostic> {
    let message = e.to_string();
    let (code, label, hint) = match &e {
        Error::Shape { .. } => (
            codes::SHAPE_MISMATCH,
            "shapes do not fit",
            "see the low-rank section of docs/stdlib.md for the shapes each input takes",
        ),
        Error::NonFinite { .. } => (
            codes::NON_FINITE_INPUT,
            "NaN or infinity here",
            "find where the value came from before decomposing",
        ),
        Error::Rank { .. } => (
            codes::INVALID_ARGUMENT,
            "rank out of range",
            "a rank is between 1 and the size it factors",
        ),
        Error::Unobserved { .. } => (
            codes::INVALID_ARGUMENT,
            "nothing observed there",
            "observe at least one entry in every row and column, or drop that row or column",
        ),
        Error::Invalid { .. } => (
            codes::INVALID_ARGUMENT,
            "invalid argument",
            "see the low-rank section of docs/stdlib.md",
        ),
    };
    Box::new((*err_label(code, message, span, label)).hint(hint))
}

fn check<T>(r: optl_lowrank::Result<T>, span: Span) -> EvalResult<T> {
    r.map_err(|e| error(e, span))
}

pub(super) fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::record(fields.into_iter().map(|(k, v)| (Rc::from(k), v)).collect())
}

fn tensor(t: optl_tensor::Tensor) -> Value {
    Value::tensor(t)
}

/// A non-negative seed from slot `i` (default 0).
pub(super) fn seed(args: &Args, i: usize) -> EvalResult<u64> {
    match args.opt_int(i)? {
        None => Ok(0),
        Some(s) => u64::try_from(s).map_err(|_| {
            err_label(
                codes::INVALID_ARGUMENT,
                format!("a seed is a non-negative Int, found {s}"),
                args.span(i),
                "negative",
            )
        }),
    }
}

/// A choice among `names` in slot `i` (default `names[0]`), as its index.
pub(super) fn choice(args: &Args, i: usize, what: &str, names: &[&str]) -> EvalResult<usize> {
    if !args.has(i) {
        return Ok(0);
    }
    let s = args.str(i)?;
    names.iter().position(|n| **n == *s).ok_or_else(|| {
        let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                format!("unknown {what} \"{s}\""),
                args.span(i),
                "not one of the choices",
            ))
            .hint(format!("{what} is {}", list.join(", "))),
        )
    })
}

fn decomposition(d: Decomposition) -> Value {
    record(vec![
        ("core", tensor(d.core)),
        (
            "factors",
            Value::list(d.factors.into_iter().map(tensor).collect()),
        ),
        ("rel_error", Value::Float(d.rel_error)),
        ("iters", Value::Int(d.iters as i64)),
        ("status", Value::str(d.status.as_str())),
    ])
}

fn tucker(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let x = args.tensor(0, interp)?;
    let ranks: Vec<usize> = args
        .int_list(1)?
        .into_iter()
        .map(|r| usize::try_from(r).unwrap_or(0))
        .collect();
    let mut o = TuckerOptions::default();
    o.method =
        [TuckerMethod::Hooi, TuckerMethod::Hosvd][choice(&args, 2, "method", &["hooi", "hosvd"])?];
    o.max_iters = args.opt_positive(3, o.max_iters)?;
    o.tol = args.opt_float(4, o.tol)?;
    let span = args.span;
    Ok(decomposition(check(
        optl_lowrank::tucker(&x, &ranks, &o),
        span,
    )?))
}

fn tucker_full(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let core = args.tensor(0, interp)?;
    let factors = match args.value(1) {
        Value::List(items) => items
            .iter()
            .map(|v| crate::convert::to_tensor(v, args.span(1), interp.limits.max_elements))
            .map(|t| t.map(|t| (*t).clone()))
            .collect::<EvalResult<Vec<_>>>()?,
        other => return Err(args.expected(1, "a list of factor matrices", other)),
    };
    Ok(tensor(check(
        optl_lowrank::tucker_full(&core, &factors),
        args.span,
    )?))
}

fn cp(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let x = args.tensor(0, interp)?;
    let rank = usize::try_from(args.int(1)?).unwrap_or(0);
    let mut o = CpOptions::default();
    o.max_iters = args.opt_positive(2, o.max_iters)?;
    o.tol = args.opt_float(3, o.tol)?;
    o.seed = seed(&args, 4)?;
    Ok(decomposition(check(
        optl_lowrank::cp(&x, rank, &o),
        args.span,
    )?))
}

/// The observed entries of `complete`'s `M` (slot 0) and `mask` (slot 1).
fn observed(interp: &Interp, args: &Args) -> EvalResult<Observed> {
    if let Value::Sparse(s) = args.value(0) {
        if args.has(1) {
            return Err(Box::new(
                (*err_label(
                    codes::INVALID_ARGUMENT,
                    "a sparse M carries its own mask: its stored entries are the observed ones",
                    args.span(1),
                    "leave this out",
                ))
                .hint("write complete(S, rank = r), or pass todense(S) with a mask"),
            ));
        }
        let (rows, cols) = s.shape();
        return check(
            Observed::from_csr_parts(
                rows,
                cols,
                s.indptr().to_vec(),
                s.indices().to_vec(),
                s.values().to_vec(),
            ),
            args.span(0),
        );
    }
    let m = args.tensor(0, interp)?;
    if !args.has(1) {
        return Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                "a dense M needs a mask of its observed entries",
                args.span,
                "no mask",
            ))
            .hint("pass mask, a tensor of M's shape, nonzero where M is observed (or a sparse M)"),
        ));
    }
    let mask = args.tensor(1, interp)?;
    if m.ndim() != 2 || mask.shape() != m.shape() {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "M of shape {:?} and mask of shape {:?}: the mask has M's shape, and M is a matrix",
                m.shape(),
                mask.shape()
            ),
            args.span(1),
            "shapes do not fit",
        ));
    }
    let (rows, cols) = (m.shape()[0], m.shape()[1]);
    let (mv, kv): (Vec<f64>, Vec<f64>) =
        (m.iter().copied().collect(), mask.iter().copied().collect());
    check(Observed::from_dense(&mv, &kv, rows, cols), args.span(0))
}

fn complete(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let obs = observed(interp, &args)?;
    if !args.has(2) {
        return Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                "complete needs the rank of the factors",
                args.span,
                "no rank",
            ))
            .hint("pass rank = r"),
        ));
    }
    let mut o = CompletionOptions {
        rank: usize::try_from(args.int(2)?).unwrap_or(0),
        ..Default::default()
    };
    o.method = [CompletionMethod::AltMin, CompletionMethod::NuclearFw]
        [choice(&args, 3, "method", &["altmin", "nuclear_fw"])?];
    o.max_iters = args.opt_positive(4, o.max_iters)?;
    o.tol = args.opt_float(5, o.tol)?;
    o.seed = seed(&args, 6)?;
    o.ridge = args.opt_float(7, 0.0)?;
    if args.has(8) {
        o.radius = Some(args.float(8)?);
    }
    let c = check(optl_lowrank::complete(&obs, &o), args.span)?;
    Ok(record(vec![
        ("u", tensor(c.u)),
        ("v", tensor(c.v)),
        ("rel_error_observed", Value::Float(c.rel_error_observed)),
        ("iters", Value::Int(c.iters as i64)),
        ("status", Value::str(c.status.as_str())),
        ("method", Value::str(c.method.as_str())),
    ]))
}

//! The `linalg` namespace and the sparse-matrix builtins: the language's binding of
//! optl-linalg. Arguments are converted and checked here; the numerics (and every
//! numerical check: shapes, singularity, definiteness, non-finite input) are
//! optl-linalg's, whose errors become coded diagnostics in [`error`].

mod dense;
mod iterative;
mod sequence;
mod sparse;

use super::{Args, Entry};
use crate::evaluator::err_label;
use crate::value::Value;
use optl_linalg::Error;
use optl_syntax::Diagnostic;
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

/// The members of the `linalg` namespace, named `linalg.<member>`.
pub(super) fn namespace() -> impl Iterator<Item = &'static Entry> {
    dense::TABLE
        .iter()
        .chain(iterative::TABLE)
        .chain(sequence::TABLE)
}

/// Prelude builtins for sparse matrices (`sparse`, `load_mtx`, `todense`).
pub(super) const TOP: &[Entry] = sparse::TABLE;

pub(crate) use sparse::matmul as sparse_matmul;

/// An optl-linalg error as a coded diagnostic at `span`.
pub(crate) fn error(e: Error, span: Span) -> Box<Diagnostic> {
    let message = e.to_string();
    let (code, label, hint) = match &e {
        Error::Shape { reason, .. } => (codes::SHAPE_MISMATCH, "shapes do not fit", *reason),
        Error::BadShape { reason, .. } => (codes::SHAPE_MISMATCH, "bad shape", *reason),
        Error::Singular { .. } => (
            codes::SINGULAR_MATRIX,
            "singular matrix",
            "regularize (A + λ I) or use linalg.lstsq / linalg.pinv for a least-squares answer",
        ),
        Error::NotPositiveDefinite { .. } => (
            codes::NOT_POSITIVE_DEFINITE,
            "not positive definite",
            "linalg.solve works for any nonsingular matrix",
        ),
        Error::NotSymmetric { .. } => (
            codes::NOT_POSITIVE_DEFINITE,
            "not symmetric",
            "symmetrize with (A + transpose(A)) / 2 if the asymmetry is rounding",
        ),
        Error::NonPositiveDeterminant { .. } => (
            codes::NOT_POSITIVE_DEFINITE,
            "determinant not positive",
            "linalg.slogdet gives the sign and log |det|",
        ),
        Error::NonFinite { .. } => (
            codes::NON_FINITE_INPUT,
            "NaN or infinity here",
            "find where the value came from (a division by zero, an overflow) before solving",
        ),
        Error::IndexOutOfBounds { .. } => (
            codes::INDEX_OUT_OF_BOUNDS,
            "index out of range",
            "indices start at 0",
        ),
        Error::Parse { .. } => (
            codes::FILE_ERROR,
            "not a Matrix Market file",
            "the first line must be `%%MatrixMarket matrix coordinate|array ...`",
        ),
        Error::TooLarge { .. } => (
            codes::TENSOR_TOO_LARGE,
            "too large",
            "the matrix exceeds the sizes optl-linalg supports",
        ),
        Error::NoConvergence { .. } => (
            codes::INVALID_ARGUMENT,
            "did not converge",
            "the matrix may be badly scaled; try scaling its rows and columns",
        ),
        Error::InvalidArgument { .. }
        | Error::ZeroDiagonal { .. }
        | Error::PreconditionerBreakdown { .. }
        | Error::Unsupported { .. } => (
            codes::INVALID_ARGUMENT,
            "invalid argument",
            "see the `linalg` section of docs/stdlib.md",
        ),
    };
    Box::new((*err_label(code, message, span, label)).hint(hint))
}

/// A record value from `(field, value)` pairs.
fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::record(fields.into_iter().map(|(k, v)| (Rc::from(k), v)).collect())
}

/// A vector of floats as a 1-d tensor value.
fn vector(v: Vec<f64>) -> Value {
    let n = v.len();
    Value::tensor(crate::tensor::from_vec(&[n], v).expect("a vector has its own length"))
}

/// The span optl-linalg's error is about: the matrix for properties of the matrix,
/// the whole call for mismatches between arguments.
fn error_span(e: &Error, args: &Args) -> Span {
    match e {
        Error::Shape { .. } | Error::InvalidArgument { .. } => args.span,
        _ => args.span(0),
    }
}

/// Converts an optl-linalg result, pointing its error at the right argument.
fn check<T>(r: optl_linalg::Result<T>, args: &Args) -> crate::evaluator::EvalResult<T> {
    r.map_err(|e| {
        let span = error_span(&e, args);
        error(e, span)
    })
}

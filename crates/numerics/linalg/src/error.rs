//! The error type of the crate: every failure on user input is one of these variants.
//!
//! Numerical outcomes of iterative methods that are not errors in the input
//! (no convergence, breakdown) are reported in [`crate::Status`] instead.

use std::fmt;

/// Why a linear-algebra operation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Two operands whose shapes do not fit together.
    Shape {
        /// The operation, e.g. `"solve"`.
        op: &'static str,
        /// Shape of the first operand.
        left: Vec<usize>,
        /// Shape of the second operand.
        right: Vec<usize>,
        /// What was expected, e.g. "b must have as many rows as A".
        reason: &'static str,
    },
    /// One operand whose shape is not acceptable (not square, too few axes, ...).
    BadShape {
        /// The operation.
        op: &'static str,
        /// Shape of the operand.
        shape: Vec<usize>,
        /// What was expected.
        reason: &'static str,
    },
    /// The matrix is singular or too ill-conditioned to solve with; `rcond` is the
    /// reciprocal 1-norm condition estimate (0 for an exact zero pivot).
    Singular {
        /// The operation.
        op: &'static str,
        /// Reciprocal condition estimate `1 / (‖A‖₁ ‖A⁻¹‖₁)`.
        rcond: f64,
    },
    /// The matrix is not (numerically) positive definite.
    NotPositiveDefinite {
        /// The operation.
        op: &'static str,
        /// Index of the first pivot that was not positive.
        pivot: usize,
    },
    /// The matrix is not symmetric within the tolerance.
    NotSymmetric {
        /// The operation.
        op: &'static str,
        /// Largest `|a_ij − a_ji|` found.
        max_asymmetry: f64,
        /// The absolute tolerance it exceeded.
        tol: f64,
    },
    /// `logdet` of a matrix whose determinant is zero or negative.
    NonPositiveDeterminant {
        /// Sign of the determinant (0 or −1).
        sign: f64,
        /// `log |det|`.
        logabsdet: f64,
    },
    /// A NaN or infinite value in the input.
    NonFinite {
        /// The operation.
        op: &'static str,
    },
    /// An iterative factorization inside a dense routine (SVD, eigensolver) did not converge.
    NoConvergence {
        /// The operation.
        op: &'static str,
    },
    /// An argument value out of its domain (negative tolerance, ω outside (0, 2), ...).
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A sparse entry outside the matrix.
    IndexOutOfBounds {
        /// The operation.
        op: &'static str,
        /// Row index of the entry.
        row: usize,
        /// Column index of the entry.
        col: usize,
        /// Shape of the matrix.
        shape: (usize, usize),
    },
    /// A zero on the diagonal where the method divides by it (SOR, Jacobi, IC(0)).
    ZeroDiagonal {
        /// The operation.
        op: &'static str,
        /// The row with the zero diagonal.
        row: usize,
    },
    /// The incomplete Cholesky factorization met a non-positive pivot.
    PreconditionerBreakdown {
        /// The row where the pivot was not positive.
        row: usize,
    },
    /// The operation is not available for this operator (e.g. IC(0) on a matrix-free operator).
    Unsupported {
        /// The operation.
        op: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A Matrix Market text that could not be read; `line` is 1-based.
    Parse {
        /// The 1-based line number of the problem.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A matrix too large for the index types used (more than `u32::MAX` columns).
    TooLarge {
        /// The operation.
        op: &'static str,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape {
                op,
                left,
                right,
                reason,
            } => write!(
                f,
                "{op}: shapes {left:?} and {right:?} do not fit: {reason}"
            ),
            Error::BadShape { op, shape, reason } => {
                write!(f, "{op}: bad shape {shape:?}: {reason}")
            }
            Error::Singular { op, rcond } => write!(
                f,
                "{op}: matrix is singular to working precision (rcond = {rcond:e})"
            ),
            Error::NotPositiveDefinite { op, pivot } => {
                write!(f, "{op}: matrix is not positive definite (pivot {pivot})")
            }
            Error::NotSymmetric {
                op,
                max_asymmetry,
                tol,
            } => write!(
                f,
                "{op}: matrix is not symmetric (max |a_ij - a_ji| = {max_asymmetry:e} > {tol:e})"
            ),
            Error::NonPositiveDeterminant { sign, logabsdet } => write!(
                f,
                "logdet: determinant is not positive (sign {sign}, log|det| = {logabsdet})"
            ),
            Error::NonFinite { op } => write!(f, "{op}: input contains NaN or infinity"),
            Error::NoConvergence { op } => write!(f, "{op}: the algorithm did not converge"),
            Error::InvalidArgument { op, reason } => write!(f, "{op}: {reason}"),
            Error::IndexOutOfBounds {
                op,
                row,
                col,
                shape,
            } => write!(
                f,
                "{op}: entry ({row}, {col}) is outside a {}x{} matrix",
                shape.0, shape.1
            ),
            Error::ZeroDiagonal { op, row } => write!(f, "{op}: zero diagonal in row {row}"),
            Error::PreconditionerBreakdown { row } => write!(
                f,
                "ic0: non-positive pivot in row {row}; the incomplete factorization broke down"
            ),
            Error::Unsupported { op, reason } => write!(f, "{op}: {reason}"),
            Error::Parse { line, reason } => write!(f, "matrix market line {line}: {reason}"),
            Error::TooLarge { op, reason } => write!(f, "{op}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result of a linear-algebra operation.
pub type Result<T> = std::result::Result<T, Error>;

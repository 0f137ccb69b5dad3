//! The error type of the crate: every refusal of user input is one of these variants.
//!
//! Numerical outcomes that are not errors in the input (the iteration limit, a
//! NaN appearing in the iteration) are reported in [`crate::Status`] instead.

use std::fmt;

/// Why a low-rank operation refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Operands whose shapes do not fit (a mask of another shape than the matrix,
    /// factors that do not fit the core, a `ranks` list of the wrong length).
    Shape {
        /// The operation, e.g. `"tucker"`.
        op: &'static str,
        /// What is wrong, naming the sizes.
        reason: String,
    },
    /// A rank below 1 or above the dimension it factors.
    Rank {
        op: &'static str,
        /// The rank asked for.
        rank: usize,
        /// The largest rank possible there.
        max: usize,
        /// Where: `"mode 2"`, `"the matrix"`, `"atoms"`.
        what: String,
    },
    /// A NaN or infinite entry in the data.
    NonFinite {
        op: &'static str,
        /// Which input.
        what: &'static str,
        /// Flat (row-major) index of the first offending entry.
        index: usize,
    },
    /// A row or column of a matrix to complete with no observed entry.
    Unobserved {
        op: &'static str,
        /// `"row"` or `"column"`.
        axis: &'static str,
        index: usize,
    },
    /// A parameter outside its domain (`lam < 0`, `q ∉ (0, 1)`, an empty input).
    Invalid { op: &'static str, reason: String },
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape { op, reason } => write!(f, "{op}: {reason}"),
            Error::Rank {
                op,
                rank,
                max,
                what,
            } => {
                if *rank == 0 {
                    write!(f, "{op}: rank 0 for {what}: a rank is at least 1")
                } else {
                    write!(
                        f,
                        "{op}: rank {rank} for {what}, whose size allows at most {max}"
                    )
                }
            }
            Error::NonFinite { op, what, index } => {
                write!(
                    f,
                    "{op}: {what} has a NaN or infinite entry at flat index {index}"
                )
            }
            Error::Unobserved { op, axis, index } => write!(
                f,
                "{op}: {axis} {index} has no observed entry, so its factor is not determined"
            ),
            Error::Invalid { op, reason } => write!(f, "{op}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// `Err(NonFinite)` at the first entry of `x` that is NaN or infinite.
pub(crate) fn finite(op: &'static str, what: &'static str, x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { op, what, index }),
        None => Ok(()),
    }
}

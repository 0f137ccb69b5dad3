//! The error type of the crate: every failure on user input is one of these variants.
//!
//! Numerical outcomes that are not errors in the input (the iteration limit, a
//! breakdown of the iteration) are reported in [`crate::Status`] instead.

use std::fmt;

/// Why a transport operation refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Operands whose shapes do not fit together (`m` not `len(a) × len(b)`,
    /// points of different dimensions, a tensor that is not 2-D, ...).
    Shape {
        /// The operation, e.g. `"sinkhorn"`.
        op: &'static str,
        /// What is wrong, naming the sizes.
        reason: String,
    },
    /// An input that must not be empty is.
    Empty {
        /// The operation.
        op: &'static str,
        /// Which input (`"a"`, `"b"`, `"bs"`, `"bs[2]"`).
        what: String,
    },
    /// A negative entry in a histogram or a cost matrix.
    Negative {
        /// The operation.
        op: &'static str,
        /// Which input (`"a"`, `"b"`, `"m"`, `"bs[3]"`).
        what: String,
        /// Flat index of the first negative entry.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A NaN or infinite entry.
    NonFinite {
        /// The operation.
        op: &'static str,
        /// Which input.
        what: String,
        /// Flat index of the first non-finite entry.
        index: usize,
    },
    /// The regularization is not a finite positive number.
    InvalidReg {
        /// The operation.
        op: &'static str,
        /// The value given.
        reg: f64,
    },
    /// The two histograms do not carry the same mass:
    /// `|sum(a) − sum(b)| > 1e-9 · max(sum(a), sum(b))`.
    MassMismatch {
        /// The operation.
        op: &'static str,
        /// `sum(a)`.
        sum_a: f64,
        /// `sum(b)` (of the offending `b` for a batch).
        sum_b: f64,
    },
    /// Both histograms are zero: there is nothing to transport.
    ZeroMass {
        /// The operation.
        op: &'static str,
    },
    /// An option out of its domain (negative tolerance, `check_every = 0`, ...).
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The problem does not fit in memory indices (`n · m` overflows).
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
            Error::Shape { op, reason } => write!(f, "{op}: shapes do not fit: {reason}"),
            Error::Empty { op, what } => write!(f, "{op}: {what} is empty"),
            Error::Negative {
                op,
                what,
                index,
                value,
            } => write!(f, "{op}: {what}[{index}] = {value} is negative"),
            Error::NonFinite { op, what, index } => {
                write!(f, "{op}: {what}[{index}] is NaN or infinite")
            }
            Error::InvalidReg { op, reg } => {
                write!(f, "{op}: reg must be finite and positive, got {reg}")
            }
            Error::MassMismatch { op, sum_a, sum_b } => write!(
                f,
                "{op}: the histograms have different masses: sum(a) = {sum_a}, sum(b) = {sum_b} \
                 (they may differ by at most 1e-9 * max(sum(a), sum(b)))"
            ),
            Error::ZeroMass { op } => write!(f, "{op}: a and b are zero: nothing to transport"),
            Error::InvalidArgument { op, reason } => write!(f, "{op}: {reason}"),
            Error::TooLarge { op, reason } => write!(f, "{op}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result of a transport operation.
pub type Result<T> = std::result::Result<T, Error>;

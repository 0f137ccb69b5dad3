//! The OptL tensor crate: a pure numeric tensor library: f64, n-dimensional, row-major, NumPy semantics.
//!
//! Everything here works on plain [`Tensor`] values (`ndarray::ArrayD<f64>`) and knows
//! nothing about the evaluator. Functions accept tensors of any memory layout and
//! always return tensors in standard (row-major, contiguous) layout.
//!
//! Every function that may produce a tensor larger than its inputs takes a `limit`
//! (the maximum element count) and fails with [`TensorError::TooLarge`] before
//! allocating anything. No function panics on any input: bad shapes, indices and
//! argument values are reported as [`TensorError`]s.

mod broadcast;
mod create;
mod index;
mod linalg;
mod random;
mod reduce;
mod shape;

pub mod format;
pub mod io;

use std::borrow::Cow;
use std::fmt;

use ndarray::{ArrayD, IxDyn};

pub use broadcast::{broadcast_shapes, map, where_, zip_with, zip3_with};
pub use create::{arange, eye, full, linspace, ones, zeros};
pub use index::{IndexSpec, index};
pub use linalg::{dot, matmul, matmul_into, outer, transpose};
pub use random::{rand, randn};
pub use reduce::{argmax, argmin, cumsum, max, mean, min, norm, prod, sum};
pub use shape::{concat, reshape, shape_from, stack, tile};

/// An n-dimensional array of `f64` values.
pub type Tensor = ArrayD<f64>;

/// Why a tensor operation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorError {
    /// Shapes that cannot be broadcast or combined; the message names both shapes,
    /// e.g. "cannot broadcast shapes \[3\] and \[4\]".
    Shape(String),
    /// Index or axis out of range, e.g.
    /// "index 5 is out of bounds for axis 0 with size 3".
    Index(String),
    /// The result would have more than `limit` elements.
    TooLarge {
        /// Number of elements the result would have (saturated at `u128::MAX`).
        elements: u128,
        /// The limit in force.
        limit: usize,
    },
    /// Bad argument value (negative size, zero step, empty reduction, ...).
    Domain(String),
}

impl fmt::Display for TensorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TensorError::Shape(m) | TensorError::Index(m) | TensorError::Domain(m) => {
                f.write_str(m)
            }
            TensorError::TooLarge { elements, limit } => write!(
                f,
                "tensor of {elements} elements exceeds the limit of {limit} elements"
            ),
        }
    }
}

impl std::error::Error for TensorError {}

/// Result of a tensor operation.
pub type TResult<T> = Result<T, TensorError>;

/// Number of elements of a tensor of this shape, saturating at `u128::MAX`.
pub fn size_of(shape: &[usize]) -> u128 {
    shape
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128))
}

/// Checks that a tensor of this shape has at most `limit` elements and can be
/// represented at all (the product of its non-zero dimensions must fit in `isize`).
pub fn check_limit(shape: &[usize], limit: usize) -> TResult<()> {
    let elements = size_of(shape);
    if elements > limit as u128 {
        return Err(TensorError::TooLarge { elements, limit });
    }
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    if nonzero > isize::MAX as u128 {
        return Err(TensorError::Domain(format!(
            "the dimensions of shape {} are too large",
            shape_str(shape)
        )));
    }
    Ok(())
}

/// Like [`check_limit`], returning the element count as a `usize`.
pub(crate) fn checked_len(shape: &[usize], limit: usize) -> TResult<usize> {
    check_limit(shape, limit)?;
    usize::try_from(size_of(shape)).map_err(|_| TensorError::TooLarge {
        elements: size_of(shape),
        limit,
    })
}

/// A 0-d tensor holding `v`.
pub fn scalar(v: f64) -> Tensor {
    ArrayD::from_elem(IxDyn(&[]), v)
}

/// Builds a row-major tensor of `shape` from `data`; the lengths must agree.
pub fn from_vec(shape: &[usize], data: Vec<f64>) -> TResult<Tensor> {
    if size_of(shape) != data.len() as u128 {
        return Err(TensorError::Shape(format!(
            "cannot build a tensor of shape {} from {} elements",
            shape_str(shape),
            data.len()
        )));
    }
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| {
        TensorError::Shape(format!(
            "cannot build a tensor of shape {}: {e}",
            shape_str(shape)
        ))
    })
}

/// The single value of a tensor with exactly one element (any rank), else `None`.
pub fn as_scalar(t: &Tensor) -> Option<f64> {
    if t.len() == 1 {
        t.iter().next().copied()
    } else {
        None
    }
}

/// A shape as text, e.g. `[2, 3]` (and `[]` for 0-d).
pub fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// The elements of `t` in row-major order, borrowed when `t` is already contiguous.
pub fn contiguous(t: &Tensor) -> Cow<'_, [f64]> {
    match t.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(t.iter().copied().collect()),
    }
}

/// Resolves a possibly negative axis against a rank.
pub(crate) fn norm_axis(axis: isize, ndim: usize) -> TResult<usize> {
    let n = ndim as i128;
    let a = axis as i128;
    let resolved = if a < 0 { a + n } else { a };
    if resolved < 0 || resolved >= n {
        return Err(TensorError::Index(format!(
            "axis {axis} is out of bounds for a tensor of rank {ndim}"
        )));
    }
    usize::try_from(resolved).map_err(|_| {
        TensorError::Index(format!(
            "axis {axis} is out of bounds for a tensor of rank {ndim}"
        ))
    })
}

/// Row-major strides (in elements) of a shape.
pub(crate) fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d);
    }
    strides
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Builds a tensor from a shape and values, for tests.
    pub fn t(shape: &[usize], data: &[f64]) -> Tensor {
        from_vec(shape, data.to_vec()).expect("test tensor")
    }

    /// A 1-d tensor `[0, 1, ..., n-1]` reshaped to `shape`.
    pub fn iota(shape: &[usize]) -> Tensor {
        let n = shape.iter().product::<usize>();
        t(shape, &(0..n).map(|i| i as f64).collect::<Vec<_>>())
    }

    /// The elements of a tensor in row-major order.
    pub fn vals(t: &Tensor) -> Vec<f64> {
        t.iter().copied().collect()
    }

    pub const BIG: usize = 10_000_000;
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn size_of_saturates() {
        assert_eq!(size_of(&[]), 1);
        assert_eq!(size_of(&[2, 3, 4]), 24);
        assert_eq!(size_of(&[0, 5]), 0);
        assert_eq!(size_of(&[usize::MAX; 4]), u128::MAX);
    }

    #[test]
    fn check_limit_reports_too_large() {
        assert_eq!(check_limit(&[10, 10], 100), Ok(()));
        assert_eq!(
            check_limit(&[10, 11], 100),
            Err(TensorError::TooLarge {
                elements: 110,
                limit: 100
            })
        );
        assert!(matches!(
            check_limit(&[0, usize::MAX, usize::MAX], 100),
            Err(TensorError::Domain(_))
        ));
    }

    #[test]
    fn scalar_and_from_vec() {
        let s = scalar(2.5);
        assert_eq!(s.ndim(), 0);
        assert_eq!(as_scalar(&s), Some(2.5));
        let m = t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m[[1, 0]], 3.0);
        assert_eq!(as_scalar(&m), None);
        assert_eq!(as_scalar(&t(&[1, 1], &[7.0])), Some(7.0));
        assert!(matches!(
            from_vec(&[2, 3], vec![1.0; 5]),
            Err(TensorError::Shape(m)) if m.contains("[2, 3]") && m.contains('5')
        ));
        assert_eq!(
            from_vec(&[0, 3], vec![]).map(|t| t.shape().to_vec()),
            Ok(vec![0, 3])
        );
    }

    #[test]
    fn axis_resolution() {
        assert_eq!(norm_axis(-1, 3), Ok(2));
        assert_eq!(norm_axis(0, 3), Ok(0));
        assert!(matches!(norm_axis(3, 3), Err(TensorError::Index(_))));
        assert!(matches!(norm_axis(-4, 3), Err(TensorError::Index(_))));
        assert!(matches!(norm_axis(0, 0), Err(TensorError::Index(_))));
        assert!(matches!(
            norm_axis(isize::MIN, 2),
            Err(TensorError::Index(_))
        ));
    }

    #[test]
    fn display_of_errors() {
        let e = TensorError::TooLarge {
            elements: 12,
            limit: 10,
        };
        assert_eq!(
            e.to_string(),
            "tensor of 12 elements exceeds the limit of 10 elements"
        );
        assert_eq!(TensorError::Shape("x".into()).to_string(), "x");
    }

    #[test]
    fn non_standard_layout_inputs_are_read_logically() {
        let m = iota(&[2, 3]);
        let mt = m.t().to_owned(); // owned, but Fortran order
        assert!(mt.as_slice().is_none());
        assert_eq!(contiguous(&mt).to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(
            vals(&map(&mt, |x| x + 1.0)),
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        assert_eq!(shape_str(&[]), "[]");
        assert_eq!(row_major_strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}

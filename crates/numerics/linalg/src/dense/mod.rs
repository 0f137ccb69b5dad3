//! Dense linear algebra over f64 tensors, with NumPy's conventions.
//!
//! Matrices are the last two axes of a [`Tensor`]; the leading axes are a batch
//! (as in `numpy.linalg`) for [`solve`], [`det`], [`slogdet`], [`logdet`], [`inv`],
//! [`cholesky`], [`qr`], [`svd`], [`eigh`] and [`nuclear_norm`]; [`lstsq`] and
//! [`pinv`] take 2-D matrices. The factorizations are faer's, run sequentially so
//! that results are bit-for-bit reproducible. Inputs are checked first: wrong
//! shapes are [`Error::Shape`] / [`Error::BadShape`], NaN or infinity is
//! [`Error::NonFinite`]; nothing panics on user input.

mod decompose;
mod least_squares;
mod solve;

pub use decompose::{Eigh, Qr, Svd, cholesky, eigh, qr, svd};
pub use least_squares::{Lstsq, lstsq, nuclear_norm, nuclear_norm_grad, pinv};
pub use solve::{Slogdet, det, inv, logdet, slogdet, solve};

use faer::MatRef;
use ndarray::IxDyn;
use optl_tensor::Tensor;

use crate::error::{Error, Result};

/// Relative tolerance of the symmetry checks of [`cholesky`] and [`eigh`]:
/// `|a_ij − a_ji| <= SYMMETRY_RTOL · max |a|`.
pub const SYMMETRY_RTOL: f64 = 1e-10;

/// A stack of matrices taken from the last two axes of a tensor, row-major.
pub(crate) struct MatBatch {
    /// The leading (batch) axes.
    pub batch: Vec<usize>,
    pub rows: usize,
    pub cols: usize,
    data: Vec<f64>,
}

impl MatBatch {
    /// Reads `a` (at least 2-D, all finite) into a batch of matrices.
    pub fn from_tensor(op: &'static str, a: &Tensor) -> Result<Self> {
        let shape = a.shape();
        if shape.len() < 2 {
            return Err(Error::BadShape {
                op,
                shape: shape.to_vec(),
                reason: "expected at least 2 dimensions",
            });
        }
        let data: Vec<f64> = a.iter().copied().collect();
        if !data.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op });
        }
        let k = shape.len();
        Ok(MatBatch {
            batch: shape[..k - 2].to_vec(),
            rows: shape[k - 2],
            cols: shape[k - 1],
            data,
        })
    }

    /// Like [`MatBatch::from_tensor`], also requiring square matrices.
    pub fn square(op: &'static str, a: &Tensor) -> Result<Self> {
        let m = Self::from_tensor(op, a)?;
        if m.rows != m.cols {
            return Err(Error::BadShape {
                op,
                shape: a.shape().to_vec(),
                reason: "expected square matrices in the last two axes",
            });
        }
        Ok(m)
    }

    /// Like [`MatBatch::from_tensor`], requiring exactly 2 dimensions.
    pub fn matrix(op: &'static str, a: &Tensor) -> Result<Self> {
        if a.ndim() != 2 {
            return Err(Error::BadShape {
                op,
                shape: a.shape().to_vec(),
                reason: "expected a 2-D matrix",
            });
        }
        Self::from_tensor(op, a)
    }

    /// Number of matrices in the batch.
    pub fn count(&self) -> usize {
        self.batch.iter().product()
    }

    /// The row-major entries of matrix `k`.
    pub fn slice(&self, k: usize) -> &[f64] {
        let len = self.rows * self.cols;
        &self.data[k * len..(k + 1) * len]
    }

    /// Matrix `k` as a faer view.
    pub fn mat(&self, k: usize) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(self.slice(k), self.rows, self.cols)
    }

    /// The batch shape followed by `tail`.
    pub fn shape_with(&self, tail: &[usize]) -> Vec<usize> {
        let mut s = self.batch.clone();
        s.extend_from_slice(tail);
        s
    }
}

/// Appends the entries of `m` to `out` in row-major order.
pub(crate) fn push_row_major(m: MatRef<'_, f64>, out: &mut Vec<f64>) {
    out.reserve(m.nrows() * m.ncols());
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.push(m[(i, j)]);
        }
    }
}

/// Appends the transpose of `m` to `out` in row-major order.
pub(crate) fn push_transposed(m: MatRef<'_, f64>, out: &mut Vec<f64>) {
    push_row_major(m.transpose(), out);
}

/// Builds a tensor of `shape` from row-major `data` whose length is the product of `shape`.
pub(crate) fn tensor(op: &'static str, shape: Vec<usize>, data: Vec<f64>) -> Result<Tensor> {
    Tensor::from_shape_vec(IxDyn(&shape), data).map_err(|_| Error::BadShape {
        op,
        shape,
        reason: "internal: result length does not match its shape",
    })
}

/// Checks that the row-major `n × n` matrix `a` is symmetric within
/// [`SYMMETRY_RTOL`] relative to its largest entry.
pub(crate) fn check_symmetric(op: &'static str, a: &[f64], n: usize) -> Result<()> {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let tol = SYMMETRY_RTOL * scale;
    let mut worst = 0.0f64;
    for i in 0..n {
        for j in i + 1..n {
            worst = worst.max((a[i * n + j] - a[j * n + i]).abs());
        }
    }
    if worst > tol {
        return Err(Error::NotSymmetric {
            op,
            max_asymmetry: worst,
            tol,
        });
    }
    Ok(())
}

/// A broadcast batch shape and, per flat index of it, the flat indices of the operands.
pub(crate) type BroadcastBatches = (Vec<usize>, Vec<(usize, usize)>);

/// NumPy broadcasting of two batch shapes. Returns the broadcast shape and, for
/// every flat index of it, the flat indices into the two operands' batches.
pub(crate) fn broadcast_batches(
    op: &'static str,
    left_full: &[usize],
    right_full: &[usize],
    left: &[usize],
    right: &[usize],
) -> Result<BroadcastBatches> {
    let nd = left.len().max(right.len());
    let pad = |s: &[usize]| -> Vec<usize> {
        let mut v = vec![1; nd - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (l, r) = (pad(left), pad(right));
    let mut out = Vec::with_capacity(nd);
    for (&a, &b) in l.iter().zip(&r) {
        out.push(match (a, b) {
            (a, b) if a == b => a,
            (1, b) => b,
            (a, 1) => a,
            _ => {
                return Err(Error::Shape {
                    op,
                    left: left_full.to_vec(),
                    right: right_full.to_vec(),
                    reason: "batch dimensions cannot be broadcast together",
                });
            }
        });
    }
    let total: usize = out.iter().product();
    let strides = |s: &[usize]| -> Vec<usize> {
        let mut st = vec![0; nd];
        let mut acc = 1;
        for d in (0..nd).rev() {
            st[d] = if s[d] == 1 { 0 } else { acc };
            acc *= s[d];
        }
        st
    };
    let (sl, sr) = (strides(&l), strides(&r));
    let mut pairs = Vec::with_capacity(total);
    let mut idx = vec![0usize; nd];
    for _ in 0..total {
        let fl = idx.iter().zip(&sl).map(|(i, s)| i * s).sum();
        let fr = idx.iter().zip(&sr).map(|(i, s)| i * s).sum();
        pairs.push((fl, fr));
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok((out, pairs))
}

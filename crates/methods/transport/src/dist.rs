//! Cost matrices between point clouds, as POT's `ot.dist`.
//!
//! The squared Euclidean distance is summed coordinate by coordinate,
//! `Σ_k (x_ik − y_jk)²`, which is exact to rounding and never negative (POT's
//! `‖x‖² + ‖y‖² − 2 x·y` expansion agrees with it to rounding and clips at 0).
//! Rows are computed on the rayon pool; every entry is computed by one task in
//! a fixed order, so the bits do not depend on the thread count.

use ndarray::IxDyn;
use optl_tensor::Tensor;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// The ground metric of [`dist`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// `Σ_k (x_k − y_k)²` (POT's default, `"sqeuclidean"`).
    #[default]
    SqEuclidean,
    /// `sqrt(Σ_k (x_k − y_k)²)` (`"euclidean"`).
    Euclidean,
    /// `Σ_k |x_k − y_k|` (`"cityblock"`).
    Cityblock,
}

/// Entries of the result from which rows run on the pool.
const PARALLEL_ENTRIES: usize = 1 << 14;

/// The `[n, m]` matrix of distances between the rows of `x` (`[n, d]`) and of `y`
/// (`[m, d]`). Tensors of any layout are accepted; `n`, `m` or `d` may be zero.
/// Errors: not 2-D or different `d` ([`Error::Shape`]), NaN or infinite
/// coordinates ([`Error::NonFinite`]), a result too large to index
/// ([`Error::TooLarge`]).
pub fn dist(x: &Tensor, y: &Tensor, metric: Metric) -> Result<Tensor> {
    const OP: &str = "dist";
    for (name, t) in [("x", x), ("y", y)] {
        if t.ndim() != 2 {
            return Err(Error::Shape {
                op: OP,
                reason: format!(
                    "{name} must be 2-D [points, dims], got shape {:?}",
                    t.shape()
                ),
            });
        }
        if let Some(index) = t.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                op: OP,
                what: name.to_string(),
                index,
            });
        }
    }
    let (n, d, m) = (x.shape()[0], x.shape()[1], y.shape()[0]);
    if y.shape()[1] != d {
        return Err(Error::Shape {
            op: OP,
            reason: format!(
                "x has {d} coordinates per point but y has {} (shapes {:?} and {:?})",
                y.shape()[1],
                x.shape(),
                y.shape()
            ),
        });
    }
    let Some(size) = n.checked_mul(m).filter(|&s| s <= isize::MAX as usize / 8) else {
        return Err(Error::TooLarge {
            op: OP,
            reason: format!("a {n} x {m} distance matrix does not fit in memory"),
        });
    };
    let xs: Vec<f64> = x.iter().copied().collect();
    let ys: Vec<f64> = y.iter().copied().collect();
    let mut out = vec![0.0; size];
    let fill = |(i, row): (usize, &mut [f64])| {
        let xi = &xs[i * d..(i + 1) * d];
        for (j, o) in row.iter_mut().enumerate() {
            let yj = &ys[j * d..(j + 1) * d];
            *o = match metric {
                Metric::SqEuclidean => sq(xi, yj),
                Metric::Euclidean => sq(xi, yj).sqrt(),
                Metric::Cityblock => xi.iter().zip(yj).map(|(p, q)| (p - q).abs()).sum(),
            };
        }
    };
    if m > 0 {
        if size >= PARALLEL_ENTRIES {
            out.par_chunks_mut(m).enumerate().for_each(fill);
        } else {
            out.chunks_mut(m).enumerate().for_each(fill);
        }
    }
    Tensor::from_shape_vec(IxDyn(&[n, m]), out).map_err(|e| Error::TooLarge {
        op: OP,
        reason: e.to_string(),
    })
}

/// `Σ_k (p_k − q_k)²`.
#[inline]
fn sq(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum()
}

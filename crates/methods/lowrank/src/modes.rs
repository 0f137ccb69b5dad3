//! Mode-wise operations on dense row-major tensors: mode products `X ×ₙ M`, the
//! Gram matrix of a mode-`n` unfolding, the Khatri–Rao product and MTTKRP — the
//! kernels of Tucker and CP. A tensor of shape `(I₀, …, Iₖ₋₁)` is viewed around
//! mode `n` as `L × Iₙ × R` (`L` the product of the sizes before `n`, `R` after),
//! so each operation is a batch of GEMMs on contiguous slices, never a permuted
//! copy (an unfolding).
//!
//! Slices are spread over the rayon pool; each output block is written by one task
//! and sums over slices are added in slice order, so the bits do not depend on the
//! thread count.

use crate::dense::{mul, view};
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// A dense tensor: its shape and its row-major entries.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dense {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Slices per rayon task in the batched products (fixed, so results are
/// reproducible).
const SLICES_PER_TASK: usize = 8;

impl Dense {
    /// `(L, Iₙ, R)` around mode `n`.
    pub fn around(&self, n: usize) -> (usize, usize, usize) {
        let before = self.shape[..n].iter().product();
        let after = self.shape[n + 1..].iter().product();
        (before, self.shape[n], after)
    }

    /// `‖X‖_F²`.
    pub fn sq_norm(&self) -> f64 {
        crate::dense::sq_norm(&self.data)
    }

    /// `X ×ₙ M` for `m` of shape `[new, Iₙ]`: every mode-`n` fibre `x` becomes `M x`.
    pub fn mode_product(&self, n: usize, m: MatRef<'_, f64>) -> Dense {
        let (l, i, r) = self.around(n);
        let k = m.nrows();
        debug_assert_eq!(m.ncols(), i);
        let mut shape = self.shape.clone();
        shape[n] = k;
        let mut data = vec![0.0; l * k * r];
        if r == 1 {
            // (L × Iₙ) · Mᵀ
            let y = mul(view(&self.data, l, i), m.transpose());
            data = crate::dense::row_major(y.as_ref());
        } else {
            data.par_chunks_mut(k * r * SLICES_PER_TASK)
                .enumerate()
                .for_each(|(t, out)| {
                    for (s, o) in out.chunks_mut(k * r).enumerate() {
                        let li = t * SLICES_PER_TASK + s;
                        let x = view(&self.data[li * i * r..(li + 1) * i * r], i, r);
                        let y = mul(m, x);
                        for a in 0..k {
                            for b in 0..r {
                                o[a * r + b] = y[(a, b)];
                            }
                        }
                    }
                });
        }
        Dense { shape, data }
    }

    /// The Gram matrix `X₍ₙ₎ X₍ₙ₎ᵀ` (`Iₙ × Iₙ`) of the mode-`n` unfolding.
    pub fn unfolding_gram(&self, n: usize) -> Mat<f64> {
        let (l, i, r) = self.around(n);
        if r == 1 {
            let x = view(&self.data, l, i);
            return mul(x.transpose(), x);
        }
        let partial: Vec<Mat<f64>> = (0..l.div_ceil(SLICES_PER_TASK))
            .into_par_iter()
            .map(|t| {
                let mut g = Mat::<f64>::zeros(i, i);
                for li in t * SLICES_PER_TASK..((t + 1) * SLICES_PER_TASK).min(l) {
                    let x = view(&self.data[li * i * r..(li + 1) * i * r], i, r);
                    faer::linalg::matmul::matmul(
                        g.as_mut(),
                        faer::Accum::Add,
                        x,
                        x.transpose(),
                        1.0,
                        faer::Par::Seq,
                    );
                }
                g
            })
            .collect();
        let mut g = Mat::<f64>::zeros(i, i);
        for p in &partial {
            g += p;
        }
        g
    }

    /// MTTKRP: `X₍ₙ₎ · (⊙_{m≠n} Aₘ)` (`Iₙ × R`), the factors `a[m]` of shape
    /// `[Iₘ, R]` (the one of mode `n` unused), with the Khatri–Rao product ordered as
    /// the row-major unfolding.
    pub fn mttkrp(&self, n: usize, a: &[Mat<f64>]) -> Mat<f64> {
        let (l, i, r) = self.around(n);
        let rank = a[0].ncols();
        let left = khatri_rao(&a[..n], rank);
        let right = khatri_rao(&a[n + 1..], rank);
        if r == 1 {
            return mul(view(&self.data, l, i).transpose(), left.as_ref());
        }
        let partial: Vec<Mat<f64>> = (0..l.div_ceil(SLICES_PER_TASK))
            .into_par_iter()
            .map(|t| {
                let mut m = Mat::<f64>::zeros(i, rank);
                for li in t * SLICES_PER_TASK..((t + 1) * SLICES_PER_TASK).min(l) {
                    let x = view(&self.data[li * i * r..(li + 1) * i * r], i, r);
                    let y = mul(x, right.as_ref());
                    for c in 0..rank {
                        let w = left[(li, c)];
                        for row in 0..i {
                            m[(row, c)] += w * y[(row, c)];
                        }
                    }
                }
                m
            })
            .collect();
        let mut m = Mat::<f64>::zeros(i, rank);
        for p in &partial {
            m += p;
        }
        m
    }
}

/// The Khatri–Rao (column-wise Kronecker) product of `factors` in row-major order
/// of their row indices (the first factor's index varies slowest): shape
/// `[Π Iₘ, rank]`; the `1 × rank` matrix of ones for no factors.
pub(crate) fn khatri_rao(factors: &[Mat<f64>], rank: usize) -> Mat<f64> {
    let mut out = Mat::<f64>::from_fn(1, rank, |_, _| 1.0);
    for f in factors {
        let (rows, fr) = (out.nrows(), f.nrows());
        out = Mat::from_fn(rows * fr, rank, |idx, c| {
            out[(idx / fr, c)] * f[(idx % fr, c)]
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(shape: &[usize]) -> Dense {
        let n: usize = shape.iter().product();
        Dense {
            shape: shape.to_vec(),
            data: (0..n)
                .map(|k| ((k * 7919) % 101) as f64 / 50.0 - 1.0)
                .collect(),
        }
    }

    /// The entry at a multi-index.
    fn at(x: &Dense, idx: &[usize]) -> f64 {
        let mut flat = 0;
        for (d, &i) in x.shape.iter().zip(idx) {
            flat = flat * d + i;
        }
        x.data[flat]
    }

    #[test]
    fn mode_product_matches_the_definition() {
        let x = sample(&[3, 4, 5]);
        let m = Mat::<f64>::from_fn(2, 4, |a, b| (a as f64 + 1.0) * (b as f64 - 1.5));
        let y = x.mode_product(1, m.as_ref());
        assert_eq!(y.shape, vec![3, 2, 5]);
        for i in 0..3 {
            for a in 0..2 {
                for k in 0..5 {
                    let want: f64 = (0..4).map(|j| m[(a, j)] * at(&x, &[i, j, k])).sum();
                    assert!((at(&y, &[i, a, k]) - want).abs() < 1e-12);
                }
            }
        }
        let last = x.mode_product(2, Mat::<f64>::identity(5, 5).as_ref());
        assert_eq!(last, x);
    }

    #[test]
    fn gram_and_mttkrp_match_the_definitions() {
        let x = sample(&[3, 4, 5]);
        for n in 0..3 {
            let g = x.unfolding_gram(n);
            let dims = &x.shape;
            let mut want = Mat::<f64>::zeros(dims[n], dims[n]);
            for p in 0..dims[0] {
                for q in 0..dims[1] {
                    for s in 0..dims[2] {
                        let idx = [p, q, s];
                        for b in 0..dims[n] {
                            let mut other = idx;
                            other[n] = b;
                            want[(idx[n], b)] += at(&x, &idx) * at(&x, &other);
                        }
                    }
                }
            }
            assert!((&g - &want).norm_max() < 1e-12);
        }
        let a: Vec<Mat<f64>> = x
            .shape
            .iter()
            .map(|&d| Mat::<f64>::from_fn(d, 2, |i, c| (i as f64 + 0.5) * (c as f64 - 0.3)))
            .collect();
        for n in 0..3 {
            let m = x.mttkrp(n, &a);
            for i in 0..x.shape[n] {
                for c in 0..2 {
                    let mut want = 0.0;
                    for p in 0..3 {
                        for q in 0..4 {
                            for s in 0..5 {
                                let idx = [p, q, s];
                                if idx[n] != i {
                                    continue;
                                }
                                let w: f64 = (0..3)
                                    .filter(|&mm| mm != n)
                                    .map(|mm| a[mm][(idx[mm], c)])
                                    .product();
                                want += at(&x, &idx) * w;
                            }
                        }
                    }
                    assert!((m[(i, c)] - want).abs() < 1e-12);
                }
            }
        }
    }
}

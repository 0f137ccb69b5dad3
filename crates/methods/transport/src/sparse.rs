//! The sparsified plan of the Newton method: the largest entries of every row of
//! `P = diag(u) K̃ diag(v)` in compressed sparse rows, and the products the
//! Newton system needs.
//!
//! The rows are kept in the kernel's fixed blocks. Products with `P̃ᵀ` scatter
//! into one column accumulator per block, added in block order (as the dense
//! passes do), so nothing depends on the thread count.

use rayon::prelude::*;

use crate::kernel::{Blocks, Kernel, combine};

/// Stored entries from which the products run on the pool.
const PARALLEL_NNZ: usize = 1 << 15;

/// A sparse `rows × cols` matrix in CSR form, with the row blocks of its kernel.
pub(crate) struct Sparse {
    pub cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
    blocks: Blocks,
    parallel: bool,
}

impl Sparse {
    /// The entries `P_ij >= rel · max_j P_ij` of every row of the kernel's plan,
    /// but at least the `least` and at most the `cap` largest (ties by column).
    pub(crate) fn from_kernel(kern: &Kernel, rel: f64, least: usize, cap: usize) -> Sparse {
        let (n, m) = (kern.n, kern.m);
        let blocks = kern.blocks;
        let (u, v, k) = (&kern.u, &kern.v, &kern.k);
        let select = |b: usize| {
            let range = blocks.range(b, n);
            let mut counts = Vec::with_capacity(range.len());
            let mut idx: Vec<u32> = Vec::new();
            let mut val: Vec<f64> = Vec::new();
            for i in range {
                let row = &k[i * m..(i + 1) * m];
                let mut max = 0.0f64;
                for (kij, vj) in row.iter().zip(v) {
                    max = max.max(kij * vj);
                }
                let cut = rel * max;
                let start = val.len();
                for (j, (kij, vj)) in row.iter().zip(v).enumerate() {
                    let x = kij * vj;
                    if x >= cut && x > 0.0 {
                        idx.push(j as u32);
                        val.push(u[i] * x);
                    }
                }
                let count = val.len() - start;
                if count > cap {
                    truncate_row(&mut idx, &mut val, start, cap);
                } else if count < least.min(m) {
                    idx.truncate(start);
                    val.truncate(start);
                    for (j, (kij, vj)) in row.iter().zip(v).enumerate() {
                        idx.push(j as u32);
                        val.push(u[i] * kij * vj);
                    }
                    truncate_row(&mut idx, &mut val, start, least.min(m));
                }
                counts.push(val.len() - start);
            }
            (counts, idx, val)
        };
        let parallel = n.saturating_mul(m) >= 1 << 16;
        let parts: Vec<_> = if parallel {
            (0..blocks.count).into_par_iter().map(select).collect()
        } else {
            (0..blocks.count).map(select).collect()
        };
        let nnz = parts.iter().map(|p| p.1.len()).sum();
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut values = Vec::with_capacity(nnz);
        indptr.push(0);
        for (counts, idx, val) in parts {
            for c in counts {
                let last = indptr[indptr.len() - 1];
                indptr.push(last + c);
            }
            indices.extend(idx);
            values.extend(val);
        }
        Sparse {
            cols: m,
            indptr,
            indices,
            values,
            blocks,
            parallel: nnz >= PARALLEL_NNZ,
        }
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// `y = P̃ x`.
    pub(crate) fn mul(&self, x: &[f64], y: &mut [f64]) {
        let row = |(i, yi): (usize, &mut f64)| {
            let (idx, val) = self.row(i);
            *yi = idx.iter().zip(val).map(|(&j, p)| p * x[j as usize]).sum();
        };
        if self.parallel {
            y.par_iter_mut().enumerate().with_min_len(64).for_each(row);
        } else {
            y.iter_mut().enumerate().for_each(row);
        }
    }

    /// `out = Σ_i P̃_i· · h(i, P̃_i·)`: every row, scaled by what `h` returns for
    /// it (given its indices and values), scattered into the columns; `part` is
    /// the per-block scratch (`blocks.count × cols`).
    fn scatter(
        &self,
        part: &mut [f64],
        out: &mut [f64],
        squares: bool,
        h: impl Fn(usize, &[u32], &[f64]) -> f64 + Sync,
    ) {
        let m = self.cols;
        let n = self.indptr.len() - 1;
        let go = |(b, part): (usize, &mut [f64])| {
            part.fill(0.0);
            for i in self.blocks.range(b, n) {
                let (idx, val) = self.row(i);
                let t = h(i, idx, val);
                for (&j, p) in idx.iter().zip(val) {
                    let w = if squares { p * p } else { *p };
                    part[j as usize] += t * w;
                }
            }
        };
        if self.parallel {
            part.par_chunks_mut(m).enumerate().for_each(go);
        } else {
            part.chunks_mut(m).enumerate().for_each(go);
        }
        combine(self.blocks, part, out, false);
    }

    /// A per-block scratch buffer for the scatters.
    pub(crate) fn scratch(&self) -> Vec<f64> {
        vec![0.0; self.blocks.count * self.cols.max(1)]
    }

    /// `out = P̃ᵀ t`.
    pub(crate) fn mul_t(&self, t: &[f64], part: &mut [f64], out: &mut [f64]) {
        self.scatter(part, out, false, |i, _, _| t[i]);
    }

    /// `out_j = Σ_i P̃_ij² w_i`.
    pub(crate) fn weighted_squares(&self, w: &[f64], part: &mut [f64], out: &mut [f64]) {
        self.scatter(part, out, true, |i, _, _| w[i]);
    }

    /// `out = P̃ᵀ diag(w) P̃ x`, reading every row once.
    pub(crate) fn gram(&self, x: &[f64], w: &[f64], part: &mut [f64], out: &mut [f64]) {
        self.scatter(part, out, false, |i, idx, val| {
            let s: f64 = idx.iter().zip(val).map(|(&j, p)| p * x[j as usize]).sum();
            s * w[i]
        });
    }
}

/// Keeps the `cap` largest entries (ties by column) of the row stored from
/// `start`, in column order.
fn truncate_row(idx: &mut Vec<u32>, val: &mut Vec<f64>, start: usize, cap: usize) {
    let mut row: Vec<(f64, u32)> = val[start..]
        .iter()
        .copied()
        .zip(idx[start..].iter().copied())
        .collect();
    row.select_nth_unstable_by(cap - 1, |p, q| q.0.total_cmp(&p.0).then(p.1.cmp(&q.1)));
    row.truncate(cap);
    row.sort_unstable_by_key(|e| e.1);
    idx.truncate(start);
    val.truncate(start);
    for (x, j) in row {
        idx.push(j);
        val.push(x);
    }
}

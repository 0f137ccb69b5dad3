//! The observed entries of a matrix to complete, by rows (CSR) and by columns
//! (CSC, pointing into the row-ordered values), and the products with the sparse
//! matrix they form: `P_Ω(M) · Y`, `P_Ω(M)ᵀ · Y` for dense blocks `Y`, and the
//! values of a low-rank `U Vᵀ` on Ω. The dense matrix is never formed.

use crate::error::{Error, Result, finite};
use faer::Mat;
use rayon::prelude::*;

/// Rows per rayon task in the per-row loops (fixed, for reproducible results).
pub(crate) const ROWS_PER_TASK: usize = 64;

/// The observed entries `(i, j, M_ij)` of an `rows × cols` matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// CSR: the entries of row `i` are `row_ptr[i]..row_ptr[i + 1]`.
    pub(crate) row_ptr: Vec<usize>,
    pub(crate) col_idx: Vec<u32>,
    pub(crate) values: Vec<f64>,
    /// CSC: the entries of column `j` are `col_ptr[j]..col_ptr[j + 1]` of
    /// `row_idx` and `at` (positions in `values`).
    pub(crate) col_ptr: Vec<usize>,
    pub(crate) row_idx: Vec<u32>,
    pub(crate) at: Vec<usize>,
}

impl Observed {
    /// From a row-major `rows × cols` matrix and a mask of the same size whose
    /// nonzero entries mark the observed ones (NaN in the mask is refused).
    pub fn from_dense(m: &[f64], mask: &[f64], rows: usize, cols: usize) -> Result<Observed> {
        if m.len() != rows * cols || mask.len() != rows * cols {
            return Err(Error::Shape {
                op: "complete",
                reason: format!(
                    "the matrix has {} entries and the mask {}, for a {rows} × {cols} matrix",
                    m.len(),
                    mask.len()
                ),
            });
        }
        finite("complete", "the mask", mask)?;
        let mut row_ptr = Vec::with_capacity(rows + 1);
        let (mut col_idx, mut values) = (Vec::new(), Vec::new());
        row_ptr.push(0);
        for i in 0..rows {
            for j in 0..cols {
                if mask[i * cols + j] != 0.0 {
                    let v = m[i * cols + j];
                    if !v.is_finite() {
                        return Err(Error::NonFinite {
                            op: "complete",
                            what: "an observed entry",
                            index: i * cols + j,
                        });
                    }
                    col_idx.push(j as u32);
                    values.push(v);
                }
            }
            row_ptr.push(values.len());
        }
        Observed::from_csr_parts(rows, cols, row_ptr, col_idx, values)
    }

    /// From CSR arrays (column indices sorted within each row, as
    /// `optl_linalg::Csr` keeps them); every stored entry is observed.
    pub fn from_csr_parts(
        rows: usize,
        cols: usize,
        row_ptr: Vec<usize>,
        col_idx: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<Observed> {
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            let row = row_ptr.partition_point(|&p| p <= index) - 1;
            return Err(Error::NonFinite {
                op: "complete",
                what: "an observed entry",
                index: row * cols + col_idx[index] as usize,
            });
        }
        let mut count = vec![0usize; cols + 1];
        for &j in &col_idx {
            count[j as usize + 1] += 1;
        }
        for j in 0..cols {
            count[j + 1] += count[j];
        }
        let col_ptr = count.clone();
        let mut next = count;
        let mut row_idx = vec![0u32; values.len()];
        let mut at = vec![0usize; values.len()];
        for i in 0..rows {
            for p in row_ptr[i]..row_ptr[i + 1] {
                let j = col_idx[p] as usize;
                row_idx[next[j]] = i as u32;
                at[next[j]] = p;
                next[j] += 1;
            }
        }
        Ok(Observed {
            rows,
            cols,
            row_ptr,
            col_idx,
            values,
            col_ptr,
            row_idx,
            at,
        })
    }

    /// The number of observed entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing is observed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `Err(Unobserved)` for the first row, then column, with no observed entry.
    pub(crate) fn check_coverage(&self) -> Result<()> {
        if let Some(i) = (0..self.rows).find(|&i| self.row_ptr[i] == self.row_ptr[i + 1]) {
            return Err(Error::Unobserved {
                op: "complete",
                axis: "row",
                index: i,
            });
        }
        if let Some(j) = (0..self.cols).find(|&j| self.col_ptr[j] == self.col_ptr[j + 1]) {
            return Err(Error::Unobserved {
                op: "complete",
                axis: "column",
                index: j,
            });
        }
        Ok(())
    }

    /// `S · Y` for the sparse matrix `S` with this pattern and entries `vals`
    /// (row-ordered, like `values`), `Y` of shape `[cols, k]`.
    pub(crate) fn mul(&self, vals: &[f64], y: &Mat<f64>) -> Mat<f64> {
        let k = y.ncols();
        let mut out = vec![0.0; self.rows * k];
        out.par_chunks_mut(ROWS_PER_TASK * k)
            .enumerate()
            .for_each(|(t, block)| {
                for (r, o) in block.chunks_mut(k).enumerate() {
                    let i = t * ROWS_PER_TASK + r;
                    for p in self.row_ptr[i]..self.row_ptr[i + 1] {
                        let (j, v) = (self.col_idx[p] as usize, vals[p]);
                        for (c, oc) in o.iter_mut().enumerate() {
                            *oc += v * y[(j, c)];
                        }
                    }
                }
            });
        Mat::from_fn(self.rows, k, |i, c| out[i * k + c])
    }

    /// `Sᵀ · Y` for `Y` of shape `[rows, k]`.
    pub(crate) fn mul_t(&self, vals: &[f64], y: &Mat<f64>) -> Mat<f64> {
        let k = y.ncols();
        let mut out = vec![0.0; self.cols * k];
        out.par_chunks_mut(ROWS_PER_TASK * k)
            .enumerate()
            .for_each(|(t, block)| {
                for (r, o) in block.chunks_mut(k).enumerate() {
                    let j = t * ROWS_PER_TASK + r;
                    for q in self.col_ptr[j]..self.col_ptr[j + 1] {
                        let (i, v) = (self.row_idx[q] as usize, vals[self.at[q]]);
                        for (c, oc) in o.iter_mut().enumerate() {
                            *oc += v * y[(i, c)];
                        }
                    }
                }
            });
        Mat::from_fn(self.cols, k, |j, c| out[j * k + c])
    }

    /// `(U Vᵀ)_ij` on every observed `(i, j)`, row-ordered; `u` row-major
    /// `[rows, k]`, `v` row-major `[cols, k]`.
    pub(crate) fn low_rank_values(&self, u: &[f64], v: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.len()];
        let starts: Vec<usize> = (0..self.rows.div_ceil(ROWS_PER_TASK))
            .map(|t| self.row_ptr[t * ROWS_PER_TASK])
            .collect();
        let mut chunks: Vec<&mut [f64]> = Vec::with_capacity(starts.len());
        let mut rest = out.as_mut_slice();
        for t in 0..starts.len() {
            let end = self.row_ptr[((t + 1) * ROWS_PER_TASK).min(self.rows)];
            let (head, tail) = rest.split_at_mut(end - starts[t]);
            chunks.push(head);
            rest = tail;
        }
        chunks.into_par_iter().enumerate().for_each(|(t, chunk)| {
            let base = starts[t];
            for i in t * ROWS_PER_TASK..((t + 1) * ROWS_PER_TASK).min(self.rows) {
                let ui = &u[i * k..(i + 1) * k];
                for p in self.row_ptr[i]..self.row_ptr[i + 1] {
                    let j = self.col_idx[p] as usize;
                    let vj = &v[j * k..(j + 1) * k];
                    chunk[p - base] = ui.iter().zip(vj).map(|(a, b)| a * b).sum();
                }
            }
        });
        out
    }
}

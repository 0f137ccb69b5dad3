//! Compressed sparse row matrices: construction (triplets with duplicates summed,
//! as SciPy), products, conversion, and direct solves through faer.
//!
//! A [`Csr`] always satisfies its invariants: `indptr` is non-decreasing with
//! `nrows + 1` entries ending at `nnz`, column indices are strictly increasing
//! within each row and below `ncols`, and every stored value is finite. Its
//! fields are therefore private; [`Csr::from_parts`] checks them.

mod direct;

pub use direct::{SparseCholesky, SparseLu, solve_lu, solve_spd};

use ndarray::IxDyn;
use optl_tensor::Tensor;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Rows per block of the parallel products. Blocks are fixed, so results do not
/// depend on the number of threads.
pub(crate) const ROW_BLOCK: usize = 4096;

/// Row count from which products run on the rayon pool.
const PARALLEL_ROWS: usize = 4 * ROW_BLOCK;

/// A sparse matrix in compressed sparse row form with sorted, unique column
/// indices per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    nrows: usize,
    ncols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

fn column_index(op: &'static str, ncols: usize) -> Result<()> {
    if ncols > u32::MAX as usize {
        return Err(Error::TooLarge {
            op,
            reason: format!("{ncols} columns exceed the limit of {}", u32::MAX),
        });
    }
    Ok(())
}

impl Csr {
    /// Builds a matrix of `shape` from coordinate triplets; duplicate entries are
    /// summed (in input order), explicit zeros are kept. Indices outside `shape` →
    /// [`Error::IndexOutOfBounds`], non-finite values → [`Error::NonFinite`],
    /// slices of different lengths → [`Error::InvalidArgument`].
    pub fn from_triplets(
        rows: &[usize],
        cols: &[usize],
        vals: &[f64],
        shape: (usize, usize),
    ) -> Result<Csr> {
        const OP: &str = "csr_from_triplets";
        let (nrows, ncols) = shape;
        column_index(OP, ncols)?;
        if rows.len() != cols.len() || rows.len() != vals.len() {
            return Err(Error::InvalidArgument {
                op: OP,
                reason: format!(
                    "rows, cols and vals have lengths {}, {} and {}",
                    rows.len(),
                    cols.len(),
                    vals.len()
                ),
            });
        }
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(vals) {
            if r >= nrows || c >= ncols {
                return Err(Error::IndexOutOfBounds {
                    op: OP,
                    row: r,
                    col: c,
                    shape,
                });
            }
            if !v.is_finite() {
                return Err(Error::NonFinite { op: OP });
            }
        }
        // Counting sort by row (stable), then a stable sort by column within rows.
        let mut counts = vec![0usize; nrows + 1];
        for &r in rows {
            counts[r + 1] += 1;
        }
        for i in 0..nrows {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut order = vec![0usize; rows.len()];
        for (t, &r) in rows.iter().enumerate() {
            order[next[r]] = t;
            next[r] += 1;
        }
        let mut indptr = Vec::with_capacity(nrows + 1);
        let mut indices = Vec::with_capacity(rows.len());
        let mut values = Vec::with_capacity(rows.len());
        indptr.push(0);
        for i in 0..nrows {
            let row = &mut order[counts[i]..counts[i + 1]];
            row.sort_by_key(|&t| cols[t]);
            let mut last = usize::MAX;
            for &t in row.iter() {
                if cols[t] == last {
                    if let Some(v) = values.last_mut() {
                        *v += vals[t];
                    }
                } else {
                    last = cols[t];
                    indices.push(cols[t] as u32);
                    values.push(vals[t]);
                }
            }
            indptr.push(indices.len());
        }
        if !values.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: OP });
        }
        Ok(Csr {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// Wraps raw CSR arrays after checking every invariant (sorted unique column
    /// indices, consistent `indptr`, finite values).
    pub fn from_parts(
        nrows: usize,
        ncols: usize,
        indptr: Vec<usize>,
        indices: Vec<usize>,
        values: Vec<f64>,
    ) -> Result<Csr> {
        const OP: &str = "csr_from_parts";
        column_index(OP, ncols)?;
        let bad = |reason: String| Error::InvalidArgument { op: OP, reason };
        if indptr.len() != nrows + 1 || indptr.first() != Some(&0) {
            return Err(bad(format!(
                "indptr must have {} entries starting at 0",
                nrows + 1
            )));
        }
        if indices.len() != values.len() || indptr[nrows] != indices.len() {
            return Err(bad("indptr, indices and values disagree on nnz".into()));
        }
        for i in 0..nrows {
            if indptr[i] > indptr[i + 1] {
                return Err(bad(format!("indptr decreases at row {i}")));
            }
            let row = &indices[indptr[i]..indptr[i + 1]];
            for (k, &c) in row.iter().enumerate() {
                if c >= ncols {
                    return Err(Error::IndexOutOfBounds {
                        op: OP,
                        row: i,
                        col: c,
                        shape: (nrows, ncols),
                    });
                }
                if k > 0 && row[k - 1] >= c {
                    return Err(bad(format!(
                        "column indices of row {i} are not strictly increasing"
                    )));
                }
            }
        }
        if !values.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: OP });
        }
        Ok(Csr {
            nrows,
            ncols,
            indptr,
            indices: indices.into_iter().map(|c| c as u32).collect(),
            values,
        })
    }

    /// The non-zero entries of a 2-D tensor.
    pub fn from_dense(a: &Tensor) -> Result<Csr> {
        const OP: &str = "csr_from_dense";
        if a.ndim() != 2 {
            return Err(Error::BadShape {
                op: OP,
                shape: a.shape().to_vec(),
                reason: "expected a 2-D matrix",
            });
        }
        let (nrows, ncols) = (a.shape()[0], a.shape()[1]);
        column_index(OP, ncols)?;
        let mut indptr = vec![0];
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for row in a.rows() {
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::NonFinite { op: OP });
                }
                if v != 0.0 {
                    indices.push(j as u32);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Ok(Csr {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        })
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// `(nrows, ncols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.nrows, self.ncols)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row pointers: the entries of row `i` are at `indptr[i]..indptr[i + 1]`.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index of every stored entry.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Value of every stored entry.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Column indices and values of row `i` (empty past the last row).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        if i >= self.nrows {
            return (&[], &[]);
        }
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Entry `(i, j)`, 0 when not stored or outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (cols, vals) = self.row(i);
        match cols.binary_search(&(j.min(u32::MAX as usize) as u32)) {
            Ok(k) if j < self.ncols => vals[k],
            _ => 0.0,
        }
    }

    fn check_len(&self, op: &'static str, x: &[f64], expected: usize) -> Result<()> {
        if x.len() != expected {
            return Err(Error::Shape {
                op,
                left: vec![self.nrows, self.ncols],
                right: vec![x.len()],
                reason: "vector length does not match the matrix",
            });
        }
        Ok(())
    }

    /// `y = A x`.
    pub fn matvec(&self, x: &[f64]) -> Result<Vec<f64>> {
        let mut y = vec![0.0; self.nrows];
        self.matvec_into(x, &mut y)?;
        Ok(y)
    }

    /// `y = A x` into a caller's buffer of length `nrows`.
    pub fn matvec_into(&self, x: &[f64], y: &mut [f64]) -> Result<()> {
        self.check_len("matvec", x, self.ncols)?;
        self.check_len("matvec", y, self.nrows)?;
        self.spmv(x, y);
        Ok(())
    }

    /// `y = Aᵀ x`.
    pub fn matvec_transpose(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_len("matvec_transpose", x, self.nrows)?;
        let mut y = vec![0.0; self.ncols];
        for (i, &xi) in x.iter().enumerate() {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                y[c as usize] += v * xi;
            }
        }
        Ok(y)
    }

    /// Row `i` of `A` times `x`; lengths are the caller's invariant.
    #[inline]
    pub(crate) fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        let r = self.indptr[i]..self.indptr[i + 1];
        let mut acc = 0.0;
        for (&c, &v) in self.indices[r.clone()].iter().zip(&self.values[r]) {
            acc += v * x[c as usize];
        }
        acc
    }

    /// `y = A x` for lengths already checked; parallel over fixed row blocks for
    /// large matrices (each row is summed in storage order, so the bits do not
    /// depend on the thread count).
    pub(crate) fn spmv(&self, x: &[f64], y: &mut [f64]) {
        if self.nrows >= PARALLEL_ROWS {
            y.par_chunks_mut(ROW_BLOCK)
                .enumerate()
                .for_each(|(b, chunk)| {
                    let base = b * ROW_BLOCK;
                    for (k, yi) in chunk.iter_mut().enumerate() {
                        *yi = self.row_dot(base + k, x);
                    }
                });
        } else {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = self.row_dot(i, x);
            }
        }
    }

    /// `y = A x` and returns `xᵀ y`, summed per fixed row block and then over the
    /// blocks in order (deterministic for any thread count). Square matrices only.
    pub(crate) fn spmv_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        let block = |b: usize, chunk: &mut [f64]| -> f64 {
            let base = b * ROW_BLOCK;
            let mut dot = 0.0;
            for (k, yi) in chunk.iter_mut().enumerate() {
                let v = self.row_dot(base + k, x);
                *yi = v;
                dot += v * x[base + k];
            }
            dot
        };
        if self.nrows >= PARALLEL_ROWS {
            let partial: Vec<f64> = y
                .par_chunks_mut(ROW_BLOCK)
                .enumerate()
                .map(|(b, chunk)| block(b, chunk))
                .collect();
            partial.iter().sum()
        } else {
            y.chunks_mut(ROW_BLOCK)
                .enumerate()
                .map(|(b, chunk)| block(b, chunk))
                .sum()
        }
    }

    /// The matrix as a dense 2-D tensor.
    pub fn to_dense(&self) -> Tensor {
        let mut data = vec![0.0; self.nrows * self.ncols];
        for i in 0..self.nrows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                data[i * self.ncols + c as usize] = v;
            }
        }
        Tensor::from_shape_vec(IxDyn(&[self.nrows, self.ncols]), data)
            .unwrap_or_else(|_| Tensor::zeros(IxDyn(&[self.nrows, self.ncols])))
    }

    /// The main diagonal (length `min(nrows, ncols)`), zeros where not stored.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.nrows.min(self.ncols))
            .map(|i| self.get(i, i))
            .collect()
    }

    /// The transpose, with sorted column indices.
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.ncols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            counts[j + 1] += counts[j];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0.0; self.nnz()];
        for i in 0..self.nrows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                let slot = &mut next[c as usize];
                indices[*slot] = i as u32;
                values[*slot] = v;
                *slot += 1;
            }
        }
        Csr {
            nrows: self.ncols,
            ncols: self.nrows,
            indptr: counts,
            indices,
            values,
        }
    }

    /// Largest `|a_ij − a_ji|` over all entries (infinite for a non-square matrix).
    pub fn max_asymmetry(&self) -> f64 {
        if self.nrows != self.ncols {
            return f64::INFINITY;
        }
        let mut worst = 0.0f64;
        for i in 0..self.nrows {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                worst = worst.max((v - self.get(c as usize, i)).abs());
            }
        }
        worst
    }

    /// Whether the matrix is square and `|a_ij − a_ji| <= rtol · max |a|` everywhere.
    pub fn is_symmetric(&self, rtol: f64) -> bool {
        let scale = self.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        self.max_asymmetry() <= rtol * scale
    }

    /// Largest absolute column sum `‖A‖₁`.
    pub fn norm1(&self) -> f64 {
        let mut sums = vec![0.0; self.ncols];
        for (&c, &v) in self.indices.iter().zip(&self.values) {
            sums[c as usize] += v.abs();
        }
        sums.into_iter().fold(0.0, f64::max)
    }
}

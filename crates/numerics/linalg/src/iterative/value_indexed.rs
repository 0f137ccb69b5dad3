//! A value-indexed copy of a CSR matrix for the products inside CG (after
//! Kourtis, Goumas, Koziris, 2008, "CSR-VI"): when a matrix has at most 256
//! distinct values (stencils, graph Laplacians), each entry stores a one-byte
//! code into a table instead of an 8-byte value, cutting the memory traffic of
//! a product — its bottleneck — by more than half.
//!
//! Rows are summed in storage order and reduced over the same fixed blocks as
//! [`Csr::spmv_dot`], so the results are bit-for-bit those of the plain matrix.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::sparse::{Csr, ROW_BLOCK};

/// Row count from which the products run on the rayon pool (as for [`Csr`]).
const PARALLEL_ROWS: usize = 4 * ROW_BLOCK;

/// A square CSR matrix whose values are one-byte codes into `table`.
pub(crate) struct ValueIndexed<'a> {
    csr: &'a Csr,
    codes: Vec<u8>,
    table: Vec<f64>,
}

impl<'a> ValueIndexed<'a> {
    /// The value-indexed form of a square `csr`, or `None` when it has more
    /// than 256 distinct values (compared bit for bit) or is too small to gain.
    pub(crate) fn new(csr: &'a Csr) -> Option<Self> {
        if csr.nrows() != csr.ncols() || csr.nrows() < PARALLEL_ROWS {
            return None;
        }
        let mut code_of: HashMap<u64, u8> = HashMap::new();
        let mut table = Vec::new();
        let mut codes = Vec::with_capacity(csr.nnz());
        for &v in csr.values() {
            let next = table.len();
            let code = *code_of.entry(v.to_bits()).or_insert_with(|| {
                table.push(v);
                next.min(255) as u8
            });
            if table.len() > 256 {
                return None;
            }
            codes.push(code);
        }
        Some(ValueIndexed { csr, codes, table })
    }

    #[inline]
    fn row_dot(&self, i: usize, x: &[f64]) -> f64 {
        let indptr = self.csr.indptr();
        let r = indptr[i]..indptr[i + 1];
        let mut acc = 0.0;
        for (&c, &k) in self.csr.indices()[r.clone()].iter().zip(&self.codes[r]) {
            acc += self.table[k as usize] * x[c as usize];
        }
        acc
    }

    /// `y = A x` and returns `xᵀ y`, exactly as [`Csr::spmv_dot`].
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
        let partial: Vec<f64> = y
            .par_chunks_mut(ROW_BLOCK)
            .enumerate()
            .map(|(b, chunk)| block(b, chunk))
            .collect();
        partial.iter().sum()
    }
}

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
    /// `ends[i]`: one past the last entry of row `i` (`u32`: half the bytes of
    /// `indptr`, read once per row).
    ends: Vec<u32>,
    codes: Vec<u8>,
    /// A full table, so that a `u8` code indexes it without a bounds check.
    table: Box<[f64; 256]>,
}

impl<'a> ValueIndexed<'a> {
    /// The value-indexed form of a square `csr`, or `None` when it has more
    /// than 256 distinct values (compared bit for bit), is too small to gain, or
    /// has 2³² entries or more.
    pub(crate) fn new(csr: &'a Csr) -> Option<Self> {
        if csr.nrows() != csr.ncols() || csr.nrows() < PARALLEL_ROWS {
            return None;
        }
        let ends = csr.indptr()[1..]
            .iter()
            .map(|&p| u32::try_from(p).ok())
            .collect::<Option<Vec<u32>>>()?;
        let mut code_of: HashMap<u64, u8> = HashMap::new();
        let mut table = Box::new([0.0; 256]);
        let mut distinct = 0usize;
        let mut codes = Vec::with_capacity(csr.nnz());
        for &v in csr.values() {
            let code = match code_of.get(&v.to_bits()) {
                Some(&c) => c,
                None if distinct < 256 => {
                    let c = distinct as u8;
                    table[distinct] = v;
                    distinct += 1;
                    code_of.insert(v.to_bits(), c);
                    c
                }
                None => return None,
            };
            codes.push(code);
        }
        Some(ValueIndexed {
            csr,
            ends,
            codes,
            table,
        })
    }

    /// `y = A x` and returns `xᵀ y`, exactly as [`Csr::spmv_dot`].
    pub(crate) fn spmv_dot(&self, x: &[f64], y: &mut [f64]) -> f64 {
        let (indices, table) = (self.csr.indices(), &*self.table);
        let block = |b: usize, chunk: &mut [f64]| -> f64 {
            let base = b * ROW_BLOCK;
            let mut start = if base == 0 {
                0
            } else {
                self.ends[base - 1] as usize
            };
            let rows = &self.ends[base..base + chunk.len()];
            let mut dot = 0.0;
            for ((yi, &end), &xi) in chunk.iter_mut().zip(rows).zip(&x[base..]) {
                let end = end as usize;
                let mut acc = 0.0;
                for (&c, &k) in indices[start..end].iter().zip(&self.codes[start..end]) {
                    acc += table[k as usize] * x[c as usize];
                }
                *yi = acc;
                dot += acc * xi;
                start = end;
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

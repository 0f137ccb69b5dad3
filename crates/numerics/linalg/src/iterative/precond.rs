//! Preconditioners of CG: none, Jacobi (a known positive diagonal) and IC(0)
//! (incomplete Cholesky with the sparsity of the lower triangle, CSR only).

use super::Operator;
use crate::error::{Error, Result};
use crate::positive;
use crate::sparse::Csr;

/// Which preconditioner CG applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precond {
    /// No preconditioning.
    #[default]
    None,
    /// `M = diag(A)`; needs an operator with a known diagonal.
    Jacobi,
    /// Incomplete Cholesky without fill, `M = L Lᵀ`; needs a [`Csr`] operator.
    Ic0,
}

/// A built preconditioner.
pub(crate) enum Built {
    None,
    /// Reciprocal of the diagonal.
    Jacobi(Vec<f64>),
    Ic0(Ic0),
}

/// The outcome of building: a preconditioner, or proof that `A` is not SPD.
pub(crate) enum Setup {
    Ready(Built),
    /// A non-positive diagonal entry: `A` cannot be SPD.
    NotSpd,
}

impl Precond {
    pub(crate) fn build(self, a: &dyn Operator) -> Result<Setup> {
        match self {
            Precond::None => Ok(Setup::Ready(Built::None)),
            Precond::Jacobi => {
                let d = a.diagonal().ok_or(Error::Unsupported {
                    op: "cg",
                    reason: "the Jacobi preconditioner needs an operator with a known diagonal",
                })?;
                if d.len() != a.n() {
                    return Err(Error::Shape {
                        op: "cg",
                        left: vec![a.n(), a.n()],
                        right: vec![d.len()],
                        reason: "the operator's diagonal has the wrong length",
                    });
                }
                if let Some(row) = d.iter().position(|&v| v == 0.0) {
                    return Err(Error::ZeroDiagonal { op: "cg", row });
                }
                if d.iter().any(|&v| !positive(v)) {
                    return Ok(Setup::NotSpd);
                }
                Ok(Setup::Ready(Built::Jacobi(
                    d.iter().map(|v| 1.0 / v).collect(),
                )))
            }
            Precond::Ic0 => {
                let csr = a.as_csr().ok_or(Error::Unsupported {
                    op: "cg",
                    reason: "the IC(0) preconditioner needs a Csr operator",
                })?;
                Ok(Setup::Ready(Built::Ic0(Ic0::new(csr)?)))
            }
        }
    }
}

/// The IC(0) factor `L`, stored by rows; the diagonal is the last entry of each row.
pub(crate) struct Ic0 {
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
}

impl Ic0 {
    /// Factors the lower triangle of `a` keeping its sparsity.
    pub(crate) fn new(a: &Csr) -> Result<Self> {
        let n = a.nrows();
        let mut indptr = Vec::with_capacity(n + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for i in 0..n {
            let (cols, vals) = a.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                if (c as usize) <= i {
                    indices.push(c as usize);
                    values.push(v);
                }
            }
            if indices.last() != Some(&i) {
                return Err(Error::ZeroDiagonal { op: "ic0", row: i });
            }
            indptr.push(indices.len());
        }
        for i in 0..n {
            let (start, end) = (indptr[i], indptr[i + 1]);
            for p in start..end - 1 {
                let k = indices[p];
                // s = a_ik − Σ_{j<k} l_ij l_kj over the common pattern.
                let (ks, ke) = (indptr[k], indptr[k + 1] - 1);
                let mut s = values[p];
                let (mut a_pos, mut b_pos) = (start, ks);
                while a_pos < p && b_pos < ke {
                    let (ja, jb) = (indices[a_pos], indices[b_pos]);
                    if ja == jb {
                        s -= values[a_pos] * values[b_pos];
                        a_pos += 1;
                        b_pos += 1;
                    } else if ja < jb {
                        a_pos += 1;
                    } else {
                        b_pos += 1;
                    }
                }
                values[p] = s / values[ke];
            }
            let d = values[end - 1] - values[start..end - 1].iter().map(|v| v * v).sum::<f64>();
            if !positive(d) || !d.is_finite() {
                return Err(Error::PreconditionerBreakdown { row: i });
            }
            values[end - 1] = d.sqrt();
        }
        Ok(Ic0 {
            indptr,
            indices,
            values,
        })
    }

    /// `z = (L Lᵀ)⁻¹ r`.
    pub(crate) fn apply(&self, r: &[f64], z: &mut [f64]) {
        let n = self.indptr.len() - 1;
        for i in 0..n {
            let (s, e) = (self.indptr[i], self.indptr[i + 1] - 1);
            let mut acc = r[i];
            for p in s..e {
                acc -= self.values[p] * z[self.indices[p]];
            }
            z[i] = acc / self.values[e];
        }
        // Lᵀ z = y by columns of Lᵀ (= rows of L), last row first.
        for i in (0..n).rev() {
            let (s, e) = (self.indptr[i], self.indptr[i + 1] - 1);
            let zi = z[i] / self.values[e];
            z[i] = zi;
            for p in s..e {
                z[self.indices[p]] -= self.values[p] * zi;
            }
        }
    }
}

//! Sparse direct solvers: faer's sparse Cholesky (SPD) and sparse LU (general).
//!
//! The CSR arrays of `A` are exactly the CSC arrays of `Aᵀ`, so faer sees `Aᵀ`
//! without a copy of the values: Cholesky factors it directly (it equals `A`),
//! LU solves with the transpose of its factors. The sparse LU reports a
//! reciprocal 1-norm condition estimate and refuses systems below machine
//! epsilon with [`Error::Singular`].

use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Llt, Lu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{MatMut, Side};

use super::Csr;
use crate::condest::{inverse_norm1_estimate, reciprocal_condition};
use crate::dense::SYMMETRY_RTOL;
use crate::error::{Error, Result};

/// Checks that `a` is square and `b` has matching length.
fn check_system(op: &'static str, a: &Csr, b: Option<&[f64]>) -> Result<()> {
    if a.nrows() != a.ncols() {
        return Err(Error::BadShape {
            op,
            shape: vec![a.nrows(), a.ncols()],
            reason: "expected a square matrix",
        });
    }
    if let Some(b) = b {
        if b.len() != a.nrows() {
            return Err(Error::Shape {
                op,
                left: vec![a.nrows(), a.ncols()],
                right: vec![b.len()],
                reason: "b must have as many entries as A has rows",
            });
        }
        if !b.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op });
        }
    }
    Ok(())
}

/// The `usize` index arrays faer needs (CSC of `Aᵀ`).
struct Transposed {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
}

impl Transposed {
    fn new(a: &Csr) -> Self {
        Transposed {
            col_ptr: a.indptr().to_vec(),
            row_idx: a.indices().iter().map(|&c| c as usize).collect(),
        }
    }

    fn view<'a>(&'a self, a: &'a Csr) -> SparseColMatRef<'a, usize, f64> {
        let symbolic = SymbolicSparseColMatRef::new_checked(
            a.ncols(),
            a.nrows(),
            &self.col_ptr,
            None,
            &self.row_idx,
        );
        SparseColMatRef::new(symbolic, a.values())
    }
}

/// A sparse Cholesky factorization `A = L Lᵀ` of a symmetric positive-definite matrix.
pub struct SparseCholesky {
    llt: Llt<usize, f64>,
    n: usize,
}

impl std::fmt::Debug for SparseCholesky {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseCholesky")
            .field("n", &self.n)
            .finish()
    }
}

impl SparseCholesky {
    /// Factors `a`; asymmetric → [`Error::NotSymmetric`], not positive definite →
    /// [`Error::NotPositiveDefinite`].
    pub fn new(a: &Csr) -> Result<Self> {
        const OP: &str = "sparse_cholesky";
        check_system(OP, a, None)?;
        let scale = a.values().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let asym = a.max_asymmetry();
        if asym > SYMMETRY_RTOL * scale {
            return Err(Error::NotSymmetric {
                op: OP,
                max_asymmetry: asym,
                tol: SYMMETRY_RTOL * scale,
            });
        }
        let t = Transposed::new(a);
        let llt = t.view(a).sp_cholesky(Side::Lower).map_err(|e| match e {
            faer::sparse::linalg::LltError::Numeric(
                faer::linalg::cholesky::llt::factor::LltError::NonPositivePivot { index },
            ) => Error::NotPositiveDefinite {
                op: OP,
                pivot: index,
            },
            faer::sparse::linalg::LltError::Generic(_) => Error::TooLarge {
                op: OP,
                reason: "the factorization could not allocate its storage".into(),
            },
        })?;
        Ok(SparseCholesky { llt, n: a.nrows() })
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>> {
        const OP: &str = "sparse_cholesky_solve";
        if b.len() != self.n {
            return Err(Error::Shape {
                op: OP,
                left: vec![self.n, self.n],
                right: vec![b.len()],
                reason: "b must have as many entries as A has rows",
            });
        }
        if !b.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: OP });
        }
        let mut x = b.to_vec();
        if self.n > 0 {
            self.llt
                .solve_in_place(MatMut::from_column_major_slice_mut(&mut x, self.n, 1));
        }
        Ok(x)
    }
}

/// A sparse LU factorization with partial pivoting and fill-reducing ordering.
pub struct SparseLu {
    lu: Lu<usize, f64>,
    n: usize,
    rcond: f64,
}

impl std::fmt::Debug for SparseLu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseLu")
            .field("n", &self.n)
            .field("rcond", &self.rcond)
            .finish()
    }
}

impl SparseLu {
    /// Factors the square `a`; structurally or numerically singular →
    /// [`Error::Singular`] with the reciprocal condition estimate.
    pub fn new(a: &Csr) -> Result<Self> {
        const OP: &str = "sparse_lu";
        check_system(OP, a, None)?;
        let n = a.nrows();
        if n == 0 {
            let t = Transposed::new(a);
            let lu = t
                .view(a)
                .sp_lu()
                .map_err(|_| Error::Singular { op: OP, rcond: 0.0 })?;
            return Ok(SparseLu { lu, n, rcond: 1.0 });
        }
        let t = Transposed::new(a);
        let lu = t.view(a).sp_lu().map_err(|e| match e {
            faer::sparse::linalg::LuError::SymbolicSingular { .. } => {
                Error::Singular { op: OP, rcond: 0.0 }
            }
            faer::sparse::linalg::LuError::Generic(_) => Error::TooLarge {
                op: OP,
                reason: "the factorization could not allocate its storage".into(),
            },
        })?;
        // faer factors Aᵀ: its transpose solve is a solve with A.
        let inverse = inverse_norm1_estimate(
            n,
            |x| lu.solve_transpose_in_place(MatMut::from_column_major_slice_mut(x, n, 1)),
            |x| lu.solve_in_place(MatMut::from_column_major_slice_mut(x, n, 1)),
        );
        let rcond = reciprocal_condition(a.norm1(), inverse);
        if rcond < f64::EPSILON {
            return Err(Error::Singular { op: OP, rcond });
        }
        Ok(SparseLu { lu, n, rcond })
    }

    /// The reciprocal 1-norm condition estimate of the factored matrix.
    pub fn rcond(&self) -> f64 {
        self.rcond
    }

    /// Solves `A x = b`.
    pub fn solve(&self, b: &[f64]) -> Result<Vec<f64>> {
        const OP: &str = "sparse_lu_solve";
        if b.len() != self.n {
            return Err(Error::Shape {
                op: OP,
                left: vec![self.n, self.n],
                right: vec![b.len()],
                reason: "b must have as many entries as A has rows",
            });
        }
        if !b.iter().all(|v| v.is_finite()) {
            return Err(Error::NonFinite { op: OP });
        }
        let mut x = b.to_vec();
        if self.n > 0 {
            self.lu
                .solve_transpose_in_place(MatMut::from_column_major_slice_mut(&mut x, self.n, 1));
        }
        Ok(x)
    }
}

/// Solves `A x = b` for a symmetric positive-definite sparse `A` by sparse Cholesky.
pub fn solve_spd(a: &Csr, b: &[f64]) -> Result<Vec<f64>> {
    check_system("solve_spd", a, Some(b))?;
    SparseCholesky::new(a)?.solve(b)
}

/// Solves `A x = b` for a square sparse `A` by sparse LU.
pub fn solve_lu(a: &Csr, b: &[f64]) -> Result<Vec<f64>> {
    check_system("solve_lu", a, Some(b))?;
    SparseLu::new(a)?.solve(b)
}

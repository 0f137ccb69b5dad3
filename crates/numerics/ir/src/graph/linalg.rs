//! The builders of the linear-algebra nodes (`solve`, `logdet`, `cholesky`,
//! `sparse_matvec`): shape checks and, for sparse products, the constant CSR
//! structure checked once at build time.

use super::{Graph, IrError, IrResult, NodeId, Op, Shape, shape_text};

impl Graph {
    /// `x` with `a x = b`: `a` is `[n, n]`, `b` is `[n]` or `[n, k]`, and the result has
    /// `b`'s shape.
    pub fn solve(&mut self, a: NodeId, b: NodeId) -> IrResult<NodeId> {
        let (sa, sb) = (self.shape(a).to_vec(), self.shape(b).to_vec());
        let square = sa.len() == 2 && sa[0] == sa[1];
        if !square || sb.is_empty() || sb.len() > 2 || sb[0] != sa[0] {
            return Err(IrError::Shape(format!(
                "solve: shapes {} and {} are not aligned (needs [n, n] and [n] or [n, k])",
                shape_text(&sa),
                shape_text(&sb)
            )));
        }
        Ok(self.build(Op::Solve, &[a, b], &sb))
    }

    /// `A x`, or `Aᵀ x` when `transpose`, for the sparse matrix `A` `[m, ncols]` in
    /// CSR form given by the constant nodes `indptr` `[m + 1]`, `indices` `[nnz]`
    /// (column indices) and `values` `[nnz]`; `x` is `[ncols]` (`[m]` when
    /// `transpose`) and the result `[m]` (`[ncols]`). The three structure arguments
    /// must be constants (`Op::Const`, else [`IrError::Invalid`]); their shapes and
    /// `x`'s are checked ([`IrError::Shape`]), and so is the structure itself
    /// (`indptr` starts at 0, never decreases and ends at `nnz`; every index is an
    /// integer in `0..ncols`; else [`IrError::Invalid`]).
    pub fn sparse_matvec(
        &mut self,
        indptr: NodeId,
        indices: NodeId,
        values: NodeId,
        x: NodeId,
        ncols: usize,
        transpose: bool,
    ) -> IrResult<NodeId> {
        let (Some(p), Some(j), Some(_)) = (
            self.as_const(indptr).cloned(),
            self.as_const(indices).cloned(),
            self.as_const(values),
        ) else {
            return Err(IrError::Invalid(
                "sparse_matvec: the matrix must be a constant".into(),
            ));
        };
        let sx = self.shape(x);
        let m = crate::sparse::rows(
            self.shape(indptr),
            self.shape(indices),
            self.shape(values),
            ncols,
            sx,
        )?;
        crate::sparse::check_x(m, ncols, transpose, sx)?;
        crate::sparse::check_contents(&p, &j, ncols)?;
        let out = if transpose { ncols } else { m };
        let op = Op::SparseMatVec { ncols, transpose };
        Ok(self.build(op, &[indptr, indices, values, x], &[out]))
    }

    /// The entropic OT objective between `a` `[n]` and `b` `[m]` for costs `m`
    /// `[n, m]` with regularization `reg > 0` (finite); see [`Op::EntropicOt`].
    pub fn entropic_ot(&mut self, a: NodeId, b: NodeId, m: NodeId, reg: f64) -> IrResult<NodeId> {
        let reg = self.ot_args(a, b, m, reg)?;
        Ok(self.build(Op::EntropicOt { reg }, &[a, b, m], &[]))
    }

    /// The gradient of [`Graph::entropic_ot`] with respect to argument `wrt`
    /// (0, 1 or 2), of that argument's shape.
    pub fn entropic_ot_grad(
        &mut self,
        a: NodeId,
        b: NodeId,
        m: NodeId,
        reg: f64,
        wrt: u8,
    ) -> IrResult<NodeId> {
        let bits = self.ot_args(a, b, m, reg)?;
        let shape = match wrt {
            0 => self.shape(a).to_vec(),
            1 => self.shape(b).to_vec(),
            2 => self.shape(m).to_vec(),
            _ => {
                return Err(IrError::Invalid(format!(
                    "entropic_ot_grad: no argument {wrt}"
                )));
            }
        };
        Ok(self.build(Op::EntropicOtGrad { reg: bits, wrt }, &[a, b, m], &shape))
    }

    /// Checks the shapes `[n]`, `[m]`, `[n, m]` and `reg`; gives `reg`'s bits.
    fn ot_args(&self, a: NodeId, b: NodeId, m: NodeId, reg: f64) -> IrResult<u64> {
        let (sa, sb, sm) = (self.shape(a), self.shape(b), self.shape(m));
        if sa.len() != 1 || sb.len() != 1 || sm != [sa[0], sb[0]] {
            return Err(IrError::Shape(format!(
                "entropic_ot: a {}, b {} and M {} do not fit (a is [n], b is [m], M is [n, m])",
                shape_text(sa),
                shape_text(sb),
                shape_text(sm)
            )));
        }
        if !(reg > 0.0 && reg.is_finite()) {
            return Err(IrError::Invalid(format!(
                "entropic_ot: reg must be positive and finite, got {reg}"
            )));
        }
        Ok(reg.to_bits())
    }

    /// `log det a` of a square matrix `a` (shape `[]`).
    pub fn logdet(&mut self, a: NodeId) -> IrResult<NodeId> {
        self.square_arg("logdet", a)?;
        Ok(self.build(Op::LogDet, &[a], &[]))
    }

    /// The nuclear norm of a matrix `a` `[m, n]`.
    pub fn nuclear_norm(&mut self, a: NodeId) -> IrResult<NodeId> {
        self.matrix_arg("nuclear_norm", a)?;
        Ok(self.build(Op::NuclearNorm, &[a], &[]))
    }

    /// The nuclear norm's gradient at a matrix `a`.
    pub fn nuclear_norm_grad(&mut self, a: NodeId) -> IrResult<NodeId> {
        let s = self.matrix_arg("nuclear_norm", a)?;
        Ok(self.build(Op::NuclearNormGrad, &[a], &s))
    }

    fn matrix_arg(&self, op: &str, a: NodeId) -> IrResult<Shape> {
        let s = self.shape(a).to_vec();
        if s.len() != 2 {
            return Err(IrError::Shape(format!(
                "{op} needs a matrix [m, n], got shape {}",
                shape_text(&s)
            )));
        }
        Ok(s)
    }

    /// The lower Cholesky factor of a square (symmetric positive definite) `a`.
    pub fn cholesky(&mut self, a: NodeId) -> IrResult<NodeId> {
        let s = self.square_arg("cholesky", a)?;
        Ok(self.build(Op::Cholesky, &[a], &s))
    }

    /// The shape of `a`, checked to be a square matrix `[n, n]`.
    fn square_arg(&self, op: &str, a: NodeId) -> IrResult<Shape> {
        let s = self.shape(a).to_vec();
        if s.len() != 2 || s[0] != s[1] {
            return Err(IrError::Shape(format!(
                "{op} needs a square matrix [n, n], got shape {}",
                shape_text(&s)
            )));
        }
        Ok(s)
    }
}

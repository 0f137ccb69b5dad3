//! The OptL numeric IR: numeric code traced from OptL becomes a typed, hash-consed DAG
//! of tensor operations with static shapes. This crate simplifies it, differentiates
//! it (reverse mode, Hessian-vector products), interprets it (the reference semantics
//! the JIT must match), prints it in a stable text form, and hashes it structurally
//! and functionally.
//!
//! **Architecture invariant:** the IR knows nothing of syntax or of OptL values; it
//! depends only on `optl-tensor` and, for `solve`, `logdet` and `cholesky`, on
//! `optl-linalg` (which is itself language-independent).

pub mod ad;
mod ad_linalg;
pub mod completion;
pub mod composite;
pub mod constraints;
pub mod graph;
pub mod hash;
pub mod interp;
mod interp_linalg;
mod interp_ot;
pub mod print;
mod rewrite;
pub mod simplify;
mod sparse;
pub mod split;
mod table;

pub use ad::{grad, grad_only, hvp};
pub use completion::CompletionTerms;
pub use composite::{LeastSquares, Split, Term, reads_inputs, split_objective};
pub use constraints::{Affine, Coefficient, SetConstraint, affine_output, set_constraint};
pub use graph::{
    AxisSlice, BinaryOp, Function, Graph, IrError, IrResult, Node, NodeId, Op, Shape, UnaryOp,
};
pub use hash::{functional_hash, hex, structural_hash};
pub use interp::eval;
pub use print::to_text;
pub use rewrite::FOLD_LIMIT;
pub use simplify::{inline, prune, prune_owned, simplify};
pub use split::{RowSplit, split_rows};

//! Checks that a function is well formed before it is compiled: the builders of
//! `optl-ir` guarantee it, but `Graph::push` does not, and compiled code must never
//! index out of bounds. Any problem is a [`JitError::Invalid`], and the caller's
//! fallback to the interpreter then reports the interpreter's own error. A live
//! `solve`, `logdet`, `cholesky` or `sparse_matvec` node (which the JIT does not
//! compile) is a [`JitError::Unsupported`], and the function runs on the
//! interpreter.

use optl_ir::{AxisSlice, Function, Op};

use crate::JitError;
use crate::plan::numel;

fn bad(i: usize, what: impl std::fmt::Display) -> JitError {
    JitError::Invalid(format!("node %{i}: {what}"))
}

/// Whether `slices` select valid positions of `shape` (as `optl-ir` checks them).
fn slices_fit(shape: &[usize], slices: &[AxisSlice]) -> bool {
    slices.len() == shape.len()
        && slices.iter().zip(shape).all(|(sl, &n)| {
            if sl.len == 0 {
                return true;
            }
            let last = (sl.step as i128)
                .checked_mul(sl.len as i128 - 1)
                .map(|d| sl.start as i128 + d);
            sl.step != 0 && sl.start < n && last.is_some_and(|l| l >= 0 && l < n as i128)
        })
}

/// Checks every node the outputs depend on.
pub(crate) fn validate(f: &Function) -> Result<(), JitError> {
    let g = &f.graph;
    let n = g.len();
    for o in &f.outputs {
        if o.index() >= n {
            return Err(JitError::Invalid(format!("output %{} is not a node", o.0)));
        }
    }
    let live = g.reachable(&f.outputs);
    for (i, node) in g.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        if let Some(a) = node.args.iter().find(|a| a.index() >= i) {
            return Err(bad(i, format!("reads %{} before it is computed", a.0)));
        }
        let arity = |k: usize| {
            if node.args.len() == k {
                Ok(())
            } else {
                Err(bad(i, format!("`{:?}` takes {k} arguments", node.op)))
            }
        };
        let shape = |k: usize| g.shape(node.args[k]);
        let s = node.shape.as_slice();
        let ok = match &node.op {
            Op::Input(k) => {
                arity(0)?;
                f.input_shapes().get(*k as usize).map(|x| x.as_slice()) == Some(s)
            }
            Op::Const(c) => {
                arity(0)?;
                g.get_constant(*c).is_some_and(|t| t.shape() == s)
            }
            Op::Unary(_) => {
                arity(1)?;
                shape(0) == s
            }
            Op::Binary(_) => {
                arity(2)?;
                shape(0) == s && shape(1) == s
            }
            Op::Where => {
                arity(3)?;
                (0..3).all(|k| shape(k) == s)
            }
            Op::Sum(axis) | Op::Max(axis) | Op::Min(axis) => {
                arity(1)?;
                let a = shape(0);
                match axis {
                    None => s.is_empty(),
                    Some(ax) => {
                        *ax < a.len() && {
                            let mut r = a.to_vec();
                            r.remove(*ax);
                            r == s
                        }
                    }
                }
            }
            Op::MatMul => {
                arity(2)?;
                let (a, b) = (shape(0), shape(1));
                a.len() == 2 && b.len() == 2 && a[1] == b[0] && s == [a[0], b[1]]
            }
            Op::Broadcast => {
                arity(1)?;
                let a = shape(0);
                a.len() <= s.len()
                    && a.iter()
                        .rev()
                        .zip(s.iter().rev())
                        .all(|(&x, &y)| x == y || x == 1)
            }
            Op::Reshape => {
                arity(1)?;
                numel(shape(0)) == numel(s)
            }
            Op::Transpose => {
                arity(1)?;
                shape(0).iter().rev().eq(s.iter())
            }
            Op::Slice(sl) => {
                arity(1)?;
                slices_fit(shape(0), sl) && sl.iter().map(|x| x.len).eq(s.iter().copied())
            }
            Op::Unslice(sl) => {
                arity(1)?;
                slices_fit(s, sl) && sl.iter().map(|x| x.len).eq(shape(0).iter().copied())
            }
            Op::Concat(axis) => {
                !node.args.is_empty()
                    && *axis < s.len()
                    && node.args.iter().all(|a| {
                        let p = g.shape(*a);
                        p.len() == s.len()
                            && p.iter()
                                .zip(s)
                                .enumerate()
                                .all(|(d, (x, y))| d == *axis || x == y)
                    })
                    && node.args.iter().map(|a| g.shape(*a)[*axis]).sum::<usize>() == s[*axis]
            }
            // Linear algebra (dense, and the sparse product) is not compiled: the
            // caller runs the function on the interpreter (counted as a fallback by
            // `engines.rs`).
            Op::Solve
            | Op::LogDet
            | Op::NuclearNorm
            | Op::NuclearNormGrad
            | Op::Cholesky
            | Op::SparseMatVec { .. }
            | Op::EntropicOt { .. }
            | Op::EntropicOtGrad { .. } => {
                return Err(JitError::Unsupported(node.op.clone()));
            }
        };
        if !ok {
            return Err(bad(i, format!("`{:?}` has inconsistent shapes", node.op)));
        }
    }
    Ok(())
}

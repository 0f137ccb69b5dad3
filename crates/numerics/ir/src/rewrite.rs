//! Simplification at build time: the rules every builder of [`Graph`] applies before
//! adding a node (the builders sort the operands of commutative operations first).
//!
//! Rules are local, cheap, and keep the node's shape:
//! - **Constant folding.** When every argument is a constant (or a broadcast of
//!   one), the node is evaluated with the interpreter's own code. Scalar results,
//!   and tensors whose elements are all equal, become `full(v, shape)` (a broadcast
//!   scalar), so no large constant is materialised; other results are folded only
//!   when they and their arguments have at most [`FOLD_LIMIT`] elements (the
//!   transpose of a constant is folded at any size: it is no larger). A fold that
//!   fails (say the maximum of an empty tensor) leaves the node alone, so the error
//!   shows when the graph is run.
//! - **Identities** ("0" and "1" are scalar constants or broadcasts of one):
//!   `x+0 = 0+x = x-0 = x`, `0-x = -x`, `x-x = 0`, `x*1 = 1*x = x/1 = x`,
//!   `x*-1 = x/-1 = -x`, `x*0 = 0*x = 0`, `--x = x`, `x^1 = x`, `x^0 = 1`, `1^x = 1`,
//!   `x^2 = x*x`, `x^3 = x*x*x`, `x^-1 = 1/x`, `x^0.5 = sqrt(x)`, `max(x,x) =
//!   min(x,x) = x`, `where(c,a,a) = a`, `where(const c, a, b)` picks a side, matmul or
//!   unslice of 0 is 0, reductions over a single element are reshapes, and chains of
//!   broadcasts, reshapes or transposes collapse.
//! - **Signs** move outwards so that they cancel: `a + -b = a - b`, `a - -b = a + b`,
//!   `-a - b = -(a + b)`, `-(a - b) = b - a`, `-a * -b = a * b`, and `-a * b`, `-a / b`, `a / -b` become
//!   `-(a * b)` and `-(a / b)` (exact: IEEE rounding is symmetric in sign).
//!
//! `x*0 = 0` and `x-x = 0` assume `x` is finite (as the language allows: objectives
//! are meant to be finite where they are evaluated), and the identities do not
//! preserve the sign of a zero result (`0-x` at `x = 0` gives `-0.0`). Everything else
//! gives the same bits as the unsimplified node.

use optl_tensor::Tensor;

use crate::graph::{BinaryOp, Graph, Node, NodeId, Op, UnaryOp, canonical_bits};
use crate::interp::{binary_f64, eval_op, unary_f64, where_f64};

/// Largest number of elements a folded tensor constant (or a folded argument) may
/// have; larger constant expressions are left for run time.
pub const FOLD_LIMIT: usize = 4096;

/// A simpler node equivalent to `op(args)` of `shape`, when a rule applies.
pub(crate) fn rewrite(g: &mut Graph, op: &Op, args: &[NodeId], shape: &[usize]) -> Option<NodeId> {
    if args.is_empty() || args.iter().any(|a| g.get(*a).is_none()) {
        return None;
    }
    if let Some(id) = fold(g, op, args, shape) {
        return Some(id);
    }
    identity(g, op, args, shape)
}

/// Whether a node is a constant or a broadcast of a constant.
fn is_const(g: &Graph, id: NodeId) -> bool {
    let mut id = id;
    for _ in 0..g.len() + 1 {
        let Some(node) = g.get(id) else {
            return false;
        };
        match node.op {
            Op::Const(_) => return true,
            Op::Broadcast if node.args.len() == 1 && node.args[0] < id => id = node.args[0],
            _ => return false,
        }
    }
    false
}

fn fold(g: &mut Graph, op: &Op, args: &[NodeId], shape: &[usize]) -> Option<NodeId> {
    if !args.iter().all(|&a| is_const(g, a)) {
        return None;
    }
    let scalars: Option<smallvec::SmallVec<[f64; 4]>> =
        args.iter().map(|&a| g.as_scalar_const(a)).collect();
    if let Some(s) = scalars {
        let v = match op {
            Op::Unary(u) => Some(unary_f64(*u, s[0])),
            Op::Binary(b) if s.len() == 2 => Some(binary_f64(*b, s[0], s[1])),
            Op::Where if s.len() == 3 => Some(where_f64(s[0], s[1], s[2])),
            Op::Broadcast | Op::Reshape | Op::Transpose | Op::Slice(_) => Some(s[0]),
            Op::Max(_) | Op::Min(_) if g.shape(args[0]).iter().all(|&d| d > 0) => Some(s[0]),
            Op::Concat(_) if s.iter().all(|x| canonical_bits(*x) == canonical_bits(s[0])) => {
                Some(s[0])
            }
            Op::Unslice(_) if s[0] == 0.0 => Some(0.0),
            _ => None,
        };
        if let Some(v) = v {
            return Some(g.full(v, shape));
        }
    }
    // The transpose of a constant is a constant of the same size, whatever the size:
    // folding it costs one copy at build time instead of one per run (`X.T @ r` in
    // the gradient of `X @ w` for a data matrix `X`).
    if matches!(op, Op::Transpose)
        && let Some(Node {
            op: Op::Const(c), ..
        }) = g.get(args[0])
    {
        let t = optl_tensor::transpose(g.get_constant(*c)?);
        return Some(g.constant(t));
    }
    let small = |s: &[usize]| optl_tensor::size_of(s) <= FOLD_LIMIT as u128;
    if !small(shape) || !args.iter().all(|&a| small(g.shape(a))) {
        return None;
    }
    let values: Vec<Tensor> = args
        .iter()
        .map(|&a| materialize(g, a))
        .collect::<Option<_>>()?;
    let refs: Vec<&Tensor> = values.iter().collect();
    let node = Node {
        op: op.clone(),
        args: args.into(),
        shape: shape.into(),
    };
    let t = eval_op(g, &node, &refs, FOLD_LIMIT).ok()?;
    if !crate::graph::same_shape(t.shape(), shape) {
        return None;
    }
    let first = t.iter().next().copied();
    match first {
        Some(v) if t.iter().all(|x| canonical_bits(*x) == canonical_bits(v)) => {
            Some(g.full(v, shape))
        }
        _ => Some(g.constant(t)),
    }
}

/// The value of a constant node (a constant or a broadcast of one).
fn materialize(g: &Graph, id: NodeId) -> Option<Tensor> {
    // Walk down the chain of broadcasts to the constant, then broadcast back up.
    let mut chain = Vec::new();
    let mut id = id;
    let mut value = loop {
        let node = g.get(id)?;
        match node.op {
            Op::Const(c) => break Tensor::clone(g.get_constant(c)?),
            Op::Broadcast if node.args.len() == 1 && node.args[0] < id => {
                chain.push(node);
                id = node.args[0];
            }
            _ => return None,
        }
    };
    for node in chain.into_iter().rev() {
        value = eval_op(g, node, &[&value], FOLD_LIMIT).ok()?;
    }
    Some(value)
}

fn identity(g: &mut Graph, op: &Op, args: &[NodeId], shape: &[usize]) -> Option<NodeId> {
    let sc = |g: &Graph, i: usize| args.get(i).and_then(|&a| g.as_scalar_const(a));
    match op {
        Op::Unary(UnaryOp::Neg) => {
            if let Some(x) = neg_of(g, args[0]) {
                return Some(x);
            }
            let inner = g.get(args[0])?;
            match (&inner.op, inner.args.as_slice()) {
                (Op::Binary(BinaryOp::Sub), &[a, b]) => g.binary(BinaryOp::Sub, b, a).ok(),
                _ => None,
            }
        }
        Op::Binary(b) if args.len() == 2 => {
            let (a, x) = (args[0], args[1]);
            let (ca, cx) = (sc(g, 0), sc(g, 1));
            binary_identity(g, *b, a, x, ca, cx, shape)
        }
        Op::Where if args.len() == 3 => {
            if args[1] == args[2] {
                return Some(args[1]);
            }
            sc(g, 0).map(|c| if c != 0.0 { args[1] } else { args[2] })
        }
        Op::Sum(axis) | Op::Max(axis) | Op::Min(axis) => {
            let s = g.shape(args[0]).to_vec();
            match axis {
                None if s.is_empty() => Some(args[0]),
                Some(ax) if s.get(*ax) == Some(&1) => g.reshape(args[0], shape).ok(),
                _ if matches!(op, Op::Sum(_)) && sc(g, 0) == Some(0.0) => Some(g.full(0.0, shape)),
                _ => None,
            }
        }
        Op::MatMul if sc(g, 0) == Some(0.0) || sc(g, 1) == Some(0.0) => Some(g.full(0.0, shape)),
        Op::Broadcast => {
            let inner = g.get(args[0])?;
            match (&inner.op, inner.args.as_slice()) {
                (Op::Broadcast, &[x]) => g.broadcast(x, shape).ok(),
                _ => None,
            }
        }
        Op::Reshape => {
            let inner = g.get(args[0])?;
            match (&inner.op, inner.args.as_slice()) {
                (Op::Reshape, &[x]) => g.reshape(x, shape).ok(),
                _ => None,
            }
        }
        Op::Transpose => {
            let inner = g.get(args[0])?;
            match inner.op {
                Op::Transpose if inner.args.len() == 1 => {
                    let x = inner.args[0];
                    crate::graph::same_shape(&g.get(x)?.shape, shape).then_some(x)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn binary_identity(
    g: &mut Graph,
    op: BinaryOp,
    a: NodeId,
    b: NodeId,
    ca: Option<f64>,
    cb: Option<f64>,
    shape: &[usize],
) -> Option<NodeId> {
    match op {
        BinaryOp::Add if ca == Some(0.0) => Some(b),
        BinaryOp::Add if cb == Some(0.0) => Some(a),
        BinaryOp::Sub if cb == Some(0.0) => Some(a),
        BinaryOp::Sub if a == b => Some(g.full(0.0, shape)),
        BinaryOp::Sub if ca == Some(0.0) => Some(g.unary(UnaryOp::Neg, b)),
        BinaryOp::Mul if ca == Some(1.0) => Some(b),
        BinaryOp::Mul if cb == Some(1.0) => Some(a),
        BinaryOp::Mul if ca == Some(0.0) || cb == Some(0.0) => Some(g.full(0.0, shape)),
        BinaryOp::Mul if ca == Some(-1.0) => Some(g.unary(UnaryOp::Neg, b)),
        BinaryOp::Mul if cb == Some(-1.0) => Some(g.unary(UnaryOp::Neg, a)),
        BinaryOp::Div if cb == Some(1.0) => Some(a),
        BinaryOp::Div if cb == Some(-1.0) => Some(g.unary(UnaryOp::Neg, a)),
        BinaryOp::Pow if ca == Some(1.0) => Some(g.full(1.0, shape)),
        BinaryOp::Pow => match cb? {
            1.0 => Some(a),
            0.0 => Some(g.full(1.0, shape)),
            2.0 => g.binary(BinaryOp::Mul, a, a).ok(),
            3.0 => {
                let sq = g.binary(BinaryOp::Mul, a, a).ok()?;
                g.binary(BinaryOp::Mul, sq, a).ok()
            }
            -1.0 => {
                let one = g.full(1.0, shape);
                g.binary(BinaryOp::Div, one, a).ok()
            }
            0.5 => Some(g.unary(UnaryOp::Sqrt, a)),
            _ => None,
        },
        BinaryOp::Max | BinaryOp::Min if a == b => Some(a),
        _ => sign_rule(g, op, a, b),
    }
}

/// The argument of a negation.
fn neg_of(g: &Graph, id: NodeId) -> Option<NodeId> {
    let node = g.get(id)?;
    match (&node.op, node.args.as_slice()) {
        (Op::Unary(UnaryOp::Neg), &[x]) => Some(x),
        _ => None,
    }
}

/// Exact rules that move negations outwards so that they cancel: `a + -b = a - b`,
/// `a - -b = a + b`, `-a - b = -(a + b)`, `-a * -b = a * b`, `-a * b = -(a * b)`, `-a / b = -(a / b)`,
/// `a / -b = -(a / b)`.
fn sign_rule(g: &mut Graph, op: BinaryOp, a: NodeId, b: NodeId) -> Option<NodeId> {
    let (na, nb) = (neg_of(g, a), neg_of(g, b));
    match (op, na, nb) {
        (BinaryOp::Add, _, Some(y)) => g.binary(BinaryOp::Sub, a, y).ok(),
        (BinaryOp::Add, Some(x), None) => g.binary(BinaryOp::Sub, b, x).ok(),
        (BinaryOp::Sub, _, Some(y)) => g.binary(BinaryOp::Add, a, y).ok(),
        (BinaryOp::Sub, Some(x), None) => {
            let r = g.binary(BinaryOp::Add, x, b).ok()?;
            Some(g.unary(UnaryOp::Neg, r))
        }
        (BinaryOp::Mul | BinaryOp::Div, Some(x), Some(y)) => g.binary(op, x, y).ok(),
        (BinaryOp::Mul | BinaryOp::Div, Some(x), None) => {
            let r = g.binary(op, x, b).ok()?;
            Some(g.unary(UnaryOp::Neg, r))
        }
        (BinaryOp::Mul | BinaryOp::Div, None, Some(y)) => {
            let r = g.binary(op, a, y).ok()?;
            Some(g.unary(UnaryOp::Neg, r))
        }
        _ => None,
    }
}

//! Reverse-mode automatic differentiation on the IR: gradients ([`grad`]) and
//! Hessian-vector products by reverse-over-reverse ([`hvp`]).
//!
//! The derivative is more IR, built with the simplifying builders in the same graph
//! as the value, so value and gradient share subexpressions. Adjoints are only
//! propagated into nodes that depend on the inputs being differentiated.
//!
//! Rules for the nonsmooth operations (the language allows them: objectives need
//! only be differentiable almost everywhere):
//! - `abs(x)`: `sign(x) * g`, so the subgradient at 0 is 0.
//! - elementwise `maximum(a, b)` sends `g` to `a` where `a >= b` and to `b` elsewhere;
//!   `minimum(a, b)` sends it to `a` where `a <= b`. Ties go to the first operand
//!   (the builders order commutative operands by node id, so "first" is fixed for a
//!   given graph).
//! - `where(c, a, b)`: `g` goes to `a` where `c != 0` and to `b` elsewhere; `c` gets
//!   nothing.
//! - the reductions `max`/`min` share `g` equally among the elements equal to the
//!   result: `g * (x == y) / count(x == y)`, broadcast back over the reduced axis.
//! - comparisons, `sign`, `floor` and `ceil` have a zero derivative.
//! - `pow(a, b)`: `g * b * a^(b-1)` to `a`, and `g * a^b * log(a)` to `b` only when
//!   `b` depends on the inputs (so `x^2` at `x < 0` does not produce a NaN).
//!
//! The rules of `solve`, `logdet` and `cholesky` are in `ad_linalg.rs`; the gradient
//! of `cholesky(A)` is the symmetric one (its argument is taken to be symmetric).
//! `sparse_matvec` sends `ȳ` to `x` as the product with the other orientation of
//! its constant matrix (`Aᵀ ȳ` for `A x`, `A ȳ` for `Aᵀ x`), also in `ad_linalg.rs`.

use crate::graph::{AxisSlice, BinaryOp, Function, Graph, IrError, IrResult, NodeId, Op, UnaryOp};
use crate::simplify::{import, prune, prune_owned};

/// The gradient of `f`'s first output, which must be a scalar: a function with
/// `f`'s inputs and the outputs `[value, d value / d input_0, d value / d input_1,
/// ...]` (each gradient of its input's shape), simplified.
pub fn grad(f: &Function) -> IrResult<Function> {
    grad_with(f, true)
}

/// [`grad`] without the value: the outputs are only the gradients, so the nodes the
/// gradients do not need (most of the value, for an unrolled sum) are dropped. The
/// gradients are the same nodes as [`grad`]'s, computing the same bits.
pub fn grad_only(f: &Function) -> IrResult<Function> {
    grad_with(f, false)
}

/// [`grad`] (with the value) or [`grad_only`] (without) of a function that is not
/// needed afterwards, built in the function's own graph instead of a rebuilt copy.
/// `grad` rebuilds `f` through the builders first; a graph made by the builders and
/// then pruned with [`crate::prune_owned`] (a traced function) is already what that
/// rebuild gives, node for node, so this skips it and gives the same function. Any
/// other graph (one with nodes outside the hash-consing table) is rebuilt as by
/// `grad`.
pub fn grad_in_place(f: Function, with_value: bool) -> IrResult<Function> {
    if !f.graph.is_fully_shared() {
        return grad_with(&f, with_value);
    }
    let y0 = check_scalar_output(&f)?;
    let Function { graph: mut g, .. } = f;
    // The input nodes (a function made by `prune_owned` has every input).
    let mut xs: Vec<Option<NodeId>> = vec![None; g.input_shapes().len()];
    for (i, node) in g.nodes().iter().enumerate() {
        if let Op::Input(k) = node.op
            && let Some(x @ None) = xs.get_mut(k as usize)
        {
            *x = Some(NodeId(i as u32));
        }
    }
    let xs: Vec<NodeId> = xs
        .into_iter()
        .enumerate()
        .map(|(k, x)| {
            x.unwrap_or_else(|| {
                let s = g.input_shapes()[k].clone();
                g.push(Op::Input(k as u32), Vec::new(), s)
            })
        })
        .collect();
    finish_grad(g, y0, &xs, with_value)
}

/// The first output of `f`, checked to be a scalar node.
fn check_scalar_output(f: &Function) -> IrResult<NodeId> {
    let &y0 = f
        .outputs
        .first()
        .ok_or_else(|| IrError::Invalid("grad: the function has no outputs".into()))?;
    match f.graph.get(y0) {
        Some(n) if n.shape.is_empty() => Ok(y0),
        Some(n) => Err(IrError::Shape(format!(
            "grad needs a scalar function, this one gives shape {}",
            crate::graph::shape_text(&n.shape)
        ))),
        None => Err(IrError::Invalid("grad: the output is not a node".into())),
    }
}

fn grad_with(f: &Function, with_value: bool) -> IrResult<Function> {
    let y0 = check_scalar_output(f)?;
    let mut g = Graph::with_capacity(2 * f.graph.len() + 16);
    let xs = g.inputs(f.input_shapes());
    let y = import(&mut g, &f.graph, &[y0], &xs)?[0];
    finish_grad(g, y, &xs, with_value)
}

/// Backpropagates from the scalar `y` of `g` to the inputs `xs` and prunes.
fn finish_grad(mut g: Graph, y: NodeId, xs: &[NodeId], with_value: bool) -> IrResult<Function> {
    let seed = g.scalar(1.0);
    let grads = backprop(&mut g, y, seed, xs)?;
    let mut outputs = Vec::with_capacity(grads.len() + 1);
    if with_value {
        outputs.push(y);
    }
    outputs.extend(grads);
    Ok(prune_owned(Function { graph: g, outputs }))
}

/// Hessian-vector products of `f`'s first (scalar) output: a function whose inputs
/// are `f`'s inputs `x_0, ..., x_{n-1}` followed by one direction `v_i` per input (of
/// the same shape), and whose outputs are `(H v)_i` for each input: the gradient with
/// respect to the `x` of `sum_i sum(grad_i(x) * v_i)`.
pub fn hvp(f: &Function) -> IrResult<Function> {
    let gf = grad(f)?;
    let mut g = Graph::new();
    let shapes = f.input_shapes().to_vec();
    let xs = g.inputs(&shapes);
    let vs = g.inputs(&shapes);
    let grads = import(&mut g, &gf.graph, gf.outputs.get(1..).unwrap_or(&[]), &xs)?;
    let mut total = g.scalar(0.0);
    for (&gr, &v) in grads.iter().zip(&vs) {
        let p = g.binary(BinaryOp::Mul, gr, v)?;
        let s = g.sum(p, None)?;
        total = g.binary(BinaryOp::Add, total, s)?;
    }
    let seed = g.scalar(1.0);
    let outputs = backprop(&mut g, total, seed, &xs)?;
    Ok(prune(&Function { graph: g, outputs }))
}

/// Propagates the adjoint `seed` of `y` back through `g` and returns the adjoints of
/// the `wrt` nodes (zeros of their shape when `y` does not depend on one).
pub(crate) fn backprop(
    g: &mut Graph,
    y: NodeId,
    seed: NodeId,
    wrt: &[NodeId],
) -> IrResult<Vec<NodeId>> {
    let n = g.len();
    let live = g.reachable(&[y]);
    let mut dep = vec![false; n];
    for &w in wrt {
        if let Some(d) = dep.get_mut(w.index()) {
            *d = true;
        }
    }
    for i in 0..n {
        if !dep[i] {
            dep[i] = g.nodes()[i]
                .args
                .iter()
                .any(|a| dep.get(a.index()) == Some(&true));
        }
    }
    // Contributions are collected per node (in arrival order, as linked lists in one
    // arena) and combined only when the node is reached, so that many slices of one
    // tensor (`x[i]` for every i) combine in one pass.
    let mut pending = Pending::new(n);
    let mut adj: Vec<Option<NodeId>> = vec![None; n];
    if y.index() < n {
        pending.push(y.index(), seed);
    }
    let mut parts = Vec::new();
    let mut args = Vec::new();
    let mut need = Vec::new();
    let mut contribs = Vec::new();
    for i in (0..n).rev() {
        if !(live[i] && dep[i]) {
            continue;
        }
        pending.take(i, &mut parts);
        if parts.is_empty() {
            continue;
        }
        let node = &g.nodes()[i];
        let (op, shape) = (node.op.clone(), node.shape.clone());
        args.clear();
        args.extend_from_slice(&node.args);
        let ga = combine(g, &parts, &shape)?;
        adj[i] = Some(ga);
        need.clear();
        need.extend(args.iter().map(|a| dep[a.index()]));
        contribs.clear();
        vjp(
            g,
            NodeId(i as u32),
            &op,
            &args,
            &shape,
            ga,
            &need,
            &mut contribs,
        )?;
        for ((&a, &c), &nd) in args.iter().zip(&contribs).zip(&need) {
            if let (Some(c), true) = (c, nd) {
                pending.push(a.index(), c);
            }
        }
    }
    wrt.iter()
        .map(|&w| match adj.get(w.index()).copied().flatten() {
            Some(a) => Ok(a),
            None => {
                let s = g.shape(w).to_vec();
                Ok(g.full(0.0, &s))
            }
        })
        .collect()
}

/// The adjoint contributions waiting for each node, in arrival order: one linked
/// list per node in a shared arena, so that collecting them allocates nothing per node.
struct Pending {
    first: Vec<u32>,
    last: Vec<u32>,
    /// (contribution, index of the next one in the same list or `END`)
    arena: Vec<(NodeId, u32)>,
}

const END: u32 = u32::MAX;

impl Pending {
    fn new(n: usize) -> Pending {
        Pending {
            first: vec![END; n],
            last: vec![END; n],
            arena: Vec::with_capacity(2 * n),
        }
    }

    fn push(&mut self, i: usize, c: NodeId) {
        let k = self.arena.len() as u32;
        self.arena.push((c, END));
        match self.last[i] {
            END => self.first[i] = k,
            l => self.arena[l as usize].1 = k,
        }
        self.last[i] = k;
    }

    /// Node `i`'s contributions, into `out` (cleared first).
    fn take(&self, i: usize, out: &mut Vec<NodeId>) {
        out.clear();
        let mut k = self.first[i];
        while k != END {
            let (c, next) = self.arena[k as usize];
            out.push(c);
            k = next;
        }
    }
}

/// `g` broadcast back over the axis a reduction removed: `target` is the shape of
/// the reduction's argument.
fn expand(g: &mut Graph, t: NodeId, axis: Option<usize>, target: &[usize]) -> IrResult<NodeId> {
    let t = match axis {
        None => t,
        Some(ax) => {
            let mut kept = target.to_vec();
            if let Some(d) = kept.get_mut(ax) {
                *d = 1;
            }
            g.reshape(t, &kept)?
        }
    };
    g.broadcast(t, target)
}

/// Sums `t` (of shape `to`) back to `from`, the shape it was broadcast from.
fn unbroadcast(g: &mut Graph, t: NodeId, from: &[usize]) -> IrResult<NodeId> {
    let to = g.shape(t).to_vec();
    let lead = to.len().saturating_sub(from.len());
    let mut r = t;
    for _ in 0..lead {
        r = g.sum(r, Some(0))?;
    }
    for (ax, (&f, &d)) in from.iter().zip(&to[lead..]).enumerate().rev() {
        if f == 1 && d != 1 {
            r = g.sum(r, Some(ax))?;
        }
    }
    g.reshape(r, from)
}

/// The contribution of node `id` (with adjoint `ga`) to the adjoint of each of its
/// arguments, for those where `need` is set.
#[allow(clippy::too_many_arguments)]
fn vjp(
    g: &mut Graph,
    id: NodeId,
    op: &Op,
    args: &[NodeId],
    shape: &[usize],
    ga: NodeId,
    need: &[bool],
    out: &mut Vec<Option<NodeId>>,
) -> IrResult<()> {
    use BinaryOp as B;
    let arg_shape = |g: &Graph, k: usize| g.shape(args[k]).to_vec();
    let wants = |k: usize| need.get(k).copied().unwrap_or(false);
    let contribs = match op {
        Op::Input(_) | Op::Const(_) => Vec::new(),
        Op::Unary(u) => {
            let x = args[0];
            let one = g.full(1.0, shape);
            let d = match u {
                UnaryOp::Neg => Some(g.unary(UnaryOp::Neg, ga)),
                UnaryOp::Exp => Some(g.binary(B::Mul, ga, id)?),
                UnaryOp::Log => Some(g.binary(B::Div, ga, x)?),
                UnaryOp::Log1p => {
                    let d = g.binary(B::Add, one, x)?;
                    Some(g.binary(B::Div, ga, d)?)
                }
                UnaryOp::Sqrt => {
                    let d = g.binary(B::Add, id, id)?;
                    Some(g.binary(B::Div, ga, d)?)
                }
                UnaryOp::Abs => {
                    let s = g.unary(UnaryOp::Sign, x);
                    Some(g.binary(B::Mul, ga, s)?)
                }
                UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Ceil => None,
                UnaryOp::Sin => {
                    let c = g.unary(UnaryOp::Cos, x);
                    Some(g.binary(B::Mul, ga, c)?)
                }
                UnaryOp::Cos => {
                    let s = g.unary(UnaryOp::Sin, x);
                    let p = g.binary(B::Mul, ga, s)?;
                    Some(g.unary(UnaryOp::Neg, p))
                }
                UnaryOp::Tan => {
                    let sq = g.binary(B::Mul, id, id)?;
                    let d = g.binary(B::Add, one, sq)?;
                    Some(g.binary(B::Mul, ga, d)?)
                }
                UnaryOp::Atan => {
                    let sq = g.binary(B::Mul, x, x)?;
                    let d = g.binary(B::Add, one, sq)?;
                    Some(g.binary(B::Div, ga, d)?)
                }
                UnaryOp::Tanh => {
                    let sq = g.binary(B::Mul, id, id)?;
                    let d = g.binary(B::Sub, one, sq)?;
                    Some(g.binary(B::Mul, ga, d)?)
                }
                UnaryOp::Sigmoid => {
                    let c = g.binary(B::Sub, one, id)?;
                    let d = g.binary(B::Mul, id, c)?;
                    Some(g.binary(B::Mul, ga, d)?)
                }
            };
            vec![d]
        }
        Op::Binary(b) => {
            let (a, x) = (args[0], args[1]);
            let zero = g.full(0.0, shape);
            match b {
                B::Add => vec![Some(ga), Some(ga)],
                B::Sub => vec![Some(ga), Some(g.unary(UnaryOp::Neg, ga))],
                B::Mul => vec![
                    Some(g.binary(B::Mul, ga, x)?),
                    Some(g.binary(B::Mul, ga, a)?),
                ],
                B::Div => {
                    let da = g.binary(B::Div, ga, x)?;
                    let gy = g.binary(B::Mul, ga, id)?;
                    let q = g.binary(B::Div, gy, x)?;
                    vec![Some(da), Some(g.unary(UnaryOp::Neg, q))]
                }
                B::Pow => {
                    let da = if wants(0) {
                        let one = g.full(1.0, shape);
                        let e = g.binary(B::Sub, x, one)?;
                        let p = g.binary(B::Pow, a, e)?;
                        let d = g.binary(B::Mul, x, p)?;
                        Some(g.binary(B::Mul, ga, d)?)
                    } else {
                        None
                    };
                    let db = if wants(1) {
                        let l = g.unary(UnaryOp::Log, a);
                        let d = g.binary(B::Mul, id, l)?;
                        Some(g.binary(B::Mul, ga, d)?)
                    } else {
                        None
                    };
                    vec![da, db]
                }
                B::Max | B::Min => {
                    let cmp = if *b == B::Max { B::Ge } else { B::Le };
                    let m = g.binary(cmp, a, x)?;
                    vec![Some(g.where_(m, ga, zero)?), Some(g.where_(m, zero, ga)?)]
                }
                B::Lt | B::Le | B::Gt | B::Ge | B::Eq | B::Ne => Vec::new(),
            }
        }
        Op::Where => {
            let zero = g.full(0.0, shape);
            let c = args[0];
            vec![
                None,
                Some(g.where_(c, ga, zero)?),
                Some(g.where_(c, zero, ga)?),
            ]
        }
        Op::Sum(axis) => {
            let s = arg_shape(g, 0);
            vec![Some(expand(g, ga, *axis, &s)?)]
        }
        Op::Max(axis) | Op::Min(axis) => {
            let s = arg_shape(g, 0);
            let yb = expand(g, id, *axis, &s)?;
            let mask = g.binary(B::Eq, args[0], yb)?;
            let count = match axis {
                None => g.sum(mask, None)?,
                Some(ax) => g.sum(mask, Some(*ax))?,
            };
            let cb = expand(g, count, *axis, &s)?;
            let gb = expand(g, ga, *axis, &s)?;
            let share = g.binary(B::Div, gb, cb)?;
            vec![Some(g.binary(B::Mul, mask, share)?)]
        }
        Op::MatMul => {
            let (a, b) = (args[0], args[1]);
            let bt = g.transpose(b);
            let grad_a = g.matmul(ga, bt)?;
            let (m, n) = (g.shape(ga)[0], g.shape(ga)[1]);
            // d/db = aᵀ ga. For a column `ga` (the gradient of `X @ w`) it is computed
            // as (gaᵀ a)ᵀ, whose transposes of vectors are reshapes: the product then
            // streams over the rows of `a` itself instead of a transposed copy, and
            // the data matrix is read from one place.
            let grad_b = if n == 1 {
                let row = g.reshape(ga, &[1, m])?;
                let p = g.matmul(row, a)?;
                let k = g.shape(p)[1];
                g.reshape(p, &[k, 1])?
            } else {
                let at = g.transpose(a);
                g.matmul(at, ga)?
            };
            vec![Some(grad_a), Some(grad_b)]
        }
        Op::Broadcast => {
            let s = arg_shape(g, 0);
            vec![Some(unbroadcast(g, ga, &s)?)]
        }
        Op::Reshape => {
            let s = arg_shape(g, 0);
            vec![Some(g.reshape(ga, &s)?)]
        }
        Op::Transpose => vec![Some(g.transpose(ga))],
        Op::Slice(sl) => {
            let s = arg_shape(g, 0);
            vec![Some(g.unslice(ga, sl.clone(), &s)?)]
        }
        Op::Unslice(sl) => vec![Some(g.slice(ga, sl.clone())?)],
        Op::Concat(axis) => {
            let mut parts = Vec::with_capacity(args.len());
            let mut offset = 0usize;
            for k in 0..args.len() {
                let s = arg_shape(g, k);
                let len = s.get(*axis).copied().unwrap_or(0);
                if wants(k) {
                    let slices: Vec<AxisSlice> = s
                        .iter()
                        .enumerate()
                        .map(|(d, &n)| AxisSlice {
                            start: if d == *axis { offset } else { 0 },
                            step: 1,
                            len: n,
                        })
                        .collect();
                    parts.push(Some(g.slice(ga, slices)?));
                } else {
                    parts.push(None);
                }
                offset += len;
            }
            parts
        }
        Op::Solve => crate::ad_linalg::solve(g, id, args[0], ga, wants(0))?,
        Op::EntropicOt { reg } => {
            let reg = f64::from_bits(*reg);
            let mut parts = Vec::with_capacity(3);
            for k in 0..3u8 {
                parts.push(if wants(k as usize) {
                    let d = g.entropic_ot_grad(args[0], args[1], args[2], reg, k)?;
                    let s = g.shape(d).to_vec();
                    let gb = g.broadcast(ga, &s)?;
                    Some(g.binary(BinaryOp::Mul, gb, d)?)
                } else {
                    None
                });
            }
            parts
        }
        Op::EntropicOtGrad { .. } => {
            return Err(IrError::Invalid(
                "second derivatives through ot.entropic_cost are not supported".into(),
            ));
        }
        Op::LogDet => vec![Some(crate::ad_linalg::logdet(g, args[0], ga)?)],
        Op::NuclearNorm => {
            let d = g.nuclear_norm_grad(args[0])?;
            let shape = g.shape(args[0]).to_vec();
            let gb = g.broadcast(ga, &shape)?;
            vec![Some(g.binary(BinaryOp::Mul, d, gb)?)]
        }
        Op::NuclearNormGrad => {
            return Err(IrError::Invalid(
                "second derivatives through linalg.nuclear_norm are not supported".into(),
            ));
        }
        Op::Cholesky => vec![Some(crate::ad_linalg::cholesky(g, id, ga)?)],
        Op::SparseMatVec { ncols, transpose } => {
            let gx = if wants(3) {
                Some(crate::ad_linalg::sparse_matvec(
                    g, args, ga, *ncols, *transpose,
                )?)
            } else {
                None
            };
            vec![None, None, None, gx]
        }
    };
    out.extend(contribs);
    Ok(())
}

#[cfg(test)]
#[path = "ad_tests.rs"]
mod tests;

/// The sum of a node's adjoint contributions. Scatters of disjoint slices along one
/// axis (the adjoints of `x[i]`, `x[a:b]`, ...) are joined with one `concat` instead of
/// being added as full-size tensors, which keeps the gradient of an `n`-term unrolled
/// sum linear in `n`. Other contributions are added in a balanced tree.
fn combine(g: &mut Graph, parts: &[NodeId], shape: &[usize]) -> IrResult<NodeId> {
    if parts.len() == 1 {
        return Ok(parts[0]);
    }
    let (scatters, mut rest): (Vec<NodeId>, Vec<NodeId>) = parts
        .iter()
        .partition(|&&p| matches!(g.node(p).op, Op::Unslice(_)));
    if scatters.len() >= 2 {
        match merge_scatters(g, &scatters, shape)? {
            Some(m) => rest.push(m),
            None => rest.extend(scatters),
        }
    } else {
        rest.extend(scatters);
    }
    while rest.len() > 1 {
        let mut next = Vec::with_capacity(rest.len().div_ceil(2));
        for pair in rest.chunks(2) {
            next.push(match pair {
                [a, b] => g.binary(BinaryOp::Add, *a, *b)?,
                [a] => *a,
                _ => continue,
            });
        }
        rest = next;
    }
    rest.pop()
        .ok_or_else(|| IrError::Invalid("no adjoint contributions".into()))
}

/// Joins `Unslice` nodes whose slices are full on every axis but one, step 1 there, and
/// pairwise disjoint, into one `concat` with zero gaps. `None` when they do not fit.
fn merge_scatters(g: &mut Graph, scatters: &[NodeId], shape: &[usize]) -> IrResult<Option<NodeId>> {
    let full = |sl: &AxisSlice, n: usize| sl.start == 0 && sl.step == 1 && sl.len == n;
    let mut axis = None;
    let mut pieces: Vec<(usize, usize, NodeId)> = Vec::with_capacity(scatters.len());
    for &s in scatters {
        let node = g.node(s);
        let Op::Unslice(sl) = &node.op else {
            return Ok(None);
        };
        let partial: Vec<usize> = sl
            .iter()
            .zip(shape)
            .enumerate()
            .filter(|(_, (a, n))| !full(a, **n))
            .map(|(d, _)| d)
            .collect();
        let ax = match partial.as_slice() {
            [] => return Ok(None),
            [d] => *d,
            _ => return Ok(None),
        };
        if *axis.get_or_insert(ax) != ax || (sl[ax].step != 1 && sl[ax].len > 1) || sl[ax].len == 0
        {
            return Ok(None);
        }
        pieces.push((sl[ax].start, sl[ax].len, node.args[0]));
    }
    let Some(ax) = axis else { return Ok(None) };
    pieces.sort_by_key(|p| p.0);
    if pieces.windows(2).any(|w| w[0].0 + w[0].1 > w[1].0) {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(2 * pieces.len() + 1);
    let mut at = 0;
    let gap = |g: &mut Graph, len: usize| {
        let mut s = shape.to_vec();
        s[ax] = len;
        g.full(0.0, &s)
    };
    for (start, len, inner) in pieces {
        if start > at {
            parts.push(gap(g, start - at));
        }
        parts.push(inner);
        at = start + len;
    }
    if at < shape[ax] {
        parts.push(gap(g, shape[ax] - at));
    }
    g.concat(&parts, ax).map(Some)
}

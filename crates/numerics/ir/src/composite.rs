//! Reading an objective as a smooth part plus prox-friendly terms (the structure
//! analysis of the splitting methods).
//!
//! The objective is walked as a sum of terms through `+`, `-`, negation and
//! constant factors and divisors. Each term is then
//!
//! - **prox-friendly**: a non-negative constant weight times a penalty the
//!   [`optl_linalg::prox::Penalty`] operators know, on a *block*: an input, a
//!   slice of one, or a reshape of either: `sum(abs(B))` (ℓ1), `max(abs(B))` (ℓ∞),
//!   `sqrt(sum(B·B))` (ℓ2), `sum(sqrt(sum(B·B, axis)))` on a matrix block (group ℓ2
//!   over rows or columns), `sum(B != 0)` (ℓ0), `sum(abs(B)^q)` with 0 < q < 1,
//!   `sum(sqrt(abs(B)))` being q = 1/2 (ℓq), `nuclear_norm(B)` of a matrix block;
//! - **smooth**: no operation in it that is nonsmooth in the inputs (`abs`, `sign`,
//!   `floor`, `ceil`, `min`, `max`, comparisons, a `where` whose condition depends
//!   on the inputs) — constants count as smooth whatever they contain;
//! - or **nonsmooth**: anything else, kept with a readable rendering so the
//!   binding can name it.
//!
//! Penalties of one kind on the same block are merged (weights added); penalties
//! on overlapping blocks otherwise are nonsmooth together (the prox of a sum is not
//! the sum of the proxes). The smooth terms become one program, [`Split::smooth`],
//! with the objective's inputs. A smooth term `c·sum(R·R)` with `R = A @ x − b` for
//! constants `A`, `b` and an input `x` (or `R = x`) is also recorded as
//! [`LeastSquares`], which coordinate descent reads directly.

use crate::graph::{AxisSlice, BinaryOp, Function, Graph, NodeId, Op, UnaryOp};
use optl_linalg::prox::Penalty;
use optl_tensor::Tensor;
use std::rc::Rc;

/// A prox-friendly term: `weight · penalty(x[indices])`.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub penalty: Penalty,
    pub weight: f64,
    /// The input the block belongs to.
    pub input: u32,
    /// Flat (row-major) positions in that input, in the order the penalty reads
    /// them (consecutive groups for [`Penalty::GroupL2`]).
    pub indices: Vec<usize>,
    /// The block as written after the input's name: `""` (the whole input),
    /// `"[0:5]"`.
    pub block: String,
    /// For a group penalty, the axis summed within each group (1: groups are rows).
    pub axis: Option<usize>,
}

impl Term {
    /// The term as OptL source, with the input's name: `0.1 * norm(x, 1)`.
    pub fn text(&self, name: &str) -> String {
        let b = format!("{name}{}", self.block);
        let body = match self.penalty {
            Penalty::L1 => format!("norm({b}, 1)"),
            Penalty::L2 => format!("norm({b})"),
            Penalty::GroupL2 { .. } => format!("sum(norm({b}, 2, {}))", self.axis.unwrap_or(1)),
            Penalty::LInf => format!("norm({b}, inf)"),
            Penalty::L0 => format!("count_nonzero({b})"),
            Penalty::Lq { q } => format!("sum(abs({b})^{q})"),
            Penalty::Nuclear { .. } => format!("linalg.nuclear_norm({b})"),
        };
        if self.weight == 1.0 {
            body
        } else {
            format!("{} * {body}", self.weight)
        }
    }
}

/// A smooth term `weight · ‖A x − b‖²` on one input `x` (`A` absent: the identity;
/// `b` absent: zero).
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquares {
    pub weight: f64,
    pub input: u32,
    /// `[m, n]` for an input of `n` elements.
    pub a: Option<Rc<Tensor>>,
    /// `[m]`.
    pub b: Option<Rc<Tensor>>,
}

/// An objective read as smooth part + prox-friendly terms.
#[derive(Clone, Debug)]
pub struct Split {
    /// The smooth terms as one program (the objective's inputs → one scalar).
    pub smooth: Function,
    pub terms: Vec<Term>,
    /// Terms that are nonsmooth and not prox-friendly, rendered as expressions over
    /// `%i` for input `i` (see [`Split::nonsmooth_text`]).
    pub nonsmooth: Vec<String>,
    /// The smooth terms when every one is a least-squares term or a constant (the
    /// constants' sum in `constant`); `None` otherwise.
    pub least_squares: Option<(Vec<LeastSquares>, f64)>,
    /// The objective when it is low-rank matrix completion
    /// ([`crate::completion`]); `None` otherwise.
    pub completion: Option<crate::completion::CompletionTerms>,
}

impl Split {
    /// Whether the objective has nonsmooth terms at all.
    pub fn is_smooth(&self) -> bool {
        self.terms.is_empty() && self.nonsmooth.is_empty()
    }

    /// A nonsmooth term with `%i` replaced by the inputs' names.
    pub fn nonsmooth_text(text: &str, names: &[&str]) -> String {
        let mut out = text.to_string();
        for (i, n) in names.iter().enumerate().rev() {
            out = out.replace(&format!("%{i}"), n);
        }
        out
    }
}

/// Splits output `output` (a scalar) of `f`.
pub fn split_objective(f: &Function, output: usize) -> Split {
    let g = &f.graph;
    let Some(&root) = f.outputs.get(output) else {
        return whole(f, output);
    };
    if !g.shape(root).is_empty() {
        return whole(f, output);
    }
    let deps = depends_on_inputs(g);
    let mut leaves = Vec::new();
    collect_terms(g, root, 1.0, &mut leaves, 0);
    let mut terms: Vec<Term> = Vec::new();
    let mut nonsmooth = Vec::new();
    let mut smooth_leaves = Vec::new();
    for (coef, node) in leaves {
        if !deps[node.index()] || smooth(g, node, &deps) && !is_block_l2(g, node) {
            smooth_leaves.push((coef, node));
            continue;
        }
        match penalty_of(g, node) {
            Some(term) if coef > 0.0 => {
                let term = Term {
                    weight: coef,
                    ..term
                };
                match terms
                    .iter_mut()
                    .find(|t| t.penalty == term.penalty && t.indices == term.indices)
                {
                    Some(t) => t.weight += term.weight,
                    None => terms.push(term),
                }
            }
            _ => nonsmooth.push(render_weighted(g, coef, node)),
        }
    }
    let overlapping = overlapping_terms(&terms);
    for i in overlapping.iter().rev() {
        let t = terms.remove(*i);
        nonsmooth.insert(0, t.text(&format!("%{}", t.input)));
    }
    let least_squares = least_squares_of(g, &smooth_leaves);
    let completion = (terms.is_empty() && nonsmooth.is_empty())
        .then(|| crate::completion::completion_of(g, &smooth_leaves))
        .flatten();
    Split {
        smooth: smooth_program(f, &smooth_leaves),
        terms,
        nonsmooth,
        least_squares,
        completion,
    }
}

/// The split of an objective that is not a scalar sum (nothing recognised).
fn whole(f: &Function, output: usize) -> Split {
    let outputs = f.outputs.get(output).map(|&o| vec![o]).unwrap_or_default();
    Split {
        smooth: crate::simplify(&Function {
            graph: f.graph.clone(),
            outputs,
        }),
        terms: Vec::new(),
        nonsmooth: Vec::new(),
        least_squares: None,
        completion: None,
    }
}

/// Terms deeper than this in the sum tree are taken as one leaf.
pub(crate) const MAX_SUM_DEPTH: usize = 512;

/// The leaves of the sum tree at `id`, each with its constant coefficient.
fn collect_terms(g: &Graph, id: NodeId, coef: f64, out: &mut Vec<(f64, NodeId)>, depth: usize) {
    let node = g.node(id);
    if depth < MAX_SUM_DEPTH && node.shape.is_empty() {
        match (&node.op, node.args.as_slice()) {
            (Op::Binary(BinaryOp::Add), &[a, b]) => {
                collect_terms(g, a, coef, out, depth + 1);
                collect_terms(g, b, coef, out, depth + 1);
                return;
            }
            (Op::Binary(BinaryOp::Sub), &[a, b]) => {
                collect_terms(g, a, coef, out, depth + 1);
                collect_terms(g, b, -coef, out, depth + 1);
                return;
            }
            (Op::Unary(UnaryOp::Neg), &[a]) => {
                collect_terms(g, a, -coef, out, depth + 1);
                return;
            }
            (Op::Binary(BinaryOp::Mul), &[a, b]) => {
                if let Some(c) = g.as_scalar_const(a).filter(|c| c.is_finite()) {
                    collect_terms(g, b, coef * c, out, depth + 1);
                    return;
                }
                if let Some(c) = g.as_scalar_const(b).filter(|c| c.is_finite()) {
                    collect_terms(g, a, coef * c, out, depth + 1);
                    return;
                }
            }
            (Op::Binary(BinaryOp::Div), &[a, b]) => {
                if let Some(c) = g.as_scalar_const(b).filter(|c| c.is_finite() && *c != 0.0) {
                    collect_terms(g, a, coef / c, out, depth + 1);
                    return;
                }
            }
            _ => {}
        }
    }
    out.push((coef, id));
}

/// Per node: whether its value depends on an input.
fn depends_on_inputs(g: &Graph) -> Vec<bool> {
    let mut deps = vec![false; g.len()];
    for (i, node) in g.nodes().iter().enumerate() {
        deps[i] = matches!(node.op, Op::Input(_))
            || node.args.iter().any(|a| a.index() < i && deps[a.index()]);
    }
    deps
}

/// Whether every operation under `id` that depends on an input is smooth.
fn smooth(g: &Graph, id: NodeId, deps: &[bool]) -> bool {
    let mut stack = vec![id];
    let mut seen = vec![false; g.len()];
    while let Some(n) = stack.pop() {
        if seen[n.index()] || !deps[n.index()] {
            continue;
        }
        seen[n.index()] = true;
        if let Some(x) = softplus_arg(g, n) {
            stack.push(x);
            continue;
        }
        let node = g.node(n);
        let rough = match &node.op {
            Op::Unary(u) => matches!(
                u,
                UnaryOp::Abs | UnaryOp::Sign | UnaryOp::Floor | UnaryOp::Ceil
            ),
            Op::Binary(b) => b.is_comparison() || matches!(b, BinaryOp::Min | BinaryOp::Max),
            Op::Max(_) | Op::Min(_) | Op::NuclearNorm | Op::NuclearNormGrad => true,
            Op::Where => node.args.first().is_some_and(|c| deps[c.index()]),
            _ => false,
        };
        if rough {
            return false;
        }
        stack.extend(node.args.iter().copied().filter(|a| a.index() < n.index()));
    }
    true
}

/// The `x` of `softplus(x)` as traced (`x/2 + |x|/2 + log1p(exp(−|x|))`, a smooth
/// function written with `abs` to avoid overflow), operands in any order.
fn softplus_arg(g: &Graph, id: NodeId) -> Option<NodeId> {
    let node = g.node(id);
    let (Op::Binary(BinaryOp::Add), &[p, q]) = (&node.op, node.args.as_slice()) else {
        return None;
    };
    let tail = |t: NodeId| -> Option<NodeId> {
        let e = arg_of(g, t, &Op::Unary(UnaryOp::Log1p))?;
        let n = arg_of(g, e, &Op::Unary(UnaryOp::Exp))?;
        let a = arg_of(g, n, &Op::Unary(UnaryOp::Neg))?;
        arg_of(g, a, &Op::Unary(UnaryOp::Abs))
    };
    let half_of = |t: NodeId| -> Option<NodeId> {
        let m = g.node(t);
        match (&m.op, m.args.as_slice()) {
            (Op::Binary(BinaryOp::Mul), &[u, v]) if g.as_scalar_const(v) == Some(0.5) => Some(u),
            (Op::Binary(BinaryOp::Mul), &[u, v]) if g.as_scalar_const(u) == Some(0.5) => Some(v),
            _ => None,
        }
    };
    let head = |t: NodeId, x: NodeId| -> bool {
        let m = g.node(t);
        let (Op::Binary(BinaryOp::Add), &[u, v]) = (&m.op, m.args.as_slice()) else {
            return false;
        };
        let (hu, hv) = (half_of(u), half_of(v));
        let abs_x =
            |h: Option<NodeId>| h.and_then(|h| arg_of(g, h, &Op::Unary(UnaryOp::Abs))) == Some(x);
        hu == Some(x) && abs_x(hv) || hv == Some(x) && abs_x(hu)
    };
    [(p, q), (q, p)]
        .into_iter()
        .find_map(|(t, h)| tail(t).filter(|&x| head(h, x)))
}

/// Whether `id` is `sqrt(sum(B·B))` of a block (smooth by its operations, yet the
/// ℓ2 norm, nonsmooth at zero).
fn is_block_l2(g: &Graph, id: NodeId) -> bool {
    matches!(
        penalty_of(g, id),
        Some(Term {
            penalty: Penalty::L2 | Penalty::GroupL2 { .. },
            ..
        })
    )
}

/// `a·a` or `a^2`: the `a`.
pub(crate) fn square_of(g: &Graph, id: NodeId) -> Option<NodeId> {
    let node = g.node(id);
    match (&node.op, node.args.as_slice()) {
        (Op::Binary(BinaryOp::Mul), &[a, b]) if a == b => Some(a),
        (Op::Binary(BinaryOp::Pow), &[a, e]) if g.as_scalar_const(e) == Some(2.0) => Some(a),
        _ => None,
    }
}

/// The one argument of a node with this operation.
pub(crate) fn arg_of(g: &Graph, id: NodeId, op: &Op) -> Option<NodeId> {
    let node = g.node(id);
    (node.op == *op && node.args.len() == 1).then(|| node.args[0])
}

/// The penalty a leaf is, with weight 1.
fn penalty_of(g: &Graph, id: NodeId) -> Option<Term> {
    let node = g.node(id);
    match &node.op {
        Op::Sum(None) => {
            let inner = node.args[0];
            if let Some(b) = arg_of(g, inner, &Op::Unary(UnaryOp::Abs)) {
                return term(g, Penalty::L1, b, None);
            }
            if let Some(a) = arg_of(g, inner, &Op::Unary(UnaryOp::Sqrt)) {
                if let Some(b) = arg_of(g, a, &Op::Unary(UnaryOp::Abs)) {
                    return term(g, Penalty::Lq { q: 0.5 }, b, None);
                }
                // sum over the groups of sqrt(sum(B·B, axis))
                let sum = g.node(a);
                if let (Op::Sum(Some(axis)), &[sq]) = (&sum.op, sum.args.as_slice()) {
                    let b = square_of(g, sq)?;
                    if g.shape(b).len() == 2 {
                        return term(g, Penalty::GroupL2 { size: 0 }, b, Some(*axis));
                    }
                }
                return None;
            }
            let inner_node = g.node(inner);
            match (&inner_node.op, inner_node.args.as_slice()) {
                (Op::Binary(BinaryOp::Pow), &[base, e]) => {
                    let q = g.as_scalar_const(e)?;
                    let b = arg_of(g, base, &Op::Unary(UnaryOp::Abs))?;
                    (q > 0.0 && q < 1.0).then_some(())?;
                    term(g, Penalty::Lq { q }, b, None)
                }
                (Op::Binary(BinaryOp::Ne), &[a, z]) => {
                    let b = match (g.as_scalar_const(a), g.as_scalar_const(z)) {
                        (_, Some(0.0)) => a,
                        (Some(0.0), _) => z,
                        _ => return None,
                    };
                    term(g, Penalty::L0, b, None)
                }
                _ => None,
            }
        }
        Op::Max(None) => {
            let b = arg_of(g, node.args[0], &Op::Unary(UnaryOp::Abs))?;
            term(g, Penalty::LInf, b, None)
        }
        Op::NuclearNorm => {
            let b = node.args[0];
            let (rows, cols) = (g.shape(b)[0], g.shape(b)[1]);
            term(g, Penalty::Nuclear { rows, cols }, b, None)
        }
        Op::Unary(UnaryOp::Sqrt) => {
            let s = arg_of(g, node.args[0], &Op::Sum(None))?;
            let b = square_of(g, s)?;
            term(g, Penalty::L2, b, None)
        }
        _ => None,
    }
}

/// A term of `penalty` on the block `b` (groups along `axis` summed away, for the
/// group penalty), if `b` is a block.
fn term(g: &Graph, penalty: Penalty, b: NodeId, group_axis: Option<usize>) -> Option<Term> {
    let (input, indices, block) = block_of(g, b)?;
    let (penalty, indices, block) = match (penalty, group_axis) {
        (Penalty::GroupL2 { .. }, Some(axis)) => {
            let shape = g.shape(b);
            let (rows, cols) = (shape[0], shape[1]);
            // `axis` is summed within a group: axis 1 → groups are rows.
            let (ordered, size) = if axis == 1 {
                (indices, cols)
            } else {
                let mut by_cols = Vec::with_capacity(indices.len());
                for j in 0..cols {
                    by_cols.extend((0..rows).map(|i| indices[i * cols + j]));
                }
                (by_cols, rows)
            };
            (Penalty::GroupL2 { size: size.max(1) }, ordered, block)
        }
        (p, _) => (p, indices, block),
    };
    Some(Term {
        penalty,
        weight: 1.0,
        input,
        indices,
        block,
        axis: group_axis,
    })
}

/// An input, a slice or a reshape of a block: the input, the flat positions in
/// row-major order of `b`, and the slice as written.
fn block_of(g: &Graph, b: NodeId) -> Option<(u32, Vec<usize>, String)> {
    let node = g.node(b);
    match &node.op {
        Op::Input(i) => {
            let len: usize = node.shape.iter().product();
            Some((*i, (0..len).collect(), String::new()))
        }
        Op::Reshape => block_of(g, node.args[0]),
        Op::Slice(slices) => {
            let (input, inner, text) = block_of(g, node.args[0])?;
            let shape = g.shape(node.args[0]);
            let picked = slice_positions(shape, slices);
            let indices = picked.iter().map(|&p| inner[p]).collect();
            Some((input, indices, format!("{text}{}", slice_text(slices))))
        }
        _ => None,
    }
}

/// Row-major positions in a tensor of `shape` picked by `slices`, in the slice's
/// row-major order.
fn slice_positions(shape: &[usize], slices: &[AxisSlice]) -> Vec<usize> {
    let mut out = vec![0usize];
    let mut stride = 1;
    let mut strides = vec![0; shape.len()];
    for (k, &d) in shape.iter().enumerate().rev() {
        strides[k] = stride;
        stride *= d;
    }
    for (k, s) in slices.iter().enumerate() {
        let mut next = Vec::with_capacity(out.len() * s.len);
        for base in &out {
            for t in 0..s.len {
                let pos = s.start as i64 + s.step * t as i64;
                next.push(base + pos as usize * strides[k]);
            }
        }
        out = next;
    }
    out
}

fn slice_text(slices: &[AxisSlice]) -> String {
    let parts: Vec<String> = slices
        .iter()
        .map(|s| {
            let end = s.start as i64 + s.step * s.len as i64;
            match s.step {
                1 => format!("{}:{}", s.start, end),
                _ => format!("{}:{}:{}", s.start, end.max(-1), s.step),
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The positions of terms whose blocks overlap another term's.
fn overlapping_terms(terms: &[Term]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let clash = terms.iter().enumerate().any(|(j, u)| {
            j != i && u.input == t.input && u.indices.iter().any(|k| t.indices.contains(k))
        });
        if clash {
            out.push(i);
        }
    }
    out
}

/// The smooth leaves summed into one program.
fn smooth_program(f: &Function, leaves: &[(f64, NodeId)]) -> Function {
    let mut graph = f.graph.clone();
    let mut total = graph.scalar(0.0);
    for &(coef, node) in leaves {
        let c = graph.scalar(coef);
        let scaled = graph.binary(BinaryOp::Mul, node, c).unwrap_or(node);
        total = graph.binary(BinaryOp::Add, total, scaled).unwrap_or(total);
    }
    crate::simplify(&Function {
        graph,
        outputs: vec![total],
    })
}

/// The smooth leaves as least-squares terms, if every one is (or is a constant).
fn least_squares_of(g: &Graph, leaves: &[(f64, NodeId)]) -> Option<(Vec<LeastSquares>, f64)> {
    let deps = depends_on_inputs(g);
    let mut terms = Vec::new();
    let mut constant = 0.0;
    for &(coef, node) in leaves {
        if !deps[node.index()] {
            constant += coef * g.as_scalar_const(node)?;
            continue;
        }
        let s = arg_of(g, node, &Op::Sum(None))?;
        let r = square_of(g, s)?;
        (coef > 0.0).then_some(())?;
        let (input, a, b) = affine_residual(g, r)?;
        terms.push(LeastSquares {
            weight: coef,
            input,
            a,
            b,
        });
    }
    Some((terms, constant))
}

/// `R = A @ x − b`, `A @ x + c`, `A @ x`, `x − b` or `x` for constants and one whole
/// 1-d input `x`.
#[allow(clippy::type_complexity)]
fn affine_residual(g: &Graph, r: NodeId) -> Option<(u32, Option<Rc<Tensor>>, Option<Rc<Tensor>>)> {
    let node = g.node(r);
    match (&node.op, node.args.as_slice()) {
        (Op::Binary(BinaryOp::Sub), &[a, b]) => {
            let bt = g.as_const(b)?.clone();
            let (input, m) = linear(g, a)?;
            Some((input, m, Some(bt)))
        }
        (Op::Binary(BinaryOp::Add), &[a, b]) => {
            let (c, lin) = match (g.as_const(a), g.as_const(b)) {
                (Some(c), None) => (c.clone(), b),
                (None, Some(c)) => (c.clone(), a),
                _ => return None,
            };
            let (input, m) = linear(g, lin)?;
            Some((input, m, Some(Rc::new(c.mapv(|v| -v)))))
        }
        _ => {
            let (input, m) = linear(g, r)?;
            Some((input, m, None))
        }
    }
}

/// `A @ x` (traced as `reshape(matmul(A, reshape(x, [n, 1])), [m])`) or `x`, for a
/// constant `A` and a 1-d input `x`.
pub(crate) fn linear(g: &Graph, id: NodeId) -> Option<(u32, Option<Rc<Tensor>>)> {
    let node = g.node(id);
    match &node.op {
        Op::Input(i) if node.shape.len() == 1 => Some((*i, None)),
        Op::Reshape if node.shape.len() == 1 => {
            let mm = g.node(node.args[0]);
            let (Op::MatMul, &[a, xr]) = (&mm.op, mm.args.as_slice()) else {
                return None;
            };
            let at = g.as_const(a)?.clone();
            let x = arg_of(g, xr, &Op::Reshape)?;
            let xn = g.node(x);
            match xn.op {
                Op::Input(i) if xn.shape.len() == 1 && at.ndim() == 2 => Some((i, Some(at))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Per input: whether the smooth program reads it.
pub fn reads_inputs(f: &Function) -> Vec<bool> {
    let g = &f.graph;
    let live = g.reachable(&f.outputs);
    let mut reads = vec![false; g.input_shapes().len()];
    for (i, node) in g.nodes().iter().enumerate() {
        if let (true, Op::Input(k)) = (live[i], &node.op)
            && let Some(r) = reads.get_mut(*k as usize)
        {
            *r = true;
        }
    }
    reads
}

/// Nodes rendered deeper than this become `…`.
const RENDER_DEPTH: usize = 4;

fn render_weighted(g: &Graph, coef: f64, id: NodeId) -> String {
    let body = render(g, id, 0);
    if coef == 1.0 {
        body
    } else {
        format!("{coef} * {body}")
    }
}

/// A node as an OptL-like expression over `%i` inputs, for messages.
fn render(g: &Graph, id: NodeId, depth: usize) -> String {
    if depth > RENDER_DEPTH {
        return "…".into();
    }
    let node = g.node(id);
    let arg = |k: usize| render(g, node.args[k], depth + 1);
    match &node.op {
        Op::Input(i) => format!("%{i}"),
        Op::Const(_) => match g.as_scalar_const(id) {
            Some(v) => format!("{v}"),
            None => "<constant>".into(),
        },
        Op::Unary(UnaryOp::Neg) => format!("-{}", arg(0)),
        Op::Unary(u) => format!("{}({})", format!("{u:?}").to_lowercase(), arg(0)),
        Op::Binary(b) => {
            let sym = match b {
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "*",
                BinaryOp::Div => "/",
                BinaryOp::Pow => "^",
                BinaryOp::Lt => "<",
                BinaryOp::Le => "<=",
                BinaryOp::Gt => ">",
                BinaryOp::Ge => ">=",
                BinaryOp::Eq => "==",
                BinaryOp::Ne => "!=",
                BinaryOp::Min => return format!("min({}, {})", arg(0), arg(1)),
                BinaryOp::Max => return format!("max({}, {})", arg(0), arg(1)),
            };
            format!("({} {sym} {})", arg(0), arg(1))
        }
        Op::Sum(None) => format!("sum({})", arg(0)),
        Op::Sum(Some(a)) => format!("sum({}, {a})", arg(0)),
        Op::Max(None) => format!("max({})", arg(0)),
        Op::Max(Some(a)) => format!("max({}, {a})", arg(0)),
        Op::Min(None) => format!("min({})", arg(0)),
        Op::Min(Some(a)) => format!("min({}, {a})", arg(0)),
        Op::MatMul => format!("{} @ {}", arg(0), arg(1)),
        Op::Reshape | Op::Broadcast => arg(0),
        Op::Transpose => format!("transpose({})", arg(0)),
        Op::Slice(s) => format!("{}{}", arg(0), slice_text(s)),
        Op::Where => format!("where({}, {}, {})", arg(0), arg(1), arg(2)),
        Op::NuclearNorm => format!("linalg.nuclear_norm({})", arg(0)),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
#[path = "composite_tests.rs"]
mod tests;

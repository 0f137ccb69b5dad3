//! The stable text form of a function (for `optl ir` and snapshot tests).
//!
//! ```text
//! fn(%0: [3], %1: []) -> ([])
//!   %2 = slice [1:2:1] %0 : [2]
//!   %3 = mul %2, %2 : [2]
//!   %4 = sum %3 : []
//!   %5 = mul %4, %1 : []
//!   return %5
//! ```
//! - The header lists every input (used or not: the arity is part of the function)
//!   as `%k: shape`, then the output shapes.
//! - Only nodes the outputs depend on are printed, renumbered densely after the
//!   inputs in graph (topological) order; each line ends with the node's shape.
//! - Operations print by name (`neg exp log log1p sqrt abs sign sin cos tan atan
//!   tanh sigmoid floor ceil`, `add sub mul div pow minimum maximum lt le gt ge eq ne`,
//!   `where matmul broadcast reshape transpose solve logdet cholesky`); the
//!   reductions print as `sum`, `max`
//!   and `min`, followed by `axis=N` when they reduce one axis.
//! - `slice [a:n:s, ...]` and `unslice [a:n:s, ...]` give, per axis, the first
//!   position `a`, the number of positions `n` and the step `s` (which may be
//!   negative): positions `a, a+s, ..., a+(n-1)s`. This is *not* Python's
//!   `start:stop:step`. `concat axis=N` joins along axis `N`.
//! - `sparse_matvec ncols=N transpose=B %p, %j, %v, %x` is the product of the CSR
//!   matrix (`indptr`, `indices`, `values`) with `N` columns, or of its transpose
//!   when `B` is `true`, with `%x`.
//! - Constants print their value with Rust's `{:?}` (shortest round trip: `100.0`,
//!   `0.1`, `-0.0`, `NaN`, `inf`): scalars as `const 2.0`, tensors of at most 8
//!   elements in full, nested by axis (`const [[1.0, 2.0], [3.0, 4.0]]`), and larger
//!   ones by the first 8 hex digits of a hash of their content (`const #1a2b3c4d`).

use std::collections::HashMap;
use std::fmt::Write;

use optl_tensor::Tensor;

use crate::graph::{BinaryOp, Function, Node, NodeId, Op, UnaryOp, shape_text};
use crate::hash::tensor_hash;

impl UnaryOp {
    /// The operation's name in the text form.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Sign => "sign",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Atan => "atan",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceil => "ceil",
        }
    }
}

impl BinaryOp {
    /// The operation's name in the text form.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Min => "minimum",
            BinaryOp::Max => "maximum",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
        }
    }
}

/// Most elements a constant may have to be printed in full.
const SHOWN_ELEMENTS: usize = 8;

/// The text form of `f` (see the module documentation). Never fails: references to
/// nodes that do not exist (in a malformed function) print as `%?`.
pub fn to_text(f: &Function) -> String {
    let g = &f.graph;
    let n_inputs = f.input_shapes().len();
    let live = g.reachable(&f.outputs);
    let mut names: HashMap<NodeId, usize> = HashMap::new();
    let mut next = n_inputs;
    for (i, node) in g.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let id = NodeId(i as u32);
        match node.op {
            Op::Input(k) if (k as usize) < n_inputs => {
                names.insert(id, k as usize);
            }
            _ => {
                names.insert(id, next);
                next += 1;
            }
        }
    }
    let name = |id: &NodeId| match names.get(id) {
        Some(n) => format!("%{n}"),
        None => "%?".to_string(),
    };
    let inputs: Vec<String> = f
        .input_shapes()
        .iter()
        .enumerate()
        .map(|(k, s)| format!("%{k}: {}", shape_text(s)))
        .collect();
    let outputs: Vec<String> = f
        .outputs
        .iter()
        .map(|o| g.get(*o).map_or("?".to_string(), |n| shape_text(&n.shape)))
        .collect();
    let mut out = format!("fn({}) -> ({})\n", inputs.join(", "), outputs.join(", "));
    for (i, node) in g.nodes().iter().enumerate() {
        let id = NodeId(i as u32);
        if !live[i] || matches!(node.op, Op::Input(k) if (k as usize) < n_inputs) {
            continue;
        }
        let args: Vec<String> = node.args.iter().map(name).collect();
        let _ = writeln!(
            out,
            "  {} = {} : {}",
            name(&id),
            op_text(f, node, &args.join(", ")),
            shape_text(&node.shape)
        );
    }
    let rets: Vec<String> = f.outputs.iter().map(name).collect();
    let _ = writeln!(out, "  return {}", rets.join(", "));
    out
}

/// The operation with its parameters and arguments, e.g. `sum axis=0 %3`.
fn op_text(f: &Function, node: &Node, args: &str) -> String {
    let with = |head: String| {
        if args.is_empty() {
            head
        } else {
            format!("{head} {args}")
        }
    };
    let reduce = |name: &str, axis: &Option<usize>| match axis {
        None => name.to_string(),
        Some(a) => format!("{name} axis={a}"),
    };
    match &node.op {
        Op::Input(k) => with(format!("input {k}")),
        Op::Const(c) => match f.graph.get_constant(*c) {
            Some(t) => with(format!("const {}", const_text(t))),
            None => with("const ?".to_string()),
        },
        Op::Unary(u) => with(u.name().to_string()),
        Op::Binary(b) => with(b.name().to_string()),
        Op::Where => with("where".to_string()),
        Op::Sum(a) => with(reduce("sum", a)),
        Op::Max(a) => with(reduce("max", a)),
        Op::Min(a) => with(reduce("min", a)),
        Op::MatMul => with("matmul".to_string()),
        Op::Broadcast => with("broadcast".to_string()),
        Op::Reshape => with("reshape".to_string()),
        Op::Transpose => with("transpose".to_string()),
        Op::Slice(sl) | Op::Unslice(sl) => {
            let head = if matches!(node.op, Op::Slice(_)) {
                "slice"
            } else {
                "unslice"
            };
            let parts: Vec<String> = sl
                .iter()
                .map(|s| format!("{}:{}:{}", s.start, s.len, s.step))
                .collect();
            with(format!("{head} [{}]", parts.join(", ")))
        }
        Op::Concat(a) => with(format!("concat axis={a}")),
        Op::Solve => with("solve".to_string()),
        Op::EntropicOt { reg } => with(format!("entropic_ot reg={:?}", f64::from_bits(*reg))),
        Op::EntropicOtGrad { reg, wrt } => with(format!(
            "entropic_ot_grad reg={:?} wrt={wrt}",
            f64::from_bits(*reg)
        )),
        Op::LogDet => with("logdet".to_string()),
        Op::NuclearNorm => with("nuclear_norm".to_string()),
        Op::NuclearNormGrad => with("nuclear_norm_grad".to_string()),
        Op::Cholesky => with("cholesky".to_string()),
        Op::SparseMatVec { ncols, transpose } => {
            with(format!("sparse_matvec ncols={ncols} transpose={transpose}"))
        }
    }
}

/// A constant's value: in full when small, else a content hash.
fn const_text(t: &Tensor) -> String {
    if t.len() > SHOWN_ELEMENTS {
        let h = tensor_hash(t).to_hex();
        return format!("#{}", &h.as_str()[..8]);
    }
    if t.is_empty() && t.ndim() > 0 {
        return "[]".to_string();
    }
    let data: Vec<f64> = t.iter().copied().collect();
    let mut out = String::new();
    nested(&mut out, t.shape(), &data);
    out
}

fn nested(out: &mut String, shape: &[usize], data: &[f64]) {
    let Some((&n, rest)) = shape.split_first() else {
        let _ = write!(out, "{:?}", data.first().copied().unwrap_or(f64::NAN));
        return;
    };
    let step: usize = rest.iter().product();
    out.push('[');
    for k in 0..n {
        if k > 0 {
            out.push_str(", ");
        }
        let part = data.get(k * step..(k + 1) * step).unwrap_or(&[]);
        nested(out, rest, part);
    }
    out.push(']');
}

#[cfg(test)]
#[path = "print_tests.rs"]
mod tests;

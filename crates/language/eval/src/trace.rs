//! Tracing: running numeric OptL code on values that stand for unknown inputs, and
//! recording what it computes as IR (as JAX does). A traced value is a node of the
//! active graph; operations on it append nodes; constants are lifted into the graph.

use crate::convert::to_tensor;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::{Tracer, Value};
use optl_ir::{AxisSlice, BinaryOp, Graph, IrError, NodeId, UnaryOp};
use optl_syntax::ast::BinOp;
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use std::rc::Rc;

/// A graph being recorded.
pub struct Trace {
    pub graph: Graph,
    pub id: u64,
}

/// An IR builder error as a diagnostic at `span`.
pub fn ir_error(e: IrError, span: Span) -> Box<Diagnostic> {
    match e {
        IrError::Shape(m) => err_label(codes::SHAPE_MISMATCH, m, span, "shapes do not fit"),
        IrError::Invalid(m) => err_label(codes::INVALID_ARGUMENT, m, span, "invalid here"),
        IrError::Linalg(e) => crate::builtins::linalg_error(e, span),
    }
}

/// LANGUAGE.md §10 lists "division by a zero-shaped tensor" among the errors a
/// user can cause: a divisor with no elements is an error, traced or not.
pub fn zero_size_divisor(shape: &[usize]) -> Result<(), IrError> {
    match shape.contains(&0) {
        true => Err(IrError::Invalid(format!(
            "division by a zero-size tensor (shape {})",
            optl_tensor::shape_str(shape)
        ))),
        false => Ok(()),
    }
}

/// The diagnostic for an operation that has no IR form.
pub fn not_traceable(what: &str, span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(codes::NOT_TRACEABLE, format!("{what} cannot be traced"))
            .at(span, "applied to a traced value here")
            .hint("numeric code that is differentiated or hashed must use traceable operations (see docs/stdlib.md)"),
    )
}

/// The diagnostic for a condition that depends on a traced value.
pub fn traced_branch(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            codes::TRACED_BRANCH,
            "this condition depends on a traced value",
        )
        .at(span, "its value is not known while tracing")
        .hint("select elementwise with `where(c, a, b)` instead of `if`"),
    )
}

impl Interp {
    /// Starts recording a new graph; traces nest, the innermost is active.
    pub fn begin_trace(&mut self) {
        self.trace_counter += 1;
        let id = self.trace_counter;
        self.traces.push(Trace {
            graph: Graph::new(),
            id,
        });
    }

    /// Stops recording and returns the graph.
    pub fn end_trace(&mut self) -> Graph {
        self.traces.pop().map(|t| t.graph).unwrap_or_default()
    }

    pub fn is_tracing(&self) -> bool {
        !self.traces.is_empty()
    }

    /// A new input of the active graph, as a traced value.
    pub fn trace_input(&mut self, shape: Vec<usize>) -> Value {
        let Some(t) = self.traces.last_mut() else {
            return Value::Unit;
        };
        let node = t.graph.input(shape.clone());
        Value::Tracer(Rc::new(Tracer {
            node,
            shape,
            trace: t.id,
        }))
    }

    pub(crate) fn active(&mut self, span: Span) -> EvalResult<&mut Trace> {
        self.traces
            .last_mut()
            .ok_or_else(|| not_traceable("this value (no trace is active)", span))
    }

    /// The graph node for a value: a traced value's node, or a constant.
    pub fn lift(&mut self, v: &Value, span: Span) -> EvalResult<NodeId> {
        if let Value::Tracer(t) = v {
            let active = self.active(span)?;
            if t.trace != active.id {
                return Err(not_traceable("a value from another trace", span));
            }
            return Ok(t.node);
        }
        // A number is a scalar constant: `Graph::scalar` finds or adds the same
        // constant and node as `constant` of its 0-d tensor, without making one.
        match v {
            Value::Int(n) => return Ok(self.active(span)?.graph.scalar(*n as f64)),
            Value::Float(x) => return Ok(self.active(span)?.graph.scalar(*x)),
            _ => {}
        }
        let limit = self.limits.max_elements;
        let tensor = match v {
            Value::List(items) if items.iter().any(|i| matches!(i, Value::Tracer(_))) => {
                let items = items.as_ref().clone();
                return match self.make_list(items, span)? {
                    Value::Tracer(t) => Ok(t.node),
                    other => self.lift(&other, span),
                };
            }
            Value::Int(_) | Value::Float(_) | Value::Tensor(_) | Value::List(_) => {
                to_tensor(v, span, limit)?
            }
            other => {
                return Err(err_label(
                    codes::TYPE_MISMATCH,
                    format!("expected a number or tensor, found {}", a_type(other)),
                    span,
                    "not numeric",
                ));
            }
        };
        let t = Rc::unwrap_or_clone(tensor);
        Ok(self.active(span)?.graph.constant(t))
    }

    /// Wraps a node of the active graph as a value.
    pub fn wrap(&mut self, node: NodeId) -> Value {
        let Some(t) = self.traces.last() else {
            return Value::Unit;
        };
        Value::Tracer(Rc::new(Tracer {
            node,
            shape: t.graph.shape(node).to_vec(),
            trace: t.id,
        }))
    }

    /// Runs an IR builder on the active graph and wraps its result.
    pub fn build(
        &mut self,
        span: Span,
        f: impl FnOnce(&mut Graph) -> Result<NodeId, IrError>,
    ) -> EvalResult<Value> {
        let g = &mut self.active(span)?.graph;
        let node = f(g).map_err(|e| ir_error(e, span))?;
        Ok(self.wrap(node))
    }

    /// `A @ x` for a sparse constant `A` and a traced vector `x`: the CSR arrays
    /// become constants of the graph and the product one `sparse_matvec` node
    /// (whose gradient is the product with `Aᵀ`).
    pub fn trace_sparse_matvec(
        &mut self,
        a: &optl_linalg::Csr,
        x: &Value,
        span: Span,
    ) -> EvalResult<Value> {
        let x = self.lift(x, span)?;
        let as_floats = |v: Vec<f64>| {
            let n = v.len();
            optl_tensor::from_vec(&[n], v).map_err(|e| crate::convert::tensor_error(e, span))
        };
        let indptr = as_floats(a.indptr().iter().map(|&p| p as f64).collect())?;
        let indices = as_floats(a.indices().iter().map(|&j| f64::from(j)).collect())?;
        let values = as_floats(a.values().to_vec())?;
        let ncols = a.ncols();
        self.build(span, |g| {
            if g.shape(x).len() != 1 {
                return Err(IrError::Shape(format!(
                    "`@` of a sparse matrix and a traced tensor of shape {} is not supported (vectors only)",
                    optl_tensor::shape_str(g.shape(x))
                )));
            }
            let (p, i, v) = (g.constant(indptr), g.constant(indices), g.constant(values));
            g.sparse_matvec(p, i, v, x, ncols, false)
        })
    }

    /// Lifts two operands and broadcasts them to their common shape.
    pub fn lift_pair(
        &mut self,
        a: &Value,
        b: &Value,
        span: Span,
    ) -> EvalResult<(NodeId, NodeId, Vec<usize>)> {
        let x = self.lift(a, span)?;
        let y = self.lift(b, span)?;
        let g = &mut self.active(span)?.graph;
        let shape = optl_tensor::broadcast_shapes(g.shape(x), g.shape(y))
            .map_err(|e| crate::convert::tensor_error(e, span))?;
        let x = g.broadcast(x, &shape).map_err(|e| ir_error(e, span))?;
        let y = g.broadcast(y, &shape).map_err(|e| ir_error(e, span))?;
        Ok((x, y, shape))
    }

    /// A binary operator on at least one traced operand.
    pub fn trace_binary(
        &mut self,
        op: BinOp,
        a: &Value,
        b: &Value,
        span: Span,
    ) -> EvalResult<Value> {
        let ir_op = match op {
            BinOp::Add => BinaryOp::Add,
            BinOp::Sub => BinaryOp::Sub,
            BinOp::Mul => BinaryOp::Mul,
            BinOp::Div => BinaryOp::Div,
            BinOp::Pow => BinaryOp::Pow,
            BinOp::Eq => BinaryOp::Eq,
            BinOp::Ne => BinaryOp::Ne,
            BinOp::Lt => BinaryOp::Lt,
            BinOp::Le => BinaryOp::Le,
            BinOp::Gt => BinaryOp::Gt,
            BinOp::Ge => BinaryOp::Ge,
            BinOp::MatMul => {
                let x = self.lift(a, span)?;
                let y = self.lift(b, span)?;
                return self.build(span, |g| matmul_nd(g, x, y));
            }
            BinOp::Rem => {
                // Floor modulo: x - y * floor(x / y).
                let (x, y, _) = self.lift_pair(a, b, span)?;
                return self.build(span, |g| {
                    let q = g.binary(BinaryOp::Div, x, y)?;
                    let f = g.unary(UnaryOp::Floor, q);
                    let m = g.binary(BinaryOp::Mul, y, f)?;
                    g.binary(BinaryOp::Sub, x, m)
                });
            }
            BinOp::And | BinOp::Or => return Err(traced_branch(span)),
        };
        let (x, y, _) = self.lift_pair(a, b, span)?;
        self.build(span, |g| {
            if ir_op == BinaryOp::Div {
                zero_size_divisor(g.shape(y))?;
            }
            g.binary(ir_op, x, y)
        })
    }

    pub fn trace_unary(&mut self, op: UnaryOp, a: &Value, span: Span) -> EvalResult<Value> {
        let x = self.lift(a, span)?;
        self.build(span, |g| Ok(g.unary(op, x)))
    }

    /// Stacks numeric and traced items of one shape into one traced tensor.
    pub fn trace_stack(&mut self, items: &[Value], span: Span) -> EvalResult<Value> {
        let mut nodes = Vec::with_capacity(items.len());
        for item in items {
            nodes.push(self.lift(item, span)?);
        }
        self.build(span, |g| {
            let mut rows = Vec::with_capacity(nodes.len());
            for n in nodes {
                let mut s = vec![1];
                s.extend_from_slice(g.shape(n));
                rows.push(g.reshape(n, &s)?);
            }
            g.concat(&rows, 0)
        })
    }

    /// `x[...]` on a traced tensor: basic indexing as slices, then a reshape that drops
    /// the indexed axes.
    pub fn trace_index(
        &mut self,
        base: &Value,
        specs: &[optl_tensor::IndexSpec],
        span: Span,
    ) -> EvalResult<Value> {
        let x = self.lift(base, span)?;
        let shape = self.active(span)?.graph.shape(x).to_vec();
        if specs.len() > shape.len() {
            return Err(err_label(
                codes::INDEX_OUT_OF_BOUNDS,
                format!("too many indices for a tensor of rank {}", shape.len()),
                span,
                "too many indices",
            ));
        }
        let mut slices = Vec::with_capacity(shape.len());
        let mut out_shape = Vec::new();
        for (axis, &n) in shape.iter().enumerate() {
            match specs.get(axis) {
                Some(optl_tensor::IndexSpec::At(i)) => {
                    let pos = normalize_index(*i, n).ok_or_else(|| {
                        err_label(
                            codes::INDEX_OUT_OF_BOUNDS,
                            format!("index {i} is out of bounds for axis {axis} with size {n}"),
                            span,
                            "index out of range",
                        )
                    })?;
                    slices.push(AxisSlice {
                        start: pos,
                        step: 1,
                        len: 1,
                    });
                }
                Some(optl_tensor::IndexSpec::Slice { start, stop, step }) => {
                    let sl = normalize_slice(*start, *stop, *step, n).ok_or_else(|| {
                        err_label(
                            codes::INVALID_ARGUMENT,
                            "slice step cannot be zero",
                            span,
                            "zero step",
                        )
                    })?;
                    out_shape.push(sl.len);
                    slices.push(sl);
                }
                None => {
                    slices.push(AxisSlice {
                        start: 0,
                        step: 1,
                        len: n,
                    });
                    out_shape.push(n);
                }
            }
        }
        self.build(span, |g| {
            let s = g.slice(x, slices)?;
            g.reshape(s, &out_shape)
        })
    }
}

/// A non-negative position for index `i` on an axis of `n`, if in range.
pub fn normalize_index(i: i64, n: usize) -> Option<usize> {
    let n = n as i64;
    let pos = if i < 0 { i + n } else { i };
    (0..n).contains(&pos).then_some(pos as usize)
}

/// Python slice semantics as start, step and length (None for a zero step).
pub fn normalize_slice(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    n: usize,
) -> Option<AxisSlice> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return None;
    }
    let n = n as i64;
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let resolve = |v: i64| if v < 0 { v + n } else { v };
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let s = start.map_or(if step > 0 { 0 } else { n - 1 }, |v| {
        clamp(resolve(v), lo, hi)
    });
    let e = stop.map_or(if step > 0 { n } else { -1 }, |v| clamp(resolve(v), lo, hi));
    let len = if step > 0 {
        if e > s { (e - s + step - 1) / step } else { 0 }
    } else if s > e {
        (s - e + (-step) - 1) / (-step)
    } else {
        0
    };
    Some(AxisSlice {
        start: if len == 0 { 0 } else { s as usize },
        step,
        len: len as usize,
    })
}

/// NumPy `@` for 1-d and 2-d operands on IR nodes.
pub fn matmul_nd(g: &mut Graph, a: NodeId, b: NodeId) -> Result<NodeId, IrError> {
    let (sa, sb) = (g.shape(a).to_vec(), g.shape(b).to_vec());
    match (sa.len(), sb.len()) {
        (1, 1) => {
            if sa != sb {
                return Err(IrError::Shape(format!(
                    "dot: shapes {} and {} are not aligned",
                    optl_ir::graph::shape_text(&sa),
                    optl_ir::graph::shape_text(&sb)
                )));
            }
            let p = g.binary(BinaryOp::Mul, a, b)?;
            g.sum(p, None)
        }
        (2, 1) => {
            let col = g.reshape(b, &[sb[0], 1])?;
            let m = g.matmul(a, col)?;
            g.reshape(m, &[sa[0]])
        }
        (1, 2) => {
            let row = g.reshape(a, &[1, sa[0]])?;
            let m = g.matmul(row, b)?;
            g.reshape(m, &[sb[1]])
        }
        (2, 2) => g.matmul(a, b),
        _ => Err(IrError::Shape(format!(
            "matmul of shapes {} and {} is not supported on traced values (1-d and 2-d only)",
            optl_ir::graph::shape_text(&sa),
            optl_ir::graph::shape_text(&sb)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_follow_python() {
        let s = normalize_slice(None, None, Some(-1), 5).unwrap();
        assert_eq!((s.start, s.step, s.len), (4, -1, 5));
        let s = normalize_slice(Some(1), None, None, 5).unwrap();
        assert_eq!((s.start, s.len), (1, 4));
        let s = normalize_slice(None, Some(-1), None, 5).unwrap();
        assert_eq!((s.start, s.len), (0, 4));
        let s = normalize_slice(Some(10), Some(20), None, 5).unwrap();
        assert_eq!(s.len, 0);
        let s = normalize_slice(None, None, Some(2), 5).unwrap();
        assert_eq!((s.start, s.len), (0, 3));
        assert!(normalize_slice(None, None, Some(0), 5).is_none());
        assert_eq!(normalize_index(-1, 3), Some(2));
        assert_eq!(normalize_index(3, 3), None);
    }
}

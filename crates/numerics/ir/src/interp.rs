//! The IR interpreter: the reference semantics of every operation. The JIT, the
//! constant folder and the functional hash all agree with this file.
//!
//! Nodes are evaluated in index order (the graph is topologically ordered), and only
//! those the outputs depend on. Elementwise operations work on `f64` as described on
//! [`unary_f64`] and [`binary_f64`]; everything that `optl_tensor` implements
//! (sums, extrema, matmul, reshape, concat, transpose) is delegated to it, so that a
//! traced `sum` gives the same bits as an eager one; `solve`, `logdet` and
//! `cholesky` are `optl_linalg`'s (see `interp_linalg.rs`: numerical failures such as
//! a singular matrix are errors, not NaN); `sparse_matvec` is in `sparse.rs` (the
//! arithmetic of `optl_linalg`'s CSR products). The interpreter never panics:
//! malformed graphs (made with the raw [`Graph::push`]) give an [`IrError`].

use std::rc::Rc;

use smallvec::SmallVec;

use optl_tensor::{Tensor, TensorError};

use crate::graph::{
    AxisSlice, BinaryOp, Function, Graph, IrError, IrResult, Node, NodeShape, Op, UnaryOp,
    check_slices, same_shape, shape_text,
};

/// Largest number of elements of any tensor the interpreter makes by default; the
/// same default as the evaluator's `max_elements`.
pub const DEFAULT_LIMIT: usize = 1 << 27;

/// Runs `f` on `inputs` (one tensor per input, of the input's shape).
pub fn eval(f: &Function, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
    eval_with_limit(f, inputs, DEFAULT_LIMIT)
}

/// [`eval`] with a limit on the number of elements of every intermediate tensor.
pub fn eval_with_limit(f: &Function, inputs: &[Tensor], limit: usize) -> IrResult<Vec<Tensor>> {
    let values = run(f, inputs, limit, false)?;
    f.outputs
        .iter()
        .map(|o| {
            values
                .get(o.index())
                .and_then(|v| v.as_ref().map(Val::to_tensor))
                .ok_or_else(|| IrError::Invalid(format!("output %{} has no value", o.0)))
        })
        .collect()
}

/// The value of every node the outputs depend on (`None` for the others), by node
/// index. Useful to inspect intermediate values.
pub fn eval_nodes(f: &Function, inputs: &[Tensor], limit: usize) -> IrResult<Vec<Option<Tensor>>> {
    let values = run(f, inputs, limit, true)?;
    Ok(values
        .into_iter()
        .map(|v| v.map(Val::into_tensor))
        .collect())
}

/// The value of a node during a run: values of one element (most nodes of unrolled
/// code: scalars, and the `[1]` pieces of indexing and stacking) are kept as a plain
/// number with their shape, so computing one allocates nothing; they become tensors
/// only where an operation needs one.
#[derive(Clone, Debug)]
enum Val {
    Single(f64, NodeShape),
    Tensor(Rc<Tensor>),
}

impl Val {
    fn shape(&self) -> &[usize] {
        match self {
            Val::Single(_, s) => s,
            Val::Tensor(t) => t.shape(),
        }
    }

    /// The number, when the value is 0-d.
    fn as_scalar(&self) -> Option<f64> {
        match self {
            Val::Single(x, s) if s.is_empty() => Some(*x),
            Val::Single(..) => None,
            Val::Tensor(t) if t.ndim() == 0 => t.iter().next().copied(),
            Val::Tensor(_) => None,
        }
    }

    /// The element, when the value has exactly one.
    fn as_single(&self) -> Option<f64> {
        match self {
            Val::Single(x, _) => Some(*x),
            Val::Tensor(t) if t.len() == 1 => t.iter().next().copied(),
            Val::Tensor(_) => None,
        }
    }

    fn to_tensor(&self) -> Tensor {
        match self {
            Val::Single(x, s) => single_tensor(*x, s),
            Val::Tensor(t) => Tensor::clone(t),
        }
    }

    fn into_tensor(self) -> Tensor {
        match self {
            Val::Single(x, s) => single_tensor(x, &s),
            Val::Tensor(t) => Rc::unwrap_or_clone(t),
        }
    }
}

/// A tensor of one element and the given shape (all of whose axes are 1).
fn single_tensor(x: f64, shape: &[usize]) -> Tensor {
    if shape.is_empty() {
        optl_tensor::scalar(x)
    } else {
        Tensor::from_elem(ndarray::IxDyn(shape), x)
    }
}

/// Fast paths of [`eval_op`] for results of one element: the same cases and the same
/// `f64` functions, so the same bits, without making tensors. `None` when the
/// general path must run (which also reports malformed nodes).
fn eval_single(node: &Node, args: &[&Val]) -> Option<f64> {
    if node.shape.iter().any(|&d| d != 1) {
        return None;
    }
    let fits = |v: &Val| same_shape(v.shape(), &node.shape);
    match (&node.op, args) {
        (Op::Unary(op), [a]) if node.shape.is_empty() => Some(unary_f64(*op, a.as_scalar()?)),
        (Op::Binary(op), [a, b]) if node.shape.is_empty() => {
            Some(binary_f64(*op, a.as_scalar()?, b.as_scalar()?))
        }
        (Op::Unary(op), [a]) if fits(a) => Some(unary_f64(*op, a.as_single()?)),
        (Op::Binary(op), [a, b]) if fits(a) && fits(b) => {
            Some(binary_f64(*op, a.as_single()?, b.as_single()?))
        }
        (Op::Reshape, [a]) => a.as_single(),
        (Op::Slice(slices), [a]) => {
            let lens_fit = slices.len() == node.shape.len()
                && slices.iter().zip(&node.shape).all(|(sl, &d)| sl.len == d);
            if !lens_fit || check_slices(a.shape(), slices).is_err() {
                return None;
            }
            match a {
                Val::Single(x, _) => Some(*x),
                Val::Tensor(t) => {
                    let data = t.as_slice()?;
                    let mut off = 0usize;
                    let mut stride = 1usize;
                    for (sl, &d) in slices.iter().zip(t.shape()).rev() {
                        off = off.checked_add(sl.start.checked_mul(stride)?)?;
                        stride = stride.checked_mul(d)?;
                    }
                    data.get(off).copied()
                }
            }
        }
        _ => None,
    }
}

/// `Concat` along the first axis (the pieces' elements one after the other, as
/// `optl_tensor::concat` lays them out) of pieces that may be single numbers.
fn concat_first_axis(node: &Node, args: &[&Val], limit: usize) -> Option<Tensor> {
    let (&n0, rest) = node.shape.split_first()?;
    if args.is_empty() {
        return None;
    }
    let mut total = 0usize;
    for a in args {
        let (&d0, r) = a.shape().split_first()?;
        if r != rest {
            return None;
        }
        total = total.checked_add(d0)?;
    }
    if total != n0 || optl_tensor::check_limit(&node.shape, limit).is_err() {
        return None;
    }
    let mut data = Vec::with_capacity(optl_tensor::size_of(&node.shape) as usize);
    for a in args {
        match a {
            Val::Single(x, _) => data.push(*x),
            Val::Tensor(t) => data.extend_from_slice(&optl_tensor::contiguous(t)),
        }
    }
    optl_tensor::from_vec(&node.shape, data).ok()
}

fn run(
    f: &Function,
    inputs: &[Tensor],
    limit: usize,
    keep_all: bool,
) -> IrResult<Vec<Option<Val>>> {
    let g = &f.graph;
    let shapes = g.input_shapes();
    if inputs.len() != shapes.len() {
        return Err(IrError::Invalid(format!(
            "the function takes {} inputs, {} given",
            shapes.len(),
            inputs.len()
        )));
    }
    for (i, (t, s)) in inputs.iter().zip(shapes).enumerate() {
        if !same_shape(t.shape(), s) {
            return Err(IrError::Shape(format!(
                "input {i} has shape {}, the function expects {}",
                shape_text(t.shape()),
                shape_text(s)
            )));
        }
    }
    let live = g.reachable(&f.outputs);
    // Index of the last node reading each value, so values can be dropped early.
    let mut last_use: Vec<usize> = (0..g.len()).collect();
    for (i, node) in g.nodes().iter().enumerate() {
        if live[i] {
            for a in &node.args {
                if let Some(l) = last_use.get_mut(a.index()) {
                    *l = (*l).max(i);
                }
            }
        }
    }
    for o in &f.outputs {
        if let Some(l) = last_use.get_mut(o.index()) {
            *l = usize::MAX;
        }
    }
    let mut values: Vec<Option<Val>> = vec![None; g.len()];
    for (i, node) in g.nodes().iter().enumerate() {
        if !live[i] {
            continue;
        }
        let value = match node.op {
            Op::Input(k) => inputs
                .get(k as usize)
                .map(|t| Val::Tensor(Rc::new(t.clone())))
                .ok_or_else(|| IrError::Invalid(format!("node %{i} reads a missing input {k}")))?,
            Op::Const(c) => {
                g.get_constant(c).cloned().map(Val::Tensor).ok_or_else(|| {
                    IrError::Invalid(format!("node %{i} reads a missing constant"))
                })?
            }
            _ => {
                let mut vargs: SmallVec<[&Val; 4]> = SmallVec::new();
                for a in &node.args {
                    let v = if a.index() < i {
                        values[a.index()].as_ref()
                    } else {
                        None
                    };
                    vargs.push(v.ok_or_else(|| {
                        IrError::Invalid(format!("node %{i} reads %{} before it is computed", a.0))
                    })?);
                }
                let fast = match (&node.op, eval_single(node, &vargs)) {
                    (_, Some(x)) => Some(Val::Single(x, node.shape.clone())),
                    (Op::Concat(0), None) => {
                        concat_first_axis(node, &vargs, limit).map(|t| Val::Tensor(Rc::new(t)))
                    }
                    _ => None,
                };
                match fast {
                    Some(v) => v,
                    None => {
                        let mut singles: SmallVec<[Tensor; 4]> = SmallVec::new();
                        for v in &vargs {
                            if let Val::Single(x, s) = v {
                                singles.push(single_tensor(*x, s));
                            }
                        }
                        let mut next = singles.iter();
                        let args: SmallVec<[&Tensor; 4]> = vargs
                            .iter()
                            .map(|v| match v {
                                Val::Tensor(t) => Some(&**t),
                                Val::Single(..) => next.next(),
                            })
                            .collect::<Option<_>>()
                            .ok_or_else(|| IrError::Invalid("lost a scalar".into()))?;
                        Val::Tensor(Rc::new(eval_op(g, node, &args, limit)?))
                    }
                }
            }
        };
        if !same_shape(value.shape(), &node.shape) {
            return Err(IrError::Shape(format!(
                "node %{i} computed a value of shape {}, its type says {}",
                shape_text(value.shape()),
                shape_text(&node.shape)
            )));
        }
        values[i] = Some(value);
        if !keep_all {
            for a in &node.args {
                if last_use.get(a.index()) == Some(&i) {
                    values[a.index()] = None;
                }
            }
        }
    }
    Ok(values)
}

fn tensor_error(e: TensorError) -> IrError {
    match e {
        TensorError::Shape(m) => IrError::Shape(m),
        other => IrError::Invalid(other.to_string()),
    }
}

fn arity(node: &Node, args: &[&Tensor], n: usize) -> IrResult<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(IrError::Invalid(format!(
            "`{:?}` takes {n} arguments, the node has {}",
            node.op,
            args.len()
        )))
    }
}

fn axis_arg(axis: Option<usize>) -> IrResult<Option<isize>> {
    axis.map(|a| isize::try_from(a).map_err(|_| IrError::Invalid(format!("axis {a} is too large"))))
        .transpose()
}

fn args_of_node_shape(node: &Node, args: &[&Tensor]) -> IrResult<()> {
    match args.iter().find(|t| !same_shape(t.shape(), &node.shape)) {
        None => Ok(()),
        Some(t) => Err(IrError::Shape(format!(
            "`{:?}` of a {} argument into a {} result",
            node.op,
            shape_text(t.shape()),
            shape_text(&node.shape)
        ))),
    }
}

/// Evaluates one node from its argument values (inputs excepted; constants are read
/// from `g`). The result has the node's shape when the node is well formed.
pub(crate) fn eval_op(g: &Graph, node: &Node, args: &[&Tensor], limit: usize) -> IrResult<Tensor> {
    use optl_tensor as t;
    let lim = |shape: &[usize]| t::check_limit(shape, limit).map_err(tensor_error);
    // Scalars (most nodes of unrolled code) skip the general tensor machinery; the
    // same `f64` functions compute them, so the bits are the same.
    let scalar = |i: usize| {
        args.get(i)
            .filter(|a| a.ndim() == 0)
            .and_then(|a| a.iter().next())
            .copied()
    };
    if node.shape.is_empty() {
        match (&node.op, args.len()) {
            (Op::Unary(op), 1) => {
                if let Some(x) = scalar(0) {
                    return Ok(t::scalar(unary_f64(*op, x)));
                }
            }
            (Op::Binary(op), 2) => {
                if let (Some(a), Some(b)) = (scalar(0), scalar(1)) {
                    return Ok(t::scalar(binary_f64(*op, a, b)));
                }
            }
            (Op::Reshape, 1) if args[0].len() == 1 => {
                if let Some(&x) = args[0].iter().next() {
                    return Ok(t::scalar(x));
                }
            }
            _ => {}
        }
    }
    match &node.op {
        Op::Input(k) => Err(IrError::Invalid(format!("input {k} has no value here"))),
        Op::Const(c) => g
            .get_constant(*c)
            .map(|v| Tensor::clone(v))
            .ok_or_else(|| IrError::Invalid(format!("constant {c} does not exist"))),
        Op::Unary(op) => {
            arity(node, args, 1)?;
            let op = *op;
            Ok(t::map(args[0], |x| unary_f64(op, x)))
        }
        Op::Binary(op) => {
            arity(node, args, 2)?;
            args_of_node_shape(node, args)?;
            let op = *op;
            t::zip_with(args[0], args[1], limit, |a, b| binary_f64(op, a, b)).map_err(tensor_error)
        }
        Op::Where => {
            arity(node, args, 3)?;
            args_of_node_shape(node, args)?;
            t::where_(args[0], args[1], args[2], limit).map_err(tensor_error)
        }
        Op::Sum(axis) => {
            arity(node, args, 1)?;
            t::sum(args[0], axis_arg(*axis)?).map_err(tensor_error)
        }
        Op::Max(axis) => {
            arity(node, args, 1)?;
            t::max(args[0], axis_arg(*axis)?).map_err(tensor_error)
        }
        Op::Min(axis) => {
            arity(node, args, 1)?;
            t::min(args[0], axis_arg(*axis)?).map_err(tensor_error)
        }
        Op::MatMul => {
            arity(node, args, 2)?;
            if args[0].ndim() != 2 || args[1].ndim() != 2 {
                return Err(IrError::Shape(format!(
                    "matmul needs 2-d arguments, got {} and {}",
                    shape_text(args[0].shape()),
                    shape_text(args[1].shape())
                )));
            }
            t::matmul(args[0], args[1], limit).map_err(tensor_error)
        }
        Op::Broadcast => {
            arity(node, args, 1)?;
            lim(&node.shape)?;
            let view = args[0]
                .broadcast(ndarray::IxDyn(&node.shape))
                .ok_or_else(|| {
                    IrError::Shape(format!(
                        "cannot broadcast shape {} to {}",
                        shape_text(args[0].shape()),
                        shape_text(&node.shape)
                    ))
                })?;
            t::from_vec(&node.shape, view.iter().copied().collect()).map_err(tensor_error)
        }
        Op::Reshape => {
            arity(node, args, 1)?;
            let dims = node
                .shape
                .iter()
                .map(|&d| i64::try_from(d))
                .collect::<Result<Vec<i64>, _>>()
                .map_err(|_| IrError::Shape("reshape to a dimension that is too large".into()))?;
            t::reshape(args[0], &dims, limit).map_err(tensor_error)
        }
        Op::Transpose => {
            arity(node, args, 1)?;
            Ok(t::transpose(args[0]))
        }
        Op::Slice(slices) => {
            arity(node, args, 1)?;
            gather(args[0], slices, limit)
        }
        Op::Unslice(slices) => {
            arity(node, args, 1)?;
            scatter(args[0], slices, &node.shape, limit)
        }
        Op::Concat(axis) => {
            let ax = isize::try_from(*axis)
                .map_err(|_| IrError::Invalid(format!("axis {axis} is too large")))?;
            t::concat(args, ax, limit).map_err(tensor_error)
        }
        Op::Solve | Op::LogDet | Op::Cholesky | Op::NuclearNorm | Op::NuclearNormGrad => {
            crate::interp_linalg::eval(node, args, limit)
        }
        Op::EntropicOt { .. } | Op::EntropicOtGrad { .. } => crate::interp_ot::eval(node, args),
        Op::SparseMatVec { .. } => crate::sparse::eval(node, args, limit),
    }
}

/// Flat (row-major) offsets, within a tensor of `shape`, of the positions selected by
/// `slices`, in row-major order of the selection. `slices` must have been checked.
fn slice_offsets(shape: &[usize], slices: &[AxisSlice]) -> Vec<usize> {
    let mut strides = vec![1i128; shape.len()];
    let mut acc = 1i128;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d as i128);
    }
    let total: usize = slices.iter().map(|s| s.len).product();
    let mut out = Vec::with_capacity(total);
    if total == 0 {
        return out;
    }
    let mut counter = vec![0usize; slices.len()];
    for _ in 0..total {
        let off: i128 = slices
            .iter()
            .zip(&counter)
            .zip(&strides)
            .map(|((sl, &i), &st)| (sl.start as i128 + sl.step as i128 * i as i128) * st)
            .sum();
        out.push(usize::try_from(off).unwrap_or(usize::MAX));
        for (c, sl) in counter.iter_mut().zip(slices).rev() {
            *c += 1;
            if *c < sl.len {
                break;
            }
            *c = 0;
        }
    }
    out
}

/// `Slice`: the elements of `t` at the positions `slices` select.
fn gather(t: &Tensor, slices: &[AxisSlice], limit: usize) -> IrResult<Tensor> {
    check_slices(t.shape(), slices)?;
    let shape: Vec<usize> = slices.iter().map(|s| s.len).collect();
    optl_tensor::check_limit(&shape, limit).map_err(tensor_error)?;
    // Borrowed when row-major (always, for interpreter values): a slice of a large
    // tensor must not copy the whole tensor.
    let data = optl_tensor::contiguous(t);
    let out = slice_offsets(t.shape(), slices)
        .into_iter()
        .map(|o| data.get(o).copied())
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| IrError::Invalid("slice out of range".into()))?;
    optl_tensor::from_vec(&shape, out).map_err(tensor_error)
}

/// `Unslice`: zeros of `shape` with the elements of `t` at the sliced positions.
fn scatter(t: &Tensor, slices: &[AxisSlice], shape: &[usize], limit: usize) -> IrResult<Tensor> {
    check_slices(shape, slices)?;
    let inner: Vec<usize> = slices.iter().map(|s| s.len).collect();
    if inner != t.shape() {
        return Err(IrError::Shape(format!(
            "unslice of a {} argument into a {} slice",
            shape_text(t.shape()),
            shape_text(&inner)
        )));
    }
    let mut out = optl_tensor::zeros(shape, limit).map_err(tensor_error)?;
    let Some(data) = out.as_slice_mut() else {
        return Err(IrError::Invalid("unslice: zeros are not contiguous".into()));
    };
    for (o, &x) in slice_offsets(shape, slices).into_iter().zip(t.iter()) {
        match data.get_mut(o) {
            Some(slot) => *slot = x,
            None => return Err(IrError::Invalid("unslice out of range".into())),
        }
    }
    Ok(out)
}

/// The logistic function, computed without overflow for large `|x|`.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// An elementwise function of one argument. `sign` gives -1, 0 or 1 and keeps NaN.
pub fn unary_f64(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Log1p => x.ln_1p(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else if x == 0.0 {
                0.0
            } else {
                f64::NAN
            }
        }
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        UnaryOp::Atan => x.atan(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Sigmoid => sigmoid(x),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
    }
}

/// An elementwise function of two arguments. `pow` is `powf`; `min`/`max` propagate
/// NaN and give the first argument on ties (NumPy's `minimum`/`maximum`);
/// comparisons give 1.0 or 0.0 (so any comparison with NaN is 0, except `ne`).
pub fn binary_f64(op: BinaryOp, a: f64, b: f64) -> f64 {
    let truth = |c: bool| if c { 1.0 } else { 0.0 };
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Max => {
            if a.is_nan() || a >= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Min => {
            if a.is_nan() || a <= b {
                a
            } else {
                b
            }
        }
        BinaryOp::Lt => truth(a < b),
        BinaryOp::Le => truth(a <= b),
        BinaryOp::Gt => truth(a > b),
        BinaryOp::Ge => truth(a >= b),
        BinaryOp::Eq => truth(a == b),
        BinaryOp::Ne => truth(a != b),
    }
}

/// `where(c, a, b)` on one element: NaN counts as true, as in NumPy.
pub fn where_f64(c: f64, a: f64, b: f64) -> f64 {
    if c != 0.0 { a } else { b }
}

#[cfg(test)]
#[path = "interp_tests.rs"]
mod tests;

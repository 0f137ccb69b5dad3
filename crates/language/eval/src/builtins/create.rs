//! Tensor construction and rearrangement: zeros/ones/eye/arange/linspace, seeded
//! random tensors, reshape/concat/stack/tile/reverse/transpose, and products.

use super::{Args, Entry};
use crate::convert::{from_tensor, tensor_error};
use crate::evaluator::{EvalResult, Interp};
use crate::tensor::{self, IndexSpec, Tensor};
use crate::value::Value;
use std::rc::Rc;

pub(super) const TABLE: &[Entry] = &[
    (
        "zeros",
        "shape",
        zeros,
        "A tensor of zeros; `shape` is an Int or a list.",
    ),
    (
        "ones",
        "shape",
        ones,
        "A tensor of ones; `shape` is an Int or a list.",
    ),
    (
        "full",
        "shape, value",
        full,
        "A tensor filled with `value`.",
    ),
    ("zeros_like", "x", zeros_like, "Zeros of the shape of `x`."),
    ("ones_like", "x", ones_like, "Ones of the shape of `x`."),
    ("eye", "n", eye, "The n-by-n identity matrix."),
    (
        "arange",
        "start, stop?, step?",
        arange,
        "Evenly spaced values in [start, stop) (NumPy's arange).",
    ),
    (
        "linspace",
        "start, stop, n?",
        linspace,
        "`n` (default 50) evenly spaced values from start to stop inclusive.",
    ),
    (
        "rand",
        "shape, seed?",
        rand,
        "Uniform [0, 1) samples; the same seed gives the same tensor.",
    ),
    (
        "randn",
        "shape, seed?",
        randn,
        "Standard normal samples; the same seed gives the same tensor.",
    ),
    (
        "reshape",
        "x, shape",
        reshape,
        "The same elements in a new shape (one -1 is inferred).",
    ),
    (
        "concat",
        "parts, axis?",
        concat,
        "Joins tensors along an existing axis (default 0).",
    ),
    (
        "stack",
        "parts",
        stack,
        "Joins same-shaped tensors along a new first axis.",
    ),
    ("tile", "x, reps", tile, "Repeats a tensor (NumPy's tile)."),
    (
        "reverse",
        "x",
        reverse,
        "Reverses the first axis (x[::-1]).",
    ),
    (
        "transpose",
        "x",
        transpose,
        "Reverses the axes (the matrix transpose for 2-d).",
    ),
    (
        "dot",
        "a, b",
        dot,
        "Inner product of vectors; matrix product otherwise.",
    ),
    (
        "matmul",
        "a, b",
        matmul,
        "Matrix product (the `@` operator).",
    ),
    ("outer", "a, b", outer, "Outer product of two vectors."),
];

fn wrap(r: tensor::TResult<Tensor>, args: &Args) -> EvalResult<Value> {
    r.map(Value::tensor).map_err(|e| tensor_error(e, args.span))
}

fn zeros(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    wrap(
        tensor::zeros(&args.shape(0)?, interp.limits.max_elements),
        &args,
    )
}

fn ones(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    wrap(
        tensor::ones(&args.shape(0)?, interp.limits.max_elements),
        &args,
    )
}

fn full(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    wrap(
        tensor::full(&args.shape(0)?, args.float(1)?, interp.limits.max_elements),
        &args,
    )
}

fn zeros_like(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    Ok(from_tensor(tensor::map(&t, |_| 0.0)))
}

fn ones_like(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    Ok(from_tensor(tensor::map(&t, |_| 1.0)))
}

fn eye(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    wrap(
        tensor::eye(args.count(0)?, interp.limits.max_elements),
        &args,
    )
}

fn arange(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (start, stop) = if args.has(1) {
        (args.float(0)?, args.float(1)?)
    } else {
        (0.0, args.float(0)?)
    };
    let step = args.opt_float(2, 1.0)?;
    wrap(
        tensor::arange(start, stop, step, interp.limits.max_elements),
        &args,
    )
}

fn linspace(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let n = if args.has(2) { args.count(2)? } else { 50 };
    wrap(
        tensor::linspace(
            args.float(0)?,
            args.float(1)?,
            n,
            interp.limits.max_elements,
        ),
        &args,
    )
}

/// The seed of a random builtin: the `seed` argument, else the run's seed mixed with
/// a per-run counter, so that unseeded calls differ from each other yet repeat
/// exactly from run to run.
fn seed_of(interp: &mut Interp, args: &Args) -> EvalResult<u64> {
    match args.opt_int(1)? {
        Some(s) => Ok(s as u64),
        None => Ok(interp.next_seed()),
    }
}

fn rand(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let seed = seed_of(interp, &args)?;
    wrap(
        tensor::rand(&args.shape(0)?, seed, interp.limits.max_elements),
        &args,
    )
}

fn randn(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let seed = seed_of(interp, &args)?;
    wrap(
        tensor::randn(&args.shape(0)?, seed, interp.limits.max_elements),
        &args,
    )
}

fn reshape(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    let shape = args.int_list(1)?;
    tensor::reshape(&t, &shape, interp.limits.max_elements)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

/// The parts of `concat`/`stack`: a list of tensors, or the rows of a tensor (a list
/// literal of same-shaped tensors has already been stacked into one).
fn parts(interp: &mut Interp, args: &Args) -> EvalResult<Vec<Rc<Tensor>>> {
    let limit = interp.limits.max_elements;
    let items = interp.iterate(args.value(0).clone(), args.span(0))?;
    items
        .iter()
        .map(|v| crate::convert::to_tensor(v, args.span(0), limit))
        .collect()
}

fn concat(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let parts = parts(interp, &args)?;
    let refs: Vec<&Tensor> = parts.iter().map(|p| &**p).collect();
    let axis = args.axis(1)?.unwrap_or(0);
    wrap(
        tensor::concat(&refs, axis, interp.limits.max_elements),
        &args,
    )
}

fn stack(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let parts = parts(interp, &args)?;
    let refs: Vec<&Tensor> = parts.iter().map(|p| &**p).collect();
    wrap(tensor::stack(&refs, interp.limits.max_elements), &args)
}

fn tile(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    let reps = args.shape(1)?;
    wrap(tensor::tile(&t, &reps, interp.limits.max_elements), &args)
}

fn reverse(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if let Value::List(items) = args.value(0)
        && !items.is_empty()
        && !matches!(items[0], Value::Int(_) | Value::Float(_))
    {
        return Ok(Value::list(items.iter().rev().cloned().collect()));
    }
    let t = args.tensor(0, interp)?;
    let spec = IndexSpec::Slice {
        start: None,
        stop: None,
        step: Some(-1),
    };
    tensor::index(&t, &[spec], interp.limits.max_elements)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn transpose(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if let Value::Sparse(a) = args.value(0) {
        return Ok(Value::Sparse(Rc::new(a.transpose())));
    }
    let t = args.tensor(0, interp)?;
    Ok(from_tensor(tensor::transpose(&t)))
}

fn product(
    interp: &mut Interp,
    args: &Args,
    f: fn(&Tensor, &Tensor, usize) -> tensor::TResult<Tensor>,
) -> EvalResult<Value> {
    let a = args.tensor(0, interp)?;
    let b = args.tensor(1, interp)?;
    f(&a, &b, interp.limits.max_elements)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn dot(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    product(interp, &args, tensor::dot)
}

fn matmul(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    product(interp, &args, tensor::matmul)
}

fn outer(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    product(interp, &args, tensor::outer)
}

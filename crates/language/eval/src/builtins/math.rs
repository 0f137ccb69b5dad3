//! Elementwise math, comparisons-as-selection, and reductions.

use super::{Args, Entry};
use crate::convert::{from_tensor, tensor_error};
use crate::evaluator::{EvalResult, Interp};
use crate::tensor::{self, Tensor};
use crate::value::Value;

macro_rules! elementwise {
    ($($name:ident => $f:expr, $doc:literal;)*) => {
        $(fn $name(interp: &mut Interp, args: Args) -> EvalResult<Value> {
            unary(interp, &args, $f)
        })*
        const ELEMENTWISE: &[Entry] = &[$((stringify!($name), "x", $name, $doc)),*];
    };
}

elementwise! {
    exp => f64::exp, "e to the power x, elementwise.";
    log => f64::ln, "Natural logarithm, elementwise.";
    log1p => f64::ln_1p, "log(1 + x), accurate for small x.";
    expm1 => f64::exp_m1, "exp(x) - 1, accurate for small x.";
    sqrt => f64::sqrt, "Square root, elementwise.";
    sign => |x: f64| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else if x == 0.0 { 0.0 } else { f64::NAN }, "-1, 0 or 1 by the sign of x (NaN stays NaN).";
    sin => f64::sin, "Sine, elementwise.";
    cos => f64::cos, "Cosine, elementwise.";
    tan => f64::tan, "Tangent, elementwise.";
    asin => f64::asin, "Arcsine, elementwise.";
    acos => f64::acos, "Arccosine, elementwise.";
    atan => f64::atan, "Arctangent, elementwise.";
    sinh => f64::sinh, "Hyperbolic sine, elementwise.";
    cosh => f64::cosh, "Hyperbolic cosine, elementwise.";
    tanh => f64::tanh, "Hyperbolic tangent, elementwise.";
    sigmoid => |x: f64| if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { let e = x.exp(); e / (1.0 + e) }, "Logistic function 1/(1+exp(-x)), stable for large |x|.";
    relu => |x: f64| if x > 0.0 { x } else { 0.0 }, "max(x, 0), elementwise.";
    softplus => |x: f64| if x > 30.0 { x } else { x.exp().ln_1p() }, "log(1 + exp(x)), stable for large x.";
    floor => f64::floor, "Largest whole number <= x, elementwise.";
    ceil => f64::ceil, "Smallest whole number >= x, elementwise.";
    round => f64::round_ties_even, "Nearest whole number (ties to even), elementwise.";
    isnan => |x: f64| f64::from(u8::from(x.is_nan())), "1 where x is NaN, else 0.";
    isinf => |x: f64| f64::from(u8::from(x.is_infinite())), "1 where x is infinite, else 0.";
}

const REDUCTIONS: &[Entry] = &[
    (
        "abs",
        "x",
        abs,
        "Absolute value, elementwise (Ints stay Ints).",
    ),
    (
        "sum",
        "x, axis?",
        sum,
        "Sum of all elements, or along `axis`.",
    ),
    (
        "count_nonzero",
        "x, axis?",
        count_nonzero,
        "Number of nonzero elements, or along `axis` (a Float; as an objective term, the ℓ0 penalty).",
    ),
    (
        "mean",
        "x, axis?",
        mean,
        "Mean of all elements, or along `axis` (an error for an empty selection).",
    ),
    (
        "prod",
        "x, axis?",
        prod,
        "Product of all elements, or along `axis`.",
    ),
    (
        "max",
        "x, y?, axis?",
        max,
        "One tensor: its largest element (or along `axis`); two values: elementwise maximum.",
    ),
    (
        "min",
        "x, y?, axis?",
        min,
        "One tensor: its smallest element (or along `axis`); two values: elementwise minimum.",
    ),
    (
        "norm",
        "x, p?, axis?",
        norm,
        "Vector p-norm (default 2; 1, inf and any p > 0).",
    ),
    ("argmax", "x", argmax, "Flat index of the largest element."),
    ("argmin", "x", argmin, "Flat index of the smallest element."),
    ("cumsum", "x", cumsum, "Cumulative sum along the last axis."),
    (
        "where",
        "cond, a, b",
        where_,
        "Elementwise choice: a where cond is nonzero, else b (broadcasting).",
    ),
    (
        "clip",
        "x, lo, hi",
        clip,
        "Limits x to [lo, hi], elementwise.",
    ),
    (
        "atan2",
        "y, x",
        atan2,
        "Angle of the point (x, y), elementwise.",
    ),
];

/// All math entries: elementwise functions, then reductions and selections.
pub(super) fn entries() -> impl Iterator<Item = &'static Entry> {
    ELEMENTWISE.iter().chain(REDUCTIONS)
}

/// Applies `f` to a number (giving a Float) or to every element of a tensor.
fn unary(interp: &Interp, args: &Args, f: impl Fn(f64) -> f64) -> EvalResult<Value> {
    match args.value(0) {
        Value::Int(n) => Ok(Value::Float(f(*n as f64))),
        Value::Float(x) => Ok(Value::Float(f(*x))),
        _ => {
            let t = args.tensor(0, interp)?;
            Ok(Value::tensor(tensor::map(&t, f)))
        }
    }
}

fn abs(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    match args.value(0) {
        Value::Int(n) => Ok(n
            .checked_abs()
            .map_or(Value::Float((*n as f64).abs()), Value::Int)),
        _ => unary(interp, &args, f64::abs),
    }
}

fn reduce(
    interp: &Interp,
    args: &Args,
    axis_slot: usize,
    f: fn(&Tensor, Option<isize>) -> tensor::TResult<Tensor>,
) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    let axis = args.axis(axis_slot)?;
    f(&t, axis)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn sum(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    reduce(interp, &args, 1, tensor::sum)
}

fn count_nonzero(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    let axis = args.axis(1)?;
    tensor::sum(&t.mapv(|v| if v != 0.0 { 1.0 } else { 0.0 }), axis)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn mean(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    reduce(interp, &args, 1, tensor::mean)
}

fn prod(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    reduce(interp, &args, 1, tensor::prod)
}

/// `max(x)` reduces, `max(a, b)` is elementwise; Ints stay Ints.
fn extremum(
    interp: &mut Interp,
    args: &Args,
    reduce_fn: fn(&Tensor, Option<isize>) -> tensor::TResult<Tensor>,
    pick: fn(f64, f64) -> f64,
    pick_int: fn(i64, i64) -> i64,
) -> EvalResult<Value> {
    if !args.has(1) {
        return reduce(interp, args, 2, reduce_fn);
    }
    match (args.value(0), args.value(1)) {
        (Value::Int(a), Value::Int(b)) => Ok(Value::Int(pick_int(*a, *b))),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            Ok(Value::Float(pick(args.float(0)?, args.float(1)?)))
        }
        _ => {
            let a = args.tensor(0, interp)?;
            let b = args.tensor(1, interp)?;
            tensor::zip_with(&a, &b, interp.limits.max_elements, pick)
                .map(Value::tensor)
                .map_err(|e| tensor_error(e, args.span))
        }
    }
}

/// NaN-propagating maximum, as NumPy's `maximum`.
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn max(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    extremum(interp, &args, tensor::max, nan_max, i64::max)
}

fn min(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    extremum(interp, &args, tensor::min, nan_min, i64::min)
}

fn norm(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    let p = args.opt_float(1, 2.0)?;
    let axis = args.axis(2)?;
    tensor::norm(&t, p, axis)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn argmax(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    tensor::argmax(&t)
        .map(|i| Value::Int(i as i64))
        .map_err(|e| tensor_error(e, args.span))
}

fn argmin(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    tensor::argmin(&t)
        .map(|i| Value::Int(i as i64))
        .map_err(|e| tensor_error(e, args.span))
}

fn cumsum(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let t = args.tensor(0, interp)?;
    Ok(from_tensor(tensor::cumsum(&t)))
}

fn where_(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if let Value::Bool(c) = args.value(0) {
        return Ok(args.value(if *c { 1 } else { 2 }).clone());
    }
    let c = args.tensor(0, interp)?;
    let a = args.tensor(1, interp)?;
    let b = args.tensor(2, interp)?;
    tensor::where_(&c, &a, &b, interp.limits.max_elements)
        .map(from_tensor)
        .map_err(|e| tensor_error(e, args.span))
}

fn clip(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let limit = interp.limits.max_elements;
    let x = args.tensor(0, interp)?;
    let lo = args.tensor(1, interp)?;
    let hi = args.tensor(2, interp)?;
    let scalar_in = matches!(args.value(0), Value::Int(_) | Value::Float(_));
    let low = tensor::zip_with(&x, &lo, limit, nan_max).map_err(|e| tensor_error(e, args.span))?;
    let r = tensor::zip_with(&low, &hi, limit, nan_min).map_err(|e| tensor_error(e, args.span))?;
    Ok(if scalar_in && r.ndim() == 0 {
        from_tensor(r)
    } else {
        Value::tensor(r)
    })
}

fn atan2(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if let (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) =
        (args.value(0), args.value(1))
    {
        return Ok(Value::Float(args.float(0)?.atan2(args.float(1)?)));
    }
    let y = args.tensor(0, interp)?;
    let x = args.tensor(1, interp)?;
    tensor::zip_with(&y, &x, interp.limits.max_elements, f64::atan2)
        .map(Value::tensor)
        .map_err(|e| tensor_error(e, args.span))
}

//! Core builtins: output, assertions, conversions, sizes, ranges and higher-order helpers.

use super::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::Value;
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;

pub(super) const TABLE: &[Entry] = &[
    (
        "print",
        "*values",
        print,
        "Writes the values separated by spaces, then a newline.",
    ),
    (
        "assert",
        "cond, message?",
        assert,
        "Stops with an error unless `cond` is true.",
    ),
    (
        "repr",
        "x",
        repr,
        "Canonical source text of a value (Floats round-trip).",
    ),
    ("str", "x", str_, "The text `print` would show for a value."),
    ("type", "x", type_, "The name of a value's type."),
    (
        "len",
        "x",
        len,
        "Length of a list or string, or of a tensor's first axis.",
    ),
    (
        "shape",
        "x",
        shape,
        "Shape of a tensor as a list of Ints ([] for a number).",
    ),
    (
        "size",
        "x",
        size,
        "Number of elements of a tensor (1 for a number).",
    ),
    (
        "range",
        "start, stop?, step?",
        range,
        "Ints from start (default 0) up to stop, by step.",
    ),
    (
        "int",
        "x",
        int,
        "Converts a number (truncating), Bool or numeric string to an Int.",
    ),
    (
        "float",
        "x",
        float,
        "Converts a number, Bool or numeric string to a Float.",
    ),
    (
        "map",
        "f, xs",
        map,
        "Applies `f` to each element of a list or tensor.",
    ),
    (
        "fold",
        "f, init, xs",
        fold,
        "Combines elements left to right: f(f(init, x0), x1) ...",
    ),
    (
        "all",
        "x",
        all,
        "True when every element is true (nonzero).",
    ),
    ("any", "x", any, "True when some element is true (nonzero)."),
];

fn print(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    if interp.print_json {
        let values: Vec<Value> = args.rest.iter().map(|a| a.value.clone()).collect();
        let line = crate::json::print_line(&values);
        (interp.output)(&line);
        return Ok(Value::Unit);
    }
    let line: Vec<String> = args.rest.iter().map(|a| a.value.display()).collect();
    let mut text = line.join(" ");
    text.push('\n');
    (interp.output)(&text);
    Ok(Value::Unit)
}

fn assert(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let ok = match args.value(0) {
        Value::Bool(b) => *b,
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("`assert` needs a Bool condition, found {}", a_type(other)),
                args.span(0),
                "not a Bool",
            ));
        }
    };
    if ok {
        return Ok(Value::Unit);
    }
    let message = if args.has(1) {
        format!("assertion failed: {}", args.value(1).display())
    } else {
        "assertion failed".to_string()
    };
    Err(Box::new(
        Diagnostic::error(codes::ASSERTION_FAILED, message).at(args.span(0), "this is false"),
    ))
}

fn repr(_: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::str(&args.value(0).repr()))
}

fn str_(_: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::str(&args.value(0).display()))
}

fn type_(_: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::str(match args.value(0) {
        // A traced value stands for the Float or Tensor it computes, so code that
        // branches on `type(x)` takes the same branch traced as run.
        Value::Tracer(t) => t.stands_for(),
        v => v.type_name(),
    }))
}

fn len(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let n = match args.value(0) {
        Value::List(items) => items.len(),
        Value::Str(s) => s.chars().count(),
        Value::Tensor(t) if t.ndim() > 0 => t.shape()[0],
        Value::Sparse(a) => a.nrows(),
        Value::Tracer(t) if !t.shape.is_empty() => t.shape[0],
        Value::Record(r) => r.fields.len(),
        other => return Err(args.expected(0, "a list, string, record or tensor", other)),
    };
    Ok(Value::Int(n as i64))
}

fn shape(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let dims: Vec<usize> = match args.value(0) {
        Value::Tensor(t) => t.shape().to_vec(),
        Value::Tracer(t) => t.shape.clone(),
        Value::Sparse(a) => vec![a.nrows(), a.ncols()],
        Value::Int(_) | Value::Float(_) => Vec::new(),
        Value::List(items) => vec![items.len()],
        other => return Err(args.expected(0, "a tensor or number", other)),
    };
    Ok(Value::list(
        dims.into_iter().map(|d| Value::Int(d as i64)).collect(),
    ))
}

fn size(_: &mut Interp, args: Args) -> EvalResult<Value> {
    match args.value(0) {
        Value::Tensor(t) => Ok(Value::Int(t.len() as i64)),
        Value::Tracer(t) => Ok(Value::Int(t.shape.iter().product::<usize>() as i64)),

        Value::Int(_) | Value::Float(_) => Ok(Value::Int(1)),
        Value::List(items) => Ok(Value::Int(items.len() as i64)),
        other => Err(args.expected(0, "a tensor or number", other)),
    }
}

fn range(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (start, stop) = if args.has(1) {
        (args.int(0)?, args.int(1)?)
    } else {
        (0, args.int(0)?)
    };
    let step = args.opt_int(2)?.unwrap_or(1);
    if step == 0 {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            "`range` step must not be zero",
            args.span(2),
            "zero step",
        ));
    }
    let count = if (step > 0 && stop > start) || (step < 0 && stop < start) {
        ((stop as i128 - start as i128).abs() + step.unsigned_abs() as i128 - 1)
            / step.unsigned_abs() as i128
    } else {
        0
    };
    if count > interp.max_list_len() as i128 {
        return Err(interp.too_large(count as u128, args.span));
    }
    Ok(Value::list(
        (0..count as i64)
            .map(|i| Value::Int(start + i * step))
            .collect(),
    ))
}

fn int(_: &mut Interp, args: Args) -> EvalResult<Value> {
    match args.value(0) {
        Value::Int(n) => Ok(Value::Int(*n)),
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        Value::Float(x) if x.is_finite() && x.abs() < 9.2e18 => Ok(Value::Int(x.trunc() as i64)),
        Value::Float(x) => Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("{x} has no Int value"),
            args.span(0),
            "not representable as an Int",
        )),
        Value::Str(s) => s.trim().parse::<i64>().map(Value::Int).map_err(|_| {
            err_label(
                codes::INVALID_ARGUMENT,
                format!("{s:?} is not an integer"),
                args.span(0),
                "not an integer",
            )
        }),
        other => Err(args.expected(0, "a number, Bool or string", other)),
    }
}

fn float(_: &mut Interp, args: Args) -> EvalResult<Value> {
    match args.value(0) {
        Value::Int(n) => Ok(Value::Float(*n as f64)),
        Value::Float(x) => Ok(Value::Float(*x)),
        Value::Bool(b) => Ok(Value::Float(f64::from(u8::from(*b)))),
        Value::Str(s) => s.trim().parse::<f64>().map(Value::Float).map_err(|_| {
            err_label(
                codes::INVALID_ARGUMENT,
                format!("{s:?} is not a number"),
                args.span(0),
                "not a number",
            )
        }),
        other => Err(args.expected(0, "a number, Bool or string", other)),
    }
}

fn map(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let f = args.value(0).clone();
    let items = interp.iterate(args.value(1).clone(), args.span(1))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(interp.call_positional(&f, vec![item], args.span)?);
    }
    interp.make_list(out, args.span)
}

fn fold(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let f = args.value(0).clone();
    let mut acc = args.value(1).clone();
    for item in interp.iterate(args.value(2).clone(), args.span(2))? {
        acc = interp.call_positional(&f, vec![acc, item], args.span)?;
    }
    Ok(acc)
}

/// The truth values of a Bool, a list of Bools or a tensor (nonzero is true).
fn truths(interp: &Interp, args: &Args) -> EvalResult<Vec<bool>> {
    match args.value(0) {
        Value::Bool(b) => Ok(vec![*b]),
        Value::List(items) => items
            .iter()
            .map(|v| match v {
                Value::Bool(b) => Ok(*b),
                other => Err(args.expected(0, "Bools", other)),
            })
            .collect(),
        _ => {
            let t = args.tensor(0, interp)?;
            Ok(t.iter().map(|&x| x != 0.0).collect())
        }
    }
}

fn all(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::Bool(truths(interp, &args)?.into_iter().all(|b| b)))
}

fn any(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::Bool(truths(interp, &args)?.into_iter().any(|b| b)))
}

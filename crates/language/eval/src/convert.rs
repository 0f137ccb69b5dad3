//! Conversions between values and tensors, and tensor errors as diagnostics.

use crate::evaluator::{EvalResult, a_type, err_label};
use crate::tensor::{self, Tensor, TensorError};
use crate::value::Value;
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;

/// Turns a tensor-library error into a diagnostic at `span`.
pub fn tensor_error(e: TensorError, span: Span) -> Box<Diagnostic> {
    match e {
        TensorError::Shape(m) => err_label(codes::SHAPE_MISMATCH, m, span, "shapes do not fit"),
        TensorError::Index(m) => {
            err_label(codes::INDEX_OUT_OF_BOUNDS, m, span, "index out of range")
        }
        TensorError::Domain(m) => err_label(codes::INVALID_ARGUMENT, m, span, "invalid value"),
        TensorError::TooLarge { elements, limit } => Box::new(
            Diagnostic::error(
                codes::TENSOR_TOO_LARGE,
                format!("{elements} elements exceed the limit of {limit}"),
            )
            .at(span, "this would be too large")
            .hint("raise the limit with `--max-elements` or `Limits::max_elements`"),
        ),
    }
}

/// If every item is numeric (Int, Float or Tensor) and all have one shape, stacks
/// them into one tensor. `Ok(None)` means "keep it a list".
pub fn stack_numeric(items: &[Value], limit: usize) -> Result<Option<Tensor>, TensorError> {
    if items.is_empty() {
        return Ok(None);
    }
    let mut shape: Option<Vec<usize>> = None;
    for item in items {
        let s = match item {
            Value::Int(_) | Value::Float(_) => Vec::new(),
            Value::Tensor(t) => t.shape().to_vec(),
            _ => return Ok(None),
        };
        match &shape {
            None => shape = Some(s),
            Some(prev) if *prev != s => return Ok(None),
            Some(_) => {}
        }
    }
    let inner = shape.unwrap_or_default();
    let mut full = vec![items.len()];
    full.extend(&inner);
    tensor::check_limit(&full, limit)?;
    let mut data = Vec::with_capacity(tensor::size_of(&full) as usize);
    for item in items {
        match item {
            Value::Int(n) => data.push(*n as f64),
            Value::Float(x) => data.push(*x),
            Value::Tensor(t) => data.extend(t.iter().copied()),
            _ => unreachable!("checked above"),
        }
    }
    tensor::from_vec(&full, data).map(Some)
}

/// A numeric value as a tensor: scalars become 0-d, numeric lists are stacked, an
/// empty list is a length-0 vector.
pub fn to_tensor(v: &Value, span: Span, limit: usize) -> EvalResult<std::rc::Rc<Tensor>> {
    match v {
        Value::Tensor(t) => Ok(t.clone()),
        Value::Int(n) => Ok(std::rc::Rc::new(tensor::scalar(*n as f64))),
        Value::Float(x) => Ok(std::rc::Rc::new(tensor::scalar(*x))),
        Value::Bool(b) => Ok(std::rc::Rc::new(tensor::scalar(f64::from(u8::from(*b))))),
        Value::List(items) if items.is_empty() => Ok(std::rc::Rc::new(
            tensor::zeros(&[0], limit).map_err(|e| tensor_error(e, span))?,
        )),
        Value::List(items) => match stack_numeric(items, limit) {
            Ok(Some(t)) => Ok(std::rc::Rc::new(t)),
            Ok(None) => Err(err_label(
                codes::TYPE_MISMATCH,
                "expected numbers, but this list is not numeric",
                span,
                "a list of non-numbers or of tensors of different shapes",
            )),
            Err(e) => Err(tensor_error(e, span)),
        },
        other => Err(err_label(
            codes::TYPE_MISMATCH,
            format!("expected a number or tensor, found {}", a_type(other)),
            span,
            "not numeric",
        )),
    }
}

/// A tensor result as a value: 0-d tensors become Floats.
pub fn from_tensor(t: Tensor) -> Value {
    if t.ndim() == 0 {
        Value::Float(t.iter().copied().next().unwrap_or(f64::NAN))
    } else {
        Value::tensor(t)
    }
}

/// True for values that take part in arithmetic as numbers or tensors.
pub fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_) | Value::Tensor(_))
}

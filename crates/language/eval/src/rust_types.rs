//! Conversions between OptL values and Rust types, for embedding programs.

use crate::tensor::{self, Tensor};
use crate::value::Value;
use std::rc::Rc;

/// Why a value could not become the Rust type asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversionError {
    pub expected: &'static str,
    pub found: &'static str,
}

impl std::fmt::Display for ConversionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for ConversionError {}

fn mismatch(expected: &'static str, v: &Value) -> ConversionError {
    ConversionError {
        expected,
        found: v.type_name(),
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s.into())
    }
}

impl From<Vec<f64>> for Value {
    fn from(v: Vec<f64>) -> Value {
        Value::tensor(
            Tensor::from_shape_vec(ndarray::IxDyn(&[v.len()]), v)
                .unwrap_or_else(|_| tensor::scalar(f64::NAN)),
        )
    }
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Value {
        Value::Tensor(Rc::new(t))
    }
}

impl TryFrom<Value> for f64 {
    type Error = ConversionError;
    /// Ints convert exactly when they fit a Float's 53-bit mantissa, like `float(x)`.
    fn try_from(v: Value) -> Result<f64, ConversionError> {
        match v {
            Value::Float(x) => Ok(x),
            Value::Int(n) => Ok(n as f64),
            other => Err(mismatch("a number", &other)),
        }
    }
}

impl TryFrom<Value> for i64 {
    type Error = ConversionError;
    fn try_from(v: Value) -> Result<i64, ConversionError> {
        match v {
            Value::Int(n) => Ok(n),
            other => Err(mismatch("an Int", &other)),
        }
    }
}

impl TryFrom<Value> for bool {
    type Error = ConversionError;
    fn try_from(v: Value) -> Result<bool, ConversionError> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(mismatch("a Bool", &other)),
        }
    }
}

impl TryFrom<Value> for String {
    type Error = ConversionError;
    fn try_from(v: Value) -> Result<String, ConversionError> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(mismatch("a string", &other)),
        }
    }
}

impl TryFrom<Value> for Vec<f64> {
    type Error = ConversionError;
    /// The elements of a tensor (row-major) or of a list of numbers.
    fn try_from(v: Value) -> Result<Vec<f64>, ConversionError> {
        match &v {
            Value::Tensor(t) => Ok(t.iter().copied().collect()),
            Value::List(items) => items.iter().map(|x| f64::try_from(x.clone())).collect(),
            _ => Err(mismatch("a tensor", &v)),
        }
    }
}

impl TryFrom<Value> for Tensor {
    type Error = ConversionError;
    fn try_from(v: Value) -> Result<Tensor, ConversionError> {
        match v {
            Value::Tensor(t) => Ok(Rc::unwrap_or_clone(t)),
            Value::Float(x) => Ok(tensor::scalar(x)),
            Value::Int(n) => Ok(tensor::scalar(n as f64)),
            other => Err(mismatch("a tensor", &other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(f64::try_from(Value::from(2.5)), Ok(2.5));
        assert_eq!(i64::try_from(Value::from(7)), Ok(7));
        assert_eq!(String::try_from(Value::from("hi")), Ok("hi".to_string()));
        assert_eq!(
            Vec::<f64>::try_from(Value::from(vec![1.0, 2.0])),
            Ok(vec![1.0, 2.0])
        );
        assert!(bool::try_from(Value::from(1)).is_err());
    }
}

//! Values as JSON, for `optl run --json`: each `print` becomes one JSON line that other
//! programs can read. Numbers stay numbers (non-finite Floats become the strings "nan",
//! "inf", "-inf"); tensors become nested arrays; records and results become objects;
//! symbolic objects become `{"kind": ..., "name": ..., "args": {...}}`.

use crate::value::{Func, Value};
use serde_json::{Map, Value as Json, json};

pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Unit => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(n) => json!(n),
        Value::Float(x) => float(*x),
        Value::Str(s) => json!(&**s),
        Value::Tensor(t) => tensor(t.shape(), &t.iter().copied().collect::<Vec<f64>>()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Record(r) | Value::Result(r) => Json::Object(
            r.fields
                .iter()
                .map(|(k, v)| (k.to_string(), to_json(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Sym(s) => json!({
            "kind": s.family.kind.word(),
            "name": &**s.name(),
            "args": Json::Object(s.args.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect::<Map<_, _>>()),
        }),
        Value::Func(f)
            if matches!(
                **f,
                Func::Closure(_) | Func::Builtin(_) | Func::Host(_) | Func::Derived(_)
            ) =>
        {
            json!({"kind": "function", "repr": v.repr()})
        }
        other => json!({"kind": other.type_name(), "repr": other.repr()}),
    }
}

fn float(x: f64) -> Json {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn tensor(shape: &[usize], data: &[f64]) -> Json {
    match shape.split_first() {
        None => data.first().map_or(Json::Null, |x| float(*x)),
        Some((&n, rest)) => {
            let inner: usize = rest.iter().product();
            Json::Array(
                (0..n)
                    .map(|i| tensor(rest, data.get(i * inner..(i + 1) * inner).unwrap_or(&[])))
                    .collect(),
            )
        }
    }
}

/// One JSON line for a `print` call: the value itself for one argument, else an array.
pub fn print_line(values: &[Value]) -> String {
    let j = match values {
        [one] => to_json(one),
        many => Json::Array(many.iter().map(to_json).collect()),
    };
    let mut s = j.to_string();
    s.push('\n');
    s
}

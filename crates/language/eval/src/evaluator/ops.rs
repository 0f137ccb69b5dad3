//! Operators: Int/Float promotion, checked Int arithmetic, NumPy broadcasting for
//! tensors, string and list concatenation, structural equality.

use super::{EvalResult, Interp, a_type, err_label};
use crate::convert::{from_tensor, is_numeric, tensor_error, to_tensor};
use crate::tensor;
use crate::value::{Value, structural_eq};
use optl_syntax::ast::{BinOp, UnOp};
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

/// Python/NumPy modulo: the result takes the sign of the divisor.
pub fn float_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
        r + b
    } else {
        r
    }
}

fn float_op(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Rem => float_mod(a, b),
        BinOp::Pow => a.powf(b),
        BinOp::Eq => f64::from(u8::from(a == b)),
        BinOp::Ne => f64::from(u8::from(a != b)),
        BinOp::Lt => f64::from(u8::from(a < b)),
        BinOp::Le => f64::from(u8::from(a <= b)),
        BinOp::Gt => f64::from(u8::from(a > b)),
        BinOp::Ge => f64::from(u8::from(a >= b)),
        BinOp::MatMul | BinOp::And | BinOp::Or => f64::NAN,
    }
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
    )
}

fn overflow(op: BinOp, span: Span) -> Box<optl_syntax::Diagnostic> {
    Box::new(
        optl_syntax::Diagnostic::error(
            codes::INT_OVERFLOW,
            format!("integer overflow in `{}`", op.symbol()),
        )
        .at(span, "the result does not fit in 64 bits")
        .hint("use Floats (e.g. `1.0 * x`) for numbers this large"),
    )
}

impl Interp {
    pub fn unary(&mut self, op: UnOp, v: Value, span: Span) -> EvalResult<Value> {
        match (op, v) {
            (UnOp::Neg, v @ Value::Tracer(_)) => self.trace_unary(optl_ir::UnaryOp::Neg, &v, span),
            (UnOp::Not, Value::Tracer(_)) => Err(crate::trace::traced_branch(span)),
            (UnOp::Neg, Value::Int(n)) => n
                .checked_neg()
                .map(Value::Int)
                .ok_or_else(|| overflow(BinOp::Sub, span)),
            (UnOp::Neg, Value::Float(x)) => Ok(Value::Float(-x)),
            (UnOp::Neg, Value::Tensor(t)) => Ok(Value::tensor(t.mapv(|x| -x))),
            (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
            (op, other) => Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "`{}` cannot be applied to {}",
                    if op == UnOp::Neg { "-" } else { "not" },
                    a_type(&other)
                ),
                span,
                if op == UnOp::Neg {
                    "expected a number or tensor"
                } else {
                    "expected a Bool"
                },
            )),
        }
    }

    pub fn binary(&mut self, op: BinOp, a: Value, b: Value, span: Span) -> EvalResult<Value> {
        use Value::*;
        if matches!(a, Tracer(_)) || matches!(b, Tracer(_)) {
            if let (Sparse(m), Tracer(_)) = (&a, &b)
                && op == BinOp::MatMul
            {
                return self.trace_sparse_matvec(m, &b, span);
            }
            let numeric = |v: &Value| matches!(v, Tracer(_)) || is_tensorish(v);
            if numeric(&a) && numeric(&b) {
                return self.trace_binary(op, &a, &b, span);
            }
            return Err(self.type_error(op, &a, &b, span));
        }
        match (&a, &b) {
            (Int(x), Int(y)) => int_op(op, *x, *y, span),
            (Int(_) | Float(_), Int(_) | Float(_)) => {
                let (x, y) = (as_f64(&a), as_f64(&b));
                if op == BinOp::MatMul {
                    return Err(self.type_error(op, &a, &b, span));
                }
                let r = float_op(op, x, y);
                Ok(if is_comparison(op) {
                    Bool(r != 0.0)
                } else {
                    Float(r)
                })
            }
            (Str(x), Str(y)) => match op {
                BinOp::Add => {
                    if x.len() + y.len() > self.max_list_len() {
                        return Err(self.too_large((x.len() + y.len()) as u128, span));
                    }
                    Ok(Value::str(&format!("{x}{y}")))
                }
                BinOp::Eq => Ok(Bool(x == y)),
                BinOp::Ne => Ok(Bool(x != y)),
                BinOp::Lt => Ok(Bool(x < y)),
                BinOp::Le => Ok(Bool(x <= y)),
                BinOp::Gt => Ok(Bool(x > y)),
                BinOp::Ge => Ok(Bool(x >= y)),
                _ => Err(self.type_error(op, &a, &b, span)),
            },
            (List(x), List(y))
                if op == BinOp::Add && !is_numeric_list(x) && !is_numeric_list(y) =>
            {
                if x.len() + y.len() > self.max_list_len() {
                    return Err(self.too_large((x.len() + y.len()) as u128, span));
                }
                let mut items = x.as_ref().clone();
                items.extend(y.iter().cloned());
                Ok(Value::list(items))
            }
            (Sparse(m), _) if op == BinOp::MatMul && is_tensorish(&b) => {
                let x = to_tensor(&b, span, self.limits.max_elements)?;
                crate::builtins::sparse_matmul(m, &x, span)
            }
            // Scalar pairs were handled above, so here at least one side is a tensor.
            _ if is_tensorish(&a) && is_tensorish(&b) => self.tensor_op(op, &a, &b, span),
            _ if op == BinOp::Eq => Ok(Bool(structural_eq(&a, &b))),
            _ if op == BinOp::Ne => Ok(Bool(!structural_eq(&a, &b))),
            _ => Err(self.type_error(op, &a, &b, span)),
        }
    }

    fn tensor_op(&mut self, op: BinOp, a: &Value, b: &Value, span: Span) -> EvalResult<Value> {
        let limit = self.limits.max_elements;
        let x = to_tensor(a, span, limit)?;
        let y = to_tensor(b, span, limit)?;
        if op == BinOp::MatMul {
            return tensor::matmul(&x, &y, limit)
                .map(from_tensor)
                .map_err(|e| tensor_error(e, span));
        }
        if op == BinOp::Div {
            crate::trace::zero_size_divisor(y.shape())
                .map_err(|e| crate::trace::ir_error(e, span))?;
        }
        let result = tensor::zip_with(&x, &y, limit, |p, q| float_op(op, p, q))
            .map_err(|e| tensor_error(e, span))?;
        Ok(Value::Tensor(Rc::new(result)))
    }

    fn type_error(
        &self,
        op: BinOp,
        a: &Value,
        b: &Value,
        span: Span,
    ) -> Box<optl_syntax::Diagnostic> {
        let mut d = optl_syntax::Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!(
                "`{}` cannot combine {} and {}",
                op.symbol(),
                a_type(a),
                a_type(b)
            ),
        )
        .at(span, "in this operation");
        if op == BinOp::Add && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_))) {
            d = d.hint("convert with `str(x)` to join text and numbers");
        }
        if op == BinOp::MatMul {
            d = d.hint("`@` multiplies tensors (matrices and vectors)");
        }
        Box::new(d)
    }
}

fn is_numeric_list(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(is_numeric)
}

fn is_tensorish(v: &Value) -> bool {
    match v {
        Value::List(items) => is_numeric_list(items),
        other => is_numeric(other),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(n) => *n as f64,
        Value::Float(x) => *x,
        _ => f64::NAN,
    }
}

fn int_op(op: BinOp, x: i64, y: i64, span: Span) -> EvalResult<Value> {
    let checked = |r: Option<i64>| r.map(Value::Int).ok_or_else(|| overflow(op, span));
    match op {
        BinOp::Add => checked(x.checked_add(y)),
        BinOp::Sub => checked(x.checked_sub(y)),
        BinOp::Mul => checked(x.checked_mul(y)),
        BinOp::Div => Ok(Value::Float(x as f64 / y as f64)),
        BinOp::Rem => {
            if y == 0 {
                return Err(err_label(
                    codes::DIVISION_BY_ZERO,
                    "integer modulo by zero",
                    span,
                    "the right operand is 0",
                ));
            }
            // Floor modulo, as Python: the sign follows the divisor.
            checked(x.checked_rem(y).map(|r| {
                if r != 0 && ((r < 0) != (y < 0)) {
                    r + y
                } else {
                    r
                }
            }))
        }
        BinOp::Pow => {
            if y < 0 {
                Ok(Value::Float((x as f64).powf(y as f64)))
            } else {
                let e = u32::try_from(y).map_err(|_| overflow(op, span))?;
                checked(x.checked_pow(e))
            }
        }
        BinOp::Eq => Ok(Value::Bool(x == y)),
        BinOp::Ne => Ok(Value::Bool(x != y)),
        BinOp::Lt => Ok(Value::Bool(x < y)),
        BinOp::Le => Ok(Value::Bool(x <= y)),
        BinOp::Gt => Ok(Value::Bool(x > y)),
        BinOp::Ge => Ok(Value::Bool(x >= y)),
        BinOp::MatMul | BinOp::And | BinOp::Or => Err(err_label(
            codes::TYPE_MISMATCH,
            format!("`{}` cannot combine an Int and an Int", op.symbol()),
            span,
            "in this operation",
        )),
    }
}

//! Indexing and slicing of tensors, lists and strings (0-based, negative from the end).

use super::{EvalResult, Interp, a_type, err_label};
use crate::convert::{from_tensor, tensor_error};
use crate::env::Scope;
use crate::tensor::{self, IndexSpec};
use crate::value::Value;
use optl_syntax::ast::{Expr, IndexItem};
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

impl Interp {
    pub fn eval_index(
        &mut self,
        base: Value,
        items: &[IndexItem],
        env: &Rc<Scope>,
        span: Span,
    ) -> EvalResult<Value> {
        let mut specs = Vec::with_capacity(items.len());
        for item in items {
            specs.push(match item {
                IndexItem::At(e) => IndexSpec::At(self.index_int(e, env)?),
                IndexItem::Slice { start, stop, step } => IndexSpec::Slice {
                    start: self.opt_index_int(start, env)?,
                    stop: self.opt_index_int(stop, env)?,
                    step: self.opt_index_int(step, env)?,
                },
            });
        }
        match &base {
            Value::Tracer(_) => self.trace_index(&base, &specs, span),
            Value::Tensor(t) => tensor::index(t, &specs, self.limits.max_elements)
                .map(from_tensor)
                .map_err(|e| tensor_error(e, span)),
            Value::List(list) => {
                let picked = self.index_seq(list.len(), &specs, span)?;
                Ok(match picked {
                    Picked::One(i) => list[i].clone(),
                    Picked::Many(ix) => {
                        Value::list(ix.into_iter().map(|i| list[i].clone()).collect())
                    }
                })
            }
            Value::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let picked = self.index_seq(chars.len(), &specs, span)?;
                Ok(match picked {
                    Picked::One(i) => Value::str(&chars[i].to_string()),
                    Picked::Many(ix) => {
                        Value::str(&ix.into_iter().map(|i| chars[i]).collect::<String>())
                    }
                })
            }
            other => Err(err_label(
                codes::TYPE_MISMATCH,
                format!("cannot index {}", a_type(other)),
                span,
                "expected a tensor, list or string",
            )),
        }
    }

    fn index_int(&mut self, e: &Expr, env: &Rc<Scope>) -> EvalResult<i64> {
        match self.eval(e, env)? {
            Value::Int(n) => Ok(n),
            Value::Float(x) => Err(Box::new(
                optl_syntax::Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("an index must be an Int, not the Float {x}"),
                )
                .at(e.span, "this is a Float")
                .hint("convert with `int(...)`; `/` always gives a Float"),
            )),
            other => Err(err_label(
                codes::TYPE_MISMATCH,
                format!("an index must be an Int, not {}", a_type(&other)),
                e.span,
                "not an Int",
            )),
        }
    }

    fn opt_index_int(&mut self, e: &Option<Expr>, env: &Rc<Scope>) -> EvalResult<Option<i64>> {
        e.as_ref().map(|e| self.index_int(e, env)).transpose()
    }

    /// Positions picked from a sequence of length `len` by one index or slice.
    fn index_seq(&self, len: usize, specs: &[IndexSpec], span: Span) -> EvalResult<Picked> {
        let [spec] = specs else {
            return Err(err_label(
                codes::INDEX_OUT_OF_BOUNDS,
                format!(
                    "too many indices: lists and strings have one axis, {} given",
                    specs.len()
                ),
                span,
                "one index or slice expected",
            ));
        };
        // A 1-d tensor of positions does exactly the bounds and slice logic we need.
        let positions =
            tensor::arange(0.0, len as f64, 1.0, usize::MAX).map_err(|e| tensor_error(e, span))?;
        let picked = tensor::index(&positions, std::slice::from_ref(spec), usize::MAX)
            .map_err(|e| tensor_error(e, span))?;
        Ok(match spec {
            IndexSpec::At(_) => Picked::One(picked.iter().next().copied().unwrap_or(0.0) as usize),
            IndexSpec::Slice { .. } => Picked::Many(picked.iter().map(|&x| x as usize).collect()),
        })
    }
}

enum Picked {
    One(usize),
    Many(Vec<usize>),
}

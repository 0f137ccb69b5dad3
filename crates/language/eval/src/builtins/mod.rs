//! The native part of the prelude: builtin functions with their signatures, and the
//! typed argument accessors they share.

mod core;
mod create;
mod data;
mod linalg;

pub(crate) use linalg::{error as linalg_error, sparse_matmul};
mod lowrank;
mod math;
mod numeric;
mod ot;
mod pareto;

pub(crate) use pareto::{objective_set, same_objectives};
mod rules;
pub mod traced;

use crate::convert::{tensor_error, to_tensor};
use crate::evaluator::{ArgVal, EvalResult, Interp, a_type, err_label};
use crate::signature::Signature;
use crate::tensor::Tensor;
use crate::value::{Func, Module, Record, Value};
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;
use std::time::Duration;

/// The Rust side of a builtin.
pub type BuiltinFn = fn(&mut Interp, Args) -> EvalResult<Value>;

/// A builtin function: name, parameters, implementation and a one-line doc.
pub struct Builtin {
    pub name: &'static str,
    pub signature: Signature,
    pub run: BuiltinFn,
    pub doc: &'static str,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<builtin {}>", self.name)
    }
}

/// Arguments of one builtin call, bound to its parameter slots.
pub struct Args {
    pub slots: Vec<Option<ArgVal>>,
    pub rest: Vec<ArgVal>,
    pub span: Span,
    /// What `value` gives for an optional argument that was not passed.
    pub unit: Value,
}

/// Every builtin and prelude constant, by name.
pub struct Builtins {
    pub values: Vec<(Rc<str>, Value)>,
}

/// Registration table entry: (name, signature, function, doc).
pub(crate) type Entry = (&'static str, &'static str, BuiltinFn, &'static str);

impl Builtins {
    pub fn new() -> Builtins {
        let mut values: Vec<(Rc<str>, Value)> = Vec::new();
        let entries = core::TABLE
            .iter()
            .chain(math::entries())
            .chain(create::TABLE)
            .chain(data::TABLE)
            .chain(linalg::TOP)
            .chain(numeric::TABLE)
            .chain(pareto::TABLE)
            .chain(lowrank::TABLE)
            .chain(rules::TABLE)
            .chain(crate::search::TABLE)
            .chain(crate::discover::TABLE);
        for entry in entries {
            values.push((entry.0.into(), builtin(entry)));
        }
        values.push(("linalg".into(), namespace("linalg", linalg::namespace())));
        values.push(("ot".into(), namespace("ot", ot::TABLE.iter())));
        for (name, v) in [
            ("pi", std::f64::consts::PI),
            ("inf", f64::INFINITY),
            ("nan", f64::NAN),
        ] {
            values.push((name.into(), Value::Float(v)));
        }
        Builtins { values }
    }
}

/// The function value of a registration entry.
fn builtin(&(name, sig, run, doc): &Entry) -> Value {
    let b = Builtin {
        name,
        signature: Signature::parse(sig),
        run,
        doc,
    };
    Value::Func(Rc::new(Func::Builtin(b)))
}

/// A namespace of builtins (`linalg`): a module whose members are the entries named
/// `<module>.<member>`.
fn namespace(module: &str, entries: impl Iterator<Item = &'static Entry>) -> Value {
    let fields = entries
        .map(|entry| {
            let member = entry.0.strip_prefix(module).unwrap_or(entry.0);
            (member.trim_start_matches('.').into(), builtin(entry))
        })
        .collect();
    Value::Module(Rc::new(Module {
        name: module.into(),
        members: Record { fields },
    }))
}

impl Default for Builtins {
    fn default() -> Builtins {
        Builtins::new()
    }
}

impl Args {
    pub fn has(&self, i: usize) -> bool {
        self.slots.get(i).is_some_and(Option::is_some)
    }

    /// The value in slot `i`; `Unit` when an optional argument was not given.
    pub fn value(&self, i: usize) -> &Value {
        self.slots
            .get(i)
            .and_then(Option::as_ref)
            .map_or(&self.unit, |a| &a.value)
    }

    pub fn span(&self, i: usize) -> Span {
        self.slots
            .get(i)
            .and_then(Option::as_ref)
            .map_or(self.span, |a| a.span)
    }

    pub fn float(&self, i: usize) -> EvalResult<f64> {
        match self.value(i) {
            Value::Int(n) => Ok(*n as f64),
            Value::Float(x) => Ok(*x),
            other => Err(self.expected(i, "a number", other)),
        }
    }

    pub fn opt_float(&self, i: usize, default: f64) -> EvalResult<f64> {
        if self.has(i) {
            self.float(i)
        } else {
            Ok(default)
        }
    }

    /// A time limit in seconds (`timeout = ...`), `None` when not given or
    /// unlimited (see [`crate::time_limit`]).
    pub fn opt_time_limit(&self, i: usize) -> EvalResult<Option<Duration>> {
        if !self.has(i) {
            return Ok(None);
        }
        crate::time_limit(self.float(i)?)
            .map_err(|m| err_label(codes::INVALID_ARGUMENT, m, self.span(i), "not a time limit"))
    }

    pub fn int(&self, i: usize) -> EvalResult<i64> {
        match self.value(i) {
            Value::Int(n) => Ok(*n),
            other => Err(self.expected(i, "an Int", other)),
        }
    }

    pub fn opt_int(&self, i: usize) -> EvalResult<Option<i64>> {
        if self.has(i) {
            self.int(i).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A positive count in slot `i`, or `default` when it was not given.
    pub fn opt_positive(&self, i: usize, default: usize) -> EvalResult<usize> {
        match self.opt_int(i)? {
            None => Ok(default),
            Some(n) if n >= 1 => Ok(n as usize),
            Some(n) => Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("expected a positive count, found {n}"),
                self.span(i),
                "not positive",
            )),
        }
    }

    pub fn str(&self, i: usize) -> EvalResult<Rc<str>> {
        match self.value(i) {
            Value::Str(s) => Ok(s.clone()),
            other => Err(self.expected(i, "a string", other)),
        }
    }

    pub fn tensor(&self, i: usize, interp: &Interp) -> EvalResult<Rc<Tensor>> {
        to_tensor(self.value(i), self.span(i), interp.limits.max_elements)
    }

    /// A size that must be a non-negative Int.
    pub fn count(&self, i: usize) -> EvalResult<usize> {
        let n = self.int(i)?;
        usize::try_from(n).map_err(|_| {
            err_label(
                codes::INVALID_ARGUMENT,
                format!("expected a non-negative count, found {n}"),
                self.span(i),
                "negative",
            )
        })
    }

    /// A shape: an Int, or a list/tensor of non-negative integers.
    pub fn shape(&self, i: usize) -> EvalResult<Vec<usize>> {
        let dims = self.int_list(i)?;
        crate::tensor::shape_from(&dims).map_err(|e| tensor_error(e, self.span(i)))
    }

    /// An Int or a list/tensor of integer values.
    pub fn int_list(&self, i: usize) -> EvalResult<Vec<i64>> {
        let bad = |what: &Value| self.expected(i, "an Int or a list of Ints", what);
        match self.value(i) {
            Value::Int(n) => Ok(vec![*n]),
            Value::List(items) => items
                .iter()
                .map(|v| match v {
                    Value::Int(n) => Ok(*n),
                    other => Err(bad(other)),
                })
                .collect(),
            Value::Tensor(t) if t.ndim() == 1 => t
                .iter()
                .map(|&x| {
                    if x.fract() == 0.0 && x.abs() < 9.0e15 {
                        Ok(x as i64)
                    } else {
                        Err(err_label(
                            codes::INVALID_ARGUMENT,
                            format!("expected whole numbers, found {x}"),
                            self.span(i),
                            "not an integer",
                        ))
                    }
                })
                .collect(),
            other => Err(bad(other)),
        }
    }

    /// An optional `axis` argument.
    pub fn axis(&self, i: usize) -> EvalResult<Option<isize>> {
        Ok(self.opt_int(i)?.map(|a| a as isize))
    }

    pub fn expected(&self, i: usize, what: &str, found: &Value) -> Box<optl_syntax::Diagnostic> {
        err_label(
            codes::TYPE_MISMATCH,
            format!("expected {what}, found {}", a_type(found)),
            self.span(i),
            format!("this is {}", a_type(found)),
        )
    }
}

/// The reference table of every builtin of the prelude (`module = None`) or of a
/// namespace (`Some("linalg")`), as `docs/stdlib.md` shows it (a test keeps the page
/// equal to this).
pub fn reference_markdown(module: Option<&str>) -> String {
    let mut out = String::from("| function | description |\n| --- | --- |\n");
    let values = Builtins::new().values;
    let members: Vec<&Value> = match module {
        None => values.iter().map(|(_, v)| v).collect(),
        Some(name) => values
            .iter()
            .filter(|(n, _)| &**n == name)
            .flat_map(|(_, v)| match v {
                Value::Module(m) => m.members.fields.iter().map(|(_, v)| v).collect(),
                _ => Vec::new(),
            })
            .collect(),
    };
    for v in members {
        if let Value::Func(f) = v
            && let Func::Builtin(b) = &**f
        {
            out.push_str(&format!("| `{}({})` | {} |\n", b.name, b.signature, b.doc));
        }
    }
    out
}

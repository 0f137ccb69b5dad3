//! Builtins over numeric code: gradients and hashes (LANGUAGE.md §8).

use super::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::numeric::{Derived, DerivedKind, fhash_shapes};
use crate::value::{Func, SymKind, Value};
use optl_syntax::codes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub(super) const TABLE: &[Entry] = &[
    (
        "solve",
        "p, solver?, steps?, tol?, seed?, timeout?, reference_front?",
        crate::solve::solve,
        "Solves a problem with a native solver (default `auto`); returns a Result record.",
    ),
    (
        "grad",
        "f",
        grad,
        "The gradient of a scalar numeric function: a function of the same arguments.",
    ),
    (
        "value_and_grad",
        "f",
        value_and_grad,
        "A function giving the record {value: f(x), grad: gradient of f at x}.",
    ),
    (
        "hash",
        "x",
        hash,
        "Structural hash of a value's canonical form (32 hex digits).",
    ),
    (
        "fhash",
        "f, *shapes",
        fhash,
        "Functional hash of a numeric function (scalar arguments unless shapes are given), or of a problem.",
    ),
];

fn derived(args: &Args, kind: DerivedKind) -> EvalResult<Value> {
    let f = args.value(0);
    if !matches!(f, Value::Func(_)) {
        return Err(err_label(
            codes::TYPE_MISMATCH,
            format!("expected a function to differentiate, found {}", a_type(f)),
            args.span(0),
            "not a function",
        ));
    }
    Ok(Value::Func(Rc::new(Func::Derived(Derived {
        kind,
        f: f.clone(),
        cache: RefCell::new(HashMap::new()),
    }))))
}

fn grad(_: &mut Interp, args: Args) -> EvalResult<Value> {
    derived(&args, DerivedKind::Grad)
}

fn value_and_grad(_: &mut Interp, args: Args) -> EvalResult<Value> {
    derived(&args, DerivedKind::ValueAndGrad)
}

fn hash(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(Value::str(&crate::hashing::value_hash(
        interp,
        args.value(0),
        args.span(0),
    )))
}

fn fhash(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let f = args.value(0).clone();
    let function = match &f {
        Value::Sym(s) if s.family.kind == SymKind::Problem => {
            interp.trace_problem(s, args.span(0))?.function
        }
        Value::Sym(s) => interp.trace_rule_for_hash(s, args.span(0))?,
        _ => {
            let given: Vec<Value> = args.rest.iter().map(|a| a.value.clone()).collect();
            let shapes = fhash_shapes(&f, &given, args.span)?;
            interp.trace_function(&f, &shapes, args.span(0))?
        }
    };
    let h = optl_ir::hash::functional_hash(&function, 0);
    Ok(Value::str(&crate::hashing::hex(&h)))
}

//! Hyper-values, spaces and search (LANGUAGE.md §7): the builtins `oneof`, `manyof`,
//! `floatv`, `intv`, `space_size`, `dna_spec`, `dna`, `materialize`, `sample` and
//! `search`. The space logic is in `space`, the algorithm constructors in
//! `algorithms`, the search loop's OptL side in `run`; the language-independent core
//! is the `optl_search` crate.

pub mod algorithms;
pub(crate) mod run;
pub mod space;
pub(crate) mod workers;

use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::{Hyper, Value};
use optl_search::PointKind;
use optl_syntax::codes;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use std::rc::Rc;

pub(crate) const TABLE: &[Entry] = &[
    (
        "oneof",
        "candidates",
        oneof,
        "A hyper-value: one of the candidates (which may hold hyper-values themselves).",
    ),
    (
        "manyof",
        "k, candidates, distinct?, sorted?",
        manyof,
        "A hyper-value: a list of k picks among the candidates; `distinct` (default true): no candidate twice; `sorted` (default false): picks in candidate order.",
    ),
    (
        "floatv",
        "lo, hi, scale?",
        floatv,
        "A hyper-value: a Float in [lo, hi]; `scale` is \"linear\" (default) or \"log\".",
    ),
    (
        "intv",
        "lo, hi",
        intv,
        "A hyper-value: an Int in [lo, hi], both included.",
    ),
    (
        "space_size",
        "space",
        space_size,
        "The number of distinct points of a space (inf when it holds a floatv).",
    ),
    (
        "dna_spec",
        "space",
        dna_spec,
        "The decision points of a space, in DNA order: one record per point (kind and range).",
    ),
    (
        "dna",
        "space, value",
        dna,
        "The DNA (a list of decisions) that gives `value` in `space`.",
    ),
    (
        "materialize",
        "space, dna",
        materialize,
        "The concrete value a DNA stands for in a space.",
    ),
    (
        "sample",
        "space, seed?",
        sample,
        "A random point of a space; the same seed gives the same point.",
    ),
    (
        "search",
        "space, objective, algo?, trials?, seed?, minimize?, parallel?, storage?, name?, timeout?",
        run::search,
        "Searches a space for the value minimizing (or maximizing) objective(value); returns a study record.",
    ),
];

/// A list of candidates: a list, or a tensor (a list literal of numbers), whose
/// candidates are its elements along the first axis, as iterating over it gives.
fn candidates(args: &Args, i: usize) -> EvalResult<Vec<Value>> {
    let Some(items) = space::elements(args.value(i)) else {
        return Err(err_label(
            codes::TYPE_MISMATCH,
            format!(
                "expected a list of candidates, found {}",
                a_type(args.value(i))
            ),
            args.span(i),
            "not a list",
        ));
    };
    if items.is_empty() {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            "a choice needs at least one candidate",
            args.span(i),
            "empty list",
        ));
    }
    Ok(items)
}

fn hyper(h: Hyper) -> Value {
    Value::Hyper(Rc::new(h))
}

fn oneof(_: &mut Interp, args: Args) -> EvalResult<Value> {
    Ok(hyper(Hyper::OneOf(candidates(&args, 0)?)))
}

fn flag(args: &Args, i: usize, default: bool) -> EvalResult<bool> {
    match args.value(i) {
        Value::Unit => Ok(default),
        Value::Bool(b) => Ok(*b),
        other => Err(err_label(
            codes::TYPE_MISMATCH,
            format!("expected true or false, found {}", a_type(other)),
            args.span(i),
            "not a Bool",
        )),
    }
}

fn manyof(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let k = args.count(0)?;
    let candidates = candidates(&args, 1)?;
    let distinct = flag(&args, 2, true)?;
    let sorted = flag(&args, 3, false)?;
    if distinct && k > candidates.len() {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!(
                "cannot pick {k} distinct candidates out of {}",
                candidates.len()
            ),
            args.span,
            "k is larger than the candidate list",
        ));
    }
    Ok(hyper(Hyper::ManyOf {
        k,
        candidates,
        distinct,
        sorted,
    }))
}

fn floatv(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let (lo, hi) = (args.float(0)?, args.float(1)?);
    let log = match args.value(2) {
        Value::Unit => false,
        Value::Str(s) if &**s == "linear" => false,
        Value::Str(s) if &**s == "log" => true,
        _ => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                "`scale` is \"linear\" or \"log\"",
                args.span(2),
                "not a scale",
            ));
        }
    };
    let problem = if !lo.is_finite() || !hi.is_finite() {
        Some("the bounds must be finite numbers".to_string())
    } else if lo > hi {
        Some(format!("the range is empty: lo = {lo} > hi = {hi}"))
    } else if log && lo <= 0.0 {
        Some(format!("a log scale needs lo > 0, found lo = {lo}"))
    } else {
        None
    };
    if let Some(m) = problem {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            m,
            args.span,
            "invalid range",
        ));
    }
    Ok(hyper(Hyper::Float { lo, hi, log }))
}

fn intv(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let (lo, hi) = (args.int(0)?, args.int(1)?);
    if lo > hi {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("the range is empty: lo = {lo} > hi = {hi}"),
            args.span,
            "invalid range",
        ));
    }
    Ok(hyper(Hyper::Int { lo, hi }))
}

/// The decision tree of the space in slot `i`, or a diagnostic.
fn space_arg(args: &Args, i: usize) -> EvalResult<optl_search::Space> {
    space::space_of(args.value(i))
        .map_err(|m| err_label(codes::INVALID_ARGUMENT, m, args.span(i), "in this space"))
}

fn space_size(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let n = space_arg(&args, 0)?.space_size();
    Ok(if n.is_finite() && n < 9.0e15 {
        Value::Int(n as i64)
    } else {
        Value::Float(n)
    })
}

fn dna_spec(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let s = space_arg(&args, 0)?;
    let record = |fields: Vec<(&str, Value)>| {
        Value::record(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    };
    let points = s
        .points()
        .into_iter()
        .map(|p| match p {
            PointKind::OneOf { n } => record(vec![
                ("kind", Value::str("oneof")),
                ("n", Value::Int(n as i64)),
            ]),
            PointKind::Pick {
                slot,
                k,
                n,
                distinct,
                sorted,
            } => record(vec![
                ("kind", Value::str("manyof")),
                ("slot", Value::Int(slot as i64)),
                ("k", Value::Int(k as i64)),
                ("n", Value::Int(n as i64)),
                ("distinct", Value::Bool(distinct)),
                ("sorted", Value::Bool(sorted)),
            ]),
            PointKind::Int { lo, hi } => record(vec![
                ("kind", Value::str("intv")),
                ("lo", Value::Int(lo)),
                ("hi", Value::Int(hi)),
            ]),
            PointKind::Float { lo, hi, log } => record(vec![
                ("kind", Value::str("floatv")),
                ("lo", Value::Float(lo)),
                ("hi", Value::Float(hi)),
                ("scale", Value::str(if log { "log" } else { "linear" })),
            ]),
        })
        .collect();
    Ok(Value::list(points))
}

fn dna(_: &mut Interp, args: Args) -> EvalResult<Value> {
    space_arg(&args, 0)?;
    match space::dna_of(args.value(0), args.value(1)) {
        Some(d) => Ok(space::dna_value(&d)),
        None => Err(err_label(
            codes::INVALID_ARGUMENT,
            format!(
                "the space cannot produce {}",
                crate::evaluator::describe(args.value(1))
            ),
            args.span(1),
            "not a point of the space",
        )),
    }
}

fn materialize(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    space_arg(&args, 0)?;
    let decisions = space::dna_from_value(args.value(1))
        .map_err(|m| err_label(codes::TYPE_MISMATCH, m, args.span(1), "not a DNA"))?;
    let v = space::materialize(args.value(0), &decisions)
        .map(|(v, _)| v)
        .map_err(|m| {
            err_label(
                codes::INVALID_ARGUMENT,
                m,
                args.span(1),
                "does not fit the space",
            )
        })?;
    interp.check_value_domains(&v, args.span)?;
    Ok(v)
}

fn sample(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let s = space_arg(&args, 0)?;
    let seed = match args.opt_int(1)? {
        Some(seed) => seed as u64,
        None => interp.next_seed(),
    };
    let dna = s.random(&mut ChaCha8Rng::seed_from_u64(seed));
    let v = space::materialize(args.value(0), &dna.0)
        .map(|(v, _)| v)
        .map_err(|m| err_label(codes::INVALID_ARGUMENT, m, args.span(0), "in this space"))?;
    interp.check_value_domains(&v, args.span)?;
    Ok(v)
}

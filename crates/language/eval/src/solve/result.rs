//! The Result records of a solve: one point (`result_value`, with the warnings for
//! nonsmooth terms a smooth method ran on) or a Pareto front (`front_value`, with
//! the reference front's indicators).

use super::model::ProblemModel;
use crate::builtins::Args;
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::{Record, Value};
use optl_solvers::{SolveResult, Structure};
use optl_syntax::codes;
use std::rc::Rc;
use std::time::Instant;

/// Whether a Result's `f` or point holds NaN.
pub(super) fn has_nan(r: &SolveResult) -> bool {
    r.f.is_nan() || r.x.iter().any(|v| v.is_nan())
}

/// The methods that handle nonsmooth terms as such.
pub(super) const SPLITTING: &[&str] = &["fista", "bcd", "frank_wolfe"];

/// What a Result says about nonsmooth terms a solver ran on as if smooth: each
/// term, and the method that handles it.
pub(super) fn nonsmooth_warnings(s: &Structure, method: &str) -> Vec<String> {
    if SPLITTING.contains(&method) {
        return Vec::new();
    }
    let prox = s.composite.terms.iter().map(|t| {
        format!(
            "`{method}` ran on subgradients of the nonsmooth term `{}`: `fista()` handles it (exact zeros and a certificate)",
            t.text
        )
    });
    let other = s.composite.nonsmooth.iter().map(|t| {
        format!(
            "`{method}` ran on subgradients of the nonsmooth term `{t}`, which is not prox-friendly"
        )
    });
    prox.chain(other).collect()
}

/// The Result record of a single-objective solve.
pub(super) fn result_value(
    model: &ProblemModel,
    r: &SolveResult,
    (solver, reason): (&str, &str),
    warnings: Vec<String>,
    started: Instant,
) -> Value {
    let sign = if model.problem.maximize.first().copied().unwrap_or(false) {
        -1.0
    } else {
        1.0
    };
    let vars = vars_record(model, &r.x);
    let history: Vec<f64> = r.history.iter().map(|f| sign * f).collect();
    let violated: Vec<Value> = r
        .violated
        .iter()
        .map(|(c, amount)| {
            let (constraint, row) = model.constraint_of_row(*c);
            Value::record(vec![
                ("constraint".into(), Value::Int(constraint as i64)),
                ("row".into(), Value::Int(row as i64)),
                ("amount".into(), Value::Float(*amount)),
            ])
        })
        .collect();
    let fields: Vec<(Rc<str>, Value)> = vec![
        ("status".into(), Value::str(r.status.as_str())),
        ("f".into(), Value::Float(sign * r.f)),
        ("vars".into(), vars),
        ("iters".into(), Value::Int(r.iters as i64)),
        ("evals".into(), Value::Int(model.evals as i64)),
        ("grad_norm".into(), Value::Float(r.grad_norm)),
        ("max_violation".into(), Value::Float(r.max_violation)),
        ("kkt".into(), Value::Float(r.kkt_residual)),
        ("solver".into(), Value::str(solver)),
        ("reason".into(), Value::str(reason)),
        ("certificate".into(), Value::str(r.certificate)),
        (
            "gap".into(),
            Value::Float(if r.certificate == "kkt" {
                r.kkt_residual
            } else {
                r.gap
            }),
        ),
        (
            "warnings".into(),
            Value::list(warnings.iter().map(|w| Value::str(w)).collect()),
        ),
        (
            "time_s".into(),
            Value::Float(started.elapsed().as_secs_f64()),
        ),
        ("history".into(), Value::from(history)),
        ("violated".into(), Value::list(violated)),
        ("message".into(), Value::str(&r.message)),
    ];
    Value::Result(Rc::new(Record { fields }))
}

/// Each var's final value, shaped as declared (scalars as Floats).
pub(super) fn vars_record(model: &ProblemModel, x: &[f64]) -> Value {
    let parts = model.split(x);
    Value::record(
        model
            .problem
            .vars
            .iter()
            .zip(parts)
            .map(|(v, t)| (v.name.clone(), crate::convert::from_tensor(t)))
            .collect(),
    )
}

/// `solve`'s `reference_front` (argument 6), read and checked against the
/// problem's objectives before anything runs; `None` when not given.
pub(super) fn reference_front(
    interp: &Interp,
    args: &Args,
    s: &Structure,
) -> EvalResult<Option<Vec<Vec<f64>>>> {
    if !args.has(6) {
        return Ok(None);
    }
    if s.objectives < 2 {
        return Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "`reference_front` measures a Pareto front, and `{}` has one objective",
                    s.name
                ),
                args.span(6),
                "no front to measure",
            ))
            .hint("drop `reference_front`, or solve a problem with several objectives"),
        ));
    }
    let z =
        crate::builtins::objective_set(interp, args.value(6), args.span(6), "the reference front")?;
    crate::builtins::same_objectives("the problem", s.objectives, z[0].len(), args.span(6))?;
    Ok(Some(z))
}

/// The Result record of a multi-objective solve: the front, its hypervolume
/// (and whether it is exact), and its IGD when a reference front was given.
pub(super) fn front_value(
    model: &ProblemModel,
    r: &optl_solvers::FrontResult,
    signs: &[f64],
    reference_front: Option<&[Vec<f64>]>,
    started: Instant,
) -> Value {
    let user_f: Vec<Vec<f64>> = r
        .front_f
        .iter()
        .map(|fx| fx.iter().zip(signs).map(|(v, s)| v * s).collect())
        .collect();
    let front: Vec<Value> = r
        .front_x
        .iter()
        .zip(&user_f)
        .map(|(x, f)| {
            Value::record(vec![
                ("vars".into(), vars_record(model, x)),
                ("f".into(), Value::from(f.clone())),
            ])
        })
        .collect();
    let mut fields: Vec<(Rc<str>, Value)> = vec![
        ("status".into(), Value::str(r.status.as_str())),
        ("front".into(), Value::list(front)),
        ("hypervolume".into(), Value::Float(r.hypervolume)),
        ("hypervolume_exact".into(), Value::Bool(r.hypervolume_exact)),
    ];
    if let Some(z) = reference_front {
        fields.push(("igd".into(), Value::Float(optl_solvers::igd(&user_f, z))));
    }
    fields.extend([
        ("message".into(), Value::str(&r.message)),
        ("iters".into(), Value::Int(r.generations as i64)),
        ("evals".into(), Value::Int(model.evals as i64)),
        (
            "time_s".into(),
            Value::Float(started.elapsed().as_secs_f64()),
        ),
    ]);
    Value::Result(Rc::new(Record { fields }))
}

//! Schedules (LANGUAGE.md §6): hyper-parameters that change with the step, following
//! Optax's schedules. A schedule is a symbolic object (`cosine(1e-3, steps = 500)`),
//! printable, hashable and rebindable like a rule. Each one is defined below by its
//! parameter list and its value as an OptL expression of `t`, the number of updates
//! already made (0 at the first step, as Optax counts). Calling a schedule gives its
//! value: `cosine(1.0, steps = 10)(5)` is 0.5. Inside a rule, a schedule-valued
//! hyper-parameter is traced as a function of `step`, so it runs inside the fused
//! update kernel.

use crate::env::Scope;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::{SymKind, SymObj, Value};
use optl_syntax::ast::{BinOp, StmtKind};
use optl_syntax::codes;
use optl_syntax::span::Span;
use std::rc::Rc;

/// (name, parameter list, value as an OptL expression of `t`, documentation).
pub const SCHEDULES: &[(&str, &str, &str, &str)] = &[
    (
        "constant",
        "value",
        "value + 0 * t",
        "The same value at every step (Optax `constant_schedule`).",
    ),
    (
        "linear_decay",
        "init, end = 0.0, steps = 1000, begin = 0",
        "init + (end - init) * clip((t - begin) / steps, 0, 1)",
        "From `init` to `end` linearly over `steps` steps after `begin`, then `end` (Optax `linear_schedule`).",
    ),
    (
        "cosine",
        "init, steps, alpha = 0.0, exponent = 1.0",
        "init * ((1 - alpha) * (0.5 * (1 + cos(pi * min(t, steps) / steps)))^exponent + alpha)",
        "Cosine decay from `init` to `alpha * init` over `steps` steps (Loshchilov & Hutter 2017; Optax `cosine_decay_schedule`).",
    ),
    (
        "exponential",
        "init, rate, steps = 1, begin = 0, staircase = false",
        "where(t <= begin, init, init * rate^(if staircase then floor((t - begin) / steps) else (t - begin) / steps))",
        "`init * rate^((t - begin) / steps)`, in whole stairs when `staircase` (Optax `exponential_decay`).",
    ),
    (
        "piecewise",
        "init, boundaries, scales",
        "fold(fn(v, i) = v * where(t >= boundaries[i], scales[i], 1.0), init + 0 * t, range(len(boundaries)))",
        "`init`, multiplied by `scales[i]` from step `boundaries[i]` on (Optax `piecewise_constant_schedule`).",
    ),
    (
        "warmup",
        "steps, then, init = 0.0",
        "where(t < steps, init + (then_start - init) * t / steps, then_after)",
        "A linear ramp from `init` to the start value of `then` (a schedule or a number) over `steps` steps, then `then`, counted from the end of the ramp.",
    ),
];

/// The OptL source the schedules are parsed from: one `fn` per schedule.
pub fn declarations() -> String {
    crate::solvers::native_source(
        "crates/language/eval/src/schedules.rs: schedule parameters and values",
        SCHEDULES
            .iter()
            .map(|(name, params, value, _)| (*name, *params, *value)),
    )
}

/// Checks a schedule's arguments when it is made, so a bad range is reported where
/// the schedule is written rather than at the first step.
pub fn validate(s: &SymObj, span: Span) -> EvalResult<()> {
    let number = |name: &str| match s.get(name) {
        Some(Value::Int(n)) => Some(*n as f64),
        Some(Value::Float(x)) => Some(*x),
        _ => None,
    };
    if let Some(steps) = number("steps")
        && (steps.is_nan() || steps <= 0.0)
    {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("`steps` of `{}` must be positive, found {steps}", s.name()),
            span,
            "in this schedule",
        ));
    }
    if &**s.name() == "piecewise" {
        let len = |name: &str| match s.get(name) {
            Some(Value::List(items)) => Ok(items.len()),
            Some(Value::Tensor(t)) if t.ndim() == 1 => Ok(t.len()),
            Some(other) => Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "`{name}` of `piecewise` must be a list of numbers, found {}",
                    a_type(other)
                ),
                span,
                "in this schedule",
            )),
            None => Ok(0),
        };
        let (b, sc) = (len("boundaries")?, len("scales")?);
        if b != sc {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("`piecewise` has {b} boundaries but {sc} scales"),
                span,
                "give one scale per boundary",
            ));
        }
    }
    Ok(())
}

impl Interp {
    /// The value of schedule `s` after `t` updates; `t` may be a number or traced.
    pub fn schedule_at(&mut self, s: &SymObj, t: Value, span: Span) -> EvalResult<Value> {
        let Some(StmtKind::Expr(value)) = s.family.decl.body.first().map(|st| &st.kind) else {
            return Err(err_label(
                codes::NOT_CALLABLE,
                format!("`{}` is not a schedule", s.name()),
                span,
                "not a schedule",
            ));
        };
        let scope = Scope::child(&s.family.env);
        for (name, v) in &s.args {
            scope.define(Rc::clone(name), v.clone());
        }
        if let Some(then) = s.get("then") {
            // `warmup`: the formula reads the next schedule where the ramp ends
            // (`then_start`) and `steps` updates after it (`then_after`); a number
            // stands for a constant schedule.
            let steps = s.get("steps").cloned().unwrap_or(Value::Int(0));
            let later = self.binary(BinOp::Sub, t.clone(), steps, span)?;
            let later = match self.binary(BinOp::Lt, later.clone(), Value::Int(0), span)? {
                Value::Bool(true) => Value::Int(0),
                Value::Bool(false) => later,
                _ => {
                    let max = s.family.env.lookup("max").unwrap_or(Value::Unit);
                    self.call_positional(&max, vec![later, Value::Int(0)], span)?
                }
            };
            let (start, after) = match then {
                Value::Sym(n) if n.family.kind == SymKind::Schedule => (
                    self.schedule_at(n, Value::Int(0), span)?,
                    self.schedule_at(n, later, span)?,
                ),
                other => (other.clone(), other.clone()),
            };
            scope.define("then_start".into(), start);
            scope.define("then_after".into(), after);
        }
        scope.define("t".into(), t);
        self.eval(value, &scope)
    }

    /// A rule's hyper-parameter as the rule body sees it at (1-based) `step`: a
    /// schedule is read after `step - 1` updates, as Optax counts.
    pub fn hyper_value(&mut self, v: &Value, step: &Value, span: Span) -> EvalResult<Value> {
        match v {
            Value::Sym(s) if s.family.kind == SymKind::Schedule => {
                let t = self.binary(BinOp::Sub, step.clone(), Value::Int(1), span)?;
                self.schedule_at(s, t, span)
            }
            other => Ok(other.clone()),
        }
    }
}

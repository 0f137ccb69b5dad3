//! The first-order driver (LANGUAGE.md §6): `solve(p, rule, steps = N)` runs a rule
//! (or a chain of rules) written in OptL as the optimizer. The rule is traced once into
//! one IR program (`g`, `w`, `step`, float hyper-parameters, states → `u`, new states,
//! initial states) over the flattened variables, so that rules differing only in such
//! values share one compiled kernel; each step evaluates the objective's gradient, runs the update,
//! applies `w = w - u` and projects onto the bounds. A rule that calls `hutchinson()`
//! also gets `z * (H z)` for a Rademacher vector `z` drawn from the solve's seed.

use super::model::ProblemModel;
use crate::interp::{EvalResult, Interp};
use crate::numeric::HyperParams;
use crate::progress::Progress;
use crate::value::SymObj;
use optl_runtime::{Nlp, SolveResult, Status};
use optl_syntax::span::Span;
use optl_tensor::Tensor;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::time::Instant;

/// Steps between progress reports (the bar needs no more).
const PROGRESS_EVERY: usize = 64;

/// Runs `rule` on `model` for at most `steps` iterations.
#[allow(clippy::too_many_arguments)]
pub fn run_rule(
    interp: &mut Interp,
    model: &mut ProblemModel,
    rule: &std::rc::Rc<SymObj>,
    steps: usize,
    tol: f64,
    timeout: Option<std::time::Duration>,
    seed: u64,
    span: Span,
) -> EvalResult<SolveResult> {
    let started = Instant::now();
    let n = model.n();
    // A rule whose body cannot take a traced hyper-parameter (an `if` on one, say)
    // is traced with constants instead.
    let traced = interp
        .trace_rule(rule, &[n], HyperParams::Inputs, span)
        .or_else(|_| interp.trace_rule(rule, &[n], HyperParams::Constants, span))?;
    let k = traced.states.len();
    let input_shapes = traced.function.graph.input_shapes().to_vec();
    let mut probe_rng = ChaCha8Rng::seed_from_u64(seed);
    let mut probe = |model: &mut ProblemModel, w: &[f64]| -> Vec<f64> {
        let z: Vec<f64> = (0..n)
            .map(|_| {
                if probe_rng.random::<bool>() {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        let mut hz = vec![0.0; n];
        model.hvp(w, &z, &mut hz);
        z.iter().zip(&hz).map(|(a, b)| a * b).collect()
    };
    let update = model.engines.prepare_hot(traced.function);
    let (x0, lower, upper) = model.start_and_bounds();
    let project = |w: &mut [f64]| {
        for ((x, lo), hi) in w.iter_mut().zip(&lower).zip(&upper) {
            *x = x.max(*lo).min(*hi);
        }
    };
    let mut w = x0;
    project(&mut w);
    let vec = |v: &[f64]| {
        Tensor::from_shape_vec(ndarray::IxDyn(&[v.len()]), v.to_vec())
            .unwrap_or_else(|_| optl_tensor::scalar(f64::NAN))
    };
    let mut g = vec![0.0; n];
    let mut history = Vec::new();
    let result = |status: Status,
                  w: Vec<f64>,
                  f: f64,
                  g: &[f64],
                  iters: usize,
                  history: Vec<f64>,
                  message: String| {
        let mut r = SolveResult::new(status, w, f, message);
        r.grad_norm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        r.iters = iters;
        r.history = history;
        r
    };
    // The initial states: the last k outputs, computed from `w` (other inputs unused).
    // Inputs by position: `g`, `w`, `step`, then states and the probe where traced.
    let mut inputs: Vec<Tensor> = input_shapes
        .iter()
        .map(|s| Tensor::zeros(ndarray::IxDyn(s)))
        .collect();
    for &(i, value) in &traced.hyper_inputs {
        inputs[i] = optl_tensor::scalar(value);
    }
    inputs[1] = vec(&w);
    inputs[2] = optl_tensor::scalar(1.0);
    let out = model
        .engines
        .run(&update, &inputs)
        .map_err(|e| crate::trace::ir_error(e, span))?;
    let mut states: Vec<Tensor> = out[1 + k..].to_vec();
    let mut f = model.objective(&w, Some(&mut g));
    // The tolerance scales with |f| as LANGUAGE.md §5 says, but never with more
    // than the start's |f|: a first-order run can make f grow, and a run diverging
    // slowly (|g| growing like sqrt|f|) must not pass as converged.
    let f_start = f.abs();
    for step in 1..=steps {
        if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
            let mut r = result(
                Status::Diverged,
                w,
                f,
                &g,
                step - 1,
                history,
                format!(
                    "the objective or its gradient became {} at step {step}",
                    if f.is_nan() { "NaN" } else { "infinite" }
                ),
            );
            r.diverged_at = Some(step);
            return Ok(r);
        }
        history.push(f);
        let pg = w.iter().zip(&g).zip(lower.iter().zip(&upper)).fold(
            0.0f64,
            |m, ((x, gi), (lo, hi))| {
                let moved = (x - gi).max(*lo).min(*hi);
                m.max((x - moved).abs())
            },
        );
        if pg <= tol * f.abs().min(f_start).max(1.0) {
            return Ok(result(
                Status::Converged,
                w,
                f,
                &g,
                step - 1,
                history,
                "projected gradient below tolerance".into(),
            ));
        }
        if let Some(t) = timeout
            && started.elapsed() > t
        {
            return Ok(result(
                Status::Timeout,
                w,
                f,
                &g,
                step - 1,
                history,
                "time limit reached".into(),
            ));
        }
        inputs[0] = vec(&g);
        inputs[1] = vec(&w);
        inputs[2] = optl_tensor::scalar(step as f64);
        for (&i, s) in traced.state_inputs.iter().zip(&states) {
            inputs[i] = s.clone();
        }
        if let Some(i) = traced.probe_input {
            inputs[i] = vec(&probe(model, &w));
        }
        let out = model
            .engines
            .run(&update, &inputs)
            .map_err(|e| crate::trace::ir_error(e, span))?;
        for (x, u) in w.iter_mut().zip(out[0].iter()) {
            *x -= u;
        }
        project(&mut w);
        states = out[1..1 + k].to_vec();
        f = model.objective(&w, Some(&mut g));
        if step.is_multiple_of(PROGRESS_EVERY) {
            interp.report(&Progress::Steps {
                done: step,
                total: steps,
                f,
            });
        }
    }

    Ok(result(
        Status::MaxIters,
        w,
        f,
        &g,
        steps,
        history,
        format!("stopped after {steps} steps"),
    ))
}

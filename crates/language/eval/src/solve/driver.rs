//! The first-order driver (LANGUAGE.md §6): `solve(p, rule, steps = N)` runs a rule
//! (or a chain of rules) written in OptL as the optimizer. The rule is traced once into
//! one IR program (`g`, `w`, `step`, float hyper-parameters, states → `u`, new states,
//! initial states) over the flattened variables, so that rules differing only in such
//! values share one compiled kernel; each step evaluates the objective's gradient, runs the update,
//! applies `w = w - u` and projects onto the bounds. A rule that calls `hutchinson()`
//! also gets `z * (H z)` for a Rademacher vector `z` drawn from the solve's seed.
//!
//! The loop ([`train`]) sees its programs through [`Steps`]: the problem model and
//! the engines on the interpreter's thread ([`run_rule`]), or compiled kernels alone
//! ([`KernelSteps`]), which can run on any thread (`discover` trains candidates in
//! parallel that way). Both run the same kernels, so they give the same bits.

use super::model::{KernelObjective, ProblemModel};
use crate::evaluator::{EvalResult, Interp};
use crate::numeric::{HyperParams, TracedRule};
use crate::progress::Progress;
use crate::value::SymObj;
use optl_ir::{Function, IrError, IrResult};
use optl_jit::Kernel;
use optl_jit::engines::Program;
use optl_solvers::{Nlp, SolveResult, Status};
use optl_syntax::span::Span;
use optl_tensor::Tensor;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::time::{Duration, Instant};

/// Steps between progress reports (the bar needs no more).
const PROGRESS_EVERY: usize = 64;

/// What a training run evaluates.
pub(crate) trait Steps {
    /// The objective at `w`, its gradient written to `g`.
    fn objective(&mut self, w: &[f64], g: &mut [f64]) -> f64;
    /// `H(w) v` into `out` (only rules that call `hutchinson()` ask).
    fn hvp(&mut self, w: &[f64], v: &[f64], out: &mut [f64]);
    /// One run of the rule's update program.
    fn update(&mut self, inputs: &[Tensor]) -> IrResult<Vec<Tensor>>;
    /// Told every [`PROGRESS_EVERY`] steps.
    fn progress(&mut self, _step: usize, _total: usize, _f: f64) {}
}

/// A traced rule and a problem's start and bounds: what [`train`] needs besides
/// its [`Steps`]. Plain data, so that it can go to another thread.
pub(crate) struct Run {
    input_shapes: Vec<Vec<usize>>,
    hyper_inputs: Vec<(usize, f64)>,
    state_inputs: Vec<usize>,
    probe_input: Option<usize>,
    x0: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    pub settings: TrainSettings,
}

/// The settings of a training run: steps, gradient tolerance, time limit, and the
/// seed of the Hutchinson probes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TrainSettings {
    pub steps: usize,
    pub tol: f64,
    pub timeout: Option<Duration>,
    pub seed: u64,
}

impl Run {
    fn new(traced: &TracedRule, model: &ProblemModel) -> Run {
        let (x0, lower, upper) = model.start_and_bounds();
        Run {
            input_shapes: traced.function.graph.input_shapes().to_vec(),
            hyper_inputs: traced.hyper_inputs.clone(),
            state_inputs: traced.state_inputs.clone(),
            probe_input: traced.probe_input,
            x0,
            lower,
            upper,
            settings: TrainSettings::default(),
        }
    }

    /// Whether the rule asks for Hessian-vector products (`hutchinson()`).
    pub fn probes(&self) -> bool {
        self.probe_input.is_some()
    }

    /// The value of the `ordinal`-th Float hyper-parameter traced as an input, if
    /// the rule traced them as inputs (see [`trace_rule`]).
    pub fn hyper(&self, ordinal: usize) -> Option<f64> {
        self.hyper_inputs.get(ordinal).map(|&(_, v)| v)
    }

    /// Sets the `ordinal`-th traced Float hyper-parameter (`discover`'s sweep of the
    /// learning rate reuses one compiled update that way); false when there is none.
    pub fn set_hyper(&mut self, ordinal: usize, value: f64) -> bool {
        match self.hyper_inputs.get_mut(ordinal) {
            Some(slot) => {
                slot.1 = value;
                true
            }
            None => false,
        }
    }
}

/// Traces `rule` for `model`'s variables: the run's settings and the update program.
/// A rule whose body cannot take a traced hyper-parameter (an `if` on one, say) is
/// traced with constants instead.
pub(crate) fn trace_rule(
    interp: &mut Interp,
    model: &ProblemModel,
    rule: &std::rc::Rc<SymObj>,
    span: Span,
) -> EvalResult<(Run, Function)> {
    let n = model.n();
    let traced = interp
        .trace_rule(rule, &[n], HyperParams::Inputs, span)
        .or_else(|_| interp.trace_rule(rule, &[n], HyperParams::Constants, span))?;
    Ok((Run::new(&traced, model), traced.function))
}

/// [`trace_rule`], then the update program prepared to run (compiled at once).
pub(crate) fn prepare_rule(
    interp: &mut Interp,
    model: &mut ProblemModel,
    rule: &std::rc::Rc<SymObj>,
    span: Span,
) -> EvalResult<(Run, Program)> {
    let (run, update) = trace_rule(interp, model, rule, span)?;
    Ok((run, model.engines.prepare_hot(update)))
}

/// The problem model and the update program, on the interpreter's thread.
struct ModelSteps<'a> {
    model: &'a mut ProblemModel,
    update: Program,
    interp: &'a mut Interp,
}

impl Steps for ModelSteps<'_> {
    fn objective(&mut self, w: &[f64], g: &mut [f64]) -> f64 {
        self.model.objective(w, Some(g))
    }

    fn hvp(&mut self, w: &[f64], v: &[f64], out: &mut [f64]) {
        self.model.hvp(w, v, out);
    }

    fn update(&mut self, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        self.model.engines.run(&self.update, inputs)
    }

    fn progress(&mut self, step: usize, total: usize, f: f64) {
        self.interp.report(&Progress::Steps {
            done: step,
            total,
            f,
        });
    }
}

/// Compiled kernels alone (`Send`): the objective and gradient, and the update,
/// with a count of their runs (for `--stats`).
pub(crate) struct KernelSteps {
    pub objective: KernelObjective,
    pub update: Kernel,
    pub runs: u64,
}

impl Steps for KernelSteps {
    fn objective(&mut self, w: &[f64], g: &mut [f64]) -> f64 {
        self.runs += 1;
        self.objective.value_grad(w, g)
    }

    fn hvp(&mut self, _: &[f64], _: &[f64], out: &mut [f64]) {
        // Never asked: a rule that probes runs through `ModelSteps`.
        out.iter_mut().for_each(|o| *o = f64::NAN);
    }

    fn update(&mut self, inputs: &[Tensor]) -> IrResult<Vec<Tensor>> {
        self.runs += 1;
        self.update
            .eval(inputs)
            .map_err(|e| IrError::Invalid(e.to_string()))
    }
}

/// Runs `rule` on `model` with `settings`.
pub fn run_rule(
    interp: &mut Interp,
    model: &mut ProblemModel,
    rule: &std::rc::Rc<SymObj>,
    settings: TrainSettings,
    span: Span,
) -> EvalResult<SolveResult> {
    let (mut run, update) = prepare_rule(interp, model, rule, span)?;
    run.settings = settings;
    let mut s = ModelSteps {
        model,
        update,
        interp,
    };
    train(&mut s, &run).map_err(|e| crate::trace::ir_error(e, span))
}

/// The training loop: from the start point, `settings.steps` steps of the rule.
pub(crate) fn train(s: &mut impl Steps, run: &Run) -> IrResult<SolveResult> {
    let started = Instant::now();
    let settings = run.settings;
    let n = run.x0.len();
    let k = run.state_inputs.len();
    let mut probe_rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut probe = |s: &mut dyn Steps, w: &[f64]| -> Vec<f64> {
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
        s.hvp(w, &z, &mut hz);
        z.iter().zip(&hz).map(|(a, b)| a * b).collect()
    };
    let project = |w: &mut [f64]| {
        for ((x, lo), hi) in w.iter_mut().zip(&run.lower).zip(&run.upper) {
            *x = x.max(*lo).min(*hi);
        }
    };
    let mut w = run.x0.clone();
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
    let mut inputs: Vec<Tensor> = run
        .input_shapes
        .iter()
        .map(|s| Tensor::zeros(ndarray::IxDyn(s)))
        .collect();
    for &(i, value) in &run.hyper_inputs {
        inputs[i] = optl_tensor::scalar(value);
    }
    inputs[1] = vec(&w);
    inputs[2] = optl_tensor::scalar(1.0);
    let out = s.update(&inputs)?;
    let mut states: Vec<Tensor> = out[1 + k..].to_vec();
    let mut f = s.objective(&w, &mut g);
    // The tolerance scales with |f| as LANGUAGE.md §5 says, but never with more
    // than the start's |f|: a first-order run can make f grow, and a run diverging
    // slowly (|g| growing like sqrt|f|) must not pass as converged.
    let f_start = f.abs();
    for step in 1..=settings.steps {
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
        let pg = w.iter().zip(&g).zip(run.lower.iter().zip(&run.upper)).fold(
            0.0f64,
            |m, ((x, gi), (lo, hi))| {
                let moved = (x - gi).max(*lo).min(*hi);
                m.max((x - moved).abs())
            },
        );
        if pg <= settings.tol * f.abs().min(f_start).max(1.0) {
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
        if let Some(t) = settings.timeout
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
        for (&i, s) in run.state_inputs.iter().zip(&states) {
            inputs[i] = s.clone();
        }
        if let Some(i) = run.probe_input {
            inputs[i] = vec(&probe(s, &w));
        }
        let out = s.update(&inputs)?;
        for (x, u) in w.iter_mut().zip(out[0].iter()) {
            *x -= u;
        }
        project(&mut w);
        states = out[1..1 + k].to_vec();
        f = s.objective(&w, &mut g);
        if step.is_multiple_of(PROGRESS_EVERY) {
            s.progress(step, settings.steps, f);
        }
    }

    Ok(result(
        Status::MaxIters,
        w,
        f,
        &g,
        settings.steps,
        history,
        format!("stopped after {} steps", settings.steps),
    ))
}

//! `solve(p, solver = auto, steps = ..., tol = ..., seed = 0, timeout = ...)`
//! (LANGUAGE.md §5): traces the problem, picks and configures a native solver from
//! its symbolic object, runs it, and returns the Result record.

mod bilevel;
mod driver;
mod model;
mod result;
mod structure;

pub(crate) use driver::TrainSettings;

use crate::builtins::Args;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::{SymKind, SymObj, Value};
use model::ProblemModel;
use optl_ir::IrError;
use optl_solvers::registry::{self, Plan};
use optl_solvers::{
    Bounds, DefaultValue, Domain, Fit, Options, Outcome, ParamValue, Params, Signature,
    SolveResult, Structure,
};
use optl_syntax::codes;
use optl_syntax::span::Span;
use result::{front_value, has_nan, nonsmooth_warnings, reference_front, result_value};
use std::rc::Rc;
use std::time::{Duration, Instant};
use structure::structure;

/// The most solves the run's log keeps ([`Interp::log_solve`]).
pub const MAX_LOGGED_SOLVES: usize = 10_000;

/// The most numbers (history, violation and front entries) the run's log keeps.
pub const MAX_LOGGED_NUMBERS: usize = 10_000_000;

impl Interp {
    /// Keeps what a solve leaves for plotting, while the log holds fewer than
    /// [`MAX_LOGGED_SOLVES`] solves and [`MAX_LOGGED_NUMBERS`] numbers (about
    /// 80 MB): a search that solves in every trial must not grow without bound.
    /// Solves past the bound are counted in `solves_not_logged`.
    pub(crate) fn log_solve(&mut self, entry: SolveLog) {
        let size = entry.history.len()
            + entry.violation.len()
            + entry.front.iter().map(Vec::len).sum::<usize>();
        if self.solve_log.len() < MAX_LOGGED_SOLVES
            && self.logged_numbers + size <= MAX_LOGGED_NUMBERS
        {
            self.logged_numbers += size;
            self.solve_log.push(entry);
        } else {
            self.solves_not_logged += 1;
        }
    }
}

/// What a solve leaves for plotting: the objective (and violation) per iteration, or
/// the Pareto front.
#[derive(Clone, Debug)]
pub struct SolveLog {
    pub problem: String,
    pub solver: String,
    pub history: Vec<f64>,
    pub violation: Vec<f64>,
    /// Objective vectors of the front, for several objectives.
    pub front: Vec<Vec<f64>>,
    /// The Result's status.
    pub status: &'static str,
    /// Whether the Result's `f` or point (or front) holds NaN.
    pub nan: bool,
}

/// A method's parameters from its constructor's symbolic object, each checked
/// against the domain its signature declares (never silently the default).
fn params_of(s: &SymObj, sig: &Signature, span: Span) -> EvalResult<Params> {
    let mut params = Params::default();
    for p in sig.params {
        let value = match s.get(p.name) {
            Some(v) => param_value(v, &p.domain, span)?,
            None => default_value(&p.default),
        };
        match p.domain.check(value) {
            Ok(v) => params.push(p.name, v),
            Err(bad) => {
                let found = match (&bad, s.get(p.name)) {
                    (ParamValue::Float(x), _) => Value::Float(*x),
                    (_, Some(v)) => v.clone(),
                    (_, None) => Value::Unit,
                };
                let want = match (&p.domain, &bad) {
                    (Domain::Float { .. }, ParamValue::Other(_)) => "a number".into(),
                    (domain, _) => domain.want(),
                };
                return Err(bad_option(s, p.name, &want, &found, span));
            }
        }
    }
    Ok(params)
}

/// An OptL value as a method parameter; an instance of the method a `Method`
/// domain names has its own parameters checked.
fn param_value(v: &Value, domain: &Domain, span: Span) -> EvalResult<ParamValue> {
    Ok(match v {
        Value::Int(n) => ParamValue::Int(*n),
        Value::Float(x) => ParamValue::Float(*x),
        Value::Str(s) => ParamValue::Str(s.to_string()),
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Sym(inner) if inner.family.kind == SymKind::Solver => {
            match (domain, registry::lookup(inner.name())) {
                (Domain::Method(want), Some(m)) if *want == &**inner.name() => {
                    ParamValue::Method(want.to_string(), params_of(inner, m.signature(), span)?)
                }
                _ => ParamValue::Other(inner.name().to_string()),
            }
        }
        other => ParamValue::Other(a_type(other)),
    })
}

fn default_value(d: &DefaultValue) -> ParamValue {
    match d {
        DefaultValue::Int(n) => ParamValue::Int(*n),
        DefaultValue::Float(x) => ParamValue::Float(*x),
        DefaultValue::Str(s) => ParamValue::Str(s.to_string()),
        DefaultValue::Bool(b) => ParamValue::Bool(*b),
        DefaultValue::Method(m) => ParamValue::Method(m.to_string(), Params::default()),
    }
}

fn bad_option(
    s: &SymObj,
    name: &str,
    want: &str,
    found: &Value,
    span: Span,
) -> Box<optl_syntax::Diagnostic> {
    err_label(
        codes::INVALID_ARGUMENT,
        format!(
            "`{name}` of `{}` must be {want}, found {}",
            s.name(),
            found.repr()
        ),
        span,
        "in this solver",
    )
}

/// `solve`'s own `tol` argument, if given: a finite number >= 0.
fn tol_arg(args: &Args) -> EvalResult<Option<f64>> {
    if !args.has(3) {
        return Ok(None);
    }
    match args.float(3)? {
        t if t.is_finite() && t >= 0.0 => Ok(Some(t)),
        t => Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("`tol` must be a finite number >= 0, found {t}"),
            args.span(3),
            "not a tolerance",
        )),
    }
}

/// A solve's wall-clock limit: its own `timeout`, never past what is left of the
/// run's time limit.
fn solve_timeout(interp: &Interp, args: &Args) -> EvalResult<Option<Duration>> {
    Ok(interp.within_time_left(args.opt_time_limit(5)?))
}

/// The problem argument: an instance, or a family whose parameters all have defaults.
pub(crate) fn problem_of(interp: &mut Interp, v: &Value, span: Span) -> EvalResult<Rc<SymObj>> {
    match v {
        Value::Sym(s) if s.family.kind == SymKind::Problem => Ok(s.clone()),
        Value::Family(f) if f.kind == SymKind::Problem => {
            match interp.instantiate(f, Vec::new(), span)? {
                Value::Sym(s) => Ok(s),
                _ => Err(err_label(
                    codes::TYPE_MISMATCH,
                    "expected a problem",
                    span,
                    "not a problem",
                )),
            }
        }
        other => Err(err_label(
            codes::TYPE_MISMATCH,
            format!("`solve` needs a problem, found {}", a_type(other)),
            span,
            "not a problem",
        )),
    }
}

/// The given method through the registry (its parameters checked, the problem's
/// structure accepted); `None` for `auto`, whose choice probes the model (§5).
fn given_plan(solver: Option<&SymObj>, s: &Structure, span: Span) -> EvalResult<Option<Plan>> {
    let Some(solver) = solver.filter(|s| &**s.name() != "auto") else {
        return Ok(None);
    };
    let Some(method) = registry::lookup(solver.name()) else {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("unknown solver `{}`", solver.name()),
            span,
            "not a solver",
        ));
    };
    if let Fit::No {
        message,
        label,
        hint,
    } = registry::fit(method, s)
    {
        let d = optl_syntax::Diagnostic::error(codes::INVALID_ARGUMENT, message)
            .at(span, label)
            .hint(hint);
        return Err(Box::new(d));
    }
    let params = params_of(solver, method.signature(), span)?;
    Ok(Some(Plan::given(method, params)))
}

/// `solve`'s `steps` (argument 2), at least 1 when given.
fn steps_arg(args: &Args) -> EvalResult<Option<usize>> {
    let Some(steps) = args.opt_int(2)? else {
        return Ok(None);
    };
    match usize::try_from(steps) {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => {
            let d = optl_syntax::Diagnostic::error(
                codes::INVALID_ARGUMENT,
                format!("`steps` must be an Int >= 1, found {steps}"),
            )
            .at(args.span(2), "no steps to take")
            .hint("leave `steps` out for the method's own limit");
            Err(Box::new(d))
        }
    }
}

/// The options of `solve(p, m, steps, tol, seed, timeout)`: the arguments given,
/// else the method's `max_iters` and `tol` parameters (not under `auto`).
fn solve_options(interp: &Interp, args: &Args, plan: &Plan) -> EvalResult<Options> {
    let mut opts = Options::default();
    if let Some(steps) = steps_arg(args)? {
        opts.max_iters = steps;
    } else if !plan.params.auto {
        opts.max_iters = plan.params.int("max_iters", opts.max_iters);
    }
    opts.max_iters_given = args.has(2);
    opts.tol_given = args.has(3);
    opts.tol = match tol_arg(args)? {
        Some(t) => t,
        None if !plan.params.auto => plan.params.float("tol", opts.tol),
        None => opts.tol,
    };
    opts.seed = args.opt_int(4)?.unwrap_or(0) as u64;
    opts.timeout = solve_timeout(interp, args)?;
    Ok(opts)
}

pub(crate) fn solve(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let started = Instant::now();
    let problem = problem_of(interp, args.value(0), args.span(0))?;
    let solver = match args.value(1) {
        Value::Unit => None,
        Value::Sym(s) if s.family.kind == SymKind::Solver => Some(s.clone()),
        Value::Sym(s) if matches!(s.family.kind, SymKind::Rule | SymKind::Chain) => {
            return solve_with_rule(interp, &problem, s, &args, started);
        }
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "expected a solver such as `lbfgs()`, found {}",
                    a_type(other)
                ),
                args.span(1),
                "not a solver",
            ));
        }
    };
    let traced = interp.trace_problem(&problem, args.span(0))?;
    if traced.lower.is_some() {
        return bilevel::solve(interp, &problem, traced, solver.as_deref(), &args, started);
    }
    let split = (traced.maximize.len() == 1).then(|| optl_ir::split_objective(&traced.function, 0));
    let structure = structure(&traced, split.as_ref());
    let given = given_plan(solver.as_deref(), &structure, args.span(1))?;
    let reference_front = reference_front(interp, &args, &structure)?;
    // `auto`'s candidates all evaluate often; a recognised structure may not.
    let runs_many = given.as_ref().is_none_or(|p| p.method.runs_many());
    let smooth = split
        .as_ref()
        .filter(|s| !s.terms.is_empty())
        .map(|s| &s.smooth);
    let mut model = ProblemModel::new(traced, smooth, &mut interp.engines, runs_many)
        .map_err(|e| crate::trace::ir_error(e, args.span(0)))?;
    let (x0, lower, upper) = model.start_and_bounds();
    let bounds = Bounds { lower, upper };
    // The model borrows the engines for the solve; `Lent` gives them back on every path.
    model.engines = std::mem::take(&mut interp.engines);
    model.progress = interp.progress.take();
    let lent = Lent {
        interp,
        model: &mut model,
    };
    let (interp, model) = (&mut *lent.interp, &mut *lent.model);
    if let Some(d) = nan_data(model, &x0, args.span(0)) {
        return Err(d);
    }
    let plan = match given {
        Some(plan) => plan,
        None => Plan::auto(&structure, model, &bounds),
    };
    let opts = solve_options(interp, &args, &plan)?;
    let result = match plan.run(model, &structure, &x0, &bounds, &opts) {
        Outcome::Point(r) => r,
        Outcome::Front(r) => {
            let signs: Vec<f64> = model
                .problem
                .maximize
                .iter()
                .map(|&m| if m { -1.0 } else { 1.0 })
                .collect();
            interp.log_solve(SolveLog {
                problem: problem.name().to_string(),
                solver: plan.method.signature().name.into(),
                history: Vec::new(),
                violation: Vec::new(),
                front: r
                    .front_f
                    .iter()
                    .map(|f| f.iter().zip(&signs).map(|(v, s)| v * s).collect())
                    .collect(),
                status: r.status.as_str(),
                nan: r
                    .front_f
                    .iter()
                    .chain(&r.front_x)
                    .flatten()
                    .any(|v| v.is_nan()),
            });
            return Ok(front_value(
                model,
                &r,
                &signs,
                reference_front.as_deref(),
                started,
            ));
        }
    };
    if let Some(e) = model.error.take() {
        return Err(evaluation_error(e, args.span(0)));
    }
    let sign = if model.problem.maximize.first().copied().unwrap_or(false) {
        -1.0
    } else {
        1.0
    };
    interp.log_solve(SolveLog {
        problem: problem.name().to_string(),
        solver: solver
            .as_ref()
            .map_or("auto".into(), |s| s.name().to_string()),
        history: result.history.iter().map(|f| sign * f).collect(),
        violation: result.violation_history.clone(),
        front: Vec::new(),
        status: result.status.as_str(),
        nan: has_nan(&result),
    });
    let warnings = nonsmooth_warnings(&structure, result.method);
    Ok(result_value(
        model,
        &result,
        (result.method, plan.reason),
        warnings,
        started,
    ))
}

/// Refuses to train a rule on a bilevel problem: a rule steps one level's
/// variables and would ignore the lower problem (docs/language.md, *Bilevel
/// problems*).
fn single_level(traced: &crate::numeric::TracedProblem, at: Span) -> EvalResult<()> {
    let Some(lower) = &traced.lower else {
        return Ok(());
    };
    let d = optl_syntax::Diagnostic::error(
        codes::INVALID_ARGUMENT,
        format!(
            "`{}` is a bilevel problem (its lower problem is `{}`), and a rule trains single-level problems",
            traced.name, lower.name
        ),
    )
    .at(at, "this rule would ignore the lower problem")
    .also(lower.span, "the lower problem")
    .hint("solve it with `implicit()`, `bilevel_penalty()`, `unrolled()` or `auto`");
    Err(Box::new(d))
}

/// Data holding NaN where the problem needs numbers: when the problem's
/// constants hold NaN and an objective is NaN at the start, the error names the
/// data (a solve would only say `diverged` at the start). NaN data the problem
/// masks out (`where(isnan(A), 0, A)`) leaves the objective finite and passes.
fn nan_data(
    model: &mut ProblemModel,
    x0: &[f64],
    at: Span,
) -> Option<Box<optl_syntax::Diagnostic>> {
    let graph = &model.problem.function.graph;
    let (mut tensors, mut entries) = (0usize, 0usize);
    let mut shape = Vec::new();
    for node in graph.nodes() {
        if let optl_ir::Op::Const(c) = node.op {
            let t = graph.constant_value(c);
            let nan = t.iter().filter(|v| v.is_nan()).count();
            if nan > 0 {
                tensors += 1;
                entries += nan;
                shape = t.shape().to_vec();
            }
        }
    }
    if entries == 0 || !model.objective_values(x0).iter().any(|f| f.is_nan()) {
        return None;
    }
    let d = optl_syntax::Diagnostic::error(
        codes::INVALID_ARGUMENT,
        format!(
            "`{}` reads data holding NaN ({entries} NaN entries in {tensors} constant(s), the last of shape {}), and its objective is NaN at the start",
            model.problem.name,
            optl_tensor::shape_str(&shape)
        ),
    )
    .at(at, "this problem")
    .hint("clean the data before solving (drop those rows, or replace the entries: `where(isnan(A), 0, A)`)");
    Some(Box::new(d))
}

/// Returns the engines a model borrowed to the interpreter when a solve ends.
struct Lent<'a, M: Borrower = ProblemModel> {
    interp: &'a mut Interp,
    model: &'a mut M,
}

/// A model holding the interpreter's engines and progress callback for a solve
/// (a bilevel model holds them in its upper level).
trait Borrower {
    fn borrower(&mut self) -> &mut ProblemModel;
}

impl Borrower for ProblemModel {
    fn borrower(&mut self) -> &mut ProblemModel {
        self
    }
}

impl<M: Borrower> Drop for Lent<'_, M> {
    fn drop(&mut self) {
        let model = self.model.borrower();
        self.interp.engines = std::mem::take(&mut model.engines);
        self.interp.progress = model.progress.take();
        self.interp.report(&crate::progress::Progress::Done);
    }
}

/// A problem prepared for training rules on it: traced, differentiated and compiled
/// once, then trained on by any number of rules (`solve(p, rule)` trains one;
/// `discover` trains every candidate on the same tasks).
pub(crate) struct RuleTask {
    model: ProblemModel,
}

impl RuleTask {
    /// Prepares `problem` (at `problem_span`) for the rule at `rule_span`.
    pub(crate) fn new(
        interp: &mut Interp,
        problem: &Rc<SymObj>,
        problem_span: Span,
        rule_span: Span,
    ) -> EvalResult<RuleTask> {
        let traced = interp.trace_problem(problem, problem_span)?;
        single_level(&traced, rule_span)?;
        if traced.maximize.len() != 1 || !traced.constraints.is_empty() {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                "a rule solves problems with one objective and no general constraints (bounds are fine)",
                rule_span,
                "use `auglag()` or `nsga2()` for this problem",
            ));
        }
        if let Some(v) = traced.vars.iter().find(|v| v.set.is_some()) {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "a rule projects onto boxes, and `{}` is declared in a set",
                    v.name
                ),
                rule_span,
                "use `fista()` or `frank_wolfe()` for vars in sets",
            ));
        }
        let model = ProblemModel::new(traced, None, &mut interp.engines, true)
            .map_err(|e| crate::trace::ir_error(e, problem_span))?;
        Ok(RuleTask { model })
    }

    /// Whether the problem maximizes (its `f` is then negated inside the solve).
    pub(crate) fn maximizes(&self) -> bool {
        self.model.problem.maximize[0]
    }

    /// Runs `rule` from the problem's start (`driver.rs`), lending the interpreter's
    /// engines to the model meanwhile.
    pub(crate) fn train(
        &mut self,
        interp: &mut Interp,
        rule: &Rc<SymObj>,
        settings: TrainSettings,
        span: Span,
    ) -> EvalResult<SolveResult> {
        let model = &mut self.model;
        model.evals = 0;
        model.error = None;
        model.engines = std::mem::take(&mut interp.engines);
        let outcome = driver::run_rule(interp, model, rule, settings, span);
        interp.engines = std::mem::take(&mut model.engines);
        outcome
    }
}

/// A training run made of compiled kernels and plain data, ready for any thread
/// ([`RuleTask::jobs`]).
pub(crate) struct TrainingJob {
    steps: driver::KernelSteps,
    run: driver::Run,
}

impl TrainingJob {
    /// Trains once per value of the `ordinal`-th Float hyper-parameter: its traced
    /// value times each factor (computed as `value * factor`, as a rule whose
    /// hyper-parameter holds that product traces it), on the one compiled update.
    /// A factor other than 1 fails when the rule traced its hyper-parameters as
    /// constants. Each run gives the same result as [`RuleTask::train`] of the rule
    /// with that value; with the number of kernel runs.
    pub(crate) fn run_sweep(
        mut self,
        ordinal: usize,
        factors: &[f64],
    ) -> (Vec<optl_ir::IrResult<SolveResult>>, u64) {
        let base = self.run.hyper(ordinal);
        let mut out = Vec::with_capacity(factors.len());
        for &factor in factors {
            let r = match base {
                Some(v) => {
                    self.run.set_hyper(ordinal, v * factor);
                    driver::train(&mut self.steps, &self.run)
                }
                None if factor == 1.0 => driver::train(&mut self.steps, &self.run),
                None => Err(optl_ir::IrError::Invalid(
                    "the rule's hyper-parameters are constants of its program, so its `lr` cannot be swept".into(),
                )),
            };
            out.push(r);
        }
        (out, self.steps.runs)
    }
}

impl RuleTask {
    /// Prepares the training of each `(task, rule)` pair on this thread: the rules
    /// traced here, their updates compiled on all cores (each worker with its own
    /// JIT; these kernels serve one run each, so they are not cached). `None` for a
    /// pair that trains through [`RuleTask::train`] instead: when the objective or
    /// the update is not one compiled kernel, or the rule probes the Hessian with
    /// `hutchinson()`.
    pub(crate) fn jobs(
        interp: &mut Interp,
        pairs: Vec<(&RuleTask, &Rc<SymObj>, TrainSettings)>,
        span: Span,
    ) -> EvalResult<Vec<Option<TrainingJob>>> {
        let mut traced = Vec::with_capacity(pairs.len());
        let mut updates = Vec::new();
        for (task, rule, settings) in pairs {
            let Some(objective) = task.model.kernel_objective() else {
                traced.push(None);
                continue;
            };
            let (mut run, update) = driver::trace_rule(interp, &task.model, rule, span)?;
            if run.probes() {
                traced.push(None);
                continue;
            }
            run.settings = settings;
            traced.push(Some((run, objective)));
            updates.push(update);
        }
        let mut kernels = interp.engines.compile_all(&updates).into_iter();
        Ok(traced
            .into_iter()
            .map(|t| {
                let ((run, objective), update) = t.and_then(|t| Some((t, kernels.next()??)))?;
                Some(TrainingJob {
                    steps: driver::KernelSteps {
                        objective,
                        update,
                        runs: 0,
                    },
                    run,
                })
            })
            .collect())
    }
}

/// `solve(p, rule, steps = N)`: the first-order driver (`driver.rs`).
fn solve_with_rule(
    interp: &mut Interp,
    problem: &Rc<SymObj>,
    rule: &Rc<SymObj>,
    args: &Args,
    started: Instant,
) -> EvalResult<Value> {
    let steps = steps_arg(args)?.unwrap_or(1000);
    let tol = tol_arg(args)?.unwrap_or(1e-10);
    let timeout = solve_timeout(interp, args)?;
    let mut task = RuleTask::new(interp, problem, args.span(0), args.span(1))?;
    let settings = TrainSettings {
        steps,
        tol,
        timeout,
        seed: args.opt_int(4)?.unwrap_or(0) as u64,
    };
    let outcome = task.train(interp, rule, settings, args.span(1));
    interp.report(&crate::progress::Progress::Done);
    let mut result = outcome?;
    result.guard_nan();
    let model = &task.model;
    let sign = if model.problem.maximize[0] { -1.0 } else { 1.0 };
    interp.log_solve(SolveLog {
        problem: problem.name().to_string(),
        solver: match rule.family.kind {
            SymKind::Chain => "chain".into(),
            _ => rule.name().to_string(),
        },
        history: result.history.iter().map(|f| sign * f).collect(),
        violation: Vec::new(),
        front: Vec::new(),
        status: result.status.as_str(),
        nan: has_nan(&result),
    });
    let rule_name = match rule.family.kind {
        SymKind::Chain => "chain".to_string(),
        _ => rule.name().to_string(),
    };
    Ok(result_value(
        model,
        &result,
        (&rule_name, "given"),
        Vec::new(),
        started,
    ))
}

/// The error that ended a solve while it evaluated the problem: a linear-algebra
/// failure keeps its own code (singular, not positive definite, non-finite), any
/// other is an element limit hit by an intermediate value.
fn evaluation_error(e: IrError, span: Span) -> Box<optl_syntax::Diagnostic> {
    let label = "while evaluating this problem";
    match e {
        IrError::Linalg(e) => {
            let d = crate::builtins::linalg_error(e, span);
            let mut d = *d;
            if let Some(l) = d.labels.first_mut() {
                l.message = label.into();
            }
            Box::new(d)
        }
        other => err_label(codes::TENSOR_TOO_LARGE, other.to_string(), span, label),
    }
}

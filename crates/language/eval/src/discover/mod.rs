//! `discover(start, tasks, trials, population, seed, ...)` (LANGUAGE.md §9): evolves
//! rule programs from a start rule by regularized evolution (Real et al. 2019, as in
//! AutoML-Zero and the search that found Lion). This is the OptL binding of
//! `optl-discover`, which holds the evolution, the mutations and the simplification:
//! here are the builtin's arguments and diagnostics, the start's tuning, the
//! conversion of rule bodies to and from its programs (`convert.rs`), and the
//! candidates' keys and scores. Each candidate is a mutated copy of a parent's body,
//! keyed by its functional hash so that equivalent programs are scored once, and
//! scored at its best learning rate by training on every task with the rule driver
//! (`train.rs`); a winner must also beat the start on the funnel tasks. Survivors
//! are simplified, trained again, judged on the held-out tasks and returned as rules
//! and as OptL source (`result.rs`).
//!
//! A candidate's score is the mean over tasks of log10 of its final loss relative to
//! the tuned start's: -1 means ten times lower losses; the start scores 0. Losses
//! are floored at [`LOSS_FLOOR`], so tasks are meant to be losses (objectives >= 0).

mod convert;
mod result;
mod shared;
mod train;

use result::{Tally, finish, result_value};
pub use train::LOSS_FLOOR;
use train::{Failure, TaskSet, Trainer};

use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::progress::{Progress, ProgressFn};
use crate::solve::{RuleTask, problem_of};
use crate::value::{Family, SymKind, SymObj, Value};
use convert::Lowered;
use optl_discover::evolve::{self, Evaluation, Scored};
use optl_discover::{Child, Counts};
use optl_syntax::ast::{Decl, Ident, Stmt, StmtKind};
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use rand::rngs::ChaCha8Rng;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub(crate) const TABLE: &[Entry] = &[(
    "discover",
    "start?, tasks, trials?, population?, seed?, tournament?, steps?, top?, timeout?, storage?, name?, sweep?, heldout?, funnel?",
    discover,
    "Evolves rules from `start` (default `adamw()`) by regularized evolution, scoring each at its best learning rate of a `sweep` by training on the `tasks` (problems) for `steps` steps, re-checked on `funnel` tasks and judged on `heldout` tasks; returns the best rules as rules and OptL source. With `storage` the study is kept (and shared by workers) as `search`'s.",
)];

/// Children proposed from one state of the population and trained together. (Over
/// 8 seeds of the example's search with 300 trials, batches of 1, 4 and 8 gave mean
/// scores of -4.45, -3.69 and -4.78: the lag costs nothing that the noise shows.)
const BATCH: usize = 8;

/// The name of discovered rules.
const DISCOVERED: &str = "discovered";

/// What training a candidate gave besides its score: the chosen factor of its
/// `lr`, its final loss per task there, and its score on the funnel tasks when it
/// was checked there.
#[derive(Clone, Debug)]
struct Outcome {
    factor: f64,
    losses: Rc<[f64]>,
    funnel: Option<f64>,
}

/// A trained candidate: its score and outcome.
type Trained = Scored<Rc<SymObj>, Outcome>;

/// The most multipliers a sweep may have (powers of 2 up to 2^7 either way).
const MAX_SWEEP: usize = 15;

/// Settings of one `discover` call.
struct Settings {
    trials: usize,
    population: usize,
    tournament: usize,
    steps: usize,
    top: usize,
    timeout: Option<Duration>,
    sweep: usize,
}

fn settings(args: &Args) -> EvalResult<Settings> {
    let timeout = args.opt_time_limit(8)?;
    let sweep = args.opt_positive(11, 5)?;
    if sweep > MAX_SWEEP {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("`sweep` is {sweep}; at most {MAX_SWEEP} multipliers of `lr` are tried"),
            args.span(11),
            "too many",
        ));
    }
    Ok(Settings {
        trials: args.opt_positive(2, 200)?,
        population: args.opt_positive(3, 20)?,
        tournament: args.opt_positive(5, 5)?,
        steps: args.opt_positive(6, 200)?,
        top: args.opt_positive(7, 3)?,
        timeout,
        sweep,
    })
}

/// The start rule: a rule instance (a chain is not one program, so it cannot evolve).
/// `adamw()` from the prelude (LANGUAGE.md §9's default start).
fn default_start(interp: &mut Interp, span: Span) -> EvalResult<Rc<SymObj>> {
    let adamw = interp.prelude.as_ref().and_then(|p| p.lookup("adamw"));
    match adamw {
        Some(Value::Family(f)) => start_rule(&interp.instantiate(&f, Vec::new(), span)?, span),
        _ => Err(err_label(
            codes::INVALID_ARGUMENT,
            "`discover` needs a `start` rule here (the default, `adamw()`, is not defined)",
            span,
            "give `start = ...`",
        )),
    }
}

fn start_rule(v: &Value, span: Span) -> EvalResult<Rc<SymObj>> {
    match v {
        Value::Sym(s) if s.family.kind == SymKind::Rule => Ok(s.clone()),
        Value::Family(f) if f.kind == SymKind::Rule => Err(err_label(
            codes::TYPE_MISMATCH,
            format!(
                "`discover` starts from a rule instance; `{}` is the rule itself",
                f.name()
            ),
            span,
            format!("write `{}()` for its defaults", f.name()),
        )),
        Value::Sym(s) if s.family.kind == SymKind::Chain => Err(err_label(
            codes::INVALID_ARGUMENT,
            "`discover` evolves one rule, not a chain",
            span,
            "a chain",
        )),
        other => Err(err_label(
            codes::TYPE_MISMATCH,
            format!("`start` must be a rule, found {}", a_type(other)),
            span,
            "not a rule",
        )),
    }
}

/// The tasks: a non-empty list of problems (instances, or families whose parameters
/// all have defaults).
fn tasks_of(v: &Value, span: Span) -> EvalResult<Vec<Value>> {
    let items = match v {
        Value::List(items) if !items.is_empty() => items.to_vec(),
        Value::List(_) => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                "`tasks` is empty",
                span,
                "give at least one problem",
            ));
        }
        Value::Sym(_) | Value::Family(_) => vec![v.clone()],
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!(
                    "`tasks` must be a list of problems, found {}",
                    a_type(other)
                ),
                span,
                "not a list",
            ));
        }
    };
    for t in &items {
        let is_problem = match t {
            Value::Sym(s) => s.family.kind == SymKind::Problem,
            Value::Family(f) => f.kind == SymKind::Problem,
            _ => false,
        };
        if !is_problem {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("every task must be a problem, found {}", a_type(t)),
                span,
                "in these tasks",
            ));
        }
    }
    Ok(items)
}

/// A rule instance with `body` in place of `parent`'s, under the same
/// hyper-parameters and scope.
fn with_body(parent: &SymObj, body: Vec<Stmt>) -> Rc<SymObj> {
    discovered(parent, body, parent.args.clone())
}

/// A rule named `discovered` (so that its source never redeclares the start) with
/// `parent`'s parameters and scope, `body` and hyper-parameter values `args`.
fn discovered(parent: &SymObj, body: Vec<Stmt>, args: Vec<(Rc<str>, Value)>) -> Rc<SymObj> {
    let f = &parent.family;
    let family = Family {
        kind: SymKind::Rule,
        decl: Decl {
            name: Ident {
                name: DISCOVERED.into(),
                span: f.decl.name.span,
            },
            params: f.decl.params.clone(),
            body: Rc::new(body),
        },
        env: f.env.clone(),
        span: f.span,
    };
    Rc::new(SymObj {
        family: Rc::new(family),
        args,
    })
}

/// The rule as OptL source: its hyper-parameters (bound values as defaults, with
/// their declared domains) and body.
pub fn rule_source(rule: &SymObj) -> String {
    let decl = rule.family.params();
    let params: Vec<String> = rule
        .args
        .iter()
        .enumerate()
        .map(|(i, (n, v))| {
            let domain = decl
                .get(i)
                .and_then(|p| p.domain.as_ref())
                .map_or(String::new(), |d| {
                    format!(
                        " in {}{}, {}{}",
                        if d.lo_open { "(" } else { "[" },
                        expr(&d.lo),
                        expr(&d.hi),
                        if d.hi_open { ")" } else { "]" }
                    )
                });
            format!("{n} = {}{domain}", v.repr())
        })
        .collect();
    let mut out = format!("rule {}({}) {{\n", rule.name(), params.join(", "));
    for s in rule.family.decl.body.iter() {
        let line = match &s.kind {
            StmtKind::State(n, e) => format!("state {} = {}", n.name, expr(e)),
            StmtKind::Let(n, e) => format!("let {} = {}", n.name, expr(e)),
            StmtKind::Assign(n, e) => format!("{} = {}", n.name, expr(e)),
            _ => continue,
        };
        let _ = writeln!(out, "  {line}");
    }
    out.push('}');
    out
}

fn expr(e: &optl_syntax::ast::Expr) -> String {
    optl_syntax::print::expr_to_source(e)
}

/// Prepares each task of `tasks` (at `span`, for the rule at `rule_span`) for
/// training; a task that maximizes is refused.
fn prepare(
    interp: &mut Interp,
    tasks: &[Value],
    span: Span,
    rule_span: Span,
) -> EvalResult<TaskSet> {
    let mut prepared = Vec::with_capacity(tasks.len());
    for t in tasks {
        let problem = problem_of(interp, t, span)?;
        let task = RuleTask::new(interp, &problem, span, rule_span)?;
        if task.maximizes() {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "task `{}` maximizes; `discover`'s tasks minimize a loss",
                    problem.name()
                ),
                span,
                "in these tasks",
            ));
        }
        prepared.push(task);
    }
    Ok(TaskSet {
        tasks: prepared,
        reference: Vec::new(),
    })
}

/// The start tuned on `set`: its best `lr` over the wide sweep, then over the
/// sweep around that, folded in (untuned without a sweep); the set's reference becomes its losses there.
/// What the start fails with is the whole call's error, at `at`.
fn tune_start(
    trainer: &mut Trainer,
    set: &mut TaskSet,
    start: &Rc<SymObj>,
    at: Span,
) -> EvalResult<Rc<SymObj>> {
    set.reference.clear();
    let mut rule = start.clone();
    let sweep = trainer.sweep.clone();
    // Without a sweep (`sweep = 1`) the start is not tuned either.
    let wide: &[f64] = if sweep.len() > 1 {
        &train::WIDE
    } else {
        &[1.0]
    };
    for factors in [wide, &sweep[..]] {
        let tuned = trainer
            .tuned(set, std::slice::from_ref(&rule), factors)
            .remove(0);
        let tuned = tuned.map_err(|f| start_failure(f, trainer.span, at))?;
        rule = train::scaled(&rule, tuned.factor);
        set.reference = tuned.losses;
    }
    Ok(rule)
}

/// Why the start could not be tuned, as the call's error.
fn start_failure(f: Failure, span: Span, at: Span) -> Box<Diagnostic> {
    match f {
        Failure::Fatal(d) => d,
        Failure::OutOfTime => err_label(
            codes::TIMEOUT,
            "`discover` ran out of time while tuning the start rule",
            span,
            "give it a longer `timeout`",
        ),
        Failure::Candidate(m) => err_label(
            codes::INVALID_ARGUMENT,
            format!("the start rule fails on the tasks at every learning rate tried: {m}"),
            at,
            "this rule",
        ),
    }
}

/// The optional task list at argument `i`.
fn opt_tasks(args: &Args, i: usize) -> EvalResult<Option<Vec<Value>>> {
    match args.value(i) {
        Value::Unit => Ok(None),
        v => tasks_of(v, args.span(i)).map(Some),
    }
}

fn discover(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let start = match args.value(0) {
        Value::Unit => default_start(interp, args.span)?,
        v => start_rule(v, args.span(0))?,
    };
    let tasks = tasks_of(args.value(1), args.span(1))?;
    let heldout_tasks = opt_tasks(&args, 12)?;
    let funnel_tasks = opt_tasks(&args, 13)?;
    let set = settings(&args)?;
    let seed = args.opt_int(4)?.unwrap_or(0) as u64;
    let span = args.span;
    // Every declaration is checked before anything trains.
    let mut proxy = prepare(interp, &tasks, args.span(1), args.span(0))?;
    let mut funnel = match &funnel_tasks {
        Some(t) => Some(prepare(interp, t, args.span(13), args.span(0))?),
        None => None,
    };
    let mut heldout = match &heldout_tasks {
        Some(t) => Some(prepare(interp, t, args.span(12), args.span(0))?),
        None => None,
    };
    let mut trainer = Trainer {
        interp,
        steps: set.steps,
        span,
        deadline: set.timeout.map(|t| Instant::now() + t),
        sweep: train::sweep_factors(set.sweep),
        trainings: 0,
    };
    // Every score compares with the start tuned on the same tasks.
    let tuned_start = tune_start(&mut trainer, &mut proxy, &start, args.span(0))?;
    if let Some(f) = funnel.as_mut() {
        tune_start(&mut trainer, f, &start, args.span(13))?;
    }
    let shared = match args.value(9) {
        Value::Unit => None,
        _ => {
            let text = args.str(9)?;
            let mut ledger = crate::search::run::open_store(trainer.interp, &text, args.span(9))?;
            let name = match args.value(10) {
                Value::Unit => "discovery".to_string(),
                _ => args.str(10)?.to_string(),
            };
            let hashes = |ts: &[Value], interp: &mut Interp| -> Vec<String> {
                ts.iter()
                    .map(|t| crate::hashing::value_hash(interp, t, span))
                    .collect()
            };
            let tasks_text = hashes(&tasks, trainer.interp);
            let funnel_text = hashes(funnel_tasks.as_deref().unwrap_or(&[]), trainer.interp);
            let space = format!(
                "start {} tasks {} funnel {}",
                rule_source(&start),
                tasks_text.join(" "),
                funnel_text.join(" ")
            );
            let algo = format!(
                "discover(population={}, tournament={}, steps={}, batch={BATCH}, sweep={})",
                set.population, set.tournament, set.steps, set.sweep
            );
            ledger
                .join(&name, &space, &algo, seed)
                .map_err(|m| err_label(codes::STUDY_STORAGE, m, args.span(9), "this storage"))?;
            Some(shared::Shared { ledger, posted: 0 })
        }
    };
    // The embedder's progress callback hears of the search, not of each solve.
    let hook = trainer.interp.progress.take();
    let start_losses: Rc<[f64]> = proxy.reference.clone().into();
    let mut search = Discovery {
        hparams: start.args.iter().map(|(n, _)| n.clone()).collect(),
        given_start: start.clone(),
        trainer,
        proxy,
        funnel,
        funnel_rejected: 0,
        hook,
        trials: set.trials,
        shared,
    };
    let start = Trained {
        candidate: tuned_start,
        score: 0.0,
        data: Outcome {
            factor: 1.0,
            losses: start_losses,
            funnel: None,
        },
    };
    let evolution = evolve::Settings {
        trials: set.trials,
        population: set.population,
        tournament: set.tournament,
        top: set.top,
        batch: BATCH,
        seed,
        cache: optl_discover::evolve::CACHE_LIMIT,
    };
    let evolved = evolve::evolve(&mut search, start.clone(), &evolution);
    let evolved = match evolved {
        Ok(e) => finish(&mut search, e, heldout.as_mut(), args.span(0)),
        Err(e) => Err(e),
    };
    let mut hook = search.hook.take();
    if evolved.is_ok()
        && let Some(f) = hook.as_mut()
    {
        f(&Progress::Done);
    }
    search.trainer.interp.progress = hook;
    let (entries, counts, stop, redundant) = evolved?;
    Ok(result_value(
        entries,
        &start,
        &counts,
        stop,
        Tally {
            trainings: search.trainer.trainings,
            funnel_rejected: search.funnel_rejected,
            redundant,
            heldout: heldout.map(|h| h.reference),
        },
    ))
}

/// A discovery as `optl_discover` sees it: candidates are rule instances that share
/// the start's hyper-parameter names and scope, keyed by their functional hash and
/// scored by training on the tasks at their best learning rate.
struct Discovery<'a> {
    trainer: Trainer<'a>,
    hparams: Vec<Rc<str>>,
    /// The start as given (before tuning), which held-out tasks tune afresh.
    given_start: Rc<SymObj>,
    /// The tasks scores are measured on.
    proxy: TaskSet,
    /// The larger tasks a winner must also beat the start on.
    funnel: Option<TaskSet>,
    funnel_rejected: usize,
    /// The embedder's progress callback, held while the search runs.
    hook: Option<ProgressFn>,
    trials: usize,
    /// The stored study, with `storage`.
    shared: Option<shared::Shared>,
}

impl Discovery<'_> {
    /// Trains `rules` on the proxy tasks at their best factor of the sweep.
    fn evaluate_here(&mut self, rules: &[Rc<SymObj>]) -> Vec<Evaluation<Outcome, Box<Diagnostic>>> {
        let sweep = self.trainer.sweep.clone();
        let tuned = self.trainer.tuned(&mut self.proxy, rules, &sweep);
        tuned.into_iter().map(evaluation).collect()
    }
}

/// A tuned training as an evaluation.
fn evaluation(r: Result<train::Tuned, Failure>) -> Evaluation<Outcome, Box<Diagnostic>> {
    match r {
        Ok(t) => Ok((
            t.score,
            Outcome {
                factor: t.factor,
                losses: t.losses.into(),
                funnel: None,
            },
        )),
        Err(Failure::Candidate(_)) => Err(evolve::Failure::Rejected),
        Err(Failure::OutOfTime) => Err(evolve::Failure::OutOfTime),
        Err(Failure::Fatal(d)) => Err(evolve::Failure::Fatal(d)),
    }
}

impl evolve::Search for Discovery<'_> {
    type Candidate = Rc<SymObj>;
    type Key = [u8; 16];
    type Data = Outcome;
    type Error = Box<Diagnostic>;

    fn proceed(&mut self) -> EvalResult<bool> {
        if self.trainer.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        // The run's own time and step budgets end the search with their error,
        // even when they ran out inside a candidate that merely failed.
        let (interp, span) = (&mut *self.trainer.interp, self.trainer.span);
        interp.check_time(span).and_then(|()| interp.tick(span))?;
        Ok(true)
    }

    /// A child, or `None` when it is invalid (no mutation applied, or a
    /// hyper-parameter left its declared domain).
    fn child(&mut self, parent: &Rc<SymObj>, rng: &mut ChaCha8Rng) -> Option<Rc<SymObj>> {
        let span = self.trainer.span;
        let c = child_of(parent, &self.hparams, span, rng)?;
        self.trainer.interp.check_domains(&c, &|_| span).ok()?;
        Some(c)
    }

    fn key(&mut self, rule: &Rc<SymObj>) -> Option<[u8; 16]> {
        let f = self
            .trainer
            .interp
            .trace_rule_for_hash(rule, self.trainer.span)
            .ok()?;
        Some(optl_ir::hash::functional_hash(&f, 0))
    }

    /// Trains the batch's new rules together (on all cores).
    fn evaluate(&mut self, rules: &[Rc<SymObj>]) -> Vec<Evaluation<Outcome, Box<Diagnostic>>> {
        if self.shared.is_some() {
            return shared::evaluate(self, rules);
        }
        self.evaluate_here(rules)
    }

    /// The rule at the learning rate it was scored with.
    fn settled(&mut self, rule: &Rc<SymObj>, data: &Outcome) -> Rc<SymObj> {
        train::scaled(rule, data.factor)
    }

    /// The funnel: a rule that beats the start on the proxy tasks must beat it
    /// on the funnel tasks too.
    fn admit(&mut self, s: &mut Trained) -> Result<bool, evolve::Failure<Box<Diagnostic>>> {
        let Some(set) = self.funnel.as_mut() else {
            return Ok(true);
        };
        if s.score >= 0.0 {
            return Ok(true);
        }
        let sweep = self.trainer.sweep.clone();
        let judged = self
            .trainer
            .tuned(set, std::slice::from_ref(&s.candidate), &sweep)
            .remove(0);
        let passed = match judged {
            Ok(t) => {
                s.data.funnel = Some(t.score);
                t.score < 0.0
            }
            Err(Failure::Candidate(_)) => false,
            Err(Failure::OutOfTime) => return Err(evolve::Failure::OutOfTime),
            Err(Failure::Fatal(d)) => return Err(evolve::Failure::Fatal(d)),
        };
        if !passed {
            self.funnel_rejected += 1;
        }
        Ok(passed)
    }

    /// Reports the search's progress to the embedder's callback, if any.
    fn progress(&mut self, counts: &Counts, best: Option<f64>) {
        if let Some(f) = self.hook.as_mut() {
            f(&Progress::Search {
                done: counts.proposed,
                total: self.trials,
                best,
                unique: counts.unique,
                cache_hits: counts.cache_hits,
                failures: counts.failures + counts.invalid,
            });
        }
    }
}

/// A child of `parent` (`optl_discover::child`): one Float hyper-parameter scaled,
/// or else its body mutated, new nodes spanning the `discover` call; `None` when no
/// mutation applied.
fn child_of(
    parent: &Rc<SymObj>,
    hparams: &[Rc<str>],
    span: Span,
    rng: &mut ChaCha8Rng,
) -> Option<Rc<SymObj>> {
    let body = &parent.family.decl.body;
    let mut lowered = Lowered::new(body);
    let cx = optl_discover::Context {
        hparams,
        origin: lowered.origin(span),
    };
    let hyper: Vec<Option<f64>> = parent
        .args
        .iter()
        .map(|(_, v)| match v {
            Value::Float(x) => Some(*x),
            _ => None,
        })
        .collect();
    match optl_discover::child(&lowered.program, &hyper, &cx, rng)? {
        Child::Hyper { index, value } => {
            let mut args = parent.args.clone();
            args[index].1 = Value::Float(value);
            Some(discovered(parent, body.to_vec(), args))
        }
        Child::Body(program) => Some(with_body(parent, lowered.raise(&program))),
    }
}

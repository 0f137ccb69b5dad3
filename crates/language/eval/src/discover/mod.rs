//! `discover(start, tasks, trials, population, seed, ...)` (LANGUAGE.md §9): evolves
//! rule programs from a start rule by regularized evolution (Real et al. 2019, as in
//! AutoML-Zero and the search that found Lion). This is the OptL binding of
//! `optl-discover`, which holds the evolution, the mutations and the simplification:
//! here are the builtin's arguments and diagnostics, the conversion of rule bodies
//! to and from its programs (`convert.rs`), and the candidates' keys and scores.
//! Each candidate is a mutated copy of a parent's body, keyed by its functional hash
//! so that equivalent programs are scored once, and scored by training on every task
//! with the rule driver (`train.rs`). Survivors are simplified (dead statements
//! dropped during evolution, bit-exact algebraic identities at the end) and returned
//! as rules and as OptL source.
//!
//! A candidate's score is the mean over tasks of log10 of its final loss relative to
//! the start rule's: -1 means ten times lower losses; the start scores 0. Losses are
//! floored at [`LOSS_FLOOR`], so tasks are meant to be losses (objectives >= 0).

mod convert;
mod shared;
mod train;

pub use train::LOSS_FLOOR;
use train::{Failure, Trainer};

use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::progress::{Progress, ProgressFn};
use crate::solve::{RuleTask, problem_of};
use crate::value::{Family, Record, SymKind, SymObj, Value};
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
    "start?, tasks, trials?, population?, seed?, tournament?, steps?, top?, timeout?, storage?, name?",
    discover,
    "Evolves rules from `start` (default `adamw()`) by regularized evolution, scoring each by training on the `tasks` (problems) for `steps` steps; returns the best rules as rules and OptL source. With `storage` the study is kept (and shared by workers) as `search`'s.",
)];

/// Children proposed from one state of the population and trained together. (Over
/// 8 seeds of the example's search with 300 trials, batches of 1, 4 and 8 gave mean
/// scores of -4.45, -3.69 and -4.78: the lag costs nothing that the noise shows.)
const BATCH: usize = 8;

/// The name of discovered rules.
const DISCOVERED: &str = "discovered";

/// A trained candidate: its score and its final loss per task.
type Trained = Scored<Rc<SymObj>, Rc<[f64]>>;

/// Settings of one `discover` call.
struct Settings {
    trials: usize,
    population: usize,
    tournament: usize,
    steps: usize,
    top: usize,
    timeout: Option<Duration>,
}

fn settings(args: &Args) -> EvalResult<Settings> {
    let timeout = args.opt_time_limit(8)?;
    Ok(Settings {
        trials: args.opt_positive(2, 200)?,
        population: args.opt_positive(3, 20)?,
        tournament: args.opt_positive(5, 5)?,
        steps: args.opt_positive(6, 200)?,
        top: args.opt_positive(7, 3)?,
        timeout,
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

/// The rule as OptL source: its hyper-parameters (bound values as defaults) and body.
pub fn rule_source(rule: &SymObj) -> String {
    let params: Vec<String> = rule
        .args
        .iter()
        .map(|(n, v)| format!("{n} = {}", v.repr()))
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

fn discover(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let start = match args.value(0) {
        Value::Unit => default_start(interp, args.span)?,
        v => start_rule(v, args.span(0))?,
    };
    let tasks = tasks_of(args.value(1), args.span(1))?;
    let set = settings(&args)?;
    let seed = args.opt_int(4)?.unwrap_or(0) as u64;
    let span = args.span;
    let mut prepared = Vec::with_capacity(tasks.len());
    for t in &tasks {
        let problem = problem_of(interp, t, args.span(1))?;
        let task = RuleTask::new(interp, &problem, args.span(1), args.span(0))?;
        if task.maximizes() {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "task `{}` maximizes; `discover`'s tasks minimize a loss",
                    problem.name()
                ),
                args.span(1),
                "in these tasks",
            ));
        }
        prepared.push(task);
    }
    let mut trainer = Trainer {
        interp,
        tasks: prepared,
        start_losses: Vec::new(),
        steps: set.steps,
        span,
        deadline: set.timeout.map(|t| Instant::now() + t),
    };
    // The start must train on every task: its losses are what scores compare with.
    let start_losses = match trainer.losses_of(std::slice::from_ref(&start)).remove(0) {
        Ok(l) => l,
        Err(Failure::Fatal(d)) => return Err(d),
        Err(Failure::OutOfTime) => {
            return Err(err_label(
                codes::TIMEOUT,
                "`discover` ran out of time while training the start rule",
                span,
                "give it a longer `timeout`",
            ));
        }
        Err(Failure::Candidate(m)) => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("the start rule fails on the tasks: {m}"),
                args.span(0),
                "this rule",
            ));
        }
    };
    trainer.start_losses = start_losses.clone();
    let shared = match args.value(9) {
        Value::Unit => None,
        _ => {
            let text = args.str(9)?;
            let mut ledger = crate::search::run::open_store(trainer.interp, &text, args.span(9))?;
            let name = match args.value(10) {
                Value::Unit => "discovery".to_string(),
                _ => args.str(10)?.to_string(),
            };
            let tasks_text: Vec<String> = tasks
                .iter()
                .map(|t| crate::hashing::value_hash(trainer.interp, t, span))
                .collect();
            let space = format!(
                "start {} tasks {}",
                rule_source(&start),
                tasks_text.join(" ")
            );
            let algo = format!(
                "discover(population={}, tournament={}, steps={}, batch={BATCH})",
                set.population, set.tournament, set.steps
            );
            ledger
                .join(&name, &space, &algo, seed)
                .map_err(|m| err_label(codes::STUDY_STORAGE, m, args.span(9), "this storage"))?;
            Some(shared::Shared { ledger, posted: 0 })
        }
    };
    // The embedder's progress callback hears of the search, not of each solve.
    let hook = trainer.interp.progress.take();
    let mut search = Discovery {
        hparams: start.args.iter().map(|(n, _)| n.clone()).collect(),
        trainer,
        hook,
        trials: set.trials,
        shared,
    };
    let start = Trained {
        candidate: start,
        score: 0.0,
        data: start_losses.into(),
    };
    let evolution = evolve::Settings {
        trials: set.trials,
        population: set.population,
        tournament: set.tournament,
        top: set.top,
        batch: BATCH,
        seed,
    };
    let evolved = evolve::evolve(&mut search, start.clone(), &evolution);
    let mut hook = search.hook.take();
    if evolved.is_ok()
        && let Some(f) = hook.as_mut()
    {
        f(&Progress::Done);
    }
    search.trainer.interp.progress = hook;
    let evolved = evolved?;
    result_value(&evolved.best, &start, &evolved.counts, evolved.stop)
}

/// A discovery as `optl_discover` sees it: candidates are rule instances that share
/// the start's hyper-parameter names and scope, keyed by their functional hash and
/// scored by training on the tasks.
struct Discovery<'a> {
    trainer: Trainer<'a>,
    hparams: Vec<Rc<str>>,
    /// The embedder's progress callback, held while the search runs.
    hook: Option<ProgressFn>,
    trials: usize,
    /// The stored study, with `storage`.
    shared: Option<shared::Shared>,
}

impl evolve::Search for Discovery<'_> {
    type Candidate = Rc<SymObj>;
    type Key = [u8; 16];
    type Data = Rc<[f64]>;
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

    fn child(&mut self, parent: &Rc<SymObj>, rng: &mut ChaCha8Rng) -> Option<Rc<SymObj>> {
        child_of(parent, &self.hparams, self.trainer.span, rng)
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
    fn evaluate(&mut self, rules: &[Rc<SymObj>]) -> Vec<Evaluation<Rc<[f64]>, Box<Diagnostic>>> {
        if self.shared.is_some() {
            return shared::evaluate(self, rules);
        }
        let trained = self.trainer.losses_of(rules);
        trained
            .into_iter()
            .map(|r| match r {
                Ok(losses) => Ok((self.trainer.score(&losses), losses.into())),
                Err(Failure::Candidate(_)) => Err(evolve::Failure::Rejected),
                Err(Failure::OutOfTime) => Err(evolve::Failure::OutOfTime),
                Err(Failure::Fatal(d)) => Err(evolve::Failure::Fatal(d)),
            })
            .collect()
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

/// The rule with its body simplified (`optl_discover::simplified`): the rewrites
/// keep every bit of training, so its score stands.
fn simplified(rule: &Rc<SymObj>) -> Rc<SymObj> {
    let lowered = Lowered::new(&rule.family.decl.body);
    match optl_discover::simplified(&lowered.program) {
        Some(program) => with_body(rule, lowered.raise(&program)),
        None => rule.clone(),
    }
}

/// The result record: the best rules, best first, and the counters.
fn result_value(
    best: &[Trained],
    start: &Trained,
    counts: &Counts,
    stop: evolve::Stop,
) -> EvalResult<Value> {
    let floats = |xs: &[f64]| Value::list(xs.iter().map(|x| Value::Float(*x)).collect());
    let entries: Vec<Value> = best
        .iter()
        .map(|s| {
            // Survivors are returned simplified.
            let rule = simplified(&s.candidate);
            Value::record(vec![
                ("rule".into(), Value::Sym(rule.clone())),
                ("source".into(), Value::str(&rule_source(&rule))),
                ("score".into(), Value::Float(s.score)),
                ("losses".into(), floats(&s.data)),
            ])
        })
        .collect();
    let best = match entries.first() {
        Some(Value::Record(r)) => r.clone(),
        _ => Rc::new(Record { fields: Vec::new() }),
    };
    let field = |n: &str| best.get(n).cloned().unwrap_or(Value::Unit);
    Ok(Value::record(vec![
        ("best".into(), field("rule")),
        ("source".into(), field("source")),
        ("score".into(), field("score")),
        ("losses".into(), field("losses")),
        ("start_losses".into(), floats(&start.data)),
        ("rules".into(), Value::list(entries)),
        ("trials".into(), Value::Int(counts.proposed as i64)),
        ("unique".into(), Value::Int(counts.unique as i64)),
        ("cache_hits".into(), Value::Int(counts.cache_hits as i64)),
        ("invalid".into(), Value::Int(counts.invalid as i64)),
        ("failures".into(), Value::Int(counts.failures as i64)),
        ("stop".into(), Value::str(stop.as_str())),
    ]))
}

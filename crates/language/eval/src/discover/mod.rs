//! `discover(start, tasks, trials, population, seed, ...)` (LANGUAGE.md §9): evolves
//! rule programs from a start rule by regularized evolution (Real et al. 2019, as in
//! AutoML-Zero and the search that found Lion). Each candidate is a mutated copy of
//! a parent's body (`mutate.rs`), keyed by its functional hash so that equivalent
//! programs are scored once, and scored by training on every task with the rule
//! driver. Survivors are simplified (dead statements dropped during evolution,
//! bit-exact algebraic identities at the end, `simplify.rs`) and returned as rules
//! and as OptL source.
//!
//! A candidate's score is the mean over tasks of log10 of its final loss relative to
//! the start rule's: -1 means ten times lower losses; the start scores 0. Losses are
//! floored at [`LOSS_FLOOR`], so tasks are meant to be losses (objectives >= 0).

mod mutate;
mod simplify;
mod train;

pub use train::LOSS_FLOOR;
use train::{Evolution, Failure};

use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::progress::Progress;
use crate::solve::{RuleTask, problem_of};
use crate::value::{Family, Record, SymKind, SymObj, Value};
use optl_syntax::ast::{Decl, Ident, Stmt, StmtKind};
use optl_syntax::codes;
use optl_syntax::span::Span;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub(crate) const TABLE: &[Entry] = &[(
    "discover",
    "start?, tasks, trials?, population?, seed?, tournament?, steps?, top?, timeout?",
    discover,
    "Evolves rules from `start` (default `adamw()`) by regularized evolution, scoring each by training on the `tasks` (problems) for `steps` steps; returns the best rules as rules and OptL source.",
)];

/// Children proposed from one state of the population and trained together. (Over
/// 8 seeds of the example's search with 300 trials, batches of 1, 4 and 8 gave mean
/// scores of -4.45, -3.69 and -4.78: the lag costs nothing that the noise shows.)
const BATCH: usize = 8;

/// The name of discovered rules.
const DISCOVERED: &str = "discovered";

/// A candidate's outcome: its score and its final loss per task.
#[derive(Clone)]
struct Outcome {
    score: f64,
    losses: Rc<[f64]>,
}

/// A trained candidate.
#[derive(Clone)]
struct Scored {
    rule: Rc<SymObj>,
    outcome: Outcome,
}

/// The `top` best distinct candidates, best first (a tie keeps the earlier first).
struct Best {
    top: usize,
    entries: Vec<Scored>,
}

impl Best {
    fn offer(&mut self, s: &Scored) {
        let at = self
            .entries
            .partition_point(|e| e.outcome.score <= s.outcome.score);
        if at < self.top {
            self.entries.insert(at, s.clone());
            self.entries.truncate(self.top);
        }
    }
}

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

/// Counters of a discovery, for the result record: `proposed` is `unique +
/// cache_hits + invalid`; `failures` counts the unique candidates that did not train.
#[derive(Default)]
struct Counts {
    proposed: usize,
    unique: usize,
    cache_hits: usize,
    /// Candidates that could not be made or traced (no mutation applied, or the
    /// program does not trace on a probe).
    invalid: usize,
    failures: usize,
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
    let hparams: Vec<Rc<str>> = start.args.iter().map(|(n, _)| n.clone()).collect();
    let cx = mutate::Context {
        hparams: &hparams,
        span,
    };
    let mut evo = Evolution {
        interp,
        tasks: prepared,
        start_losses: Vec::new(),
        steps: set.steps,
        span,
        deadline: set.timeout.map(|t| Instant::now() + t),
    };
    // The start must train on every task: its losses are what scores compare with.
    let start_losses = match evo.losses_of(std::slice::from_ref(&start)).remove(0) {
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
    evo.start_losses = start_losses.clone();
    let hash = |interp: &mut Interp, r: &Rc<SymObj>| -> Option<[u8; 16]> {
        let f = interp.trace_rule_for_hash(r, span).ok()?;
        Some(optl_ir::hash::functional_hash(&f, 0))
    };
    // The embedder's progress callback hears of the search, not of each solve.
    let mut hook = evo.interp.progress.take();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Memory stays bounded by the population and `top`: beyond them only each
    // candidate's hash and outcome are kept (the functional-equivalence cache).
    let mut seen: HashMap<[u8; 16], Option<Outcome>> = HashMap::new();
    let start = Scored {
        rule: start.clone(),
        outcome: Outcome {
            score: 0.0,
            losses: start_losses.into(),
        },
    };
    if let Some(h) = hash(evo.interp, &start.rule) {
        seen.insert(h, Some(start.outcome.clone()));
    }
    let mut best = Best {
        top: set.top,
        entries: vec![start.clone()],
    };
    let mut counts = Counts::default();
    // Oldest first.
    let mut population: VecDeque<Scored> = VecDeque::from([start.clone()]);
    let mut stopped = None;
    'search: while counts.proposed < set.trials {
        if evo.deadline.is_some_and(|d| Instant::now() >= d) {
            stopped = Some("timeout");
            break;
        }
        // The run's own time and step budgets end the search with their error,
        // even when they ran out inside a candidate that merely failed.
        if let Err(d) = evo
            .interp
            .check_time(span)
            .and_then(|()| evo.interp.tick(span))
        {
            evo.interp.progress = hook;
            return Err(d);
        }
        // A batch of children of the population as it stands, trained together
        // (on all cores), then recorded in order. The batch size is fixed, so the
        // search does not depend on the number of cores.
        let mut batch: Vec<Option<(Rc<SymObj>, [u8; 16])>> = Vec::new();
        for _ in 0..BATCH.min(set.trials - counts.proposed) {
            let parent = if population.len() < set.population {
                &population[rng.random_range(0..population.len())]
            } else {
                (0..set.tournament)
                    .map(|_| &population[rng.random_range(0..population.len())])
                    .min_by(|a, b| a.outcome.score.total_cmp(&b.outcome.score))
                    .unwrap_or(&start)
            };
            let parent = parent.rule.clone();
            let child = child_of(&parent, &cx, &mut rng);
            batch.push(child.and_then(|c| Some((c.clone(), hash(evo.interp, &c)?))));
        }
        // Train each new program once (a repeat within the batch is a cache hit).
        let mut fresh: Vec<[u8; 16]> = Vec::new();
        let mut rules = Vec::new();
        for (c, h) in batch.iter().flatten() {
            if !seen.contains_key(h) && !fresh.contains(h) {
                fresh.push(*h);
                rules.push(c.clone());
            }
        }
        let mut trained: HashMap<[u8; 16], Result<Vec<f64>, Failure>> =
            fresh.into_iter().zip(evo.losses_of(&rules)).collect();
        for proposal in batch {
            counts.proposed += 1;
            report(&mut hook, &counts, &best, set.trials);
            let Some((child, h)) = proposal else {
                counts.invalid += 1;
                continue;
            };
            let outcome = match (seen.get(&h), trained.remove(&h)) {
                (Some(known), _) => {
                    counts.cache_hits += 1;
                    known.clone()
                }
                (None, None) => None,
                (None, Some(losses)) => {
                    let known = match losses {
                        Ok(losses) => {
                            counts.unique += 1;
                            let outcome = Outcome {
                                score: evo.score(&losses),
                                losses: losses.into(),
                            };
                            best.offer(&Scored {
                                rule: child.clone(),
                                outcome: outcome.clone(),
                            });
                            Some(outcome)
                        }
                        Err(Failure::Fatal(d)) => {
                            evo.interp.progress = hook;
                            return Err(d);
                        }
                        Err(Failure::OutOfTime) => {
                            // Not evaluated: it and the rest of the batch count as
                            // not proposed.
                            counts.proposed -= 1;
                            stopped = Some("timeout");
                            break 'search;
                        }
                        Err(Failure::Candidate(_)) => {
                            counts.unique += 1;
                            counts.failures += 1;
                            None
                        }
                    };
                    seen.insert(h, known.clone());
                    known
                }
            };
            // A candidate that failed to train does not join the population.
            if let Some(outcome) = outcome {
                population.push_back(Scored {
                    rule: child,
                    outcome,
                });
                if population.len() > set.population {
                    population.pop_front();
                }
            }
        }
    }
    if let Some(f) = hook.as_mut() {
        f(&Progress::Done);
    }
    evo.interp.progress = hook;
    result_value(&best.entries, &start, &counts, stopped)
}

/// A child of `parent`: one Float hyper-parameter scaled (one child in eight), or
/// else its body mutated; `None` when no mutation applied.
fn child_of(parent: &Rc<SymObj>, cx: &mutate::Context, rng: &mut ChaCha8Rng) -> Option<Rc<SymObj>> {
    let hyper = match rng.random_bool(mutate::HYPER_RATE) {
        true => mutate::scale_hyper(&parent.args, rng),
        false => None,
    };
    match hyper {
        Some(args) => Some(discovered(parent, parent.family.decl.body.to_vec(), args)),
        None => {
            mutate::mutate(&parent.family.decl.body, cx, rng).map(|body| with_body(parent, body))
        }
    }
}

/// Reports the search's progress to the embedder's callback, if any.
fn report(
    hook: &mut Option<crate::progress::ProgressFn>,
    counts: &Counts,
    best: &Best,
    total: usize,
) {
    if let Some(f) = hook.as_mut() {
        f(&Progress::Search {
            done: counts.proposed,
            total,
            best: best.entries.first().map(|s| s.outcome.score),
            unique: counts.unique,
            cache_hits: counts.cache_hits,
            failures: counts.failures + counts.invalid,
        });
    }
}

/// The result record: the best rules, best first, and the counters.
fn result_value(
    best: &[Scored],
    start: &Scored,
    counts: &Counts,
    stopped: Option<&str>,
) -> EvalResult<Value> {
    let floats = |xs: &[f64]| Value::list(xs.iter().map(|x| Value::Float(*x)).collect());
    let entries: Vec<Value> = best
        .iter()
        .map(|s| {
            // Survivors are returned simplified; the rewrites keep every bit of
            // training, so the scores stand (`simplify.rs`).
            let rule = match simplify::simplified_body(&s.rule.family.decl.body) {
                Some(body) => with_body(&s.rule, body),
                None => s.rule.clone(),
            };
            Value::record(vec![
                ("rule".into(), Value::Sym(rule.clone())),
                ("source".into(), Value::str(&rule_source(&rule))),
                ("score".into(), Value::Float(s.outcome.score)),
                ("losses".into(), floats(&s.outcome.losses)),
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
        ("start_losses".into(), floats(&start.outcome.losses)),
        ("rules".into(), Value::list(entries)),
        ("trials".into(), Value::Int(counts.proposed as i64)),
        ("unique".into(), Value::Int(counts.unique as i64)),
        ("cache_hits".into(), Value::Int(counts.cache_hits as i64)),
        ("invalid".into(), Value::Int(counts.invalid as i64)),
        ("failures".into(), Value::Int(counts.failures as i64)),
        ("stop".into(), Value::str(stopped.unwrap_or("trials"))),
    ]))
}

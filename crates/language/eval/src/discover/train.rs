//! Training `discover`'s candidates: every rule of a batch on every task of a task
//! set, at every factor of a learning-rate sweep, the runs made of compiled kernels
//! alone on all cores, the others on the interpreter's thread; and the tuned score
//! that compares a candidate's best losses with the tuned start's.

use crate::evaluator::Interp;
use crate::solve::{RuleTask, TrainSettings};
use crate::value::SymObj;
use optl_solvers::{SolveResult, Status};
use optl_syntax::codes;
use optl_syntax::span::Span;
use rayon::prelude::*;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Losses below this count as this (log10 scores stay finite at an exact optimum).
pub const LOSS_FLOOR: f64 = 1e-12;

/// The gradient tolerance of training runs (`solve`'s default).
const TOL: f64 = 1e-10;

/// The training of candidates: the interpreter, the training settings and the
/// learning-rate sweep.
pub(super) struct Trainer<'a> {
    pub interp: &'a mut Interp,
    pub steps: usize,
    pub span: Span,
    pub deadline: Option<Instant>,
    /// The multipliers of `lr` a candidate is tried at, nearest to 1 first.
    pub sweep: Vec<f64>,
    /// Task runs made (each sweep factor on each task counts one).
    pub trainings: usize,
}

/// Tasks prepared once, with the tuned start's final loss on each (what scores
/// compare with; empty until the start is tuned).
pub(super) struct TaskSet {
    pub tasks: Vec<RuleTask>,
    pub reference: Vec<f64>,
}

/// A rule at its best learning rate: the factor of its `lr` (1 without one), the
/// final loss per task there and the score.
#[derive(Clone, Debug)]
pub(super) struct Tuned {
    pub factor: f64,
    pub losses: Vec<f64>,
    pub score: f64,
}

/// The factors of a sweep of `count` multipliers: powers of 2 centred on 1,
/// nearest first (1, 1/2, 2, 1/4, 4, ...).
pub(super) fn sweep_factors(count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| {
            let k = i.div_ceil(2) as i32;
            if i % 2 == 1 {
                0.5f64.powi(k)
            } else {
                2f64.powi(k)
            }
        })
        .collect()
}

/// The factors of the start's wide sweep: 10^k for k = 0, -1, 1, ..., -3, 3.
pub(super) const WIDE: [f64; 7] = [1.0, 0.1, 10.0, 0.01, 100.0, 0.001, 1000.0];

/// The position of the Float hyper-parameter `lr` among the rule's Float
/// hyper-parameters (the order the driver traces them as inputs in).
pub(super) fn lr_ordinal(rule: &SymObj) -> Option<usize> {
    rule.args
        .iter()
        .filter(|(_, v)| matches!(v, crate::value::Value::Float(_)))
        .position(|(n, _)| &**n == "lr")
}

/// A diagnostic from training a candidate: running out of the run's time or step
/// budget ends the search; anything else fails the candidate.
fn failure(d: Box<optl_syntax::diag::Diagnostic>) -> Failure {
    if [codes::TIMEOUT, codes::STEP_LIMIT].contains(&d.code) {
        Failure::Fatal(d)
    } else {
        Failure::Candidate(d.message)
    }
}

/// Why training a rule on the tasks gave no losses.
#[derive(Clone)]
pub(super) enum Failure {
    /// The rule failed (diverged, or a runtime error): the candidate fails.
    Candidate(String),
    /// `discover`'s own timeout passed: the search stops with what it has.
    OutOfTime,
    /// The run's time or step budget ran out: the search ends with this error.
    Fatal(Box<optl_syntax::diag::Diagnostic>),
}

impl Trainer<'_> {
    /// The time a training run may take: until `discover`'s deadline, else what is
    /// left of the run's own limit. `None` inside means none; `Err` that the
    /// deadline passed.
    fn time_left(&self) -> Result<Option<Duration>, Failure> {
        match self.deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(Failure::OutOfTime),
            },
            None => Ok(self.interp.time_left()),
        }
    }

    /// Each rule at its best factor of `factors` on `set` (its own `lr` when it has
    /// none), scored against `set.reference` (an empty reference scores the mean
    /// log10 loss). A factor at which the rule fails on a task is skipped; the rule
    /// fails when all do (with the first factor's reason).
    pub(super) fn tuned(
        &mut self,
        set: &mut TaskSet,
        rules: &[Rc<SymObj>],
        factors: &[f64],
    ) -> Vec<Result<Tuned, Failure>> {
        let swept = self.swept(set, rules, factors);
        swept
            .into_iter()
            .map(|per_factor| {
                let per_factor = per_factor?;
                let mut best: Option<Tuned> = None;
                let mut first_failure = None;
                for (factor, r) in per_factor {
                    match r {
                        Ok(losses) => {
                            let score = score(&losses, &set.reference);
                            if best.as_ref().is_none_or(|b| score < b.score) {
                                best = Some(Tuned {
                                    factor,
                                    losses,
                                    score,
                                });
                            }
                        }
                        Err(m) => {
                            first_failure.get_or_insert(m);
                        }
                    }
                }
                best.ok_or_else(|| {
                    Failure::Candidate(first_failure.unwrap_or_else(|| "not trained".into()))
                })
            })
            .collect()
    }

    /// The final loss of training each rule on each task at each factor of its
    /// `lr` (only 1 for a rule without one), or why there is none: per rule, per
    /// factor, the losses or the reason that factor failed. Runs made of compiled
    /// kernels alone go to all cores at once; the others run here. Each run is the
    /// same whatever thread it runs on, so the outcome does not depend on the
    /// number of cores.
    #[allow(clippy::type_complexity)]
    fn swept(
        &mut self,
        set: &mut TaskSet,
        rules: &[Rc<SymObj>],
        factors: &[f64],
    ) -> Vec<Result<Vec<(f64, Result<Vec<f64>, String>)>, Failure>> {
        type Slot = Option<Vec<Result<SolveResult, Failure>>>;
        let n_tasks = set.tasks.len();
        let settings = match self.time_left() {
            Ok(timeout) => TrainSettings {
                steps: self.steps,
                tol: TOL,
                timeout,
                seed: 0,
            },
            Err(f) => return rules.iter().map(|_| Err(f.clone())).collect(),
        };
        let ordinals: Vec<Option<usize>> = rules.iter().map(|r| lr_ordinal(r)).collect();
        let factors_of = |i: usize| match ordinals[i] {
            Some(_) => factors,
            None => &[1.0][..],
        };
        let pairs = rules
            .iter()
            .flat_map(|r| set.tasks.iter().map(move |t| (t, r, settings)))
            .collect();
        let trainings = match RuleTask::jobs(self.interp, pairs, self.span) {
            Ok(t) => t,
            // A rule that does not trace: train one by one, to fail just that one.
            Err(_) => (0..rules.len() * n_tasks).map(|_| None).collect(),
        };
        let mut slots: Vec<Slot> = Vec::with_capacity(trainings.len());
        let mut jobs = Vec::new();
        for (at, training) in trainings.into_iter().enumerate() {
            let (r, t) = (at / n_tasks, at % n_tasks);
            self.trainings += factors_of(r).len();
            match training {
                Some(job) => {
                    jobs.push((at, job, ordinals[r].unwrap_or(0), factors_of(r)));
                    slots.push(None);
                }
                None => {
                    let runs = factors_of(r)
                        .iter()
                        .map(|&factor| {
                            let rule = scaled(&rules[r], factor);
                            set.tasks[t]
                                .train(self.interp, &rule, settings, self.span)
                                .map_err(failure)
                        })
                        .collect();
                    slots.push(Some(runs));
                }
            }
        }
        let done: Vec<(usize, Vec<Result<SolveResult, Failure>>, u64)> = jobs
            .into_par_iter()
            .map(|(slot, job, ordinal, factors)| {
                let (rs, runs) = job.run_sweep(ordinal, factors);
                let rs = rs
                    .into_iter()
                    .map(|r| r.map_err(|e| Failure::Candidate(e.to_string())))
                    .collect();
                (slot, rs, runs)
            })
            .collect();
        for (slot, r, runs) in done {
            slots[slot] = Some(r);
            self.interp.engines.stats.jit_runs += runs;
        }
        let deadline = self.deadline.is_some();
        slots
            .chunks_mut(n_tasks.max(1))
            .enumerate()
            .map(|(r, per_task)| {
                let factors = factors_of(r);
                let mut out: Vec<(f64, Result<Vec<f64>, String>)> = factors
                    .iter()
                    .map(|&f| (f, Ok(Vec::with_capacity(n_tasks))))
                    .collect();
                for (i, runs) in per_task.iter_mut().enumerate() {
                    let mut runs = runs.take().unwrap_or_default().into_iter();
                    for slot in out.iter_mut() {
                        let r = runs
                            .next()
                            .unwrap_or_else(|| Err(Failure::Candidate("not trained".into())));
                        let loss = match r {
                            Err(Failure::Candidate(m)) => Err(m),
                            Err(other) => return Err(other),
                            Ok(r) => match r.status {
                                Status::Timeout if deadline => return Err(Failure::OutOfTime),
                                Status::Diverged => Err(format!("diverged on task {}", i + 1)),
                                _ if !r.f.is_finite() => {
                                    Err(format!("no finite loss on task {}", i + 1))
                                }
                                _ => Ok(r.f),
                            },
                        };
                        match (&mut slot.1, loss) {
                            (Ok(ls), Ok(l)) => ls.push(l),
                            (Ok(_), Err(m)) => slot.1 = Err(m),
                            (Err(_), _) => {}
                        }
                    }
                }
                Ok(out)
            })
            .collect()
    }
}

/// The mean over tasks of log10(loss / reference), losses floored at
/// [`LOSS_FLOOR`]; with no reference, the mean log10 loss.
pub(super) fn score(losses: &[f64], reference: &[f64]) -> f64 {
    let log = |x: f64| x.max(LOSS_FLOOR).log10();
    let total: f64 = losses
        .iter()
        .enumerate()
        .map(|(i, l)| log(*l) - reference.get(i).map_or(0.0, |r| log(*r)))
        .sum();
    total / losses.len().max(1) as f64
}

/// The rule with its `lr` multiplied by `factor` (the rule itself for 1 or when it
/// has no Float `lr`): the product is the value the sweep trained with.
pub(super) fn scaled(rule: &Rc<SymObj>, factor: f64) -> Rc<SymObj> {
    if factor == 1.0 || lr_ordinal(rule).is_none() {
        return rule.clone();
    }
    let args = rule
        .args
        .iter()
        .map(|(n, v)| match v {
            crate::value::Value::Float(x) if &**n == "lr" => {
                (n.clone(), crate::value::Value::Float(x * factor))
            }
            _ => (n.clone(), v.clone()),
        })
        .collect();
    Rc::new(SymObj {
        family: rule.family.clone(),
        args,
    })
}

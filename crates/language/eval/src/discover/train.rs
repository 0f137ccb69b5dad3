//! Training `discover`'s candidates: every rule of a batch on every task, the runs
//! made of compiled kernels alone on all cores, the others on the interpreter's
//! thread; and the score that compares a candidate's losses with the start's.

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

/// The training of candidates: the interpreter, the tasks (prepared once) and the
/// start's losses.
pub(super) struct Trainer<'a> {
    pub interp: &'a mut Interp,
    pub tasks: Vec<RuleTask>,
    pub start_losses: Vec<f64>,
    pub steps: usize,
    pub span: Span,
    pub deadline: Option<Instant>,
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

    /// The final loss of training each rule on each task, or why there is none, in
    /// the order of `rules`. Runs made of compiled kernels alone go to all cores at
    /// once; the others run here. Each run is the same whatever thread it runs on,
    /// so the outcome does not depend on the number of cores.
    pub(super) fn losses_of(&mut self, rules: &[Rc<SymObj>]) -> Vec<Result<Vec<f64>, Failure>> {
        type Slot = Option<Result<SolveResult, Failure>>;
        let n_tasks = self.tasks.len();
        let settings = match self.time_left() {
            Ok(timeout) => TrainSettings {
                steps: self.steps,
                tol: TOL,
                timeout,
                seed: 0,
            },
            Err(f) => return rules.iter().map(|_| Err(f.clone())).collect(),
        };
        let pairs = rules
            .iter()
            .flat_map(|r| self.tasks.iter().map(move |t| (t, r, settings)))
            .collect();
        let trainings = match RuleTask::jobs(self.interp, pairs, self.span) {
            Ok(t) => t,
            // A rule that does not trace: train one by one, to fail just that one.
            Err(_) => (0..rules.len() * n_tasks).map(|_| None).collect(),
        };
        let mut slots: Vec<Slot> = Vec::with_capacity(trainings.len());
        let mut jobs = Vec::new();
        for (at, training) in trainings.into_iter().enumerate() {
            match training {
                Some(job) => {
                    jobs.push((at, job));
                    slots.push(None);
                }
                None => {
                    let (rule, task) = (&rules[at / n_tasks], &mut self.tasks[at % n_tasks]);
                    slots.push(Some(
                        task.train(self.interp, rule, settings, self.span)
                            .map_err(failure),
                    ));
                }
            }
        }
        let done: Vec<(usize, Result<SolveResult, Failure>, u64)> = jobs
            .into_par_iter()
            .map(|(slot, job)| {
                let (r, runs) = job.run();
                (slot, r.map_err(|e| Failure::Candidate(e.to_string())), runs)
            })
            .collect();
        for (slot, r, runs) in done {
            slots[slot] = Some(r);
            self.interp.engines.stats.jit_runs += runs;
        }
        let deadline = self.deadline.is_some();
        slots
            .chunks_mut(n_tasks.max(1))
            .map(|per_task| {
                let mut out = Vec::with_capacity(n_tasks);
                for (i, r) in per_task.iter_mut().enumerate() {
                    let r = r
                        .take()
                        .unwrap_or_else(|| Err(Failure::Candidate("not trained".into())))?;
                    match r.status {
                        Status::Timeout if deadline => return Err(Failure::OutOfTime),
                        Status::Diverged => {
                            return Err(Failure::Candidate(format!("diverged on task {}", i + 1)));
                        }
                        _ if !r.f.is_finite() => {
                            return Err(Failure::Candidate(format!(
                                "no finite loss on task {}",
                                i + 1
                            )));
                        }
                        _ => out.push(r.f),
                    }
                }
                Ok(out)
            })
            .collect()
    }

    pub(super) fn score(&self, losses: &[f64]) -> f64 {
        let log = |x: f64| x.max(LOSS_FLOOR).log10();
        let total: f64 = losses
            .iter()
            .zip(&self.start_losses)
            .map(|(l, s)| log(*l) - log(*s))
            .sum();
        total / losses.len() as f64
    }
}

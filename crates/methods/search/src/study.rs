//! The search loop: proposals in batches, a cache of outcomes by candidate
//! key so a duplicate is never evaluated twice, trials, the best trial and
//! the Pareto front, and exact resumption from a stored study.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use crate::algo::Algorithm;
use crate::dna::Dna;
use crate::ledger::Ledger;
use crate::space::Space;
use optl_solvers::multi::dominance::first_front;

/// One evaluated (or cached, or failed) candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Position in the study, from 0.
    pub number: usize,
    pub dna: Dna,
    /// The candidate's dedup key from `Objective::key` (empty if that failed).
    pub key: String,
    /// A short printable form of the candidate.
    pub label: String,
    /// All scores (to minimise); `None` for a failed trial.
    pub scores: Option<Vec<f64>>,
    /// Why the trial failed.
    pub error: Option<String>,
    /// Evaluation time: the wall time of the `evaluate` call that ran it
    /// divided by the number of candidates in that call; 0 when cached.
    pub seconds: f64,
    /// The outcome was reused from an earlier trial with the same key.
    pub cached: bool,
    /// The worker that evaluated it (`Ledger::worker`); empty when the search
    /// ran without a ledger or the trial was not evaluated.
    pub worker: String,
}

/// What the search does with candidates.
pub trait Objective {
    /// Materialises the DNA: returns the candidate's dedup key (e.g. a
    /// structural hash) and a short printable label, or an error (the trial fails).
    fn key(&mut self, dna: &Dna) -> Result<(String, String), String>;
    /// Evaluates a batch of candidates (those whose key was new); may run
    /// them in parallel; returns per-candidate scores (to minimise) or error
    /// messages, in order. NaN scores are failures.
    fn evaluate(&mut self, batch: &[&Dna]) -> Vec<Result<Vec<f64>, String>>;
    /// Why the search must stop now (e.g. the run's time limit was hit inside an
    /// evaluation), if it must: the outcomes of the last `evaluate` are then not
    /// trusted and, with a ledger, its claims are given back.
    fn stopped(&self) -> Option<String> {
        None
    }
}

/// Options of `run_search`.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Number of trials (cached and failed ones included).
    pub trials: usize,
    /// Seed of the one random number generator of the search.
    pub seed: u64,
    /// Wall-clock budget, checked before each batch.
    pub timeout: Option<Duration>,
    /// The study's name in the store (default `"study"`).
    pub study: String,
    /// The space's text stored with the study; `None` uses `Space`'s
    /// canonical text. A caller whose spaces differ in more than their
    /// decision tree (e.g. constants) should pass its own text.
    pub space_text: Option<String>,
    /// Outcomes known in advance by key (e.g. `Store::cache` of another
    /// study): matching candidates are not evaluated and count as cache hits.
    pub warm_cache: HashMap<String, Option<Vec<f64>>>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            trials: 100,
            seed: 0,
            timeout: None,
            study: "study".into(),
            space_text: None,
            warm_cache: HashMap::new(),
        }
    }
}

/// Running totals handed to the progress callback after every trial.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StudySummary {
    /// Trials so far.
    pub done: usize,
    /// Trial with the lowest first score so far (ties: earliest).
    pub best: Option<usize>,
    /// Its first score.
    pub best_score: Option<f64>,
    /// Distinct keys so far.
    pub unique: usize,
    /// Trials whose outcome was reused.
    pub cache_hits: usize,
    /// Failed trials.
    pub failures: usize,
}

/// Why the search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// All requested trials ran.
    Trials,
    /// The algorithm had nothing more to propose (grid).
    Exhausted,
    /// The time budget ran out.
    Timeout,
}

/// The outcome of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    pub trials: Vec<Trial>,
    /// With one score: the trial with the lowest score (ties: earliest).
    /// With several: the first trial of the Pareto front. `None` if all failed.
    pub best: Option<usize>,
    /// Trials on the Pareto front of all scores, among the trials that were
    /// not cached (with one score: just `best`).
    pub pareto: Vec<usize>,
    /// Number of distinct keys among the trials.
    pub unique: usize,
    pub cache_hits: usize,
    pub failures: usize,
    pub stop: Stop,
}

impl Study {
    /// The best trial.
    pub fn best_trial(&self) -> Option<&Trial> {
        self.best.map(|i| &self.trials[i])
    }

    /// Hypervolume of the Pareto front's scores relative to `reference`
    /// (minimisation; see `optl_solvers::hypervolume`).
    pub fn hypervolume(&self, reference: &[f64]) -> f64 {
        let front: Vec<Vec<f64>> = self
            .pareto
            .iter()
            .filter_map(|&i| self.trials[i].scores.clone())
            .collect();
        optl_solvers::hypervolume(&front, reference)
    }
}

/// The outcome of a trial, as reused by later trials with the same key.
fn outcome(t: &Trial) -> (Option<Vec<f64>>, Option<String>) {
    (t.scores.clone(), t.error.clone())
}

/// Checks one evaluation result: NaN scores, no scores, or a number of
/// scores that differs from earlier trials make a failure.
fn judge(r: Result<Vec<f64>, String>, m: &mut Option<usize>) -> (Option<Vec<f64>>, Option<String>) {
    match r {
        Err(e) => (None, Some(e)),
        Ok(s) if s.is_empty() => (None, Some("the objective returned no score".into())),
        Ok(s) if s.iter().any(|x| x.is_nan()) => (None, Some("the score is NaN".into())),
        Ok(s) => match *m {
            Some(want) if want != s.len() => (
                None,
                Some(format!(
                    "expected {want} scores (as earlier trials), got {}",
                    s.len()
                )),
            ),
            _ => {
                *m = Some(s.len());
                (Some(s), None)
            }
        },
    }
}

/// How a proposal of the current batch gets its outcome.
enum Plan {
    /// Already has it (replayed from the store, cached, or failed).
    Done,
    /// Sent to the objective with the batch.
    Eval,
    /// Copies the outcome of an earlier proposal of the same batch.
    Same(usize),
}

/// Runs a search (see the crate documentation for the semantics): proposes
/// `opts.trials` candidates in batches of `algo.batch()`, evaluates the new
/// ones, reuses outcomes by key, and calls `progress` after every trial.
///
/// With a `ledger` (a study store, or a ledger shared by threads) every batch
/// is posted to it and its new trials are evaluated by whichever worker claims
/// them, this one included: trials the ledger already holds done (a resumed
/// study, or another worker's) are taken from it, not evaluated again.
pub fn run_search(
    space: &Space,
    algo: &mut dyn Algorithm,
    objective: &mut dyn Objective,
    opts: &SearchOptions,
    mut ledger: Option<&mut dyn Ledger>,
    progress: &mut dyn FnMut(&Trial, &StudySummary),
) -> Result<Study, String> {
    space.validate()?;
    let start = Instant::now();
    if let Some(l) = ledger.as_deref_mut() {
        let space_text = opts.space_text.clone().unwrap_or_else(|| space.to_string());
        l.join(&opts.study, &space_text, &algo.describe(), opts.seed)?;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let batch = algo.batch().max(1);
    let mut trials: Vec<Trial> = Vec::with_capacity(opts.trials.min(1 << 20));
    // The first trial of each key of this study.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sum = StudySummary::default();
    let mut objectives: Option<usize> = None;
    let mut stop = Stop::Trials;
    while trials.len() < opts.trials {
        if opts.timeout.is_some_and(|t| start.elapsed() >= t) {
            stop = Stop::Timeout;
            break;
        }
        let base = trials.len();
        let want = batch.min(opts.trials - base);
        let mut cur: Vec<Trial> = Vec::with_capacity(want);
        let mut plans: Vec<Plan> = Vec::with_capacity(want);
        let mut to_eval: Vec<usize> = Vec::new();
        let mut exhausted = false;
        for j in 0..want {
            let Some(dna) = algo.propose(space, &mut rng) else {
                exhausted = true;
                break;
            };
            let number = base + j;
            let mut t = Trial {
                number,
                dna,
                key: String::new(),
                label: String::new(),
                scores: None,
                error: None,
                seconds: 0.0,
                cached: false,
                worker: String::new(),
            };
            let plan = match objective.key(&t.dna) {
                Err(e) => {
                    t.error = Some(e);
                    Plan::Done
                }
                Ok((key, label)) => {
                    t.key = key;
                    t.label = label;
                    if let Some(&i) = seen.get(&t.key) {
                        t.cached = true;
                        if i < base {
                            (t.scores, t.error) = outcome(&trials[i]);
                            Plan::Done
                        } else {
                            Plan::Same(i - base)
                        }
                    } else if let Some(r) = opts.warm_cache.get(&t.key) {
                        seen.insert(t.key.clone(), number);
                        t.cached = true;
                        t.scores = r.clone();
                        if t.scores.is_none() {
                            t.error = Some("failed in the cached study".into());
                        }
                        Plan::Done
                    } else {
                        seen.insert(t.key.clone(), number);
                        to_eval.push(j);
                        Plan::Eval
                    }
                }
            };
            cur.push(t);
            plans.push(plan);
        }
        if cur.is_empty() {
            stop = Stop::Exhausted;
            break;
        }
        let finished = match ledger.as_deref_mut() {
            None => {
                evaluate_here(objective, &mut cur, &to_eval, &mut objectives)?;
                fill_same(&mut cur, &plans);
                true
            }
            Some(l) => {
                let deadline = opts.timeout.map(|t| start + t);
                shared_batch(l, objective, &mut cur, &plans, &mut objectives, deadline)?
            }
        };
        if !finished {
            stop = Stop::Timeout;
            break;
        }
        for t in cur {
            if let Some(sc) = &t.scores {
                objectives.get_or_insert(sc.len());
            }
            algo.observe(&t.dna, t.scores.as_deref());
            sum.done += 1;
            if t.cached {
                sum.cache_hits += 1;
            }
            if !t.key.is_empty() && seen.get(&t.key) == Some(&t.number) {
                sum.unique += 1;
            }
            match &t.scores {
                None => sum.failures += 1,
                Some(s) => {
                    if sum.best_score.is_none_or(|b| s[0] < b) {
                        sum.best = Some(t.number);
                        sum.best_score = Some(s[0]);
                    }
                }
            }
            trials.push(t);
            progress(&trials[trials.len() - 1], &sum);
        }
        if exhausted {
            stop = Stop::Exhausted;
            break;
        }
    }
    let multi = objectives.is_some_and(|m| m > 1);
    let pareto = if multi {
        let items: Vec<(usize, &[f64])> = trials
            .iter()
            .filter(|t| !t.cached)
            .filter_map(|t| t.scores.as_deref().map(|s| (t.number, s)))
            .collect();
        let scores: Vec<&[f64]> = items.iter().map(|(_, s)| *s).collect();
        let mut ids: Vec<usize> = first_front(&scores)
            .into_iter()
            .map(|i| items[i].0)
            .collect();
        ids.sort_unstable();
        ids
    } else {
        sum.best.into_iter().collect()
    };
    let best = if multi {
        pareto.first().copied()
    } else {
        sum.best
    };
    Ok(Study {
        trials,
        best,
        pareto,
        unique: sum.unique,
        cache_hits: sum.cache_hits,
        failures: sum.failures,
        stop,
    })
}

/// Evaluates the trials `to_eval` of the batch `cur` in one `evaluate` call.
fn evaluate_here(
    objective: &mut dyn Objective,
    cur: &mut [Trial],
    to_eval: &[usize],
    objectives: &mut Option<usize>,
) -> Result<(), String> {
    if to_eval.is_empty() {
        return Ok(());
    }
    let dnas: Vec<&Dna> = to_eval.iter().map(|&j| &cur[j].dna).collect();
    let t0 = Instant::now();
    let results = objective.evaluate(&dnas);
    let seconds = t0.elapsed().as_secs_f64() / to_eval.len() as f64;
    if results.len() != to_eval.len() {
        return Err(format!(
            "the objective returned {} results for {} candidates",
            results.len(),
            to_eval.len()
        ));
    }
    for (r, &j) in results.into_iter().zip(to_eval) {
        (cur[j].scores, cur[j].error) = judge(r, objectives);
        cur[j].seconds = seconds;
    }
    Ok(())
}

/// Copies the outcome of each proposal to the later ones of its batch with the same key.
fn fill_same(cur: &mut [Trial], plans: &[Plan]) {
    for j in 0..cur.len() {
        if let Plan::Same(i) = plans[j] {
            (cur[j].scores, cur[j].error) = outcome(&cur[i]);
        }
    }
}

/// Runs one batch through a ledger: posts it, evaluates what this worker can
/// claim, waits for the rest, and stores the in-batch duplicates. Returns false
/// if the deadline passed before the batch was done.
fn shared_batch(
    l: &mut dyn Ledger,
    objective: &mut dyn Objective,
    cur: &mut [Trial],
    plans: &[Plan],
    objectives: &mut Option<usize>,
    deadline: Option<Instant>,
) -> Result<bool, String> {
    let first: Vec<usize> = (0..cur.len())
        .filter(|&j| !matches!(plans[j], Plan::Same(_)))
        .collect();
    let refs: Vec<&Trial> = first.iter().map(|&j| &cur[j]).collect();
    let pending: Vec<bool> = first
        .iter()
        .map(|&j| matches!(plans[j], Plan::Eval))
        .collect();
    let stored = l.post(&refs, &pending)?;
    for (&j, s) in first.iter().zip(stored) {
        if let Some(s) = s {
            adopt(&mut cur[j], s);
        }
    }
    let evals: Vec<usize> = (0..cur.len())
        .filter(|&j| matches!(plans[j], Plan::Eval))
        .collect();
    if let (Some(&lo), Some(&hi)) = (evals.first(), evals.last()) {
        let (lo, hi) = (cur[lo].number, cur[hi].number);
        evaluate_claims(l, objective, cur, objectives, (lo, hi))?;
        let numbers: Vec<usize> = evals.iter().map(|&j| cur[j].number).collect();
        let done = loop {
            if let Some(done) = l.collect(&numbers)? {
                break done;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
            l.wait();
            // A claim put back by a stopped worker is ours to take.
            evaluate_claims(l, objective, cur, objectives, (lo, hi))?;
        };
        for (&j, s) in evals.iter().zip(done) {
            adopt(&mut cur[j], s);
        }
    }
    fill_same(cur, plans);
    let same: Vec<&Trial> = (0..cur.len())
        .filter(|&j| matches!(plans[j], Plan::Same(_)))
        .map(|j| &cur[j])
        .collect();
    if !same.is_empty() {
        let pending = vec![false; same.len()];
        l.post(&same, &pending)?;
    }
    Ok(true)
}

/// Claims and evaluates trials numbered `lo..=hi` of the batch until none is left.
fn evaluate_claims(
    l: &mut dyn Ledger,
    objective: &mut dyn Objective,
    cur: &mut [Trial],
    objectives: &mut Option<usize>,
    (lo, hi): (usize, usize),
) -> Result<(), String> {
    let base = cur[0].number;
    while let Some(n) = l.claim(lo, hi)? {
        let j = n - base;
        evaluate_here(objective, cur, &[j], objectives)?;
        if let Some(why) = objective.stopped() {
            l.release(n)?;
            return Err(why);
        }
        cur[j].worker = l.worker().to_string();
        l.finish(&cur[j])?;
    }
    Ok(())
}

/// Takes a trial's stored outcome (and its evaluation's time and worker).
fn adopt(t: &mut Trial, stored: Trial) {
    t.scores = stored.scores;
    t.error = stored.error;
    t.seconds = stored.seconds;
    t.worker = stored.worker;
    t.cached = stored.cached;
}

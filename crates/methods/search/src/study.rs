//! The search loop: proposals in batches, a cache of outcomes by candidate
//! key so a duplicate is never evaluated twice, trials, the best trial and
//! the Pareto front, and exact resumption from a stored study.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use crate::algo::Algorithm;
use crate::dna::Dna;
use crate::space::Space;
use crate::store::Store;
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
/// ones, reuses outcomes by key, records every batch in `store` (if any) as
/// soon as it finishes, and calls `progress` after every trial. If `store`
/// already holds trials of the study they are replayed, not re-evaluated.
pub fn run_search(
    space: &Space,
    algo: &mut dyn Algorithm,
    objective: &mut dyn Objective,
    opts: &SearchOptions,
    mut store: Option<&mut Store>,
    progress: &mut dyn FnMut(&Trial, &StudySummary),
) -> Result<Study, String> {
    space.validate()?;
    let start = Instant::now();
    let stored = match store.as_deref_mut() {
        Some(s) => {
            let space_text = opts.space_text.clone().unwrap_or_else(|| space.to_string());
            s.begin_study(&opts.study, &space_text, &algo.describe(), opts.seed)?
        }
        None => Vec::new(),
    };
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
            if let Some(s) = stored.get(number) {
                if s.dna != dna {
                    return Err(format!(
                        "the stored study was made with a different space/seed/algorithm: \
                         trial {number} is stored as {} but now proposed as {}",
                        s.dna, dna
                    ));
                }
                if let Some(sc) = &s.scores {
                    objectives.get_or_insert(sc.len());
                }
                if !s.key.is_empty() {
                    seen.entry(s.key.clone()).or_insert(number);
                }
                cur.push(s.clone());
                plans.push(Plan::Done);
                continue;
            }
            let mut t = Trial {
                number,
                dna,
                key: String::new(),
                label: String::new(),
                scores: None,
                error: None,
                seconds: 0.0,
                cached: false,
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
        if !to_eval.is_empty() {
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
            for (r, &j) in results.into_iter().zip(&to_eval) {
                (cur[j].scores, cur[j].error) = judge(r, &mut objectives);
                cur[j].seconds = seconds;
            }
        }
        for j in 0..cur.len() {
            if let Plan::Same(i) = plans[j] {
                (cur[j].scores, cur[j].error) = outcome(&cur[i]);
            }
        }
        if let Some(s) = store.as_deref_mut() {
            let fresh: Vec<&Trial> = cur.iter().filter(|t| t.number >= stored.len()).collect();
            s.record_batch(&fresh)?;
        }
        for t in cur {
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

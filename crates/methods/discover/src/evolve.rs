//! Regularized evolution (Real et al. 2019, as in AutoML-Zero and the search that
//! found Lion) over candidates that the caller makes, keys and scores through the
//! [`Search`] trait: a population of the most recent candidates, oldest first;
//! parents drawn uniformly until the population is full, then by tournament (the
//! best of `tournament` uniform draws); children proposed in batches from one state
//! of the population and evaluated together; candidates with the same key (OptL's
//! binding: the functional hash) evaluated once.
//!
//! Lower scores are better. A candidate that fails to evaluate does not join the
//! population; one that does joins it as [`Search::settled`] makes it. The `top`
//! best distinct candidates that [`Search::admit`] lets in are kept, best first (a
//! tie keeps the earlier first). Memory stays bounded: beyond the population and
//! `top`, only each key and its outcome are kept, for at most [`Settings::cache`] keys.
//!
//! Determinism: one `ChaCha8Rng` seeded from [`Settings::seed`] draws the parents
//! and is handed to [`Search::child`]; the batch size is fixed and outcomes are
//! recorded in proposal order, so the result depends only on the seed and on what
//! the callbacks return, not on how (or on how many cores) a batch is evaluated.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// The most distinct keys whose outcomes the dedup cache keeps by default (about
/// 35 MB with OptL's outcomes on three tasks; [`Settings::cache`]): beyond it a new
/// key is still evaluated but not remembered, so a repeat of it is evaluated
/// again. Memory stays bounded however long the search runs.
pub const CACHE_LIMIT: usize = 1 << 18;

/// The parameters of one evolution.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Proposals to make (the search may stop earlier, [`Stop`]).
    pub trials: usize,
    /// The population's size.
    pub population: usize,
    /// Draws per tournament.
    pub tournament: usize,
    /// How many of the best candidates to keep.
    pub top: usize,
    /// Children proposed from one state of the population and evaluated together.
    pub batch: usize,
    pub seed: u64,
    /// The most keys the dedup cache keeps ([`CACHE_LIMIT`] in OptL's binding).
    pub cache: usize,
}

/// A candidate with its score (lower is better) and what else its evaluation gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored<C, D> {
    pub candidate: C,
    pub score: f64,
    pub data: D,
}

/// Why a candidate has no score.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure<E> {
    /// The candidate failed: it counts as a failure and does not join the population.
    Rejected,
    /// The search's own time ran out: the search stops with what it has (the
    /// candidate and the rest of its batch count as not proposed).
    OutOfTime,
    /// The search ends with this error.
    Fatal(E),
}

/// An evaluation: the score and data of a candidate, or why there are none.
pub type Evaluation<D, E> = Result<(f64, D), Failure<E>>;

/// What the evolution asks of its caller.
pub trait Search {
    type Candidate: Clone;
    /// Candidates with equal keys are one candidate (evaluated once).
    type Key: Copy + Eq + Hash;
    /// What an evaluation gives besides the score.
    type Data: Clone;
    type Error;

    /// Called before each batch: `Ok(false)` stops the search ([`Stop::Timeout`]),
    /// `Err` ends it with that error.
    fn proceed(&mut self) -> Result<bool, Self::Error>;

    /// A child of `parent`, or `None` when none could be made (an invalid proposal).
    fn child(&mut self, parent: &Self::Candidate, rng: &mut ChaCha8Rng) -> Option<Self::Candidate>;

    /// The key of a candidate, or `None` when it has none (an invalid proposal).
    fn key(&mut self, candidate: &Self::Candidate) -> Option<Self::Key>;

    /// The evaluations of `candidates` (distinct, never seen before), in order.
    fn evaluate(
        &mut self,
        candidates: &[Self::Candidate],
    ) -> Vec<Evaluation<Self::Data, Self::Error>>;

    /// The candidate as it joins the population and the top list, given its
    /// evaluation (OptL's binding folds the tuned learning rate into the rule).
    fn settled(&mut self, candidate: &Self::Candidate, data: &Self::Data) -> Self::Candidate {
        let _ = data;
        candidate.clone()
    }

    /// Whether a newly evaluated candidate that would enter the top list may (a
    /// funnel of further checks, which may add to its data); called once per
    /// distinct candidate, in proposal order. `Rejected` keeps it out;
    /// `OutOfTime` stops the search.
    fn admit(
        &mut self,
        scored: &mut Scored<Self::Candidate, Self::Data>,
    ) -> Result<bool, Failure<Self::Error>> {
        let _ = scored;
        Ok(true)
    }

    /// Told after each proposal is counted (before its outcome is), with the best
    /// score so far.
    fn progress(&mut self, counts: &Counts, best: Option<f64>) {
        let _ = (counts, best);
    }
}

/// Counters of an evolution: `proposed` is `unique + cache_hits + invalid`;
/// `failures` counts the unique candidates that failed to evaluate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub proposed: usize,
    pub unique: usize,
    pub cache_hits: usize,
    /// Proposals without a child or without a key.
    pub invalid: usize,
    pub failures: usize,
}

/// Why the evolution stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It made all its trials.
    Trials,
    /// [`Search::proceed`] said no, or an evaluation ran out of time.
    Timeout,
}

impl Stop {
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::Trials => "trials",
            Stop::Timeout => "timeout",
        }
    }
}

/// The result of an evolution.
#[derive(Clone, Debug)]
pub struct Evolved<C, D> {
    /// The best candidates, best first (the start among them while it is).
    pub best: Vec<Scored<C, D>>,
    pub counts: Counts,
    pub stop: Stop,
}

/// The `top` best distinct candidates, best first (a tie keeps the earlier first).
struct Best<C, D> {
    top: usize,
    entries: Vec<Scored<C, D>>,
}

impl<C: Clone, D: Clone> Best<C, D> {
    /// Whether a candidate with this score would enter.
    fn would_enter(&self, score: f64) -> bool {
        self.entries.partition_point(|e| e.score <= score) < self.top
    }

    fn offer(&mut self, s: &Scored<C, D>) {
        let at = self.entries.partition_point(|e| e.score <= s.score);
        if at < self.top {
            self.entries.insert(at, s.clone());
            self.entries.truncate(self.top);
        }
    }
}

/// Evolves from `start` (already evaluated: its score is the first to beat) until
/// `settings.trials` proposals are made or the search stops.
pub fn evolve<S: Search>(
    search: &mut S,
    start: Scored<S::Candidate, S::Data>,
    settings: &Settings,
) -> Result<Evolved<S::Candidate, S::Data>, S::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut seen: HashMap<S::Key, Option<(f64, S::Data)>> = HashMap::new();
    if let Some(k) = search.key(&start.candidate) {
        seen.insert(k, Some((start.score, start.data.clone())));
    }
    let mut best = Best {
        top: settings.top,
        entries: vec![start.clone()],
    };
    let mut counts = Counts::default();
    // Oldest first.
    let mut population: VecDeque<Scored<S::Candidate, S::Data>> = VecDeque::from([start.clone()]);
    let mut stop = Stop::Trials;
    'search: while counts.proposed < settings.trials {
        if !search.proceed()? {
            stop = Stop::Timeout;
            break;
        }
        // A batch of children of the population as it stands, evaluated together,
        // then recorded in order.
        let mut batch: Vec<Option<(S::Candidate, S::Key)>> = Vec::new();
        for _ in 0..settings.batch.min(settings.trials - counts.proposed) {
            let parent = if population.len() < settings.population {
                &population[rng.random_range(0..population.len())]
            } else {
                (0..settings.tournament)
                    .map(|_| &population[rng.random_range(0..population.len())])
                    .min_by(|a, b| a.score.total_cmp(&b.score))
                    .unwrap_or(&start)
            };
            let parent = parent.candidate.clone();
            let child = search.child(&parent, &mut rng);
            batch.push(child.and_then(|c| {
                let k = search.key(&c)?;
                Some((c, k))
            }));
        }
        // Evaluate each new candidate once (a repeat within the batch is a cache hit).
        let mut fresh: Vec<S::Key> = Vec::new();
        let mut candidates = Vec::new();
        for (c, k) in batch.iter().flatten() {
            if !seen.contains_key(k) && !fresh.contains(k) {
                fresh.push(*k);
                candidates.push(c.clone());
            }
        }
        let mut overflow: HashMap<S::Key, Option<(f64, S::Data)>> = HashMap::new();
        let mut evaluated: HashMap<S::Key, Evaluation<S::Data, S::Error>> = fresh
            .into_iter()
            .zip(search.evaluate(&candidates))
            .collect();
        for proposal in batch {
            counts.proposed += 1;
            search.progress(&counts, best.entries.first().map(|s| s.score));
            let Some((child, k)) = proposal else {
                counts.invalid += 1;
                continue;
            };
            let outcome = match (seen.get(&k).or(overflow.get(&k)), evaluated.remove(&k)) {
                (Some(known), _) => {
                    counts.cache_hits += 1;
                    known.clone()
                }
                (None, None) => None,
                (None, Some(evaluation)) => {
                    let known = match evaluation {
                        Ok((score, data)) => {
                            counts.unique += 1;
                            if best.would_enter(score) {
                                let mut s = Scored {
                                    candidate: search.settled(&child, &data),
                                    score,
                                    data: data.clone(),
                                };
                                match search.admit(&mut s) {
                                    Ok(true) => best.offer(&s),
                                    Ok(false) | Err(Failure::Rejected) => {}
                                    Err(Failure::Fatal(e)) => return Err(e),
                                    Err(Failure::OutOfTime) => {
                                        stop = Stop::Timeout;
                                        break 'search;
                                    }
                                }
                            }
                            Some((score, data))
                        }
                        Err(Failure::Fatal(e)) => return Err(e),
                        Err(Failure::OutOfTime) => {
                            // Not evaluated: it and the rest of the batch count as
                            // not proposed.
                            counts.proposed -= 1;
                            stop = Stop::Timeout;
                            break 'search;
                        }
                        Err(Failure::Rejected) => {
                            counts.unique += 1;
                            counts.failures += 1;
                            None
                        }
                    };
                    if seen.len() < settings.cache {
                        seen.insert(k, known.clone());
                    } else {
                        // Past the bound, remembered for this batch only.
                        overflow.insert(k, known.clone());
                    }
                    known
                }
            };
            // A candidate that failed does not join the population.
            if let Some((score, data)) = outcome {
                population.push_back(Scored {
                    candidate: search.settled(&child, &data),
                    score,
                    data,
                });
                if population.len() > settings.population {
                    population.pop_front();
                }
            }
        }
    }
    Ok(Evolved {
        best: best.entries,
        counts,
        stop,
    })
}

#[cfg(test)]
mod tests;

//! `discover(..., storage = ...)`: a discovery on a stored study, which a re-run
//! resumes and which many `optl run` processes (on many machines, with PostgreSQL)
//! share, through the same `optl_search::Ledger` as `search`.
//!
//! The evolution is deterministic given the seed and the outcomes, so every
//! worker proposes the same batches. Each batch's new candidates become trials
//! numbered in order of first evaluation; a trial's DNA is the candidate's
//! functional hash (two Ints), so a worker whose evolution went another way is
//! refused, and its scores are the candidate's score, the factor of its `lr` it
//! was scored at, then its final loss per task there. A worker claims as many trials as it has cores, trains them
//! together, and waits for the rest of the batch.

use super::train::Failure;
use super::{Discovery, Outcome};
use crate::evaluator::EvalResult;
use crate::value::SymObj;
use optl_discover::evolve::{self, Evaluation};
use optl_search::{Decision, Dna, Ledger, Trial};
use optl_syntax::diag::Diagnostic;
use std::rc::Rc;
use std::time::Instant;

/// The study's ledger and the number of trials posted so far.
pub(super) struct Shared {
    pub ledger: Box<dyn Ledger>,
    pub posted: usize,
}

type Stored = Evaluation<Outcome, Box<Diagnostic>>;

/// The DNA of a candidate: its functional hash as two Ints.
fn dna_of(key: [u8; 16]) -> Dna {
    let half = |b: &[u8]| {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Decision::Int(i64::from_le_bytes(a))
    };
    Dna(vec![half(&key[..8]), half(&key[8..])])
}

/// A stored trial as an evaluation.
fn outcome_of(t: &Trial) -> Stored {
    match t.scores.as_deref() {
        Some([score, factor, losses @ ..]) => Ok((
            *score,
            Outcome {
                factor: *factor,
                losses: losses.into(),
                funnel: None,
            },
        )),
        _ => Err(evolve::Failure::Rejected),
    }
}

/// Evaluates a batch's new rules through the study: posted, trained by whoever
/// claims them (this worker trains its claims together, on all cores), collected.
pub(super) fn evaluate(d: &mut Discovery<'_>, rules: &[Rc<SymObj>]) -> Vec<Stored> {
    match evaluate_or_fail(d, rules) {
        Ok(v) => v,
        Err(e) => rules.iter().map(|_| Err(e.clone())).collect(),
    }
}

fn store_error(d: &Discovery<'_>, m: String) -> evolve::Failure<Box<Diagnostic>> {
    evolve::Failure::Fatal(crate::evaluator::err_label(
        optl_syntax::codes::STUDY_STORAGE,
        m,
        d.trainer.span,
        "in this discovery",
    ))
}

fn evaluate_or_fail(
    d: &mut Discovery<'_>,
    rules: &[Rc<SymObj>],
) -> Result<Vec<Stored>, evolve::Failure<Box<Diagnostic>>> {
    let mut trials = Vec::with_capacity(rules.len());
    let base = d.shared.as_ref().map_or(0, |s| s.posted);
    for (i, rule) in rules.iter().enumerate() {
        let key = key_of(d, rule).map_err(evolve::Failure::Fatal)?;
        trials.push(Trial {
            number: base + i,
            dna: dna_of(key),
            key: key.iter().map(|b| format!("{b:02x}")).collect(),
            label: super::rule_source(rule).chars().take(400).collect(),
            scores: None,
            error: None,
            seconds: 0.0,
            cached: false,
            worker: String::new(),
        });
    }
    let Some(shared) = d.shared.as_mut() else {
        return Ok(Vec::new());
    };
    shared.posted += rules.len();
    let refs: Vec<&Trial> = trials.iter().collect();
    let pending = vec![true; trials.len()];
    let stored = shared.ledger.post(&refs, &pending);
    let stored = stored.map_err(|m| store_error(d, m))?;
    let mut out: Vec<Option<Stored>> = stored.iter().map(|s| s.as_ref().map(outcome_of)).collect();
    let numbers: Vec<usize> = trials.iter().map(|t| t.number).collect();
    let (lo, hi) = (base, base + rules.len().saturating_sub(1));
    let chunk = rayon::current_num_threads().max(1);
    loop {
        // Claim what this worker's cores can train at once.
        let mut mine = Vec::new();
        while mine.len() < chunk {
            let claimed = d.shared.as_mut().map(|s| s.ledger.claim(lo, hi));
            match claimed {
                Some(Ok(Some(n))) => mine.push(n - base),
                Some(Err(m)) => return Err(store_error(d, m)),
                _ => break,
            }
        }
        if !mine.is_empty() {
            train_claims(d, rules, &mut trials, &mine)?;
            continue;
        }
        let collected = d.shared.as_mut().map(|s| s.ledger.collect(&numbers));
        match collected {
            Some(Ok(Some(done))) => {
                for (slot, t) in out.iter_mut().zip(&done) {
                    if slot.is_none() {
                        *slot = Some(outcome_of(t));
                    }
                }
                return Ok(out
                    .into_iter()
                    .map(|o| o.unwrap_or(Err(evolve::Failure::Rejected)))
                    .collect());
            }
            Some(Err(m)) => return Err(store_error(d, m)),
            _ => {}
        }
        if d.trainer.deadline.is_some_and(|t| Instant::now() >= t) {
            return Err(evolve::Failure::OutOfTime);
        }
        if let Some(s) = d.shared.as_mut() {
            s.ledger.wait();
        }
    }
}

/// Trains the claimed rules `mine` (indices into the batch) together and stores
/// their outcomes; on a stop, gives the claims back.
fn train_claims(
    d: &mut Discovery<'_>,
    rules: &[Rc<SymObj>],
    trials: &mut [Trial],
    mine: &[usize],
) -> Result<(), evolve::Failure<Box<Diagnostic>>> {
    let chosen: Vec<Rc<SymObj>> = mine.iter().map(|&j| rules[j].clone()).collect();
    let t0 = Instant::now();
    let sweep = d.trainer.sweep.clone();
    let trained = d.trainer.tuned(&mut d.proxy, &chosen, &sweep);
    let seconds = t0.elapsed().as_secs_f64() / chosen.len() as f64;
    let mut stop = None;
    for (&j, r) in mine.iter().zip(trained) {
        let t = &mut trials[j];
        t.seconds = seconds;
        match r {
            Ok(tuned) => {
                let head = [tuned.score, tuned.factor];
                t.scores = Some(head.into_iter().chain(tuned.losses).collect());
            }
            Err(Failure::Candidate(m)) => t.error = Some(m),
            Err(Failure::OutOfTime) => {
                stop.get_or_insert(evolve::Failure::OutOfTime);
            }
            Err(Failure::Fatal(e)) => stop = Some(evolve::Failure::Fatal(e)),
        }
    }
    let Some(shared) = d.shared.as_mut() else {
        return Ok(());
    };
    for &j in mine {
        let result = if stop.is_some() {
            shared.ledger.release(trials[j].number)
        } else {
            trials[j].worker = shared.ledger.worker().to_string();
            shared.ledger.finish(&trials[j])
        };
        if let Err(m) = result {
            return Err(store_error(d, m));
        }
    }
    match stop {
        Some(s) => Err(s),
        None => Ok(()),
    }
}

fn key_of(d: &mut Discovery<'_>, rule: &Rc<SymObj>) -> EvalResult<[u8; 16]> {
    let f = d.trainer.interp.trace_rule_for_hash(rule, d.trainer.span)?;
    Ok(optl_ir::hash::functional_hash(&f, 0))
}

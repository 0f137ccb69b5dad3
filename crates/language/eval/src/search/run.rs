//! `search(space, objective, ...)`: runs an `optl_search` algorithm over a space of
//! OptL values. Each proposal is materialized, keyed by its structural hash (so an
//! equivalent candidate is never evaluated twice), scored by calling the objective,
//! and recorded; with `storage` the study lives in SQLite and resumes after a crash.
//! Objectives that fail (a runtime error, NaN) give failed trials and the search goes
//! on; running out of the run's time or step budget stops it.

use super::algorithms::algorithm_of;
use super::space::{dna_value, materialize, space_of};
use super::workers::spawn_helpers;
use crate::builtins::Args;
use crate::evaluator::{ArgVal, EvalResult, Interp, a_type, err_label};
use crate::progress::Progress;
use crate::value::Value;
use optl_search::{
    Dna, Ledger, MemoryLedger, Objective, PgStore, SearchOptions, Stop, Store, Study, Trial,
    run_search,
};
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Labels (the printed candidate) longer than this are cut in the study.
const LABEL_CHARS: usize = 120;

/// The OptL side of a search: materializes DNA, hashes and scores candidates.
struct Candidates<'a> {
    interp: &'a mut Interp,
    space: &'a Value,
    objective: &'a Value,
    minimize: bool,
    span: Span,
    /// Values materialized by `key`, waiting for `evaluate`.
    pending: HashMap<String, Value>,
    /// An error that must stop the search (time or step budget), not fail a trial.
    fatal: Option<Box<Diagnostic>>,
}

impl Candidates<'_> {
    fn value(&mut self, dna: &Dna) -> Result<Value, String> {
        match self.pending.remove(&dna.to_text()) {
            Some(v) => Ok(v),
            None => materialize(self.space, &dna.0).map(|(v, _)| v),
        }
    }

    /// The scores (to minimize) of an objective's result.
    fn scores(&self, v: &Value) -> Result<Vec<f64>, String> {
        let sign = if self.minimize { 1.0 } else { -1.0 };
        let one = |x: &Value| match x {
            Value::Int(n) => Ok(*n as f64 * sign),
            Value::Float(x) => Ok(x * sign),
            Value::Bool(b) => Ok(f64::from(u8::from(*b)) * sign),
            other => Err(format!(
                "the objective returned {}, not a number",
                a_type(other)
            )),
        };
        let scores = match v {
            Value::List(items) => items.iter().map(one).collect::<Result<Vec<_>, _>>()?,
            Value::Tensor(t) if t.ndim() <= 1 => t.iter().map(|x| x * sign).collect(),
            other => vec![one(other)?],
        };
        if scores.is_empty() {
            return Err("the objective returned no scores".into());
        }
        Ok(scores)
    }
}

impl Objective for Candidates<'_> {
    fn key(&mut self, dna: &Dna) -> Result<(String, String), String> {
        let (v, _) = materialize(self.space, &dna.0)?;
        // A point outside a parameter's domain is a failed trial.
        self.interp
            .check_value_domains(&v, self.span)
            .map_err(|d| d.message)?;
        let key = crate::hashing::value_hash(self.interp, &v, self.span);
        let mut label = v.display();
        if label.chars().count() > LABEL_CHARS {
            label = label.chars().take(LABEL_CHARS).collect::<String>() + "...";
        }
        self.pending.insert(dna.to_text(), v);
        Ok((key, label))
    }

    fn evaluate(&mut self, batch: &[&Dna]) -> Vec<Result<Vec<f64>, String>> {
        batch
            .iter()
            .map(|dna| {
                if self.fatal.is_some() {
                    return Err("the search was stopped".into());
                }
                let v = self.value(dna)?;
                let arg = ArgVal::positional(v, self.span);
                let stream = self.interp.swap_rng_stream(trial_stream(dna));
                let result = self.interp.call(self.objective, vec![arg], self.span);
                self.interp.swap_rng_stream(stream);
                match result {
                    Ok(result) => self.scores(&result),
                    Err(d) if [codes::TIMEOUT, codes::STEP_LIMIT].contains(&d.code) => {
                        let message = d.message.clone();
                        self.fatal = Some(d);
                        Err(message)
                    }
                    Err(d) => Err(d.message),
                }
            })
            .collect()
    }

    fn stopped(&self) -> Option<String> {
        self.fatal.as_ref().map(|d| d.message.clone())
    }
}

/// The random stream of a trial's objective call: a hash of its DNA (FNV-1a), high
/// bits set so it never meets the run's own streams.
fn trial_stream(dna: &Dna) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dna.to_text().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h | (1 << 63)
}

pub(super) fn search(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let space = args.value(0).clone();
    let objective = args.value(1).clone();
    let tree = space_of(&space)
        .map_err(|m| err_label(codes::INVALID_ARGUMENT, m, args.span(0), "in this space"))?;
    if !matches!(objective, Value::Func(_)) {
        return Err(err_label(
            codes::TYPE_MISMATCH,
            format!(
                "the objective must be a function, found {}",
                a_type(&objective)
            ),
            args.span(1),
            "not a function",
        ));
    }
    let mut algo = algorithm_of(args.value(2), args.span(2))?;
    let trials = args.opt_positive(3, 100)?;
    let seed = args.opt_int(4)?.unwrap_or(0) as u64;
    let minimize = match args.value(5) {
        Value::Unit => true,
        Value::Bool(b) => *b,
        other => {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("`minimize` is true or false, found {}", a_type(other)),
                args.span(5),
                "not a Bool",
            ));
        }
    };
    let ordinal = interp.searches.len();
    let parallel = args.opt_positive(6, 1)?;
    algo.parallel(parallel);
    let name = match args.value(8) {
        Value::Unit => "study".to_string(),
        _ => args.str(8)?.to_string(),
    };
    let replayed = interp
        .worker
        .as_ref()
        .and_then(|w| w.earlier.get(ordinal).cloned());
    let mut store = match args.value(7) {
        _ if replayed.is_some() => None,
        Value::Unit => None,
        _ => Some(open_store(interp, &args.str(7)?, args.span(7))?),
    };
    let opts = SearchOptions {
        trials,
        seed,
        // The search's own timeout, and never past the run's time limit (objectives
        // that fail are recorded and the search goes on, so a limit hit inside one
        // would not stop it).
        timeout: interp.within_time_left(args.opt_time_limit(9)?),
        study: name,
        space_text: Some(space.repr()),
        ..SearchOptions::default()
    };
    // Workers: this thread, and with `parallel = k` k - 1 helpers that join it on a
    // shared ledger (see `workers`); a helper's interpreter joins one search.
    let helper = interp.worker.as_ref().is_some_and(|w| w.ordinal == ordinal);
    let cancel = Arc::new(AtomicBool::new(false));
    let mut memory: Option<MemoryLedger> = None;
    if let Some(trials) = replayed {
        // A helper on its way to its search: the owner's outcomes, not evaluated again.
        memory = Some(MemoryLedger::with_trials(&trials));
    } else if helper {
        if store.is_none() {
            memory = interp.worker.as_mut().and_then(|w| w.ledger.take());
        }
    } else if parallel > 1
        && interp.worker.is_none()
        && let Some(steps) = interp.replay.clone()
    {
        let replay = Arc::new(super::workers::Replay {
            steps,
            limits: interp.limits.clone(),
            seed: interp.seed,
            engine: interp.engines.engine,
        });
        if store.is_none() {
            memory = Some(MemoryLedger::new());
        }
        let earlier = interp.searches.clone();
        spawn_helpers(
            &replay,
            ordinal,
            parallel - 1,
            memory.as_ref(),
            &cancel,
            &earlier,
        );
    }
    let span = args.span;
    // The embedder's progress callback runs during the search, while the trials
    // borrow the interpreter; it is lent out and given back afterwards.
    let mut hook = interp.progress.take();
    let mut candidates = Candidates {
        interp,
        space: &space,
        objective: &objective,
        minimize,
        span,
        pending: HashMap::new(),
        fatal: None,
    };
    let result = run_search(
        &tree,
        algo.as_mut(),
        &mut candidates,
        &opts,
        match (&mut store, &mut memory) {
            (Some(s), _) => Some(s.as_mut()),
            (None, Some(m)) => Some(m as &mut dyn Ledger),
            (None, None) => None,
        },
        &mut |_, sum| {
            if let Some(f) = hook.as_mut() {
                f(&Progress::Search {
                    done: sum.done,
                    total: trials,
                    best: sum.best_score.map(|s| if minimize { s } else { -s }),
                    unique: sum.unique,
                    cache_hits: sum.cache_hits,
                    failures: sum.failures,
                });
            }
        },
    );
    cancel.store(true, Ordering::Relaxed);
    if let Some(m) = memory.as_ref().filter(|_| !helper) {
        m.close();
    }
    if helper {
        // The rest of the run is the owner's.
        if let Some(w) = candidates.interp.worker.as_mut() {
            w.done = true;
        }
        return Err(err_label(
            codes::TIMEOUT,
            "this search helper's work is done".to_string(),
            span,
            "here",
        ));
    }
    let fatal = candidates
        .fatal
        .take()
        .or_else(|| candidates.interp.check_time(span).err());
    if let Some(f) = hook.as_mut() {
        f(&Progress::Done);
    }
    interp.progress = hook;
    if let Some(d) = fatal {
        return Err(d);
    }
    let study =
        result.map_err(|m| err_label(codes::INVALID_ARGUMENT, m, span, "in this search"))?;
    interp.searches.push(Arc::new(study.trials.clone()));
    study_value(&space, &study, minimize)
        .map_err(|m| err_label(codes::INVALID_ARGUMENT, m, span, "in this search"))
}

/// Opens the study storage named by `storage`: a PostgreSQL URL, or an SQLite
/// file (relative to the script).
pub(crate) fn open_store(interp: &Interp, text: &str, span: Span) -> EvalResult<Box<dyn Ledger>> {
    let fail = |m: String| {
        Box::new(
            Diagnostic::error(codes::STUDY_STORAGE, m)
                .at(span, "this storage")
                .hint("check that the file can be made, or that the server runs and accepts this user"),
        )
    };
    if text.starts_with("postgresql://") || text.starts_with("postgres://") {
        return PgStore::connect(text)
            .map(|s| Box::new(s) as Box<dyn Ledger>)
            .map_err(fail);
    }
    let path = PathBuf::from(text);
    let path = match &interp.base_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(parent);
    }
    Store::open(&path)
        .map(|s| Box::new(s) as Box<dyn Ledger>)
        .map_err(|m| {
            fail(format!(
                "cannot open the study database `{}`: {m}",
                path.display()
            ))
        })
}

/// A score as the user wrote the objective (undoing the sign for `minimize = false`).
fn score_value(scores: &[f64], minimize: bool) -> Value {
    let sign = if minimize { 1.0 } else { -1.0 };
    match scores {
        [one] => Value::Float(one * sign),
        many => Value::list(many.iter().map(|s| Value::Float(s * sign)).collect()),
    }
}

fn study_value(space: &Value, study: &Study, minimize: bool) -> Result<Value, String> {
    let mut trials = Vec::with_capacity(study.trials.len());
    for t in &study.trials {
        trials.push(trial_value(space, t, minimize)?);
    }
    let field = |name: &str, v: Value| (name.into(), v);
    let best = study.best_trial();
    let best_value = match best {
        Some(t) => materialize(space, &t.dna.0)?.0,
        None => Value::Unit,
    };
    let mut fields = vec![
        field("best", best_value),
        field(
            "best_score",
            best.and_then(|t| t.scores.as_deref())
                .map_or(Value::Float(f64::NAN), |s| score_value(s, minimize)),
        ),
        field(
            "best_dna",
            best.map_or(Value::list(Vec::new()), |t| dna_value(&t.dna)),
        ),
        field("trials", Value::list(trials)),
        field("unique", Value::Int(study.unique as i64)),
        field("cache_hits", Value::Int(study.cache_hits as i64)),
        field("failures", Value::Int(study.failures as i64)),
        field("workers", Value::Int(workers(study) as i64)),
        field(
            "stop",
            Value::str(match study.stop {
                Stop::Trials => "trials",
                Stop::Exhausted => "exhausted",
                Stop::Timeout => "timeout",
            }),
        ),
    ];
    if best
        .and_then(|t| t.scores.as_ref())
        .is_some_and(|s| s.len() > 1)
    {
        let mut front = Vec::with_capacity(study.pareto.len());
        for &i in &study.pareto {
            front.push(materialize(space, &study.trials[i].dna.0)?.0);
        }
        fields.push(field("front", Value::list(front)));
    }
    Ok(Value::Result(std::rc::Rc::new(crate::value::Record {
        fields,
    })))
}

/// The workers that evaluated trials (a search without helpers or storage: 1).
fn workers(study: &Study) -> usize {
    let evaluated = study
        .trials
        .iter()
        .filter(|t| !t.cached && !t.key.is_empty());
    let mut names: Vec<&str> = evaluated.map(|t| t.worker.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

fn trial_value(space: &Value, t: &Trial, minimize: bool) -> Result<Value, String> {
    let status = match (&t.scores, t.cached) {
        (None, _) => "failed",
        (Some(_), true) => "cached",
        (Some(_), false) => "ok",
    };
    let mut fields: Vec<(std::rc::Rc<str>, Value)> = vec![
        ("number".into(), Value::Int(t.number as i64)),
        ("value".into(), materialize(space, &t.dna.0)?.0),
        ("dna".into(), dna_value(&t.dna)),
        (
            "score".into(),
            t.scores
                .as_deref()
                .map_or(Value::Float(f64::NAN), |s| score_value(s, minimize)),
        ),
        ("time".into(), Value::Float(t.seconds)),
        ("status".into(), Value::str(status)),
    ];
    if let Some(e) = &t.error {
        fields.push(("error".into(), Value::str(e)));
    }
    Ok(Value::record(fields))
}

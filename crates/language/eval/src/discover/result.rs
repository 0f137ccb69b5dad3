//! The survivors of a discovery: simplified (`simplified`) and trained again,
//! judged on the held-out tasks and ordered (`finish`), and returned as the result
//! record (`result_value`).

use super::convert::Lowered;
use super::train::{Failure, TaskSet};
use super::{Discovery, Outcome, Trained, rule_source, tune_start, with_body};
use crate::evaluator::{EvalResult, Interp};
use crate::value::{Record, SymObj, Value};
use optl_discover::Counts;
use optl_discover::evolve;
use optl_syntax::span::Span;
use std::rc::Rc;

/// Counters of a discovery beside the evolution's.
pub(super) struct Tally {
    pub trainings: usize,
    pub funnel_rejected: usize,
    pub redundant: f64,
    /// The tuned start's losses on the held-out tasks, when given.
    pub heldout: Option<Vec<f64>>,
}

/// A returned rule: simplified and trained again (its own score and losses),
/// with its program lengths, traits, and held-out judgement when asked.
pub(super) struct Survivor {
    rule: Rc<SymObj>,
    score: f64,
    losses: Rc<[f64]>,
    funnel: Option<f64>,
    length_before: usize,
    length: usize,
    heldout: Option<(f64, Vec<f64>)>,
}

pub(super) type Finished = (Vec<Survivor>, Counts, evolve::Stop, f64);

/// The survivors simplified, retrained where simplification changed them, judged
/// on the held-out tasks, and ordered (by held-out score when there is one).
pub(super) fn finish(
    search: &mut Discovery,
    evolved: evolve::Evolved<Rc<SymObj>, Outcome>,
    heldout: Option<&mut TaskSet>,
    start_span: Span,
) -> EvalResult<Finished> {
    let mut entries = Vec::with_capacity(evolved.best.len());
    let mut removed = 0.0;
    for s in &evolved.best {
        let before = program_length(&s.candidate);
        let simple = simplified(search.trainer.interp, &s.candidate, search.trainer.span);
        let mut entry = Survivor {
            rule: s.candidate.clone(),
            score: s.score,
            losses: s.data.losses.clone(),
            funnel: s.data.funnel,
            length_before: before,
            length: before,
            heldout: None,
        };
        if !Rc::ptr_eq(&simple, &s.candidate) {
            let retrained = search
                .trainer
                .tuned(&mut search.proxy, std::slice::from_ref(&simple), &[1.0])
                .remove(0);
            match retrained {
                // A simplification that trains worse than the rule it came from
                // (folding and hash-checked removal may change bits, and tiny
                // losses amplify them) is not taken: the rule scored is returned.
                Ok(t) if t.score <= s.score => {
                    entry.length = program_length(&simple);
                    entry.rule = simple;
                    entry.score = t.score;
                    entry.losses = t.losses.into();
                }
                Ok(_) => {}
                Err(Failure::Fatal(d)) => return Err(d),
                // The simplified rule failed (it should not): keep the one scored.
                Err(_) => {}
            }
        }
        removed += 1.0 - entry.length as f64 / entry.length_before.max(1) as f64;
        entries.push(entry);
    }
    // Retrained scores may have moved: best first again (stable).
    entries.sort_by(|a, b| a.score.total_cmp(&b.score));
    if let Some(set) = heldout {
        // The start (untuned, as given) is tuned on the held-out tasks first.
        let start = search.given_start.clone();
        tune_start(&mut search.trainer, set, &start, start_span)?;
        let sweep = search.trainer.sweep.clone();
        let rules: Vec<Rc<SymObj>> = entries.iter().map(|e| e.rule.clone()).collect();
        let judged = search.trainer.tuned(set, &rules, &sweep);
        for (e, j) in entries.iter_mut().zip(judged) {
            e.heldout = Some(match j {
                Ok(t) => (t.score, t.losses),
                Err(Failure::Fatal(d)) => return Err(d),
                Err(_) => (f64::INFINITY, Vec::new()),
            });
        }
        // Stable: ties keep the proxy order.
        entries.sort_by(|a, b| {
            let h = |e: &Survivor| e.heldout.as_ref().map_or(f64::INFINITY, |h| h.0);
            h(a).total_cmp(&h(b))
        });
    }
    let redundant = removed / entries.len().max(1) as f64;
    Ok((entries, evolved.counts, evolved.stop, redundant))
}
/// The rule with its body simplified: the bit-exact identities
/// (`optl_discover::simplified`), constants folded and interpolations merged
/// (`optl_discover::folded`), then the statements whose removal leaves the
/// functional hash unchanged removed (`optl_discover::without_redundant`). The
/// later stages may change bits, so the caller trains the result again. The rule
/// itself when nothing changed.
fn simplified(interp: &mut Interp, rule: &Rc<SymObj>, span: Span) -> Rc<SymObj> {
    let lowered = Lowered::new(&rule.family.decl.body);
    let mut program = lowered.program.clone();
    if let Some(p) = optl_discover::simplified(&program) {
        program = p;
    }
    if let Some(p) = optl_discover::folded(&program) {
        program = p;
    }
    let mut key = |p: &optl_discover::RuleProgram| {
        let candidate = with_body(rule, lowered.raise(p));
        let f = interp.trace_rule_for_hash(&candidate, span).ok()?;
        Some(optl_ir::hash::functional_hash(&f, 0))
    };
    let program = optl_discover::without_redundant(&program, &mut key);
    if program == lowered.program {
        return rule.clone();
    }
    with_body(rule, lowered.raise(&program))
}

/// Statements plus expression nodes of a rule's body.
fn program_length(rule: &SymObj) -> usize {
    Lowered::new(&rule.family.decl.body).program.length()
}

/// The result record: the best rules, best first, and the counters.
pub(super) fn result_value(
    entries: Vec<Survivor>,
    start: &Trained,
    counts: &Counts,
    stop: evolve::Stop,
    tally: Tally,
) -> Value {
    let floats = |xs: &[f64]| Value::list(xs.iter().map(|x| Value::Float(*x)).collect());
    let strs = |xs: &[&str]| Value::list(xs.iter().map(|x| Value::str(x)).collect());
    let records: Vec<Value> = entries
        .iter()
        .map(|e| {
            let lowered = Lowered::new(&e.rule.family.decl.body);
            let traits = optl_discover::traits(&lowered.program);
            let mut fields = vec![
                ("rule".into(), Value::Sym(e.rule.clone())),
                ("source".into(), Value::str(&rule_source(&e.rule))),
                ("score".into(), Value::Float(e.score)),
                ("losses".into(), floats(&e.losses)),
                ("traits".into(), strs(&traits)),
                ("length".into(), Value::Int(e.length as i64)),
                ("length_before".into(), Value::Int(e.length_before as i64)),
            ];
            if let Some(f) = e.funnel {
                fields.push(("funnel_score".into(), Value::Float(f)));
            }
            if let Some((h, ls)) = &e.heldout {
                fields.push(("heldout_score".into(), Value::Float(*h)));
                fields.push(("heldout_losses".into(), floats(ls)));
            }
            Value::record(fields)
        })
        .collect();
    let best = match records.first() {
        Some(Value::Record(r)) => r.clone(),
        _ => Rc::new(Record { fields: Vec::new() }),
    };
    let field = |n: &str| best.get(n).cloned().unwrap_or(Value::Unit);
    let start_lr = start
        .candidate
        .args
        .iter()
        .find(|(n, _)| &**n == "lr")
        .map_or(Value::Unit, |(_, v)| v.clone());
    let mut fields = vec![
        ("best".into(), field("rule")),
        ("source".into(), field("source")),
        ("score".into(), field("score")),
        ("losses".into(), field("losses")),
        ("traits".into(), field("traits")),
        ("start_losses".into(), floats(&start.data.losses)),
        ("start_lr".into(), start_lr),
    ];
    if let Some(reference) = &tally.heldout {
        fields.push(("heldout_score".into(), field("heldout_score")));
        fields.push(("heldout_losses".into(), field("heldout_losses")));
        fields.push(("heldout_start_losses".into(), floats(reference)));
    }
    let hit_rate = counts.cache_hits as f64 / counts.proposed.max(1) as f64;
    fields.extend([
        ("rules".into(), Value::list(records)),
        ("trials".into(), Value::Int(counts.proposed as i64)),
        ("unique".into(), Value::Int(counts.unique as i64)),
        ("cache_hits".into(), Value::Int(counts.cache_hits as i64)),
        ("cache_hit_rate".into(), Value::Float(hit_rate)),
        ("invalid".into(), Value::Int(counts.invalid as i64)),
        ("failures".into(), Value::Int(counts.failures as i64)),
        ("trainings".into(), Value::Int(tally.trainings as i64)),
        (
            "funnel_rejected".into(),
            Value::Int(tally.funnel_rejected as i64),
        ),
        ("redundant".into(), Value::Float(tally.redundant)),
        ("stop".into(), Value::str(stop.as_str())),
    ]);
    Value::record(fields)
}

//! The search loop and the store: caching of duplicates, failures, parallel
//! batches, and resuming a stored study exactly.

mod common;

use common::{FnObjective, remove_store, temp_store, values};
use optl_search::{
    Algorithm, Dna, Evolution, Ledger, Objective, Random, SearchOptions, Space, Stop, Store, Study,
    Tpe, Trial, run_search,
};

fn opts(trials: usize, seed: u64) -> SearchOptions {
    SearchOptions {
        trials,
        seed,
        ..SearchOptions::default()
    }
}

fn sum_score(d: &Dna) -> Result<Vec<f64>, String> {
    Ok(vec![values(d).iter().sum()])
}

/// A trial without its timing.
type Outcome = (usize, Dna, String, Option<Vec<f64>>, Option<String>, bool);

/// Trials without their timings.
fn outcomes(trials: &[Trial]) -> Vec<Outcome> {
    trials
        .iter()
        .map(|t| {
            (
                t.number,
                t.dna.clone(),
                t.key.clone(),
                t.scores.clone(),
                t.error.clone(),
                t.cached,
            )
        })
        .collect()
}

#[test]
fn duplicates_are_cached_not_evaluated() {
    let space = Space::OneOf(vec![Space::Fixed; 3]);
    for batch in [1, 8] {
        let mut obj = FnObjective::new(sum_score);
        let mut calls = 0;
        let s = run_search(
            &space,
            &mut Random {
                batch,
                ..Random::default()
            },
            &mut obj,
            &opts(20, 0),
            None,
            &mut |t, sum| {
                calls += 1;
                assert_eq!(sum.done, t.number + 1);
            },
        )
        .unwrap();
        assert_eq!(calls, 20);
        assert_eq!(s.trials.len(), 20);
        assert_eq!(s.unique, 3);
        assert_eq!(s.cache_hits, 17);
        assert_eq!(obj.evaluated, 3, "batch {batch}");
        assert_eq!(s.trials.iter().filter(|t| t.cached).count(), 17);
        assert_eq!(s.best_trial().unwrap().scores, Some(vec![0.0]));
        assert!(s.trials.iter().all(|t| t.scores.is_some()));
    }
}

#[test]
fn batches_give_the_same_study_as_one_at_a_time() {
    let space = Space::Seq(vec![
        Space::OneOf(vec![Space::Fixed; 4]),
        Space::Int { lo: 0, hi: 3 },
    ]);
    let one = run_search(
        &space,
        &mut Random {
            batch: 1,
            ..Random::default()
        },
        &mut FnObjective::new(sum_score),
        &opts(50, 4),
        None,
        &mut |_, _| {},
    );
    let mut obj = FnObjective::new(sum_score);
    let eight = run_search(
        &space,
        &mut Random {
            batch: 8,
            ..Random::default()
        },
        &mut obj,
        &opts(50, 4),
        None,
        &mut |_, _| {},
    );
    let (one, eight) = (one.unwrap(), eight.unwrap());
    assert_eq!(outcomes(&one.trials), outcomes(&eight.trials));
    // At most one call per batch of 8 (none when all of a batch is cached).
    assert!(
        obj.calls <= 7 && obj.evaluated == eight.unique,
        "{} calls",
        obj.calls
    );
}

#[test]
fn failures_are_recorded_and_the_search_goes_on() {
    struct Picky(usize);
    impl Objective for Picky {
        fn key(&mut self, dna: &Dna) -> Result<(String, String), String> {
            match dna.0[0] {
                optl_search::Decision::Index(0) => Err("cannot build candidate 0".into()),
                _ => Ok((dna.to_text(), String::new())),
            }
        }
        fn evaluate(&mut self, batch: &[&Dna]) -> Vec<Result<Vec<f64>, String>> {
            self.0 += batch.len();
            batch
                .iter()
                .map(|d| match d.0[0] {
                    optl_search::Decision::Index(1) => Err("diverged".to_string()),
                    optl_search::Decision::Index(2) => Ok(vec![f64::NAN]),
                    optl_search::Decision::Index(i) => Ok(vec![i as f64]),
                    _ => unreachable!(),
                })
                .collect()
        }
    }
    let space = Space::OneOf(vec![Space::Fixed; 5]);
    let mut obj = Picky(0);
    let s = run_search(
        &space,
        &mut Evolution::new(4, 2, 0.5),
        &mut obj,
        &opts(40, 2),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(s.trials.len(), 40);
    let err = |i: usize| {
        s.trials
            .iter()
            .find(|t| t.dna.0[0] == optl_search::Decision::Index(i))
            .unwrap()
    };
    assert_eq!(err(0).error.as_deref(), Some("cannot build candidate 0"));
    assert_eq!(err(1).error.as_deref(), Some("diverged"));
    assert_eq!(err(2).error.as_deref(), Some("the score is NaN"));
    assert!(s.failures > 3 && s.trials.iter().filter(|t| t.scores.is_none()).count() == s.failures);
    assert_eq!(s.best_trial().unwrap().scores, Some(vec![3.0]));
    // Key failures are not evaluated; the other two failing candidates are evaluated once each.
    assert_eq!(obj.0, 4);
}

#[test]
fn timeout_stops_before_the_next_batch() {
    let space = Space::OneOf(vec![Space::Fixed; 3]);
    let o = SearchOptions {
        timeout: Some(std::time::Duration::ZERO),
        ..opts(10, 0)
    };
    let s = run_search(
        &space,
        &mut Random::default(),
        &mut FnObjective::new(sum_score),
        &o,
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!((s.trials.len(), s.stop), (0, Stop::Timeout));
}

fn digits() -> Space {
    Space::Seq(vec![
        Space::OneOf(vec![Space::Fixed; 4]),
        Space::OneOf(vec![
            Space::Int { lo: 0, hi: 2 },
            Space::Float {
                lo: 0.1,
                hi: 1.0,
                log: true,
            },
        ]),
    ])
}

fn search(
    algo: &mut dyn Algorithm,
    trials: usize,
    seed: u64,
    store: Option<&mut Store>,
) -> Result<(Study, usize), String> {
    let mut obj = FnObjective::new(sum_score);
    let o = SearchOptions {
        study: "digits".into(),
        ..opts(trials, seed)
    };
    let store = store.map(|s| s as &mut dyn Ledger);
    let s = run_search(&digits(), algo, &mut obj, &o, store, &mut |_, _| {})?;
    Ok((s, obj.evaluated))
}

#[test]
fn resumed_studies_equal_uninterrupted_ones() {
    type Make = fn() -> Box<dyn Algorithm>;
    let makes: [(&str, Make); 3] = [
        ("evolution", || Box::new(Evolution::new(6, 3, 0.3))),
        ("random", || Box::new(Random::default())),
        ("tpe", || Box::new(Tpe::default())),
    ];
    for (name, make) in makes {
        let (whole, _) = search(make().as_mut(), 60, 3, None).unwrap();
        let path = temp_store(&format!("resume-{name}"));
        {
            let mut store = Store::open(&path).unwrap();
            let (first, _) = search(make().as_mut(), 25, 3, Some(&mut store)).unwrap();
            assert_eq!(outcomes(&first.trials), outcomes(&whole.trials[..25]));
        }
        let mut store = Store::open(&path).unwrap();
        let (resumed, evaluated) = search(make().as_mut(), 60, 3, Some(&mut store)).unwrap();
        assert_eq!(outcomes(&resumed.trials), outcomes(&whole.trials), "{name}");
        assert_eq!(
            (resumed.unique, resumed.cache_hits, resumed.best),
            (whole.unique, whole.cache_hits, whole.best)
        );
        // Only the trials after the first 25 were evaluated.
        let new = whole.trials[25..].iter().filter(|t| !t.cached).count();
        assert_eq!(evaluated, new, "{name}");
        let stored = store.trials("digits").unwrap();
        assert_eq!(outcomes(&stored), outcomes(&whole.trials), "{name}");
        // Running again with fewer trials replays without evaluating or writing.
        let (again, evaluated) = search(make().as_mut(), 40, 3, Some(&mut store)).unwrap();
        assert_eq!((again.trials.len(), evaluated), (40, 0));
        assert_eq!(store.trials("digits").unwrap().len(), 60);
        let info = store.studies().unwrap();
        assert_eq!((info.len(), info[0].trials, info[0].seed), (1, 60, 3));
        assert_eq!(
            info[0].best,
            whole.best_trial().unwrap().scores.as_ref().map(|s| s[0])
        );
        assert_eq!(store.cache("digits").unwrap().len(), whole.unique);
        drop(store);
        remove_store(&path);
    }
}

#[test]
fn mismatched_studies_are_refused() {
    let path = temp_store("mismatch");
    let mut store = Store::open(&path).unwrap();
    search(&mut Evolution::new(6, 3, 0.3), 10, 3, Some(&mut store)).unwrap();
    let e = search(&mut Evolution::new(6, 3, 0.3), 10, 4, Some(&mut store)).unwrap_err();
    assert!(e.contains("different seed 3 (now 4)"), "{e}");
    let e = search(&mut Evolution::new(7, 3, 0.3), 10, 3, Some(&mut store)).unwrap_err();
    assert!(e.contains("different algorithm"), "{e}");
    // Same texts but another decision tree: caught by replaying the DNA.
    let mut obj = FnObjective::new(sum_score);
    let o = SearchOptions {
        study: "digits".into(),
        space_text: Some(digits().to_string()),
        ..opts(10, 3)
    };
    let other = Space::OneOf(vec![Space::Fixed; 9]);
    let e = run_search(
        &other,
        &mut Evolution::new(6, 3, 0.3),
        &mut obj,
        &o,
        Some(&mut store),
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(
        e.contains("the stored study was made with a different space/seed/algorithm"),
        "{e}"
    );
    drop(store);
    remove_store(&path);
    let e = Store::open(std::env::temp_dir().join("no-such-dir-optl/x.db"))
        .map(|_| ())
        .unwrap_err();
    assert!(e.contains("cannot open the study store"), "{e}");
}

#[test]
fn warm_cache_and_multi_objective_front() {
    let path = temp_store("warm");
    let mut store = Store::open(&path).unwrap();
    search(&mut Random::default(), 30, 1, Some(&mut store)).unwrap();
    let cache = store.cache("digits").unwrap();
    let mut obj = FnObjective::new(|d: &Dna| {
        let v = values(d);
        Ok(vec![v[0], -v[1]])
    });
    let o = SearchOptions {
        warm_cache: cache,
        ..opts(30, 1)
    };
    let s = run_search(
        &digits(),
        &mut Random::default(),
        &mut obj,
        &o,
        None,
        &mut |_, _| {},
    )
    .unwrap();
    // Same seed, so every candidate is known already.
    assert_eq!((obj.evaluated, s.cache_hits), (0, 30));
    let mut obj = FnObjective::new(|d: &Dna| {
        let v = values(d);
        Ok(vec![v[0], -v[1]])
    });
    let s = run_search(
        &digits(),
        &mut Random::default(),
        &mut obj,
        &opts(60, 5),
        None,
        &mut |_, _| {},
    )
    .unwrap();
    assert!(!s.pareto.is_empty());
    for &i in &s.pareto {
        let a = s.trials[i].scores.as_ref().unwrap();
        for t in &s.trials {
            let b = t.scores.as_ref().unwrap();
            assert!(
                !optl_solvers::multi::dominance::dominates(b, a),
                "{i} is dominated by {}",
                t.number
            );
        }
    }
    assert_eq!(s.best, Some(s.pareto[0]));
    drop(store);
    remove_store(&path);
}

//! Unit tests of regularized evolution on a toy search over integers (score
//! `(x - 42)²`): deterministic given the seed, counters that add up, each key
//! evaluated once, the population aging, and the ways a search stops.

use super::*;

/// Integers stepped by -3..=3; multiples of 7 fail, those below -50 have no key;
/// `fatal_at`/`out_of_time_at` make the n-th evaluation fail so.
#[derive(Default)]
struct Toy {
    evaluated: Vec<i64>,
    parents: Vec<i64>,
    children: Vec<Option<i64>>,
    batches: usize,
    max_batches: Option<usize>,
    fatal_at: Option<usize>,
    out_of_time_at: Option<usize>,
    progress: Vec<usize>,
}

impl Search for Toy {
    type Candidate = i64;
    type Key = i64;
    type Data = String;
    type Error = String;

    fn proceed(&mut self) -> Result<bool, String> {
        self.batches += 1;
        Ok(self.max_batches.is_none_or(|m| self.batches <= m))
    }

    fn child(&mut self, parent: &i64, rng: &mut ChaCha8Rng) -> Option<i64> {
        self.parents.push(*parent);
        let step = rng.random_range(-3..=3);
        let child = (step != 0).then_some(parent + step);
        self.children.push(child);
        child
    }

    fn key(&mut self, c: &i64) -> Option<i64> {
        (*c >= -50).then_some(*c)
    }

    fn evaluate(&mut self, cs: &[i64]) -> Vec<Evaluation<String, String>> {
        cs.iter()
            .map(|&x| {
                self.evaluated.push(x);
                let n = self.evaluated.len();
                if self.fatal_at == Some(n) {
                    return Err(Failure::Fatal(format!("fatal at {x}")));
                }
                if self.out_of_time_at == Some(n) {
                    return Err(Failure::OutOfTime);
                }
                if x % 7 == 0 {
                    return Err(Failure::Rejected);
                }
                Ok((((x - 40) * (x - 40)) as f64, format!("x={x}")))
            })
            .collect()
    }

    fn progress(&mut self, counts: &Counts, _best: Option<f64>) {
        self.progress.push(counts.proposed);
    }
}

fn start() -> Scored<i64, String> {
    Scored {
        candidate: 1,
        score: 39.0 * 39.0,
        data: "start".into(),
    }
}

fn settings(seed: u64) -> Settings {
    Settings {
        trials: 300,
        population: 10,
        tournament: 3,
        top: 4,
        batch: 8,
        seed,
        cache: CACHE_LIMIT,
    }
}

fn run(toy: &mut Toy, settings: &Settings) -> Evolved<i64, String> {
    evolve(toy, start(), settings).expect("no fatal error")
}

#[test]
fn the_same_seed_gives_the_same_evolution() {
    let (mut a, mut b, mut c) = (Toy::default(), Toy::default(), Toy::default());
    let (ra, rb) = (run(&mut a, &settings(3)), run(&mut b, &settings(3)));
    run(&mut c, &settings(4));
    assert_eq!((&ra.best, ra.counts), (&rb.best, rb.counts));
    assert_eq!(a.parents, b.parents);
    assert_ne!(a.parents, c.parents);
    assert_ne!(a.evaluated, c.evaluated);
}

/// A toy run pinned: the order of the draws (parents, tournaments) is part of what
/// a seeded `discover` returns.
#[test]
fn the_draws_are_made_in_a_fixed_order() {
    let mut toy = Toy::default();
    let r = run(&mut toy, &settings(3));
    assert_eq!(
        (&toy.parents[40..52], r.counts),
        (&PINNED_PARENTS[..], PINNED_COUNTS)
    );
}

const PINNED_PARENTS: [i64; 12] = [8, 5, 4, 8, 4, 8, 5, 8, 5, 6, 6, 3];
const PINNED_COUNTS: Counts = Counts {
    proposed: 300,
    unique: 42,
    cache_hits: 223,
    invalid: 35,
    failures: 7,
};

#[test]
fn the_evolution_improves_and_keeps_the_best_first() {
    let mut toy = Toy::default();
    let r = run(&mut toy, &settings(0));
    assert_eq!(r.stop, Stop::Trials);
    assert_eq!(r.best[0].candidate, 40, "{:?}", r.best);
    assert_eq!(r.best[0].score, 0.0);
    assert_eq!(r.best[0].data, "x=40");
    assert_eq!(r.best.len(), 4);
    assert!(r.best.windows(2).all(|w| w[0].score <= w[1].score));
    let mut keys: Vec<i64> = r.best.iter().map(|s| s.candidate).collect();
    keys.dedup();
    assert_eq!(keys.len(), 4, "distinct");
    assert!(
        r.best.iter().all(|s| s.candidate % 7 != 0),
        "no failure is kept"
    );
}

#[test]
fn the_counters_add_up_and_each_key_is_evaluated_once() {
    let mut toy = Toy::default();
    let c = run(&mut toy, &settings(1)).counts;
    assert_eq!(c.proposed, 300);
    assert_eq!(c.proposed, c.unique + c.cache_hits + c.invalid);
    assert_eq!(c.unique, toy.evaluated.len());
    assert!(c.cache_hits > 0 && c.invalid > 0 && c.failures > 0, "{c:?}");
    let rejected = toy.evaluated.iter().filter(|x| *x % 7 == 0).count();
    assert_eq!(c.failures, rejected);
    let mut sorted = toy.evaluated.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), toy.evaluated.len(), "a key evaluated twice");
    assert!(!toy.evaluated.contains(&1), "the start is known");
    assert_eq!(toy.progress, (1..=300).collect::<Vec<_>>());
}

#[test]
fn the_population_ages_out_its_oldest() {
    // With a population of one and batches of one, each parent is the last
    // candidate that scored, however good the earlier ones were.
    let mut toy = Toy::default();
    let s = Settings {
        population: 1,
        batch: 1,
        trials: 200,
        ..settings(2)
    };
    run(&mut toy, &s);
    let mut expected = 1;
    for (i, (&parent, &child)) in toy.parents.iter().zip(&toy.children).enumerate() {
        assert_eq!(parent, expected, "parent {i}");
        if let Some(c) = child
            && c >= -50
            && c % 7 != 0
        {
            expected = c;
        }
    }
    assert_eq!(toy.parents.len(), 200);
}

#[test]
fn a_search_that_may_not_proceed_stops_with_what_it_has() {
    let mut toy = Toy {
        max_batches: Some(3),
        ..Toy::default()
    };
    let r = run(&mut toy, &settings(0));
    assert_eq!(r.stop, Stop::Timeout);
    assert_eq!(r.counts.proposed, 24);
}

#[test]
fn running_out_of_time_in_a_batch_drops_the_rest_of_it() {
    let mut toy = Toy {
        out_of_time_at: Some(10),
        ..Toy::default()
    };
    let r = run(&mut toy, &settings(0));
    assert_eq!(r.stop, Stop::Timeout);
    // What came before the tenth evaluation in its batch counts, nothing after.
    let last = 8 * (toy.batches - 1);
    assert!(
        (last..last + 8).contains(&r.counts.proposed),
        "{:?}",
        r.counts
    );
    assert_eq!(
        r.counts.proposed,
        r.counts.unique + r.counts.cache_hits + r.counts.invalid
    );
    assert_eq!(r.counts.unique, 9);
}

#[test]
fn a_fatal_error_ends_the_search() {
    let mut toy = Toy {
        fatal_at: Some(5),
        ..Toy::default()
    };
    let err = evolve(&mut toy, start(), &settings(0)).expect_err("fatal");
    assert!(err.starts_with("fatal at "), "{err}");
}

#[test]
fn a_bounded_cache_forgets_past_its_bound_but_the_counters_still_add_up() {
    // With room for 5 keys, repeats of later keys are evaluated again.
    let mut bounded = Toy::default();
    let small = Settings {
        cache: 5,
        ..settings(3)
    };
    let r = run(&mut bounded, &small);
    let c = r.counts;
    assert_eq!(c.proposed, c.unique + c.cache_hits + c.invalid);
    let mut distinct = bounded.evaluated.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        bounded.evaluated.len() > distinct.len(),
        "some key was evaluated again"
    );
    // The same search with the default bound evaluates each key once, and both
    // find the same best (outcomes do not depend on the cache).
    let mut full = Toy::default();
    let r_full = run(&mut full, &settings(3));
    let mut once = full.evaluated.clone();
    once.sort_unstable();
    once.dedup();
    assert_eq!(once.len(), full.evaluated.len());
    assert_eq!(r.best[0].candidate, r_full.best[0].candidate);
}

//! Helpers shared by the integration tests: random spaces, closure
//! objectives and temporary store files.

#![allow(dead_code)]

use optl_search::{Algorithm, Decision, Dna, Evolution, Objective, Random, Space, Tpe, Trial};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;

/// A random valid space of nesting at most `depth`.
pub fn random_space(rng: &mut ChaCha8Rng, depth: usize) -> Space {
    let kind = if depth == 0 {
        rng.random_range(0..3)
    } else {
        rng.random_range(0..6)
    };
    match kind {
        0 => Space::Fixed,
        1 => {
            let lo = rng.random_range(-5i64..5);
            Space::Int {
                lo,
                hi: lo + rng.random_range(0i64..4),
            }
        }
        2 => {
            let log = rng.random_bool(0.5);
            let lo = if log { 0.01 } else { -1.0 };
            let hi = if rng.random_bool(0.1) {
                lo
            } else {
                lo + rng.random_range(1..10) as f64
            };
            Space::Float { lo, hi, log }
        }
        3 => Space::Seq(
            (0..rng.random_range(0..4))
                .map(|_| random_space(rng, depth - 1))
                .collect(),
        ),
        4 => Space::OneOf(
            (0..rng.random_range(1..4))
                .map(|_| random_space(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let n = rng.random_range(1..5);
            let distinct = rng.random_bool(0.5);
            let k = if distinct {
                rng.random_range(0..=n)
            } else {
                rng.random_range(0..4)
            };
            Space::ManyOf {
                k,
                candidates: (0..n).map(|_| random_space(rng, depth - 1)).collect(),
                distinct,
                sorted: rng.random_bool(0.5),
            }
        }
    }
}

/// An objective from a scoring closure; the key is the DNA's text form.
pub struct FnObjective<F: FnMut(&Dna) -> Result<Vec<f64>, String>> {
    pub score: F,
    /// Candidates evaluated.
    pub evaluated: usize,
    /// Calls of `evaluate`.
    pub calls: usize,
}

impl<F: FnMut(&Dna) -> Result<Vec<f64>, String>> FnObjective<F> {
    pub fn new(score: F) -> Self {
        FnObjective {
            score,
            evaluated: 0,
            calls: 0,
        }
    }
}

impl<F: FnMut(&Dna) -> Result<Vec<f64>, String>> Objective for FnObjective<F> {
    fn key(&mut self, dna: &Dna) -> Result<(String, String), String> {
        Ok((dna.to_text(), dna.to_string()))
    }

    fn evaluate(&mut self, batch: &[&Dna]) -> Vec<Result<Vec<f64>, String>> {
        self.calls += 1;
        self.evaluated += batch.len();
        batch.iter().map(|d| (self.score)(d)).collect()
    }
}

/// The numbers of a DNA's decisions as floats.
pub fn values(dna: &Dna) -> Vec<f64> {
    dna.0
        .iter()
        .map(|d| match d {
            Decision::Index(i) => *i as f64,
            Decision::Int(v) => *v as f64,
            Decision::Float(x) => *x,
        })
        .collect()
}

/// A fresh path for a store file in the temporary directory.
pub fn temp_store(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("optl-search-{}-{name}.db", std::process::id()));
    remove_store(&p);
    p
}

/// Deletes a store file with its WAL side files.
pub fn remove_store(p: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        let _ = std::fs::remove_file(s);
    }
}

/// The space of the shared-study tests.
pub fn space() -> Space {
    Space::Seq(vec![
        Space::OneOf(vec![Space::Fixed; 5]),
        Space::Int { lo: 0, hi: 6 },
        Space::Float {
            lo: 0.1,
            hi: 1.0,
            log: false,
        },
    ])
}

/// The algorithms every shared-study test runs.
pub type Make = fn() -> Box<dyn Algorithm>;

pub const ALGOS: [(&str, Make); 5] = [
    ("random", || {
        Box::new(Random {
            batch: 6,
            ..Random::default()
        })
    }),
    ("evolution", || Box::new(Evolution::new(8, 3, 0.4))),
    ("tpe", || Box::new(Tpe::default())),
    ("evolution batch 4", || {
        let mut e = Evolution::new(8, 3, 0.4);
        e.parallel(4);
        Box::new(e)
    }),
    ("tpe batch 3", || {
        let mut t = Tpe::default();
        t.parallel(3);
        Box::new(t)
    }),
];

/// A trial as every worker must see it (not who ran it, nor how long).
pub fn seen(trials: &[Trial]) -> Vec<(usize, String, Option<Vec<f64>>, bool)> {
    trials
        .iter()
        .map(|t| (t.number, t.dna.to_text(), t.scores.clone(), t.cached))
        .collect()
}

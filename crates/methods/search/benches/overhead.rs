//! Per-trial overhead of `run_search` with a trivial objective, over 10⁴
//! trials, for random search and regularized evolution, without a store and
//! with a store in a temporary file. Prints µs/trial.
//! Run: `cargo bench -p optl-search --bench overhead`.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use optl_search::{
    Algorithm, Dna, Evolution, Objective, Random, SearchOptions, Space, Store, run_search,
};

/// Scores a DNA by its text length; the key is the DNA's text.
struct Trivial;

impl Objective for Trivial {
    fn key(&mut self, dna: &Dna) -> Result<(String, String), String> {
        Ok((dna.to_text(), String::new()))
    }

    fn evaluate(&mut self, batch: &[&Dna]) -> Vec<Result<Vec<f64>, String>> {
        batch.iter().map(|d| Ok(vec![d.len() as f64])).collect()
    }
}

/// Makes a fresh algorithm.
type Make = fn() -> Box<dyn Algorithm>;

fn main() {
    let trials = 10_000;
    let mut seq = vec![Space::OneOf(vec![Space::Fixed; 10]); 8];
    seq.push(Space::Float {
        lo: 1e-4,
        hi: 1.0,
        log: true,
    });
    let space = Space::Seq(seq);
    let dir = std::env::temp_dir();
    // Warm up (allocator, page faults) before timing anything.
    let warm = SearchOptions {
        trials,
        ..SearchOptions::default()
    };
    run_search(
        &space,
        &mut Random::default(),
        &mut Trivial,
        &warm,
        None,
        &mut |_, _| {},
    )
    .expect("search");
    let algos: [(&str, Make); 2] = [
        ("random", || Box::new(Random::default())),
        ("evolution(20, 5, 0.1)", || {
            Box::new(Evolution::new(20, 5, 0.1))
        }),
    ];
    for (name, make) in algos {
        for with_store in [false, true] {
            let path = dir.join(format!("optl-search-bench-{}.db", std::process::id()));
            let mut store = with_store.then(|| Store::open(&path).expect("open the store"));
            let opts = SearchOptions {
                trials,
                seed: 1,
                ..SearchOptions::default()
            };
            let t0 = Instant::now();
            let study = run_search(
                &space,
                make().as_mut(),
                &mut Trivial,
                &opts,
                store.as_mut().map(|s| s as &mut dyn optl_search::Ledger),
                &mut |_, _| {},
            )
            .expect("search");
            let us = t0.elapsed().as_secs_f64() * 1e6 / trials as f64;
            assert_eq!(study.trials.len(), trials);
            println!(
                "{name:<24} store={:<5} {us:8.2} µs/trial  ({} unique, {} cache hits)",
                with_store, study.unique, study.cache_hits
            );
            drop(store);
            for suffix in ["", "-wal", "-shm"] {
                let mut s = path.as_os_str().to_owned();
                s.push(suffix);
                let _ = std::fs::remove_file(s);
            }
        }
    }
}

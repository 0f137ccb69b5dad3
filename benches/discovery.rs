//! Benchmark: `discover`'s throughput and cache (issue: ≥ 5,000 candidate
//! evaluations/s/core on `tasks.quadratic(n = 8)` at 50 steps, ≥ 2,000/s/core on
//! examples/31's three tasks at 100 steps; Lion's search reports an 89% hit rate of
//! its functional-hash cache). One run of each, from `adamw()`, 3000 trials,
//! population 100, on all the cores rayon uses; "candidates" are the unique
//! candidates trained (cache hits and mutants that do not trace cost little and
//! are not counted), a "training" one run of a candidate on one task at one
//! learning rate of the sweep. Then the cache across runs: a discovery with SQLite
//! storage run twice, the second run taking every outcome from the study.
//! Run with `cargo bench --bench discovery`.
#![allow(clippy::print_stdout)]

use optl::Interpreter;
use std::time::Instant;

const TRIALS: usize = 3000;

struct Figures {
    seconds: f64,
    unique: i64,
    trainings: i64,
    hit_rate: f64,
}

fn run(tasks: &str, steps: usize, sweep: usize, extra: &str) -> Figures {
    let mut optl = Interpreter::new();
    let src = format!(
        "let d = discover(tasks = {tasks}, trials = {TRIALS}, population = 100, steps = {steps}, \
         seed = 0, sweep = {sweep}{extra})\n[d.unique, d.trainings, d.cache_hit_rate]"
    );
    let t = Instant::now();
    let v = optl.eval_str(&src).expect("discover runs");
    let seconds = t.elapsed().as_secs_f64();
    let v = Vec::<f64>::try_from(v).expect("numbers");
    Figures {
        seconds,
        unique: v[0] as i64,
        trainings: v[1] as i64,
        hit_rate: v[2],
    }
}

fn main() {
    let cores = rayon::current_num_threads();
    println!(
        "discover from adamw(), {TRIALS} trials, population 100, {cores} cores (per-core figures divide by {cores})"
    );
    println!(
        "{:<34} {:>5} {:>8} {:>8} {:>11} {:>13} {:>9}",
        "tasks", "sweep", "seconds", "unique", "cand/s/core", "trainings/s/c", "hit rate"
    );
    let three =
        "[tasks.quadratic(n = 8, cond = 10), tasks.logreg(n = 100, d = 5), tasks.mlp(n = 64)]";
    for (name, tasks, steps, goal) in [
        (
            "quadratic(n = 8), 50 steps",
            "[tasks.quadratic(n = 8)]",
            50,
            5000,
        ),
        ("examples/31's three, 100 steps", three, 100, 2000),
    ] {
        for sweep in [1, 5] {
            let f = run(tasks, steps, sweep, "");
            let per_core = |x: i64| x as f64 / f.seconds / cores as f64;
            println!(
                "{name:<34} {sweep:>5} {:>8.2} {:>8} {:>11.0} {:>13.0} {:>8.1}%   (goal ≥ {goal} cand/s/core)",
                f.seconds,
                f.unique,
                per_core(f.unique),
                per_core(f.trainings),
                100.0 * f.hit_rate
            );
        }
    }
    let dir = std::env::temp_dir().join(format!("optl-bench-discovery-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let db = dir.join("d.db");
    let store = format!(", storage = \"{}\"", db.display());
    let first = run("[tasks.quadratic(n = 8)]", 50, 5, &store);
    let second = run("[tasks.quadratic(n = 8)]", 50, 5, &store);
    println!(
        "with SQLite storage, quadratic(n = 8): first run {:.2} s ({} trainings), the same run again {:.2} s \
         ({} trainings: the start's tuning only)",
        first.seconds, first.trainings, second.seconds, second.trainings
    );
    let _ = std::fs::remove_dir_all(&dir);
}

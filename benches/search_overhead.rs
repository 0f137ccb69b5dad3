//! Benchmark: per-trial overhead of `search` on a trivial objective over 10⁴ trials
//! (issue goal: ≤ 20 µs/trial for random and evolution; Optuna here spends ~630 µs
//! per trial with random sampling). Also with SQLite storage, where each finished
//! batch is committed. Then a learning-rate search whose objective is a real solve
//! (Adam, 100 steps on Rosenbrock n = 10), where every trial's update kernel is the
//! one compiled for the first. Last, `discover` (LANGUAGE.md §9): candidates per second
//! on the three proxy tasks, each candidate traced, hashed, compiled and trained on
//! every task. Run with `cargo bench --bench search_overhead`.
#![allow(clippy::print_stdout)]

use optl::Interpreter;
use std::time::Instant;

const TRIALS: usize = 10_000;

fn per_trial_us(algo: &str, storage: Option<&str>) -> f64 {
    let mut optl = Interpreter::new();
    let store = storage.map_or(String::new(), |p| {
        format!(", storage = \"{p}\", name = \"b\"")
    });
    let src = format!(
        "let st = search(intv(0, 1000000000), fn(k) = k % 1000, algo = {algo}, trials = {TRIALS}, seed = 1{store})\nlen(st.trials)"
    );
    let t = Instant::now();
    let n = optl.eval_str(&src).expect("search runs");
    let elapsed = t.elapsed();
    assert_eq!(i64::try_from(n).expect("an Int"), TRIALS as i64);
    elapsed.as_secs_f64() * 1e6 / TRIALS as f64
}

fn main() {
    let dir = std::env::temp_dir().join(format!("optl-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    println!("search overhead, trivial objective fn(k) = k % 1000, {TRIALS} trials (µs/trial)");
    for (name, algo) in [
        ("random", "random()"),
        ("evolution", "evolution(population = 32, tournament = 8)"),
        ("tpe", "tpe()"),
    ] {
        let memory = per_trial_us(algo, None);
        let db = dir.join(format!("{name}.db"));
        let _ = std::fs::remove_file(&db);
        let stored = per_trial_us(algo, db.to_str());
        println!(
            "  {name:<10} in memory {memory:>8.2}   with SQLite storage {stored:>8.2}   (goal ≤ 20 in memory)"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    let trials = 2000;
    let src = format!(
        "problem rosen(n = 2) {{\n  var x[n] = -1.2\n  minimize sum(100 * (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)\n}}\n\
         let st = search(adam(lr = floatv(1e-4, 1e-1, scale = \"log\")),\n\
           fn(opt) = solve(rosen(n = 10), opt, steps = 100).f, algo = random(), trials = {trials}, seed = 0)\n\
         st.unique"
    );
    let mut optl = Interpreter::new();
    let t = Instant::now();
    let unique = optl.eval_str(&src).expect("search runs");
    let per_trial = t.elapsed().as_secs_f64() * 1e6 / trials as f64;
    assert_eq!(i64::try_from(unique).expect("an Int"), trials);
    let stats = optl.engine_stats();
    println!(
        "learning-rate search, adam on rosen(n = 10), 100 steps per trial: {per_trial:.1} µs/trial, \
         {} kernels compiled for {trials} trials",
        stats.compiled
    );

    let trials = 300;
    let src = format!(
        "import std.tasks\n\
         let tk = [tasks.quadratic(n = 8, cond = 10), tasks.logreg(n = 100, d = 5), tasks.mlp(n = 64)]\n\
         let d = discover(start = sgd(lr = 0.01), tasks = tk, trials = {trials}, population = 20, \
           steps = 100, seed = 0)\n\
         [d.unique, d.cache_hits]"
    );
    let mut optl = Interpreter::new();
    let t = Instant::now();
    let counts = optl.eval_str(&src).expect("discover runs");
    let seconds = t.elapsed().as_secs_f64();
    println!(
        "discover from sgd on 3 proxy tasks, 100 steps each: {:.0} candidates/s ({:.2} ms/candidate; \
         [unique, cache hits] = {})",
        trials as f64 / seconds,
        seconds * 1e3 / trials as f64,
        counts.display()
    );
}

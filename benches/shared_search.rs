//! Benchmark (#23): search on several workers, side by side with Optuna in one run.
//!
//! 1. **Parallel speedup**: `search(..., parallel = 2)` against `parallel = 1` with
//!    an objective of about 10 ms (an OptL fold, calibrated here), 160 random trials (the median of 3 runs each),
//!    in-process through the interpreter (helpers redo the script's prelude, which
//!    is counted). Issue goal: ≥ 1.8× on 2 cores.
//! 2. **Storage overhead per trial**: the same trivial search (2000 random trials of
//!    `fn(k) = k % 1000`) in memory, on SQLite and on PostgreSQL (the server of
//!    `OPTL_TEST_POSTGRES`, else skipped), the overhead being the difference of the
//!    per-trial times. Issue goals: ≤ 0.5 ms on SQLite, ≤ 2 ms on PostgreSQL.
//!    Beside it Optuna's (RandomSampler, in-memory vs its RDB storage on SQLite and
//!    PostgreSQL through psycopg2), run in one Python process from
//!    `<target>/peer-venv` (optuna and psycopg2-binary installed if missing).
//!
//! OptL's storage writes each trial as it finishes (post, claim, finish: three
//! short transactions) so that several processes can share the study; Optuna
//! writes each trial's state changes too. Both sides on one core for part 2.
//! Run with `cargo bench --bench shared_search`; `OPTL_BENCH_NO_PEER=1` skips Optuna.
#![allow(clippy::print_stdout)]

use optl::Interpreter;
use std::time::Instant;

const TRIVIAL_TRIALS: usize = 2000;
/// Trials of the speedup measurement, and runs per side.
const TRIALS: usize = 160;
const RUNS: usize = 3;

const PEER: &str = r#"
import sys, time, os, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
n = int(sys.argv[1]); d = sys.argv[2]; pg = sys.argv[3] if len(sys.argv) > 3 else ""
def run(storage, name):
    st = optuna.create_study(storage=storage, study_name=name, sampler=optuna.samplers.RandomSampler(seed=1))
    t = time.perf_counter()
    st.optimize(lambda tr: tr.suggest_int("k", 0, 10**9) % 1000, n_trials=n)
    return (time.perf_counter() - t) * 1e3 / n
mem = run(None, "m")
lite = run("sqlite:///" + d + "/optuna.db", "s%d" % os.getpid())
print("memory", mem)
print("sqlite", lite)
if pg:
    # A database of its own: Optuna's tables share names with OptL's.
    import psycopg2
    db = "optuna_bench_%d" % os.getpid()
    admin = psycopg2.connect(pg); admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE " + db)
    url = pg.rsplit("/", 1)[0] + "/" + db
    print("postgresql", run(url.replace("postgresql://", "postgresql+psycopg2://"), "p"))
    import gc; gc.collect()
    admin.cursor().execute("DROP DATABASE " + db + " WITH (FORCE)")
"#;

fn seconds(src: &str) -> f64 {
    let mut optl = Interpreter::new();
    let t = Instant::now();
    if let Err(e) = optl.eval_str(src) {
        panic!("{src}\n{e}");
    }
    t.elapsed().as_secs_f64()
}

fn work_fn(n: usize) -> String {
    format!("fn work(k) = fold(fn(a, i) = a + i % 7, 0, range({n})) * 0 + k % 97\n")
}

fn main() {
    // 1. Parallel speedup with a ~10 ms objective (calibrated after a warm-up call,
    // the median of three), each side the median of RUNS runs.
    let per_call = |n: usize| {
        let mut optl = Interpreter::new();
        optl.eval_str(&work_fn(n)).expect("defines work");
        let mut ts: Vec<f64> = (0..4)
            .map(|_| {
                let t = Instant::now();
                optl.eval_str("work(3)").expect("runs");
                t.elapsed().as_secs_f64()
            })
            .skip(1)
            .collect();
        ts.sort_by(f64::total_cmp);
        ts[1]
    };
    let probe = 100_000;
    let n = ((probe as f64) * 0.010 / per_call(probe))
        .round()
        .max(1000.0) as usize;
    let call = per_call(n);
    println!(
        "parallel speedup: objective = fold over range({n}), {:.1} ms per call",
        call * 1e3
    );
    let search = |k: usize| {
        format!(
            "{}let s = search(intv(0, 100000), work, trials = {TRIALS}, seed = 2, parallel = {k})\nassert(s.workers == {k}, \"workers\")\n",
            work_fn(n)
        )
    };
    let median = |k: usize| {
        let mut ts: Vec<f64> = (0..RUNS).map(|_| seconds(&search(k))).collect();
        ts.sort_by(f64::total_cmp);
        ts[RUNS / 2]
    };
    let serial = median(1);
    let two = median(2);
    println!(
        "  {TRIALS} trials (median of {RUNS}): parallel = 1 {serial:.3} s, parallel = 2 {two:.3} s: speedup {:.2}x (2 cores)",
        serial / two
    );

    // 2. Storage overhead per trial.
    let dir = std::env::temp_dir().join(format!("optl-shared-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let trivial = |storage: &str| {
        let store = if storage.is_empty() {
            String::new()
        } else {
            format!(
                ", storage = \"{storage}\", name = \"b{}\"",
                std::process::id()
            )
        };
        let src = format!(
            "let st = search(intv(0, 1000000000), fn(k) = k % 1000, trials = {TRIVIAL_TRIALS}, seed = 1{store})\nlen(st.trials)"
        );
        seconds(&src) * 1e3 / TRIVIAL_TRIALS as f64
    };
    let memory = trivial("");
    let lite = trivial(&dir.join("s.db").display().to_string());
    let pg_url = std::env::var("OPTL_TEST_POSTGRES").unwrap_or_default();
    let pg = (!pg_url.is_empty()).then(|| trivial(&pg_url));
    println!(
        "storage overhead per trial (ms), trivial objective, {TRIVIAL_TRIALS} trials, 1 core:"
    );
    println!("  {:<12} {:>10} {:>10}", "", "OptL", "Optuna");
    let peer = if std::env::var_os("OPTL_BENCH_NO_PEER").is_some() {
        Err("OPTL_BENCH_NO_PEER is set".to_string())
    } else {
        let d = dir.display().to_string();
        let mut args = vec!["500".to_string(), d];
        if !pg_url.is_empty() {
            args.push(pg_url.clone());
        }
        optl_peer::run("optuna", &["optuna", "psycopg2-binary"], PEER, &args)
    };
    let optuna = |key: &str| -> Option<f64> {
        peer.as_ref().ok()?.lines().find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.parse().ok())?
        })
    };
    let show = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
    println!(
        "  {:<12} {:>10} {:>10}",
        "in memory",
        show(Some(memory)),
        show(optuna("memory"))
    );
    let over = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
    println!(
        "  {:<12} {:>10} {:>10}",
        "SQLite +",
        show(Some(lite - memory)),
        show(over(optuna("sqlite"), optuna("memory")))
    );
    println!(
        "  {:<12} {:>10} {:>10}",
        "PostgreSQL +",
        show(pg.map(|p| p - memory)),
        show(over(optuna("postgresql"), optuna("memory")))
    );
    if let Err(e) = &peer {
        println!("  peer skipped: {e}");
    }
    if pg.is_none() {
        println!("  PostgreSQL skipped: set OPTL_TEST_POSTGRES (e.g. from .ci/postgres.sh)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

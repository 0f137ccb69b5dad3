//! Search end to end (LANGUAGE.md §7): grid enumerates finite spaces exactly, DNA
//! round-trips on random spaces (property test), studies are deterministic, and a
//! study killed with SIGKILL resumes with every completed trial and no duplicates.

use optl::Interpreter;
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn eval(src: &str) -> optl::Value {
    let mut optl = Interpreter::new();
    match optl.eval_str(src) {
        Ok(v) => v,
        Err(e) => panic!("{src}\n{e}"),
    }
}

fn ints(v: optl::Value) -> Vec<i64> {
    Vec::<f64>::try_from(v)
        .expect("a list of numbers")
        .into_iter()
        .map(|x| x as i64)
        .collect()
}

#[test]
fn grid_enumerates_exactly_the_space() {
    for space in [
        "oneof([1, 2, 3])",
        "manyof(2, [\"a\", \"b\", \"c\", \"d\"])",
        "manyof(3, range(6), sorted = true)",
        "manyof(2, [1, 2, 3], distinct = false)",
        "manyof(2, [1, 2, 3], distinct = false, sorted = true)",
        "{a: intv(-2, 2), b: oneof([sgd(lr = intv(1, 3)), adam()])}",
        "[oneof([oneof([1, 2]), manyof(2, [3, 4, 5])]), intv(0, 1)]",
    ] {
        let src = format!(
            "let s = {space}\nlet st = search(s, fn(v) = 0, algo = grid(), trials = 100000)\n\
             [space_size(s), len(st.trials), st.unique, st.cache_hits]"
        );
        let got = ints(eval(&src));
        assert_eq!(got[0], got[1], "{space}: grid gave {} trials", got[1]);
        assert_eq!(got[0], got[2], "{space}: {} distinct values", got[2]);
        assert_eq!(got[3], 0, "{space}: the grid repeated a point");
    }
}

#[test]
fn studies_are_deterministic() {
    let src = "let s = {lr: floatv(1e-4, 1, scale = \"log\"), k: intv(1, 9), f: oneof([\"a\", \"b\"])}\n\
               let st = search(s, fn(v) = (log(v.lr) + 3)^2 + v.k, algo = ALGO, trials = 60, seed = 4)\n\
               repr([[t.value, t.dna, t.score, t.status] for t in st.trials])";
    for algo in [
        "random()",
        "evolution(population = 8, tournament = 3)",
        "tpe(startup = 5)",
        "nsga2(pop = 8)",
    ] {
        let src = src.replace("ALGO", algo);
        let a = String::try_from(eval(&src)).expect("text");
        let b = String::try_from(eval(&src)).expect("text");
        assert_eq!(a, b, "{algo} is not deterministic");
    }
}

/// A value that several candidates can produce gets the DNA of the one that produces
/// it exactly: `1` comes from the Int candidate, `1.0` from the `oneof` over a list
/// (whose numbers are Floats). Found by `dna_round_trips`.
#[test]
fn dna_prefers_the_candidate_of_the_same_number_kind() {
    let src = "let s = manyof(2, [oneof([1]), 1], distinct = false)\n\
               let vs = [sample(s, seed = i) for i in range(6)]\n\
               repr(vs) + \" -> \" + repr([materialize(s, dna(s, v)) for v in vs])";
    let got = String::try_from(eval(src)).expect("text");
    let (sampled, again) = got.split_once(" -> ").expect("two parts");
    assert!(sampled.contains("[1, 1.0]"), "{sampled}");
    assert_eq!(sampled, again);
}

/// A random space as OptL source, nested up to `depth`.
fn space_source(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        (-5i64..5, 0i64..5).prop_map(|(a, b)| format!("intv({a}, {})", a + b)),
        (1u32..100, 1u32..100, any::<bool>()).prop_map(|(a, b, log)| {
            let (lo, hi) = (a.min(b) as f64 / 10.0, a.max(b) as f64 / 10.0);
            format!(
                "floatv({lo}, {hi}, scale = \"{}\")",
                if log { "log" } else { "linear" }
            )
        }),
        (0i64..9).prop_map(|n| n.to_string()),
        "[a-c]".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|c| format!("oneof([{}])", c.join(", "))),
            (
                prop::collection::vec(inner.clone(), 1..4),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(c, distinct, sorted)| {
                    let k = if distinct { c.len().min(2) } else { 2 };
                    format!(
                        "manyof({k}, [{}], distinct = {distinct}, sorted = {sorted})",
                        c.join(", ")
                    )
                }),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|c| format!("[{}]", c.join(", "))),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{{x: {a}, y: {b}}}")),
        ]
    })
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// materialize(space, dna(space, v)) == v for points v sampled from the space.
    #[test]
    fn dna_round_trips(space in space_source(3)) {
        let src = format!(
            "let s = {space}\n\
             fn round_trips(v) = repr(materialize(s, dna(s, v))) == repr(v)\n\
             all([round_trips(sample(s, seed = i)) for i in range(6)])"
        );
        prop_assert!(bool::try_from(eval(&src)).expect("a Bool"), "{space}");
    }
}

/// A fresh directory under the system's temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("optl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

const KILL_SCRIPT: &str = "\
# Each trial does a little work, so the search takes a while.
fn work(k) = fold(fn(a, i) = a + i % 7, 0, range(2000)) + k % 97
let s = search(intv(0, 100000), work, algo = evolution(population = 10, tournament = 3),
               trials = 150, seed = 5, storage = \"runs/s.db\", name = \"k\")
print(len(s.trials), s.unique + s.cache_hits, s.best, s.best_score)
";

fn stored_trials(db: &std::path::Path) -> Vec<(usize, String)> {
    match optl_search::Store::open(db).and_then(|s| s.trials("k")) {
        Ok(trials) => trials.iter().map(|t| (t.number, t.dna.to_text())).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn killed_study_resumes_without_losing_or_repeating_trials() {
    let bin = env!("CARGO_BIN_EXE_optl");
    // The uninterrupted run, for reference.
    let clean = temp_dir("clean");
    std::fs::write(clean.join("s.opt"), KILL_SCRIPT).expect("script");
    let want = Command::new(bin)
        .args(["run", "s.opt"])
        .current_dir(&clean)
        .output()
        .expect("runs");
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    let want_trials = stored_trials(&clean.join("runs/s.db"));
    assert_eq!(want_trials.len(), 150);

    // The same run, killed once some trials are committed, then run again.
    let dir = temp_dir("killed");
    std::fs::write(dir.join("s.opt"), KILL_SCRIPT).expect("script");
    let db = dir.join("runs/s.db");
    let mut child = Command::new(bin)
        .args(["run", "s.opt"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let started = Instant::now();
    let mut before = Vec::new();
    while started.elapsed() < Duration::from_secs(60) {
        before = stored_trials(&db);
        if before.len() >= 20 || child.try_wait().expect("waits").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    let after_kill = stored_trials(&db);
    assert!(
        after_kill.len() >= before.len(),
        "trials committed before the kill were lost"
    );
    assert!(
        after_kill.len() < 150,
        "the run finished before it could be killed"
    );

    let resumed = Command::new(bin)
        .args(["run", "s.opt"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let got = stored_trials(&db);
    assert_eq!(
        got, want_trials,
        "the resumed study differs from an uninterrupted one"
    );
    for (i, (n, _)) in got.iter().enumerate() {
        assert_eq!(
            *n, i,
            "trial numbers are not 0..150 without gaps or repeats"
        );
    }
    assert_eq!(resumed.stdout, want.stdout);
    let _ = std::fs::remove_dir_all(&clean);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn study_show_lists_studies_and_trials() {
    let bin = env!("CARGO_BIN_EXE_optl");
    let dir = temp_dir("show");
    std::fs::write(
        dir.join("s.opt"),
        "let s = search(oneof([1, 2, 3]), fn(v) = (v - 2)^2, algo = grid(), storage = \"s.db\", name = \"tiny\")\n",
    )
    .expect("script");
    let run = Command::new(bin)
        .args(["run", "s.opt"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let list = Command::new(bin)
        .args(["study", "show", "s.db"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(list.contains("tiny") && list.contains(" 3 "), "{list}");
    let trials = Command::new(bin)
        .args(["study", "show", "s.db", "tiny", "--json"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&trials.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["value"], "2");
    assert_eq!(lines[1]["scores"][0], 0.0);
    let missing = Command::new(bin)
        .args(["study", "show", "none.db"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The run's time limit ends a search with its error even when the objective is
/// cheap and trials would go on for hours (a limit hit inside a failing trial used
/// to be recorded as that trial's failure, and the search went on).
#[test]
fn the_run_time_limit_ends_a_long_search() {
    for objective in ["fn(x) = x^2", "fn(r) = fhash(r)"] {
        let mut optl = Interpreter::new();
        optl.set_limits(optl::Limits {
            timeout: Some(Duration::from_millis(300)),
            ..optl::Limits::default()
        });
        let space = if objective.contains("fhash") {
            "oneof([sgd(lr = floatv(0.001, 0.1)), adam(lr = floatv(0.001, 0.1))])"
        } else {
            "floatv(0, 1)"
        };
        let err = optl
            .eval_str(&format!("search({space}, {objective}, trials = 100000000)"))
            .expect_err("the run's time limit stops it");
        assert_eq!(err.diagnostics[0].code.id, "E0210", "{err}");
    }
}

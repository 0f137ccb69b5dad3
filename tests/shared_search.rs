//! Searches on many workers (#23): `parallel = k` gives the serial study, and
//! several `optl run` processes sharing one stored study survive one of them being
//! killed with SIGKILL mid-trial, with every trial done exactly once (the killed
//! one's retry aside) and the serial study as the result.

use optl::Interpreter;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn eval(src: &str) -> optl::Value {
    let mut optl = Interpreter::new();
    match optl.eval_str(src) {
        Ok(v) => v,
        Err(e) => panic!("{src}\n{e}"),
    }
}

const SPACE: &str = "let s = {lr: floatv(1e-4, 1, scale = \"log\"), k: intv(1, 9), f: oneof([\"a\", \"b\"])}\n\
    fn f(v) = (log(v.lr) + 3)^2 + v.k + len(v.f) + fold(fn(a, i) = a + i % 7, 0, range(300)) * 0 + 1e-3 * sum(rand([2]))\n";

#[test]
fn parallel_searches_give_the_serial_study() {
    for (algo, same_as_serial) in [
        ("random()", true),
        ("grid(float_points = 3)", true),
        ("evolution(population = 8, tournament = 3)", false),
        ("tpe(startup = 5)", false),
        ("nsga2(pop = 8)", true),
    ] {
        let run = |parallel: usize| {
            let src = format!(
                "{SPACE}let st = search(s, f, algo = {algo}, trials = 60, seed = 4, parallel = {parallel})\n\
                 [repr([[t.value, t.dna, t.score, t.status] for t in st.trials]), st.workers]"
            );
            let v = eval(&src).display();
            let (trials, workers) = v.rsplit_once(", ").expect("a pair");
            (
                trials.to_string(),
                workers.trim_end_matches(']').to_string(),
            )
        };
        let serial = run(1);
        let (two, workers) = run(2);
        let (two_again, _) = run(2);
        assert_eq!(two, two_again, "{algo}: parallel = 2 is not deterministic");
        if same_as_serial {
            assert_eq!(two, serial.0, "{algo}: parallel = 2 differs from serial");
        }
        assert!(
            ["1", "2"].contains(&workers.as_str()),
            "{algo}: {workers} workers"
        );
        assert_eq!(serial.1, "1");
    }
}

#[test]
fn parallel_must_be_positive() {
    let mut optl = Interpreter::new();
    let e = optl
        .eval_str("search(intv(0, 3), fn(v) = v, parallel = 0)")
        .unwrap_err();
    assert_eq!(e.diagnostics[0].code.id, "E0211", "{e}");
}

/// A fresh directory under the system's temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("optl-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn script(storage: &str, trials: usize) -> String {
    format!(
        "# Each trial does a little work, so the search takes a while.\n\
         fn work(k) = fold(fn(a, i) = a + i % 7, 0, range(3000)) + k % 97\n\
         let s = search(intv(0, 100000), work, algo = random(), trials = {trials}, seed = 5,\n\
                        storage = \"{storage}\", name = \"k\")\n\
         print(len(s.trials), s.unique + s.cache_hits, s.best, s.best_score)\n"
    )
}

fn start(dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_optl"))
        .args(["run", "s.opt"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts")
}

/// Waits for a worker process: it succeeds and prints what the serial run printed.
fn prints_the_same(worker: Child, want: &[u8], what: &str) {
    let out = worker.wait_with_output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout, want,
        "a worker's {what} differs from the serial one"
    );
}

/// (number, dna, attempts) of the done trials, and the number of lost claims.
type Stored = (Vec<(i64, String, i64)>, i64);

/// Runs `workers` processes on one study of `trials`, kills one once `kill_at`
/// trials are done, and checks the study against a serial run's.
fn kill_one_of(
    workers: usize,
    trials: usize,
    kill_at: usize,
    storage: &str,
    read: &dyn Fn() -> Stored,
    reset: &dyn Fn(),
) {
    // The serial study, for reference (then the store is emptied).
    let serial_dir = temp_dir("serial-study");
    std::fs::write(serial_dir.join("s.opt"), script(storage, trials)).expect("script");
    reset();
    let want = start(&serial_dir).wait_with_output().expect("runs");
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    let (want_trials, _) = read();
    assert_eq!(want_trials.len(), trials);
    reset();

    let dir = temp_dir("shared-study");
    std::fs::write(dir.join("s.opt"), script(storage, trials)).expect("script");
    let mut children: Vec<Child> = (0..workers).map(|_| start(&dir)).collect();
    let started = Instant::now();
    while read().0.len() < kill_at && started.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut victim = children.remove(0);
    let _ = victim.kill(); // SIGKILL, most likely in the middle of a trial
    let _ = victim.wait();
    assert!(
        read().0.len() < trials,
        "the study finished before the kill"
    );
    for c in children {
        prints_the_same(c, &want.stdout, "study");
    }
    let (got, lost) = read();
    let numbers: Vec<i64> = got.iter().map(|t| t.0).collect();
    assert_eq!(numbers, (0..trials as i64).collect::<Vec<_>>());
    let dnas = |t: &[(i64, String, i64)]| t.iter().map(|t| t.1.clone()).collect::<Vec<_>>();
    assert_eq!(
        dnas(&got),
        dnas(&want_trials),
        "the shared study differs from the serial one"
    );
    // Every trial evaluated once, but the killed worker's claim (at most one).
    assert!(lost <= 1, "{lost} lost claims");
    let retried = got.iter().filter(|t| t.2 > 1).count() as i64;
    assert!(
        got.iter().all(|t| t.2 <= 2),
        "a trial was evaluated three times"
    );
    assert_eq!(retried, lost, "retries do not match lost claims");
    let _ = std::fs::remove_dir_all(&serial_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_worker_of_a_shared_sqlite_study_loses_nothing() {
    let db = std::env::temp_dir().join(format!("optl-shared-{}.db", std::process::id()));
    let storage = db.display().to_string();
    let read = || -> Stored {
        let Ok(c) =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        else {
            return (Vec::new(), 0);
        };
        let trials = c
            .prepare(
                "SELECT number, dna, attempts FROM trials WHERE state = 'done' ORDER BY number",
            )
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap_or_default();
        let lost = c
            .query_row("SELECT count(*) FROM lost", [], |r| r.get(0))
            .unwrap_or(0);
        (trials, lost)
    };
    let reset = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{storage}{suffix}"));
        }
    };
    kill_one_of(2, 200, 40, &storage, &read, &reset);
    reset();
}

/// The PostgreSQL server of the tests (`.ci/postgres.sh` starts one in CI).
fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("OPTL_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("OPTL_TEST_POSTGRES must be set in CI"),
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no PostgreSQL server (set OPTL_TEST_POSTGRES, e.g. from .ci/postgres.sh)"
            );
            None
        }
    }
}

#[test]
fn a_killed_worker_of_a_shared_postgres_study_loses_nothing() {
    let Some(base) = postgres_url("a_killed_worker_of_a_shared_postgres_study_loses_nothing")
    else {
        return;
    };
    // A database of its own, so the study's tables start empty.
    let db = format!("optl_kill_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).expect("connects");
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("creates a database");
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{db}"),
        None => panic!("OPTL_TEST_POSTGRES has no database part: {base}"),
    };
    let read = || -> Stored {
        let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) else {
            return (Vec::new(), 0);
        };
        let trials = c
            .query(
                "SELECT number, dna, attempts FROM trials WHERE state = 'done' ORDER BY number",
                &[],
            )
            .map(|rows| {
                rows.iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect()
            })
            .unwrap_or_default();
        let lost = c
            .query_one("SELECT count(*) FROM lost", &[])
            .map(|r| r.get(0))
            .unwrap_or(0);
        (trials, lost)
    };
    let reset = || {
        if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
            let _ = c.batch_execute(
                "DELETE FROM lost; DELETE FROM workers; DELETE FROM trials; DELETE FROM studies",
            );
        }
    };
    kill_one_of(3, 300, 60, &url, &read, &reset);
    drop(admin);
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).expect("connects");
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
}

#[test]
fn an_unreachable_database_is_a_coded_error_without_the_password() {
    let mut optl = Interpreter::new();
    let t = Instant::now();
    let e = optl
        .eval_str(
            "search(intv(0, 3), fn(v) = v, storage = \"postgresql://u:hunter2@127.0.0.1:1/db\")",
        )
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(10));
    let d = &e.diagnostics[0];
    assert_eq!(d.code.id, "E0220", "{e}");
    // The message and hints (what is not the script's own text) never hold it.
    let own = format!("{} {:?}", d.message, d.hints);
    assert!(
        d.message.contains("127.0.0.1:1") && !own.contains("hunter2"),
        "{own}"
    );
}

const DISCOVER: &str = "\
let tk = [tasks.quadratic(n = 8, cond = 10), tasks.logreg(n = 100, d = 5)]
let d = discover(start = sgd(lr = 0.001), tasks = tk, trials = 60, population = 8,
                 steps = 50, seed = 2, storage = \"d.db\", name = \"x\")
print(d.score, d.losses, d.source, d.trials, d.unique, d.cache_hits, d.failures)
";

#[test]
fn a_stored_discovery_is_shared_by_processes_and_resumed() {
    let serial_dir = temp_dir("discover-serial");
    std::fs::write(
        serial_dir.join("s.opt"),
        DISCOVER.replace(", storage = \"d.db\", name = \"x\"", ""),
    )
    .expect("script");
    let want = start(&serial_dir).wait_with_output().expect("runs");
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    let dir = temp_dir("discover-shared");
    std::fs::write(dir.join("s.opt"), DISCOVER).expect("script");
    let workers: Vec<Child> = (0..2).map(|_| start(&dir)).collect();
    for w in workers {
        prints_the_same(w, &want.stdout, "discovery");
    }
    // Run again: every candidate's outcome comes from the study.
    let again = start(&dir).wait_with_output().expect("runs");
    assert_eq!(again.stdout, want.stdout);
    let c = rusqlite::Connection::open(dir.join("d.db")).expect("the study");
    let (done, attempts): (i64, i64) = c
        .query_row(
            "SELECT count(*), sum(attempts) FROM trials WHERE state = 'done'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("reads");
    assert!(done > 0);
    assert_eq!(attempts, done, "a candidate was trained twice");
    let _ = std::fs::remove_dir_all(&serial_dir);
    let _ = std::fs::remove_dir_all(&dir);
}

//! Shared studies: several workers (threads here) running the same search on
//! one ledger give each of them the serial study, evaluating every new
//! candidate once; a stopped worker's claim is queued again.

mod common;

use common::{ALGOS, FnObjective, Make, remove_store, seen, space, temp_store, values};
use optl_search::{Dna, Ledger, MemoryLedger, SearchOptions, Store, Study, Trial, run_search};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn opts() -> SearchOptions {
    SearchOptions {
        trials: 48,
        seed: 11,
        study: "shared".into(),
        ..SearchOptions::default()
    }
}

/// Runs the search as one worker; counts the candidates it evaluated in `count`.
/// With a ledger, the first evaluation of the study waits (up to 1 s) until a
/// second one has begun, so that more than one worker takes part however the
/// threads are scheduled (on a loaded machine one could otherwise claim all).
fn work(make: Make, ledger: Option<&mut dyn Ledger>, count: &AtomicUsize) -> Study {
    let shared = ledger.is_some();
    let mut obj = FnObjective::new(|d: &Dna| {
        let before = count.fetch_add(1, Ordering::SeqCst);
        if shared && before == 0 {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            while count.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(300));
        let v = values(d);
        Ok(vec![(v[0] - 2.0).powi(2) + (v[1] - 3.0).abs() + v[2]])
    });
    run_search(
        &space(),
        make().as_mut(),
        &mut obj,
        &opts(),
        ledger,
        &mut |_, _| {},
    )
    .unwrap()
}

#[test]
fn threads_on_one_memory_ledger_give_the_serial_study() {
    for (name, make) in ALGOS {
        let serial_count = AtomicUsize::new(0);
        let serial = work(make, None, &serial_count);
        let count = Arc::new(AtomicUsize::new(0));
        let ledger = MemoryLedger::new();
        let studies: Vec<Study> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let mut mine = ledger.handle();
                    let count = count.clone();
                    s.spawn(move || work(make, Some(&mut mine), &count))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for st in &studies {
            assert_eq!(seen(&st.trials), seen(&serial.trials), "{name}");
            assert_eq!((st.best, st.unique), (serial.best, serial.unique), "{name}");
        }
        // Every new candidate evaluated once, by some worker; more than one worked.
        assert_eq!(
            count.load(Ordering::SeqCst),
            serial_count.load(Ordering::SeqCst),
            "{name}"
        );
        let workers: std::collections::BTreeSet<&str> = studies[0]
            .trials
            .iter()
            .map(|t| t.worker.as_str())
            .filter(|w| !w.is_empty())
            .collect();
        assert!(workers.len() > 1, "{name}: {workers:?}");
    }
}

#[test]
fn processes_sharing_a_store_file_give_the_serial_study() {
    for (name, make) in ALGOS {
        let serial_count = AtomicUsize::new(0);
        let serial = work(make, None, &serial_count);
        let path = temp_store(&format!("shared-{name}"));
        let count = AtomicUsize::new(0);
        let studies: Vec<Study> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (path, count) = (&path, &count);
                    s.spawn(move || {
                        let mut store = Store::open(path).unwrap();
                        work(make, Some(&mut store), count)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for st in &studies {
            assert_eq!(seen(&st.trials), seen(&serial.trials), "{name}");
        }
        assert_eq!(
            count.load(Ordering::SeqCst),
            serial_count.load(Ordering::SeqCst),
            "{name}"
        );
        let store = Store::open(&path).unwrap();
        assert_eq!(seen(&store.trials("shared").unwrap()), seen(&serial.trials));
        let info = &store.studies().unwrap()[0];
        assert_eq!((info.trials, info.pending, info.lost), (48, 0, 0));
        drop(store);
        remove_store(&path);
    }
}

#[test]
fn a_stopped_workers_claim_is_queued_again() {
    let path = temp_store("stale");
    let mut store = Store::open(&path).unwrap();
    store.join("s", "space", "algo", 0).unwrap();
    let t = Trial {
        number: 0,
        dna: Dna(vec![]),
        key: "k".into(),
        label: "x".into(),
        scores: None,
        error: None,
        seconds: 0.0,
        cached: false,
        worker: String::new(),
    };
    store.post(&[&t], &[true]).unwrap();
    // A worker that claimed trial 0 and went silent long ago.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "INSERT INTO workers(study, id, started, heartbeat) VALUES('s', 'ghost', 0, 0);
         UPDATE trials SET state = 'running', worker = 'ghost' WHERE number = 0;",
    )
    .unwrap();
    assert_eq!(store.claim(0, 0).unwrap(), None);
    assert_eq!(store.collect(&[0]).unwrap(), None);
    assert_eq!(store.claim(0, 0).unwrap(), Some(0));
    let done = Trial {
        scores: Some(vec![1.5]),
        ..t.clone()
    };
    store.finish(&done).unwrap();
    let got = store.collect(&[0]).unwrap().unwrap();
    assert_eq!(got[0].scores, Some(vec![1.5]));
    assert_eq!(got[0].worker, store.worker());
    let info = &store.studies().unwrap()[0];
    assert_eq!((info.trials, info.pending, info.lost), (1, 0, 1));
    // The ghost's late result is ignored: the trial is done once.
    raw.execute("UPDATE trials SET worker = 'x' WHERE number = 0", [])
        .unwrap();
    let late = Trial {
        scores: Some(vec![9.0]),
        ..t
    };
    store.finish(&late).unwrap();
    assert_eq!(store.trials("s").unwrap()[0].scores, Some(vec![1.5]));
    drop(store);
    remove_store(&path);
}

#[test]
fn a_dropped_participant_gives_back_its_claims() {
    let ledger = MemoryLedger::new();
    let mut a = ledger.handle();
    let mut b = ledger.handle();
    a.join("s", "sp", "al", 1).unwrap();
    b.join("s", "sp", "al", 1).unwrap();
    assert!(
        b.join("s", "sp", "al", 2)
            .unwrap_err()
            .contains("seed 1 (now 2)")
    );
    let t = Trial {
        number: 0,
        dna: Dna(vec![]),
        key: String::new(),
        label: String::new(),
        scores: None,
        error: None,
        seconds: 0.0,
        cached: false,
        worker: String::new(),
    };
    a.post(&[&t], &[true]).unwrap();
    assert_eq!(a.claim(0, 0).unwrap(), Some(0));
    assert_eq!(b.claim(0, 0).unwrap(), None);
    drop(a);
    assert_eq!(b.claim(0, 0).unwrap(), Some(0));
    ledger.close();
    assert!(b.collect(&[0]).unwrap_err().contains("closed"));
}

#[test]
fn stores_of_other_versions_are_upgraded_or_refused() {
    // Version 1 (no shared trials): upgraded in place, its trials kept.
    let path = temp_store("v1");
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE studies(name TEXT PRIMARY KEY, space TEXT NOT NULL, algo TEXT NOT NULL,
                              seed INTEGER NOT NULL, created REAL NOT NULL);
         CREATE TABLE trials(study TEXT NOT NULL REFERENCES studies(name), number INTEGER NOT NULL,
             dna TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL, scores TEXT, error TEXT,
             seconds REAL NOT NULL, cached INTEGER NOT NULL, PRIMARY KEY(study, number));
         INSERT INTO meta VALUES('schema_version', '1');
         INSERT INTO studies VALUES('old', 'sp', 'al', 3, 0);
         INSERT INTO trials VALUES('old', 0, '1', 'k', 'x', '[2.5]', NULL, 0.1, 0);",
    )
    .unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    let t = store.trials("old").unwrap();
    assert_eq!((t.len(), t[0].scores.clone()), (1, Some(vec![2.5])));
    drop(store);
    // A newer version: refused, naming both.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(raw);
    let e = Store::open(&path).map(|_| ()).unwrap_err();
    assert!(
        e.contains("schema version 3") && e.contains("version 2"),
        "{e}"
    );
    remove_store(&path);
}

//! Studies kept in an SQLite file (WAL mode): a search resumes where it
//! stopped, and several processes running the same search on one machine share
//! its trials (each a `Ledger` participant). The file holds plain data only
//! (text and numbers, never code):
//!
//! - `meta(key, value)`: `schema_version` = `2`;
//! - `studies(name, space, algo, seed, created)`: one row per study, with the
//!   texts that must match when it is joined (`created` in Unix seconds);
//! - `trials(study, number, dna, key, label, scores, error, seconds, cached,
//!   state, worker, attempts)`: one row per posted trial; `state` is `queued`,
//!   `running` (claimed by `worker`) or `done`; `dna` in `Dna::to_text` form,
//!   `scores` a JSON array (infinities as `1e999`) or NULL for a failure;
//! - `workers(study, id, started, heartbeat)`: every participant, with the time
//!   it last showed it was alive (every `HEARTBEAT`);
//! - `lost(study, number, worker, at)`: claims given back because their worker
//!   stopped heartbeating for `STALE` (the trial was queued again).
//!
//! A version-1 file (no shared trials) is upgraded in place; a newer one is refused.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::dna::{Dna, scores_from_json, scores_to_json};
use crate::ledger::{Ledger, dna_mismatch, study_mismatch};
use crate::study::Trial;
use crate::worker::{HEARTBEAT, STALE, once_per_heartbeat, unix_now, worker_id};

pub(crate) const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies(
    name TEXT PRIMARY KEY,
    space TEXT NOT NULL,
    algo TEXT NOT NULL,
    seed INTEGER NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials(
    study TEXT NOT NULL REFERENCES studies(name),
    number INTEGER NOT NULL,
    dna TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    scores TEXT,
    error TEXT,
    seconds REAL NOT NULL,
    cached INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'done',
    worker TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(study, number));
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '2');
";

/// Tables added by version 2 (also created when a version-1 file is upgraded).
const SCHEMA_2: &str = "
CREATE TABLE IF NOT EXISTS workers(
    study TEXT NOT NULL,
    id TEXT NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    PRIMARY KEY(study, id));
CREATE TABLE IF NOT EXISTS lost(
    study TEXT NOT NULL,
    number INTEGER NOT NULL,
    worker TEXT NOT NULL,
    at REAL NOT NULL);
";

const UPGRADE_1: &str = "
ALTER TABLE trials ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
ALTER TABLE trials ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE trials ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
";

pub(crate) const TRIAL_COLUMNS: &str =
    "number, dna, key, label, scores, error, seconds, cached, worker";

/// A study store: one SQLite file holding any number of studies.
pub struct Store {
    conn: Connection,
    path: String,
    /// The study `join` opened last, which the ledger calls work on.
    active: Option<String>,
    worker: String,
    heartbeat: Option<Heartbeat>,
    /// When `collect` last looked for stale claims.
    checked: Option<std::time::Instant>,
}

/// A summary of one stored study.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyInfo {
    pub name: String,
    pub space: String,
    pub algo: String,
    pub seed: u64,
    /// Number of done trials.
    pub trials: usize,
    /// The lowest first score among its trials.
    pub best: Option<f64>,
    /// Trials posted but not done (queued or running).
    pub pending: usize,
    /// Claims given back because their worker stopped.
    pub lost: usize,
}

/// The thread that keeps a worker's heartbeat fresh; stopped when dropped.
pub(crate) struct Heartbeat {
    stop: Arc<AtomicBool>,
    wake: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Calls `beat` every `HEARTBEAT` on a thread of its own until dropped.
    pub(crate) fn start(mut beat: impl FnMut() + Send + 'static) -> Heartbeat {
        let stop = Arc::new(AtomicBool::new(false));
        let (wake, rx) = mpsc::channel::<()>();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                beat();
                let _ = rx.recv_timeout(HEARTBEAT);
            }
        });
        Heartbeat {
            stop,
            wake,
            thread: Some(thread),
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.wake.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) type Row = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    f64,
    i64,
    String,
);

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

/// A stored row as a trial.
pub(crate) fn row_trial(
    (number, dna, key, label, scores, error, seconds, cached, worker): Row,
) -> Result<Trial, String> {
    Ok(Trial {
        number: number as usize,
        dna: Dna::from_text(&dna)?,
        key,
        label,
        scores: scores.as_deref().map(scores_from_json).transpose()?,
        error,
        seconds,
        cached: cached != 0,
        worker,
    })
}

fn open_connection(path: &str) -> Result<Connection, String> {
    let err = |e: rusqlite::Error| format!("cannot open the study store '{path}': {e}");
    let conn = Connection::open(path).map_err(err)?;
    // Set first: another process may be creating the file at the same moment.
    conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
    // Switching a new file to WAL needs it alone; a process opening it at the
    // same moment may get "locked" without the busy handler being asked.
    let mut tries = 0;
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Err(e) if tries < 100 && e.to_string().contains("locked") => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            r => break r.map_err(err)?,
        }
    };
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(format!(
            "cannot open the study store '{path}': WAL mode is not available (journal mode {mode})"
        ));
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL;")
        .map_err(err)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the store at `path`; its directory must exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, String> {
        let path = path.as_ref().display().to_string();
        let err = |e: rusqlite::Error| format!("cannot open the study store '{path}': {e}");
        let conn = open_connection(&path)?;
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} {SCHEMA_2} COMMIT;"))
            .map_err(err)?;
        let version: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        match version.parse::<i64>() {
            Ok(1) => conn
                .execute_batch(&format!("BEGIN IMMEDIATE; {UPGRADE_1} COMMIT;"))
                .map_err(err)?,
            Ok(SCHEMA_VERSION) => {}
            _ => {
                return Err(format!(
                    "the study store '{path}' has schema version {version}; this program reads version {SCHEMA_VERSION}"
                ));
            }
        }
        Ok(Store {
            conn,
            path,
            active: None,
            worker: worker_id(),
            heartbeat: None,
            checked: None,
        })
    }

    fn err(&self, e: rusqlite::Error) -> String {
        format!("study store '{}': {e}", self.path)
    }

    fn study(&self) -> Result<&str, String> {
        self.active
            .as_deref()
            .ok_or_else(|| "no study is active in the store (join one first)".to_string())
    }

    /// All stored studies, by name.
    pub fn studies(&self) -> Result<Vec<StudyInfo>, String> {
        let mut st = self
            .conn
            .prepare("SELECT name, space, algo, seed FROM studies ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows: Vec<(String, String, String, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(rows.len());
        for (name, space, algo, seed) in rows {
            let trials = self.trials(&name)?;
            let best = trials
                .iter()
                .filter_map(|t| t.scores.as_ref().and_then(|s| s.first().copied()))
                .min_by(f64::total_cmp);
            let count = |sql: &str| -> Result<usize, String> {
                self.conn
                    .query_row(sql, [&name], |r| r.get::<_, i64>(0))
                    .map(|n| n as usize)
                    .map_err(|e| self.err(e))
            };
            let pending =
                count("SELECT count(*) FROM trials WHERE study = ?1 AND state <> 'done'")?;
            let lost = count("SELECT count(*) FROM lost WHERE study = ?1")?;
            out.push(StudyInfo {
                name,
                space,
                algo,
                seed: seed as u64,
                trials: trials.len(),
                best,
                pending,
                lost,
            });
        }
        Ok(out)
    }

    /// The done trials of study `name`, in order (empty if there is no such study).
    pub fn trials(&self, name: &str) -> Result<Vec<Trial>, String> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {TRIAL_COLUMNS} FROM trials WHERE study = ?1 AND state = 'done' ORDER BY number"
            ))
            .map_err(|e| self.err(e))?;
        let rows: Vec<Row> = st
            .query_map([name], read_row)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let bad = |what: String| format!("study store '{}': study '{name}': {what}", self.path);
        rows.into_iter()
            .map(|r| row_trial(r).map_err(bad))
            .collect()
    }

    /// Outcomes of study `name` by candidate key (`None` for a failure), to
    /// reuse in another search (`SearchOptions::warm_cache`).
    pub fn cache(&self, name: &str) -> Result<HashMap<String, Option<Vec<f64>>>, String> {
        self.trials(name).map(outcomes_by_key)
    }

    /// Queues again the claims of workers whose heartbeat is older than
    /// `STALE` (looked for at most once per `HEARTBEAT`).
    fn requeue_stale(&mut self, study: &str) -> Result<(), String> {
        if !once_per_heartbeat(&mut self.checked) {
            return Ok(());
        }
        let now = unix_now();
        let limit = now - STALE.as_secs_f64();
        let stale: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM trials WHERE study = ?1 AND state = 'running' AND worker IN
                 (SELECT id FROM workers WHERE study = ?1 AND heartbeat < ?2)",
                params![study, limit],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if stale == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |e: rusqlite::Error| format!("study store '{path}': {e}");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let stale = "SELECT id FROM workers WHERE study = ?1 AND heartbeat < ?2";
        tx.execute(
            &format!(
                "INSERT INTO lost(study, number, worker, at)
                 SELECT study, number, worker, ?3 FROM trials
                 WHERE study = ?1 AND state = 'running' AND worker IN ({stale})"
            ),
            params![study, limit, now],
        )
        .map_err(err)?;
        tx.execute(
            &format!(
                "UPDATE trials SET state = 'queued', worker = ''
                 WHERE study = ?1 AND state = 'running' AND worker IN ({stale})"
            ),
            params![study, limit],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }
}

impl Ledger for Store {
    fn join(&mut self, name: &str, space: &str, algo: &str, seed: u64) -> Result<(), String> {
        let row: Option<(String, String, i64)> = self
            .conn
            .query_row(
                "SELECT space, algo, seed FROM studies WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let now = unix_now();
        match row {
            Some((s, a, sd)) => {
                if let Some(e) = study_mismatch(name, (&s, &a, sd as u64), (space, algo, seed)) {
                    return Err(e);
                }
            }
            None => {
                self.conn
                    .execute(
                        "INSERT OR IGNORE INTO studies(name, space, algo, seed, created) VALUES(?1, ?2, ?3, ?4, ?5)",
                        params![name, space, algo, seed as i64, now],
                    )
                    .map_err(|e| self.err(e))?;
                // Another worker may have created it first, with other texts.
                return self.join(name, space, algo, seed);
            }
        }
        self.conn
            .execute(
                "INSERT OR REPLACE INTO workers(study, id, started, heartbeat) VALUES(?1, ?2, ?3, ?3)",
                params![name, self.worker, now],
            )
            .map_err(|e| self.err(e))?;
        self.active = Some(name.to_string());
        let conn = open_connection(&self.path)?;
        let (study, id) = (name.to_string(), self.worker.clone());
        self.heartbeat = Some(Heartbeat::start(move || {
            let _ = conn.execute(
                "UPDATE workers SET heartbeat = ?3 WHERE study = ?1 AND id = ?2",
                params![study, id, unix_now()],
            );
        }));
        Ok(())
    }

    fn post(&mut self, trials: &[&Trial], pending: &[bool]) -> Result<Vec<Option<Trial>>, String> {
        let study = self.study()?.to_string();
        let path = self.path.clone();
        let err = |e: rusqlite::Error| format!("study store '{path}': cannot post trials: {e}");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut out = Vec::with_capacity(trials.len());
        {
            let mut find = tx
                .prepare_cached(&format!(
                    "SELECT {TRIAL_COLUMNS}, state FROM trials WHERE study = ?1 AND number = ?2"
                ))
                .map_err(err)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO trials(study, number, dna, key, label, scores, error, seconds, cached, state, worker)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(err)?;
            for (t, &p) in trials.iter().zip(pending) {
                let stored: Option<(Row, String)> = find
                    .query_row(params![study, t.number as i64], |r| {
                        Ok((read_row(r)?, r.get(9)?))
                    })
                    .optional()
                    .map_err(err)?;
                match stored {
                    Some((row, state)) => {
                        let s = row_trial(row)?;
                        if s.dna != t.dna {
                            return Err(dna_mismatch(&s, t));
                        }
                        out.push((state == "done").then_some(s));
                    }
                    None => {
                        insert
                            .execute(params![
                                study,
                                t.number as i64,
                                t.dna.to_text(),
                                t.key,
                                t.label,
                                t.scores.as_deref().map(scores_to_json),
                                t.error,
                                t.seconds,
                                i64::from(t.cached),
                                if p { "queued" } else { "done" },
                                t.worker,
                            ])
                            .map_err(err)?;
                        out.push(None);
                    }
                }
            }
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }

    fn claim(&mut self, first: usize, last: usize) -> Result<Option<usize>, String> {
        let study = self.study()?.to_string();
        self.conn
            .query_row(
                "UPDATE trials SET state = 'running', worker = ?2, attempts = attempts + 1
                 WHERE study = ?1 AND number = (
                     SELECT number FROM trials WHERE study = ?1 AND state = 'queued'
                     AND number BETWEEN ?3 AND ?4 ORDER BY number LIMIT 1)
                 RETURNING number",
                params![study, self.worker, first as i64, last as i64],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|n| n.map(|n| n as usize))
            .map_err(|e| self.err(e))
    }

    fn finish(&mut self, t: &Trial) -> Result<(), String> {
        let study = self.study()?.to_string();
        self.conn
            .execute(
                "UPDATE trials SET state = 'done', scores = ?3, error = ?4, seconds = ?5, cached = ?6
                 WHERE study = ?1 AND number = ?2 AND state = 'running' AND worker = ?7",
                params![
                    study,
                    t.number as i64,
                    t.scores.as_deref().map(scores_to_json),
                    t.error,
                    t.seconds,
                    i64::from(t.cached),
                    self.worker,
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn release(&mut self, number: usize) -> Result<(), String> {
        let study = self.study()?.to_string();
        self.conn
            .execute(
                "UPDATE trials SET state = 'queued', worker = ''
                 WHERE study = ?1 AND number = ?2 AND state = 'running' AND worker = ?3",
                params![study, number as i64, self.worker],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn collect(&mut self, numbers: &[usize]) -> Result<Option<Vec<Trial>>, String> {
        let study = self.study()?.to_string();
        self.requeue_stale(&study)?;
        let (Some(&lo), Some(&hi)) = (numbers.iter().min(), numbers.iter().max()) else {
            return Ok(Some(Vec::new()));
        };
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {TRIAL_COLUMNS}, state FROM trials
                 WHERE study = ?1 AND number BETWEEN ?2 AND ?3"
            ))
            .map_err(|e| self.err(e))?;
        let rows: Vec<(Row, String)> = st
            .query_map(params![study, lo as i64, hi as i64], |r| {
                Ok((read_row(r)?, r.get(9)?))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        drop(st);
        done_in_order(numbers, rows, &format!("study store '{}'", self.path))
    }

    fn wait(&mut self) {
        std::thread::sleep(POLL);
    }

    fn worker(&self) -> &str {
        &self.worker
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.heartbeat = None;
        // A worker that leaves gives back what it claimed and did not finish.
        if let Some(study) = &self.active {
            let _ = self.conn.execute(
                "UPDATE trials SET state = 'queued', worker = ''
                 WHERE study = ?1 AND state = 'running' AND worker = ?2",
                params![study, self.worker],
            );
        }
    }
}

/// The outcome of each key's first trial (`None` for a failure).
pub(crate) fn outcomes_by_key(trials: Vec<Trial>) -> HashMap<String, Option<Vec<f64>>> {
    let mut map = HashMap::new();
    for t in trials {
        if !t.key.is_empty() {
            map.entry(t.key).or_insert(t.scores);
        }
    }
    map
}

/// The trials `numbers` from rows `(row, state)` of a batch once all are done
/// (`Ledger::collect`); `store` names the store in the error of a missing one.
pub(crate) fn done_in_order(
    numbers: &[usize],
    rows: Vec<(Row, String)>,
    store: &str,
) -> Result<Option<Vec<Trial>>, String> {
    let mut by_number: HashMap<usize, (Row, String)> =
        rows.into_iter().map(|r| (r.0.0 as usize, r)).collect();
    let mut out = Vec::with_capacity(numbers.len());
    for n in numbers {
        match by_number.remove(n) {
            Some((row, state)) if state == "done" => out.push(row_trial(row)?),
            Some(_) => return Ok(None),
            None => return Err(format!("{store}: trial {n} was never posted")),
        }
    }
    Ok(Some(out))
}

/// How long `collect` callers sleep between polls of a store.
pub(crate) const POLL: Duration = Duration::from_millis(5);

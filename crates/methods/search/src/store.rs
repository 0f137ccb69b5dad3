//! Studies kept in an SQLite file (WAL mode), so a search can be resumed
//! and its outcomes reused. The file holds plain data only (text and
//! numbers, never code):
//!
//! - `meta(key, value)`: `schema_version` = `1`;
//! - `studies(name, space, algo, seed, created)`: one row per study, with the
//!   texts that must match when it is resumed (`created` in Unix seconds);
//! - `trials(study, number, dna, key, label, scores, error, seconds, cached)`:
//!   one row per finished trial; `dna` in `Dna::to_text` form, `scores` a
//!   JSON array (infinities as `1e999`) or NULL for a failure.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::dna::{Dna, scores_from_json, scores_to_json};
use crate::study::Trial;

const SCHEMA_VERSION: &str = "1";

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
    PRIMARY KEY(study, number));
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
";

/// A study store: one SQLite file holding any number of studies.
pub struct Store {
    conn: Connection,
    path: String,
    /// The study `begin_study` opened last, which `record` writes to.
    active: Option<String>,
}

/// A summary of one stored study.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyInfo {
    pub name: String,
    pub space: String,
    pub algo: String,
    pub seed: u64,
    /// Number of stored trials.
    pub trials: usize,
    /// The lowest first score among its trials.
    pub best: Option<f64>,
}

impl Store {
    /// Opens (creating if needed) the store at `path`; its directory must exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, String> {
        let path = path.as_ref().display().to_string();
        let err = |e: rusqlite::Error| format!("cannot open the study store '{path}': {e}");
        let conn = Connection::open(&path).map_err(err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(format!(
                "cannot open the study store '{path}': WAL mode is not available (journal mode {mode})"
            ));
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let version: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if version != SCHEMA_VERSION {
            return Err(format!(
                "the study store '{path}' has schema version {version}; this program reads version {SCHEMA_VERSION}"
            ));
        }
        Ok(Store {
            conn,
            path,
            active: None,
        })
    }

    fn err(&self, e: rusqlite::Error) -> String {
        format!("study store '{}': {e}", self.path)
    }

    /// Creates the study `name`, or loads it if it exists, and makes it the
    /// one `record` writes to. Returns its stored trials in order. Fails if
    /// the study exists with a different space text, algorithm or seed.
    pub fn begin_study(
        &mut self,
        name: &str,
        space: &str,
        algo: &str,
        seed: u64,
    ) -> Result<Vec<Trial>, String> {
        let row: Option<(String, String, i64)> = self
            .conn
            .query_row(
                "SELECT space, algo, seed FROM studies WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match row {
            Some((s, a, sd)) => {
                let stored_seed = sd as u64;
                let mut diffs = Vec::new();
                if s != space {
                    diffs.push(format!("space {s} (now {space})"));
                }
                if a != algo {
                    diffs.push(format!("algorithm {a} (now {algo})"));
                }
                if stored_seed != seed {
                    diffs.push(format!("seed {stored_seed} (now {seed})"));
                }
                if !diffs.is_empty() {
                    return Err(format!(
                        "the stored study '{name}' was made with a different {}; use another study name",
                        diffs.join(", ")
                    ));
                }
            }
            None => {
                let created = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                self.conn
                    .execute(
                        "INSERT INTO studies(name, space, algo, seed, created) VALUES(?1, ?2, ?3, ?4, ?5)",
                        params![name, space, algo, seed as i64, created],
                    )
                    .map_err(|e| self.err(e))?;
            }
        }
        self.active = Some(name.to_string());
        self.trials(name)
    }

    /// Records one finished trial of the active study.
    pub fn record(&mut self, trial: &Trial) -> Result<(), String> {
        self.record_batch(&[trial])
    }

    /// Records finished trials of the active study in one transaction. A
    /// trial number already stored is an error (nothing of the batch is kept).
    pub fn record_batch(&mut self, trials: &[&Trial]) -> Result<(), String> {
        if trials.is_empty() {
            return Ok(());
        }
        let Some(study) = self.active.clone() else {
            return Err("no study is active in the store (call begin_study first)".into());
        };
        let path = self.path.clone();
        let err = |e: rusqlite::Error| format!("study store '{path}': cannot record a trial: {e}");
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO trials(study, number, dna, key, label, scores, error, seconds, cached)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(err)?;
            for t in trials {
                st.execute(params![
                    study,
                    t.number as i64,
                    t.dna.to_text(),
                    t.key,
                    t.label,
                    t.scores.as_deref().map(scores_to_json),
                    t.error,
                    t.seconds,
                    i64::from(t.cached),
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
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
            out.push(StudyInfo {
                name,
                space,
                algo,
                seed: seed as u64,
                trials: trials.len(),
                best,
            });
        }
        Ok(out)
    }

    /// The stored trials of study `name`, in order (empty if there is no such study).
    pub fn trials(&self, name: &str) -> Result<Vec<Trial>, String> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            f64,
            i64,
        );
        let mut st = self
            .conn
            .prepare(
                "SELECT number, dna, key, label, scores, error, seconds, cached
                 FROM trials WHERE study = ?1 ORDER BY number",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<Row> = st
            .query_map([name], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let bad = |what: String| format!("study store '{}': study '{name}': {what}", self.path);
        let mut out = Vec::with_capacity(rows.len());
        for (i, (number, dna, key, label, scores, error, seconds, cached)) in
            rows.into_iter().enumerate()
        {
            if number != i as i64 {
                return Err(bad(format!("trial {i} is missing")));
            }
            out.push(Trial {
                number: i,
                dna: Dna::from_text(&dna).map_err(bad)?,
                key,
                label,
                scores: scores
                    .as_deref()
                    .map(scores_from_json)
                    .transpose()
                    .map_err(bad)?,
                error,
                seconds,
                cached: cached != 0,
            });
        }
        Ok(out)
    }

    /// Outcomes of study `name` by candidate key (`None` for a failure), to
    /// reuse in another search (`SearchOptions::warm_cache`).
    pub fn cache(&self, name: &str) -> Result<HashMap<String, Option<Vec<f64>>>, String> {
        let mut map = HashMap::new();
        for t in self.trials(name)? {
            if !t.key.is_empty() {
                map.entry(t.key).or_insert(t.scores);
            }
        }
        Ok(map)
    }
}

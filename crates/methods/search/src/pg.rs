//! Studies kept in a PostgreSQL database, so that workers on several machines
//! share one study: the same behaviour as the SQLite `Store` (same schema,
//! version 2, and the same `Ledger` participant), over the network.
//!
//! Differences that come from being a server rather than a file:
//! - heartbeats and stale checks use the server's clock (`now()`), since the
//!   workers' clocks may differ;
//! - a claim takes the first queued trial with `FOR UPDATE SKIP LOCKED`, so
//!   concurrent claimers never wait on each other nor take the same trial;
//! - the tables are created under a transaction-scoped advisory lock, since
//!   PostgreSQL's `CREATE TABLE IF NOT EXISTS` is not safe against itself;
//! - errors name the database by its address without the password (`redact`),
//!   and the password is scrubbed from any error text appended.
//!
//! Integers are `BIGINT`, reals `DOUBLE PRECISION`, texts `TEXT`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

use crate::dna::scores_to_json;
use crate::ledger::{Ledger, dna_mismatch, study_mismatch};
use crate::store::{
    Heartbeat, POLL, Row, SCHEMA_VERSION, StudyInfo, TRIAL_COLUMNS, done_in_order, outcomes_by_key,
    row_trial,
};
use crate::study::Trial;
use crate::worker::{STALE, once_per_heartbeat, worker_id};

/// How long connecting may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long sent data may stay unacknowledged before a call fails (so a
/// vanished server ends a worker's calls, and its heartbeat thread, in time).
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The advisory lock taken while the tables are created ("optl" in ASCII).
const SCHEMA_LOCK: i64 = 0x6f70_746c;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS studies(name TEXT PRIMARY KEY, space TEXT NOT NULL,
    algo TEXT NOT NULL, seed BIGINT NOT NULL, created DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS trials(study TEXT NOT NULL REFERENCES studies(name),
    number BIGINT NOT NULL, dna TEXT NOT NULL, key TEXT NOT NULL, label TEXT NOT NULL,
    scores TEXT, error TEXT, seconds DOUBLE PRECISION NOT NULL, cached BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'done', worker TEXT NOT NULL DEFAULT '',
    attempts BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(study, number));
CREATE TABLE IF NOT EXISTS workers(study TEXT NOT NULL, id TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL, heartbeat DOUBLE PRECISION NOT NULL,
    PRIMARY KEY(study, id));
CREATE TABLE IF NOT EXISTS lost(study TEXT NOT NULL, number BIGINT NOT NULL,
    worker TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
INSERT INTO meta(key, value) VALUES('schema_version', '2') ON CONFLICT DO NOTHING;
";

const CLAIM: &str = "
UPDATE trials SET state = 'running', worker = $2, attempts = attempts + 1
WHERE (study, number) = (
    SELECT study, number FROM trials WHERE study = $1 AND state = 'queued'
    AND number BETWEEN $3 AND $4 ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING number";

/// Queues again, and records in `lost`, the claims of workers whose heartbeat
/// is older than `$2` seconds by the server's clock. One statement, so two
/// workers doing it at once record each lost claim once (the second one's
/// update finds the row no longer running).
const REQUEUE: &str = "
WITH gone AS (
    UPDATE trials t SET state = 'queued', worker = ''
    FROM (SELECT number, worker FROM trials
          WHERE study = $1 AND state = 'running' AND worker IN
              (SELECT id FROM workers WHERE study = $1
               AND heartbeat < extract(epoch from now())::double precision - $2)) old
    WHERE t.study = $1 AND t.number = old.number AND t.state = 'running'
      AND t.worker = old.worker
    RETURNING t.number, old.worker)
INSERT INTO lost(study, number, worker, at)
SELECT $1, number, worker, extract(epoch from now())::double precision FROM gone";

/// A study store on a PostgreSQL server, holding any number of studies.
pub struct PgStore {
    conn: RefCell<Client>,
    config: Config,
    /// The database's address without its password, for messages.
    url: String,
    /// The study `join` opened last, which the ledger calls work on.
    active: Option<String>,
    worker: String,
    heartbeat: Option<Heartbeat>,
    /// When `collect` last looked for stale claims.
    checked: Option<Instant>,
}

/// `url` as messages show it: `postgresql://user@host:port/db`, without the
/// password and the query parameters (which may hold one).
pub(crate) fn redact(url: &str) -> String {
    let Ok(c) = url.parse::<Config>() else {
        return "(an address that does not parse; not shown)".into();
    };
    let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let ports = c.get_ports();
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = match h {
                Host::Tcp(h) if h.contains(':') => format!("[{h}]"),
                Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                Host::Unix(p) => p.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(p) => format!("{h}:{p}"),
                None => h,
            }
        })
        .collect();
    let db = c.get_dbname().unwrap_or_default();
    format!("postgresql://{user}{}/{db}", hosts.join(","))
}

type Pg<T> = Result<T, postgres::Error>;

/// The text of a client error with its causes, the password scrubbed out.
fn reason(e: &postgres::Error, config: &Config) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    match config.get_password() {
        Some(p) if !p.is_empty() => text.replace(&*String::from_utf8_lossy(p), "***"),
        _ => text,
    }
}

/// A new connection to the server.
fn open(config: &Config, url: &str) -> Result<Client, String> {
    config.connect(NoTls).map_err(|e| {
        // The server answered (a wrong password, no such database) or not.
        let what = if e.as_db_error().is_some() {
            "cannot connect to"
        } else {
            "cannot reach"
        };
        format!("{what} the study database {url}: {}", reason(&e, config))
    })
}

/// The columns `0..n` of a fetched row, as a tuple (`?` on a failure).
macro_rules! cols {
    ($r:expr, $($i:literal),+) => {
        ($($r.try_get($i)?,)+)
    };
}

/// A fetched trial row (the `TRIAL_COLUMNS`, in order).
fn pg_row(r: &postgres::Row) -> Pg<Row> {
    Ok(cols!(r, 0, 1, 2, 3, 4, 5, 6, 7, 8))
}

impl PgStore {
    /// Connects to the server at `url` (a `postgresql://` URL or a key=value
    /// connection string) and creates the tables if they are absent.
    pub fn connect(url: &str) -> Result<PgStore, String> {
        let shown = redact(url);
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            format!("cannot read the study database address {shown}: {e}")
        })?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_user_timeout(IO_TIMEOUT);
        // As libpq: a password not in the address comes from PGPASSWORD, which
        // keeps it out of scripts.
        if config.get_password().is_none()
            && let Some(p) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty())
        {
            config.password(p.as_encoded_bytes());
        }
        let mut conn = open(&config, &shown)?;
        let err = |e: postgres::Error| format!("study database {shown}: {}", reason(&e, &config));
        let mut tx = conn.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .map_err(err)?;
        tx.batch_execute(SCHEMA).map_err(err)?;
        let version: String = tx
            .query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])
            .and_then(|r| r.try_get(0))
            .map_err(err)?;
        tx.commit().map_err(err)?;
        if version.parse::<i64>() != Ok(SCHEMA_VERSION) {
            return Err(format!(
                "the study database {shown} has schema version {version}; this program reads version {SCHEMA_VERSION}"
            ));
        }
        Ok(PgStore {
            conn: RefCell::new(conn),
            config,
            url: shown,
            active: None,
            worker: worker_id(),
            heartbeat: None,
            checked: None,
        })
    }

    fn err(&self, e: postgres::Error) -> String {
        format!("study database {}: {}", self.url, reason(&e, &self.config))
    }

    /// Runs `f` on the connection (never re-entered: `f` gets only the client).
    fn db<T>(&self, f: impl FnOnce(&mut Client) -> Pg<T>) -> Result<T, String> {
        let r = f(&mut self.conn.borrow_mut());
        r.map_err(|e| self.err(e))
    }

    fn study(&self) -> Result<&str, String> {
        self.active
            .as_deref()
            .ok_or_else(|| "no study is active in the store (join one first)".to_string())
    }

    /// All stored studies, by name.
    pub fn studies(&self) -> Result<Vec<StudyInfo>, String> {
        let rows: Vec<(String, String, String, i64)> = self.db(|c| {
            c.query(
                "SELECT name, space, algo, seed FROM studies ORDER BY name COLLATE \"C\"",
                &[],
            )?
            .iter()
            .map(|r| Ok(cols!(r, 0, 1, 2, 3)))
            .collect()
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (name, space, algo, seed) in rows {
            let trials = self.trials(&name)?;
            let best = trials
                .iter()
                .filter_map(|t| t.scores.as_ref().and_then(|s| s.first().copied()))
                .min_by(f64::total_cmp);
            let count = |sql: &str| -> Result<usize, String> {
                self.db(|c| c.query_one(sql, &[&name])?.try_get::<_, i64>(0))
                    .map(|n| n as usize)
            };
            let pending =
                count("SELECT count(*) FROM trials WHERE study = $1 AND state <> 'done'")?;
            let lost = count("SELECT count(*) FROM lost WHERE study = $1")?;
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
        let sql = format!(
            "SELECT {TRIAL_COLUMNS} FROM trials WHERE study = $1 AND state = 'done' ORDER BY number"
        );
        let rows: Vec<Row> = self.db(|c| c.query(&sql, &[&name])?.iter().map(pg_row).collect())?;
        let bad = |what: String| format!("study database {}: study '{name}': {what}", self.url);
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
        let stale = STALE.as_secs_f64();
        self.db(|c| c.execute(REQUEUE, &[&study, &stale]))
            .map(|_| ())
    }
}

impl Ledger for PgStore {
    fn join(&mut self, name: &str, space: &str, algo: &str, seed: u64) -> Result<(), String> {
        let row: Option<(String, String, i64)> = self.db(|c| {
            c.query_opt(
                "SELECT space, algo, seed FROM studies WHERE name = $1",
                &[&name],
            )?
            .map(|r| Ok(cols!(r, 0, 1, 2)))
            .transpose()
        })?;
        match row {
            Some((s, a, sd)) => {
                if let Some(e) = study_mismatch(name, (&s, &a, sd as u64), (space, algo, seed)) {
                    return Err(e);
                }
            }
            None => {
                self.db(|c| {
                    c.execute(
                        "INSERT INTO studies(name, space, algo, seed, created)
                         VALUES($1, $2, $3, $4, extract(epoch from now())::double precision)
                         ON CONFLICT DO NOTHING",
                        &[&name, &space, &algo, &(seed as i64)],
                    )
                })?;
                // Another worker may have created it first, with other texts.
                return self.join(name, space, algo, seed);
            }
        }
        self.db(|c| {
            c.execute(
                "INSERT INTO workers(study, id, started, heartbeat)
                 VALUES($1, $2, extract(epoch from now())::double precision,
                        extract(epoch from now())::double precision)
                 ON CONFLICT (study, id) DO UPDATE
                 SET started = excluded.started, heartbeat = excluded.heartbeat",
                &[&name, &self.worker],
            )
        })?;
        self.active = Some(name.to_string());
        let mut beat = open(&self.config, &self.url)?;
        let config = self.config.clone();
        let (study, id) = (name.to_string(), self.worker.clone());
        self.heartbeat = Some(Heartbeat::start(move || {
            if beat.is_closed() {
                // The server went away; beat again once it is back.
                match config.connect(NoTls) {
                    Ok(c) => beat = c,
                    Err(_) => return,
                }
            }
            let _ = beat.execute(
                "UPDATE workers SET heartbeat = extract(epoch from now())::double precision
                 WHERE study = $1 AND id = $2",
                &[&study, &id],
            );
        }));
        Ok(())
    }

    fn post(&mut self, trials: &[&Trial], pending: &[bool]) -> Result<Vec<Option<Trial>>, String> {
        let study = self.study()?.to_string();
        let (url, config) = (&self.url, &self.config);
        let err = |e| {
            format!(
                "study database {url}: cannot post trials: {}",
                reason(&e, config)
            )
        };
        let mut tx = self.conn.get_mut().transaction().map_err(err)?;
        let insert = tx
            .prepare(
                "INSERT INTO trials(study, number, dna, key, label, scores, error, seconds, cached, state, worker)
                 VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            )
            .map_err(err)?;
        let find = tx
            .prepare(&format!(
                "SELECT {TRIAL_COLUMNS}, state FROM trials WHERE study = $1 AND number = $2"
            ))
            .map_err(err)?;
        // In number order, so workers posting one batch never wait in a cycle.
        let mut order: Vec<usize> = (0..trials.len().min(pending.len())).collect();
        order.sort_by_key(|&i| trials[i].number);
        let mut out = vec![None; order.len()];
        for i in order {
            let (t, number) = (trials[i], trials[i].number as i64);
            let state = if pending[i] { "queued" } else { "done" };
            let inserted = tx
                .execute(
                    &insert,
                    &[
                        &study,
                        &number,
                        &t.dna.to_text(),
                        &t.key,
                        &t.label,
                        &t.scores.as_deref().map(scores_to_json),
                        &t.error,
                        &t.seconds,
                        &i64::from(t.cached),
                        &state,
                        &t.worker,
                    ],
                )
                .map_err(err)?;
            if inserted == 0 {
                let r = tx.query_one(&find, &[&study, &number]).map_err(err)?;
                let state: String = r.try_get(9).map_err(err)?;
                let s = row_trial(pg_row(&r).map_err(err)?)?;
                if s.dna != t.dna {
                    return Err(dna_mismatch(&s, t));
                }
                out[i] = (state == "done").then_some(s);
            }
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }

    fn claim(&mut self, first: usize, last: usize) -> Result<Option<usize>, String> {
        let study = self.study()?.to_string();
        let (first, last) = (first as i64, last as i64);
        self.db(|c| {
            c.query_opt(CLAIM, &[&study, &self.worker, &first, &last])?
                .map(|r| r.try_get::<_, i64>(0))
                .transpose()
        })
        .map(|n| n.map(|n| n as usize))
    }

    fn finish(&mut self, t: &Trial) -> Result<(), String> {
        let study = self.study()?.to_string();
        self.db(|c| {
            c.execute(
                "UPDATE trials SET state = 'done', scores = $3, error = $4, seconds = $5, cached = $6
                 WHERE study = $1 AND number = $2 AND state = 'running' AND worker = $7",
                &[
                    &study,
                    &(t.number as i64),
                    &t.scores.as_deref().map(scores_to_json),
                    &t.error,
                    &t.seconds,
                    &i64::from(t.cached),
                    &self.worker,
                ],
            )
        })
        .map(|_| ())
    }

    fn release(&mut self, number: usize) -> Result<(), String> {
        let study = self.study()?.to_string();
        self.db(|c| {
            c.execute(
                "UPDATE trials SET state = 'queued', worker = ''
                 WHERE study = $1 AND number = $2 AND state = 'running' AND worker = $3",
                &[&study, &(number as i64), &self.worker],
            )
        })
        .map(|_| ())
    }

    fn collect(&mut self, numbers: &[usize]) -> Result<Option<Vec<Trial>>, String> {
        let study = self.study()?.to_string();
        self.requeue_stale(&study)?;
        let (Some(&lo), Some(&hi)) = (numbers.iter().min(), numbers.iter().max()) else {
            return Ok(Some(Vec::new()));
        };
        let sql = format!(
            "SELECT {TRIAL_COLUMNS}, state FROM trials WHERE study = $1 AND number BETWEEN $2 AND $3"
        );
        let rows: Vec<(Row, String)> = self.db(|c| {
            c.query(&sql, &[&study, &(lo as i64), &(hi as i64)])?
                .iter()
                .map(|r| Ok((pg_row(r)?, r.try_get(9)?)))
                .collect()
        })?;
        done_in_order(numbers, rows, &format!("study database {}", self.url))
    }

    fn wait(&mut self) {
        std::thread::sleep(POLL);
    }

    fn worker(&self) -> &str {
        &self.worker
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.heartbeat = None;
        // A worker that leaves gives back what it claimed and did not finish.
        if let Some(study) = &self.active {
            let _ = self.conn.get_mut().execute(
                "UPDATE trials SET state = 'queued', worker = ''
                 WHERE study = $1 AND state = 'running' AND worker = $2",
                &[study, &self.worker],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn addresses_are_shown_without_their_password() {
        for case in [
            "postgresql://u:secret@127.0.0.1:1/db => postgresql://u@127.0.0.1:1/db",
            "postgres://pg@localhost:54329/pg => postgresql://pg@localhost:54329/pg",
            "postgresql://h/db => postgresql://h:5432/db",
            "postgresql://u:p%40ss@h:7/d?password=x&sslmode=disable => postgresql://u@h:7/d",
            "postgresql://u:pw@[::1]:7,b:8/d => postgresql://u@[::1]:7,b:8/d",
            "host=h port=7 user=u password=secret dbname=d => postgresql://u@h:7/d",
        ] {
            let (url, shown) = case.split_once(" => ").unwrap_or_default();
            assert_eq!(redact(url), shown, "{url}");
        }
        for bad in ["postgresql://u:secret@h:notaport/d", "password=secret 'x"] {
            assert!(!redact(bad).contains("secret"), "{}", redact(bad));
        }
    }
}

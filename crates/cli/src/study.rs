//! `optl study show FILE.db [NAME]`: the studies kept by `search(..., storage = ...)`,
//! as a table (or JSON lines with `--json`).

use optl_search::{PgStore, Store, StudyInfo, Trial};
use serde_json::json;
use std::path::Path;

fn score_text(t: &Trial) -> String {
    match &t.scores {
        Some(s) if s.len() == 1 => optl_eval::format::fmt_g(s[0]),
        Some(s) => {
            let parts: Vec<String> = s.iter().map(|x| optl_eval::format::fmt_g(*x)).collect();
            format!("[{}]", parts.join(", "))
        }
        None => "-".into(),
    }
}

fn status(t: &Trial) -> &'static str {
    match (&t.scores, t.cached) {
        (None, _) => "failed",
        (Some(_), true) => "cached",
        (Some(_), false) => "ok",
    }
}

/// A study store of either kind, as `show` reads it.
enum Either {
    Sqlite(Box<Store>),
    Pg(Box<PgStore>),
}

impl Either {
    fn studies(&self) -> Result<Vec<StudyInfo>, String> {
        match self {
            Either::Sqlite(s) => s.studies(),
            Either::Pg(s) => s.studies(),
        }
    }

    fn trials(&self, name: &str) -> Result<Vec<Trial>, String> {
        match self {
            Either::Sqlite(s) => s.trials(name),
            Either::Pg(s) => s.trials(name),
        }
    }
}

/// Prints the studies of `file` (an SQLite file or a PostgreSQL URL), or the
/// trials of study `name`; returns the exit code.
pub fn show(file: &Path, name: Option<&str>, json_lines: bool) -> i32 {
    let text = file.display().to_string();
    let store = if text.starts_with("postgresql://") || text.starts_with("postgres://") {
        match PgStore::connect(&text) {
            Ok(s) => Either::Pg(Box::new(s)),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    } else {
        if !file.exists() {
            eprintln!("error: no study database at `{}`", file.display());
            return 1;
        }
        match Store::open(file) {
            Ok(s) => Either::Sqlite(Box::new(s)),
            Err(e) => {
                eprintln!("error: cannot open `{}`: {e}", file.display());
                return 1;
            }
        }
    };
    let result = match name {
        None => store.studies().map(|studies| {
            if json_lines {
                for s in &studies {
                    println!(
                        "{}",
                        json!({"name": s.name, "trials": s.trials, "pending": s.pending, "lost": s.lost,
                               "best": s.best, "algo": s.algo, "seed": s.seed})
                    );
                }
            } else {
                println!(
                    "{:<20} {:>7} {:>7} {:>5} {:>14}  algorithm (seed)",
                    "study", "trials", "pending", "lost", "best"
                );
                for s in &studies {
                    let best = s.best.map_or("-".into(), optl_eval::format::fmt_g);
                    println!(
                        "{:<20} {:>7} {:>7} {:>5} {:>14}  {} ({})",
                        s.name, s.trials, s.pending, s.lost, best, s.algo, s.seed
                    );
                }
            }
        }),
        Some(name) => store.trials(name).map(|trials| {
            if trials.is_empty() {
                eprintln!("note: no trials in study `{name}`");
            }
            for t in &trials {
                if json_lines {
                    println!(
                        "{}",
                        json!({"number": t.number, "status": status(t), "scores": t.scores,
                               "seconds": t.seconds, "value": t.label, "dna": t.dna.to_text(),
                               "error": t.error, "worker": t.worker})
                    );
                } else {
                    println!(
                        "{:>6}  {:<7} {:>14}  {:>9.4}s  {}",
                        t.number,
                        status(t),
                        score_text(t),
                        t.seconds,
                        t.error.as_deref().unwrap_or(&t.label)
                    );
                }
            }
        }),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

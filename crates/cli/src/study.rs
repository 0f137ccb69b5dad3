//! `optl study show FILE.db [NAME]`: the studies kept by `search(..., storage = ...)`,
//! as a table (or JSON lines with `--json`).

use optl_search::{Store, Trial};
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

/// Prints the studies of `file`, or the trials of study `name`; returns the exit code.
pub fn show(file: &Path, name: Option<&str>, json_lines: bool) -> i32 {
    if !file.exists() {
        eprintln!("error: no study database at `{}`", file.display());
        return 1;
    }
    let store = match Store::open(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open `{}`: {e}", file.display());
            return 1;
        }
    };
    let result = match name {
        None => store.studies().map(|studies| {
            if json_lines {
                for s in &studies {
                    println!(
                        "{}",
                        json!({"name": s.name, "trials": s.trials, "best": s.best, "algo": s.algo, "seed": s.seed})
                    );
                }
            } else {
                println!("{:<20} {:>7} {:>14}  algorithm (seed)", "study", "trials", "best");
                for s in &studies {
                    let best = s.best.map_or("-".into(), optl_eval::format::fmt_g);
                    println!("{:<20} {:>7} {:>14}  {} ({})", s.name, s.trials, best, s.algo, s.seed);
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
                               "error": t.error})
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

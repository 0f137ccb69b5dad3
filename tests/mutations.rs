//! Mutation fuzzing over the corpus: every program in `examples/` and `tests/**/` is
//! mutated at random (numbers replaced by edge values, tokens deleted, lines
//! duplicated, names swapped for other names, keyword arguments with edge values
//! added to calls) and run under tight limits. No mutant
//! may panic, and every error must carry a diagnostic. Unlike random token streams
//! (`robustness.rs`), mutants of real programs are mostly well formed, so they reach
//! the solvers, rules, search and discovery with arguments nobody wrote by hand.
//!
//! CI runs a fixed number of mutants per program; `OPTL_MUTANTS=N` runs more (use
//! `--release` for a long hunt, and `OPTL_MUTANTS_LOG=FILE` to keep the mutant that
//! is running in FILE, for one that kills the process). `OPTL_MUTANTS_SECONDS=S`
//! repeats rounds over the corpus, each with fresh seeds, until S seconds have
//! passed, and `OPTL_MUTANTS_REPORT=FILE` gets a one-line summary (mutants, rounds,
//! seconds, failures, peak resident size). A failing mutant is printed in full.

use optl::{Interpreter, Limits};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Replacement numbers: the edges of the numeric range and of sizes.
const NUMBERS: &[&str] = &[
    "0", "-1", "1", "2", "0.5", "-0.0", "1e308", "-1e308", "1e-320", "100000", "nan", "inf",
    "-inf", "3",
];

/// Names that mutants may call or refer to in place of others.
const NAMES: &[&str] = &[
    "solve",
    "grad",
    "sum",
    "mean",
    "norm",
    "zeros",
    "ones",
    "randn",
    "x",
    "w",
    "g",
    "lbfgs",
    "newton",
    "auglag",
    "sqp",
    "nelder_mead",
    "nsga2",
    "adam",
    "sgd",
    "lion",
    "chain",
    "cosine",
    "warmup",
    "search",
    "discover",
    "print",
    "len",
    "range",
    "reshape",
    "sqrt",
    "log",
    "exp",
    "interp",
    "fista",
    "frank_wolfe",
    "admm",
    "nsga3",
    "moead",
    "implicit",
    "bilevel_penalty",
    "tucker",
    "complete",
];

/// Keyword arguments that mutants add to calls, with a value from `NUMBERS`.
const KEYWORDS: &[&str] = &[
    "timeout",
    "steps",
    "tol",
    "seed",
    "trials",
    "population",
    "lr",
    "max_iters",
    "m",
    "n",
    "top",
    "tournament",
    "parallel",
    "feas_tol",
    "pop",
    "generations",
    "cond",
    "d",
    "startup",
];

/// A small deterministic generator (SplitMix64): the same mutants on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The byte ranges of the words (identifiers and numbers) of `src`, outside comments
/// and strings.
fn words(src: &str) -> Vec<(usize, usize)> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += 1;
                }
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                out.push((start, i));
            }
            _ => i += 1,
        }
    }
    out
}

/// one to five random edits of `src`.
fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut text = src.to_string();
    for _ in 0..1 + rng.below(5) {
        let ws = words(&text);
        if ws.is_empty() {
            break;
        }
        let (a, b) = ws[rng.below(ws.len())];
        let word = text[a..b].to_string();
        let numeric = word.as_bytes()[0].is_ascii_digit();
        text = match rng.below(7) {
            0 | 1 if numeric => {
                format!(
                    "{}{}{}",
                    &text[..a],
                    NUMBERS[rng.below(NUMBERS.len())],
                    &text[b..]
                )
            }
            0 => format!(
                "{}{}{}",
                &text[..a],
                NAMES[rng.below(NAMES.len())],
                &text[b..]
            ),
            1 => {
                let (c, d) = ws[rng.below(ws.len())];
                format!("{}{}{}", &text[..a], &text[c..d], &text[b..])
            }
            2 => format!("{}{}", &text[..a], &text[b..]),
            3 => {
                // Duplicate the line holding the word.
                let start = text[..a].rfind('\n').map_or(0, |p| p + 1);
                let end = text[a..].find('\n').map_or(text.len(), |p| a + p);
                let line = text[start..end].to_string();
                format!("{}\n{}{}", &text[..end], line, &text[end..])
            }
            4 => {
                // Delete the line holding the word.
                let start = text[..a].rfind('\n').map_or(0, |p| p + 1);
                let end = text[a..].find('\n').map_or(text.len(), |p| a + p);
                format!("{}{}", &text[..start], &text[end..])
            }
            5 => {
                // Add a keyword argument to a call: `f(` becomes `f(k = v, `.
                match text[b..].starts_with('(') {
                    true => format!(
                        "{}({} = {}, {}",
                        &text[..b],
                        KEYWORDS[rng.below(KEYWORDS.len())],
                        NUMBERS[rng.below(NUMBERS.len())],
                        &text[b + 1..]
                    ),
                    false => text,
                }
            }
            _ => {
                // Cut the program short after the word.
                text[..b].to_string()
            }
        };
    }
    text
}

fn corpus() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "opt") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(&root.join("examples"), &mut out);
    walk(&root.join("tests"), &mut out);
    out
}

/// Runs `src` under tight limits; `Err` describes a panic or an error without a
/// diagnostic.
fn run_mutant(src: &str, dir: &Path) -> Result<(), String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut interp = Interpreter::new();
        interp.set_limits(Limits {
            max_call_depth: 200,
            max_elements: 1 << 16,
            max_steps: 200_000,
            timeout: Some(Duration::from_millis(500)),
        });
        match interp.eval_source("<mutant>", src, Some(dir)) {
            Err(e) if e.diagnostics.is_empty() => Err("an error without a diagnostic".into()),
            Err(e) => {
                let _ = interp.render(&e, false);
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }));
    match outcome {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

#[test]
fn mutants_of_the_corpus_never_panic() {
    let per_program: usize = std::env::var("OPTL_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let seed: u64 = std::env::var("OPTL_MUTANTS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261129);
    // A long hunt: rounds over the corpus (each with seeds of its own) until this
    // many seconds have passed, with a summary written to OPTL_MUTANTS_REPORT.
    let budget: Option<f64> = std::env::var("OPTL_MUTANTS_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok());
    // Panics are caught and reported below; keep their messages out of the output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let started = std::time::Instant::now();
    let programs = corpus();
    let (mut round, mut mutants) = (0u64, 0u64);
    loop {
        for (k, path) in programs.iter().enumerate() {
            let src = std::fs::read_to_string(path).expect("corpus file reads");
            let dir = path.parent().expect("a file has a directory");
            let stream = (k as u64).wrapping_mul(0x2545_F491_4F6C_DD1D)
                ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut rng = Rng(seed ^ stream);
            for _ in 0..per_program {
                let mutant = mutate(&src, &mut rng);
                // For a long hunt: the mutant about to run, so that one that kills
                // the process (a hang, an allocation beyond the machine) is left on
                // disk.
                if let Ok(log) = std::env::var("OPTL_MUTANTS_LOG") {
                    let _ = std::fs::write(&log, format!("{}\n{mutant}", path.display()));
                }
                mutants += 1;
                if let Err(why) = run_mutant(&mutant, dir) {
                    failures.push(format!("{} ({why}):\n----\n{mutant}\n----", path.display()));
                }
            }
        }
        round += 1;
        if budget.is_none_or(|b| started.elapsed().as_secs_f64() >= b) {
            break;
        }
    }
    let _ = std::panic::take_hook();
    if let Ok(report) = std::env::var("OPTL_MUTANTS_REPORT") {
        let rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let _ = std::fs::write(
            report,
            format!(
                "{mutants} mutants of {} programs in {round} rounds, {:.0} s, {} failures, peak {rss}\n",
                programs.len(),
                started.elapsed().as_secs_f64(),
                failures.len()
            ),
        );
    }
    assert!(
        failures.is_empty(),
        "{} mutants failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

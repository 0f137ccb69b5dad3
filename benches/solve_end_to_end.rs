//! Benchmark: `optl run` end to end (process start, parse, trace, compile, solve) on
//! chained Rosenbrock with n = 100 and n = 10⁴ and on HS71 (`benches/opt/*.opt`),
//! side by side in one run with SciPy (L-BFGS-B for Rosenbrock with its defaults,
//! SLSQP for HS71) when `python3` with SciPy is on the machine. Reports status,
//! iterations, evaluations and wall time. Run with
//! `cargo bench --bench solve_end_to_end`.
//!
//! This machine's neighbours make wall times swing by half within minutes, so the
//! fast cases run in interleaved rounds: each round times OptL (median of its runs)
//! and then SciPy (median of as many runs in one Python process), and the ratio is
//! taken per round, so both sides of a ratio saw the same conditions. The table shows
//! the median over rounds, and the spread of the per-round ratios.
#![allow(clippy::print_stdout)]

#[path = "common/python.rs"]
mod python;

use optl::Interpreter;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The fast cases: (script, SciPy name), timed in every round.
const FAST: &[(&str, &str)] = &[
    ("benches/opt/rosen100.opt", "rosen100"),
    ("benches/opt/hs71.opt", "hs71"),
];

/// The slow case, timed once on each side.
const SLOW: (&str, &str) = ("benches/opt/rosen10k.opt", "rosen10k");

/// Rounds, and runs per side and case in each round.
const ROUNDS: usize = 7;
const RUNS: usize = 11;

/// The same problems in SciPy, timed around `minimize` (the objective and its
/// gradient written with NumPy). `argv[1]` is `fast RUNS` or `slow`; prints
/// `name status iters evals f ms` per case, `ms` the median over the runs.
const SCIPY: &str = r#"
import sys, time, numpy as np
from scipy.optimize import minimize
def rosen(x):
    a = x[1:] - x[:-1]**2; b = 1 - x[:-1]
    g = np.zeros_like(x); g[:-1] = -400*x[:-1]*a - 2*b; g[1:] += 200*a
    return np.sum(100*a*a + b*b), g
def median_of(runs, f):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); r = f(); times.append(time.perf_counter() - t)
    times.sort()
    return r, times[len(times) // 2] * 1e3
def rosen_case(name, n, runs):
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    r, ms = median_of(runs, lambda: minimize(rosen, x0, jac=True, method="L-BFGS-B"))
    print(f"{name} {'converged' if r.status == 0 else 'failed'} {r.nit} {r.nfev} {r.fun:.6g} {ms:.3f}")
if sys.argv[1] == "slow":
    rosen_case("rosen10k", 10000, 1)
    sys.exit(0)
runs = int(sys.argv[2])
rosen_case("rosen100", 100, runs)
cons = [{"type": "ineq", "fun": lambda x: x[0]*x[1]*x[2]*x[3] - 25},
        {"type": "eq", "fun": lambda x: np.sum(x**2) - 40}]
hs = lambda x: x[0]*x[3]*(x[0]+x[1]+x[2]) + x[2]
r, ms = median_of(runs, lambda: minimize(hs, [1, 5, 5, 1], method="SLSQP", bounds=[(1, 5)]*4, constraints=cons))
print(f"hs71 {'converged' if r.status == 0 else 'failed'} {r.nit} {r.nfev} {r.fun:.6g} {ms:.3f}")
"#;

/// `key = value` from the printed result record.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.split_whitespace()
        .skip_while(|w| *w != key)
        .nth(2)
        .unwrap_or("?")
        .trim_end_matches('>')
}

/// One side's outcome on one case.
#[derive(Clone)]
struct Outcome {
    status: String,
    iters: String,
    evals: String,
    f: String,
    ms: f64,
}

/// Runs `optl run script` `runs` times: the last output and the median time.
fn time_optl(optl: &str, script: &str, runs: usize) -> Outcome {
    let mut times = Vec::new();
    let mut out = String::new();
    for _ in 0..runs {
        let t = Instant::now();
        let o = Command::new(optl)
            .args(["run", script])
            .output()
            .expect("optl runs");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        out = String::from_utf8_lossy(&o.stdout).into_owned();
    }
    let out = out.as_str();
    Outcome {
        status: field(out, "status").into(),
        iters: field(out, "iters").into(),
        evals: field(out, "evals").into(),
        f: field(out, "f").into(),
        ms: median(&mut times),
    }
}

/// The median time of `runs` runs of `script` in this process (a new session each,
/// as an embedding program would make): `optl run` without the process start.
fn time_embedded(script: &str, runs: usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let mut optl = Interpreter::new();
            optl.eval_file(Path::new(script)).expect("the script runs");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    median(&mut times)
}

/// SciPy's outcomes by case name, or `None` without SciPy.
fn time_scipy(args: &[&str]) -> Option<Vec<(String, Outcome)>> {
    let text = python::run(SCIPY, args)?;
    Some(
        text.lines()
            .filter_map(|line| {
                let w: Vec<&str> = line.split_whitespace().collect();
                let [name, status, iters, evals, f, ms] = w[..] else {
                    return None;
                };
                let outcome = Outcome {
                    status: status.into(),
                    iters: iters.into(),
                    evals: evals.into(),
                    f: f.into(),
                    ms: ms.parse().ok()?,
                };
                Some((name.to_string(), outcome))
            })
            .collect(),
    )
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn row(who: &str, name: &str, o: &Outcome, extra: &str) {
    println!(
        "  {who:<6} {name:<10} {:<10} {:>7} {:>7} {:>12} {:>9.2}{extra}",
        o.status, o.iters, o.evals, o.f, o.ms
    );
}

fn main() {
    let optl = env!("CARGO_BIN_EXE_optl");
    println!(
        "optl run end to end (release, process start included) against SciPy's `minimize` alone;"
    );
    println!(
        "{ROUNDS} interleaved rounds of {RUNS} runs per side: median over rounds, and the per-round ratios"
    );
    println!(
        "  {:<6} {:<10} {:<10} {:>7} {:>7} {:>12} {:>9}",
        "", "case", "status", "iters", "evals", "f", "ms"
    );
    // Per case: OptL's and SciPy's outcome in each round.
    let mut rounds: Vec<Vec<(Outcome, Option<Outcome>)>> =
        FAST.iter().map(|_| Vec::new()).collect();
    let mut have_scipy = true;
    for _ in 0..ROUNDS {
        let ours: Vec<Outcome> = FAST.iter().map(|(s, _)| time_optl(optl, s, RUNS)).collect();
        let mut theirs = match have_scipy {
            true => time_scipy(&["fast", &RUNS.to_string()]),
            false => None,
        };
        have_scipy = theirs.is_some();
        for ((case, (_, name)), o) in rounds.iter_mut().zip(FAST).zip(ours) {
            let t = theirs.as_mut().and_then(|v| {
                let i = v.iter().position(|(n, _)| n == name)?;
                Some(v.swap_remove(i).1)
            });
            case.push((o, t));
        }
    }
    for ((_, name), case) in FAST.iter().zip(&mut rounds) {
        let mut ours_ms: Vec<f64> = case.iter().map(|(o, _)| o.ms).collect();
        let (last, _) = case.last().expect("at least one round");
        let ours = Outcome {
            ms: median(&mut ours_ms),
            ..last.clone()
        };
        row("optl", name, &ours, "");
        let Some(Some(t)) = case.last().map(|(_, t)| t.as_ref()) else {
            continue;
        };
        let mut theirs_ms: Vec<f64> = case
            .iter()
            .filter_map(|(_, t)| Some(t.as_ref()?.ms))
            .collect();
        // A time ratio only means something when both converged.
        let mut ratios: Vec<f64> = case
            .iter()
            .filter(|(o, t)| {
                o.status == "converged" && t.as_ref().is_some_and(|t| t.status == "converged")
            })
            .filter_map(|(o, t)| Some(t.as_ref()?.ms / o.ms))
            .collect();
        let theirs = Outcome {
            ms: median(&mut theirs_ms),
            ..t.clone()
        };
        let extra = match ratios.is_empty() {
            true => String::new(),
            false => {
                let med = median(&mut ratios);
                format!(
                    "   SciPy / optl per round: median {med:.2}, {:.2}–{:.2}",
                    ratios[0],
                    ratios[ratios.len() - 1]
                )
            }
        };
        row("scipy", name, &theirs, &extra);
    }
    println!("  the same in one process (`Interpreter::eval_file`, no process start), median ms:");
    for (script, name) in FAST {
        println!(
            "  {:<6} {name:<10} {:>48.2}",
            "embed",
            time_embedded(script, RUNS * ROUNDS)
        );
    }
    let (script, name) = SLOW;
    row("optl", name, &time_optl(optl, script, 1), "");
    if have_scipy && let Some(v) = time_scipy(&["slow"]) {
        for (name, o) in &v {
            row("scipy", name, o, "");
        }
    }
}

//! Benchmark: `optl run` end to end (process start, parse, trace, compile, solve) on
//! chained Rosenbrock with n = 100 and n = 10⁴ and on HS71 (`benches/opt/*.opt`),
//! side by side in one run with SciPy (L-BFGS-B for Rosenbrock with its defaults,
//! SLSQP for HS71) when `python3` with SciPy is on the machine. Reports status,
//! iterations, evaluations and median wall time. Run with
//! `cargo bench --bench solve_end_to_end`.
#![allow(clippy::print_stdout)]

#[path = "common/python.rs"]
mod python;

use std::process::Command;
use std::time::Instant;

/// The scripts, and how often each runs (the median is reported).
const CASES: &[(&str, usize)] = &[
    ("benches/opt/rosen100.opt", 31),
    ("benches/opt/hs71.opt", 31),
    ("benches/opt/rosen10k.opt", 1),
];

/// The same problems in SciPy, timed around `minimize` (the objective and its
/// gradient written with NumPy); prints `name status iters evals ms` per case.
const SCIPY: &str = r#"
import time, numpy as np
from scipy.optimize import minimize
def rosen(x):
    a = x[1:] - x[:-1]**2; b = 1 - x[:-1]
    g = np.zeros_like(x); g[:-1] = -400*x[:-1]*a - 2*b; g[1:] += 200*a
    return np.sum(100*a*a + b*b), g
def best_of(runs, f):
    times = []
    for _ in range(runs):
        t = time.perf_counter(); r = f(); times.append(time.perf_counter() - t)
    times.sort()
    return r, times[len(times) // 2] * 1e3
for name, n, runs in (("rosen100", 100, 31), ("rosen10k", 10000, 1)):
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    r, ms = best_of(runs, lambda: minimize(rosen, x0, jac=True, method="L-BFGS-B"))
    print(f"{name} {'converged' if r.status == 0 else 'failed'} {r.nit} {r.nfev} {r.fun:.6g} {ms:.2f}")
cons = [{"type": "ineq", "fun": lambda x: x[0]*x[1]*x[2]*x[3] - 25},
        {"type": "eq", "fun": lambda x: np.sum(x**2) - 40}]
hs = lambda x: x[0]*x[3]*(x[0]+x[1]+x[2]) + x[2]
r, ms = best_of(31, lambda: minimize(hs, [1, 5, 5, 1], method="SLSQP", bounds=[(1, 5)]*4, constraints=cons))
print(f"hs71 {'converged' if r.status == 0 else 'failed'} {r.nit} {r.nfev} {r.fun:.6g} {ms:.2f}")
"#;

/// `key = value` from the printed result record.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    out.split_whitespace()
        .skip_while(|w| *w != key)
        .nth(2)
        .unwrap_or("?")
        .trim_end_matches('>')
}

fn main() {
    let optl = env!("CARGO_BIN_EXE_optl");
    println!("optl run end to end (release; median wall time per run, process start included)");
    println!(
        "  {:<10} {:<10} {:>7} {:>7} {:>12} {:>11}",
        "case", "status", "iters", "evals", "f", "ms"
    );
    let mut ours = Vec::new();
    for &(script, runs) in CASES {
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
        times.sort_by(f64::total_cmp);
        let ms = times[times.len() / 2];
        let name = script
            .trim_start_matches("benches/opt/")
            .trim_end_matches(".opt");
        println!(
            "  {name:<10} {:<10} {:>7} {:>7} {:>12} {ms:>11.2}",
            field(&out, "status"),
            field(&out, "iters"),
            field(&out, "evals"),
            field(&out, "f"),
        );
        ours.push((name.to_string(), ms));
    }
    let Some(text) = python::run(SCIPY) else {
        println!("SciPy is not available here: no side-by-side comparison.");
        return;
    };
    println!("SciPy, the same problems (median time of `minimize` alone)");
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let [name, status, iters, evals, f, ms] = w[..] else {
            continue;
        };
        // A time ratio only means something when both converged.
        let ratio = ours
            .iter()
            .filter(|_| status == "converged")
            .find(|(n, _)| n == name)
            .and_then(|(_, o)| Some(ms.parse::<f64>().ok()? / o))
            .map_or(String::new(), |r| {
                format!("   SciPy time / optl time = {r:.2}")
            });
        println!("  {name:<10} {status:<10} {iters:>7} {evals:>7} {f:>12} {ms:>11}{ratio}");
    }
}

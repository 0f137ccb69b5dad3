//! Timings of optl-transport against POT (Python Optimal Transport) on POT's
//! setup: `x, y ~ U[0,1]²` (a deterministic generator), `M = dist(x, y) / max`,
//! `a = b = 1/n`.
//!
//! - n = 2000, reg 0.05: `Method::Scaling` against `ot.sinkhorn`, and
//!   `Method::Log` against `ot.sinkhorn(..., method="sinkhorn_log")`, both with
//!   POT's stopping rule (`Norm::L2`, tested every 10 iterations, tol 1e-9), so
//!   both sides do the same iterations; costs compared.
//! - reg 0.01 and 0.005: `Method::NewtonSparse` against `Method::Scaling`, to an
//!   L1 marginal error of 1e-9 (iterations and time), and POT's scaling with
//!   our scaling under its rule.
//! - n = 10⁴, reg 0.05: one scaling solve (one dense 10⁴ × 10⁴ kernel).
//!
//! The instance is generated here and written as `.npy` files (optl-tensor's
//! writer) under `<target>/tmp/transport-bench`, which the peer reads, so both
//! sides solve the same numbers. The peer runs in one Python process (start-up
//! excluded) from the venv `<target>/peer-venv` (created, with
//! `pip install numpy scipy POT`, if missing) with `OPENBLAS_NUM_THREADS=1`;
//! when that cannot be set up the peer is skipped with a message. Our timings
//! are on the global rayon pool and again on one thread (this bench run as a
//! child with `RAYON_NUM_THREADS=1`). Run with `cargo bench -p optl-transport`.
#![allow(clippy::print_stdout)]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ndarray::IxDyn;
use optl_tensor::Tensor;
use optl_transport::{Method, Metric, Norm, Options, Transport, dist, sinkhorn};

/// Deterministic pseudo-random numbers in [0, 1).
fn lcg(seed: u64, len: usize) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// The instance: points, normalized cost, uniform weights.
struct Instance {
    x: Tensor,
    y: Tensor,
    m: Vec<f64>,
    a: Vec<f64>,
}

fn instance(n: usize, seed: u64) -> Instance {
    let pts = |s| {
        Tensor::from_shape_vec(IxDyn(&[n, 2]), lcg(s, 2 * n))
            .unwrap_or_else(|_| Tensor::zeros(IxDyn(&[n, 2])))
    };
    let (x, y) = (pts(seed), pts(seed + 1));
    let mut m = match dist(&x, &y, Metric::SqEuclidean) {
        Ok(t) => t.into_raw_vec_and_offset().0,
        Err(e) => panic!("dist: {e}"),
    };
    let max = m.iter().fold(0.0f64, |a, &b| a.max(b));
    m.iter_mut().for_each(|v| *v /= max);
    Instance {
        x,
        y,
        m,
        a: vec![1.0 / n as f64; n],
    }
}

/// Best of `reps` wall-clock times, in seconds, and the last result.
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let t = Instant::now();
    let mut last = f();
    let mut best = t.elapsed().as_secs_f64();
    for _ in 1..reps {
        let t = Instant::now();
        last = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, last)
}

fn solve(inst: &Instance, reg: f64, opts: &Options) -> Transport {
    match sinkhorn(&inst.a, &inst.a, &inst.m, reg, opts) {
        Ok(t) => t,
        Err(e) => panic!("sinkhorn: {e}"),
    }
}

fn pot_rule(method: Method) -> Options {
    Options {
        method,
        tol: 1e-9,
        max_iters: 10_000,
        check_every: 10,
        norm: Norm::L2,
    }
}

fn describe(t: &Transport) -> String {
    format!(
        "{} iters ({} Newton), err {:.2e}, cost {:.15e}, {:?}{}",
        t.iters,
        t.newton_steps,
        t.err,
        t.cost,
        t.status,
        if t.switched_to_log {
            ", switched to log"
        } else {
            ""
        }
    )
}

/// The timed cases of n = 2000, in seconds: scaling, log, and per small reg
/// (scaling, newton).
fn core_cases(inst: &Instance, reps: usize) -> Vec<(String, f64, Transport)> {
    let mut out = Vec::new();
    let (t, r) = best_of(reps, || solve(inst, 0.05, &pot_rule(Method::Scaling)));
    out.push(("scaling-0.05".to_string(), t, r));
    let (t, r) = best_of(reps, || solve(inst, 0.05, &pot_rule(Method::Log)));
    out.push(("log-0.05".to_string(), t, r));
    for reg in [0.01, 0.005] {
        let (t, r) = best_of(reps, || solve(inst, reg, &pot_rule(Method::Scaling)));
        out.push((format!("pot-rule-{reg}"), t, r));
        for method in [Method::Scaling, Method::NewtonSparse] {
            let opts = Options {
                max_iters: 100_000,
                ..Options::with_method(method)
            };
            let (t, r) = best_of(reps, || solve(inst, reg, &opts));
            out.push((format!("{method:?}-{reg}"), t, r));
        }
    }
    out
}

const PEER: &str = r#"
import sys, time, json, warnings
import numpy as np, scipy, ot
warnings.filterwarnings("ignore")
d = sys.argv[1]
x = np.load(d + "/x.npy"); y = np.load(d + "/y.npy"); M = np.load(d + "/M.npy")
n = x.shape[0]
a = np.ones(n) / n; b = np.ones(n) / n
Mp = ot.dist(x, y); Mp /= Mp.max()
out = {"dist_diff": float(np.abs(Mp - M).max())}
def run(reps, **kw):
    best = 1e30
    for _ in range(reps):
        t = time.perf_counter()
        P, log = ot.sinkhorn(a, b, M, log=True, **kw)
        best = min(best, time.perf_counter() - t)
    return best, float(np.sum(P * M)), int(log["niter"]) + 1
out["scaling"], out["scaling_cost"], out["scaling_iters"] = run(3, reg=0.05, numItermax=10000, stopThr=1e-9)
out["log"], out["log_cost"], out["log_iters"] = run(2, reg=0.05, numItermax=10000, stopThr=1e-9, method="sinkhorn_log")
for reg, key in [(0.01, "s01"), (0.005, "s005")]:
    out[key], out[key + "_cost"], out[key + "_iters"] = run(2, reg=reg, numItermax=100000, stopThr=1e-9)
out["versions"] = "POT %s numpy %s scipy %s" % (ot.__version__, np.__version__, scipy.__version__)
print(json.dumps(out))
"#;

fn write_instance(inst: &Instance, dir: &Path) -> bool {
    let n = inst.a.len();
    let m = Tensor::from_shape_vec(IxDyn(&[n, n]), inst.m.clone());
    let Ok(m) = m else { return false };
    std::fs::create_dir_all(dir).is_ok()
        && [("x", &inst.x), ("y", &inst.y), ("M", &m)]
            .iter()
            .all(|(name, t)| {
                std::fs::write(
                    dir.join(format!("{name}.npy")),
                    optl_tensor::io::write_npy(t),
                )
                .is_ok()
            })
}

/// Runs the peer script; `None` (with a message) when Python, the venv or the
/// packages are not available.
fn run_peer(dir: &Path) -> Option<String> {
    optl_peer::run("numpy, scipy, ot", &["numpy", "scipy", "POT"], PEER, &[dir])
        .map_err(|e| println!("peer skipped: {e}"))
        .ok()
}

/// A field of the peer's flat JSON object.
fn field(text: &str, key: &str) -> Option<String> {
    let start = text.find(&format!("\"{key}\": "))? + key.len() + 4;
    let rest = &text[start..];
    let end = rest.find([',', '}'])?;
    Some(rest[..end].trim().trim_matches('"').to_string())
}

fn num(text: &str, key: &str) -> f64 {
    field(text, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The core cases on one thread: this bench as a child with `RAYON_NUM_THREADS=1`.
fn single_thread() -> Vec<(String, f64)> {
    let Ok(exe) = std::env::current_exe() else {
        return Vec::new();
    };
    let Ok(out) = Command::new(exe)
        .env("RAYON_NUM_THREADS", "1")
        .env("OPTL_BENCH_CORE_ONLY", "1")
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.strip_prefix("core ")?.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?))
        })
        .collect()
}

/// The process's peak resident set (Linux `VmHWM`), in GB.
fn peak_rss_gb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(f64::NAN, |kb| kb / 1e6)
}

fn main() {
    let inst = instance(2000, 7);
    if std::env::var_os("OPTL_BENCH_CORE_ONLY").is_some() {
        for (name, t, _) in core_cases(&inst, 2) {
            println!("core {name} {t}");
        }
        return;
    }
    let threads = rayon::current_num_threads();
    println!("optl-transport bench: n = 2000, x, y ~ U[0,1]^2, M = sqeuclidean / max, a = b = 1/n");
    println!("rayon threads {threads} (second column: RAYON_NUM_THREADS=1 child run)");
    let cases = core_cases(&inst, 3);
    let single = single_thread();
    let one = |name: &str| {
        single
            .iter()
            .find(|(k, _)| k == name)
            .map_or(f64::NAN, |(_, t)| *t)
    };
    for (name, t, r) in &cases {
        println!(
            "  {name:<20} {:>9.1} ms ({threads} thr) {:>9.1} ms (1 thr)  {}",
            t * 1e3,
            one(name) * 1e3,
            describe(r)
        );
    }
    let find = |name: &str| cases.iter().find(|c| c.0 == name);
    for reg in ["0.01", "0.005"] {
        if let (Some(s), Some(nw)) = (
            find(&format!("Scaling-{reg}")),
            find(&format!("NewtonSparse-{reg}")),
        ) {
            println!(
                "  reg {reg}: NewtonSparse / Scaling: {:.1}x fewer iterations, {:.2}x the time ({threads} thr), {:.2}x (1 thr); cost rel diff {:.1e}",
                s.2.iters as f64 / nw.2.iters as f64,
                nw.1 / s.1,
                one(&format!("NewtonSparse-{reg}")) / one(&format!("Scaling-{reg}")),
                (nw.2.cost - s.2.cost).abs() / s.2.cost
            );
        }
    }

    let big = instance(10_000, 11);
    let t = Instant::now();
    let r = solve(&big, 0.05, &pot_rule(Method::Scaling));
    println!(
        "n = 10000, reg 0.05, scaling (POT rule): {:.2} s ({threads} thr), {}; peak RSS {:.2} GB (M and the kernel, which becomes the plan: 0.8 GB each)",
        t.elapsed().as_secs_f64(),
        describe(&r),
        peak_rss_gb()
    );
    drop((big, r));

    let dir = optl_peer::target_dir().join("tmp/transport-bench");
    if !write_instance(&inst, &dir) {
        println!(
            "peer skipped: could not write the instance to {}",
            dir.display()
        );
        return;
    }
    let Some(peer) = run_peer(&dir) else { return };
    println!(
        "peer: {} (OPENBLAS_NUM_THREADS=1, one process); max |ot.dist/max - ours| = {:.1e}",
        field(&peer, "versions").unwrap_or_default(),
        num(&peer, "dist_diff")
    );
    for (key, name, label) in [
        ("scaling", "scaling-0.05", "ot.sinkhorn reg 0.05"),
        ("log", "log-0.05", "ot.sinkhorn sinkhorn_log reg 0.05"),
        ("s01", "pot-rule-0.01", "ot.sinkhorn reg 0.01"),
        ("s005", "pot-rule-0.005", "ot.sinkhorn reg 0.005"),
    ] {
        let Some((_, ours, r)) = find(name) else {
            continue;
        };
        let pot = num(&peer, key);
        let cost = num(&peer, &format!("{key}_cost"));
        println!(
            "  {label:<34} {:>9.1} ms, {} iters; speed-up POT/ours {:.1}x ({threads} thr), {:.1}x (1 thr); cost rel diff {:.1e}",
            pot * 1e3,
            num(&peer, &format!("{key}_iters")),
            pot / ours,
            pot / one(name),
            (cost - r.cost).abs() / cost
        );
    }
}

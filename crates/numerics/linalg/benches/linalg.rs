//! Timings of optl-linalg against NumPy/SciPy: dense solve (n = 1000), SVD
//! (500 × 500), CG on the 2-D Poisson matrix of a 512 × 512 grid (tol 1e-8), and
//! the sequence methods (bandit SOR, GCRO-DR) against their baselines.
//!
//! The peer runs in one Python process (start-up excluded) from a venv created
//! at `<target>/peer-venv` with `pip install numpy scipy`, with
//! `OPENBLAS_NUM_THREADS=1`; when that cannot be set up the peer is skipped with
//! a message. Run with `cargo bench -p optl-linalg`.
#![allow(clippy::print_stdout)]

use std::process::Command;
use std::time::Instant;

use ndarray::IxDyn;
use optl_linalg::sequence::{Gcrodr, SorBandit};
use optl_linalg::{Csr, Method, Precond, cg, dense, solve_sequence};
use optl_tensor::Tensor;

/// Deterministic pseudo-random numbers in [-1, 1).
fn lcg(seed: u64, len: usize) -> Vec<f64> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn random_matrix(seed: u64, m: usize, n: usize) -> Tensor {
    Tensor::from_shape_vec(IxDyn(&[m, n]), lcg(seed, m * n))
        .unwrap_or_else(|_| Tensor::zeros(IxDyn(&[m, n])))
}

/// Best of `reps` wall-clock times, in seconds.
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

/// The 5-point Laplacian (4 on the diagonal, −1 off) of a `g × g` grid.
fn poisson(g: usize, kappa: impl Fn(f64, f64) -> f64) -> Csr {
    let h = 1.0 / (g + 1) as f64;
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..g {
        for j in 0..g {
            let (x, y) = ((j + 1) as f64 * h, (i + 1) as f64 * h);
            let k = [
                kappa(x - h / 2.0, y),
                kappa(x + h / 2.0, y),
                kappa(x, y - h / 2.0),
                kappa(x, y + h / 2.0),
            ];
            let me = i * g + j;
            let mut push = |c: usize, v: f64| {
                rows.push(me);
                cols.push(c);
                vals.push(v);
            };
            if i > 0 {
                push(me - g, -k[2]);
            }
            if j > 0 {
                push(me - 1, -k[0]);
            }
            push(me, k.iter().sum());
            if j + 1 < g {
                push(me + 1, -k[1]);
            }
            if i + 1 < g {
                push(me + g, -k[3]);
            }
        }
    }
    match Csr::from_triplets(&rows, &cols, &vals, (g * g, g * g)) {
        Ok(a) => a,
        Err(e) => panic!("poisson matrix: {e}"),
    }
}

const PEER: &str = r#"
import sys, time, json
import numpy as np, scipy, scipy.sparse as sp, scipy.sparse.linalg as spla
out = {}
rng = np.random.default_rng(0)
a = rng.uniform(-1, 1, (1000, 1000)); b = rng.uniform(-1, 1, 1000)
np.linalg.solve(a, b)
best = min((lambda t: (np.linalg.solve(a, b), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
out["solve1000"] = best
m = rng.uniform(-1, 1, (500, 500))
best = min((lambda t: (np.linalg.svd(m, full_matrices=False), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
out["svd500"] = best
g = 512
t1 = sp.diags([-1, 2, -1], [-1, 0, 1], shape=(g, g))
i1 = sp.identity(g)
A = (sp.kron(i1, t1) + sp.kron(t1, i1)).tocsr()
rhs = np.ones(g * g)
it = [0]
def cb(xk): it[0] += 1
kw = {"rtol": 1e-8} if tuple(int(p) for p in scipy.__version__.split(".")[:2]) >= (1, 12) else {"tol": 1e-8}
t = time.perf_counter()
x, info = spla.cg(A, rhs, maxiter=100000, callback=cb, **kw)
out["cg512"] = time.perf_counter() - t
out["cg512_iters"] = it[0]
out["cg512_residual"] = float(np.linalg.norm(rhs - A @ x) / np.linalg.norm(rhs))
out["versions"] = "numpy %s scipy %s" % (np.__version__, scipy.__version__)
print(json.dumps(out))
"#;

/// Runs the peer script; `None` (with a message) when Python, the venv or the
/// packages are not available.
fn run_peer() -> Option<serde_like::Peer> {
    let out = optl_peer::run::<&str>("numpy, scipy", &["numpy", "scipy"], PEER, &[])
        .map_err(|e| println!("peer skipped: {e}"))
        .ok()?;
    serde_like::parse(&out)
}

/// A minimal reader of the peer's flat JSON object (numbers and one string).
mod serde_like {
    pub struct Peer {
        pub solve1000: f64,
        pub svd500: f64,
        pub cg512: f64,
        pub cg512_iters: f64,
        pub cg512_residual: f64,
        pub versions: String,
    }

    fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
        let start = text.find(&format!("\"{key}\": "))? + key.len() + 4;
        let rest = &text[start..];
        let end = rest.find([',', '}'])?;
        Some(rest[..end].trim())
    }

    pub fn parse(text: &str) -> Option<Peer> {
        let num = |k: &str| field(text, k).and_then(|v| v.parse::<f64>().ok());
        Some(Peer {
            solve1000: num("solve1000")?,
            svd500: num("svd500")?,
            cg512: num("cg512")?,
            cg512_iters: num("cg512_iters")?,
            cg512_residual: num("cg512_residual")?,
            versions: field(text, "versions")?.trim_matches('"').to_string(),
        })
    }
}

/// The CG benchmark alone, in seconds (best of three).
fn time_cg() -> f64 {
    let p = poisson(512, |_, _| 1.0);
    let rhs = vec![1.0; p.nrows()];
    best_of(3, || cg(&p, &rhs, 1e-8, 100_000, Precond::None)).0
}

/// CG on one thread: this bench run again with `RAYON_NUM_THREADS=1`, which sizes
/// the global pool (timing inside a one-thread `ThreadPool::install` measured up to
/// three times slower than that, an artifact of the pool, not of the kernels).
fn single_thread_cg() -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .env("RAYON_NUM_THREADS", "1")
        .env("OPTL_BENCH_CG_ONLY", "1")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("cg-seconds ")?.trim().parse().ok())
}

fn main() {
    if std::env::var_os("OPTL_BENCH_CG_ONLY").is_some() {
        println!("cg-seconds {}", time_cg());
        return;
    }
    let threads = rayon::current_num_threads();
    println!("optl-linalg bench: rayon threads {threads}; faer sequential");

    let a = random_matrix(1, 1000, 1000);
    let b = Tensor::from_shape_vec(IxDyn(&[1000]), lcg(2, 1000))
        .unwrap_or_else(|_| Tensor::zeros(IxDyn(&[1000])));
    let (t_solve, x) = best_of(3, || dense::solve(&a, &b));
    println!(
        "dense solve n=1000: {:.1} ms (ok: {})",
        t_solve * 1e3,
        x.is_ok()
    );

    let m = random_matrix(3, 500, 500);
    let (t_svd, s) = best_of(3, || dense::svd(&m));
    println!("svd 500x500: {:.1} ms (ok: {})", t_svd * 1e3, s.is_ok());

    let p = poisson(512, |_, _| 1.0);
    let rhs = vec![1.0; p.nrows()];
    let (t_cg, r) = best_of(3, || cg(&p, &rhs, 1e-8, 100_000, Precond::None));
    match &r {
        Ok(r) => println!(
            "cg poisson 512^2: {:.1} ms, {} iters, residual {:.2e}, {:?}",
            t_cg * 1e3,
            r.iters,
            r.residual,
            r.status
        ),
        Err(e) => println!("cg poisson 512^2 failed: {e}"),
    }
    let t_cg1 = single_thread_cg();
    if let Some(t) = t_cg1 {
        println!("cg poisson 512^2 on 1 thread: {:.1} ms", t * 1e3);
    }

    let systems: Vec<(Csr, Vec<f64>)> = (0..50)
        .map(|t| {
            let s = t as f64 / 50.0;
            let a = poisson(32, |x, y| {
                1.0 + 0.5 * s + 0.3 * (std::f64::consts::PI * (x + s)).sin() * (2.0 * y).cos()
            });
            let b = (0..a.nrows())
                .map(|i| 1.0 + 0.5 * ((i as f64) * 0.37 + 0.1 * t as f64).sin())
                .collect();
            (a, b)
        })
        .collect();
    let bandit_config = SorBandit::default();
    let t = Instant::now();
    let bandit = solve_sequence(&systems, &Method::SorBandit(bandit_config.clone()));
    let t_bandit = t.elapsed().as_secs_f64();
    let mut best = (f64::NAN, usize::MAX);
    let mut gauss_seidel = 0;
    for &omega in &bandit_config.omegas {
        let method = Method::Sor {
            omega,
            tol: bandit_config.tol,
            max_iters: bandit_config.max_iters,
        };
        if let Ok(f) = solve_sequence(&systems, &method) {
            if omega == 1.0 {
                gauss_seidel = f.total_iters;
            }
            if f.total_iters < best.1 {
                best = (omega, f.total_iters);
            }
        }
    }
    if let Ok(bandit) = &bandit {
        println!(
            "sequence (50 systems, 32^2): sor_bandit {} sweeps in {:.0} ms; best fixed omega {:.2}: {} ({:.3}x); Gauss-Seidel {} ({:.0}% fewer)",
            bandit.total_iters,
            t_bandit * 1e3,
            best.0,
            best.1,
            bandit.total_iters as f64 / best.1 as f64,
            gauss_seidel,
            100.0 * (1.0 - bandit.total_iters as f64 / gauss_seidel as f64)
        );
    }
    let gconfig = Gcrodr::default();
    let t = Instant::now();
    let recycled = solve_sequence(&systems, &Method::Gcrodr(gconfig.clone()));
    let t_gcrodr = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let plain = solve_sequence(
        &systems,
        &Method::Gmres {
            restart: gconfig.m,
            tol: gconfig.tol,
            max_iters: gconfig.max_iters,
        },
    );
    let t_gmres = t.elapsed().as_secs_f64();
    if let (Ok(r), Ok(p)) = (&recycled, &plain) {
        println!(
            "sequence (50 systems, 32^2): gcrodr(40, 20) {} matvecs in {:.0} ms; gmres(40) {} matvecs in {:.0} ms ({:.0}% fewer matvecs)",
            r.total_matvecs,
            t_gcrodr * 1e3,
            p.total_matvecs,
            t_gmres * 1e3,
            100.0 * (1.0 - r.total_matvecs as f64 / p.total_matvecs as f64)
        );
    }

    match run_peer() {
        None => {}
        Some(peer) => {
            println!(
                "peer: {} (OPENBLAS_NUM_THREADS=1, one process)",
                peer.versions
            );
            println!(
                "numpy solve n=1000: {:.1} ms; ours/numpy {:.2}",
                peer.solve1000 * 1e3,
                t_solve / peer.solve1000
            );
            println!(
                "numpy svd 500x500: {:.1} ms; ours/numpy {:.2}",
                peer.svd500 * 1e3,
                t_svd / peer.svd500
            );
            println!(
                "scipy cg poisson 512^2: {:.1} ms, {} iters, residual {:.2e}; speed-up scipy/ours {:.2}x ({} threads), {} on 1 thread",
                peer.cg512 * 1e3,
                peer.cg512_iters,
                peer.cg512_residual,
                peer.cg512 / t_cg,
                threads,
                t_cg1.map_or("n/a".to_string(), |t: f64| format!(
                    "{:.2}x",
                    peer.cg512 / t
                ))
            );
        }
    }
}

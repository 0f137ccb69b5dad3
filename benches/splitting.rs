//! Benchmark: the splitting family end to end through the interpreter, side by side
//! in one run with the tool a user would pick instead, on the same instances
//! (written here as `.npy` files that both sides load):
//!
//! 1. **Lasso**, `A` 1000×500 standard normal, `b = A x₀ + 0.1·noise` with 50
//!    nonzeros in `x₀`, `λ = 0.1·λ_max` (`λ_max = ‖Aᵀb‖∞`), objective
//!    `½‖Ax − b‖² + λ‖x‖₁`: OptL's `solve` (`auto`, which picks `bcd`, and
//!    `fista()`) against scikit-learn's `Lasso(alpha = λ/m, fit_intercept=False,
//!    tol=1e-8)`, whose stopping test is a duality gap below `1e-8·‖b‖²`. OptL's
//!    `tol` is set so that its test is the same absolute gap. The gap of both
//!    solutions is then computed here by one formula, and the supports compared.
//! 2. **Long-only portfolio**, n = 500: `minimize wᵀΣw − γ μᵀw` over the simplex
//!    (`var w[n] in simplex`), `Σ = FᵀF/k + diag(d)` from 20 factors: OptL `auto`
//!    (FISTA with the simplex projection) against CVXPY's default solver on
//!    `quad_form(w, Σ) − γ μᵀw`, `sum(w) == 1`, `w >= 0`, timing problem
//!    construction and solve (end to end: what a user writes, to the answer).
//!    Objectives compared at 1e-7.
//! 3. **Frank–Wolfe on the nuclear ball**, 500×500 matrix completion (rank 5,
//!    20% observed): the time per iteration against one full SVD of a 500×500
//!    matrix (`optl_linalg::dense::svd`, faer's, which `linalg.svd` runs), to show
//!    the oracle is one singular pair.
//!
//! OptL's times are `time_s` of the Result (trace, split, compile, solve); the
//! whole script (loading the data too) is shown beside. Peers run in one Python
//! process from `<target>/peer-venv` (numpy, scikit-learn, cvxpy installed if
//! missing) with `OPENBLAS_NUM_THREADS=1`; OptL's solvers run on one thread
//! (`bcd` and FISTA are sequential; the interpreter's kernels for these sizes do
//! not split). Each side: the median of 5 runs. Run with
//! `cargo bench --bench splitting`; `OPTL_BENCH_NO_PEER=1` skips the peers.
#![allow(clippy::print_stdout)]

use optl::Interpreter;
use optl_tensor::Tensor;
use std::path::{Path, PathBuf};
use std::time::Instant;

const RUNS: usize = 5;
const LIMIT: usize = 1 << 28;

/// The peer: `lasso DIR RUNS` and `portfolio DIR RUNS`, one line of results each.
const PEER: &str = r#"
import sys, time, json, numpy as np
d, runs = sys.argv[2], int(sys.argv[3])
def median(ts): ts = sorted(ts); return ts[len(ts)//2]
if sys.argv[1] == "lasso":
    from sklearn.linear_model import Lasso
    A = np.load(d + "/A.npy"); b = np.load(d + "/b.npy"); lam = float(np.load(d + "/lam.npy"))
    m = A.shape[0]
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        model = Lasso(alpha=lam / m, fit_intercept=False, tol=1e-8, max_iter=100000).fit(A, b)
        ts.append(time.perf_counter() - t)
    np.save(d + "/sk_x.npy", model.coef_)
    print(json.dumps({"ms": median(ts) * 1e3, "iters": int(model.n_iter_)}))
else:
    import cvxpy as cp
    S = np.load(d + "/S.npy"); mu = np.load(d + "/mu.npy"); g = float(np.load(d + "/gamma.npy"))
    n = S.shape[0]
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        w = cp.Variable(n)
        p = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(S)) - g * mu @ w), [cp.sum(w) == 1, w >= 0])
        p.solve()
        ts.append(time.perf_counter() - t)
    x = w.value
    print(json.dumps({"ms": median(ts) * 1e3, "f": float(x @ S @ x - g * mu @ x), "solver": p.solver_stats.solver_name}))
"#;

fn bench_dir() -> PathBuf {
    let d = optl_peer::target_dir().join("tmp/splitting-bench");
    std::fs::create_dir_all(&d).expect("bench directory");
    d
}

fn save(dir: &Path, name: &str, t: &Tensor) {
    std::fs::write(dir.join(name), optl_tensor::io::write_npy(t)).expect("write npy");
}

fn scalar(x: f64) -> Tensor {
    Tensor::from_elem(ndarray::IxDyn(&[]), x)
}

/// Runs `script` `RUNS` times in fresh sessions: the last output's fields and the
/// median `time_s` and whole-script times, in ms.
fn run_optl(script: &str) -> (Vec<String>, f64, f64) {
    let (mut solve_ms, mut whole_ms, mut fields) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let mut optl = Interpreter::new();
        let t = Instant::now();
        if let Err(e) = optl.eval_str(script) {
            panic!("the bench script failed: {e:?}");
        }
        whole_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let out = optl.take_output();
        fields = out.split_whitespace().map(String::from).collect();
        solve_ms.push(
            fields
                .last()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
                * 1e3,
        );
    }
    (fields, median(&mut solve_ms), median(&mut whole_ms))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn peer(args: &[&str]) -> Option<serde_json::Value> {
    if std::env::var_os("OPTL_BENCH_NO_PEER").is_some() {
        return None;
    }
    match optl_peer::run(
        "numpy, sklearn, cvxpy",
        &["numpy", "scipy", "scikit-learn", "cvxpy"],
        PEER,
        args,
    ) {
        Ok(text) => serde_json::from_str(text.trim()).ok(),
        Err(e) => {
            println!("  peer skipped: {e}");
            None
        }
    }
}

/// `½‖Ax − b‖² + λ‖x‖₁` and its Lasso duality gap (the dual point scaled to
/// feasibility), in f64 here, for both sides' solutions.
fn lasso_gap(a: &Tensor, b: &[f64], lam: f64, x: &[f64]) -> (f64, f64) {
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let av: Vec<f64> = a.iter().copied().collect();
    let r: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| av[i * n + j] * x[j]).sum::<f64>() - b[i])
        .collect();
    let corr: Vec<f64> = (0..n)
        .map(|j| (0..m).map(|i| av[i * n + j] * r[i]).sum::<f64>())
        .collect();
    let s = corr.iter().map(|c| c.abs() / lam).fold(1.0f64, f64::max);
    let primal =
        0.5 * r.iter().map(|v| v * v).sum::<f64>() + lam * x.iter().map(|v| v.abs()).sum::<f64>();
    let dual: f64 = b
        .iter()
        .zip(&r)
        .map(|(bi, ri)| 0.5 * bi * bi - 0.5 * (bi + ri / s).powi(2))
        .sum();
    (primal, primal - dual)
}

fn lasso(dir: &Path) {
    let (m, n) = (1000, 500);
    let a = optl_tensor::randn(&[m, n], 1, LIMIT).expect("A");
    let mut x0 = vec![0.0; n];
    for k in 0..50 {
        x0[(k * 37) % n] = if k % 2 == 0 { 1.0 } else { -1.5 };
    }
    let noise = optl_tensor::randn(&[m], 2, LIMIT).expect("noise");
    let av: Vec<f64> = a.iter().copied().collect();
    let b: Vec<f64> = (0..m)
        .map(|i| (0..n).map(|j| av[i * n + j] * x0[j]).sum::<f64>() + 0.1 * noise[[i]])
        .collect();
    let lam_max = (0..n)
        .map(|j| (0..m).map(|i| av[i * n + j] * b[i]).sum::<f64>().abs())
        .fold(0.0, f64::max);
    let lam = 0.1 * lam_max;
    let bt = Tensor::from_shape_vec(ndarray::IxDyn(&[m]), b.clone()).expect("b");
    save(dir, "A.npy", &a);
    save(dir, "b.npy", &bt);
    save(dir, "lam.npy", &scalar(lam));
    let bb: f64 = b.iter().map(|v| v * v).sum();
    // OptL stops when gap <= tol·max(1, |F|); sklearn when gap <= 1e-8·‖b‖².
    // F is known after one run; the first run fixes tol for the timed ones.
    let script = |solver: &str, tol: f64| {
        format!(
            "let A = load_npy(\"{d}/A.npy\")\nlet b = load_npy(\"{d}/b.npy\")\nlet lam = {lam:?}\n\
             problem lasso {{\n  var x[{n}]\n  minimize 0.5 * sum((A @ x - b)^2) + lam * norm(x, 1)\n}}\n\
             let r = solve(lasso, {solver}, tol = {tol:e})\n\
             print(r.status, r.solver, r.gap, r.iters, r.f)\nprint(repr(r.vars.x))\nprint(r.time_s)\n",
            d = dir.display()
        )
    };
    println!(
        "## Lasso 1000×500, λ = 0.1·λ_max (gap target 1e-8·‖b‖² = {:.3e})",
        1e-8 * bb
    );
    let sk = peer(&["lasso", &dir.display().to_string(), &RUNS.to_string()]);
    let sk_x: Option<Vec<f64>> = sk.as_ref().and_then(|_| {
        let bytes = std::fs::read(dir.join("sk_x.npy")).ok()?;
        Some(
            optl_tensor::io::parse_npy(&bytes, LIMIT)
                .ok()?
                .iter()
                .copied()
                .collect(),
        )
    });
    println!(
        "| solver | status | solve ms | script ms | iters (epochs) | gap (same formula) | nonzeros | support = sklearn's |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut ours_ms = Vec::new();
    for solver in ["auto", "fista()"] {
        let probe = run_once(&script(solver, 1e-10));
        let f = probe.0;
        let tol = 1e-8 * bb / f.abs().max(1.0);
        let (fields, solve_ms, whole_ms) = run_optl(&script(solver, tol));
        let x = parse_vector(&fields);
        let (_, gap) = lasso_gap(&a, &b, lam, &x);
        let nnz = x.iter().filter(|v| **v != 0.0).count();
        let same = sk_x.as_ref().map_or("-".to_string(), |s| {
            let a: Vec<bool> = s.iter().map(|v| *v != 0.0).collect();
            let o: Vec<bool> = x.iter().map(|v| *v != 0.0).collect();
            (a == o).to_string()
        });
        println!(
            "| optl {} | {} | {solve_ms:.2} | {whole_ms:.1} | {} | {gap:.3e} | {nnz} | {same} |",
            fields[1], fields[0], fields[3]
        );
        ours_ms.push((fields[1].clone(), solve_ms));
    }
    if let (Some(sk), Some(sx)) = (&sk, &sk_x) {
        let ms = sk["ms"].as_f64().unwrap_or(f64::NAN);
        let (_, gap) = lasso_gap(&a, &b, lam, sx);
        let nnz = sx.iter().filter(|v| **v != 0.0).count();
        println!(
            "| sklearn Lasso (cd, 1 thread) | - | {ms:.2} | - | {} | {gap:.3e} | {nnz} | true |",
            sk["iters"]
        );
        for (name, ours) in ours_ms {
            println!("  sklearn / optl {name}: {:.2}x", ms / ours);
        }
    }
}

/// One run: the objective and the output fields.
fn run_once(script: &str) -> (f64, Vec<String>) {
    let mut optl = Interpreter::new();
    optl.eval_str(script).expect("the bench script runs");
    let out = optl.take_output();
    let fields: Vec<String> = out.split_whitespace().map(String::from).collect();
    (fields[4].parse().unwrap_or(f64::NAN), fields)
}

/// The vector printed on the second line: `[a, b, ...]` split into fields.
fn parse_vector(fields: &[String]) -> Vec<f64> {
    fields[5..fields.len() - 1]
        .iter()
        .filter_map(|f| {
            f.trim_matches(|c| c == '[' || c == ']' || c == ',')
                .parse()
                .ok()
        })
        .collect()
}

fn portfolio(dir: &Path) {
    let (n, k) = (500, 20);
    let f = optl_tensor::randn(&[k, n], 3, LIMIT).expect("F");
    let fv: Vec<f64> = f.iter().copied().collect();
    let mut s = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            s[i * n + j] = (0..k).map(|q| fv[q * n + i] * fv[q * n + j]).sum::<f64>() / k as f64;
        }
        s[i * n + i] += 0.1 + 0.05 * (i % 7) as f64;
    }
    let mu = optl_tensor::rand(&[n], 4, LIMIT)
        .expect("mu")
        .mapv(|v| 0.05 + 0.1 * v);
    let gamma = 0.5;
    save(
        dir,
        "S.npy",
        &Tensor::from_shape_vec(ndarray::IxDyn(&[n, n]), s).expect("S"),
    );
    save(dir, "mu.npy", &mu);
    save(dir, "gamma.npy", &scalar(gamma));
    let script = |tol: f64| {
        format!(
            "let S = load_npy(\"{d}/S.npy\")\nlet mu = load_npy(\"{d}/mu.npy\")\n\
         problem portfolio {{\n  var w[{n}] in simplex\n  minimize sum(w * (S @ w)) - {gamma:?} * sum(mu * w)\n}}\n\
         let r = solve(portfolio, tol = {tol:e})\nprint(r.status, r.solver, r.gap, r.iters, repr(r.f))\nprint(r.time_s)\n",
            d = dir.display()
        )
    };
    println!("\n## Long-only portfolio, n = 500 (simplex), end to end");
    let cv = peer(&["portfolio", &dir.display().to_string(), &RUNS.to_string()]);
    println!("| solver | status | ms | script ms | iters | f | f − CVXPY's |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let fc = cv
        .as_ref()
        .and_then(|c| c["f"].as_f64())
        .unwrap_or(f64::NAN);
    let mut ours = Vec::new();
    // The default tol, and a looser one that still gives CVXPY's objective to 1e-7.
    for tol in [1e-10, 1e-8] {
        let (fields, solve_ms, whole_ms) = run_optl(&script(tol));
        let fo: f64 = fields[4].parse().unwrap_or(f64::NAN);
        println!(
            "| optl {} (tol {tol:e}) | {} | {solve_ms:.2} | {whole_ms:.1} | {} | {} | {:.2e} |",
            fields[1],
            fields[0],
            fields[3],
            fields[4],
            fo - fc
        );
        ours.push((tol, solve_ms, whole_ms));
    }
    if let Some(cv) = cv {
        let ms = cv["ms"].as_f64().unwrap_or(f64::NAN);
        println!(
            "| cvxpy ({}) | - | {ms:.2} | - | - | {fc:.10} | 0 |",
            cv["solver"]
        );
        for (tol, solve_ms, whole_ms) in ours {
            println!(
                "  cvxpy / optl at tol {tol:e}: {:.1}x end to end (script incl. loading), {:.1}x solve only",
                ms / whole_ms,
                ms / solve_ms
            );
        }
    }
}

fn nuclear(dir: &Path) {
    let (m, r) = (500, 5);
    let u = optl_tensor::randn(&[m, r], 5, LIMIT).expect("U");
    let v = optl_tensor::randn(&[r, m], 6, LIMIT).expect("V");
    let truth = optl_tensor::matmul(&u, &v, LIMIT).expect("UV");
    let mask = optl_tensor::rand(&[m, m], 7, LIMIT)
        .expect("mask")
        .mapv(|p| if p < 0.2 { 1.0 } else { 0.0 });
    let nuc = optl_linalg::dense::nuclear_norm(&truth).expect("nuclear norm");
    save(dir, "M.npy", &truth);
    save(dir, "mask.npy", &mask);
    let script = |iters: usize| {
        format!(
            "let M = load_npy(\"{d}/M.npy\")\nlet W = load_npy(\"{d}/mask.npy\")\n\
             problem completion {{\n  var X[{m}, {m}] in nuclear_ball({nuc:?})\n  minimize 0.5 * sum((W * (X - M))^2)\n}}\n\
             let r = solve(completion, frank_wolfe(max_iters = {iters}, tol = 0))\n\
             print(r.status, r.solver, r.gap, r.iters, norm(r.vars.X - M) / norm(M))\nprint(r.time_s)\n",
            d = dir.display(),
            nuc = nuc.iter().next().copied().unwrap_or(1.0)
        )
    };
    println!("\n## Frank–Wolfe on the nuclear ball, 500×500 completion (rank 5, 20% observed)");
    let (few, few_ms, _) = run_optl(&script(10));
    let (many, many_ms, _) = run_optl(&script(210));
    let per_iter = (many_ms - few_ms) / 200.0;
    let mut svd_times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let _ = optl_linalg::dense::svd(&truth).expect("svd");
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let svd_ms = median(&mut svd_times);
    println!("| run | status | iters | solve ms | relative error ‖X − M‖/‖M‖ |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| 10 iterations | {} | {} | {few_ms:.1} | {} |",
        few[0], few[3], few[4]
    );
    println!(
        "| 210 iterations | {} | {} | {many_ms:.1} | {} |",
        many[0], many[3], many[4]
    );
    println!(
        "  per iteration {per_iter:.2} ms (gradient + one top singular pair); one full 500×500 SVD {svd_ms:.1} ms: {:.1}x",
        svd_ms / per_iter
    );
}

fn main() {
    let dir = bench_dir();
    lasso(&dir);
    portfolio(&dir);
    nuclear(&dir);
}

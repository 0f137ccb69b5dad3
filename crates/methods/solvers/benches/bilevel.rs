//! Benchmark: implicit differentiation on ridge tuning with d = 1000 features
//! (the bilevel issue's speed goal), at the method level on one thread.
//!
//! The instance: `X` 2000×1000 and `Xv` 1000×1000 standard normal, `y = X w₀ +
//! 3·noise`, `yv = Xv w₀ + 3·noise`; the lower problem `min_w ‖Xw − y‖² + λ‖w‖²`,
//! the upper `min_λ ‖Xv w(λ) − yv‖²` over `λ ∈ [1e-4, 1e4]`. It measures, in one
//! run:
//!
//! 1. one lower solve (L-BFGS from `w = 0` to a relative gradient of 1e-12) at
//!    the start `λ = 1`, and the implicit hypergradient there (CG on lower
//!    Hessian-vector products to 1e-12), each the median of 5 runs; the ratio is
//!    the goal "within 3× the cost of one lower solve";
//! 2. the whole `implicit` solve from `λ = 1`, against the closed-form `λ*`:
//!    with `XᵀX = Q diag(s) Qᵀ` (faer's symmetric eigendecomposition through
//!    `optl_linalg::dense::eigh`), `w(λ) = Q (Qᵀ Xᵀ y / (s + λ))`, and `λ*` the
//!    root of `dL/dλ` found by bisection in `log λ` to machine precision.
//!
//! 3. hyper-cleaning at growing size: a weight `c_i ∈ [0, 1]` per training
//!    example (n = 2500, 5000, 10000 upper variables, 20 features) of an
//!    ℓ2-regularised logistic loss, tuned on 2000 validation examples, 30% of the
//!    training labels flipped; `implicit`'s time and the process's peak memory
//!    (`VmHWM`) after each size, to show both grow linearly.
//!
//! The products are plain row-major loops (no BLAS), as the interpreter's
//! kernels would run them; one core. Run with `cargo bench -p optl-solvers
//! --bench bilevel` (`-- --cleaning-only` for part 3 alone).
#![allow(clippy::print_stdout, clippy::needless_range_loop)]

use optl_solvers::bilevel::{Bilevel, Implicit, Levels, LowerAt, hypergradient};
use optl_solvers::{Bounds, Lbfgs, Nlp, Options, Solver};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::time::Instant;

const N: usize = 2000;
const NV: usize = 1000;
const D: usize = 1000;
const RUNS: usize = 5;

fn normals(count: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..count)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random(), rng.random());
            (-2.0 * (1.0 - u).ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect()
}

/// `a` (rows × cols, row-major) times `x`.
fn matvec(a: &[f64], cols: usize, x: &[f64]) -> Vec<f64> {
    a.chunks_exact(cols)
        .map(|row| row.iter().zip(x).map(|(p, q)| p * q).sum())
        .collect()
}

/// `aᵀ r`.
fn matvec_t(a: &[f64], cols: usize, r: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; cols];
    for (row, &ri) in a.chunks_exact(cols).zip(r) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += ri * v;
        }
    }
    out
}

struct Data {
    x: Vec<f64>,
    y: Vec<f64>,
    xv: Vec<f64>,
    yv: Vec<f64>,
}

/// z = (λ, w): f = ‖Xw − y‖² + λ‖w‖².
struct Lower<'a>(&'a Data);
/// F = ‖Xv w − yv‖².
struct Upper<'a>(&'a Data);

impl Nlp for Lower<'_> {
    fn n(&self) -> usize {
        D + 1
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (lam, w) = (z[0], &z[1..]);
        let mut r = matvec(&self.0.x, D, w);
        r.iter_mut().zip(&self.0.y).for_each(|(a, b)| *a -= b);
        let ww: f64 = w.iter().map(|v| v * v).sum();
        if let Some(g) = grad {
            let xt = matvec_t(&self.0.x, D, &r);
            g[0] = ww;
            for i in 0..D {
                g[1 + i] = 2.0 * xt[i] + 2.0 * lam * w[i];
            }
        }
        r.iter().map(|v| v * v).sum::<f64>() + lam * ww
    }
    fn hvp(&mut self, z: &[f64], v: &[f64], out: &mut [f64]) {
        let (lam, w) = (z[0], &z[1..]);
        let xtxv = matvec_t(&self.0.x, D, &matvec(&self.0.x, D, &v[1..]));
        out[0] = 2.0 * w.iter().zip(&v[1..]).map(|(a, b)| a * b).sum::<f64>();
        for i in 0..D {
            out[1 + i] = 2.0 * xtxv[i] + 2.0 * lam * v[1 + i] + 2.0 * v[0] * w[i];
        }
    }
}

impl Nlp for Upper<'_> {
    fn n(&self) -> usize {
        D + 1
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut r = matvec(&self.0.xv, D, &z[1..]);
        r.iter_mut().zip(&self.0.yv).for_each(|(a, b)| *a -= b);
        if let Some(g) = grad {
            g[0] = 0.0;
            let xt = matvec_t(&self.0.xv, D, &r);
            for i in 0..D {
                g[1 + i] = 2.0 * xt[i];
            }
        }
        r.iter().map(|v| v * v).sum()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `λ*` from the eigendecomposition of `XᵀX`.
fn closed_form(data: &Data) -> f64 {
    let mut g = vec![0.0; D * D];
    for row in data.x.chunks_exact(D) {
        for i in 0..D {
            let ri = row[i];
            for (o, &rj) in g[i * D..(i + 1) * D].iter_mut().zip(row) {
                *o += ri * rj;
            }
        }
    }
    let gt = optl_tensor::from_vec(&[D, D], g).expect("a D x D matrix");
    let e = optl_linalg::dense::eigh(&gt).expect("X'X is symmetric");
    let s: Vec<f64> = e.values.iter().copied().collect();
    let q: Vec<f64> = e.vectors.iter().copied().collect();
    let c = matvec_t(&q, D, &matvec_t(&data.x, D, &data.y));
    // dL/dλ = 2 rᵀ Xv dw/dλ with dw/dλ = −Q (c / (s + λ)²).
    let slope = |lam: f64| {
        let u: Vec<f64> = c.iter().zip(&s).map(|(c, s)| c / (s + lam)).collect();
        let du: Vec<f64> = u.iter().zip(&s).map(|(u, s)| -u / (s + lam)).collect();
        let w = matvec(&q, D, &u);
        let dw = matvec(&q, D, &du);
        let mut r = matvec(&data.xv, D, &w);
        r.iter_mut().zip(&data.yv).for_each(|(a, b)| *a -= b);
        let xdw = matvec(&data.xv, D, &dw);
        2.0 * r.iter().zip(&xdw).map(|(a, b)| a * b).sum::<f64>()
    };
    let (mut lo, mut hi) = (1e-4f64.ln(), 1e4f64.ln());
    assert!(
        slope(lo.exp()) < 0.0 && slope(hi.exp()) > 0.0,
        "λ* inside [1e-4, 1e4]"
    );
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if slope(mid.exp()) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// Logistic loss `log(1 + e^(−m))` and its first two derivatives.
fn logistic(m: f64) -> (f64, f64, f64) {
    let s = 1.0 / (1.0 + m.exp()); // σ(−m)
    let l = if m > 0.0 {
        (-m).exp().ln_1p()
    } else {
        -m + m.exp().ln_1p()
    };
    (l, -s, s * (1.0 - s))
}

const F: usize = 20;

/// Hyper-cleaning data: training rows `a` with labels `b` (some flipped), and
/// validation rows with clean labels.
struct Clean {
    n: usize,
    a: Vec<f64>,
    b: Vec<f64>,
    av: Vec<f64>,
    bv: Vec<f64>,
}

/// z = (c, θ): f = Σ c_i ℓ(b_i a_iᵀθ) + 0.1‖θ‖².
struct CleanLower<'a>(&'a Clean);
/// F = Σ_j ℓ(bv_j av_jᵀθ).
struct CleanUpper<'a>(&'a Clean);

impl Nlp for CleanLower<'_> {
    fn n(&self) -> usize {
        self.0.n + F
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (n, d) = (self.0.n, self.0);
        let (c, theta) = z.split_at(n);
        let m = matvec(&d.a, F, theta);
        let mut f = 0.1 * theta.iter().map(|t| t * t).sum::<f64>();
        let mut coef = vec![0.0; n];
        let mut g_c = vec![0.0; n];
        for i in 0..n {
            let (l, dl, _) = logistic(d.b[i] * m[i]);
            f += c[i] * l;
            g_c[i] = l;
            coef[i] = c[i] * dl * d.b[i];
        }
        if let Some(g) = grad {
            let gt = matvec_t(&d.a, F, &coef);
            g[..n].copy_from_slice(&g_c);
            for k in 0..F {
                g[n + k] = gt[k] + 0.2 * theta[k];
            }
        }
        f
    }
    fn hvp(&mut self, z: &[f64], v: &[f64], out: &mut [f64]) {
        let (n, d) = (self.0.n, self.0);
        let (c, theta) = z.split_at(n);
        let (vc, vt) = v.split_at(n);
        let m = matvec(&d.a, F, theta);
        let av = matvec(&d.a, F, vt);
        let mut coef = vec![0.0; n];
        for i in 0..n {
            let (_, dl, ddl) = logistic(d.b[i] * m[i]);
            out[i] = dl * d.b[i] * av[i];
            coef[i] = vc[i] * dl * d.b[i] + c[i] * ddl * av[i];
        }
        let gt = matvec_t(&d.a, F, &coef);
        for k in 0..F {
            out[n + k] = gt[k] + 0.2 * vt[k];
        }
    }
}

impl Nlp for CleanUpper<'_> {
    fn n(&self) -> usize {
        self.0.n + F
    }
    fn objective(&mut self, z: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let (n, d) = (self.0.n, self.0);
        let theta = &z[n..];
        let m = matvec(&d.av, F, theta);
        let mut f = 0.0;
        let mut coef = vec![0.0; m.len()];
        for j in 0..m.len() {
            let (l, dl, _) = logistic(d.bv[j] * m[j]);
            f += l;
            coef[j] = dl * d.bv[j];
        }
        if let Some(g) = grad {
            g[..n].iter_mut().for_each(|v| *v = 0.0);
            g[n..].copy_from_slice(&matvec_t(&d.av, F, &coef));
        }
        f
    }
}

/// The process's peak resident memory in MB (`VmHWM`), where /proc has it.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn hyper_cleaning(n: usize, rng: &mut ChaCha8Rng) {
    let beta = normals(F, rng);
    let label = |a: &[f64]| {
        let s: f64 = a.iter().zip(&beta).map(|(p, q)| p * q).sum();
        if s > 0.0 { 1.0 } else { -1.0 }
    };
    let a = normals(n * F, rng);
    let av = normals(2000 * F, rng);
    let flipped: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.3).collect();
    let b: Vec<f64> = a
        .chunks_exact(F)
        .zip(&flipped)
        .map(|(row, &f)| if f { -label(row) } else { label(row) })
        .collect();
    let bv: Vec<f64> = av.chunks_exact(F).map(label).collect();
    let data = Clean { n, a, b, av, bv };
    let levels = Levels {
        n: n + F,
        lower: (n..n + F).collect(),
    };
    let mut lo = vec![0.0; n + F];
    let mut hi = vec![1.0; n + F];
    for k in n..n + F {
        (lo[k], hi[k]) = (f64::NEG_INFINITY, f64::INFINITY);
    }
    let mut z0 = vec![0.5; n + F];
    z0[n..].iter_mut().for_each(|v| *v = 0.0);
    let (mut upper, mut lower) = (CleanUpper(&data), CleanLower(&data));
    let mut parts = Bilevel {
        upper: &mut upper,
        lower: &mut lower,
        levels: &levels,
    };
    let opts = Options {
        tol: 1e-8,
        max_iters: 200,
        ..Options::default()
    };
    let t = Instant::now();
    let r = Implicit::default().run(&mut parts, &z0, &Bounds::new(lo, hi), &opts);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let mean = |want: bool| {
        let (s, k) = (0..n)
            .filter(|&i| flipped[i] == want)
            .fold((0.0, 0), |(s, k), i| (s + r.x[i], k + 1));
        s / k.max(1) as f64
    };
    println!(
        "hyper-cleaning n = {n}: {ms:.0} ms ({} outer iterations, status {}), mean weight flipped {:.2} vs clean {:.2}; peak memory {:.0} MB",
        r.iters,
        r.status,
        mean(true),
        mean(false),
        peak_mb()
    );
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    if std::env::args().any(|a| a == "--cleaning-only") {
        for n in [2500, 5000, 10000] {
            hyper_cleaning(n, &mut rng);
        }
        return;
    }
    let w0 = normals(D, &mut rng);
    let x = normals(N * D, &mut rng);
    let xv = normals(NV * D, &mut rng);
    let noise = |rows: usize, rng: &mut ChaCha8Rng| -> Vec<f64> {
        normals(rows, rng).into_iter().map(|v| 3.0 * v).collect()
    };
    let (e, ev) = (noise(N, &mut rng), noise(NV, &mut rng));
    let y: Vec<f64> = matvec(&x, D, &w0)
        .iter()
        .zip(&e)
        .map(|(a, b)| a + b)
        .collect();
    let yv: Vec<f64> = matvec(&xv, D, &w0)
        .iter()
        .zip(&ev)
        .map(|(a, b)| a + b)
        .collect();
    let data = Data { x, y, xv, yv };
    let levels = Levels {
        n: D + 1,
        lower: (1..=D).collect(),
    };
    let inner = Options {
        tol: 1e-12,
        ..Options::default()
    };
    let mut z0 = vec![0.0; D + 1];
    z0[0] = 1.0;

    // 1. One lower solve at λ = 1, and the hypergradient at its solution.
    let (mut lower_ms, mut solved) = (Vec::new(), None);
    for _ in 0..RUNS {
        let mut lower = Lower(&data);
        let mut at = LowerAt {
            lower: &mut lower,
            levels: &levels,
            z: z0.clone(),
        };
        let t = Instant::now();
        let r = Lbfgs::default().solve(&mut at, &vec![0.0; D], &Bounds::unbounded(D), &inner);
        lower_ms.push(t.elapsed().as_secs_f64() * 1e3);
        solved = Some(r);
    }
    let solved = solved.expect("a lower solve");
    let mut z = z0.clone();
    z[1..].copy_from_slice(&solved.x);
    let (mut hyper_ms, mut hyper) = (Vec::new(), None);
    for _ in 0..RUNS {
        let t = Instant::now();
        let h = hypergradient(
            &mut Upper(&data),
            &mut Lower(&data),
            &levels,
            &z,
            1000,
            1e-12,
        );
        hyper_ms.push(t.elapsed().as_secs_f64() * 1e3);
        hyper = Some(h);
    }
    let (_, g, residual) = hyper.expect("a hypergradient");
    let (lower_ms, hyper_ms) = (median(lower_ms), median(hyper_ms));
    println!(
        "ridge d = {D}, n = {N}: one lower solve {lower_ms:.1} ms ({} L-BFGS iterations, status {}); \
         hypergradient {hyper_ms:.1} ms (CG residual {residual:.1e}, dF/dλ = {:.6e}); ratio {:.2} (goal <= 3)",
        solved.iters,
        solved.status,
        g[0],
        hyper_ms / lower_ms
    );

    // 2. The whole implicit solve against the closed-form λ*.
    let t = Instant::now();
    let lam_star = closed_form(&data);
    let closed_ms = t.elapsed().as_secs_f64() * 1e3;
    let (mut upper, mut lower) = (Upper(&data), Lower(&data));
    let mut parts = Bilevel {
        upper: &mut upper,
        lower: &mut lower,
        levels: &levels,
    };
    let mut lo = vec![f64::NEG_INFINITY; D + 1];
    let mut hi = vec![f64::INFINITY; D + 1];
    (lo[0], hi[0]) = (1e-4, 1e4);
    let opts = Options {
        tol: 1e-10,
        max_iters: 1000,
        ..Options::default()
    };
    let t = Instant::now();
    let r = Implicit::default().run(&mut parts, &z0, &Bounds::new(lo, hi), &opts);
    let implicit_ms = t.elapsed().as_secs_f64() * 1e3;
    let rel = (r.x[0] - lam_star).abs() / lam_star;
    let solves = r.lower.as_ref().map_or(0, |l| l.solves);
    println!(
        "implicit: λ = {:.10e} in {implicit_ms:.0} ms ({} outer iterations, {solves} warm-started lower solves, status {}); \
         closed form λ* = {lam_star:.10e} in {closed_ms:.0} ms (eigendecomposition of XᵀX); relative error {rel:.1e} (goal <= 1e-6)",
        r.x[0], r.iters, r.status
    );

    // 3. Hyper-cleaning at growing size.
    drop(data);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for n in [2500, 5000, 10000] {
        hyper_cleaning(n, &mut rng);
    }
}

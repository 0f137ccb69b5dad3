//! Benchmark: logistic regression (10,000 × 100, seeded synthetic data) trained for
//! 500 steps with AdamW — the OptL rule driver against a hand-written Rust loop on
//! the same data (issue goal: ≤ 1.3× the Rust loop; for reference NumPy takes
//! ~212 µs/step in float32 and Optax ~494 µs/step on this machine class). Run with
//! `cargo bench --bench logreg`. When `python3` with NumPy (and JAX with Optax) is on
//! the machine, the same AdamW loop on data of the same shape runs there too, in
//! float64 and float32, fastest of three runs, printed side by side.
#![allow(clippy::print_stdout)]

#[path = "common/python.rs"]
mod python;

use optl::Interpreter;
use std::hint::black_box;
use std::time::Instant;

/// The reference loops: NumPy, then Optax (`jax.lax.scan` under `jax.jit`), each
/// computing the loss and its gradient every step as the OptL driver does. Prints
/// `name µs/step` lines.
const PYTHON: &str = r#"
import time, numpy as np
n, d, steps = 10000, 100, 500
rng = np.random.default_rng(1)
X = rng.standard_normal((n, d))
y = (X @ (rng.standard_normal(d) / np.sqrt(d)) + 0.3 * rng.standard_normal(n) > 0).astype(np.float64)
lr, b1, b2, eps, wd, lam = 1e-2, 0.9, 0.999, 1e-8, 1e-4, 1e-4

def numpy_adamw(dtype):
    Xd, yd = X.astype(dtype), y.astype(dtype)
    w, m, v = (np.zeros(d, dtype) for _ in range(3))
    best = float("inf")
    for _ in range(3):
        w[:] = 0; m[:] = 0; v[:] = 0
        t0 = time.perf_counter()
        for t in range(1, steps + 1):
            z = Xd @ w
            f = np.mean(np.logaddexp(0, z) - yd * z) + lam * np.sum(w * w)
            g = Xd.T @ ((1 / (1 + np.exp(-z)) - yd) / n) + 2 * lam * w
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            w = w - lr * ((m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps) + wd * w)
        best = min(best, (time.perf_counter() - t0) / steps * 1e6)
    return best

print("numpy-f64", numpy_adamw(np.float64))
print("numpy-f32", numpy_adamw(np.float32))
try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp, optax
except Exception:
    raise SystemExit
def optax_adamw(dtype):
    Xd, yd = jnp.asarray(X, dtype), jnp.asarray(y, dtype)
    def loss(w):
        z = Xd @ w
        return jnp.mean(jax.nn.softplus(z) - yd * z) + lam * jnp.sum(w * w)
    opt = optax.adamw(lr, b1=b1, b2=b2, eps=eps, weight_decay=wd)
    @jax.jit
    def run(w):
        def step(c, _):
            w, s = c
            f, g = jax.value_and_grad(loss)(w)
            u, s = opt.update(g, s, w)
            return (optax.apply_updates(w, u), s), f
        return jax.lax.scan(step, (w, opt.init(w)), None, length=steps)
    w0 = jnp.zeros(d, dtype)
    jax.block_until_ready(run(w0))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        jax.block_until_ready(run(w0))
        best = min(best, (time.perf_counter() - t0) / steps * 1e6)
    return best
print("optax-f64", optax_adamw(jnp.float64))
print("optax-f32", optax_adamw(jnp.float32))
"#;

const SETUP: &str = "
let n = 10000
let d = 100
let X = randn([n, d], seed = 1)
let w_true = randn([d], seed = 2) / sqrt(d)
let y = where(X @ w_true + 0.3 * randn([n], seed = 3) > 0, 1.0, 0.0)
problem logreg(lam = 1e-4) {
  var w[d] = 0
  let z = X @ w
  minimize mean(softplus(z) - y * z) + lam * sum(w^2)
}
";
const STEPS: usize = 500;
const N: usize = 10_000;
const D: usize = 100;

/// One example's logistic loss at margin `z`: log(1 + e^z) - y z, computed stably.
fn example_loss(z: f64, y: f64) -> f64 {
    let softplus = if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    };
    softplus - y * z
}

/// The ridge term of the objective.
fn ridge(w: &[f64]) -> f64 {
    1e-4 * w.iter().map(|v| v * v).sum::<f64>()
}

/// The objective at `w`: mean logistic loss plus the ridge term.
fn objective(x: &[f64], y: &[f64], w: &[f64]) -> f64 {
    let loss: f64 = (0..N)
        .map(|i| {
            let z: f64 = x[i * D..(i + 1) * D]
                .iter()
                .zip(w)
                .map(|(a, b)| a * b)
                .sum();
            example_loss(z, y[i])
        })
        .sum();
    loss / N as f64 + ridge(w)
}

/// The same training loop in plain Rust, doing the driver's work: each step the
/// objective (the driver records it and checks it for divergence) and its gradient,
/// then the AdamW update of `stdlib/optim.opt`. Returns the weights and the
/// objective history.
fn rust_adamw(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (lr, b1, b2, eps, wd, lam) = (1e-2, 0.9, 0.999, 1e-8, 1e-4, 1e-4);
    let mut w = vec![0.0; D];
    let (mut m, mut v) = (vec![0.0; D], vec![0.0; D]);
    let mut z = vec![0.0; N];
    let mut g = vec![0.0; D];
    let mut history = Vec::with_capacity(STEPS);
    for step in 1..=STEPS {
        let mut loss = 0.0;
        for (i, zi) in z.iter_mut().enumerate() {
            *zi = x[i * D..(i + 1) * D]
                .iter()
                .zip(&w)
                .map(|(a, b)| a * b)
                .sum();
            loss += example_loss(*zi, y[i]);
        }
        history.push(loss / N as f64 + ridge(&w));
        g.iter_mut()
            .zip(&w)
            .for_each(|(gi, wi)| *gi = 2.0 * lam * wi);
        for (i, zi) in z.iter().enumerate() {
            let r = (1.0 / (1.0 + (-zi).exp()) - y[i]) / N as f64;
            let row = &x[i * D..(i + 1) * D];
            g.iter_mut().zip(row).for_each(|(gi, xi)| *gi += r * xi);
        }
        let t = step as i32;
        for j in 0..D {
            m[j] = b1 * m[j] + (1.0 - b1) * g[j];
            v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
            let mhat = m[j] / (1.0 - b1.powi(t));
            let vhat = v[j] / (1.0 - b2.powi(t));
            w[j] -= lr * (mhat / (vhat.sqrt() + eps) + wd * w[j]);
        }
    }
    (w, history)
}

fn main() {
    let mut optl = Interpreter::new();
    optl.eval_str(SETUP).expect("setup");
    let x = Vec::<f64>::try_from(optl.eval_str("reshape(X, [-1])").expect("X")).expect("X");
    let y = Vec::<f64>::try_from(optl.eval_str("y").expect("y")).expect("y");
    println!("logistic regression, {N} x {D}, {STEPS} steps (µs/step)");
    let mut adamw_warm = f64::NAN;
    for (name, rule) in [
        ("adamw", "adamw(lr = 1e-2, wd = 1e-4)"),
        ("lion", "lion(lr = 1e-3, wd = 1e-4)"),
    ] {
        let src = format!("solve(logreg, {rule}, steps = {STEPS}).f");
        let t = Instant::now();
        let first = f64::try_from(optl.eval_str(&src).expect("solve")).expect("f");
        let cold = t.elapsed().as_secs_f64() * 1e6 / STEPS as f64;
        // Then the fastest of three runs, as for the Python loops below.
        let mut warm = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let again = f64::try_from(optl.eval_str(&src).expect("solve")).expect("f");
            warm = warm.min(t.elapsed().as_secs_f64() * 1e6 / STEPS as f64);
            assert_eq!(first, again, "the same solve twice gives the same result");
        }
        if name == "adamw" {
            adamw_warm = warm;
        }
        println!(
            "  optl {name:<6} first run {cold:>9.1}   fastest of 3 more {warm:>9.1}   (f = {first:.6})"
        );
    }
    let mut rust = f64::INFINITY;
    let mut trained = None;
    for _ in 0..3 {
        let t = Instant::now();
        let (w, history) = rust_adamw(&x, &y);
        rust = rust.min(t.elapsed().as_secs_f64() * 1e6 / STEPS as f64);
        black_box(history);
        trained = Some(w);
    }
    let w = trained.expect("three runs");
    let loss = objective(&x, &y, black_box(&w));
    println!(
        "  hand-written Rust adamw   {rust:>9.1}   (f = {loss:.6}; value and gradient each step, as the driver)"
    );
    println!(
        "  optl adamw / Rust: {:.2}x (goal <= 1.3x)",
        adamw_warm / rust
    );
    let Some(text) = python::run(PYTHON, &[]) else {
        println!("  NumPy is not available here: no side-by-side comparison.");
        return;
    };
    for line in text.lines() {
        let [name, us] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            continue;
        };
        let Ok(us) = us.parse::<f64>() else { continue };
        println!(
            "  {name:<10} adamw {us:>9.1}   ({name} time / optl time = {:.2})",
            us / adamw_warm
        );
    }
}

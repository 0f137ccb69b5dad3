//! Shared builders of the integration tests: deterministic instances and naive
//! references (marginals, the entropic objective computed entry by entry).
#![allow(dead_code)]

use optl_transport::{Method, Options, Transport, sinkhorn};

/// Deterministic pseudo-random numbers in [0, 1).
pub fn lcg(seed: u64, len: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1);
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// A random instance: `n` and `m` points in [0, 1]², squared Euclidean cost
/// (not normalized), random positive weights of total mass 1.
pub struct Instance {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub m: Vec<f64>,
    pub n: usize,
    pub k: usize,
}

pub fn random_instance(seed: u64, n: usize, k: usize) -> Instance {
    let x = lcg(seed, 2 * n);
    let y = lcg(seed + 100, 2 * k);
    let mut m = Vec::with_capacity(n * k);
    for i in 0..n {
        for j in 0..k {
            let dx = x[2 * i] - y[2 * j];
            let dy = x[2 * i + 1] - y[2 * j + 1];
            m.push(dx * dx + dy * dy);
        }
    }
    let weights = |s: u64, len: usize| {
        let w: Vec<f64> = lcg(s, len).iter().map(|t| 0.2 + t).collect();
        let total: f64 = w.iter().sum();
        w.iter().map(|t| t / total).collect::<Vec<f64>>()
    };
    Instance {
        a: weights(seed + 200, n),
        b: weights(seed + 300, k),
        m,
        n,
        k,
    }
}

/// Options with a method and a tight tolerance.
pub fn tight(method: Method) -> Options {
    Options {
        method,
        tol: 1e-12,
        max_iters: 200_000,
        check_every: 1,
        ..Options::default()
    }
}

pub fn solve(inst: &Instance, reg: f64, opts: &Options) -> Transport {
    sinkhorn(&inst.a, &inst.b, &inst.m, reg, opts).expect("valid problem")
}

/// Row and column sums of a row-major `n × k` plan.
pub fn marginals(plan: &[f64], n: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut r = vec![0.0; n];
    let mut c = vec![0.0; k];
    for i in 0..n {
        for j in 0..k {
            r[i] += plan[i * k + j];
            c[j] += plan[i * k + j];
        }
    }
    (r, c)
}

/// `⟨P, M⟩ + reg Σ P (ln P − 1)` entry by entry.
pub fn objective(plan: &[f64], m: &[f64], reg: f64) -> f64 {
    plan.iter()
        .zip(m)
        .map(|(&p, &c)| {
            if p > 0.0 {
                p * c + reg * p * (p.ln() - 1.0)
            } else {
                0.0
            }
        })
        .sum()
}

pub fn rel(x: f64, y: f64) -> f64 {
    (x - y).abs() / y.abs().max(1e-300)
}
